using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using Wdb.Core;

namespace Wdb.IO.Readers;

/// <summary>
/// Turns one row's fields (byte ranges of a line) into a row of the block, or into a
/// reject. Shared by every format: the format only finds the fields. Holds the per-file
/// accounting so that RowsRead == RowsAccepted + Rejects.Count by construction.
/// </summary>
internal sealed partial class RowDecoder
{
    private readonly ExtractionBlock _block;
    private readonly int _fileIndex;
    private readonly bool _strict;
    private readonly float[] _cmsig = new float[3];

    public readonly FileReadResult Result;
    public readonly string Path;
    public ColumnMap Map
    {
        get => _map;
        set { _map = value; _destCapacity = -1; Result.SurveyScanIds = value.SurveyScanId; Result.ExtendedSources = value.ExtendedSources; }
    }
    private ColumnMap _map = null!;
    /// <summary>IPAC declared null value per field (4th header row); null entries = none declared.</summary>
    public byte[]?[]? ColumnNulls;
    /// <summary>Set when strict mode turned a bad row into the file's fatal error.</summary>
    public bool Stopped;
    /// <summary>What the table is read as (<see cref="ReadOptions.Kind"/>): the columns mapped.</summary>
    public TableKind Kind { get; init; }

    public RowDecoder(ExtractionBlock block, int fileIndex, FileReadResult result, bool strict)
    {
        _block = block; _fileIndex = fileIndex; Result = result; Path = result.Path; _strict = strict;
    }

    /// <summary>The block rows go to.</summary>
    public ExtractionBlock Block => _block;

    private Action<ExtractionBlock>? _onBlock;
    private int _rowsPerBlock;

    /// <summary>
    /// From now on, whenever the block holds at least <paramref name="rows"/> finished rows,
    /// hands it to <paramref name="onBlock"/> and empties it (<see cref="ExtractionReader.ReadBlocks"/>).
    /// Checked before a row is begun and after a fork is joined: a row is never handed over half decoded.
    /// </summary>
    public void HandBlocksTo(Action<ExtractionBlock> onBlock, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        _onBlock = onBlock;
        _rowsPerBlock = rows;
    }

    private void HandOffIfFull()
    {
        if (_onBlock is null || _block.Count < _rowsPerBlock) return;
        _onBlock(_block);
        _block.Clear();
    }

    /// <summary>A decoder for another thread: same file, columns and mode; its own block and accounting.</summary>
    public RowDecoder Fork(ExtractionBlock block) =>
        new(block, _fileIndex, new FileReadResult { Path = Path, Format = Result.Format, Profile = Result.Profile }, _strict)
        {
            Map = Map, ColumnNulls = ColumnNulls, RowByRow = RowByRow,
        };

    /// <summary>Appends a fork's rows, rejects, counts and error (in file order, so the block reads as if decoded here).</summary>
    public void Join(RowDecoder fork)
    {
        var r = fork.Result;
        _block.Append(fork._block);
        Result.RowsRead += r.RowsRead;
        Result.RowsAccepted += r.RowsAccepted;
        Result.Rejects.AddRange(r.Rejects);
        if (Result.RepeatedHeaders == 0) (Result.FirstRepeatedHeaderLine, Result.HeaderLine) = (r.FirstRepeatedHeaderLine, r.HeaderLine);
        Result.RepeatedHeaders += r.RepeatedHeaders;
        Result.Error ??= r.Error;
        Stopped |= fork.Stopped;
        HandOffIfFull();
    }

    /// <summary>
    /// Decodes one data row. Field k is <c>text[start[k] .. start[k]+length[k])</c>; its
    /// first byte sits at <c>srcPos[k]</c> of the physical <paramref name="line"/> (they
    /// differ only for quoted CSV fields, which are unquoted into a scratch copy), which is
    /// what reject columns refer to.
    /// </summary>
    public void Decode(ReadOnlySpan<byte> text, ReadOnlySpan<int> start, ReadOnlySpan<int> length,
        ReadOnlySpan<int> srcPos, ReadOnlySpan<byte> line, long lineNo)
    {
        HandOffIfFull();
        int row = _block.AddRow();
        if (!DecodeRow(row, text, start, length, srcPos, line, lineNo)) _block.RemoveLast();
    }

