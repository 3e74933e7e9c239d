using System.Runtime.Intrinsics;

namespace Wdb.Core;

/// <summary>
/// Spherical geometry on unit vectors. Angles in the API are degrees for positions and
/// arcseconds for separations and radii, as in the 2MASS tables.
/// </summary>
public static class Sky
{
    public const double DegToRad = Math.PI / 180.0;
    public const double ArcsecToRad = Math.PI / (180.0 * 3600.0);

    /// <summary>Unit vector of (ra, dec) in degrees.</summary>
    public static (double X, double Y, double Z) UnitVector(double raDeg, double decDeg)
    {
        // The link, footprints and statistics all come through here, up to four times a row: our own
        // sine and cosine (SinCos; bench/NOTES.md 84), whose vector form gives rows in batches the same bits.
        var (sinDec, cosDec) = SinCos.Of(decDeg * DegToRad);
        var (sinRa, cosRa) = SinCos.Of(raDeg * DegToRad);
        return (cosDec * cosRa, cosDec * sinRa, sinDec);
    }

    /// <summary>
    /// Unit vectors of rows given by (ra, dec) in degrees: two rows to a vector sine and cosine,
    /// each row's vector the bits of <see cref="UnitVector"/> (SinCos gives every lane the value of
    /// the single call, whatever its neighbours).
    /// </summary>
    public static void UnitVectors(ReadOnlySpan<double> raDeg, ReadOnlySpan<double> decDeg, Span<double> x, Span<double> y, Span<double> z)
    {
        int n = raDeg.Length, i = 0;
        if (decDeg.Length != n || x.Length < n || y.Length < n || z.Length < n) throw new ArgumentException("spans differ in length");
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 2 <= n; i += 2)
            {
                var (sin, cos) = SinCos.Of(Vector256.Create(raDeg[i] * DegToRad, decDeg[i] * DegToRad, raDeg[i + 1] * DegToRad, decDeg[i + 1] * DegToRad));
                double cosDec0 = cos.GetElement(1), cosDec1 = cos.GetElement(3);
                x[i] = cosDec0 * cos.GetElement(0); y[i] = cosDec0 * sin.GetElement(0); z[i] = sin.GetElement(1);
                x[i + 1] = cosDec1 * cos.GetElement(2); y[i + 1] = cosDec1 * sin.GetElement(2); z[i + 1] = sin.GetElement(3);
            }
        }
        for (; i < n; i++) (x[i], y[i], z[i]) = UnitVector(raDeg[i], decDeg[i]);
    }

    /// <summary>
    /// Squared chord length of an angular separation of <paramref name="radiusArcsec"/>:
    /// two unit vectors are within the radius (inclusive) exactly when their squared chord
    /// is &lt;= this. Chords are exact on the sphere, with no special case at RA 0/360 or
    /// at the poles.
    /// </summary>
    public static double ChordSquared(double radiusArcsec)
    {
        double s = 2.0 * Math.Sin(0.5 * radiusArcsec * ArcsecToRad);
        return s * s;
    }

    /// <summary>The link predicate shared by every link engine and by brute force.</summary>
    public static bool Within(double x1, double y1, double z1, double x2, double y2, double z2, double chord2)
    {
        double dx = x1 - x2, dy = y1 - y2, dz = z1 - z2;
        return dx * dx + dy * dy + dz * dz <= chord2;
    }

    /// <summary>Angular separation in arcsec (Vincenty form: accurate at all separations).</summary>
    public static double SeparationArcsec(double ra1, double dec1, double ra2, double dec2)
    {
        double d1 = dec1 * DegToRad, d2 = dec2 * DegToRad, dra = (ra2 - ra1) * DegToRad;
        double sd1 = Math.Sin(d1), cd1 = Math.Cos(d1), sd2 = Math.Sin(d2), cd2 = Math.Cos(d2);
        double sdr = Math.Sin(dra), cdr = Math.Cos(dra);
        double num1 = cd2 * sdr, num2 = cd1 * sd2 - sd1 * cd2 * cdr;
        double den = sd1 * sd2 + cd1 * cd2 * cdr;
        return Math.Atan2(Math.Sqrt(num1 * num1 + num2 * num2), den) / ArcsecToRad;
    }

    /// <summary>
    /// The RA windows [From, To] (deg, inclusive) that hold every position within <paramref name="radiusArcsec"/> of
    /// (ra, dec): its RA ± the radius over the cosine of the declination farthest from the equator it reaches (never
    /// narrower than the cone's true extent), widened by <paramref name="margin"/>; split in two where it crosses RA
    /// 0/360; [0, 360] where it reaches a pole or spans half the circle. Writes one or two into
    /// <paramref name="windows"/> (at least two long) and returns how many. A superset: callers measure each candidate.
    /// </summary>
    public static int RaWindows(double raDeg, double decDeg, double radiusArcsec, double margin, Span<(double From, double To)> windows)
    {
        double r = radiusArcsec / 3600.0;
        double far = Math.Min(90.0, Math.Abs(decDeg) + r);
        double halfWidth = far >= 89.999 ? 360.0 : r / Math.Cos(far * DegToRad) + margin;
        double ra = raDeg - 360.0 * Math.Floor(raDeg / 360.0);
        if (halfWidth >= 180.0) { windows[0] = (0.0, 360.0); return 1; }
        double from = ra - halfWidth, to = ra + halfWidth;
        if (from < 0) { windows[0] = (from + 360.0, 360.0); windows[1] = (0.0, to); return 2; }
        if (to >= 360.0) { windows[0] = (from, 360.0); windows[1] = (0.0, to - 360.0); return 2; }
        windows[0] = (from, to);
        return 1;
    }

    /// <summary>(ra, dec) in degrees of a (not necessarily unit) vector; ra in [0, 360).</summary>
    public static (double Ra, double Dec) ToRaDec(double x, double y, double z)
    {
        double ra = Math.Atan2(y, x) / DegToRad;
        if (ra < 0) ra += 360.0;
        if (ra >= 360.0) ra -= 360.0;
        double dec = Math.Atan2(z, Math.Sqrt(x * x + y * y)) / DegToRad;
        return (ra, dec);
    }
}
