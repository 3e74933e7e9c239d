using System.Runtime.InteropServices;

namespace Wdb.IO;

/// <summary>Whether a live process holds a lock file (<see cref="FileLock.Holder"/>).</summary>
public enum LockHolder
{
    /// <summary>No process holds it (or there is no such file): a run that took it has ended, however it ended.</summary>
    None,
    /// <summary>A live process holds it, on this machine or, through the file server, on another.</summary>
    Live,
    /// <summary>It cannot be told here: not Linux, or a filesystem that keeps no flock locks.</summary>
    Unknown,
}

/// <summary>
/// A lock file a step holds for the whole of its run, exclusive or shared: .NET's own file lock (flock(2) on Unix, which
/// NFS clients carry to the server as a lock of its own; a share mode on Windows), which goes with the process however it
/// ends. The file is kept: a lock file deleted while held lets a second run lock a new one.
/// </summary>
public sealed class FileLock : IDisposable
{
    private readonly FileStream _file;

    private FileLock(FileStream file) => _file = file;

    /// <summary>
    /// How long a step taking its lock waits out a <see cref="Holder"/> probe, which holds the lock shared for an instant
    /// (a round trip or two to the file server over NFS), before the lock counts as held: a step that starts in that
    /// instant must not be refused for it, and a second run of a step that does run is refused this much later.
    /// </summary>
    public static readonly TimeSpan ProbePatience = TimeSpan.FromSeconds(2);

    /// <summary>How often a step waiting out another's brief hold (<see cref="Take"/>'s patience) tries again.</summary>
    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// Takes the lock on <paramref name="path"/> (made if missing, with its directory when <paramref name="makeDirectory"/>):
    /// <paramref name="exclusive"/>, or shared with other shared holders. A holder that lets go within
    /// <paramref name="patience"/> (a <see cref="Holder"/> probe holds it for an instant) is waited for; null when another
    /// still holds it after that.
    /// </summary>
    /// <param name="makeDirectory">False for a lock in a directory a stop may be removing (<see cref="DirectoryLock"/>): made
    /// again after the stop took it, it would be left behind as the process exits.</param>
    /// <exception cref="IOException">The file cannot be opened (other than being held).</exception>
    /// <exception cref="UnauthorizedAccessException">It may not be opened.</exception>
    public static FileLock? Take(string path, bool exclusive, TimeSpan patience, bool makeDirectory = true)
    {
        if (makeDirectory) Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var until = DateTime.UtcNow + patience;
        while (true)
        {
            try
            {
                // FileShare.None is flock's LOCK_EX; FileShare.Read opened for reading its LOCK_SH (.NET takes no shared
                // lock on a file opened for writing on NFS, so a shared holder only reads).
                return new FileLock(exclusive
                    ? new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)
                    : new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.Read));
            }
            catch (IOException e) when (HeldByAnother(e))
            {
                if (DateTime.UtcNow >= until) return null;
                Thread.Sleep(Retry);
            }
        }
    }

    /// <summary>
    /// Whether a live process holds <paramref name="path"/>, found by taking a shared lock on it for an instant and letting
    /// it go (a step taking it meanwhile waits that instant out: <see cref="Take"/>'s patience). Through the file server, so
    /// a holder on another node counts: /proc/locks, which disturbs no one, lists only this machine's locks.
    /// </summary>
    public static LockHolder Holder(string path)
    {
        if (!OperatingSystem.IsLinux()) return LockHolder.Unknown;
        int fd;
        try { fd = Libc.open(path, Libc.ORdOnly | Libc.OCloexec, 0); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return LockHolder.Unknown; }
        if (fd < 0) return Marshal.GetLastPInvokeError() == Libc.ENoent ? LockHolder.None : LockHolder.Unknown;
        try
        {
            return Libc.TryFlock(fd, Libc.LockSh) switch
            {
                Libc.FlockOutcome.Taken => LockHolder.None,
                Libc.FlockOutcome.HeldByAnother => LockHolder.Live,
                _ => LockHolder.Unknown,   // no locks here: none can be seen
            };
        }
        finally { Libc.close(fd); }   // closing the probe's only descriptor lets its lock go
    }

    /// <summary>
    /// The open failed because another holder has the lock: flock's EWOULDBLOCK (11 on Linux, 35 on macOS and the BSDs),
    /// Windows' sharing or lock violation.
    /// </summary>
    private static bool HeldByAnother(IOException e) =>
        e.HResult is 11 or 35 or unchecked((int)0x80070020) or unchecked((int)0x80070021);

    public void Dispose() => _file.Dispose();
}
