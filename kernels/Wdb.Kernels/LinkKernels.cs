using ILGPU;

namespace Wdb.Kernels;

/// <summary>
/// The kernels of the link stage (friends-of-friends on unit vectors), in launch order, each
/// with a plain sequential C# reference of the same name + "Reference" that tests compare
/// against. Points are identified by their compact index (row order of the block's valid
/// rows), so the smallest index of a component is the smallest row.
/// </summary>
/// <remarks>
/// Pipeline (orchestrated by <see cref="IlgpuLinkEngine"/>): [unit vectors -> bounds] ->
/// keys -> radix sort (key, index) -> gather -> cell flags -> inclusive scan -> cell starts
/// -> cell summary (min index, bounding box) -> collapse -> neighbours -> roots (into a second buffer).
/// Memory is O(points): no pair is ever stored. Union-find on the device hooks the larger
/// root under the smaller with a compare-and-swap, so every root is the smallest index of
/// its tree and parent[i] &lt;= i always holds.
/// </remarks>
public static class LinkKernels
{
    // ---------------------------------------------------------------- 0. unit vectors and their bounds

    /// <summary>x, y, z[i] = the unit vector of (ra[i], dec[i]) in degrees, by <see cref="DeviceTrig"/>.</summary>
    public static void UnitVectorsKernel(Index1D i, ArrayView<double> ra, ArrayView<double> dec,
        ArrayView<double> x, ArrayView<double> y, ArrayView<double> z)
    {
        DeviceTrig.UnitVector(ra[i], dec[i], out double px, out double py, out double pz);
        x[i] = px;
        y[i] = py;
        z[i] = pz;
    }

    public static void UnitVectorsReference(ReadOnlySpan<double> ra, ReadOnlySpan<double> dec, Span<double> x, Span<double> y, Span<double> z)
    {
        for (int i = 0; i < ra.Length; i++) DeviceTrig.UnitVector(ra[i], dec[i], out x[i], out y[i], out z[i]);
    }

    /// <summary>
    /// partial[t] = the bounding box of points t, t + T, t + 2T, ... (T = partial's length), read
    /// in coalesced strides; the host joins the T boxes (a few thousand) into the block's.
    /// </summary>
    public static void BoundsKernel(Index1D t, ArrayView<double> x, ArrayView<double> y, ArrayView<double> z, ArrayView<CellBox> partial)
    {
        CellBox box;
        box.MinX = box.MinY = box.MinZ = double.PositiveInfinity;
        box.MaxX = box.MaxY = box.MaxZ = double.NegativeInfinity;
        int stride = partial.IntLength;
        for (int i = t; i < x.IntLength; i += stride)
            Grow(ref box, x[i], y[i], z[i]);
        partial[t] = box;
    }

    public static CellBox BoundsReference(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> z) => CellBox.Of(x, y, z);

    // ---------------------------------------------------------------- 1. binning

    /// <summary>keys[i] = packed cell of point i; order[i] = i (the values sorted with the keys).</summary>
    public static void CellKeysKernel(Index1D i, ArrayView<double> x, ArrayView<double> y, ArrayView<double> z,
        ArrayView<ulong> keys, ArrayView<int> order, LinkGrid grid)
    {
        keys[i] = grid.KeyOf(x[i], y[i], z[i]);
        order[i] = i;
    }

    public static void CellKeysReference(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> z,
        Span<ulong> keys, Span<int> order, LinkGrid grid)
    {
        for (int i = 0; i < x.Length; i++)
        {
            keys[i] = LinkGrid.Pack(grid.Coord(x[i], grid.OriginX), grid.Coord(y[i], grid.OriginY), grid.Coord(z[i], grid.OriginZ));
            order[i] = i;
        }
    }

    // ---------------------------------------------------------------- 2. gather into cell order

    /// <summary>Copies coordinates into sorted (cell) order, so a cell's points are contiguous.</summary>
    public static void GatherKernel(Index1D k, ArrayView<int> order, ArrayView<double> x, ArrayView<double> y, ArrayView<double> z,
        ArrayView<double> sx, ArrayView<double> sy, ArrayView<double> sz)
    {
        int i = order[k];
        sx[k] = x[i];
        sy[k] = y[i];
        sz[k] = z[i];
    }

    public static void GatherReference(ReadOnlySpan<int> order, ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> z,
        Span<double> sx, Span<double> sy, Span<double> sz)
    {
        for (int k = 0; k < order.Length; k++)
        {
            sx[k] = x[order[k]];
            sy[k] = y[order[k]];
            sz[k] = z[order[k]];
        }
    }

    // ---------------------------------------------------------------- 3. cell table

