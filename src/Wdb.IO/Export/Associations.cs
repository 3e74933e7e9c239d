using Wdb.Core;

namespace Wdb.IO;

/// <summary>
/// A merged group's association with an external catalogue (SPEC §4, external associations): the candidates within
/// the radius of the group's weighted mean position, and the nearest of them (file, line and cntr when the
/// catalogue has one; its position; the separation). NaN and -1 when there is no candidate.
/// </summary>
public sealed record Association(GroupRecord Group, int Candidates, string ExtFile, long ExtLine, long ExtCntr,
    double ExtRa, double ExtDec, double SepArcsec);

/// <summary>
/// `wdb associate`: every group of a merge output against an external catalogue given in any input format the merge
/// reads (only `ra` and `dec` required: <see cref="TableKind.CataloguePositions"/>), nearest within a radius, with the
/// separation and the count of candidates. The catalogue is held in a <see cref="SkyIndex"/> (declination zones one
/// radius tall, each sorted by RA).
/// </summary>
public static class Associations
{
    /// <summary>Largest radius (arcsec): associations, not a bulk cross-match of everything with everything.</summary>
    public const double MostRadiusArcsec = 600;

    /// <summary>Associates every group of <paramref name="dir"/> (only those with a candidate unless <paramref name="all"/>) and writes the table.</summary>
    /// <param name="coverage">
    /// Whether a catalogue larger than sky.fb keeps only its rows near some group (<see cref="CoveragePays"/>); the
    /// table is the same either way (tests compare them).
    /// </param>
    /// <param name="budget">
    /// The memory the run may plan for and the catalogue rows expected: a catalogue whose rows would take over half of it
    /// at their peak is matched zone by zone (<see cref="WriteByZones"/>); null: held, whatever its size.
    /// </param>
    /// <param name="log">Progress and counts, which --quiet silences.</param>
    /// <param name="leftOut">
    /// Each catalogue file's rows left out of the table (a line a file: the count, the first's file:line:column and reason),
    /// which --quiet must not silence: the table cannot show them. Null: said through <paramref name="log"/>.
    /// </param>
    public static OutputError? Write(string dir, IReadOnlyList<string> catalogues, double radiusArcsec, bool all, bool ipac, TextWriter to,
        Action<string>? log = null, bool coverage = true, AssociateBudget? budget = null, Action<string>? leftOut = null)
    {
        if (!(radiusArcsec > 0 && radiusArcsec <= MostRadiusArcsec))
            return new OutputError($"--radius must be in (0, {MostRadiusArcsec}] arcsec, got {radiusArcsec}");
        if (catalogues.Count == 0) return new OutputError("no external catalogue given");
        if (InputPaths.Problem(catalogues) is string inputProblem) return new OutputError(inputProblem);
        if (ipac && ColumnMaps.IpacPathProblem(catalogues, "catalogue") is string problem) return new OutputError(problem);
        using var reader = OutputReader.TryOpen(dir, out var error);
        if (reader is null) return error;
        SkyCoverage? near;
        double[]? cuts = null;
        int asked = budget is { } planned && reader.HasSkyIndex ? ZonesFor(planned, reader.GroupCount) : 1;
        try
        {
            // One pass over sky.fb gives the coverage and, for a catalogue matched zone by zone, the zones' cuts.
            var cells = coverage && CoveragePays(reader, catalogues) ? new SkyCoverage.Builder() : null;
            if (asked > 1) cuts = ZoneCuts(reader, asked, cells);
            else if (cells is not null) reader.ForEachSkyPosition(cells.Add);
            near = cells?.Within(radiusArcsec);
        }
        catch (InvalidDataException e) { return new OutputError($"cannot read '{Shown.Path(dir)}': {e.Message}"); }
        if (cuts is not null && budget is { } b)
        {
            try
            {
                long peak = b.ExpectedRows * CatalogueBytesPerRow + Math.Min(b.ExpectedRows, reader.GroupCount) * MatchBytes;
                log?.Invoke($"the catalogue's ~{b.ExpectedRows:N0} rows and their matches would take ~{ByteSize.Format(peak)} at their peak, " +
                            $"over half of the {ByteSize.Format(b.MemoryBytes)} this run plans for: matched in {cuts.Length + 1} declination zones, each zone's " +
                            $"rows held in turn (filed under {Shown.Path(Path.GetTempPath())}, 44 bytes a row) against the groups sky.fb files there");
                return WriteByZones(reader, catalogues, radiusArcsec, all, ipac, to, log, leftOut, near, cuts);
            }
            catch (InvalidDataException e) { return new OutputError($"cannot read '{Shown.Path(dir)}': {e.Message}"); }
        }
        var (catalogue, readError) = ExternalCatalogue.Read(catalogues, radiusArcsec, leftOut ?? log, near is null ? null : near.Holds);
        if (catalogue is null) return new OutputError(readError!);
        if (near is not null)
            log?.Invoke($"kept the {catalogue.Count:N0} of {catalogue.RowsRead:N0} catalogue rows that lie near the groups " +
                        $"({near.Cells:N0} cells of {SkyCoverage.CellDeg} deg around sky.fb's positions)");
        bool bySky = !all && reader.HasSkyIndex && catalogue.Count <= reader.GroupCount / GroupsPerRowForSky;
        long matched = 0;
        try
        {
            // Written as the groups are read (a full-sky merge's groups never held at once); a corrupt chunk met on the
            // way ends the table there with the one-line error and exit 2.
            var found = bySky
                ? AroundRows(reader, catalogue, radiusArcsec)
                : reader.FindGroupsEach((ra, dec) => catalogue.Nearest(ra, dec, radiusArcsec) is var n && (n.Candidates > 0 || all) ? n : (Nearest?)null);
            log?.Invoke(bySky ? $"read sky.fb around each of the {catalogue.Count:N0} catalogue rows" : $"reading all {reader.GroupCount:N0} groups");
            Queries.Write(to, Columns.WithPaths("ext_file", catalogues), "associations", ipac, found.Select(f =>
            {
                if (f.Found.Candidates > 0) matched++;
                return catalogue.Describe(f.Group, f.Found);
            }));
        }
        catch (InvalidDataException e) { return new OutputError($"cannot read '{Shown.Path(dir)}': {e.Message}"); }
        log?.Invoke($"{matched:N0} of {reader.GroupCount:N0} groups have a counterpart within {radiusArcsec}\" " +
                    $"among {catalogue.Count:N0} catalogue rows{(near is null ? "" : " kept")}");
        return null;
    }

