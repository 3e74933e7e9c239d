using ILGPU;
using Wdb.Core;

namespace Wdb.Kernels;

/// <summary>
/// The cube grid over unit vectors that the link kernels bin points into, and the exact
/// link predicate they share. Plain unmanaged struct: it is passed to kernels by value.
/// </summary>
/// <remarks>
/// Cells are cubes of side <see cref="Side"/> (chord units on the unit sphere) counted from
/// the bounding-box corner of the block, <see cref="BitsPerAxis"/> bits per axis packed into
/// one 63-bit key (x high, z low), so cells that differ only in z are adjacent in key order.
/// A 3D grid has no special case at RA 0/360 or at the poles: the sphere is just a surface
/// inside the cube.
/// </remarks>
public struct LinkGrid
{
    public const int BitsPerAxis = 21;
    public const int MaxCoord = (1 << BitsPerAxis) - 1;

    /// <summary>
    /// Relative margin on the cell side and on the reach, far above the rounding of cell
    /// coordinates and of the squared chord (~1e-8 relative at <see cref="MinCollapseChord"/>).
    /// </summary>
    public const double SafetyMargin = 1e-6;

    /// <summary>
    /// Below this chord (radians; 1e-8 rad = 0.002") absolute rounding of coordinates near 1
    /// is no longer negligible against the cell side, so cells are not collapsed.
    /// </summary>
    public const double MinCollapseChord = 1e-8;

    public double OriginX, OriginY, OriginZ;

    /// <summary>Cell side in chord units (unit sphere).</summary>
    public double Side;

    /// <summary><see cref="Sky.ChordSquared"/> of the radius: linked iff squared chord &lt;= this.</summary>
    public double Chord2;

    /// <summary>
    /// A pair whose squared chord between the vectors on the device is at most this is linked
    /// for certain. <see cref="Chord2"/> when the vectors are exact (those of
    /// <see cref="Sky.UnitVector"/>); below it by the vectors' tolerance otherwise (negative when
    /// no pair is certain, e.g. radius 0).
    /// </summary>
    public double Link2;

    /// <summary>
    /// A pair above this is certainly not linked, and a cell box farther than this is skipped;
    /// pairs between <see cref="Link2"/> and this are settled on the host with exact vectors.
    /// <see cref="Chord2"/> when the vectors are exact.
    /// </summary>
    public double Maybe2;

    /// <summary>How far a point's vector on the device may lie from its exact one (0: exact vectors).</summary>
    public double PointTolerance;

    /// <summary>Cells visited each way along each axis; 2 on a collapsed grid (more only with a tolerance far above the device's).</summary>
    public int Reach;

    /// <summary>
    /// 1 when the side is at most chord/sqrt(3) (with margin), so any two points of one cell
    /// are linked and a cell can be unioned wholesale; 0 otherwise (tiny radius, or a block too
    /// wide for 21-bit coordinates at that radius).
    /// </summary>
    public int Collapsed;

    /// <summary>
    /// Always 0. Xor-ed into the bits of each square so that no compiler (ptxas, OpenCL C)
    /// can fuse a square and the following add into an FMA: the sum must round exactly like
    /// <see cref="Sky.Within"/> on the CPU for membership to be bit-identical.
    /// </summary>
    public ulong OpaqueZero;

    /// <summary>
    /// How far (Euclidean, unit sphere) a vector made by <see cref="DeviceTrig.UnitVector"/> on a
    /// device may lie from <see cref="Sky.UnitVector"/>'s: ~250 times the largest deviation
    /// measured (4e-16), so that neither a compiler's fused multiply-adds nor a device's rounding
    /// can put a pair on the wrong side of the band.
    /// </summary>
    public const double DevicePointTolerance = 1e-13;

    /// <summary>
    /// Plans the grid for a block of unit vectors (at least one) and a radius in arcsec
    /// (finite, &gt;= 0).
    /// </summary>
    public static LinkGrid Plan(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> z, double radiusArcsec)
    {
        if (x.Length == 0 || y.Length != x.Length || z.Length != x.Length)
            throw new ArgumentException("need equal, non-empty coordinate columns");
        return Plan(CellBox.Of(x, y, z), radiusArcsec);
    }

