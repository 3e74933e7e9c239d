using System.Numerics;

namespace Wdb.Core;

/// <summary>
/// Stable LSD radix sort of row indices by 64-bit keys. Used for the declination sort
/// and the link stage's cell order, where Array.Sort's comparison sort over millions of
/// rows dominated the profile. Passes over key bytes that are constant across all keys
/// are skipped, so narrow keys cost only the bytes they use.
/// </summary>
public static class RadixSort
{
    /// <summary>
    /// Sorts <paramref name="keys"/> ascending and applies the same permutation to <paramref name="items"/>,
    /// large sorts on <paramref name="threads"/> threads (0: every core, at most 16).
    /// </summary>
    public static void SortPairs(ulong[] keys, int[] items, int count, int threads = 0)
    {
        if (count < 2) return;
        if (count <= 32) { InsertionSort(keys, items, count); return; }
        ulong or = 0, and = ulong.MaxValue;
        for (int i = 0; i < count; i++) { or |= keys[i]; and &= keys[i]; }
        ulong varying = or ^ and;
        int passes = 0;
        for (int shift = 0; shift < 64; shift += 8)
            if (((varying >> shift) & 0xFF) != 0) passes++;
        var shifts = new int[passes];
        for (int shift = 0, k = 0; shift < 64; shift += 8)
            if (((varying >> shift) & 0xFF) != 0) shifts[k++] = shift;
        ulong[] sortedKeys = keys;
        int[] sortedItems = items;
        Passes(ref sortedKeys, ref sortedItems, count, 8, shifts, threads);
        if (!ReferenceEquals(sortedKeys, keys))
        {
            Array.Copy(sortedKeys, keys, count);
            Array.Copy(sortedItems, items, count);
        }
    }

    /// <summary>
    /// Stable LSD passes over <paramref name="keys"/>' digits of <paramref name="digitBits"/> bits at
    /// <paramref name="shifts"/> (ascending), applying the same permutation to <paramref name="items"/>; the sorted
    /// keys and items end in whichever of the given arrays and two scratch arrays the last pass wrote, returned in
    /// <paramref name="keys"/> and <paramref name="items"/> (the caller copies back if it must). Large sorts run each
    /// pass on <paramref name="threads"/> threads (0: every core, at most 16): a histogram per slice of rows, then
    /// each slice scatters from its own offsets (slice t's rows of a digit after slice t-1's), so the sort stays
    /// stable and its result does not depend on the number of slices. (All digits' counts cannot be taken in one
    /// pass: a slice's rows change every pass.)
    /// </summary>
    public static void Passes<TKey>(ref TKey[] keys, ref int[] items, int count, int digitBits, int[] shifts, int threads)
        where TKey : unmanaged, IBinaryInteger<TKey>
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(digitBits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(digitBits, 16);
        if (shifts.Length == 0 || count < 2) return;
        int buckets = 1 << digitBits;
        TKey mask = TKey.CreateTruncating(buckets - 1);
        var keys2 = new TKey[count];
        var items2 = new int[count];
        TKey[] srcK = keys, dstK = keys2;
        int[] srcI = items, dstI = items2;
        int slices = SlicesFor(count, threads);
        int per = (count + slices - 1) / slices;
        var counts = new int[slices * buckets];
        foreach (int shift in shifts)
        {
            TKey[] sk = srcK, dk = dstK;
            int[] si = srcI, di = dstI;
            Array.Clear(counts);
            if (slices == 1) Histogram(sk, 0, count, shift, mask, counts.AsSpan(0, buckets));
            else Parallel.For(0, slices, t => Histogram(sk, t * per, Math.Min(count, (t + 1) * per), shift, mask, counts.AsSpan(t * buckets, buckets)));
            for (int b = 0, sum = 0; b < buckets; b++)
                for (int t = 0; t < slices; t++) { int c = counts[t * buckets + b]; counts[t * buckets + b] = sum; sum += c; }
            if (slices == 1) Scatter(sk, si, dk, di, 0, count, shift, mask, counts.AsSpan(0, buckets));
            else Parallel.For(0, slices, t => Scatter(sk, si, dk, di, t * per, Math.Min(count, (t + 1) * per), shift, mask, counts.AsSpan(t * buckets, buckets)));
            (srcK, dstK) = (dstK, srcK);
            (srcI, dstI) = (dstI, srcI);
        }
        keys = srcK;
        items = srcI;
    }

