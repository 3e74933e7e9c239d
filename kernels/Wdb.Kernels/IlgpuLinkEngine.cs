using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.RadixSortOperations;
using ILGPU.Algorithms.ScanReduceOperations;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using Wdb.Core;

namespace Wdb.Kernels;

/// <summary>The ILGPU accelerator kind an engine runs on.</summary>
public enum IlgpuDevice { Cpu, Cuda, OpenCL }

/// <summary>
/// Friends-of-friends link engine on an ILGPU accelerator: grid binning, radix sort, cell
/// collapse and a device union-find (see <see cref="LinkKernels"/>). Memory is bounded by the
/// number of points; dense clumps never produce pair lists. Membership is bit-identical to
/// <see cref="Sky.Within"/>: unit vectors are computed on the host by
/// <see cref="Sky.UnitVector"/> and compared in double without fused multiply-add.
/// </summary>
/// <remarks>
/// One context, one accelerator, kernels compiled once per engine; not thread-safe (one
/// <see cref="Link"/> at a time). Rows with a non-finite position link to nothing, as with
/// <see cref="Sky.Within"/>.
/// </remarks>
public sealed class IlgpuLinkEngine : ILinkEngine
{
    private readonly Context context;
    private readonly Accelerator accelerator;

    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<ulong>, ArrayView<int>, LinkGrid> cellKeys;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>> gather;
    private readonly Action<Index1D, ArrayView<ulong>, ArrayView<int>> cellFlags;
    private readonly Action<Index1D, ArrayView<ulong>, ArrayView<int>, ArrayView<int>, ArrayView<ulong>, ArrayView<int>> cellStarts;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<int>, ArrayView<CellBox>> cellSummary;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, LinkGrid> collapse;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<int>, ArrayView<int>, ArrayView<ulong>, ArrayView<int>, ArrayView<int>, ArrayView<CellBox>, ArrayView<int>, LinkGrid> neighbours;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<int>> roots;
    private readonly RadixSortPairs<ulong, Stride1D.Dense, int, Stride1D.Dense> sortPairs;
    private readonly Scan<int, Stride1D.Dense, Stride1D.Dense> inclusiveScan;

    public string DeviceName { get; }

    /// <summary>Host threads for the unit vectors and the labels (0: every core).</summary>
    private readonly int threads;

    private IlgpuLinkEngine(Context context, Accelerator accelerator, IlgpuDevice device, int threads)
    {
        this.context = context;
        this.accelerator = accelerator;
        this.threads = threads;
        DeviceName = $"ilgpu {device.ToString().ToLowerInvariant()}: {accelerator.Name}";

        cellKeys = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<ulong>, ArrayView<int>, LinkGrid>(LinkKernels.CellKeysKernel);
        gather = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>>(LinkKernels.GatherKernel);
        cellFlags = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ulong>, ArrayView<int>>(LinkKernels.CellFlagsKernel);
        cellStarts = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ulong>, ArrayView<int>, ArrayView<int>, ArrayView<ulong>, ArrayView<int>>(LinkKernels.CellStartsKernel);
        cellSummary = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<int>, ArrayView<CellBox>>(LinkKernels.CellSummaryKernel);
        collapse = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, LinkGrid>(LinkKernels.CollapseKernel);
        neighbours = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<int>, ArrayView<int>, ArrayView<ulong>, ArrayView<int>, ArrayView<int>, ArrayView<CellBox>, ArrayView<int>, LinkGrid>(LinkKernels.NeighbourKernel);
        roots = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>>(LinkKernels.RootsKernel);
        sortPairs = accelerator.CreateRadixSortPairs<ulong, Stride1D.Dense, int, Stride1D.Dense, AscendingUInt64>();
        inclusiveScan = accelerator.CreateScan<int, Stride1D.Dense, Stride1D.Dense, AddInt32>(ScanKind.Inclusive);
    }

