using System.Globalization;
using System.Text;

namespace Wdb.IO;

/// <summary>
/// Formats fields straight into a large byte buffer (UTF-8, invariant culture) and flushes it
/// to the stream in big writes. Delimited formats separate fields with one byte; IPAC writes
/// each field right-aligned in its column's fixed width, with a space where the header has `|`.
/// </summary>
internal sealed class RowSink
{
    private const int BufferBytes = 1 << 20, RowRoom = 8192;   // a row is < 1 KB in every layout
    private static readonly string[] Types =
    [
        "long", "long", "double", "double", "real", "real", "real", "double",
        "real", "real", "real", "real", "real", "real", "real", "real", "real",
        "char", "char", "char", "char", "char", "long", "real", "real", "real",
    ];
    private static readonly string[] Units =
    [
        "", "", "deg", "deg", "arcsec", "arcsec", "deg", "day",
        "mag", "mag", "", "mag", "mag", "", "mag", "mag", "",
        "", "", "", "", "", "", "mas/yr", "mas/yr", "mag",
    ];

    private readonly Stream _out;
    private readonly TableTextFormat _format;
    private readonly byte[] _buf = new byte[BufferBytes];
    private readonly byte _sep;
    private readonly byte[] _null;
    private int[] _widths = [];
    private int _pos, _col, _start;

    private readonly List<string> _names;

    public RowSink(Stream output, TableTextFormat format, bool truthColumns)
    {
        _out = output;
        _format = format;
        (_sep, _null) = format switch
        {
            TableTextFormat.Csv => ((byte)',', Array.Empty<byte>()),
            TableTextFormat.Bulk => ((byte)'|', "\\N"u8.ToArray()),
            _ => ((byte)' ', "null"u8.ToArray()),
        };
        _names = new List<string>(TableTextWriter.WdbColumns);
        if (truthColumns) _names.AddRange(TableTextWriter.TruthColumns);
        if (format == TableTextFormat.Ipac)
        {
            _widths = new int[_names.Count];
            for (int c = 0; c < _names.Count; c++)
            {
                // Widest value of the type: long 20 chars, double "R" 24, float "R" 14, flags 3, ndet 6.
                int w = Types[c] switch { "long" => 20, "double" => 24, "real" => 14, _ => 6 };
                _widths[c] = Math.Max(w, _names[c].Length);
            }
        }
    }

    /// <summary>The header lines of the layout (none for bulk).</summary>
    public void Header()
    {
        var text = new StringBuilder();
        if (_format == TableTextFormat.Csv) text.Append(string.Join(',', _names)).Append('\n');
        else if (_format == TableTextFormat.Ipac)
        {
            text.Append("\\fixlen = T\n");
            AppendIpacLine(text, _names);
            AppendIpacLine(text, Types.AsSpan(0, _names.Count).ToArray());
            AppendIpacLine(text, Units.AsSpan(0, _names.Count).ToArray());
            AppendIpacLine(text, Enumerable.Repeat("null", _names.Count).ToArray());
        }
        Raw(Encoding.UTF8.GetBytes(text.ToString()));
    }

    private void AppendIpacLine(StringBuilder text, IReadOnlyList<string> cells)
    {
        for (int c = 0; c < cells.Count; c++) text.Append('|').Append(cells[c].PadRight(_widths[c]));
        text.Append("|\n");
    }

    private void Raw(ReadOnlySpan<byte> bytes)
    {
        if (_buf.Length - _pos < bytes.Length) Flush();
        if (bytes.Length > _buf.Length) { _out.Write(bytes); return; }
        bytes.CopyTo(_buf.AsSpan(_pos));
        _pos += bytes.Length;
    }

    public void BeginRow()
    {
        if (_buf.Length - _pos < RowRoom) Flush();
        _col = 0;
    }

    public void EndRow()
    {
        if (_format == TableTextFormat.Ipac) _buf[_pos++] = (byte)' ';
        _buf[_pos++] = (byte)'\n';
    }

    private void Start()
    {
        if (_col > 0 || _format == TableTextFormat.Ipac) _buf[_pos++] = _sep;
        _start = _pos;
    }

    private void End()
    {
        if (_format == TableTextFormat.Ipac)
        {
            int len = _pos - _start, w = _widths[_col];
            if (len < w)
            {
                var field = _buf.AsSpan(_start, len);
                field.CopyTo(_buf.AsSpan(_start + w - len));
                _buf.AsSpan(_start, w - len).Fill((byte)' ');
                _pos = _start + w;
            }
        }
        _col++;
    }

    public void Null()
    {
        Start();
        _null.CopyTo(_buf.AsSpan(_pos));
        _pos += _null.Length;
        End();
    }

    public void Long(long v)
    {
        Start();
        v.TryFormat(_buf.AsSpan(_pos), out int n, default, CultureInfo.InvariantCulture);
        _pos += n;
        End();
    }

    /// <summary>Shortest round-trip form ("R"); NaN and infinities are null.</summary>
    public void Double(double v)
    {
        if (!double.IsFinite(v)) { Null(); return; }
        Start();
        if (!ShortestDecimal.TryWrite(v, _buf.AsSpan(_pos), out int n))
            v.TryFormat(_buf.AsSpan(_pos), out n, "R", CultureInfo.InvariantCulture);
        _pos += n;
        End();
    }

    public void Float(float v)
    {
        if (!float.IsFinite(v)) { Null(); return; }
        Start();
        if (!ShortestDecimal.TryWrite(v, _buf.AsSpan(_pos), out int n))
            v.TryFormat(_buf.AsSpan(_pos), out n, "R", CultureInfo.InvariantCulture);
        _pos += n;
        End();
    }

    /// <summary>A three-band flag string (J, H, Ks); null when all absent, an absent band as '-'.</summary>
    public void Flags(byte j, byte h, byte k)
    {
        if ((j | h | k) == 0) { Null(); return; }
        Start();
        _buf[_pos] = j == 0 ? (byte)'-' : j;
        _buf[_pos + 1] = h == 0 ? (byte)'-' : h;
        _buf[_pos + 2] = k == 0 ? (byte)'-' : k;
        _pos += 3;
        End();
    }

    /// <summary>`ndet` as its six digits (mnmnmn, leading zeros kept); negative is null.</summary>
    public void Ndet(int v)
    {
        if (v < 0) { Null(); return; }
        Start();
        v.TryFormat(_buf.AsSpan(_pos), out int n, v < 1_000_000 ? "D6" : default, CultureInfo.InvariantCulture);
        _pos += n;
        End();
    }

    /// <summary>Writes the buffered bytes to the stream.</summary>
    public void Flush()
    {
        if (_pos == 0) return;
        _out.Write(_buf, 0, _pos);
        _pos = 0;
    }
}
