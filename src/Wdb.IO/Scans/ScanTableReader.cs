using System.Globalization;
using Wdb.Core;

namespace Wdb.IO;

/// <summary>
/// A scan-footprint table for `wdb merge --scans FILE`: CSV with a header naming `scan_key`
/// and one or more corner pairs `ra1,dec1,ra2,dec2,...` (degrees; a 2MASS tile's four
/// corners). The result is one row per corner (ScanKey, Ra, Dec), which the statistics
/// stage turns into footprints exactly as it does a scan's own extractions. The table is
/// small reference data: any bad value is a fatal error with file:line:column. A scan is one
/// row: a second row of one scan_key with other corners is an error too, since taking both would
/// silently widen the scan's footprint to the box around the two (and so its spos); a repeat of
/// the same corners (two tables joined) changes nothing and is skipped.
/// </summary>
public static class ScanTableReader
{
    public static (ExtractionBlock? Corners, InputError? Error) Read(string path)
    {
        string[] lines;
        try { lines = File.ReadAllLines(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return (null, new InputError(path, 0, 0, $"cannot read the scan table: {OutputError.ReasonOf(e, path)}"));
        }
        if (lines.Length == 0) return (null, new InputError(path, 1, 1, "empty scan table: expected a header with scan_key, ra1, dec1, ..."));

        var header = lines[0].Split(',').Select(h => h.Trim().ToLowerInvariant()).ToArray();
        int keyColumn = Array.IndexOf(header, "scan_key");
        if (keyColumn < 0) return (null, new InputError(path, 1, 1, $"missing column 'scan_key' (have: {string.Join(", ", header)})"));
        var corners = new List<(int Ra, int Dec)>();
        for (int k = 1; ; k++)
        {
            int ra = Array.IndexOf(header, $"ra{k}"), dec = Array.IndexOf(header, $"dec{k}");
            if (ra < 0 || dec < 0) break;
            corners.Add((ra, dec));
        }
        if (corners.Count == 0) return (null, new InputError(path, 1, 1, "missing corner columns: expected ra1, dec1 (and ra2, dec2, ...)"));

        var block = new ExtractionBlock(Math.Max(16, (lines.Length - 1) * corners.Count));
        long id = 0;
        var firstRow = new Dictionary<long, (int Line, double[] Corners)>();
        for (int l = 1; l < lines.Length; l++)
        {
            if (lines[l].Trim().Length == 0) continue;
            var fields = lines[l].Split(',');
            if (fields.Length != header.Length)
                return (null, new InputError(path, l + 1, 1, $"expected {header.Length} fields, got {fields.Length}"));
            if (!long.TryParse(fields[keyColumn], NumberStyles.Integer, CultureInfo.InvariantCulture, out long scan))
                return (null, new InputError(path, l + 1, Column(fields, keyColumn), $"expected an integer scan_key, got '{fields[keyColumn]}'"));
            var values = new double[2 * corners.Count];
            for (int c = 0; c < corners.Count; c++)
            {
                var (raCol, decCol) = corners[c];
                if (!TryCoordinate(fields[raCol], 0, 360, out values[2 * c]))
                    return (null, new InputError(path, l + 1, Column(fields, raCol), $"expected an RA in [0, 360) in column '{header[raCol]}', got '{fields[raCol]}'"));
                if (!TryCoordinate(fields[decCol], -90, 90, out values[2 * c + 1]))
                    return (null, new InputError(path, l + 1, Column(fields, decCol), $"expected a Dec in [-90, 90] in column '{header[decCol]}', got '{fields[decCol]}'"));
            }
            if (firstRow.TryGetValue(scan, out var first))
            {
                if (first.Corners.AsSpan().SequenceEqual(values)) continue;
                return (null, new InputError(path, l + 1, Column(fields, keyColumn),
                    $"scan_key {scan} is listed again with other corners (first at line {first.Line}): give each scan one row, its footprint's corners"));
            }
            firstRow.Add(scan, (l + 1, values));
            for (int c = 0; c < corners.Count; c++)
            {
                int i = block.AddRow();
                block.Cntr[i] = ++id;
                block.ScanKey[i] = scan;
                block.Ra[i] = values[2 * c];
                block.Dec[i] = values[2 * c + 1];
                block.Line[i] = l + 1;
            }
        }
        return (block, null);
    }

    private static bool TryCoordinate(string text, double min, double max, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
        && double.IsFinite(value) && value >= min && (max == 360 ? value < max : value <= max);

    /// <summary>1-based character column where field <paramref name="index"/> starts.</summary>
    private static int Column(string[] fields, int index)
    {
        int column = 1;
        for (int f = 0; f < index; f++) column += fields[f].Length + 1;
        return column;
    }
}
