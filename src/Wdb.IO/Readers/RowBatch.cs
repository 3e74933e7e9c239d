using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Wdb.Core;

namespace Wdb.IO.Readers;

/// <summary>
/// Data lines of one chunk, split into fields, waiting to be decoded together column by
/// column (<see cref="RowDecoder.DecodeRows"/>). Positions are in the chunk's text, field by
/// field (column-major, so each column's loop reads its positions in sequence); a batch is
/// decoded before its sink leaves that text.
/// </summary>
internal sealed class RowBatch
{
    /// <summary>
    /// Rows per batch: the text they lie in (~19 KB of survey CSV) stays in the core's first-level
    /// cache while every column is walked. Measured on one decoding thread (the 0.65 M survey,
    /// bench/NOTES.md 47): 32-128 rows 0.24 s, 256 rows 0.25 s, 512 rows 0.33 s, row by row 0.32 s.
    /// </summary>
    public const int DefaultRows = 128;

    public readonly int Fields;
    private readonly int _rows;
    private readonly int[] _start, _length;
    public readonly int[] LineStart, LineLength;
    public readonly long[] LineNo;
    /// <summary>Scratch for the decoder: rows the column loops left to the row-by-row decoder.</summary>
    public readonly bool[] Slow;
    /// <summary>Scratch for the decoder: the parts of a survey scan id, and cmsig per band, of each row.</summary>
    public readonly int[] Scan, Date;
    public readonly byte[] Hemis;
    public readonly float[][] Cmsig;
    public int Count;

    public RowBatch(int fields, int rows = DefaultRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fields, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        Fields = fields;
        _rows = rows;
        _start = new int[(fields + 1) * rows];   // a field too many is written before the split stops
        _length = new int[(fields + 1) * rows];
        LineStart = new int[rows];
        LineLength = new int[rows];
        LineNo = new long[rows];
        Slow = new bool[rows];
        Scan = new int[rows];
        Date = new int[rows];
        Hemis = new byte[rows];
        Cmsig = [new float[rows], new float[rows], new float[rows]];
    }

    public bool IsFull => Count == _rows;

    /// <summary>
    /// Splits the line at <paramref name="lineStart"/> of the text as <paramref name="layout"/> says
    /// and adds it when it is ASCII, has no quote where quotes count and has exactly
    /// <see cref="Fields"/> fields (one empty field more after a trailing delimiter, where the
    /// layout tolerates it); otherwise adds nothing and returns false (the sink takes the line by itself).
    /// </summary>
    public bool TryAdd(ReadOnlySpan<byte> line, int lineStart, long lineNo, BatchLayout layout)
    {
        if (layout.Fixed is { } columns) return TryAddFixed(line, lineStart, lineNo, columns);
        // A line that begins with a blank or '#' is the sink's own (blank lines skipped, '#' lines rejected or a preamble).
        if (line.IsEmpty || line[0] is (byte)' ' or (byte)'\t' or (byte)'#') return false;
        int row = Count;
        int n = FieldBuffer.Split(line, layout.Delimiter, Fields, asciiOnly: true, stopAtQuote: layout.Quotes,
            new FieldSlots(_start, _length, row, _rows, lineStart));
        if (n != Fields && !(n == Fields + 1 && layout.TrailingDelimiter && _start[Fields * _rows + row] == lineStart + line.Length))
            return false;
        LineStart[row] = lineStart;
        LineLength[row] = line.Length;
        LineNo[row] = lineNo;
        Count++;
        return true;
    }

    // Non-blank bits of the line being split, 64 bytes a word (fixed-width layouts).
    private ulong[] _nonBlank = new ulong[8];

