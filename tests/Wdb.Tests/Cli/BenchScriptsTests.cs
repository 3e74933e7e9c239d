using System.Diagnostics;

namespace Wdb.Tests.Cli;

/// <summary>
/// The benchmark scripts (bench/run.sh, bench/compare.sh) as a user meets them: a wrong setting is refused at once in one
/// line with exit 2, before anything is built or written; a failure on the way still writes the table but exits 1;
/// a stop (SIGTERM to the run's process group) leaves no peer running and no RESULTS file. No real benchmark runs:
/// wdb and the peers are tiny shell scripts where one is needed, and the harness runs from a copy in a temporary folder
/// so that its data and run folders stay out of the repository.
/// </summary>
public sealed class BenchScriptsTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("wdb-bench-test").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    public static TheoryData<string, string, string> BadSettings => new()
    {
        { "DATASETS", "survey-1M", "unknown dataset 'survey-1M' in DATASETS (smoke mode has: survey-smoke caltile-smoke survey-smoke-zones)" },
        { "SEED", "abc", "SEED must be an integer, got 'abc'" },
        { "SKY", "10 95", "SKY: Dec must be within [-85, 85] deg, got 95" },
        { "SKY", "10", "SKY must be \"RA DEC\" in degrees, got '10'" },
        { "SKY", "400 10", "SKY: RA must be in [0, 360) deg, got 400" },
        { "WDB_REPEAT", "0", "WDB_REPEAT must be a whole number of runs, at least 1, got '0'" },
        { "SIDE_PAIRS", "x", "SIDE_PAIRS must be a whole number of pairs (0: none), got 'x'" },
        { "PEER_TIMEOUT", "soon", "PEER_TIMEOUT must be a number of seconds, at least 1, got 'soon'" },
        { "WDB_BIN", "/nonexistent/wdb", "WDB_BIN: no file /nonexistent/wdb" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Run_refuses_a_bad_setting_in_one_line_before_it_writes_anything(string name, string value, string message)
    {
        string results = Path.Combine(_work, "results.md");
        var run = Bash(RepositoryScript("bench/run.sh"), ["smoke"], new() { [name] = value, ["RESULTS_FILE"] = results });
        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"bench/run.sh: {message}", run.Stderr.Trim());
        Assert.False(File.Exists(results));
    }

    [Fact]
    public void Run_sh_bench_reads_relative_paths_from_the_callers_directory()
    {
        Directory.CreateDirectory(Path.Combine(_work, "mine"));
        var info = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = _work };
        foreach (string arg in new[] { RepositoryScript("run.sh"), "bench", "smoke" }) info.ArgumentList.Add(arg);
        info.Environment["RESULTS_FILE"] = "mine/results.md";
        info.Environment["WDB_BIN"] = "mine/wdb";
        using var process = Process.Start(info)!;
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        // Past the RESULTS_FILE check (its folder is found here, not in the repository) to WDB_BIN's, the last one.
        Assert.Equal("bench/run.sh: WDB_BIN: no file mine/wdb", stderr.Trim());
        Assert.Equal(2, process.ExitCode);
    }

    [Fact]
    public void Run_refuses_a_wdb_bin_that_is_not_wdb()
    {
        string notWdb = Script("not-wdb", "echo hello");
        var run = Bash(RepositoryScript("bench/run.sh"), ["smoke"], new() { ["WDB_BIN"] = notWdb, ["RESULTS_FILE"] = Path.Combine(_work, "r.md") });
        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"bench/run.sh: WDB_BIN: {notWdb} is not a wdb build (its --version does not print a version)", run.Stderr.Trim());
    }

    [Fact]
    public void Run_writes_its_table_and_exits_1_when_generation_fails()
    {
        RequireTime();
        string results = Path.Combine(_work, "results.md");
        var run = Bash(HarnessCopy(), ["smoke"], new()
        {
            ["WDB_BIN"] = Script("wdb", "[ \"$1\" = --version ] && { echo 1.0.0; exit 0; }; echo 'wdb gen: disk full' >&2; exit 1"),
            ["RESULTS_FILE"] = results, ["DATASETS"] = "caltile-smoke", ["SKIP_PEERS"] = "1", ["WDB_REPEAT"] = "1",
        });
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("failed: caltile-smoke: generation", run.Stderr);
        Assert.Contains("| dataset | rows | tool |", File.ReadAllText(results));
    }

    /// <summary>
    /// SKIP_PEERS=1 on a machine without scipy logged "no python3 with scipy", as if the peers were wanted and missing,
    /// after asking python for scipy: the log says SKIP_PEERS skipped them, and nothing is probed for them.
    /// </summary>
    [Fact]
    public void Run_with_skip_peers_says_so_and_probes_for_no_peer()
    {
        RequireTime();
        string calls = Path.Combine(_work, "peer-probes.txt");
        string bin = Directory.CreateDirectory(Path.Combine(_work, "bin")).FullName;
        // A python3 without scipy that notes what it is asked, and an apt-get that installs nothing.
        Script("bin/python3", $"printf '%s\\n' \"$*\" >>'{calls}'; case \"$*\" in *scipy*) exit 1 ;; esac; exec /usr/bin/python3 \"$@\"");
        Script("bin/apt-get", $"echo \"apt-get $*\" >>'{calls}'; exit 1");
        var run = Bash(HarnessCopy(), ["smoke"], new()
        {
            ["WDB_BIN"] = Script("wdb", "[ \"$1\" = --version ] && { echo 1.0.0; exit 0; }; echo 'wdb gen: disk full' >&2; exit 1"),
            ["RESULTS_FILE"] = Path.Combine(_work, "results.md"), ["DATASETS"] = "caltile-smoke", ["SKIP_PEERS"] = "1", ["WDB_REPEAT"] = "1",
            ["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}",
        });
        Assert.Equal(1, run.ExitCode);   // the generation's failure, past the peers' setup
        Assert.Contains("peers skipped (SKIP_PEERS is set)", run.Stderr);
        Assert.DoesNotContain("no python3 with scipy", run.Stderr);
        Assert.DoesNotContain("scipy", File.Exists(calls) ? File.ReadAllText(calls) : "");
    }

    [Fact]
    public void A_stopped_run_leaves_no_peer_running_and_no_results_file()
    {
        RequireTime();
        string results = Path.Combine(_work, "results.md"), peerPid = Path.Combine(_work, "peer.pid");
        string bin = Directory.CreateDirectory(Path.Combine(_work, "bin")).FullName;
        // A wdb whose gen writes a one-row CSV and whose merge does nothing; a STILTS that takes a minute; no apt-get,
        // so that the harness installs nothing here.
        string wdb = Script("wdb", """
            case "$1" in
              --version) echo 1.0.0 ;;
              gen) while [ $# -gt 0 ] && [ "$1" != --out ]; do shift; done; printf 'cntr,ra,dec\n1,10,0\n' >"$2" ;;
            esac
            """);
        Script("bin/stilts", $"echo $$ >'{peerPid}'; exec sleep 60");
        Script("bin/apt-get", "exit 1");
        var env = new Dictionary<string, string>
        {
            ["WDB_BIN"] = wdb, ["RESULTS_FILE"] = results, ["DATASETS"] = "caltile-smoke", ["WDB_REPEAT"] = "1",
            ["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}",
        };
        using var harness = Start("setsid", ["bash", HarnessCopy(), "smoke"], env);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!File.Exists(peerPid) && DateTime.UtcNow < deadline && !harness.HasExited) Thread.Sleep(100);
        Assert.True(File.Exists(peerPid), "the STILTS peer never started");
        Thread.Sleep(300);

        // What a kill of the whole run does (setsid made the harness its group's leader).
        using (var kill = Start("kill", ["-TERM", "--", $"-{harness.Id}"], [])) kill.WaitForExit();
        Assert.True(harness.WaitForExit(20_000), "the harness did not stop");
        Assert.Equal(143, harness.ExitCode);
        int pid = int.Parse(File.ReadAllText(peerPid).Trim());
        deadline = DateTime.UtcNow.AddSeconds(15);
        while (Running(pid) && DateTime.UtcNow < deadline) Thread.Sleep(100);
        Assert.False(Running(pid), "the STILTS peer was left running");
        Assert.False(File.Exists(results));
        Assert.False(File.Exists(results + ".tmp"));
    }

    [Fact]
    public void Compare_refuses_a_missing_build_or_data_file_before_it_runs()
    {
        string wdb = Script("wdb", "exit 0"), csv = Path.Combine(_work, "data.csv");
        File.WriteAllText(csv, "cntr,ra,dec\n");
        var noBuild = Bash(RepositoryScript("bench/compare.sh"), ["/nonexistent/wdb", wdb, "1", csv], []);
        Assert.Equal((2, "bench/compare.sh: no wdb build at /nonexistent/wdb (an executable file)"), (noBuild.ExitCode, noBuild.Stderr.Trim()));
        var noData = Bash(RepositoryScript("bench/compare.sh"), [wdb, wdb, "1", csv, "/nonexistent/x.csv"], []);
        Assert.Equal((2, "bench/compare.sh: no data file /nonexistent/x.csv (bench/run.sh makes the default ones)"), (noData.ExitCode, noData.Stderr.Trim()));
    }

    [Fact]
    public void Accuracy_refuses_a_bad_seed_or_a_missing_build_in_one_line()
    {
        var badSeed = Bash(RepositoryScript("bench/accuracy.sh"), [Script("wdb", "exit 0")], new() { ["SEED"] = "x" });
        Assert.Equal((2, "bench/accuracy.sh: SEED must be an integer, got 'x'"), (badSeed.ExitCode, badSeed.Stderr.Trim()));
        var noBuild = Bash(RepositoryScript("bench/accuracy.sh"), ["/nonexistent/wdb"], []);
        Assert.Equal((2, "bench/accuracy.sh: no wdb build at /nonexistent/wdb (an executable file)"), (noBuild.ExitCode, noBuild.Stderr.Trim()));
    }

    [Theory]
    [InlineData("-n", "-n needs a value")]
    [InlineData("-n abc", "-n needs a number of methods, got 'abc'")]
    [InlineData("-w 3", "-w needs FROM:TO in seconds, got '3'")]
    [InlineData("-x", "unknown option -x (options: -n TOP, -f FILTER, -w FROM:TO, -s; then -- and wdb's arguments)")]
    public void Profile_refuses_a_bad_option_before_it_publishes(string options, string message)
    {
        var run = Bash(RepositoryScript("bench/profile.sh"), options.Split(' '), []);
        Assert.Equal((2, $"bench/profile.sh: {message}"), (run.ExitCode, run.Stderr.Trim()));
    }

    [Fact]
    public void Compare_exits_1_without_a_traceback_when_a_build_fails()
    {
        RequireTime();
        string wdb = Script("wdb", "echo 'wdb: broken' >&2; exit 1"), csv = Path.Combine(_work, "data.csv");
        File.WriteAllText(csv, "cntr,ra,dec\n");
        var run = Bash(RepositoryScript("bench/compare.sh"), [wdb, wdb, "1", csv], []);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("data: A failed: wdb: broken", run.Stderr);
        Assert.Contains("data: no table: A or B did not finish a run", run.Stderr);
        Assert.DoesNotContain("Traceback", run.Stderr);
    }

    /// <summary>
    /// The two builds' tables were compared on the first round only: output that varies from run to run (a race) showed
    /// in a later round, and was reported as identical. Every round is compared, and each that differs is named.
    /// </summary>
    [Fact]
    public void Compare_checks_the_tables_of_every_round_and_names_one_that_differs()
    {
        RequireTime();
        string csv = Path.Combine(_work, "data.csv"), runs = Path.Combine(_work, "b-runs");
        File.WriteAllText(csv, "cntr,ra,dec\n");
        // Both write the same tables, but for B's members.fb on its second run (round 2).
        const string Merge = """
            while [ $# -gt 0 ] && [ "$1" != --out ]; do shift; done; mkdir -p "$2"
            for t in groups members extractions; do echo same >"$2/$t.fb"; done
            echo '{"stage_seconds": {"read": 0.1}}' >"$2/summary.json"
            """;
        string a = Script("a-wdb", Merge);
        string b = Script("b-wdb", Merge + $"\necho run >>'{runs}'; [ \"$(wc -l <'{runs}')\" -eq 2 ] && echo other >\"$2/members.fb\"; exit 0");
        var differs = Bash(RepositoryScript("bench/compare.sh"), [a, b, "3", csv], []);
        Assert.True(differs.ExitCode == 0, differs.Stderr);
        Assert.Contains("data: tables byte-identical: no (round 2: members.fb differs)\n", differs.Stdout);

        var same = Bash(RepositoryScript("bench/compare.sh"), [a, a, "3", csv], []);
        Assert.Contains("data: tables byte-identical: yes (3 of 3 rounds compared)\n", same.Stdout);
    }

    private static bool Running(int pid)
    {
        try { return !File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].TrimStart().StartsWith('Z'); }
        catch (IOException) { return false; }
    }

    private static void RequireTime()
    {
        if (!File.Exists("/usr/bin/time")) Assert.Skip("no /usr/bin/time (the harness would install it)");
    }

    /// <summary>bench/run.sh and accuracy.sh copied to a bench/ folder of their own: its out/ and data/ go there.</summary>
    private string HarnessCopy()
    {
        string bench = Directory.CreateDirectory(Path.Combine(_work, "bench")).FullName;
        foreach (string name in new[] { "run.sh", "accuracy.sh" })
            File.Copy(RepositoryScript($"bench/{name}"), Path.Combine(bench, name));
        return Path.Combine(bench, "run.sh");
    }

    private string Script(string name, string body)
    {
        string path = Path.Combine(_work, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static string RepositoryScript(string path)
    {
        string? root = DocumentedCommandsTests.RepositoryRoot();
        if (OperatingSystem.IsWindows()) Assert.Skip("the harness is bash");
        if (root is null) Assert.Skip("the repository's scripts are not beside this build (a published test run)");
        return Path.Combine(root, path);
    }

    private static (int ExitCode, string Stderr, string Stdout) Bash(string script, string[] args, Dictionary<string, string> env)
    {
        using var process = Start("bash", [script, .. args], env);
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), $"{script} did not finish");
        return (process.ExitCode, stderr, stdout.Result);
    }

    private static Process Start(string file, string[] args, Dictionary<string, string> env)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args) info.ArgumentList.Add(arg);
        foreach (var (name, value) in env) info.Environment[name] = value;
        return Process.Start(info)!;
    }
}
