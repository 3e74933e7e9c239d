using System.Globalization;
using System.Text;
using System.Text.Json;
using Wdb.Core;

namespace Wdb.IO;

/// <summary>
/// `wdb export DIR --table groups|members|extractions --format csv|ipac|parquet --out FILE`: one
/// table of an output directory as CSV (header row, invariant culture, round-trip numbers, NaN and
/// absent flags as empty fields), as an IPAC table (fixed-width columns under
/// <c>|name|type|unit|null|</c> header rows, <c>null</c> for NaN) that TOPCAT and astropy read, or
/// as Apache Parquet (typed columns, NaN and absent flags as nulls, units and meanings in the
/// key-value metadata; <see cref="ParquetTable"/>) that pandas/pyarrow and TOPCAT read.
/// Columns, units and meanings: <see cref="TableColumns"/>. The file appears atomically
/// (temporary sibling, fsync, rename); on failure nothing is left behind.
/// </summary>
public static class Exporter
{
    private enum Format { Csv, Ipac, Parquet }

    public static OutputError? Export(string dir, string table, string format, string outFile, SkyRegion? region = null) =>
        Export(dir, table, format, outFile, parquetRowGroupRows: null, region);

    /// <summary>Largest region radius (arcsec): ten degrees. A region's rows are gathered in memory before they are written.</summary>
    public const double MostRegionArcsec = 36_000;

    /// <param name="parquetRowGroupRows">Rows per Parquet row group; null for <see cref="ParquetTable.RowGroupRows"/> (tests pass a few rows to cross row-group boundaries).</param>
    /// <param name="region">
    /// Only the groups whose weighted mean lies within the region (a cone search, through sky.fb), their members and
    /// their extractions, in the whole table's order; null for the whole table.
    /// </param>
    internal static OutputError? Export(string dir, string table, string format, string outFile, int? parquetRowGroupRows, SkyRegion? region = null)
    {
        Format? kind = format.ToLowerInvariant() switch { "csv" => Format.Csv, "ipac" => Format.Ipac, "parquet" => Format.Parquet, _ => null };
        if (kind is null) return new OutputError($"unknown export format '{format}' (expected csv, ipac or parquet)");
        table = table.ToLowerInvariant();
        if (!OutputWriter.TableNames.Contains(table))
            return new OutputError($"unknown table '{table}' (expected groups, members or extractions)");
        if (OutProblem(dir, outFile, kind.Value) is { } badOut) return badOut;
        if (region is { } r && !(r.RaDeg >= 0 && r.RaDeg < 360 && r.DecDeg >= -90 && r.DecDeg <= 90 && r.RadiusArcsec > 0 && r.RadiusArcsec <= MostRegionArcsec))
            return new OutputError($"a region needs RA in [0, 360), Dec in [-90, 90] and a radius in (0, {MostRegionArcsec}] arcsec, got {r.RaDeg}, {r.DecDeg}, {r.RadiusArcsec}");
        using var reader = OutputReader.TryOpen(dir, out var error);
        if (reader is null) return error;
        if (region is { } sky)
        {
            try { return WriteRegion(reader, sky, table, kind.Value, parquetRowGroupRows, outFile); }
            catch (InvalidDataException e) { return new OutputError($"cannot read '{Shown.Path(dir)}': {e.Message}"); }
        }
        return table switch
        {
            "groups" => Write(reader.Groups(), reader.GroupCount, TableColumns.Groups, table, kind.Value, parquetRowGroupRows, outFile),
            "members" => Write(reader.Members(), reader.MemberCount, TableColumns.Members, table, kind.Value, parquetRowGroupRows, outFile),
            _ => Write(reader.Extractions(), reader.ExtractionCount, TableColumns.Extractions, table, kind.Value, parquetRowGroupRows, outFile),
        };
    }

    /// <summary>Why the table cannot go to <paramref name="outFile"/>, found before anything is read or written; null when it can.</summary>
    private static OutputError? OutProblem(string dir, string outFile, Format format)
    {
        if (outFile.Length == 0) return new OutputError("--out is empty: name a file, or - for standard output (csv and ipac)");
        if (outFile == StandardOutput)
            return format == Format.Parquet ? new OutputError("--out -: Parquet is written to a file (its footer points back into it); csv and ipac go to standard output") : null;
        // The rename's own words were "Is a directory : '/full/path'", after the table had been read and written.
        if (Directory.Exists(outFile)) return OutputError.Unwritten($"--out {Shown.Path(outFile)} is a directory: name a file (in it, or elsewhere)");
        if (AtomicFile.ParentProblem(outFile) is { } noDirectory) return noDirectory;
        // The export would be renamed over the table it reads (or over the checksums of them all), and succeed.
        if (OutputWriter.FileOf(dir, outFile) is string name)
            return new OutputError($"--out {Shown.Path(outFile)} is {name} of the merge output '{Shown.Path(dir)}' being read: choose another path");
        return InputOf(dir, outFile) is string input
            ? new OutputError($"--out {Shown.Path(outFile)} is {Shown.Path(input)}, which the merge '{Shown.Path(dir)}' read (its summary.json lists it): choose another path")
            : null;
    }

