using Wdb.Core;

namespace Wdb.Merge.Link;

/// <summary>
/// Points binned into declination zones of height r/2 and RA cells at most r/2 wide (see
/// <see cref="CpuLinkEngine"/>), with the points stored in cell order as unit vectors.
/// Cells are ordered by (zone, RA cell), so each zone's cells are one contiguous,
/// RA-ordered run.
/// </summary>
public sealed class CellGrid
{
    public double Chord, Chord2;          // link chord for r, and its square
    public double ZoneHeightDeg;
    public int ZoneMin, ZoneCount;
    public int[] ZoneCellStart = [];       // cells of zone z: [ZoneCellStart[z], ZoneCellStart[z+1])
    public int[] ZoneCells = [];           // number of RA cells the zone is cut into
    public double[] ZoneWidthDeg = [];     // RA width of the zone's cells
    public int CellCount;
    public int[] CellIndex = [];           // RA cell index within its zone
    public int[] CellStart = [];           // points of cell c: [CellStart[c], CellStart[c+1])
    public double[] CentX = [], CentY = [], CentZ = [];
    public double[] CellRadius = [];       // max chord from the centroid to a member
    public double[] X = [], Y = [], Z = []; // unit vectors in cell order
    public int[] PointRow = [];            // input row of each point in cell order

    private double _sinR;

    // Work per task of the parallel passes: large enough that handing out a task costs nothing next
    // to it, small enough that the dense cells of a calibration tile spread over the threads. Tests
    // make them small, to cut a few hundred points into many tasks.
    internal const int DefaultRowsPerTask = 1 << 16, DefaultCellsPerTask = 1 << 12;
    private int _rowsPerTask = DefaultRowsPerTask, _cellsPerTask = DefaultCellsPerTask;
    private const int VectorBatch = 256;

    public static CellGrid Build(ReadOnlySpan<double> ra, ReadOnlySpan<double> dec, double radiusArcsec, int threads) =>
        Build(ra, dec, radiusArcsec, threads, DefaultRowsPerTask, DefaultCellsPerTask);

    internal static unsafe CellGrid Build(ReadOnlySpan<double> ra, ReadOnlySpan<double> dec, double radiusArcsec, int threads,
        int rowsPerTask, int cellsPerTask)
    {
        // Pinned, so that the parallel passes read the caller's spans without copying them.
        fixed (double* pra = ra, pdec = dec)
            return Build((nint)pra, (nint)pdec, ra.Length, radiusArcsec, threads, rowsPerTask, cellsPerTask);
    }

    private static unsafe CellGrid Build(nint raAddr, nint decAddr, int n, double radiusArcsec, int threads, int rowsPerTask, int cellsPerTask)
    {
        if (!(radiusArcsec > 0) || radiusArcsec > 3600) throw new ArgumentOutOfRangeException(nameof(radiusArcsec), "radius must be in (0, 3600] arcsec");
        var g = new CellGrid
        {
            Chord2 = Sky.ChordSquared(radiusArcsec),
            ZoneHeightDeg = radiusArcsec / 3600.0 / 2.0,
            _sinR = Math.Sin(radiusArcsec * Sky.ArcsecToRad),
            _rowsPerTask = rowsPerTask,
            _cellsPerTask = cellsPerTask,
        };
        g.Chord = Math.Sqrt(g.Chord2);
        double h = g.ZoneHeightDeg;

        // Zone of every point and the zone range, a slice of rows per task.
        var zone = new int[n];
        int zmin = int.MaxValue, zmax = int.MinValue;
        var gate = new object();
        Threads.ForRanges(n, rowsPerTask, threads, (from, to) =>
        {
            double* dec = (double*)decAddr;
            int lo = int.MaxValue, hi = int.MinValue;
            for (int i = from; i < to; i++)
            {
                int z = ZoneOf(dec[i], h);
                zone[i] = z;
                if (z < lo) lo = z;
                if (z > hi) hi = z;
            }
            lock (gate) { zmin = Math.Min(zmin, lo); zmax = Math.Max(zmax, hi); }
        });
        g.ZoneMin = zmin;
        g.ZoneCount = zmax - zmin + 1;
        g.ZoneCells = new int[g.ZoneCount];
        g.ZoneWidthDeg = new double[g.ZoneCount];
        for (int z = 0; z < g.ZoneCount; z++)
        {
            double lo = (zmin + z) * h - 90.0, hi = lo + h;
            double minAbs = lo <= 0 && hi >= 0 ? 0 : Math.Min(Math.Abs(lo), Math.Abs(hi));
            // Physical width of an RA cell is width * cos(dec), largest at the lowest |dec|.
            double cells = Math.Ceiling(360.0 * Math.Cos(minAbs * Sky.DegToRad) / h);
            int nc = cells < 1 ? 1 : cells > int.MaxValue / 2 ? int.MaxValue / 2 : (int)cells;
            g.ZoneCells[z] = nc;
            g.ZoneWidthDeg[z] = 360.0 / nc;
        }

        // Sort points by (zone, RA cell).
        var keys = new ulong[n];
        var order = new int[n];
        Threads.ForRanges(n, rowsPerTask, threads, (from, to) =>
        {
            double* ra = (double*)raAddr;
            for (int i = from; i < to; i++)
            {
                int z = zone[i] - zmin;
                int nc = g.ZoneCells[z];
                // The readers keep RA in [0, 360), but an engine must link any RA as the sphere does
                // (ILinkEngine): one beyond it binned by the clamp below would share a cell with points
                // up to 360 deg away, and a cell's points are linked without a test.
                double a = ra[i] - 360.0 * Math.Floor(ra[i] / 360.0);
                int c = (int)(a / g.ZoneWidthDeg[z]);
                if (c >= nc) c = nc - 1;
                if (c < 0) c = 0;
                keys[i] = ((ulong)(uint)z << 32) | (uint)c;
                order[i] = i;
            }
        });
        RadixSort.SortPairs(keys, order, n, threads);

        g.PointRow = order;
        g.X = new double[n]; g.Y = new double[n]; g.Z = new double[n];
        g.ComputeUnitVectors(raAddr, decAddr, threads);
        g.FindCells(keys, threads);
        g.ComputeCellShapes(threads);
        return g;
    }

