using System.Runtime.InteropServices;

namespace Wdb.Core;

/// <summary>
/// What the whole process has spent so far, from <c>getrusage(RUSAGE_SELF)</c> on Linux: CPU time in user
/// and kernel mode, minor page faults (pages the kernel filled on first touch), and context switches,
/// voluntary (a thread waited: I/O, a lock, an idle worker) and involuntary (a runnable thread was
/// preempted: more threads than cores). Per stage, these tell apart on a machine without a profiler what
/// wall and CPU seconds alone do not: first-touch memory, waits and oversubscription (bench/NOTES.md 85).
/// Elsewhere only the CPU times are known (<see cref="Environment.CpuUsage"/>) and the counts are 0.
/// </summary>
public readonly partial record struct ProcessCounters(
    double UserSeconds, double SystemSeconds, long MinorFaults, long VoluntarySwitches, long InvoluntarySwitches)
{
    public double CpuSeconds => UserSeconds + SystemSeconds;

    public static ProcessCounters Now()
    {
        if (OperatingSystem.IsLinux() && getrusage(RusageSelf, out var u) == 0)
            return new(Seconds(u.UserTime), Seconds(u.SystemTime), u.MinorFaults, u.VoluntarySwitches, u.InvoluntarySwitches);
        var cpu = Environment.CpuUsage;
        return new(cpu.UserTime.TotalSeconds, cpu.PrivilegedTime.TotalSeconds, 0, 0, 0);
    }

    public static ProcessCounters operator -(ProcessCounters a, ProcessCounters b) => new(
        a.UserSeconds - b.UserSeconds, a.SystemSeconds - b.SystemSeconds, a.MinorFaults - b.MinorFaults,
        a.VoluntarySwitches - b.VoluntarySwitches, a.InvoluntarySwitches - b.InvoluntarySwitches);

    public static ProcessCounters operator +(ProcessCounters a, ProcessCounters b) => new(
        a.UserSeconds + b.UserSeconds, a.SystemSeconds + b.SystemSeconds, a.MinorFaults + b.MinorFaults,
        a.VoluntarySwitches + b.VoluntarySwitches, a.InvoluntarySwitches + b.InvoluntarySwitches);

    private const int RusageSelf = 0;

    private static double Seconds(TimeVal t) => t.Seconds + t.Microseconds * 1e-6;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeVal
    {
        public long Seconds, Microseconds;
    }

    /// <summary>struct rusage of 64-bit Linux (x64 and arm64 alike): two timevals, then fourteen longs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public TimeVal UserTime, SystemTime;
        public long MaxRss, SharedText, UnsharedData, UnsharedStack, MinorFaults, MajorFaults, Swaps,
            BlockInputs, BlockOutputs, MessagesSent, MessagesReceived, Signals, VoluntarySwitches, InvoluntarySwitches;
    }

    [LibraryImport("libc")]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static partial int getrusage(int who, out Rusage usage);
}
