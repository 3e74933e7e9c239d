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
        // Equal declinations come in short runs (a dense tile given to 1e-6 deg has ~3 rows per
        // value): order them by (ra, cntr) in place rather than paying two more full radix
        // sorts for the secondary keys. Runs of a few rows are insertion-sorted inline: an
        // Array.Sort call with a comparer per run was 0.2 s of the 3.25 M tile.
        double[] ra = block.Ra; long[] cntr = block.Cntr;
        Comparer<int>? byRaCntr = null;
        for (int s = 0, e; s < n; s = e)
        {
            for (e = s + 1; e < n && keys[e] == keys[s]; e++) { }
            if (e - s <= 1) continue;
            if (e - s <= 16)
            {
                for (int i = s + 1; i < e; i++)
                {
                    int row = order[i], j = i - 1;
                    while (j >= s && Before(row, order[j], ra, cntr)) { order[j + 1] = order[j]; j--; }
                    order[j + 1] = row;
                }
                continue;
            }
            byRaCntr ??= Comparer<int>.Create((a, b) => Before(a, b, ra, cntr) ? -1 : Before(b, a, ra, cntr) ? 1 : 0);
            Array.Sort(order, s, e - s, byRaCntr);
        }
        return order;
    }

    /// <summary>Row a sorts before row b among equal declinations: by ra (NaN last), then cntr.</summary>
    private static bool Before(int a, int b, double[] ra, long[] cntr)
    {
        int c = ra[a].CompareTo(ra[b]);
        return c < 0 || (c == 0 && cntr[a] < cntr[b]);
    }
}
