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
/// number of points; dense clumps never produce pair lists. Membership is that of
/// <see cref="Sky.Within"/>: the device makes the unit vectors (<see cref="DeviceTrig"/>) and
/// links only the pairs certainly within the radius under their tolerance; the pairs near it
/// are decided on the host with <see cref="Sky.UnitVector"/> (<see cref="Settle"/>).
/// </summary>
/// <remarks>
/// One context, one accelerator, kernels compiled once per engine; not thread-safe (one
/// <see cref="Link"/> at a time), but any thread may call it. Rows with a non-finite position
/// link to nothing, as with <see cref="Sky.Within"/>.
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
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<int>, ArrayView<int>, ArrayView<ulong>, ArrayView<int>, ArrayView<int>, ArrayView<CellBox>, ArrayView<int>, ArrayView<int>, LinkGrid> neighbours;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>> unitVectors;
    private readonly Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<CellBox>> bounds;
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
        neighbours = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<int>, ArrayView<int>, ArrayView<ulong>, ArrayView<int>, ArrayView<int>, ArrayView<CellBox>, ArrayView<int>, ArrayView<int>, LinkGrid>(LinkKernels.NeighbourKernel);
        unitVectors = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>>(LinkKernels.UnitVectorsKernel);
        bounds = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<CellBox>>(LinkKernels.BoundsKernel);
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
        if (device == IlgpuDevice.OpenCL && !OpenClLoaderPresent())
        {
            whyNot = NoOpenClLoader;
            return null;
        }
        Context? context = null;
        Accelerator? accelerator = null;
        Device? found = null;
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
            foreach (var candidate in context.Devices)
            {
                if (candidate.AcceleratorType == wanted) { found = candidate; break; }
            }
            if (found is null)
            {
                context.Dispose();
                whyNot = device == IlgpuDevice.OpenCL ? OpenClWhyNot(null, null) : $"no {device} device";
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
            whyNot = device == IlgpuDevice.OpenCL ? OpenClWhyNot(found?.Name, e) : $"{device}: {e.GetType().Name}: {e.Message}";
            return null;
        }
    }

    /// <summary>
    /// Why OpenCL gave no engine, with what to do instead. ILGPU's OpenCL back end lists only devices of OpenCL 2.0, or
    /// 3.0 with the generic address space, which NVIDIA's OpenCL lacks; and a listed device's compiler may still refuse
    /// the kernels (pocl's CPU device did on the H200 machine, bench/NOTES.md 105), as <paramref name="error"/> says.
    /// </summary>
    public static string OpenClWhyNot(string? deviceName, Exception? error) => error is null
        ? "no OpenCL device ILGPU can use (it needs OpenCL 2.0, or 3.0 with the generic address space; NVIDIA's OpenCL " +
          $"has not: {InsteadOfOpenCl})"
        : $"the OpenCL device {(deviceName is null ? "" : $"'{deviceName}' ")}did not take wdb's kernels ({error.GetType().Name}: " +
          $"{error.Message}; its compiler's own messages, if any, are above): {InsteadOfOpenCl}";

    /// <summary>What to link with where OpenCL cannot: the end of every OpenCL reason.</summary>
    private const string InsteadOfOpenCl = "use --device cuda on an NVIDIA GPU, --device cpu elsewhere";

    public const string NoCudaDriver = "Cuda: no CUDA driver library (libcuda.so.1 / nvcuda.dll) can be loaded";

    public const string NoOpenClLoader = "OpenCL: no OpenCL loader library (libOpenCL.so.1 / OpenCL.dll) can be loaded: " + InsteadOfOpenCl;

    /// <summary>Whether the CUDA driver API library loads (the library ILGPU's CUDA back end calls into).</summary>
    public static bool CudaDriverPresent() => AnyLoads(OperatingSystem.IsWindows() ? ["nvcuda.dll"]
        : OperatingSystem.IsLinux() ? ["libcuda.so.1", "libcuda.so"]
        : []);

    /// <summary>
    /// Whether an OpenCL ICD loader loads (what ILGPU's OpenCL back end calls into): without one there is no OpenCL
    /// device, which `--device opencl` can say before the input is read, as `cuda` does without its driver.
    /// </summary>
    public static bool OpenClLoaderPresent() => AnyLoads(OperatingSystem.IsWindows() ? ["OpenCL.dll"]
        : OperatingSystem.IsLinux() ? ["libOpenCL.so.1", "libOpenCL.so"]
        : OperatingSystem.IsMacOS() ? ["/System/Library/Frameworks/OpenCL.framework/OpenCL"]
        : []);

    private static bool AnyLoads(string[] names)
    {
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
            // A CUDA context is current per thread, and a merge links on whichever thread runs
            // the zone or block (the engine was made on yet another). ILGPU binds on allocations
            // and launches but not on copies or page locking.
            accelerator.Bind();
            buffers.EnsurePoints(n);
            var layout = Layout.Of(raDeg, decDeg, Math.Max(1, UploadChunkRows), Threads.Resolve(threads), threads);
            int points = layout.Points;
            int[]? rows = points == n ? null : new int[points];
            if (points == 0)
            {
                WriteLabels(labels, rows, []);
                return labels;
            }
            buffers.EnsureMaybe(Math.Max(4096, points / 64));
            LinkGrid grid = DeviceMakesVectors(layout, radiusArcsec)
                ? VectorsOnDevice(raDeg, decDeg, layout, rows, radiusArcsec, trace)
                : VectorsOnHost(raDeg, decDeg, layout, rows, radiusArcsec, trace);
            if (trace is not null) { trace.Rows = rows ?? Enumerable.Range(0, n).ToArray(); trace.Grid = grid; trace.Restart(); }
            int maybe = LinkOnDevice(points, grid, trace);
            while (maybe > buffers.MaybeCapacity)
            {
                // More pairs near the radius than room for them (contrived data): again, with room
                // to spare, since the count varies from run to run with the order of the unions.
                buffers.EnsureMaybe(maybe + maybe / 2);
                maybe = LinkOnDevice(points, grid, trace);
            }
            var roots = buffers.HostRoots.Span[..points];
            if (maybe > 0) Settle(raDeg, decDeg, rows, roots, maybe, radiusArcsec, trace);
            WriteLabels(labels, rows, roots);
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

    /// <summary>Make the unit vectors on the host (exact; every pair settled on the device) even where the device could.</summary>
    internal bool HostVectors { get; set; }

    /// <summary>The tolerance the grid allows device-made vectors; tests widen it so that many pairs go to the host.</summary>
    internal double PointTolerance { get; set; } = LinkGrid.DevicePointTolerance;

    /// <summary>
    /// Whether the device makes the unit vectors: not when asked otherwise, not when an angle
    /// is beyond its reduction's domain, and not for radii so small (below ~2e-5") that the
    /// tolerance would leave no pair certain and send every exact duplicate to the host.
    /// </summary>
    private bool DeviceMakesVectors(Layout layout, double radiusArcsec) =>
        !HostVectors && !layout.BeyondDomain && Math.Sqrt(Sky.ChordSquared(radiusArcsec)) > 1000 * LinkGrid.DevicePointTolerance;

    /// <summary>
    /// The block cut into upload chunks and each chunk into one part per worker (parts of at
    /// least 16 k rows), with the count of rows with a finite position before each part
    /// (compact index of its first point), and whether any angle lies beyond
    /// <see cref="DeviceTrig.DomainDeg"/>.
    /// </summary>
    private sealed class Layout
    {
        public required int Rows, ChunkRows, Chunks, PartsPerChunk;
        /// <summary>Points before each part; filled by <see cref="Of"/>.</summary>
        public required int[] Offset;
        public bool BeyondDomain { get; private set; }

        public int Parts => Chunks * PartsPerChunk;
        public int Points => Offset[Parts];

        /// <summary>First row of part p (p = Parts gives the end of the block).</summary>
        public int Start(int p)
        {
            if (p == Parts) return Rows;
            int chunk = p / PartsPerChunk, k = p % PartsPerChunk;
            long begin = (long)chunk * ChunkRows, length = Math.Min(ChunkRows, Rows - begin);
            return (int)(begin + length * k / PartsPerChunk);
        }

        public static unsafe Layout Of(ReadOnlySpan<double> raDeg, ReadOnlySpan<double> decDeg, int chunkRows, int workers, int threads)
        {
            int n = raDeg.Length;
            int chunks = (n + chunkRows - 1) / chunkRows, partsPerChunk = Math.Clamp(Math.Min(n, chunkRows) / 16384, 1, workers);
            var layout = new Layout
            {
                Rows = n, ChunkRows = chunkRows, Chunks = chunks, PartsPerChunk = partsPerChunk,
                Offset = new int[chunks * partsPerChunk + 1],
            };
            var offset = layout.Offset;
            int beyond = 0;
            fixed (double* pra = raDeg, pdec = decDeg)
            {
                nint raAddr = (nint)pra, decAddr = (nint)pdec;
                Parallel.For(0, layout.Parts, Threads.Options(threads), p =>
                {
                    double* ra = (double*)raAddr, dec = (double*)decAddr;
                    int valid = 0;
                    bool wide = false;
                    for (int i = layout.Start(p); i < layout.Start(p + 1); i++)
                    {
                        if (!double.IsFinite(ra[i]) || !double.IsFinite(dec[i])) continue;
                        valid++;
                        wide |= Math.Abs(ra[i]) > DeviceTrig.DomainDeg || Math.Abs(dec[i]) > DeviceTrig.DomainDeg;
                    }
                    offset[p + 1] = valid;
                    if (wide) Volatile.Write(ref beyond, 1);
                });
            }
            for (int p = 0; p < layout.Parts; p++) offset[p + 1] += offset[p];
            layout.BeyondDomain = beyond != 0;
            return layout;
        }
    }

    /// <summary>
    /// The default: ra and dec go up (16 bytes a point instead of 24), a kernel makes the unit
    /// vectors with <see cref="DeviceTrig"/> and another their bounds. The host's sine and
    /// cosine were the largest part of a link (0.05 s of 0.06 s for 3.4 M rows on an H200
    /// machine's 16 cores); the pairs this leaves within the tolerance of the radius are settled
    /// on the host afterwards (<see cref="Settle"/>), so the labels stay those of <see cref="Sky.Within"/>.
    /// </summary>
    private LinkGrid VectorsOnDevice(ReadOnlySpan<double> raDeg, ReadOnlySpan<double> decDeg, Layout layout, int[]? rows,
        double radiusArcsec, LinkTrace? trace)
    {
        int points = layout.Points;
        var b = buffers;
        Stage(raDeg, decDeg, layout, rows, angles: true);
        Traced(trace, "ra and dec upload (host, overlapped)", t =>
        {
            t.Ra = b.HostX.Span[..points].ToArray();
            t.Dec = b.HostY.Span[..points].ToArray();
        });
        var x = b.X!.View.SubView(0, points);
        var y = b.Y!.View.SubView(0, points);
        var z = b.Z!.View.SubView(0, points);
        unitVectors(points, b.Ra!.View.SubView(0, points), b.Dec!.View.SubView(0, points), x, y, z);
        Traced(trace, "unit vectors (device)", t => { t.X = x.GetAsArray1D(); t.Y = y.GetAsArray1D(); t.Z = z.GetAsArray1D(); });
        int partials = Math.Min(LinkBuffers.PartialBoxes, points);
        var partial = b.Partials!.View.SubView(0, partials);
        bounds(partials, x, y, z, partial);
        ((ArrayView<CellBox>)partial).CopyToCPU(b.HostPartials.AsSpan(0, partials)); // waits for the kernels
        var grid = LinkGrid.Plan(CellBox.Of(b.HostPartials.AsSpan(0, partials)), radiusArcsec, PointTolerance);
        trace?.Lap("bounds (device) and grid plan");
        return grid;
    }

    /// <summary>
    /// Exact vectors from <see cref="Sky.UnitVector"/> on the host, uploaded: for blocks with an
    /// angle beyond <see cref="DeviceTrig.DomainDeg"/>, where the device's reduction would lose
    /// accuracy (never in valid data), for radii too small for the tolerance, and when
    /// <see cref="HostVectors"/> asks for it.
    /// </summary>
    private LinkGrid VectorsOnHost(ReadOnlySpan<double> raDeg, ReadOnlySpan<double> decDeg, Layout layout, int[]? rows,
        double radiusArcsec, LinkTrace? trace)
    {
        int points = layout.Points;
        var box = Stage(raDeg, decDeg, layout, rows, angles: false);
        Traced(trace, "unit vectors and upload (host, overlapped)", t =>
        {
            t.X = buffers.HostX.Span[..points].ToArray();
            t.Y = buffers.HostY.Span[..points].ToArray();
            t.Z = buffers.HostZ.Span[..points].ToArray();
        });
        var grid = LinkGrid.Plan(box, radiusArcsec);
        trace?.Lap("grid plan (host)");
        return grid;
    }

    /// <summary>
    /// Writes the rows with a finite position, compact and in row order, into the page-locked
    /// staging buffers (their angles, or with <paramref name="angles"/> false their exact unit
    /// vectors), and queues each chunk's upload as soon as it is written, so the bus carries
    /// one chunk while the cores fill the next. Fills <paramref name="rows"/> (each point's
    /// row) when some rows have no position. Returns the vectors' bounding box (empty for angles).
    /// </summary>
    private unsafe CellBox Stage(ReadOnlySpan<double> raDeg, ReadOnlySpan<double> decDeg, Layout layout, int[]? rows, bool angles)
    {
        var stream = accelerator.DefaultStream;
        var boxes = new CellBox[layout.Parts];
        var b = buffers;
        fixed (double* pra = raDeg, pdec = decDeg)
        {
            // Spans cannot enter a lambda; their pinned addresses can.
            nint raAddr = (nint)pra, decAddr = (nint)pdec;
            nint xAddr = (nint)Unsafe.AsPointer(ref b.HostX.Span.GetPinnableReference());
            nint yAddr = (nint)Unsafe.AsPointer(ref b.HostY.Span.GetPinnableReference());
            nint zAddr = (nint)Unsafe.AsPointer(ref b.HostZ.Span.GetPinnableReference());
            for (int chunk = 0; chunk < layout.Chunks; chunk++)
            {
                int firstPart = chunk * layout.PartsPerChunk;
                Parallel.For(firstPart, firstPart + layout.PartsPerChunk, Threads.Options(threads), p =>
                {
                    double* ra = (double*)raAddr, dec = (double*)decAddr;
                    double* x = (double*)xAddr, y = (double*)yAddr, z = (double*)zAddr;
                    int c = layout.Offset[p];
                    var box = CellBox.Empty;
                    for (int i = layout.Start(p); i < layout.Start(p + 1); i++)
                    {
                        if (!double.IsFinite(ra[i]) || !double.IsFinite(dec[i])) continue;
                        if (angles)
                        {
                            x[c] = ra[i];
                            y[c] = dec[i];
                        }
                        else
                        {
                            var (px, py, pz) = Sky.UnitVector(ra[i], dec[i]);
                            x[c] = px; y[c] = py; z[c] = pz;
                            box = box.Including(px, py, pz);
                        }
                        if (rows is not null) rows[c] = i;
                        c++;
                    }
                    boxes[p] = box;
                });
                int from = layout.Offset[firstPart], count = layout.Offset[firstPart + layout.PartsPerChunk] - from;
                if (count == 0) continue;
                // Asynchronous: these staging rows are not written again before the link waits.
                Contiguous(angles ? b.Ra! : b.X!).SubView(from, count).CopyFromCPUUnsafeAsync(stream, ref ((double*)xAddr)[from], count);
                Contiguous(angles ? b.Dec! : b.Y!).SubView(from, count).CopyFromCPUUnsafeAsync(stream, ref ((double*)yAddr)[from], count);
                if (!angles)
                    Contiguous(b.Z!).SubView(from, count).CopyFromCPUUnsafeAsync(stream, ref ((double*)zAddr)[from], count);
            }
        }
        return CellBox.Of(boxes);
    }

    /// <summary>
    /// The pairs the device left between <see cref="LinkGrid.Link2"/> and
    /// <see cref="LinkGrid.Maybe2"/>, decided with the exact vectors and <see cref="Sky.Within"/>;
    /// those within the radius join their components in <paramref name="roots"/>, which then
    /// again holds each point's smallest index. In real data such pairs are rare (they lie
    /// within ~1e-13 of the radius), so this runs on one thread.
    /// </summary>
    private void Settle(ReadOnlySpan<double> raDeg, ReadOnlySpan<double> decDeg, int[]? rows, Span<int> roots, int count,
        double radiusArcsec, LinkTrace? trace)
    {
        var pairs = new int[2 * count];
        buffers.Maybe!.View.SubView(1, pairs.Length).CopyToCPU(pairs);
        double chord2 = Sky.ChordSquared(radiusArcsec);
        int linked = 0;
        for (int p = 0; p < count; p++)
        {
            int a = pairs[2 * p], b = pairs[2 * p + 1];
            int ra = rows is null ? a : rows[a], rb = rows is null ? b : rows[b];
            var (x1, y1, z1) = Sky.UnitVector(raDeg[ra], decDeg[ra]);
            var (x2, y2, z2) = Sky.UnitVector(raDeg[rb], decDeg[rb]);
            if (!Sky.Within(x1, y1, z1, x2, y2, z2, chord2)) continue;
            LinkKernels.UnionReference(roots, a, b);
            linked++;
        }
        // Union keeps the smaller root, so walking up gives each point its component's smallest index.
        if (linked > 0)
            for (int c = 0; c < roots.Length; c++) roots[c] = roots[roots[c]];
        if (trace is not null) { trace.MaybePairs = count; trace.MaybeLinked = linked; trace.Lap("pairs near the radius settled (host)"); }
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
                if (points == 0) return;
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
    /// Runs the kernel pipeline on the <paramref name="n"/> points whose vectors are on the
    /// device; leaves in the host roots buffer, for each point, the smallest index of its
    /// component under the certain links, and returns how many pairs near the radius it left
    /// unsettled (stored while they fit the buffer).
    /// </summary>
    private int LinkOnDevice(int n, LinkGrid grid, LinkTrace? trace)
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
        var maybe = b.Maybe!.View;
        maybe.SubView(0, 1).MemSetToZero(stream);
        neighbours(n, sx, sy, sz, order, cellOfPlus1, cellKeyList, cellStart, cellRep, boxes, parent, maybe, grid);
        Traced(trace, "neighbours", t => t.Linked = parent.GetAsArray1D());
        roots(n, parent, rootOf);
        Traced(trace, "roots", _ => { });
        unsafe
        {
            ((ArrayView<int>)rootOf).CopyToCPUUnsafeAsync(stream, ref b.HostRoots.Span.GetPinnableReference(), n);
        }
        maybe.SubView(0, 1).CopyToCPU(last); // waits for the roots' download too
        Traced(trace, "download", t => t.Roots = b.HostRoots.Span[..n].ToArray());
        return last[0];
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
        // Unregistering page-locked memory needs the context on this thread too (the merge
        // disposes the engine on a different thread from the ones that linked).
        accelerator.Bind();
        buffers.Dispose();
        accelerator.Dispose();
        context.Dispose();
    }
}
