using System.Diagnostics;

namespace Wdb.Tests;

/// <summary>
/// A small tmpfs mounted on a test's directory: a disk that fills up or refuses writes, where tests run as root on Linux
/// (CI and the VMs). Elsewhere <see cref="Mount"/> says false and the test skips what needs it.
/// </summary>
internal static class Tmpfs
{
    /// <summary>Mounts a tmpfs with <paramref name="options"/> ("size=64k", "ro,size=64k") on <paramref name="dir"/>; false where that cannot be done.</summary>
    public static bool Mount(string dir, string options)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            var psi = new ProcessStartInfo("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir])
            { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(psi)!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    public static void Unmount(string dir)
    {
        using var p = Process.Start(new ProcessStartInfo("umount", [dir]) { UseShellExecute = false, RedirectStandardError = true })!;
        p.WaitForExit();
    }

    /// <summary>Fills the tmpfs on <paramref name="dir"/> to its last byte with one file: every write after it fails with ENOSPC.</summary>
    public static void Fill(string dir)
    {
        using var filler = new FileStream(Path.Combine(dir, "filler"), FileMode.CreateNew);
        var block = new byte[4096];
        try { while (true) filler.Write(block); }
        catch (IOException) { }
    }
}