    /// <summary>
    /// Takes an IPAC data line whose every byte is printable ASCII (no tab, no CR), that reaches
    /// the header's last '|', is aligned (no value crosses a '|', nothing after the last
    /// column) and is not a '\', '#' or '|' line (the sink's own: a comment, a header among the rows); each field is its column's extent
    /// with the blanks around the value cut off (an all-blank field is empty at the extent's
    /// start), which is the value and the position the row decoder would take from the whole
    /// extent. Any other line: false.
    /// </summary>
    private bool TryAddFixed(ReadOnlySpan<byte> line, int lineStart, long lineNo, FixedColumns columns)
    {
        int len = line.Length;
        int[] pipes = columns.Pipes;
        if (len < pipes[^1] || line.IndexOfAnyExceptInRange((byte)' ', (byte)'~') >= 0) return false;
        var bits = NonBlankBits(line);
        int first = NextNonBlank(bits, 0, len);
        if (first < 0 || line[first] is (byte)'\\' or (byte)'#' or (byte)'|') return false;
        for (int i = 1; i < pipes.Length - 1; i++)
        {
            int b = pipes[i];
            if (b + 1 < len && IsSet(bits, b) && IsSet(bits, b + 1)) return false;
        }
        int end = pipes[^1] + 1;
        if (len > end && NextNonBlank(bits, end, len) >= 0) return false;

        int row = Count;
        int[] from = columns.Start, to = columns.End;
        for (int f = 0, at = row; f < Fields; f++, at += _rows)
        {
            int s = from[f], e = Math.Min(to[f], len);
            int v = NextNonBlank(bits, s, e);
            if (v < 0) { _start[at] = lineStart + s; _length[at] = 0; continue; }
            _start[at] = lineStart + v;
            _length[at] = LastNonBlank(bits, v, e) + 1 - v;
        }
        LineStart[row] = lineStart;
        LineLength[row] = len;
        LineNo[row] = lineNo;
        Count++;
        return true;
    }

    private ReadOnlySpan<ulong> NonBlankBits(ReadOnlySpan<byte> line)
    {
        int words = (line.Length + 63) >> 6;
        if (_nonBlank.Length < words) _nonBlank = new ulong[Math.Max(words, 2 * _nonBlank.Length)];
        var bits = _nonBlank.AsSpan(0, words);
        var blank = Vector128.Create((byte)' ');
        int full = line.Length >> 6;
        ref byte at = ref MemoryMarshal.GetReference(line);
        for (int w = 0; w < full; w++)
        {
            nuint o = (nuint)(w << 6);
            ulong m = Vector128.Equals(Vector128.LoadUnsafe(ref at, o), blank).ExtractMostSignificantBits()
                | (ulong)Vector128.Equals(Vector128.LoadUnsafe(ref at, o + 16), blank).ExtractMostSignificantBits() << 16
                | (ulong)Vector128.Equals(Vector128.LoadUnsafe(ref at, o + 32), blank).ExtractMostSignificantBits() << 32
                | (ulong)Vector128.Equals(Vector128.LoadUnsafe(ref at, o + 48), blank).ExtractMostSignificantBits() << 48;
            bits[w] = ~m;
        }
        if (full < words)
        {
            ulong m = 0;
            for (int i = full << 6; i < line.Length; i++) if (line[i] != (byte)' ') m |= 1UL << (i & 63);
            bits[full] = m;
        }
        return bits;
    }

    private static bool IsSet(ReadOnlySpan<ulong> bits, int i) => (bits[i >> 6] & (1UL << (i & 63))) != 0;

    /// <summary>The first set position in [from, to), or -1.</summary>
    private static int NextNonBlank(ReadOnlySpan<ulong> bits, int from, int to)
    {
        if (from >= to) return -1;
        int w = from >> 6;
        ulong word = bits[w] & (~0UL << (from & 63));
        while (word == 0)
        {
            if (++w << 6 >= to) return -1;
            word = bits[w];
        }
        int i = (w << 6) + BitOperations.TrailingZeroCount(word);
        return i < to ? i : -1;
    }

    /// <summary>The last set position in [from, to), where position from is known to be set.</summary>
    private static int LastNonBlank(ReadOnlySpan<ulong> bits, int from, int to)
    {
        int last = to - 1, w = last >> 6;
        ulong word = bits[w] & (~0UL >> (63 - (last & 63)));
        while (word == 0) word = bits[--w];
        return Math.Max(from, (w << 6) + 63 - BitOperations.LeadingZeroCount(word));
    }

    /// <summary>Where field <paramref name="field"/> of each row begins in the text.</summary>
    public ReadOnlySpan<int> Starts(int field) => _start.AsSpan(field * _rows, Count);

