using System.Reflection;
using Wdb.Core;
using Wdb.IO;
using Wdb.Tests.Stats;

namespace Wdb.Tests.Output;

/// <summary>
/// The streaming writer against the whole-table writer: a merge result split into zones
/// (groups and filtered rows assigned at random, each zone's rows shuffled), spilled and
/// merged by <see cref="OutputRuns"/>, must give the same table, index and rejects bytes.
/// </summary>
public class OutputRunsTests
{
    private static readonly int[] ChunkSizes = [1, 3, 1000, OutputWriter.DefaultChunkRecords];
    private static readonly IReadOnlyList<string> Files = OutputWriter.FileNames;

    /// <summary>
    /// A real merge (friends-of-friends, confusion, statistics) of clustered sources seen by
    /// several scans: multi-member and single groups, NaN dates and magnitudes, upper limits.
    /// cntr values are shuffled, so gcntr has nothing to do with declination; filtered rows
    /// take cntr values between the merged ones.
    /// </summary>
    private static MergeOutputs Whole(int seed)
    {
        var rnd = new Random(seed);
        var cntrs = Enumerable.Range(0, 3000).Select(i => (long)i * 3 + 1).ToArray();
        rnd.Shuffle(cntrs);
        int next = 0;
        var b = new ExtractionBlock();
        for (int s = 0; s < 400; s++)
        {
            double ra = 10 + rnd.NextDouble() * 0.5, dec = -30 + rnd.NextDouble() * 2;
            int seen = rnd.Next(4) == 0 ? 1 : rnd.Next(2, 7);
            for (int k = 0; k < seen; k++)
            {
                var (r, d) = TestBlocks.Offset(ra, dec, TestBlocks.Gaussian(rnd) * 0.3, TestBlocks.Gaussian(rnd) * 0.3);
                int i = TestBlocks.Add(b, cntrs[next++], 100 + k, r, d, rnd.Next(6) == 0 ? double.NaN : 2451000 + rnd.NextDouble() * 900);
                b.ErrMaj[i] = 0.2f; b.ErrMin[i] = 0.15f; b.ErrAng[i] = rnd.Next(180);
                b.FileIndex[i] = rnd.Next(3); b.Line[i] = 10 + i;
                foreach (Band band in new[] { Band.J, Band.H, Band.K })
                {
                    if (rnd.Next(8) == 0) continue;   // absent: NaN magnitude
                    TestBlocks.SetMag(b, i, band, (float)(12 + rnd.NextDouble() * 4), 0.03f,
                        rdFlg: rnd.Next(10) == 0 ? (byte)'0' : (byte)'2', phQual: (byte)"ABCU"[rnd.Next(4)]);
                }
            }
        }
        var (table, membership, results, _) = TestBlocks.MergeAll(b);
        for (int i = 0; i < b.Count; i++) results.Reliability[i] = (byte)rnd.Next(10);

        var filtered = new ExtractionBlock();
        var reasons = new List<RejectReason>();
        for (int k = 0; k < 120; k++)
        {
            int i = filtered.AddRow();
            filtered.Cntr[i] = cntrs[next++];
            filtered.FileIndex[i] = rnd.Next(3); filtered.Line[i] = 5000 + k;
            reasons.Add(rnd.Next(2) == 0 ? RejectReason.FilteredLowSnr : RejectReason.FilteredArtifact);
        }
        return new MergeOutputs
        {
            Block = b, Results = results, Groups = table, Membership = membership,
            Filtered = filtered, FilteredReasons = [.. reasons],
            Rejects = [new RejectRecord("in/a.tbl", 7, 3, RejectReason.UnparsableNumber, "ra: \"x\"", 12)],
            Summary = new RunSummary { Version = "test" },
        };
    }

    private static MergeOutputs Empty() => new()
    {
        Block = new ExtractionBlock(), Results = ExtractionResults.Allocate(0), Groups = new GroupTable(),
        Membership = new Membership(), Summary = new RunSummary(),
    };

