namespace Wdb.Tests.Cli;

/// <summary>The `wdb` verbs as a user runs them: exit codes, files, and one-line errors.</summary>
public sealed class CliTests : IDisposable
{
    private readonly Scratch _scratch = new();
    private string _dir => _scratch.Dir;

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void Gen_merge_export_round_trip()
    {
        string data = Path.Combine(_dir, "survey.csv"), outDir = Path.Combine(_dir, "merged"), csv = Path.Combine(_dir, "ext.csv");
        var gen = WdbProcess.Run("gen", "survey", "--sources", "400", "--seed", "4", "--out", data);
        Assert.True(gen.Exit == 0, gen.Stderr);
        var merge = WdbProcess.Run("merge", data, "--out", outDir, "--device", "cpu");
        Assert.True(merge.Exit == 0, merge.Stderr);
        Assert.Contains("rows read", merge.Stderr);
        Assert.DoesNotContain("warning", merge.Stderr);   // the disk has room for a small run's outputs
        // A jitted build (this project's, unless WdbProcess runs a published one) says so after its
        // timings, with summary.json's counts; a precompiled one does not.
        using (var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "summary.json"))))
        {
            var runtime = summary.RootElement.GetProperty("runtime");
            bool jitted = runtime.GetProperty("build").GetString() == "jitted";
            Assert.Equal(jitted, merge.Stderr.Contains("note: this build is jitted ("));
        }
        var export = WdbProcess.Run("export", outDir, "--table", "extractions", "--format", "csv", "--out", csv);
        Assert.True(export.Exit == 0, export.Stderr);
        var lines = File.ReadAllLines(csv);
        Assert.StartsWith("cntr,cgid,gcntr", lines[0]);
        Assert.Equal(File.ReadAllLines(data).Length - 1, lines.Length - 1);
    }

    [Fact]
    public void Zone_merge_from_the_command_line_gives_the_same_tables()
    {
        string data = Path.Combine(_dir, "zones.csv"), whole = Path.Combine(_dir, "whole"), zoned = Path.Combine(_dir, "zoned");
        string spill = Path.Combine(_dir, "spill");
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "3000", "--seed", "6", "--out", data).Exit);
        var a = WdbProcess.Run("merge", data, "--out", whole, "--device", "cpu", "--zone-rows", "0");
        Assert.True(a.Exit == 0, a.Stderr);
        var b = WdbProcess.Run("merge", data, "--out", zoned, "--device", "cpu", "--zone-rows", "700", "--spill-dir", spill);
        Assert.True(b.Exit == 0, b.Stderr);
        Assert.Contains("zones of about 700 rows", b.Stderr);
        foreach (string table in new[] { "groups.fb", "members.fb", "extractions.fb" })
            Assert.True(File.ReadAllBytes(Path.Combine(whole, table)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(zoned, table))), table);
        Assert.False(Directory.Exists(spill));   // made by the run, gone with it
        var bad = WdbProcess.Run("merge", data, "--out", Path.Combine(_dir, "never"), "--zone-rows", "-5");
        Assert.Equal(2, bad.Exit);
        Assert.Contains("--zone-rows", bad.Stderr);

        // A memory budget too small for the table held whole sends it through the zones (of the smallest
        // size a run chooses, 1 M rows: here one zone), with the same tables.
        string budgeted = Path.Combine(_dir, "budgeted");
        var c = WdbProcess.Run("merge", data, "--out", budgeted, "--device", "cpu", "--memory", "1M", "--spill-dir", spill);
        Assert.True(c.Exit == 0, c.Stderr);
        Assert.Contains("zones of about 1,000,000 rows", c.Stderr);
        Assert.Contains("over the memory budget of 1 MB (--memory), so zone by zone", c.Stderr);
        Assert.DoesNotContain("memory budget", b.Stderr);   // --zone-rows chose the zones
        foreach (string table in new[] { "groups.fb", "members.fb", "extractions.fb" })
            Assert.True(File.ReadAllBytes(Path.Combine(whole, table)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(budgeted, table))), table);
        Assert.Contains("\"memory_mb\": 1,", File.ReadAllText(Path.Combine(budgeted, "summary.json")));
        Assert.DoesNotContain("zones of", a.Stderr);
        foreach (string size in new[] { "8X", "-1G", "0", "G", "1iB" })
        {
            var badSize = WdbProcess.Run("merge", data, "--out", Path.Combine(_dir, "never"), "--memory", size);
            Assert.Equal(2, badSize.Exit);
            Assert.Contains($"--memory: expected a size such as 8G, 512M or 1.5T (K, M, G, T: powers of 1024), got '{size}'", badSize.Stderr);
        }
        Assert.False(Directory.Exists(Path.Combine(_dir, "never")));
    }

    [Fact]
    public void Cluster_status_says_which_tasks_run_and_which_were_killed_and_a_task_is_refused_while_the_stitch_runs()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("a live holder of a task's lock is told from none only on Linux");
        string data = Path.Combine(_dir, "cluster.csv"), work = Path.Combine(_dir, "work");
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "2000", "--seed", "3", "--out", data).Exit);
        var plan = WdbProcess.Run("cluster", "plan", data, "--out", Path.Combine(_dir, "out"), "--work", work, "--tasks", "4", "--device", "cpu", "--quiet");
        Assert.True(plan.Exit == 0, plan.Stderr);
        Assert.Equal(0, WdbProcess.Run("cluster", "task", "--work", work, "--task", "0", "--quiet").Exit);
        // Task 1 was killed midway (its half-made outputs and lock file left, no holder); task 2 runs (this process holds its lock).
        Directory.CreateDirectory(Path.Combine(work, "tasks", "1.partial-killed00"));
        File.WriteAllText(Path.Combine(work, "locks", "1.lock"), "");
        Directory.CreateDirectory(Path.Combine(work, "tasks", "2.partial-running0"));
        using (new FileStream(Path.Combine(work, "locks", "2.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var status = WdbProcess.Run("cluster", "status", "--work", work);
            Assert.Equal(1, status.Exit);
            Assert.Equal(["finished: 0 (1)", "running: 2 (1)", $"killed: 1 (1); rerun it: wdb cluster task --work {work} --task 1", "not started: 3 (1)"],
                status.Stdout.Split('\n').Where(l => l.StartsWith("finished") || l.StartsWith("running") || l.StartsWith("killed") || l.StartsWith("not started")));
        }

        // While the stitch holds the work directory (as it does from its start to its end), a task is refused in one line, exit 3,
        // and status says the stitch runs.
        using (new FileStream(Path.Combine(work, "locks", "stitch.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var stitching = WdbProcess.Run("cluster", "status", "--work", work);
            Assert.Equal("the stitch is running: it writes " + Path.GetFullPath(Path.Combine(_dir, "out")), stitching.Stdout.TrimEnd().Split('\n')[^1]);
            var refused = WdbProcess.Run("cluster", "task", "--work", work, "--task", "1");
            Assert.Equal(3, refused.Exit);
            Assert.Single(refused.Stderr.TrimEnd().Split('\n'));
            Assert.StartsWith($"wdb cluster task: task 1 cannot run while the stitch reads the tasks' outputs in '{work}'", refused.Stderr);
        }
        Assert.Equal(0, WdbProcess.Run("cluster", "task", "--work", work, "--task", "1", "--quiet").Exit);
        var later = WdbProcess.Run("cluster", "status", "--work", work);
        Assert.Contains("finished: 0-1 (2)", later.Stdout);
        Assert.Contains("killed: 2 (1); rerun it: ", later.Stdout);   // its holder gone without finishing
    }

    [Fact]
    public void Cluster_scripts_submit_the_tasks_and_the_stitch_to_slurm_and_give_the_merges_tables()
    {
        string data = Path.Combine(_dir, "cluster.csv"), whole = Path.Combine(_dir, "whole"), clustered = Path.Combine(_dir, "clustered");
        string work = Path.Combine(_dir, "cluster work");   // a space: the scripts quote their paths
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "3000", "--seed", "8", "--out", data).Exit);
        var a = WdbProcess.Run("merge", data, "--out", whole, "--device", "cpu");
        Assert.True(a.Exit == 0, a.Stderr);
        var plan = WdbProcess.Run("cluster", "plan", data, "--out", clustered, "--work", work, "--tasks", "4", "--device", "cpu");
        Assert.True(plan.Exit == 0, plan.Stderr);
        Assert.Contains("in 4 zones of about", plan.Stderr);
        Assert.Contains("4 tasks", plan.Stderr);
        string slurm = Path.Combine(work, "slurm");
        var before = WdbProcess.Run("cluster", "status", "--work", work);
        Assert.Equal(1, before.Exit);
        Assert.Contains("not started: 0-3 (4)", before.Stdout);

        // submit.sh against a stand-in sbatch that records its arguments and answers a job id, as --parsable does.
        string bin = Path.Combine(_dir, "bin"), calls = Path.Combine(_dir, "sbatch-calls.txt");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "sbatch"), $"#!/bin/sh\necho \"$*\" >> '{calls}'\necho \"$((1000 + $(wc -l < '{calls}')));cluster\"\n");
        if (!OperatingSystem.IsWindows())   // the test runs sh scripts: Linux (and macOS) only
            File.SetUnixFileMode(Path.Combine(bin, "sbatch"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var submitted = Shell(Path.Combine(slurm, "submit.sh"), [("PATH", $"{bin}:{Environment.GetEnvironmentVariable("PATH")}")], "--partition=test");
        Assert.True(submitted.Exit == 0, submitted.Stderr);
        // Each job is told where the work directory is now (Slurm runs a copy of its script, which cannot find it).
        Assert.Equal([$"--parsable --partition=test tasks.sbatch {work}", $"--parsable --dependency=afterok:1001 --partition=test stitch.sbatch {work}"],
            File.ReadAllLines(calls));
        Assert.Contains("zone tasks: job 1001 (array 0-3); stitch: job 1002", submitted.Stdout);

        // What Slurm then runs: each task of the array, then the stitch.
        string tasks = File.ReadAllText(Path.Combine(slurm, "tasks.sbatch"));
        Assert.Contains("#SBATCH --array=0-3\n", tasks);
        // Memory for the largest zone (~1,400 rows here: under a MiB at 600 bytes a row) over the 512 MiB base.
        long mem = long.Parse(System.Text.RegularExpressions.Regex.Match(tasks, @"#SBATCH --mem=(\d+)M\n").Groups[1].Value);
        Assert.InRange(mem, 513, 520);
        foreach (int task in new[] { 3, 1, 0, 2 })
        {
            var ran = Shell(Path.Combine(slurm, "tasks.sbatch"), [("SLURM_ARRAY_TASK_ID", task.ToString())]);
            Assert.True(ran.Exit == 0, ran.Stderr);
            Assert.Contains($"task {task}:", ran.Stderr);
        }
        var after = WdbProcess.Run("cluster", "status", "--work", work);
        Assert.True(after.Exit == 0, after.Stdout + after.Stderr);
        Assert.Contains("finished: 0-3 (4)", after.Stdout);
        var stitched = Shell(Path.Combine(slurm, "stitch.sbatch"), []);
        Assert.True(stitched.Exit == 0, stitched.Stderr);
        foreach (string table in new[] { "groups.fb", "members.fb", "extractions.fb", "rejects.csv" })
            Assert.True(File.ReadAllBytes(Path.Combine(whole, table)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(clustered, table))), table);

        // Outside a job array a task needs its number.
        string taskLine = tasks.Split('\n').Single(l => l.StartsWith("exec "));
        var noTask = Shell("/bin/sh", [("SLURM_ARRAY_TASK_ID", null)], "-c", taskLine.Replace(" --task \"$SLURM_ARRAY_TASK_ID\"", ""));
        Assert.Equal(2, noTask.Exit);
        Assert.Contains("--task N is required outside a Slurm job array", noTask.Stderr);
    }

    /// <summary>A script (or program) run with changes to the environment (null removes a variable).</summary>
    private static (int Exit, string Stdout, string Stderr) Shell(string script, (string Name, string? Value)[] env, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(script.EndsWith("/sh") ? script : "/bin/sh")
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        if (!script.EndsWith("/sh")) psi.ArgumentList.Add(script);
        foreach (string arg in args) psi.ArgumentList.Add(arg);
        foreach (var (name, value) in env)
            if (value is null) psi.Environment.Remove(name); else psi.Environment[name] = value;
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, err);
    }

    [Theory]
    [InlineData("1", 1L)]
    [InlineData("512M", 512L << 20)]
    [InlineData("8G", 8L << 30)]
    [InlineData("8g", 8L << 30)]
    [InlineData("1.5T", 3L << 39)]
    [InlineData("64GB", 64L << 30)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData(" 100 K ", 100L << 10)]
    [InlineData("4096B", 4096L)]
    [InlineData(".5k", 512L)]
    public void Sizes_read_as_a_user_writes_them(string text, long bytes)
    {
        Assert.True(Wdb.Core.ByteSize.TryParse(text, out long parsed), text);
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("G")]
    [InlineData("-1G")]
    [InlineData("0")]
    [InlineData("0.1")]
    [InlineData("1iB")]
    [InlineData("8X")]
    [InlineData("1,5G")]
    [InlineData("1e3")]
    [InlineData("9999999T")]
    public void Sizes_that_are_not_sizes_are_refused(string text) => Assert.False(Wdb.Core.ByteSize.TryParse(text, out _), text);

    [Fact]
    public void Sizes_are_printed_in_the_largest_unit() =>
        Assert.Equal(["512", "1K", "1.5M", "11.7G", "2T"], new[] { 512L, 1024L, 3L << 19, (long)(11.7 * (1L << 30)), 2L << 40 }.Select(Wdb.Core.ByteSize.Format));

    /// <summary>An --out that cannot be an output directory stops the run before it reads anything (it once crashed the free-space look).</summary>
    [Fact]
    public void An_output_path_that_cannot_be_one_stops_the_run_before_the_read()
    {
        string data = Path.Combine(_dir, "small.csv");
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "200", "--seed", "3", "--out", data).Exit);
        string file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "x");
        string foreign = Path.Combine(_dir, "thesis");
        Directory.CreateDirectory(foreign);
        File.WriteAllText(Path.Combine(foreign, "thesis.tex"), "mine");
        // An old output that holds more than wdb wrote (here the input itself): replacing it would delete them.
        string old = Path.Combine(_dir, "old");
        Assert.Equal(0, WdbProcess.Run("merge", data, "--out", old, "--device", "cpu", "--quiet").Exit);
        string kept = Path.Combine(old, "small.csv");
        File.Copy(data, kept);
        File.WriteAllText(Path.Combine(old, "notes.txt"), "mine");
        var cases = new List<(string, string)>
        {
            ("", "--out is empty: name the output directory"), ("/", "cannot write output to '/': it is a root directory"),
            (file, $"cannot write output to '{file}': a file of that name exists"),
            (foreign, $"'{foreign}' exists and is not a wdb output directory (no summary.json): not replacing it"),
            (old, $"'{old}' holds files wdb did not write (notes.txt, small.csv): not replacing it"),
        };
        // A parent that cannot be written (as root too: nothing is made under /proc) is found before the read, not at the publish.
        if (OperatingSystem.IsLinux()) cases.Add(("/proc/wdb-never/out", "cannot write output to '/proc/wdb-never/out': '/proc' cannot be written"));
        foreach (var (outDir, why) in cases)
            foreach (string zones in new[] { "0", "100" })
            {
                var run = WdbProcess.Run("merge", data, "--out", outDir, "--zone-rows", zones, "--device", "cpu");
                // An empty --out is a bad invocation, as export's and plot's are; the others an output that cannot be written.
                Assert.Equal(outDir == "" ? 2 : 3, run.Exit);
                Assert.Contains(why, run.Stderr);
                Assert.DoesNotContain($"read {data}", run.Stderr);
                Assert.DoesNotContain("Unhandled", run.Stderr);
            }
        Assert.Equal("x", File.ReadAllText(file));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(foreign, "thesis.tex")));
        Assert.Equal(File.ReadAllBytes(data), File.ReadAllBytes(kept));
        // The same input read from inside the output is refused the same way (the output replaced would take it).
        var inside = WdbProcess.Run("merge", kept, "--out", old, "--device", "cpu");
        Assert.Equal(3, inside.Exit);
        Assert.True(File.Exists(kept));
    }

    [Fact]
    public void An_output_named_through_a_link_replaces_the_linked_output_and_the_link_stays()
    {
        if (OperatingSystem.IsWindows()) return;   // symbolic links need privileges there
        string data = Path.Combine(_dir, "small.csv"), real = Path.Combine(_dir, "runs", "7"), link = Path.Combine(_dir, "current");
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "200", "--seed", "3", "--out", data).Exit);
        Assert.Equal(0, WdbProcess.Run("merge", data, "--out", real, "--device", "cpu", "--quiet").Exit);
        Directory.CreateSymbolicLink(link, real);
        var again = WdbProcess.Run("merge", data, "--out", link, "--device", "cpu", "--radius", "3", "--quiet");
        Assert.True(again.Exit == 0, again.Stderr);
        Assert.NotNull(new DirectoryInfo(link).LinkTarget);   // still a link, to the same place
        Assert.Contains("\"radius_arcsec\": 3", File.ReadAllText(Path.Combine(real, "summary.json")));
        Assert.Equal([real], Directory.GetDirectories(Path.GetDirectoryName(real)!));   // no sibling left
    }

    [Fact]
    public void Bad_requests_exit_2_with_one_line_and_write_nothing()
    {
        string outDir = Path.Combine(_dir, "never");
        var missing = WdbProcess.Run("merge", Path.Combine(_dir, "absent.csv"), "--out", outDir);
        Assert.Equal(2, missing.Exit);
        Assert.Contains("absent.csv", missing.Stderr);
        Assert.False(Directory.Exists(outDir));
        // A directory for an input (or a catalogue) is named as one, not "access denied".
        var directory = WdbProcess.Run("merge", _dir, "--out", outDir);
        Assert.Equal(2, directory.Exit);
        Assert.Contains($"{_dir}: a directory, not a table: name its files", directory.Stderr);
        Assert.False(Directory.Exists(outDir));
        // (The input is there: a missing input is refused first, before the catalogues are looked at.)
        string present = Path.Combine(_dir, "present.csv");
        File.WriteAllText(present, "cntr,scan_key,ra,dec\n1,1,10.0,20.0\n");
        var catalogueDirectory = WdbProcess.Run("merge", present, "--out", outDir, "--not-in", _dir);
        Assert.Equal(2, catalogueDirectory.Exit);
        Assert.Contains($"--not-in: {_dir}: a directory, not a table", catalogueDirectory.Stderr);

        var unknown = WdbProcess.Run("merge", "x.csv", "--out", outDir, "--no-such-option");
        Assert.Equal(2, unknown.Exit);
        var device = WdbProcess.Run("merge", "x.csv", "--out", outDir, "--device", "tpu");
        Assert.Equal(2, device.Exit);
        var gen = WdbProcess.Run("gen", "survey", "--dec", "89", "--out", Path.Combine(_dir, "g.csv"));
        Assert.Equal(2, gen.Exit);
        Assert.Contains("dec", gen.Stderr);
        Assert.False(Directory.Exists(outDir));

        // Values too large to make (they ended in an out-of-memory or overflow trace), and values the option's type
        // refuses, said in a user's words: one line each, never the runtime's names.
        string g = Path.Combine(_dir, "g.csv");
        foreach (var (args, said) in new (string[], string)[]
                 {
                     (["gen", "survey", "--sources", "2147483647", "--out", g], "wdb gen: --sources must be in [1, 50,000,000], got 2,147,483,647"),
                     (["gen", "caltile", "--sources", "1", "--scans", "0", "--out", g], "wdb gen: --scans must be in [1, 10,000], got 0"),
                     (["gen", "caltile", "--sources", "1000000", "--scans", "5000", "--out", g], "wdb gen: --sources x --scans must be at most 1,000,000,000"),
                     (["gen", "survey", "--ra", "1e308", "--out", g], "wdb gen: --ra must be in [0, 360) deg, got 1E+308"),
                     (["gen", "survey", "--out", Path.Combine(_dir, "g.parquet")], "wdb gen: unknown table extension in "),
                     (["evaluate", "survey", "--sources", "0"], "wdb evaluate: --sources must be in [1, 50,000,000], got 0"),
                     (["check-device", "--device", "cpu", "--scale", "0"], "wdb check-device: --scale must be in [1, 1,000], got 0"),
                     (["check-device", "--device", "cpu", "--scale", "2147483647"], "wdb check-device: --scale must be in [1, 1,000]"),
                     (["merge", "x.csv", "--out", outDir, "--threads", "-3"], "wdb merge: --threads must be 0 (all cores) or positive, got -3"),
                     (["merge", "x.csv", "--out", outDir, "--block-rows", "2147483647"], "wdb merge: --block-rows must be at most 268,435,455, got 2,147,483,647"),
                     (["merge", "x.csv", "--out", outDir, "--min-snr", "NaN"], "wdb merge: --min-snr must be a finite number, got NaN"),
                     (["merge", "x.csv", "--out", outDir, "--min-snr", "inf"], "wdb: Cannot parse argument 'inf' for option '--min-snr' as a finite number."),
                     (["cluster", "task", "--work", _dir, "--task", "abc"], "wdb: Cannot parse argument 'abc' for option '--task' as an integer."),
                     // A word among the gcntr values was "Unrecognized command or argument 'abc'".
                     (["members", _dir, "12", "abc"], "wdb: 'abc' is not a gcntr (a whole number, the smallest cntr of a group)"),
                     (["members", _dir, "--cntr", "1e3"], "wdb: --cntr: '1e3' is not a cntr (a whole number)"),
                 })
        {
            var run = WdbProcess.Run(args);
            Assert.True(run.Exit == 2, $"{string.Join(' ', args)}: exit {run.Exit}: {run.Stderr}");
            Assert.Contains(said, run.Stderr);
            Assert.DoesNotContain("   at ", run.Stderr);
            Assert.DoesNotContain("System.", run.Stderr);
            Assert.DoesNotContain("(Parameter", run.Stderr);
        }
        Assert.False(File.Exists(g));
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void A_cluster_plan_refuses_work_inside_its_output_and_says_what_to_do_with_a_plan_stopped_midway()
    {
        string data = Path.Combine(_dir, "t.csv");
        File.WriteAllText(data, "cntr,scan_key,ra,dec\n1,10,10.0,0.0\n2,11,10.0001,0.0\n");
        foreach (var (outDir, work) in new[] { ("w", "w"), ("o", Path.Combine("o", "w")) })
        {
            var run = WdbProcess.Run("cluster", "plan", data, "--out", Path.Combine(_dir, outDir), "--work", Path.Combine(_dir, work), "--tasks", "2");
            Assert.Equal(2, run.Exit);
            Assert.Contains("which the stitch replaces: give a directory outside it", run.Stderr);
            Assert.False(Directory.Exists(Path.Combine(_dir, outDir)));
        }
        // What a plan killed before its plan.json leaves: the status and a new plan both say to remove it.
        string stopped = Path.Combine(_dir, "stopped");
        Directory.CreateDirectory(Path.Combine(stopped, "rows"));
        File.WriteAllText(Path.Combine(stopped, "rows", "rows.run"), "");
        var status = WdbProcess.Run("cluster", "status", "--work", stopped);
        Assert.Equal(2, status.Exit);
        Assert.Contains("its plan stopped before its end; remove the directory and plan again", status.Stderr);
        var again = WdbProcess.Run("cluster", "plan", data, "--out", Path.Combine(_dir, "x"), "--work", stopped, "--tasks", "2");
        Assert.Equal(2, again.Exit);
        Assert.Contains("holds no finished plan (a plan stopped before its end, or other files): remove it", again.Stderr);
        // Work beside or under the output's parent, not inside the output, is fine.
        var fine = WdbProcess.Run("cluster", "plan", data, "--out", Path.Combine(_dir, "w2", "out"), "--work", Path.Combine(_dir, "w2"), "--tasks", "2", "--quiet");
        Assert.True(fine.Exit == 0, fine.Stderr);
        // Its plan.json changed (still JSON, one count edited): the status refuses it with the task's and the stitch's
        // exit 3, not the 2 of a directory with no plan.
        string planJson = Path.Combine(_dir, "w2", "plan.json");
        File.WriteAllText(planJson, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(planJson), "\"rows\": 2\\b", "\"rows\": 3"));
        foreach (var step in new[] { new[] { "status" }, ["task", "--task", "0"], ["stitch"] })
        {
            var refused = WdbProcess.Run(["cluster", .. step, "--work", Path.Combine(_dir, "w2")]);
            Assert.True(refused.Exit == 3, $"{step[0]}: exit {refused.Exit}: {refused.Stderr}");
            Assert.Contains("plan.json' was corrupted or changed since it was written", refused.Stderr);
        }
    }

    [Fact]
    public void Validate_reports_what_merge_reads_and_exits_by_the_worst_file()
    {
        // A survey with bad rows (a short row, a bad number, an out-of-range dec) in CSV, and the same
        // rows as an IPAC table: validate's rejects and counts are merge's.
        string clean = Path.Combine(_dir, "clean.csv"), bad = Path.Combine(_dir, "bad.csv");
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "300", "--seed", "8", "--out", clean).Exit);
        var lines = File.ReadAllLines(clean).ToList();
        lines[5] = "1,2,3";
        string[] f;
        f = lines[9].Split(',');
        f[2] = "x" + f[2];
        lines[9] = string.Join(',', f);
        f = lines[12].Split(',');
        f[3] = "95.5";
        lines[12] = string.Join(',', f);
        File.WriteAllLines(bad, lines);

        var good = WdbProcess.Run("validate", clean);
        Assert.True(good.Exit == 0, good.Stderr);
        Assert.Contains($"{lines.Count - 1:N0} rows: {lines.Count - 1:N0} accepted, 0 rejected", good.Stdout);

        string rejects = Path.Combine(_dir, "rejects.csv"), merged = Path.Combine(_dir, "merged");
        var v = WdbProcess.Run("validate", bad, "--rejects", rejects, "--list", "2", "--threads", "1");
        Assert.Equal(1, v.Exit);
        Assert.Contains($"{bad}:6:6: wrong_column_count", v.Stdout);   // file:line:column of the first reject
        Assert.Contains("... and 1 more", v.Stdout);
        Assert.Contains("dec_out_of_range 1", v.Stdout);
        var m = WdbProcess.Run("merge", bad, "--out", merged, "--device", "cpu");
        Assert.True(m.Exit == 0, m.Stderr);
        Assert.Equal(File.ReadAllText(Path.Combine(merged, "rejects.csv")), File.ReadAllText(rejects));
        Assert.Empty(Directory.GetFiles(_dir, ".rejects.csv.*"));   // no temporary left

        var json = WdbProcess.Run("validate", bad, "--json");
        Assert.Equal(1, json.Exit);
        using var doc = System.Text.Json.JsonDocument.Parse(json.Stdout);
        using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(merged, "summary.json")));
        var file = doc.RootElement.GetProperty("files")[0];
        var input = summary.RootElement.GetProperty("inputs")[0];
        foreach (string key in new[] { "checksum", "bytes", "rows_read", "rejects_by_reason", "format" })
            Assert.Equal(input.GetProperty(key).ToString(), file.GetProperty(key).ToString());
        Assert.Equal(3, file.GetProperty("rows_rejected").GetInt32());

        // A gzipped input: the rate is of the text, the stored size beside it.
        string gz = clean + ".gz";
        using (var from = File.OpenRead(clean))
        using (var to = new System.IO.Compression.GZipStream(File.Create(gz), System.IO.Compression.CompressionLevel.Fastest))
            from.CopyTo(to);
        var zipped = WdbProcess.Run("validate", gz, "--json");
        Assert.True(zipped.Exit == 0, zipped.Stderr);
        using (var z = System.Text.Json.JsonDocument.Parse(zipped.Stdout))
        {
            var entry = z.RootElement.GetProperty("files")[0];
            Assert.Equal(new FileInfo(clean).Length, entry.GetProperty("text_bytes").GetInt64());
            Assert.Equal(new FileInfo(gz).Length, entry.GetProperty("bytes").GetInt64());
        }
        Assert.Contains("MB stored)", WdbProcess.Run("validate", gz).Stdout);

        string header = Path.Combine(_dir, "noheader.tbl");
        File.WriteAllText(header, "not a table\n");
        var worst = WdbProcess.Run("validate", clean, bad, header);
        Assert.Equal(2, worst.Exit);
        Assert.Contains($"{header}:1:1: error: expected an IPAC header row", worst.Stdout);
        Assert.Contains("3 files (1 unreadable)", worst.Stdout);
        Assert.Equal(2, WdbProcess.Run("validate", clean, "--threads", "-1").Exit);
        Assert.Equal(2, WdbProcess.Run("validate", clean, "--files-at-once", "-1").Exit);

        // Read at once, the report is the same, file by file in the order given; only the times differ.
        static string Untimed(string report) => System.Text.RegularExpressions.Regex.Replace(report, @" in [0-9.]+ s \([0-9]+ MB/s\)", " in - s");
        var atOnce = WdbProcess.Run("validate", clean, bad, header, gz, "--files-at-once", "4");
        var oneByOne = WdbProcess.Run("validate", clean, bad, header, gz, "--files-at-once", "1");
        Assert.Equal(2, atOnce.Exit);
        Assert.Equal(Untimed(oneByOne.Stdout), Untimed(atOnce.Stdout));
        Assert.Contains("4 files (1 unreadable)", atOnce.Stdout);
        Assert.True(atOnce.Stdout.IndexOf(bad, StringComparison.Ordinal) < atOnce.Stdout.IndexOf(header, StringComparison.Ordinal));
    }

    [Fact]
    public void A_standard_output_that_cannot_be_written_is_one_line_and_exit_3()
    {
        if (!File.Exists("/dev/full")) return;   // Linux's always-full device; CI runs on Linux
        string data = Path.Combine(_dir, "two.csv"), outDir = Path.Combine(_dir, "m");
        File.WriteAllText(data, "cntr,scan_key,ra,dec,jdate,j_m,j_msigcom\n1,1,10,0,2451000.5,12,0.02\n2,2,10.00001,0,2451001.5,12.1,0.02\n");
        Assert.Equal(0, WdbProcess.Run("merge", data, "--out", outDir, "--quiet").Exit);
        string work = Path.Combine(_dir, "work");
        Assert.Equal(0, WdbProcess.Run("cluster", "plan", data, "--out", Path.Combine(_dir, "c"), "--work", work, "--tasks", "1", "--quiet").Exit);
        string[][] verbs =
        [
            ["cluster", "status", "--work", work],
            ["cone", outDir, "--ra", "10", "--dec", "0"], ["cone", outDir, "--targets", data], ["members", outDir, "1"],
            ["associate", outDir, data, "--quiet"], ["verify", outDir], ["validate", data], ["validate", data, "--json"],
            ["export", outDir, "--table", "groups", "--out", "-"], ["--help"],
        ];
        foreach (var args in verbs)
        {
            var run = WdbProcess.RunWithStdoutTo("/dev/full", args);
            // An output that cannot be written, as a file on a full disk is (ExitCodeTests): it was exit 2.
            Assert.True(run.Exit == 3, $"{string.Join(' ', args)}: exit {run.Exit}: {run.Stderr}");
            string verb = args[0] == "--help" ? "wdb" : args[0] == "cluster" ? $"wdb cluster {args[1]}" : $"wdb {args[0]}";
            Assert.Equal($"{verb}: cannot write to standard output: No space left on device", run.Stderr.Trim());
            // Standard output closed (`>&-`): the same line, with the system's reason.
            var closed = WdbProcess.RunWithStdoutTo("&-", args);
            Assert.True(closed.Exit == 3, $"{string.Join(' ', args)} >&-: exit {closed.Exit}: {closed.Stderr}");
            Assert.Equal($"{verb}: cannot write to standard output: Bad file descriptor", closed.Stderr.Trim());
        }
    }

    /// <summary>
    /// Every verb with its standard error unwritable (/dev/full; for a few, closed, or a pipe nobody reads): the messages
    /// are lost, nothing else is. The exit code and stdout are the plain run's, and its outputs are written (a merge's
    /// complete, as verify finds). Before, the first message ended the run in the runtime's abort, exit 134.
    /// </summary>
    [Fact]
    public void A_standard_error_that_cannot_be_written_changes_nothing_but_the_messages()
    {
        if (!File.Exists("/dev/full")) return;   // Linux's always-full device; CI runs on Linux
        string data = Path.Combine(_dir, "in.csv"), m = Path.Combine(_dir, "m"), work = Path.Combine(_dir, "work");
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "300", "--seed", "3", "--out", data).Exit);
        Assert.Equal(0, WdbProcess.Run("merge", data, "--out", m, "--quiet").Exit);
        string P(string name) => Path.Combine(_dir, name);
        // Each verb, what it writes (removed before each run, so that each run must write it again), and its exit.
        (string[] Args, string? Writes, int Exit)[] verbs =
        [
            (["gen", "survey", "--sources", "300", "--seed", "4", "--out", P("gen.csv")], P("gen.csv"), 0),
            (["merge", data, "--out", P("merged"), "--progress"], P("merged"), 0),
            (["merge", data, "--out", P("zoned"), "--zone-rows", "200", "--spill-dir", P("spill"), "--progress"], P("zoned"), 0),
            (["merge", P("no-such.csv"), "--out", P("never")], null, 2),
            (["merge", data], null, 2),   // a request that does not parse
            (["validate", data], null, 0),
            (["export", m, "--table", "groups", "--format", "csv", "--out", P("groups.csv")], P("groups.csv"), 0),
            (["members", m, "1"], null, 0), (["cone", m, "--ra", "180", "--dec", "0"], null, 0),
            (["associate", m, data], null, 0),
            (["plot", m, "--gcntr", "1", "--out", P("plot")], P("plot"), 0),
            (["verify", m], null, 0),
            (["evaluate", "survey", "--sources", "300", "--device", "cpu"], null, 0),
            (["calibrate", m, "--out", P("model.json"), "--labels", "truth"], P("model.json"), 0),
            (["cluster", "plan", data, "--out", P("c"), "--work", work, "--tasks", "2"], work, 0),
            (["cluster", "task", "--work", work, "--task", "0"], null, 0), (["cluster", "task", "--work", work, "--task", "1"], null, 0),
            (["cluster", "status", "--work", work], null, 0),
            (["cluster", "stitch", "--work", work], P("c"), 0),
            (["--help"], null, 0),
        ];
        foreach (var (args, writes, exit) in verbs)
        {
            string said = string.Join(' ', args);
            Remove(writes);
            var plain = WdbProcess.Run(args);
            Assert.True(plain.Exit == exit, $"{said}: exit {plain.Exit}: {plain.Stderr}");
            AssertWritten(writes, said);
            var modes = new List<(string Mode, Func<(int Exit, string Stdout)> Run)> { ("2>/dev/full", () => WdbProcess.RunWithStderrTo("/dev/full", args)) };
            if (args[0] is "merge" or "verify")
            {
                modes.Add(("2>&-", () => WdbProcess.RunWithStderrTo("&-", args)));
                modes.Add(("2>(a closed pipe)", () => WdbProcess.RunWithStderrUnread(args)));
            }
            foreach (var (mode, run) in modes)
            {
                Remove(writes);
                var lost = run();
                Assert.True(lost.Exit == exit, $"{said} {mode}: exit {lost.Exit}, {exit} without it");
                // validate's and evaluate's reports carry their timings: the same report, not the same bytes.
                if (args[0] is "validate" or "evaluate") Assert.Equal(plain.Stdout.Split('\n').Length, lost.Stdout.Split('\n').Length);
                else Assert.Equal(plain.Stdout, lost.Stdout);
                AssertWritten(writes, $"{said} {mode}");
            }
        }
        Assert.False(Directory.Exists(P("spill")));

        static void Remove(string? path)
        {
            if (path is null) return;
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            File.Delete(path);
        }

        static void AssertWritten(string? path, string said)
        {
            if (path is null) return;
            Assert.True(File.Exists(path) || Directory.Exists(path), $"{said}: {path} not written");
            if (File.Exists(Path.Combine(path, "summary.json")))
                Assert.True(WdbProcess.Run("verify", path).Exit == 0, $"{said}: {path} is not a complete output");
        }
    }

    /// <summary>
    /// export's --out empty or naming a file of the merge it reads, and plot's empty or `-` (standard output elsewhere; a plot
    /// is a directory): one line, exit 2, and nothing written.
    /// </summary>
    [Fact]
    public void An_out_that_cannot_take_the_export_or_the_plot_is_one_line_and_exit_2()
    {
        string data = Path.Combine(_dir, "two.csv"), outDir = Path.Combine(_dir, "m"), groups = Path.Combine(outDir, "groups.fb");
        File.WriteAllText(data, "cntr,scan_key,ra,dec,jdate,j_m,j_msigcom\n1,1,10,0,2451000.5,12,0.02\n2,2,10.00001,0,2451001.5,12.1,0.02\n");
        Assert.Equal(0, WdbProcess.Run("merge", data, "--out", outDir, "--quiet").Exit);
        byte[] before = File.ReadAllBytes(groups);
        (string[] Args, string Said)[] cases =
        [
            (["export", outDir, "--table", "groups", "--out", groups], $"wdb export: --out {groups} is groups.fb of the merge output '{outDir}' being read: choose another path"),
            (["export", outDir, "--table", "groups", "--out", ""], "wdb export: --out is empty: name a file, or - for standard output (csv and ipac)"),
            (["plot", outDir, "--gcntr", "1", "--out", ""], "wdb plot: --out is empty: name the directory for the plots"),
            (["plot", outDir, "--gcntr", "1", "--out", "-"], "wdb plot: --out -: a plot is a directory (lightcurve.svg, sky.svg, index.html), not standard output: name the directory"),
        ];
        foreach (var (args, said) in cases)
        {
            var run = WdbProcess.Run(args);
            Assert.True(run.Exit == 2, $"{string.Join(' ', args)}: exit {run.Exit}: {run.Stderr}");
            Assert.Equal(said, run.Stderr.TrimEnd());
            Assert.Equal("", run.Stdout);
        }
        Assert.Equal(before, File.ReadAllBytes(groups));
        Assert.Equal(["m", "two.csv"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName).Order());
        Assert.False(Directory.Exists(Path.Combine(Environment.CurrentDirectory, "-")));
    }

    [Fact]
    public void Every_verb_has_help()
    {
        foreach (var verb in new[] { "gen", "merge", "validate", "export", "evaluate", "check-device", "cluster", "members", "cone", "associate" })
        {
            var help = WdbProcess.Run(verb, "--help");
            Assert.Equal(0, help.Exit);
            Assert.Contains("Usage:", help.Stdout);
        }
        foreach (var step in new[] { "plan", "task", "stitch", "status" })
        {
            var help = WdbProcess.Run("cluster", step, "--help");
            Assert.Equal(0, help.Exit);
            Assert.Contains("--work", help.Stdout);
        }
    }
}