    /// <summary>The length of field <paramref name="field"/> of each row.</summary>
    public ReadOnlySpan<int> Lengths(int field) => _length.AsSpan(field * _rows, Count);

    /// <summary>Row <paramref name="row"/>'s fields as positions in its line, as <see cref="FieldBuffer"/> gave them.</summary>
    public void Row(int row, Span<int> start, Span<int> length)
    {
        for (int f = 0, at = row; f < Fields; f++, at += _rows)
        {
            start[f] = _start[at] - LineStart[row];
            length[f] = _length[at];
        }
    }
}

/// <summary>
/// How a format's plain data lines split: <see cref="Fields"/> fields on <see cref="Delimiter"/>;
/// <see cref="Quotes"/>: a quote makes the line the sink's own (CSV); <see cref="TrailingDelimiter"/>:
/// one delimiter at the very end is tolerated (IRSA bulk); <see cref="Fixed"/>: fixed-width
/// columns instead of a delimiter (IPAC).
/// </summary>
internal readonly record struct BatchLayout(int Fields, byte Delimiter, bool Quotes, bool TrailingDelimiter, FixedColumns? Fixed = null)
{
    public static BatchLayout FixedWidth(FixedColumns columns) => new(columns.Start.Length, 0, false, false, columns);
}

/// <summary>
/// IPAC columns: column i covers [<see cref="Start"/>[i], <see cref="End"/>[i]) of a data line;
/// <see cref="Pipes"/> are the header's '|' positions (a value may sit under one, not cross it).
/// </summary>
internal sealed record FixedColumns(int[] Start, int[] End, int[] Pipes);

internal sealed partial class RowDecoder
{
    /// <summary>Only <see cref="Decode"/>, row by row: the reference the column loops are tested against.</summary>
    public bool RowByRow { get; init; }

    /// <summary>
    /// Whether <see cref="DecodeRows"/> may be used: every column read is one the column loops
    /// know, no IPAC null tokens, and not strict (where the first reject ends the read, so
    /// later rows must not be taken first).
    /// </summary>
    public bool CanDecodeColumns
    {
        get
        {
            if (RowByRow || _strict || ColumnNulls is not null) return false;
            foreach (var s in Map.Slots)
                if (s.Target is Target.None) return false;
            return true;
        }
    }

