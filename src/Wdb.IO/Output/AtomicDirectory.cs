using Wdb.Core;
namespace Wdb.IO;

/// <summary>
/// Publishes a directory atomically: the caller fills a sibling temporary directory
/// (<c>&lt;target&gt;.tmp-&lt;random&gt;</c>, the target's name cut when long: <see cref="SiblingNames"/>), then <see cref="Publish"/> puts it in place of the
/// target. On Linux the two directories are exchanged in one renameat2(RENAME_EXCHANGE) call,
/// so a reader always sees a complete output; elsewhere (or on a file system without it) the
/// old target is first renamed to <c>&lt;target&gt;.old-&lt;random&gt;</c>, leaving a short window
/// where only that complete copy exists (<see cref="RemoveStale"/> puts it back if a run
/// dies there). The previous output is deleted only after the new one is in place. A <c>.tmp-</c> sibling that a live
/// run holds locked (<see cref="OutputClaim"/>) is never taken for a leftover.
/// </summary>
internal static class AtomicDirectory
{
    private const string TmpTag = ".tmp-", OldTag = ".old-";

    /// <summary>
    /// Twelve random hex digits that keep one run's sibling apart from another's. From a GUID, not
    /// RandomNumberGenerator: that one loads OpenSSL (libssl, libcrypto, openssl.cnf), milliseconds of a
    /// short run's start, for names that need no secrecy.
    /// </summary>
    internal static string UniqueTag() => Guid.NewGuid().ToString("N")[..12];

    /// <summary>
    /// <paramref name="message"/> (the system's) with <paramref name="target"/>'s temporary and old siblings, and paths
    /// in them, named as the target: the system names the path it was given, a name the user never chose nor will find.
    /// </summary>
    public static string AsTarget(string message, string target) =>
        System.Text.RegularExpressions.Regex.Replace(message,
            System.Text.RegularExpressions.Regex.Escape(SiblingNames.BasePath(target)) + @"\.(?:tmp|old)-[0-9a-f]{12}", target.Replace("$", "$$"));

    /// <summary>Creates the temporary sibling of <paramref name="target"/> (a full path) and returns its path.</summary>
    public static string CreateTemp(string target)
    {
        string tmp = SiblingNames.Of(target, TmpTag);
        TemporaryPaths.Add(tmp);
        TemporaryPaths.CreateDirectory(tmp);   // not once a signal's stop has begun: it would be left behind
        return tmp;
    }

    /// <summary>
    /// Removes leftovers of interrupted runs: <c>&lt;target&gt;.tmp-*</c> and <c>.old-*</c>
    /// siblings. When the target is missing but an <c>.old-*</c> copy exists (a run died
    /// between the two renames of the fallback), that copy is first restored as the target.
    /// </summary>
    public static void RemoveStale(string target)
    {
        string parent = Path.GetDirectoryName(target)!, name = SiblingNames.Base(Path.GetFileName(target));
        if (!Directory.Exists(parent)) return;
        foreach (string dir in Directory.EnumerateDirectories(parent))
        {
            string n = Path.GetFileName(dir);
            if (!n.StartsWith(name, StringComparison.Ordinal)) continue;
            string tag = n[name.Length..];
            if (tag.StartsWith(OldTag, StringComparison.Ordinal) && !Directory.Exists(target) && !File.Exists(target))
                Directory.Move(dir, target);
            else if (tag.StartsWith(TmpTag, StringComparison.Ordinal) && DirectoryLock.IsHeld(dir))
                continue;   // a live run's (OutputClaim), this one's own among them
            else if (tag.StartsWith(TmpTag, StringComparison.Ordinal) || tag.StartsWith(OldTag, StringComparison.Ordinal))
                DirectoryTree.Delete(dir);
        }
    }

    /// <summary>The <c>&lt;target&gt;.tmp-*</c> siblings other than <paramref name="except"/> that live runs hold locked.</summary>
    public static List<string> LiveTemps(string target, string except)
    {
        string parent = Path.GetDirectoryName(target)!, prefix = SiblingNames.Base(Path.GetFileName(target)) + TmpTag;
        var live = new List<string>();
        if (!Directory.Exists(parent)) return live;
        foreach (string dir in Directory.EnumerateDirectories(parent, prefix + "*"))
            if (dir != except && Path.GetFileName(dir).StartsWith(prefix, StringComparison.Ordinal) && DirectoryLock.IsHeld(dir)) live.Add(dir);
        return live;
    }

    /// <summary>
    /// Puts the complete directory <paramref name="tmp"/> in place of <paramref name="target"/> and deletes the old one.
    /// Returns null, or, when the old one could not be deleted once the new one was in place, why and where it was left:
    /// the new output stands, so that is the caller's warning, not its failure (the next publish removes the leftover).
    /// </summary>
    /// <exception cref="IOException">The new output could not be put in place (the old one stays).</exception>
    public static string? Publish(string tmp, string target) => Publish(tmp, target, swapped: null, exchange: true);

    /// <summary>
    /// <see cref="Publish(string, string)"/>, with <paramref name="swapped"/> called between the swap and the old output's
    /// deletion, and the fallback's two renames taken when <paramref name="exchange"/> is false: a test's way into the
    /// window a signal can hit, and (by throwing an IOException) into a deletion that fails.
    /// </summary>
    internal static string? Publish(string tmp, string target, Action? swapped, bool exchange)
    {
        string parent = Path.GetDirectoryName(target)!;
        FsyncDirectory(tmp);
        string? old = null;
        // A signal's deletions come before the renames (the new output goes, the old stays in place) or after them, when
        // the path that holds the old output is registered in place of tmp: nothing is left beside the target either way.
        TemporaryPaths.Atomically(() =>
        {
            if (!Directory.Exists(target))
            {
                Directory.Move(tmp, target);
            }
            else if (exchange && TryExchange(tmp, target)) old = tmp;   // tmp now holds the previous output, and stays registered
            else
            {
                old = SiblingNames.Of(target, OldTag);
                Directory.Move(target, old);
                Directory.Move(tmp, target);
                TemporaryPaths.Add(old);
            }
            if (old != tmp) TemporaryPaths.Remove(tmp);
        });
        FsyncDirectory(parent);
        if (old is null) return null;
        try
        {
            swapped?.Invoke();   // a test's hook: its IOException stands for the deletion's
            DirectoryTree.Delete(old);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"the previous output could not be removed and was left in '{Shown.Path(old)}' ({OutputError.ReasonOf(e)}); the next run into it removes it";
        }
        finally
        {
            TemporaryPaths.Remove(old);
        }
    }

    private static bool TryExchange(string a, string b)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return Libc.renameat2(Libc.AtFdCwd, a, Libc.AtFdCwd, b, Libc.RenameExchange) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Makes renames and new entries in <paramref name="dir"/> durable (Linux; best effort). Elsewhere nothing: NTFS
    /// journals its metadata and has no directory handle to fsync, and macOS's fsync does not reach the disk anyway
    /// (F_FULLFSYNC does).
    /// </summary>
    public static void FsyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            int fd = Libc.open(dir, Libc.ORdOnly, 0);
            if (fd < 0) return;
            Libc.fsync(fd);
            Libc.close(fd);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }
}
