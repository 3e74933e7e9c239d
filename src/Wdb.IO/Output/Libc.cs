using System.Runtime.InteropServices;

namespace Wdb.IO;

/// <summary>
/// The POSIX calls the output writers need and .NET does not offer: a directory fsync and an
/// atomic exchange (<see cref="AtomicDirectory"/>), O_DIRECT files (<see cref="DirectFile"/>).
/// Flag values are those of Linux on x64 and arm64 (O_DIRECT differs: see DirectFile).
/// </summary>
internal static class Libc
{
    public const int ORdOnly = 0, OWrOnly = 0x1, OCreat = 0x40, OExcl = 0x80, OCloexec = 0x80000;
    public const int EInval = 22, AtFdCwd = -100;
    public const uint RenameExchange = 2;

    /// <summary>O_DIRECT, which differs between Linux architectures; 0 where it is not known (other systems).</summary>
    public static int ODirect => !OperatingSystem.IsLinux() ? 0 : RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 0x4000,
        Architecture.Arm64 => 0x10000,
        _ => 0,
    };

    [DllImport("libc", SetLastError = true)]
    public static extern int open(string path, int flags, int mode);

    [DllImport("libc", SetLastError = true)]
    public static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    public static extern int fsync(int fd);

    [DllImport("libc", SetLastError = true)]
    public static extern int ftruncate(int fd, long length);

    [DllImport("libc", SetLastError = true)]
    public static extern int renameat2(int olddirfd, string oldpath, int newdirfd, string newpath, uint flags);
}
