using Wdb.Core;
using Wdb.Merge;

namespace Wdb.Tests.Pipeline;

/// <summary>
/// A duplicate cntr's reject names where the kept copy of its cntr is (file:line, the first row by (file, line)),
/// so that a user need not open both files to learn which row was merged: held whole, in zones (where the
/// duplicates are found without locations and the kept copies by a second pass) and on a cluster, with the
/// same rows rejected as before.
/// </summary>
public sealed class DuplicateKeptCopyTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    // cntr 1 and 4 repeat within a file, 3 and 2 across files, and 1 a third time in the second file.
    private const string First = "cntr,scan_key,ra,dec\n1,1,10.0,0.0\n2,1,10.01,0.0\n1,2,10.00001,0.0\n3,1,20.0,1.0\n";
    private const string Second = "cntr,scan_key,ra,dec\n3,5,20.0,1.0\n4,5,30.0,2.0\n4,6,30.0,2.0001\n2,7,10.01,0.00001\n1,8,10.0,0.00002\n";

    /// <summary>
    /// The two files with every cntr multiplied by <paramref name="factor"/>: 1 keeps them dense (found while
    /// reading, no locations), a large one sparse (found by sorting).
    /// </summary>
    private (string A, string B) Inputs(long factor)
    {
        string Scaled(string table) => string.Join("\n", table.Split('\n').Select((l, i) =>
            i == 0 || l.Length == 0 ? l : $"{long.Parse(l[..l.IndexOf(',')]) * factor}{l[l.IndexOf(',')..]}"));
        return (_s.Write($"a-{factor}.csv", Scaled(First)), _s.Write($"b-{factor}.csv", Scaled(Second)));
    }

    private static MergeOptions Options(IReadOnlyList<string> inputs, string outDir, int zoneRows = 0, int filesAtOnce = 0, bool strict = false) => new()
    {
        Inputs = inputs, OutDir = outDir, Device = "cpu", Threads = 2, ZoneRows = zoneRows, FilesAtOnce = filesAtOnce, Strict = strict,
    };

    private static string Reject(string file, long line, long cntr, string keptFile, long keptLine) =>
        $"{file},{line},1,duplicate_cntr,{cntr},cntr {cntr} already read at {keptFile}:{keptLine}";

    private static List<string> Rejects(string outDir) => File.ReadAllLines(Path.Combine(outDir, "rejects.csv")).Skip(1).Order().ToList();

    [Theory]
    [InlineData(1L)]
    [InlineData(1_000_000_007L)]
    public void Each_duplicate_names_its_kept_copy_held_whole_in_zones_and_on_a_cluster(long factor)
    {
        var (a, b) = Inputs(factor);
        string whole = _s.PathOf($"whole-{factor}");
        Assert.Null(MergeJob.Run(Options([a, b], whole)).Error);
        var expected = new[]
        {
            Reject(a, 4, 1 * factor, a, 2), Reject(b, 2, 3 * factor, a, 5), Reject(b, 4, 4 * factor, b, 3),
            Reject(b, 5, 2 * factor, a, 3), Reject(b, 6, 1 * factor, a, 2),
        }.Order().ToList();
        Assert.Equal(expected, Rejects(whole));

        // Zones of every size, files read one after another and at once (rows out of read order), and a cluster:
        // the same bytes in every table, rejects.csv included.
        var (outDirs, _) = ZoneMergeTests.AssertZonesAndClusterMatch(_s, Options([a, b], "x"), whole, zoneRows: [1, 3, 100], tasks: 2);
        foreach (int zoneRows in new[] { 2, 100 })
        {
            string atOnce = _s.PathOf($"at-once-{factor}-{zoneRows}");
            Assert.Null(MergeJob.Run(Options([a, b], atOnce, zoneRows, filesAtOnce: 2)).Error);
            Assert.Equal(expected, Rejects(atOnce));
        }
        Assert.All(outDirs, d => Assert.Equal(expected, Rejects(d)));
    }

    [Fact]
    public void Given_the_other_way_round_the_first_file_given_holds_the_kept_copies()
    {
        var (a, b) = Inputs(1);
        var expected = new[]
        {
            Reject(b, 4, 4, b, 3), Reject(a, 2, 1, b, 6), Reject(a, 3, 2, b, 5), Reject(a, 4, 1, b, 6), Reject(a, 5, 3, b, 2),
        }.Order().ToList();
        foreach (int zoneRows in new[] { 0, 2 })
        {
            string outDir = _s.PathOf($"reversed-{zoneRows}");
            Assert.Null(MergeJob.Run(Options([b, a], outDir, zoneRows)).Error);
            Assert.Equal(expected, Rejects(outDir));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Under_strict_the_error_names_the_kept_copy(int zoneRows)
    {
        var (a, b) = Inputs(1);
        var failed = MergeJob.Run(Options([a, b], _s.PathOf($"strict-{zoneRows}"), zoneRows, strict: true));
        Assert.Equal(MergeJob.InputErrorExit, failed.ExitCode);
        Assert.Equal($"{a}:4:1: duplicate cntr 1, first read at {a}:2", failed.Error);
    }

    [Fact]
    public void Kept_copies_are_the_first_by_file_and_line_whatever_order_the_rows_come_in()
    {
        var rows = new[] { (File: 1, Line: 9L, Cntr: 7L), (0, 5, 7), (1, 2, 8), (0, 9, 9), (1, 3, 8), (0, 3, 7) };
        var blocks = rows.Chunk(2).Select(chunk =>
        {
            var block = new ExtractionBlock();
            foreach (var (file, line, cntr) in chunk)
            {
                int i = block.AddRow();
                (block.FileIndex[i], block.Line[i], block.Cntr[i]) = (file, line, cntr);
            }
            return block;
        }).ToList();
        var rejected = new[] { new DuplicateRow(0, 5, 7), new DuplicateRow(1, 9, 7), new DuplicateRow(1, 3, 8) };
        var kept = DuplicateCntr.KeptCopies(rejected, () => blocks);
        Assert.Equal(new Dictionary<long, (int, long)> { [7] = (0, 3), [8] = (1, 2) }, kept);
        Assert.Empty(DuplicateCntr.KeptCopies([], () => throw new InvalidOperationException("read again without duplicates")));
    }
}
