using Wdb.IO;

namespace Wdb.Tests.Output;

/// <summary>
/// extractions.fb's order: merged rows (0..) and filtered rows (after them) by cntr, placed without sorting where
/// the cntr are distinct and dense (<see cref="TableEncoders.PlaceByCntr"/>), sorted elsewhere.
/// </summary>
public class ExtractionOrderTests
{
    /// <summary>Brute force: rows by (cntr, row).</summary>
    private static int[] Expected(long[] merged, long[] filtered) =>
        merged.Concat(filtered).Select((c, row) => (c, row)).OrderBy(x => x.c).ThenBy(x => x.row).Select(x => x.row).ToArray();

    [Theory]
    [InlineData(1, 1L, 1)]                   // dense from 1, shuffled, gaps where rows were rejected
    [InlineData(2, -500L, 1)]                // across zero
    [InlineData(3, long.MinValue, 1)]        // at the bottom of long's range
    [InlineData(4, long.MaxValue - 4_000, 1)]
    [InlineData(5, 1L, 3)]                   // sparse: three values a row
    public void Distinct_cntr_are_placed_where_dense_and_sorted_elsewhere_in_the_same_order(int seed, long from, int step)
    {
        var rnd = new Random(seed);
        var values = Enumerable.Range(0, 3_000).Where(_ => rnd.Next(10) > 0).Select(v => from + (long)v * step).OrderBy(_ => rnd.Next()).ToArray();
        long[] merged = values[..(values.Length * 3 / 4)], filtered = values[(values.Length * 3 / 4)..];
        var placed = TableEncoders.PlaceByCntr(merged, filtered);
        Assert.Equal(step == 1, placed is not null);
        var expected = Expected(merged, filtered);
        if (placed is not null) Assert.Equal(expected, placed);
        // Through the merge's outputs, either way.
        var o = Synthetic.Make();
        Assert.Equal(Expected(o.Block.Cntr[..o.Block.Count], o.Filtered!.Cntr[..o.Filtered.Count]), TableEncoders.ExtractionOrder(o).Rows);
    }

    [Fact]
    public void A_value_twice_or_a_span_at_the_limit_takes_the_sort()
    {
        Assert.Equal([], TableEncoders.PlaceByCntr([], [])!);
        Assert.Null(TableEncoders.PlaceByCntr([5, 7, 6], [7]));          // 7 twice (the sort keeps the merged row first)
        Assert.Null(TableEncoders.PlaceByCntr([1, 8], []));               // span 7 over two rows: sparse
        Assert.Equal([1, 0], TableEncoders.PlaceByCntr([4, 1], [])!);     // span 3 over two rows: placed
        Assert.Null(TableEncoders.PlaceByCntr([1, 2], [long.MinValue]));  // a span across long's whole range
    }
}
