using System.Text;
using System.Text.Unicode;
using Wdb.Core;

namespace Wdb.IO.Readers;

/// <summary>Helpers every format sink shares: blank lines, UTF-8 checks, fatal errors.</summary>
internal abstract class FormatSink(RowDecoder decoder) : LineSink
{
    protected readonly RowDecoder D = decoder;
    protected readonly FieldBuffer F = new();

    public abstract InputFormat Format { get; }

    // Blocks of joined forks, reused by the next forks (Fork runs on the reading thread, Join on a worker).
    private readonly System.Collections.Concurrent.ConcurrentStack<ExtractionBlock> _spareBlocks = new();

    public sealed override LineSink? Fork(ReadOnlySpan<byte> chunk)
    {
        if (!CanFork(chunk)) return null;
        var block = _spareBlocks.TryPop(out var spare) ? spare : new ExtractionBlock(chunk.Length / 128 + 16);
        return Clone(D.Fork(block));
    }

    public sealed override void Join(LineSink fork)
    {
        var f = (FormatSink)fork;
        D.Join(f.D);
        f.D.Block.Clear();
        _spareBlocks.Push(f.D.Block);
    }

    /// <summary>
    /// How plain data lines split, once the sink knows (header read, no record open); null
    /// while every line must go to <see cref="LineSink.OnLine"/> (and for formats that do not batch).
    /// </summary>
    internal virtual BatchLayout? Batching => null;

    private RowBatch? _batch;
    private bool _batchDecided;

    /// <summary>
    /// Plain data lines (ASCII, the layout's field count, no quote where quotes count) are split
    /// here and decoded in batches, column by column (<see cref="RowDecoder.DecodeRows"/>); any
    /// other line first has the batch before it decoded, then goes to OnLine, so rows and rejects
    /// keep the file's order.
    /// </summary>
    public sealed override bool OnLines(ReadOnlySpan<byte> text, long before)
    {
        var lines = new LineCursor(text, before);
        while (lines.Next(out var line, out bool terminated))
        {
            if (Batching is { } layout && Batch(layout.Fields) is { } batch
                && batch.TryAdd(line, lines.Start, lines.LineNo, layout))
            {
                D.Result.RowsRead++;
                if (batch.IsFull) D.DecodeRows(text, batch);
                continue;
            }
            if (_batch is { Count: > 0 }) D.DecodeRows(text, _batch);
            if (!OnLine(line, lines.LineNo, terminated)) return false;
        }
        if (_batch is { Count: > 0 }) D.DecodeRows(text, _batch);
        return true;
    }

    /// <summary>The batch, once the columns are known and the decoder can take them column by column.</summary>
    private RowBatch? Batch(int fields)
    {
        if (!_batchDecided)
        {
            _batch = D.CanDecodeColumns ? new RowBatch(fields) : null;
            _batchDecided = true;
        }
        return _batch;
    }

    /// <summary>
    /// Whether a fork could take <paramref name="chunk"/> as this sink would: false until
    /// the header is read, and wherever a record may span lines.
    /// </summary>
    internal abstract bool CanFork(ReadOnlySpan<byte> chunk);

    /// <summary>A sink in this one's state (header, layout) over <paramref name="decoder"/>; only when <see cref="CanFork"/>.</summary>
    internal abstract FormatSink Clone(RowDecoder decoder);

    protected bool Fatal(long lineNo, int column, string message)
    {
        D.Result.Error ??= new InputError(D.Path, lineNo, column, message);
        return false;
    }

    protected static bool IsBlank(ReadOnlySpan<byte> line) =>
        line.Length == 0 || (line[0] is (byte)' ' or (byte)'\t' && line.IndexOfAnyExcept((byte)' ', (byte)'\t') < 0);

    /// <summary>
    /// Rejects a row (already counted) whose line is not UTF-8, at the field its first bad byte is in when the line
    /// split into the table's fields (<see cref="RowDecoder.RejectInvalidUtf8"/>). Whether to read on.
    /// </summary>
    protected bool InvalidUtf8(ReadOnlySpan<byte> line, long lineNo, ReadOnlySpan<byte> text, ReadOnlySpan<int> srcPos, int fields, int end)
    {
        D.RejectInvalidUtf8(line, lineNo, text, F.Start, F.Length, srcPos, fields, end);
        return !D.Stopped;
    }

