using System.Runtime.InteropServices;

namespace Wdb.Core;

/// <summary>
/// Maps the pages of freshly reserved columns ahead of their first writes, on a thread of its own, with
/// <c>madvise(MADV_POPULATE_WRITE)</c> (Linux 5.14+): the kernel makes each page present and writable, as a
/// write would, without touching the bytes, so it is safe beside the threads that fill the columns.
/// Why: a parallel read appends its decoded chunks to the table in file order, one after the other, and
/// each append first-touches fresh pages. On a 16-core machine that chain bounded the read at ~1.1 s per
/// 10 M rows, with ~350 k page faults in it (bench/NOTES.md 91). Pages are warmed in row order, all columns
/// of a slice of rows together, the order in which the appends reach them. Where the call is refused (older
/// kernels, other systems) the warmer stops at once and the faults happen where they did.
/// </summary>
public sealed unsafe partial class PageWarmer : IDisposable
{
    /// <summary>Rows warmed per step: small enough to stay ahead of the first appends, large enough to batch.</summary>
    public const int SliceRows = 1 << 16;

    private readonly Func<Array[]> _columns;
    private readonly int _rows;
    private readonly Task _warming;
    private volatile bool _stop;
    private long _pages;

    private PageWarmer(Func<Array[]> columns, int rows)
    {
        _columns = columns;
        _rows = rows;
        _warming = Task.Factory.StartNew(Warm, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>
    /// Starts warming rows [0, <paramref name="rows"/>) of the arrays <paramref name="columns"/> gives, asked again
    /// at every slice (a table that outgrows its reservation gets new arrays: the old ones are not kept alive).
    /// Null where there is nothing to do (not Linux).
    /// </summary>
    public static PageWarmer? Start(Func<Array[]> columns, int rows) =>
        OperatingSystem.IsLinux() && rows > 0 ? new PageWarmer(columns, rows) : null;

    /// <summary>Pages the warmer asked the kernel to map (already present ones included); 0 when the call was refused.</summary>
    public long PagesWarmed => Interlocked.Read(ref _pages);

    /// <summary>Whether the kernel refused the call (then nothing was warmed).</summary>
    public bool Refused { get; private set; }

    private void Warm()
    {
        for (int start = 0; start < _rows && !_stop; start += SliceRows)
        {
            long pages = Warm(_columns(), start, (int)Math.Min(_rows, (long)start + SliceRows));
            if (pages < 0)
            {
                Refused = true;
                return;
            }
            Interlocked.Add(ref _pages, pages);
        }
    }

    /// <summary>
    /// Maps the pages holding rows [<paramref name="start"/>, <paramref name="end"/>) of each column (widened to
    /// whole pages; columns shorter than <paramref name="end"/> are skipped). Returns the pages asked for, or -1
    /// when the kernel refuses the call.
    /// </summary>
    public static long Warm(Array[] columns, int start, int end)
    {
        if (!OperatingSystem.IsLinux()) return -1;
        long pages = 0;
        foreach (var column in columns)
        {
            long width = column.Length == 0 ? 0 : Buffer.ByteLength(column) / column.Length;
            if (width == 0 || end > column.Length || end <= start) continue;
            // Pinned for the call: the address is the array's while the kernel maps it.
            fixed (byte* data = &MemoryMarshal.GetArrayDataReference(column))
            {
                long asked = Warm((nint)(data + start * width), (end - start) * width);
                if (asked < 0) return -1;
                pages += asked;
            }
        }
        return pages;
    }

    /// <summary>Maps the pages holding <paramref name="bytes"/> bytes from <paramref name="address"/>; the pages asked for, or -1 when refused.</summary>
    public static long Warm(nint address, long bytes)
    {
        if (!OperatingSystem.IsLinux()) return -1;
        long pageSize = Environment.SystemPageSize;
        long from = address, to = address + bytes;
        from -= from % pageSize;
        to += (pageSize - to % pageSize) % pageSize;
        return madvise((nint)from, (nuint)(to - from), MadvPopulateWrite) == 0 ? (to - from) / pageSize : -1;
    }

    /// <summary>Stops warming (the columns are filled, or the read failed) and waits for the thread.</summary>
    public void Dispose()
    {
        _stop = true;
        _warming.GetAwaiter().GetResult();
    }

    private const int MadvPopulateWrite = 23;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int madvise(nint address, nuint length, int advice);
}