    /// <summary>The memory `wdb associate` may plan for, and the catalogue rows its files are expected to hold (RowEstimate).</summary>
    public readonly record struct AssociateBudget(long MemoryBytes, long ExpectedRows);

    /// <summary>Bytes a catalogue row takes at its peak, while indexed.</summary>
    public const long CatalogueBytesPerRow = CatalogueRows.PeakBytesPerRow;

    /// <summary>Most zones a catalogue is matched in: each reads every group once.</summary>
    public const int MostZones = 256;

    /// <summary>Bytes a zone's match takes while the zone's are sorted (the record and the list's share).</summary>
    public const long MatchBytes = 64;

    /// <summary>
    /// Zones for a catalogue whose rows, with the matches a zone holds (a group a row at most, typically), would take over
    /// half of the budget at their peak; 1 when they fit. The rows its files hold are counted, not those near the groups
    /// (unknown before the read): a field against a catalogue of the sky is then matched in zones too, which costs it
    /// little (each zone reads only its declinations' sky.fb chunks), where a catalogue crowded about the groups
    /// counted by its share of the sky would be held whole.
    /// </summary>
    internal static int ZonesFor(AssociateBudget budget, long groups)
    {
        long rows = budget.ExpectedRows;
        long bytes = rows * CatalogueBytesPerRow + Math.Min(rows, groups) * MatchBytes, half = Math.Max(1, budget.MemoryBytes / 2);
        return bytes <= half ? 1 : (int)Math.Min(MostZones, (bytes + half - 1) / half);
    }