    /// <summary>
    /// An engine on the first accelerator of that kind, or null with the reason when there is
    /// none (no driver, no device, or the kernels do not compile there, e.g. no fp64). The
    /// host's share of a link runs on <paramref name="threads"/> threads (0: every core).
    /// </summary>
    public static IlgpuLinkEngine? TryCreate(IlgpuDevice device, out string? whyNot, int threads = 0)
    {
        // Without the driver library there is no CUDA device: say so before building an ILGPU
        // context (0.07 s of every CPU-only `--device auto` run, a twentieth of a survey merge).
        if (device == IlgpuDevice.Cuda && !CudaDriverPresent())
        {
            whyNot = NoCudaDriver;
            return null;
        }
        Context? context = null;
        Accelerator? accelerator = null;
        try
        {
            context = Context.Create(builder =>
            {
                _ = device switch
                {
                    IlgpuDevice.Cpu => builder.CPU(),
                    IlgpuDevice.Cuda => builder.Cuda(),
                    IlgpuDevice.OpenCL => builder.OpenCL(),
                    _ => throw new ArgumentOutOfRangeException(nameof(device)),
                };
                builder.EnableAlgorithms();
            });
            var wanted = device switch
            {
                IlgpuDevice.Cpu => AcceleratorType.CPU,
                IlgpuDevice.Cuda => AcceleratorType.Cuda,
                _ => AcceleratorType.OpenCL,
            };
            Device? found = null;
            foreach (var candidate in context.Devices)
            {
                if (candidate.AcceleratorType == wanted) { found = candidate; break; }
            }
            if (found is null)
            {
                context.Dispose();
                whyNot = $"no {device} device";
                return null;
            }
            accelerator = found.CreateAccelerator(context);
            whyNot = null;
            return new IlgpuLinkEngine(context, accelerator, device, threads);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            accelerator?.Dispose();
            context?.Dispose();
            whyNot = $"{device}: {e.GetType().Name}: {e.Message}";
            return null;
        }
    }

    public const string NoCudaDriver = "Cuda: no CUDA driver library (libcuda.so.1 / nvcuda.dll) can be loaded";

    /// <summary>Whether the CUDA driver API library loads (the library ILGPU's CUDA back end calls into).</summary>
    public static bool CudaDriverPresent()
    {
        string[] names = OperatingSystem.IsWindows() ? ["nvcuda.dll"]
            : OperatingSystem.IsLinux() ? ["libcuda.so.1", "libcuda.so"]
            : [];
        foreach (string name in names)
        {
            if (!System.Runtime.InteropServices.NativeLibrary.TryLoad(name, out nint handle)) continue;
            System.Runtime.InteropServices.NativeLibrary.Free(handle);
            return true;
        }
        return false;
    }

    public int[] Link(ReadOnlySpan<double> raDeg, ReadOnlySpan<double> decDeg, double radiusArcsec) =>
        Link(raDeg, decDeg, radiusArcsec, null);