    /// <summary>
    /// A '#' line where the format has no comment lines (CSV data rows, IRSA bulk): a row, rejected
    /// with its line, rather than dropped unseen (it may be a row someone commented out).
    /// </summary>
    protected bool CommentLine(ReadOnlySpan<byte> line, long lineNo, string detail)
    {
        D.Result.RowsRead++;
        D.Reject(line, lineNo, 0, RejectReason.CommentLine, detail);
        return !D.Stopped;
    }

    /// <summary>
    /// The first line of a table must be text: a NUL byte or invalid UTF-8 there means a
    /// binary file (or UTF-16) given as a table, which is fatal with that said, rather than
    /// a puzzling "no profile has N columns" or "expected a header".
    /// </summary>
    protected bool CheckText(ReadOnlySpan<byte> line, long lineNo)
    {
        int nul = line.IndexOf((byte)0);
        int bad = Utf8.IsValid(line) ? -1 : RowDecoder.FirstInvalidUtf8(line);
        int at = nul < 0 ? bad : bad < 0 ? nul : Math.Min(nul, bad);
        if (at < 0) return CheckLineBreaks(line, lineNo);
        string what = at == nul ? "a NUL byte" : "invalid UTF-8";
        return Fatal(lineNo, RowDecoder.CharColumn(line, at), $"not a text table: {what} at byte {at + 1} of its first line (binary data, or not UTF-8)");
    }

    /// <summary>
    /// A carriage return inside a table's first line (the reader cuts lines at newlines, and drops
    /// one CR before each): a file whose lines end in CR alone, all read as one line. Fatal, with
    /// that said, rather than a missing column or a field count that only puzzles.
    /// </summary>
    protected bool CheckLineBreaks(ReadOnlySpan<byte> line, long lineNo)
    {
        int cr = line.IndexOf((byte)'\r');
        return cr < 0 || Fatal(lineNo, RowDecoder.CharColumn(line, cr), LinePump.CarriageReturnsOnly);
    }

    /// <summary>Field-count check shared by the delimited formats; rejects and returns false when wrong.</summary>
    protected bool CheckCount(ReadOnlySpan<byte> line, long lineNo, bool terminated, int found, int expected, byte delimiter, int[] positions)
    {
        if (found == expected) return true;
        if (found > expected)
        {
            int extraAt = positions[expected];
            int total = expected + 1 + line[Math.Min(extraAt, line.Length)..].Count(delimiter);
            D.Reject(line, lineNo, extraAt, RejectReason.WrongColumnCount, $"expected {expected} fields, got {total}");
        }
        else if (!terminated)
            D.Reject(line, lineNo, line.Length, RejectReason.TruncatedLine,
                $"last line has no newline and only {found} of {expected} fields: cut short");
        else
            D.Reject(line, lineNo, line.Length, RejectReason.WrongColumnCount, $"expected {expected} fields, got {found}");
        return false;
    }
}

/// <summary>IRSA bulk: `|`-delimited, no header, `\N` nulls, column order from a profile.</summary>
internal sealed class BulkSink(RowDecoder decoder, SchemaProfile? profile) : FormatSink(decoder)
{
    /// <summary>
    /// Without --profile, leading lines whose field count fits no profile (a damaged first
    /// row) are rejected, up to this many, until one fits; a file where none does is fatal.
    /// </summary>
    public const int MaxUnfitLines = 100;

    private int _expected;
    private int _unfit;
    private long _firstUnfitLine;
    private string? _firstUnfit, _lastUnfit;

    public override InputFormat Format => InputFormat.Bulk;

    internal override bool CanFork(ReadOnlySpan<byte> chunk) => _expected > 0;

    internal override FormatSink Clone(RowDecoder decoder) => new BulkSink(decoder, profile) { _expected = _expected };

    internal override BatchLayout? Batching => _expected > 0
        ? new BatchLayout(_expected, (byte)'|', Quotes: false, TrailingDelimiter: true) : null;

