using System.Text;
using Wdb.Core;

namespace Wdb.IO;

/// <summary>The other groups within <paramref name="RadiusArcsec"/> of a group's weighted mean, nearest first.</summary>
public sealed record Neighbourhood(double RadiusArcsec, IReadOnlyList<ConeHit> Groups);

/// <summary>The files of `wdb plot` for one group, as text, before anything is written.</summary>
public sealed record GroupPlotFiles(string LightCurveSvg, string SkySvg, string IndexHtml)
{
    /// <summary>The directory's files, name and content, in the order they are written.</summary>
    public IReadOnlyList<(string Name, string Text)> Files =>
        [(PlotWriter.LightCurveFile, LightCurveSvg), (PlotWriter.SkyFile, SkySvg), (PlotWriter.IndexFile, IndexHtml)];
}

/// <summary>
/// `wdb plot DIR --gcntr N --out PLOTDIR`: a group's light curve, sky plot and web page, in three
/// stages: read the group and its members from a merge output (<see cref="Read"/>), render them
/// (<see cref="Render"/>, pure), publish the directory atomically (<see cref="Publish"/>: a
/// temporary sibling, fsynced, swapped in as the merge output is, <see cref="AtomicDirectory"/>).
/// A failure at any stage comes back as one line and leaves nothing behind. As `wdb export`, it makes no missing
/// parent directory; as `wdb merge`, it claims the directory for the run (<see cref="OutputClaim"/>).
/// </summary>
public static class PlotWriter
{
    public const string LightCurveFile = "lightcurve.svg", SkyFile = "sky.svg", IndexFile = "index.html";
    private static readonly string[] OurFiles = [LightCurveFile, SkyFile, IndexFile];

    /// <summary>
    /// The plots of group <paramref name="gcntr"/> of <paramref name="dir"/> in <paramref name="outDir"/>, which the run
    /// holds from its start: the publish removes the temporary siblings no live run holds, as a killed run's, so a
    /// second run to the same --out, unclaimed, took the first's from under it (its error named that temporary
    /// directory). It is refused instead (<see cref="OutputError.Busy"/>), as a second merge to one output is.
    /// </summary>
    public static OutputError? Write(string dir, long gcntr, string outDir)
    {
        if (OutProblem(outDir) is { } badOut) return badOut;
        using var claim = OutputClaim.Take(outDir, out var busy);
        if (claim is null) return busy;
        var read = Read(dir, gcntr, out var error);
        if (read is not { } found) return error;
        return Publish(outDir, Render(found.Group, found.Members, dir, found.Neighbours));
    }

    /// <summary>
    /// Why <paramref name="outDir"/> cannot be the plots' directory before anything is read: empty, or `-`, which is
    /// standard output to export and the look-ups, while a plot is three files; or its parent is missing
    /// (<see cref="AtomicFile.ParentProblem"/>). Null when it can.
    /// </summary>
    public static OutputError? OutProblem(string outDir) => outDir switch
    {
        "" => new OutputError("--out is empty: name the directory for the plots"),
        Exporter.StandardOutput => new OutputError($"--out -: a plot is a directory ({string.Join(", ", OurFiles)}), not standard output: name the directory"),
        _ => AtomicFile.ParentProblem(outDir),
    };

    /// <summary>The one group a designation names (<see cref="Queries.Named"/>), or why there is not one.</summary>
    public static (long Gcntr, OutputError? Error) GcntrNamed(string dir, string designation)
    {
        try
        {
            using var reader = OutputReader.TryOpen(dir, out var error);
            if (reader is null) return (0, error);
            if (Queries.Named(reader, designation, out string? why) is not { } named) return (0, new OutputError(why!));
            return named.Count switch
            {
                0 => (0, new OutputError($"{dir}: no group with designation {Coordinates.Canonical(designation)}")),
                1 => (named[0].Group.Gcntr, null),
                _ => (0, new OutputError($"{dir}: {named.Count} groups have designation {Coordinates.Canonical(designation)} " +
                                         $"(gcntr {string.Join(", ", named.Select(h => h.Group.Gcntr).Order())}): give --gcntr")),
            };
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            return (0, new OutputError($"cannot read '{Shown.Path(dir)}': {e.Message.ReplaceLineEndings(" ")}"));
        }
    }

