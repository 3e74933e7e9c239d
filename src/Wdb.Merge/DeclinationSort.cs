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
        for (int i = 0; i < n; i++) { order[i] = i; keys[i] = RadixSort.KeyOf(block.Dec[i]); }
        RadixSort.SortPairs(keys, order, n);
        // Equal declinations are rare (and short runs): order them by (ra, cntr) in place
        // rather than paying two more full radix sorts for the secondary keys.
        double[] ra = block.Ra; long[] cntr = block.Cntr;
        var byRaCntr = Comparer<int>.Create((a, b) =>
        {
            int c = ra[a].CompareTo(ra[b]);
            return c != 0 ? c : cntr[a].CompareTo(cntr[b]);
        });
        for (int s = 0, e; s < n; s = e)
        {
            for (e = s + 1; e < n && keys[e] == keys[s]; e++) { }
            if (e - s > 1) Array.Sort(order, s, e - s, byRaCntr);
        }
        return order;
    }
}