    /// <summary>flags[k] = 1 where a new cell starts in the sorted keys, else 0.</summary>
    public static void CellFlagsKernel(Index1D k, ArrayView<ulong> sortedKeys, ArrayView<int> flags)
    {
        flags[k] = k == 0 || sortedKeys[k] != sortedKeys[k - 1] ? 1 : 0;
    }

    public static void CellFlagsReference(ReadOnlySpan<ulong> sortedKeys, Span<int> flags)
    {
        for (int k = 0; k < sortedKeys.Length; k++)
            flags[k] = k == 0 || sortedKeys[k] != sortedKeys[k - 1] ? 1 : 0;
    }

    /// <summary>
    /// From the inclusive scan of the flags (cellOfPlus1[k] = 1 + cell of sorted point k):
    /// the key and first sorted point of every cell, and cellStart[cellCount] = point count.
    /// </summary>
    public static void CellStartsKernel(Index1D k, ArrayView<ulong> sortedKeys, ArrayView<int> flags, ArrayView<int> cellOfPlus1,
        ArrayView<ulong> cellKeys, ArrayView<int> cellStart)
    {
        if (flags[k] != 0)
        {
            int c = cellOfPlus1[k] - 1;
            cellKeys[c] = sortedKeys[k];
            cellStart[c] = k;
        }
        if (k == sortedKeys.IntLength - 1)
            cellStart[cellOfPlus1[k]] = sortedKeys.IntLength;
    }

    /// <summary>Sequential cell table: returns the cell keys and the cell starts (one longer).</summary>
    public static (ulong[] CellKeys, int[] CellStart) CellStartsReference(ReadOnlySpan<ulong> sortedKeys)
    {
        var keys = new List<ulong>();
        var starts = new List<int>();
        for (int k = 0; k < sortedKeys.Length; k++)
        {
            if (k == 0 || sortedKeys[k] != sortedKeys[k - 1])
            {
                keys.Add(sortedKeys[k]);
                starts.Add(k);
            }
        }
        starts.Add(sortedKeys.Length);
        return (keys.ToArray(), starts.ToArray());
    }

    // ---------------------------------------------------------------- 4. cell summary

    /// <summary>Per cell: the smallest point index (its representative) and the bounding box.</summary>
    public static void CellSummaryKernel(Index1D c, ArrayView<int> cellStart, ArrayView<int> order,
        ArrayView<double> sx, ArrayView<double> sy, ArrayView<double> sz, ArrayView<int> cellRep, ArrayView<CellBox> boxes)
    {
        int begin = cellStart[c], end = cellStart[c + 1];
        int rep = order[begin];
        CellBox box;
        box.MinX = box.MaxX = sx[begin];
        box.MinY = box.MaxY = sy[begin];
        box.MinZ = box.MaxZ = sz[begin];
        for (int k = begin + 1; k < end; k++)
        {
            if (order[k] < rep) rep = order[k];
            Grow(ref box, sx[k], sy[k], sz[k]);
        }
        cellRep[c] = rep;
        boxes[c] = box;
    }

    public static void CellSummaryReference(ReadOnlySpan<int> cellStart, ReadOnlySpan<int> order,
        ReadOnlySpan<double> sx, ReadOnlySpan<double> sy, ReadOnlySpan<double> sz, Span<int> cellRep, Span<CellBox> boxes)
    {
        for (int c = 0; c + 1 < cellStart.Length; c++)
        {
            int rep = int.MaxValue;
            var box = CellBox.Empty;
            for (int k = cellStart[c]; k < cellStart[c + 1]; k++)
            {
                rep = Math.Min(rep, order[k]);
                box = box.Including(sx[k], sy[k], sz[k]);
            }
            cellRep[c] = rep;
            boxes[c] = box;
        }
    }

    // ---------------------------------------------------------------- 5. collapse

    /// <summary>
    /// Initialises the union-find forest: when cells are collapsed every point hangs directly
    /// under its cell's smallest index (one write per point, no atomics, whatever the cell's
    /// population), otherwise every point is its own root.
    /// </summary>
    public static void CollapseKernel(Index1D k, ArrayView<int> order, ArrayView<int> cellOfPlus1, ArrayView<int> cellRep,
        ArrayView<int> parent, LinkGrid grid)
    {
        int i = order[k];
        parent[i] = grid.Collapsed != 0 ? cellRep[cellOfPlus1[k] - 1] : i;
    }

