using System.Diagnostics;
using System.Globalization;

namespace Wdb.Tests.Cli;

/// <summary>
/// The verbs an astronomer runs around a merge, as one: `wdb validate --rejects`, `wdb gen`, `wdb evaluate` and
/// `wdb check-device`; what they leave on disk when they fail or are stopped, and how they say so.
/// </summary>
public sealed class CheckingVerbsTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    private string BadTable()
    {
        string path = _s.PathOf("bad.csv");
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "40", "--seed", "3", "--out", path).Exit);
        var lines = File.ReadAllLines(path);
        lines[3] = "1,2,3";   // a short row: one reject
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Validate_refuses_a_rejects_file_that_is_its_input_and_leaves_the_input_as_it_was()
    {
        string input = BadTable(), link = _s.PathOf("also-bad.csv");
        byte[] before = File.ReadAllBytes(input);
        File.CreateSymbolicLink(link, input);
        foreach (string rejects in new[] { input, link })
        {
            var (exit, stdout, stderr) = WdbProcess.Run("validate", input, "--rejects", rejects);
            Assert.Equal(2, exit);
            Assert.Equal($"wdb validate: --rejects {rejects} is the input {input} (argument 1): its rejects would replace it; choose another --rejects",
                stderr.TrimEnd('\n'));
            Assert.Equal("", stdout);   // refused before anything is read
            Assert.Equal(before, File.ReadAllBytes(input));
        }
    }

    [Fact]
    public void Validate_says_a_missing_file_as_merge_does_and_a_merge_option_before_reading()
    {
        string good = BadTable(), missing = _s.PathOf("typo.csv");
        var (exit, stdout, _) = WdbProcess.Run("validate", missing, good);
        Assert.Equal(2, exit);
        Assert.Contains($"{missing}: error: cannot open: no such file\n", stdout);   // not the runtime's words and full path
        Assert.Contains($"{good}: csv, ", stdout);   // the others still read and reported

        // `wdb merge ... --out m` with the verb changed: --out is no option of validate, said before any file is read.
        (exit, stdout, var stderr) = WdbProcess.Run("validate", good, "--out", _s.PathOf("m"));
        Assert.Equal(2, exit);
        Assert.Equal("wdb validate: --out: cannot open: no such file (nor an option of this command: see --help)", stderr.TrimEnd('\n'));
        Assert.Equal("", stdout);
    }

    [Fact]
    public void Validate_notes_a_file_with_no_rows_as_merge_warns_of_it()
    {
        string header = _s.Write("header.csv", "cntr,scan_key,ra,dec\n"), empty = _s.Write("empty.bulk", "");
        var (exit, stdout, _) = WdbProcess.Run("validate", header, empty);
        Assert.Equal(0, exit);   // readable: a header alone may be right
        string note = "  note: no rows (empty, blank lines or a header alone): it would add nothing to a merge";
        var lines = stdout.Split('\n');
        Assert.StartsWith($"{header}: csv, 0 rows", lines[0]);
        Assert.Equal(note, lines[1]);
        Assert.StartsWith($"{empty}: bulk, 0 rows", lines[2]);
        Assert.Equal(note, lines[3]);
        Assert.DoesNotContain("note:", WdbProcess.Run("validate", BadTable()).Stdout);
    }

    [Fact]
    public void Validate_json_carries_each_files_notes_as_the_text_report_says_them()
    {
        string header = _s.Write("header.csv", "cntr,scan_key,ra,dec\n"), bad = BadTable();
        var (exit, stdout, _) = WdbProcess.Run("validate", header, bad, "--json");
        Assert.Equal(1, exit);
        using var doc = System.Text.Json.JsonDocument.Parse(stdout);
        var files = doc.RootElement.GetProperty("files");
        Assert.Equal(["no rows (empty, blank lines or a header alone): it would add nothing to a merge"],
            files[0].GetProperty("notes").EnumerateArray().Select(n => n.GetString()));
        Assert.Empty(files[1].GetProperty("notes").EnumerateArray());   // rows rejected: said in its counts, not a note
        var missing = WdbProcess.Run("validate", _s.PathOf("typo.csv"), "--json");
        using var unread = System.Text.Json.JsonDocument.Parse(missing.Stdout);
        Assert.Empty(unread.RootElement.GetProperty("files")[0].GetProperty("notes").EnumerateArray());   // its error says it
    }

    [Fact]
    public async Task Validate_writes_its_rejects_through_a_link_and_into_a_fifo_and_names_the_path_it_could_not_write()
    {
        string input = BadTable();
        string expected = _s.PathOf("expected.csv");
        Assert.Equal(1, WdbProcess.Run("validate", input, "--rejects", expected).Exit);
        Assert.Contains(",wrong_column_count,", File.ReadAllText(expected));

        string target = _s.PathOf("target.csv"), link = _s.PathOf("latest.csv");
        File.CreateSymbolicLink(link, target);
        Assert.Equal(1, WdbProcess.Run("validate", input, "--rejects", link).Exit);
        Assert.NotNull(new FileInfo(link).LinkTarget);   // still a link, its file written
        Assert.Equal(File.ReadAllBytes(expected), File.ReadAllBytes(target));

        string missing = Path.Combine(_s.PathOf("no-such-dir"), "rejects.csv");
        var (exit, _, stderr) = WdbProcess.Run("validate", input, "--rejects", missing);
        Assert.Equal(3, exit);   // an output that cannot be written, as merge's
        Assert.StartsWith($"wdb validate: cannot write '{missing}': ", stderr);
        Assert.DoesNotContain(".tmp", stderr);   // the path given, not a temporary one beside it
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));

        if (!OperatingSystem.IsLinux()) return;   // mkfifo
        string fifo = _s.PathOf("rejects.fifo");
        using (var mk = Process.Start("mkfifo", [fifo])) mk.WaitForExit();
        var reading = Task.Run(() => File.ReadAllBytes(fifo), TestContext.Current.CancellationToken);
        Assert.Equal(1, WdbProcess.Run("validate", input, "--rejects", fifo).Exit);
        Assert.True(await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken)) == reading,
            "nothing was written into the FIFO");
        Assert.Equal(File.ReadAllBytes(expected), await reading);
        Assert.False(IsPlainFile(fifo), "the FIFO was replaced by a file");
    }

    private static bool IsPlainFile(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%F", path]) { RedirectStandardOutput = true })!;
        string type = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return type.StartsWith("regular", StringComparison.Ordinal);
    }

    [Fact]
    public void Gen_that_cannot_write_says_so_in_one_line_and_makes_nothing()
    {
        string file = _s.Write("a-file", "not a directory\n");
        // Under the file itself, or deeper, where directories would have to be made in it: the file in the way is named.
        foreach (string under in new[] { Path.Combine(file, "x.csv"), Path.Combine(file, "sub", "x.csv") })
        {
            var (exit, stdout, stderr) = WdbProcess.Run("gen", "survey", "--sources", "10", "--out", under);
            Assert.Equal(3, exit);
            Assert.Equal($"wdb gen: cannot write '{under}': '{file}' is a file, not a directory", stderr.TrimEnd('\n'));
            Assert.Equal("", stdout);
        }
        Assert.Equal([file], Directory.GetFileSystemEntries(_s.Dir));

        // Refused for its extension: the directory it named is not made.
        string unknown = Path.Combine(_s.PathOf("new-dir"), "x.dat");
        Assert.Equal(2, WdbProcess.Run("gen", "survey", "--sources", "10", "--out", unknown).Exit);
        Assert.False(Directory.Exists(_s.PathOf("new-dir")));
    }

    [Fact]
    public async Task Gen_writes_into_a_fifo_and_makes_a_missing_directory()
    {
        string made = Path.Combine(_s.PathOf("new"), "sub", "x.csv");   // run.sh's example relies on it: `--out example/survey.csv`
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "10", "--seed", "2", "--out", made).Exit);
        if (!OperatingSystem.IsLinux()) return;   // mkfifo
        string fifo = _s.PathOf("rows.csv");
        using (var mk = Process.Start("mkfifo", [fifo])) mk.WaitForExit();
        var reading = Task.Run(() => File.ReadAllBytes(fifo), TestContext.Current.CancellationToken);
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "10", "--seed", "2", "--out", fifo).Exit);
        Assert.True(await Task.WhenAny(reading, Task.Delay(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken)) == reading,
            "nothing was written into the FIFO");
        Assert.Equal(File.ReadAllBytes(made), await reading);
        Assert.False(IsPlainFile(fifo), "the FIFO was replaced by a file");
    }

    /// <summary>The markdown row `wdb evaluate survey` prints for <paramref name="sources"/> generated sources (seed 1).</summary>
    private static string EvaluateRow(int sources)
    {
        var (exit, stdout, stderr) = WdbProcess.Run("evaluate", "survey", "--sources", sources.ToString(CultureInfo.InvariantCulture), "--seed", "1", "--device", "cpu");
        Assert.True(exit == 0, stderr);
        return stdout.Split('\n')[2];
    }

    [Fact]
    public void Evaluate_says_n_a_where_nothing_was_fitted_not_NaN()
    {
        // 50 sources: no mover fitted, and no group with the members for Stetson J.
        string row = EvaluateRow(sources: 50);
        Assert.DoesNotContain("NaN", row);
        Assert.EndsWith("| 0/0 fitted (n/a); 0/0 movers fitted | n/a (0 var, 0 const) |", row);
    }

    [Fact]
    public void Scans_given_for_a_survey_are_refused_not_dropped()
    {
        string path = _s.PathOf("survey.csv");
        foreach (string verb in new[] { "gen", "evaluate" })
        {
            string[] args = verb == "gen" ? ["gen", "survey", "--sources", "10", "--scans", "5", "--out", path] : ["evaluate", "survey", "--sources", "10", "--scans", "5"];
            var (exit, stdout, stderr) = WdbProcess.Run(args);
            Assert.Equal(2, exit);
            Assert.Equal($"wdb {verb}: --scans is for caltile (the tile's scans); a survey's scans follow from --sources", stderr.TrimEnd('\n'));
            Assert.Equal("", stdout);
        }
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Gen_writes_an_ipac_table_under_ipac_as_the_readers_take_it()
    {
        string tbl = _s.PathOf("a.tbl"), ipac = _s.PathOf("a.ipac"), gz = _s.PathOf("a.ipac.gz");
        foreach (string path in new[] { tbl, ipac, gz })
            Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "20", "--seed", "2", "--out", path).Exit);
        Assert.Equal(File.ReadAllBytes(tbl), File.ReadAllBytes(ipac));
        var (exit, stdout, stderr) = WdbProcess.Run("validate", ipac, gz);
        Assert.True(exit == 0, stdout + stderr);
        Assert.StartsWith($"{ipac}: ipac, ", stdout);
        Assert.Contains($"{gz}: ipac, ", stdout);
    }

    [Fact]
    public void Gen_writes_through_a_link()
    {
        string target = _s.PathOf("runs-7.csv"), link = _s.PathOf("latest.csv");
        File.WriteAllText(target, "old\n");
        File.CreateSymbolicLink(link, target);
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "10", "--out", link).Exit);
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.StartsWith("cntr,scan_key,ra,dec", File.ReadAllText(target));
        Assert.Equal(new[] { link, target }.Order(), Directory.GetFiles(_s.Dir).Order());   // no temporary left
    }

    [Fact]
    public void Gen_stopped_by_a_signal_leaves_no_partial_file()
    {
        if (OperatingSystem.IsWindows()) return;   // kill -INT: POSIX signals
        string dir = Directory.CreateDirectory(_s.PathOf("gen")).FullName;
        // Several seconds of writing here: the signal comes while the temporary file grows, in directories gen made for it.
        using var p = WdbProcess.Start("gen", "survey", "--sources", "3000000", "--out", Path.Combine(dir, "new", "sub", "big.csv"));
        string err = InterruptOnceWriting(p, dir, "gen");
        Assert.Contains("its temporary files were removed", err);
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public void Evaluate_stopped_by_a_signal_removes_its_generated_data()
    {
        if (OperatingSystem.IsWindows()) return;
        string tmp = Directory.CreateDirectory(_s.PathOf("tmp")).FullName;
        using var p = WdbProcess.StartWith(new Dictionary<string, string> { ["TMPDIR"] = tmp },
            "evaluate", "caltile", "--sources", "3000", "--scans", "600", "--device", "cpu");
        InterruptOnceWriting(p, tmp, "evaluate");
        Assert.Empty(Directory.GetFileSystemEntries(tmp));
    }

    [Fact]
    public void Evaluate_with_an_unusable_TMPDIR_says_so_in_one_line()
    {
        string notDir = _s.Write("tmp-is-a-file", "x\n");
        using var p = WdbProcess.StartWith(new Dictionary<string, string> { ["TMPDIR"] = notDir }, "evaluate", "survey", "--sources", "10");
        string stdout = p.StandardOutput.ReadToEnd(), err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(3, p.ExitCode);
        Assert.StartsWith("wdb evaluate: cannot write the generated data under ", err);
        Assert.Contains("(TMPDIR chooses where", err);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
        Assert.Equal("", stdout);
    }

    /// <summary>
    /// One source seen once: no pair grouped and no true pair. Its pair precision and recall are "n/a (no pairs)", not the
    /// 1.0000 of a perfect merge, as its mover and Stetson figures with nothing to measure say n/a.
    /// </summary>
    [Fact]
    public void Evaluate_with_no_pairs_says_so_rather_than_a_perfect_score()
    {
        string row = EvaluateRow(sources: 1);
        Assert.StartsWith("| survey 1 | 1 | 1 | n/a (no pairs) | n/a (no pairs) | n/a (no pairs) | n/a (no pairs) | 0/0 fitted (n/a);", row);
        Assert.DoesNotContain("1.0000", row);
    }

    [Fact]
    public void Check_device_refuses_a_negative_thread_count()
    {
        var (exit, stdout, stderr) = WdbProcess.Run("check-device", "--device", "cpu", "--threads", "-1");
        Assert.Equal(2, exit);
        Assert.Equal("wdb check-device: --threads must be 0 (all cores) or positive, got -1", stderr.TrimEnd('\n'));
        Assert.Equal("", stdout);
    }

    [Fact]
    public void Check_device_on_auto_without_a_gpu_says_it_compared_the_cpu_with_itself()
    {
        var (exit, stdout, stderr) = WdbProcess.Run("check-device");
        Assert.True(exit == 0, stderr);
        Assert.Contains("PASS", stdout);
        const string note = "wdb check-device: auto found no CUDA GPU, so the CPU engine is compared with itself; --device cuda, opencl or ilgpu-cpu checks a device";
        // A machine with CUDA checks its GPU on auto, and says nothing of the kind.
        if (stdout.StartsWith("device: cpu", StringComparison.Ordinal)) Assert.Equal(note, stderr.TrimEnd('\n'));
        else Assert.DoesNotContain(note, stderr);
        Assert.DoesNotContain(note, WdbProcess.Run("check-device", "--device", "cpu").Stderr);   // asked for: nothing to say
    }

    /// <summary>
    /// Sends <paramref name="p"/> SIGINT once a file under <paramref name="dir"/> has bytes in it (it is writing), and
    /// checks it ends with 130; its standard error.
    /// </summary>
    private static string InterruptOnceWriting(Process p, string dir, string verb)
    {
        var watch = Stopwatch.StartNew();
        while (!p.HasExited && watch.ElapsedMilliseconds < 60_000
               && !Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Any(f => new FileInfo(f).Length > 0)) Thread.Sleep(5);
        Assert.False(p.HasExited, $"{verb} ended before it could be signalled");
        Signal(p, "INT");
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}: {err}");
        return err;
    }

    private static void Signal(Process p, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", p.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }
}
