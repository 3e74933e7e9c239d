using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.RadixSortOperations;
using ILGPU.Algorithms.ScanReduceOperations;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Wdb.Core;
using Wdb.Kernels;

namespace Wdb.Tests.Kernels;

/// <summary>One ILGPU CPU accelerator shared by the kernel tests.</summary>
public sealed class CpuAcceleratorFixture : IDisposable
{
    public Context Context { get; }
    public Accelerator Accelerator { get; }

    public CpuAcceleratorFixture()
    {
        Context = Context.Create(b => b.CPU().EnableAlgorithms());
        Accelerator = Context.CreateCPUAccelerator(0);
    }

    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }
}

/// <summary>
/// Every stage of the link pipeline computed by the sequential references alone, from one
/// point set: the inputs of each kernel test and the outputs it must reproduce.
/// </summary>
internal sealed class HostPipeline
{
    public required double[] Ra, Dec, X, Y, Z;
    public required LinkGrid Grid;
    public required ulong[] Keys, SortedKeys, CellKeys;
    public required int[] Iota, Order, Flags, CellOfPlus1, CellStart, CellRep, Collapsed, Linked, Roots;
    public required double[] SX, SY, SZ;
    public required CellBox[] Boxes;

    public int Count => X.Length;

    public static HostPipeline Build(double[] ra, double[] dec, double radiusArcsec, double pointTolerance = 0)
    {
        int n = ra.Length;
        var x = new double[n];
        var y = new double[n];
        var z = new double[n];
        for (int i = 0; i < n; i++) (x[i], y[i], z[i]) = Sky.UnitVector(ra[i], dec[i]);
        var grid = LinkGrid.Plan(LinkKernels.BoundsReference(x, y, z), radiusArcsec, pointTolerance);

        var keys = new ulong[n];
        var iota = new int[n];
        LinkKernels.CellKeysReference(x, y, z, keys, iota, grid);
        int[] order = [.. Enumerable.Range(0, n).OrderBy(i => keys[i])]; // stable
        ulong[] sortedKeys = [.. order.Select(i => keys[i])];

        var sx = new double[n];
        var sy = new double[n];
        var sz = new double[n];
        LinkKernels.GatherReference(order, x, y, z, sx, sy, sz);

        var flags = new int[n];
        LinkKernels.CellFlagsReference(sortedKeys, flags);
        var cellOfPlus1 = new int[n];
        for (int k = 0, sum = 0; k < n; k++) cellOfPlus1[k] = sum += flags[k];
        var (cellKeys, cellStart) = LinkKernels.CellStartsReference(sortedKeys);

        var cellRep = new int[cellKeys.Length];
        var boxes = new CellBox[cellKeys.Length];
        LinkKernels.CellSummaryReference(cellStart, order, sx, sy, sz, cellRep, boxes);

        var collapsed = new int[n];
        LinkKernels.CollapseReference(order, cellStart, cellRep, collapsed, grid);
        int[] linked = [.. collapsed];
        LinkKernels.NeighbourReference(sx, sy, sz, order, cellKeys, cellStart, linked, grid);
        var roots = new int[n];
        LinkKernels.RootsReference(linked, roots);

        return new HostPipeline
        {
            Ra = ra, Dec = dec, X = x, Y = y, Z = z, Grid = grid,
            Keys = keys, SortedKeys = sortedKeys, CellKeys = cellKeys,
            Iota = iota, Order = order, Flags = flags, CellOfPlus1 = cellOfPlus1, CellStart = cellStart,
            CellRep = cellRep, Collapsed = collapsed, Linked = linked, Roots = roots,
            SX = sx, SY = sy, SZ = sz, Boxes = boxes,
        };
    }

    /// <summary>A clustered patch with a dense clump (collapsed cells with many members).</summary>
    public static HostPipeline Clustered(int seed, double radiusArcsec, double pointTolerance = 0)
    {
        var (ra, dec) = LinkTestData.Clustered(seed, 300, 30, 359.995, 41.0, 0.01, 1.5);
        var (cRa, cDec) = LinkTestData.Clustered(seed + 1, 120, 1, 359.999, 41.0, 0.0, 0.3);
        return Build([.. ra, .. cRa], [.. dec, .. cDec], radiusArcsec, pointTolerance);
    }
}

/// <summary>Each link kernel on ILGPU's CPU accelerator against its sequential reference.</summary>
public class LinkKernelTests(CpuAcceleratorFixture fixture) : IClassFixture<CpuAcceleratorFixture>
{
    private readonly Accelerator acc = fixture.Accelerator;

    public static TheoryData<double> Radii => [2.0, 5.0, 0.001];

