using Wdb.Core;
using Wdb.IO;

namespace Wdb.Merge;

/// <summary>
/// External catalogues whose association with each group is evidence for its extractions' reliability (SPEC §4:
/// the score is built from, among others, "association with external catalogues"): a group has a counterpart when a
/// catalogue row lies within <see cref="RadiusArcsec"/> of its weighted mean position. An independent survey that saw
/// a source there says it is real; see docs/reliability.md for the weights.
/// </summary>
/// <param name="Paths">The catalogues, in any input format the merge reads (only ra and dec are required).</param>
/// <param name="RadiusArcsec">Association radius; the default is the point-source merge radius.</param>
public sealed record AssociateCatalogues(IReadOnlyList<string> Paths, double RadiusArcsec = AssociateCatalogues.DefaultRadiusArcsec)
{
    public const double DefaultRadiusArcsec = 2.0;
    /// <summary>Largest radius: an association, not a cross-match of everything near.</summary>
    public const double MostRadiusArcsec = 60.0;
}

/// <summary><see cref="AssociateCatalogues"/> read: their rows by position.</summary>
internal sealed class GroupAssociations
{
    private readonly SkyIndex _index;
    private readonly double _radiusArcsec;

    /// <summary>Each catalogue file as read (summary.json; a cluster's tasks check they read the same).</summary>
    public IReadOnlyList<CatalogueFileSummary> Files { get; }
    public int Rows => _index.Count;

    private GroupAssociations(CatalogueRows rows, double radiusArcsec, IReadOnlyList<CatalogueFileSummary> files)
    {
        _radiusArcsec = radiusArcsec;
        _index = new SkyIndex(rows.Ra, rows.Dec, default, Math.Max(radiusArcsec, 1.0));
        Files = files;
    }

    /// <summary>A catalogue row lies within the radius (inclusive) of (ra, dec) in degrees. Safe from many threads.</summary>
    public bool HasCounterpart(double raDeg, double decDeg) => _index.Within(0, raDeg, decDeg, _radiusArcsec).Count > 0;

    /// <summary>The associations of <paramref name="rows"/> (a zone's share), read as <paramref name="whole"/> was.</summary>
    public static GroupAssociations Of(CatalogueRows rows, GroupAssociations whole) => new(rows, whole._radiusArcsec, whole.Files);

    /// <summary>The associations of <paramref name="rows"/> that another process read from <paramref name="files"/> and filed (a cluster task's share of its plan's).</summary>
    public static GroupAssociations Filed(CatalogueRows rows, AssociateCatalogues request, IReadOnlyList<CatalogueFileSummary> files) =>
        new(rows, request.RadiusArcsec, files);

    public static (GroupAssociations? Associations, string? Error) Read(AssociateCatalogues request, MergeOptions options, Action<string>? leftOut,
        Func<double, double, bool>? keep = null, Action<ExtractionBlock, int>? sink = null)
    {
        if (RadiusError(request) is string badRadius) return (null, badRadius);
        var (rows, files, error) = CatalogueFiles.Read(request.Paths, options, TableKind.CataloguePositions, "--associate",
            "no group is associated with them", leftOut, keep, sink);
        return error is null ? (new GroupAssociations(rows!, request.RadiusArcsec, files!), null) : (null, error);
    }

    /// <summary>What stops the catalogues of <paramref name="request"/> that shows before their rows (<see cref="CatalogueFiles.StartError"/>).</summary>
    public static string? StartError(AssociateCatalogues request, MergeOptions options) =>
        RadiusError(request) ?? CatalogueFiles.StartError(request.Paths, options, TableKind.CataloguePositions, "--associate");

    internal static string? RadiusError(AssociateCatalogues request) =>
        request.RadiusArcsec > 0 && request.RadiusArcsec <= AssociateCatalogues.MostRadiusArcsec
            ? null : $"--associate-radius must be in (0, {AssociateCatalogues.MostRadiusArcsec}] arcsec, got {request.RadiusArcsec}";
}
