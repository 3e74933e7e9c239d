using System.Globalization;
using System.Text.RegularExpressions;

namespace Wdb.Core;

/// <summary>
/// Positions as astronomers type them: right ascension in degrees or as hours, minutes and seconds
/// ("12:00:00.07", "12 00 00.07", "12h00m00.07s"), declination in degrees or as degrees, arcminutes and arcseconds
/// ("-00:15:30.5", "-0d15m30.5s"), and 2MASS designations ("J120000.07-000015.5" as wdb writes them, "2MASS
/// J12000007-0000155" as the PSC does). Errors are values: a one-line reason, not an exception.
/// </summary>
public static partial class Coordinates
{
    /// <summary>Right ascension in degrees, [0, 360): decimal degrees, or h:m:s with h below 24.</summary>
    public static double? ParseRa(string text, out string? why)
    {
        why = null;
        string t = text.Trim();
        if (Decimal(t) is double deg)
        {
            if (deg >= 0 && deg < 360) return deg;
            why = $"right ascension {text} is not in [0, 360) deg";
            return null;
        }
        if (Sexagesimal(t, 'h') is not var (negative, h, m, s, wholeSeconds))
        {
            why = $"'{text}' is not a right ascension: decimal degrees, or hours, minutes, seconds as 12:34:56.7, 12 34 56.7 or 12h34m56.7s";
            return null;
        }
        if (negative || h >= 24 || m >= 60 || wholeSeconds >= 60)
        {
            why = $"right ascension '{text}' is out of range (hours 0-23, minutes and seconds below 60)";
            return null;
        }
        // Just under 24h as written may add up to 360 as a double: the same point as 0h.
        double degrees = 15.0 * (h + m / 60.0 + s / 3600.0);
        return degrees >= 360 ? degrees - 360 : degrees;
    }

    /// <summary>Declination in degrees, [-90, 90]: decimal degrees, or d:m:s (the sign applies to the whole).</summary>
    public static double? ParseDec(string text, out string? why)
    {
        why = null;
        string t = text.Trim();
        if (Decimal(t) is double deg)
        {
            if (deg >= -90 && deg <= 90) return deg;
            why = $"declination {text} is not in [-90, 90] deg";
            return null;
        }
        if (Sexagesimal(t, 'd') is not var (negative, d, m, s, wholeSeconds))
        {
            why = $"'{text}' is not a declination: decimal degrees, or degrees, arcminutes, arcseconds as -12:34:56.7, -12 34 56.7 or -12d34m56.7s";
            return null;
        }
        double value = d + m / 60.0 + s / 3600.0;
        // Beyond 90 as written, not as added up (89:59:59.99999999999999999 is 90 as a double, and in range).
        if (m >= 60 || wholeSeconds >= 60 || d > 90 || d == 90 && (m > 0 || s > 0))
        {
            why = $"declination '{text}' is out of range (|dec| at most 90 deg, minutes and seconds below 60)";
            return null;
        }
        return negative ? -value : value;
    }

    /// <summary>
    /// The cell a 2MASS designation names: its truncated corner (ra, dec) in degrees and the cell's size (0.01 s of time
    /// by 0.1"). "J120000.07-000015.5" (wdb's <see cref="Designations"/>) or the PSC's "J12000007-0000155", with or
    /// without a leading "2MASS"; null with the reason for anything else. The position a designation was made from
    /// lies in [ra, ra + 0.15" / cos dec) by [|dec|, |dec| + 0.1") away from the equator.
    /// </summary>
    public static (double Ra, double Dec)? ParseDesignation(string text, out string? why)
    {
        why = null;
        var m = DesignationPattern().Match(text.Trim());
        if (!m.Success)
        {
            why = $"'{text}' is not a 2MASS designation (Jhhmmss.ss+ddmmss.s, or Jhhmmssss+ddmmsss as in the PSC)";
            return null;
        }
        int I(string g) => int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        int h = I("h"), min = I("m"), cs = 100 * I("cs") + I("csf"), d = I("d"), am = I("am"), ds = 10 * I("ds") + I("dsf");
        if (h >= 24 || min >= 60 || cs >= 6000 || am >= 60 || ds >= 600 || d > 90 || d == 90 && (am > 0 || ds > 0))
        {
            why = $"designation '{text}' is out of range";
            return null;
        }
        double ra = 15.0 * (h + min / 60.0 + cs / 360000.0);
        double dec = d + am / 60.0 + ds / 36000.0;
        return (ra, m.Groups["sign"].Value == "-" ? -dec : dec);
    }

    /// <summary>The designation of <paramref name="text"/> in wdb's form (the PSC's digits with the dots put in), or null.</summary>
    public static string? Canonical(string text)
    {
        var m = DesignationPattern().Match(text.Trim());
        if (!m.Success) return null;
        var g = m.Groups;
        return $"J{g["h"].Value}{g["m"].Value}{g["cs"].Value}.{g["csf"].Value}{g["sign"].Value}{g["d"].Value}{g["am"].Value}{g["ds"].Value}.{g["dsf"].Value}";
    }

    // hh mm ss.ss and dd mm ss.s, with the dots (wdb) or without (the PSC): seconds in cs and csf (their hundredths),
    // arcseconds in ds and dsf (their tenths).
    [GeneratedRegex(@"^(?:2MASS\s*)?J(?<h>\d{2})(?<m>\d{2})(?<cs>\d{2})\.?(?<csf>\d{2})(?<sign>[+-])(?<d>\d{2})(?<am>\d{2})(?<ds>\d{2})\.?(?<dsf>\d)$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DesignationPattern();

    private static double? Decimal(string t) =>
        double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v : null;

    /// <summary>
    /// Three fields (the last two may be absent), by colons, blanks or unit letters ('h' or 'd', then 'm', 's'; blanks
    /// around a letter allowed, "12h" alone too). <c>WholeSeconds</c> is the seconds' field as written, before its
    /// decimals: the range is judged on it, since 59.99999999999999999 is 60 as a double and yet below 60.
    /// </summary>
    private static (bool Negative, double First, double Minutes, double Seconds, double WholeSeconds)? Sexagesimal(string t, char firstUnit)
    {
        var m = SexagesimalPattern().Match(t);
        if (!m.Success) return null;
        if (m.Groups["u1"].Success && char.ToLowerInvariant(m.Groups["u1"].Value[0]) != firstUnit && m.Groups["u1"].Value != "°") return null;
        double F(string g) => m.Groups[g].Success && m.Groups[g].Value.Length > 0 ? double.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture) : 0;
        string seconds = m.Groups["c"].Value;
        int dot = seconds.IndexOf('.');
        double whole = seconds.Length == 0 ? 0 : double.Parse(dot < 0 ? seconds : seconds[..dot], CultureInfo.InvariantCulture);
        return (m.Groups["sign"].Value == "-", F("a"), F("b"), F("c"), whole);
    }

    // A lone first field with its unit letter ("12h", "-45d"), or two or three fields.
    [GeneratedRegex(@"^(?<sign>[+-]?)(?<a>\d+)(?:\s*(?<u1>[hd°])$|(?:\s*(?<u1>[hd°])\s*|:|\s+)(?<b>\d+)(?:\s*[m']\s*|:|\s+)?(?:(?<c>\d+(?:\.\d*)?)\s*[s""]?)?$)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SexagesimalPattern();
}
