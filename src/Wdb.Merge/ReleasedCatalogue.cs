using Wdb.Core;
using Wdb.IO;

namespace Wdb.Merge;

/// <summary>
/// The reject-file mode of SPEC §4 and the seed document ("include or exclude PSC/XSC entries? (i.e. a reject file
/// only)"): keep only the working database's extractions that are not in the released catalogues. The PSC and XSC
/// were drawn from the same scans, row for row: each of their rows names its scan (`hemis`, `date`, `scan`, or
/// `scan_key`) and carries that apparition's position. So an extraction is in a catalogue when a catalogue row of the
/// same scan lies within <see cref="RadiusArcsec"/> of it; a row of another scan at the same place is another
/// apparition of the source, which the reject file keeps.
/// </summary>
/// <param name="Paths">The catalogues, in any input format the merge reads.</param>
/// <param name="RadiusArcsec">
/// How far a catalogue row may lie from its extraction (inclusive). The catalogues and the working database give the
/// same positions to the printed precision (0.0036"); the default allows for a release re-reduced since, and stays
/// well under the ~2" at which two extractions of one scan are resolved.
/// </param>
/// <param name="AnyScan">
/// Match on position alone: every extraction within the radius of a catalogue row is dropped, whatever its scan (for a
/// catalogue without scan columns; it drops other apparitions of released sources too).
/// </param>
public sealed record NotInCatalogues(IReadOnlyList<string> Paths, double RadiusArcsec = NotInCatalogues.DefaultRadiusArcsec, bool AnyScan = false)
{
    public const double DefaultRadiusArcsec = 0.3;
    /// <summary>Largest radius: a match of an extraction with its own catalogue row, not a cross-match.</summary>
    public const double MostRadiusArcsec = 5.0;

    /// <summary>How rows are matched, as summary.json says it.</summary>
    public string Match => AnyScan ? "any scan" : "same scan";
}

/// <summary>Released catalogues read for <see cref="NotInCatalogues"/>: their rows by scan and position.</summary>
internal sealed class ReleasedCatalogue
{
    private readonly SkyIndex _index;
    private readonly double _radiusArcsec;
    private readonly bool _anyScan;

    /// <summary>Each catalogue file as read (for summary.json, and for a cluster's tasks to check they read the same).</summary>
    public IReadOnlyList<CatalogueFileSummary> Files { get; }
    public int Rows => _index.Count;

    /// <summary>The catalogue of <paramref name="rows"/> (a zone's share), read as <paramref name="whole"/> was.</summary>
    public static ReleasedCatalogue Of(CatalogueRows rows, ReleasedCatalogue whole) => new(rows, whole._radiusArcsec, whole._anyScan, whole.Files);

    /// <summary>The catalogue of <paramref name="rows"/> that another process read from <paramref name="files"/> and filed (a cluster task's share of its plan's).</summary>
    public static ReleasedCatalogue Filed(CatalogueRows rows, NotInCatalogues request, IReadOnlyList<CatalogueFileSummary> files) =>
        new(rows, request.RadiusArcsec, request.AnyScan, files);

    private ReleasedCatalogue(CatalogueRows rows, NotInCatalogues request, List<CatalogueFileSummary> files)
        : this(rows, request.RadiusArcsec, request.AnyScan, files) { }

    private ReleasedCatalogue(CatalogueRows rows, double radiusArcsec, bool anyScan, IReadOnlyList<CatalogueFileSummary> files)
    {
        _radiusArcsec = radiusArcsec;
        _anyScan = anyScan;
        _index = new SkyIndex(rows.Ra, rows.Dec, _anyScan ? default : rows.ScanKey, Math.Max(_radiusArcsec, 0.5));
        Files = files;
    }