    /// <summary>
    /// Decodes into <paramref name="row"/>, which holds every column's absent value. False when
    /// the row was rejected (recorded; the caller drops the row).
    /// </summary>
    private bool DecodeRow(int row, ReadOnlySpan<byte> text, ReadOnlySpan<int> start, ReadOnlySpan<int> length,
        ReadOnlySpan<int> srcPos, ReadOnlySpan<byte> line, long lineNo)
    {
        var b = _block;
        b.FileIndex[row] = _fileIndex;
        b.Line[row] = lineNo;
        int scan = 0, date = 0;
        byte hemis = 0;
        long? cntr = null;
        _cmsig[0] = _cmsig[1] = _cmsig[2] = float.NaN;

        var slots = Map.Slots;
        if (b.Capacity != _destCapacity) BindFloatColumns();
        var dest = _floatDest;
        for (int k = 0; k < slots.Length; k++)
        {
            ref readonly Slot s = ref slots[k];
            int f = s.Field;
            int vs = start[f];             // v's offset in text: the number parsers may look past v's end
            var v = text.Slice(vs, length[f]);
            int lead = 0;
            if (v.Length != 0 && (v[0] <= (byte)' ' || v[^1] <= (byte)' '))
            {
                // Blanks around values: IPAC padding, "a, b" CSV. Tabs and a stray CR too.
                int end = v.Length;
                // IPAC columns are right-aligned in wide padding: skip spaces 8 at a time
                // (XOR with spaces leaves zero bytes for spaces; the first non-zero byte ends the run).
                while (lead + 8 <= end)
                {
                    ulong x = BinaryPrimitives.ReadUInt64LittleEndian(v[lead..]) ^ 0x2020202020202020UL;
                    if (x != 0) { lead += BitOperations.TrailingZeroCount(x) >> 3; break; }
                    lead += 8;
                }
                while (lead < end && v[lead] is (byte)' ' or (byte)'\t') lead++;
                while (end > lead && v[end - 1] is (byte)' ' or (byte)'\t' or (byte)'\r') end--;
                v = v[lead..end];
                if (v.Length == 0) lead = 0;   // a blank field is reported at its start
                vs += lead;
            }

            if (v.Length == 0 || ((v[0] == (byte)'\\' || (v[0] | 0x20) == 'n' || ColumnNulls is not null) && IsNull(v, f)))
            {
                if (s.Required)
                {
                    RejectField(line, lineNo, srcPos[f] + lead, Problem.Missing, s.Name, v, cntr);
                    return false;
                }
                continue;
            }

            // Most fields are plain float columns: one shared call site, no switch.
            if (dest[k] is { } column)
            {
                if (Utf8Numbers.TryParseSingle(text, vs, v.Length, out column[row]))
                {
                    if (!float.IsInfinity(column[row])) continue;
                    goto Infinite;
                }
                goto BadNumber;
            }

            switch (s.Target)
            {
                case Target.Cntr:
                    if (!Utf8Numbers.TryParseInt64(v, out long c)) goto BadNumber;
                    b.Cntr[row] = c; cntr = c;
                    break;
                case Target.ScanKey:
                    if (!Utf8Numbers.TryParseInt64(v, out long sk)) goto BadNumber;
                    b.ScanKey[row] = sk;
                    break;
                case Target.Truth:
                    if (!Utf8Numbers.TryParseInt64(v, out long t)) goto BadNumber;
                    b.Truth[row] = t;
                    break;
                case Target.Scan:
                    if (!Utf8Numbers.TryParseInt64(v, out long sc) || sc < 0 || sc >= 1_000_000) goto BadNumber;
                    scan = (int)sc;
                    break;
                case Target.Date:
                    if (!TryParseDate(v, out date))
                    {
                        RejectField(line, lineNo, srcPos[f] + lead, Problem.Date, s.Name, v, cntr);
                        return false;
                    }
                    break;
                case Target.Hemis:
                    if (v.Length != 1 || (v[0] | 0x20) is not ((byte)'n' or (byte)'s'))
                    {
                        RejectField(line, lineNo, srcPos[f] + lead, Problem.Hemis, s.Name, v, cntr);
                        return false;
                    }
                    hemis = v[0];
                    break;
                case Target.Ra:
                {
                    if (!Utf8Numbers.TryParseDouble(text, vs, v.Length, out double ra)) goto BadNumber;
                    if (!double.IsFinite(ra))
                    {
                        RejectField(line, lineNo, srcPos[f] + lead, Problem.NonFinite, s.Name, v, cntr);
                        return false;
                    }
                    if (ra < 0 || ra >= 360)
                    {
                        RejectField(line, lineNo, srcPos[f] + lead, Problem.RaRange, s.Name, v, cntr);
                        return false;
                    }
                    b.Ra[row] = ra;
                    break;
                }
                case Target.Dec:
                {
                    if (!Utf8Numbers.TryParseDouble(text, vs, v.Length, out double dec)) goto BadNumber;
                    if (!double.IsFinite(dec))
                    {
                        RejectField(line, lineNo, srcPos[f] + lead, Problem.NonFinite, s.Name, v, cntr);
                        return false;
                    }
                    if (dec < -90 || dec > 90)
                    {
                        RejectField(line, lineNo, srcPos[f] + lead, Problem.DecRange, s.Name, v, cntr);
                        return false;
                    }
                    b.Dec[row] = dec;
                    break;
                }
                case Target.JDate:
                    if (!Utf8Numbers.TryParseDouble(text, vs, v.Length, out double jd)) goto BadNumber;
                    if (double.IsInfinity(jd)) goto Infinite;
                    if (jd is < FirstJDate or > LastJDate)
                    {
                        RejectField(line, lineNo, srcPos[f] + lead, Problem.JDateRange, s.Name, v, cntr);
                        return false;
                    }
                    b.JDate[row] = jd;
                    break;
                // ErrMaj, ErrMin, ErrAng, Prox, Mag, MsigCom, Snr: handled above through _floatDest.
                case Target.Cmsig:
                    if (!Utf8Numbers.TryParseSingle(text, vs, v.Length, out _cmsig[s.Band])) goto BadNumber;
                    if (float.IsInfinity(_cmsig[s.Band])) goto Infinite;
                    break;
                // Three-character flags, one character per band J, H, Ks (2MASS-NOTES.md).
                case Target.PhQual: if (!SetBandFlags(b, row, v, static c => c.PhQual)) goto LongFlag; break;
                case Target.RdFlg: if (!SetBandFlags(b, row, v, static c => c.RdFlg)) goto LongFlag; break;
                case Target.BlFlg: if (!SetBandFlags(b, row, v, static c => c.BlFlg)) goto LongFlag; break;
                case Target.CcFlg: if (!SetBandFlags(b, row, v, static c => c.CcFlg)) goto LongFlag; break;
                case Target.Ndet:
                {
                    // Six digits mnmnmn, kept as the integer they spell.
                    if (v.Length > 6) goto BadNumber;
                    int nd = 0;
                    foreach (byte ch in v)
                    {
                        uint d = (uint)(ch - '0');
                        if (d > 9) goto BadNumber;
                        nd = nd * 10 + (int)d;
                    }
                    b.Ndet[row] = nd;
                    break;
                }
                case Target.MpFlg:
                    if (!Utf8Numbers.TryParseInt64(v, out long mp) || mp < 0 || mp > 255) goto BadNumber;
                    b.MpFlg[row] = (byte)mp;
                    break;
                case Target.GalContam:
                    if (!Utf8Numbers.TryParseInt64(v, out long gc) || gc < 0 || gc > 255) goto BadNumber;
                    b.GalContam[row] = (byte)gc;
                    break;
            }
            continue;

        BadNumber:
            RejectField(line, lineNo, srcPos[f] + lead, Problem.Number, s.Name, v, cntr);
            return false;
        LongFlag:
            RejectField(line, lineNo, srcPos[f] + lead, Problem.LongFlag, s.Name, v, cntr);
            return false;
        Infinite:
            // An infinite magnitude, error or date (or one that overflows a float, 1e50) is no
            // measurement, and would poison every mean and fit of its group; "NaN" stays a null.
            RejectField(line, lineNo, srcPos[f] + lead, Problem.Infinite, s.Name, v, cntr);
            return false;
        }

        var map = Map;
        for (int k = 0; k < 3; k++)
            if (map.HasCmsig[k]) b.Bands[k].Sig[row] = SigOrCmsig(map, k, b.Bands[k].Sig[row], _cmsig[k]);
        if (map.SurveyScanId) b.ScanKey[row] = ScanKeys.FromSurvey(hemis, date, scan);
        Result.RowsAccepted++;
        return true;
    }