    public override bool OnLine(ReadOnlySpan<byte> line, long lineNo, bool terminated)
    {
        if (IsBlank(line)) return true;
        if (line[0] == (byte)'#') return CommentLine(line, lineNo, "a '#' line: IRSA bulk files have no comment lines");
        if (_expected == 0)
        {
            if (!CheckText(line, lineNo)) return false;
            var r = Resolve(line, lineNo);
            if (r == Resolution.Fatal) return false;
            if (r == Resolution.Unfit)
            {
                D.Result.RowsRead++;
                D.Reject(line, lineNo, -1, RejectReason.WrongColumnCount, _lastUnfit!);
                return !D.Stopped;
            }
        }
        D.Result.RowsRead++;
        int n = F.SplitAscii(line, (byte)'|', _expected, stopAtQuote: false);
        bool ascii = n >= 0;
        if (!ascii) n = F.Split(line, (byte)'|', _expected);
        // One trailing '|' (an empty field at the very end) is tolerated.
        if (n == _expected + 1 && F.Start[_expected] == line.Length) n = _expected;
        if (!ascii && !Utf8.IsValid(line)) return InvalidUtf8(line, lineNo, line, F.Start, n, line.Length);
        if (!CheckCount(line, lineNo, terminated, n, _expected, (byte)'|', F.Start)) return !D.Stopped;
        D.Decode(line, F.Start, F.Length, F.Start, line, lineNo);
        return !D.Stopped;
    }

    public override void OnEnd(long lastLineNo)
    {
        // Only lines that fit no profile: the file's layout is unknown.
        if (_expected == 0 && _unfit > 0) Fatal(_firstUnfitLine, 1, _firstUnfit!);
    }

    private enum Resolution { Resolved, Unfit, Fatal }

    private Resolution Resolve(ReadOnlySpan<byte> line, long lineNo)
    {
        var p = profile;
        if (p is null)
        {
            int n = line.Count((byte)'|') + 1;
            var fits = SchemaProfiles.WithColumnCount(n);
            if (fits.Count == 0 && line[^1] == (byte)'|') fits = SchemaProfiles.WithColumnCount(--n);
            if (fits.Count == 0)
            {
                string message = $"no bulk profile has {n} columns (known: {SchemaProfiles.Describe()}); give --profile";
                if (_unfit == 0) { _firstUnfit = message; _firstUnfitLine = lineNo; }
                _lastUnfit = message;
                if (++_unfit > MaxUnfitLines) { Fatal(_firstUnfitLine, 1, _firstUnfit!); return Resolution.Fatal; }
                return Resolution.Unfit;
            }
            if (fits.Count > 1)
            {
                Fatal(lineNo, 1, $"several bulk profiles have {n} columns ({string.Join(", ", fits.ConvertAll(f => f.Name))}); give --profile");
                return Resolution.Fatal;
            }
            p = fits[0];
        }
        var map = ColumnMap.Build(p.Columns, D.Kind, out string? error);
        if (map is null) { Fatal(0, 0, $"profile '{p.Name}': {error}"); return Resolution.Fatal; }
        D.Map = map;
        D.Result.Profile = p.Name;
        _expected = p.ColumnCount;
        return Resolution.Resolved;
    }
}

/// <summary>
/// CSV with a header row, RFC 4180 quoting within a line; empty, `\N` and `null` are null. A WDB
/// table has no field that spans lines: a quoted field still open at the end of its line ends
/// there, and that line alone is rejected, so one stray quote costs one row, not the rest of the file.
/// </summary>
internal sealed class CsvSink(RowDecoder decoder) : FormatSink(decoder)
{
    private int _expected;
    private byte[] _text = new byte[1024];          // unquoted field bytes (slow path)
    private int _openQuote;                         // where Tokenize found a quote left open (byte in the line)

    public override InputFormat Format => InputFormat.Csv;

    // Every record is one line, and chunks end at newlines: any chunk after the header can be forked.
    internal override bool CanFork(ReadOnlySpan<byte> chunk) => _expected > 0;

    internal override FormatSink Clone(RowDecoder decoder) => new CsvSink(decoder) { _expected = _expected };

    internal override BatchLayout? Batching => _expected > 0
        ? new BatchLayout(_expected, (byte)',', Quotes: true, TrailingDelimiter: false) : null;

    public override bool OnLine(ReadOnlySpan<byte> line, long lineNo, bool terminated)
    {
        if (IsBlank(line)) return true;
        if (_expected == 0) return line[0] == (byte)'#' || Header(line, lineNo);
        if (line[0] == (byte)'#')
            return CommentLine(line, lineNo, "a '#' line among the data rows (a CSV's comment lines may only come before its header)");

        D.Result.RowsRead++;
        int n = F.SplitAscii(line, (byte)',', _expected, stopAtQuote: true);
        if (n < 0)
        {
            if (line.IndexOf((byte)'"') < 0) n = F.Split(line, (byte)',', _expected);
            if (!Utf8.IsValid(line)) return NotUtf8(line, lineNo, n);
        }
        if (n >= 0)
        {
            if (!CheckCount(line, lineNo, terminated, n, _expected, (byte)',', F.Start)) return !D.Stopped;
            D.Decode(line, F.Start, F.Length, F.Start, line, lineNo);
            return !D.Stopped;
        }
        int m = Tokenize(line, _expected);
        if (m < 0)
        {
            D.Reject(line, lineNo, _openQuote, RejectReason.UnterminatedQuote,
                $"the quoted field opened at column {RowDecoder.CharColumn(line, _openQuote)} is not closed on its line (a field never spans lines)");
            return !D.Stopped;
        }
        if (!CheckCount(line, lineNo, terminated, m, _expected, (byte)',', F.SrcPos)) return !D.Stopped;
        D.Decode(_text, F.Start, F.Length, F.SrcPos, line, lineNo);
        return !D.Stopped;
    }

