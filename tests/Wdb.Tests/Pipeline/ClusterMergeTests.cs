using System.Diagnostics;
using System.Text.Json;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;
using Wdb.Merge.Streaming;
using static Wdb.Tests.Robustness.RobustSupport;

namespace Wdb.Tests.Pipeline;

/// <summary>
/// The merge over many machines (docs/cluster.md): a plan, its tasks run in any order (each its own call, as
/// separate processes would run them), and the stitch write the bytes of the single-machine merge.
/// </summary>
public sealed class ClusterMergeTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    private static readonly string[] ComparedCounts =
        ["rows_read", "rows_merged", "rows_rejected", "candidate_groups", "groups", "confused_candidate_groups", "unresolved_candidate_groups"];

    private static MergeOptions Options(IReadOnlyList<string> inputs, string outDir, FilterOptions? filters = null, int threads = 2) => new()
    {
        Inputs = inputs, OutDir = outDir, Device = "cpu", Threads = threads, Filters = filters ?? new FilterOptions(),
    };

    /// <summary>Plan, every task in the order given, stitch; the plan's outcome.</summary>
    private MergeOutcome RunCluster(MergeOptions options, string work, int tasks, Func<int, IEnumerable<int>>? order = null,
        string? taskDevice = null)
    {
        var plan = ClusterMerge.Plan(options, work, tasks, "wdb");
        Assert.Null(plan.Error);
        int made = Convert.ToInt32(plan.Summary!.Parameters["cluster_tasks"]);
        foreach (int t in (order ?? (n => Enumerable.Range(0, n)))(made))
            Assert.Null(ClusterMerge.Task(work, t, threads: 1 + t % 2, device: taskDevice).Error);
        Assert.Null(ClusterMerge.Stitch(work, threads: 2).Error);
        return plan;
    }

    [Fact]
    public void Plan_tasks_in_any_order_and_stitch_write_the_bytes_of_the_single_machine_merge()
    {
        var inputs = ZoneMergeTests.MixedInputs(_s);
        var filters = new FilterOptions(MinSnr: 6, ExcludeArtifacts: true);
        string reference = _s.PathOf("whole");
        Assert.Null(MergeJob.Run(Options(inputs, reference, filters) with { ZoneRows = 0 }).Error);
        var whole = Summary(reference);
        // The comparison must see duplicates, filtered rows, confusion and a bad row.
        Assert.Equal(3, whole.GetProperty("rejects_by_reason").GetProperty("duplicate_cntr").GetInt64());
        Assert.True(whole.GetProperty("confused_candidate_groups").GetInt64() > 0);
        Assert.True(whole.GetProperty("rejects_by_reason").EnumerateObject().Count() >= 3);

        foreach (var (tasks, reversed, device) in new[] { (1, false, "cpu"), (3, true, "cpu"), (40, true, "ilgpu-cpu"), (400, false, "cpu") })
        {
            string work = _s.PathOf($"work-{tasks}"), outDir = _s.PathOf($"cluster-{tasks}");
            var plan = RunCluster(Options(inputs, outDir, filters), work, tasks,
                reversed ? n => Enumerable.Range(0, n).Reverse() : null, device);
            int made = Convert.ToInt32(plan.Summary!.Parameters["cluster_tasks"]);
            Assert.InRange(made, Math.Min(tasks, 2), tasks);
            // Components do cross the zones' edges: the stitch has work whenever there is more than one zone.
            long open = Enumerable.Range(0, made).Sum(t => TaskSummary(work, t).GetProperty("parameters").GetProperty("open_rows").GetInt64());
            if (made > 1) Assert.True(open > 0, $"{made} tasks left no row open");
            else Assert.Equal(0, open);

            var summary = Summary(outDir);
            AssertAccounting(summary);
            foreach (string count in ComparedCounts)
                Assert.True(whole.GetProperty(count).GetInt64() == summary.GetProperty(count).GetInt64(), $"{tasks} tasks: {count}");
            Assert.Equal(ZoneMergeTests.Reasons(whole), ZoneMergeTests.Reasons(summary));
            Assert.Equal(made, summary.GetProperty("parameters").GetProperty("cluster_tasks").GetInt32());
            Assert.Contains("stitch", summary.GetProperty("stage_seconds").EnumerateObject().Select(p => p.Name));
            foreach (string file in ZoneMergeTests.ComparedFiles)
                Assert.True(Sha256(Path.Combine(reference, file)) == Sha256(Path.Combine(outDir, file)), $"{tasks} tasks: {file} differs");
            // Per file, as the single machine counts them (the reasons in any order).
            Assert.Equal(Files(whole), Files(summary));
        }
    }

    private static string[] Files(JsonElement summary) =>
        summary.GetProperty("inputs").EnumerateArray().Select(f =>
            string.Join(" ", f.EnumerateObject().Where(p => p.Name != "rejects_by_reason").Select(p => $"{p.Name}={p.Value}")) + " " +
            ZoneMergeTests.Reasons(f)).ToArray();

    private static JsonElement TaskSummary(string work, int task) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(work, "tasks", task.ToString(), "summary.json"))).RootElement;

    [Fact]
    public void A_task_run_again_replaces_its_outputs_and_the_result_is_unchanged()
    {
        var inputs = ZoneMergeTests.MixedInputs(_s, badRow: false);
        string reference = _s.PathOf("whole"), work = _s.PathOf("work"), outDir = _s.PathOf("cluster");
        Assert.Null(MergeJob.Run(Options(inputs, reference) with { ZoneRows = 0 }).Error);
        // Task 1 twice (a requeued Slurm task), the second time after the others.
        RunCluster(Options(inputs, outDir), work, 4, n => [.. Enumerable.Range(0, n), 1]);
        foreach (string file in ZoneMergeTests.ComparedFiles)
            Assert.True(Sha256(Path.Combine(reference, file)) == Sha256(Path.Combine(outDir, file)), $"{file} differs");
        // Nothing half-made is left beside the tasks' outputs.
        Assert.Equal(Enumerable.Range(0, 4).Select(t => t.ToString()).Order(),
            Directory.GetFileSystemEntries(Path.Combine(work, "tasks")).Select(Path.GetFileName).Order());

        // The same task while another run of it holds its lock (a requeue while the first still runs): refused in one
        // line, and the finished task's outputs untouched.
        string before = Sha256(Path.Combine(work, "tasks", "1", "out", "groups.run"));
        using (new FileStream(Path.Combine(work, "locks", "1.lock"), FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            var busy = ClusterMerge.Task(work, 1, threads: 2);
            Assert.Equal(MergeJob.OutputErrorExit, busy.ExitCode);
            Assert.Contains("task 1 is already running (another run holds ", busy.Error);
        }
        Assert.Equal(before, Sha256(Path.Combine(work, "tasks", "1", "out", "groups.run")));
        Assert.Null(ClusterMerge.Task(work, 1, threads: 2).Error);   // free again once the holder has gone
    }

    [Fact]
    public void Status_and_the_stitch_name_the_tasks_that_have_not_finished_and_the_stitch_writes_nothing_until_they_have()
    {
        var inputs = ZoneMergeTests.MixedInputs(_s, badRow: false);
        string work = _s.PathOf("work"), outDir = _s.PathOf("cluster");
        var plan = ClusterMerge.Plan(Options(inputs, outDir), work, 6, "wdb");
        Assert.Null(plan.Error);
        Assert.Equal(6, Convert.ToInt32(plan.Summary!.Parameters["cluster_tasks"]));
        foreach (int t in new[] { 0, 4 }) Assert.Null(ClusterMerge.Task(work, t).Error);
        // A task killed while making its outputs leaves them under another name (its next run replaces them).
        Directory.CreateDirectory(Path.Combine(work, "tasks", "2.partial-x1y2"));
        var (progress, _) = ClusterMerge.Status(work);
        Assert.Equal([0, 4], progress!.Done);
        Assert.Equal([2], progress.Killed);   // no run holds its lock
        Assert.Equal([1, 3, 5], progress.NotStarted);
        Assert.False(progress.Complete);
        var stitch = ClusterMerge.Stitch(work);
        Assert.Equal(MergeJob.InputErrorExit, stitch.ExitCode);
        Assert.Contains("4 of the plan's 6 tasks have not finished", stitch.Error);
        Assert.Contains("N = 1-3, 5", stitch.Error);
        Assert.False(Directory.Exists(outDir));

        foreach (int t in new[] { 1, 2, 3, 5 }) Assert.Null(ClusterMerge.Task(work, t).Error);
        (progress, _) = ClusterMerge.Status(work);
        Assert.True(progress!.Complete);
        Assert.Empty(progress.Killed);   // task 2's run removed what the killed one left
        Assert.Null(ClusterMerge.Stitch(work).Error);

        var beyond = ClusterMerge.Task(work, 6);
        Assert.Equal(MergeJob.InputErrorExit, beyond.ExitCode);
        Assert.Contains("tasks 0-5", beyond.Error);
    }

    /// <summary>A task's lock as its run holds it (TakeTask: exclusive, for the whole run), from the test process.</summary>
    private static FileStream HoldTaskLock(string work, int task)
    {
        Directory.CreateDirectory(Path.Combine(work, "locks"));
        return new FileStream(Path.Combine(work, "locks", $"{task}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
    }

    [Fact]
    public void Status_tells_a_running_task_from_a_killed_one_by_its_lock()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("a live holder of a task's lock is told from none only on Linux");
        var inputs = ZoneMergeTests.MixedInputs(_s, badRow: false);
        string work = _s.PathOf("work"), outDir = _s.PathOf("cluster");
        Assert.Null(ClusterMerge.Plan(Options(inputs, outDir), work, 5, "wdb").Error);
        foreach (int t in new[] { 0, 4 }) Assert.Null(ClusterMerge.Task(work, t).Error);
        // Task 1 was killed midway: its half-made outputs and its lock file are left, with no holder.
        Directory.CreateDirectory(Path.Combine(work, "tasks", "1.partial-killed00"));
        File.WriteAllText(Path.Combine(work, "locks", "1.lock"), "");
        // Task 2 runs now; task 4, finished, is being run again (a requeue).
        Directory.CreateDirectory(Path.Combine(work, "tasks", "2.partial-running0"));
        using (HoldTaskLock(work, 2))
        using (HoldTaskLock(work, 4))
        // As running tasks hold the stitch's lock: shared, which is not a stitch running.
        using (new FileStream(Path.Combine(work, "locks", "stitch.lock"), FileMode.OpenOrCreate, FileAccess.Read, FileShare.Read))
        {
            var (progress, _) = ClusterMerge.Status(work);
            Assert.Equal(LockHolder.None, progress!.Stitch);
            Assert.Equal([0], progress!.Done);
            Assert.Equal([2, 4], progress.Running);
            Assert.Equal([1], progress.Killed);
            Assert.Empty(progress.RunningOrKilled);
            Assert.Equal([3], progress.NotStarted);
            Assert.False(progress.Complete);
        }
        // Their holders gone without finishing (killed), task 2 is killed too, and task 4 is finished as before.
        var (after, _) = ClusterMerge.Status(work);
        Assert.Equal([0, 4], after!.Done);
        Assert.Empty(after.Running);
        Assert.Equal([1, 2], after.Killed);
        // The stitch holds it alone.
        using (new FileStream(Path.Combine(work, "locks", "stitch.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
            Assert.Equal(LockHolder.Live, ClusterMerge.Status(work).Progress!.Stitch);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_task_starting_while_status_looks_at_its_lock_waits_the_look_out_and_runs()
    {
        var inputs = ZoneMergeTests.MixedInputs(_s, badRow: false);
        string work = _s.PathOf("work"), outDir = _s.PathOf("cluster");
        Assert.Null(ClusterMerge.Plan(Options(inputs, outDir), work, 3, "wdb").Error);
        // Held far longer than status's probe holds it (an instant, a round trip or two over NFS), and let go.
        var held = HoldTaskLock(work, 1);
        var release = System.Threading.Tasks.Task.Delay(300, TestContext.Current.CancellationToken).ContinueWith(_ => held.Dispose(), TestContext.Current.CancellationToken);
        Assert.Null(ClusterMerge.Task(work, 1, threads: 1).Error);
        await release;
        // Status's probes, over and over, never refuse the tasks running beside them.
        using var stop = new CancellationTokenSource();
        var probing = System.Threading.Tasks.Task.Run(() => { while (!stop.IsCancellationRequested) ClusterMerge.Status(work); }, TestContext.Current.CancellationToken);
        foreach (int t in new[] { 0, 2, 1 }) Assert.Null(ClusterMerge.Task(work, t, threads: 1).Error);
        stop.Cancel();
        await probing;
        Assert.True(ClusterMerge.Status(work).Progress!.Complete);
    }

    /// <summary>A progress display that runs <see cref="At"/> once, when the step announces a stage whose name starts with <see cref="Name"/>.</summary>
    private sealed class AtStage(string name, Action at) : IMergeProgress
    {
        private bool _ran;

        public void Stage(string stage, Func<long>? rowsDone, long rowsExpected)
        {
            if (_ran || !stage.StartsWith(name, StringComparison.Ordinal)) return;
            _ran = true;
            at();
        }

        public void Done() { }
    }

    [Fact]
    public void A_task_run_while_the_stitch_runs_is_refused_and_a_stitch_while_a_task_runs()
    {
        var inputs = ZoneMergeTests.MixedInputs(_s, badRow: false);
        string reference = _s.PathOf("whole"), work = _s.PathOf("work"), outDir = _s.PathOf("cluster");
        Assert.Null(MergeJob.Run(Options(inputs, reference) with { ZoneRows = 0 }).Error);
        Assert.Null(ClusterMerge.Plan(Options(inputs, outDir), work, 3, "wdb").Error);
        foreach (int t in new[] { 0, 2 }) Assert.Null(ClusterMerge.Task(work, t, threads: 1).Error);

        // The stitch started while task 1 runs (the last of the array, or by hand): refused, naming the task.
        MergeOutcome? stitchMeanwhile = null;
        Assert.Null(ClusterMerge.Task(work, 1, threads: 1, progress: new AtStage("task 1: merge zone", () => stitchMeanwhile = ClusterMerge.Stitch(work))).Error);
        Assert.Equal(MergeJob.OutputErrorExit, stitchMeanwhile!.ExitCode);
        string stitchLock = Path.Combine(work, "locks", "stitch.lock");
        Assert.Equal($"the stitch cannot start while task 1 of '{work}' runs (holding '{stitchLock}'): wait for it to end, then run the stitch",
            stitchMeanwhile.Error);
        Assert.False(Directory.Exists(outDir));

        // Task 1 run again while the stitch reads the tasks' outputs (a scheduler's requeue): refused, its outputs untouched.
        string before = Sha256(Path.Combine(work, "tasks", "1", "out", "groups.run"));
        MergeOutcome? taskMeanwhile = null;
        Assert.Null(ClusterMerge.Stitch(work, threads: 2, progress: new AtStage("stitch", () =>
        {
            taskMeanwhile = ClusterMerge.Task(work, 1, threads: 1);
            Assert.Equal(before, Sha256(Path.Combine(work, "tasks", "1", "out", "groups.run")));
        })).Error);
        Assert.Equal(MergeJob.OutputErrorExit, taskMeanwhile!.ExitCode);
        Assert.StartsWith($"task 1 cannot run while the stitch reads the tasks' outputs in '{work}' (it holds '{stitchLock}'): wait for the stitch to end",
            taskMeanwhile.Error);
        Assert.DoesNotContain(Directory.GetDirectories(Path.Combine(work, "tasks")), d => d.Contains(".partial-"));
        foreach (string file in ZoneMergeTests.ComparedFiles)
            Assert.True(Sha256(Path.Combine(reference, file)) == Sha256(Path.Combine(outDir, file)), $"{file} differs");
        // Once the stitch has ended, the task runs again (its outputs replaced, for a stitch after it).
        Assert.Null(ClusterMerge.Task(work, 1, threads: 1).Error);
    }

    [Fact]
    public void A_task_output_cut_short_stops_the_stitch_with_its_path_and_nothing_is_written()
    {
        var inputs = ZoneMergeTests.MixedInputs(_s, badRow: false);
        string work = _s.PathOf("work"), outDir = _s.PathOf("cluster");
        Assert.Null(ClusterMerge.Plan(Options(inputs, outDir), work, 3, "wdb").Error);
        for (int t = 0; t < 3; t++) Assert.Null(ClusterMerge.Task(work, t).Error);
        string runs = Path.Combine(work, "tasks", "1", "out", "extractions.run");
        File.WriteAllBytes(runs, File.ReadAllBytes(runs)[..100]);
        var stitch = ClusterMerge.Stitch(work);
        Assert.Equal(MergeJob.OutputErrorExit, stitch.ExitCode);
        Assert.Contains($"'{runs}' is shorter than its index says", stitch.Error);
        Assert.False(Directory.Exists(outDir));
        // The stitch's own scratch is gone too.
        Assert.Empty(Directory.GetDirectories(work, "stitch-*"));

        // A task's summary cut short: the same, naming it.
        Assert.Null(ClusterMerge.Task(work, 1).Error);
        string summary = Path.Combine(work, "tasks", "2", "summary.json");
        File.WriteAllText(summary, "{ \"rows_read\": ");
        var broken = ClusterMerge.Stitch(work);
        Assert.Equal(MergeJob.OutputErrorExit, broken.ExitCode);
        Assert.Contains($"'{summary}' was corrupted or changed since it was written", broken.Error);
        // The command prefixes "wdb cluster stitch: " once; the message names the file first.
        Assert.StartsWith($"'{summary}'", broken.Error);
        Assert.False(Directory.Exists(outDir));
        // And the plan's own file.
        File.WriteAllText(Path.Combine(work, "plan.json"), "[");
        Assert.Contains("plan.json' was corrupted or changed since it was written", ClusterMerge.Stitch(work).Error);
    }

    /// <summary>
    /// A byte changed in a file of the work directory, its size kept (a flip on NFS, a file written over): the task or the
    /// stitch that reads it stops with its path, exit 3 as for a file cut short, and writes nothing. It ended in exit 0
    /// and wrong tables (a cgid of 4294967295) that verify passed. The same files restored pass.
    /// </summary>
    [Fact]
    public void A_byte_changed_in_the_plans_rows_or_a_tasks_runs_stops_the_task_or_the_stitch_with_its_path()
    {
        var inputs = ZoneMergeTests.MixedInputs(_s, badRow: false);
        string work = _s.PathOf("work"), outDir = _s.PathOf("cluster");
        Assert.Null(ClusterMerge.Plan(Options(inputs, outDir), work, 3, "wdb").Error);

        // The plan's partition: a task reading the changed rows fails and leaves no tasks/N.
        string rows = Path.Combine(work, "rows", "rows.run");
        Flip(rows, new FileInfo(rows).Length / 2);
        var failed = Enumerable.Range(0, 3).Select(t => (Task: t, Outcome: ClusterMerge.Task(work, t))).Where(t => t.Outcome.Error is not null).ToList();
        Assert.NotEmpty(failed);
        foreach (var (task, outcome) in failed)
        {
            Assert.Equal(MergeJob.OutputErrorExit, outcome.ExitCode);
            Assert.Contains($"'{rows}' was corrupted or changed since it was written", outcome.Error);
            Assert.DoesNotContain('\n', outcome.Error!);
            Assert.False(Directory.Exists(Path.Combine(work, "tasks", task.ToString())));
        }
        Flip(rows, new FileInfo(rows).Length / 2);

        // The small files every task reads: the runs' index (a header byte gave a task an index out of range and a stack
        // trace) and the scan footprints (a changed byte changed spos and the scores, exit 0). Sealed with a checksum.
        foreach (var (file, at) in new[] { (Path.Combine(work, "rows", "rows.index"), 22L), (Path.Combine(work, "footprints.bin"), 100L) })
        {
            Flip(file, at);
            var refused = ClusterMerge.Task(work, 0);
            Assert.Equal(MergeJob.OutputErrorExit, refused.ExitCode);
            Assert.Contains($"'{file}' was corrupted or changed since it was written", refused.Error);
            Assert.False(Directory.Exists(Path.Combine(work, "tasks", "0")));
            Flip(file, at);
        }
        for (int t = 0; t < 3; t++) Assert.Null(ClusterMerge.Task(work, t).Error);

        // A task's output runs, and its open rows: the stitch fails naming the file.
        string extractions = Path.Combine(work, "tasks", "1", "out", "extractions.run");
        string open = Enumerable.Range(0, 3).Select(t => Path.Combine(work, "tasks", t.ToString(), "open", "rows.run"))
            .First(f => File.Exists(f) && new FileInfo(f).Length > 0);
        var before = Directory.GetFileSystemEntries(_s.PathOf(".")).Order().ToList();
        foreach (string file in new[] { extractions, open })
        {
            long at = new FileInfo(file).Length / 3;
            Flip(file, at);
            var stitch = ClusterMerge.Stitch(work);
            Assert.Equal(MergeJob.OutputErrorExit, stitch.ExitCode);
            Assert.Contains($"'{file}' was corrupted or changed since it was written", stitch.Error);
            Assert.False(Directory.Exists(outDir));
            Assert.Empty(Directory.GetDirectories(work, "stitch-*"));
            Assert.Equal(before, Directory.GetFileSystemEntries(_s.PathOf(".")).Order().ToList());   // no temporary sibling of --out left
            Flip(file, at);
        }
        Assert.Null(ClusterMerge.Stitch(work).Error);
    }

    /// <summary>
    /// A count changed in plan.json or in a task's summary.json (edited, or a digit changed on NFS): the stitch added the
    /// tasks' counts unchecked, so the final summary.json disagreed with the tables, exit 0. Each JSON file has an
    /// XxHash3 beside it (NAME.xxh3): the task or the stitch that reads it stops with its path, exit 3, and writes
    /// nothing. The same files restored pass.
    /// </summary>
    [Fact]
    public void A_count_changed_in_the_plan_or_a_tasks_summary_stops_the_task_or_the_stitch_with_its_path()
    {
        var inputs = ZoneMergeTests.MixedInputs(_s, badRow: false);
        string work = _s.PathOf("work"), outDir = _s.PathOf("cluster");
        Assert.Null(ClusterMerge.Plan(Options(inputs, outDir), work, 3, "wdb").Error);
        string plan = Path.Combine(work, "plan.json");
        byte[] planBytes = File.ReadAllBytes(plan);

        // The plan's rows_read, one more: a task fails naming plan.json and leaves no tasks/N.
        AddOne(plan, "rows_read");
        var task = ClusterMerge.Task(work, 0);
        AssertChanged(task, plan);
        Assert.False(Directory.Exists(Path.Combine(work, "tasks", "0")));
        File.WriteAllBytes(plan, planBytes);
        for (int t = 0; t < 3; t++) Assert.Null(ClusterMerge.Task(work, t).Error);

        AddOne(plan, "rows_read");
        AssertStitchWroteNothing(work, outDir, plan);
        File.WriteAllBytes(plan, planBytes);

        // A task's groups, one more.
        string summary = Path.Combine(work, "tasks", "1", "summary.json");
        byte[] summaryBytes = File.ReadAllBytes(summary);
        AddOne(summary, "groups");
        AssertStitchWroteNothing(work, outDir, summary);
        File.WriteAllBytes(summary, summaryBytes);

        var stitch = ClusterMerge.Stitch(work);
        Assert.Null(stitch.Error);
        using var reader = OutputReader.Open(outDir);
        Assert.Equal(Summary(outDir).GetProperty("groups").GetInt64(), reader.Groups().LongCount());
    }

    /// <summary>
    /// A checksum file gone (a task's directory or a plan of an older wdb, or one removed): the file is not read
    /// unchecked. A plan of the layout before the checksums is told to plan again, as any older plan is.
    /// </summary>
    [Fact]
    public void A_plan_or_a_tasks_summary_without_its_checksum_file_is_refused()
    {
        var inputs = ZoneMergeTests.MixedInputs(_s, badRow: false);
        string work = _s.PathOf("work"), outDir = _s.PathOf("cluster");
        Assert.Null(ClusterMerge.Plan(Options(inputs, outDir), work, 2, "wdb").Error);
        for (int t = 0; t < 2; t++) Assert.Null(ClusterMerge.Task(work, t).Error);

        string summary = Path.Combine(work, "tasks", "1", "summary.json");
        File.Move(summary + ".xxh3", summary + ".kept");
        var stitch = AssertStitchWroteNothing(work, outDir, summary, changed: false);
        Assert.Contains($"'{summary}.xxh3' is missing", stitch.Error);
        File.Move(summary + ".kept", summary + ".xxh3");

        string plan = Path.Combine(work, "plan.json");
        File.Move(plan + ".xxh3", plan + ".kept");
        var task = ClusterMerge.Task(work, 0);
        Assert.Equal(MergeJob.OutputErrorExit, task.ExitCode);
        Assert.Contains($"'{plan}.xxh3' is missing", task.Error);
        Assert.Contains($"'{plan}.xxh3' is missing", AssertStitchWroteNothing(work, outDir, plan, changed: false).Error);

        // A plan of layout 3, the last without checksum files.
        string text = File.ReadAllText(plan);
        File.WriteAllText(plan, System.Text.RegularExpressions.Regex.Replace(text, "\"layout\": \\d+", "\"layout\": 3"));
        var older = ClusterMerge.Task(work, 0);
        Assert.Equal(MergeJob.InputErrorExit, older.ExitCode);
        Assert.Contains("a plan of layout 3 where this wdb reads layout", older.Error);
        Assert.Contains("plan again", older.Error);

        File.WriteAllText(plan, text);
        File.Move(plan + ".kept", plan + ".xxh3");
        Assert.Null(ClusterMerge.Task(work, 0).Error);
        Assert.Null(ClusterMerge.Stitch(work).Error);
    }

    /// <summary>The checksum files are xxhsum's own lines: `xxhsum -c` checks the JSON files by them, as wdb does.</summary>
    [Fact]
    public void Xxhsum_checks_the_plan_and_a_tasks_summary_by_their_checksum_files()
    {
        string xxhsum = ExternalTools.Require("xxhsum", "xxhash");
        var inputs = ZoneMergeTests.MixedInputs(_s, badRow: false);
        string work = _s.PathOf("work");
        Assert.Null(ClusterMerge.Plan(Options(inputs, _s.PathOf("cluster")), work, 2, "wdb").Error);
        Assert.Null(ClusterMerge.Task(work, 0).Error);
        foreach (string dir in new[] { work, Path.Combine(work, "tasks", "0") })
        {
            string sidecar = Path.Combine(dir, dir == work ? "plan.json.xxh3" : "summary.json.xxh3");
            Assert.Equal(0, RunIn(dir, xxhsum, "-c", sidecar));
            AddOne(Path.ChangeExtension(sidecar, null), "rows_read");
            Assert.NotEqual(0, RunIn(dir, xxhsum, "-c", sidecar));
        }
    }

    private static int RunIn(string dir, string exe, params string[] args)
    {
        var start = new ProcessStartInfo(exe, args) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>The first count named <paramref name="name"/> in a JSON file, one more; the rest of the file as it was.</summary>
    private static void AddOne(string path, string name)
    {
        string text = File.ReadAllText(path);
        var count = new System.Text.RegularExpressions.Regex($"\"{name}\": (\\d+)");
        Assert.Matches(count, text);
        File.WriteAllText(path, count.Replace(text, m => $"\"{name}\": {long.Parse(m.Groups[1].Value) + 1}", 1));
    }

    private static void AssertChanged(MergeOutcome outcome, string file)
    {
        Assert.Equal(MergeJob.OutputErrorExit, outcome.ExitCode);
        Assert.Contains($"'{file}' was corrupted or changed since it was written", outcome.Error);
        Assert.DoesNotContain('\n', outcome.Error!);
    }

    /// <summary>The stitch fails, naming <paramref name="file"/> (exit 3), and leaves no --out, no scratch.</summary>
    private MergeOutcome AssertStitchWroteNothing(string work, string outDir, string file, bool changed = true)
    {
        var before = Directory.GetFileSystemEntries(_s.PathOf(".")).Order().ToList();
        var stitch = ClusterMerge.Stitch(work);
        if (changed) AssertChanged(stitch, file);
        else
        {
            Assert.Equal(MergeJob.OutputErrorExit, stitch.ExitCode);
            Assert.Contains($"'{file}", stitch.Error);
            Assert.DoesNotContain('\n', stitch.Error!);
        }
        Assert.False(Directory.Exists(outDir));
        Assert.Empty(Directory.GetDirectories(work, "stitch-*"));
        Assert.Equal(before, Directory.GetFileSystemEntries(_s.PathOf(".")).Order().ToList());
        return stitch;
    }

    /// <summary>Inverts the byte at <paramref name="at"/> of <paramref name="path"/> in place (twice restores it).</summary>
    private static void Flip(string path, long at)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        f.Position = at;
        int b = f.ReadByte();
        f.Position = at;
        f.WriteByte((byte)~b);
    }

    [Fact]
    public void A_plan_needs_a_work_directory_of_its_own_and_leaves_none_when_the_input_is_bad()
    {
        var inputs = ZoneMergeTests.MixedInputs(_s, badRow: true);
        string used = _s.Write("used/something.txt", "keep me");
        var refused = ClusterMerge.Plan(Options(inputs, _s.PathOf("out")), Path.GetDirectoryName(used)!, 2, "wdb");
        Assert.Equal(MergeJob.InputErrorExit, refused.ExitCode);
        Assert.Contains("not a new or empty directory", refused.Error);
        Assert.Equal("keep me", File.ReadAllText(used));

        // --strict stops at the bad row: the new work directory is removed, not left half-planned.
        string work = _s.PathOf("work");
        var strict = ClusterMerge.Plan(Options(inputs, _s.PathOf("out")) with { Strict = true }, work, 2, "wdb");
        Assert.Equal(MergeJob.InputErrorExit, strict.ExitCode);
        Assert.Contains("strip.csv:", strict.Error);
        Assert.False(Directory.Exists(work));

        var noPlan = ClusterMerge.Task(work, 0);
        Assert.Equal(MergeJob.InputErrorExit, noPlan.ExitCode);
        Assert.Contains("holds no cluster plan", noPlan.Error);
    }

    /// <summary>A directory as a live run holds it: locked by a descriptor of its own, with a file in it.</summary>
    private static DirectoryLock LiveRunsDirectory(string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "groups.run"), "being written");
        return DirectoryLock.Take(dir)!;
    }

    [Fact]
    public void A_merge_into_an_output_another_run_is_writing_is_refused_and_a_killed_runs_leftover_removed()
    {
        if (!DirectoryLock.Tells) Assert.Skip("flock(2) locks tell a live run's directory only on Linux");
        var inputs = ZoneMergeTests.MixedInputs(_s, badRow: false);
        string outDir = _s.PathOf("out"), live = outDir + ".tmp-live00000000";
        using (LiveRunsDirectory(live))
        {
            var busy = MergeJob.Run(Options(inputs, outDir) with { ZoneRows = 0 });
            Assert.Equal(MergeJob.OutputErrorExit, busy.ExitCode);
            Assert.Equal($"another wdb run is writing '{outDir}' (it holds '{live}'): wait for it or choose another --out", busy.Error);
            // The live run's files are untouched, and the refused run left nothing beside them.
            Assert.Equal("being written", File.ReadAllText(Path.Combine(live, "groups.run")));
            Assert.Equal([Path.GetFileName(live)], Directory.GetFileSystemEntries(Path.GetDirectoryName(outDir)!, "out*").Select(Path.GetFileName));
        }
        // Its holder gone (a run killed with -9 holds no lock), the directory is a leftover: the next run removes it.
        Assert.Null(MergeJob.Run(Options(inputs, outDir) with { ZoneRows = 0 }).Error);
        Assert.Equal(["out"], Directory.GetFileSystemEntries(Path.GetDirectoryName(outDir)!, "out*").Select(Path.GetFileName));
    }

    [Fact]
    public void A_stitch_into_an_output_being_written_is_refused_and_a_killed_stitchs_scratch_is_removed()
    {
        if (!DirectoryLock.Tells) Assert.Skip("flock(2) locks tell a live run's directory only on Linux");
        var inputs = ZoneMergeTests.MixedInputs(_s, badRow: false);
        string work = _s.PathOf("work"), outDir = _s.PathOf("cluster");
        var plan = ClusterMerge.Plan(Options(inputs, outDir), work, 2, "wdb");
        Assert.Null(plan.Error);
        for (int t = 0; t < Convert.ToInt32(plan.Summary!.Parameters["cluster_tasks"]); t++) Assert.Null(ClusterMerge.Task(work, t).Error);
        string killed = Path.Combine(work, "stitch-killed0000"), running = Path.Combine(work, "stitch-running000");
        Directory.CreateDirectory(killed);
        File.WriteAllText(Path.Combine(killed, "groups.run"), "left by a stitch killed with -9");

        using (LiveRunsDirectory(running))
        {
            string live = outDir + ".tmp-live00000000";
            using (LiveRunsDirectory(live))
            {
                var busy = ClusterMerge.Stitch(work, threads: 2);
                Assert.Equal(MergeJob.OutputErrorExit, busy.ExitCode);
                Assert.Equal($"another wdb run is writing '{outDir}' (it holds '{live}'): wait for it or choose another --out", busy.Error);
                Assert.Equal("being written", File.ReadAllText(Path.Combine(live, "groups.run")));
            }
            // A stitch that runs removes the killed one's scratch, and leaves the live one's.
            Assert.Null(ClusterMerge.Stitch(work, threads: 2).Error);
            Assert.False(Directory.Exists(killed));
            Assert.Equal("being written", File.ReadAllText(Path.Combine(running, "groups.run")));
        }
        Assert.True(File.Exists(Path.Combine(outDir, "summary.json")));
    }

    [Fact]
    public void A_work_path_that_is_a_file_is_said_to_be_one()
    {
        string file = _s.PathOf("work.csv");
        File.WriteAllText(file, "keep me");
        var refusals = new[] { ClusterMerge.Task(file, 0), ClusterMerge.Stitch(file), ClusterMerge.Status(file).Refused! };
        foreach (var refused in refusals)
        {
            Assert.Equal(MergeJob.InputErrorExit, refused.ExitCode);
            Assert.Equal($"'{file}' is a file, not a cluster work directory: give the --work directory `wdb cluster plan` made", refused.Error);
        }
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Fact]
    public void A_model_given_to_the_plan_scores_the_tasks_rows()
    {
        var inputs = ZoneMergeTests.MixedInputs(_s, badRow: false);
        // Intercept 20: every row scores 9, whatever its evidence (as MergeJobTests checks it held whole).
        string text = ReliabilityModel.DefaultJson.Replace("\"version\": \"v2\"", "\"version\": \"test-20\"").Replace("\"intercept\": 1,", "\"intercept\": 20,");
        Assert.NotEqual(ReliabilityModel.DefaultJson, text);
        var model = ReliabilityModel.Load(text);
        string reference = _s.PathOf("whole"), outDir = _s.PathOf("cluster");
        Assert.Null(MergeJob.Run(Options(inputs, reference) with { ZoneRows = 0, Reliability = model }).Error);
        RunCluster(Options(inputs, outDir) with { Reliability = model }, _s.PathOf("work"), 5);
        Assert.Equal("test-20", Summary(outDir).GetProperty("parameters").GetProperty("reliability_model").GetString());
        Assert.Equal(Sha256(Path.Combine(reference, "extractions.fb")), Sha256(Path.Combine(outDir, "extractions.fb")));
        using var reader = OutputReader.Open(outDir);
        Assert.All(reader.Extractions(), x => Assert.Equal(9, x.Reliability));
    }
}