    private unsafe void ComputeUnitVectors(nint raAddr, nint decAddr, int threads)
    {
        double[] xs = X, ys = Y, zs = Z;
        int[] order = PointRow;
        Threads.ForRanges(order.Length, _rowsPerTask, threads, (from, to) =>
        {
            double* r = (double*)raAddr, d = (double*)decAddr;
            // A batch of rows in cell order gathered, then their vectors two rows to a call.
            Span<double> ra = stackalloc double[VectorBatch], dec = stackalloc double[VectorBatch];
            for (int k0 = from; k0 < to; k0 += VectorBatch)
            {
                int m = Math.Min(VectorBatch, to - k0);
                for (int j = 0; j < m; j++) { ra[j] = r[order[k0 + j]]; dec[j] = d[order[k0 + j]]; }
                Sky.UnitVectors(ra[..m], dec[..m], xs.AsSpan(k0, m), ys.AsSpan(k0, m), zs.AsSpan(k0, m));
            }
        });
    }

    /// <summary>
    /// Cells as runs of equal keys in the sorted order: each slice counts the runs that start in it,
    /// and after a prefix sum writes them at its own offset. A zone's range is closed by the row
    /// where the next occupied zone starts, which one slice alone holds.
    /// </summary>
    private void FindCells(ulong[] keys, int threads)
    {
        int n = keys.Length;
        int slices = (int)(((long)n + _rowsPerTask - 1) / _rowsPerTask);
        var runs = new int[slices + 1];
        var options = Threads.Options(threads);
        Parallel.For(0, slices, options, s =>
        {
            int from = s * _rowsPerTask, to = (int)Math.Min(n, (long)(s + 1) * _rowsPerTask), count = 0;
            for (int k = from; k < to; k++)
                if (k == 0 || keys[k] != keys[k - 1]) count++;
            runs[s + 1] = count;
        });
        for (int s = 0; s < slices; s++) runs[s + 1] += runs[s];
        CellCount = runs[slices];
        CellIndex = new int[CellCount];
        CellStart = new int[CellCount + 1];
        ZoneCellStart = new int[ZoneCount + 1];
        int[] cellIndex = CellIndex, cellStart = CellStart, zoneCellStart = ZoneCellStart;
        Parallel.For(0, slices, options, s =>
        {
            int from = s * _rowsPerTask, to = (int)Math.Min(n, (long)(s + 1) * _rowsPerTask), cell = runs[s] - 1;
            for (int k = from; k < to; k++)
            {
                if (k > 0 && keys[k] == keys[k - 1]) continue;
                cell++;
                cellStart[cell] = k;
                cellIndex[cell] = (int)(uint)keys[k];
                // A zone's cells end where a later zone's first cell starts.
                if (k > 0 && keys[k] >> 32 != keys[k - 1] >> 32) zoneCellStart[(int)(keys[k - 1] >> 32) + 1] = cell;
            }
        });
        cellStart[CellCount] = n;
        if (n > 0) zoneCellStart[(int)(keys[n - 1] >> 32) + 1] = CellCount;
        // Empty zones inherit the running start.
        for (int z = 1; z <= ZoneCount; z++)
            if (zoneCellStart[z] < zoneCellStart[z - 1]) zoneCellStart[z] = zoneCellStart[z - 1];
    }