    [Theory]
    [MemberData(nameof(Radii))]
    public void References_agree_with_brute_force(double radius)
    {
        var h = HostPipeline.Clustered(1, radius);
        Assert.Equal(LinkTestData.BruteForce(h.Ra, h.Dec, radius), h.Roots);
        Assert.Equal(radius >= 1 ? 1 : 0, h.Grid.Collapsed);
        Assert.True(h.CellKeys.Length < h.Count || radius < 1); // some cells hold several points
    }

    [Fact]
    public void CellKeysKernel_matches_reference()
    {
        var h = HostPipeline.Clustered(2, 2.0);
        var kernel = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>,
            ArrayView<ulong>, ArrayView<int>, LinkGrid>(LinkKernels.CellKeysKernel);
        using var x = acc.Allocate1D(h.X);
        using var y = acc.Allocate1D(h.Y);
        using var z = acc.Allocate1D(h.Z);
        using var keys = acc.Allocate1D<ulong>(h.Count);
        using var order = acc.Allocate1D<int>(h.Count);
        kernel(h.Count, x.View, y.View, z.View, keys.View, order.View, h.Grid);
        acc.Synchronize();
        Assert.Equal(h.Keys, keys.GetAsArray1D());
        Assert.Equal(h.Iota, order.GetAsArray1D());
    }

    [Fact]
    public void RadixSortPairs_orders_keys_with_their_indices()
    {
        var h = HostPipeline.Clustered(3, 2.0);
        var sort = acc.CreateRadixSortPairs<ulong, Stride1D.Dense, int, Stride1D.Dense, AscendingUInt64>();
        using var keys = acc.Allocate1D(h.Keys);
        using var order = acc.Allocate1D(h.Iota);
        using var temp = acc.Allocate1D<int>(acc.ComputeRadixSortPairsTempStorageSize<ulong, int, AscendingUInt64>(h.Count));
        sort(acc.DefaultStream, keys.View, order.View, temp.View);
        acc.Synchronize();
        ulong[] sorted = keys.GetAsArray1D();
        int[] perm = order.GetAsArray1D();
        Assert.Equal(h.SortedKeys, sorted);
        Assert.Equal(h.Iota, perm.Order().ToArray());
        for (int k = 0; k < perm.Length; k++) Assert.Equal(h.Keys[perm[k]], sorted[k]);
    }

    [Fact]
    public void GatherKernel_matches_reference()
    {
        var h = HostPipeline.Clustered(4, 2.0);
        var kernel = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<double>, ArrayView<double>,
            ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<double>>(LinkKernels.GatherKernel);
        using var order = acc.Allocate1D(h.Order);
        using var x = acc.Allocate1D(h.X);
        using var y = acc.Allocate1D(h.Y);
        using var z = acc.Allocate1D(h.Z);
        using var sx = acc.Allocate1D<double>(h.Count);
        using var sy = acc.Allocate1D<double>(h.Count);
        using var sz = acc.Allocate1D<double>(h.Count);
        kernel(h.Count, order.View, x.View, y.View, z.View, sx.View, sy.View, sz.View);
        acc.Synchronize();
        Assert.Equal(h.SX, sx.GetAsArray1D());
        Assert.Equal(h.SY, sy.GetAsArray1D());
        Assert.Equal(h.SZ, sz.GetAsArray1D());
    }

    [Fact]
    public void CellFlagsKernel_and_scan_match_reference()
    {
        var h = HostPipeline.Clustered(5, 2.0);
        var kernel = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ulong>, ArrayView<int>>(LinkKernels.CellFlagsKernel);
        var scan = acc.CreateScan<int, Stride1D.Dense, Stride1D.Dense, AddInt32>(ScanKind.Inclusive);
        using var keys = acc.Allocate1D(h.SortedKeys);
        using var flags = acc.Allocate1D<int>(h.Count);
        using var cellOfPlus1 = acc.Allocate1D<int>(h.Count);
        using var temp = acc.Allocate1D<int>(acc.ComputeScanTempStorageSize<int>(h.Count));
        kernel(h.Count, keys.View, flags.View);
        scan(acc.DefaultStream, flags.View, cellOfPlus1.View, temp.View);
        acc.Synchronize();
        Assert.Equal(h.Flags, flags.GetAsArray1D());
        Assert.Equal(h.CellOfPlus1, cellOfPlus1.GetAsArray1D());
    }

