using System.Runtime.InteropServices;

namespace Wdb.IO;

/// <summary>
/// An advisory lock (flock(2), exclusive) a run holds on a directory it is filling, for as long as it fills it: the mark
/// that tells a live run's temporary directory from one a killed run left. The kernel drops the lock with the process,
/// however it ends (SIGKILL included), so a directory nobody holds is stale and may be removed. On Linux only; elsewhere
/// no directory is held and every leftover counts as stale, as before the lock.
/// </summary>
public sealed class DirectoryLock : IDisposable
{
    private int _fd;

    private DirectoryLock(int fd) => _fd = fd;

    /// <summary>Whether a held directory can be told from a leftover here: where it cannot, none may be removed as stale that was not before.</summary>
    [System.Runtime.Versioning.SupportedOSPlatformGuard("linux")]
    public static bool Tells => OperatingSystem.IsLinux();

    /// <summary>
    /// Locks <paramref name="dir"/> (which exists); null when another holder has it (this process's other locks
    /// included: flock's locks belong to the open directory, not the process). An unheld lock where there are none (not
    /// Linux, or a filesystem that keeps no flock locks).
    /// </summary>
    /// <exception cref="IOException">The directory could not be opened.</exception>
    public static DirectoryLock? Take(string dir)
    {
        if (!Tells) return new DirectoryLock(-1);
        int fd;
        try { fd = Libc.open(dir, Libc.ORdOnly | Libc.OCloexec, 0); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return new DirectoryLock(-1); }
        if (fd < 0) throw new IOException($"cannot open '{dir}' to lock it (errno {Marshal.GetLastPInvokeError()})");
        var outcome = Libc.TryFlock(fd, Libc.LockEx);
        if (outcome == Libc.FlockOutcome.Taken) return new DirectoryLock(fd);
        Libc.close(fd);
        // Where there are no locks the run goes on unguarded, rather than refusing every merge and stitch there.
        return outcome == Libc.FlockOutcome.HeldByAnother ? null : new DirectoryLock(-1);
    }

    /// <summary>
    /// Whether a live run holds <paramref name="dir"/>. Found by taking the lock and letting it go at once; false for a
    /// directory that cannot be opened (gone meanwhile) and wherever there are no locks.
    /// </summary>
    public static bool IsHeld(string dir)
    {
        try
        {
            using var probe = Take(dir);
            return probe is null;
        }
        catch (IOException) { return false; }
    }

    public void Dispose()
    {
        if (_fd >= 0 && OperatingSystem.IsLinux()) Libc.close(_fd);   // closing the last descriptor of the open directory releases its lock
        _fd = -1;
    }
}
