using Wdb.Core;
using Wdb.Merge;

namespace Wdb.Tests.Pipeline;

/// <summary>
/// Duplicate cntr found block after block without sorting (<see cref="OnePassDuplicates"/>), as the zone
/// merge's partition pass finds them: against brute force over the blocks together, out of read order, and
/// where it must give up.
/// </summary>
public class OnePassDuplicatesTests
{
    /// <summary>Rows in read order (file, then line), cut into blocks of the given sizes.</summary>
    private static List<ExtractionBlock> Blocks(IReadOnlyList<long> cntr, params int[] sizes)
    {
        var blocks = new List<ExtractionBlock>();
        int row = 0;
        foreach (int size in sizes.Append(int.MaxValue))
        {
            var b = new ExtractionBlock();
            for (int k = 0; k < size && row < cntr.Count; k++, row++)
            {
                int i = b.AddRow();
                b.FileIndex[i] = row < cntr.Count / 2 ? 0 : 1;
                b.Line[i] = row + 2;
                b.Cntr[i] = cntr[row];
            }
            if (b.Count > 0) blocks.Add(b);
            if (row == cntr.Count) break;
        }
        return blocks;
    }

    /// <summary>Brute force over all rows in read order: (block, row) of every row whose cntr an earlier row has.</summary>
    private static List<(int Block, int Row)> Expected(List<ExtractionBlock> blocks)
    {
        var seen = new HashSet<long>();
        var dups = new List<(int, int)>();
        for (int k = 0; k < blocks.Count; k++)
            for (int i = 0; i < blocks[k].Count; i++)
                if (!seen.Add(blocks[k].Cntr[i])) dups.Add((k, i));
        return dups;
    }

    private static List<(int Block, int Row)>? Found(List<ExtractionBlock> blocks, long maxBitmapBytes = long.MaxValue, long expectedRows = 0)
    {
        var pass = new OnePassDuplicates(maxBitmapBytes, expectedRows);
        var found = new List<(int, int)>();
        for (int k = 0; k < blocks.Count; k++)
        {
            var rows = pass.Add(blocks[k], last: k == blocks.Count - 1);
            if (rows is null)
            {
                Assert.True(pass.GaveUp);
                Assert.Null(pass.Add(blocks[k]));   // for good
                return null;
            }
            found.AddRange(rows.Select(i => (k, i)));
        }
        Assert.False(pass.GaveUp);
        // Out of read order the rows named need not be the ones to reject.
        return pass.InReadOrder ? found : null;
    }

    [Theory]
    [InlineData(1, 0L)]                 // dense from 1, as generated
    [InlineData(2, -3_000L)]            // dense across zero
    [InlineData(3, long.MinValue + 5)]  // dense at the bottom of long's range
    [InlineData(4, long.MaxValue - 5_000)]
    public void Dense_shuffled_cntr_over_many_blocks_agree_with_brute_force(int seed, long from)
    {
        var rnd = new Random(seed);
        // ~4,000 rows over 3,000 values, shuffled: many repeats, across blocks and within them; the lowest
        // and highest values come late, so the bitmap grows downwards and upwards.
        var cntr = Enumerable.Range(0, 4_000).Select(_ => from + rnd.Next(1, 3_000)).ToList();
        cntr.Add(from);
        cntr.Add(from + 3_000);
        foreach (var sizes in new[] { new[] { 1, 7, 100 }, new[] { 400, 400, 400, 400, 400, 400, 400, 400, 400, 400 }, new[] { 5_000 } })
        {
            var blocks = Blocks(cntr, sizes);
            var expected = Expected(blocks);
            Assert.True(expected.Count > 1_000);
            Assert.Equal(expected, Found(blocks, expectedRows: cntr.Count));
            // Without the expected rows, a first block far smaller than the values' span looks sparse.
            Assert.Equal(sizes[0] * DuplicateCntr.DenseSpanPerRow > 3_000, Found(blocks) is not null);
        }
    }

    [Fact]
    public void Sparse_ascending_cntr_have_none_and_a_later_descent_gives_up()
    {
        var rnd = new Random(5);
        long c = 10;
        var cntr = Enumerable.Range(0, 3_000).Select(_ => c += 1 + rnd.Next(1_000_000)).ToList();   // far beyond the bitmap's span
        Assert.Equal([], Found(Blocks(cntr, 500, 500, 500)));
        // Ascending within each block but not across two: without a bitmap nothing can be told.
        var across = cntr.ToList();
        (across[999], across[1_000]) = (across[1_000], across[999]);
        Assert.Null(Found(Blocks(across, 1_000, 1_000)));
        // A repeat inside a block, likewise.
        var repeat = cntr.ToList();
        repeat[2_500] = repeat[2_499];
        Assert.Null(Found(Blocks(repeat, 1_000, 1_000)));
    }

    [Fact]
    public void Dense_ascending_cntr_keep_their_bitmap_and_then_name_a_late_repeat()
    {
        // Rows 1..3000 ascending in six blocks, then a block repeating some of them: the bitmap saw them all.
        var cntr = Enumerable.Range(1, 3_000).Select(v => (long)v).ToList();
        cntr.AddRange([17, 2_999, 3_001, 17]);
        var blocks = Blocks(cntr, 500, 500, 500, 500, 500, 500);
        Assert.Equal([(6, 0), (6, 1), (6, 3)], Expected(blocks));
        Assert.Equal(Expected(blocks), Found(blocks));
    }

