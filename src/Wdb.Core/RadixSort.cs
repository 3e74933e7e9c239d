namespace Wdb.Core;

/// <summary>
/// Stable LSD radix sort of row indices by 64-bit keys. Used for the declination sort
/// and the link stage's cell order, where Array.Sort's comparison sort over millions of
/// rows dominated the profile. Passes over key bytes that are constant across all keys
/// are skipped, so narrow keys cost only the bytes they use.
/// </summary>
public static class RadixSort
{
    /// <summary>Sorts <paramref name="keys"/> ascending and applies the same permutation to <paramref name="items"/>.</summary>
    public static void SortPairs(ulong[] keys, int[] items, int count)
    {
        if (count < 2) return;
        if (count <= 32) { InsertionSort(keys, items, count); return; }
        var keys2 = new ulong[count];
        var items2 = new int[count];
        ulong[] srcK = keys, dstK = keys2;
        int[] srcI = items, dstI = items2;
        ulong or = 0, and = ulong.MaxValue;
        for (int i = 0; i < count; i++) { or |= keys[i]; and &= keys[i]; }
        ulong varying = or ^ and;
        Span<int> counts = stackalloc int[256];
        for (int shift = 0; shift < 64; shift += 8)
        {
            if (((varying >> shift) & 0xFF) == 0) continue;
            counts.Clear();
            for (int i = 0; i < count; i++) counts[(int)((srcK[i] >> shift) & 0xFF)]++;
            int sum = 0;
            for (int b = 0; b < 256; b++) { int c = counts[b]; counts[b] = sum; sum += c; }
            for (int i = 0; i < count; i++)
            {
                ulong k = srcK[i];
                int d = counts[(int)((k >> shift) & 0xFF)]++;
                dstK[d] = k; dstI[d] = srcI[i];
            }
            (srcK, dstK) = (dstK, srcK);
            (srcI, dstI) = (dstI, srcI);
        }
        if (!ReferenceEquals(srcK, keys))
        {
            Array.Copy(srcK, keys, count);
            Array.Copy(srcI, items, count);
        }
    }

    /// <summary>Stable, for the few rows where the 256-bucket passes cost more than they save.</summary>
    private static void InsertionSort(ulong[] keys, int[] items, int count)
    {
        for (int i = 1; i < count; i++)
        {
            ulong k = keys[i]; int item = items[i];
            int j = i - 1;
            while (j >= 0 && keys[j] > k) { keys[j + 1] = keys[j]; items[j + 1] = items[j]; j--; }
            keys[j + 1] = k; items[j + 1] = item;
        }
    }

    /// <summary>An order-preserving 64-bit key of a signed integer.</summary>
    public static ulong KeyOf(long v) => (ulong)v ^ 0x8000_0000_0000_0000UL;

    /// <summary>An order-preserving 64-bit key of a double (NaN sorts last).</summary>
    public static ulong KeyOf(double v)
    {
        if (double.IsNaN(v)) return ulong.MaxValue;
        ulong bits = (ulong)BitConverter.DoubleToInt64Bits(v);
        return (bits & 0x8000_0000_0000_0000UL) != 0 ? ~bits : bits | 0x8000_0000_0000_0000UL;
    }
}