    /// <summary>
    /// The path under which <paramref name="dir"/>'s summary.json records <paramref name="outFile"/> as a file the merge
    /// read (an input, a --not-in or --associate catalogue), found as `wdb verify --inputs` finds them (paths as given,
    /// from here); null when it names none, or there is no summary to tell (opening the merge says so). A table
    /// exported over `survey.csv` replaced the raw extractions the merge came from, and succeeded.
    /// </summary>
    private static string? InputOf(string dir, string outFile)
    {
        if (!File.Exists(outFile)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "summary.json")));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return null;
            foreach (var (path, _) in OutputVerifier.RecordedInputs(doc.RootElement))
                if (InputPaths.WouldReplace(outFile, path)) return path;
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// One table's rows for the groups within <paramref name="region"/>: the groups in gcntr order, their members in
    /// the members table's order, their extractions by cntr (filtered rows belong to no group, so none are in a
    /// region).
    /// </summary>
    private static OutputError? WriteRegion(OutputReader reader, SkyRegion region, string table, Format format, int? rowGroupRows, string outFile)
    {
        var groups = reader.Cone(region.RaDeg, region.DecDeg, region.RadiusArcsec).Select(h => h.Group).OrderBy(g => g.Gcntr).ToList();
        switch (table)
        {
            case "groups":
                return Write(groups, groups.Count, TableColumns.Groups, table, format, rowGroupRows, outFile);
            case "members":
                var members = groups.SelectMany(g => reader.MembersOf(g.Gcntr)).ToList();
                return Write(members, members.Count, TableColumns.Members, table, format, rowGroupRows, outFile);
            default:
                var extractions = groups.SelectMany(g => reader.MembersOf(g.Gcntr)).Select(m => m.Cntr).Order()
                    .Select(cntr => reader.FindExtraction(cntr) ?? throw new InvalidDataException($"member {cntr} is not in extractions.fb")).ToList();
                return Write(extractions, extractions.Count, TableColumns.Extractions, table, format, rowGroupRows, outFile);
        }
    }

    /// <summary>`--out -`: the table on standard output (csv and ipac), as the look-ups write theirs, not a file named "-".</summary>
    public const string StandardOutput = "-";

    private static OutputError? Write<T>(IEnumerable<T> rows, long rowCount, IReadOnlyList<Column<T>> columns, string table, Format format, int? rowGroupRows, string outFile)
    {
        if (outFile == StandardOutput)
        {
            try
            {
                using var stdout = StandardOutputStream.Open();
                WriteText(stdout, rows, columns, table, format);
                return null;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                return new OutputError($"{(e is InvalidDataException ? $"cannot export {table}" : "cannot write to standard output")}: {OutputError.ReasonOf(e)}",
                    Unwritable: e is not InvalidDataException);
            }
        }
        return AtomicFile.Write(outFile, $"cannot export {table}", fs =>
        {
            if (format == Format.Parquet) ParquetTable.Write(fs, rows, columns, table, rowGroupRows ?? ParquetTable.RowGroupRows(columns, rowCount));
            else WriteText(fs, rows, columns, table, format);
        });
    }

    private static void WriteText<T>(Stream to, IEnumerable<T> rows, IReadOnlyList<Column<T>> columns, string table, Format format)
    {
        using var w = new StreamWriter(to, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        var text = new TableText<T>(columns, format == Format.Ipac);
        text.WriteHeader(w, table);
        foreach (var row in rows) text.WriteRow(w, row);
    }
}

/// <summary>A cone on the sky: centre (deg) and radius (arcsec).</summary>
public readonly record struct SkyRegion(double RaDeg, double DecDeg, double RadiusArcsec);

/// <summary>Formats rows of one table as CSV or IPAC lines into a reused character buffer (no per-value strings).</summary>
internal sealed class TableText<T>
{
    private readonly IReadOnlyList<Column<T>> _columns;
    private readonly bool _ipac;
    private readonly int[] _width;
    private char[] _line = new char[1024];
    private int _length;

    public TableText(IReadOnlyList<Column<T>> columns, bool ipac)
    {
        _columns = columns;
        _ipac = ipac;
        _width = new int[columns.Count];
        for (int c = 0; c < columns.Count; c++)
        {
            var col = columns[c];
            _width[c] = Math.Max(Math.Max(col.Name.Length, IpacType(col.Kind).Length),
                Math.Max(Math.Max(col.Unit.Length, 4), Math.Max(ValueWidth(col.Kind), col.Width)));
        }
    }

