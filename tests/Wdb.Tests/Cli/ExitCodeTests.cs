namespace Wdb.Tests.Cli;

/// <summary>
/// The README's exit codes, verb family by verb family: 2 for a bad request or input, 3 for an output that cannot be
/// written (a full or read-only disk), with the system's reason said once, and nothing left behind.
/// </summary>
public sealed class ExitCodeTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    /// <summary>
    /// Every verb that writes a file or a directory, onto a full disk: exit 3 (export, plot, validate and calibrate said
    /// 2, merge, cluster and gen 3), and the reason without .NET's " : '/full/path'" after our own naming of the file.
    /// </summary>
    [Fact]
    public void An_output_on_a_full_disk_is_exit_3_for_every_verb_with_the_reason_once()
    {
        var (data, merged, gcntr) = MergedSurvey();
        string bad = _s.Write("bad.csv", "cntr,scan_key,ra,dec\n1,1,10,0\n2,2,abc,0\n");
        string full = _s.PathOf("full");
        Directory.CreateDirectory(full);
        if (!Tmpfs.Mount(full, "size=64k")) Assert.Skip("mounting a tmpfs needs root on Linux");
        try
        {
            Tmpfs.Fill(full);
            string F(string name) => Path.Combine(full, name);
            (string[] Args, string Said)[] verbs =
            [
                (["gen", "survey", "--sources", "300", "--out", F("g.csv")], $"wdb gen: cannot write '{F("g.csv")}': No space left on device"),
                (["export", merged, "--table", "groups", "--out", F("x.csv")], $"wdb export: cannot write '{F("x.csv")}': No space left on device"),
                (["export", merged, "--table", "groups", "--format", "parquet", "--out", F("x.parquet")], $"wdb export: cannot write '{F("x.parquet")}': No space left on device"),
                (["plot", merged, "--gcntr", gcntr, "--out", F("p")], $"wdb plot: cannot write plots to '{F("p")}': No space left on device : '{F("p/lightcurve.svg")}'"),
                (["validate", bad, "--rejects", F("r.csv")], $"wdb validate: cannot write '{F("r.csv")}': No space left on device"),
                (["calibrate", merged, "--labels", "truth", "--out", F("model.json"), "--quiet"], $"wdb calibrate: cannot write '{F("model.json")}': No space left on device"),
                (["merge", data, "--out", F("m"), "--quiet"], $"wdb merge: cannot write output to '{F("m")}': No space left on device"),
                (["cluster", "plan", data, "--out", F("c"), "--work", F("w"), "--tasks", "2", "--quiet"], $"wdb cluster plan: cannot"),
            ];
            foreach (var (args, said) in verbs)
            {
                var run = WdbProcess.Run(args);
                string line = run.Stderr.Split('\n').Single(l => l.Length > 0 && !l.Contains("warning:"));
                Assert.True(run.Exit == 3, $"{string.Join(' ', args)}: exit {run.Exit}: {run.Stderr}");
                Assert.StartsWith(said, line);
                Assert.Equal(["filler"], Directory.GetFileSystemEntries(full).Select(Path.GetFileName));
            }
        }
        finally { Tmpfs.Unmount(full); }
    }

    /// <summary>A read-only disk (permission, as root can have it): exit 3 as for a full one.</summary>
    [Fact]
    public void An_output_on_a_read_only_disk_is_exit_3()
    {
        var (_, merged, gcntr) = MergedSurvey();
        string ro = _s.PathOf("ro");
        Directory.CreateDirectory(ro);
        if (!Tmpfs.Mount(ro, "ro,size=64k")) Assert.Skip("mounting a tmpfs needs root on Linux");
        try
        {
            foreach (var args in new[]
                     {
                         new[] { "export", merged, "--table", "groups", "--out", Path.Combine(ro, "x.csv") },
                         ["plot", merged, "--gcntr", gcntr, "--out", Path.Combine(ro, "p")],
                         ["gen", "survey", "--sources", "10", "--out", Path.Combine(ro, "g.csv")],
                     })
            {
                var run = WdbProcess.Run(args);
                Assert.True(run.Exit == 3, $"{string.Join(' ', args)}: exit {run.Exit}: {run.Stderr}");
                Assert.Contains("Read-only file system", run.Stderr);
            }
        }
        finally { Tmpfs.Unmount(ro); }
    }

    /// <summary>
    /// A zone merge whose spill fills the disk names where the user put it (--spill-dir, or beside --out), not the spill's
    /// own directory, removed by the time the message is read.
    /// </summary>
    [Fact]
    public void A_full_spill_names_the_place_the_user_gave_not_the_removed_spill()
    {
        var (data, _, _) = MergedSurvey();
        string full = _s.PathOf("full");
        Directory.CreateDirectory(full);
        if (!Tmpfs.Mount(full, "size=64k")) Assert.Skip("mounting a tmpfs needs root on Linux");
        try
        {
            Tmpfs.Fill(full);
            string spillDir = Path.Combine(full, "spill"), besideOut = Path.Combine(full, "m");
            var under = WdbProcess.Run("merge", data, "--out", _s.PathOf("m"), "--zone-rows", "200", "--spill-dir", spillDir, "--quiet");
            Assert.Equal(3, under.Exit);
            Assert.Equal($"wdb merge: cannot spill the zones under --spill-dir '{spillDir}' (the spill was removed): No space left on device", under.Stderr.TrimEnd());
            var beside = WdbProcess.Run("merge", data, "--out", besideOut, "--zone-rows", "200", "--quiet");
            Assert.Equal(3, beside.Exit);
            Assert.Equal($"wdb merge: cannot spill the zones beside --out '{besideOut}' (the spill was removed): No space left on device", beside.Stderr.TrimEnd());
            Assert.Equal(["filler"], Directory.GetFileSystemEntries(full).Select(Path.GetFileName));
        }
        finally { Tmpfs.Unmount(full); }
    }

    /// <summary>A --spill-dir on a read-only disk: the spill could not be made, so the line does not say it was removed.</summary>
    [Fact]
    public void A_spill_dir_that_cannot_be_made_says_so()
    {
        var (data, _, _) = MergedSurvey();
        string ro = _s.PathOf("ro");
        Directory.CreateDirectory(ro);
        if (!Tmpfs.Mount(ro, "ro,size=64k")) Assert.Skip("mounting a tmpfs needs root on Linux");
        try
        {
            string spillDir = Path.Combine(ro, "a", "spill"), outDir = _s.PathOf("m");
            var run = WdbProcess.Run("merge", data, "--out", outDir, "--zone-rows", "200", "--spill-dir", spillDir, "--quiet");
            Assert.Equal(3, run.Exit);
            Assert.Equal($"wdb merge: cannot spill the zones under --spill-dir '{spillDir}' (the spill could not be made): " +
                         $"Read-only file system : '{Path.Combine(ro, "a")}'", run.Stderr.TrimEnd());
            Assert.False(Directory.Exists(outDir));
        }
        finally { Tmpfs.Unmount(ro); }
    }

    /// <summary>
    /// A spill whose disk fills only as its files' last bytes go to it (each holds up to 4 MiB for a direct write, which
    /// the table writer sent as it read the runs back): the spill's failure in the user's words, where it was "cannot
    /// write output to 'm': spill file '.../out/groups.run'", a file removed by the time the message is read.
    /// </summary>
    [Fact]
    public void A_spill_that_fills_its_disk_at_its_last_bytes_names_the_place_the_user_gave()
    {
        string data = _s.PathOf("survey.csv");
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "2000", "--seed", "1", "--out", data).Exit);
        string full = _s.PathOf("full");
        Directory.CreateDirectory(full);
        // Room for the partition's runs and the zones' appends (~1.4 MB spilled in all), not for their last bytes.
        if (!Tmpfs.Mount(full, "size=1000k")) Assert.Skip("mounting a tmpfs needs root on Linux");
        try
        {
            string spillDir = Path.Combine(full, "spill"), outDir = _s.PathOf("m");
            var run = WdbProcess.Run("merge", data, "--out", outDir, "--zone-rows", "200", "--spill-dir", spillDir, "--quiet");
            Assert.Equal(3, run.Exit);
            Assert.Equal($"wdb merge: cannot spill the zones under --spill-dir '{spillDir}' (the spill was removed): No space left on device", run.Stderr.TrimEnd());
            Assert.Empty(Directory.GetFileSystemEntries(full));
            Assert.False(Directory.Exists(outDir));
        }
        finally { Tmpfs.Unmount(full); }
    }

    /// <summary>
    /// evaluate's own merge on a TMPDIR with room for the generated data but not for the merge: the line says where it
    /// was writing and that TMPDIR chooses it (it named only a temporary output the user never gave).
    /// </summary>
    [Fact]
    public void Evaluate_whose_merge_fills_TMPDIR_says_so()
    {
        string tmp = _s.PathOf("tmp");
        Directory.CreateDirectory(tmp);
        if (!Tmpfs.Mount(tmp, "size=512k")) Assert.Skip("mounting a tmpfs needs root on Linux");
        try
        {
            using var p = WdbProcess.StartWith(new Dictionary<string, string> { ["TMPDIR"] = tmp }, "evaluate", "survey", "--sources", "1000", "--device", "cpu");
            string stdout = p.StandardOutput.ReadToEnd(), err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.Equal(3, p.ExitCode);
            Assert.Equal($"wdb evaluate: cannot merge the generated data under '{tmp}/' (TMPDIR chooses where; set it to a disk with room): No space left on device",
                err.TrimEnd());
            Assert.Equal("", stdout);
            Assert.Empty(Directory.GetFileSystemEntries(tmp));
        }
        finally { Tmpfs.Unmount(tmp); }
    }

    /// <summary>
    /// associate matching zone by zone (a catalogue over --memory) with a full or read-only TMPDIR: an unwritable place,
    /// exit 3, said where and that TMPDIR chooses it, where it was exit 2 naming a spill file under it. A full standard
    /// output is standard output's, where it too was taken for the spill's (exit 2).
    /// </summary>
    [Fact]
    public void Associate_by_zones_with_an_unwritable_TMPDIR_says_so_and_exits_3()
    {
        var (data, merged, _) = MergedSurvey();
        string catalogue = _s.Write("cat.csv", "ra,dec\n" + string.Join("\n", File.ReadLines(data).Skip(1).Take(100).Select(l => string.Join(',', l.Split(',')[2..4]))) + "\n");
        string full = _s.PathOf("full"), ro = _s.PathOf("ro");
        Directory.CreateDirectory(full);
        Directory.CreateDirectory(ro);
        if (!Tmpfs.Mount(full, "size=64k")) Assert.Skip("mounting a tmpfs needs root on Linux");
        try
        {
            Assert.True(Tmpfs.Mount(ro, "ro,size=64k"));
            Tmpfs.Fill(full);
            foreach (var (tmp, reason) in new[] { (full, "No space left on device"), (ro, "Read-only file system") })
            {
                using var p = WdbProcess.StartWith(new Dictionary<string, string> { ["TMPDIR"] = tmp }, "associate", merged, catalogue, "--memory", "1", "--quiet");
                string stdout = p.StandardOutput.ReadToEnd(), err = p.StandardError.ReadToEnd();
                p.WaitForExit();
                Assert.True(p.ExitCode == 3, $"TMPDIR={tmp}: exit {p.ExitCode}: {err}");
                Assert.Equal($"wdb associate: cannot match the catalogue zone by zone under '{tmp}/' (TMPDIR chooses where; set it to a disk with room): {reason}",
                    err.TrimEnd());
                Assert.Equal("", stdout);
            }
            Assert.Equal(["filler"], Directory.GetFileSystemEntries(full).Select(Path.GetFileName));
        }
        finally
        {
            Tmpfs.Unmount(ro);
            Tmpfs.Unmount(full);
        }
        if (!File.Exists("/dev/full")) return;
        var (exit, stderr) = WdbProcess.RunWithStdoutTo("/dev/full", "associate", merged, catalogue, "--memory", "1", "--quiet");
        Assert.Equal(3, exit);
        Assert.Equal("wdb associate: cannot write to standard output: No space left on device", stderr.TrimEnd());
    }

    /// <summary>A generated survey and its merge, with the gcntr of its first group.</summary>
    private (string Data, string Merged, string Gcntr) MergedSurvey()
    {
        string data = _s.PathOf("survey.csv"), merged = _s.PathOf("merged");
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "300", "--seed", "1", "--out", data).Exit);
        Assert.Equal(0, WdbProcess.Run("merge", data, "--out", merged, "--quiet").Exit);
        var groups = WdbProcess.Run("export", merged, "--table", "groups", "--out", "-");
        return (data, merged, groups.Stdout.Split('\n')[1].Split(',')[0]);
    }
}
