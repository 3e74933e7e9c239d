using System.Text;

namespace Wdb.IO;

/// <summary>RFC 4180 text fields: quoted only when they hold a comma, quote or line break.</summary>
internal static class CsvText
{
    public static bool NeedsQuotes(ReadOnlySpan<char> s) => s.IndexOfAny(",\"\r\n") >= 0;

    public static StringBuilder AppendField(StringBuilder sb, string s)
    {
        if (!NeedsQuotes(s)) return sb.Append(s);
        return sb.Append('"').Append(s.Replace("\"", "\"\"")).Append('"');
    }
}