    /// <summary>
    /// <see cref="Link(ReadOnlySpan{double}, ReadOnlySpan{double}, double)"/>; with a trace,
    /// each stage is waited for and its device buffers copied into the trace, so that
    /// <see cref="LinkTrace.Check"/> can hold every kernel's output against its reference.
    /// </summary>
    public int[] Link(ReadOnlySpan<double> raDeg, ReadOnlySpan<double> decDeg, double radiusArcsec, LinkTrace? trace)
    {
        if (raDeg.Length != decDeg.Length)
            throw new ArgumentException($"ra has {raDeg.Length} rows, dec has {decDeg.Length}");
        if (!double.IsFinite(radiusArcsec) || radiusArcsec < 0)
            throw new ArgumentOutOfRangeException(nameof(radiusArcsec), radiusArcsec, "radius must be finite and >= 0");

        int n = raDeg.Length;
        var labels = new int[n];
        trace?.Restart();
        var (rows, x, y, z, bounds) = UnitVectors(raDeg, decDeg, labels, threads);
        trace?.Lap("unit vectors (host)");
        if (rows.Length == 0) return labels;

        var grid = LinkGrid.Plan(bounds, radiusArcsec);
        trace?.Lap("grid plan (host)");
        if (trace is not null) { trace.Rows = rows; trace.X = x; trace.Y = y; trace.Z = z; trace.Grid = grid; trace.Restart(); }
        int[] roots;
        try { roots = LinkOnDevice(x, y, z, grid, trace); }
        catch (AcceleratorException e)
        {
            throw new LinkDeviceException($"{DeviceName}: {e.Message}", IsOutOfMemory(e), e);
        }
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, rows.Length, 1 << 16), Threads.Options(threads), range =>
        {
            for (int c = range.Item1; c < range.Item2; c++)
                labels[rows[c]] = rows[roots[c]];
        });
        trace?.Lap("labels (host)");
        return labels;
    }

    /// <summary>
    /// Unit vectors of the rows with a finite position (compact, in row order) and their row
    /// numbers, and their bounding box; every label starts as its own row. On all cores: on an H100 machine this
    /// sine and cosine work, done on one core, took 0.17 s of a 0.2 s link of 3.4 M rows, the
    /// kernels 0.012 s. It stays on the host so the vectors are those of <see cref="Sky.UnitVector"/>
    /// to the bit.
    /// </summary>
    private static unsafe (int[] Rows, double[] X, double[] Y, double[] Z, CellBox Bounds) UnitVectors(ReadOnlySpan<double> raDeg, ReadOnlySpan<double> decDeg,
        int[] labels, int threads)
    {
        int n = raDeg.Length;
        int parts = Math.Clamp(n / 65536, 1, Threads.Resolve(threads));
        var offset = new int[parts + 1];
        var bounds = new CellBox[parts];
        fixed (double* pra = raDeg, pdec = decDeg)
        {
            // Spans cannot enter a lambda; their pinned addresses can.
            nint raAddr = (nint)pra, decAddr = (nint)pdec;
            Parallel.For(0, parts, t =>
            {
                double* ra = (double*)raAddr, dec = (double*)decAddr;
                int valid = 0;
                for (int i = Start(t); i < Start(t + 1); i++)
                {
                    labels[i] = i;
                    if (double.IsFinite(ra[i]) && double.IsFinite(dec[i])) valid++;
                }
                offset[t + 1] = valid;
            });
            for (int t = 0; t < parts; t++) offset[t + 1] += offset[t];
            var rows = new int[offset[parts]];
            var x = new double[rows.Length];
            var y = new double[rows.Length];
            var z = new double[rows.Length];
            Parallel.For(0, parts, t =>
            {
                double* ra = (double*)raAddr, dec = (double*)decAddr;
                int c = offset[t];
                var box = CellBox.Empty;
                for (int i = Start(t); i < Start(t + 1); i++)
                {
                    if (!double.IsFinite(ra[i]) || !double.IsFinite(dec[i])) continue;
                    var (px, py, pz) = Sky.UnitVector(ra[i], dec[i]);
                    x[c] = px; y[c] = py; z[c] = pz;
                    box = box.Including(px, py, pz);
                    rows[c++] = i;
                }
                bounds[t] = box;
            });
            var all = CellBox.Empty;
            foreach (var box in bounds) all = all.Including(box);
            return (rows, x, y, z, all);
        }

        int Start(int part) => (int)((long)n * part / parts);
    }

    private static bool IsOutOfMemory(AcceleratorException e) => e switch
    {
        CudaException cuda => cuda.Error.Contains("OUT_OF_MEMORY", StringComparison.OrdinalIgnoreCase),
        CLException cl => cl.Error is CLError.CL_OUT_OF_RESOURCES or CLError.CL_MEM_OBJECT_ALLOCATION_FAILURE or CLError.CL_OUT_OF_HOST_MEMORY,
        _ => false,
    };

    /// <summary>Runs the kernel pipeline; returns for each point the smallest index of its component.</summary>
    private int[] LinkOnDevice(double[] x, double[] y, double[] z, LinkGrid grid, LinkTrace? trace)
    {
        int n = x.Length;
        var stream = accelerator.DefaultStream;

        using var keys = accelerator.Allocate1D<ulong>(n);
        using var order = accelerator.Allocate1D<int>(n);
        using var sx = accelerator.Allocate1D<double>(n);
        using var sy = accelerator.Allocate1D<double>(n);
        using var sz = accelerator.Allocate1D<double>(n);
        // Input order is needed only until the points are in cell order.
        using (var dx = accelerator.Allocate1D(x))
        using (var dy = accelerator.Allocate1D(y))
        using (var dz = accelerator.Allocate1D(z))
        {
            Traced(trace, "upload", _ => { });
            cellKeys(n, dx.View, dy.View, dz.View, keys.View, order.View, grid);
            Traced(trace, "cell keys", t => t.Keys = keys.GetAsArray1D());
            using (var sortTemp = accelerator.Allocate1D<int>(accelerator.ComputeRadixSortPairsTempStorageSize<ulong, int, AscendingUInt64>(n)))
            {
                sortPairs(stream, keys.View, order.View, sortTemp.View);
                accelerator.Synchronize(); // launches are asynchronous: free nothing a kernel may still use
                Traced(trace, "radix sort", t => { t.SortedKeys = keys.GetAsArray1D(); t.Order = order.GetAsArray1D(); });
            }
            gather(n, order.View, dx.View, dy.View, dz.View, sx.View, sy.View, sz.View);
            accelerator.Synchronize();
            Traced(trace, "gather", t => { t.Sx = sx.GetAsArray1D(); t.Sy = sy.GetAsArray1D(); t.Sz = sz.GetAsArray1D(); });
        }

        using var flags = accelerator.Allocate1D<int>(n);
        using var cellOfPlus1 = accelerator.Allocate1D<int>(n);
        cellFlags(n, keys.View, flags.View);
        using (var scanTemp = accelerator.Allocate1D<int>(accelerator.ComputeScanTempStorageSize<int>(n)))
        {
            inclusiveScan(stream, flags.View, cellOfPlus1.View, scanTemp.View);
            accelerator.Synchronize();
            Traced(trace, "cell flags and scan", t => { t.Flags = flags.GetAsArray1D(); t.CellOfPlus1 = cellOfPlus1.GetAsArray1D(); });
        }
        var last = new int[1];
        cellOfPlus1.View.SubView(n - 1, 1).CopyToCPU(last);
        int cellCount = last[0];

        using var cellKeyList = accelerator.Allocate1D<ulong>(cellCount);
        using var cellStart = accelerator.Allocate1D<int>(cellCount + 1);
        using var cellRep = accelerator.Allocate1D<int>(cellCount);
        using var boxes = accelerator.Allocate1D<CellBox>(cellCount);
        cellStarts(n, keys.View, flags.View, cellOfPlus1.View, cellKeyList.View, cellStart.View);
        Traced(trace, "cell table", t => { t.CellKeys = cellKeyList.GetAsArray1D(); t.CellStart = cellStart.GetAsArray1D(); });
        cellSummary(cellCount, cellStart.View, order.View, sx.View, sy.View, sz.View, cellRep.View, boxes.View);
        Traced(trace, "cell summary", t => { t.CellRep = cellRep.GetAsArray1D(); t.Boxes = boxes.GetAsArray1D(); });

        using var parent = accelerator.Allocate1D<int>(n);
        collapse(n, order.View, cellOfPlus1.View, cellRep.View, parent.View, grid);
        Traced(trace, "collapse", t => t.Collapsed = parent.GetAsArray1D());
        neighbours(n, sx.View, sy.View, sz.View, order.View, cellOfPlus1.View, cellKeyList.View, cellStart.View,
            cellRep.View, boxes.View, parent.View, grid);
        Traced(trace, "neighbours", t => t.Linked = parent.GetAsArray1D());
        using var rootOf = accelerator.Allocate1D<int>(n);
        roots(n, parent.View, rootOf.View);
        Traced(trace, "roots", _ => { });
        var result = rootOf.GetAsArray1D();
        if (trace is not null) { trace.Roots = result; trace.Lap("download"); }
        return result;
    }

    /// <summary>With a trace: waits for the stage, books its time, then copies its buffers (not timed).</summary>
    private void Traced(LinkTrace? trace, string stage, Action<LinkTrace> copy)
    {
        if (trace is null) return;
        accelerator.Synchronize();
        trace.Lap(stage);
        copy(trace);
        trace.Restart();
    }

    public void Dispose()
    {
        accelerator.Dispose();
        context.Dispose();
    }
}
