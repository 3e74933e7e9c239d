using System.Diagnostics;
using System.Text.Json;
using Wdb.IO;
using Wdb.Merge;
using static Wdb.Tests.Robustness.RobustSupport;

namespace Wdb.Tests.Robustness;

/// <summary>
/// Interrupted runs and unwritable outputs. The built `wdb` (wdb.dll beside the test
/// assembly, as the test project references Wdb.Cli) is killed with SIGKILL at several
/// moments; the output directory must then be absent or the previous complete output, and
/// a rerun must give byte-identical tables.
/// </summary>
public sealed class InterruptionTests : IDisposable
{
    private static readonly string[] Tables = ["groups.fb", "members.fb", "extractions.fb"];
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    private static Process StartWdb(params string[] args) => WdbProcess.Start(args);

    private static (int Exit, string Stderr) RunWdb(params string[] args)
    {
        var (exit, _, err) = WdbProcess.Run(args);
        return (exit, err);
    }

    /// <summary>A complete output: summary.json present and every output it lists has the checksum it records.</summary>
    private static void AssertComplete(string outDir)
    {
        string summaryPath = Path.Combine(outDir, "summary.json");
        Assert.True(File.Exists(summaryPath), $"{outDir} has no summary.json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(summaryPath));
        var outputs = doc.RootElement.GetProperty("outputs").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        foreach (var t in Tables) Assert.Contains(t, outputs.Keys);
        foreach (var (name, checksum) in outputs)
            Assert.True(Wdb.Tests.Output.ChecksumTests.Matches(checksum, File.ReadAllBytes(Path.Combine(outDir, name))), $"{outDir}/{name}: checksum differs from summary.json");
        var files = Directory.GetFiles(outDir).Select(Path.GetFileName).Where(n => n != "summary.json").Order().ToArray();
        Assert.Equal(outputs.Keys.Order().ToArray(), files);
    }

    private static Dictionary<string, string> TableHashes(string outDir) =>
        Tables.ToDictionary(t => t, t => Sha256(Path.Combine(outDir, t)));

    [Fact]
    public void Killed_runs_leave_no_output_or_the_previous_complete_one_and_a_rerun_is_byte_identical()
    {
        // ~170,000 extractions: a run takes one to two seconds here.
        string input = _s.PathOf("sky.csv");
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, 100_000, 21), input);
        string outDir = _s.PathOf("out");
        string[] args = ["merge", input, "--out", outDir, "--device", "cpu", "--quiet"];

        // Killed before any output existed: nothing, or (had it finished) a complete output.
        using (var p = StartWdb(args))
        {
            Thread.Sleep(300);
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        if (Directory.Exists(outDir)) AssertComplete(outDir);

        var (exit, err) = RunWdb(args);
        Assert.True(exit == 0, err);
        AssertComplete(outDir);
        var reference = TableHashes(outDir);

        // Kill at fixed moments, and once as soon as the temporary output directory appears
        // (during the write), over an existing complete output.
        var moments = new List<int> { 50, 200, 500, 900, 1400, -1 };
        foreach (int ms in moments)
        {
            using var p = StartWdb(args);
            if (ms >= 0) Thread.Sleep(ms);
            else
            {
                var watch = Stopwatch.StartNew();
                while (!p.HasExited && watch.ElapsedMilliseconds < 20_000
                       && Directory.GetDirectories(_s.Dir, "out.tmp-*").Length == 0) Thread.Sleep(2);
                Thread.Sleep(5);
            }
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit();
            Assert.True(Directory.Exists(outDir), $"killed after {ms} ms: the previous output is gone");
            AssertComplete(outDir);
            Assert.Equal(reference, TableHashes(outDir));
        }

        // A rerun cleans up what the killed runs left and writes the same tables.
        (exit, err) = RunWdb(args);
        Assert.True(exit == 0, err);
        AssertComplete(outDir);
        Assert.Equal(reference, TableHashes(outDir));
        Assert.Equal([outDir], Directory.GetDirectories(_s.Dir, "out*"));
    }

