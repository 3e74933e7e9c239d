using System.CommandLine;
using System.CommandLine.Completions;
using System.Text.RegularExpressions;
using Wdb.Cli;

namespace Wdb.Tests.Cli;

/// <summary>
/// Astronomers copy `wdb ...` lines from the docs: each one's verb must exist, each option it names (in `[...]`
/// too) must be one the verb takes, each value listed as `a|b|c` must be one the option accepts, and the line must
/// parse as the program parses it (what a doc fragment leaves out, such as a required --out, apart).
/// </summary>
public sealed class DocumentedCommandsTests
{
    [Fact]
    public void Every_documented_command_names_a_verb_options_and_values_wdb_accepts()
    {
        var commands = AllDocumented();
        var root = WdbCommandLine.Create();
        var problems = commands.SelectMany(c => CommandCheck.Problems(root, c).Select(p => $"{c}\n    {p}")).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void The_docs_commands_are_found_in_code_blocks_inline_code_and_continued_lines()
    {
        var commands = AllDocumented();
        // README's merge line and the `[...]` lines under it, whatever the comments between them say.
        var merge = commands.First(c => c.File == "README.md" && c.Words is ["merge", "survey.csv", ..]);
        Assert.Contains("--checksum", merge.Words);
        Assert.Contains("--not-in-any-scan", merge.Words);
        Assert.DoesNotContain(merge.Words, w => w.Contains('#'));
        Assert.Contains(commands, c => c.File == "bench/README.md" && c.Text == "wdb validate --threads 1 --json");
        Assert.Contains(commands, c => c.File == "docs/cluster.md" && c.Words is ["cluster", "plan", ..]);
        Assert.Contains(commands, c => c.File == "src/Wdb.IO/Export/COLUMNS.md" && c.Words is ["export", ..]);
        foreach (string verb in new[] { "gen", "merge", "validate", "export", "members", "cone", "plot", "associate", "verify", "evaluate", "calibrate", "check-device", "cluster" })
            Assert.Contains(commands, c => c.Words.Count > 0 && c.Words[0] == verb);
    }

    [Fact]
    public void A_doc_naming_an_option_or_value_wdb_does_not_take_is_caught()
    {
        const string doc = """
            # A page with mistakes
            ```sh
            wdb merge survey.csv --out merged [--radius 2.0] [--device auto|cuda|gpu]
                                                            # a comment that names --not-an-option is not a command
                      [--bogus 3]                           # continued, so checked
            wdb merge survey.csv --out merged --checksum xxh128|md5
            ```
            Then `wdb frobnicate merged`, `wdb export merged --table groups --format csv|votable --out -`,
            and `wdb cone merged --ra 12:00:00 --dec -0.5 --radius ten`.
            """;
        var commands = DocumentedCommands.In("page.md", doc);
        Assert.Equal(5, commands.Count);
        var root = WdbCommandLine.Create();
        var problems = commands.Select(c => string.Join("\n", CommandCheck.Problems(root, c))).ToList();
        Assert.Contains("--bogus", problems[0]);
        Assert.Contains("'gpu'", problems[0]);
        Assert.DoesNotContain("--not-an-option", problems[0]);
        Assert.Contains("'md5'", problems[1]);
        Assert.Contains("frobnicate", problems[2]);
        Assert.Contains("'votable'", problems[3]);
        Assert.Contains("ten", problems[4]);
        Assert.Equal(3, commands[0].Line);
        Assert.Equal(8, commands[2].Line);
    }

    [Fact]
    public void Placeholders_brackets_and_process_substitution_are_read_as_a_reader_would()
    {
        var c = DocumentedCommands.In("x.md", "`wdb cluster plan psc_*.gz --out m --work W --tasks 64 [merge's options]` and `wdb merge <(zcat a.gz) --out m`");
        Assert.Equal(["cluster", "plan", "psc_*.gz", "--out", "m", "--work", "W", "--tasks", "64", "[", "merge's", "options", "]"], c[0].Words);
        Assert.Equal(["merge", "/dev/fd/63", "--out", "m"], c[1].Words);
        var root = WdbCommandLine.Create();
        Assert.Empty(CommandCheck.Problems(root, c[0]));
        Assert.Empty(CommandCheck.Problems(root, c[1]));
    }

    private static List<DocumentedCommand> AllDocumented()
    {
        string? root = RepositoryRoot();
        if (root is null) Assert.Skip("the repository's docs are not beside this build (a published test run)");
        return DocumentedCommands.Files(root).SelectMany(f => DocumentedCommands.In(f, File.ReadAllText(Path.Combine(root, f)))).ToList();
    }

    internal static string? RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Wdb.sln"))) dir = dir.Parent;
        return dir?.FullName;
    }
}

