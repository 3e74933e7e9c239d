using Wdb.Kernels;
using Wdb.Merge;
using Wdb.Merge.Link;

namespace Wdb.Tests.Link;

/// <summary>
/// The device choice, made while the input is read: what is known at once (an unknown name,
/// CUDA without its driver) must fail at once, and an engine still being made must be
/// waited for and freed even when the run stops first.
/// </summary>
public sealed class LinkDevicesTests : IDisposable
{
    private readonly Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    [Fact]
    public void Cpu_is_ready_at_once()
    {
        using var pending = LinkDevices.Open("cpu", 3);
        Assert.True(pending.IsReady);
        Assert.Null(pending.FailedAlready);
        var (engine, error) = pending.Get();
        Assert.Null(error);
        Assert.IsType<CpuLinkEngine>(engine);
        Assert.Equal("cpu (3 threads)", engine!.DeviceName);
    }

    [Fact]
    public void An_unknown_device_fails_at_once()
    {
        using var pending = LinkDevices.Open("tpu");
        Assert.StartsWith("unknown device 'tpu' (expected one of: auto, cuda", pending.FailedAlready);
    }

    [Fact]
    public void Cuda_without_its_driver_fails_at_once_and_auto_is_the_cpu_engine()
    {
        if (IlgpuLinkEngine.CudaDriverPresent()) return; // a GPU machine: covered by check-device there
        using (var cuda = LinkDevices.Open("cuda"))
            Assert.Equal($"device 'cuda' is not available: {IlgpuLinkEngine.NoCudaDriver}", cuda.FailedAlready);
        using var auto = LinkDevices.Open("auto", 2);
        Assert.Null(auto.FailedAlready);
        Assert.IsType<CpuLinkEngine>(auto.Get().Engine);
    }

    [Fact]
    public void An_engine_made_on_another_thread_links_like_the_cpu_engine()
    {
        using var pending = LinkDevices.Open("ilgpu-cpu");
        var (engine, error) = pending.Get();
        Assert.True(pending.IsReady);
        Assert.Null(error);
        Assert.StartsWith("ilgpu cpu", engine!.DeviceName);
        double[] ra = [10.0, 10.0002, 10.0004, 200.0], dec = [5.0, 5.0, 5.0, -5.0];
        Assert.Equal(new CpuLinkEngine(1).Link(ra, dec, 1.0), engine.Link(ra, dec, 1.0));
    }

    [Fact]
    public void A_run_that_stops_on_bad_input_before_the_link_still_ends_cleanly()
    {
        // The ILGPU engine is still being made when the read fails; the run must wait for it,
        // free it, write nothing and say where the input is wrong.
        string input = scratch.Write("bad.csv", "cntr,scan_key,ra,dec\n1,100,10.0,20.0\n2,100,ten,20.0\n");
        string outDir = Path.Combine(scratch.Dir, "out");
        var outcome = MergeJob.Run(new MergeOptions { Inputs = [input], OutDir = outDir, Device = "ilgpu-cpu", Strict = true });
        Assert.Equal(MergeJob.InputErrorExit, outcome.ExitCode);
        Assert.StartsWith($"{input}:3:", outcome.Error);
        Assert.False(Directory.Exists(outDir));
    }
}