    /// <summary>Rejects a line that is not UTF-8, its fields split plainly (<paramref name="n"/> of them) or, with quotes (n &lt; 0), tokenized.</summary>
    private bool NotUtf8(ReadOnlySpan<byte> line, long lineNo, int n)
    {
        if (n >= 0) return InvalidUtf8(line, lineNo, line, F.Start, n, line.Length);
        int m = Tokenize(line, _expected);
        return InvalidUtf8(line, lineNo, _text, F.SrcPos, m, line.Length);
    }

    /// <summary>A file with no header row (empty, a byte-order mark alone, only blank and '#' lines) has none of the required columns.</summary>
    public override void OnEnd(long lastLineNo)
    {
        if (_expected == 0) Fatal(0, 0, "no CSV header row: the file is empty or holds only blank and '#' lines");
    }

    private bool Header(ReadOnlySpan<byte> line, long lineNo)
    {
        if (!CheckText(line, lineNo)) return false;
        int n = Tokenize(line, int.MaxValue - 1);
        if (n < 0) return Fatal(lineNo, RowDecoder.CharColumn(line, _openQuote), "CSV header has an unterminated quoted field");
        var names = new string[n];
        bool allNumeric = true;
        for (int i = 0; i < n; i++)
        {
            var f = _text.AsSpan(F.Start[i], F.Length[i]);
            names[i] = Encoding.UTF8.GetString(f).Trim();
            if (names[i].Length > 0 && !Utf8Numbers.TryParseDouble(f.Trim((byte)' '), out _)) allNumeric = false;
        }
        if (allNumeric) return Fatal(lineNo, 1, "CSV has no header row (the first line looks like data)");
        var map = ColumnMap.Build(names, D.Kind, out string? error, out int field);
        if (map is null) return Fatal(lineNo, field < 0 ? 1 : RowDecoder.CharColumn(line, F.SrcPos[field]), error!);
        D.Map = map;
        _expected = n;
        return true;
    }

    /// <summary>
    /// Splits one line with RFC 4180 quoting, unquoting into <see cref="_text"/>. Returns the
    /// field count (maxFields + 1 when there are more), or -1 when a quoted field is still open
    /// at the line's end (its quote at <see cref="_openQuote"/>).
    /// </summary>
    private int Tokenize(ReadOnlySpan<byte> s, int maxFields)
    {
        if (_text.Length < s.Length) Array.Resize(ref _text, Math.Max(s.Length, _text.Length * 2));
        int n = 0, pos = 0, w = 0;
        while (true)
        {
            if (n > maxFields) break;
            F.Ensure(n + 1);
            int fieldPos = pos, wStart = w;
            int p = pos;
            while (p < s.Length && s[p] == (byte)' ') p++;
            int stop;
            if (p < s.Length && s[p] == (byte)'"')
            {
                int open = p++;
                while (true)
                {
                    int q = s[p..].IndexOf((byte)'"');
                    if (q < 0) { _openQuote = open; return -1; }
                    s.Slice(p, q).CopyTo(_text.AsSpan(w));
                    w += q; p += q + 1;
                    if (p < s.Length && s[p] == (byte)'"') { _text[w++] = (byte)'"'; p++; continue; }
                    break;
                }
                // Text between the closing quote and the delimiter is kept as is (lenient).
                int c = s[p..].IndexOf((byte)',');
                stop = c < 0 ? s.Length : p + c;
            }
            else
            {
                int c = s[pos..].IndexOf((byte)',');
                stop = c < 0 ? s.Length : pos + c;
                p = pos;
            }
            s[p..stop].CopyTo(_text.AsSpan(w));
            w += stop - p;
            F.Start[n] = wStart; F.Length[n] = w - wStart; F.SrcPos[n] = fieldPos;
            n++;
            if (stop == s.Length) break;
            pos = stop + 1;
        }
        F.Count = n;
        return n;
    }
}