    /// <summary>
    /// Decodes the batch's rows in <paramref name="text"/> exactly as <see cref="Decode"/> would
    /// one after another, but column by column: each column's loop runs over the batch with no
    /// per-field dispatch, taking only plain values (a fixed-point number, a three-letter flag,
    /// digits; a null in an optional column). A row with any other field (blank, an exponent, out
    /// of range, bad, a null where one is required) is then decoded again by <see cref="DecodeRow"/>,
    /// which gives its values or its reject, so rows, values and rejects are those of the row-by-row
    /// decoder. Only when <see cref="CanDecodeColumns"/>.
    /// </summary>
    public void DecodeRows(ReadOnlySpan<byte> text, RowBatch batch)
    {
        int n = batch.Count;
        if (n == 0) return;
        HandOffIfFull();
        var b = _block;
        int first = b.AddRows(n);
        if (b.Capacity != _destCapacity) BindFloatColumns();
        b.FileIndex.AsSpan(first, n).Fill(_fileIndex);
        batch.LineNo.AsSpan(0, n).CopyTo(b.Line.AsSpan(first));
        var slow = batch.Slow.AsSpan(0, n);
        slow.Clear();
        var map = Map;
        if (map.SurveyScanId)
        {
            batch.Scan.AsSpan(0, n).Clear(); batch.Date.AsSpan(0, n).Clear(); batch.Hemis.AsSpan(0, n).Clear();
        }
        for (int k = 0; k < 3; k++) if (map.HasCmsig[k]) batch.Cmsig[k].AsSpan(0, n).Fill(float.NaN);

        var slots = map.Slots;
        for (int k = 0; k < slots.Length; k++)
        {
            // A null keeps the column's absent value, unless the column is required.
            int f = slots[k].Field;
            var field = new FieldColumn(text, batch.Starts(f), batch.Lengths(f), slots[k].Required);
            if (_floatDest[k] is { } floats) { Singles(field, floats.AsSpan(first, n), slow); continue; }
            switch (slots[k].Target)
            {
                case Target.Cntr: Integers(field, b.Cntr.AsSpan(first, n), slow); break;
                case Target.ScanKey: Integers(field, b.ScanKey.AsSpan(first, n), slow); break;
                case Target.Truth: Integers(field, b.Truth.AsSpan(first, n), slow); break;
                case Target.Ra: Doubles(field, b.Ra.AsSpan(first, n), slow, 0, 360, upperOpen: true); break;
                case Target.Dec: Doubles(field, b.Dec.AsSpan(first, n), slow, -90, 90, upperOpen: false); break;
                case Target.JDate: Doubles(field, b.JDate.AsSpan(first, n), slow, FirstJDate, LastJDate, upperOpen: false); break;
                case Target.PhQual: Flags(field, b.Bands, static c => c.PhQual, first, slow); break;
                case Target.RdFlg: Flags(field, b.Bands, static c => c.RdFlg, first, slow); break;
                case Target.BlFlg: Flags(field, b.Bands, static c => c.BlFlg, first, slow); break;
                case Target.CcFlg: Flags(field, b.Bands, static c => c.CcFlg, first, slow); break;
                case Target.Ndet: Ndets(field, b.Ndet.AsSpan(first, n), slow); break;
                case Target.MpFlg: Bytes(field, b.MpFlg.AsSpan(first, n), slow); break;
                case Target.GalContam: Bytes(field, b.GalContam.AsSpan(first, n), slow); break;
                case Target.Cmsig: Singles(field, batch.Cmsig[slots[k].Band].AsSpan(0, n), slow); break;
                case Target.Scan: Scans(field, batch.Scan.AsSpan(0, n), slow); break;
                case Target.Date: Dates(field, batch.Date.AsSpan(0, n), slow); break;
                case Target.Hemis: Hemispheres(field, batch.Hemis.AsSpan(0, n), slow); break;
                default: throw new InvalidOperationException($"no column loop for {slots[k].Target}: CanDecodeColumns should have said no");
            }
        }
        // What DecodeRow does after the fields (rows left to it are reset and done again below).
        for (int k = 0; k < 3; k++)
        {
            if (!map.HasCmsig[k]) continue;
            var sig = b.Bands[k].Sig.AsSpan(first, n);
            var cmsig = batch.Cmsig[k].AsSpan(0, n);
            for (int i = 0; i < n; i++) sig[i] = SigOrCmsig(map, k, sig[i], cmsig[i]);
        }
        if (map.SurveyScanId)
        {
            var scanKey = b.ScanKey.AsSpan(first, n);
            for (int i = 0; i < n; i++) scanKey[i] = ScanKeys.FromSurvey(batch.Hemis[i], batch.Date[i], batch.Scan[i]);
        }

        int accepted = n;
        bool anyRejected = false;
        for (int i = 0; i < n; i++)
        {
            if (!slow[i]) continue;
            accepted--;
            int row = first + i;
            b.ResetRow(row);
            var line = text.Slice(batch.LineStart[i], batch.LineLength[i]);
            _rowFields.Ensure(batch.Fields);
            batch.Row(i, _rowFields.Start, _rowFields.Length);
            bool ok = DecodeRow(row, line, _rowFields.Start, _rowFields.Length, _rowFields.Start, line, batch.LineNo[i]);
            slow[i] = !ok;   // now: the row is dropped
            anyRejected |= !ok;
        }
        batch.Count = 0;
        Result.RowsAccepted += accepted;
        if (anyRejected) b.RemoveFromEnd(slow);
    }

    private readonly FieldBuffer _rowFields = new();

    /// <summary>One field of every row of a batch: where row i's value lies in the text.</summary>
    private readonly ref struct FieldColumn(ReadOnlySpan<byte> text, ReadOnlySpan<int> starts, ReadOnlySpan<int> lengths, bool required)
    {
        public readonly ReadOnlySpan<byte> Text = text;
        private readonly ReadOnlySpan<int> _starts = starts, _lengths = lengths;
        private readonly bool _required = required;

        /// <summary>Whether row i, whose value the column loop did not take, must go to the row decoder (else it is a null in an optional column).</summary>
        public bool Slow(int row) => _required || !IsNullToken(Value(row));

        public int Start(int row) => _starts[row];
        public int Length(int row) => _lengths[row];
        public ReadOnlySpan<byte> Value(int row) => Text.Slice(_starts[row], _lengths[row]);
    }

