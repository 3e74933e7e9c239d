using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;
using Wdb.Merge.Link;

namespace Wdb.Tests.Pipeline;

/// <summary>
/// Both merges compute their groups as they go out (<see cref="GroupChunks"/>, <see cref="OrderedGroups.Compute"/>):
/// the in-memory merge a wave of groups.fb's chunks at a time, the zone merge a spill batch at a time. Both must
/// write the bytes of the whole-table form (<see cref="GroupStages.Run"/>), and fail without hanging.
/// </summary>
public sealed class GroupChunksTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    /// <summary>
    /// A calibration tile (confused candidate groups split into final groups that share a cgid, so
    /// candidate sizes are sums over groups in different chunks) beside a sparse survey patch (groups of one),
    /// in declination order with their candidate ids, and the scan footprints.
    /// </summary>
    private static (ExtractionBlock Rows, long[] Cgid, ScanFootprints Footprints) Field()
    {
        var tile = SyntheticSky.Generate(new GeneratorOptions(SkyKind.CalTile, 30, 5, Scans: 25, CenterRaDeg: 10, CenterDecDeg: 5));
        var survey = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 300, 6, CenterRaDeg: 10, CenterDecDeg: 4));
        var b = new ExtractionBlock();
        foreach (var part in new[] { tile, survey })
            for (int i = 0; i < part.Count; i++)
            {
                int r = b.AddRow();
                b.CopyRow(part, i, r);
                if (part == survey) b.Cntr[r] += 1_000_000_000;   // both generators count cntr from 1
            }
        b.Permute(DeclinationSort.Order(b, 1), 1);
        var cgid = Components.CandidateIds(new CpuLinkEngine(1).Link(b.Ra.AsSpan(0, b.Count).ToArray(), b.Dec.AsSpan(0, b.Count).ToArray(), 2.0),
            b.Cntr.AsSpan(0, b.Count));
        return (b, cgid, ScanFootprints.DeriveFromExtractions(b, 1));
    }

    private static ExtractionBlock Copy(ExtractionBlock b) => b.Select(Enumerable.Range(0, b.Count).ToArray());

    /// <summary>Waves of chunks computed all at once, chunk by chunk by the encoding workers, or each as its rows say.</summary>
    private const int WholeWaves = 0, ChunkByChunk = int.MaxValue, Mixed = 20;

    [Theory]
    [InlineData(1, 1, WholeWaves)]
    [InlineData(1, 1, ChunkByChunk)]
    [InlineData(7, 2, WholeWaves)]
    [InlineData(7, 2, ChunkByChunk)]
    [InlineData(7, 2, Mixed)]
    [InlineData(100, 2, WholeWaves)]
    [InlineData(100, 2, ChunkByChunk)]
    [InlineData(OutputWriter.DefaultChunkRecords, 2, WholeWaves)]
    [InlineData(OutputWriter.DefaultChunkRecords, 2, ChunkByChunk)]
    public void Groups_computed_chunk_by_chunk_write_the_bytes_of_the_whole_table(int chunkRecords, int threads, int chunkComputeMaxRows)
    {
        var (rows, cgid, footprints) = Field();
        var options = new MergeOptions { Inputs = ["field.csv"], OutDir = "unused", Threads = threads };
        var model = ReliabilityModel.Default;

        var wholeSummary = new RunSummary();
        var wholeRows = Copy(rows);   // Run permutes it into group order, as the writer needs
        var whole = GroupStages.Run(wholeRows, (long[])cgid.Clone(), footprints, model, options, wholeSummary, new StageTimer(), null, null);
        Assert.True(whole.Groups.Count > 2 * TableEncoders.GroupsPerChunk(100), "several chunks of groups");
        Assert.Contains(Enumerable.Range(0, whole.Groups.Count), g => whole.Groups.Confused[g] && whole.Groups.CandidateSize[g] > whole.Groups.NMembers[g]);
        Assert.Contains(whole.Groups.NMembers, m => m == 1);
        Assert.Null(Publish("whole", new MergeOutputs
        {
            Block = wholeRows, Results = whole.Results, Groups = whole.Groups, Membership = whole.Membership,
            Summary = wholeSummary, Threads = threads,
        }, chunkRecords));

        var chunkSummary = new RunSummary();
        var ordered = GroupStages.Order(Copy(rows), (long[])cgid.Clone(), footprints, model, options, chunkSummary, new StageTimer(), null, null);
        int computedCalls = 0, waves = 0, chunks = 0;
        long unsetWhenComputed = -1;
        Assert.Null(Publish("chunks", new MergeOutputs
        {
            Block = ordered.Rows, Results = ordered.Results, Membership = ordered.Membership,
            GroupChunks = new GroupChunks
            {
                Compute = (start, end, into) => { waves++; ordered.Compute(start, end, into); },
                ComputeChunk = (start, end, into) => { Interlocked.Increment(ref chunks); ordered.ComputeAlone(start, end, into); },
                ChunkComputeMaxRows = chunkComputeMaxRows,
                // Every row's results are in place when the other tables start (gcntr, a cntr, is never 0 here).
                Computed = () => { computedCalls++; unsetWhenComputed = ordered.Results.Gcntr.Count(g => g == 0); },
            },
            Summary = chunkSummary, Threads = threads,
        }, chunkRecords));

        Assert.Equal(1, computedCalls);
        Assert.Equal(0, unsetWhenComputed);
        // Each way was taken where it should be: the tile's wave has more than 20 rows a chunk, the survey's fewer.
        Assert.True(chunkComputeMaxRows == ChunkByChunk ? waves == 0 && chunks > 0 : chunkComputeMaxRows == WholeWaves ? waves > 0 && chunks == 0 : waves > 0 && chunks > 0,
            $"waves {waves}, chunks {chunks}");
        Assert.Equal(ordered.Rows.Count, ordered.RowsDone);
        Assert.Equal(wholeSummary.Groups, chunkSummary.Groups);
        Assert.Equal(whole.Membership.Gcntr, ordered.Membership.Gcntr);
        foreach (var file in ZoneMergeTests.ComparedFiles)
            Assert.True(File.ReadAllBytes(_s.PathOf("whole/" + file)).AsSpan().SequenceEqual(File.ReadAllBytes(_s.PathOf("chunks/" + file))),
                $"{file} differs (chunk records {chunkRecords}, threads {threads})");
        // And the results the writer read: every row's.
        Assert.Equal(whole.Results.Reliability, ordered.Results.Reliability);
        Assert.Equal(whole.Results.SepArcsec, ordered.Results.SepArcsec);
        Assert.Equal(whole.Results.Gcntr, ordered.Results.Gcntr);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    public void A_failure_while_computing_groups_stops_every_table_and_leaves_nothing(int threads, bool chunkByChunk)
    {
        // members.fb follows groups.fb, waiting for its groups: it must not wait for ones that never come.
        var (rows, cgid, footprints) = Field();
        var options = new MergeOptions { Inputs = ["field.csv"], OutDir = "unused", Threads = threads };
        var ordered = GroupStages.Order(rows, cgid, footprints, ReliabilityModel.Default, options, new RunSummary(), new StageTimer(), null, null);
        int computed = 0;
        Action<int, int, GroupTable> Failing(Action<int, int, GroupTable> compute) => (start, end, into) =>
        {
            if (Interlocked.Increment(ref computed) == 3) throw new InvalidOperationException("a bug in the statistics");
            compute(start, end, into);
        };
        var outputs = new MergeOutputs
        {
            Block = ordered.Rows, Results = ordered.Results, Membership = ordered.Membership, Summary = new RunSummary(), Threads = threads,
            GroupChunks = chunkByChunk
                ? new GroupChunks { Compute = (_, _, _) => throw new InvalidOperationException("not used"), ComputeChunk = Failing(ordered.ComputeAlone), ChunkComputeMaxRows = ChunkByChunk }
                : new GroupChunks { Compute = Failing(ordered.Compute) },
        };
        var run = Task.Run(() => Publish("fails", outputs, 1));
        Assert.True(((IAsyncResult)run).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(60)), "the writer hung");
        var thrown = Assert.ThrowsAny<Exception>(() => run.GetAwaiter().GetResult());
        // Thrown on an encoding worker, the failure comes wrapped as Parallel.For wraps it.
        var failure = thrown is AggregateException aggregate ? Assert.Single(aggregate.Flatten().InnerExceptions) : thrown;
        Assert.Equal("a bug in the statistics", Assert.IsType<InvalidOperationException>(failure).Message);
        // Chunks already handed to workers finish; none starts after the failure's wave.
        Assert.True(chunkByChunk ? computed >= 3 : computed == 3, $"computed {computed}");
        Assert.Empty(Directory.GetFileSystemEntries(_s.Dir, "fails*"));
    }

    private OutputError? Publish(string name, MergeOutputs outputs, int chunkRecords) =>
        OutputWriter.Write(_s.PathOf(name), outputs, chunkRecords);

    [Fact]
    public void Exactly_one_source_of_groups_is_accepted()
    {
        var (rows, cgid, footprints) = Field();
        var options = new MergeOptions { Inputs = ["field.csv"], OutDir = "unused", Threads = 1 };
        var grouped = GroupStages.Run(rows, cgid, footprints, ReliabilityModel.Default, options, new RunSummary(), new StageTimer(), null, null);
        MergeOutputs With(GroupTable? table, GroupChunks? chunks) => new()
        {
            Block = rows, Results = grouped.Results, Groups = table, GroupChunks = chunks, Membership = grouped.Membership,
            Summary = new RunSummary(),
        };
        var chunks = new GroupChunks { Compute = (_, _, _) => { } };
        Assert.Throws<ArgumentException>(() => OutputWriter.Write(_s.PathOf("neither"), With(null, null)));
        Assert.Throws<ArgumentException>(() => OutputWriter.Write(_s.PathOf("both"), With(grouped.Groups, chunks)));
        using var runs = new OutputRuns(_s.PathOf("spill"));
        Assert.Throws<ArgumentException>(() => runs.Add(With(null, null)));
        Assert.Throws<ArgumentException>(() => runs.Add(With(grouped.Groups, chunks)));
        Assert.False(Directory.Exists(_s.PathOf("neither")) || Directory.Exists(_s.PathOf("both")));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Zone_groups_computed_as_they_are_spilled_give_the_whole_tables_bytes(int threads)
    {
        // More groups than a spill batch (8192), so the batch table is reused within the zone, and a second
        // zone after it (the same table reused across zones).
        var survey = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 9000, 8, CenterRaDeg: 200, CenterDecDeg: -40));
        var tile = SyntheticSky.Generate(new GeneratorOptions(SkyKind.CalTile, 20, 9, Scans: 30, CenterRaDeg: 10, CenterDecDeg: 60));
        for (int i = 0; i < tile.Count; i++) tile.Cntr[i] += 1_000_000_000;
        var options = new MergeOptions { Inputs = ["field.csv"], OutDir = "unused", Threads = threads };
        var model = ReliabilityModel.Default;
        var wholeSummary = new RunSummary();
        using var runs = new OutputRuns(_s.PathOf($"runs-{threads}"));
        var wholeBlock = new ExtractionBlock();
        var wholeResults = new List<(ExtractionBlock Rows, GroupedRows Grouped)>();
        int computed = 0;
        foreach (var zone in new[] { survey, tile })
        {
            zone.Permute(DeclinationSort.Order(zone, 1), 1);
            var cgid = Components.CandidateIds(new CpuLinkEngine(1).Link(zone.Ra.AsSpan(0, zone.Count).ToArray(), zone.Dec.AsSpan(0, zone.Count).ToArray(), 2.0),
                zone.Cntr.AsSpan(0, zone.Count));
            var footprints = ScanFootprints.DeriveFromExtractions(zone, 1);
            var reference = Copy(zone);
            wholeResults.Add((reference, GroupStages.Run(reference, (long[])cgid.Clone(), footprints, model, options, wholeSummary, new StageTimer(), null, null)));
            var ordered = GroupStages.Order(zone, cgid, footprints, model, options, new RunSummary(), new StageTimer(), null, null);
            runs.Add(new MergeOutputs
            {
                Block = ordered.Rows, Results = ordered.Results, Membership = ordered.Membership, Summary = new RunSummary(), Threads = threads,
                GroupChunks = new GroupChunks { Compute = ordered.Compute, Computed = () => computed++ },
            });
            Assert.Equal(wholeResults[^1].Grouped.Results.Reliability, ordered.Results.Reliability);
        }
        Assert.Equal(2, computed);
        Assert.True(wholeResults[0].Grouped.Groups.Count > 8192, "more groups than a spill batch");
        Assert.Null(runs.Error);
        Assert.Null(OutputWriter.Write(_s.PathOf($"zones-{threads}"), runs, new RunSummary(), [], threads, ChecksumAlgorithm.Xxh128, 100));

        // The same zones' whole tables, spilled as tables; and spilled on one thread, where each batch's records
        // are filled in one piece rather than in parts on every thread.
        foreach (int spillThreads in new[] { threads, 1 })
        {
            using var tableRuns = new OutputRuns(_s.PathOf($"table-runs-{threads}-{spillThreads}"));
            foreach (var (rows, grouped) in wholeResults)
                tableRuns.Add(new MergeOutputs
                {
                    Block = rows, Results = grouped.Results, Groups = grouped.Groups, Membership = grouped.Membership, Summary = new RunSummary(),
                    Threads = spillThreads,
                });
            Assert.Null(OutputWriter.Write(_s.PathOf($"tables-{threads}-{spillThreads}"), tableRuns, new RunSummary(), [], threads, ChecksumAlgorithm.Xxh128, 100));
            foreach (var file in ZoneMergeTests.ComparedFiles)
                Assert.True(File.ReadAllBytes(_s.PathOf($"tables-{threads}-{spillThreads}/" + file)).AsSpan().SequenceEqual(File.ReadAllBytes(_s.PathOf($"zones-{threads}/" + file))),
                    $"{file} differs (threads {threads}, spilled on {spillThreads})");
        }
    }
}

