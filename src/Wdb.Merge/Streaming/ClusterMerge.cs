using System.Globalization;
using System.Text.RegularExpressions;
using Wdb.Core;
using Wdb.IO;

namespace Wdb.Merge.Streaming;

/// <summary>
/// The merge beyond one machine (SPEC §6, docs/cluster.md): the zone merge's passes split over processes
/// that share a work directory.
/// <list type="number">
/// <item><see cref="Plan"/> (one process): the input partitioned into declination runs, the duplicates and
/// the scan footprints found (the zone merge's passes 1-2), the zones cut; saved with Slurm scripts.</item>
/// <item><see cref="Task"/> (one per zone, any order, any machine): the zone's rows linked. A component
/// with a row within the link margin of either edge may link across it: its rows are left open. The
/// others are final and spilled as sorted output runs, as the zone merge spills them.</item>
/// <item><see cref="Stitch"/> (one process, after every task): the open rows of every task linked together
/// (a link across an edge joins two open rows, so no other row is needed), finished like a zone, and the
/// tables written by merging every task's runs with the stitch's: the single-machine run's bytes.</item>
/// </list>
/// </summary>
public static class ClusterMerge
{
    /// <summary>Most tasks a plan makes: the stitch merges every task's runs at once, each through buffers of its own.</summary>
    public const int MostTasks = ZoneMerge.MostRuns;

    private const string OpenName = "open", OutName = "out", TaskSummaryName = "summary.json";

    /// <summary>
    /// Partitions the inputs into <paramref name="work"/> (new or empty) for about <paramref name="tasks"/> tasks and
    /// writes the Slurm scripts that run them (<paramref name="wdbCommand"/>: how the scripts call wdb). The
    /// outcome's summary says how many tasks the zones gave (parameter <c>cluster_tasks</c>).
    /// </summary>
    public static MergeOutcome Plan(MergeOptions options, string work, int tasks, string wdbCommand, Action<string>? log = null)
    {
        if (MergeJob.Refusal(options) is MergeOutcome refused) return refused;
        if (tasks < 1 || tasks > MostTasks) return MergeOutcome.Fail(MergeJob.InputErrorExit, $"--tasks must be in [1, {MostTasks}], got {tasks}");
        work = Path.TrimEndingDirectorySeparator(Path.GetFullPath(work));
        if (File.Exists(work) || Directory.Exists(work) && Directory.EnumerateFileSystemEntries(work).Any())
            return MergeOutcome.Fail(MergeJob.InputErrorExit, Directory.Exists(work) && !File.Exists(Path.Combine(work, ClusterState.FileName))
                ? $"--work '{Shown.Path(work)}' is not a new or empty directory and holds no finished plan (a plan stopped before its end, or other files): remove it, or give a new directory"
                : $"--work '{Shown.Path(work)}' is not a new or empty directory: a plan needs one of its own");
        // The stitch replaces --out whole: with the work inside it (or the same), it would refuse it at the end, after every task.
        if (OutputWriter.Holds(options.OutDir, work))
            return MergeOutcome.Fail(MergeJob.InputErrorExit, $"--work '{Shown.Path(work)}' lies in --out '{Shown.Path(options.OutDir)}', which the stitch replaces: give a directory outside it");
        bool made = !Directory.Exists(work);
        // A plan stopped by a signal (Ctrl-C, a time limit) takes what it wrote, as a plan that fails does (Clear): the
        // work directory it made, or its own entries in one that was there, which stays.
        string[] written = made ? [work] : [.. PlanEntries.Select(name => Path.Combine(work, name))];
        foreach (string path in written) TemporaryPaths.Add(path);
        try
        {
            Directory.CreateDirectory(work);
            var outcome = PlanInto(options, work, tasks, wdbCommand, log);
            if (outcome.Error is not null) Clear(work, made);
            return outcome;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Clear(work, made);
            return MergeOutcome.Fail(MergeJob.OutputErrorExit, $"cannot write the plan to '{Shown.Path(work)}': {e.Message.ReplaceLineEndings(" ")}");
        }
        finally
        {
            foreach (string path in written) TemporaryPaths.Remove(path);
            options.Progress?.Done();
        }
    }

    /// <summary>What a plan writes in its work directory (and the zone merge's passes spill there while it reads).</summary>
    private static readonly string[] PlanEntries =
    [
        ClusterState.RowsName, ZoneMerge.OutputRunsName, ClusterState.FootprintsName, ClusterState.TasksName, SlurmScripts.DirectoryName,
        ZoneCatalogue.NotInName, ZoneCatalogue.NotInName + ZoneCatalogue.IndexSuffix,
        ZoneCatalogue.AssociateName, ZoneCatalogue.AssociateName + ZoneCatalogue.IndexSuffix,
        ClusterState.FileName, WholeFile.ChecksumPath(ClusterState.FileName),
    ];

