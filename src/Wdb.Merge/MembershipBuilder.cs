using Wdb.Core;

namespace Wdb.Merge;

/// <summary>Turns a final-group id per row into the group index (<see cref="Membership"/>).</summary>
public static class MembershipBuilder
{
    /// <summary>
    /// Groups rows by <paramref name="gcntr"/>; groups ascend by gcntr and members within a
    /// group by (jdate, cntr), NaN dates last, so the result does not depend on row order.
    /// </summary>
    public static Membership Build(ExtractionBlock block, ReadOnlySpan<long> gcntr)
    {
        int n = block.Count;
        var rows = new int[n];
        var keys = new ulong[n];
        // Stable LSD passes, least significant first: cntr, then jdate (NaN last), then gcntr.
        for (int i = 0; i < n; i++) { rows[i] = i; keys[i] = RadixSort.KeyOf(block.Cntr[i]); }
        RadixSort.SortPairs(keys, rows, n);
        for (int k = 0; k < n; k++) keys[k] = RadixSort.KeyOf(block.JDate[rows[k]]);
        RadixSort.SortPairs(keys, rows, n);
        for (int k = 0; k < n; k++) keys[k] = RadixSort.KeyOf(gcntr[rows[k]]);
        RadixSort.SortPairs(keys, rows, n);
        // keys now hold each row's gcntr key in sorted order: a group starts where it changes.
        var ids = new List<long>();
        var offsets = new List<int> { 0 };
        for (int k = 0; k < n; k++)
        {
            if (k > 0 && keys[k] == keys[k - 1]) continue;
            if (k > 0) offsets.Add(k);
            ids.Add(gcntr[rows[k]]);
        }
        if (n > 0) offsets.Add(n);
        return new Membership { Gcntr = ids.ToArray(), Offsets = offsets.ToArray(), MemberRows = rows };
    }
}