    private static void Singles(FieldColumn field, Span<float> to, Span<bool> slow)
    {
        for (int i = 0; i < to.Length; i++)
        {
            if (Utf8Numbers.TryParseFixedSingle(field.Text, field.Start(i), field.Length(i), out float v)) to[i] = v;
            else if (field.Slow(i)) slow[i] = true;
        }
    }

    private static void Doubles(FieldColumn field, Span<double> to, Span<bool> slow, double min, double max, bool upperOpen)
    {
        for (int i = 0; i < to.Length; i++)
        {
            if (Utf8Numbers.TryParseFixedDouble(field.Text, field.Start(i), field.Length(i), out double v)
                && v >= min && (upperOpen ? v < max : v <= max))
                to[i] = v;
            else if (field.Slow(i)) slow[i] = true;
        }
    }

    private static void Integers(FieldColumn field, Span<long> to, Span<bool> slow)
    {
        // TryParseInt64 refuses blanks and null tokens, so what it takes the row decoder takes alike.
        for (int i = 0; i < to.Length; i++)
        {
            if (Utf8Numbers.TryParseInt64(field.Value(i), out long v)) to[i] = v;
            else if (field.Slow(i)) slow[i] = true;
        }
    }

    private static void Bytes(FieldColumn field, Span<byte> to, Span<bool> slow)
    {
        for (int i = 0; i < to.Length; i++)
        {
            if (Utf8Numbers.TryParseInt64(field.Value(i), out long v) && v is >= 0 and <= 255) to[i] = (byte)v;
            else if (field.Slow(i)) slow[i] = true;
        }
    }

    private static void Ndets(FieldColumn field, Span<int> to, Span<bool> slow)
    {
        for (int i = 0; i < to.Length; i++)
        {
            var v = field.Value(i);
            int nd = 0;
            bool ok = v.Length is > 0 and <= 6;
            foreach (byte ch in v)
            {
                uint d = (uint)(ch - '0');
                ok &= d <= 9;
                nd = nd * 10 + (int)d;
            }
            if (ok) to[i] = nd;
            else if (field.Slow(i)) slow[i] = true;
        }
    }

    private static void Scans(FieldColumn field, Span<int> to, Span<bool> slow)
    {
        for (int i = 0; i < to.Length; i++)
        {
            if (Utf8Numbers.TryParseInt64(field.Value(i), out long v) && v is >= 0 and < 1_000_000) to[i] = (int)v;
            else if (field.Slow(i)) slow[i] = true;
        }
    }

    private static void Dates(FieldColumn field, Span<int> to, Span<bool> slow)
    {
        // TryParseDate takes only digits and dashes: nothing the row decoder would trim or call null.
        for (int i = 0; i < to.Length; i++)
        {
            if (TryParseDate(field.Value(i), out int yymmdd)) to[i] = yymmdd;
            else if (field.Slow(i)) slow[i] = true;
        }
    }

    private static void Hemispheres(FieldColumn field, Span<byte> to, Span<bool> slow)
    {
        for (int i = 0; i < to.Length; i++)
        {
            var v = field.Value(i);
            if (v.Length == 1 && (v[0] | 0x20) is (byte)'n' or (byte)'s') to[i] = v[0];
            else if (field.Slow(i)) slow[i] = true;
        }
    }

    /// <summary>Three-letter flags, one letter per band; anything but exactly three letters with no blank at either end goes row by row.</summary>
    private static void Flags(FieldColumn field, BandColumns[] bands, Func<BandColumns, byte[]> column, int first, Span<bool> slow)
    {
        byte[] j = column(bands[0]), h = column(bands[1]), k = column(bands[2]);
        for (int i = 0; i < slow.Length; i++)
        {
            var v = field.Value(i);
            if (v.Length == 3 && v[0] > (byte)' ' && v[2] > (byte)' ')
            {
                j[first + i] = v[0]; h[first + i] = v[1]; k[first + i] = v[2];
            }
            else if (field.Slow(i)) slow[i] = true;
        }
    }
}
