using System.Runtime.InteropServices;

namespace Wdb.IO;

/// <summary>
/// The POSIX calls the output writers need and .NET does not offer: a directory fsync and an
/// atomic exchange (<see cref="AtomicDirectory"/>), O_DIRECT files (<see cref="DirectFile"/>); and a
/// look at a path that may be a FIFO without waiting for its writer (<see cref="InputPaths.NotReadableAgain"/>), and a
/// file's device and inode, which tell one file under two names (<see cref="InputPaths.Problem"/>); a write to standard
/// output that says when its reader has gone (<see cref="StandardOutputStream"/>); and a look at whether a live process
/// holds a lock file (<see cref="FileLock.Holder"/>, which also tells a live run's temporary directory, <see cref="DirectoryLock"/>).
/// Flag values are those of Linux on x64 and arm64 (O_DIRECT differs: see DirectFile).
/// Source-generated (LibraryImport): the marshalling is compiled into the image with the rest, where
/// DllImport's stubs were jitted at their first call in every run (bench/NOTES.md 86).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static partial class Libc
{
    public const int ORdOnly = 0, OWrOnly = 0x1, OCreat = 0x40, OExcl = 0x80, ONonblock = 0x800, OCloexec = 0x80000;
    public const int SeekCur = 1;
    public const int ENoent = 2, EIntr = 4, EAgain = 11, EInval = 22, AtFdCwd = -100;
    public const uint RenameExchange = 2;

    /// <summary>flock(2)'s operations: a shared or an exclusive lock, not waiting for it.</summary>
    public const int LockSh = 1, LockEx = 2, LockNb = 4;

    /// <summary>O_DIRECT, which differs between Linux architectures; 0 where it is not known (other systems).</summary>
    public static int ODirect => !OperatingSystem.IsLinux() ? 0 : RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 0x4000,
        Architecture.Arm64 => 0x10000,
        _ => 0,
    };

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static unsafe partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial long lseek(int fd, long offset, int whence);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    /// <summary>statx's mask bits for the file type (in stx_mode) and the inode number; the device is always filled in.</summary>
    public const uint StatxType = 0x1, StatxIno = 0x100;

    /// <summary>stx_mode's file type bits (S_IFMT) and the types a table may be written to by name: a file, a directory.</summary>
    public const int SIfmt = 0xF000, SIfreg = 0x8000, SIfdir = 0x4000;

    /// <summary>
    /// struct statx's size and the offsets of stx_mode (u16), stx_ino (u64) and stx_dev_major, stx_dev_minor (u32 each):
    /// one layout on every Linux architecture, unlike struct stat's (linux/stat.h).
    /// </summary>
    public const int StatxSize = 256, StatxModeOffset = 28, StatxInoOffset = 32, StatxDevMajorOffset = 136, StatxDevMinorOffset = 140;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    /// <summary>What statx tells of a file: the fields it filled (<see cref="Mask"/>), its S_IFMT type bits, its inode and device.</summary>
    public readonly record struct FileStatus(uint Mask, int Type, ulong Inode, uint DevMajor, uint DevMinor);

    /// <summary>
    /// statx of the file <paramref name="path"/> names (links followed), asking for <paramref name="mask"/>; null when there
    /// is no such file or no statx (a libc without it). The one reader of struct statx's layout.
    /// </summary>
    public static unsafe FileStatus? Stat(string path, uint mask)
    {
        byte* buffer = stackalloc byte[StatxSize];
        try
        {
            if (statx(AtFdCwd, path, 0, mask, buffer) != 0) return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
        return new FileStatus(*(uint*)buffer, *(ushort*)(buffer + StatxModeOffset) & SIfmt, *(ulong*)(buffer + StatxInoOffset),
            *(uint*)(buffer + StatxDevMajorOffset), *(uint*)(buffer + StatxDevMinorOffset));
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int flock(int fd, int operation);

    /// <summary>What a non-blocking flock(2) came to (<see cref="TryFlock"/>).</summary>
    public enum FlockOutcome { Taken, HeldByAnother, NoLocksHere }

    /// <summary>
    /// flock(2) with <paramref name="operation"/> | LOCK_NB on <paramref name="fd"/>, retried when a signal interrupts it.
    /// Any failure but EWOULDBLOCK is a filesystem that keeps no such locks (ENOLCK over NFS without a lock manager,
    /// ENOSYS on Lustre mounted noflock, EOPNOTSUPP): a holder there took none either.
    /// </summary>
    public static FlockOutcome TryFlock(int fd, int operation)
    {
        int errno;
        do
        {
            if (flock(fd, operation | LockNb) == 0) return FlockOutcome.Taken;
            errno = Marshal.GetLastPInvokeError();
        } while (errno == EIntr);
        return errno == EAgain ? FlockOutcome.HeldByAnother : FlockOutcome.NoLocksHere;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);
}
