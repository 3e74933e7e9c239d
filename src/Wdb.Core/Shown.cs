using System.Text;

namespace Wdb.Core;

/// <summary>What a message shows of what the user gave it.</summary>
public static class Shown
{
    /// <summary>
    /// <paramref name="path"/> with its control characters and line separators escaped (a line feed as \n, others as
    /// \xNN or \uNNNN): a name may hold any of them, and a message must stay one line, as scripts and logs read it one
    /// line to a message, and a terminal must not take an ESC in a name for a command. Tables keep the real path.
    /// </summary>
    public static string Path(string path)
    {
        if (!path.Any(NeedsEscape)) return path;
        var b = new StringBuilder(path.Length + 8);
        foreach (char c in path)
            b.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when c <= '\u00ff' && NeedsEscape(c) => $"\\x{(int)c:x2}",
                _ when NeedsEscape(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        return b.ToString();
    }

    // U+2028 and U+2029 end a line for editors and some terminals, though not control characters.
    private static bool NeedsEscape(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
