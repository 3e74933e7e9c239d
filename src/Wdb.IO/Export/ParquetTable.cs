using System.Buffers;
using System.Text;
using System.Text.Json;
using Parquet;
using Parquet.Schema;

namespace Wdb.IO;

/// <summary>
/// Writes one exported table as Apache Parquet (Parquet.Net), streaming: rows are gathered into
/// per-column buffers of <c>rowGroupRows</c> rows, each full buffer set is written as one row
/// group and the buffers are reused, so memory is bounded by one row group whatever the table's
/// size. Types by <see cref="ColumnKind"/>: Int int32, Long int64, Bool boolean (all required);
/// Float float and Double double, nullable, NaN written as null; Char a nullable one-character
/// string, null when the flag is absent; Text a required string. Column names as
/// <see cref="TableColumns"/>; units and meanings in the file's key-value metadata, since Parquet's schema has no
/// place for them: as VOParquet (<see cref="VoParquetContentKey"/>, which astronomy tools read) and as JSON
/// (<see cref="ColumnsKey"/>).
/// </summary>
internal static class ParquetTable
{
    /// <summary>Key-value metadata key of the columns' JSON: <c>[{"name","kind","unit","description"}, ...]</c> in column order.</summary>
    public const string ColumnsKey = "wdb.columns";
    /// <summary>Key-value metadata key of the table's name (groups, members or extractions).</summary>
    public const string TableKey = "wdb.table";

    /// <summary>
    /// Key-value metadata keys of the VOParquet convention (IVOA Note "Parquet in the VO" 1.0, 2025): a VOTable document
    /// with no data, whose first TABLE's FIELDs describe the columns in order. TOPCAT, STILTS and astropy
    /// (<c>format="parquet.votable"</c>) take units, UCDs and descriptions from it.
    /// </summary>
    public const string VoParquetVersionKey = "IVOA.VOTable-Parquet.version", VoParquetContentKey = "IVOA.VOTable-Parquet.content";

    /// <summary>The VOTable namespace of versions 1.3 to 1.5.</summary>
    public const string VoTableNamespace = "http://www.ivoa.net/xml/VOTable/v1.3";

    /// <summary>Most rows in a row group (pyarrow's former default): a reader reads or skips a row group at a time.</summary>
    public const int MaxRowGroupRows = 1 << 20;

    /// <summary>
    /// Bytes of column buffers one row group may hold. The groups table has 61 columns (~520
    /// bytes a buffered row), so 1 Mi-row groups would buffer ~0.55 GB before Parquet.Net's own
    /// encoding copies; 64 MiB gives ~128 k-row groups there (DuckDB writes 122,880-row groups),
    /// ~270 k for members and ~520 k for extractions. Measured: exports of 0.33 M and 1.7 M
    /// groups both peak at ~0.2 GB resident.
    /// </summary>
    private const long BufferBudgetBytes = 64L << 20;

    /// <summary>
    /// Rows per row group for these columns within <see cref="BufferBudgetBytes"/>, between 1,024
    /// and <see cref="MaxRowGroupRows"/>, and no more than the table's <paramref name="tableRows"/>
    /// (so that a small table does not allocate buffers for a large one).
    /// </summary>
    public static int RowGroupRows<T>(IReadOnlyList<Column<T>> columns, long tableRows = long.MaxValue)
    {
        long rowBytes = 0;
        foreach (var c in columns) rowBytes += BufferedBytes(c.Kind);
        long rows = Math.Clamp(BufferBudgetBytes / Math.Max(rowBytes, 1), 1024, MaxRowGroupRows);
        return (int)Math.Clamp(tableRows, 1, rows);
    }

    /// <summary>Buffer bytes of one value: a nullable float or double carries a flag word; a string is a reference (flags: shared one-character strings; Text: ~20-character designations held by the buffer).</summary>
    private static int BufferedBytes(ColumnKind k) => k switch
    {
        ColumnKind.Int => 4, ColumnKind.Long => 8, ColumnKind.Bool => 1, ColumnKind.Float => 8,
        ColumnKind.Double => 16, ColumnKind.Char => 8, _ => 8 + 72,
    };

