using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Wdb.Core;

/// <summary>Copies of a column's values in a new row order: the zone sort's, the group order's and the partition's.</summary>
public static class Gathers
{
    /// <summary>How many rows ahead <see cref="Gather{T}"/> asks for the value it will read.</summary>
    private const int PrefetchAhead = 24;

    /// <summary>
    /// <c>to[k] = from[order[k]]</c> for every k of <paramref name="to"/>; <paramref name="order"/>
    /// is at least as long, and every value it names lies in <paramref name="from"/> (callers check).
    /// </summary>
    public static unsafe void Gather<T>(ReadOnlySpan<T> from, Span<T> to, ReadOnlySpan<int> order) where T : unmanaged
    {
        int k = 0, n = to.Length;
        // Past the caches (a 10 M-row column is 40-80 MB) every read misses: asking for the value
        // needed PrefetchAhead rows later keeps more misses in flight than the out-of-order window
        // finds alone (bench/NOTES.md 62). A prefetch never faults.
        if (Sse.IsSupported && n > PrefetchAhead)
        {
            ref T first = ref MemoryMarshal.GetReference(from);
            for (int stop = n - PrefetchAhead; k < stop; k++)
            {
                Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref first, order[k + PrefetchAhead])));
                to[k] = from[order[k]];
            }
        }
        for (; k < n; k++) to[k] = from[order[k]];
    }
}
