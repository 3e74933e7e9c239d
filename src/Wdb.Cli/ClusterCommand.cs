using System.CommandLine;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;
using Wdb.Merge.Streaming;

namespace Wdb.Cli;

/// <summary>
/// `wdb cluster plan|task|stitch`: the merge over many machines (SPEC §6, docs/cluster.md), one declination zone
/// per task of a Slurm job array, then a stitch that gives the single-machine run's tables.
/// </summary>
internal static class ClusterCommand
{
    public static Command Create()
    {
        var cmd = new Command("cluster",
            "Merge over many machines: `plan` partitions the inputs into declination zones in a shared --work directory " +
            "and writes Slurm scripts; `task` merges one zone (a job array task each); `stitch` links the rows near the " +
            "zones' edges and writes the tables to --out: the same bytes as `wdb merge`. See docs/cluster.md.");
        cmd.Subcommands.Add(Plan());
        cmd.Subcommands.Add(Task());
        cmd.Subcommands.Add(Stitch());
        cmd.Subcommands.Add(Status());
        return cmd;
    }

    private static Command Status()
    {
        var work = Work();
        var cmd = new Command("status", "Which tasks of the plan in --work have finished, are running, were killed (with the command that runs them again), or have not started. Exit 0 when every task has finished (the stitch may run), 1 otherwise; 2 when --work holds no plan this wdb reads, 3 when its plan.json cannot be read or was changed (as the task and the stitch).");
        cmd.Options.Add(work);
        cmd.SetAction(p =>
        {
            string w = p.GetValue(work)!;
            var (progress, refused) = ClusterMerge.Status(w);
            if (progress is null)
            {
                Console.Error.WriteLine($"wdb cluster status: {refused!.Error}");
                return refused.ExitCode;
            }
            Console.WriteLine($"plan: {progress.Rows:N0} rows in {progress.Tasks} tasks -> {progress.OutDir}");
            Console.WriteLine($"finished: {TaskList(progress.Done)}");
            Console.WriteLine($"running: {TaskList(progress.Running)}");
            Console.WriteLine($"killed: {TaskList(progress.Killed)}{Rerun(w, progress.Killed)}");
            // Only where a live run cannot be told from a killed one (not Linux, a filesystem that keeps no locks).
            if (progress.RunningOrKilled.Count > 0)
                Console.WriteLine($"running or killed: {TaskList(progress.RunningOrKilled)} (a killed one's next run replaces what it left)");
            Console.WriteLine($"not started: {TaskList(progress.NotStarted)}");
            Console.WriteLine(progress.Stitch == LockHolder.Live ? $"the stitch is running: it writes {progress.OutDir}"
                : progress.Complete ? "every task has finished: the stitch can run" : "the stitch waits for the rest");
            return progress.Complete ? 0 : 1;
        });
        return cmd;
    }

    private static string TaskList(IReadOnlyList<int> tasks) => tasks.Count == 0 ? "none" : $"{ClusterMerge.Ranges(tasks)} ({tasks.Count})";

    /// <summary>The command that runs killed tasks again, as the user would type it here.</summary>
    private static string Rerun(string work, IReadOnlyList<int> killed) => killed.Count switch
    {
        0 => "",
        1 => $"; rerun it: wdb cluster task --work {SlurmScripts.Quote(work)} --task {killed[0]}",
        _ => $"; rerun each: wdb cluster task --work {SlurmScripts.Quote(work)} --task N",
    };

    private static Option<string> Work() =>
        new("--work") { Description = "The cluster's work directory, on a file system every task's machine reads (about 0.5 KB a row for the plan, as much again for the tasks)", Required = true };