    private static int ZoneOf(double decDeg, double h) => (int)Math.Floor((decDeg + 90.0) / h);

    private void ComputeCellShapes(int threads)
    {
        CentX = new double[CellCount]; CentY = new double[CellCount]; CentZ = new double[CellCount];
        CellRadius = new double[CellCount];
        Threads.ForRanges(CellCount, _cellsPerTask, threads, (c0, c1) =>
        {
            for (int c = c0; c < c1; c++)
            {
                int p0 = CellStart[c], p1 = CellStart[c + 1];
                if (p1 - p0 == 1)
                {
                    CentX[c] = X[p0]; CentY[c] = Y[p0]; CentZ[c] = Z[p0];
                    continue;
                }
                double sx = 0, sy = 0, sz = 0;
                for (int p = p0; p < p1; p++) { sx += X[p]; sy += Y[p]; sz += Z[p]; }
                double inv = 1.0 / (p1 - p0);
                sx *= inv; sy *= inv; sz *= inv;
                double r2 = 0;
                for (int p = p0; p < p1; p++)
                {
                    double dx = X[p] - sx, dy = Y[p] - sy, dz = Z[p] - sz;
                    double d2 = dx * dx + dy * dy + dz * dz;
                    if (d2 > r2) r2 = d2;
                }
                CentX[c] = sx; CentY[c] = sy; CentZ[c] = sz;
                // A hair of slack so rounding in the centroid never prunes a true link.
                CellRadius[c] = Math.Sqrt(r2) * (1 + 1e-12) + 1e-15;
            }
        });
    }

    /// <summary>
    /// Largest RA offset (deg) of a point within r of any point of zones za and zb: the RA
    /// half-width of a circle of radius r at the larger |dec| of the two zones, or 180 when
    /// the circle can contain a pole.
    /// </summary>
    public double RaReachDeg(int za, int zb)
    {
        double h = ZoneHeightDeg;
        double lo = (ZoneMin + Math.Min(za, zb)) * h - 90.0, hi = (ZoneMin + Math.Max(za, zb) + 1) * h - 90.0;
        double maxAbs = Math.Max(Math.Abs(lo), Math.Abs(hi));
        if (maxAbs >= 90.0) return 180.0;
        double c = Math.Cos(maxAbs * Sky.DegToRad);
        if (c <= _sinR * 1.000001) return 180.0;
        return Math.Asin(_sinR / c) / Sky.DegToRad * (1 + 1e-9) + 1e-12;
    }

    /// <summary>
    /// Label of every input row: the smallest row index of its component. Each cell's root and
    /// smallest row are its own; a root's minimum over its cells is an atomic minimum, the same
    /// whichever thread gets there first.
    /// </summary>
    public void LabelPoints(int[] parent, int[] labels, int threads)
    {
        var minRow = new int[CellCount];
        Array.Fill(minRow, int.MaxValue);
        var root = new int[CellCount];
        Threads.ForRanges(CellCount, _cellsPerTask, threads, (c0, c1) =>
        {
            for (int c = c0; c < c1; c++)
            {
                int r = root[c] = UnionFind.Find(parent, c), least = int.MaxValue;
                for (int p = CellStart[c]; p < CellStart[c + 1]; p++)
                    if (PointRow[p] < least) least = PointRow[p];
                int seen = Volatile.Read(ref minRow[r]);
                while (least < seen)
                {
                    int was = Interlocked.CompareExchange(ref minRow[r], least, seen);
                    if (was == seen) break;
                    seen = was;
                }
            }
        });
        Threads.ForRanges(CellCount, _cellsPerTask, threads, (c0, c1) =>
        {
            for (int c = c0; c < c1; c++)
            {
                int label = minRow[root[c]];
                for (int p = CellStart[c]; p < CellStart[c + 1]; p++) labels[PointRow[p]] = label;
            }
        });
    }
}