/// <summary>
/// IPAC Table: `\` keyword/comment lines, 1-4 `|` header rows (name, type, unit, null), then
/// fixed-width data whose columns are the extents between the header's `|` positions. A `#`
/// line among the rows (blanks before it or not) is a rejected row, as in CSV and bulk files.
/// A header among the rows (tables joined with `cat`) is skipped when it repeats the first one,
/// and stops the read when it does not (<see cref="HeaderAmongRows"/>).
/// </summary>
internal sealed class IpacSink(RowDecoder decoder) : FormatSink(decoder)
{
    private int[]? _pipes;                          // byte positions of '|' in the first header row
    // The first header's '|' rows and their lines: shared with forks, which compare a header among the rows with them.
    private List<byte[]> _headerRows = new();
    private List<long> _headerRowLines = new();
    private long _headerLine;
    private bool _inData;
    private int[] _colStart = [], _colEnd = [];
    private string[] _names = [];
    private BatchLayout? _batching;

    public override InputFormat Format => InputFormat.Ipac;

    internal override bool CanFork(ReadOnlySpan<byte> chunk) => _inData;

    internal override FormatSink Clone(RowDecoder decoder) => new IpacSink(decoder)
    {
        _pipes = _pipes, _headerLine = _headerLine, _inData = true, _colStart = _colStart, _colEnd = _colEnd, _names = _names,
        _batching = _batching, _headerRows = _headerRows, _headerRowLines = _headerRowLines,
    };

    // Once the header is read: data lines split at the header's columns, their padding cut off.
    internal override BatchLayout? Batching => _batching;

    public override bool OnLine(ReadOnlySpan<byte> line, long lineNo, bool terminated)
    {
        if (IsBlank(line)) return true;
        int first = line.IndexOfAnyExcept((byte)' ', (byte)'\t');
        byte c = line[first];
        if (!_inData)
        {
            // A whole file of CR line ends is one line, a comment when it begins with '\\'.
            if (c == (byte)'\\' && !(_pipes is not null && StartsWithNullValue(line, first)))
                return _pipes is not null || terminated || CheckLineBreaks(line, lineNo);
            if (c == (byte)'|') return (_pipes is not null || CheckLineBreaks(line, lineNo)) && HeaderRow(line, lineNo);
            if (_pipes is null)
                return CheckText(line, lineNo) && Fatal(lineNo, first + 1, "expected an IPAC header row ('|name|...|') before the data");
            if (!FinishHeader()) return false;
        }
        if (c == (byte)'\\' && !StartsWithNullValue(line, first)) return true;
        if (c == (byte)'|') return HeaderAmongRows(line, lineNo);
        if (c == (byte)'#')
            return CommentLine(line, lineNo, "a '#' line among the data rows (IPAC comment lines begin with '\\')");

        D.Result.RowsRead++;
        int n = _colStart.Length;
        F.Ensure(n);
        int len = line.Length;
        var start = F.Start; var length = F.Length;
        for (int i = 0; i < n; i++)
        {
            int s = Math.Min(_colStart[i], len), e = Math.Min(_colEnd[i], len);
            start[i] = s; length[i] = e - s;
        }
        if (!Utf8.IsValid(line)) return InvalidUtf8(line, lineNo, line, start, n, _colEnd[n - 1]);
        // A last line without newline that does not reach the last column was cut short.
        if (!terminated && line.Length <= _pipes![n - 1])
        {
            D.Reject(line, lineNo, line.Length, RejectReason.TruncatedLine,
                $"last line has no newline and ends before column '{_names[n - 1]}': cut short");
            return !D.Stopped;
        }
        if (!Aligned(line, lineNo)) return !D.Stopped;
        D.Decode(line, start, length, start, line, lineNo);
        return !D.Stopped;
    }

    /// <summary>
    /// Whether a line whose first non-blank byte (at <paramref name="first"/>) is '\' is a row whose first value is the
    /// null `\N` (as IRSA writes nulls) rather than a comment or keyword line: `\N`, then a blank or the line's end,
    /// and no '=' next (a keyword named N). Only once the header's columns are known: before them it is a comment.
    /// </summary>
    private static bool StartsWithNullValue(ReadOnlySpan<byte> line, int first)
    {
        var rest = line[first..];
        if (rest.Length < 2 || rest[1] != (byte)'N') return false;
        if (rest.Length == 2) return true;
        if (rest[2] is not ((byte)' ' or (byte)'\t')) return false;
        int next = rest[2..].IndexOfAnyExcept((byte)' ', (byte)'\t');
        return next < 0 || rest[2 + next] != (byte)'=';
    }

