using Wdb.Core;
using Wdb.Merge;

namespace Wdb.Tests.Pipeline;

public class DuplicateCntrTests
{
    /// <summary>Brute force: a row is a duplicate when an earlier row by (file, line) has its cntr.</summary>
    private static List<int> Expected(ExtractionBlock b)
    {
        var dups = new List<int>();
        for (int i = 0; i < b.Count; i++)
            for (int j = 0; j < b.Count; j++)
                if (j != i && b.Cntr[j] == b.Cntr[i] && (b.FileIndex[j], b.Line[j]).CompareTo((b.FileIndex[i], b.Line[i])) < 0)
                {
                    dups.Add(i);
                    break;
                }
        return dups;
    }

    /// <summary>How the cntr values spread: over a few per row (the bitmap), far apart (the sort), across long's whole range (the sort: the span wraps).</summary>
    public enum Spread { Dense, Sparse, Extremes }

    [Theory]
    [InlineData(1, false, Spread.Dense)]
    [InlineData(2, true, Spread.Dense)]
    [InlineData(3, false, Spread.Sparse)]
    [InlineData(4, true, Spread.Sparse)]
    [InlineData(5, false, Spread.Extremes)]
    public void AgreesWithBruteForceInReadOrderAndShuffled(int seed, bool shuffled, Spread spread)
    {
        var rnd = new Random(seed);
        var rows = new List<(int File, long Line, long Cntr)>();
        for (int f = 0; f < 3; f++)
            for (int line = 2; line < 400; line++)
            {
                long v = rnd.Next(900);   // ~1,200 rows over 900 values: many duplicates, some triples
                long cntr = spread switch
                {
                    Spread.Dense => 1_000 + v,
                    Spread.Sparse => 1_000 + v * 1_000_003,
                    _ => v % 2 == 0 ? long.MinValue + v : long.MaxValue - v,
                };
                rows.Add((f, line, cntr));
            }
        if (shuffled) rows = rows.OrderBy(_ => rnd.Next()).ToList();
        var b = new ExtractionBlock();
        foreach (var (file, line, cntr) in rows)
        {
            int i = b.AddRow();
            b.FileIndex[i] = file; b.Line[i] = line; b.Cntr[i] = cntr;
        }
        var expected = Expected(b);
        Assert.True(expected.Count > 200, $"{expected.Count} duplicates");
        Assert.Equal(expected, DuplicateCntr.Find(b));
        // The bitmap is taken exactly where the rows are in read order and the span is small.
        var dense = DuplicateCntr.FindInOnePass(b);
        Assert.Equal(spread == Spread.Dense && !shuffled, dense is not null);
        if (dense is not null) Assert.Equal(expected, dense);
        Assert.Equal(expected, DuplicateCntr.Find(b, threads: 1));
    }

    [Fact]
    public void Rows_in_read_order_with_ascending_cntr_have_no_duplicates_whatever_their_spread()
    {
        var rnd = new Random(6);
        var b = new ExtractionBlock();
        long cntr = long.MinValue / 2;
        for (int r = 0; r < 2_000; r++)
        {
            int i = b.AddRow();
            b.Line[i] = r + 2;
            b.Cntr[i] = cntr += 1 + rnd.Next(1_000_000_000);   // sparse: far beyond the bitmap's span
        }
        Assert.Empty(DuplicateCntr.FindInOnePass(b)!);
        Assert.Empty(Expected(b));
        b.Cntr[1_500] = b.Cntr[1_499];   // one repeat: no longer ascending, too sparse for the bitmap
        Assert.Null(DuplicateCntr.FindInOnePass(b));
        Assert.Equal([1_500], DuplicateCntr.Find(b));
    }

    [Fact]
    public void The_bitmap_takes_spans_up_to_its_limit_and_an_empty_block()
    {
        Assert.Equal([], DuplicateCntr.FindInOnePass(new ExtractionBlock())!);
        foreach (long span in new[] { 10L * DuplicateCntr.DenseSpanPerRow - 1, 10L * DuplicateCntr.DenseSpanPerRow })
        {
            var b = new ExtractionBlock();
            for (int r = 0; r < 10; r++)
            {
                int i = b.AddRow();
                b.Line[i] = r + 2;
                b.Cntr[i] = r == 9 ? span : r % 3;   // rows 3.. repeat 0, 1, 2
            }
            var dense = DuplicateCntr.FindInOnePass(b);
            Assert.Equal(span < 10L * DuplicateCntr.DenseSpanPerRow, dense is not null);
            Assert.Equal([3, 4, 5, 6, 7, 8], DuplicateCntr.Find(b));
        }
    }
}
