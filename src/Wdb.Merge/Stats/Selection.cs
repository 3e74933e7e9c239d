namespace Wdb.Merge;

/// <summary>Order statistics without sorting.</summary>
internal static class Selection
{
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
