using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;
using Wdb.Merge.Link;

namespace Wdb.Tests.Pipeline;

/// <summary>End-to-end: text in, FlatBuffers out, read back through the public readers.</summary>
public sealed class MergeJobTests : IDisposable
{
    private readonly Scratch _scratch = new();
    private string _dir => _scratch.Dir;

    public void Dispose() => _scratch.Dispose();

    private string Write(string name, string text) => _scratch.Write(name, text);

    private static MergeOutcome Merge(string outDir, IReadOnlyList<string> inputs, string device = "cpu", int blockRows = 1 << 23, bool strict = false)
        => MergeJob.Run(new MergeOptions { Inputs = inputs, OutDir = outDir, Device = device, BlockRows = blockRows, Strict = strict });

    [Fact]
    public void An_output_in_place_that_left_its_predecessor_behind_ends_the_merge_with_a_warning_not_a_failure()
    {
        var options = new MergeOptions { Inputs = [], OutDir = Path.Combine(_dir, "out") };
        var said = new List<string>();
        var outcome = MergeJob.Write(options, new RunSummary(), new StageTimer(),
            _ => new OutputError("the previous output could not be removed and was left in 'out.tmp-x'", Published: true), said.Add);
        Assert.Equal(0, outcome.ExitCode);
        Assert.NotNull(outcome.Summary);
        Assert.Equal(["warning: the previous output could not be removed and was left in 'out.tmp-x'"], said);

        // An output that is not in place stays a failure.
        var failed = MergeJob.Write(options, new RunSummary(), new StageTimer(), _ => new OutputError("disk full"), said.Add);
        Assert.Equal(MergeJob.OutputErrorExit, failed.ExitCode);
        Assert.Equal("disk full", failed.Error);
    }

    private static Dictionary<long, (long Cgid, long Gcntr)> ExtractionMap(string outDir)
    {
        using var reader = OutputReader.Open(outDir);
        var map = new Dictionary<long, (long, long)>();
        foreach (var e in reader.Extractions()) map[e.Cntr] = (e.Cgid, e.Gcntr);
        return map;
    }

    // The tiny golden merge. Rows 1,2,3,9 chain within 2" (9 repeats scan 100, so the
    // candidate group is confused); 4 is alone 10" north; 5,6 straddle RA 0/360 (0.36"
    // apart); 7,8 straddle the north pole (1.8" apart); 10 and 11 are bad rows.
    private const string TinyCsv =
        "cntr,scan_key,ra,dec,j_m,j_msigcom,h_m,h_msigcom,k_m,k_msigcom,jdate\n" +
        "1,100,10.0,20.0,12.0,0.02,11.5,0.02,11.3,0.02,2451000.5\n" +
        "2,101,10.0001,20.0,12.1,0.02,11.6,0.02,,,2451001.5\n" +
        "3,102,10.0002,20.0,12.2,0.02,11.4,0.02,11.2,0.02,2451002.5\n" +
        "4,100,10.0,20.0027777777778,15.0,0.1,,,,,2451000.5\n" +
        "5,103,359.99995,0.0,14.0,0.05,13.0,0.05,12.5,0.05,2451003.5\n" +
        "6,104,0.00005,0.0,14.1,0.05,13.1,0.05,12.6,0.05,2451004.5\n" +
        "7,105,0.0,90.0,9.0,0.02,8.5,0.02,8.4,0.02,2451005.5\n" +
        "8,106,180.0,89.9995,9.1,0.02,8.6,0.02,8.5,0.02,2451006.5\n" +
        "9,100,10.00003,20.0,12.05,0.02,11.55,0.02,11.25,0.02,2451000.5\n" +
        "10,107,10.0,95.0,12.0,0.02,11.5,0.02,11.3,0.02,2451000.5\n" +
        "11,108,abc,20.0,12.0,0.02,11.5,0.02,11.3,0.02,2451000.5\n";

    /// <summary>Every stage the merge announces, with its counter read when the next stage starts.</summary>
    private sealed class StageLog : IMergeProgress
    {
        private Func<long>? _rows;
        public List<(string Name, long Expected, long? DoneAtEnd)> Stages { get; } = new();
        public bool Finished { get; private set; }

