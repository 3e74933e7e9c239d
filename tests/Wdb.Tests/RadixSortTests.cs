using Wdb.Core;

namespace Wdb.Tests;

public class RadixSortTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(1000)]
    [InlineData(5000)]
    [InlineData(300_001)]   // past the parallel threshold: passes split over slices of rows
    public void Sorts_and_is_stable_at_every_size(int n)
    {
        var rng = new Random(n);
        // Few distinct keys, so stability matters; items record the original position.
        var keys = Enumerable.Range(0, n).Select(_ => (ulong)rng.Next(7) << (8 * rng.Next(3)) | (ulong)rng.Next(3) << 56).ToArray();
        var items = Enumerable.Range(0, n).ToArray();
        var expected = items.OrderBy(i => keys[i]).ToArray(); // LINQ OrderBy is stable
        var sortedKeys = (ulong[])keys.Clone();
        RadixSort.SortPairs(sortedKeys, items, n);
        Assert.Equal(expected, items);
        Assert.Equal(expected.Select(i => keys[i]), sortedKeys);
    }

    [Theory]
    [InlineData(1_000, 1)]
    [InlineData(300_001, 1)]
    [InlineData(300_001, 2)]
    [InlineData(300_001, 3)]   // slices of unequal length
    public void Passes_of_any_digit_width_over_narrow_keys_sort_stably_whatever_the_threads(int n, int threads)
    {
        var rng = new Random(n + threads);
        // 22-bit keys in two 11-bit digits (as the gcntr sort's), with many repeats so that stability shows.
        var keys = Enumerable.Range(0, n).Select(_ => (uint)rng.Next(1 << 22) & 0x3F_F8_07u).ToArray();
        var items = Enumerable.Range(0, n).ToArray();
        var expected = items.OrderBy(i => keys[i]).ToArray();
        uint[] sortedKeys = (uint[])keys.Clone();
        int[] sortedItems = items;
        RadixSort.Passes(ref sortedKeys, ref sortedItems, n, 11, [0, 11], threads);
        Assert.Equal(expected, sortedItems);
        Assert.Equal(expected.Select(i => keys[i]), sortedKeys);
        // Only the digits asked for are sorted by: one 11-bit pass leaves the order of the higher bits alone.
        uint[] lowKeys = (uint[])keys.Clone();
        int[] lowItems = Enumerable.Range(0, n).ToArray();
        RadixSort.Passes(ref lowKeys, ref lowItems, n, 11, [0], threads);
        Assert.Equal(Enumerable.Range(0, n).OrderBy(i => keys[i] & 0x7FF).ToArray(), lowItems);
    }

    [Fact]
    public void Double_keys_keep_numeric_order_with_nan_last()
    {
        double[] values = [3.5, -0.0, 0.0, -2.25, double.NaN, double.NegativeInfinity, 1e-300, -1e-300, double.PositiveInfinity];
        var ordered = values.OrderBy(RadixSort.KeyOf).ToArray();
        Assert.Equal([double.NegativeInfinity, -2.25, -1e-300, -0.0, 0.0, 1e-300, 3.5, double.PositiveInfinity, double.NaN], ordered);
        // Every other double comes back bit for bit, -0.0 and the subnormals included.
        foreach (double v in values.Where(v => !double.IsNaN(v)).Append(double.Epsilon).Append(-double.MaxValue))
            Assert.Equal(BitConverter.DoubleToInt64Bits(v), BitConverter.DoubleToInt64Bits(RadixSort.DoubleOf(RadixSort.KeyOf(v))));
    }

    [Fact]
    public void Long_keys_keep_order_and_invert()
    {
        long[] values = [long.MinValue, -5, -1, 0, 1, 42, long.MaxValue];
        Assert.Equal(values, values.OrderBy(RadixSort.KeyOf).ToArray());
        Assert.Equal(values, values.Select(v => RadixSort.LongOf(RadixSort.KeyOf(v))).ToArray());
    }

    [Theory]
    [InlineData(3, 500, 1)]          // runs of ~170: Array.Sort
    [InlineData(400, 1000, 1)]       // runs of 1-10: insertion
    [InlineData(5, 200_000, 3)]      // above the parallel threshold: runs of ~40,000 cut across the slices
    [InlineData(60_000, 200_000, 2)] // short runs, cuts moved to run starts
    [InlineData(1, 150_000, 16)]     // one run: every cut moves to the end
    public void Ties_are_ordered_by_the_comparer_and_keys_stay_in_order(int distinctKeys, int n, int threads)
    {
        var rng = new Random(n);
        var keys = Enumerable.Range(0, n).Select(_ => (ulong)rng.Next(distinctKeys)).ToArray();
        var tieValue = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();   // a permutation: every tie broken
        var items = Enumerable.Range(0, n).ToArray();
        var expected = items.OrderBy(i => keys[i]).ThenByDescending(i => tieValue[i]).ToArray();
        RadixSort.SortPairs(keys, items, n);
        var order = new Descending(tieValue, new bool[n]);
        var inRuns = items.Where((item, k) => (k > 0 && keys[k] == keys[k - 1]) || (k + 1 < n && keys[k + 1] == keys[k])).Order().ToArray();
        RadixSort.SortTies(keys, items, n, order, threads);
        Assert.Equal(expected, items);
        // Asked ahead for exactly the rows whose order it reads: those in runs, not the rows alone with their key.
        Assert.Equal(inRuns, Enumerable.Range(0, n).Where(i => order.Asked[i]));
    }

    /// <summary>Ties by descending value, noting the items it was asked ahead for.</summary>
    private readonly struct Descending(int[] value, bool[] asked) : RadixSort.ITieOrder
    {
        public bool[] Asked => asked;
        public int Compare(int a, int b) => value[b].CompareTo(value[a]);
        public void Prefetch(int item) => asked[item] = true;
    }
}
