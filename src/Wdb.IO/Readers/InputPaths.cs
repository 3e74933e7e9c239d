namespace Wdb.IO;

/// <summary>
/// What an input path may be besides a file: `-`, standard input (`zcat a.gz | wdb merge - --out m`, on Windows
/// too, which has no /dev/stdin). It can be read once, so it may be named once.
/// </summary>
public static class InputPaths
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
}