    /// <summary>
    /// Writes the header, every row and the footer to <paramref name="output"/> (left open, not
    /// flushed to disk: the caller's atomic write does that). Parquet.Net's API is asynchronous and
    /// export is a synchronous verb: the write runs on the thread pool so that blocking on it here
    /// cannot deadlock on a caller's synchronization context (a test runner's).
    /// </summary>
    public static void Write<T>(Stream output, IEnumerable<T> rows, IReadOnlyList<Column<T>> columns, string table, int rowGroupRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupRows, 1);
        Task.Run(() => WriteAsync(output, rows, columns, table, rowGroupRows)).GetAwaiter().GetResult();
    }

    private static async Task WriteAsync<T>(Stream output, IEnumerable<T> rows, IReadOnlyList<Column<T>> columns, string table, int rowGroupRows)
    {
        var buffers = columns.Select(c => Buffer(c, rowGroupRows)).ToArray();
        var schema = new ParquetSchema(buffers.Select(b => (Field)b.Field));
        // Snappy: the codec every Parquet reader has built in (pyarrow, TOPCAT's parquet-mr, DuckDB).
        var options = new ParquetOptions { CompressionMethod = CompressionMethod.Snappy };
        await using var writer = await ParquetWriter.CreateAsync(schema, output, options);
        writer.CustomMetadata = new Dictionary<string, string>
        {
            [TableKey] = table, [ColumnsKey] = ColumnsJson(columns),
            [VoParquetVersionKey] = "1.0", [VoParquetContentKey] = VoTable(columns, table),
        };
        int n = 0;
        foreach (var row in rows)
        {
            foreach (var b in buffers) b.Set(n, row);
            if (++n == rowGroupRows)
            {
                await WriteRowGroup(writer, buffers, n);
                n = 0;
            }
        }
        if (n > 0) await WriteRowGroup(writer, buffers, n);   // the last, partial group (an empty table has none: a valid file)
    }

    private static async Task WriteRowGroup<T>(ParquetWriter writer, ColumnBuffer<T>[] buffers, int n)
    {
        using var group = writer.CreateRowGroup();
        foreach (var b in buffers) await b.WriteAsync(group, n);
        group.CompleteValidate();
    }

    /// <summary>The columns' names, kinds, units and meanings as one JSON array (the meaning of each value travels with the file).</summary>
    private static string ColumnsJson<T>(IReadOnlyList<Column<T>> columns)
    {
        var bytes = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(bytes))
        {
            w.WriteStartArray();
            foreach (var c in columns)
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                w.WriteString("kind", c.Kind.ToString().ToLowerInvariant());
                w.WriteString("unit", c.Unit);
                w.WriteString("description", c.Description);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(bytes.WrittenSpan);
    }

    /// <summary>
    /// The data-less VOTable 1.4 document of the columns (XmlWriter: names and descriptions escaped as XML needs).
    /// Datatypes follow the Parquet types: int, long, boolean, float, double; a flag is one char, text a char string.
    /// </summary>
    internal static string VoTable<T>(IReadOnlyList<Column<T>> columns, string table)
    {
        var text = new StringBuilder();
        var settings = new System.Xml.XmlWriterSettings { Indent = true, OmitXmlDeclaration = true, NewLineChars = "\n" };
        using (var w = System.Xml.XmlWriter.Create(text, settings))
        {
            w.WriteStartElement("VOTABLE", VoTableNamespace);
            w.WriteAttributeString("version", "1.4");
            w.WriteStartElement("RESOURCE", VoTableNamespace);
            w.WriteAttributeString("type", "results");
            w.WriteStartElement("TABLE", VoTableNamespace);
            w.WriteAttributeString("name", table);
            w.WriteElementString("DESCRIPTION", VoTableNamespace, $"wdb merge output, {table} table (src/Wdb.IO/Export/COLUMNS.md)");
            foreach (var c in columns)
            {
                w.WriteStartElement("FIELD", VoTableNamespace);
                w.WriteAttributeString("name", c.Name);
                w.WriteAttributeString("datatype", c.Kind switch
                {
                    ColumnKind.Int => "int", ColumnKind.Long => "long", ColumnKind.Bool => "boolean",
                    ColumnKind.Float => "float", ColumnKind.Double => "double", _ => "char",
                });
                // A flag is one character: no arraysize, the default (arraysize="1" is deprecated since VOTable 1.3 Erratum 3).
                if (c.Kind == ColumnKind.Text) w.WriteAttributeString("arraysize", "*");
                if (c.Unit.Length > 0) w.WriteAttributeString("unit", c.Unit);
                if (c.Ucd.Length > 0) w.WriteAttributeString("ucd", c.Ucd);
                w.WriteElementString("DESCRIPTION", VoTableNamespace, c.Description);
                w.WriteEndElement();
            }
            w.WriteEndElement();
            w.WriteEndElement();
            w.WriteEndElement();
        }
        return text.ToString();
    }

    private static ColumnBuffer<T> Buffer<T>(Column<T> c, int rows) => c.Kind switch
    {
        ColumnKind.Int => new Required<T, int>(new DataField<int>(c.Name, false), rows, r => checked((int)c.Integer!(r))),
        ColumnKind.Long => new Required<T, long>(new DataField<long>(c.Name, false), rows, c.Integer!),
        ColumnKind.Bool => new Required<T, bool>(new DataField<bool>(c.Name, false), rows, r => c.Integer!(r) != 0),
        ColumnKind.Float => new Optional<T, float>(new DataField<float?>(c.Name, true), rows, r => c.Single!(r) is var f && float.IsNaN(f) ? null : f),
        ColumnKind.Double => new Optional<T, double>(new DataField<double?>(c.Name, true), rows, r => c.Real!(r) is var d && double.IsNaN(d) ? null : d),
        ColumnKind.Char => new Strings<T>(new DataField<string>(c.Name, true), rows, r => FlagText[c.Character!(r)]),
        _ => new Strings<T>(new DataField<string>(c.Name, false), rows, c.String!),
    };

    /// <summary>
    /// One string per flag byte, made once so that flags cost no allocation per row; 0 (absent)
    /// and blank are null, as they are empty fields in CSV and <c>null</c> in IPAC.
    /// </summary>
    private static readonly string?[] FlagText = Enumerable.Range(0, 256)
        .Select(b => b == 0 || b == ' ' ? null : ((char)b).ToString()).ToArray();

    /// <summary>One column's values for the row group being filled.</summary>
    private abstract class ColumnBuffer<T>(DataField field)
    {
        public DataField Field { get; } = field;
        public abstract void Set(int i, T row);
        /// <summary>Writes rows [0, n) as this column's chunk of the row group; the buffer is then free for the next group.</summary>
        public abstract Task WriteAsync(ParquetRowGroupWriter group, int n);
    }

    private sealed class Required<T, V>(DataField field, int rows, Func<T, V> get) : ColumnBuffer<T>(field) where V : struct
    {
        private readonly V[] _values = new V[rows];
        public override void Set(int i, T row) => _values[i] = get(row);
        public override Task WriteAsync(ParquetRowGroupWriter group, int n) => group.WriteAsync(Field, new ReadOnlyMemory<V>(_values, 0, n));
    }

    private sealed class Optional<T, V>(DataField field, int rows, Func<T, V?> get) : ColumnBuffer<T>(field) where V : struct
    {
        private readonly V?[] _values = new V?[rows];
        public override void Set(int i, T row) => _values[i] = get(row);
        public override Task WriteAsync(ParquetRowGroupWriter group, int n) => group.WriteAsync<V>(Field, new ReadOnlyMemory<V?>(_values, 0, n));
    }

    private sealed class Strings<T>(DataField field, int rows, Func<T, string?> get) : ColumnBuffer<T>(field)
    {
        private readonly string?[] _values = new string?[rows];
        public override void Set(int i, T row) => _values[i] = get(row);
        public override Task WriteAsync(ParquetRowGroupWriter group, int n) => group.WriteAsync(Field, new ArraySegment<string>(_values!, 0, n));
    }
}