/// <summary>What the program would refuse in one documented command line, in words that say where to look.</summary>
internal static class CommandCheck
{
    public static List<string> Problems(RootCommand root, DocumentedCommand documented)
    {
        var problems = new List<string>();
        var words = WithoutPlaceholderGroups(documented.Words, problems);
        var (verb, path) = Verb(root, words);
        if (verb == root && (words.Count == 0 || !IsOption(words[0])))
        {
            problems.Add(words.Count == 0 ? "no verb" : $"wdb has no verb '{words[0]}' (wdb --help lists {string.Join(", ", root.Subcommands.Select(s => s.Name))})");
            return problems;
        }
        string name = string.Join(' ', path.Prepend("wdb"));
        var parsed = new List<string>(path);
        var alternatives = new List<string[]>();
        for (int i = path.Count; i < words.Count; i++)
        {
            string word = words[i];
            if (!IsOption(word))
            {
                parsed.Add(word);
                continue;
            }
            string optionName = word.Split('=')[0];
            if (FindOption(verb, optionName) is not Option option)
            {
                problems.Add($"{name} has no option {optionName} ({name} --help lists {string.Join(", ", verb.Options.Where(o => !o.Hidden).Select(o => o.Name))})");
                continue;
            }
            var values = new List<string>();
            int most = TakesNoValue(option) ? 0 : option.Arity.MaximumNumberOfValues;
            while (values.Count < most && i + 1 < words.Count && !IsOption(words[i + 1])) values.Add(words[++i]);
            foreach (string value in values.Where(v => v.Contains('|')))
                foreach (string alternative in value.Split('|').Where(a => IsName(a) && !Mentions(option, a)))
                    problems.Add($"{name} {optionName}: '{alternative}' is not among the values its help names");
            if (values.Any(IsPlaceholder)) continue;   // a word for the reader to replace: the option's existence is what can be checked
            parsed.Add(word);
            parsed.AddRange(values);
        }
        problems.AddRange(ParseProblems(root, path, parsed));
        return problems;
    }

    /// <summary>
    /// The parser's complaints about the line, once per listed alternative; those it has about the verb alone (a required
    /// option or input the fragment leaves out) are not the doc's.
    /// </summary>
    private static IEnumerable<string> ParseProblems(RootCommand root, List<string> path, List<string> words)
    {
        var baseline = root.Parse(path).Errors.Select(e => e.Message).ToHashSet();
        int variants = words.Select(w => w.Split('|').Length).DefaultIfEmpty(1).Max();
        var seen = new HashSet<string>();
        for (int k = 0; k < variants; k++)
        {
            var variant = words.Select(w => w.Split('|') is var a ? a[Math.Min(k, a.Length - 1)] : w).ToList();
            foreach (var error in root.Parse(variant).Errors)
                if (!baseline.Contains(error.Message) && seen.Add(error.Message))
                    yield return $"wdb would refuse `{string.Join(' ', variant)}`: {error.Message.ReplaceLineEndings(" ")}";
        }
    }

    // The verb and the subcommand words that name it ("cluster", "plan").
    private static (Command Verb, List<string> Path) Verb(RootCommand root, List<string> words)
    {
        Command at = root;
        var path = new List<string>();
        foreach (string word in words)
        {
            if (at.Subcommands.FirstOrDefault(s => s.Name == word || s.Aliases.Contains(word)) is not Command sub) break;
            at = sub;
            path.Add(word);
        }
        return (at, path);
    }

    /// <summary>
    /// The words with `[` and `]` gone, and the bracketed groups that name no option (`[merge's options]`,
    /// `[INPUTS...]`, `[more catalogues]`) and `...` left out: the reader fills those in.
    /// </summary>
    private static List<string> WithoutPlaceholderGroups(IReadOnlyList<string> words, List<string> problems)
    {
        var kept = new List<string>();
        var starts = new Stack<int>();
        foreach (string word in words)
        {
            if (word == "[") starts.Push(kept.Count);
            else if (word == "]")
            {
                if (!starts.TryPop(out int start)) { problems.Add("a ']' with no '['"); continue; }
                if (start < kept.Count && !IsOption(kept[start])) kept.RemoveRange(start, kept.Count - start);
            }
            else if (!word.EndsWith("...", StringComparison.Ordinal)) kept.Add(word);
        }
        if (starts.Count > 0) problems.Add("a '[' with no ']'");
        return kept;
    }

    private static bool IsOption(string word) => word.StartsWith("--", StringComparison.Ordinal) || Regex.IsMatch(word, "^-[A-Za-z?]$");

    // FILE, N, SIZE, DIR, W: words in capitals stand for what the reader types.
    private static bool IsPlaceholder(string word) => Regex.IsMatch(word, "^[A-Z]+(_[A-Z]+)*$");

    // auto, sha256, ipac: a value the option must name, not a number or size (400M) the reader picks.
    private static bool IsName(string value) => value.Length > 0 && char.IsLetter(value[0]);

    private static bool TakesNoValue(Option option) => option.ValueType == typeof(bool) || option.ValueType == typeof(bool?);

    private static Option? FindOption(Command verb, string name)
    {
        for (Command? at = verb; at is not null; at = at.Parents.OfType<Command>().FirstOrDefault())
            foreach (var option in at.Options)
                if ((at == verb || option.Recursive) && (option.Name == name || option.Aliases.Contains(name)))
                    return option;
        return null;
    }

    // A value the option's own help names: among its completions (what AcceptOnlyFromAmong allows) or a word of its description.
    private static bool Mentions(Option option, string value) =>
        option.GetCompletions(CompletionContext.Empty).Any(c => c.Label == value)
        || Regex.IsMatch(option.Description ?? "", $@"(?<![\w-]){Regex.Escape(value)}(?![\w-])");
}