    private static Command Plan()
    {
        var merge = new MergeArguments();
        var work = Work();
        var tasks = new Option<int>("--tasks") { Description = $"Tasks (declination zones) to split the merge into, at most {ClusterMerge.MostTasks}; each task holds its zone in memory (about 0.3 KB a row; the Slurm script asks for 0.6 KB a row of the largest zone and 512 MiB)", Required = true };
        var progress = MergeArguments.ProgressOption();
        var quiet = MergeArguments.QuietOption();
        var cmd = new Command("plan", "Read the inputs once: partition them by declination into --work, find duplicate cntr and scan footprints, cut the zones, and write WORK/slurm/submit.sh (and run-here.sh, for a machine without Slurm). --out is where the stitch writes.");
        merge.AddTo(cmd, zones: false);
        foreach (Option o in new Option[] { work, tasks, progress, quiet }) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            bool q = p.GetValue(quiet);
            using var display = MergeArguments.Display(p, progress, q);
            if (merge.Read(p, "cluster plan", display) is not MergeOptions options) return 2;
            var outcome = ClusterMerge.Plan(options, p.GetValue(work)!, p.GetValue(tasks), SelfCommand(), MergeArguments.Log("cluster plan", q, display));
            return Ended("cluster plan", outcome, q, s => $"{s.RowsRead:N0} rows read, {s.RowsRejected:N0} rejected; " +
                $"{s.Parameters["cluster_tasks"]} tasks in {s.StageSeconds.Values.Sum():F2} s -> {Path.GetFullPath(p.GetValue(work)!)}");
        });
        return cmd;
    }

    private static Command Task()
    {
        var work = Work();
        var task = new Option<int?>("--task") { Description = "The task (zone) to merge, from 0. Default: $SLURM_ARRAY_TASK_ID" };
        var device = LocalDevice();
        var threads = MergeArguments.ThreadsOption();
        var progress = MergeArguments.ProgressOption();
        var quiet = MergeArguments.QuietOption();
        var cmd = new Command("task", "Merge one zone of the plan in --work; a task run again replaces its outputs. Tasks run in any order, on any machine that reads --work.");
        foreach (Option o in new Option[] { work, task, device, threads, progress, quiet }) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            bool q = p.GetValue(quiet);
            int? k = p.GetValue(task);
            if (k is null)
            {
                string? fromSlurm = Environment.GetEnvironmentVariable("SLURM_ARRAY_TASK_ID");
                if (!int.TryParse(fromSlurm, out int slurm))
                {
                    Console.Error.WriteLine(fromSlurm is null
                        ? "wdb cluster task: --task N is required outside a Slurm job array (SLURM_ARRAY_TASK_ID is not set)"
                        : $"wdb cluster task: SLURM_ARRAY_TASK_ID: expected a task number, got '{fromSlurm}'");
                    return 2;
                }
                k = slurm;
            }
            using var display = MergeArguments.Display(p, progress, q);
            var outcome = ClusterMerge.Task(p.GetValue(work)!, k.Value, p.GetValue(threads), p.GetValue(device), display, MergeArguments.Log("cluster task", q, display));
            return Ended("cluster task", outcome, q, null);
        });
        return cmd;
    }

    private static Command Stitch()
    {
        var work = Work();
        var device = LocalDevice();
        var threads = MergeArguments.ThreadsOption();
        var progress = MergeArguments.ProgressOption();
        var quiet = MergeArguments.QuietOption();
        var cmd = new Command("stitch", "After every task: link the rows the tasks left open at their zones' edges and write the tables, rejects.csv and summary.json to the plan's --out (atomically). --work is left for you to remove.");
        foreach (Option o in new Option[] { work, device, threads, progress, quiet }) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            bool q = p.GetValue(quiet);
            using var display = MergeArguments.Display(p, progress, q);
            var outcome = ClusterMerge.Stitch(p.GetValue(work)!, p.GetValue(threads), p.GetValue(device), display, MergeArguments.Log("cluster stitch", q, display));
            return Ended("cluster stitch", outcome, q, s => $"{s.RowsRead:N0} rows read, {s.RowsMerged:N0} merged, {s.RowsRejected:N0} rejected; " +
                $"{s.CandidateGroups:N0} candidate groups, {s.Groups:N0} groups ({s.ConfusedCandidateGroups:N0} confused) on {s.Device} -> {s.Outputs.Count} files");
        });
        return cmd;
    }

    /// <summary>The step's exit code: its error on one line, or (unless quiet) <paramref name="done"/>'s line of counts.</summary>
    private static int Ended(string verb, MergeOutcome outcome, bool quiet, Func<RunSummary, string>? done)
    {
        if (outcome.Error is not null)
        {
            Console.Error.WriteLine($"wdb {verb}: {outcome.Error}");
            return outcome.ExitCode;
        }
        if (!quiet && done is not null) Console.Error.WriteLine($"wdb {verb}: {done(outcome.Summary!)}");
        return 0;
    }

    /// <summary>A task's or the stitch's --device: the plan's unless this machine says otherwise.</summary>
    private static Option<string> LocalDevice()
    {
        var device = MergeArguments.DeviceOption();
        device.DefaultValueFactory = null;
        device.Description = "Link-stage device on this machine (default: the plan's --device)";
        return device;
    }

    /// <summary>How the Slurm scripts call this wdb: its executable, or `dotnet wdb.dll` where it runs under the dotnet host.</summary>
    private static string SelfCommand()
    {
        string process = Environment.ProcessPath ?? "wdb";
        string name = Path.GetFileNameWithoutExtension(process);
        if (!name.Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return SlurmScripts.Quote(process);
        string dll = Path.Combine(AppContext.BaseDirectory, "wdb.dll");
        return $"{SlurmScripts.Quote(process)} {SlurmScripts.Quote(dll)}";
    }
}
