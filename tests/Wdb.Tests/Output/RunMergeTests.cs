using System.Runtime.InteropServices;
using Wdb.IO;

namespace Wdb.Tests.Output;

/// <summary>The k-way merge gives every record once, by key, ties by run, for any number of runs.</summary>
public sealed class RunMergeTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(17)]
    public void Merges_sorted_runs_by_key_then_run(int k)
    {
        var rng = new Random(k);
        using var file = new SpillFile(_s.PathOf($"runs-{k}.run"));
        var extents = new List<(long Offset, long Length)>();
        var expected = new List<(long Key, int Run)>();
        for (int r = 0; r < k; r++)
        {
            // Some runs empty, many equal keys across runs (a small key range).
            int n = r % 4 == 3 ? 0 : rng.Next(1, 300);
            var keys = Enumerable.Range(0, n).Select(_ => (long)rng.Next(-50, 50)).Order().ToArray();
            extents.Add((file.Length, keys.Length * 8L));
            file.Append(MemoryMarshal.AsBytes(keys.AsSpan()));
            expected.AddRange(keys.Select(key => (key, r)));
        }
        var readers = extents.Select(e => new RunReader(file, e.Offset, e.Length, 24)).ToArray();
        var merge = new RunMerge<long>(readers, x => x);
        var actual = new List<(long, int)>();
        while (merge.Next(out int run, out long key)) actual.Add((key, run));
        Assert.Equal(expected.OrderBy(e => e.Key).ThenBy(e => e.Run).ToList(), actual);
    }
}
