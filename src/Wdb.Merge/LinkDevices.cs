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
                    var gpu = IlgpuLinkEngine.TryCreate(IlgpuDevice.Cuda, out _);
                    return gpu is not null ? (gpu, null) : (new CpuLinkEngine(threads), null);
                }
            case "cuda":
                return Require(IlgpuDevice.Cuda, "cuda");
            case "opencl":
                return Require(IlgpuDevice.OpenCL, "opencl");
            case "ilgpu-cpu":
                return Require(IlgpuDevice.Cpu, "ilgpu-cpu");
            default:
                return (null, $"unknown device '{name}' (expected one of: {string.Join(", ", Names)})");
        }
    }

    private static (ILinkEngine?, string?) Require(IlgpuDevice device, string name)
    {
        var engine = IlgpuLinkEngine.TryCreate(device, out string? why);
        return engine is not null ? (engine, null) : (null, $"device '{name}' is not available: {why}");
    }
}
