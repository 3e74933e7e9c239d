using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.RadixSortOperations;
using ILGPU.Runtime;

namespace Wdb.Kernels;

/// <summary>
/// The host and device buffers of an <see cref="IlgpuLinkEngine"/>, kept from one link to the
/// next and grown to the largest block seen. A merge links one block or zone after another;
/// allocating ~15 device buffers and ~100 MB of fresh host arrays per link cost more than
/// the kernels on an H100 (bench/NOTES.md 44).
/// </summary>
/// <remarks>
/// Host staging is page-locked, so uploads are asynchronous (the cores compute the next chunk
/// of unit vectors while the copy engine sends the last) and run at the bus's speed. Sizes:
/// 28 bytes of page-locked host memory per row and ~160 bytes of device memory per row of the
/// largest block, held while the engine lives. Every kernel gets views cut to the current
/// block, so nothing left over from a larger block is ever read.
/// </remarks>
internal sealed class LinkBuffers(Accelerator accelerator) : IDisposable
{
    public int Capacity { get; private set; }
    public int CellCapacity { get; private set; }

    // Host, page-locked: what is uploaded in compact order (ra and dec in X and Y when the device
    // makes the vectors, else the vectors), and the roots (downloaded).
    public PageLockedArray1D<double> HostX = PageLockedArray1D<double>.Empty, HostY = PageLockedArray1D<double>.Empty, HostZ = PageLockedArray1D<double>.Empty;
    public PageLockedArray1D<int> HostRoots = PageLockedArray1D<int>.Empty;

    // Device, per point.
    public MemoryBuffer1D<double, Stride1D.Dense>? Ra, Dec, X, Y, Z, Sx, Sy, Sz;
    public MemoryBuffer1D<ulong, Stride1D.Dense>? Keys;
    public MemoryBuffer1D<int, Stride1D.Dense>? Order, Flags, CellOfPlus1, Parent, Roots, SortTemp, ScanTemp;

    /// <summary>Bounding boxes of strided subsets of the points (<see cref="LinkKernels.BoundsKernel"/>).</summary>
    public const int PartialBoxes = 4096;
    public MemoryBuffer1D<CellBox, Stride1D.Dense>? Partials;
    public readonly CellBox[] HostPartials = new CellBox[PartialBoxes];

    /// <summary>Pairs the device could not settle: [0] counts them, then two ints per pair.</summary>
    public MemoryBuffer1D<int, Stride1D.Dense>? Maybe;
    public int MaybeCapacity { get; private set; }

    // Device, per cell.
    public MemoryBuffer1D<ulong, Stride1D.Dense>? CellKeys;
    public MemoryBuffer1D<int, Stride1D.Dense>? CellStart, CellRep;
    public MemoryBuffer1D<CellBox, Stride1D.Dense>? Boxes;

    /// <summary>Room for <paramref name="points"/> points; buffers are replaced only when they are too small.</summary>
    public void EnsurePoints(int points)
    {
        // Fixed size, kept until a device failure frees everything.
        Partials ??= accelerator.Allocate1D<CellBox>(PartialBoxes);
        if (points <= Capacity) return;
        FreePoints();
        // A little headroom, so blocks that grow slowly do not reallocate every time.
        int size = (int)Math.Min(Array.MaxLength, points + (long)points / 8);
        HostX = accelerator.AllocatePageLocked1D<double>(size, uninitialized: true);
        HostY = accelerator.AllocatePageLocked1D<double>(size, uninitialized: true);
        HostZ = accelerator.AllocatePageLocked1D<double>(size, uninitialized: true);
        HostRoots = accelerator.AllocatePageLocked1D<int>(size, uninitialized: true);
        Ra = accelerator.Allocate1D<double>(size);
        Dec = accelerator.Allocate1D<double>(size);
        X = accelerator.Allocate1D<double>(size);
        Y = accelerator.Allocate1D<double>(size);
        Z = accelerator.Allocate1D<double>(size);
        Sx = accelerator.Allocate1D<double>(size);
        Sy = accelerator.Allocate1D<double>(size);
        Sz = accelerator.Allocate1D<double>(size);
        Keys = accelerator.Allocate1D<ulong>(size);
        Order = accelerator.Allocate1D<int>(size);
        Flags = accelerator.Allocate1D<int>(size);
        CellOfPlus1 = accelerator.Allocate1D<int>(size);
        Parent = accelerator.Allocate1D<int>(size);
        Roots = accelerator.Allocate1D<int>(size);
        SortTemp = accelerator.Allocate1D<int>(accelerator.ComputeRadixSortPairsTempStorageSize<ulong, int, AscendingUInt64>(size));
        ScanTemp = accelerator.Allocate1D<int>(accelerator.ComputeScanTempStorageSize<int>(size));
        Capacity = size;
    }

    /// <summary>Room for <paramref name="pairs"/> unsettled pairs.</summary>
    public void EnsureMaybe(int pairs)
    {
        if (pairs <= MaybeCapacity) return;
        Maybe?.Dispose();
        Maybe = null;
        MaybeCapacity = 0;
        Maybe = accelerator.Allocate1D<int>(1 + 2L * pairs);
        MaybeCapacity = pairs;
    }

    /// <summary>Room for <paramref name="cells"/> cells (cell starts get one more).</summary>
    public void EnsureCells(int cells)
    {
        if (cells <= CellCapacity) return;
        FreeCells();
        int size = (int)Math.Min(Array.MaxLength - 1, cells + (long)cells / 8);
        CellKeys = accelerator.Allocate1D<ulong>(size);
        CellStart = accelerator.Allocate1D<int>(size + 1);
        CellRep = accelerator.Allocate1D<int>(size);
        Boxes = accelerator.Allocate1D<CellBox>(size);
        CellCapacity = size;
    }

    private void FreePoints()
    {
        Capacity = 0;
        // The shared empty arrays are never disposed.
        foreach (var host in new PageLockedArray1D<double>[] { HostX, HostY, HostZ }) if (host.Length > 0) host.Dispose();
        if (HostRoots.Length > 0) HostRoots.Dispose();
        HostX = HostY = HostZ = PageLockedArray1D<double>.Empty;
        HostRoots = PageLockedArray1D<int>.Empty;
        foreach (var buffer in new MemoryBuffer?[] { Ra, Dec, X, Y, Z, Sx, Sy, Sz, Keys, Order, Flags, CellOfPlus1, Parent, Roots, SortTemp, ScanTemp })
            buffer?.Dispose();
        Ra = Dec = X = Y = Z = Sx = Sy = Sz = null;
        Keys = null;
        Order = Flags = CellOfPlus1 = Parent = Roots = SortTemp = ScanTemp = null;
    }

    private void FreeCells()
    {
        CellCapacity = 0;
        foreach (var buffer in new MemoryBuffer?[] { CellKeys, CellStart, CellRep, Boxes }) buffer?.Dispose();
        CellKeys = null;
        CellStart = CellRep = null;
        Boxes = null;
    }

    /// <summary>Frees everything (after a device failure, so a retry with smaller blocks starts from nothing).</summary>
    public void Dispose()
    {
        FreePoints();
        FreeCells();
        Maybe?.Dispose();
        Partials?.Dispose();
        Maybe = null;
        Partials = null;
        MaybeCapacity = 0;
    }
}