    /// <summary>
    /// Sets row <paramref name="row"/>'s J, H, Ks characters of a three-character flag from <paramref name="v"/>. One or
    /// two digits are the number a tool made of three (pandas and STILTS read rd_flg "022" as 22 and write it so): the
    /// zeros it dropped were the leading ones, so the digits go to the last bands and the first take '0' (else "22" would
    /// give J the H digit and turn a J upper limit into a detection). Any other value gives its characters to J, H, Ks
    /// in turn, the bands a short one lacks left absent. False, setting nothing, for more than three characters (blanks
    /// around the value are cut before): cut to three, a shifted or merged column would pass as some band's flag.
    /// </summary>
    private static bool SetBandFlags(ExtractionBlock b, int row, ReadOnlySpan<byte> v, Func<BandColumns, byte[]> column)
    {
        if (v.Length > 3) return false;
        int zeros = v.Length is 1 or 2 && IsDigits(v) ? 3 - v.Length : 0;
        for (int c3 = 0; c3 < 3; c3++)
        {
            int at = c3 - zeros;
            if (at < 0) column(b.Bands[c3])[row] = (byte)'0';
            else if (at < v.Length) column(b.Bands[c3])[row] = v[at];
        }
        return true;

        static bool IsDigits(ReadOnlySpan<byte> s)
        {
            foreach (byte c in s) if ((uint)(c - '0') > 9) return false;
            return true;
        }
    }

