using System.Text.RegularExpressions;
using Wdb.Core;

namespace Wdb.IO;

/// <summary>
/// One output file written whole or not at all (exports, models, generated tables): a temporary sibling, flushed, renamed. A target that is
/// a stream (a device, a FIFO, a descriptor such as /dev/stdout) is written straight into instead (<see cref="IsStream"/>).
/// </summary>
public static partial class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="outFile"/> through <paramref name="body"/> into a temporary sibling,
    /// flushes it to disk and renames it over the target. I/O and data errors come back as a
    /// one-line error (<paramref name="failedData"/> begins it for data the body could not read); whatever
    /// fails, the temporary file is removed, and so are the directories <paramref name="makeParent"/> made.
    /// <paramref name="makeParent"/> makes a missing directory for it (its parents too); otherwise that is the caller's
    /// error to give first (<see cref="ParentProblem"/>).
    /// </summary>
    public static OutputError? Write(string outFile, string failedData, Action<FileStream> body, bool makeParent = false)
    {
        if (IsStream(outFile)) return WriteStraight(outFile, failedData, body);
        string full, tmp;
        try
        {
            full = ThroughLinks(Path.GetFullPath(outFile));
            tmp = SiblingNames.Of(full, ".tmp-");
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException or IOException)
        {
            return OutputError.Unwritten($"cannot write '{Shown.Path(outFile)}': {OutputError.ReasonOf(e, outFile)}");
        }
        string dir = Path.GetDirectoryName(full)!;
        List<string> made = makeParent ? DirectoryTree.Missing(dir) : [];
        if (made.Count > 0 && FileAbove(outFile, dir) is { } inTheWay) return inTheWay;
        TemporaryPaths.AddMade(made);
        TemporaryPaths.Add(tmp);
        bool moved = false;
        try
        {
            if (made.Count > 0) TemporaryPaths.CreateDirectory(dir);
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                body(fs);
                fs.Flush(flushToDisk: true);
            }
            // Not once a stop has begun: it is deleting the temporary file and says so; nothing new is published after.
            TemporaryPaths.Atomically(() => File.Move(tmp, full, overwrite: true));
            moved = true;
            AtomicDirectory.FsyncDirectory(dir);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // The system names the path it was given, the temporary one: the user named the target.
            string what = e is InvalidDataException ? failedData : $"cannot write '{Shown.Path(outFile)}'";
            return new OutputError($"{what}: {OutputError.ReasonOf(e, tmp, full).Replace(tmp, full)}", Unwritable: e is not InvalidDataException);
        }
        finally
        {
            // Also on an unexpected exception (a bug, which propagates): no half-written sibling is left, nor a directory made for it.
            if (!moved)
            {
                try { File.Delete(tmp); } catch (Exception d) when (d is IOException or UnauthorizedAccessException) { }
                try { DirectoryTree.DeleteEmpty(made); } catch (Exception d) when (d is IOException or UnauthorizedAccessException) { }
            }
            TemporaryPaths.Remove(tmp);
            TemporaryPaths.RemoveMade(made);
        }
    }

    /// <summary>
    /// The error for a file where a directory above <paramref name="outFile"/> must be made (`a.csv/x.csv`); null when
    /// the nearest existing one, from <paramref name="dir"/> (its full directory) up, is a directory.
    /// </summary>
    private static OutputError? FileAbove(string outFile, string dir)
    {
        string? at = dir;
        while (at is not null && !Directory.Exists(at) && !File.Exists(at)) at = Path.GetDirectoryName(at);
        if (at is null || !File.Exists(at)) return null;
        // Named as the user wrote it where it was written relative.
        string named = Path.IsPathRooted(outFile) ? at : Path.GetRelativePath(Environment.CurrentDirectory, at);
        return OutputError.Unwritten($"cannot write '{Shown.Path(outFile)}': '{Shown.Path(named)}' is a file, not a directory");
    }

    /// <summary>
    /// Why <paramref name="outPath"/> (a file, or a directory of plots) cannot be written where it is named, found before
    /// anything is read: its directory does not exist, or is a file; null when it is a directory (or the path is one the
    /// writer itself refuses). The directory is not made: a mistyped path would leave a tree of directories behind it,
    /// and a file where the user did not look for it.
    /// </summary>
    public static OutputError? ParentProblem(string outPath)
    {
        string parent;
        try { parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(outPath))) ?? ""; }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return null; }
        if (parent.Length == 0 || Directory.Exists(parent)) return null;
        // Named as the user wrote it where it was written relative (`a/b` of `a/b/c.csv`).
        string named = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(outPath)) is { Length: > 0 } given ? given : parent;
        return OutputError.Unwritten(File.Exists(parent)
            ? $"cannot write '{Shown.Path(outPath)}': '{Shown.Path(named)}' is a file, not a directory"
            : $"cannot write '{Shown.Path(outPath)}': its directory '{Shown.Path(named)}' does not exist: make it first, or choose another path");
    }

    /// <summary>
    /// The file a full path <paramref name="full"/> writes: a link to a file (`latest.csv -> runs/7/groups.csv`) is written
    /// through, as the merge writes through a link to its output: the file it names is replaced beside itself and the link
    /// stays. A dangling link names where the file goes.
    /// </summary>
    public static string ThroughLinks(string full) =>
        new FileInfo(full).LinkTarget is not null ? new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full : full;

    /// <summary>
    /// Whether <paramref name="path"/> names a stream rather than a file: a descriptor (/dev/stdout, /dev/stderr, /dev/fd/N,
    /// /proc/self/fd/N, what `&gt;(...)` passes), or, links followed, a device, FIFO or socket. A rename over one would put
    /// a plain file where the device was (as root, /dev/null itself) or fail in /dev with a temporary name, and a
    /// descriptor's link resolves to whatever its process holds; the user meant the stream. Linux only, where statx's layout
    /// is known; elsewhere false.
    /// </summary>
    public static bool IsStream(string path)
    {
        if (!OperatingSystem.IsLinux()) return false;
        string full;
        try { full = Path.GetFullPath(path); }   // ../../dev/stdout is /dev/stdout
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return false; }
        return Descriptor().IsMatch(full) || FileType(full) is int type && type != Libc.SIfreg && type != Libc.SIfdir;
    }

    [GeneratedRegex(@"^/(?:dev/(?:stdout|stderr|fd/\d+)|proc/(?:self|thread-self|\d+)/fd/\d+)$", RegexOptions.CultureInvariant)]
    private static partial Regex Descriptor();

    /// <summary>The S_IFMT bits of the file <paramref name="path"/> names (links followed); null when there is none or statx cannot tell.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static int? FileType(string path) =>
        Libc.Stat(path, Libc.StatxType) is { } s && (s.Mask & Libc.StatxType) != 0 ? s.Type : null;

    /// <summary>
    /// <paramref name="body"/> written into the stream <paramref name="outFile"/> names, opened as it is: nothing to rename,
    /// and nothing to take back, as with standard output.
    /// </summary>
    private static OutputError? WriteStraight(string outFile, string failedData, Action<FileStream> body)
    {
        try
        {
            using var fs = new FileStream(outFile, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
            body(fs);
            fs.Flush();
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            string what = e is InvalidDataException ? failedData : $"cannot write '{Shown.Path(outFile)}'";
            return new OutputError($"{what}: {OutputError.ReasonOf(e, outFile)}", Unwritable: e is not InvalidDataException);
        }
    }
}