    [Fact]
    public void CellStartsKernel_matches_reference()
    {
        var h = HostPipeline.Clustered(6, 2.0);
        var kernel = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ulong>, ArrayView<int>, ArrayView<int>,
            ArrayView<ulong>, ArrayView<int>>(LinkKernels.CellStartsKernel);
        using var keys = acc.Allocate1D(h.SortedKeys);
        using var flags = acc.Allocate1D(h.Flags);
        using var cellOfPlus1 = acc.Allocate1D(h.CellOfPlus1);
        using var cellKeys = acc.Allocate1D<ulong>(h.CellKeys.Length);
        using var cellStart = acc.Allocate1D<int>(h.CellStart.Length);
        kernel(h.Count, keys.View, flags.View, cellOfPlus1.View, cellKeys.View, cellStart.View);
        acc.Synchronize();
        Assert.Equal(h.CellKeys, cellKeys.GetAsArray1D());
        Assert.Equal(h.CellStart, cellStart.GetAsArray1D());
    }

    [Fact]
    public void CellSummaryKernel_matches_reference()
    {
        var h = HostPipeline.Clustered(7, 2.0);
        var kernel = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<double>,
            ArrayView<double>, ArrayView<double>, ArrayView<int>, ArrayView<CellBox>>(LinkKernels.CellSummaryKernel);
        using var cellStart = acc.Allocate1D(h.CellStart);
        using var order = acc.Allocate1D(h.Order);
        using var sx = acc.Allocate1D(h.SX);
        using var sy = acc.Allocate1D(h.SY);
        using var sz = acc.Allocate1D(h.SZ);
        using var rep = acc.Allocate1D<int>(h.CellKeys.Length);
        using var boxes = acc.Allocate1D<CellBox>(h.CellKeys.Length);
        kernel(h.CellKeys.Length, cellStart.View, order.View, sx.View, sy.View, sz.View, rep.View, boxes.View);
        acc.Synchronize();
        Assert.Equal(h.CellRep, rep.GetAsArray1D());
        Assert.Equal(h.Boxes, boxes.GetAsArray1D());
    }

    [Theory]
    [MemberData(nameof(Radii))]
    public void CollapseKernel_matches_reference(double radius)
    {
        var h = HostPipeline.Clustered(8, radius);
        var kernel = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>,
            ArrayView<int>, LinkGrid>(LinkKernels.CollapseKernel);
        using var order = acc.Allocate1D(h.Order);
        using var cellOfPlus1 = acc.Allocate1D(h.CellOfPlus1);
        using var rep = acc.Allocate1D(h.CellRep);
        using var parent = acc.Allocate1D<int>(h.Count);
        kernel(h.Count, order.View, cellOfPlus1.View, rep.View, parent.View, h.Grid);
        acc.Synchronize();
        Assert.Equal(h.Collapsed, parent.GetAsArray1D());
    }

    /// <summary>The neighbour kernel on the pipeline's inputs: the forest it leaves and the pairs it could not settle.</summary>
    private (int[] Forest, int[] Maybe) RunNeighbours(HostPipeline h, int maybeCapacity)
    {
        var kernel = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>,
            ArrayView<int>, ArrayView<int>, ArrayView<ulong>, ArrayView<int>, ArrayView<int>, ArrayView<CellBox>,
            ArrayView<int>, ArrayView<int>, LinkGrid>(LinkKernels.NeighbourKernel);
        using var sx = acc.Allocate1D(h.SX);
        using var sy = acc.Allocate1D(h.SY);
        using var sz = acc.Allocate1D(h.SZ);
        using var order = acc.Allocate1D(h.Order);
        using var cellOfPlus1 = acc.Allocate1D(h.CellOfPlus1);
        using var cellKeys = acc.Allocate1D(h.CellKeys);
        using var cellStart = acc.Allocate1D(h.CellStart);
        using var rep = acc.Allocate1D(h.CellRep);
        using var boxes = acc.Allocate1D(h.Boxes);
        using var parent = acc.Allocate1D(h.Collapsed);
        using var maybe = acc.Allocate1D<int>(1 + 2 * maybeCapacity);
        maybe.MemSetToZero();
        kernel(h.Count, sx.View, sy.View, sz.View, order.View, cellOfPlus1.View, cellKeys.View, cellStart.View,
            rep.View, boxes.View, parent.View, maybe.View, h.Grid);
        acc.Synchronize();
        int[] forest = parent.GetAsArray1D();
        for (int i = 0; i < forest.Length; i++) Assert.True(forest[i] <= i, "parents only point to smaller indices");
        return (forest, maybe.GetAsArray1D());
    }

    [Theory]
    [MemberData(nameof(Radii))]
    public void NeighbourKernel_gives_the_reference_components(double radius)
    {
        var h = HostPipeline.Clustered(9, radius);
        var (forest, maybe) = RunNeighbours(h, 16);
        Assert.Equal(0, maybe[0]); // exact vectors: every pair is settled on the device
        var roots = new int[forest.Length];
        LinkKernels.RootsReference(forest, roots);
        Assert.Equal(h.Roots, roots);
    }