    /// <summary>A band's sigma where the table has cmsig: the total uncertainty (msigcom) preferred, cmsig when msigcom is absent or null.</summary>
    private static float SigOrCmsig(ColumnMap map, int band, float sig, float cmsig) =>
        !map.HasMsigCom[band] || float.IsNaN(sig) ? cmsig : sig;

    private float[]?[] _floatDest = [];
    private int _destCapacity = -1;

    /// <summary>
    /// Caches, per slot, the block's float column it writes (null for other kinds). Arrays are
    /// replaced when the block grows, so this is redone whenever the capacity changes.
    /// </summary>
    private void BindFloatColumns()
    {
        var b = _block;
        var slots = Map.Slots;
        var dest = new float[]?[slots.Length];
        for (int k = 0; k < slots.Length; k++)
        {
            var bc = b.Bands[slots[k].Band];
            dest[k] = slots[k].Target switch
            {
                Target.ErrMaj => b.ErrMaj, Target.ErrMin => b.ErrMin, Target.ErrAng => b.ErrAng, Target.Prox => b.Prox,
                Target.Mag => bc.Mag, Target.MsigCom => bc.Sig, Target.Snr => bc.Snr,
                _ => null,
            };
        }
        _floatDest = dest;
        _destCapacity = b.Capacity;
    }

    /// <summary>
    /// The Julian dates a scan's `jdate` may take, both kept: 1900 January 0.5 and 2100 January 1.5. 2MASS observed in
    /// 1997-2001; the margin takes any survey's dates, and refuses what is no JD at all (1e300, a modified JD, a year).
    /// </summary>
    internal const double FirstJDate = 2415020, LastJDate = 2488070;

    private enum Problem { Missing, Number, Infinite, Date, Hemis, NonFinite, RaRange, DecRange, JDateRange, LongFlag }

