using System.Text.RegularExpressions;

namespace Wdb.IO;

/// <summary>
/// What an input path may be besides a file: `-`, standard input (`zcat a.gz | wdb merge - --out m`, on Windows
/// too, which has no /dev/stdin). It can be read once, so it may be named once.
/// </summary>
public static partial class InputPaths
{
    public const string StandardInput = "-";

    /// <summary>Why <paramref name="inputs"/> cannot be read as given; null when they can.</summary>
    public static string? Problem(IReadOnlyList<string> inputs)
    {
        int stdin = 0;
        foreach (string input in inputs)
        {
            if (input == StandardInput) stdin++;
            // Opened, a directory says "access denied": the wrong cause.
            else if (Directory.Exists(input)) return $"{input}: a directory, not a table: name its files (e.g. {Path.Combine(input, "*.gz")})";
        }
        return stdin > 1 ? $"standard input ('-') is named {stdin} times: it can be read once" : null;
    }

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
