namespace Wdb.IO;

/// <summary>
/// An advisory lock a run holds on a directory it is filling, for as long as it fills it: the mark that tells a live
/// run's temporary directory from one a killed run left. Held on a file in the directory, <see cref="FileName"/>, opened
/// for reading and writing (<see cref="FileLock"/>): an NFS client (and a FUSE or CIFS mount that does the same) carries
/// flock(2) to the server as a byte-range lock, and an exclusive one there needs a descriptor open for writing, which a
/// directory's never is; locked on the directory itself, the lock failed there and the run went on unguarded. The
/// kernel (or the file server) drops the lock with the process, however it ends (SIGKILL included), so a directory
/// nobody holds is stale and may be removed, with the file. On Linux only; elsewhere no directory is held and every
/// leftover counts as stale, as before the lock.
/// </summary>
public sealed class DirectoryLock : IDisposable
{
    /// <summary>The file in a held directory that carries its lock; deleted when the lock is let go.</summary>
    public const string FileName = "run.lock";

    private readonly FileLock? _file;
    private readonly string? _path;

    private DirectoryLock(FileLock? file, string? path) => (_file, _path) = (file, path);

    /// <summary>Whether a held directory can be told from a leftover here: where it cannot, none may be removed as stale that was not before.</summary>
    [System.Runtime.Versioning.SupportedOSPlatformGuard("linux")]
    public static bool Tells => OperatingSystem.IsLinux();

    /// <summary>
    /// Locks <paramref name="dir"/> (which exists), making its <see cref="FileName"/>; null when another holder has it
    /// (this process's other locks included: the lock belongs to the open file, not the process). An unheld lock where
    /// there are none (not Linux, or a filesystem that keeps no locks).
    /// </summary>
    /// <exception cref="IOException">The lock's file could not be made.</exception>
    /// <exception cref="UnauthorizedAccessException">It may not be.</exception>
    public static DirectoryLock? Take(string dir)
    {
        if (!Tells) return new DirectoryLock(null, null);
        string path = Path.Combine(dir, FileName);
        return FileLock.Take(path, exclusive: true, FileLock.ProbePatience, makeDirectory: false) is { } file ? new DirectoryLock(file, path) : null;
    }

    /// <summary>
    /// Whether a live run holds <paramref name="dir"/> (<see cref="FileLock.Holder"/> of its <see cref="FileName"/>, a
    /// look through the file server); false for a directory without one (a killed run's before it locked, or gone
    /// meanwhile) and wherever live runs cannot be told.
    /// </summary>
    public static bool IsHeld(string dir) => FileLock.Holder(Path.Combine(dir, FileName)) == LockHolder.Live;

    /// <summary>
    /// Whether the lock's file is still in its directory: a remover that found the directory unheld an instant before it
    /// was locked deletes the file (and the directory) under the lock. Nothing else deletes a held directory's file.
    /// </summary>
    public bool InPlace() => _path is null || File.Exists(_path);

    /// <summary>
    /// Lets the lock go, then deletes its file: in that order, as an NFS client keeps a file deleted while open as a
    /// hidden <c>.nfs*</c> file until it is closed, which would keep the directory from being removed.
    /// </summary>
    public void Dispose()
    {
        if (_file is null) return;
        _file.Dispose();
        try { File.Delete(_path!); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }   // the directory's remover says so
    }
}