    /// <summary>A row of the catalogue lies within the radius of (ra, dec), of scan <paramref name="scanKey"/> unless any scan will do.</summary>
    public bool Holds(long scanKey, double raDeg, double decDeg) =>
        _index.Within(_anyScan ? 0 : scanKey, raDeg, decDeg, _radiusArcsec).Count > 0;

    /// <summary>The catalogues read (<see cref="CatalogueFiles.Read"/>; the rows <paramref name="keep"/> holds kept), or the first fatal error as one line.</summary>
    public static (ReleasedCatalogue? Catalogue, string? Error) Read(NotInCatalogues request, MergeOptions options, Action<string>? leftOut,
        Func<double, double, bool>? keep = null, Action<ExtractionBlock, int>? sink = null)
    {
        if (RadiusError(request) is string badRadius) return (null, badRadius);
        var (rows, files, error) = CatalogueFiles.Read(request.Paths, options, KindOf(request), "--not-in", "their extractions stay in the merge", leftOut, keep, sink);
        return error is not null ? (null, Explained(error, request)) : (new ReleasedCatalogue(rows!, request, files!), null);
    }

    /// <summary>
    /// What stops the catalogues of <paramref name="request"/> that shows before their rows (<see cref="CatalogueFiles.StartError"/>):
    /// a merge that reads them after its inputs still stops at a bad one before any work.
    /// </summary>
    public static string? StartError(NotInCatalogues request, MergeOptions options) =>
        RadiusError(request) ?? (CatalogueFiles.StartError(request.Paths, options, KindOf(request), "--not-in") is string error ? Explained(error, request) : null);

    internal static string? RadiusError(NotInCatalogues request) =>
        request.RadiusArcsec > 0 && request.RadiusArcsec <= NotInCatalogues.MostRadiusArcsec
            ? null : $"--not-in-radius must be in (0, {NotInCatalogues.MostRadiusArcsec}] arcsec, got {request.RadiusArcsec}";

    internal static TableKind KindOf(NotInCatalogues request) =>
        request.AnyScan ? TableKind.CataloguePositions : TableKind.CataloguePositionsAndScans;

    /// <summary>A catalogue's error, with the way out when what it lacks is its rows' scans.</summary>
    internal static string Explained(string error, NotInCatalogues request)
    {
        bool noScans = !request.AnyScan && error.Contains("missing required column '", StringComparison.Ordinal)
            && (error.Contains("'scan") || error.Contains("'date'") || error.Contains("'hemis'"));
        return noScans ? error + " (a catalogue without its rows' scans can be matched on position alone: --not-in-any-scan)" : error;
    }
}

/// <summary>The catalogues of an option (`--not-in`, `--associate`) read for a merge: the rows a match needs, and each file's account.</summary>
internal static class CatalogueFiles
{
    /// <summary>
    /// The first catalogue of <paramref name="now"/> that is not the one <paramref name="recorded"/> lists (by checksum),
    /// as one line naming it and <paramref name="reader"/> (who read it then); null when every one is.
    /// </summary>
    public static string? Changed(string option, IReadOnlyList<CatalogueFileSummary> now, IReadOnlyList<CatalogueFileSummary> recorded, string reader)
    {
        for (int i = 0; i < now.Count; i++)
            if (i >= recorded.Count || now[i].Checksum != recorded[i].Checksum)
                return $"{option} {now[i].Path}: not the catalogue {reader} read ({now[i].Checksum} now, " +
                       $"{(i < recorded.Count ? recorded[i].Checksum : "none")} then)";
        return null;
    }

