using System.Text.RegularExpressions;

namespace Wdb.Tests.Cli;

/// <summary>
/// run.ps1 is run.sh for Windows workstations (README): the same verbs, and an example that runs the same wdb
/// commands, so that a user on either machine gets the same example and the README's timings mean the same thing.
/// (Checked by hand under PowerShell 7.6.9 on Linux: example, publish, a bad verb's exit 2; CI has no PowerShell.)
/// </summary>
public sealed partial class RunScriptsTests
{
    [GeneratedRegex(@"^  ([a-z]+)\)", RegexOptions.Multiline)]
    private static partial Regex ShellVerb();

    [GeneratedRegex(@"^  ""([a-z]+)"" \{", RegexOptions.Multiline)]
    private static partial Regex PowerShellVerb();

    [GeneratedRegex(@"^\s+[Ww]db (.+)$", RegexOptions.Multiline)]
    private static partial Regex WdbLine();

    [Fact]
    public void Both_scripts_take_the_same_verbs()
    {
        var (sh, ps) = Scripts();
        var shellVerbs = ShellVerb().Matches(sh).Select(m => m.Groups[1].Value).ToList();
        var powerShellVerbs = PowerShellVerb().Matches(ps).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["example", "test", "publish", "bench"], shellVerbs);
        Assert.Equal(shellVerbs, powerShellVerbs);
        foreach (string usage in new[] { sh, ps })
            Assert.Contains("example|test|publish [DIR]|bench", usage);
    }

    [Fact]
    public void Both_examples_run_the_same_wdb_commands()
    {
        var (sh, ps) = Scripts();
        var shellCommands = WdbLine().Matches(Section(sh, "  example)", ";;")).Select(m => m.Groups[1].Value.Trim()).ToList();
        var powerShellCommands = WdbLine().Matches(Section(ps, "  \"example\" {", "\n  }")).Select(m => m.Groups[1].Value.Trim()).ToList();
        Assert.Equal(3, shellCommands.Count);   // gen, merge, export
        Assert.Equal(shellCommands, powerShellCommands);
    }

    [Fact]
    public void A_wrong_verb_exits_2_in_both()
    {
        var (sh, ps) = Scripts();
        Assert.Matches(@"\*\)\s+echo ""usage: [^\n]*>&2; exit 2", sh);
        // Write-Error under $ErrorActionPreference = "Stop" would end the script with exit 1 before its `exit 2`.
        Assert.Matches(@"default \{ \[Console\]::Error\.WriteLine\(""usage: [^\n]*\); exit 2 \}", ps);
    }

    private static string Section(string script, string start, string end)
    {
        int from = script.IndexOf(start, StringComparison.Ordinal);
        Assert.True(from >= 0, $"no '{start}' in the script");
        int to = script.IndexOf(end, from + start.Length, StringComparison.Ordinal);
        return script[from..to];
    }

    private static (string Shell, string PowerShell) Scripts()
    {
        string? root = DocumentedCommandsTests.RepositoryRoot();
        if (root is null) Assert.Skip("the repository's scripts are not beside this build (a published test run)");
        return (File.ReadAllText(Path.Combine(root, "run.sh")), File.ReadAllText(Path.Combine(root, "run.ps1")));
    }
}
