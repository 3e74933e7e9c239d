using System.Runtime.InteropServices;
using Wdb.Core;

namespace Wdb.Tests;

/// <summary>
/// The warmer maps fresh pages without writing them: bytes already written stay, and writes after it fault
/// far less than writes to pages never warmed. The fault checks use memory from malloc above glibc's mmap
/// threshold (fresh pages every time; the GC may hand back pages it already touched). Page-fault counts are
/// the process's, so these run alone (the collection of <see cref="ProcessCountersTests"/>).
/// </summary>
[Collection(nameof(ProcessCountersTests))]
public class PageWarmerTests
{
    private const int Bytes = 64 << 20;
    private static readonly long Pages = Bytes / Environment.SystemPageSize;

    private static long FaultsWriting(nint memory, long from, long to)
    {
        var before = ProcessCounters.Now();
        for (long i = from; i < to; i += 4096) Marshal.WriteByte(memory, (int)i, 1);
        return (ProcessCounters.Now() - before).MinorFaults;
    }

    [Fact]
    public void Warmed_pages_take_no_faults_when_written_and_keep_their_bytes()
    {
        if (!OperatingSystem.IsLinux()) return;
        nint memory = Marshal.AllocHGlobal(Bytes);
        try
        {
            Marshal.WriteByte(memory, 5000, 7);   // written before the warmer, on a page it then warms
            // The first half, from an address inside a page: its pages widened to whole ones.
            long asked = PageWarmer.Warm(memory + 100, Bytes / 2 - 100);
            if (asked < 0) return;   // a kernel before 5.14 refuses: nothing is warmed, as documented
            Assert.InRange(asked, Pages / 2, Pages / 2 + 1);
            Assert.Equal(7, Marshal.ReadByte(memory, 5000));
            Assert.Equal(0, Marshal.ReadByte(memory, 4999));
            long warm = FaultsWriting(memory, 0, Bytes / 2), cold = FaultsWriting(memory, Bytes / 2, Bytes);
            Assert.True(cold >= Bytes / 2 / (2 << 20), $"{cold} faults in the cold half");
            Assert.True(warm < cold / 4 + 8, $"{warm} faults in the warmed half, {cold} in the cold one");
        }
        finally { Marshal.FreeHGlobal(memory); }
    }

    [Fact]
    public void Columns_are_warmed_over_the_rows_asked_for_whatever_their_width()
    {
        if (!OperatingSystem.IsLinux()) return;
        int rows = 1 << 20;
        var wide = new double[rows];
        var narrow = new byte[rows];
        wide[rows / 2] = 2.5;
        narrow[rows / 2] = 9;
        long page = Environment.SystemPageSize;
        // Rows [rows/4, 3 rows/4): half of each column, up to a page more at either end of each.
        long asked = PageWarmer.Warm([wide, narrow, new int[0], new short[rows / 2]], rows / 4, 3 * rows / 4);
        if (asked < 0) return;
        Assert.InRange(asked, rows / 2 * 8 / page + rows / 2 / page, rows / 2 * 8 / page + rows / 2 / page + 4);
        Assert.Equal((2.5, (byte)9), (wide[rows / 2], narrow[rows / 2]));
        Assert.Equal(0, PageWarmer.Warm([wide], 10, 10));
    }

    [Fact]
    public void The_warmer_thread_covers_every_row_and_stops_when_told()
    {
        Assert.Null(PageWarmer.Start(() => [new long[16]], 0));
        if (!OperatingSystem.IsLinux()) return;
        int rows = 8 << 20;
        long pages = rows * 8L / Environment.SystemPageSize;
        var column = new long[rows];
        var warmer = PageWarmer.Start(() => [column], rows)!;
        SpinWait.SpinUntil(() => warmer.Refused || warmer.PagesWarmed >= pages, TimeSpan.FromSeconds(10));
        warmer.Dispose();
        if (warmer.Refused) return;
        // Every slice once: a page more where a slice's end shares a page with the next one's start.
        Assert.InRange(warmer.PagesWarmed, pages, pages + rows / PageWarmer.SliceRows);
        // Told to stop before it starts: at most the slice it was on.
        var early = PageWarmer.Start(() => [new long[rows]], rows)!;
        early.Dispose();
        Assert.True(early.PagesWarmed <= PageWarmer.SliceRows * 8L / Environment.SystemPageSize + 2, $"{early.PagesWarmed} pages");
    }
}
