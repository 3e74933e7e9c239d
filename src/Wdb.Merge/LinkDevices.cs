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
    /// Below this many rows, `auto` links on the CPU and never starts a GPU. Making the CUDA engine
    /// (context and kernel compilation) takes 1-1.5 s of a core on an H100 machine, while the CPU
    /// engine links 4 M survey rows in ~0.14 s on its 16 cores and a GPU saves ~30 ms per million
    /// rows there (bench/NOTES.md 89): the GPU pays for its start only above about this size.
    /// </summary>
    public const long AutoDeviceMinRows = 4_000_000;

    /// <summary>
    /// Starts making the engine for <paramref name="name"/> and returns at once, so that a GPU's
    /// kernels compile (a second or two on an H100 machine) while the input is read. What can
    /// be known cheaply is known at once: an unknown name, or `cuda` without the driver library,
    /// fails before any work, and `auto` without the driver, or for an input expected under
    /// <see cref="AutoDeviceMinRows"/> rows, is the CPU engine straight away. An `auto` that
    /// starts a GPU links on the CPU engine until the GPU is ready (<see cref="PendingEngine.ForLink"/>).
    /// </summary>
    /// <param name="expectedRows">Rows the inputs are expected to hold; 0 when unknown (then `auto` starts the GPU).</param>
    public static PendingEngine Open(string name, int threads = 0, long expectedRows = 0)
    {
        string lower = name.ToLowerInvariant();
        bool cudaPresent = (lower == "auto" || lower == "cuda") && IlgpuLinkEngine.CudaDriverPresent();
        return lower switch
        {
            "cpu" => PendingEngine.Ready(Create(lower, threads)),
            "auto" when !cudaPresent => PendingEngine.Ready(Create("cpu", threads)),
            "auto" when AutoStaysOnCpu(expectedRows) is string why => PendingEngine.Ready(Create("cpu", threads), why),
            "cuda" when !cudaPresent => PendingEngine.Ready((null, $"device 'cuda' is not available: {IlgpuLinkEngine.NoCudaDriver}")),
            "opencl" when !IlgpuLinkEngine.OpenClLoaderPresent() =>
                PendingEngine.Ready((null, $"device 'opencl' is not available: {IlgpuLinkEngine.NoOpenClLoader}")),
            "auto" => new PendingEngine(Task.Run(() => Create(lower, threads)), new CpuLinkEngine(threads)),
            "cuda" or "opencl" or "ilgpu-cpu" => new PendingEngine(Task.Run(() => Create(lower, threads))),
            _ => PendingEngine.Ready(Create(lower, threads)),
        };
    }

    /// <summary>Why `auto` links <paramref name="expectedRows"/> on the CPU with a GPU present; null when it starts the GPU (also when the rows are unknown, 0).</summary>
    public static string? AutoStaysOnCpu(long expectedRows) => expectedRows is > 0 and < AutoDeviceMinRows
        ? $"auto: about {expectedRows:N0} rows, under the {AutoDeviceMinRows:N0} where a GPU pays for its start"
        : null;

    private static (ILinkEngine?, string?) Require(IlgpuDevice device, string name, int threads)
    {
        var engine = IlgpuLinkEngine.TryCreate(device, out string? why, threads);
        return engine is not null ? (engine, null) : (null, $"device '{name}' is not available: {why}");
    }
}

/// <summary>
/// An engine being made on another thread (see <see cref="LinkDevices.Open"/>), and for `auto` the CPU
/// engine that links meanwhile: every engine gives the same labels (the smallest row of each component),
/// so which one linked a block or a zone changes the summary's device and nothing else.
/// </summary>
public sealed class PendingEngine : IDisposable
{
    private readonly Task<(ILinkEngine? Engine, string? Error)> making;
    private readonly ILinkEngine? meanwhile;
    private readonly string? note;

    /// <param name="meanwhile">Links while <paramref name="making"/> has not ended (`auto`); null to wait for it.</param>
    public PendingEngine(Task<(ILinkEngine? Engine, string? Error)> making, ILinkEngine? meanwhile = null)
    {
        this.making = making;
        this.meanwhile = meanwhile;
    }

    private PendingEngine((ILinkEngine? Engine, string? Error) made, string? note) : this(Task.FromResult(made)) => this.note = note;

    /// <param name="note">Why this engine, for the summary's device (e.g. why `auto` chose the CPU).</param>
    public static PendingEngine Ready((ILinkEngine? Engine, string? Error) made, string? note = null) => new(made, note);

    /// <summary>Whether making the engine has ended (with an engine or without).</summary>
    public bool IsReady => making.IsCompleted;

    /// <summary>Whether <see cref="ForLink"/> would wait now: the engine is still being made and nothing links meanwhile.</summary>
    public bool WouldWait => !making.IsCompleted && meanwhile is null;

    /// <summary>
    /// Why <paramref name="engine"/> (one <see cref="ForLink"/> gave) links, when there is more to say than its
    /// name: why `auto` chose the CPU, or that the CPU engine linked while the GPU was starting.
    /// </summary>
    public string? NoteFor(ILinkEngine engine) => ReferenceEquals(engine, meanwhile) ? "auto: while the GPU was starting" : note;

    /// <summary>The error, when it is already known that there will be no engine.</summary>
    public string? FailedAlready => making.IsCompletedSuccessfully && making.Result.Engine is null ? making.Result.Error : null;

    /// <summary>Waits for the engine; null with the reason when it could not be made.</summary>
    public (ILinkEngine? Engine, string? Error) Get() => making.GetAwaiter().GetResult();

    /// <summary>
    /// The engine for the next link: the one being made once it is ready; until then the CPU engine
    /// when there is one (`auto`: a run never waits for kernels to compile), else a wait for it.
    /// </summary>
    public (ILinkEngine? Engine, string? Error) ForLink() => meanwhile is not null && !making.IsCompleted ? (meanwhile, null) : Get();

    /// <summary>Waits for the making to end, even when the run stopped before it needed the engine, and frees it.</summary>
    public void Dispose()
    {
        meanwhile?.Dispose();
        Get().Engine?.Dispose();
    }
}