    public override void OnEnd(long lastLineNo)
    {
        if (_inData) return;
        // Keyword and comment lines alone (or nothing) are no table: none of the required columns.
        if (_pipes is null) Fatal(0, 0, "no IPAC header row ('|name|...|'): the file is empty or holds only '\\' and blank lines");
        else FinishHeader();
    }

    /// <summary>
    /// A value may sit under its closing '|' but not run on into the next column (no blank
    /// between the two values), and nothing may follow the last column: a shifted row would
    /// otherwise be cut at the header's positions and read as other, wrong values.
    /// </summary>
    private bool Aligned(ReadOnlySpan<byte> line, long lineNo)
    {
        var p = _pipes!;
        int len = line.Length;
        for (int i = 1; i < p.Length - 1; i++)
        {
            int b = p[i];
            if (b + 1 >= len) break;
            if (line[b] > (byte)' ' && line[b + 1] > (byte)' ')
            {
                D.Reject(line, lineNo, b, RejectReason.WrongColumnCount,
                    $"value crosses the '|' at column {b + 1} between '{_names[i - 1]}' and '{_names[i]}' (row not aligned with the header on line {_headerLine})");
                return false;
            }
        }
        int end = p[^1] + 1;
        if (len > end && line[end..].IndexOfAnyExcept((byte)' ', (byte)'\t') >= 0)
        {
            int at = end + line[end..].IndexOfAnyExcept((byte)' ', (byte)'\t');
            D.Reject(line, lineNo, at, RejectReason.WrongColumnCount,
                $"text after the last column '{_names[^1]}' (the header on line {_headerLine} ends at column {end})");
            return false;
        }
        return true;
    }

    private bool HeaderRow(ReadOnlySpan<byte> line, long lineNo)
    {
        var pipes = PipesOf(line);
        int last = pipes[^1];
        int after = line[(last + 1)..].IndexOfAnyExcept((byte)' ', (byte)'\t');
        if (after >= 0) return Fatal(lineNo, last + 2 + after, "IPAC header row must end with '|'");
        if (_pipes is null)
        {
            if (pipes.Count < 2) return Fatal(lineNo, pipes[0] + 1, "IPAC header row has no columns");
            _pipes = pipes.ToArray();
            _headerLine = lineNo;
        }
        else
        {
            if (_headerRows.Count == 4) return Fatal(lineNo, 1, "IPAC header has more than 4 '|' rows");
            for (int k = 0; k < Math.Max(pipes.Count, _pipes.Length); k++)
            {
                if (k < pipes.Count && k < _pipes.Length && pipes[k] == _pipes[k]) continue;
                if (k >= pipes.Count)
                    return Fatal(lineNo, _pipes[k] + 1, $"misaligned IPAC header: missing '|' at column {_pipes[k] + 1} (line {_headerLine} has one there)");
                if (k >= _pipes.Length)
                    return Fatal(lineNo, pipes[k] + 1, $"misaligned IPAC header: unexpected '|' at column {pipes[k] + 1} (line {_headerLine} has none)");
                return Fatal(lineNo, Math.Min(pipes[k], _pipes[k]) + 1,
                    $"misaligned IPAC header: '|' at column {pipes[k] + 1}, expected at column {_pipes[k] + 1} as on line {_headerLine}");
            }
        }
        _headerRows.Add(line.ToArray());
        _headerRowLines.Add(lineNo);
        return true;
    }

