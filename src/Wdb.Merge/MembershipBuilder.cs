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
        for (int i = 0; i < n; i++) rows[i] = i;
        long[] g = gcntr.ToArray();
        double[] t = block.JDate; long[] c = block.Cntr;
        Array.Sort(rows, (a, b) =>
        {
            int k = g[a].CompareTo(g[b]);
            if (k != 0) return k;
            bool na = double.IsNaN(t[a]), nb = double.IsNaN(t[b]);
            if (na != nb) return na ? 1 : -1;
            if (!na && (k = t[a].CompareTo(t[b])) != 0) return k;
            return c[a].CompareTo(c[b]);
        });
        var ids = new List<long>();
        var offsets = new List<int> { 0 };
        for (int k = 0; k < n; k++)
        {
            if (k > 0 && g[rows[k]] == g[rows[k - 1]]) continue;
            if (k > 0) offsets.Add(k);
            ids.Add(g[rows[k]]);
        }
        if (n > 0) offsets.Add(n);
        return new Membership { Gcntr = ids.ToArray(), Offsets = offsets.ToArray(), MemberRows = rows };
    }
}
