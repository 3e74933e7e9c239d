using System.Runtime.CompilerServices;
using Wdb.Core;

namespace Wdb.Merge.Link;

/// <summary>
/// The production CPU link stage: friends-of-friends components in parallel C#.
///
/// Geometry: the sky is cut into declination zones of height h = r/2, and each zone into
/// RA cells whose width is at most h at the zone's lowest |dec| (the polar zones get a few
/// wedge-shaped cells). A cell's diameter is then at most r/sqrt(2) &lt; r, so every pair of
/// points inside one cell is linked: the cell is the union-find node, and a dense
/// calibration source seen 600-3700 times costs one node per occupied cell, not one union
/// per pair. Two cells are then joined when any pair of their points is within r; the
/// search stops at the first such pair, and is skipped altogether once the two cells are
/// already in one set. A cell's centroid and radius prune candidate pairs by the triangle
/// inequality. Memory is O(points + cells), never O(pairs).
///
/// Union-find is lock-free (CAS hooking the larger root under the smaller) so cells are
/// linked from several threads; the components, and so the labels, do not depend on the
/// schedule.
/// </summary>
public sealed class CpuLinkEngine : ILinkEngine
{
    private readonly int _threads, _rowsPerTask, _cellsPerTask;

    public CpuLinkEngine(int threads = 0) : this(threads, CellGrid.DefaultRowsPerTask, CellGrid.DefaultCellsPerTask) { }

    /// <summary>With the grid's work per parallel task given (tests cut small inputs into many tasks).</summary>
    internal CpuLinkEngine(int threads, int rowsPerTask, int cellsPerTask)
    {
        _threads = Threads.Resolve(threads);
        _rowsPerTask = rowsPerTask;
        _cellsPerTask = cellsPerTask;
    }

    public string DeviceName => $"cpu ({_threads} threads)";

    public void Dispose() { }

    public int[] Link(ReadOnlySpan<double> raDeg, ReadOnlySpan<double> decDeg, double radiusArcsec)
    {
        int n = raDeg.Length;
        if (decDeg.Length != n) throw new ArgumentException("ra and dec differ in length");
        var labels = new int[n];
        if (n == 0) return labels;
        var grid = CellGrid.Build(raDeg, decDeg, radiusArcsec, _threads, _rowsPerTask, _cellsPerTask);
        var parent = new int[grid.CellCount];
        for (int c = 0; c < parent.Length; c++) parent[c] = c;
        LinkCells(grid, parent);
        grid.LabelPoints(parent, labels, _threads);
        return labels;
    }

    private void LinkCells(CellGrid grid, int[] parent)
    {
        int zones = grid.ZoneCount;
        var options = Threads.Options(_threads);
        // One work item per zone; Parallel.For hands out zone ranges dynamically, so the
        // few dense zones of a calibration tile do not all land on one thread.
        Parallel.For(0, zones, options, z => LinkZone(grid, parent, z));
    }

    private static void LinkZone(CellGrid g, int[] parent, int z)
    {
        int a0 = g.ZoneCellStart[z], a1 = g.ZoneCellStart[z + 1];
        if (a0 == a1) return;
        for (int dz = 0; dz <= 2; dz++)
        {
            int zb = z + dz;
            if (zb >= g.ZoneCount) break;
            int b0 = g.ZoneCellStart[zb], b1 = g.ZoneCellStart[zb + 1];
            if (b0 == b1) continue;
            double reach = g.RaReachDeg(z, zb);
            if (reach >= 180.0 || g.ZoneCells[z] == 1 || g.ZoneCells[zb] == 1)
            {
                for (int a = a0; a < a1; a++)
                    for (int b = dz == 0 ? a + 1 : b0; b < b1; b++)
                        TryLink(g, parent, a, b);
                continue;
            }
            double wa = g.ZoneWidthDeg[z], wb = g.ZoneWidthDeg[zb];
            int lo = b0;
            for (int a = a0; a < a1; a++)
            {
                double raLo = g.CellIndex[a] * wa - reach, raHi = (g.CellIndex[a] + 1) * wa + reach;
                if (raHi - raLo >= 360.0)
                {
                    for (int b = dz == 0 ? a + 1 : b0; b < b1; b++) TryLink(g, parent, a, b);
                    continue;
                }
                // Main window, swept with a pointer that only moves forward as a's RA grows.
                while (lo < b1 && (g.CellIndex[lo] + 1) * wb < raLo) lo++;
                for (int b = lo; b < b1 && g.CellIndex[b] * wb <= raHi; b++)
                    if (dz > 0 || b > a) TryLink(g, parent, a, b);
                // The part of the window beyond RA 0/360.
                if (raLo < 0)
                {
                    double wrapLo = raLo + 360.0;
                    for (int b = b1 - 1; b >= b0 && (g.CellIndex[b] + 1) * wb >= wrapLo; b--)
                        if (dz > 0 || b > a) TryLink(g, parent, a, b);
                }
                if (raHi >= 360.0)
                {
                    double wrapHi = raHi - 360.0;
                    for (int b = b0; b < b1 && g.CellIndex[b] * wb <= wrapHi; b++)
                        if (dz > 0 || b > a) TryLink(g, parent, a, b);
                }
            }
        }
    }

    private static void TryLink(CellGrid g, int[] parent, int a, int b)
    {
        int ra = UnionFind.Find(parent, a), rb = UnionFind.Find(parent, b);
        if (ra == rb) return;
        double reachA = g.Chord + g.CellRadius[b];
        double cx = g.CentX[b], cy = g.CentY[b], cz = g.CentZ[b];
        {
            double dx = g.CentX[a] - cx, dy = g.CentY[a] - cy, dz = g.CentZ[a] - cz;
            double lim = reachA + g.CellRadius[a];
            if (dx * dx + dy * dy + dz * dz > lim * lim) return;
        }
        double reach2 = reachA * reachA, chord2 = g.Chord2;
        int pa0 = g.CellStart[a], pa1 = g.CellStart[a + 1];
        int pb0 = g.CellStart[b], pb1 = g.CellStart[b + 1];
        double[] x = g.X, y = g.Y, zz = g.Z;
        for (int p = pa0; p < pa1; p++)
        {
            double px = x[p], py = y[p], pz = zz[p];
            double ex = px - cx, ey = py - cy, ez = pz - cz;
            if (ex * ex + ey * ey + ez * ez > reach2) continue;
            for (int q = pb0; q < pb1; q++)
            {
                double dx = px - x[q], dy = py - y[q], dz = pz - zz[q];
                if (dx * dx + dy * dy + dz * dz <= chord2)
                {
                    UnionFind.Union(parent, ra, rb);
                    return;
                }
            }
        }
    }
}

/// <summary>Lock-free union-find over int parents; roots hook under the smaller root.</summary>
public static class UnionFind
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Find(int[] parent, int x)
    {
        while (true)
        {
            int p = Volatile.Read(ref parent[x]);
            if (p == x) return x;
            int gp = Volatile.Read(ref parent[p]);
            // Path halving: parent only ever moves to an ancestor, so the race is benign.
            if (gp != p) Interlocked.CompareExchange(ref parent[x], gp, p);
            x = gp;
        }
    }

    /// <summary>Joins the sets of a and b; the smaller root becomes the root of both.</summary>
    public static void Union(int[] parent, int a, int b)
    {
        while (true)
        {
            a = Find(parent, a); b = Find(parent, b);
            if (a == b) return;
            if (a > b) (a, b) = (b, a);
            // Hook the larger root b under a only if b is still a root.
            if (Interlocked.CompareExchange(ref parent[b], a, b) == b) return;
        }
    }
}
