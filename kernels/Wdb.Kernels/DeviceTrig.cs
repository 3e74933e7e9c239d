using Wdb.Core;

namespace Wdb.Kernels;

/// <summary>
/// Sine and cosine from additions and multiplications only, so that a kernel computes unit
/// vectors on the device with an error bound known on every back end (a device library's
/// sin/cos, or ILGPU's mapping of <see cref="Math.Sin"/>, promise no particular accuracy).
/// Within <see cref="DomainDeg"/> the vectors stay within 1e-15 of <see cref="Sky.UnitVector"/>
/// per component (tested over millions of angles); the link kernels allow
/// <see cref="LinkGrid.DevicePointTolerance"/>, a hundred times more, and settle pairs that
/// close to the radius on the host with <see cref="Sky.UnitVector"/> itself.
/// </summary>
/// <remarks>
/// Reduction by the nearest multiple of pi/2 in two parts (Cody and Waite): the first part has
/// 33 significant bits, so k times it is exact for |k| below 2^20, and the subtraction is exact
/// (Sterbenz); the second part carries pi/2 to ~1e-27. On |r| &lt;= pi/4 the Taylor series to
/// r^17 (sine) and r^16 (cosine) leave a truncation below 1e-17; Horner's rounding stays within
/// a few ulp. A compiler that fuses a multiply and an add only removes roundings.
/// </remarks>
public static class DeviceTrig
{
    /// <summary>Angles (degrees) within which the reduction is exact enough; rows beyond it get host vectors.</summary>
    public const double DomainDeg = 1e5;

    private const double TwoOverPi = 0.63661977236758134308;
    // pi/2 = PiOver2Hi + PiOver2Lo: the high part has 33 significant bits (the constants of fdlibm's
    // __ieee754_rem_pio2, pio2_1 and pio2_1t).
    private const double PiOver2Hi = 1.57079632673412561417e+00;
    private const double PiOver2Lo = 6.07710050650619224932e-11;

    /// <summary>The unit vector of (ra, dec) in degrees, as <see cref="Sky.UnitVector"/> computes it, to ~1e-16.</summary>
    public static void UnitVector(double raDeg, double decDeg, out double x, out double y, out double z)
    {
        SinCos(decDeg * Sky.DegToRad, out double sinDec, out double cosDec);
        SinCos(raDeg * Sky.DegToRad, out double sinRa, out double cosRa);
        x = cosDec * cosRa;
        y = cosDec * sinRa;
        z = sinDec;
    }

    /// <summary>sin and cos of an angle in radians, |angle| up to <see cref="DomainDeg"/> degrees.</summary>
    public static void SinCos(double angle, out double sin, out double cos)
    {
        double k = Math.Floor(angle * TwoOverPi + 0.5);
        double r = (angle - k * PiOver2Hi) - k * PiOver2Lo;
        double r2 = r * r;
        double s = r + r * r2 * (-1.0 / 6 + r2 * (1.0 / 120 + r2 * (-1.0 / 5040 + r2 * (1.0 / 362880
            + r2 * (-1.0 / 39916800 + r2 * (1.0 / 6227020800 + r2 * (-1.0 / 1307674368000 + r2 * (1.0 / 355687428096000))))))));
        double c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24 + r2 * (-1.0 / 720 + r2 * (1.0 / 40320
            + r2 * (-1.0 / 3628800 + r2 * (1.0 / 479001600 + r2 * (-1.0 / 87178291200 + r2 * (1.0 / 20922789888000))))))));
        // Quadrant: k mod 4, also for negative k (two's complement).
        int quadrant = (int)((long)k & 3);
        if (quadrant == 0) { sin = s; cos = c; }
        else if (quadrant == 1) { sin = c; cos = -s; }
        else if (quadrant == 2) { sin = -s; cos = -c; }
        else { sin = -c; cos = s; }
    }
}
