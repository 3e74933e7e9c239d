using System.Diagnostics;
using Wdb.IO;
using Wdb.Merge;
using Wdb.Merge.Streaming;
using static Wdb.Tests.Robustness.RobustSupport;

namespace Wdb.Tests.Pipeline;

/// <summary>
/// A cluster's steps as a Slurm site meets them: a stitch stopped by its time limit, a work directory moved after the
/// plan, a task's outputs damaged or removed before the stitch. What is left behind, and what each message tells the
/// user to do next.
/// </summary>
public sealed class ClusterStopTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    private static MergeOptions Options(string input, string outDir) => new()
    {
        Inputs = [input], OutDir = outDir, Device = "cpu", Threads = 1,
    };

    /// <summary>A plan of <paramref name="tasks"/> tasks, every one of them run: ready for the stitch.</summary>
    private string Planned(int sources, int tasks, string work, string outDir)
    {
        string input = _s.PathOf("sky.csv");
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, sources, 31), input);
        var plan = ClusterMerge.Plan(Options(input, outDir), work, tasks, "wdb");
        Assert.Null(plan.Error);
        for (int t = 0; t < Convert.ToInt32(plan.Summary!.Parameters["cluster_tasks"]); t++)
            Assert.Null(ClusterMerge.Task(work, t, threads: 1).Error);
        return input;
    }

    [Fact]
    public void A_stitch_stopped_by_a_signal_takes_its_scratch_directory_with_it()
    {
        if (OperatingSystem.IsWindows()) return;   // kill -TERM: POSIX signals
        string work = _s.PathOf("work"), outDir = _s.PathOf("out");
        // Large enough, on one thread, that the stitch is still at work when the signal comes.
        Planned(300_000, 3, work, outDir);
        using var p = WdbProcess.Start("cluster", "stitch", "--work", work, "--threads", "1", "--quiet");
        var watch = Stopwatch.StartNew();
        // Once its output runs' directory is made inside its scratch: the stitch is under way.
        while (!p.HasExited && watch.ElapsedMilliseconds < 30_000 && !Directory.GetDirectories(work, "stitch-*").Any(d => Directory.Exists(Path.Combine(d, "out"))))
            Thread.Sleep(2);
        Assert.False(p.HasExited, "the stitch ended before it could be signalled");
        using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(Inv)])) kill.WaitForExit();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 143, $"exit {p.ExitCode}: {err}");
        Assert.Contains("wdb: stopped by SIGTERM; its temporary files were removed", err);
        Assert.Empty(Directory.GetFileSystemEntries(work, "stitch-*"));
        Assert.Empty(Directory.GetFileSystemEntries(_s.Dir, "out.*"));
    }
    /// <summary>
    /// A plan stopped by a signal (Ctrl-C, a login node's time limit) removes what it wrote, as a plan that fails does: a
    /// work directory it made goes, one that was there (empty) is left empty, and a plan can start there again at once.
    /// </summary>
    [Fact]
    public void A_plan_stopped_by_a_signal_leaves_no_work_directory_or_an_empty_one()
    {
        if (OperatingSystem.IsWindows()) return;   // kill -TERM: POSIX signals
        string input = _s.PathOf("sky.csv");
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, 300_000, 33), input);
        string existing = _s.PathOf("was-there");
        Directory.CreateDirectory(existing);
        foreach (string work in new[] { _s.PathOf("new-work"), existing })
        {
            using var p = WdbProcess.Start("cluster", "plan", input, "--out", _s.PathOf("out"), "--work", work, "--tasks", "4",
                "--threads", "1", "--quiet");
            var watch = Stopwatch.StartNew();
            while (!p.HasExited && watch.ElapsedMilliseconds < 30_000 && !Directory.Exists(Path.Combine(work, "rows"))) Thread.Sleep(2);
            Assert.False(p.HasExited, "the plan ended before it could be signalled");
            using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(Inv)])) kill.WaitForExit();
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 143, $"exit {p.ExitCode}: {err}");
            Assert.Contains("wdb: stopped by SIGTERM; its temporary files were removed", err);
            if (work == existing) Assert.Empty(Directory.EnumerateFileSystemEntries(work));
            else Assert.False(Directory.Exists(work), Directory.Exists(work) ? $"left: {string.Join(", ", Directory.EnumerateFileSystemEntries(work))}" : "");
        }
    }

    /// <summary>
    /// A task's outputs removed, cut short or changed after it finished (a node that died writing over NFS, a byte flipped,
    /// a file cleaned away): the stitch stops, names the file, and says which task to run again; that task run again
    /// mends it. A plan's file damaged: the task says to plan again, as nothing else mends it.
    /// </summary>
    [Fact]
    public void A_damaged_task_output_or_plan_file_is_refused_with_the_step_that_mends_it()
    {
        string work = _s.PathOf("work"), outDir = _s.PathOf("out");
        Planned(3000, 3, work, outDir);
        string Task(int t, params string[] path) => Path.Combine([work, "tasks", t.ToString(), .. path]);
        var damages = new (int Task, string What, Action Damage)[]
        {
            (1, "a run removed", () => File.Delete(Task(1, "out", "members.run"))),
            (2, "open rows cut short", () => { using var f = new FileStream(Task(2, "open", "rows.run"), FileMode.Open); f.SetLength(f.Length / 2); }),
            (0, "a byte changed", () => Flip(Task(0, "out", "groups.run"))),
            (1, "its summary removed", () => File.Delete(Task(1, "summary.json"))),
            (2, "its open rows removed", () => Directory.Delete(Task(2, "open"), recursive: true)),
        };
        foreach (var (task, what, damage) in damages)
        {
            damage();
            var refused = ClusterMerge.Stitch(work, threads: 1);
            Assert.True(refused.ExitCode == MergeJob.OutputErrorExit, $"{what}: exit {refused.ExitCode}: {refused.Error}");
            Assert.DoesNotContain("\n", refused.Error);
            Assert.EndsWith($"run task {task} again (wdb cluster task --work {work} --task {task}), then the stitch", refused.Error);
            Assert.False(Directory.Exists(outDir), $"{what}: the stitch wrote its output");
            Assert.Null(ClusterMerge.Task(work, task, threads: 1).Error);
        }
        Assert.Null(ClusterMerge.Stitch(work, threads: 1).Error);

        foreach (string planFile in new[] { Path.Combine(work, "footprints.bin"), Path.Combine(work, "rows", "rows.run") })
        {
            Flip(planFile);
            var task = ClusterMerge.Task(work, 1, threads: 1);
            Assert.True(task.ExitCode == MergeJob.OutputErrorExit, $"{planFile}: exit {task.ExitCode}: {task.Error}");
            Assert.Contains(planFile, task.Error);
            Assert.EndsWith($"the plan's files are damaged: remove '{work}' and plan again", task.Error);
            Flip(planFile);
        }
    }

    /// <summary>
    /// A task whose disk fills up as it saves its outputs: one line naming the task's directory (not the partial one it
    /// worked in, which is gone), saying so, and telling to run it again; nothing of it is left, and a run with room
    /// works. /dev/full stands in for the full disk under the task's summary checksum, the last file it writes.
    /// </summary>
    [Fact]
    public void A_task_on_a_full_disk_names_its_directory_and_leaves_nothing()
    {
        if (!File.Exists("/dev/full")) Assert.Skip("needs /dev/full");
        string work = _s.PathOf("work"), outDir = _s.PathOf("out");
        string input = _s.PathOf("sky.csv");
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, 2000, 31), input);
        Assert.Null(ClusterMerge.Plan(Options(input, outDir), work, 2, "wdb").Error);
        string tasks = Path.Combine(work, "tasks");
        var full = new FullDiskAtStart(() => File.CreateSymbolicLink(
            Path.Combine(Directory.GetDirectories(tasks, "1.partial-*").Single(), "summary.json.xxh3.partial"), "/dev/full"));

        var failed = ClusterMerge.Task(work, 1, threads: 1, progress: full);

        Assert.True(failed.ExitCode == MergeJob.OutputErrorExit, $"exit {failed.ExitCode}: {failed.Error}");
        Assert.DoesNotContain("\n", failed.Error);
        Assert.StartsWith($"task 1: No space left on device : '{Path.Combine(tasks, "1", "summary.json.xxh3")}'", failed.Error);
        Assert.EndsWith($"run task 1 again (wdb cluster task --work {work} --task 1), then the stitch", failed.Error);
        Assert.Empty(Directory.GetFileSystemEntries(tasks));
        Assert.Null(ClusterMerge.Task(work, 1, threads: 1).Error);
    }

    /// <summary>A progress watcher that, at the first stage, makes the disk full where the test says.</summary>
    private sealed class FullDiskAtStart(Action fill) : IMergeProgress
    {
        private bool _filled;

        public void Stage(string name, Func<long>? rowsDone, long rowsExpected)
        {
            if (_filled) return;
            _filled = true;
            fill();
        }

        public void Done() { }
    }

    /// <summary>A plan.json changed or cut short after the plan: every step stops, and says to plan again.</summary>
    [Fact]
    public void A_changed_plan_is_refused_by_every_step_with_plan_again()
    {
        string work = _s.PathOf("work"), outDir = _s.PathOf("out");
        Planned(2000, 2, work, outDir);
        string plan = Path.Combine(work, "plan.json");
        File.WriteAllText(plan, File.ReadAllText(plan).Replace("\"rows\": ", "\"rows\": 1"));
        var refusals = new[]
        {
            ClusterMerge.Task(work, 0, threads: 1), ClusterMerge.Stitch(work, threads: 1), ClusterMerge.Status(work).Refused!,
        };
        foreach (var refused in refusals)
        {
            Assert.Equal(MergeJob.OutputErrorExit, refused.ExitCode);
            Assert.Contains(plan, refused.Error);
            Assert.EndsWith($"remove '{work}' and plan again", refused.Error);
        }
        Assert.False(Directory.Exists(outDir));
    }

    /// <summary>
    /// A work directory moved after the plan (or reached by another path): its scripts run the plan where it is now,
    /// not where it was made. run-here.sh finds it above itself; submit.sh hands it to both jobs, whose scripts Slurm
    /// runs from a copy of its own.
    /// </summary>
    [Fact]
    public void The_scripts_of_a_work_directory_moved_after_the_plan_run_it_where_it_is()
    {
        if (OperatingSystem.IsWindows()) return;   // sh scripts
        string work = _s.PathOf("work"), outDir = _s.PathOf("out"), whole = _s.PathOf("whole");
        string input = _s.PathOf("sky.csv");
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, 3000, 32), input);
        Assert.Null(MergeJob.Run(Options(input, whole)).Error);
        Assert.Null(ClusterMerge.Plan(Options(input, outDir), work, 3, WdbProcess.ShellCommand()).Error);
        string moved = _s.PathOf("moved work");
        Directory.Move(work, moved);

        var here = Script(Path.Combine(moved, "slurm", "run-here.sh"), []);
        Assert.True(here.Exit == 0, here.Stderr);
        foreach (string table in new[] { "groups.fb", "members.fb", "extractions.fb", "rejects.csv" })
            Assert.True(Sha256(Path.Combine(whole, table)) == Sha256(Path.Combine(outDir, table)), table);

        // submit.sh against a stand-in sbatch that records its arguments, one per line, and answers a job id.
        string bin = _s.PathOf("bin"), calls = _s.PathOf("sbatch-calls.txt");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "sbatch"), $"#!/bin/sh\nprintf '%s|' \"$@\" >> '{calls}'\necho >> '{calls}'\necho 1001\n");
        File.SetUnixFileMode(Path.Combine(bin, "sbatch"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var submitted = Script(Path.Combine(moved, "slurm", "submit.sh"), [("PATH", $"{bin}:{Environment.GetEnvironmentVariable("PATH")}")]);
        Assert.True(submitted.Exit == 0, submitted.Stderr);
        Assert.Equal([$"--parsable|tasks.sbatch|{moved}|", $"--parsable|--dependency=afterok:1001|stitch.sbatch|{moved}|"], File.ReadAllLines(calls));
        // What Slurm runs: the scripts with the argument submit.sh gave them.
        var task = Script(Path.Combine(moved, "slurm", "tasks.sbatch"), [("SLURM_ARRAY_TASK_ID", "1")], moved);
        Assert.True(task.Exit == 0, task.Stderr);
        var stitch = Script(Path.Combine(moved, "slurm", "stitch.sbatch"), [], moved);
        Assert.True(stitch.Exit == 0, stitch.Stderr);
    }

    private static (int Exit, string Stderr) Script(string script, (string Name, string Value)[] env, params string[] args) =>
        WdbProcess.RunProgram("/bin/sh", [script, .. args], null, env);

    private static void Flip(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        f.Position = f.Length / 2;
        int b = f.ReadByte();
        f.Position = f.Length / 2;
        f.WriteByte((byte)(b ^ 0x5A));
    }
}
