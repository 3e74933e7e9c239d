using System.Globalization;
using System.Text.RegularExpressions;

namespace Wdb.Core;

/// <summary>
/// Sizes as a user writes them on the command line (a number with an optional K, M, G or T, powers
/// of 1024), and as the program's messages print them.
/// </summary>
public static partial class ByteSize
{
    /// <summary>
    /// "8G", "512M", "1.5t", "64gb", "2GiB", "1048576": bytes, at least one. Refuses negative, zero,
    /// unknown units and sizes past 2^62 bytes.
    /// </summary>
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var m = Pattern().Match(text.Trim());
        if (!m.Success) return false;
        int shift = m.Groups["unit"].Success ? "kmgt".IndexOf(char.ToLowerInvariant(m.Groups["unit"].Value[0])) * 10 + 10 : 0;
        double value = double.Parse(m.Groups["number"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        double total = Math.Round(value * Math.Pow(2, shift));
        if (!(total >= 1) || total > (double)(1L << 62)) return false;
        bytes = (long)total;
        return true;
    }

    [GeneratedRegex(@"^(?<number>[0-9]+(\.[0-9]*)?|\.[0-9]+) *((?<unit>[kmgt])(i?b)?|b)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    /// <summary>Bytes for a message: "11.7 GB" from 1 GiB up, else whole MB (at least 1: "1 MB").</summary>
    public static string Text(long bytes) =>
        bytes >= 1L << 30 ? $"{(bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture)} GB" : $"{Math.Max(1, bytes >> 20)} MB";

    /// <summary>Bytes in the largest unit that keeps a number of at least 1, one decimal, as --memory takes them: "11.7G".</summary>
    public static string Format(long bytes)
    {
        string[] units = ["", "K", "M", "G", "T"];
        double value = bytes;
        int u = 0;
        while (value >= 1024 && u < units.Length - 1) { value /= 1024; u++; }
        return u == 0 ? $"{bytes}" : value.ToString("0.#", CultureInfo.InvariantCulture) + units[u];
    }
}