        public void Stage(string name, Func<long>? rowsDone, long rowsExpected)
        {
            CloseLast();
            Stages.Add((name, rowsExpected, null));
            _rows = rowsDone;
        }

        public void Done() { CloseLast(); Finished = true; }

        private void CloseLast()
        {
            if (Stages.Count > 0 && _rows is not null) Stages[^1] = Stages[^1] with { DoneAtEnd = _rows() };
            _rows = null;
        }
    }

    /// <summary>A generated survey merged with a <see cref="StageLog"/> watching; <paramref name="name"/> names its files.</summary>
    private (MergeOutcome Outcome, StageLog Log, List<string> Names) MergeWatched(string name, int seed, int? zoneRows = null, FilterOptions? filters = null)
    {
        var sky = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 3000, seed, CenterRaDeg: 40, CenterDecDeg: 10));
        string input = Path.Combine(_dir, name + ".csv");
        TableTextWriter.Write(sky, input);
        var log = new StageLog();
        var outcome = MergeJob.Run(new MergeOptions
        {
            Inputs = [input], OutDir = Path.Combine(_dir, name + "-out"), Device = "cpu", Progress = log,
            ZoneRows = zoneRows, Filters = filters ?? new FilterOptions(),
        });
        Assert.Null(outcome.Error);
        Assert.True(log.Finished);
        return (outcome, log, log.Stages.Select(s => s.Name).ToList());
    }

    [Fact]
    public void Progress_counts_the_rows_whose_groups_are_computed_and_then_the_write()
    {
        // Held whole, the statistics run while groups.fb is written: the display counts their rows.
        var (outcome, log, names) = MergeWatched("progress", 11);
        int stats = names.LastIndexOf("statistics");
        Assert.True(stats >= 0 && names.IndexOf("write") == stats + 1, string.Join(" / ", names));
        var (_, expected, done) = log.Stages[stats];
        Assert.Equal(outcome.Summary!.RowsMerged, expected);
        Assert.Equal(expected, done);
    }

    [Fact]
    public void Progress_counts_the_zone_merges_write_stage_in_rows_to_its_end()
    {
        // Zone by zone, the write stage merges the zones' runs (for a full-sky remerge, a long stage): the display
        // counts it as rows, every merged or filtered row, reaching them all at its end.
        var (outcome, log, names) = MergeWatched("zone-progress", 12, zoneRows: 1500, filters: new FilterOptions(MinSnr: 5));
        Assert.Contains(names, n => n.StartsWith("merge ") && n.EndsWith(" zones"));
        // The footprints read every row of the runs twice.
        var footprints = log.Stages.Single(st => st.Name == "scan footprints");
        Assert.Equal(2 * outcome.Summary!.RowsRead, footprints.Expected);
        Assert.Equal(footprints.Expected, footprints.DoneAtEnd);
        Assert.Equal("write tables", names[^1]);
        var (_, expected, done) = log.Stages[^1];
        long extractions;
        using (var reader = OutputReader.Open(Path.Combine(_dir, "zone-progress-out"))) extractions = reader.Extractions().LongCount();
        Assert.True(extractions > outcome.Summary!.RowsMerged, "the filter should leave some rows out of the groups");
        Assert.Equal(extractions, expected);
        Assert.Equal(expected, done);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(1500)]
    public void Progress_counts_the_catalogue_rows_read_against_their_estimate(int? zoneRows)
    {
        // A full-sky catalogue takes minutes to read: the display counts its rows (kept or not) against an estimate.
        string catalogue = Path.Combine(_dir, $"psc-{zoneRows}.csv");
        var rnd = new Random(3);
        File.WriteAllLines(catalogue, new[] { "ra,dec" }.Concat(Enumerable.Range(0, 20_000)
            .Select(_ => string.Create(CultureInfo.InvariantCulture, $"{rnd.NextDouble() * 360:R},{rnd.NextDouble() * 180 - 90:R}"))));
        var (outcome, log, names) = MergeWatched($"catalogue-progress-{zoneRows}", 14, zoneRows,
            new FilterOptions(NotIn: new NotInCatalogues([catalogue], AnyScan: true)));
        var stage = log.Stages.Single(s => s.Name == "read the --not-in catalogues");
        Assert.Equal(20_000, stage.DoneAtEnd);
        Assert.InRange(stage.Expected, 15_000, 25_000);
        Assert.Equal(20_000, Assert.Single(outcome.Summary!.NotIn).RowsRead);
        // Read after the inputs, which the display counted first.
        Assert.True(names.IndexOf(stage.Name) > names.FindIndex(n => n.StartsWith("read ", StringComparison.Ordinal) && n != stage.Name));
    }

    [Fact]
    public void The_summary_names_the_model_that_scored_the_rows()
    {
        // The default model is named by its constant before it is parsed beside the read; a given model by its own version.
        var sky = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 2000, 13, CenterRaDeg: 40, CenterDecDeg: 10));
        string input = Path.Combine(_dir, "models.csv");
        TableTextWriter.Write(sky, input);
        var custom = ReliabilityModel.Load(ReliabilityModel.DefaultJson
            .Replace("\"version\": \"v2\"", "\"version\": \"t-sure\"").Replace("\"intercept\": 1,", "\"intercept\": 20,"));
        var scores = new List<byte[]>();
        foreach (var (name, model, version) in new[] { ("default", (ReliabilityModel?)null, "v2"), ("custom", custom, "t-sure") })
        {
            string outDir = Path.Combine(_dir, "models-" + name);
            var outcome = MergeJob.Run(new MergeOptions { Inputs = [input], OutDir = outDir, Device = "cpu", Reliability = model });
            Assert.Null(outcome.Error);
            Assert.Equal(version, outcome.Summary!.Parameters["reliability_model"]);
            using var reader = OutputReader.Open(outDir);
            scores.Add(reader.Extractions().Select(x => x.Reliability).ToArray());
        }
        Assert.Contains(scores[0], r => r < 9);
        Assert.All(scores[1], r => Assert.Equal(9, r));   // an intercept of 20 makes every row sure
    }

    [Theory]
    [InlineData(0.0, "00:00")]
    [InlineData(59.9, "00:59")]
    [InlineData(61, "01:01")]
    [InlineData(3599, "59:59")]
    [InlineData(3600, "1:00:00")]
    [InlineData(4800, "1:20:00")]
    [InlineData(36_061, "10:01:01")]
    [InlineData(-5, "00:00")]
    [InlineData(double.NaN, "00:00")]
    [InlineData(double.PositiveInfinity, ">999:00:00")]
    [InlineData(1e13, ">999:00:00")]
    public void Progress_times_keep_their_hours_and_never_overflow(double seconds, string expected)
    {
        Assert.Equal(expected, ProgressClock.Of(seconds));
        if (double.IsFinite(seconds) && Math.Abs(seconds) < 1e9) Assert.Equal(expected, ProgressClock.Of(TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void Tiny_merge_gives_the_hand_computed_groups_and_accounts_for_every_row()
    {
        string input = Write("tiny.csv", TinyCsv);
        string outDir = Path.Combine(_dir, "out");
        var outcome = Merge(outDir, [input]);
        Assert.Null(outcome.Error);

        var map = ExtractionMap(outDir);
        Assert.Equal(9, map.Count);
        Assert.All(new long[] { 1, 2, 3, 9 }, c => Assert.Equal(1, map[c].Cgid));
        Assert.Equal((4L, 4L), map[4]);
        Assert.Equal((5L, 5L), map[5]);
        Assert.Equal((5L, 5L), map[6]);
        Assert.Equal((7L, 7L), map[7]);
        Assert.Equal((7L, 7L), map[8]);
        // The confused candidate group splits so that scan 100 (rows 1 and 9) appears once per group.
        Assert.NotEqual(map[1].Gcntr, map[9].Gcntr);
        Assert.Equal(1, map[1].Gcntr);
        // Every final group holds at most one extraction per scan, and gcntr is its smallest cntr.
        Assert.Contains(map[9].Gcntr, new long[] { 2, 3, 9 });

        using (var reader = OutputReader.Open(outDir))
        {
            var g1 = reader.FindGroup(1)!;
            Assert.True(g1.Confused);
            Assert.Equal(1, g1.Cgid);
            var g5 = reader.FindGroup(5)!;
            Assert.Equal(2, g5.NMembers);
            Assert.False(g5.Confused);
            Assert.Equal(["5", "6"], reader.MembersOf(5).Select(m => m.Cntr.ToString(CultureInfo.InvariantCulture)).ToArray());
            // Every merged extraction is scored 0..9; the unconfirmed faint single (cntr 4) scores below the bright pair.
            var scores = reader.Extractions().ToDictionary(e => e.Cntr, e => e.Reliability);
            Assert.All(scores.Values, s => Assert.InRange(s, (byte)0, (byte)9));
        }

        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        var root = summary.RootElement;
        Assert.Equal(11, root.GetProperty("rows_read").GetInt64());
        Assert.Equal(9, root.GetProperty("rows_merged").GetInt64());
        Assert.Equal(2, root.GetProperty("rows_rejected").GetInt64());
        var byReason = root.GetProperty("rejects_by_reason");
        Assert.Equal(1, byReason.GetProperty("dec_out_of_range").GetInt64());
        Assert.Equal(1, byReason.GetProperty("unparsable_number").GetInt64());
    }

    [Fact]
    public void Missing_required_column_exits_2_and_leaves_no_output()
    {
        string input = Write("nodec.csv", "cntr,scan_key,ra\n1,1,10.0\n");
        string outDir = Path.Combine(_dir, "out-missing");
        var outcome = Merge(outDir, [input]);
        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("dec", outcome.Error);
        Assert.False(Directory.Exists(outDir));
        Assert.Empty(Directory.GetDirectories(_dir, "out-missing*"));
    }

    [Fact]
    public void Strict_mode_names_file_line_and_column_of_the_first_bad_row()
    {
        string input = Write("tiny.csv", TinyCsv);
        string outDir = Path.Combine(_dir, "out-strict");
        var outcome = Merge(outDir, [input], strict: true);
        Assert.Equal(2, outcome.ExitCode);
        Assert.StartsWith($"{input}:11:", outcome.Error);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Groups_equal_an_independent_friends_of_friends_for_any_order_block_size_and_device()
    {
        // A generated survey patch straddling RA 0/360, written in two orders.
        var block = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 1500, 11, CenterRaDeg: 0.0, CenterDecDeg: 30.0));
        string a = Path.Combine(_dir, "a.csv");
        TableTextWriter.Write(block, a);
        var rng = new Random(3);
        var perm = Enumerable.Range(0, block.Count).OrderBy(_ => rng.Next()).ToArray();
        string b = Path.Combine(_dir, "b.csv");
        TableTextWriter.Write(block.Select(perm), b);

        // Independent reference: brute-force components on the generator's values.
        var labels = new BruteForceLinkEngine().Link(block.Ra.AsSpan(0, block.Count), block.Dec.AsSpan(0, block.Count), 2.0);
        var expected = Components.CandidateIds(labels, block.Cntr.AsSpan(0, block.Count));

        var runs = new (string Input, string Device, int BlockRows)[]
        {
            (a, "cpu", 1 << 23), (b, "cpu", 1 << 23), (b, "cpu", 97), (a, "ilgpu-cpu", 1 << 23),
        };
        string? groupsHash = null;
        Dictionary<long, (long, long)>? first = null;
        foreach (var (input, device, blockRows) in runs)
        {
            string outDir = Path.Combine(_dir, $"out-{Path.GetFileNameWithoutExtension(input)}-{device}-{blockRows}");
            var outcome = Merge(outDir, [input], device, blockRows);
            Assert.Null(outcome.Error);
            var map = ExtractionMap(outDir);
            for (int i = 0; i < block.Count; i++) Assert.Equal(expected[i], map[block.Cntr[i]].Item1);
            if (first is null) first = map; else Assert.Equal(first, map);
            string hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(outDir, "groups.fb"))));
            groupsHash ??= hash;
            Assert.Equal(groupsHash, hash);
        }
    }
}