    public static void CollapseReference(ReadOnlySpan<int> order, ReadOnlySpan<int> cellStart, ReadOnlySpan<int> cellRep,
        Span<int> parent, LinkGrid grid)
    {
        for (int c = 0; c + 1 < cellStart.Length; c++)
            for (int k = cellStart[c]; k < cellStart[c + 1]; k++)
                parent[order[k]] = grid.Collapsed != 0 ? cellRep[c] : order[k];
    }

    // ---------------------------------------------------------------- 6. neighbours

    /// <summary>
    /// For sorted point k, visits half of the (2R+1)^3 neighbour cells (the other half sees k
    /// from the other side), one binary search per (x, y) row of cells since a row is
    /// contiguous in key order. A cell is skipped when it is already in k's component or its
    /// bounding box is out of reach; in a collapsed cell the first linked point suffices,
    /// since the cell is one component already. A pair between <see cref="LinkGrid.Link2"/> and
    /// <see cref="LinkGrid.Maybe2"/> (only with vectors made on the device) is not linked but
    /// appended to <paramref name="maybe"/>: [0] counts the pairs, pair p is at [1 + 2p] and
    /// [2 + 2p] while it fits, and the host settles them with exact vectors.
    /// </summary>
    public static void NeighbourKernel(Index1D k, ArrayView<double> sx, ArrayView<double> sy, ArrayView<double> sz,
        ArrayView<int> order, ArrayView<int> cellOfPlus1, ArrayView<ulong> cellKeys, ArrayView<int> cellStart,
        ArrayView<int> cellRep, ArrayView<CellBox> boxes, ArrayView<int> parent, ArrayView<int> maybe, LinkGrid grid)
    {
        int me = order[k];
        double px = sx[k], py = sy[k], pz = sz[k];
        int own = cellOfPlus1[k] - 1;
        ulong ownKey = cellKeys[own];
        int ix = LinkGrid.UnpackX(ownKey), iy = LinkGrid.UnpackY(ownKey), iz = LinkGrid.UnpackZ(ownKey);
        int reach = grid.Reach;
        bool collapsed = grid.Collapsed != 0;
        int cellCount = cellKeys.IntLength;

        for (int dx = 0; dx <= reach; dx++)
        {
            int cx = ix + dx;
            if (cx > LinkGrid.MaxCoord) break;
            for (int dy = dx == 0 ? 0 : -reach; dy <= reach; dy++)
            {
                int cy = iy + dy;
                if (cy < 0 || cy > LinkGrid.MaxCoord) continue;
                // Row (0, 0): only cells above k's own (and k's own cell when not collapsed).
                int zLo = dx == 0 && dy == 0 ? (collapsed ? iz + 1 : iz) : iz - reach;
                int zHi = iz + reach;
                if (zLo < 0) zLo = 0;
                if (zHi > LinkGrid.MaxCoord) zHi = LinkGrid.MaxCoord;
                if (zLo > zHi) continue;
                ulong hiKey = LinkGrid.Pack(cx, cy, zHi);
                for (int c = LowerBound(cellKeys, cellCount, LinkGrid.Pack(cx, cy, zLo)); c < cellCount && cellKeys[c] <= hiKey; c++)
                {
                    if (collapsed && Find(parent, me) == Find(parent, cellRep[c]))
                        continue;
                    if (grid.BoxDistance2(px, py, pz, boxes[c]) > grid.Maybe2)
                        continue;
                    int begin = c == own ? k + 1 : cellStart[c];
                    int end = cellStart[c + 1];
                    for (int j = begin; j < end; j++)
                    {
                        double d2 = grid.Distance2(px, py, pz, sx[j], sy[j], sz[j]);
                        if (d2 > grid.Maybe2)
                            continue;
                        if (d2 > grid.Link2)
                        {
                            int p = Atomic.Add(ref maybe[0], 1);
                            if (2 + 2L * p < maybe.Length)
                            {
                                maybe[1 + 2 * p] = me;
                                maybe[2 + 2 * p] = order[j];
                            }
                            continue;
                        }
                        Union(parent, me, order[j]);
                        if (collapsed) break;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Sequential reference of the neighbour stage by a different route: for every point,
    /// every point of every cell within the reach (found by scanning all cells), no
    /// half-stencil, no pruning, no early exit. Same-cell pairs are skipped only when collapsed.
    /// Only certain links (at most <see cref="LinkGrid.Link2"/>) are unioned, as on the device.
    /// </summary>
    public static void NeighbourReference(ReadOnlySpan<double> sx, ReadOnlySpan<double> sy, ReadOnlySpan<double> sz,
        ReadOnlySpan<int> order, ReadOnlySpan<ulong> cellKeys, ReadOnlySpan<int> cellStart, Span<int> parent, LinkGrid grid)
    {
        for (int a = 0; a < cellKeys.Length; a++)
        {
            int ax = LinkGrid.UnpackX(cellKeys[a]), ay = LinkGrid.UnpackY(cellKeys[a]), az = LinkGrid.UnpackZ(cellKeys[a]);
            for (int b = 0; b < cellKeys.Length; b++)
            {
                if (a == b && grid.Collapsed != 0) continue;
                int bx = LinkGrid.UnpackX(cellKeys[b]), by = LinkGrid.UnpackY(cellKeys[b]), bz = LinkGrid.UnpackZ(cellKeys[b]);
                if (Math.Abs(ax - bx) > grid.Reach || Math.Abs(ay - by) > grid.Reach || Math.Abs(az - bz) > grid.Reach) continue;
                for (int p = cellStart[a]; p < cellStart[a + 1]; p++)
                    for (int q = cellStart[b]; q < cellStart[b + 1]; q++)
                        if (p != q && grid.Distance2(sx[p], sy[p], sz[p], sx[q], sy[q], sz[q]) <= grid.Link2)
                            UnionReference(parent, order[p], order[q]);
            }
        }
    }

    // ---------------------------------------------------------------- 7. roots

    /// <summary>
    /// roots[i] = the root of i (the smallest index of its component), by a walk that only
    /// reads the forest. Compressing paths here, as <see cref="Find"/> does, is a race: another
    /// thread's late halving store can put an ancestor back over the root that i's own thread
    /// has just written, and the label is then not the root (seen on an H100 on the dense
    /// calibration tile, 10 rows of 3.25 M, different ones each run).
    /// </summary>
    public static void RootsKernel(Index1D i, ArrayView<int> parent, ArrayView<int> roots)
    {
        int a = i;
        for (int p = parent[a]; p != a; p = parent[a]) a = p;
        roots[i] = a;
    }

    public static void RootsReference(ReadOnlySpan<int> parent, Span<int> roots)
    {
        for (int i = 0; i < parent.Length; i++)
        {
            int a = i;
            while (parent[a] != a) a = parent[a];
            roots[i] = a;
        }
    }

    /// <summary>Widens the box to hold the point, in place (kernels keep the box in registers).</summary>
    private static void Grow(ref CellBox box, double px, double py, double pz)
    {
        if (px < box.MinX) box.MinX = px;
        if (px > box.MaxX) box.MaxX = px;
        if (py < box.MinY) box.MinY = py;
        if (py > box.MaxY) box.MaxY = py;
        if (pz < box.MinZ) box.MinZ = pz;
        if (pz > box.MaxZ) box.MaxZ = pz;
    }

    // ---------------------------------------------------------------- device union-find

    /// <summary>
    /// Root of a, with path halving. Plain writes are safe under concurrency: only non-roots
    /// are rewritten, always to an ancestor, and a non-root never becomes a root again.
    /// A stale read only yields an older ancestor (parent[i] &lt;= i), never a wrong component.
    /// </summary>
    internal static int Find(ArrayView<int> parent, int a)
    {
        while (true)
        {
            int p = parent[a];
            if (p == a) return a;
            int g = parent[p];
            if (g != p) parent[a] = g;
            a = g;
        }
    }

    /// <summary>
    /// Lock-free union: hook the larger root under the smaller with a compare-and-swap; when
    /// another thread hooked it first, continue from the value the CAS saw (so a stale cached
    /// read cannot make the loop spin). Terminates: the roots tried strictly decrease.
    /// </summary>
    internal static void Union(ArrayView<int> parent, int a, int b)
    {
        while (true)
        {
            a = Find(parent, a);
            b = Find(parent, b);
            if (a == b) return;
            if (a < b) { int t = a; a = b; b = t; }
            int seen = Atomic.CompareExchange(ref parent[a], a, b);
            if (seen == a) return;
            a = seen;
        }
    }

    /// <summary>First index in keys[0..count) with keys[index] &gt;= key.</summary>
    internal static int LowerBound(ArrayView<ulong> keys, int count, ulong key)
    {
        int lo = 0, hi = count;
        while (lo < hi)
        {
            int mid = (lo + hi) >> 1;
            if (keys[mid] < key) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    // ---------------------------------------------------------------- sequential union-find

    public static int FindReference(Span<int> parent, int a)
    {
        while (parent[a] != a) a = parent[a];
        return a;
    }

    /// <summary>Sequential union keeping the smaller root, as the device does.</summary>
    public static void UnionReference(Span<int> parent, int a, int b)
    {
        a = FindReference(parent, a);
        b = FindReference(parent, b);
        if (a == b) return;
        if (a < b) parent[b] = a;
        else parent[a] = b;
    }
}