    /// <summary>Widest text of a value of each kind with "R" formatting (e.g. -1.2345678901234567E-300).</summary>
    private static int ValueWidth(ColumnKind k) => k switch
    {
        ColumnKind.Int => 11, ColumnKind.Long => 20, ColumnKind.Float => 15, ColumnKind.Double => 24,
        ColumnKind.Char or ColumnKind.Bool => 1, _ => 24,
    };

    private static string IpacType(ColumnKind k) => k switch
    {
        ColumnKind.Int or ColumnKind.Bool => "int", ColumnKind.Long => "long", ColumnKind.Float => "float",
        ColumnKind.Double => "double", _ => "char",
    };

    public void WriteHeader(TextWriter w, string table)
    {
        if (!_ipac)
        {
            for (int c = 0; c < _columns.Count; c++)
            {
                if (c > 0) w.Write(',');
                w.Write(_columns[c].Name);
            }
            w.Write('\n');
            return;
        }
        w.Write($"\\ wdb {table} table; columns:\n");
        foreach (var col in _columns)
            w.Write($"\\ {col.Name}: {col.Description}{(col.Unit.Length > 0 ? $" [{col.Unit}]" : "")}\n");
        HeaderRow(w, c => _columns[c].Name);
        HeaderRow(w, c => IpacType(_columns[c].Kind));
        HeaderRow(w, c => _columns[c].Unit);
        HeaderRow(w, _ => "null");
    }

    private void HeaderRow(TextWriter w, Func<int, string> cell)
    {
        for (int c = 0; c < _columns.Count; c++)
        {
            w.Write('|');
            w.Write(cell(c).PadRight(_width[c]));
        }
        w.Write("|\n");
    }

    public void WriteRow(TextWriter w, T row)
    {
        _length = 0;
        for (int c = 0; c < _columns.Count; c++)
        {
            if (_ipac) Put(' ');
            else if (c > 0) Put(',');
            int start = _length;
            bool present = Format(_columns[c], row);
            if (_ipac)
            {
                if (!present) { _length = start; Append("null"); }
                Align(start, _width[c], _columns[c].Name);
            }
        }
        if (_ipac) Put(' ');
        Put('\n');
        w.Write(_line, 0, _length);
    }

    /// <summary>Appends the value's text; false (and nothing, or an empty quoted text) when it is null.</summary>
    private bool Format(Column<T> col, T row)
    {
        Reserve(64);
        Span<char> dst = _line.AsSpan(_length);
        int n;
        switch (col.Kind)
        {
            case ColumnKind.Int or ColumnKind.Long or ColumnKind.Bool:
                col.Integer!(row).TryFormat(dst, out n, default, CultureInfo.InvariantCulture);
                break;
            case ColumnKind.Double:
                double d = col.Real!(row);
                if (double.IsNaN(d)) return false;
                d.TryFormat(dst, out n, "R", CultureInfo.InvariantCulture);
                break;
            case ColumnKind.Float:
                float f = col.Single!(row);
                if (float.IsNaN(f)) return false;
                f.TryFormat(dst, out n, "R", CultureInfo.InvariantCulture);
                break;
            case ColumnKind.Char:
                byte b = col.Character!(row);
                if (b == 0 || b == (byte)' ') return false;
                if (!_ipac && (b == (byte)',' || b == (byte)'"')) { Append(b == (byte)',' ? "\",\"" : "\"\"\"\""); return true; }
                dst[0] = (char)b; n = 1;
                break;
            default:
                string s = col.String!(row);
                if (s.Length == 0) return false;
                if (_ipac && s.Contains(' ')) throw new InvalidDataException($"{col.Name} value '{s}' holds a blank, which IPAC tables cannot");
                if (!_ipac && CsvText.NeedsQuotes(s)) { Append('"' + s.Replace("\"", "\"\"") + '"'); return true; }
                Append(s);
                return true;
        }
        _length += n;
        return true;
    }

    /// <summary>Right-aligns the text at [start, _length) in a column of <paramref name="width"/> characters.</summary>
    private void Align(int start, int width, string name)
    {
        int n = _length - start;
        if (n > width) throw new InvalidDataException($"{name} value '{new string(_line, start, n)}' is wider than its IPAC column ({width})");
        Reserve(width - n);
        Array.Copy(_line, start, _line, start + width - n, n);
        _line.AsSpan(start, width - n).Fill(' ');
        _length = start + width;
    }

    private void Put(char c)
    {
        Reserve(1);
        _line[_length++] = c;
    }

    private void Append(string s)
    {
        Reserve(s.Length);
        s.CopyTo(_line.AsSpan(_length));
        _length += s.Length;
    }

    private void Reserve(int n)
    {
        if (_length + n > _line.Length) Array.Resize(ref _line, Math.Max(_line.Length * 2, _length + n));
    }
}