    private static MergeOutcome PlanInto(MergeOptions options, string work, int tasks, string wdbCommand, Action<string>? log)
    {
        long[] expected = options.Inputs.Select(RowEstimate.Of).ToArray();
        var summary = MergeJob.NewSummary(options);
        var timer = new StageTimer();
        if (MergeJob.ReadScanTable(options, out var scanCorners) is MergeOutcome badScans) return badScans;
        // A bad catalogue (a missing file, a bad header or column) stops the plan before any input is read; its rows
        // come after the inputs', once the zones are cut.
        if (MergeJob.CatalogueRefusal(options) is MergeOutcome refusedCatalogue) return refusedCatalogue;
        int blockRows = ZoneMerge.PartitionRows(ZoneMerge.DefaultZoneRows, expected.Sum());
        using var passes = new ZoneMerge.Passes(options, summary, timer, ZoneMerge.DefaultZoneRows, blockRows, expected, work, log)
            .WithCataloguesAfterPartition();
        if ((passes.Partition() ?? passes.Duplicates() ?? passes.Footprints(scanCorners)) is MergeOutcome stopped) return stopped;

        long rows = passes.Runs.Rows;
        int zoneRows = ZoneRowsFor(rows, tasks);
        var (cuts, bounds) = passes.Runs.Zones(zoneRows);
        int zones = cuts.Length + 1;
        long largest = Enumerable.Range(0, zones).Max(z => DeclinationRuns.RowsIn(bounds, z));
        // The catalogues are read here, once: their rows near the inputs are filed under the tasks' zones in the work
        // directory, each task reading its zone's share (and the stitch those near its open rows). A full-sky PSC is
        // then read once, not once by every task, and held whole by no process.
        if (passes.Catalogues(cuts) is MergeOutcome badCatalogue) return badCatalogue;
        long catalogueRows = passes.SaveCatalogues();
        options = passes.Options;
        passes.Runs.Save();
        WholeFile.WriteSealed(Path.Combine(work, ClusterState.FootprintsName), file =>
        {
            using var w = new BinaryWriter(file, System.Text.Encoding.UTF8, leaveOpen: true);
            passes.FoundFootprints.Write(w);
        });
        Directory.CreateDirectory(Path.Combine(work, ClusterState.TasksName));
        SlurmScripts.Write(work, zones, TaskMemoryBytes(largest) + catalogueRows * MergeJob.CatalogueBytesPerRow, wdbCommand);
        summary.Parameters["cluster_tasks"] = zones;
        summary.Parameters["zone_rows"] = zoneRows;
        MergeJob.AddUpRows(summary);
        timer.CopyTo(summary);
        // Last: a plan.json says the plan is whole.
        ClusterState.Of(options, summary, passes.Rejects, passes.DuplicateKeys, rows, zoneRows, zones).Save(work);
        log?.Invoke($"{rows:N0} rows in {zones} zones of about {zoneRows:N0} rows" +
                    (zones < tasks ? $" (fewer than the {tasks} tasks asked for: a zone is cut only between declination buckets that hold rows)" : "") +
                    $"; run tasks 0-{zones - 1}, then the stitch: {SlurmScripts.SubmitPath(work)} submits both to Slurm");
        return new MergeOutcome(0, null, summary);
    }

    /// <summary>Zone size for <paramref name="rows"/> in about <paramref name="tasks"/> tasks: more tasks where a task's zone would pass <see cref="ZoneMerge.MostRowsAtOnce"/>.</summary>
    internal static int ZoneRowsFor(long rows, int tasks) => (int)Math.Clamp((rows + tasks - 1) / tasks, 1, ZoneMerge.MostRowsAtOnce);

