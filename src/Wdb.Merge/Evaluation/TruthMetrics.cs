namespace Wdb.Merge;

/// <summary>Scores of a grouping against a known truth (generated data with a `truth` column).</summary>
public static class TruthMetrics
{
    /// <summary>
    /// Pair precision and recall: over all unordered pairs of rows, a pair is "true" when
    /// both rows share a truth id (&gt;= 0), "predicted" when both share a group id.
    /// Precision = |true and predicted| / |predicted|, recall = |true and predicted| / |true|;
    /// each is 1 when its denominator is 0. Rows with truth &lt; 0 (noise) are each their own
    /// truth class, so a noise row in a group only costs precision. Pairs are counted from
    /// contingency counts (sum of C(k, 2) over equal-key runs of sorted keys), O(n log n).
    /// </summary>
    public static (double Precision, double Recall, long TruePairs, long PredictedPairs) PairScores(
        ReadOnlySpan<long> truth, ReadOnlySpan<long> groupId)
    {
        if (truth.Length != groupId.Length) throw new ArgumentException("truth and groupId differ in length");
        int n = truth.Length;
        long predicted = PairsOfEqual(groupId.ToArray());

        // Real rows only: truth classes, and (truth, group) cells of the contingency table.
        int real = 0;
        for (int i = 0; i < n; i++) if (truth[i] >= 0) real++;
        var t = new long[real];
        var g = new long[real];
        for (int i = 0, k = 0; i < n; i++)
        {
            if (truth[i] < 0) continue;
            t[k] = truth[i]; g[k] = groupId[i]; k++;
        }
        Array.Sort(t, g);
        long truePairs = 0, both = 0;
        for (int s = 0; s < real;)
        {
            int e = s + 1;
            while (e < real && t[e] == t[s]) e++;
            truePairs += Choose2(e - s);
            Array.Sort(g, s, e - s);
            for (int u = s; u < e;)
            {
                int v = u + 1;
                while (v < e && g[v] == g[u]) v++;
                both += Choose2(v - u);
                u = v;
            }
            s = e;
        }
        double precision = predicted == 0 ? 1.0 : (double)both / predicted;
        double recall = truePairs == 0 ? 1.0 : (double)both / truePairs;
        return (precision, recall, truePairs, predicted);
    }

    private static long PairsOfEqual(long[] keys)
    {
        Array.Sort(keys);
        long pairs = 0;
        for (int s = 0; s < keys.Length;)
        {
            int e = s + 1;
            while (e < keys.Length && keys[e] == keys[s]) e++;
            pairs += Choose2(e - s);
            s = e;
        }
        return pairs;
    }

    private static long Choose2(long k) => k * (k - 1) / 2;
}
