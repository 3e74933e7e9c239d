using System.Numerics;
using Wdb.Core;

namespace Wdb.Merge;

/// <summary>Turns a final-group id per row into the group index (<see cref="Membership"/>).</summary>
public static class MembershipBuilder
{
    /// <summary>Groups per unit of parallel work when ordering members (a few thousand rows on a calibration tile).</summary>
    private const int GroupsPerRange = 2048;
    /// <summary>Groups up to this size are ordered by insertion.</summary>
    private const int InsertionMax = 16;

    /// <summary>
    /// Groups rows by <paramref name="gcntr"/>; groups ascend by gcntr and members within a
    /// group by (jdate, cntr), NaN dates last, so the result does not depend on row order.
    /// Rows equal in all three keep their row order. Groups are ordered on
    /// <paramref name="threads"/> threads (0: every core).
    /// </summary>
    public static Membership Build(ExtractionBlock block, ReadOnlySpan<long> gcntr, int threads = 0)
    {
        int n = block.Count;
        // One stable radix sort by gcntr (rows of a group stay in row order); then each group,
        // a few dozen rows, is ordered by (jdate, cntr, row) on its own, on all cores: the
        // order that stable radix passes over cntr, jdate and gcntr of all rows would give.
        int[] rows = SortByGcntr(gcntr, n, threads, out long[] ids, out int[] offsets);
        int groups = ids.Length;

        double[] jdate = block.JDate;
        long[] cntr = block.Cntr;
        int ranges = (groups + GroupsPerRange - 1) / GroupsPerRange;
        Parallel.For(0, ranges, Threads.Options(threads), () => new Scratch(), (r, _, scratch) =>
        {
            int end = Math.Min(groups, (r + 1) * GroupsPerRange);
            for (int g = r * GroupsPerRange; g < end; g++)
            {
                int m = offsets[g + 1] - offsets[g];
                if (m >= 2) OrderMembers(rows.AsSpan(offsets[g], m), jdate, cntr, scratch.For(m));
            }
            return scratch;
        }, _ => { });
        return new Membership { Gcntr = ids, Offsets = offsets, MemberRows = rows };
    }

    private const int DigitBits = 11;

    /// <summary>
    /// Row indices 0..n-1 stably sorted by gcntr, with each group's gcntr and first position
    /// (<paramref name="offsets"/> ends with n). gcntr values span far less than 64 bits
    /// (they are cntr values): sorted as offsets from the smallest, in 32-bit keys and as few
    /// 11-bit digits as the span needs (2 for a few million cntr), <see cref="RadixSort.Passes"/>. A span beyond
    /// 32 bits takes the general 64-bit sort. (RadixSort.SortPairs' 8-bit digits of 64-bit keys on the same
    /// offsets for every span was tried: the stats stage took 0.1 s longer on the 3.25 M-row tile, 1.38 -> 1.49 s.)
    /// </summary>
    private static int[] SortByGcntr(ReadOnlySpan<long> gcntr, int n, int threads, out long[] ids, out int[] offsets)
    {
        var rows = new int[n];
        for (int i = 0; i < n; i++) rows[i] = i;
        long min = long.MaxValue, max = long.MinValue;
        foreach (long v in gcntr[..n]) { min = Math.Min(min, v); max = Math.Max(max, v); }
        ulong span = n == 0 ? 0 : (ulong)(max - min);   // wraps correctly for any min <= max
        if (span > uint.MaxValue)
        {
            var wide = new ulong[n];
            for (int i = 0; i < n; i++) wide[i] = RadixSort.KeyOf(gcntr[i]);
            RadixSort.SortPairs(wide, rows, n, threads);
            ids = Boundaries(wide, n, k => RadixSort.LongOf(wide[k]), out offsets);
            return rows;
        }
        int digits = (64 - BitOperations.LeadingZeroCount(span) + DigitBits - 1) / DigitBits;
        var keys = new uint[n];
        for (int i = 0; i < n; i++) keys[i] = (uint)(gcntr[i] - min);
        var shifts = new int[digits];
        for (int d = 0; d < digits; d++) shifts[d] = d * DigitBits;
        RadixSort.Passes(ref keys, ref rows, n, DigitBits, shifts, threads);
        var sorted = keys;
        ids = Boundaries(sorted, n, k => min + sorted[k], out offsets);
        return rows;
    }

