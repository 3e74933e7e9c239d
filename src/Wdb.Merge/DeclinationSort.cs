using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Wdb.Core;

namespace Wdb.Merge;

/// <summary>
/// The zone sort: rows ordered by (dec, ra, cntr). The link stage's zones are runs of
/// this order; the full key makes the order, and so every later stage, independent of
/// input order.
/// </summary>
public static class DeclinationSort
{
    private const int RowsPerTask = 1 << 16;

    /// <summary>
    /// The radix key: a declination's place between the block's least and greatest, in 2^32
    /// steps (a 5 deg block: steps of 4 micro-arcseconds; the whole sky: 150, still finer than
    /// 2MASS's 1e-7 deg). Four 8-bit passes over 32-bit keys; a declination's own 64-bit key took
    /// six to eight over keys twice the size (every byte of it varies in a block spanning dec 0).
    /// Three 11-bit passes were slower: 2048 buckets scatter to more places than the caches hold.
    /// </summary>
    private const double KeySteps = uint.MaxValue;

    public static int[] Order(ExtractionBlock block, int threads = 0)
    {
        int n = block.Count;
        var order = new int[n];
        double[] dec = block.Dec;
        if (!FiniteRange(dec, n, out double least, out double greatest)) return ByFullKey(block, order, threads);
        // Monotone (a subtraction, a positive product and a truncation each keep order), so rows
        // with different keys are in declination order; rows sharing a key (equal declinations,
        // or ones closer than a step) are ordered by the full (dec, ra, cntr) among themselves.
        double scale = greatest > least ? KeySteps / (greatest - least) : 0;
        var keys = new uint[n];
        Threads.ForRanges(n, RowsPerTask, threads, (from, to) =>
        {
            for (int i = from; i < to; i++)
            {
                order[i] = i;
                keys[i] = (uint)Math.Min((dec[i] - least) * scale, KeySteps);
            }
        });
        int[] items = order;
        uint[] sorted = keys;
        RadixSort.Passes(ref sorted, ref items, n, 8, [0, 8, 16, 24], threads);
        // Equal declinations come in short runs (a dense tile given to 1e-6 deg has ~6 rows per
        // value): ordered in place rather than by two more full radix sorts for the secondary keys
        // (an Array.Sort call per run was 0.2 s of the 3.25 M tile).
        RadixSort.SortTies(sorted, items, n, new DecThenRaThenCntr(dec, block.Ra, block.Cntr), threads);
        return items;
    }

    /// <summary>The block's least and greatest declination; false when one is NaN or infinite (no scale fits).</summary>
    private static bool FiniteRange(double[] dec, int n, out double least, out double greatest)
    {
        least = double.PositiveInfinity;
        greatest = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            double d = dec[i];
            if (!double.IsFinite(d)) return false;
            if (d < least) least = d;
            if (d > greatest) greatest = d;
        }
        return true;
    }

    /// <summary>The declinations' own 64-bit keys (eight passes): for a block holding a non-finite one.</summary>
    private static int[] ByFullKey(ExtractionBlock block, int[] order, int threads)
    {
        int n = block.Count;
        var keys = new ulong[n];
        double[] dec = block.Dec;
        Threads.ForRanges(n, RowsPerTask, threads, (from, to) =>
        {
            for (int i = from; i < to; i++) { order[i] = i; keys[i] = RadixSort.KeyOf(dec[i]); }
        });
        RadixSort.SortPairs(keys, order, n, threads);
        RadixSort.SortTies(keys, order, n, new DecThenRaThenCntr(dec, block.Ra, block.Cntr), threads);
        return order;
    }

    /// <summary>
    /// Rows sharing a radix key: by declination (as <see cref="RadixSort.KeyOf(double)"/> orders it, -0 before +0,
    /// as the full key always did), then ra, then cntr.
    /// </summary>
    private readonly struct DecThenRaThenCntr(double[] dec, double[] ra, long[] cntr) : RadixSort.ITieOrder
    {
        public unsafe void Prefetch(int item)
        {
            if (!Sse.IsSupported) return;
            Sse.Prefetch0(Unsafe.AsPointer(ref dec[item]));
            Sse.Prefetch0(Unsafe.AsPointer(ref ra[item]));
        }

        public int Compare(int a, int b)
        {
            double da = dec[a], db = dec[b];
            if (da < db) return -1;
            if (da > db) return 1;
            int c = RadixSort.KeyOf(da).CompareTo(RadixSort.KeyOf(db));   // -0 and +0; NaNs alike
            if (c != 0) return c;
            c = ra[a].CompareTo(ra[b]);
            return c != 0 ? c : cntr[a].CompareTo(cntr[b]);
        }
    }
}
