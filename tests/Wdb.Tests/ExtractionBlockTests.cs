using Wdb.Core;

namespace Wdb.Tests;

public class ExtractionBlockTests
{
    [Fact]
    public void Rows_past_the_longest_array_are_refused_not_wrapped()
    {
        // first + n once summed in an int: past int.MaxValue it went negative, skipped the growth and left Count negative.
        var b = new ExtractionBlock(16);
        b.AddRows(1);
        var e = Assert.Throws<InvalidOperationException>(() => b.AddRowsUnset(int.MaxValue));
        Assert.Contains("--zone-rows", e.Message);
        Assert.Equal(1, b.Count);
    }

    private static ExtractionBlock Numbered(int n)
    {
        var b = new ExtractionBlock(n + 7);   // capacity beyond Count, as after a reserved read
        for (int i = 0; i < n; i++)
        {
            int r = b.AddRow();
            b.Cntr[r] = 1000 + i; b.ScanKey[r] = 2 * i; b.Ra[r] = i * 0.5; b.Dec[r] = -i * 0.25;
            b.ErrMaj[r] = i; b.ErrMin[r] = i + 0.5f; b.ErrAng[r] = i % 180; b.JDate[r] = 2451000 + i;
            b.Ndet[r] = i; b.Prox[r] = i * 2f; b.MpFlg[r] = (byte)i; b.GalContam[r] = (byte)(i + 1); b.Truth[r] = -i;
            b.FileIndex[r] = i % 3; b.Line[r] = i + 2;
            for (int k = 0; k < Bands.Count; k++)
            {
                var band = b.Bands[k];
                band.Mag[r] = 10 + k + i * 0.001f; band.Sig[r] = k + i; band.Snr[r] = 100 - i;
                band.PhQual[r] = (byte)('A' + (i + k) % 4); band.RdFlg[r] = (byte)('0' + i % 10);
                band.BlFlg[r] = (byte)('0' + (i + 1) % 10); band.CcFlg[r] = (byte)('a' + (i + k) % 26);
            }
        }
        return b;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void PermuteMovesWholeRows(int seed)
    {
        const int n = 5000;
        var rnd = new Random(seed);
        var reference = Numbered(n);
        int[] order = Enumerable.Range(0, n).ToArray();
        // Mostly shuffled, with fixed points and short cycles left in by the partial shuffle.
        for (int i = n - 1; i > 0; i--)
            if (rnd.Next(4) != 0) { int j = rnd.Next(i + 1); (order[i], order[j]) = (order[j], order[i]); }
        Assert.Contains(Enumerable.Range(0, n), i => order[i] == i);

        var b = Numbered(n);
        b.Permute(order);
        Assert.Equal(n, b.Count);
        for (int k = 0; k < n; k++) Assert.Equal(BlockText.Row(reference, order[k]), BlockText.Row(b, k));
    }

    /// <summary>
    /// The in-memory merge sorts only the grouping columns by declination (TakeGroupingColumns) and gathers the
    /// others once, into group order (Rejoin): every row must come out whole, as one Permute by the two orders
    /// composed gives it, and while apart each block holds only its own columns.
    /// </summary>
    [Theory]
    [InlineData(1, 7)]
    [InlineData(2, 5000)]
    [InlineData(2, 100_003)]
    public void GroupingColumnsTakenAndRejoinedMoveWholeRows(int threads, int n)
    {
        var rnd = new Random(n);
        int[] taken = Enumerable.Range(0, n).ToArray(), order = Enumerable.Range(0, n).ToArray();
        rnd.Shuffle(taken);
        rnd.Shuffle(order);
        var reference = Numbered(n);
        reference.Permute(order.Select(k => taken[k]).ToArray());

        var b = Numbered(n);
        var grouping = b.TakeGroupingColumns(taken, threads);
        Assert.Equal(n, grouping.Count);
        var original = Numbered(n);
        for (int k = 0; k < n; k++)
        {
            int i = taken[k];
            Assert.Equal((original.Cntr[i], original.ScanKey[i], original.Ra[i], original.Dec[i], original.JDate[i]),
                (grouping.Cntr[k], grouping.ScanKey[k], grouping.Ra[k], grouping.Dec[k], grouping.JDate[k]));
            for (int band = 0; band < Bands.Count; band++)
                Assert.Equal((original.Bands[band].Mag[i], original.Bands[band].RdFlg[i], original.Bands[band].PhQual[i]),
                    (grouping.Bands[band].Mag[k], grouping.Bands[band].RdFlg[k], grouping.Bands[band].PhQual[k]));
        }
        // Apart, a column read from the wrong block fails at once rather than giving another row's value.
        Assert.Empty(b.Ra); Assert.Empty(b.Cntr); Assert.Empty(b.Bands[1].Mag);
        Assert.Empty(grouping.ErrMaj); Assert.Empty(grouping.Line); Assert.Empty(grouping.Bands[0].Sig);
        Assert.Equal(original.Line[5 % n], b.Line[5 % n]);   // the others stay in their own order

        Assert.Throws<InvalidOperationException>(() => b.Permute(order, threads));   // not while apart
        Assert.Throws<InvalidOperationException>(() => grouping.Permute(order, threads));

        // The zone merge carries some rows on whole, keeps the rest of the grouping rows, and rejoins those.
        int[] carried = Enumerable.Range(0, n).Where(k => k % 3 == 1).ToArray(), kept = Enumerable.Range(0, n).Where(k => k % 3 != 1).ToArray();
        var carry = b.SelectJoined(grouping, taken, carried, threads);
        Assert.Equal(carried.Length, carry.Count);
        for (int k = 0; k < carried.Length; k++) Assert.Equal(BlockText.Row(original, taken[carried[k]]), BlockText.Row(carry, k));
        var keptReference = Numbered(n);
        keptReference.Permute(kept.Select(k => taken[k]).ToArray());
        var b2 = Numbered(n);
        var grouping2 = b2.TakeGroupingColumns(taken, threads);
        grouping2.KeepGroupingRows(kept, threads);
        b2.Rejoin(grouping2, kept.Select(k => taken[k]).ToArray(), Enumerable.Range(0, kept.Length).ToArray(), threads);
        Assert.Equal(kept.Length, b2.Count);
        for (int k = 0; k < kept.Length; k++) Assert.Equal(BlockText.Row(keptReference, k), BlockText.Row(b2, k));
        // Ascending rows are moved down in place, others gathered: the same rows either way.
        var reversed = kept.Reverse().ToArray();
        var b3 = Numbered(n);
        var grouping3 = b3.TakeGroupingColumns(taken, threads);
        grouping3.KeepGroupingRows(reversed, threads);
        b3.Rejoin(grouping3, reversed.Select(k => taken[k]).ToArray(), Enumerable.Range(0, reversed.Length).ToArray(), threads);
        for (int k = 0; k < kept.Length; k++) Assert.Equal(BlockText.Row(keptReference, kept.Length - 1 - k), BlockText.Row(b3, k));

        b.Rejoin(grouping, taken, order, threads);
        Assert.Equal(n, b.Count);
        for (int k = 0; k < n; k++) Assert.Equal(BlockText.Row(reference, k), BlockText.Row(b, k));
        Assert.Empty(grouping.Ra);   // given up as it was gathered
        Assert.Throws<ArgumentException>(() => Numbered(n).Rejoin(Numbered(n), taken[..^1], order));
        Assert.Throws<InvalidOperationException>(() => Numbered(n).KeepGroupingRows(order));
    }

    /// <summary>
    /// Past 65,536 rows each column is gathered in slices on several threads, each read asked for
    /// ahead of time (NOTES 62): every row lands whole, also at the slices' ends and in the last rows.
    /// </summary>
    [Theory]
    [InlineData(1, 65_537)]
    [InlineData(4, 100_003)]
    public void PermuteOnSeveralThreadsMovesWholeRows(int threads, int n)
    {
        var reference = Numbered(n);
        int[] order = Enumerable.Range(0, n).ToArray();
        new Random(n).Shuffle(order);
        var b = Numbered(n);
        b.Permute(order, threads);
        Assert.Equal(n, b.Count);
        for (int k = 0; k < n; k++)
        {
            int i = order[k];
            Assert.Equal(1000 + i, b.Cntr[k]);
            Assert.Equal(reference.Ra[i], b.Ra[k]);
            Assert.Equal(reference.ErrMin[i], b.ErrMin[k]);
            Assert.Equal(reference.Bands[2].CcFlg[i], b.Bands[2].CcFlg[k]);
            Assert.Equal(reference.Line[i], b.Line[k]);
        }
        foreach (int k in new[] { 0, 1, n / 8 - 1, n / 8, n / 2, n - 25, n - 24, n - 1 })
            Assert.Equal(BlockText.Row(reference, order[k]), BlockText.Row(b, k));
    }

    [Fact]
    public void PermuteWithASubsetOrARepeatedRow()
    {
        var reference = Numbered(10);
        var b = Numbered(10);
        int[] subset = [9, 0, 4];
        b.Permute(subset);
        Assert.Equal(3, b.Count);
        for (int k = 0; k < 3; k++) Assert.Equal(BlockText.Row(reference, subset[k]), BlockText.Row(b, k));

        var c = Numbered(10);
        int[] repeated = [1, 1, 2, 3, 4, 5, 6, 7, 8, 0];   // not a permutation: row 9 dropped, row 1 twice
        c.Permute(repeated);
        for (int k = 0; k < 10; k++) Assert.Equal(BlockText.Row(reference, repeated[k]), BlockText.Row(c, k));
    }

    /// <summary>
    /// After a reversal and a subset every column is in an array of its own, at least Capacity long,
    /// and a grown block and appended rows see whole rows (a gather into reused arrays, NOTES 58, had
    /// to keep this).
    /// </summary>
    [Fact]
    public void PermutedColumnsOwnTheirArraysAndTheBlockGrowsAfterwards()
    {
        var reference = Numbered(5000);
        var b = Numbered(5000);
        int[] reverse = Enumerable.Range(0, 5000).Reverse().ToArray();
        int[] subset = Enumerable.Range(0, 5000).Where(i => i % 7 != 3).ToArray();
        b.Permute(reverse, threads: 2);
        b.Permute(subset, threads: 2);
        var columns = new List<Array> { b.Cntr, b.ScanKey, b.Ra, b.Dec, b.ErrMaj, b.ErrMin, b.ErrAng, b.JDate,
                                        b.Ndet, b.Prox, b.MpFlg, b.GalContam, b.Truth, b.FileIndex, b.Line };
        foreach (var band in b.Bands)
            columns.AddRange([band.Mag, band.Sig, band.Snr, band.PhQual, band.RdFlg, band.BlFlg, band.CcFlg]);
        Assert.Equal(columns.Count, columns.Distinct(ReferenceEqualityComparer.Instance).Count());
        Assert.All(columns, c => Assert.True(c.Length >= b.Capacity));
        Assert.Equal(subset.Length, b.Count);
        for (int k = 0; k < subset.Length; k++) Assert.Equal(BlockText.Row(reference, reverse[subset[k]]), BlockText.Row(b, k));
        int grown = b.Capacity + 100;
        b.Reserve(grown);
        b.Append(Numbered(200));
        int r = b.AddRow();
        Assert.Equal(subset.Length + 200, r);
        for (int k = 0; k < subset.Length; k++) Assert.Equal(BlockText.Row(reference, reverse[subset[k]]), BlockText.Row(b, k));
        for (int k = 0; k < 200; k++) Assert.Equal(BlockText.Row(reference, k), BlockText.Row(b, subset.Length + k));
    }

    [Fact]
    public void AppendCopiesEveryColumnAndGrows()
    {
        var a = Numbered(3);
        var b = Numbered(40);
        a.Append(b);
        Assert.Equal(43, a.Count);
        var reference = Numbered(3);
        for (int k = 0; k < 3; k++) Assert.Equal(BlockText.Row(reference, k), BlockText.Row(a, k));
        for (int k = 0; k < 40; k++) Assert.Equal(BlockText.Row(b, k), BlockText.Row(a, 3 + k));
    }

    /// <summary>
    /// The column-parallel append (the zone merge's hand-over of a read block) copies what the serial one does:
    /// every column, behind rows already there, growing the block, and a row added after it starts from defaults.
    /// </summary>
    [Theory]
    [InlineData(1, 70_000)]
    [InlineData(3, 70_000)]
    [InlineData(3, 100)]
    public void AppendOnSeveralThreadsCopiesWhatTheSerialOneDoes(int threads, int n)
    {
        var other = Numbered(n);
        var serial = Numbered(5);
        serial.Append(other);
        var parallel = Numbered(5);
        parallel.Append(other, threads);
        Assert.Equal(5 + n, parallel.Count);
        Assert.Equal(serial.Columns().Length, parallel.Columns().Length);
        foreach (var (s, p) in serial.Columns().Zip(parallel.Columns()))
            Assert.True(Bytes(s, 5 + n).SequenceEqual(Bytes(p, 5 + n)), $"a {s.GetType().Name} column differs");
        AssertDefaults(parallel, parallel.AddRow());

        static ReadOnlySpan<byte> Bytes(Array column, int rows) =>
            System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(
                ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(column), Buffer.ByteLength(column))[..(rows * (Buffer.ByteLength(column) / column.Length))];
    }

    /// <summary>What AddRow must give, whatever the row held before (a reject, an earlier batch).</summary>
    private static void AssertDefaults(ExtractionBlock b, int r)
    {
        Assert.Equal(0, b.Cntr[r]); Assert.Equal(0, b.ScanKey[r]);
        Assert.True(double.IsNaN(b.Ra[r]) && double.IsNaN(b.Dec[r]) && double.IsNaN(b.JDate[r]));
        Assert.True(float.IsNaN(b.ErrMaj[r]) && float.IsNaN(b.ErrMin[r]) && float.IsNaN(b.ErrAng[r]) && float.IsNaN(b.Prox[r]));
        Assert.Equal((-1, (byte)0, (byte)0, -1L, 0, 0L), (b.Ndet[r], b.MpFlg[r], b.GalContam[r], b.Truth[r], b.FileIndex[r], b.Line[r]));
        foreach (var band in b.Bands)
        {
            Assert.True(float.IsNaN(band.Mag[r]) && float.IsNaN(band.Sig[r]) && float.IsNaN(band.Snr[r]));
            Assert.Equal((0, 0, 0, 0), (band.PhQual[r], band.RdFlg[r], band.BlFlg[r], band.CcFlg[r]));
        }
    }

    [Fact]
    public void NewRowsStartFromDefaultsAfterRemoveLastClearAndPermute()
    {
        var b = Numbered(3000);                      // past one run of pre-filled rows, and grown
        b.RemoveLast();
        AssertDefaults(b, b.AddRow());
        b.Permute(Enumerable.Range(0, b.Count).Reverse().ToArray());
        AssertDefaults(b, b.AddRow());
        b.Clear();
        for (int k = 0; k < 2500; k++) AssertDefaults(b, b.AddRow());
        var c = Numbered(10);
        c.Permute([3, 1]);                           // a subset: gathered, capacity shrinks
        AssertDefaults(c, c.AddRow());
        AssertDefaults(c, c.AddRow());
        var d = Numbered(5);
        d.Append(Numbered(2000));
        AssertDefaults(d, d.AddRow());
    }

    /// <summary>Rows added unset hold whatever was there; rows added after them still start from the defaults.</summary>
    [Fact]
    public void RowsAfterUnsetOnesStartFromDefaults()
    {
        var b = Numbered(3000);
        b.Clear();
        int first = b.AddRowsUnset(1500);                 // over rows that still hold numbers
        Assert.Equal(0, first);
        Assert.Equal(1500, b.Count);
        for (int k = 0; k < 2000; k++) AssertDefaults(b, b.AddRow());
        Assert.Equal(1500, b.AddRows(0) - 2000);
        int more = b.AddRowsUnset(5000);                  // grows: fresh arrays
        AssertDefaults(b, b.AddRow());
        Assert.Equal(3500, more);
        var c = Numbered(10);
        c.AddRowsUnset(2);
        for (int k = 0; k < 1100; k++) AssertDefaults(c, c.AddRow());   // past a run of pre-filled rows
    }
}
