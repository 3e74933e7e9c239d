using Wdb.Core;

namespace Wdb.Merge;

/// <summary>
/// The zone sort: rows ordered by (dec, ra, cntr). The link stage's zones are runs of
/// this order; the full key makes the order, and so every later stage, independent of
/// input order.
/// </summary>
public static class DeclinationSort
{
    public static int[] Order(ExtractionBlock block)
    {
        int n = block.Count;
        var order = new int[n];
        var keys = new ulong[n];
        // Stable LSD passes, least significant key first: cntr, then ra, then dec.
        for (int i = 0; i < n; i++) { order[i] = i; keys[i] = RadixSort.KeyOf(block.Cntr[i]); }
        RadixSort.SortPairs(keys, order, n);
        for (int k = 0; k < n; k++) keys[k] = RadixSort.KeyOf(block.Ra[order[k]]);
        RadixSort.SortPairs(keys, order, n);
        for (int k = 0; k < n; k++) keys[k] = RadixSort.KeyOf(block.Dec[order[k]]);
        RadixSort.SortPairs(keys, order, n);
        return order;
    }
}