    /// <summary>
    /// Plans the grid from the bounding box of the block's unit vectors, found by the caller.
    /// With a <paramref name="pointTolerance"/> (vectors made on the device, each within that
    /// distance of its exact one) every length is widened or narrowed by twice the tolerance,
    /// so that no pair within the radius is lost and no pair beyond it is linked for certain.
    /// </summary>
    public static LinkGrid Plan(CellBox bounds, double radiusArcsec, double pointTolerance = 0)
    {
        if (!double.IsFinite(radiusArcsec) || radiusArcsec < 0)
            throw new ArgumentOutOfRangeException(nameof(radiusArcsec), radiusArcsec, "radius must be finite and >= 0");
        if (!double.IsFinite(pointTolerance) || pointTolerance < 0)
            throw new ArgumentOutOfRangeException(nameof(pointTolerance), pointTolerance, "tolerance must be finite and >= 0");
        double minX = bounds.MinX, minY = bounds.MinY, minZ = bounds.MinZ;
        double maxX = bounds.MaxX, maxY = bounds.MaxY, maxZ = bounds.MaxZ;
        double extent = Math.Max(maxX - minX, Math.Max(maxY - minY, maxZ - minZ));

        double chord2 = Sky.ChordSquared(radiusArcsec);
        double chord = Math.Sqrt(chord2);
        // Two points, each off by up to the tolerance: their distance moves by up to twice it.
        double inner = chord - 2 * pointTolerance, outer = chord + 2 * pointTolerance;
        // Cube diagonal sqrt(3)*side <= inner chord: any two points of a cell are linked.
        double collapseSide = Math.Max(inner, 0) * (1 - SafetyMargin) / Math.Sqrt(3.0);
        // Coordinates must stay below MaxCoord over the whole block.
        double packSide = extent / (MaxCoord - 1);
        double side = Math.Max(collapseSide, packSide);
        if (!(side > 0)) side = 1.0; // radius 0 and one distinct position: any side works
        bool collapsed = collapseSide >= packSide && inner >= MinCollapseChord;
        // Cells R+1 apart along an axis are separated by a gap of R*side > outer chord.
        int reach = 1 + (int)Math.Floor(outer * (1 + SafetyMargin) / side);

        // The relative 1e-12 covers the rounding of both squared chords (a few ulp) many times over.
        double link2 = pointTolerance == 0 ? chord2 : inner > 0 ? Square(inner * (1 - 1e-12)) : -1.0;
        double maybe2 = pointTolerance == 0 ? chord2 : Square(outer * (1 + 1e-12));
        return new LinkGrid
        {
            OriginX = minX, OriginY = minY, OriginZ = minZ,
            Side = side, Chord2 = chord2, Link2 = link2, Maybe2 = maybe2, PointTolerance = pointTolerance,
            Reach = reach, Collapsed = collapsed ? 1 : 0, OpaqueZero = 0,
        };

        static double Square(double v) => v * v;
    }

    /// <summary>Cell coordinate along one axis; the offset is never negative (origin = minimum).</summary>
    public readonly int Coord(double value, double origin)
    {
        double q = (value - origin) / Side;
        long c = (long)q;
        return c < 0 ? 0 : c > MaxCoord ? MaxCoord : (int)c;
    }

    public readonly ulong KeyOf(double x, double y, double z) =>
        Pack(Coord(x, OriginX), Coord(y, OriginY), Coord(z, OriginZ));

    public static ulong Pack(int ix, int iy, int iz) =>
        ((ulong)(uint)ix << (2 * BitsPerAxis)) | ((ulong)(uint)iy << BitsPerAxis) | (uint)iz;

    public static int UnpackX(ulong key) => (int)(key >> (2 * BitsPerAxis)) & MaxCoord;
    public static int UnpackY(ulong key) => (int)(key >> BitsPerAxis) & MaxCoord;
    public static int UnpackZ(ulong key) => (int)key & MaxCoord;

