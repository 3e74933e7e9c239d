namespace Wdb.Merge;

/// <summary>IAU-style source designations from a position.</summary>
public static class Designations
{
    /// <summary>
    /// "Jhhmmss.ss+ddmmss.s" from J2000 (ra, dec) in degrees. Every field is truncated, not
    /// rounded, as the 2MASS PSC `designation` column does ("2MASS Jhhmmssss+ddmmsss": the
    /// same digits without the dots, e.g. J05353165-0523068), so a
    /// designation never points to a cell the position is not in. RA 0/360 wraps to 0;
    /// a Dec in (-0.1", 0) keeps its minus sign.
    /// </summary>
    public static string Iau(double raDeg, double decDeg)
    {
        // Hundredths of a second of time: ra/15 h * 3600 s/h * 100. The tiny relative nudge
        // keeps values that are exact in decimal (e.g. 12.34 s stored as 12.3399999...)
        // from dropping a digit; it is far below the catalogues' 1e-6 deg precision.
        double raNorm = raDeg % 360.0;
        if (raNorm < 0) raNorm += 360.0;
        long raUnits = (long)Math.Floor(raNorm * (360000.0 / 15.0) * (1 + 1e-13));
        if (raUnits >= 24L * 360000) raUnits -= 24L * 360000;
        bool negative = decDeg < 0 || (decDeg == 0 && double.IsNegative(decDeg));
        double decAbs = Math.Min(Math.Abs(decDeg), 90.0);
        long decUnits = (long)Math.Floor(decAbs * 36000.0 * (1 + 1e-13)); // tenths of an arcsec
        if (decUnits > 90L * 36000) decUnits = 90L * 36000;
        long hh = raUnits / 360000, mm = raUnits / 6000 % 60, ss = raUnits / 100 % 60, cs = raUnits % 100;
        long dd = decUnits / 36000, am = decUnits / 600 % 60, asec = decUnits / 10 % 60, ds = decUnits % 10;
        return string.Create(19, (hh, mm, ss, cs, negative, dd, am, asec, ds), static (span, v) =>
        {
            span[0] = 'J';
            Two(span, 1, v.hh); Two(span, 3, v.mm); Two(span, 5, v.ss); span[7] = '.'; Two(span, 8, v.cs);
            span[10] = v.negative ? '-' : '+';
            Two(span, 11, v.dd); Two(span, 13, v.am); Two(span, 15, v.asec); span[17] = '.';
            span[18] = (char)('0' + v.ds);
        });
    }

    private static void Two(Span<char> span, int at, long value)
    {
        span[at] = (char)('0' + value / 10);
        span[at + 1] = (char)('0' + value % 10);
    }
}
