using System.Diagnostics;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;
using Wdb.Merge.Streaming;

namespace Wdb.Tests.Robustness;

/// <summary>
/// Files with awkward names (unicode, a leading '-', a line end, the IPAC null value) where a path is written into
/// something another program reads: the file columns of IPAC tables, and the cluster's shell scripts.
/// </summary>
public sealed class AwkwardPathTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    private string Merged(string input)
    {
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, 300, 7), input);
        string outDir = _s.PathOf("merged");
        Assert.Null(MergeJob.Run(new MergeOptions { Inputs = [input], OutDir = outDir, Device = "cpu", Threads = 1 }).Error);
        return outDir;
    }

    /// <summary>
    /// STILTS cuts an IPAC table's columns at byte offsets and astropy at character offsets, so a non-ASCII path
    /// in a file column shifts the row's later columns for one of them (STILTS read 'é星.csv' rows with no line, no
    /// position, no gcntr): refused in one line naming the path, as a blank is; CSV holds it as it is.
    /// </summary>
    [Fact]
    public void An_ipac_file_column_refuses_a_path_beyond_ascii_and_csv_keeps_it()
    {
        string dir = Merged(_s.PathOf("field.csv"));
        string list = _s.PathOf("é星,\"targets\".csv");
        File.Copy(_s.PathOf("field.csv"), list);
        foreach (var verb in new[] { new[] { "cone", dir, "--targets", list }, ["associate", dir, list] })
        {
            var ipac = WdbProcess.Run([.. verb, "--format", "ipac", "--quiet"]);
            Assert.Equal(2, ipac.Exit);
            Assert.Equal("", ipac.Stdout);
            Assert.Single(ipac.Stderr.TrimEnd('\n').Split('\n'));
            Assert.Contains($"'{list}': an IPAC table cannot hold a path with a character outside printable ASCII", ipac.Stderr);

            var csv = WdbProcess.Run([.. verb, "--quiet"]);
            Assert.True(csv.Exit == 0, csv.Stderr);
            var rows = csv.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
            Assert.NotEmpty(rows);
            string quoted = '"' + list.Replace("\"", "\"\"") + '"';
            Assert.All(rows, r => Assert.Contains(quoted + ",", r));
        }
    }

    /// <summary>'null' in an IPAC column is its null value: astropy read the targets' file 'null' as masked.</summary>
    [Fact]
    public void An_ipac_file_column_refuses_the_path_null_but_takes_one_that_names_the_same_file()
    {
        Assert.Contains("the path 'null', which it reads as its null value", ColumnMaps.IpacPathProblem(["a.csv", "null"], "--targets"));
        Assert.Null(ColumnMaps.IpacPathProblem(["./null", "nulls.csv", "p|q,\"r\".csv"], "--targets"));
        Assert.Contains("a path with a character outside printable ASCII", ColumnMaps.IpacPathProblem(["a\tb.csv"], "catalogue"));
    }

    /// <summary>
    /// A line end in the work directory's path ended the comment of tasks.sbatch that names it, and the rest of the
    /// path ran as a command (here a syntax error): every script passes `bash -n`, and the task runs.
    /// </summary>
    [Fact]
    public void A_work_directory_with_a_line_end_in_its_path_gives_scripts_that_run()
    {
        if (OperatingSystem.IsWindows()) return;   // sh scripts
        string input = _s.PathOf("sky.csv");
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, 300, 8), input);
        string work = _s.PathOf("work\n(touch injected)"), outDir = _s.PathOf("out");
        Assert.Null(ClusterMerge.Plan(Options(input, outDir), work, 2, WdbProcess.ShellCommand()).Error);

        foreach (string script in Directory.GetFiles(Path.Combine(work, "slurm")))
            Assert.True(Shell("bash", ["-n", script], _s.Dir, []).Exit == 0, script);
        var task = Shell("bash", [Path.Combine(work, "slurm", "tasks.sbatch")], _s.Dir, [("SLURM_ARRAY_TASK_ID", "0")]);
        Assert.True(task.Exit == 0, task.Stderr);
        Assert.False(File.Exists(_s.PathOf("injected")));
    }

    /// <summary>
    /// submit.sh run by a path that starts with '-' (sh -- -w/slurm/submit.sh): dirname took it for an option, cd
    /// stayed put, and the jobs were sent the directory above the caller's as their work directory.
    /// </summary>
    [Fact]
    public void Submit_sh_reached_by_a_path_starting_with_a_dash_submits_its_own_work_directory()
    {
        if (OperatingSystem.IsWindows()) return;   // sh scripts
        string input = _s.PathOf("sky.csv");
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, 300, 9), input);
        string work = _s.PathOf("-w 'x'"), outDir = _s.PathOf("out");
        Assert.Null(ClusterMerge.Plan(Options(input, outDir), work, 2, WdbProcess.ShellCommand()).Error);

        string bin = _s.PathOf("bin"), calls = _s.PathOf("sbatch-calls.txt");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "sbatch"), $"#!/bin/sh\nprintf '%s|' \"$@\" >> '{calls}'\necho >> '{calls}'\necho 1001\n");
        File.SetUnixFileMode(Path.Combine(bin, "sbatch"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // A CDPATH holding a decoy of the same relative path must not be where submit.sh goes either.
        string decoy = _s.PathOf("decoy");
        Directory.CreateDirectory(Path.Combine(decoy, "-w 'x'", "slurm"));
        var submitted = Shell("sh", ["--", "-w 'x'/slurm/submit.sh"], _s.Dir,
            [("PATH", $"{bin}:{Environment.GetEnvironmentVariable("PATH")}"), ("CDPATH", decoy)]);
        Assert.True(submitted.Exit == 0, submitted.Stderr);
        Assert.Equal([$"--parsable|tasks.sbatch|{work}|", $"--parsable|--dependency=afterok:1001|stitch.sbatch|{work}|"], File.ReadAllLines(calls));
    }

    /// <summary>
    /// A name of NAME_MAX bytes (255) is a valid --out, but its temporary sibling (the name, ".tmp-" and a random part)
    /// was not: the merge failed with "path too long". Here the first merge, a zone merge (its spill is a sibling too) over
    /// it, and the leftover of a killed run beside it, removed by the next run as any other.
    /// </summary>
    [Fact]
    public void A_merge_writes_and_replaces_an_output_whose_name_is_255_bytes()
    {
        string input = _s.PathOf("sky.csv"), parent = _s.PathOf("long");
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, 300, 10), input);
        Directory.CreateDirectory(parent);
        string outDir = Path.Combine(parent, string.Concat(Enumerable.Repeat("星", 85)));   // 255 bytes, 3 a character
        Assert.Null(MergeJob.Run(Options(input, outDir)).Error);
        string stale = SiblingNames.Of(outDir, ".tmp-");
        Directory.CreateDirectory(stale);

        Assert.Null(MergeJob.Run(Options(input, outDir) with { ZoneRows = 100 }).Error);
        Assert.True(File.Exists(Path.Combine(outDir, "summary.json")));
        Assert.Equal([outDir], Directory.GetFileSystemEntries(parent));
    }

    /// <summary>A single-file export and a generated table to names of 255 bytes, their temporary files gone.</summary>
    [Fact]
    public void An_export_and_a_generated_table_write_names_of_255_bytes()
    {
        string dir = Merged(_s.PathOf("field.csv")), parent = _s.PathOf("long");
        Directory.CreateDirectory(parent);
        string export = Path.Combine(parent, new string('é', 125) + "a.csv"), table = Path.Combine(parent, new string('t', 251) + ".csv");
        Assert.Null(Exporter.Export(dir, "groups", "csv", export));
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, 100, 11), table);
        Assert.StartsWith("gcntr,", File.ReadLines(export).First());
        Assert.True(new FileInfo(table).Length > 0);
        Assert.Equal(new[] { export, table }.Order(StringComparer.Ordinal), Directory.GetFileSystemEntries(parent).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// Two long names that begin alike get siblings of their own, each within NAME_MAX with room for a tag, and cut
    /// between characters: a run removes its output's leftovers by that base, and must not take another output's.
    /// </summary>
    [Fact]
    public void Long_names_that_begin_alike_have_siblings_apart_and_within_name_max()
    {
        string a = string.Concat(Enumerable.Repeat("星", 84)) + "a.x", b = string.Concat(Enumerable.Repeat("星", 84)) + "b.x";
        string baseA = SiblingNames.Base(a), baseB = SiblingNames.Base(b);
        Assert.NotEqual(baseA, baseB);
        Assert.StartsWith(string.Concat(Enumerable.Repeat("星", 60)), baseA);
        Assert.All(new[] { baseA, baseB }, n => Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(n), 200, 215));
        Assert.Equal("groups.csv", SiblingNames.Base("groups.csv"));
        Assert.Equal("/d/groups.csv.tmp-", SiblingNames.Of("/d/groups.csv", ".tmp-")[..^12]);
    }

    /// <summary>
    /// A file whose name is not UTF-8 (byte 0xff) arrives as an argument with U+FFFD in place of the byte, a name no file
    /// has: merge and validate said "no such file" of a file the user can see with ls; they say why instead.
    /// </summary>
    [Fact]
    public void An_input_whose_name_is_not_utf8_is_said_to_be_so_not_missing()
    {
        if (OperatingSystem.IsWindows()) return;   // names there are UTF-16
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, 100, 12), _s.PathOf("field.csv"));
        Assert.Equal(0, Shell("sh", ["-c", "cp field.csv \"$(printf 'bad\\377.csv')\""], _s.Dir, []).Exit);
        foreach (string verb in new[] { "merge --out m", "validate" })
        {
            var run = Shell("sh", ["-c", $"{WdbProcess.ShellCommand()} {verb} \"$(printf 'bad\\377.csv')\" >&2"], _s.Dir, []);   // validate reports on stdout
            Assert.Equal(2, run.Exit);
            Assert.Contains("bad\uFFFD.csv: ", run.Stderr);
            Assert.Contains("cannot open: the name is not valid UTF-8 (its bad bytes arrive as U+FFFD); rename the file", run.Stderr);
            Assert.DoesNotContain("no such file", run.Stderr);
        }
        // A catalogue so named is said to be so as an input is (it was "no such file"), in every verb that reads one.
        foreach (string verb in new[] { "merge field.csv --out m --not-in", "merge field.csv --out m --associate", "cluster plan field.csv --out c --work w --tasks 1 --not-in" })
        {
            var run = Shell("sh", ["-c", $"{WdbProcess.ShellCommand()} {verb} \"$(printf 'bad\\377.csv')\""], _s.Dir, []);
            Assert.True(run.Exit == 2, $"{verb}: exit {run.Exit}: {run.Stderr}");
            Assert.EndsWith("bad\uFFFD.csv: cannot open: the name is not valid UTF-8 (its bad bytes arrive as U+FFFD); rename the file", run.Stderr.TrimEnd());
        }
        // A directory so named, on the way to the file: it is the one to rename, named as given (it said "rename the file").
        Assert.Equal(0, Shell("sh", ["-c", "mkdir \"$(printf 'dir\\377')\" && cp field.csv \"$(printf 'dir\\377')/\""], _s.Dir, []).Exit);
        foreach (string verb in new[] { "merge --out m", "merge field.csv --out m --not-in" })
        {
            var run = Shell("sh", ["-c", $"{WdbProcess.ShellCommand()} {verb} \"$(printf 'dir\\377')/field.csv\""], _s.Dir, []);
            Assert.True(run.Exit == 2, $"{verb}: exit {run.Exit}: {run.Stderr}");
            Assert.EndsWith("dir\uFFFD/field.csv: cannot open: the name is not valid UTF-8 (its bad bytes arrive as U+FFFD); rename the directory 'dir\uFFFD'",
                run.Stderr.TrimEnd());
        }
        // A name that holds U+FFFD in valid UTF-8 and is not there is missing, plainly (it was said to be not UTF-8).
        Assert.Equal(0, WdbProcess.Run("merge", _s.PathOf("field.csv"), "--out", _s.PathOf("m"), "--quiet").Exit);
        foreach (string verb in new[] { "merge --out m2", "validate", "merge field.csv --out m2 --not-in", "associate m" })
        {
            var run = Shell("sh", ["-c", $"{WdbProcess.ShellCommand()} {verb} 'gone\uFFFD.csv' >&2"], _s.Dir, []);
            Assert.True(run.Exit == 2, $"{verb}: exit {run.Exit}: {run.Stderr}");
            Assert.Contains("gone\uFFFD.csv: ", run.Stderr);   // validate's "error: " follows
            Assert.Contains("cannot open: no such file", run.Stderr);
            Assert.DoesNotContain("UTF-8", run.Stderr);
        }
    }

    /// <summary>
    /// A line end in a path made a message two lines (the reader's file:line:column prefix, "no such file", "cannot
    /// write"): a script reading one line per message, or a log, took its second half for another message. Escaped, as
    /// \n, every message is one line again.
    /// </summary>
    [Fact]
    public void A_path_with_a_line_end_is_escaped_in_messages_which_stay_one_line()
    {
        string bad = _s.Write("a\nb.csv", "cntr,scan_key,ra,dec\n1,1,10.0,5.0\n2,1,ten,5.0\n"), shownBad = Path.Combine(_s.Dir, "a\\nb.csv");
        string dir = Merged(_s.PathOf("field.csv"));
        string clusterOut = _s.PathOf("c\nd"), shownClusterOut = _s.PathOf("c\\nd");
        var cases = new (string[] Args, string Said)[]
        {
            (["merge", bad, "--strict", "--quiet", "--out", _s.PathOf("m")], $"{shownBad}:3:"),
            (["merge", _s.PathOf("no\r\nsuch.csv"), "--out", _s.PathOf("m")], "no\\r\\nsuch.csv: cannot open: no such file"),
            (["export", dir, "--table", "groups", "--out", _s.PathOf("no\ndir/g.csv")], "cannot write '" + _s.PathOf("no\\ndir/g.csv") + "'"),
            (["merge", _s.PathOf("field.csv"), "--quiet", "--out", bad], $"cannot write output to '{shownBad}': a file of that name exists"),
            (["cluster", "status", "--work", bad], $"'{shownBad}' is a file, not a cluster work directory"),
            (["cluster", "plan", _s.PathOf("field.csv"), "--out", clusterOut, "--work", Path.Combine(clusterOut, "w"), "--tasks", "2"],
                $"--work '{shownClusterOut}/w' lies in --out '{shownClusterOut}'"),
        };
        foreach (var (args, said) in cases)
        {
            var run = WdbProcess.Run(args);
            Assert.NotEqual(0, run.Exit);
            Assert.Single(run.Stderr.TrimEnd('\n').Split('\n'));
            Assert.Contains(said, run.Stderr);
        }
        // validate's report (on standard output): the file's line and its rejects' lines.
        var report = WdbProcess.Run("validate", bad);
        Assert.Equal(1, report.Exit);
        Assert.StartsWith($"{shownBad}: csv, 2 rows: 1 accepted, 1 rejected;", report.Stdout);
        Assert.Contains($"  {shownBad}:3:", report.Stdout);
        Assert.DoesNotContain("a\nb.csv", report.Stdout);
        Assert.Equal("a\\nb\\r\\tc\\x1bd\\x85e\\u2028f", Shown.Path("a\nb\r\tc\u001bd\u0085e\u2028f"));
    }

    private static MergeOptions Options(string input, string outDir) => new()
    {
        Inputs = [input], OutDir = outDir, Device = "cpu", Threads = 1,
    };

    private static (int Exit, string Stderr) Shell(string shell, string[] args, string cwd, (string Name, string Value)[] env) =>
        WdbProcess.RunProgram(shell, args, cwd, env);
}