    /// <summary>
    /// After <see cref="SortPairs"/> by a key that is only a prefix of the wanted order, orders
    /// each run of equal keys by <paramref name="comparer"/>: runs of up to 16 items by
    /// insertion in place (most runs are a few items, and a sort call per run cost more than
    /// the compares), longer ones by Array.Sort. Insertion is stable; callers' comparers
    /// break every tie, so Array.Sort's instability never shows. Runs are independent: on
    /// <paramref name="threads"/> threads (0: every core) the rows are cut into slices at run
    /// boundaries, each ordered on its own.
    /// </summary>
    public static void SortTies<TKey, TComparer>(TKey[] keys, int[] items, int count, TComparer comparer, int threads = 1)
        where TKey : unmanaged, IBinaryInteger<TKey>
        where TComparer : ITieOrder
    {
        int slices = SlicesFor(count, threads);
        if (slices == 1)
        {
            SortTiesIn(keys, items, 0, count, comparer);
            return;
        }
        // Each cut moved forward to the start of a run, so no run straddles two slices.
        var cuts = new int[slices + 1];
        cuts[slices] = count;
        for (int t = 1; t < slices; t++)
        {
            int c = Math.Max(cuts[t - 1], (int)((long)count * t / slices));
            while (c > 0 && c < count && keys[c] == keys[c - 1]) c++;
            cuts[t] = c;
        }
        Parallel.For(0, slices, Threads.Options(threads), t => SortTiesIn(keys, items, cuts[t], cuts[t + 1], comparer));
    }

    private static void SortTiesIn<TKey, TComparer>(TKey[] keys, int[] items, int from, int to, TComparer comparer)
        where TKey : unmanaged, IBinaryInteger<TKey>
        where TComparer : ITieOrder
    {
        int asked = from;   // rows below this one have had their values asked for
        for (int s = from, e; s < to; s = e)
        {
            for (e = s + 1; e < to && keys[e] == keys[s]; e++) { }
            // The comparer reads its columns at the rows' items, at random over the whole block: asking for the values
            // of rows in runs PrefetchAhead rows early keeps misses in flight (a dense tile: most rows are in runs).
            for (int limit = Math.Min(to, e + TiePrefetchAhead); asked < limit; asked++)
                if ((asked > from && keys[asked] == keys[asked - 1]) || (asked + 1 < to && keys[asked + 1] == keys[asked]))
                    comparer.Prefetch(items[asked]);
            if (e - s <= 1) continue;
            if (e - s > 16)
            {
                Array.Sort(items, s, e - s, comparer);
                continue;
            }
            for (int i = s + 1; i < e; i++)
            {
                int item = items[i], j = i - 1;
                for (; j >= s && comparer.Compare(items[j], item) > 0; j--) items[j + 1] = items[j];
                items[j + 1] = item;
            }
        }
    }

    /// <summary>How many rows ahead of the run being ordered <see cref="SortTies"/> asks for the comparer's values.</summary>
    private const int TiePrefetchAhead = 32;

    /// <summary>
    /// The order within runs of equal keys (<see cref="SortTies"/>), which may ask ahead for the values it will compare
    /// an item by (a prefetch: never faults, changes nothing).
    /// </summary>
    public interface ITieOrder : IComparer<int>
    {
        void Prefetch(int item);
    }

    /// <summary>Below this many keys a pass runs on one core (thread start-up would cost more).</summary>
    private const int ParallelThreshold = 1 << 17;

    /// <summary>Slices of rows a pass over <paramref name="count"/> keys runs in: one per thread, at most 16, or one below the threshold.</summary>
    private static int SlicesFor(int count, int threads) => count >= ParallelThreshold ? Math.Min(Threads.Resolve(threads), 16) : 1;

    private static void Histogram<TKey>(TKey[] keys, int from, int to, int shift, TKey mask, Span<int> counts)
        where TKey : unmanaged, IBinaryInteger<TKey>
    {
        for (int i = from; i < to; i++) counts[int.CreateTruncating((keys[i] >>> shift) & mask)]++;
    }

    private static void Scatter<TKey>(TKey[] srcK, int[] srcI, TKey[] dstK, int[] dstI, int from, int to, int shift, TKey mask, Span<int> next)
        where TKey : unmanaged, IBinaryInteger<TKey>
    {
        for (int i = from; i < to; i++)
        {
            TKey k = srcK[i];
            int d = next[int.CreateTruncating((k >>> shift) & mask)]++;
            dstK[d] = k; dstI[d] = srcI[i];
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

    /// <summary>The integer whose <see cref="KeyOf(long)"/> is <paramref name="key"/>.</summary>
    public static long LongOf(ulong key) => (long)(key ^ 0x8000_0000_0000_0000UL);

    /// <summary>An order-preserving 64-bit key of a double (NaN sorts last).</summary>
    public static ulong KeyOf(double v)
    {
        if (double.IsNaN(v)) return ulong.MaxValue;
        ulong bits = (ulong)BitConverter.DoubleToInt64Bits(v);
        return (bits & 0x8000_0000_0000_0000UL) != 0 ? ~bits : bits | 0x8000_0000_0000_0000UL;
    }

    /// <summary>The double whose <see cref="KeyOf(double)"/> is <paramref name="key"/> (every non-NaN double round-trips).</summary>
    public static double DoubleOf(ulong key) =>
        BitConverter.Int64BitsToDouble((long)((key & 0x8000_0000_0000_0000UL) != 0 ? key & 0x7FFF_FFFF_FFFF_FFFFUL : ~key));
}
