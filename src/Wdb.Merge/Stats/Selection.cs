using System.Runtime.InteropServices;

namespace Wdb.Merge;

/// <summary>Order statistics without sorting.</summary>
internal static class Selection
{
    /// <summary>Below this many values the median uses <see cref="Nth"/>: the radix passes' histograms cost more than they save.</summary>
    internal const int RadixMinCount = 1024;
    /// <summary>Counts the radix select needs (its widest digit has 11 bits).</summary>
    public const int HistogramLength = 1 << 11;

    /// <summary>
    /// The median of <paramref name="values"/> (the middle value, or the float mean
    /// 0.5f * (lower + upper) of the two middle values); the span is scratch (its contents
    /// are left overwritten, not merely reordered). Non-negative
    /// values without NaN (the structure function's |dm|) take a radix select on their bits,
    /// which order like the values there; anything else, and short spans, take
    /// <see cref="Nth"/>. Both find the same order statistics, so the result does not
    /// depend on the path.
    /// </summary>
    /// <param name="histogram">At least <see cref="HistogramLength"/> counts, all zero; left all zero.</param>
    public static float Median(Span<float> values, int[] histogram)
    {
        int n = values.Length;
        if (n == 0) throw new ArgumentOutOfRangeException(nameof(values));
        int k = n / 2;
        if (n >= RadixMinCount && NthPairOfNonNegative(MemoryMarshal.Cast<float, uint>(values), k, histogram) is var (below, at))
            return n % 2 == 1 ? at : 0.5f * (below + at);
        float upper = Nth(values, k);
        if (n % 2 == 1) return upper;
        // After selection every element left of k is <= upper: the lower median is their maximum.
        float lower = float.NegativeInfinity;
        foreach (float v in values[..k]) if (v > lower) lower = v;
        return 0.5f * (lower + upper);
    }

    /// <summary>
    /// The (k-1)-th and k-th smallest (0-based, k &gt;= 1) of float bit patterns when all are
    /// +0 .. +infinity, which then order as unsigned integers; null, with the keys untouched,
    /// when any has the sign bit or is a NaN. Most significant digit first (11, 11, 9 bits):
    /// a histogram finds the digit bucket holding rank k, the bucket's keys are compacted to
    /// the front without branches, and the search goes on inside it. Rank k-1 lies in the
    /// same bucket unless rank k is the bucket's first key; only then is the largest key
    /// below the bucket looked for.
    /// </summary>
    private static (float Below, float At)? NthPairOfNonNegative(Span<uint> keys, int k, int[] histogram)
    {
        uint belowMax = 0;   // largest key left below the remaining ones, once k has reached 0
        int shift = 20, bits = 11;
        bool first = true;
        while (true)
        {
            if (keys.Length <= 32 || shift < 0)
            {
                // Few keys left, or all equal: finish by sorting them.
                keys.Sort();
                uint at = keys[k];
                uint below = k > 0 ? keys[k - 1] : belowMax;
                return (BitConverter.UInt32BitsToSingle(below), BitConverter.UInt32BitsToSingle(at));
            }
            uint mask = (1u << bits) - 1;
            var hist = histogram.AsSpan(0, 1 << bits);
            uint max = 0;
            foreach (uint key in keys)
            {
                hist[(int)((key >> shift) & mask)]++;
                max = Math.Max(max, key);
            }
            if (first && max > 0x7F80_0000u)
            {
                foreach (uint key in keys) hist[(int)((key >> shift) & mask)] = 0;
                return null;
            }
            first = false;
            int bucket = 0, prefix = 0;
            while (prefix + hist[bucket] <= k) prefix += hist[bucket++];
            bool wantBelow = prefix > 0 && prefix == k;
            int kept = 0;
            uint lowerMax = 0;
            for (int i = 0; i < keys.Length; i++)
            {
                uint key = keys[i];
                uint digit = (key >> shift) & mask;
                hist[(int)digit] = 0;
                // Written at kept either way (kept <= i: nothing unread is overwritten); kept
                // advances only for the bucket's keys.
                keys[kept] = key;
                kept += digit == (uint)bucket ? 1 : 0;
                if (wantBelow && digit < (uint)bucket && key > lowerMax) lowerMax = key;
            }
            if (wantBelow) belowMax = lowerMax;
            keys = keys[..kept];
            k -= prefix;
            (shift, bits) = shift switch { 20 => (9, 11), 9 => (0, 9), _ => (-1, 0) };
        }
    }

    /// <summary>
    /// The k-th smallest value of <paramref name="values"/> (0-based), by Hoare's
    /// quickselect with a median-of-three pivot. Reorders the span so that every element
    /// before k is &lt;= the result and every element after it is &gt;= it. No NaNs.
    /// </summary>
    public static float Nth(Span<float> values, int k)
    {
        if ((uint)k >= (uint)values.Length) throw new ArgumentOutOfRangeException(nameof(k));
        int lo = 0, hi = values.Length - 1;
        while (hi > lo)
        {
            int mid = lo + (hi - lo) / 2;
            if (values[mid] < values[lo]) (values[mid], values[lo]) = (values[lo], values[mid]);
            if (values[hi] < values[lo]) (values[hi], values[lo]) = (values[lo], values[hi]);
            if (values[hi] < values[mid]) (values[hi], values[mid]) = (values[mid], values[hi]);
            float pivot = values[mid];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (values[i] < pivot) i++;
                while (values[j] > pivot) j--;
                if (i <= j) { (values[i], values[j]) = (values[j], values[i]); i++; j--; }
            }
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else return values[k];
        }
        return values[k];
    }
}