    /// <summary>
    /// Rejects the row being decoded for a bad field. Kept out of line, with all message
    /// formatting, so that Decode's frame and registers serve the hot path only.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RejectField(ReadOnlySpan<byte> line, long lineNo, int byteOffset, Problem problem, string column,
        ReadOnlySpan<byte> v, long? cntr)
    {
        var (reason, detail) = problem switch
        {
            Problem.Missing => (RejectReason.MissingRequiredValue, $"missing value in required column '{column}'"),
            Problem.Number => (RejectReason.UnparsableNumber, $"expected a number in column '{column}', got '{Show(v)}'"),
            Problem.Infinite => (RejectReason.UnparsableNumber, $"infinite value in column '{column}', got '{Show(v)}'"),
            Problem.Date => (RejectReason.UnparsableNumber, $"expected a date (yymmdd or yyyy-mm-dd) in column '{column}', got '{Show(v)}'"),
            Problem.Hemis => (RejectReason.UnparsableNumber, $"expected 'n' or 's' in column '{column}', got '{Show(v)}'"),
            Problem.NonFinite => (RejectReason.NonFiniteCoordinate, $"non-finite value in column '{column}', got '{Show(v)}'"),
            Problem.RaRange => (RejectReason.RaOutOfRange, $"ra outside [0, 360) in column '{column}', got '{Show(v)}'"),
            Problem.JDateRange => (RejectReason.JdateOutOfRange,
                $"jdate outside [{FirstJDate}, {LastJDate}] (JD of 1900 to 2100) in column '{column}', got '{Show(v)}'"),
            Problem.LongFlag => (RejectReason.FlagTooLong,
                $"a flag of one character per band (J, H, Ks) in column '{column}' has {v.Length} characters, got '{Show(v)}'"),
            _ => (RejectReason.DecOutOfRange, $"dec outside [-90, 90] in column '{column}', got '{Show(v)}'"),
        };
        Reject(line, lineNo, byteOffset, reason, detail, cntr);
    }

    /// <summary>Records a rejected row (already counted in RowsRead); under strict mode it becomes the fatal error.</summary>
    public void Reject(ReadOnlySpan<byte> line, long lineNo, int byteOffset, RejectReason reason, string detail, long? cntr = null)
    {
        int column = byteOffset < 0 ? 1 : CharColumn(line, byteOffset);
        Result.Rejects.Add(new RejectRecord(Path, lineNo, column, reason, detail, cntr));
        if (_strict && Result.Error is null)
        {
            Result.Error = new InputError(Path, lineNo, column, detail);
            Stopped = true;
        }
    }

    /// <summary>
    /// Rejects a row whose line is not UTF-8 (already counted). When the line split into the table's fields (as for
    /// <see cref="Decode"/>: <paramref name="fields"/> of them, the last ending at byte <paramref name="end"/> of the
    /// line), the reject points at the value the first bad byte is in, names its column, and carries the row's cntr
    /// when the cntr field is itself readable: a Latin-1 letter in a column wdb does not even read still leaves the
    /// row identifiable. Otherwise it points at the bad byte, with no cntr.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void RejectInvalidUtf8(ReadOnlySpan<byte> line, long lineNo, ReadOnlySpan<byte> text, ReadOnlySpan<int> start,
        ReadOnlySpan<int> length, ReadOnlySpan<int> srcPos, int fields, int end)
    {
        int bad = FirstInvalidUtf8(line);
        int f = fields == Map.FieldCount && bad < end ? FieldHolding(srcPos[..fields], bad) : -1;
        if (f < 0)
        {
            Reject(line, lineNo, bad, RejectReason.InvalidUtf8, $"invalid UTF-8 at byte {bad + 1} of the line");
            return;
        }
        int at = srcPos[f];
        while (at < bad && line[at] is (byte)' ' or (byte)'\t') at++;
        Reject(line, lineNo, at, RejectReason.InvalidUtf8, $"invalid UTF-8 in column '{Map.ColumnNames[f]}' at byte {bad + 1} of the line",
            ReadableCntr(text, start, length));
    }

    /// <summary>The field that byte <paramref name="at"/> of the line lies in: the last one that begins at or before it.</summary>
    private static int FieldHolding(ReadOnlySpan<int> srcPos, int at)
    {
        int f = srcPos.Length - 1;
        while (f > 0 && srcPos[f] > at) f--;
        return f;
    }

    /// <summary>The row's cntr when its field is valid UTF-8 and an integer; null otherwise (or with no cntr column).</summary>
    private long? ReadableCntr(ReadOnlySpan<byte> text, ReadOnlySpan<int> start, ReadOnlySpan<int> length)
    {
        foreach (var s in Map.Slots)
        {
            if (s.Target != Target.Cntr) continue;
            var v = text.Slice(start[s.Field], length[s.Field]).Trim(" \t\r"u8);
            return Utf8.IsValid(v) && Utf8Numbers.TryParseInt64(v, out long cntr) ? cntr : null;
        }
        return null;
    }

    /// <summary>Byte offset of the first byte that is not UTF-8 in <paramref name="line"/> (0 when there is none).</summary>
    internal static int FirstInvalidUtf8(ReadOnlySpan<byte> line)
    {
        int i = 0;
        while (i < line.Length)
        {
            if (Rune.DecodeFromUtf8(line[i..], out _, out int used) != OperationStatus.Done) return i;
            i += used;
        }
        return 0;
    }

    private bool IsNull(ReadOnlySpan<byte> v, int field)
    {
        if (IsNullToken(v)) return true;
        var nulls = ColumnNulls;
        if (nulls is not null && (uint)field < (uint)nulls.Length && nulls[field] is { } token && v.SequenceEqual(token)) return true;
        return false;
    }

    /// <summary>A null in every format: an empty field, `\N` (IRSA bulk, CSV exports) or `null` in any case.</summary>
    internal static bool IsNullToken(ReadOnlySpan<byte> v) =>
        v.Length == 0
        || (v.Length == 2 && v[0] == (byte)'\\' && v[1] == (byte)'N')
        || (v.Length == 4 && (v[0] | 0x20) == 'n' && (v[1] | 0x20) == 'u' && (v[2] | 0x20) == 'l' && (v[3] | 0x20) == 'l');

    /// <summary>
    /// yymmdd or yyyy-mm-dd to the integer yymmdd (<see cref="ScanKeys.FromSurvey"/>). Three to five digits are a
    /// yymmdd a tool read as a number, its leading zeros dropped (pandas and STILTS write 000315 as 315): the dates of
    /// 2000 and 2001, when 2MASS observed too.
    /// </summary>
    internal static bool TryParseDate(ReadOnlySpan<byte> v, out int yymmdd)
    {
        yymmdd = 0;
        int year, m, d;
        if (v.Length is >= 3 and <= 6 && AllDigits(v))
        {
            int n = Num(v);
            int yy = n / 10000;
            year = yy >= 50 ? 1900 + yy : 2000 + yy;   // 2MASS observed 1997-2001
            m = n / 100 % 100; d = n % 100;
        }
        else if (v.Length == 10 && v[4] == (byte)'-' && v[7] == (byte)'-' && AllDigits(v[..4]) && AllDigits(v.Slice(5, 2)) && AllDigits(v.Slice(8, 2)))
        {
            year = Num(v[..4]); m = Num(v.Slice(5, 2)); d = Num(v.Slice(8, 2));
        }
        else return false;
        // A day the month does not have (2000-02-30) is no night's scan.
        if (year < 1 || m is < 1 or > 12 || d < 1 || d > DateTime.DaysInMonth(year, m)) return false;
        yymmdd = year % 100 * 10000 + m * 100 + d;
        return true;

        static bool AllDigits(ReadOnlySpan<byte> s)
        {
            foreach (byte c in s) if ((uint)(c - '0') > 9) return false;
            return true;
        }
        static int Num(ReadOnlySpan<byte> s)
        {
            int n = 0;
            foreach (byte c in s) n = n * 10 + (c - '0');
            return n;
        }
    }

    /// <summary>1-based character column of byte <paramref name="byteOffset"/> (UTF-8 continuation bytes do not count).</summary>
    internal static int CharColumn(ReadOnlySpan<byte> line, int byteOffset)
    {
        int n = Math.Min(byteOffset, line.Length);
        int col = 1;
        for (int i = 0; i < n; i++) if ((line[i] & 0xC0) != 0x80) col++;
        if (byteOffset > line.Length) col += byteOffset - line.Length;
        return col;
    }

    /// <summary>A field's text for a message: invalid bytes replaced, at most 40 characters.</summary>
    internal static string Show(ReadOnlySpan<byte> v)
    {
        var s = Encoding.UTF8.GetString(v.Length > 160 ? v[..160] : v);
        return Printable(s.Length > 40 ? s[..40] + "..." : s);
    }

    /// <summary>
    /// <paramref name="text"/> from an input, as a message may quote it: control characters as \xNN. A message goes to a
    /// terminal, and a file's ESC or CR would otherwise move its cursor or rewrite what it shows.
    /// </summary>
    internal static string Printable(string text)
    {
        if (!text.Any(char.IsControl)) return text;
        var b = new StringBuilder(text.Length + 8);
        foreach (char c in text) b.Append(char.IsControl(c) ? $"\\x{(int)c:X2}" : c);
        return b.ToString();
    }
}
