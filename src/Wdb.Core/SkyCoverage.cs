namespace Wdb.Core;

/// <summary>
/// The parts of the sky within a radius of some point of a set, as a bitmap of cells 1/16 deg tall and 1/16 deg of RA
/// wide (2 MB for the whole sky): which rows of a large catalogue can matter to a merge that covers a small part of it.
/// <see cref="Builder.Add"/> marks each point's cell; <see cref="Builder.Within"/> widens the marked cells by the radius.
/// <para>
/// A superset, never a subset: a position within the radius of a point has a marked cell. Each marked cell is widened as a
/// cone about its centre of the radius plus the cell's half-diagonal (0.75 of a cell: every point of the cell lies within
/// that of its centre, by the triangle inequality), whose declinations are a band range and whose RAs are
/// <see cref="Sky.RaWindows"/> (never narrower than the cone; the whole circle near a pole). So a caller may drop
/// what <see cref="Holds"/> refuses and still measure exactly what it keeps.
/// </para>
/// </summary>
public sealed class SkyCoverage
{
    /// <summary>A cell's height in declination and width in RA (deg).</summary>
    public const double CellDeg = 1.0 / 16;
    private const int Bands = 2880, Columns = 5760;   // 180 and 360 degrees of cells

    private readonly ulong[] _bits;

    private SkyCoverage(ulong[] bits) => _bits = bits;

    /// <summary>Cells marked (a cell is ~0.0039 deg^2 at the equator).</summary>
    public long Cells { get; private init; }

    /// <summary>Whether (ra, dec) in degrees may lie within the radius of a point; false for a position that is not finite.</summary>
    public bool Holds(double raDeg, double decDeg) =>
        CellOf(raDeg, decDeg) is long cell && (_bits[cell >> 6] & (1UL << (int)(cell & 63))) != 0;

    /// <summary>The cell of (ra, dec) in degrees (any RA, turned into [0, 360)); null for a position that is not finite.</summary>
    private static long? CellOf(double raDeg, double decDeg) =>
        double.IsFinite(raDeg) && double.IsFinite(decDeg)
            ? (long)BandOf(decDeg) * Columns + ColumnOf(raDeg - 360.0 * Math.Floor(raDeg / 360.0))
            : null;

    private static int BandOf(double decDeg) => (int)Math.Clamp(Math.Floor((decDeg + 90.0) / CellDeg), 0, Bands - 1);

    private static int ColumnOf(double raDeg) => (int)Math.Clamp(Math.Floor(raDeg / CellDeg), 0, Columns - 1);

    /// <summary>Collects the points' cells (one thread), then widens them into a <see cref="SkyCoverage"/>.</summary>
    public sealed class Builder
    {
        private readonly ulong[] _occupied = new ulong[(long)Bands * Columns / 64];

        /// <summary>Marks the cell of (ra, dec) in degrees; a position that is not finite is within no radius and marks none.</summary>
        public void Add(double raDeg, double decDeg)
        {
            if (CellOf(raDeg, decDeg) is long cell) _occupied[cell >> 6] |= 1UL << (int)(cell & 63);
        }

        /// <summary>Marks the cell of every (ra[i], dec[i]) (a block's rows, a table's groups).</summary>
        public void Add(ReadOnlySpan<double> ra, ReadOnlySpan<double> dec)
        {
            if (dec.Length != ra.Length) throw new ArgumentException("columns differ in length");
            for (int i = 0; i < ra.Length; i++) Add(ra[i], dec[i]);
        }

        /// <summary>The sky within <paramref name="radiusArcsec"/> of the points added (a superset, see <see cref="SkyCoverage"/>).</summary>
        public SkyCoverage Within(double radiusArcsec)
        {
            if (!(radiusArcsec >= 0)) throw new ArgumentOutOfRangeException(nameof(radiusArcsec), radiusArcsec, "a radius is not negative");
            var bits = new ulong[_occupied.Length];
            double reachDeg = radiusArcsec / 3600.0 + 0.75 * CellDeg;
            Span<(double From, double To)> windows = stackalloc (double, double)[2];
            for (int word = 0; word < _occupied.Length; word++)
                for (ulong w = _occupied[word]; w != 0; w &= w - 1)
                {
                    long cell = (long)word * 64 + System.Numerics.BitOperations.TrailingZeroCount(w);
                    int band = (int)(cell / Columns), column = (int)(cell % Columns);
                    double dec = -90.0 + (band + 0.5) * CellDeg, ra = (column + 0.5) * CellDeg;
                    int n = Sky.RaWindows(ra, dec, reachDeg * 3600.0, 1e-9, windows);
                    for (int b = BandOf(dec - reachDeg), last = BandOf(dec + reachDeg); b <= last; b++)
                        for (int k = 0; k < n; k++)
                            for (int c = ColumnOf(windows[k].From), to = ColumnOf(windows[k].To); c <= to; c++)
                            {
                                long at = (long)b * Columns + c;
                                bits[at >> 6] |= 1UL << (int)(at & 63);
                            }
                }
            long cells = 0;
            foreach (ulong w in bits) cells += System.Numerics.BitOperations.PopCount(w);
            return new SkyCoverage(bits) { Cells = cells };
        }
    }
}
