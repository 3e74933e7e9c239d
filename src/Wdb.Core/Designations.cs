namespace Wdb.Core;

/// <summary>
/// IAU-style source designations from a position. A group's designation is a function of its
/// weighted mean position alone, so it is written into the output tables as text from that
/// position (<see cref="Write"/>) and never kept as a string per group: on the 10 M survey
/// those were 6.5 M objects alive from the statistics to the write (bench/NOTES.md 61).
/// </summary>
public static class Designations
{
    /// <summary>Characters (and UTF-8 bytes) of every designation of a finite position.</summary>
    public const int Length = 19;

    /// <summary>
    /// "Jhhmmss.ss+ddmmss.s" from J2000 (ra, dec) in degrees; "" when either is not finite (a
    /// group without members has no position). Every field is truncated, not rounded, as the
    /// 2MASS PSC `designation` column does ("2MASS Jhhmmssss+ddmmsss": the same digits without
    /// the dots, e.g. J05353165-0523068), so a designation never points to a cell the position
    /// is not in. RA 0/360 wraps to 0; a Dec in (-0.1", 0) keeps its minus sign.
    /// </summary>
    public static string Iau(double raDeg, double decDeg)
    {
        Span<byte> text = stackalloc byte[Length];
        int n = Write(raDeg, decDeg, text);
        return n == 0 ? "" : System.Text.Encoding.ASCII.GetString(text[..n]);
    }

    /// <summary>
    /// Writes the designation of <see cref="Iau"/> as ASCII (UTF-8) into <paramref name="utf8"/>,
    /// which holds at least <see cref="Length"/> bytes; returns the bytes written (0 for a
    /// position that is not finite).
    /// </summary>
    public static int Write(double raDeg, double decDeg, Span<byte> utf8)
    {
        if (!double.IsFinite(raDeg) || !double.IsFinite(decDeg)) return 0;
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

        var s = utf8[..Length];
        s[0] = (byte)'J';
        Two(s, 1, raUnits / 360000); Two(s, 3, raUnits / 6000 % 60); Two(s, 5, raUnits / 100 % 60);
        s[7] = (byte)'.'; Two(s, 8, raUnits % 100);
        s[10] = negative ? (byte)'-' : (byte)'+';
        Two(s, 11, decUnits / 36000); Two(s, 13, decUnits / 600 % 60); Two(s, 15, decUnits / 10 % 60);
        s[17] = (byte)'.';
        s[18] = (byte)('0' + decUnits % 10);
        return Length;
    }

    private static void Two(Span<byte> span, int at, long value)
    {
        span[at] = (byte)('0' + value / 10);
        span[at + 1] = (byte)('0' + value % 10);
    }
}
