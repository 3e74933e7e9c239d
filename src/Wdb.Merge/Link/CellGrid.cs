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

    public static CellGrid Build(ReadOnlySpan<double> ra, ReadOnlySpan<double> dec, double radiusArcsec, int threads)
    {
        if (!(radiusArcsec > 0) || radiusArcsec > 3600) throw new ArgumentOutOfRangeException(nameof(radiusArcsec), "radius must be in (0, 3600] arcsec");
        int n = ra.Length;
        var g = new CellGrid
        {
            Chord2 = Sky.ChordSquared(radiusArcsec),
            ZoneHeightDeg = radiusArcsec / 3600.0 / 2.0,
            _sinR = Math.Sin(radiusArcsec * Sky.ArcsecToRad),
        };
        g.Chord = Math.Sqrt(g.Chord2);
        double h = g.ZoneHeightDeg;

        // Zone of every point and the zone range.
        var zone = new int[n];
        int zmin = int.MaxValue, zmax = int.MinValue;
        for (int i = 0; i < n; i++)
        {
            int z = ZoneOf(dec[i], h);
            zone[i] = z;
            if (z < zmin) zmin = z;
            if (z > zmax) zmax = z;
        }
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
        for (int i = 0; i < n; i++)
        {
            int z = zone[i] - zmin;
            int nc = g.ZoneCells[z];
            int c = (int)(ra[i] / g.ZoneWidthDeg[z]);
            if (c >= nc) c = nc - 1;
            if (c < 0) c = 0;
            keys[i] = ((ulong)(uint)z << 32) | (uint)c;
            order[i] = i;
        }
        RadixSort.SortPairs(keys, order, n);

        g.PointRow = order;
        g.X = new double[n]; g.Y = new double[n]; g.Z = new double[n];
        g.ComputeUnitVectors(ra, dec, threads);

        // Cells: runs of equal keys.
        int cellCount = 0;
        for (int k = 0; k < n; k++)
            if (k == 0 || keys[k] != keys[k - 1]) cellCount++;
        g.CellCount = cellCount;
        g.CellIndex = new int[cellCount];
        g.CellStart = new int[cellCount + 1];
        g.ZoneCellStart = new int[g.ZoneCount + 1];
        int cell = -1;
        for (int k = 0; k < n; k++)
        {
            if (k == 0 || keys[k] != keys[k - 1])
            {
                cell++;
                g.CellStart[cell] = k;
                g.CellIndex[cell] = (int)(uint)keys[k];
                int z = (int)(keys[k] >> 32);
                g.ZoneCellStart[z + 1] = cell + 1;
            }
        }
        g.CellStart[cellCount] = n;
        // Empty zones inherit the running start.
        for (int z = 1; z <= g.ZoneCount; z++)
            if (g.ZoneCellStart[z] < g.ZoneCellStart[z - 1]) g.ZoneCellStart[z] = g.ZoneCellStart[z - 1];

        g.ComputeCellShapes();
        return g;
    }

    private unsafe void ComputeUnitVectors(ReadOnlySpan<double> ra, ReadOnlySpan<double> dec, int threads)
    {
        int n = ra.Length;
        double[] xs = X, ys = Y, zs = Z;
        int[] order = PointRow;
        // Pinned pointers let the parallel loop read the caller's spans without copying them.
        fixed (double* pra = ra, pdec = dec)
        {
            nint raAddr = (nint)pra, decAddr = (nint)pdec;
            Parallel.For(0, threads, Threads.Options(threads), t =>
            {
                double* r = (double*)raAddr, d = (double*)decAddr;
                int from = (int)((long)n * t / threads), to = (int)((long)n * (t + 1) / threads);
                for (int k = from; k < to; k++)
                {
                    var v = Sky.UnitVector(r[order[k]], d[order[k]]);
                    xs[k] = v.X; ys[k] = v.Y; zs[k] = v.Z;
                }
            });
        }
    }

    private static int ZoneOf(double decDeg, double h) => (int)Math.Floor((decDeg + 90.0) / h);

    private void ComputeCellShapes()
    {
        CentX = new double[CellCount]; CentY = new double[CellCount]; CentZ = new double[CellCount];
        CellRadius = new double[CellCount];
        for (int c = 0; c < CellCount; c++)
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

    /// <summary>Label of every input row: the smallest row index of its component.</summary>
    public void LabelPoints(int[] parent, int[] labels)
    {
        var minRow = new int[CellCount];
        Array.Fill(minRow, int.MaxValue);
        var root = new int[CellCount];
        for (int c = 0; c < CellCount; c++) root[c] = UnionFind.Find(parent, c);
        for (int c = 0; c < CellCount; c++)
        {
            int r = root[c];
            for (int p = CellStart[c]; p < CellStart[c + 1]; p++)
                if (PointRow[p] < minRow[r]) minRow[r] = PointRow[p];
        }
        for (int c = 0; c < CellCount; c++)
        {
            int label = minRow[root[c]];
            for (int p = CellStart[c]; p < CellStart[c + 1]; p++) labels[PointRow[p]] = label;
        }
    }
}