    /// <summary>
    /// The --not-in and --associate rows the plan filed for task <paramref name="task"/> (null: the stitch, which takes
    /// the --associate rows that <paramref name="near"/> holds, from every zone, and no --not-in rows: its open rows were
    /// filtered by their tasks). The catalogue files themselves are not read again: the plan read them once, and its
    /// summary keeps their checksums.
    /// </summary>
    private static MergeOutcome? LoadPlanCatalogues(ClusterState state, string work, int? task, ref MergeOptions options, Action<string>? log,
        Func<double, double, bool>? near = null)
    {
        string path = "";
        try
        {
            if (task is int notInTask && options.Filters.NotIn is { } notIn)
            {
                using var filed = ZoneCatalogue.Open(path = Path.Combine(work, ZoneCatalogue.NotInName));
                var catalogue = ReleasedCatalogue.Filed(filed.RowsOf(notInTask), notIn, state.Summary.NotIn);
                options = options with { Filters = options.Filters with { Catalogue = catalogue } };
                log?.Invoke($"--not-in: {catalogue.Rows:N0} catalogue rows filed for this zone by the plan");
            }
            if (options.Associate is { } associate)
            {
                using var filed = ZoneCatalogue.Open(path = Path.Combine(work, ZoneCatalogue.AssociateName));
                var rows = task is int associateTask ? filed.RowsOf(associateTask) : filed.RowsWhere(near ?? throw new ArgumentNullException(nameof(near)));
                var associations = GroupAssociations.Filed(rows, associate, state.Summary.Associate);
                options = options with { Associations = associations };
                log?.Invoke($"--associate: {associations.Rows:N0} catalogue rows filed {(task is null ? "near the open rows" : "for this zone")} by the plan");
            }
            return null;
        }
        catch (IOException e)
        {
            return MergeOutcome.Fail(MergeJob.InputErrorExit,
                $"the catalogue rows the plan filed in '{Shown.Path(path)}' cannot be read ({e.Message.ReplaceLineEndings(" ")}): plan again");
        }
    }

    /// <summary>
    /// Memory a task of <paramref name="rows"/> rows asks its scheduler for: well above what one used (the 10 M survey's
    /// 2.5 M-row tasks peaked at 0.68-0.72 GB, ~0.28 KB a row: bench/NOTES.md 96), since a task over it is killed.
    /// </summary>
    public static long TaskMemoryBytes(long rows) => rows * TaskBytesPerRow + (512L << 20);

    /// <summary>Bytes per row of a task's zone in <see cref="TaskMemoryBytes"/>: the held-whole planning figure, and half again.</summary>
    public const long TaskBytesPerRow = ZoneMerge.HeldBytesPerRow * 3 / 2;

    /// <summary>
    /// Task <paramref name="task"/> of the plan in <paramref name="work"/>: its zone merged, its outputs saved in
    /// <c>tasks/N</c> (made whole under another name, then renamed: a task run again replaces its last outputs).
    /// </summary>
    /// <param name="threads">Threads for this task (0: every core of its machine).</param>
    /// <param name="device">The link device on this machine; null: the plan's.</param>
    public static MergeOutcome Task(string work, int task, int threads = 0, string? device = null, IMergeProgress? progress = null,
        Action<string>? log = null)
    {
        var (state, refused) = ClusterState.Load(work);
        if (state is null) return refused!;
        if (task < 0 || task >= state.Zones)
            return MergeOutcome.Fail(MergeJob.InputErrorExit, $"--task {task}: the plan in '{Shown.Path(work)}' has tasks 0-{state.Zones - 1}");
        var options = state.Options(threads, device, progress);
        string tasks = Path.Combine(work, ClusterState.TasksName), done = Path.Combine(tasks, task.ToString());
        string partial = Path.Combine(tasks, $"{task}.partial-{Path.GetRandomFileName().Replace(".", "")}");
        using var held = TakeTask(work, task, out string? running);
        if (held is null) return MergeOutcome.Fail(MergeJob.OutputErrorExit, running!);
        // Taken after the task's own lock: a stitch refused meanwhile then finds this task's lock held, and names it.
        using var besideTasks = ShareWithTasks(work, task, out string? stitching);
        if (besideTasks is null) return MergeOutcome.Fail(MergeJob.OutputErrorExit, stitching!);
        TemporaryPaths.Add(partial);
        try
        {
            Directory.CreateDirectory(partial);
            var outcome = TaskInto(state, options, work, task, partial, log);
            if (outcome.Error is not null) return WithNextStep(outcome with { Error = AsDone(outcome.Error, partial, done) }, work);
            // Complete from here: a signal while the old outputs go must not take the new ones too (a later run of the
            // task removes this partial directory, or the stitch finds tasks/N).
            TemporaryPaths.Remove(partial);
            if (Directory.Exists(done)) DirectoryTree.Delete(done);
            Directory.Move(partial, done);
            // What an earlier run of this task left when it was killed is not needed any more.
            foreach (string stale in Directory.GetDirectories(tasks, $"{task}.partial-*")) RemoveScratch(stale, log);
            return outcome;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return WithNextStep(MergeOutcome.Fail(MergeJob.OutputErrorExit, $"task {task}: {AsDone(e.Message, partial, done).ReplaceLineEndings(" ")}"), work);
        }
        finally
        {
            RemoveScratch(partial, log);
            TemporaryPaths.Remove(partial);
            progress?.Done();
        }
    }

