using System.Text.RegularExpressions;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using Wdb.Kernels;

namespace Wdb.Tests.Kernels;

/// <summary>
/// The CUDA path without a GPU: every link kernel goes through ILGPU's PTX backend (sm_90),
/// and the squared distances in the PTX cannot be contracted into FMAs by ptxas, which
/// would change the last bit of the chord and so the membership at the boundary.
/// </summary>
public partial class PtxCompileTests
{
    public static TheoryData<string> Kernels =>
    [
        nameof(LinkKernels.CellKeysKernel), nameof(LinkKernels.GatherKernel), nameof(LinkKernels.CellFlagsKernel),
        nameof(LinkKernels.CellStartsKernel), nameof(LinkKernels.CellSummaryKernel), nameof(LinkKernels.CollapseKernel),
        nameof(LinkKernels.NeighbourKernel), nameof(LinkKernels.RootsKernel),
        nameof(LinkKernels.UnitVectorsKernel), nameof(LinkKernels.BoundsKernel),
    ];

    private static string CompileToPtx(string kernel)
    {
        using var context = Context.Create(b => b.CPU().EnableAlgorithms());
        var arch = new CudaArchitecture(9, 0);
        using var backend = new PTXBackend(context, new CudaCapabilityContext(arch), arch, CudaInstructionSet.ISA_80, null);
        var entry = EntryPointDescription.FromImplicitlyGroupedKernel(typeof(LinkKernels).GetMethod(kernel)!);
        return ((PTXCompiledKernel)backend.Compile(entry, KernelSpecialization.Empty)).PTXAssembly;
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Kernel_compiles_to_ptx_without_fused_double_arithmetic(string kernel)
    {
        string ptx = CompileToPtx(kernel);
        Assert.Contains(".entry", ptx);
        Assert.DoesNotContain("fma.rn.f64", ptx);
    }

    [Fact]
    public void Every_double_product_in_the_neighbour_kernel_leaves_through_the_opaque_xor()
    {
        string[] lines = CompileToPtx(nameof(LinkKernels.NeighbourKernel)).Split('\n');
        int products = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            var mul = MulF64().Match(lines[i]);
            if (!mul.Success) continue;
            products++;
            string product = mul.Groups[1].Value;
            // The only use of a product is a bit move into an integer register for the xor.
            Assert.Matches($@"^\s*mov\.b64\s+%rd\d+,\s*{Regex.Escape(product)};", lines[i + 1]);
            for (int j = i + 2; j < lines.Length; j++)
                Assert.DoesNotMatch($@"{Regex.Escape(product)}\b", lines[j]);
        }
        Assert.Equal(6, products); // three squares for the box test, three for the point test
        Assert.Contains("atom.cas.b32", string.Join('\n', lines));
        Assert.Matches(@"atom\.[a-z.]*add", string.Join('\n', lines)); // the count of pairs near the radius
    }

    [GeneratedRegex(@"^\s*mul\.f64\s+(%fd\d+),")]
    private static partial Regex MulF64();
}
