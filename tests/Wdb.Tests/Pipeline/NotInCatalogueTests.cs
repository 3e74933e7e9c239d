using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;
using Wdb.Merge.Streaming;
using static Wdb.Tests.Robustness.RobustSupport;

namespace Wdb.Tests.Pipeline;

/// <summary>
/// The reject-file mode (SPEC §4, `--not-in`): an extraction is left out when a catalogue row of its own scan lies
/// within the radius (any scan with --not-in-any-scan), checked against brute force, held whole, in zones and on a
/// cluster alike, with the catalogues in summary.json and every refusal one line.
/// </summary>
public sealed class NotInCatalogueTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    private static MergeOptions Options(IReadOnlyList<string> inputs, string outDir, FilterOptions filters, int? zoneRows = 0) => new()
    {
        Inputs = inputs, OutDir = outDir, Device = "cpu", Threads = 2, Filters = filters, ZoneRows = zoneRows,
    };

    private static ExtractionBlock ReadAll(IReadOnlyList<string> inputs)
    {
        var rows = new ExtractionBlock(1 << 12);
        for (int f = 0; f < inputs.Count; f++) Assert.Null(ExtractionReader.Read(inputs[f], f, new ReadOptions(), rows).Error);
        return rows;
    }

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// A "PSC" drawn from <paramref name="rows"/>: a third of them, each moved up to 0.45" in a random direction
    /// (about a third beyond the 0.3" radius), one in eight put in another scan; rows of a scan no input has; a row
    /// whose photometry would not parse (not read from a catalogue: it still counts) and one whose dec would not (left out).
    /// </summary>
    private string Catalogue(ExtractionBlock rows, string name, int seed)
    {
        var rnd = new Random(seed);
        var text = new StringBuilder("pts_key,scan_key,ra,dec,j_m\n");
        int key = 1;
        for (int i = 0; i < rows.Count; i += 3)
        {
            double offset = rnd.NextDouble() * 0.45 / 3600.0, angle = rnd.NextDouble() * 2 * Math.PI;
            double dec = rows.Dec[i] + offset * Math.Cos(angle);
            double ra = rows.Ra[i] + offset * Math.Sin(angle) / Math.Cos(rows.Dec[i] * Sky.DegToRad);
            ra = (ra + 360.0) % 360.0;
            long scan = rnd.Next(8) == 0 ? rows.ScanKey[i] + 1 : rows.ScanKey[i];
            text.Append($"{key++},{scan},{R(ra)},{R(dec)},{(i % 300 == 0 ? "bright" : "12.5")}\n");
        }
        text.Append($"{key++},987654321,{R(rows.Ra[1])},{R(rows.Dec[1])},11\n");
        text.Append($"{key},{rows.ScanKey[2]},{R(rows.Ra[2])},north,11\n");
        return _s.Write(name, text.ToString());
    }

    /// <summary>The (file, line) of every row with a catalogue row within the radius, of its scan unless <paramref name="anyScan"/>.</summary>
    private static HashSet<(int, long)> BruteForce(ExtractionBlock rows, ExtractionBlock catalogue, double radiusArcsec, bool anyScan)
    {
        var found = new HashSet<(int, long)>();
        for (int i = 0; i < rows.Count; i++)
            for (int c = 0; c < catalogue.Count; c++)
                if ((anyScan || catalogue.ScanKey[c] == rows.ScanKey[i])
                    && Sky.SeparationArcsec(rows.Ra[i], rows.Dec[i], catalogue.Ra[c], catalogue.Dec[c]) <= radiusArcsec)
                {
                    found.Add((rows.FileIndex[i], rows.Line[i]));
                    break;
                }
        return found;
    }

    private static HashSet<(int, long)> LeftOut(string outDir)
    {
        using var reader = OutputReader.Open(outDir);
        return reader.Extractions().Where(x => x.Reason == RejectReason.FilteredInCatalogue).Select(x => (x.FileIndex, x.Line)).ToHashSet();
    }

    [Theory]
    [InlineData(false, 0.3)]
    [InlineData(true, 0.3)]
    [InlineData(false, 0.2)]
    public void Exactly_the_extractions_brute_force_finds_in_the_catalogue_are_left_out(bool anyScan, double radius)
    {
        var inputs = ZoneMergeTests.MixedInputs(_s, badRow: false, duplicates: false);
        var rows = ReadAll(inputs);
        string psc = Catalogue(rows, "psc.csv", 5);
        var catalogue = new ExtractionBlock(16);
        var read = ExtractionReader.Read(psc, 0, new ReadOptions(Kind: TableKind.CataloguePositionsAndScans), catalogue);
        Assert.Null(read.Error);
        Assert.Single(read.Rejects);   // the dec that would not parse; the photometry is not read

        string outDir = _s.PathOf($"out-{anyScan}-{radius}");
        var outcome = MergeJob.Run(Options(inputs, outDir, new FilterOptions(NotIn: new NotInCatalogues([psc], radius, anyScan))));
        Assert.Null(outcome.Error);
        var expected = BruteForce(rows, catalogue, radius, anyScan);
        // The catalogue must reach both sides of the question: rows matched, rows of a moved or shifted catalogue row not.
        // (On position alone the tile's other apparitions of a catalogued source go too.)
        Assert.InRange(expected.Count, rows.Count / 12, anyScan ? rows.Count * 9 / 10 : rows.Count / 3);
        Assert.Equal(expected.Order(), LeftOut(outDir).Order());
        if (!anyScan) Assert.True(expected.Count < BruteForce(rows, catalogue, radius, anyScan: true).Count, "no catalogue row in another scan near its row");

        var summary = Summary(outDir);
        AssertAccounting(summary);
        Assert.Equal(expected.Count, summary.GetProperty("rejects_by_reason").GetProperty("filtered_in_catalogue").GetInt64());
        Assert.Equal(radius, summary.GetProperty("parameters").GetProperty("not_in_radius_arcsec").GetDouble());
        Assert.Equal(anyScan ? "any scan" : "same scan", summary.GetProperty("parameters").GetProperty("not_in_match").GetString());
        var file = Assert.Single(summary.GetProperty("not_in").EnumerateArray());
        Assert.Equal(psc, file.GetProperty("path").GetString());
        Assert.Equal((long)read.RowsRead, file.GetProperty("rows_read").GetInt64());
        Assert.Equal(1, file.GetProperty("rows_rejected").GetInt64());
        // Where that row is, in the summary too: a --quiet run's log is not there to say it.
        var leftOutWarning = Assert.Single(summary.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("rows left out"));
        Assert.Contains($"the first: {psc}:{File.ReadLines(psc).Count()}:", leftOutWarning.GetString());
        Assert.Equal(read.Checksum, file.GetProperty("checksum").GetString());
        Assert.Null(MergeJob.NotInWarning(Options(inputs, outDir, new FilterOptions(NotIn: new NotInCatalogues([psc], radius, anyScan))), outcome.Summary!));

        // `wdb verify --inputs` checks the catalogue with the inputs: a catalogue changed since is found.
        Assert.Contains(OutputVerifier.Verify(outDir, inputs: true).Results, r => r.Name == psc && r.Status == VerifyStatus.Ok);
        File.AppendAllText(psc, "1,1,1,1,1\n");
        Assert.Contains(OutputVerifier.Verify(outDir, inputs: true).Results, r => r.Name == psc && r.Status != VerifyStatus.Ok);
    }

    [Fact]
    public void Zones_and_a_cluster_write_the_bytes_of_the_merge_held_whole()
    {
        var inputs = ZoneMergeTests.MixedInputs(_s);
        string psc = Catalogue(ReadAll(inputs), "psc.csv", 9);
        var filters = new FilterOptions(MinSnr: 6, ExcludeArtifacts: true, NotIn: new NotInCatalogues([psc]));
        string reference = _s.PathOf("whole");
        Assert.Null(MergeJob.Run(Options(inputs, reference, filters)).Error);
        var whole = Summary(reference);
        Assert.True(whole.GetProperty("rejects_by_reason").GetProperty("filtered_in_catalogue").GetInt64() > 100);
        Assert.True(whole.GetProperty("rejects_by_reason").GetProperty("duplicate_cntr").GetInt64() > 0);

        var (outDirs, _) = ZoneMergeTests.AssertZonesAndClusterMatch(_s, Options(inputs, reference, filters), reference, [37, 500]);
        foreach (string outDir in outDirs)
            Assert.Equal(whole.GetProperty("not_in").ToString(), Summary(outDir).GetProperty("not_in").ToString());
    }

    /// <summary>
    /// A scan's footprint is where it looked: every row read but a duplicate cntr's counts, filtered or merged. So every
    /// group's spos under the filters (--not-in, --min-snr, --exclude-artifacts) is the count of the footprints of all
    /// those rows that cover its mean position, held whole and in zones; and the zone merge's footprint pass needs no
    /// catalogue (a cluster's plan holds none). The footprints of the merged rows alone would give other counts here.
    /// </summary>
    [Fact]
    public void Footprints_are_of_every_row_read_so_filters_do_not_change_them()
    {
        var inputs = ZoneMergeTests.MixedInputs(_s);
        var rows = ReadAll(inputs);
        string psc = Catalogue(rows, "psc.csv", 13);
        var filters = new FilterOptions(MinSnr: 12, ExcludeArtifacts: true, NotIn: new NotInCatalogues([psc]));
        foreach (int? zoneRows in new int?[] { 0, 400 })
        {
            string outDir = _s.PathOf($"filtered-{zoneRows}");
            Assert.Null(MergeJob.Run(Options(inputs, outDir, filters, zoneRows)).Error);
            using var reader = OutputReader.Open(outDir);
            var extractions = reader.Extractions().ToList();
            // A cntr read again is the duplicate (rejects.csv: "cntr N already read"); the first row of it is merged.
            var seen = new HashSet<long>();
            var duplicates = Enumerable.Range(0, rows.Count).OrderBy(i => rows.FileIndex[i]).ThenBy(i => rows.Line[i])
                .Where(i => !seen.Add(rows.Cntr[i])).Select(i => (rows.FileIndex[i], rows.Line[i])).ToHashSet();
            var merged = extractions.Where(x => x.Gcntr >= 0).Select(x => (x.FileIndex, x.Line)).ToHashSet();
            Assert.NotEmpty(duplicates);
            Assert.True(merged.Count < rows.Count * 3 / 4, $"{merged.Count} of {rows.Count} rows merged: the filters took too few to tell");
            var all = ScanFootprints.DeriveFromExtractions(Rows(rows, i => !duplicates.Contains((rows.FileIndex[i], rows.Line[i]))));
            var mergedOnly = ScanFootprints.DeriveFromExtractions(Rows(rows, i => merged.Contains((rows.FileIndex[i], rows.Line[i]))));
            var groups = reader.Groups().ToList();
            Assert.All(groups, g => Assert.Equal(all.CountCovering(g.RaW, g.DecW), g.Spos));
            Assert.Contains(groups, g => mergedOnly.CountCovering(g.RaW, g.DecW) != g.Spos);
        }

        static ExtractionBlock Rows(ExtractionBlock from, Func<int, bool> keep) => from.Select(Enumerable.Range(0, from.Count).Where(keep).ToArray());
    }

    /// <summary>
    /// On one machine the catalogues are read after the inputs and only their rows near the inputs are held: the same
    /// catalogue with 40,000 more rows spread 1-30 deg around the field (interleaved, each of a scan the inputs have)
    /// gives the same tables byte for byte, held whole and in zones, as --not-in and as --associate, and holds the same
    /// rows.
    /// </summary>
    [Fact]
    public void Only_the_catalogue_rows_near_the_inputs_are_held_and_the_rest_change_nothing()
    {
        var inputs = ZoneMergeTests.MixedInputs(_s);
        var rows = ReadAll(inputs);
        string near = Catalogue(rows, "psc.csv", 21);
        var lines = File.ReadAllLines(near).ToList();
        var rnd = new Random(4);
        for (int k = 0; k < 40_000; k++)
        {
            // 1-30 deg from the field's centre (0.05, -20.2) towards any direction.
            double ra = 0.05, dec = -20.2;
            double dist = (1 + 29 * rnd.NextDouble()) * Math.PI / 180, angle = 2 * Math.PI * rnd.NextDouble(), d0 = dec * Math.PI / 180;
            double sinDec = Math.Sin(d0) * Math.Cos(dist) + Math.Cos(d0) * Math.Sin(dist) * Math.Cos(angle);
            double dra = Math.Atan2(Math.Sin(angle) * Math.Sin(dist) * Math.Cos(d0), Math.Cos(dist) - Math.Sin(d0) * sinDec);
            ra = (ra + dra * 180 / Math.PI + 360) % 360;
            dec = Math.Asin(sinDec) * 180 / Math.PI;
            lines.Insert(1 + rnd.Next(lines.Count - 1), $"{9_000_000 + k},{rows.ScanKey[rnd.Next(rows.Count)]},{R(ra)},{R(dec)},13.0");
        }
        string wide = _s.PathOf("psc-wide.csv");
        File.WriteAllLines(wide, lines);

        foreach (int? zoneRows in new int?[] { 0, 400 })
        {
            var held = new List<string>();
            string[] outDirs = [_s.PathOf($"near-{zoneRows}"), _s.PathOf($"wide-{zoneRows}")];
            foreach (var (catalogue, outDir) in new[] { near, wide }.Zip(outDirs))
            {
                var said = new List<string>();
                var options = Options(inputs, outDir, new FilterOptions(MinSnr: 6, NotIn: new NotInCatalogues([catalogue])), zoneRows) with
                {
                    Associate = new AssociateCatalogues([catalogue], 3.0),
                };
                Assert.Null(MergeJob.Run(options, said.Add).Error);
                // Held whole: "N held of M"; in zones: "N filed by zone (...) of M".
                var counts = said.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^(--[a-z-]+): ([\d,]+) (held|filed by zone .*) of ([\d,]+) catalogue rows"))
                    .Where(m => m.Success).ToList();
                Assert.Equal(2, counts.Count);
                held.Add(string.Join(" | ", counts.Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value}")));
                Assert.All(counts, m => Assert.Equal($"{lines.Count - 2 - (catalogue == near ? 40_000 : 0):N0}", m.Groups[4].Value));
                Assert.Equal(zoneRows > 0 ? "filed by zone" : "held", counts[0].Groups[3].Value[..Math.Min(counts[0].Groups[3].Value.Length, zoneRows > 0 ? 13 : 4)]);
            }
            Assert.Equal(held[0], held[1]);
            Assert.True(Summary(outDirs[0]).GetProperty("rejects_by_reason").GetProperty("filtered_in_catalogue").GetInt64() > 100);
            foreach (string file in OutputWriter.FileNames)
                Assert.True(File.ReadAllBytes(Path.Combine(outDirs[0], file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(outDirs[1], file))), file);
        }
    }

    /// <summary>
    /// The same catalogue given to --not-in and --associate (the PSC as the reject file's and the association's) is read
    /// once and gives the tables two reads give: the same file under another name, read twice. Held whole and in zones.
    /// </summary>
    [Fact]
    public void The_same_catalogue_for_not_in_and_associate_is_read_once_with_the_same_tables()
    {
        var inputs = ZoneMergeTests.MixedInputs(_s, badRow: false);
        string psc = Catalogue(ReadAll(inputs), "psc.csv", 4);
        string copy = _s.PathOf("copy-of-psc.csv");
        File.Copy(psc, copy);
        foreach (int? zoneRows in new int?[] { 0, 400 })
        {
            var logs = new List<List<string>>();
            string[] outDirs = [_s.PathOf($"once-{zoneRows}"), _s.PathOf($"twice-{zoneRows}")];
            foreach (var (associated, outDir) in new[] { psc, copy }.Zip(outDirs))
            {
                var said = new List<string>();
                var options = Options(inputs, outDir, new FilterOptions(NotIn: new NotInCatalogues([psc])), zoneRows) with
                {
                    Associate = new AssociateCatalogues([associated], 3.0),
                };
                Assert.Null(MergeJob.Run(options, said.Add).Error);
                logs.Add(said);
            }
            Assert.Contains(logs[0], l => l.StartsWith("--associate: ", StringComparison.Ordinal) && l.Contains("(read once, with --not-in's)"));
            Assert.DoesNotContain(logs[1], l => l.Contains("read once"));
            // Both say the same rows kept, with the same counts of rows read.
            static string Held(List<string> said, string option) => said.Single(l => l.StartsWith(option, StringComparison.Ordinal)).Split(" catalogue rows")[0];
            Assert.Equal(Held(logs[0], "--not-in: "), Held(logs[1], "--not-in: "));
            Assert.Equal(Held(logs[0], "--associate: "), Held(logs[1], "--associate: "));
            var once = Summary(outDirs[0]);
            Assert.Equal(Assert.Single(once.GetProperty("not_in").EnumerateArray()).GetProperty("checksum").GetString(),
                Assert.Single(once.GetProperty("associate").EnumerateArray()).GetProperty("checksum").GetString());
            Assert.True(once.GetProperty("rejects_by_reason").GetProperty("filtered_in_catalogue").GetInt64() > 100);
            foreach (string file in OutputWriter.FileNames.Where(f => f != "summary.json"))
                Assert.True(File.ReadAllBytes(Path.Combine(outDirs[0], file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(outDirs[1], file))), file);
        }
        // The associations count: without them the scores differ.
        string alone = _s.PathOf("not-in-alone");
        Assert.Null(MergeJob.Run(Options(inputs, alone, new FilterOptions(NotIn: new NotInCatalogues([psc])), 0)).Error);
        Assert.False(File.ReadAllBytes(Path.Combine(alone, "extractions.fb")).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_s.PathOf("once-0"), "extractions.fb"))));
    }

    /// <summary>
    /// A cluster's plan reads the catalogues once, after its inputs, and files their rows near the inputs under its tasks'
    /// zones in the work directory (a bad one still stops it before any input is read). No process holds a full-sky PSC
    /// whole, and no task reads it again.
    /// </summary>
    [Fact]
    public void A_cluster_plan_reads_the_catalogues_once_and_files_their_rows_by_task_zone()
    {
        var inputs = ZoneMergeTests.MixedInputs(_s);
        var rows = ReadAll(inputs);
        string psc = Catalogue(rows, "psc.csv", 3);
        var options = Options(inputs, _s.PathOf("out"), new FilterOptions(NotIn: new NotInCatalogues([psc]))) with
        {
            Associate = new AssociateCatalogues([psc], 2.0),
        };
        var said = new List<string>();
        string work = _s.PathOf("work");
        var plan = ClusterMerge.Plan(options, work, 3, "wdb", said.Add);
        Assert.Null(plan.Error);
        // Catalogue's rows: every third input row and two more, one of them unreadable.
        long read = (rows.Count + 2) / 3 + 2;
        Assert.Equal(read, Assert.Single(plan.Summary!.NotIn).RowsRead);
        Assert.Equal(read, Assert.Single(plan.Summary!.Associate).RowsRead);
        Assert.Contains(said, l => Regex.IsMatch(l, $@"^--not-in: [0-9,]+ filed by zone \(each zone holds its own\) of {read - 1:N0} catalogue rows"));
        Assert.Contains(said, l => Regex.IsMatch(l, $@"^--associate: [0-9,]+ filed by zone \(each zone holds its own\) of {read - 1:N0} catalogue rows"));

        // Every readable row lies by some input row, so each is filed under the zone of its declination (and those
        // near a cut under both zones): the zones hold the catalogue's rows, each at least once, and no other.
        var (catalogue, _) = CatalogueRows.Read([psc], new ReadOptions(Kind: TableKind.CataloguePositions));
        var readable = Enumerable.Range(0, catalogue.Count).Select(i => (catalogue.Ra[i], catalogue.Dec[i])).ToHashSet();
        Assert.Equal(read - 1, catalogue.Count);
        int tasks = Convert.ToInt32(plan.Summary.Parameters["cluster_tasks"]);
        Assert.True(tasks > 1);
        foreach (string name in new[] { "not-in", "associate" })
        {
            using var filed = ZoneCatalogue.Open(Path.Combine(work, name));
            Assert.Equal(tasks, filed.Zones);
            var seen = new HashSet<(double, double)>();
            for (int z = 0; z < tasks; z++)
            {
                var zone = filed.RowsOf(z);
                for (int i = 0; i < zone.Count; i++) seen.Add((zone.Ra[i], zone.Dec[i]));
            }
            Assert.Equal(readable.Count, seen.Count);
            Assert.Subset(readable, seen);
        }
    }

    /// <summary>
    /// A cluster's tasks and stitch use the rows the plan filed, not the catalogue files: with the catalogue gone (or
    /// changed) after the plan, the cluster still writes the bytes of `wdb merge`, which read it whole. Filed rows that
    /// are missing stop a task, which names them.
    /// </summary>
    [Fact]
    public void A_cluster_reads_its_catalogues_only_in_the_plan()
    {
        var inputs = ZoneMergeTests.MixedInputs(_s, badRow: false);
        string psc = Catalogue(ReadAll(inputs), "psc.csv", 3);
        var options = Options(inputs, _s.PathOf("whole"), new FilterOptions(NotIn: new NotInCatalogues([psc])), null) with
        {
            Associate = new AssociateCatalogues([psc], 2.0),
        };
        Assert.Null(MergeJob.Run(options).Error);
        string work = _s.PathOf("work");
        var plan = ClusterMerge.Plan(options with { OutDir = _s.PathOf("cluster") }, work, 3, "wdb");
        Assert.Null(plan.Error);
        File.Delete(psc);
        int tasks = Convert.ToInt32(plan.Summary!.Parameters["cluster_tasks"]);
        for (int t = 0; t < tasks; t++) Assert.Null(ClusterMerge.Task(work, t).Error);
        Assert.Null(ClusterMerge.Stitch(work).Error);
        foreach (string file in OutputWriter.FileNames.Where(f => f != "summary.json"))
            Assert.True(File.ReadAllBytes(Path.Combine(_s.PathOf("whole"), file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_s.PathOf("cluster"), file))), file);
        // The summary names the catalogue as the plan read it.
        Assert.Equal(Assert.Single(Summary(_s.PathOf("whole")).GetProperty("not_in").EnumerateArray()).GetProperty("checksum").GetString(),
            Assert.Single(Summary(_s.PathOf("cluster")).GetProperty("not_in").EnumerateArray()).GetProperty("checksum").GetString());

        File.Delete(Path.Combine(work, "not-in.idx"));
        var task = ClusterMerge.Task(work, 1);
        Assert.Equal(MergeJob.InputErrorExit, task.ExitCode);
        Assert.Contains(Path.Combine(work, "not-in"), task.Error);
        Assert.Contains("plan again", task.Error);
        Assert.True(Directory.Exists(Path.Combine(work, "tasks", "1")), "the task's earlier outputs stay");
    }

    /// <summary>
    /// The survey's scans named by (hemis, date, scan), the date as yymmdd in the working database and as yyyy-mm-dd in
    /// the catalogue (IRSA's PSC): the same scan. Hand-made rows 1" apart in one scan, and the same place in another.
    /// </summary>
    [Fact]
    public void Scans_named_by_hemis_date_and_scan_match_whatever_the_date_format_and_a_catalogue_by_another_naming_is_warned_of()
    {
        string wdb = _s.Write("wdb.csv",
            "cntr,hemis,date,scan,ra,dec,j_m,j_msigcom\n" +
            "1,n,990423,17,10.0,20.0,12.0,0.02\n" +
            $"2,n,990423,17,10.0,{R(20.0 + 1.0 / 3600)},12.1,0.02\n" +
            "3,n,990424,17,10.0,20.0,12.0,0.02\n" +
            "4,s,990423,17,10.0,20.0,12.0,0.02\n");
        string psc = _s.Write("psc.csv", "ra,decl,hemis,date,scan,j_m\n10.00001,20.0,n,1999-04-23,17,12.0\n");
        var outcome = MergeJob.Run(Options([wdb], _s.PathOf("out"), new FilterOptions(NotIn: new NotInCatalogues([psc]))));
        Assert.Null(outcome.Error);
        // 10.00001 deg at dec 20: 0.0338" from row 1; row 2 is 1" away; rows 3 and 4 are other scans.
        Assert.Equal([(0, 2L)], LeftOut(_s.PathOf("out")).ToArray());

        // A catalogue whose rows name their scans by scan_key shares none with these inputs: said, not silent.
        string byKey = _s.Write("psc-key.csv", "ra,dec,scan_key\n10.0,20.0,17\n");
        var options = Options([wdb], _s.PathOf("out-key"), new FilterOptions(NotIn: new NotInCatalogues([byKey])));
        var keyed = MergeJob.Run(options);
        Assert.Null(keyed.Error);
        Assert.Empty(LeftOut(_s.PathOf("out-key")));
        Assert.Contains("--not-in-any-scan", MergeJob.NotInWarning(options, keyed.Summary!));
        Assert.Equal([MergeJob.NotInWarning(options, keyed.Summary!)!], WarningsIn(_s.PathOf("out-key")));   // kept for --quiet runs

        // On position alone every scan's row at that place goes, and the warning has no cause.
        options = Options([wdb], _s.PathOf("out-any"), new FilterOptions(NotIn: new NotInCatalogues([byKey], AnyScan: true)));
        var any = MergeJob.Run(options);
        Assert.Equal([(0, 2L), (0, 4L), (0, 5L)], LeftOut(_s.PathOf("out-any")).Order().ToArray());
        Assert.Null(MergeJob.NotInWarning(options, any.Summary!));
        Assert.Empty(WarningsIn(_s.PathOf("out-any")));
    }

    private static List<string> WarningsIn(string outDir)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "summary.json")));
        return doc.RootElement.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
    }

    [Fact]
    public void A_catalogue_that_cannot_be_used_stops_the_run_with_one_line_and_nothing_written()
    {
        string wdb = _s.Write("wdb.csv", "cntr,scan_key,ra,dec\n1,5,10.0,20.0\n");
        string noScans = _s.Write("no-scans.csv", "ra,dec,j_m\n10.0,20.0,12\n");
        string noDec = _s.Write("no-dec.csv", "ra,scan_key\n10.0,5\n");
        var cases = new (NotInCatalogues NotIn, string Expected)[]
        {
            (new([noScans]), "--not-in-any-scan"),
            (new([noDec]), "missing required column 'dec'"),
            (new([_s.PathOf("absent.csv")]), "absent.csv"),
            (new(["-"]), "standard input"),
            (new([noScans], 0), "--not-in-radius must be in (0, 5]"),
            (new([noScans], 6), "--not-in-radius must be in (0, 5]"),
            (new([]), "names no catalogue"),
        };
        foreach (var (notIn, expected) in cases)
            foreach (int? zoneRows in new int?[] { 0, 1000 })
            {
                // The rows are read after the inputs, but what shows at a catalogue's start stops the run before any work.
                string outDir = _s.PathOf("out");
                var said = new List<string>();
                var outcome = MergeJob.Run(Options([wdb], outDir, new FilterOptions(NotIn: notIn), zoneRows), said.Add);
                Assert.Equal(MergeJob.InputErrorExit, outcome.ExitCode);
                Assert.Contains(expected, outcome.Error);
                Assert.DoesNotContain('\n', outcome.Error!);
                Assert.False(Directory.Exists(outDir));
                Assert.DoesNotContain(said, l => l.StartsWith("read ", StringComparison.Ordinal));
            }
        // Under --strict a catalogue's bad row stops the run as an input's would, with its file, line and column: past its
        // first row, after the inputs are read, held whole or in zones, with nothing written and no spill left.
        string badRow = _s.Write("bad-row.csv", "ra,dec,scan_key\n10.0,20.0,5\n10.0,x,5\n");
        foreach (int? zoneRows in new int?[] { 0, 1000 })
        {
            string outDir = _s.PathOf("strict-out");
            var strict = MergeJob.Run(Options([wdb], outDir, new FilterOptions(NotIn: new NotInCatalogues([badRow])), zoneRows) with { Strict = true });
            Assert.Equal(MergeJob.InputErrorExit, strict.ExitCode);
            Assert.Contains($"{badRow}:3:", strict.Error);
            Assert.False(Directory.Exists(outDir));
            Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(outDir)!, "strict-out*"));
        }
    }

    [Fact]
    public void From_the_command_line_the_options_reach_the_merge_and_a_lone_radius_is_refused()
    {
        string wdb = _s.Write("wdb.csv", "cntr,scan_key,ra,dec\n1,5,10.0,20.0\n2,6,10.0,20.0\n");
        string psc = _s.Write("psc.csv", "ra,dec,scan_key\n10.0,20.0,5\n");
        string outDir = _s.PathOf("out");
        var (exit, _, stderr) = WdbProcess.Run("merge", wdb, "--out", outDir, "--device", "cpu", "--not-in", psc, "--not-in-radius", "0.1");
        Assert.True(exit == 0, stderr);
        Assert.Equal([(0, 2L)], LeftOut(outDir).ToArray());
        Assert.Contains("1 catalogue rows", stderr);
        Assert.Equal(0.1, Summary(outDir).GetProperty("parameters").GetProperty("not_in_radius_arcsec").GetDouble());

        (exit, _, stderr) = WdbProcess.Run("merge", wdb, "--out", _s.PathOf("out-any"), "--device", "cpu", "--not-in", psc, "--not-in-any-scan");
        Assert.True(exit == 0, stderr);
        Assert.Equal(2, LeftOut(_s.PathOf("out-any")).Count);

        // Catalogue rows held (those near the inputs) that took over half the memory the run plans for are warned of (here
        // a 1 KB budget); rows far from every input are not held, so they take none.
        string twenty = _s.Write("psc-20.csv", "ra,dec,scan_key\n" + string.Concat(Enumerable.Range(0, 20).Select(k => $"{R(10 + k * 1e-5)},20.0,5\n")));
        string far = _s.Write("psc-far.csv", "ra,dec,scan_key\n" + string.Concat(Enumerable.Range(0, 20).Select(k => $"{k + 30},20.0,5\n")));
        (exit, _, stderr) = WdbProcess.Run("merge", wdb, "--out", _s.PathOf("small"), "--device", "cpu", "--not-in", twenty, "--memory", "1K");
        Assert.True(exit == 0, stderr);
        Assert.Contains("warning: the --not-in and --associate catalogues' 20 rows near the inputs", stderr);
        Assert.Contains("held in memory", stderr);
        Assert.DoesNotContain("held in memory", WdbProcess.Run("merge", wdb, "--out", _s.PathOf("roomy"), "--device", "cpu", "--not-in", twenty).Stderr);
        (exit, _, stderr) = WdbProcess.Run("merge", wdb, "--out", _s.PathOf("far"), "--device", "cpu", "--not-in", far, "--memory", "1K");
        Assert.True(exit == 0, stderr);
        Assert.Matches(@"--not-in: 0 (held|filed by zone \(each zone holds its own\)) of 20 catalogue rows", stderr);
        Assert.DoesNotContain("held in memory", stderr);

        (exit, _, stderr) = WdbProcess.Run("merge", wdb, "--out", _s.PathOf("lone"), "--not-in-radius", "0.1");
        Assert.Equal(2, exit);
        Assert.Contains("go with --not-in CATALOGUE", stderr);
        Assert.False(Directory.Exists(_s.PathOf("lone")));
    }

    /// <summary>
    /// A catalogue read with a predicate keeps the rows it holds (a merge's: those near its inputs) and still reads,
    /// counts and checksums every row.
    /// </summary>
    [Fact]
    public void A_catalogue_read_keeps_the_rows_its_predicate_holds_and_counts_every_row()
    {
        double hi0 = -10.0 + 62.0 / 3600;
        // Rows 1" apart in dec from -10.02 to -9.98 deg: only those in [lo, hi] (inclusive) are kept; all are counted.
        var text = new StringBuilder("ra,dec,scan_key\n");
        var decs = Enumerable.Range(-72, 145).Select(k => -10.0 + k / 3600.0).ToArray();
        foreach (double d in decs) text.Append(CultureInfo.InvariantCulture, $"10,{d:R},1\n");
        string path = _s.Write("strip.csv", text.ToString());
        var (rows, files) = CatalogueRows.Read([path], new ReadOptions(Kind: TableKind.CataloguePositionsAndScans), (_, dec) => dec >= -10.0 - 30.0 / 3600 && dec <= hi0);
        Assert.Equal(decs.Length, Assert.Single(files).RowsRead);
        Assert.Equal(decs.Where(d => d >= -10.0 - 30.0 / 3600 && d <= hi0).ToArray(), rows.Dec);
        Assert.Equal(Enumerable.Repeat(1L, rows.Count), rows.ScanKey);
        Assert.Equal(decs.Select((d, k) => (d, Line: k + 2L)).Where(x => x.d >= -10.0 - 30.0 / 3600 && x.d <= hi0).Select(x => x.Line), rows.Line);
    }

    /// <summary>
    /// A catalogue's layout is its own: an IRSA PSC bulk file (60 columns, no header) is told by its field count even
    /// when the merge's --profile names the inputs' bulk layout (here the generator's).
    /// </summary>
    [Fact]
    public void A_psc_bulk_file_is_read_by_its_own_profile_whatever_the_inputs_profile()
    {
        var sky = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 300, 21, CenterRaDeg: 100, CenterDecDeg: 10));
        string input = _s.PathOf("wdb.bulk");
        TableTextWriter.Write(sky, input);
        var psc = SchemaProfiles.Find("psc")!.Columns.ToList();
        var line = new string[psc.Count];
        var text = new StringBuilder();
        for (int i = 0; i < sky.Count; i += 5)
        {
            Array.Fill(line, "\\N");
            line[psc.IndexOf("ra")] = sky.Ra[i].ToString("R", CultureInfo.InvariantCulture);
            line[psc.IndexOf("dec")] = sky.Dec[i].ToString("R", CultureInfo.InvariantCulture);
            (line[psc.IndexOf("hemis")], line[psc.IndexOf("date")], line[psc.IndexOf("scan")]) = ("n", "1999-04-23", "17");
            line[psc.IndexOf("cntr")] = (i + 1).ToString(CultureInfo.InvariantCulture);
            text.Append(string.Join('|', line)).Append('\n');
        }
        string bulk = _s.Write("psc_aaa.bulk", text.ToString());
        string outDir = _s.PathOf("out");
        var outcome = MergeJob.Run(Options([input], outDir, new FilterOptions(NotIn: new NotInCatalogues([bulk], AnyScan: true))) with { Profile = "wdb" });
        Assert.Null(outcome.Error);
        Assert.Equal("bulk", Assert.Single(Summary(outDir).GetProperty("not_in").EnumerateArray()).GetProperty("format").GetString());
        Assert.Equal(0, Assert.Single(Summary(outDir).GetProperty("not_in").EnumerateArray()).GetProperty("rows_rejected").GetInt64());
        // Every fifth row's own position is in the catalogue: at least those go (others of the same place too).
        var leftOut = LeftOut(outDir);
        Assert.All(Enumerable.Range(0, sky.Count).Where(i => i % 5 == 0), i => Assert.Contains((0, i + 1L), leftOut));   // no header: row i on line i + 1
    }

    [Fact]
    public void A_catalogue_of_ipac_tables_joined_with_cat_is_warned_of_as_an_input_is()
    {
        var inputs = ZoneMergeTests.MixedInputs(_s, badRow: false, duplicates: false);
        var rows = ReadAll(inputs);
        string table = "|ra                   |dec                  |\n|double               |double               |\n" +
                       string.Create(System.Globalization.CultureInfo.InvariantCulture, $" {rows.Ra[0],-21:F9} {rows.Dec[0],-21:F9}\n");
        string psc = _s.Write("joined-psc.tbl", table + table);
        string outDir = _s.PathOf("out-joined");
        Assert.Null(MergeJob.Run(Options(inputs, outDir, new FilterOptions(NotIn: new NotInCatalogues([psc], AnyScan: true)))).Error);
        var warning = Assert.Single(Summary(outDir).GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("IPAC header"));
        Assert.StartsWith($"--not-in {psc}: 1 more IPAC header among the rows, the first on line 4", warning.GetString());
    }
}