    [Fact]
    public void A_signal_ends_the_run_with_its_code_and_takes_its_temporary_output_and_spill_with_it()
    {
        if (OperatingSystem.IsWindows()) return;   // kill -TERM: POSIX signals
        string input = _s.PathOf("sky.csv");
        // Large enough, and on one thread, that the run held whole is still writing when the signal comes: its temporary
        // output appears only at the write, which 100,000 sources on 16 cores finished before `kill` ran (exit 0).
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, 300_000, 22), input);
        foreach (var (signal, code, zones) in new[] { ("TERM", 143, "0"), ("INT", 130, "30000"), ("TERM", 143, "30000") })
        {
            string outDir = _s.PathOf($"out-{signal}-{zones}");
            using var p = StartWdb("merge", input, "--out", outDir, "--device", "cpu", "--zone-rows", zones, "--threads", "1", "--quiet");
            // Signalled once the run has made what it must then remove: the output's temporary sibling, or the zones' spill.
            string name = Path.GetFileName(outDir);
            var watch = Stopwatch.StartNew();
            while (!p.HasExited && watch.ElapsedMilliseconds < 30_000
                   && Directory.GetDirectories(_s.Dir, $"{name}.*").Length == 0) Thread.Sleep(2);
            Assert.False(p.HasExited, "the run ended before it could be signalled");
            using (var kill = Process.Start("kill", [$"-{signal}", p.Id.ToString(Inv)])) kill.WaitForExit();
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == code, $"SIG{signal}, --zone-rows {zones}: exit {p.ExitCode}: {err}");
            Assert.Contains($"wdb: stopped by SIG{signal}; its temporary files were removed", err);
            // Nothing of the run is left beside the output; the output itself only if the signal came after its publish.
            var left = Directory.GetFileSystemEntries(_s.Dir, $"{name}*").Where(e => e != outDir).ToList();
            Assert.True(left.Count == 0, $"left: {string.Join(", ", left)}; {err}");
            if (Directory.Exists(outDir)) AssertComplete(outDir);
        }
    }

    /// <summary>
    /// A --spill-dir the run made (with a parent of it) goes with a signal as with a normal end; one that was there before stays.
    /// </summary>
    [Fact]
    public void A_signal_removes_the_spill_dir_the_run_made()
    {
        if (OperatingSystem.IsWindows()) return;   // kill -TERM: POSIX signals
        string input = _s.PathOf("sky.csv");
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, 100_000, 23), input);
        string before = _s.PathOf("was-there");
        Directory.CreateDirectory(before);
        foreach (string spillDir in new[] { _s.PathOf("new/spill"), before })
        {
            using var p = StartWdb("merge", input, "--out", _s.PathOf("out"), "--device", "cpu", "--zone-rows", "30000", "--spill-dir", spillDir, "--quiet");
            var watch = Stopwatch.StartNew();
            while (!p.HasExited && watch.ElapsedMilliseconds < 30_000
                   && !(Directory.Exists(spillDir) && Directory.EnumerateDirectories(spillDir).Any())) Thread.Sleep(2);
            Assert.False(p.HasExited, "the run ended before it could be signalled");
            using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(Inv)])) kill.WaitForExit();
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 143, $"exit {p.ExitCode}: {err}");
            Assert.Contains("its temporary files were removed", err);
        }
        Assert.False(Directory.Exists(_s.PathOf("new")), "the spill dir the run made, and its parent, are left");
        Assert.Empty(Directory.EnumerateFileSystemEntries(before));
    }

    private static string TinyInput(Scratch s) =>
        s.Write("tiny.csv", "cntr,scan_key,ra,dec,j_m,j_msigcom,jdate\n" +
            string.Concat(Enumerable.Range(1, 2000).Select(i => string.Create(Inv, $"{i},{i % 7},{i * 0.01},{i * 0.001},12.5,0.03,2451000.5\n"))));

    [Fact]
    public void Output_under_a_file_or_on_a_read_only_file_system_is_exit_3_with_one_line()
    {
        string input = TinyInput(_s);
        string file = _s.Write("plain-file", "x");
        var outcome = RunMerge([input], Path.Combine(file, "out"));
        Assert.Equal(MergeJob.OutputErrorExit, outcome.ExitCode);
        Assert.Contains("cannot write output", outcome.Error);
        Assert.DoesNotContain("\n", outcome.Error);

        // An output path that is an existing file: refused, the file untouched.
        outcome = RunMerge([input], file);
        Assert.Equal(MergeJob.OutputErrorExit, outcome.ExitCode);
        Assert.Equal("x", File.ReadAllText(file));

        // A directory that is not a wdb output is never replaced.
        string foreign = _s.PathOf("foreign");
        _s.Write("foreign/keep.txt", "mine");
        outcome = RunMerge([input], foreign);
        Assert.Equal(MergeJob.OutputErrorExit, outcome.ExitCode);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(foreign, "keep.txt")));

        string ro = _s.PathOf("ro");
        Directory.CreateDirectory(ro);
        if (!Tmpfs.Mount(ro, "ro,size=64k")) return;   // not root or no tmpfs: the rest cannot be tested here
        try
        {
            outcome = RunMerge([input], Path.Combine(ro, "out"));
            Assert.Equal(MergeJob.OutputErrorExit, outcome.ExitCode);
            Assert.Contains("cannot write output", outcome.Error);
        }
        finally { Tmpfs.Unmount(ro); }
    }

    [Fact]
    public void Full_disk_is_exit_3_and_keeps_the_previous_output()
    {
        string input = TinyInput(_s);
        string mnt = _s.PathOf("small");
        Directory.CreateDirectory(mnt);
        if (!Tmpfs.Mount(mnt, "size=64k")) return;     // skipped: mounting needs root and tmpfs
        try
        {
            // A small previous output fits; the 2,000-row one does not.
            string prev = _s.Write("prev.csv", "cntr,scan_key,ra,dec\n1,1,10.0,20.0\n");
            string outDir = Path.Combine(mnt, "out");
            Assert.Equal(0, RunMerge([prev], outDir).ExitCode);
            var before = TableHashes(outDir);

            var outcome = RunMerge([input], outDir);
            Assert.Equal(MergeJob.OutputErrorExit, outcome.ExitCode);
            Assert.Contains("cannot write output", outcome.Error);
            Assert.DoesNotContain("\n", outcome.Error);
            AssertComplete(outDir);
            Assert.Equal(before, TableHashes(outDir));
            Assert.Equal([outDir], Directory.GetDirectories(mnt));   // the partial temporary output was removed

            // Through the CLI: exit code 3 and the error on stderr.
            var (exit, err) = RunWdb("merge", input, "--out", outDir, "--device", "cpu", "--quiet");
            Assert.Equal(3, exit);
            Assert.Contains("cannot write output", err);
        }
        finally { Tmpfs.Unmount(mnt); }
    }

    [Fact]
    public void Missing_or_unreadable_inputs_are_exit_2_with_the_path_and_no_output()
    {
        string good = TinyInput(_s);
        string outDir = _s.PathOf("out-missing");
        foreach (var bad in new[] { _s.PathOf("no-such.csv"), _s.Dir })
        {
            var outcome = RunMerge([good, bad], outDir);
            Assert.Equal(MergeJob.InputErrorExit, outcome.ExitCode);
            // A directory is named as one (its open would say "access denied").
            Assert.StartsWith(bad == _s.Dir ? $"{bad}: a directory, not a table" : $"{bad}: cannot open", outcome.Error);
            Assert.False(Directory.Exists(outDir));
        }
    }

    [Fact]
    public void A_fatal_input_error_leaves_the_previous_output_untouched()
    {
        string outDir = _s.PathOf("out-prev");
        Assert.Equal(0, RunMerge([TinyInput(_s)], outDir).ExitCode);
        var before = Directory.GetFiles(outDir).ToDictionary(f => Path.GetFileName(f), Sha256);
        foreach (var (bad, strict) in new[] { ("misaligned_header.tbl", false), ("non_numeric.csv", true) })
        {
            string input = _s.Write(bad, File.ReadAllBytes(BadData(bad)));
            var outcome = RunMerge([input], outDir, strict: strict);
            Assert.Equal(MergeJob.InputErrorExit, outcome.ExitCode);
            Assert.Equal(before, Directory.GetFiles(outDir).ToDictionary(f => Path.GetFileName(f), Sha256));
        }
        Assert.Equal([outDir], Directory.GetDirectories(_s.Dir, "out-prev*"));
    }
}
