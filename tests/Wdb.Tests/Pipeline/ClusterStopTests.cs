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
        while (!p.HasExited && watch.ElapsedMilliseconds < 30_000 && Directory.GetDirectories(work, "stitch-*").Length == 0)
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
}
