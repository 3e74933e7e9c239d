using Wdb.Core;
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

    /// <summary>
    /// Without an OpenCL loader there is no OpenCL device: `--device opencl` says so before the input is read (it said
    /// "no OpenCL device" once the read had ended), as `cuda` does without its driver; CI has none.
    /// </summary>
    [Fact]
    public void Opencl_without_its_loader_fails_at_once()
    {
        if (IlgpuLinkEngine.OpenClLoaderPresent()) return; // a machine with OpenCL: OpenClDeviceTests covers it
        using var opencl = LinkDevices.Open("opencl");
        Assert.Equal($"device 'opencl' is not available: {IlgpuLinkEngine.NoOpenClLoader}", opencl.FailedAlready);
        Assert.Null(IlgpuLinkEngine.TryCreate(IlgpuDevice.OpenCL, out string? whyNot));
        Assert.Equal(IlgpuLinkEngine.NoOpenClLoader, whyNot);
    }

    [Fact]
    public void Auto_keeps_small_inputs_on_the_cpu_and_starts_a_gpu_for_large_or_unknown_ones()
    {
        Assert.Null(LinkDevices.AutoStaysOnCpu(0));   // unknown (a pipe, an unreadable head): the GPU is started
        Assert.Equal("auto: about 1 rows, under the 4,000,000 where a GPU pays for its start", LinkDevices.AutoStaysOnCpu(1));
        Assert.NotNull(LinkDevices.AutoStaysOnCpu(LinkDevices.AutoDeviceMinRows - 1));
        Assert.Null(LinkDevices.AutoStaysOnCpu(LinkDevices.AutoDeviceMinRows));
        if (!IlgpuLinkEngine.CudaDriverPresent()) return;
        // A GPU machine: the choice itself, and the CPU engine linking while the GPU starts.
        using (var small = LinkDevices.Open("auto", 2, 1000))
        {
            Assert.True(small.IsReady);
            Assert.IsType<CpuLinkEngine>(small.ForLink().Engine);
            Assert.StartsWith("auto: about 1,000 rows", small.NoteFor(small.ForLink().Engine!));
        }
        using var large = LinkDevices.Open("auto", 2, 10_000_000);
        Assert.False(large.WouldWait);
        if (!large.IsReady) Assert.IsType<CpuLinkEngine>(large.ForLink().Engine);
        Assert.StartsWith("ilgpu cuda", large.Get().Engine!.DeviceName);
        Assert.StartsWith("ilgpu cuda", large.ForLink().Engine!.DeviceName);
    }

    [Fact]
    public async Task A_pending_engine_with_nothing_meanwhile_waits_for_the_one_being_made()
    {
        var made = new TaskCompletionSource<(ILinkEngine? Engine, string? Error)>();
        using var pending = new PendingEngine(made.Task);
        Assert.True(pending.WouldWait);
        var link = Task.Run(pending.ForLink, TestContext.Current.CancellationToken);
        Assert.NotSame(link, await Task.WhenAny(link, Task.Delay(50, TestContext.Current.CancellationToken)));
        var engine = new CpuLinkEngine(1);
        made.SetResult((engine, null));
        Assert.Same(engine, (await link).Engine);
        Assert.False(pending.WouldWait);
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