    /// <summary>
    /// The zones of <paramref name="whole"/>: group g goes to zone groupZone(g), filtered row f to
    /// filteredZone(f). Each zone's rows are shuffled; its membership keeps the whole's member order.
    /// </summary>
    private static List<MergeOutputs> Split(MergeOutputs whole, int zones, Func<int, int> groupZone, Func<int, int> filteredZone, int seed)
    {
        var rnd = new Random(seed);
        var m = whole.Membership;
        var list = new List<MergeOutputs>();
        for (int z = 0; z < zones; z++)
        {
            int[] groups = Enumerable.Range(0, m.GroupCount).Where(g => groupZone(g) == z).ToArray();
            int[] rows = groups.SelectMany(g => m.Members(g).ToArray()).ToArray();
            rnd.Shuffle(rows);
            var rowOf = new Dictionary<int, int>();
            for (int i = 0; i < rows.Length; i++) rowOf[rows[i]] = i;
            var membership = new Membership
            {
                Gcntr = groups.Select(g => m.Gcntr[g]).ToArray(),
                Offsets = [0, .. groups.Select(g => m.Offsets[g + 1] - m.Offsets[g]).Aggregate(new List<int>(), (acc, n) => { acc.Add((acc.Count > 0 ? acc[^1] : 0) + n); return acc; })],
                MemberRows = groups.SelectMany(g => m.Members(g).ToArray().Select(r => rowOf[r])).ToArray(),
            };
            int[] filtered = Enumerable.Range(0, whole.Filtered?.Count ?? 0).Where(f => filteredZone(f) == z).ToArray();
            rnd.Shuffle(filtered);
            list.Add(new MergeOutputs
            {
                Block = whole.Block.Select(rows),
                Results = new ExtractionResults
                {
                    Cgid = rows.Select(r => whole.Results.Cgid[r]).ToArray(), Gcntr = rows.Select(r => whole.Results.Gcntr[r]).ToArray(),
                    SepArcsec = rows.Select(r => whole.Results.SepArcsec[r]).ToArray(), Reliability = rows.Select(r => whole.Results.Reliability[r]).ToArray(),
                },
                Groups = SelectGroups(whole.Groups!, groups),
                Membership = membership,
                Filtered = filtered.Length == 0 && z % 2 == 0 ? null : whole.Filtered!.Select(filtered),
                FilteredReasons = filtered.Length == 0 && z % 2 == 0 ? null : filtered.Select(f => whole.FilteredReasons![f]).ToArray(),
                Summary = new RunSummary(),
            });
        }
        return list;
    }

    /// <summary>Rows of every column of a GroupTable (by reflection, so a new column is not forgotten).</summary>
    private static GroupTable SelectGroups(GroupTable t, int[] rows)
    {
        var s = new GroupTable();
        s.Allocate(rows.Length);
        CopyColumns(t, s, rows);
        for (int b = 0; b < t.Bands.Length; b++) CopyColumns(t.Bands[b], s.Bands[b], rows);
        return s;
    }

    private static void CopyColumns(object from, object to, int[] rows)
    {
        foreach (var f in from.GetType().GetFields(BindingFlags.Public | BindingFlags.Instance))
        {
            if (f.GetValue(from) is not Array source || f.FieldType == typeof(BandStats[])) continue;
            var target = (Array)f.GetValue(to)!;
            for (int i = 0; i < rows.Length; i++) target.SetValue(source.GetValue(rows[i]), i);
        }
    }