    /// <summary>
    /// With a tolerance (vectors made on the device) the kernel links only pairs certainly within
    /// the radius and hands over those near it. Here the tolerance is a fifth of the chord, so
    /// that hundreds of pairs are near it: the certain links must give the reference's forest,
    /// and they together with the handed-over pairs that are within the radius must give
    /// brute force's components, i.e. no pair within the radius is lost and none beyond is linked.
    /// </summary>
    [Theory]
    [InlineData(2.0, 4096)]
    [InlineData(5.0, 4096)]
    [InlineData(2.0, 3)] // too little room: the count still says how many there were
    public void NeighbourKernel_hands_over_the_pairs_near_the_radius(double radius, int capacity)
    {
        double chord = Math.Sqrt(Sky.ChordSquared(radius));
        var h = HostPipeline.Clustered(12, radius, pointTolerance: chord / 10);
        Assert.True(h.Grid.Link2 < h.Grid.Chord2 && h.Grid.Chord2 < h.Grid.Maybe2);
        var (forest, maybe) = RunNeighbours(h, capacity);
        var roots = new int[forest.Length];
        LinkKernels.RootsReference(forest, roots);
        Assert.Equal(h.Roots, roots);
        int count = maybe[0];
        Assert.InRange(count, 20, h.Count * h.Count);
        if (count > capacity) return;
        var parent = (int[])roots.Clone();
        for (int p = 0; p < count; p++)
        {
            int a = maybe[1 + 2 * p], b = maybe[2 + 2 * p];
            double d2 = h.Grid.Distance2(h.X[a], h.Y[a], h.Z[a], h.X[b], h.Y[b], h.Z[b]);
            Assert.InRange(d2, h.Grid.Link2, h.Grid.Maybe2);
            if (Sky.Within(h.X[a], h.Y[a], h.Z[a], h.X[b], h.Y[b], h.Z[b], h.Grid.Chord2)) LinkKernels.UnionReference(parent, a, b);
        }
        var settled = new int[parent.Length];
        LinkKernels.RootsReference(parent, settled);
        Assert.Equal(LinkTestData.BruteForce(h.Ra, h.Dec, radius), settled);
    }

    [Fact]
    public void UnitVectorsKernel_and_BoundsKernel_match_references()
    {
        var (ra, dec) = LinkTestData.Clustered(13, 5000, 50, 0.0, -89.0, 5.0, 1.5);
        int n = ra.Length;
        var vectors = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>,
            ArrayView<double>, ArrayView<double>>(LinkKernels.UnitVectorsKernel);
        var bounds = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>,
            ArrayView<CellBox>>(LinkKernels.BoundsKernel);
        using var dRa = acc.Allocate1D(ra);
        using var dDec = acc.Allocate1D(dec);
        using var x = acc.Allocate1D<double>(n);
        using var y = acc.Allocate1D<double>(n);
        using var z = acc.Allocate1D<double>(n);
        using var partial = acc.Allocate1D<CellBox>(77);
        vectors(n, dRa.View, dDec.View, x.View, y.View, z.View);
        bounds(77, x.View, y.View, z.View, partial.View);
        acc.Synchronize();
        double[] ex = new double[n], ey = new double[n], ez = new double[n];
        LinkKernels.UnitVectorsReference(ra, dec, ex, ey, ez);
        Assert.Equal(ex, x.GetAsArray1D());
        Assert.Equal(ey, y.GetAsArray1D());
        Assert.Equal(ez, z.GetAsArray1D());
        var box = CellBox.Empty;
        foreach (var part in partial.GetAsArray1D()) box = box.Including(part);
        Assert.Equal(LinkKernels.BoundsReference(ex, ey, ez), box);
    }

    [Fact]
    public void RootsKernel_matches_reference()
    {
        // A random forest with parent[i] <= i, as the union-find keeps it, with long chains.
        var rng = new Random(10);
        var forest = new int[500];
        for (int i = 0; i < forest.Length; i++)
            forest[i] = rng.NextDouble() < 0.1 ? i : rng.NextDouble() < 0.7 ? Math.Max(0, i - 1) : rng.Next(i + 1);
        var expected = new int[forest.Length];
        LinkKernels.RootsReference(forest, expected);
        var kernel = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<int>>(LinkKernels.RootsKernel);
        using var parent = acc.Allocate1D(forest);
        using var roots = acc.Allocate1D<int>(forest.Length);
        kernel(forest.Length, parent.View, roots.View);
        acc.Synchronize();
        Assert.Equal(expected, roots.GetAsArray1D());
        // The forest is only read: compressing it while other threads write their roots raced on an H100.
        Assert.Equal(forest, parent.GetAsArray1D());
        Assert.InRange(LinkTestData.ComponentCount(expected), 20, 100);
    }
}