    /// <summary>
    /// A '|' line among the rows: the header of a second table, as `cat` of two IPAC files (IRSA downloads) makes. One
    /// whose rows repeat the first header's ('|' at the same columns, the same names, types, units and nulls) is
    /// skipped and counted (<see cref="FileReadResult.RepeatedHeaders"/>), and its rows are read as the first table's.
    /// Any other stops the read at its first difference: its rows would be cut at the first header's columns, or
    /// taken for other columns, without a word. Each '|' line is judged alone, against every row of the first header,
    /// so that a header cut between two chunks decoded apart is judged as in one.
    /// </summary>
    private bool HeaderAmongRows(ReadOnlySpan<byte> line, long lineNo)
    {
        var pipes = PipesOf(line);
        var first = _pipes!;
        for (int k = 0; k < Math.Max(pipes.Count, first.Length); k++)
        {
            if (k < pipes.Count && k < first.Length && pipes[k] == first[k]) continue;
            int at = k < pipes.Count ? pipes[k] : first[k];
            string theirs = k < first.Length ? $"at column {first[k] + 1}" : "not there";
            return Fatal(lineNo, RowDecoder.CharColumn(line, at),
                $"a second IPAC header, its '|' {(k < pipes.Count ? $"at column {pipes[k] + 1}" : "missing")} where the first header's (line {_headerLine}) is {theirs}" + TwoTables);
        }
        var text = line.ToArray();
        int same = SameAsAnyRow(text);
        if (same < 0)
        {
            int closest = ClosestRow(text);
            return Fatal(lineNo, DifferenceColumn(text, closest), DifferenceMessage(text, closest));
        }
        if (same == 0)
        {
            if (D.Result.RepeatedHeaders++ == 0) D.Result.FirstRepeatedHeaderLine = lineNo;
            D.Result.HeaderLine = _headerLine;
        }
        return true;
    }

    private const string TwoTables = ": the file holds two tables with different columns; split them into a file each";

    /// <summary>The first of the first header's rows whose cells <paramref name="row"/> repeats; -1 for none.</summary>
    private int SameAsAnyRow(byte[] row)
    {
        for (int k = 0; k < _headerRows.Count; k++) if (SameCells(row, _headerRows[k])) return k;
        return -1;
    }

    /// <summary>Whether two header rows with '|' at the same columns hold the same cells, blanks around them and case aside.</summary>
    private bool SameCells(byte[] a, byte[] b) => SameCellCount(a, b) == _pipes!.Length - 1;

    private int SameCellCount(byte[] a, byte[] b)
    {
        var p = _pipes!;
        int same = 0;
        for (int i = 0; i + 1 < p.Length; i++)
            if (Cell(a, p[i], p[i + 1]).Equals(Cell(b, p[i], p[i + 1]), StringComparison.OrdinalIgnoreCase)) same++;
        return same;
    }

    /// <summary>The first header's row that shares most cells with <paramref name="row"/> (the first of those): what it was meant to repeat.</summary>
    private int ClosestRow(byte[] row)
    {
        int best = 0, most = -1;
        for (int k = 0; k < _headerRows.Count; k++)
        {
            int same = SameCellCount(row, _headerRows[k]);
            if (same > most) (best, most) = (k, same);
        }
        return best;
    }