    /// <summary>Writes the whole and the zones, compares every file and the hashes; returns the number of groups.fb chunks.</summary>
    private static int AssertSameOutputs(MergeOutputs whole, IReadOnlyList<MergeOutputs> zones, int chunkRecords, int threads = 0, int readBuffer = 0)
    {
        using var tmp = new TempDir();
        Assert.Null(OutputWriter.Write(tmp["whole"], whole, chunkRecords));
        var summary = new RunSummary { Version = "test" };
        using (var runs = new OutputRuns(tmp["runs"], readBuffer))
        {
            foreach (var z in zones) runs.Add(z);
            Assert.Null(runs.Error);
            Assert.Equal(whole.Groups!.Count, runs.Groups);
            Assert.Equal(whole.Membership.Offsets[^1], runs.Members);
            Assert.Equal(whole.Block.Count + (whole.Filtered?.Count ?? 0), runs.Extractions);
            Assert.Null(OutputWriter.Write(tmp["streamed"], runs, summary, whole.Rejects, threads, ChecksumAlgorithm.Xxh128, chunkRecords));
        }
        Assert.False(Directory.Exists(tmp["runs"]));
        foreach (string f in Files)
            Assert.True(File.ReadAllBytes(Path.Combine(tmp["whole"], f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(tmp["streamed"], f))),
                $"{f} differs (chunkRecords {chunkRecords}, {zones.Count} zones)");
        Assert.Equal(whole.Summary.Outputs, summary.Outputs);
        Assert.True(File.Exists(Path.Combine(tmp["streamed"], "summary.json")));
        using var reader = OutputReader.Open(tmp["streamed"]);
        return ChunkList.Decode(File.ReadAllBytes(Path.Combine(tmp["streamed"], "groups.idx")))!.Count;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void RandomZonesGiveTheWholeTablesBytes(int zones)
    {
        var whole = Whole(zones);
        Assert.Contains(Enumerable.Range(0, whole.Membership.GroupCount), g => whole.Membership.Members(g).Length > 2);
        var rnd = new Random(100 + zones);
        int[] groupZone = Enumerable.Range(0, whole.Membership.GroupCount).Select(_ => rnd.Next(zones)).ToArray();
        int[] filteredZone = Enumerable.Range(0, whole.Filtered!.Count).Select(_ => rnd.Next(zones)).ToArray();
        var split = Split(whole, zones, g => groupZone[g], f => filteredZone[f], zones);
        foreach (int chunk in ChunkSizes)
        {
            int chunks = AssertSameOutputs(whole, split, chunk, threads: chunk == 3 ? 1 : 0, readBuffer: chunk == 1000 ? 7 : 0);
            if (chunk < 1000) Assert.True(chunks > 1);
        }
    }

    /// <summary>
    /// A cluster's way (docs/cluster.md): zones spilled by separate writers into directories of their own (one
    /// holding no zone), each saved; the saves opened together give the whole table's bytes, and neither the
    /// writers nor the reader delete them. A save whose file was cut short is refused with the file's path.
    /// </summary>
    [Fact]
    public void ZonesSavedInSeveralDirectoriesOpenedTogetherGiveTheWholeTablesBytes()
    {
        var whole = Whole(21);
        var rnd = new Random(21);
        int[] groupZone = Enumerable.Range(0, whole.Membership.GroupCount).Select(_ => rnd.Next(5)).ToArray();
        int[] filteredZone = Enumerable.Range(0, whole.Filtered!.Count).Select(_ => rnd.Next(5)).ToArray();
        var split = Split(whole, 5, g => groupZone[g], f => filteredZone[f], 21);
        using var tmp = new TempDir();
        Assert.Null(OutputWriter.Write(tmp["whole"], whole, OutputWriter.DefaultChunkRecords));
        // Writers of zones {0, 1}, {2}, {} and {3, 4}.
        int[][] writers = [[0, 1], [2], [], [3, 4]];
        var dirs = writers.Select((_, w) => tmp[$"task-{w}"]).ToList();
        for (int w = 0; w < writers.Length; w++)
        {
            using var runs = new OutputRuns(dirs[w]);
            foreach (int z in writers[w]) runs.Add(split[z]);
            Assert.Null(runs.Save());
        }
        Assert.All(dirs, d => Assert.True(File.Exists(Path.Combine(d, "runs.index"))));
        using (var all = OutputRuns.Open(dirs))
        {
            Assert.Equal(whole.Groups!.Count, all.Groups);
            Assert.Equal(whole.Membership.Offsets[^1], all.Members);
            Assert.Equal(whole.Block.Count + whole.Filtered.Count, all.Extractions);
            Assert.Throws<InvalidOperationException>(() => all.Add(Empty()));
            Assert.Null(OutputWriter.Write(tmp["stitched"], all, new RunSummary { Version = "test" }, whole.Rejects, 2, ChecksumAlgorithm.Xxh128));
        }
        foreach (string f in Files)
            Assert.True(File.ReadAllBytes(Path.Combine(tmp["whole"], f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(tmp["stitched"], f))), f);
        Assert.All(dirs, d => Assert.True(File.Exists(Path.Combine(d, "members.run"))));

        string members = Path.Combine(dirs[3], "members.run");
        File.WriteAllBytes(members, File.ReadAllBytes(members)[..64]);
        var cut = Assert.Throws<IOException>(() => OutputRuns.Open(dirs));
        Assert.Contains($"'{members}' is shorter than its index says", cut.Message);
    }

    /// <summary>
    /// A byte changed in any of the four run files, its size kept, fails the write with the file's path, as
    /// corrupted, and nothing is written; the same runs intact write. Both for runs saved and opened (a cluster's
    /// stitch) and for the writer's own runs, their sums held in memory, read back through buffers of a few bytes (many
    /// refills a run).
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_byte_changed_in_any_run_fails_the_write_naming_the_file_and_intact_runs_write(bool saved)
    {
        var whole = Whole(31);
        var split = Split(whole, 3, g => g % 3, f => f % 3, 31);
        using var tmp = new TempDir();
        string dir = tmp["runs"];
        var rnd = new Random(31);
        foreach (string kind in new[] { "groups.run", "group-sizes.run", "members.run", "extractions.run" })
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            using (var written = new OutputRuns(dir, readBufferBytes: saved ? 0 : 40))
            {
                foreach (var zone in split) written.Add(zone);
                Assert.Null(written.Save());   // the spill's writes ended: the file whole on the disk, to be changed
                string file = Path.Combine(dir, kind);
                long at = rnd.NextInt64(new FileInfo(file).Length);
                var bytes = File.ReadAllBytes(file);
                bytes[at] ^= 0x10;
                File.WriteAllBytes(file, bytes);
                string outDir = tmp[$"out-{kind}"];
                OutputError? error;
                if (saved)
                {
                    using var opened = OutputRuns.Open([dir]);
                    error = OutputWriter.Write(outDir, opened, new RunSummary { Version = "test" }, whole.Rejects, 2, ChecksumAlgorithm.Xxh128);
                }
                else error = OutputWriter.Write(outDir, written, new RunSummary { Version = "test" }, whole.Rejects, 2, ChecksumAlgorithm.Xxh128);
                Assert.NotNull(error);
                Assert.True(error.Message.Contains($"'{file}' was corrupted or changed since it was written"), error.Message);
                Assert.False(Directory.Exists(outDir));
                Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(outDir)!, $"*out-{kind}*"));
                if (!saved) continue;
                bytes[at] ^= 0x10;
                File.WriteAllBytes(file, bytes);
                using var intact = OutputRuns.Open([dir]);
                Assert.Null(OutputWriter.Write(outDir, intact, new RunSummary { Version = "test" }, whole.Rejects, 2, ChecksumAlgorithm.Xxh128));
            }
        }
    }

    [Fact]
    public void InterleavedZonesAndAnEmptyOne()
    {
        var whole = Whole(11);
        int n = whole.Membership.GroupCount;
        // Round robin over zones 0, 2 and 3: every zone's gcntr range spans the others'; zone 1 gets nothing.
        int[] zoneOf = [0, 2, 3];
        var split = Split(whole, 4, g => zoneOf[g % 3], f => zoneOf[(f + 1) % 3], 11);
        Assert.Equal(0, split[1].Groups!.Count);
        Assert.True(split[0].Membership.Gcntr[^1] > split[2].Membership.Gcntr[0] && split[2].Membership.Gcntr[^1] > split[0].Membership.Gcntr[0]);
        split.Add(Empty());
        foreach (int chunk in ChunkSizes)
            AssertSameOutputs(whole, split, chunk);
        Assert.True(n > 100);
    }

    [Fact]
    public void AllFilteredRowsInAZoneWithoutGroups()
    {
        var whole = Whole(5);
        var split = Split(whole, 3, g => g % 2, _ => 2, 5);
        Assert.Equal(0, split[2].Groups!.Count);
        Assert.Equal(whole.Filtered!.Count, split[2].Filtered!.Count);
        AssertSameOutputs(whole, split, 3);
        AssertSameOutputs(whole, split, 1000);
    }

    [Fact]
    public void ZeroZonesGiveTheEmptyWholesBytes()
    {
        foreach (int chunk in ChunkSizes)
            AssertSameOutputs(Empty(), [], chunk);
        AssertSameOutputs(Empty(), [Empty(), Empty()], 1);
    }

    [Fact]
    public void DisposeDeletesTheRunsDirectory()
    {
        using var tmp = new TempDir();
        string dir = tmp["runs"];
        var runs = new OutputRuns(dir);
        Assert.True(Directory.Exists(dir));
        runs.Add(Whole(3));
        Assert.NotEmpty(Directory.EnumerateFiles(dir));
        runs.Dispose();
        Assert.False(Directory.Exists(dir));
        runs.Dispose();
        Assert.Throws<ObjectDisposedException>(() => runs.Add(Empty()));
    }

    [Fact]
    public void RefusesADirectoryWithOtherFiles()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp["keep.txt"], "mine");
        Assert.Throws<ArgumentException>(() => new OutputRuns(tmp.Path));
        Assert.True(File.Exists(tmp["keep.txt"]));
    }

    [Fact]
    public void UnwritableOutputIsAnErrorAndLeavesNothing()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp["file"], "not a directory");
        string outDir = Path.Combine(tmp["file"], "out");
        using var runs = new OutputRuns(tmp["runs"]);
        runs.Add(Whole(2));
        var error = OutputWriter.Write(outDir, runs, new RunSummary(), [], 0, ChecksumAlgorithm.Xxh128);
        Assert.NotNull(error);
        Assert.Contains(outDir, error!.Message);
        Assert.Equal(["file", "runs"], Directory.EnumerateFileSystemEntries(tmp.Path).Select(Path.GetFileName).Order());

        // The same error value as the whole-table writer's.
        Assert.Equal(OutputWriter.Write(outDir, Whole(2), 1000), error);
    }

    [Fact]
    public void SpillFailureIsReturnedByWriteWithoutOutput()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp["file"], "not a directory");
        using var runs = new OutputRuns(Path.Combine(tmp["file"], "runs"));
        Assert.NotNull(runs.Error);
        runs.Add(Whole(4));   // ignored
        Assert.Equal(0, runs.Groups);
        var error = OutputWriter.Write(tmp["out"], runs, new RunSummary(), [], 0, ChecksumAlgorithm.Xxh128);
        Assert.Equal(runs.Error, error);
        Assert.False(Directory.Exists(tmp["out"]));
    }

    [Fact]
    public void AGroupInTwoZonesIsRefused()
    {
        var whole = Whole(6);
        var split = Split(whole, 2, g => g % 2, f => f % 2, 6);
        using var tmp = new TempDir();
        using var runs = new OutputRuns(tmp["runs"]);
        runs.Add(split[0]);
        runs.Add(split[0]);
        Assert.Throws<InvalidOperationException>(() => OutputWriter.Write(tmp["out"], runs, new RunSummary(), [], 0, ChecksumAlgorithm.Xxh128));
        Assert.False(Directory.Exists(tmp["out"]));
        Assert.Empty(Directory.EnumerateDirectories(tmp.Path, "out*"));
    }
}
