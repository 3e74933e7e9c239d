using System.Runtime.InteropServices;

namespace Wdb.IO;

/// <summary>
/// The POSIX calls the output writers need and .NET does not offer: a directory fsync and an
/// atomic exchange (<see cref="AtomicDirectory"/>), O_DIRECT files (<see cref="DirectFile"/>); and a
/// look at a path that may be a FIFO without waiting for its writer (<see cref="InputPaths.NotReadableAgain"/>).
/// Flag values are those of Linux on x64 and arm64 (O_DIRECT differs: see DirectFile).
/// Source-generated (LibraryImport): the marshalling is compiled into the image with the rest, where
/// DllImport's stubs were jitted at their first call in every run (bench/NOTES.md 86).
/// </summary>
internal static partial class Libc
{
    public const int ORdOnly = 0, OWrOnly = 0x1, OCreat = 0x40, OExcl = 0x80, ONonblock = 0x800, OCloexec = 0x80000;
    public const int SeekCur = 1;
    public const int EInval = 22, AtFdCwd = -100;
    public const uint RenameExchange = 2;

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
    public static partial long lseek(int fd, long offset, int whence);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);
}
