using System.Text;
using System.Text.RegularExpressions;

namespace Wdb.Tests.Cli;

/// <summary>A `wdb ...` command line as a doc shows it: where, and its words after `wdb` (quotes removed).</summary>
internal sealed record DocumentedCommand(string File, int Line, string Text, IReadOnlyList<string> Words)
{
    public override string ToString() => $"{File}:{Line}: {Text}";
}

/// <summary>
/// The `wdb ...` command lines of the Markdown docs users copy from: in fenced code blocks (a line, with the
/// `[...]` lines under it that continue it, shell comments left out) and in inline code spans.
/// </summary>
internal static class DocumentedCommands
{
    /// <summary>
    /// The docs a user reads for commands: every Markdown file but the lab notes (bench/NOTES.md) and the GPU run
    /// logs (bench/gpu-runs/), which record what was run on their day and are not rewritten when an option changes.
    /// </summary>
    public static IEnumerable<string> Files(string root) =>
        Directory.EnumerateFiles(root, "*.md", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith("bench/NOTES", StringComparison.Ordinal) && !f.StartsWith("bench/gpu-runs/", StringComparison.Ordinal))
            .Where(f => !f.Split('/').Any(part => part is "bin" or "obj" or "out" or "example" || part.StartsWith('.')))
            .Where(f => !f.StartsWith("bench/data/", StringComparison.Ordinal) && !f.StartsWith("bench/peers/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    /// <summary>The commands of one Markdown text, in order.</summary>
    public static List<DocumentedCommand> In(string file, string markdown)
    {
        var found = new List<DocumentedCommand>();
        var prose = new StringBuilder();
        var proseLines = new List<int>();   // prose's line number at each of its characters' lines
        string[] lines = markdown.ReplaceLineEndings("\n").Split('\n');
        bool fenced = false;
        (int Line, StringBuilder Text)? open = null;   // a code block's command that `[...]` lines below may continue
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
                Close(ref open, file, found);
                continue;
            }
            if (!fenced)
            {
                prose.Append(line).Append('\n');
                proseLines.Add(i + 1);
                continue;
            }
            string code = WithoutComment(line).TrimEnd();
            if (code.Trim().Length == 0) continue;   // a comment line leaves the command above it open
            if (open is not null && code.TrimStart().StartsWith('['))
            {
                open.Value.Text.Append(' ').Append(code.Trim());
                continue;
            }
            Close(ref open, file, found);
            if (CommandAt(code) is string command) open = (i + 1, new StringBuilder(command));
        }
        Close(ref open, file, found);
        found.AddRange(InlineCommands(file, prose.ToString(), proseLines));
        return found;
    }

    private static void Close(ref (int Line, StringBuilder Text)? open, string file, List<DocumentedCommand> found)
    {
        if (open is { } o) found.Add(Command(file, o.Line, o.Text.ToString()));
        open = null;
    }

    private static DocumentedCommand Command(string file, int line, string text) => new(file, line, text, Words(text).Skip(1).ToList());

    // Single-backtick spans, which Markdown lets run on to the next line of a paragraph.
    private static IEnumerable<DocumentedCommand> InlineCommands(string file, string prose, List<int> proseLines)
    {
        foreach (Match span in Regex.Matches(prose, @"(?<!`)`([^`]+)`(?!`)"))
        {
            string text = Regex.Replace(span.Groups[1].Value, @"\s*\n\s*", " ");
            // In a table a `|` inside code is written `\|`.
            if (CommandAt(text) is string command)
            {
                command = command.Replace(@"\|", "|");
                int line = proseLines[prose.AsSpan(0, span.Index).Count('\n')];
                yield return Command(file, line, command);
            }
        }
    }

    /// <summary>
    /// From `wdb` to the end of its command (a pipe, redirection, `;` or a backtick in a diagram ends it), or null when
    /// there is none. A table's `\|` is no pipe.
    /// </summary>
    private static string? CommandAt(string code)
    {
        var start = Regex.Match(code, @"(?<![\w/.<>-])wdb (?=\S)");
        if (!start.Success) return null;
        string rest = code[start.Index..];
        var end = Regex.Match(rest, @"\s(\||>|2>|;|&&)\s|`");
        return (end.Success ? rest[..end.Index] : rest).Trim();
    }

    // A shell comment: `#` at the start or after a blank, outside quotes.
    private static string WithoutComment(string line)
    {
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote != '\0') { if (c == quote) quote = '\0'; }
            else if (c is '"' or '\'' && (i == 0 || char.IsWhiteSpace(line[i - 1]))) quote = c;
            else if (c == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1]))) return line[..i];
        }
        return line;
    }

    /// <summary>
    /// The shell's words, quotes removed; `&lt;(...)` (a pipe for a file) becomes one word; `[`, `]` kept as words of
    /// their own, and `a | b` written with blanks as one word `a|b`.
    /// </summary>
    public static List<string> Words(string command)
    {
        command = Regex.Replace(command, @"<\([^)]*\)", "/dev/fd/63");
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        void End()
        {
            if (inWord) words.Add(word.ToString());
            word.Clear();
            inWord = false;
        }
        foreach (char c in command)
        {
            if (quote != '\0')
            {
                if (c == quote) quote = '\0'; else word.Append(c);
            }
            else if (c is '"' or '\'' && !inWord) { quote = c; inWord = true; }   // merge's: an apostrophe
            else if (char.IsWhiteSpace(c)) End();
            else if (c is '[' or ']') { End(); words.Add(c.ToString()); }
            else { word.Append(c); inWord = true; }
        }
        End();
        return JoinAlternatives(words);
    }

    private static List<string> JoinAlternatives(List<string> words)
    {
        var joined = new List<string>();
        for (int i = 0; i < words.Count; i++)
        {
            if (words[i] != "|") joined.Add(words[i]);
            // `--a X | --b`: one option or another, each checked as if given alone.
            else if (joined.Count > 0 && i + 1 < words.Count && !words[i + 1].StartsWith('-') && !joined[^1].StartsWith('-'))
                joined[^1] += "|" + words[++i];
        }
        return joined;
    }
}
