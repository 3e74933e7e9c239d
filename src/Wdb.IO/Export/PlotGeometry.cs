using System.Globalization;
using Wdb.Core;

namespace Wdb.IO;

/// <summary>
/// A linear map from data values to SVG pixels: <see cref="Lo"/> lands on <see cref="PixelAtLo"/>
/// and <see cref="Hi"/> on <see cref="PixelAtHi"/>. An inverted axis is one whose
/// <see cref="PixelAtHi"/> is the smaller pixel: SVG y grows downwards, so a y axis with north or
/// faint up has PixelAtHi above PixelAtLo, and an east-left x axis has PixelAtHi left of PixelAtLo.
/// </summary>
public readonly record struct PlotAxis(double Lo, double Hi, double PixelAtLo, double PixelAtHi)
{
    /// <summary>The pixel of data value <paramref name="v"/> (extrapolated beyond [Lo, Hi]).</summary>
    public double ToPixel(double v) => PixelAtLo + (v - Lo) / (Hi - Lo) * (PixelAtHi - PixelAtLo);

    /// <summary>Pixels per data unit (always positive).</summary>
    public double Scale => Math.Abs(PixelAtHi - PixelAtLo) / (Hi - Lo);
}

/// <summary>An axis range widened to whole tick steps, and its ticks (<see cref="PlotGeometry.NiceRange"/>).</summary>
public readonly record struct TickRange(double Lo, double Hi, double Step)
{
    /// <summary>The tick values from Lo to Hi, Step apart (computed from Lo, never accumulated).</summary>
    public IEnumerable<double> Ticks()
    {
        int n = (int)Math.Round((Hi - Lo) / Step);
        for (int i = 0; i <= n; i++) yield return Lo + i * Step;
    }

    /// <summary>Decimals that show every tick of this step exactly (0 for steps of 1 and more).</summary>
    public int Decimals => Math.Max(0, -(int)Math.Floor(Math.Log10(Step) + 1e-9));

    /// <summary>A tick value as text, invariant culture, <see cref="Decimals"/> decimals, "−" (U+2212) for negatives, never "-0".</summary>
    public string Label(double v)
    {
        string s = v.ToString("F" + Decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        if (s.StartsWith('-')) s = s.TrimStart('-').Trim('0', '.').Length == 0 ? s[1..] : "\u2212" + s[1..];
        return s;
    }
}

/// <summary>The pixel box of a plot: its whole size and the data area inside the margins.</summary>
public readonly record struct PlotFrame(double Width, double Height, double Left, double Top, double Right, double Bottom)
{
    public double PlotWidth => Right - Left;
    public double PlotHeight => Bottom - Top;
}

/// <summary>
/// The small pure geometry of the group plots: tick ranges, data padding and tangent-plane
/// offsets. Each function takes plain numbers and states its units.
/// </summary>
public static class PlotGeometry
{
    /// <summary>
    /// The range [lo, hi] widened outwards to whole multiples of a step of 1, 2 or 5 times a power
    /// of ten, chosen so that about <paramref name="targetTicks"/> intervals cover it (Heckbert's
    /// "nice numbers", Graphics Gems 1990). Needs hi &gt; lo (see <see cref="Pad"/>).
    /// </summary>
    public static TickRange NiceRange(double lo, double hi, int targetTicks)
    {
        if (!(hi > lo) || !double.IsFinite(lo) || !double.IsFinite(hi)) throw new ArgumentException($"empty range [{lo}, {hi}]");
        double raw = (hi - lo) / targetTicks;
        double power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double f = raw / power;
        double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
        // The tolerance keeps a bound that is already a tick (e.g. 2451095 / 5) from moving a step out.
        double first = Math.Floor(lo / step + 1e-9) * step, last = Math.Ceiling(hi / step - 1e-9) * step;
        return new TickRange(first, last, step);
    }

    /// <summary>
    /// [min, max] of the data widened by <paramref name="fraction"/> of its span on each side; a
    /// single value (span 0) is widened by <paramref name="halfWidthIfFlat"/> each side instead.
    /// </summary>
    public static (double Lo, double Hi) Pad(double min, double max, double fraction, double halfWidthIfFlat)
    {
        double span = max - min;
        return span > 0 ? (min - fraction * span, max + fraction * span) : (min - halfWidthIfFlat, max + halfWidthIfFlat);
    }

    /// <summary>
    /// Standard coordinates of (ra, dec) on the plane tangent to the sphere at (ra0, dec0)
    /// (gnomonic projection; all in degrees), in arcsec: East is the offset towards increasing RA
    /// (xi), North towards increasing Dec (eta). Exact at any separation below 90 deg, at the
    /// poles and across RA 0/360. NaN when the point is 90 deg or more from the centre.
    /// </summary>
    public static (double East, double North) TangentOffsetArcsec(double ra0, double dec0, double ra, double dec)
    {
        double d0 = dec0 * Sky.DegToRad, d = dec * Sky.DegToRad, da = (ra - ra0) * Sky.DegToRad;
        double sd0 = Math.Sin(d0), cd0 = Math.Cos(d0), sd = Math.Sin(d), cd = Math.Cos(d), cda = Math.Cos(da);
        double cosC = sd * sd0 + cd * cd0 * cda;   // cosine of the separation
        if (!(cosC > 0)) return (double.NaN, double.NaN);
        double xi = cd * Math.Sin(da) / cosC;
        double eta = (sd * cd0 - cd * sd0 * cda) / cosC;
        return (xi / Sky.ArcsecToRad, eta / Sky.ArcsecToRad);
    }

    /// <summary>
    /// SVG rotation (deg, clockwise on screen) of an ellipse drawn with rx along its major axis,
    /// for a position angle <paramref name="paDeg"/> (deg east of north) on a plot with north up
    /// and east left: PA 0 is vertical (90), PA 90 horizontal (0).
    /// </summary>
    public static double EllipseRotation(double paDeg) => 90.0 - paDeg;
}