    /// <summary>
    /// <paramref name="error"/> with the task's partial directory, removed by the time the user reads it, named as the
    /// task's own (tasks/N): a full disk there is then told as the task's, with the step that follows (run it again).
    /// </summary>
    private static string AsDone(string error, string partial, string done) => error.Replace(partial, done, StringComparison.Ordinal);

    private const string LocksName = "locks";

    /// <summary>Task <paramref name="task"/>'s lock file, held by its run from start to end.</summary>
    private static string TaskLockPath(string work, int task) => Path.Combine(work, LocksName, $"{task}.lock");

    /// <summary>The work directory's lock file: shared by the tasks while they run, exclusive to the stitch while it runs.</summary>
    private static string StitchLockPath(string work) => Path.Combine(work, LocksName, "stitch.lock");

    /// <summary>
    /// The task's lock, held while it runs: a second run of one task at once (a Slurm requeue while the first still runs)
    /// deleted the first's partial directory as a killed run's, and one of them ended on a raw path error. Null, and why,
    /// when another run holds it.
    /// </summary>
    private static FileLock? TakeTask(string work, int task, out string? running)
    {
        string path = TaskLockPath(work, task);
        return Take(path, exclusive: true, FileLock.ProbePatience, $"task {task}", out running,
            () => $"task {task} is already running (another run holds '{Shown.Path(path)}'): wait for it, or stop it first");
    }

    /// <summary>
    /// The task's share of the work directory's lock, held while it runs: a task run while the stitch reads the tasks'
    /// outputs (a scheduler's requeue) would replace its outputs under the stitch. Null, and why, while the stitch runs.
    /// </summary>
    private static FileLock? ShareWithTasks(string work, int task, out string? stitching)
    {
        string path = StitchLockPath(work);
        return Take(path, exclusive: false, TimeSpan.Zero, $"task {task}", out stitching,
            () => $"task {task} cannot run while the stitch reads the tasks' outputs in '{Shown.Path(work)}' (it holds '{Shown.Path(path)}'): " +
                  "wait for the stitch to end; run the task again then only if its zone must be merged again, and the stitch after it");
    }

    /// <summary>
    /// The work directory's lock, the stitch's alone while it runs: no task may replace its outputs under the stitch. Null,
    /// and why, while a task (or another stitch) holds it; the running tasks are named where they can be told.
    /// </summary>
    private static FileLock? TakeStitch(string work, int tasks, out string? busy)
    {
        string path = StitchLockPath(work);
        // Waits out a status probe's instant hold, as a task does for its own lock (FileLock.ProbePatience).
        return Take(path, exclusive: true, FileLock.ProbePatience, "the stitch", out busy, () => StitchRefusal(work, tasks, path));
    }

    /// <summary>A step's lock (<see cref="FileLock.Take"/>), or null and why: <paramref name="held"/>'s words while another holds it.</summary>
    private static FileLock? Take(string path, bool exclusive, TimeSpan patience, string who, out string? why, Func<string> held)
    {
        why = null;
        try
        {
            var taken = FileLock.Take(path, exclusive, patience);
            if (taken is null) why = held();
            return taken;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            why = $"{who} cannot take '{Shown.Path(path)}': {e.Message.ReplaceLineEndings(" ")}";
            return null;
        }
    }

    private static string StitchRefusal(string work, int tasks, string path)
    {
        var running = Enumerable.Range(0, tasks).Where(t => FileLock.Holder(TaskLockPath(work, t)) == LockHolder.Live).ToList();
        if (running.Count > 0)
        {
            bool one = running.Count == 1;
            return $"the stitch cannot start while task{(one ? "" : "s")} {Ranges(running)} of '{Shown.Path(work)}' {(one ? "runs" : "run")} " +
                   $"(holding '{Shown.Path(path)}'): wait for {(one ? "it" : "them")} to end, then run the stitch";
        }
        return $"another stitch or a task is running in '{Shown.Path(work)}' (it holds '{Shown.Path(path)}'): wait for it to end, then run the stitch";
    }