public sealed class GroupPartsTests
{
    [Fact]
    public void Parts_cover_every_group_once_cut_by_group_count_or_member_rows()
    {
        // Groups of one (a survey), then groups of 600-3700 (a calibration tile), then ones again.
        var sizes = new List<int>();
        sizes.AddRange(Enumerable.Repeat(1, 1000));
        var rng = new Random(3);
        for (int k = 0; k < 40; k++) sizes.Add(rng.Next(600, 3701));
        sizes.AddRange(Enumerable.Repeat(1, 300));
        var offsets = new int[sizes.Count + 1];
        for (int g = 0; g < sizes.Count; g++) offsets[g + 1] = offsets[g] + sizes[g];

        foreach (var (start, end) in new[] { (0, sizes.Count), (0, 0), (17, 17), (900, 1100), (1039, 1041) })
        {
            var parts = OrderedGroups.Parts(offsets, start, end);
            Assert.Equal(start, parts[0]);
            Assert.Equal(end, parts[^1]);
            for (int p = 0; p + 1 < parts.Count; p++)
            {
                int groups = parts[p + 1] - parts[p];
                if (start == end) { Assert.Equal(2, parts.Count); continue; }
                Assert.True(groups >= 1, $"empty part at {parts[p]}");
                Assert.True(groups <= OrderedGroups.PartGroups);
                // Below the row limit before its last group; a part stops growing once it reaches it.
                int rowsBeforeLast = offsets[parts[p + 1] - 1] - offsets[parts[p]];
                Assert.True(rowsBeforeLast < OrderedGroups.PartRows, $"part at {parts[p]} overran the rows");
                bool last = p + 2 == parts.Count;
                if (!last) Assert.True(groups == OrderedGroups.PartGroups || offsets[parts[p + 1]] - offsets[parts[p]] >= OrderedGroups.PartRows);
            }
        }
        // The tile's groups go a few to a part, the survey's 256.
        var whole = OrderedGroups.Parts(offsets, 0, sizes.Count);
        Assert.Equal(256, whole[1] - whole[0]);
        Assert.Contains(Enumerable.Range(0, whole.Count - 1), p => whole[p] >= 1000 && whole[p + 1] - whole[p] <= 2);
    }
}
