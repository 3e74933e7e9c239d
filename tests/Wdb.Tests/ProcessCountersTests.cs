using System.Runtime.InteropServices;
using Wdb.Core;

namespace Wdb.Tests;

/// <summary>
/// ProcessCounters read getrusage's fields at the offsets of 64-bit Linux: each is checked against
/// something that moves it by a known amount, so that a field read from the wrong place shows. The counts
/// are the whole process's, so these tests run alone (on a 16-core machine other tests' faults and switches,
/// counted beside them, once broke the bounds: 40,980 faults where 16,384 pages were touched).
/// </summary>
[Collection(nameof(ProcessCountersTests))]
[CollectionDefinition(nameof(ProcessCountersTests), DisableParallelization = true)]
public class ProcessCountersTests
{
    [Fact]
    public void Cpu_times_are_the_runtimes_own()
    {
        // Environment.CpuUsage asks the same kernel counters: taken back to back, they agree to the tick.
        var ours = ProcessCounters.Now();
        var runtime = Environment.CpuUsage;
        var after = ProcessCounters.Now();
        Assert.InRange(runtime.UserTime.TotalSeconds, ours.UserSeconds - 0.02, after.UserSeconds + 0.02);
        Assert.InRange(runtime.PrivilegedTime.TotalSeconds, ours.SystemSeconds - 0.02, after.SystemSeconds + 0.02);
        Assert.True(ours.UserSeconds > 0 && ours.SystemSeconds >= 0);
    }

    [Fact]
    public void First_touch_of_fresh_memory_counts_as_minor_faults()
    {
        if (!OperatingSystem.IsLinux()) return;   // elsewhere the counts are 0 by design
        // 64 MiB from malloc: above glibc's largest mmap threshold (32 MiB), so fresh pages, never touched.
        const int Bytes = 64 << 20;
        IntPtr memory = Marshal.AllocHGlobal(Bytes);
        try
        {
            var before = ProcessCounters.Now();
            for (int i = 0; i < Bytes; i += 4096) Marshal.WriteByte(memory, i, 1);
            var spent = ProcessCounters.Now() - before;
            // One fault per 4 KiB page, or per 2 MiB where the kernel backs it with huge pages: 32 at the least.
            Assert.True(spent.MinorFaults >= Bytes / (2 << 20), $"{spent.MinorFaults} faults");
            Assert.True(spent.MinorFaults <= Bytes / 4096 + 10_000, $"{spent.MinorFaults} faults");
        }
        finally { Marshal.FreeHGlobal(memory); }
    }

    [Fact]
    public void A_thread_that_sleeps_switches_voluntarily()
    {
        if (!OperatingSystem.IsLinux()) return;
        var before = ProcessCounters.Now();
        for (int i = 0; i < 5; i++) Thread.Sleep(2);
        var spent = ProcessCounters.Now() - before;
        Assert.True(spent.VoluntarySwitches >= 5, $"{spent.VoluntarySwitches} voluntary switches");
        Assert.True(spent.InvoluntarySwitches >= 0);
    }

    [Fact]
    public void Differences_and_sums_go_field_by_field()
    {
        var a = new ProcessCounters(1.5, 0.25, 100, 7, 3);
        var b = new ProcessCounters(0.5, 0.125, 40, 2, 1);
        Assert.Equal(new ProcessCounters(1.0, 0.125, 60, 5, 2), a - b);
        Assert.Equal(a, (a - b) + b);
        Assert.Equal(1.75, a.CpuSeconds);
    }
}
