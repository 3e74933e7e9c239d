using Wdb.Core;
using Wdb.Merge;

namespace Wdb.Tests.Pipeline;

public sealed class DuplicateCntrRunsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"wdb-cntr-runs-{Guid.NewGuid():N}");

    public DuplicateCntrRunsTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string RunsDirectory => Path.Combine(_root, "runs");

    /// <summary>Rows of <paramref name="files"/> files in read order, cntr drawn from <paramref name="values"/> values (negative ones too).</summary>
    private static List<(int File, long Line, long Cntr)> Rows(Random rng, int files, int perFile, int values)
    {
        var rows = new List<(int, long, long)>();
        for (int f = 0; f < files; f++)
        {
            long line = 1 + rng.Next(3);
            for (int k = 0; k < perFile; k++, line += 1 + rng.Next(3))
                rows.Add((f, line, rng.Next(values) - values / 3));
        }
        return rows;
    }

    private static ExtractionBlock Block(IEnumerable<(int File, long Line, long Cntr)> rows)
    {
        var b = new ExtractionBlock();
        foreach (var (file, line, cntr) in rows)
        {
            int i = b.AddRow();
            b.FileIndex[i] = file; b.Line[i] = line; b.Cntr[i] = cntr;
        }
        return b;
    }

    /// <summary>The reference: DuplicateCntr.Find on all rows as one block, as (file, line, cntr) in (file, line) order.</summary>
    private static List<DuplicateRow> Expected(List<(int File, long Line, long Cntr)> rows)
    {
        var whole = Block(rows);
        return DuplicateCntr.Find(whole)
            .Select(i => new DuplicateRow(whole.FileIndex[i], whole.Line[i], whole.Cntr[i]))
            .OrderBy(d => d.FileIndex).ThenBy(d => d.Line).ThenBy(d => d.Cntr).ToList();
    }

    /// <summary>The rows in consecutive blocks of random sizes (some empty, some single rows, one past a read buffer).</summary>
    private static List<DuplicateRow> FindInBlocks(string directory, List<(int File, long Line, long Cntr)> rows, Random rng, int threads = 0,
                                                   int sampleEvery = DuplicateCntrRuns.SampleEvery)
    {
        using var runs = new DuplicateCntrRuns(directory, threads, sampleEvery);
        for (int from = 0; from < rows.Count;)
        {
            int size = rng.Next(5) switch { 0 => 0, 1 => 1, 2 => 5000 + rng.Next(3000), _ => 1 + rng.Next(700) };
            int to = Math.Min(rows.Count, from + size);
            runs.Add(Block(rows.Skip(from).Take(to - from)));
            from = to;
        }
        return runs.Find();
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 4)]
    public void Blocks_in_read_order_reject_what_one_block_rejects(int seed, int threads)
    {
        var rng = new Random(seed);
        var rows = Rows(rng, files: 4, perFile: 6000, values: 15_000);   // duplicates within and across blocks and files
        var expected = Expected(rows);
        Assert.True(expected.Count > 5000, $"{expected.Count} duplicates");
        Assert.Contains(expected, d => d.FileIndex > 0 && d.Cntr < 0);
        Assert.Equal(expected, FindInBlocks(RunsDirectory, rows, rng, threads));
    }

    /// <summary>
    /// The merge split into cntr ranges (up to 4 per thread, cut at sampled keys) rejects what one
    /// merge does: samples every few entries put range bounds inside runs, and few cntr values put
    /// one cntr's entries in many runs on both sides of a bound's sample.
    /// </summary>
    [Theory]
    [InlineData(1, 2, 1, 15_000)]
    [InlineData(2, 3, 7, 15_000)]
    [InlineData(3, 4, 64, 15_000)]
    [InlineData(4, 8, 1, 40)]
    [InlineData(5, 16, 3, 400)]
    [InlineData(6, 1, 1, 400)]
    public void Cntr_ranges_merged_apart_reject_what_one_merge_rejects(int seed, int threads, int sampleEvery, int values)
    {
        var rng = new Random(seed);
        var rows = Rows(rng, files: 4, perFile: 6000, values: values);
        var expected = Expected(rows);
        Assert.True(expected.Count > 5000, $"{expected.Count} duplicates");
        Assert.Equal(expected, FindInBlocks(RunsDirectory, rows, rng, threads, sampleEvery));
    }

    [Fact]
    public void Rows_out_of_read_order_keep_the_first_by_file_and_line()
    {
        var rng = new Random(9);
        var rows = Rows(rng, files: 3, perFile: 4000, values: 6000).OrderBy(_ => rng.Next()).ToList();
        var expected = Expected(rows);
        Assert.True(expected.Count > 3000, $"{expected.Count} duplicates");
        // Not the same as keeping the first in arrival order: the test can tell them apart.
        var firstArrived = new HashSet<long>();
        var byArrival = rows.Where(r => !firstArrived.Add(r.Cntr)).Select(r => new DuplicateRow(r.File, r.Line, r.Cntr))
            .OrderBy(d => d.FileIndex).ThenBy(d => d.Line).ToList();
        Assert.NotEqual(expected, byArrival);
        Assert.Equal(expected, FindInBlocks(RunsDirectory, rows, rng, threads: 3, sampleEvery: 5));
    }

    [Fact]
    public void One_cntr_in_every_block_keeps_its_earliest_row()
    {
        using var runs = new DuplicateCntrRuns(RunsDirectory);
        runs.Add(Block([(1, 7, 42), (1, 8, 5)]));
        runs.Add(Block([(0, 900, 42), (2, 1, 5)]));
        runs.Add(Block([(0, 3, 42), (0, 4, 42)]));
        Assert.Equal([new DuplicateRow(0, 4, 42), new DuplicateRow(0, 900, 42), new DuplicateRow(1, 7, 42), new DuplicateRow(2, 1, 5)],
                     runs.Find());
    }

    [Fact]
    public void No_blocks_or_empty_blocks_reject_nothing()
    {
        using (var none = new DuplicateCntrRuns(RunsDirectory))
            Assert.Empty(none.Find());
        using var empty = new DuplicateCntrRuns(RunsDirectory);
        empty.Add(new ExtractionBlock());
        empty.Add(new ExtractionBlock());
        Assert.Empty(empty.Find());
        Assert.Empty(Directory.GetFiles(RunsDirectory));
    }

    /// <summary>
    /// An I/O error while the ranges are merged on several threads comes out as itself (the zone merge
    /// turns an IOException into one error line; wrapped in an AggregateException it escaped as a crash).
    /// </summary>
    [Fact]
    public void A_run_file_that_cannot_be_read_fails_with_its_IOException()
    {
        var rng = new Random(4);
        using var runs = new DuplicateCntrRuns(RunsDirectory, threads: 2, sampleEvery: 16);
        var rows = Rows(rng, files: 2, perFile: 3000, values: 4000);
        runs.Add(Block(rows.Take(3000)));
        runs.Add(Block(rows.Skip(3000)));
        foreach (string file in Directory.GetFiles(RunsDirectory)) File.Delete(file);
        var e = Record.Exception(() => runs.Find());
        Assert.IsAssignableFrom<IOException>(e);
    }

    [Fact]
    public void Dispose_deletes_the_directory_it_made()
    {
        var runs = new DuplicateCntrRuns(RunsDirectory);
        runs.Add(Block([(0, 1, 1), (0, 2, 1)]));
        Assert.NotEmpty(Directory.GetFiles(RunsDirectory));
        Assert.Single(runs.Find());
        runs.Dispose();
        Assert.False(Directory.Exists(RunsDirectory));
        Assert.Throws<ObjectDisposedException>(() => runs.Find());
        runs.Dispose();
    }

    [Fact]
    public void An_existing_directory_is_refused_and_left_alone()
    {
        Directory.CreateDirectory(RunsDirectory);
        File.WriteAllText(Path.Combine(RunsDirectory, "keep.txt"), "not the runs'");
        Assert.Throws<IOException>(() => new DuplicateCntrRuns(RunsDirectory));
        Assert.True(File.Exists(Path.Combine(RunsDirectory, "keep.txt")));
    }
}