    [Fact]
    public void Rows_out_of_read_order_name_the_repeated_values_but_not_which_row_is_first()
    {
        var rnd = new Random(8);
        var cntr = Enumerable.Range(0, 2_000).Select(_ => (long)rnd.Next(1, 1_500)).ToList();
        var blocks = Blocks(cntr, 500, 500, 500);
        var expected = Expected(blocks);
        // Files read at once: the second file's blocks come first.
        blocks.Reverse();
        var pass = new OnePassDuplicates(expectedRows: cntr.Count);
        foreach (var b in blocks) Assert.NotNull(pass.Add(b));
        Assert.False(pass.GaveUp);
        Assert.False(pass.InReadOrder);
        var repeated = cntr.GroupBy(c => c).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        Assert.Equal(repeated.Count, pass.RepeatedValues);
        Assert.All(Enumerable.Range(0, 1_501), v => Assert.Equal(repeated.Contains(v), pass.IsRepeated(v)));
        Assert.True(expected.Count > 300);
        // The rows to reject are then found among every row, read again in any order: the first by (file, line) kept.
        var rows = blocks.ToList();
        var rejected = pass.Rejected(() => rows.AsEnumerable().Reverse());
        Assert.Equal(expected.Select(e => (Blocks(cntr, 500, 500, 500)[e.Block].FileIndex[e.Row], Blocks(cntr, 500, 500, 500)[e.Block].Line[e.Row])),
            rejected.Select(d => (d.FileIndex, d.Line)));
        Assert.All(rejected, d => Assert.Equal(cntr[(int)d.Line - 2], d.Cntr));
        // A swap inside one block is out of read order too; in order again, the block's rows are the duplicates.
        blocks = Blocks(cntr, 500, 500, 500);
        (blocks[2].Line[10], blocks[2].Line[11]) = (blocks[2].Line[11], blocks[2].Line[10]);
        Assert.Null(Found(blocks, expectedRows: cntr.Count));
        blocks = Blocks(cntr, 500, 500, 500);
        blocks[1].FileIndex[0] = blocks[0].FileIndex[499];   // the second block starts at the first's last line
        blocks[1].Line[0] = blocks[0].Line[499];
        Assert.Null(Found(blocks, expectedRows: cntr.Count));
        Assert.Equal(expected, Found(Blocks(cntr, 500, 500, 500), expectedRows: cntr.Count));
        // In read order the rows named are the ones rejected; the rows are not read again.
        var inOrder = new OnePassDuplicates(expectedRows: cntr.Count);
        foreach (var b in Blocks(cntr, 500, 500, 500)) inOrder.Add(b);
        Assert.Equal(expected.Count, inOrder.Rejected(() => throw new InvalidOperationException("read again")).Count);
    }

    [Fact]
    public void The_span_limit_counts_every_row_seen_and_the_budget_caps_the_bitmap()
    {
        // Ten rows spanning just under 64 values a row are dense; one value more is sparse (as for one block).
        foreach (long span in new[] { 10L * DuplicateCntr.DenseSpanPerRow - 1, 10L * DuplicateCntr.DenseSpanPerRow })
        {
            var cntr = Enumerable.Range(0, 10).Select(r => r == 9 ? span : (long)(r % 3)).ToList();
            var found = Found(Blocks(cntr, 3, 3));
            Assert.Equal(span < 10L * DuplicateCntr.DenseSpanPerRow, found is not null);
        }
        // A later block may widen the span as long as the rows seen so far cover it.
        var wide = Enumerable.Range(0, 1_000).Select(r => (long)(r % 500)).Append(60_000L).ToList();
        Assert.Equal(Expected(Blocks(wide, 1_000)), Found(Blocks(wide, 1_000)));
        // The budget: 3,000 dense values need 47 words; 40 words' budget refuses them (they are not ascending).
        var shuffled = Enumerable.Range(0, 3_000).Select(v => (long)((v * 7919) % 3_000)).ToList();
        Assert.NotNull(Found(Blocks(shuffled, 1_000), maxBitmapBytes: 47 * 8));
        Assert.Null(Found(Blocks(shuffled, 1_000), maxBitmapBytes: 40 * 8));
        // Ascending values need no bitmap: the budget does not stop them.
        var ascending = Enumerable.Range(0, 3_000).Select(v => (long)v * 3).ToList();
        Assert.Equal([], Found(Blocks(ascending, 1_000), maxBitmapBytes: 0));
    }

    [Fact]
    public void The_bitmap_grows_by_doubling_for_ascending_blocks()
    {
        var pass = new OnePassDuplicates();
        var blocks = Blocks(Enumerable.Range(1, 64 * 1_024).Select(v => (long)v).ToList(), Enumerable.Repeat(64, 1_023).ToArray());
        var sizes = new List<long>();
        foreach (var b in blocks)
        {
            Assert.Equal([], pass.Add(b));
            if (sizes.Count == 0 || sizes[^1] != pass.BitmapBytes) sizes.Add(pass.BitmapBytes);
        }
        // 1,024 blocks, but the bitmap was made anew only about log2(1,024) times.
        Assert.InRange(sizes.Count, 8, 12);
        Assert.InRange(pass.BitmapBytes, 1_025 * 8, 2 * 1_025 * 8);
    }
}
