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
        var merge = new RunMerge<long, LongKey>(readers);
        var actual = new List<(long, int)>();
        while (merge.Next(out int run, out long key)) actual.Add((key, run));
        Assert.Equal(expected.OrderBy(e => e.Key).ThenBy(e => e.Run).ToList(), actual);
    }

    /// <summary>
    /// Records wider than a read buffer (every one straddles refills) come out whole, merged into
    /// their slots, with the key of each in LastKey.
    /// </summary>
    [Theory]
    [InlineData(1, 16)]
    [InlineData(4, 16)]
    [InlineData(7, 100)]
    [InlineData(7, 4096)]
    public void Wide_records_arrive_whole_in_their_slots(int k, int bufferBytes)
    {
        var rng = new Random(100 + k);
        using var file = new SpillFile(_s.PathOf($"wide-{k}-{bufferBytes}.run"));
        var extents = new List<(long Offset, long Length)>();
        var expected = new List<Wide>();
        for (int r = 0; r < k; r++)
        {
            var records = Enumerable.Range(0, rng.Next(0, 200)).Select(_ => (long)rng.Next(0, 1000)).Order()
                .Select(key => new Wide(key, rng.NextDouble(), rng.Next(), r)).ToArray();
            extents.Add((file.Length, records.Length * (long)Marshal.SizeOf<Wide>()));
            file.Append(MemoryMarshal.AsBytes(records.AsSpan()));
            expected.AddRange(records);
        }
        var merge = new RunMerge<Wide, Wide>(extents.Select(e => new RunReader(file, e.Offset, e.Length, bufferBytes)).ToArray());
        var slots = new Wide[expected.Count + 1];
        int n = 0;
        while (merge.Next(ref slots[n], out int run))
        {
            Assert.Equal(slots[n].Run, run);
            Assert.Equal(slots[n].Key, merge.LastKey);
            n++;
        }
        Assert.Equal(expected.OrderBy(w => w.Key).ThenBy(w => w.Run).ToArray(), slots[..n]);
        Assert.Equal(default, slots[n]);   // the end leaves the slot as it was
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Wide(long Key, double Payload, int Noise, int Run) : IRecordKey<Wide>
    {
        public static long Of(in Wide w) => w.Key;
        public static int Tie(in Wide a, in Wide b) => 0;
    }

    private readonly struct LongKey : IRecordKey<long>
    {
        public static long Of(in long x) => x;
        public static int Tie(in long a, in long b) => 0;
    }
}
