using System.Text.Json;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;
using Wdb.Merge.Link;
using Wdb.Merge.Streaming;
using static Wdb.Tests.Robustness.RobustSupport;

namespace Wdb.Tests.Pipeline;

/// <summary>
/// The zone merge (docs/streaming.md) writes the same bytes as the in-memory merge, whatever
/// the zone size: every table, index and rejects.csv, and the same counts in the summary.
/// </summary>
public sealed class ZoneMergeTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    private static MergeOutcome Merge(IReadOnlyList<string> inputs, string outDir, int zoneRows, string device = "cpu",
        FilterOptions? filters = null, string? spill = null, bool strict = false, int threads = 2, Action<string>? log = null,
        int filesAtOnce = 0) =>
        MergeJob.Run(new MergeOptions
        {
            Inputs = inputs, OutDir = outDir, Device = device, Threads = threads, ZoneRows = zoneRows,
            Filters = filters ?? new FilterOptions(), SpillDirectory = spill, Strict = strict, FilesAtOnce = filesAtOnce,
        }, log);

    /// <summary>The outputs that must come out byte for byte the same (summary.json holds times).</summary>
    internal static readonly IReadOnlyList<string> ComparedFiles = OutputWriter.FileNames;

    /// <summary>
    /// <paramref name="options"/> merged in zones of each of <paramref name="zoneRows"/> rows and on a cluster of
    /// <paramref name="tasks"/> tasks (run last to first), each against <paramref name="reference"/> (the same options
    /// held whole): the same rejects and filtered rows by reason, and the same bytes in every table. Returns the
    /// output directories and the cluster's work directory, for more checks.
    /// </summary>
    internal static (List<string> OutDirs, string Work) AssertZonesAndClusterMatch(Scratch scratch, MergeOptions options, string reference,
        int[] zoneRows, int tasks = 3)
    {
        var outDirs = new List<string>();
        foreach (int rows in zoneRows)
        {
            string outDir = scratch.PathOf($"zones-{rows}");
            Assert.Null(MergeJob.Run(options with { OutDir = outDir, ZoneRows = rows }).Error);
            outDirs.Add(outDir);
        }
        string work = scratch.PathOf("work"), cluster = scratch.PathOf("cluster");
        var plan = ClusterMerge.Plan(options with { OutDir = cluster, ZoneRows = null }, work, tasks, "wdb");
        Assert.Null(plan.Error);
        for (int t = Convert.ToInt32(plan.Summary!.Parameters["cluster_tasks"]) - 1; t >= 0; t--) Assert.Null(ClusterMerge.Task(work, t).Error);
        Assert.Null(ClusterMerge.Stitch(work).Error);
        outDirs.Add(cluster);
        var whole = Summary(reference);
        foreach (string outDir in outDirs)
        {
            Assert.Equal(Reasons(whole), Reasons(Summary(outDir)));
            foreach (string file in ComparedFiles)
                Assert.True(Sha256(Path.Combine(reference, file)) == Sha256(Path.Combine(outDir, file)), $"{outDir}: {file} differs");
        }
        return (outDirs, work);
    }

    private static readonly string[] ComparedCounts =
        ["rows_read", "rows_merged", "rows_rejected", "candidate_groups", "groups", "confused_candidate_groups", "unresolved_candidate_groups"];

    /// <summary>
    /// A calibration tile (dense, confused groups: components reach over many small zones)
    /// and a survey strip 1.5 deg tall across RA 0/360, in two files; the second file repeats
    /// some cntr of the first (duplicates) and has an unreadable row.
    /// </summary>
    private string[] Inputs(bool badRow = true, bool duplicates = true, long stripCntrFrom = 1_000_000_000) =>
        MixedInputs(_s, badRow, duplicates, stripCntrFrom);

    /// <summary><see cref="Inputs"/> in <paramref name="scratch"/>: the cluster's tests merge the same tables.</summary>
    internal static string[] MixedInputs(Scratch scratch, bool badRow = true, bool duplicates = true, long stripCntrFrom = 1_000_000_000)
    {
        var tile = SyntheticSky.Generate(new GeneratorOptions(SkyKind.CalTile, 40, 3, Scans: 18, CenterRaDeg: 0.1, CenterDecDeg: -20));
        var strip = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 500, 8, CenterRaDeg: 0.0, CenterDecDeg: -20.5));
        for (int i = 0; i < strip.Count; i++) strip.Cntr[i] += stripCntrFrom;   // generated cntr start at 1 in both
        string a = scratch.PathOf("tile.csv");
        TableTextWriter.Write(tile, a);
        string b = scratch.PathOf("strip.csv");
        TableTextWriter.Write(strip, b);
        // Duplicates: three tile rows again at the end of the strip file, plus a bad row.
        var lines = File.ReadAllLines(a);
        var extra = new List<string>();
        if (duplicates) extra.AddRange([lines[5], lines[40], lines[41]]);
        if (badRow) extra.Add("oops,this,is,not,a,row");
        File.AppendAllLines(b, extra);
        return [a, b];
    }

    /// <summary>
    /// Rows 30 deg apart under one scan id (two tables' ids colliding): held whole, in zones and on a cluster, the run
    /// warns with the ids and the boxes' extents, on its log and in summary.json's `warnings` (a --quiet run's only
    /// record), and its tables are the same; the generated tile and survey strip, real scans, give no such warning.
    /// </summary>
    [Fact]
    public void A_scan_id_shared_by_rows_far_apart_is_warned_of_on_the_log_and_in_the_summary()
    {
        string collided = _s.PathOf("collided.csv");
        File.WriteAllText(collided, "cntr,scan_key,ra,dec\n1,5,10.0,0.0\n2,6,10.0001,0.0\n3,5,10.0,30.0\n4,6,40.0,30.0\n5,7,10.0,30.0001\n");
        const string Expected = "2 scan footprints span more than 10 deg (a 2MASS scan covers 6 deg by 8.5'): scan id 5 (0.0 x 30.0 deg), 6 (";
        var lines = new List<string>();
        string reference = _s.PathOf("collided-whole");
        Assert.Null(Merge([collided], reference, zoneRows: 0, log: lines.Add).Error);
        Assert.StartsWith("warning: " + Expected, Assert.Single(lines, l => l.Contains("scan footprint")));
        var options = new MergeOptions { Inputs = [collided], OutDir = "x", Device = "cpu", Threads = 2 };
        var (outDirs, _) = AssertZonesAndClusterMatch(_s, options, reference, zoneRows: [2], tasks: 2);
        foreach (string outDir in outDirs.Prepend(reference))
        {
            var warnings = Summary(outDir).GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
            Assert.StartsWith(Expected, Assert.Single(warnings));
        }
        var quiet = new List<string>();
        string real = _s.PathOf("real");
        Assert.Null(Merge(Inputs(), real, zoneRows: 0, log: quiet.Add).Error);
        Assert.DoesNotContain(quiet, l => l.Contains("scan footprint"));
        Assert.Equal(0, Summary(real).GetProperty("warnings").GetArrayLength());
    }

    // A survey table (scan ids from hemis, date, scan) and a scan_key table; the survey's scan 45 of 990612 N is
    // 1981224000045 packed (ScanKeys.FromSurvey).
    private const string SurveyRows = "cntr,hemis,date,scan,ra,dec\n1,n,990612,45,10.0,0.0\n2,n,990612,45,10.01,0.0\n3,n,990612,46,10.0,0.01\n";

    private static MergeOptions Mixed(params string[] inputs) => new() { Inputs = inputs, OutDir = "x", Device = "cpu", Threads = 2 };

    /// <summary>
    /// A survey id equal to another table's scan_key, within one field (so no footprint grows wide): held whole, in
    /// zones and on a cluster, the run warns with the id decoded and a row of each kind, on its log and in
    /// summary.json's `warnings`, and its tables are the same (the collision's effect is the merge's as before:
    /// the two rows' group is split as a repeated scan).
    /// </summary>
    [Fact]
    public void A_survey_id_equal_to_a_scan_key_is_warned_of_on_the_log_and_in_the_summary()
    {
        string survey = _s.PathOf("survey.csv"), calibration = _s.PathOf("cal.csv");
        File.WriteAllText(survey, SurveyRows);
        File.WriteAllText(calibration, "cntr,scan_key,ra,dec\n11,7,20.0,0.0\n12,1981224000045,10.00001,0.0\n13,1981224000045,10.0,0.02\n");
        string expected = "1 scan id is both a survey (hemis, date, scan) id and a scan_key value: 1981224000045 " +
                          $"(hemis n, date 990612, scan 45 at {survey}:2; scan_key at {calibration}:3). The rows of both are taken for one scan: ";
        string reference = _s.PathOf("shared-whole"), zones = _s.PathOf("shared-zones");
        foreach (var (outDir, zoneRows) in new[] { (reference, 0), (zones, 2) })
        {
            var lines = new List<string>();
            Assert.Null(Merge([survey, calibration], outDir, zoneRows, log: lines.Add).Error);
            Assert.StartsWith("warning: " + expected, Assert.Single(lines, l => l.Contains("scan id")));
        }
        Assert.Equal(1, Summary(reference).GetProperty("confused_candidate_groups").GetInt64());
        var (outDirs, _) = AssertZonesAndClusterMatch(_s, Mixed(survey, calibration), reference, zoneRows: [2], tasks: 2);
        foreach (string outDir in outDirs.Prepend(reference).Append(zones))
        {
            var warnings = Summary(outDir).GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
            Assert.StartsWith(expected, Assert.Single(warnings));
            Assert.Contains("if they are different scans, give that table scan_key values no survey id takes", warnings[0]);
        }
    }

    /// <summary>
    /// No warning when no id is of both kinds: mixed inputs whose scan_key values miss the survey's ids (the other
    /// hemisphere's id of the same date and scan, another scan), or meet one only in a row rejected as a duplicate cntr;
    /// nor when every input is of one kind, whatever ids they share (one kind's equal ids are one scan by design).
    /// </summary>
    [Fact]
    public void No_scan_id_warning_without_an_id_of_both_kinds()
    {
        string survey = _s.PathOf("survey.csv"), apart = _s.PathOf("apart.csv"), keys = _s.PathOf("keys.csv"), again = _s.PathOf("again.csv");
        File.WriteAllText(survey, SurveyRows);
        // 1981225000045 is 990612 S scan 45; the last row's cntr 1 was read from the survey: rejected, its id not taken.
        File.WriteAllText(apart, "cntr,scan_key,ra,dec\n11,1981225000045,10.00001,0.0\n12,1981224000047,10.0,0.02\n1,1981224000045,10.0,0.0\n");
        File.WriteAllText(keys, "cntr,scan_key,ra,dec\n21,1981224000045,10.00001,0.0\n");
        File.WriteAllText(again, SurveyRows.Replace("\n1,", "\n31,").Replace("\n2,", "\n32,").Replace("\n3,", "\n33,"));
        foreach (var (name, inputs) in new[] { ("mixed", new[] { survey, apart }), ("keys", [keys, apart]), ("surveys", [survey, again]) })
        {
            string reference = _s.PathOf($"{name}-whole");
            var lines = new List<string>();
            Assert.Null(Merge(inputs, reference, zoneRows: 0, log: lines.Add).Error);
            Assert.DoesNotContain(lines, l => l.Contains("warning"));
            var (outDirs, _) = AssertZonesAndClusterMatch(_s, Mixed(inputs), reference, zoneRows: [2], tasks: 2);
            foreach (string outDir in outDirs.Prepend(reference))
                Assert.Equal(0, Summary(outDir).GetProperty("warnings").GetArrayLength());
            foreach (string dir in outDirs.Append(_s.PathOf("work"))) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Zone_merge_writes_the_bytes_of_the_in_memory_merge_for_any_zone_size()
    {
        var inputs = Inputs();
        var filters = new FilterOptions(MinSnr: 6, ExcludeArtifacts: true);
        string reference = _s.PathOf("whole");
        Assert.Null(Merge(inputs, reference, zoneRows: 0, filters: filters).Error);
        var whole = Summary(reference);
        Assert.False(whole.GetProperty("parameters").TryGetProperty("zone_rows", out _));
        // The comparison must see duplicates, filtered rows, confusion and bad rows.
        Assert.True(whole.GetProperty("rejects_by_reason").GetProperty("duplicate_cntr").GetInt64() == 3);
        Assert.True(whole.GetProperty("confused_candidate_groups").GetInt64() > 0);
        Assert.True(whole.GetProperty("rejects_by_reason").EnumerateObject().Count() >= 3, whole.GetProperty("rejects_by_reason").ToString());

        foreach (var (zoneRows, device, threads) in new[] { (1, "cpu", 2), (37, "cpu", 1), (500, "ilgpu-cpu", 2), (4000, "auto", 2), (1 << 20, "cpu", 1) })
        {
            string outDir = _s.PathOf($"zones-{zoneRows}");
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var cpuBefore = Environment.CpuUsage.TotalTime;
            var outcome = Merge(inputs, outDir, zoneRows, device, filters, threads: threads);
            double wall = watch.Elapsed.TotalSeconds, cpu = (Environment.CpuUsage.TotalTime - cpuBefore).TotalSeconds;
            Assert.Null(outcome.Error);
            // Stages run once per zone add up; none is counted twice (the sum cannot exceed the run).
            Assert.True(outcome.Summary!.StageSeconds.Values.Sum() <= wall + 0.01,
                $"{string.Join(", ", outcome.Summary.StageSeconds)} in {wall:F3} s");
            // Likewise their CPU seconds: every stage has them, and together they are within the process's
            // CPU over the run (other tests running beside it only add to that).
            var stageCpu = outcome.Summary.StageCpuSeconds;
            Assert.Equal(outcome.Summary.StageSeconds.Keys.Order(), stageCpu.Keys.Order());
            Assert.All(stageCpu.Values, v => Assert.True(v >= 0));
            Assert.True(stageCpu["read"] > 0 && stageCpu.Values.Sum() <= cpu + 0.01, $"{string.Join(", ", stageCpu)} in {cpu:F3} CPU s");
            // And the memory they allocated: every stage, none negative, the read's rows at least.
            var stageAllocated = outcome.Summary.StageAllocatedMb;
            Assert.Equal(outcome.Summary.StageSeconds.Keys.Order(), stageAllocated.Keys.Order());
            Assert.All(stageAllocated.Values, v => Assert.True(v >= 0));
            Assert.True(stageAllocated["read"] > 0 && stageAllocated["write"] > 0, string.Join(", ", stageAllocated));
            // The kernel's part of each stage's CPU, its page faults and context switches: every stage, none negative.
            var stageSystem = outcome.Summary.StageSystemCpuSeconds;
            Assert.Equal(outcome.Summary.StageSeconds.Keys.Order(), stageSystem.Keys.Order());
            Assert.All(stageSystem, kv => Assert.True(kv.Value >= 0 && kv.Value <= stageCpu[kv.Key] + 1e-4, $"{kv}"));
            foreach (var counts in new[] { outcome.Summary.StageMinorFaults, outcome.Summary.StageVoluntarySwitches, outcome.Summary.StageInvoluntarySwitches })
            {
                Assert.Equal(outcome.Summary.StageSeconds.Keys.Order(), counts.Keys.Order());
                Assert.All(counts.Values, v => Assert.True(v >= 0));
            }
            var summary = Summary(outDir);
            Assert.Equal(zoneRows, summary.GetProperty("parameters").GetProperty("zone_rows").GetInt32());
            if (zoneRows <= 37) Assert.True(summary.GetProperty("parameters").GetProperty("zones").GetInt32() > 20);
            AssertAccounting(summary);
            foreach (string count in ComparedCounts)
                Assert.True(whole.GetProperty(count).GetInt64() == summary.GetProperty(count).GetInt64(), $"zones of {zoneRows}: {count}");
            Assert.Equal(Reasons(whole), Reasons(summary));
            foreach (string file in ComparedFiles)
                Assert.True(Sha256(Path.Combine(reference, file)) == Sha256(Path.Combine(outDir, file)), $"zones of {zoneRows}: {file} differs");
        }
    }

    /// <summary>An engine under another name that counts its links and frees (a fake device for `auto`'s hand-over).</summary>
    private sealed class NamedEngine(string name, Action? onLink = null) : ILinkEngine
    {
        private readonly CpuLinkEngine inner = new(1);
        public int Links, Disposals;
        public string DeviceName => name;
        public int[] Link(ReadOnlySpan<double> raDeg, ReadOnlySpan<double> decDeg, double radiusArcsec)
        {
            Links++;
            onLink?.Invoke();
            return inner.Link(raDeg, decDeg, radiusArcsec);
        }
        public void Dispose() => Disposals++;
    }

    [Fact]
    public void Auto_links_on_the_cpu_until_the_device_is_ready_then_on_it_and_writes_the_same_bytes()
    {
        var inputs = Inputs();
        string reference = _s.PathOf("whole");
        Assert.Null(Merge(inputs, reference, zoneRows: 0).Error);

        // The device becomes ready during the third zone's link: zones 1-3 on the CPU engine, the rest on the device.
        var made = new TaskCompletionSource<(ILinkEngine? Engine, string? Error)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var device = new NamedEngine("gpu");
        NamedEngine? cpu = null;
        cpu = new NamedEngine("cpu meanwhile", () => { if (cpu!.Links == 3) made.SetResult((device, null)); });
        string zoned = _s.PathOf("zoned");
        using (var pending = new PendingEngine(made.Task, cpu))
        {
            Assert.False(pending.WouldWait);
            var outcome = MergeJob.Run(new MergeOptions { Inputs = inputs, OutDir = zoned, Device = "auto", Threads = 2, ZoneRows = 37 }, pending);
            Assert.Null(outcome.Error);
            Assert.Equal(3, cpu.Links);
            Assert.True(device.Links > 20, $"{device.Links} zones on the device");
            Assert.Equal("cpu meanwhile; auto: while the GPU was starting; then gpu", Summary(zoned).GetProperty("device").GetString());
        }
        Assert.Equal((1, 1), (cpu.Disposals, device.Disposals));
        foreach (string file in ComparedFiles)
            Assert.True(Sha256(Path.Combine(reference, file)) == Sha256(Path.Combine(zoned, file)), $"{file} differs");

        // Held whole, with the device never ready before the link: the CPU engine links, and the run does not wait for it.
        var never = new TaskCompletionSource<(ILinkEngine? Engine, string? Error)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var late = new NamedEngine("gpu");
        var meanwhile = new NamedEngine("cpu meanwhile");
        string whole = _s.PathOf("whole-auto");
        var pendingWhole = new PendingEngine(never.Task, meanwhile);
        var held = MergeJob.Run(new MergeOptions { Inputs = inputs, OutDir = whole, Device = "auto", Threads = 2, ZoneRows = 0 }, pendingWhole);
        Assert.Null(held.Error);
        Assert.Equal((1, 0), (meanwhile.Links, late.Links));
        Assert.Equal("cpu meanwhile; auto: while the GPU was starting", Summary(whole).GetProperty("device").GetString());
        never.SetResult((late, null));
        pendingWhole.Dispose();
        Assert.Equal((1, 1), (meanwhile.Disposals, late.Disposals));
        foreach (string file in ComparedFiles)
            Assert.True(Sha256(Path.Combine(reference, file)) == Sha256(Path.Combine(whole, file)), $"held whole: {file} differs");
    }

    internal static string Reasons(JsonElement summary) =>
        string.Join(",", summary.GetProperty("rejects_by_reason").EnumerateObject().Select(p => $"{p.Name}={p.Value}").Order());

    [Fact]
    public void Duplicates_are_found_while_reading_where_cntr_are_dense_and_by_sorting_where_not()
    {
        // Dense: the strip's cntr follow the tile's (both shuffled). Sparse: a gap of 10^9 between them, so that
        // the pass taking the tile's blocks gives up at the strip's first block, and the sort takes the tile's
        // blocks back from the row runs: the duplicates' first rows are in them. Files read at once: blocks come
        // out of read order (the strip's first, when its reader is quicker), and the first rows holding the
        // repeated values are found among the runs; sparse and at once, the blocks taken are found by place.
        foreach (var (name, from, atOnce, expected) in new[]
        {
            ("dense", 100_000L, 1, "found while reading (3;"), ("sparse", 1_000_000_000L, 1, "found by sorting (3;"),
            ("dense-at-once", 100_000L, 2, "found while reading (3;"), ("sparse-at-once", 1_000_000_000L, 2, "found by sorting (3;"),
        })
        {
            var inputs = Inputs(stripCntrFrom: from);
            string whole = _s.PathOf($"{name}-whole");
            Assert.Null(Merge(inputs, whole, zoneRows: 0).Error);
            foreach (int zoneRows in new[] { 37, 4000 })
            {
                var lines = new List<string>();
                string zoned = _s.PathOf($"{name}-{zoneRows}");
                Assert.Null(Merge(inputs, zoned, zoneRows, log: lines.Add, filesAtOnce: atOnce).Error);
                Assert.Contains(lines, l => l.StartsWith("duplicate cntr: " + expected, StringComparison.Ordinal));
                Assert.Equal(3, Summary(zoned).GetProperty("rejects_by_reason").GetProperty("duplicate_cntr").GetInt64());
                foreach (string file in ComparedFiles)
                    Assert.True(Sha256(Path.Combine(whole, file)) == Sha256(Path.Combine(zoned, file)), $"{name}, zones of {zoneRows}: {file} differs");
            }
        }
    }

    [Fact]
    public void Without_duplicates_the_filters_alone_choose_the_footprint_rows_with_the_same_bytes()
    {
        // No duplicate cntr: the footprint passes read no file and line, only the filters' columns.
        var inputs = Inputs(duplicates: false);
        var filters = new FilterOptions(MinSnr: 6, ExcludeArtifacts: true);
        string whole = _s.PathOf("nodup-whole");
        Assert.Null(Merge(inputs, whole, zoneRows: 0, filters: filters).Error);
        Assert.False(Summary(whole).GetProperty("rejects_by_reason").TryGetProperty("duplicate_cntr", out _));
        foreach (int zoneRows in new[] { 37, 4000 })
        {
            string zoned = _s.PathOf($"nodup-{zoneRows}");
            Assert.Null(Merge(inputs, zoned, zoneRows, filters: filters).Error);
            foreach (string file in ComparedFiles)
                Assert.True(Sha256(Path.Combine(whole, file)) == Sha256(Path.Combine(zoned, file)), $"zones of {zoneRows}: {file} differs");
        }
    }

    [Fact]
    public void A_scan_table_and_an_empty_input_give_the_same_bytes_in_zones()
    {
        // spos from a scan table instead of the scans' own extractions: a box per scan around the strip.
        var inputs = Inputs();
        var scans = new System.Text.StringBuilder("scan_key,ra1,dec1,ra2,dec2,ra3,dec3,ra4,dec4\n");
        foreach (long key in File.ReadLines(inputs[1]).Skip(1).Select(l => l.Split(',')).Where(f => f.Length > 3 && long.TryParse(f[1], out _))
                     .Select(f => long.Parse(f[1])).Distinct())
            scans.Append(FormattableString.Invariant($"{key},359.0,-21.5,1.0,-21.5,1.0,-19.5,359.0,-19.5\n"));
        string table = _s.Write("scans.csv", scans.ToString());
        string empty = _s.Write("empty.csv", "cntr,scan_key,ra,dec\n");
        foreach (var (name, files, scanTable) in new[] { ("table", inputs, table), ("empty", new[] { empty }, (string?)null) })
        {
            string whole = _s.PathOf($"{name}-whole"), zoned = _s.PathOf($"{name}-zoned");
            Assert.Null(MergeJob.Run(new MergeOptions { Inputs = files, OutDir = whole, Device = "cpu", ZoneRows = 0, ScanTable = scanTable }).Error);
            Assert.Null(MergeJob.Run(new MergeOptions { Inputs = files, OutDir = zoned, Device = "cpu", ZoneRows = 50, ScanTable = scanTable }).Error);
            foreach (string file in ComparedFiles)
                Assert.True(Sha256(Path.Combine(whole, file)) == Sha256(Path.Combine(zoned, file)), $"{name}: {file} differs");
            Assert.Equal(Summary(whole).GetProperty("groups").GetInt64(), Summary(zoned).GetProperty("groups").GetInt64());
        }
        Assert.Equal(0, Summary(_s.PathOf("empty-zoned")).GetProperty("groups").GetInt64());
    }

    [Fact]
    public void Spill_files_are_removed_after_a_run_and_after_a_failed_one()
    {
        var inputs = Inputs();
        string spill = _s.PathOf("spill");
        Directory.CreateDirectory(spill);
        File.WriteAllText(Path.Combine(spill, "mine.txt"), "not wdb's");
        Assert.Null(Merge(inputs, _s.PathOf("ok"), zoneRows: 100, spill: spill).Error);
        Assert.Equal(["mine.txt"], Directory.GetFileSystemEntries(spill).Select(Path.GetFileName));

        // The spill of a run that was killed, beside the same output, goes with the next run.
        string stale = _s.PathOf("again.spill-killed");
        Directory.CreateDirectory(stale);
        File.WriteAllText(Path.Combine(stale, "run-000000.bin"), "x");
        Assert.Null(Merge(inputs, _s.PathOf("again"), zoneRows: 100).Error);
        Assert.False(Directory.Exists(stale));
        Assert.True(Directory.Exists(_s.PathOf("again")));

        // --strict stops at the first duplicate, after the partition pass has spilled every row.
        var failed = Merge(Inputs(badRow: false), _s.PathOf("strict"), zoneRows: 100, strict: true);
        Assert.Equal(MergeJob.InputErrorExit, failed.ExitCode);
        Assert.Contains("duplicate cntr", failed.Error);
        Assert.Contains("strip.csv:", failed.Error);
        Assert.Empty(Directory.GetFileSystemEntries(_s.Dir, "*.spill-*"));
        Assert.False(Directory.Exists(_s.PathOf("strict")));
    }

    /// <summary>
    /// What a run killed outright (SIGKILL, the OOM killer) left beside its output, its zone spill and its temporary
    /// output, goes as the next run to that output starts, before it reads a row: that space is the new run's (and its
    /// disk check's) to use. Also when the next run holds its input whole, which has no spill of its own to make: before,
    /// the killed run's spill, hundreds of GB for a full sky, stayed for good.
    /// </summary>
    [Fact]
    public void A_killed_runs_spill_and_temporary_output_go_as_the_next_run_starts()
    {
        if (!DirectoryLock.Tells) Assert.Skip("a killed run's temporary output is told from a live run's by flock(2), on Linux");
        var inputs = Inputs();
        foreach (int zoneRows in new[] { 0, 100 })
        {
            string outDir = _s.PathOf($"out{zoneRows}");
            string[] killed = [outDir + ".spill-killed1234", outDir + ".tmp-0123456789ab"];
            foreach (string dir in killed)
            {
                Directory.CreateDirectory(dir);
                File.WriteAllText(Path.Combine(dir, "rows.run"), "what the killed run wrote");
            }
            var left = new List<string>();
            var firstStage = new AtFirstStage(() => left.AddRange(killed.Where(Directory.Exists)));

            var outcome = MergeJob.Run(new MergeOptions
            {
                Inputs = inputs, OutDir = outDir, Device = "cpu", Threads = 2, ZoneRows = zoneRows, Progress = firstStage,
            });

            Assert.True(outcome.Error is null, outcome.Error);
            Assert.True(firstStage.Called);
            Assert.Empty(left);
            Assert.Equal([Path.GetFileName(outDir)], Directory.GetFileSystemEntries(_s.Dir, Path.GetFileName(outDir) + "*").Select(Path.GetFileName));
        }
    }

    /// <summary>A progress watcher that calls a test's check at the run's first stage.</summary>
    private sealed class AtFirstStage(Action check) : IMergeProgress
    {
        public bool Called { get; private set; }

        public void Stage(string name, Func<long>? rowsDone, long rowsExpected)
        {
            if (Called) return;
            Called = true;
            check();
        }

        public void Done() { }
    }

    [Fact]
    public void A_spill_directory_the_run_made_goes_with_it_and_one_inside_the_output_is_refused()
    {
        var inputs = Inputs();
        // --spill-dir and its parents, made by the run, are gone after it; a directory that was there stays.
        Directory.CreateDirectory(_s.PathOf("scratch"));
        string made = Path.Combine(_s.PathOf("scratch"), "deeper", "spill");
        Assert.Null(Merge(inputs, _s.PathOf("a"), zoneRows: 100, spill: made).Error);
        Assert.False(Directory.Exists(Path.Combine(_s.PathOf("scratch"), "deeper")));
        Assert.True(Directory.Exists(_s.PathOf("scratch")));

        // In a --spill-dir that other runs share, a killed run's spill for the same output goes with the next run to it,
        // and another output's (perhaps a live run's) stays.
        string shared = _s.PathOf("shared");
        Directory.CreateDirectory(shared);
        string other = Path.Combine(shared, "wdb-spill-0123456789abcdef-live");
        Directory.CreateDirectory(other);
        string ours = Path.Combine(shared, $"wdb-spill-{Convert.ToHexStringLower(System.IO.Hashing.XxHash64.Hash(System.Text.Encoding.UTF8.GetBytes(_s.PathOf("b"))))}-killed");
        Directory.CreateDirectory(ours);
        Assert.Null(Merge(inputs, _s.PathOf("b"), zoneRows: 100, spill: shared).Error);
        Assert.False(Directory.Exists(ours));
        Assert.True(Directory.Exists(other));

        // A spill inside --out would be replaced with it: refused before the read, nothing made; also through a link to
        // the output's parent.
        string link = _s.PathOf("here");
        if (!OperatingSystem.IsWindows()) Directory.CreateSymbolicLink(link, _s.Dir);
        foreach (string inside in new[] { _s.PathOf("c"), Path.Combine(_s.PathOf("c"), "spill") }
                     .Concat(OperatingSystem.IsWindows() ? [] : [Path.Combine(link, "c", "spill")]))
        {
            var refused = Merge(inputs, _s.PathOf("c"), zoneRows: 100, spill: inside);
            Assert.Equal(MergeJob.InputErrorExit, refused.ExitCode);
            Assert.Contains("lies in --out", refused.Error);
            Assert.False(Directory.Exists(_s.PathOf("c")));
        }
    }

    [Fact]
    public void A_spill_directory_that_cannot_be_made_is_an_output_error_and_nothing_is_written()
    {
        var inputs = Inputs();
        string blocker = _s.Write("not-a-directory", "a file where the spill directory would go");
        string outDir = _s.PathOf("never");
        var outcome = Merge(inputs, outDir, zoneRows: 100, spill: Path.Combine(blocker, "spill"));
        Assert.Equal(MergeJob.OutputErrorExit, outcome.ExitCode);
        // Nothing was made, so nothing was removed; and the file in the way named, not the spill's own name, never made.
        Assert.Equal($"cannot spill the zones under --spill-dir '{Path.Combine(blocker, "spill")}' (the spill could not be made): " +
                     $"'{blocker}' is a file, not a directory", outcome.Error);
        Assert.False(Directory.Exists(outDir));
        Assert.Empty(Directory.GetDirectories(_s.Dir, "never*"));
    }

    /// <summary>
    /// Without --zone-rows the table is held whole when its rows at ~400 bytes fit the memory budget,
    /// else merged in zones sized by the budget; --zone-rows overrides it either way.
    /// </summary>
    [Fact]
    public void The_memory_budget_chooses_between_holding_the_table_and_zones()
    {
        var options = new MergeOptions { Inputs = ["survey.csv"], OutDir = "x" };
        long[] tenMillion = [10_000_000];
        long held = 10_000_000 * ZoneMerge.HeldBytesPerRow;
        Assert.Null(ZoneMerge.Plan(options with { MemoryBytes = held }, tenMillion));
        // Just over: zones as large as the budget allows at ZoneBytesPerRow (above the 1 M-row floor).
        long under = held - ZoneMerge.HeldBytesPerRow;
        Assert.True(under / ZoneMerge.ZoneBytesPerRow > ZoneMerge.DefaultZoneRows);
        Assert.Equal(((int)(under / ZoneMerge.ZoneBytesPerRow), 10_000_000L), ZoneMerge.Plan(options with { MemoryBytes = under }, tenMillion));
        Assert.Equal((ZoneMerge.DefaultZoneRows, 10_000_000L), ZoneMerge.Plan(options with { MemoryBytes = 1L << 30 >> 1 }, tenMillion));
        Assert.Equal((2_147_483, 10_000_000L), ZoneMerge.Plan(options with { MemoryBytes = 2L << 30 }, tenMillion));
        Assert.Equal((500, 10_000_000L), ZoneMerge.Plan(options with { MemoryBytes = 1L << 40, ZoneRows = 500 }, tenMillion));
        Assert.Null(ZoneMerge.Plan(options with { MemoryBytes = 1, ZoneRows = 0 }, tenMillion));
        // The default is half of what the process may use, and it is what a run without --memory plans for.
        Assert.Equal(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2, ZoneMerge.DefaultMemoryBytes());
        Assert.Equal(ZoneMerge.DefaultMemoryBytes(), ZoneMerge.MemoryBudget(options));
        var bad = MergeJob.Run(options with { OutDir = _s.PathOf("bad"), MemoryBytes = 0 });
        Assert.Equal(MergeJob.InputErrorExit, bad.ExitCode);
        Assert.Contains("--memory", bad.Error);
    }

    [Fact]
    public void Small_inputs_stay_in_memory_unless_zones_are_asked_for()
    {
        var inputs = Inputs();
        var options = new MergeOptions { Inputs = inputs, OutDir = "x" };
        Assert.False(ZoneMerge.Chooses(options));
        Assert.True(ZoneMerge.Chooses(options with { ZoneRows = 10 }));
        Assert.False(ZoneMerge.Chooses(options with { ZoneRows = 0 }));
        // Zones as large as the budget allows at ~1 KB a row, at least 1 M rows, at most 256 of them.
        Assert.Equal(ZoneMerge.DefaultZoneRows, ZoneMerge.AutoZoneRows(10_000_000, 512L << 20));
        Assert.Equal(1_073_741, ZoneMerge.AutoZoneRows(10_000_000, 1L << 30));
        Assert.Equal(68_719_476, ZoneMerge.AutoZoneRows(470_000_000, 64L << 30));
        Assert.Equal(ZoneMerge.DefaultZoneRows, ZoneMerge.AutoZoneRows(256_000_000, 1L << 20));
        Assert.Equal(5_859_375, ZoneMerge.AutoZoneRows(1_500_000_000, 2L << 30));
        // Read blocks are the zones unless that makes more than 1024 run files.
        Assert.Equal(1000, ZoneMerge.PartitionRows(1000, 1_000_000));
        Assert.Equal(9766, ZoneMerge.PartitionRows(1000, 10_000_000));
        Assert.Equal(1_000_000, ZoneMerge.PartitionRows(1_000_000, 10_000_000));
        var bad = MergeJob.Run(options with { OutDir = _s.PathOf("bad"), ZoneRows = -1 });
        Assert.Equal(MergeJob.InputErrorExit, bad.ExitCode);
        Assert.Contains("--zone-rows", bad.Error);
    }

    [Fact]
    public void Full_sky_plans_keep_a_zone_and_a_read_block_within_one_span_of_bytes_a_column()
    {
        // 1.5 G rows (2MASS survey + calibration) on a 2 TB node, or a cluster plan of 2 tasks: the zones once came to
        // 536 M rows, and 8 bytes a row of one column passed int.MaxValue (the runs' gather and reads failed there).
        const long fullSky = 1_500_000_000, past = 3_000_000_000;
        foreach (int rows in new[] { ZoneMerge.AutoZoneRows(fullSky, 1L << 40), ZoneMerge.AutoZoneRows(past, 1L << 42),
                     ZoneMerge.PartitionRows(int.MaxValue, past), ZoneMerge.PartitionRows(1_000_000, 1L << 40),
                     ClusterMerge.ZoneRowsFor(fullSky, 2), ClusterMerge.ZoneRowsFor(past, 1) })
        {
            Assert.InRange(rows, 1, ZoneMerge.MostRowsAtOnce);
            Assert.True(8L * rows <= int.MaxValue);
        }
        Assert.Equal(ZoneMerge.MostRowsAtOnce, ClusterMerge.ZoneRowsFor(past, 2));
        Assert.Equal(750_000, ClusterMerge.ZoneRowsFor(fullSky, 2000));
        var options = new MergeOptions { Inputs = Inputs(), OutDir = _s.PathOf("big-zones") };
        var refused = MergeJob.Run(options with { ZoneRows = ZoneMerge.MostRowsAtOnce + 1 });
        Assert.Equal(MergeJob.InputErrorExit, refused.ExitCode);
        Assert.Contains("--zone-rows must be at most", refused.Error);
        Assert.False(Directory.Exists(options.OutDir));

        // A table held whole is one block of arrays: past the longest array the plan goes by zones even with the memory
        // to hold it, and --zone-rows 0 is refused before the read, not at its end.
        var petabyte = new MergeOptions { Inputs = ["sky.csv"], OutDir = "x", MemoryBytes = 1L << 50 };
        Assert.NotNull(ZoneMerge.Plan(petabyte, [past]));
        Assert.Null(ZoneMerge.Plan(petabyte, [fullSky]));
        string sparse = _s.PathOf("sparse.csv");
        // Rows over the first 2 MiB (the estimate's sample), then a sparse 128 GB: ~4 G rows at the head's ~30 bytes a row.
        File.WriteAllLines(sparse, ["cntr,scan_key,ra,dec", .. Enumerable.Range(1, 80_000).Select(i => $"{i},1,10.{i:D6},0.5")]);
        using (var f = new FileStream(sparse, FileMode.Open)) f.SetLength(1L << 37);
        var whole = MergeJob.Run(new MergeOptions { Inputs = [sparse], OutDir = _s.PathOf("sparse-out"), ZoneRows = 0, Device = "cpu" });
        Assert.Equal(MergeJob.InputErrorExit, whole.ExitCode);
        Assert.StartsWith("--zone-rows 0: about ", whole.Error);
        Assert.Contains("rows cannot be held whole", whole.Error);
        Assert.False(Directory.Exists(_s.PathOf("sparse-out")));
    }

    /// <summary>
    /// Pairs whose rows are r(1 - 1e-9) apart in Dec on either side of a bucket edge (with one-row zones, a zone cut),
    /// and a chain 1.9" a step over a hundred zones: the pairs' lower rows must be carried up, and the chain grows past
    /// the room a zone's block keeps for carried rows. Grouped as held whole, on one machine and on a cluster.
    /// </summary>
    [Fact]
    public void Pairs_just_within_the_radius_across_zone_cuts_and_a_long_carried_chain_group_as_held_whole()
    {
        var lines = new List<string> { "cntr,scan_key,ra,dec" };
        long cntr = 1;
        double r = 2.0 / 3600;
        int first = DeclinationRuns.BucketOf(10.0);
        for (int k = 0; k < 12; k++)
        {
            double cut = DeclinationRuns.LowestOf(first + 5 * k), ra = k % 3 == 0 ? 359.99999 : 20.0 + k;
            lines.Add(Row(cntr++, ra, cut - r * (1 - 1e-9)));
            lines.Add(Row(cntr++, ra, cut));
        }
        const int chain = 1300;
        for (int k = 0; k < chain; k++) lines.Add(Row(cntr++, 45.0, 30.0 + k * 1.9 / 3600));
        string input = _s.PathOf("edges.csv");
        File.WriteAllLines(input, lines);

        var options = new MergeOptions { Inputs = [input], OutDir = _s.PathOf("edges-whole"), Device = "cpu", Threads = 2, ZoneRows = 0 };
        Assert.Null(MergeJob.Run(options).Error);
        // Held whole, each pair is one candidate group and the chain another.
        Assert.Equal(12 + 1, Summary(options.OutDir).GetProperty("candidate_groups").GetInt64());
        AssertZonesAndClusterMatch(_s, options, options.OutDir, zoneRows: [1, 25], tasks: 6);

        static string Row(long cntr, double ra, double dec) =>
            FormattableString.Invariant($"{cntr},{cntr},{ra:R},{dec:R}");
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(5.0)]
    [InlineData(0.3)]
    public void A_row_r_from_a_zone_cut_leaves_its_component_open(double radius)
    {
        double[] cuts = [-10.0, 0.0, 33.3];
        double r = radius / 3600;
        for (int zone = 0; zone <= cuts.Length; zone++)
        {
            var (below, reach) = ZoneMerge.Edges(cuts, zone, radius);
            // A row exactly r below the zone's top, or r above its bottom, may link across the cut.
            if (zone < cuts.Length) Assert.True(cuts[zone] - r >= reach, $"zone {zone}: top reach {reach:R}");
            else Assert.Equal(double.PositiveInfinity, reach);
            if (zone > 0) Assert.True(cuts[zone - 1] + r < below, $"zone {zone}: bottom reach {below:R}");
            else Assert.Equal(double.NegativeInfinity, below);
        }
    }

    [Fact]
    public void Open_components_are_those_with_a_row_at_or_above_the_reach()
    {
        // Rows 0-1 one component (row 1 reaches), 2 alone below, 3-4 a component below the reach.
        int[] labels = [0, 0, 2, 3, 3];
        double[] dec = [1.0, 2.0, 1.5, 0.5, 1.9];
        var (final, open, components) = ZoneMerge.SplitOpen(labels, dec, below: double.NegativeInfinity, reach: 2.0);
        Assert.Equal([2, 3, 4], final);
        Assert.Equal([0, 1], open);
        Assert.Equal(2, components);
    }

    [Fact]
    public void Open_components_are_also_those_with_a_row_below_the_lower_reach()
    {
        // A cluster task's zone is open at both edges: 3-4 has row 3 below 0.6, 0-1 reaches the top; 2 stays final.
        int[] labels = [0, 0, 2, 3, 3];
        double[] dec = [1.0, 2.0, 1.5, 0.5, 1.9];
        var (final, open, components) = ZoneMerge.SplitOpen(labels, dec, below: 0.6, reach: 2.0);
        Assert.Equal([2], final);
        Assert.Equal([0, 1, 3, 4], open);
        Assert.Equal(1, components);
        // A row exactly at the lower reach is inside the zone's final part.
        (final, _, _) = ZoneMerge.SplitOpen(labels, dec, below: 0.5, reach: 2.0);
        Assert.Equal([2, 3, 4], final);
    }
}

/// <summary>Run files give back the rows bit for bit in bucket order, and cut zones exactly.</summary>
public sealed class DeclinationRunsTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    [Fact]
    public void A_zone_column_is_addressed_past_2_GiB()
    {
        // A zone of a full-sky merge past its 268 M-th row: row * 8 bytes no longer fits an int. The column is taken
        // uninitialised, so only the pages touched here are ever committed.
        const int row = (1 << 28) + 5;
        var column = GC.AllocateUninitializedArray<long>(row + 16);
        column[row] = 0x0102030405060708;
        var bytes = DeclinationRuns.Bytes(column, row, 16, sizeof(long));
        Assert.Equal(16 * sizeof(long), bytes.Length);
        Assert.Equal(0x0102030405060708, System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(bytes));
        bytes[8] = 9;
        Assert.Equal(9, column[row + 1] & 0xFF);
        Assert.Throws<ArgumentOutOfRangeException>(() => DeclinationRuns.Bytes(column, row, 17, sizeof(long)));
    }

    [Fact]
    public void Rows_come_back_bit_identical_in_bucket_order_and_zones_hold_exactly_their_decs()
    {
        var rng = new Random(3);
        string dir = _s.PathOf("runs");
        var blocks = new List<ExtractionBlock>();
        double step = 180.0 / DeclinationRuns.Buckets;
        using (var runs = new DeclinationRuns(dir))
        {
            foreach (int n in new[] { 1, 1023, 1024, 1025, 5000, 0 })
            {
                var b = new ExtractionBlock(16);
                for (int i = 0; i < n; i++)
                {
                    int r = b.AddRow();
                    b.Cntr[r] = rng.NextInt64();
                    // Equal decs (a coarse grid), -0.0, the poles, a dense patch, and decs on and one
                    // ulp either side of bucket edges.
                    int edge = rng.Next(1, DeclinationRuns.Buckets);
                    b.Dec[r] = (i % 6) switch
                    {
                        0 => i % 97 == 0 ? -0.0 : Math.Round(rng.NextDouble() * 180 - 90, 1),
                        1 => i % 2 == 0 ? -90 : 90,
                        2 => -20 + rng.NextDouble() * 0.01,
                        3 => DeclinationRuns.LowestOf(edge),
                        4 => Math.BitDecrement(DeclinationRuns.LowestOf(edge)),
                        _ => -90 + edge * step,
                    };
                    b.Ra[r] = rng.NextDouble() * 360;
                    b.Bands[1].Mag[r] = i % 3 == 0 ? float.NaN : (float)rng.NextDouble();
                    b.Bands[2].CcFlg[r] = (byte)rng.Next(256);
                    b.Line[r] = i + 2;
                    b.FileIndex[r] = n;
                }
                runs.Add(b, threads: 2);
                // Expected: by bucket, read order within a bucket.
                b.Permute(Enumerable.Range(0, n).OrderBy(i => DeclinationRuns.BucketOf(b.Dec[i])).ThenBy(i => i).ToArray());
                if (n > 0) blocks.Add(b);
            }
            Assert.Equal(blocks.Count, runs.RunCount);

            for (int r = 0; r < blocks.Count; r++)
            {
                var back = new ExtractionBlock(16);
                int start = blocks[r].Count / 3, end = blocks[r].Count;
                runs.Read(r, start, end, back);
                Assert.Equal(end - start, back.Count);
                for (int i = start; i < end; i++) Assert.Equal(BlockText.Row(blocks[r], i), BlockText.Row(back, i - start));
            }

            foreach (long rowsPerZone in new long[] { 1, 700, 2000, 100_000 })
            {
                var (cuts, bounds) = runs.Zones(rowsPerZone);
                Assert.True(cuts.Zip(cuts.Skip(1)).All(p => p.First < p.Second));
                int zones = cuts.Length + 1;
                var sizes = new long[zones];
                for (int r = 0; r < blocks.Count; r++)
                {
                    Assert.Equal(0, bounds[r][0]);
                    Assert.Equal(blocks[r].Count, bounds[r][zones]);
                    for (int z = 0; z < zones; z++)
                    {
                        sizes[z] += bounds[r][z + 1] - bounds[r][z];
                        for (int i = bounds[r][z]; i < bounds[r][z + 1]; i++)
                        {
                            double dec = blocks[r].Dec[i];
                            if (z > 0) Assert.True(dec >= cuts[z - 1], $"zone {z} of {rowsPerZone}: {dec:R} below {cuts[z - 1]:R}");
                            if (z < zones - 1) Assert.True(dec < cuts[z], $"zone {z} of {rowsPerZone}: {dec:R} not below {cuts[z]:R}");
                        }
                    }
                }
                Assert.All(sizes, size => Assert.True(size > 0));
                for (int z = 0; z + 1 < zones; z++) Assert.True(sizes[z] >= rowsPerZone, $"zone {z}: {sizes[z]} rows");
                if (rowsPerZone == 100_000) Assert.Equal(1, zones);
                if (rowsPerZone == 1) Assert.True(zones > 1000, $"{zones} zones");
            }
            Assert.True(Directory.Exists(dir));
        }
        Assert.False(Directory.Exists(dir));
    }

    /// <summary>
    /// Runs saved by one process and opened by another (a cluster's plan and tasks) give the same rows, places
    /// and zones; neither side deletes them; an index cut short is refused with its path.
    /// </summary>
    [Fact]
    public void Saved_runs_open_elsewhere_with_the_same_rows_places_and_zones()
    {
        var rng = new Random(11);
        string dir = _s.PathOf("saved");
        var written = new DeclinationRuns(dir);
        // The same blocks in runs that stay in this object: what the opened runs must give back.
        using var reference = new DeclinationRuns(_s.PathOf("reference"));
        foreach (var (n, place) in new[] { (900, 7L), (1, 3L), (2500, 5L) })
        {
            var b = RandomRows(rng, n, photometry: true);
            written.Add(b, threads: 2, place);
            reference.Add(b, threads: 1, place);
        }
        written.PutInOrder();
        reference.PutInOrder();
        written.Save();
        written.Dispose();
        Assert.True(File.Exists(Path.Combine(dir, "rows.index")));

        using (var opened = DeclinationRuns.Open(dir))
        {
            Assert.Equal(3, opened.RunCount);
            Assert.Equal(3401, opened.Rows);
            Assert.Equal([3L, 5L, 7L], Enumerable.Range(0, 3).Select(opened.PlaceOf));
            Assert.Equal([1, 2500, 900], Enumerable.Range(0, 3).Select(opened.RowsOf));
            var (cuts, bounds) = opened.Zones(500);
            var (referenceCuts, referenceBounds) = reference.Zones(500);
            Assert.True(cuts.Length >= 5);
            Assert.Equal(referenceCuts, cuts);
            Assert.Equal(referenceBounds, bounds);
            for (int r = 0; r < opened.RunCount; r++)
            {
                var rows = new ExtractionBlock(16);
                var expected = new ExtractionBlock(16);
                opened.Read(r, 0, opened.RowsOf(r), rows);
                reference.Read(r, 0, reference.RowsOf(r), expected);
                for (int i = 0; i < rows.Count; i++) Assert.Equal(BlockText.Row(expected, i), BlockText.Row(rows, i));
            }
        }
        Assert.True(File.Exists(Path.Combine(dir, "rows.run")));

        string index = Path.Combine(dir, "rows.index");
        File.WriteAllBytes(index, File.ReadAllBytes(index)[..40]);
        var cut = Assert.Throws<IOException>(() => DeclinationRuns.Open(dir));
        Assert.Contains(index, cut.Message);
    }

    /// <summary>
    /// A byte changed in a run file, its size kept, fails every read of rows whose checksummed piece holds it, naming
    /// the file as corrupted; reads of the run's other pieces, and of other runs, pass; the byte restored, all pass.
    /// </summary>
    /// <summary>n rows in a 2-degree band at random RA, with a J magnitude and a Ks cc_flg when asked.</summary>
    private static ExtractionBlock RandomRows(Random rng, int n, bool photometry)
    {
        var b = new ExtractionBlock(16);
        for (int i = 0; i < n; i++)
        {
            int r = b.AddRow();
            b.Cntr[r] = rng.NextInt64();
            b.Dec[r] = -30 + rng.NextDouble() * 2;
            b.Ra[r] = rng.NextDouble() * 360;
            if (photometry)
            {
                b.Bands[0].Mag[r] = i % 5 == 0 ? float.NaN : (float)rng.NextDouble();
                b.Bands[2].CcFlg[r] = (byte)rng.Next(256);
            }
            b.Line[r] = i + 2;
        }
        return b;
    }

    [Fact]
    public void A_byte_changed_in_a_run_fails_the_reads_of_its_piece_and_no_other()
    {
        var rng = new Random(13);
        string dir = _s.PathOf("flipped");
        using var runs = new DeclinationRuns(dir);
        foreach (int n in new[] { 2 * DeclinationRuns.SumRows + 100, 50 })
        {
            runs.Add(RandomRows(rng, n, photometry: false), threads: 2);
        }
        runs.Read(1, 0, 1, new ExtractionBlock(16));   // the writes ended: the file whole on the disk, to be changed
        string file = Path.Combine(dir, "rows.run");
        long size = new FileInfo(file).Length;
        // Column c of run 0 starts at n times the sizes of the columns before it; run 1 follows run 0.
        int n0 = runs.RowsOf(0);
        int[] sizes = new ExtractionBlock(16).Columns().Select(c => Buffer.ByteLength(c) / c.Length).ToArray();
        long run0 = (long)n0 * sizes.Sum();
        Assert.Equal(run0 + (long)runs.RowsOf(1) * sizes.Sum(), size);
        var touched = new HashSet<string>();
        foreach (long at in new[] { 0L, run0 - 1, run0, size - 1 }.Concat(Enumerable.Range(0, 12).Select(_ => rng.NextInt64(run0))))
        {
            var bytes = File.ReadAllBytes(file);
            bytes[at] ^= 0x01;
            File.WriteAllBytes(file, bytes);
            int run = at < run0 ? 0 : 1, c = 0;
            long within = at - (run == 0 ? 0 : run0), rowsOfRun = runs.RowsOf(run);
            while (within >= rowsOfRun * sizes[c]) within -= rowsOfRun * sizes[c++];
            int piece = (int)(within / sizes[c] / DeclinationRuns.SumRows);
            touched.Add($"{run}:{piece}");
            // One row of the changed piece, and the run whole: caught. One row of each other piece, and the other run: not.
            int pieceRow = piece * DeclinationRuns.SumRows;
            foreach (var (start, end) in new[] { (pieceRow, pieceRow + 1), (0, runs.RowsOf(run)) })
            {
                var e = Assert.Throws<IOException>(() => runs.Read(run, start, end, new ExtractionBlock(16)));
                Assert.Contains($"'{file}' was corrupted or changed since it was written", e.Message);
            }
            for (int other = 0; other * DeclinationRuns.SumRows < runs.RowsOf(run); other++)
                if (other != piece) runs.Read(run, other * DeclinationRuns.SumRows, other * DeclinationRuns.SumRows + 1, new ExtractionBlock(16));
            runs.Read(1 - run, 0, runs.RowsOf(1 - run), new ExtractionBlock(16));
            bytes[at] ^= 0x01;
            File.WriteAllBytes(file, bytes);
        }
        Assert.Contains("0:2", touched);   // the short last piece of run 0
        for (int r = 0; r < runs.RunCount; r++) runs.Read(r, 0, runs.RowsOf(r), new ExtractionBlock(16));
    }

    /// <summary>
    /// A block large enough for the gathers to go in row slices writes the same run on one thread and on
    /// several, and its rows come back in bucket order, read order within a bucket.
    /// </summary>
    [Fact]
    public void A_large_block_is_spilled_alike_on_one_thread_and_on_several()
    {
        const int n = 200_003;
        var rng = new Random(5);
        var block = new ExtractionBlock(16);
        for (int i = 0; i < n; i++)
        {
            int r = block.AddRow();
            block.Cntr[r] = rng.NextInt64();
            block.Dec[r] = rng.Next(3) == 0 ? -30 + rng.NextDouble() : Math.Round(rng.NextDouble() * 180 - 90, 2);
            block.Ra[r] = rng.NextDouble() * 360;
            block.Bands[0].PhQual[r] = (byte)rng.Next(256);
            block.Bands[2].Snr[r] = (float)rng.NextDouble();
            block.Line[r] = i + 2;
        }
        var backs = new List<ExtractionBlock>();
        foreach (int threads in new[] { 1, 4 })
        {
            using var runs = new DeclinationRuns(_s.PathOf($"large-{threads}"));
            runs.Add(block, threads);
            var back = new ExtractionBlock(16);
            runs.Read(0, 0, n, back);
            backs.Add(back);
        }
        var expected = Enumerable.Range(0, n).OrderBy(i => DeclinationRuns.BucketOf(block.Dec[i])).ThenBy(i => i).ToArray();
        foreach (var back in backs)
        {
            Assert.Equal(n, back.Count);
            Assert.Equal(expected.Select(i => block.Line[i]), back.Line[..n]);
            Assert.Equal(expected.Select(i => block.Dec[i]), back.Dec[..n]);
            Assert.Equal(expected.Select(i => block.Bands[0].PhQual[i]), back.Bands[0].PhQual[..n]);
            Assert.Equal(expected.Select(i => block.Bands[2].Snr[i]), back.Bands[2].Snr[..n]);
        }
        for (int r = 0; r < n; r += 997) Assert.Equal(BlockText.Row(backs[0], r), BlockText.Row(backs[1], r));
    }

    /// <summary>
    /// LowestOf is the exact edge, for every bucket: its bucket is the one asked for, the double
    /// below it is in the one before (at dec 0 the edge is -7.1e-15, where dec + 90 first rounds to 90).
    /// </summary>
    [Fact]
    public void Bucket_edges_are_exact()
    {
        for (int b = 1; b < DeclinationRuns.Buckets; b++)
        {
            double low = DeclinationRuns.LowestOf(b);
            Assert.Equal(b, DeclinationRuns.BucketOf(low));
            Assert.Equal(b - 1, DeclinationRuns.BucketOf(Math.BitDecrement(low)));
        }
        Assert.Equal(0, DeclinationRuns.BucketOf(-90));
        Assert.Equal(DeclinationRuns.Buckets - 1, DeclinationRuns.BucketOf(90));
        Assert.Equal(DeclinationRuns.BucketOf(0.0), DeclinationRuns.BucketOf(-0.0));
    }
}
