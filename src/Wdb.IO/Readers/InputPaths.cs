using System.Text.RegularExpressions;
using Wdb.Core;

namespace Wdb.IO;

/// <summary>
/// What an input path may be besides a file: `-`, standard input (`zcat a.gz | wdb merge - --out m`, on Windows
/// too, which has no /dev/stdin). It can be read once, so it may be named once.
/// </summary>
public static partial class InputPaths
{
    public const string StandardInput = "-";

    /// <summary>
    /// Why <paramref name="inputs"/> cannot be read as given; null when they can. One file named twice, however spelt
    /// (another path to it, a link), would be read twice: each row a duplicate cntr of itself, and its rejects could
    /// not say which copy; the two arguments are named by their places among <paramref name="inputs"/>.
    /// </summary>
    public static string? Problem(IReadOnlyList<string> inputs)
    {
        int stdin = 0;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < inputs.Count; i++)
        {
            string input = inputs[i];
            if (input == StandardInput) { stdin++; continue; }
            // Opened, a directory says "access denied": the wrong cause.
            if (Directory.Exists(input)) return $"{Shown.Path(input)}: a directory, not a table: name its files (e.g. {Shown.Path(Path.Combine(input, "*.gz"))})";
            string identity = FileIdentity(input);
            if (seen.TryGetValue(identity, out int first))
                return inputs[first] == input
                    ? $"{Shown.Path(input)} is listed twice (arguments {first + 1} and {i + 1})"
                    : $"{Shown.Path(inputs[first])} and {Shown.Path(input)} are the same file (arguments {first + 1} and {i + 1})";
            seen[identity] = i;
        }
        return stdin > 1 ? $"standard input ('-') is named {stdin} times: it can be read once" : null;
    }

    /// <summary>
    /// What is said of an input that is not there. An option the verb does not have (`--out` given to `wdb validate`)
    /// arrives as an input path, so one that looks like an option is said to be none. A name with bytes that are not
    /// UTF-8 (0xff) reaches the program with U+FFFD in their place, a name no file has: the file is there, but cannot
    /// be opened by any argument, so "no such file" would send the user looking for a typo. Every verb's inputs and
    /// catalogues are said missing through it.
    /// </summary>
    public static string NoSuchFile(string path) => BadlyNamed(path) switch
    {
        null => "cannot open: no such file" + (path.StartsWith('-') ? " (nor an option of this command: see --help)" : ""),
        // Renaming the file would not do: the name the arguments cannot reach is a directory's on the way to it.
        { Directory: string dir } => $"cannot open: the name is not valid UTF-8 (its bad bytes arrive as U+FFFD); rename the directory '{Shown.Path(dir)}'",
        _ => "cannot open: the name is not valid UTF-8 (its bad bytes arrive as U+FFFD); rename the file",
    };

    /// <summary>
    /// Whether the missing <paramref name="path"/> is there in bytes that are not UTF-8: the first of its names that is
    /// not found holds U+FFFD, and its directory lists an entry that reads the same (the listing decodes names as the
    /// arguments are decoded). A name that holds U+FFFD itself, as valid UTF-8, and is not there is missing, plainly.
    /// Null when it is missing; else the entry, with its path as the user named it (from the working directory where
    /// <paramref name="path"/> is relative) when it is a directory.
    /// </summary>
    private static BadName? BadlyNamed(string path)
    {
        if (!path.Contains('\uFFFD')) return null;
        try
        {
            string missing = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
            string? parent = Path.GetDirectoryName(missing);
            while (parent is not null && !Directory.Exists(parent)) (missing, parent) = (parent, Path.GetDirectoryName(parent));
            string name = Path.GetFileName(missing);
            if (parent is null || !name.Contains('\uFFFD')) return null;
            // The listing's own type: the name it gives, decoded, reaches no entry by path (Directory.Exists would miss it).
            var entry = new DirectoryInfo(parent).EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = true })
                .FirstOrDefault(e => e.Name == name);
            if (entry is null) return null;
            return new BadName(entry is DirectoryInfo ? (Path.IsPathRooted(path) ? missing : Path.GetRelativePath(Environment.CurrentDirectory, missing)) : null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException) { return null; }
    }

    /// <summary>A name there in bytes that are not UTF-8: a directory's (its path as the user named it) or, null, the file's own.</summary>
    private readonly record struct BadName(string? Directory);

    /// <summary>Whether two paths name one file (<see cref="FileIdentity"/>), however spelt.</summary>
    public static bool SameFile(string a, string b) => FileIdentity(a) == FileIdentity(b);

    /// <summary>
    /// Whether writing <paramref name="output"/> would replace the file <paramref name="input"/> names (standard input,
    /// or an input gone since, is replaced by nothing).
    /// </summary>
    public static bool WouldReplace(string output, string input) =>
        input != StandardInput && File.Exists(input) && SameFile(input, output);

    /// <summary>
    /// What makes two paths one file: on Linux its device and inode (also through links, hard ones too), elsewhere, or
    /// where there is no such file yet (its error comes when it is opened), its full path with links followed.
    /// </summary>
    private static string FileIdentity(string path)
    {
        if (OperatingSystem.IsLinux() && DeviceAndInode(path) is { } id) return id;
        string full = Path.GetFullPath(path);
        try { return new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full; }
        catch (IOException) { return full; }   // a link that loops: its own path
    }

    /// <summary>"major:minor:inode" of the file <paramref name="path"/> names (links followed); null when statx cannot tell.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static string? DeviceAndInode(string path) =>
        Libc.Stat(path, Libc.StatxIno) is { } s && (s.Mask & Libc.StatxIno) != 0 ? $"{s.DevMajor}:{s.DevMinor}:{s.Inode}" : null;

    /// <summary>
    /// Why an input a merge read cannot be read again to check it (`wdb verify --inputs`); null when it can. `-` is
    /// standard input; /dev/stdin, /dev/fd/N and /proc/self/fd/N (what `&lt;(...)` passes) named one of the merge's own
    /// descriptors, gone with it; a FIFO or a device there now is a stream, never opened to be read (a FIFO waits for a writer).
    /// </summary>
    public static string? NotReadableAgain(string path)
    {
        if (path == StandardInput) return "standard input cannot be read again";
        return Descriptor().IsMatch(path) || IsStream(path) ? "a pipe cannot be read again" : null;
    }

    [GeneratedRegex(@"^/(?:dev/stdin|dev/fd/\d+|proc/(?:self|thread-self|\d+)/fd/\d+)$", RegexOptions.CultureInvariant)]
    private static partial Regex Descriptor();

    /// <summary>
    /// Whether <paramref name="path"/> is there and cannot seek (a FIFO, a socket, a terminal), opened without waiting
    /// (O_NONBLOCK) and not read. Linux only, where the flags' values are known; elsewhere false.
    /// </summary>
    private static bool IsStream(string path)
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(path)) return false;
        int fd = Libc.open(path, Libc.ORdOnly | Libc.ONonblock | Libc.OCloexec, 0);
        if (fd < 0) return false;   // unreadable: the check says so when it opens it
        try { return Libc.lseek(fd, 0, Libc.SeekCur) < 0; }
        finally { Libc.close(fd); }
    }
}