    /// <summary>
    /// The first fatal error of <paramref name="paths"/> that shows at their start (none named, standard input, a missing
    /// file, a format not told, a missing column, under --strict a bad first row), as <see cref="Read"/> would give it,
    /// from each file read only to its first row: cheap, so a merge that reads its catalogues after its inputs still
    /// stops at a bad one before any work. Null when none shows.
    /// </summary>
    public static string? StartError(IReadOnlyList<string> paths, MergeOptions options, TableKind kind, string option)
    {
        if (Refusal(paths, option) is string refused) return refused;
        var readOptions = new ReadOptions(null, InputFormat.Auto, options.Strict, 1, options.Checksum, kind);
        for (int f = 0; f < paths.Count; f++)
        {
            using var enough = new CancellationTokenSource();
            try
            {
                var read = ExtractionReader.ReadBlocks(paths[f], f, readOptions, 1, _ => enough.Cancel(), enough.Token);
                if (read.Error is not null) return $"{option}: {read.Error}";
            }
            catch (OperationCanceledException) { }   // a row read: its start is sound
        }
        return null;
    }

    /// <summary>What stops <paramref name="option"/>'s catalogues before they are read (none named, standard input, a missing file), as one line.</summary>
    public static string? Refusal(IReadOnlyList<string> paths, string option)
    {
        if (paths.Count == 0) return $"{option} names no catalogue";
        // A cluster's tasks read the catalogues again, and a merge reads them after its inputs: they must be files.
        if (paths.Contains(InputPaths.StandardInput)) return $"{option}: a catalogue is read from a file, not from standard input ('-')";
        if (InputPaths.Problem(paths) is string problem) return $"{option}: {problem}";
        foreach (string path in paths)
            if (!File.Exists(path)) return $"{option}: {Shown.Path(path)}: {InputPaths.NoSuchFile(path)}";
        return null;
    }

    /// <summary>
    /// Every file of <paramref name="paths"/> read through as <paramref name="kind"/>, with the merge's strictness, threads
    /// and checksum, its format and profile found from the file itself (the merge's --profile names the inputs' bulk
    /// layout, and a PSC is not laid out as a working database: its bulk files are told by their 60 columns); a bad row is left out, counted and said to <paramref name="said"/> (what that means for the merge in
    /// <paramref name="leftOut"/>), and under --strict stops the run. The first fatal error instead, as one line
    /// beginning with <paramref name="option"/>. With <paramref name="keep"/> only the rows whose (ra, dec) it holds are kept (a
    /// merge's: those near its inputs; a cluster task's: those near its zone; its plan's: none); every row is still read,
    /// counted and in the checksum.
    /// </summary>
    public static (CatalogueRows? Rows, List<CatalogueFileSummary>? Files, string? Error) Read(IReadOnlyList<string> paths, MergeOptions options,
        TableKind kind, string option, string leftOut, Action<string>? said, Func<double, double, bool>? keep = null,
        Action<ExtractionBlock, int>? sink = null)
    {
        if (Refusal(paths, option) is string refused) return (null, null, refused);
        var readOptions = new ReadOptions(null, InputFormat.Auto, options.Strict, options.Threads, options.Checksum, kind);
        // A full-sky catalogue takes minutes: the display counts its rows against an estimate of them.
        long seen = 0;
        options.Progress?.Stage($"read the {option} catalogues", () => Interlocked.Read(ref seen), paths.Sum(RowEstimate.Of));
        var (rows, read) = CatalogueRows.Read(paths, readOptions, keep, n => Interlocked.Add(ref seen, n), sink);
        var files = new List<CatalogueFileSummary>();
        foreach (var file in read)
        {
            if (file.Error is not null) return (null, null, $"{option}: {file.Error}");
            files.Add(new CatalogueFileSummary
            {
                Path = file.Path, Format = file.Format.Name(), Bytes = file.Bytes, Checksum = file.Checksum,
                RowsRead = file.RowsRead, RowsRejected = file.Rejects.Count,
            });
            if (file.RepeatedHeadersSaid() is string repeated) said?.Invoke($"{option} {repeated}");
            if (file.Rejects.Count > 0)
                said?.Invoke($"{option} {file.Path}: {file.Rejects.Count:N0} of {file.RowsRead:N0} rows left out ({leftOut}), the first: {file.Rejects[0]}");
        }
        return (rows, files, null);
    }
}