    /// <summary>
    /// Squared chord between two unit vectors, rounded exactly as <see cref="Sky.Within"/>
    /// rounds it (same operation order, no fused multiply-add).
    /// </summary>
    public readonly double Distance2(double x1, double y1, double z1, double x2, double y2, double z2)
    {
        double dx = x1 - x2, dy = y1 - y2, dz = z1 - z2;
        return (Square(dx) + Square(dy)) + Square(dz);
    }

    public readonly bool Within(double x1, double y1, double z1, double x2, double y2, double z2) =>
        Distance2(x1, y1, z1, x2, y2, z2) <= Chord2;

    /// <summary>
    /// Squared distance from a point to a cell's bounding box; never above the
    /// <see cref="Distance2"/> to any point inside the box (rounding is monotonic), so
    /// skipping a box when this exceeds <see cref="Chord2"/> never loses a link.
    /// </summary>
    public readonly double BoxDistance2(double x, double y, double z, CellBox box) =>
        (Square(Gap(x, box.MinX, box.MaxX)) + Square(Gap(y, box.MinY, box.MaxY))) + Square(Gap(z, box.MinZ, box.MaxZ));

    private static double Gap(double p, double lo, double hi) => p < lo ? lo - p : p > hi ? p - hi : 0.0;

    private readonly double Square(double d) => Interop.IntAsFloat(Interop.FloatAsInt(d * d) ^ OpaqueZero);
}

/// <summary>Bounding box of the unit vectors of one occupied cell.</summary>
public struct CellBox : IEquatable<CellBox>
{
    public double MinX, MinY, MinZ, MaxX, MaxY, MaxZ;

    /// <summary>The smallest box holding this one and the point.</summary>
    public readonly CellBox Including(double x, double y, double z) => new()
    {
        MinX = Math.Min(MinX, x), MinY = Math.Min(MinY, y), MinZ = Math.Min(MinZ, z),
        MaxX = Math.Max(MaxX, x), MaxY = Math.Max(MaxY, y), MaxZ = Math.Max(MaxZ, z),
    };

    /// <summary>The smallest box holding both.</summary>
    public readonly CellBox Including(CellBox other) => new()
    {
        MinX = Math.Min(MinX, other.MinX), MinY = Math.Min(MinY, other.MinY), MinZ = Math.Min(MinZ, other.MinZ),
        MaxX = Math.Max(MaxX, other.MaxX), MaxY = Math.Max(MaxY, other.MaxY), MaxZ = Math.Max(MaxZ, other.MaxZ),
    };

    /// <summary>The smallest box holding the points (x[i], y[i], z[i]); <see cref="Empty"/> for none.</summary>
    public static CellBox Of(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> z)
    {
        var box = Empty;
        for (int i = 0; i < x.Length; i++) box = box.Including(x[i], y[i], z[i]);
        return box;
    }

    /// <summary>The smallest box holding every box of <paramref name="boxes"/>; <see cref="Empty"/> for none.</summary>
    public static CellBox Of(ReadOnlySpan<CellBox> boxes)
    {
        var box = Empty;
        foreach (var b in boxes) box = box.Including(b);
        return box;
    }

    /// <summary>Holds nothing: any point or box included replaces it.</summary>
    public static CellBox Empty => new()
    {
        MinX = double.PositiveInfinity, MinY = double.PositiveInfinity, MinZ = double.PositiveInfinity,
        MaxX = double.NegativeInfinity, MaxY = double.NegativeInfinity, MaxZ = double.NegativeInfinity,
    };

    public readonly bool Equals(CellBox other) =>
        MinX.Equals(other.MinX) && MinY.Equals(other.MinY) && MinZ.Equals(other.MinZ) &&
        MaxX.Equals(other.MaxX) && MaxY.Equals(other.MaxY) && MaxZ.Equals(other.MaxZ);

    public override readonly bool Equals(object? obj) => obj is CellBox other && Equals(other);

    public override readonly int GetHashCode() => HashCode.Combine(MinX, MinY, MinZ, MaxX, MaxY, MaxZ);

    public override readonly string ToString() =>
        FormattableString.Invariant($"[{MinX:R}..{MaxX:R}, {MinY:R}..{MaxY:R}, {MinZ:R}..{MaxZ:R}]");
}