    /// <summary>Groups of equal sorted keys: each one's id and start, offsets ending with n.</summary>
    private static long[] Boundaries<T>(T[] sortedKeys, int n, Func<int, long> idAt, out int[] offsets) where T : IEquatable<T>
    {
        int groups = 0;
        for (int k = 0; k < n; k++) if (k == 0 || !sortedKeys[k].Equals(sortedKeys[k - 1])) groups++;
        var ids = new long[groups];
        offsets = new int[groups + 1];
        for (int k = 0, g = 0; k < n; k++)
        {
            if (k > 0 && sortedKeys[k].Equals(sortedKeys[k - 1])) continue;
            offsets[g] = k;
            ids[g++] = idAt(k);
        }
        offsets[groups] = n;
        return ids;
    }

    private sealed class Scratch
    {
        public ulong[] Keys = new ulong[64], Keys2 = new ulong[64];
        public int[] Rows = new int[64], Rows2 = new int[64];

        public Scratch For(int m)
        {
            if (Keys.Length >= m) return this;
            int size = Math.Max(m, 2 * Keys.Length);
            Keys = new ulong[size]; Keys2 = new ulong[size];
            Rows = new int[size]; Rows2 = new int[size];
            return this;
        }
    }

    /// <summary>
    /// Orders one group's rows by (jdate key, cntr, row): runs of <see cref="InsertionMax"/>
    /// by insertion, then merged pairwise between two buffers. Our own sort, not Array.Sort:
    /// the pipeline calls it once per process, and the framework's generic sort for these
    /// key and item types would start as tier-0 code.
    /// </summary>
    private static void OrderMembers(Span<int> group, double[] jdate, long[] cntr, Scratch s)
    {
        int m = group.Length;
        ulong[] keys = s.Keys, keys2 = s.Keys2;
        int[] items = s.Rows, items2 = s.Rows2;
        for (int k = 0; k < m; k++)
        {
            int row = group[k];
            keys[k] = RadixSort.KeyOf(jdate[row]);
            items[k] = row;
        }
        for (int a = 0; a < m; a += InsertionMax) InsertionSort(keys, items, a, Math.Min(m, a + InsertionMax), cntr);
        for (int width = InsertionMax; width < m; width *= 2)
        {
            for (int a = 0; a < m; a += 2 * width)
                Merge(keys, items, a, Math.Min(m, a + width), Math.Min(m, a + 2 * width), keys2, items2, cntr);
            (keys, keys2) = (keys2, keys);
            (items, items2) = (items2, items);
        }
        items.AsSpan(0, m).CopyTo(group);
    }

    /// <summary>Merges the sorted runs [a, mid) and [mid, end) of (keys, items) into the same positions of the output.</summary>
    private static void Merge(ulong[] keys, int[] items, int a, int mid, int end, ulong[] outKeys, int[] outItems, long[] cntr)
    {
        int i = a, j = mid, o = a;
        while (i < mid && j < end)
        {
            if (Before(keys[j], items[j], keys[i], items[i], cntr)) { outKeys[o] = keys[j]; outItems[o++] = items[j++]; }
            else { outKeys[o] = keys[i]; outItems[o++] = items[i++]; }
        }
        while (i < mid) { outKeys[o] = keys[i]; outItems[o++] = items[i++]; }
        while (j < end) { outKeys[o] = keys[j]; outItems[o++] = items[j++]; }
    }

    private static bool Before(ulong keyA, int rowA, ulong keyB, int rowB, long[] cntr) =>
        keyA != keyB ? keyA < keyB : cntr[rowA] != cntr[rowB] ? cntr[rowA] < cntr[rowB] : rowA < rowB;

    private static void InsertionSort(ulong[] keys, int[] items, int from, int to, long[] cntr)
    {
        for (int i = from + 1; i < to; i++)
        {
            ulong key = keys[i];
            int item = items[i];
            int j = i - 1;
            while (j >= from && Before(key, item, keys[j], items[j], cntr)) { keys[j + 1] = keys[j]; items[j + 1] = items[j]; j--; }
            keys[j + 1] = key; items[j + 1] = item;
        }
    }
}