    private static MergeOutcome TaskInto(ClusterState state, MergeOptions options, string work, int task, string into, Action<string>? log)
    {
        var timer = new StageTimer();
        var summary = EmptyOf(state.Summary);
        using var runs = DeclinationRuns.Open(Path.Combine(work, ClusterState.RowsName));
        var (cuts, bounds) = runs.Zones(state.ZoneRows);
        if (cuts.Length + 1 != state.Zones)
            throw new IOException($"the runs in '{Shown.Path(work)}' give {cuts.Length + 1} zones where the plan made {state.Zones}: they are not the plan's");
        if (LoadPlanCatalogues(state, work, task, ref options, log) is MergeOutcome badCatalogue) return badCatalogue;
        if (options.Filters.NotIn is not null || options.Associate is not null) timer.Stop("catalogues");
        var footprints = ReadFootprints(work);

        long zoneRowCount = DeclinationRuns.RowsIn(bounds, task);
        using var device = LinkDevices.Open(options.Device, options.Threads, zoneRowCount);
        if (device.FailedAlready is string deviceFailed) return MergeOutcome.Fail(MergeJob.InputErrorExit, deviceFailed);
        using var passes = new ZoneMerge.Passes(options, summary, timer, state.ZoneRows, 0, [], into, log, runs,
            new OutputRuns(Path.Combine(into, OutName)));
        passes.Resume(state.DuplicateKeys, footprints);
        options.Progress?.Stage($"task {task}: read zone", null, zoneRowCount);
        var loaded = passes.LoadZone(bounds, task);
        timer.Stop("read zones");
        var (engine, noEngine) = device.ForLink();
        if (engine is null) return MergeOutcome.Fail(MergeJob.InputErrorExit, noEngine!);
        var (below, reach) = ZoneMerge.Edges(cuts, task, options.RadiusArcsec);
        var open = new ExtractionBlock(16);
        options.Progress?.Stage($"task {task}: merge zone", null, zoneRowCount);
        var (_, zoneError) = passes.Zone(engine, device.NoteFor(engine), loaded, ref open, below, reach);
        if (zoneError is not null) return zoneError;
        if (passes.Outputs.Save() is OutputError spillError) return MergeOutcome.Fail(MergeJob.OutputErrorExit, spillError.Message);
        using (var openRuns = new DeclinationRuns(Path.Combine(into, OpenName)))
        {
            openRuns.Add(open, options.Threads);
            openRuns.Save();
        }
        timer.Stop("save task");
        timer.CopyTo(summary);
        summary.Parameters["task"] = task;
        summary.Parameters["open_rows"] = open.Count;
        summary.PeakWorkingSetMb = StageTimer.PeakWorkingSetMb();
        ClusterState.WriteJson(Path.Combine(into, TaskSummaryName), summary);
        log?.Invoke($"task {task}: {zoneRowCount:N0} rows, {summary.Groups:N0} groups final, {open.Count:N0} rows left open for the stitch");
        return new MergeOutcome(0, null, summary);
    }

    /// <summary>
    /// The stitch: every task's open rows linked and finished together, then the tables written to the plan's
    /// --out from every task's runs and the stitch's (atomically, as a merge writes them). The work directory
    /// is left as it is (the plan and the tasks' outputs), for the user to remove.
    /// </summary>
    public static MergeOutcome Stitch(string work, int threads = 0, string? device = null, IMergeProgress? progress = null,
        Action<string>? log = null)
    {
        var (state, refused) = ClusterState.Load(work);
        if (state is null) return refused!;
        using var alone = TakeStitch(work, state.Zones, out string? busy);
        if (alone is null) return MergeOutcome.Fail(MergeJob.OutputErrorExit, busy!);
        string tasks = Path.Combine(work, ClusterState.TasksName);
        var missing = Enumerable.Range(0, state.Zones).Where(t => !Directory.Exists(Path.Combine(tasks, t.ToString()))).ToList();
        if (missing.Count > 0)
            return MergeOutcome.Fail(MergeJob.InputErrorExit,
                $"{missing.Count} of the plan's {state.Zones} tasks have not finished (no {Path.Combine(tasks, "N")} for N = {Ranges(missing)}): " +
                $"run them (wdb cluster task --work {work} --task N) before the stitch");
        var options = state.Options(threads, device, progress);
        if (OutputWriter.StartProblem(options.OutDir) is { } badOut) return MergeOutcome.Fail(MergeJob.ExitOf(badOut), badOut.Message);
        using var claim = OutputClaim.Take(options.OutDir, out var outBusy);
        if (claim is null) return MergeOutcome.Fail(MergeJob.OutputErrorExit, outBusy!.Message);
        string stitch = Path.Combine(work, $"{StitchPrefix}{Path.GetRandomFileName().Replace(".", "")}");
        // A stitch stopped by a signal (Slurm's time limit) takes its scratch with it, as a task takes its partial directory.
        TemporaryPaths.Add(stitch);
        DirectoryLock? held = null;
        try
        {
            RemoveStaleStitches(work, log);
            Directory.CreateDirectory(stitch);
            held = DirectoryLock.Take(stitch);
            return WithNextStep(StitchInto(state, options, work, stitch, log), work);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return WithNextStep(MergeOutcome.Fail(MergeJob.OutputErrorExit, e.Message.ReplaceLineEndings(" ")), work);
        }
        finally
        {
            held?.Dispose();
            RemoveScratch(stitch, log);
            TemporaryPaths.Remove(stitch);
            progress?.Done();
        }
    }

