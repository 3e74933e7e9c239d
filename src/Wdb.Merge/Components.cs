using Wdb.Core;

namespace Wdb.Merge;

/// <summary>Candidate groups from link labels: cgid = the smallest cntr of each component.</summary>
public static class Components
{
    /// <summary>
    /// <paramref name="labels"/>[i] names row i's component (any representative row);
    /// returns the component's smallest cntr per row, which does not depend on row order.
    /// </summary>
    public static long[] CandidateIds(ReadOnlySpan<int> labels, ReadOnlySpan<long> cntr)
    {
        int n = labels.Length;
        var minCntr = new long[n];
        Array.Fill(minCntr, long.MaxValue);
        for (int i = 0; i < n; i++)
        {
            int l = labels[i];
            if (cntr[i] < minCntr[l]) minCntr[l] = cntr[i];
        }
        var cgid = new long[n];
        for (int i = 0; i < n; i++) cgid[i] = minCntr[labels[i]];
        return cgid;
    }

    /// <summary>Number of distinct components.</summary>
    public static int Count(ReadOnlySpan<int> labels)
    {
        int count = 0;
        for (int i = 0; i < labels.Length; i++) if (labels[i] == i) count++;
        return count;
    }
}
