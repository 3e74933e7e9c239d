using System.Globalization;
using System.Text;

namespace Wdb.IO;

/// <summary>
/// Text for SVG and (polyglot, XML-well-formed) HTML: escaping, flag characters and numbers in
/// the invariant culture, so a page reads the same on every machine and parses as XML.
/// </summary>
internal static class Markup
{
    /// <summary>
    /// <paramref name="s"/> safe in element content and in double- or single-quoted attributes.
    /// Characters XML 1.0 forbids (controls other than tab and newlines, lone surrogates) become
    /// U+FFFD: a path or designation with one must not make the page unreadable.
    /// </summary>
    public static string Escape(string s)
    {
        var sb = new StringBuilder(s.Length + 8);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { sb.Append(c).Append(s[++i]); }
                    else if ((c < 0x20 && c is not ('\t' or '\n' or '\r')) || char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF') sb.Append('\uFFFD');
                    else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>A one-character flag as text: "" when absent (0), "?" for a byte that is not printable ASCII.</summary>
    public static string Flag(byte b) => b == 0 ? "" : b is >= 0x20 and < 0x7F ? ((char)b).ToString() : "?";

    /// <summary>A number with <paramref name="decimals"/> decimals, invariant culture; "" for NaN or infinity.</summary>
    public static string Num(double v, int decimals) =>
        double.IsFinite(v) ? v.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : "";

    /// <summary>A pixel coordinate: at most two decimals (1/100 px), invariant culture.</summary>
    public static string Px(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);
}
