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
    /// Rows equal in all three keep their row order.
    /// </summary>
    public static Membership Build(ExtractionBlock block, ReadOnlySpan<long> gcntr)
    {
        int n = block.Count;
        var rows = new int[n];
        var keys = new ulong[n];
        // One stable radix sort by gcntr (rows of a group stay in row order); then each group,
        // a few dozen rows, is ordered by (jdate, cntr, row) on its own, on all cores: the
        // order that stable radix passes over cntr, jdate and gcntr of all rows would give.
        for (int i = 0; i < n; i++) { rows[i] = i; keys[i] = RadixSort.KeyOf(gcntr[i]); }
        RadixSort.SortPairs(keys, rows, n);
        // keys hold each row's gcntr key in sorted order: a group starts where it changes.
        int groups = 0;
        for (int k = 0; k < n; k++) if (k == 0 || keys[k] != keys[k - 1]) groups++;
        var ids = new long[groups];
        var offsets = new int[groups + 1];
        for (int k = 0, g = 0; k < n; k++)
        {
            if (k > 0 && keys[k] == keys[k - 1]) continue;
            offsets[g] = k;
            ids[g++] = gcntr[rows[k]];
        }
        offsets[groups] = n;
        keys = null!;

        double[] jdate = block.JDate;
        long[] cntr = block.Cntr;
        int ranges = (groups + GroupsPerRange - 1) / GroupsPerRange;
        Parallel.For(0, ranges, () => new Scratch(), (r, _, scratch) =>
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

    private sealed class Scratch
    {
        public ulong[] Keys = new ulong[64];
        public int[] Rows = new int[64];

        public Scratch For(int m)
        {
            if (Keys.Length < m) { Keys = new ulong[Math.Max(m, 2 * Keys.Length)]; Rows = new int[Keys.Length]; }
            return this;
        }
    }

    /// <summary>
    /// Orders one group's rows by (jdate key, cntr, row). The jdate keys are sorted with the
    /// rows as items (the primitive-key sort, no comparer); runs of equal dates, rare but
    /// possible (no date, or several scans at one time), are then ordered by (cntr, row).
    /// </summary>
    private static void OrderMembers(Span<int> group, double[] jdate, long[] cntr, Scratch s)
    {
        int m = group.Length;
        ulong[] keys = s.Keys;
        int[] items = s.Rows;
        for (int k = 0; k < m; k++)
        {
            int row = group[k];
            keys[k] = RadixSort.KeyOf(jdate[row]);
            items[k] = row;
        }
        if (m <= InsertionMax) InsertionSort(keys, items, 0, m, cntr);
        else
        {
            Array.Sort(keys, items, 0, m);
            for (int a = 0; a < m;)
            {
                int b = a + 1;
                while (b < m && keys[b] == keys[a]) b++;
                if (b - a > 1) InsertionSort(keys, items, a, b, cntr);
                a = b;
            }
        }
        items.AsSpan(0, m).CopyTo(group);
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