    /// <summary>The first cell of <paramref name="row"/> that differs from the first header's row <paramref name="k"/>; -1 when none does.</summary>
    private int FirstDifferentCell(byte[] row, int k)
    {
        var p = _pipes!;
        for (int i = 0; i + 1 < p.Length; i++)
            if (!Cell(row, p[i], p[i + 1]).Equals(Cell(_headerRows[k], p[i], p[i + 1]), StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }

    private int DifferenceColumn(byte[] row, int k)
    {
        int cell = FirstDifferentCell(row, k);
        return cell < 0 ? 1 : RowDecoder.CharColumn(row, _pipes![cell] + 1);
    }

    private string DifferenceMessage(byte[] row, int k)
    {
        int cell = FirstDifferentCell(row, k);
        var p = _pipes!;
        string mine = RowDecoder.Printable(Cell(row, p[cell], p[cell + 1])), theirs = Cell(_headerRows[k], p[cell], p[cell + 1]);
        string kind = k switch { 0 => "name", 1 => "type", 2 => "unit", _ => "null value" };
        return $"a second IPAC header, its {kind} of column {cell + 1} '{mine}' where the first header's (line {_headerRowLines[k]}) is '{theirs}'" + TwoTables;
    }

    /// <summary>The byte positions of the '|' in <paramref name="line"/>.</summary>
    private static List<int> PipesOf(ReadOnlySpan<byte> line)
    {
        var pipes = new List<int>();
        for (int i = line.IndexOf((byte)'|'); i >= 0; )
        {
            pipes.Add(i);
            int next = line[(i + 1)..].IndexOf((byte)'|');
            i = next < 0 ? -1 : i + 1 + next;
        }
        return pipes;
    }

    private bool FinishHeader()
    {
        _inData = true;
        var p = _pipes!;
        int n = p.Length - 1;
        _names = new string[n];
        _colStart = new int[n]; _colEnd = new int[n];
        var nulls = new byte[]?[n];
        bool anyNull = false;
        for (int i = 0; i < n; i++)
        {
            _names[i] = Cell(_headerRows[0], p[i], p[i + 1]);
            if (_names[i].Length == 0) return Fatal(_headerLine, p[i] + 2, $"IPAC header column {i + 1} has no name");
            // Column i covers (pipe i, pipe i+1]: the closing '|' position belongs to it, so
            // the columns tile the line and values may sit right under a '|'.
            _colStart[i] = i == 0 ? 0 : p[i] + 1;
            _colEnd[i] = p[i + 1] + 1;
            if (_headerRows.Count >= 4)
            {
                string token = Cell(_headerRows[3], p[i], p[i + 1]);
                if (token.Length > 0 && !token.Equals("null", StringComparison.OrdinalIgnoreCase))
                {
                    nulls[i] = Encoding.UTF8.GetBytes(token);
                    anyNull = true;
                }
            }
        }
        var map = ColumnMap.Build(_names, D.Kind, out string? error, out int field);
        if (map is null) return Fatal(_headerLine, field < 0 ? 1 : RowDecoder.CharColumn(_headerRows[0], p[field] + 1), error!);
        D.Map = map;
        D.ColumnNulls = anyNull ? nulls : null;
        _batching = BatchLayout.FixedWidth(new FixedColumns(_colStart, _colEnd, p));
        return true;
    }

    private static string Cell(byte[] row, int from, int to)
    {
        int s = Math.Min(from + 1, row.Length), e = Math.Min(to, row.Length);
        return Encoding.UTF8.GetString(row, s, Math.Max(0, e - s)).Trim();
    }
}

/// <summary>Decides the format from the first meaningful line when the extension did not.</summary>
internal sealed class SniffSink(RowDecoder decoder, SchemaProfile? profile) : FormatSink(decoder)
{
    /// <summary>'#' lines before the format is known, at most: beyond, the file is refused (their numbers are held).</summary>
    public const int MaxLeadingComments = 100_000;

    private FormatSink? _inner;
    // The '#' lines before the first line that tells the format: a CSV's preamble, rows of a bulk file
    // (rejected), not IPAC. Handed to the format's sink once known, as a line "#": a sink looks at a '#'
    // line's first byte alone.
    private readonly List<long> _comments = new();

    public override InputFormat Format => _inner?.Format ?? InputFormat.Auto;

    internal override bool CanFork(ReadOnlySpan<byte> chunk) => _inner is not null && _inner.CanFork(chunk);

    internal override FormatSink Clone(RowDecoder decoder) => _inner!.Clone(decoder);

    internal override BatchLayout? Batching => _inner?.Batching;

    public override bool OnLine(ReadOnlySpan<byte> line, long lineNo, bool terminated)
    {
        if (_inner is not null) return _inner.OnLine(line, lineNo, terminated);
        if (IsBlank(line)) return true;
        if (line[0] == (byte)'#')
        {
            if (_comments.Count == MaxLeadingComments)
                return Fatal(lineNo, 1, $"more than {MaxLeadingComments:N0} '#' lines before the first row or header: cannot tell the table format; name the file .tbl, .csv or .bulk");
            _comments.Add(lineNo);
            return true;
        }
        if (!CheckText(line, lineNo)) return false;
        var t = line.TrimStart((byte)' ');
        // A bulk row is dozens of '|'; a CSV header may hold a stray one in a column's name: the commoner delimiter wins.
        if (t.StartsWith("\\N|"u8) || (t[0] != (byte)'\\' && t[0] != (byte)'|' && t.IndexOf((byte)'|') >= 0
                                        && t.Count((byte)'|') >= t.Count((byte)',')))
            _inner = new BulkSink(D, profile);
        else if (t[0] is (byte)'\\' or (byte)'|')
            _inner = new IpacSink(D);
        else if (t.IndexOf((byte)',') >= 0)
            _inner = new CsvSink(D);
        else
            return Fatal(lineNo, 1, "cannot tell the table format from the first line; name the file .tbl, .csv or .bulk");
        D.Result.Format = _inner.Format;
        foreach (long comment in _comments)
            if (!_inner.OnLine("#"u8, comment, terminated: true)) return false;
        _comments.Clear();
        return _inner.OnLine(line, lineNo, terminated);
    }

    public override void OnEnd(long lastLineNo)
    {
        if (_inner is not null) _inner.OnEnd(lastLineNo);
        // Nothing but blank lines is an empty input of any format; '#' lines alone would be lost unseen.
        else if (_comments.Count > 0)
            Fatal(_comments[0], 1, "only '#' and blank lines: cannot tell the table format, and no header; name the file .tbl, .csv or .bulk");
    }
}
