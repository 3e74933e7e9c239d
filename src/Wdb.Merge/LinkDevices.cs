using Wdb.Core;
using Wdb.Kernels;
using Wdb.Merge.Link;

namespace Wdb.Merge;

/// <summary>
/// The one place that chooses the device of the link stage. `auto` takes a CUDA GPU when
/// one is present, else the parallel C# engine; `cpu` is that engine; `ilgpu-cpu` runs the
/// GPU kernels on ILGPU's CPU accelerator (slow; for tests and checking the kernels).
/// </summary>
public static class LinkDevices
{
    public static readonly string[] Names = ["auto", "cuda", "opencl", "cpu", "ilgpu-cpu"];

    /// <summary>The engine for <paramref name="name"/>, or an error message when it cannot be had.</summary>
    public static (ILinkEngine? Engine, string? Error) Create(string name, int threads = 0)
    {
        switch (name.ToLowerInvariant())
        {
            case "cpu":
                return (new CpuLinkEngine(threads), null);
            case "auto":
                {
                    var gpu = IlgpuLinkEngine.TryCreate(IlgpuDevice.Cuda, out _, threads);
                    return gpu is not null ? (gpu, null) : (new CpuLinkEngine(threads), null);
                }
            case "cuda":
                return Require(IlgpuDevice.Cuda, "cuda", threads);
            case "opencl":
                return Require(IlgpuDevice.OpenCL, "opencl", threads);
            case "ilgpu-cpu":
                return Require(IlgpuDevice.Cpu, "ilgpu-cpu", threads);
            default:
                return (null, $"unknown device '{name}' (expected one of: {string.Join(", ", Names)})");
        }
    }

    /// <summary>
    /// Starts making the engine for <paramref name="name"/> and returns at once, so that a GPU's
    /// kernels compile (a second or two on an H100 machine) while the input is read. What can
    /// be known cheaply is known at once: an unknown name, or `cuda` without the driver library,
    /// fails before any work, and `auto` without the driver is the CPU engine straight away.
    /// </summary>
    public static PendingEngine Open(string name, int threads = 0)
    {
        string lower = name.ToLowerInvariant();
        bool cudaPresent = (lower == "auto" || lower == "cuda") && IlgpuLinkEngine.CudaDriverPresent();
        return lower switch
        {
            "cpu" => PendingEngine.Ready(Create(lower, threads)),
            "auto" when !cudaPresent => PendingEngine.Ready(Create("cpu", threads)),
            "cuda" when !cudaPresent => PendingEngine.Ready((null, $"device 'cuda' is not available: {IlgpuLinkEngine.NoCudaDriver}")),
            "auto" or "cuda" or "opencl" or "ilgpu-cpu" => new PendingEngine(Task.Run(() => Create(lower, threads))),
            _ => PendingEngine.Ready(Create(lower, threads)),
        };
    }

    private static (ILinkEngine?, string?) Require(IlgpuDevice device, string name, int threads)
    {
        var engine = IlgpuLinkEngine.TryCreate(device, out string? why, threads);
        return engine is not null ? (engine, null) : (null, $"device '{name}' is not available: {why}");
    }
}

/// <summary>An engine being made on another thread (see <see cref="LinkDevices.Open"/>).</summary>
public sealed class PendingEngine : IDisposable
{
    private readonly Task<(ILinkEngine? Engine, string? Error)> making;

    public PendingEngine(Task<(ILinkEngine? Engine, string? Error)> making) => this.making = making;

    public static PendingEngine Ready((ILinkEngine? Engine, string? Error) made) => new(Task.FromResult(made));

    /// <summary>Whether making the engine has ended (with an engine or without).</summary>
    public bool IsReady => making.IsCompleted;

    /// <summary>The error, when it is already known that there will be no engine.</summary>
    public string? FailedAlready => making.IsCompletedSuccessfully && making.Result.Engine is null ? making.Result.Error : null;

    /// <summary>Waits for the engine; null with the reason when it could not be made.</summary>
    public (ILinkEngine? Engine, string? Error) Get() => making.GetAwaiter().GetResult();

    /// <summary>Waits for the making to end, even when the run stopped before it needed the engine, and frees it.</summary>
    public void Dispose() => Get().Engine?.Dispose();
}