    private const string StitchPrefix = "stitch-";

    /// <summary>
    /// The scratch of stitches killed outright (SIGKILL, a node lost), which nothing else removes: each live stitch holds
    /// its own locked (<see cref="DirectoryLock"/>) and is left alone.
    /// </summary>
    private static void RemoveStaleStitches(string work, Action<string>? log)
    {
        if (!DirectoryLock.Tells) return;
        foreach (string dir in Directory.EnumerateDirectories(work, StitchPrefix + "*"))
            if (!DirectoryLock.IsHeld(dir)) RemoveScratch(dir, log);
    }

    private static MergeOutcome StitchInto(ClusterState state, MergeOptions options, string work, string stitch, Action<string>? log)
    {
        var summary = state.Summary;
        var taskDirs = Enumerable.Range(0, state.Zones).Select(t => Path.Combine(work, ClusterState.TasksName, t.ToString())).ToList();
        foreach (string dir in taskDirs)
        {
            var part = ClusterState.ReadJson<RunSummary>(Path.Combine(dir, TaskSummaryName))
                       ?? throw new IOException($"'{Path.Combine(dir, TaskSummaryName)}' is empty");
            AddTask(summary, part);
        }

        // The open rows of every task, in task order, linked and finished as one zone with no edge.
        var timer = new StageTimer();
        var open = new ExtractionBlock(16);
        foreach (string dir in taskDirs)
        {
            using var runs = DeclinationRuns.Open(Path.Combine(dir, OpenName));
            for (int r = 0; r < runs.RunCount; r++) runs.Read(r, 0, runs.RowsOf(r), open);
        }
        // The --associate catalogues score the open rows' groups, whose mean positions lie among their rows: only the
        // catalogue rows near those rows (the radius and a minute more, as a task's) are held, not the sky's.
        if (options.Associate is { } associate)
        {
            var near = new SkyCoverage.Builder();
            near.Add(open.Ra.AsSpan(0, open.Count), open.Dec.AsSpan(0, open.Count));
            if (LoadPlanCatalogues(state, work, null, ref options, log, near.Within(associate.RadiusArcsec + MergeJob.GroupMeanReachArcsec).Holds)
                is MergeOutcome bad)
                return bad;
        }
        options.Progress?.Stage($"stitch {open.Count:N0} open rows", null, open.Count);
        var stitched = new OutputRuns(Path.Combine(stitch, OutName));
        using (var passes = new ZoneMerge.Passes(options, summary, timer, state.ZoneRows, 0, [], stitch, log, outputs: stitched))
        {
            if (open.Count > 0)
            {
                passes.Resume([], ReadFootprints(work));
                using var device = LinkDevices.Open(options.Device, options.Threads, open.Count);
                var (engine, noEngine) = device.ForLink();
                if (engine is null) return MergeOutcome.Fail(MergeJob.InputErrorExit, noEngine!);
                var carry = new ExtractionBlock(16);
                var loaded = new ZoneMerge.ZoneRowsRead(open, new ExtractionBlock(16), []);
                var (_, zoneError) = passes.Zone(engine, device.NoteFor(engine), loaded, ref carry, double.NegativeInfinity, double.PositiveInfinity);
                if (zoneError is not null) return zoneError;
            }
            if (stitched.Save() is OutputError spillError) return MergeOutcome.Fail(MergeJob.OutputErrorExit, spillError.Message);
        }
        timer.Stop("stitch");
        AddStages(summary, Copied(timer), _ => "stitch");
        log?.Invoke($"stitch: {open.Count:N0} open rows from {state.Zones} tasks linked; writing {options.OutDir}");

        using var all = OutputRuns.Open([.. taskDirs.Select(d => Path.Combine(d, OutName)), Path.Combine(stitch, OutName)]);
        return MergeJob.Write(options, summary, new StageTimer(), o => OutputWriter.Write(o, all, summary, state.Rejects, options.Threads, options.Checksum),
            log, ZoneMerge.WriteProgress(all));
    }

