using Wdb.Core;
using Wdb.Kernels;

namespace Wdb.Tests.Kernels;

/// <summary>
/// `--device opencl`: on a machine with an OpenCL device ILGPU takes, it links as the brute force does; elsewhere (CI,
/// the H200 machine: NVIDIA's OpenCL lacks the generic address space ILGPU needs, and pocl's CPU device refused the
/// kernels, bench/NOTES.md 105) the reason says what to use instead, not only that it failed.
/// </summary>
public class OpenClDeviceTests
{
    [Fact]
    public void An_opencl_device_links_as_the_brute_force_or_the_reason_names_the_devices_to_use()
    {
        using var engine = IlgpuLinkEngine.TryCreate(IlgpuDevice.OpenCL, out string? whyNot);
        if (engine is null)
        {
            Assert.NotNull(whyNot);
            Assert.Contains("OpenCL", whyNot);
            Assert.Contains("use --device cuda on an NVIDIA GPU, --device cpu elsewhere", whyNot);
            return;
        }
        var (ra, dec) = LinkTestData.Clustered(5, 400, 40, 150.0, 10.0, 0.02, 1.5);
        Assert.Equal(LinkTestData.BruteForce(ra, dec, 2.0), engine.Link(ra, dec, 2.0));
    }

    [Fact]
    public void The_reasons_say_what_ilgpu_needs_and_name_the_device_that_refused()
    {
        string none = IlgpuLinkEngine.OpenClWhyNot(null, null);
        Assert.Equal("no OpenCL device ILGPU can use (it needs OpenCL 2.0, or 3.0 with the generic address space; NVIDIA's " +
                     "OpenCL has not: use --device cuda on an NVIDIA GPU, --device cpu elsewhere)", none);
        string refused = IlgpuLinkEngine.OpenClWhyNot("cpu-haswell-AMD EPYC", new InvalidOperationException("build failed"));
        Assert.Equal("the OpenCL device 'cpu-haswell-AMD EPYC' did not take wdb's kernels (InvalidOperationException: build failed; " +
                     "its compiler's own messages, if any, are above): use --device cuda on an NVIDIA GPU, --device cpu elsewhere", refused);
    }
}
