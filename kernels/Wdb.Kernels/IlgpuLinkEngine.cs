using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.RadixSortOperations;
using ILGPU.Algorithms.ScanReduceOperations;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using System.Runtime.CompilerServices;
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

    /// <summary>Staging and device buffers, kept between links (see <see cref="LinkBuffers"/>).</summary>
    private readonly LinkBuffers buffers;

    private IlgpuLinkEngine(Context context, Accelerator accelerator, IlgpuDevice device, int threads)
    {
        this.context = context;
        this.accelerator = accelerator;
        this.threads = threads;
        buffers = new LinkBuffers(accelerator);
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
        if (n == 0) return labels;
        trace?.Restart();
        try
        {
            buffers.EnsurePoints(n);
            var (rows, bounds) = StageVectors(raDeg, decDeg);
            int points = rows?.Length ?? n;
            if (trace is not null)
            {
                accelerator.Synchronize();
                trace.Lap("unit vectors and upload (host, overlapped)");
                trace.Rows = rows ?? Enumerable.Range(0, n).ToArray();
                trace.X = buffers.HostX.Span[..points].ToArray();
                trace.Y = buffers.HostY.Span[..points].ToArray();
                trace.Z = buffers.HostZ.Span[..points].ToArray();
                trace.Restart();
            }
            if (points == 0)
            {
                for (int i = 0; i < n; i++) labels[i] = i;
                return labels;
            }
            var grid = LinkGrid.Plan(bounds, radiusArcsec);
            trace?.Lap("grid plan (host)");
            if (trace is not null) { trace.Grid = grid; trace.Restart(); }
            LinkOnDevice(points, grid, trace);
            WriteLabels(labels, rows, buffers.HostRoots.Span[..points]);
        }
        catch (AcceleratorException e)
        {
            FreeAfterFailure();
            throw new LinkDeviceException($"{DeviceName}: {e.Message}", IsOutOfMemory(e), e);
        }
        trace?.Lap("labels (host)");
        return labels;
    }

    /// <summary>Rows per upload chunk: large enough that a copy is not mostly its fixed cost, small enough to overlap.</summary>
    internal int UploadChunkRows { get; set; } = 1 << 19;

    /// <summary>
    /// Writes the unit vectors of the rows with a finite position into the page-locked
    /// staging buffers, compact and in row order, and queues each chunk's upload as soon as
    /// it is written, so the bus carries one chunk while the cores compute the next (on an H100
    /// machine this sine and cosine work took 0.034 s of a 0.09 s link of 3.4 M rows, and the
    /// upload after it 0.010 s). It stays on the host so the vectors are those of
    /// <see cref="Sky.UnitVector"/> to the bit. Returns the row of each point, or null when
    /// every row is finite (point i is row i), and the points' bounding box.
    /// </summary>
    private unsafe (int[]? Rows, CellBox Bounds) StageVectors(ReadOnlySpan<double> raDeg, ReadOnlySpan<double> decDeg)
    {
        int n = raDeg.Length;
        int workers = Threads.Resolve(threads);
        int chunkRows = Math.Max(1, UploadChunkRows);
        int chunks = (n + chunkRows - 1) / chunkRows;
        // Each chunk is cut into one part per worker (parts of at least 16 k rows).
        int partsPerChunk = Math.Clamp(Math.Min(n, chunkRows) / 16384, 1, workers);
        int parts = chunks * partsPerChunk;
        var offset = new int[parts + 1];
        var boxes = new CellBox[parts];
        var stream = accelerator.DefaultStream;
        fixed (double* pra = raDeg, pdec = decDeg)
        {
            // Spans cannot enter a lambda; their pinned addresses can.
            nint raAddr = (nint)pra, decAddr = (nint)pdec;
            Parallel.For(0, parts, Threads.Options(threads), p =>
            {
                double* ra = (double*)raAddr, dec = (double*)decAddr;
                int valid = 0;
                for (int i = Start(p); i < Start(p + 1); i++)
                    if (double.IsFinite(ra[i]) && double.IsFinite(dec[i])) valid++;
                offset[p + 1] = valid;
            });
            for (int p = 0; p < parts; p++) offset[p + 1] += offset[p];
            int points = offset[parts];
            int[]? rows = points == n ? null : new int[points];
            nint xAddr = (nint)Unsafe.AsPointer(ref buffers.HostX.Span.GetPinnableReference());
            nint yAddr = (nint)Unsafe.AsPointer(ref buffers.HostY.Span.GetPinnableReference());
            nint zAddr = (nint)Unsafe.AsPointer(ref buffers.HostZ.Span.GetPinnableReference());
            for (int chunk = 0; chunk < chunks; chunk++)
            {
                int firstPart = chunk * partsPerChunk;
                Parallel.For(firstPart, firstPart + partsPerChunk, Threads.Options(threads), p =>
                {
                    double* ra = (double*)raAddr, dec = (double*)decAddr;
                    double* x = (double*)xAddr, y = (double*)yAddr, z = (double*)zAddr;
                    int c = offset[p];
                    var box = CellBox.Empty;
                    for (int i = Start(p); i < Start(p + 1); i++)
                    {
                        if (!double.IsFinite(ra[i]) || !double.IsFinite(dec[i])) continue;
                        var (px, py, pz) = Sky.UnitVector(ra[i], dec[i]);
                        x[c] = px; y[c] = py; z[c] = pz;
                        box = box.Including(px, py, pz);
                        if (rows is not null) rows[c] = i;
                        c++;
                    }
                    boxes[p] = box;
                });
                int from = offset[firstPart], count = offset[firstPart + partsPerChunk] - from;
                if (count == 0) continue;
                // Asynchronous: these staging rows are not written again before the link waits.
                Contiguous(buffers.X!).SubView(from, count).CopyFromCPUUnsafeAsync(stream, ref ((double*)xAddr)[from], count);
                Contiguous(buffers.Y!).SubView(from, count).CopyFromCPUUnsafeAsync(stream, ref ((double*)yAddr)[from], count);
                Contiguous(buffers.Z!).SubView(from, count).CopyFromCPUUnsafeAsync(stream, ref ((double*)zAddr)[from], count);
            }
            var all = CellBox.Empty;
            foreach (var box in boxes) all = all.Including(box);
            return (rows, all);
        }

        // Part p of chunk p / partsPerChunk; chunks are chunkRows long but the last. The end
        // of the last part is the first part of a chunk that does not exist: n.
        int Start(int p)
        {
            if (p == parts) return n;
            int chunk = p / partsPerChunk, k = p % partsPerChunk;
            long begin = (long)chunk * chunkRows, length = Math.Min(chunkRows, n - begin);
            return (int)(begin + length * k / partsPerChunk);
        }
    }

    private static ArrayView<T> Contiguous<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer) where T : unmanaged => buffer.View;

    /// <summary>labels[row] = the row of the root of its point; rows without a point are their own label.</summary>
    private void WriteLabels(int[] labels, int[]? rows, ReadOnlySpan<int> roots)
    {
        unsafe
        {
            fixed (int* pRoots = roots)
            {
                nint rootsAddr = (nint)pRoots;
                int points = roots.Length;
                if (rows is not null)
                {
                    Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, labels.Length, 1 << 16), Threads.Options(threads), range =>
                    {
                        for (int i = range.Item1; i < range.Item2; i++) labels[i] = i;
                    });
                }
                Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, points, 1 << 16), Threads.Options(threads), range =>
                {
                    int* root = (int*)rootsAddr;
                    if (rows is null)
                        new ReadOnlySpan<int>(root + range.Item1, range.Item2 - range.Item1).CopyTo(labels.AsSpan(range.Item1));
                    else
                        for (int c = range.Item1; c < range.Item2; c++) labels[rows[c]] = rows[root[c]];
                });
            }
        }
    }

    /// <summary>After a device failure: wait for what is in flight, then free every buffer (a retry starts from nothing).</summary>
    private void FreeAfterFailure()
    {
        try { accelerator.Synchronize(); }
        catch (AcceleratorException) { } // the failure itself is already being reported
        buffers.Dispose();
    }

    private static bool IsOutOfMemory(AcceleratorException e) => e switch
    {
        CudaException cuda => cuda.Error.Contains("OUT_OF_MEMORY", StringComparison.OrdinalIgnoreCase),
        CLException cl => cl.Error is CLError.CL_OUT_OF_RESOURCES or CLError.CL_MEM_OBJECT_ALLOCATION_FAILURE or CLError.CL_OUT_OF_HOST_MEMORY,
        _ => false,
    };

    /// <summary>
    /// Runs the kernel pipeline on the <paramref name="n"/> points already uploaded; leaves in
    /// the host roots buffer, for each point, the smallest index of its component.
    /// </summary>
    private void LinkOnDevice(int n, LinkGrid grid, LinkTrace? trace)
    {
        var b = buffers;
        var stream = accelerator.DefaultStream;
        var x = b.X!.View.SubView(0, n);
        var y = b.Y!.View.SubView(0, n);
        var z = b.Z!.View.SubView(0, n);
        var keys = b.Keys!.View.SubView(0, n);
        var order = b.Order!.View.SubView(0, n);
        var sx = b.Sx!.View.SubView(0, n);
        var sy = b.Sy!.View.SubView(0, n);
        var sz = b.Sz!.View.SubView(0, n);
        var flags = b.Flags!.View.SubView(0, n);
        var cellOfPlus1 = b.CellOfPlus1!.View.SubView(0, n);
        var parent = b.Parent!.View.SubView(0, n);
        var rootOf = b.Roots!.View.SubView(0, n);

        cellKeys(n, x, y, z, keys, order, grid);
        Traced(trace, "cell keys", t => t.Keys = keys.GetAsArray1D());
        sortPairs(stream, keys, order, b.SortTemp!.View);
        Traced(trace, "radix sort", t => { t.SortedKeys = keys.GetAsArray1D(); t.Order = order.GetAsArray1D(); });
        gather(n, order, x, y, z, sx, sy, sz);
        Traced(trace, "gather", t => { t.Sx = sx.GetAsArray1D(); t.Sy = sy.GetAsArray1D(); t.Sz = sz.GetAsArray1D(); });

        cellFlags(n, keys, flags);
        inclusiveScan(stream, flags, cellOfPlus1, b.ScanTemp!.View);
        Traced(trace, "cell flags and scan", t => { t.Flags = flags.GetAsArray1D(); t.CellOfPlus1 = cellOfPlus1.GetAsArray1D(); });
        var last = new int[1];
        cellOfPlus1.SubView(n - 1, 1).CopyToCPU(last); // waits for the scan
        int cellCount = last[0];

        b.EnsureCells(cellCount);
        var cellKeyList = b.CellKeys!.View.SubView(0, cellCount);
        var cellStart = b.CellStart!.View.SubView(0, cellCount + 1);
        var cellRep = b.CellRep!.View.SubView(0, cellCount);
        var boxes = b.Boxes!.View.SubView(0, cellCount);
        cellStarts(n, keys, flags, cellOfPlus1, cellKeyList, cellStart);
        Traced(trace, "cell table", t => { t.CellKeys = cellKeyList.GetAsArray1D(); t.CellStart = cellStart.GetAsArray1D(); });
        cellSummary(cellCount, cellStart, order, sx, sy, sz, cellRep, boxes);
        Traced(trace, "cell summary", t => { t.CellRep = cellRep.GetAsArray1D(); t.Boxes = boxes.GetAsArray1D(); });

        collapse(n, order, cellOfPlus1, cellRep, parent, grid);
        Traced(trace, "collapse", t => t.Collapsed = parent.GetAsArray1D());
        neighbours(n, sx, sy, sz, order, cellOfPlus1, cellKeyList, cellStart, cellRep, boxes, parent, grid);
        Traced(trace, "neighbours", t => t.Linked = parent.GetAsArray1D());
        roots(n, parent, rootOf);
        Traced(trace, "roots", _ => { });
        unsafe
        {
            ((ArrayView<int>)rootOf).CopyToCPUUnsafeAsync(stream, ref b.HostRoots.Span.GetPinnableReference(), n);
        }
        stream.Synchronize();
        if (trace is not null) { trace.Lap("download"); trace.Roots = b.HostRoots.Span[..n].ToArray(); trace.Restart(); }
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
        buffers.Dispose();
        accelerator.Dispose();
        context.Dispose();
    }
}