    /// <summary>
    /// A failed task's or stitch's outcome with the step that mends it, where its error names a file of the work
    /// directory: a task's outputs (removed, cut short, changed) are made again by that task; the plan's rows and footprints
    /// only by a new plan. The readers name the file that failed, not the step that wrote it, so the step is found from the
    /// path; an error that names neither (a full disk, --out) is left as it is.
    /// </summary>
    private static MergeOutcome WithNextStep(MergeOutcome outcome, string work)
    {
        if (outcome.Error is not string error) return outcome;
        var tasks = TasksNamedIn(error, work);
        string? next = tasks.Count > 0
            ? $"run task{(tasks.Count > 1 ? "s" : "")} {Ranges(tasks)} again (wdb cluster task --work {work} --task {(tasks.Count > 1 ? "N" : tasks[0])}), then the stitch"
            : NamesPlanFile(error, work) && !error.Contains("plan again", StringComparison.Ordinal)
                ? $"the plan's files are damaged: remove '{Shown.Path(work)}' and plan again"
                : null;
        return next is null ? outcome : outcome with { Error = $"{error.TrimEnd('.', ' ')}: {next}" };
    }

    /// <summary>The tasks whose directory (tasks/N/...) <paramref name="error"/> names, as given or in full.</summary>
    private static List<int> TasksNamedIn(string error, string work)
    {
        var found = new SortedSet<int>();
        foreach (string dir in WorkForms(work).Select(w => Path.Combine(w, ClusterState.TasksName)))
            foreach (Match m in Regex.Matches(error,
                         Regex.Escape(dir + Path.DirectorySeparatorChar) + @"(\d+)(?=[/\\'""]|$)"))
                found.Add(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        return [.. found];
    }

    private static bool NamesPlanFile(string error, string work) =>
        WorkForms(work).Any(w => new[] { ClusterState.RowsName + Path.DirectorySeparatorChar, ClusterState.FootprintsName }
            .Any(name => error.Contains(Path.Combine(w, name), StringComparison.Ordinal)));

    /// <summary>The work directory as the user gave it and in full: a reader's message may name a file either way.</summary>
    private static string[] WorkForms(string work) =>
        [.. new[] { work, Path.GetFullPath(work) }.Select(Path.TrimEndingDirectorySeparator).Distinct()];

    /// <summary>Where a cluster's work stands (<see cref="Status"/>).</summary>
    /// <param name="Running">Tasks a live run holds: running now (one that had finished is being run again).</param>
    /// <param name="Killed">Tasks whose outputs were left half made by a run that has ended: their next run replaces them.</param>
    /// <param name="RunningOrKilled">Tasks with outputs half made where a live run cannot be told from a killed one (not
    /// Linux, or a filesystem that keeps no locks).</param>
    /// <param name="Stitch">Whether a live stitch holds the work directory (<see cref="LockHolder.Live"/>); the tasks'
    /// shared holds of the same lock do not count.</param>
    public sealed record ClusterProgress(long Rows, int Tasks, string OutDir, IReadOnlyList<int> Done, IReadOnlyList<int> Running,
        IReadOnlyList<int> Killed, IReadOnlyList<int> RunningOrKilled, IReadOnlyList<int> NotStarted, LockHolder Stitch)
    {
        public bool Complete => Done.Count == Tasks;
    }

    /// <summary>
    /// The plan in <paramref name="work"/> and which of its tasks have finished, run or were killed, or why there is no plan
    /// to read, with the exit code a task or the stitch would give for it (2 none or of another layout, 3 unreadable or changed).
    /// A task runs while its lock is held (<see cref="FileLock.Holder"/>, which a task starting meanwhile waits out).
    /// </summary>
    public static (ClusterProgress? Progress, MergeOutcome? Refused) Status(string work)
    {
        var (state, refused) = ClusterState.Load(work);
        if (state is null) return (null, refused);
        string tasks = Path.Combine(work, ClusterState.TasksName);
        var names = Directory.Exists(tasks) ? Directory.GetDirectories(tasks).Select(Path.GetFileName).ToHashSet() : [];
        List<int> done = [], running = [], killed = [], unknown = [], notStarted = [];
        for (int t = 0; t < state.Zones; t++)
        {
            var holder = FileLock.Holder(TaskLockPath(work, t));
            bool partial = names.Any(n => n!.StartsWith($"{t}.partial-", StringComparison.Ordinal));
            var into = holder == LockHolder.Live ? running
                : names.Contains(t.ToString()) ? done
                : !partial ? notStarted
                : holder == LockHolder.None ? killed
                : unknown;
            into.Add(t);
        }
        // A shared probe: the tasks hold this lock shared, the stitch alone exclusively, so only a stitch refuses it.
        var stitch = FileLock.Holder(StitchLockPath(work));
        return (new ClusterProgress(state.Rows, state.Zones, state.OutDir, done, running, killed, unknown, notStarted, stitch), null);
    }

    private static ScanFootprints ReadFootprints(string work)
    {
        using var r = new BinaryReader(WholeFile.ReadSealed(Path.Combine(work, ClusterState.FootprintsName)));
        return ScanFootprints.Read(r);
    }

    /// <summary>A task's or the stitch's scratch directory, gone whether the step succeeded or not (a failure to remove it is only said).</summary>
    private static void RemoveScratch(string dir, Action<string>? log)
    {
        try { if (Directory.Exists(dir)) DirectoryTree.Delete(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { log?.Invoke($"could not remove '{dir}': {e.Message}"); }
    }

    /// <summary>The plan's summary with no row counted: what one task adds to.</summary>
    private static RunSummary EmptyOf(RunSummary plan) => new()
    {
        Inputs = plan.Inputs.Select(i => new InputFileSummary { Path = i.Path, Format = i.Format, Profile = i.Profile }).ToList(),
    };

    /// <summary>A task's counts, devices and stage costs added to the stitch's summary (stages of the same name add up over the tasks).</summary>
    private static void AddTask(RunSummary into, RunSummary task)
    {
        into.CandidateGroups += task.CandidateGroups;
        into.Groups += task.Groups;
        into.ConfusedCandidateGroups += task.ConfusedCandidateGroups;
        into.UnresolvedCandidateGroups += task.UnresolvedCandidateGroups;
        into.RowsMerged += task.RowsMerged;
        AddCounts(into.RejectsByReason, task.RejectsByReason);
        if (task.Inputs.Count != into.Inputs.Count) throw new IOException($"a task's summary has {task.Inputs.Count} inputs where the plan has {into.Inputs.Count}");
        for (int i = 0; i < task.Inputs.Count; i++)
        {
            var file = into.Inputs[i];
            file.RowsMerged += task.Inputs[i].RowsMerged;
            file.RowsRejected += task.Inputs[i].RowsRejected;
            AddCounts(file.RejectsByReason, task.Inputs[i].RejectsByReason);
        }
        if (task.Device.Length > 0)
            foreach (string d in task.Device.Split("; then ")) into.Device = MergeJob.DevicesSoFar(into.Device, d);
        AddStages(into, task, stage => stage);
        // A task's warnings once each: tasks of one plan may say the same (the same disk).
        foreach (string warning in task.Warnings)
            if (!into.Warnings.Contains(warning)) into.Warnings.Add(warning);
    }

    private static void AddCounts(Dictionary<string, long> into, Dictionary<string, long> from)
    {
        foreach (var (key, n) in from) into[key] = into.GetValueOrDefault(key) + n;
    }

    private static void AddStages(RunSummary into, RunSummary from, Func<string, string> name)
    {
        void Add(Dictionary<string, double> a, Dictionary<string, double> b) { foreach (var (k, v) in b) a[name(k)] = Math.Round(a.GetValueOrDefault(name(k)) + v, 4); }
        void AddLong(Dictionary<string, long> a, Dictionary<string, long> b) { foreach (var (k, v) in b) a[name(k)] = a.GetValueOrDefault(name(k)) + v; }
        Add(into.StageSeconds, from.StageSeconds);
        Add(into.StageCpuSeconds, from.StageCpuSeconds);
        Add(into.StageSystemCpuSeconds, from.StageSystemCpuSeconds);
        Add(into.StageAllocatedMb, from.StageAllocatedMb);
        AddLong(into.StageMinorFaults, from.StageMinorFaults);
        AddLong(into.StageVoluntarySwitches, from.StageVoluntarySwitches);
        AddLong(into.StageInvoluntarySwitches, from.StageInvoluntarySwitches);
        foreach (var (k, v) in from.StageHeapMb) into.StageHeapMb[name(k)] = Math.Max(into.StageHeapMb.GetValueOrDefault(name(k)), v);
    }

    private static RunSummary Copied(StageTimer timer)
    {
        var s = new RunSummary();
        timer.CopyTo(s);
        return s;
    }

    /// <summary>"0-3, 7, 9-10".</summary>
    public static string Ranges(IReadOnlyList<int> sorted)
    {
        var parts = new List<string>();
        for (int i = 0; i < sorted.Count;)
        {
            int j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            parts.Add(j == i ? $"{sorted[i]}" : $"{sorted[i]}-{sorted[j]}");
            i = j + 1;
        }
        return string.Join(", ", parts);
    }

    private static void Clear(string work, bool made)
    {
        try
        {
            if (made) { if (Directory.Exists(work)) DirectoryTree.Delete(work); }
            else foreach (string entry in Directory.EnumerateFileSystemEntries(work))
                    if (Directory.Exists(entry)) DirectoryTree.Delete(entry); else File.Delete(entry);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