    /// <summary>
    /// The table for a catalogue too large to hold (a full-sky merge against a full-sky catalogue), with the bytes
    /// <see cref="Write"/> gives holding it: the catalogue read once, its rows near the groups filed under every
    /// declination zone within the radius of them (<see cref="ZoneCatalogue"/>, with cntr, line and file); then zone by
    /// zone, its rows indexed and the groups sky.fb files in the zone's declinations (those bands' chunks alone) matched,
    /// those with a candidate spilled in gcntr order; last, every group read once (groups.fb, for the table's group
    /// columns) beside the zones' matches merged by gcntr. The zones are cut where the groups have equal counts, since a
    /// catalogue's rows and the groups crowd the same sky.
    /// </summary>
    private static OutputError? WriteByZones(OutputReader reader, IReadOnlyList<string> catalogues, double radiusArcsec, bool all, bool ipac,
        TextWriter to, Action<string>? log, Action<string>? leftOut, SkyCoverage? near, double[] cuts)
    {
        RemoveStaleSpills(log);
        string spill = Path.Combine(Path.GetTempPath(), $"{SpillPrefix}{Environment.ProcessId}-{Path.GetRandomFileName().Replace(".", "")}");
        TemporaryPaths.Add(spill);
        try
        {
            List<string> results;
            try
            {
                TemporaryPaths.CreateDirectory(spill);   // not once a signal's stop has begun: it would be left behind
                (results, var readError) = MatchByZones(reader, catalogues, radiusArcsec, log, leftOut, near, cuts, spill);
                if (readError is not null) return new OutputError(readError);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Unfiled(e, spill); }
            long matchedGroups = 0;
            try
            {
                // Standard output's failures go on to the verb, which says them as its own (exit 3); a table cut short
                // by the spill's read-back is the spill's.
                Queries.Write(to, Columns.WithPaths("ext_file", catalogues), "associations", ipac, Joined(reader, Spilled.Merge(results), catalogues, all).Select(a =>
                {
                    if (a.Candidates > 0) matchedGroups++;
                    return a;
                }));
            }
            catch (SpillReadFailed e) { return Unfiled(e.InnerException!, spill); }
            log?.Invoke($"{matchedGroups:N0} of {reader.GroupCount:N0} groups have a counterpart within {radiusArcsec}\" ({cuts.Length + 1} zones)");
            return null;
        }
        finally
        {
            try { if (Directory.Exists(spill)) Directory.Delete(spill, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { log?.Invoke($"could not remove '{Shown.Path(spill)}': {e.Message}"); }
            TemporaryPaths.Remove(spill);
        }
    }

    /// <summary>
    /// The catalogue's rows near the groups filed by zone under <paramref name="spill"/>, and each zone's matches found and
    /// spilled there in gcntr order: their files, or a catalogue's fatal error. A failure to write the spill is thrown.
    /// </summary>
    private static (List<string> Results, string? ReadError) MatchByZones(OutputReader reader, IReadOnlyList<string> catalogues, double radiusArcsec,
        Action<string>? log, Action<string>? leftOut, SkyCoverage? near, double[] cuts, string spill)
    {
        var results = new List<string>();
        using var filed = new ZoneCatalogue(Path.Combine(spill, "rows"), cuts, radiusArcsec + ZoneCatalogue.MarginArcsec, sources: true);
        if (ExternalCatalogue.ReadInto(catalogues, leftOut ?? log, near is null ? null : near.Holds, filed.Add) is string readError)
            return (results, readError);
        filed.EndWrites();
        log?.Invoke($"filed {filed.Filed:N0} catalogue rows by zone{(near is null ? "" : " (those near some group)")}, {filed.LargestZone:N0} in the largest");
        for (int z = 0; z <= cuts.Length; z++)
        {
            var catalogue = ExternalCatalogue.Of(filed.RowsOf(z), radiusArcsec, catalogues);
            double lo = z == 0 ? double.NegativeInfinity : cuts[z - 1], hi = z == cuts.Length ? double.PositiveInfinity : cuts[z];
            var found = reader.ProbeSkyIn(lo, hi, (gcntr, ra, dec) =>
                catalogue.Nearest(ra, dec, radiusArcsec) is { Candidates: > 0 } n ? Spilled.Of(gcntr, ra, dec, n, catalogue) : (Spilled?)null)!;
            var matched = found.SelectMany(f => f).ToList();
            matched.Sort((a, b) => a.Gcntr.CompareTo(b.Gcntr));
            string path = Path.Combine(spill, $"found-{z}");
            using (var w = new BinaryWriter(new BufferedStream(File.Create(path), 1 << 20)))
                foreach (var m in matched) m.Write(w);
            results.Add(path);
        }
        return (results, null);
    }

    /// <summary>
    /// The spill under TMPDIR could not be written or read back (full, read-only): an unwritable place (exit 3), said where
    /// it is and what chooses it, the user having named none; the spill's own paths, removed by now, left out.
    /// </summary>
    private static OutputError Unfiled(Exception e, string spill) =>
        OutputError.Unwritten($"cannot match the catalogue zone by zone {TemporaryPaths.UnderTmpdir()}: {OutputError.SystemReasonOf(e, spill)}");

    /// <summary>A spilled match file that could not be read back: told from standard output's failures, which are the verb's to say.</summary>
    private sealed class SpillReadFailed(IOException inner) : IOException(inner.Message, inner);

    /// <summary>
    /// The table's rows from the zones' matches (in gcntr order, a group's in one zone). With --all every group, read in
    /// gcntr order beside them: a group with a match as it was found, one without as
    /// <see cref="ExternalCatalogue.Describe"/> gives it. Without, only the matched groups, looked up a batch at a time
    /// (<see cref="OutputReader.GroupsFiledAt"/>: each groups.fb chunk read once for the batch's groups it holds).
    /// </summary>
    private static IEnumerable<Association> Joined(OutputReader reader, IEnumerable<Spilled> matches, IReadOnlyList<string> catalogues, bool all)
    {
        if (!all)
        {
            foreach (var batch in matches.Chunk(MatchBatch))
            {
                var at = batch.ToDictionary(m => m.Gcntr, m => (m.GroupRa, m.GroupDec));
                var groups = reader.GroupsFiledAt([.. batch.Select(m => m.Gcntr)], g => at[g]);
                for (int i = 0; i < batch.Length; i++) yield return Of(groups[i], batch[i]);
            }
            yield break;
        }
        using var next = matches.GetEnumerator();
        bool more = next.MoveNext();
        foreach (var (group, _) in reader.FindGroupsEach(static (_, _) => (byte?)0))
        {
            if (more && next.Current.Gcntr == group.Gcntr)
            {
                yield return Of(group, next.Current);
                more = next.MoveNext();
            }
            else yield return NoCandidate(group);
        }
        if (more) throw new InvalidDataException($"sky.fb files group {next.Current.Gcntr}, which groups.fb does not hold (mixed-up output)");

        Association Of(GroupRecord group, Spilled m) =>
            new(group, m.Candidates, catalogues[m.File], m.Line, m.Cntr, m.Ra, m.Dec, m.SepArcsec);
    }

    /// <summary>A group's row with no candidate within the radius.</summary>
    private static Association NoCandidate(GroupRecord group) => new(group, 0, "", -1, -1, double.NaN, double.NaN, double.NaN);

    /// <summary>Matched groups looked up at once without --all (~1 KB each while decoded): memory for a batch, not for all.</summary>
    private const int MatchBatch = 1 << 18;

    private const string SpillPrefix = "wdb-associate-";

    /// <summary>
    /// The rows filed by runs that were killed (a process of that id no longer runs), removed: nothing else would, and a
    /// full-sky catalogue's are tens of GB. A live run's are left alone, whoever's they are.
    /// </summary>
    internal static void RemoveStaleSpills(Action<string>? log)
    {
        IEnumerable<string> found;
        try { found = Directory.EnumerateDirectories(Path.GetTempPath(), SpillPrefix + "*"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        foreach (string dir in found)
        {
            string name = Path.GetFileName(dir)[SpillPrefix.Length..];
            int dash = name.IndexOf('-');
            if (dash <= 0 || !int.TryParse(name[..dash], out int pid) || IsRunning(pid)) continue;
            try
            {
                Directory.Delete(dir, recursive: true);
                log?.Invoke($"removed '{dir}', left by an interrupted run");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>
    /// <paramref name="zones"/> zones' cuts, where the groups' mean declinations (sky.fb, in 0.01 deg bins) reach each
    /// k/zones of them; equal areas of the sphere when it files no group. A cut repeated (a dense bin) is dropped.
    /// <paramref name="cells"/>, when given, is told every position in the same pass (the coverage).
    /// </summary>
    internal static double[] ZoneCuts(OutputReader reader, int zones, SkyCoverage.Builder? cells = null)
    {
        const int Bins = 18_000;
        var counts = new long[Bins];
        long total = 0;
        if (!reader.ForEachSkyPosition((ra, dec) =>
            {
                cells?.Add(ra, dec);
                if (!double.IsFinite(dec)) return;
                counts[Math.Clamp((int)((dec + 90.0) * (Bins / 180.0)), 0, Bins - 1)]++;
                total++;
            }) || total == 0)
            return [.. Enumerable.Range(1, zones - 1).Select(k => Math.Asin(-1.0 + 2.0 * k / zones) * 180.0 / Math.PI)];
        var cuts = new List<double>();
        long seen = 0;
        for (int bin = 0, k = 1; bin < Bins && k < zones; bin++)
        {
            seen += counts[bin];
            for (; k < zones && seen * zones >= total * k; k++)
            {
                double cut = -90.0 + (bin + 1) * (180.0 / Bins);
                if (cuts.Count == 0 || cuts[^1] < cut) cuts.Add(cut);
            }
        }
        return [.. cuts];
    }

    /// <summary>
    /// A group's match as a zone spills it (72 bytes): its gcntr and position as sky.fb files it, the count, and the nearest
    /// row's file, line, cntr and position, with the separation. The zones' spills are read back merged by gcntr.
    /// </summary>
    private readonly record struct Spilled(long Gcntr, double GroupRa, double GroupDec, int Candidates, int File, long Line, long Cntr,
        double Ra, double Dec, double SepArcsec)
    {
        public static Spilled Of(long gcntr, double groupRa, double groupDec, Nearest n, ExternalCatalogue c)
        {
            var (file, line, cntr, ra, dec) = c.RowOf(n.Row);
            return new Spilled(gcntr, groupRa, groupDec, n.Candidates, file, line, cntr, ra, dec, n.SepArcsec);
        }

        public void Write(BinaryWriter w)
        {
            w.Write(Gcntr); w.Write(GroupRa); w.Write(GroupDec); w.Write(Candidates); w.Write(File); w.Write(Line); w.Write(Cntr);
            w.Write(Ra); w.Write(Dec); w.Write(SepArcsec);
        }

        private static BinaryReader OpenBack(string path)
        {
            try { return new BinaryReader(new BufferedStream(System.IO.File.OpenRead(path), 1 << 20)); }
            catch (IOException e) { throw new SpillReadFailed(e); }
        }

        private static Spilled? ReadBack(BinaryReader r)
        {
            try { return Read(r); }
            catch (IOException e) { throw new SpillReadFailed(e); }
        }

        private static Spilled? Read(BinaryReader r) => r.BaseStream.Position == r.BaseStream.Length
            ? null
            : new Spilled(r.ReadInt64(), r.ReadDouble(), r.ReadDouble(), r.ReadInt32(), r.ReadInt32(), r.ReadInt64(), r.ReadInt64(),
                r.ReadDouble(), r.ReadDouble(), r.ReadDouble());

        /// <summary>Every zone's matches, by gcntr (each zone's are in gcntr order).</summary>
        /// <exception cref="SpillReadFailed">A file could not be opened or read.</exception>
        public static IEnumerable<Spilled> Merge(IReadOnlyList<string> paths)
        {
            var readers = new List<BinaryReader>();
            try
            {
                foreach (string p in paths) readers.Add(OpenBack(p));
                var heads = new PriorityQueue<(int Zone, Spilled Match), long>();
                for (int z = 0; z < readers.Count; z++)
                    if (ReadBack(readers[z]) is { } m) heads.Enqueue((z, m), m.Gcntr);
                while (heads.TryDequeue(out var head, out _))
                {
                    yield return head.Match;
                    if (ReadBack(readers[head.Zone]) is { } m) heads.Enqueue((head.Zone, m), m.Gcntr);
                }
            }
            finally
            {
                foreach (var r in readers) r.Dispose();
            }
        }
    }

    /// <summary>
    /// Whether the catalogue keeps only its rows within the radius of some group (a <see cref="SkyCoverage"/> of every
    /// position sky.fb files): for a catalogue whose files are larger than sky.fb (24 bytes a group), so that a merge of a
    /// field against a catalogue of the whole sky (a PSC, Gaia) holds the field's rows, not the sky's. Not without
    /// sky.fb. A catalogue on standard input counts as large (its size is not known, and holding a large one whole is
    /// the worse mistake). A row the coverage refuses lies beyond the radius of every group, so it is no group's
    /// candidate: the table does not change.
    /// </summary>
    internal static bool CoveragePays(OutputReader reader, IReadOnlyList<string> catalogues)
    {
        long catalogueBytes = catalogues.Sum(p => p == InputPaths.StandardInput ? long.MaxValue / 4 : File.Exists(p) ? new FileInfo(p).Length : 0);
        return reader.HasSkyIndex && catalogueBytes > reader.GroupCount * SkyEntryStruct.Bytes;
    }

    /// <summary>
    /// Groups per catalogue row above which the groups near each row are looked up in sky.fb instead of every group being
    /// read (without --all, which lists every group). A look-up around a row costs about a millisecond, reading the groups
    /// ~0.2 us a group (bench/NOTES.md 98).
    /// </summary>
    public const long GroupsPerRowForSky = 2000;

    /// <summary>
    /// The groups some catalogue row lies within the radius of, in gcntr order, with what the scan would find for each: the
    /// groups sky.fb files around each row (a hair further, since the separation measured from the row may round apart
    /// from the one measured from the group), then each measured from the group against the whole catalogue, as the
    /// scan measures it. The same rows as <see cref="OutputReader.FindGroups{T}"/> gives, from a few reads a row.
    /// </summary>
    internal static List<(GroupRecord Group, Nearest Found)> AroundRows(OutputReader reader, ExternalCatalogue catalogue, double radiusArcsec)
    {
        double reach = radiusArcsec * (1 + 1e-9) + 1e-6;
        var filed = reader.SkyWithinEach(catalogue.Count, catalogue.PositionOf, reach)!
            .SelectMany(hits => hits).DistinctBy(h => h.Gcntr).ToDictionary(h => h.Gcntr, h => (h.Ra, h.Dec));
        var kept = new List<(long Gcntr, Nearest Found)>();
        foreach (long gcntr in filed.Keys.Order())
        {
            var (ra, dec) = filed[gcntr];
            if (catalogue.Nearest(ra, dec, radiusArcsec) is { Candidates: > 0 } n) kept.Add((gcntr, n));
        }
        var groups = reader.GroupsFiledAt([.. kept.Select(k => k.Gcntr)], g => filed[g]);
        return [.. groups.Zip(kept, (g, k) => (g, k.Found))];
    }

    /// <summary>The candidates of one position: how many, and the nearest (its row in the catalogue, -1 for none).</summary>
    public readonly record struct Nearest(int Candidates, int Row, double SepArcsec);

    /// <summary>An external catalogue's rows as read (file by file, line by line), found by position through a <see cref="SkyIndex"/>.</summary>
    public sealed class ExternalCatalogue
    {
        // The columns a match reports, in the order read.
        private readonly double[] _ra, _dec;
        private readonly long[] _cntr, _line;
        private readonly int[] _file;
        private readonly SkyIndex _index;
        private readonly IReadOnlyList<string> _paths;

        public int Count => _ra.Length;
        /// <summary>The rows read without fault, kept or not (<see cref="Count"/> where every one is kept).</summary>
        public long RowsRead { get; private init; }

        /// <summary>Row <paramref name="row"/>'s position (deg), rows counted in the order read.</summary>
        public (double Ra, double Dec) PositionOf(int row) => (_ra[row], _dec[row]);

        /// <summary>Row <paramref name="row"/>'s file (as given) and line.</summary>
        public (string File, long Line) SourceOf(int row) => (_paths[_file[row]], _line[row]);

        private ExternalCatalogue(CatalogueRows rows, double radiusArcsec, IReadOnlyList<string> paths)
        {
            (_ra, _dec, _cntr, _line, _file) = (rows.Ra, rows.Dec, rows.Cntr, rows.Line, rows.FileIndex);
            _paths = paths;
            // Zones one radius tall (at least 1"): a query looks at three of them, or two.
            _index = new SkyIndex(_ra, _dec, default, Math.Max(radiusArcsec, 1.0));
        }

        /// <summary>
        /// Every catalogue file read through (its bad rows counted and said to <paramref name="leftOut"/>, not fatal), or the
        /// first fatal error; only the rows whose (ra, dec) <paramref name="keep"/> holds are kept, when given.
        /// </summary>
        public static (ExternalCatalogue? Catalogue, string? Error) Read(IReadOnlyList<string> paths, double radiusArcsec, Action<string>? leftOut = null,
            Func<double, double, bool>? keep = null)
        {
            var (rows, files) = CatalogueRows.Read(paths, new ReadOptions(Kind: TableKind.CataloguePositions), keep);
            return Checked(files, leftOut) is string error
                ? (null, error)
                : (new ExternalCatalogue(rows, radiusArcsec, paths) { RowsRead = files.Sum(f => f.RowsRead - f.Rejects.Count) }, null);
        }

        /// <summary>As <see cref="Read"/>, the rows kept handed to <paramref name="sink"/> (a block and its kept rows' count) instead of held; the first fatal error, or null.</summary>
        public static string? ReadInto(IReadOnlyList<string> paths, Action<string>? leftOut, Func<double, double, bool>? keep, Action<ExtractionBlock, int> sink) =>
            Checked(CatalogueRows.Read(paths, new ReadOptions(Kind: TableKind.CataloguePositions), keep, sink: sink).Files, leftOut);

        /// <summary>The rows of <paramref name="paths"/> as read and kept elsewhere (a zone's share of them), found by position.</summary>
        public static ExternalCatalogue Of(CatalogueRows rows, double radiusArcsec, IReadOnlyList<string> paths) => new(rows, radiusArcsec, paths) { RowsRead = rows.Count };

        /// <summary>
        /// Each file's bad rows said, a line a file (they are left out, not fatal), with the first's file:line:column and
        /// reason as the merge's rejects.csv gives them, and IPAC headers repeated among its rows (tables joined with cat,
        /// their rows read under the first header's columns), as the merge warns of them; the first fatal error, or null.
        /// </summary>
        private static string? Checked(IReadOnlyList<FileReadResult> files, Action<string>? leftOut)
        {
            foreach (var read in files)
            {
                if (read.Error is not null) return read.Error.ToString();
                if (read.RepeatedHeadersSaid() is string repeated) leftOut?.Invoke(repeated);
                if (read.Rejects.Count > 0)
                    leftOut?.Invoke($"{read.Path}: {read.Rejects.Count:N0} of {read.RowsRead:N0} rows left out, the first: {read.Rejects[0]}");
            }
            return null;
        }

        /// <summary>Row <paramref name="row"/>'s file (its index among the paths), line, cntr and position.</summary>
        public (int File, long Line, long Cntr, double Ra, double Dec) RowOf(int row) => (_file[row], _line[row], _cntr[row], _ra[row], _dec[row]);

        /// <summary>The candidates within <paramref name="radiusArcsec"/> of (ra, dec) and the nearest (the first in (file, line) between equals).</summary>
        public Nearest Nearest(double raDeg, double decDeg, double radiusArcsec)
        {
            var found = _index.Within(0, raDeg, decDeg, radiusArcsec);
            return new Nearest(found.Count, found.Nearest, found.SepArcsec);
        }

        public Association Describe(GroupRecord group, Nearest n) => n.Row < 0
            ? NoCandidate(group)
            : new Association(group, n.Candidates, _paths[_file[n.Row]], _line[n.Row], _cntr[n.Row], _ra[n.Row], _dec[n.Row], n.SepArcsec);
    }

    /// <summary>The table's columns: the group's id and position, the candidates, the nearest.</summary>
    public static readonly IReadOnlyList<Column<Association>> Columns =
    [
        Long("gcntr", "", "group id (smallest member cntr)", a => a.Group.Gcntr),
        Real("ra_w", "deg", "group's weighted mean right ascension", a => a.Group.RaW),
        Real("dec_w", "deg", "group's weighted mean declination", a => a.Group.DecW),
        Long("n_members", "", "extractions in the group", a => a.Group.NMembers),
        Long("n_candidates", "", "catalogue rows within the radius", a => a.Candidates),
        Real("sep_arcsec", "arcsec", "separation of the nearest candidate (empty when none)", a => a.SepArcsec),
        new Column<Association> { Name = "ext_file", Kind = ColumnKind.Text, Description = "catalogue file of the nearest candidate", String = a => a.ExtFile },
        Long("ext_line", "", "its line in that file (-1 when none)", a => a.ExtLine),
        Long("ext_cntr", "", "its cntr column (0 when the catalogue has none; -1 when no candidate)", a => a.ExtCntr),
        Real("ext_ra", "deg", "its right ascension", a => a.ExtRa),
        Real("ext_dec", "deg", "its declination", a => a.ExtDec),
    ];

    private static Column<Association> Long(string name, string unit, string doc, Func<Association, long> get) =>
        new() { Name = name, Kind = ColumnKind.Long, Unit = unit, Description = doc, Integer = get };

    private static Column<Association> Real(string name, string unit, string doc, Func<Association, double> get) =>
        new() { Name = name, Kind = ColumnKind.Double, Unit = unit, Description = doc, Real = get };
}