    /// <summary>
    /// The group, its members (in time order) and the other groups around it (within
    /// <see cref="GroupPlots.NeighbourRadiusArcsec"/>, nearest first: a cone search, which reads sky.fb), or null and a
    /// one-line error: an unreadable directory or no such gcntr.
    /// </summary>
    public static (GroupRecord Group, IReadOnlyList<MemberRecord> Members, Neighbourhood Neighbours)? Read(string dir, long gcntr, out OutputError? error)
    {
        try
        {
            using var reader = OutputReader.TryOpen(dir, out error);
            if (reader is null) return null;
            if (reader.FindGroup(gcntr) is not GroupRecord group)
            {
                error = new OutputError($"{dir}: no group with gcntr {gcntr}{Queries.WhyNoGroup(reader, gcntr, group => $"--gcntr {group} plots it")}");
                return null;
            }
            var members = reader.MembersOf(gcntr);
            var (ra0, dec0) = GroupPlots.CentreOf(group);
            double radius = GroupPlots.NeighbourRadiusArcsec(GroupPlots.SkyOffsetsOf(ra0, dec0, members));
            var around = SkyKeys.Filed(ra0, dec0) ? reader.Cone(ra0, dec0, radius).Where(h => h.Group.Gcntr != gcntr).ToList() : [];
            return (group, members, new Neighbourhood(radius, around));
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            error = new OutputError($"cannot read group {gcntr} from '{Shown.Path(dir)}': {e.Message.ReplaceLineEndings(" ")}");
            return null;
        }
    }

    /// <summary>The three files' text; <paramref name="source"/> (the merge output) is named on the page; <paramref name="neighbours"/>: the other groups around it, if looked for.</summary>
    public static GroupPlotFiles Render(GroupRecord group, IReadOnlyList<MemberRecord> members, string source, Neighbourhood? neighbours = null)
    {
        var lightCurve = GroupPlots.LightCurveOf(members);
        string lightCurveSvg = GroupPlots.LightCurveSvg(group.Gcntr, lightCurve);
        var (ra0, dec0) = GroupPlots.CentreOf(group);
        var nearby = neighbours is null ? null : GroupPlots.NeighbourOffsetsOf(ra0, dec0, group.Cgid, neighbours.Groups);
        string skySvg = GroupPlots.SkySvg(group, GroupPlots.SkyOffsetsOf(ra0, dec0, members), nearby);
        return new GroupPlotFiles(lightCurveSvg, skySvg, GroupPage.Html(group, members, lightCurve, lightCurveSvg, skySvg, source, neighbours));
    }

    /// <summary>
    /// Writes the files into a temporary sibling of <paramref name="outDir"/> and puts it in
    /// place. An existing <paramref name="outDir"/> is replaced only when it is empty or holds
    /// nothing but a previous plot's files: the old directory is deleted after the swap, and it
    /// must never be one the user keeps other things in. Its parent must exist.
    /// </summary>
    public static OutputError? Publish(string outDir, GroupPlotFiles files)
    {
        if (AtomicFile.ParentProblem(outDir) is { } noParent) return noParent;
        if (OutputWriter.TargetOf(outDir, out var badTarget) is not string target) return badTarget;
        string? tmp = null;
        try
        {
            if (File.Exists(target)) return OutputError.Unwritten($"cannot write plots to '{Shown.Path(outDir)}': it is a file, and the plots are a directory");
            if (Directory.Exists(target)
                && Directory.EnumerateFileSystemEntries(target).Any(e => !OurFiles.Contains(Path.GetFileName(e)) || Directory.Exists(e)))
                return OutputError.Unwritten($"'{Shown.Path(outDir)}' exists and holds more than a wdb plot ({string.Join(", ", OurFiles)}): not replacing it");
            AtomicDirectory.RemoveStale(target);
            tmp = AtomicDirectory.CreateTemp(target);
            foreach (var (name, text) in files.Files) WriteDurably(Path.Combine(tmp, name), text);
            return AtomicDirectory.Publish(tmp, target) is string left ? new OutputError(left, Published: true) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (tmp is not null) TryDelete(tmp);
            return OutputError.Unwritten($"cannot write plots to '{Shown.Path(outDir)}': {AtomicDirectory.AsTarget(e.Message, target).ReplaceLineEndings(" ")}");
        }
        catch
        {
            if (tmp is not null) TryDelete(tmp);
            throw;
        }
    }

    /// <summary>UTF-8 without a byte-order mark (the page declares its charset; SVG defaults to UTF-8), flushed to disk before the rename.</summary>
    private static void WriteDurably(string path, string text)
    {
        using var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        fs.Write(new UTF8Encoding(false).GetBytes(text));
        fs.Flush(flushToDisk: true);
    }

    private static void TryDelete(string dir)
    {
        try { DirectoryTree.Delete(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
