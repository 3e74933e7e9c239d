using System.Text.Json;
using Parquet;
using Parquet.Schema;
using Wdb.IO;

namespace Wdb.Tests.Output;

/// <summary>
/// `wdb export --format parquet`, read back with Parquet.Net's reader (not the writer's code) and
/// compared value by value, row by row, with what <see cref="OutputReader"/> gives through the same
/// <see cref="TableColumns"/> getters: NaN as null, absent flags as null.
/// </summary>
public class ParquetExportTests
{
    /// <summary>
    /// A file as Parquet.Net reads it: schema, each column's type as stored ("FLOAT OPTIONAL",
    /// "BYTE_ARRAY REQUIRED STRING": what pyarrow and TOPCAT see), key-value metadata, rows per row
    /// group and every column's values (null for nulls).
    /// </summary>
    private sealed record ParquetFile(DataField[] Fields, List<string> Stored, Dictionary<string, string> Metadata, List<long> RowGroupRows, List<object?>[] Columns);

    private static async Task<ParquetFile> ReadParquet(string path)
    {
        await using var reader = await ParquetReader.CreateAsync(path);
        var fields = reader.Schema.GetDataFields();
        var columns = fields.Select(_ => new List<object?>()).ToArray();
        var sizes = new List<long>();
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            int n = checked((int)group.RowCount);
            sizes.Add(n);
            for (int c = 0; c < fields.Length; c++) columns[c].AddRange(await ReadColumn(group, fields[c], n));
        }
        var stored = reader.Metadata!.Schema.Skip(1)   // the first element is the schema's root
            .Select(e => $"{e.Type} {e.RepetitionType}{(e.LogicalType?.STRING is not null ? " STRING" : "")}").ToList();
        return new ParquetFile(fields, stored, reader.CustomMetadata, sizes, columns);
    }

    private static async Task<object?[]> ReadColumn(ParquetRowGroupReader group, DataField f, int n)
    {
        if (f.ClrType == typeof(string) || f.ClrType == typeof(ReadOnlyMemory<char>))   // how Parquet.Net 6 describes UTF-8 strings read back
        {
            var s = new string?[n];
            await group.ReadAsync(f, s.AsMemory());
            return s;
        }
        if (f.ClrType == typeof(int)) return await Values<int>(group, f, n);
        if (f.ClrType == typeof(long)) return await Values<long>(group, f, n);
        if (f.ClrType == typeof(bool)) return await Values<bool>(group, f, n);
        if (f.ClrType == typeof(float)) return await Values<float>(group, f, n);
        if (f.ClrType == typeof(double)) return await Values<double>(group, f, n);
        throw new InvalidOperationException($"{f.Name}: unexpected type {f.ClrType}");
    }

    private static async Task<object?[]> Values<V>(ParquetRowGroupReader group, DataField f, int n) where V : struct
    {
        if (f.IsNullable)
        {
            var nullable = new V?[n];
            await group.ReadAsync<V>(f, nullable.AsMemory());
            return nullable.Select(v => v.HasValue ? (object?)v.Value : null).ToArray();
        }
        var values = new V[n];
        await group.ReadAsync<V>(f, values.AsMemory());
        return values.Select(v => (object?)v).ToArray();
    }

    /// <summary>The value a Parquet reader should see for a record, by the mapping of the brief (written apart from the writer).</summary>
    private static object? Expected<T>(Column<T> c, T row) => c.Kind switch
    {
        ColumnKind.Int => checked((int)c.Integer!(row)),
        ColumnKind.Long => c.Integer!(row),
        ColumnKind.Bool => c.Integer!(row) switch { 0 => false, 1 => true, var v => throw new InvalidOperationException($"bool {v}") },
        ColumnKind.Float => c.Single!(row) is var f && float.IsNaN(f) ? null : f,
        ColumnKind.Double => c.Real!(row) is var d && double.IsNaN(d) ? null : d,
        ColumnKind.Char => c.Character!(row) is var b && (b == 0 || b == (byte)' ') ? null : ((char)b).ToString(),
        _ => c.String!(row),
    };

    private static string ExpectedStored(ColumnKind k) => k switch
    {
        ColumnKind.Int => "INT32 REQUIRED",
        ColumnKind.Long => "INT64 REQUIRED",
        ColumnKind.Bool => "BOOLEAN REQUIRED",
        ColumnKind.Float => "FLOAT OPTIONAL",
        ColumnKind.Double => "DOUBLE OPTIONAL",
        ColumnKind.Char => "BYTE_ARRAY OPTIONAL STRING",
        _ => "BYTE_ARRAY REQUIRED STRING",
    };

    /// <summary>The synthetic merge output, with some flags absent (0) or blank, which Synthetic itself never has.</summary>
    private static TempDir Written()
    {
        var tmp = new TempDir();
        var o = Synthetic.Make(salt: 1.0 / 3.0);
        o.Block!.Bands[0].PhQual[1] = 0;          // cntr 10, J: absent
        o.Block.Bands[2].CcFlg[4] = (byte)' ';    // cntr 30, K: blank, as absent
        Assert.Null(OutputWriter.Write(tmp["out"], o, 2));
        return tmp;
    }

    /// <summary>Exports <paramref name="table"/> and checks the file against the reader's records; returns what was read.</summary>
    private static async Task<ParquetFile> ExportAndCompare<T>(TempDir tmp, string table, IReadOnlyList<Column<T>> columns,
        Func<OutputReader, IEnumerable<T>> records, int? rowGroupRows)
    {
        string file = tmp[$"{table}.parquet"];
        Assert.Null(Exporter.Export(tmp["out"], table, "parquet", file, rowGroupRows));
        Assert.Empty(Directory.GetFiles(tmp.Path, "*.tmp-*"));
        var read = await ReadParquet(file);

        // Names, order, types and nullability.
        Assert.Equal(columns.Select(c => c.Name), read.Fields.Select(f => f.Name));
        Assert.Equal(columns.Select(c => $"{c.Name}: {ExpectedStored(c.Kind)}"), read.Fields.Select((f, c) => $"{f.Name}: {read.Stored[c]}"));

        // Every value, row by row: a column shifted by a row, a stale buffer or a lost row group differs somewhere.
        using var reader = OutputReader.Open(tmp["out"]);
        var expected = records(reader).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Count, read.RowGroupRows.Sum());
        for (int c = 0; c < columns.Count; c++)
        {
            Assert.Equal(expected.Count, read.Columns[c].Count);
            for (int r = 0; r < expected.Count; r++)
            {
                object? e = Expected(columns[c], expected[r]), a = read.Columns[c][r];
                Assert.True(Equals(e, a), $"{table} row {r} {columns[c].Name}: expected {e ?? "null"} ({e?.GetType().Name}), read {a ?? "null"} ({a?.GetType().Name})");
            }
        }

        // Row groups of the asked size, the last one partial.
        if (rowGroupRows is int size)
        {
            var sizes = Enumerable.Range(0, (expected.Count + size - 1) / size).Select(g => (long)Math.Min(size, expected.Count - g * size));
            Assert.Equal(sizes, read.RowGroupRows);
        }
        else Assert.Single(read.RowGroupRows);

        // The meaning travels with the file.
        Assert.Equal(table, read.Metadata["wdb.table"]);
        using var doc = JsonDocument.Parse(read.Metadata["wdb.columns"]);
        var meta = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(columns.Count, meta.Count);
        for (int c = 0; c < columns.Count; c++)
        {
            Assert.Equal(columns[c].Name, meta[c].GetProperty("name").GetString());
            Assert.Equal(columns[c].Kind.ToString().ToLowerInvariant(), meta[c].GetProperty("kind").GetString());
            Assert.Equal(columns[c].Unit, meta[c].GetProperty("unit").GetString());
            Assert.Equal(columns[c].Description, meta[c].GetProperty("description").GetString());
        }
        AssertVoParquet(read, columns, table);
        return read;
    }

    /// <summary>
    /// The VOParquet metadata (IVOA Note 1.0): version "1.0", and a data-less VOTable whose first TABLE has one FIELD per
    /// Parquet column, in order, with the datatype of its Parquet type, its unit, UCD and description.
    /// </summary>
    private static void AssertVoParquet<T>(ParquetFile read, IReadOnlyList<Column<T>> columns, string table)
    {
        Assert.Equal("1.0", read.Metadata["IVOA.VOTable-Parquet.version"]);
        string content = read.Metadata["IVOA.VOTable-Parquet.content"];
        var doc = System.Xml.Linq.XDocument.Parse(content);
        System.Xml.Linq.XNamespace v = "http://www.ivoa.net/xml/VOTable/v1.3";
        Assert.Equal(v + "VOTABLE", doc.Root!.Name);
        var first = doc.Descendants(v + "TABLE").First();
        Assert.Equal(table, (string?)first.Attribute("name"));
        Assert.Empty(first.Elements(v + "DATA"));
        var fields = first.Elements(v + "FIELD").ToList();
        Assert.Equal(read.Fields.Select(f => f.Name), fields.Select(f => (string?)f.Attribute("name")));
        for (int c = 0; c < columns.Count; c++)
        {
            var (field, column) = (fields[c], columns[c]);
            string datatype = column.Kind switch
            {
                ColumnKind.Int => "int", ColumnKind.Long => "long", ColumnKind.Bool => "boolean",
                ColumnKind.Float => "float", ColumnKind.Double => "double", _ => "char",
            };
            Assert.Equal(datatype, (string?)field.Attribute("datatype"));
            Assert.Equal(column.Kind == ColumnKind.Text ? "*" : null, (string?)field.Attribute("arraysize"));
            Assert.Equal(column.Unit.Length > 0 ? column.Unit : null, (string?)field.Attribute("unit"));
            Assert.Equal(column.Ucd.Length > 0 ? column.Ucd : null, (string?)field.Attribute("ucd"));
            Assert.Equal(column.Description, field.Element(v + "DESCRIPTION")!.Value);
        }
        // The main position is marked for the tools that plot or cross-match by UCD.
        if (table != "extractions")
        {
            Assert.Single(fields, f => (string?)f.Attribute("ucd") == "pos.eq.ra;meta.main");
            Assert.Single(fields, f => (string?)f.Attribute("ucd") == "pos.eq.dec;meta.main");
        }
    }

    /// <summary>
    /// The VOParquet metadata of each table against an independent validator: STILTS votlint checks the document
    /// against the VOTable 1.3 schema (reported as skipped where STILTS is not installed).
    /// </summary>
    [Theory]
    [InlineData("groups")]
    [InlineData("members")]
    [InlineData("extractions")]
    public async Task VoParquetMetadataPassesStiltsVotlint(string table)
    {
        string stilts = ExternalTools.Require("stilts", "stilts");
        using var tmp = Written();
        string file = tmp[$"{table}.parquet"], vot = tmp[$"{table}.vot"];
        Assert.Null(Exporter.Export(tmp["out"], table, "parquet", file));
        File.WriteAllText(vot, (await ReadParquet(file)).Metadata["IVOA.VOTable-Parquet.content"]);
        var psi = new System.Diagnostics.ProcessStartInfo(stilts) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("votlint");
        psi.ArgumentList.Add($"votable={vot}");
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        string report = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "stilts votlint did not finish");
        // INFO lines only say what a default implies (a flag's one character); an ERROR or WARNING fails.
        var problems = report.Split('\n').Where(l => l.StartsWith("ERROR", StringComparison.Ordinal) || l.StartsWith("WARNING", StringComparison.Ordinal)).ToList();
        Assert.True(problems.Count == 0 && p.ExitCode == 0, $"stilts votlint: {report}{await stderr}");
    }

    private static List<object?> Column(ParquetFile f, string name) => f.Columns[Array.FindIndex(f.Fields, x => x.Name == name)];

    [Theory]
    [InlineData(null)]
    [InlineData(2)]     // 5 groups: 2, 2, 1
    public async Task GroupsReadBackValueByValue(int? rowGroupRows)
    {
        using var tmp = Written();
        var read = await ExportAndCompare(tmp, "groups", TableColumns.Groups, r => r.Groups(), rowGroupRows);
        // The data exercise what the mapping is about (else the comparison above proves little).
        Assert.Equal([10L, 20L, 30L, 40L, 50L], Column(read, "gcntr"));
        Assert.Null(Column(read, "sig_dec_w")[1]);                       // NaN -> null
        Assert.Equal(0.04f, Column(read, "sig_dec_w")[0]);
        Assert.Equal([false, false, true, true, false], Column(read, "confused"));
        Assert.Equal(359.99 + 1e-6 + 1.0 / 3.0, (double)Column(read, "ra_w")[1]!);   // doubles whole, not through float
    }

    [Theory]
    [InlineData(null)]
    [InlineData(3)]     // 11 members: 3, 3, 3, 2
    public async Task MembersReadBackValueByValue(int? rowGroupRows)
    {
        using var tmp = Written();
        var read = await ExportAndCompare(tmp, "members", TableColumns.Members, r => r.Members(), rowGroupRows);
        var cntr = Column(read, "cntr");
        Assert.Equal(11, cntr.Distinct().Count());
        Assert.Null(Column(read, "j_ph_qual")[cntr.IndexOf(10L)]);       // absent flag -> null
        Assert.Null(Column(read, "k_cc_flg")[cntr.IndexOf(30L)]);        // blank flag -> null
        Assert.Equal("d", Column(read, "j_cc_flg")[cntr.IndexOf(40L)]);
        Assert.Null(Column(read, "k_mag")[cntr.IndexOf(11L)]);           // NaN magnitude -> null
        Assert.Null(Column(read, "jdate")[cntr.IndexOf(33L)]);           // NaN date -> null
    }

    [Theory]
    [InlineData(null)]
    [InlineData(4)]     // 13 extractions: 4, 4, 4, 1
    public async Task ExtractionsReadBackValueByValue(int? rowGroupRows)
    {
        using var tmp = Written();
        var read = await ExportAndCompare(tmp, "extractions", TableColumns.Extractions, r => r.Extractions(), rowGroupRows);
        Assert.Equal([10L, 11L, 12L, 15L, 20L, 30L, 31L, 32L, 33L, 40L, 45L, 50L, 51L], Column(read, "cntr"));
        Assert.Equal(("filtered_artifact", -1L, (object?)null), ((string)Column(read, "reason")[3]!, (long)Column(read, "gcntr")[3]!, Column(read, "sep_arcsec")[3]));
    }

    [Fact]
    public void RowGroupSizeStaysWithinTheBudgetTheCapAndTheTable()
    {
        // Groups of tens of thousands of rows or more, so readers are not slowed by many small groups.
        Assert.InRange(ParquetTable.RowGroupRows(TableColumns.Groups), 65_536, ParquetTable.MaxRowGroupRows);
        Assert.InRange(ParquetTable.RowGroupRows(TableColumns.Members), 65_536, ParquetTable.MaxRowGroupRows);
        Assert.InRange(ParquetTable.RowGroupRows(TableColumns.Extractions), 65_536, ParquetTable.MaxRowGroupRows);
        Assert.Equal(5, ParquetTable.RowGroupRows(TableColumns.Groups, tableRows: 5));      // no buffers beyond the table
        Assert.Equal(1, ParquetTable.RowGroupRows(TableColumns.Groups, tableRows: 0));
    }

    [Fact]
    public void MissingDirectoryIsAnErrorAndLeavesNoFile()
    {
        using var tmp = Written();
        var error = Exporter.Export(tmp["out"], "groups", "parquet", tmp["no/such/dir/g.parquet"]);
        Assert.NotNull(error);
        Assert.Contains("cannot write", error!.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.False(Directory.Exists(tmp["no"]));
        Assert.Empty(Directory.GetFiles(tmp.Path, "*", SearchOption.TopDirectoryOnly));
    }

    [Fact]
    public void ReadErrorMidTableRemovesTheTemporaryFileAndKeepsTheOldOne()
    {
        // 3000 groups in chunks of 1024: the third chunk is garbled, so row groups of 500 have been
        // written to the temporary file when the reader fails.
        using var tmp = new TempDir();
        Assert.Null(OutputWriter.Write(tmp["out"], OutputRoundTripTests.Large(3000)));
        var third = OutputRoundTripTests.ReadIndex(tmp["out/groups.idx"]).Chunks(2)!.Value;
        var bytes = File.ReadAllBytes(tmp["out/groups.fb"]);
        for (long i = third.Offset + 40; i < third.Offset + 120; i++) bytes[i] = 0x7f;
        File.WriteAllBytes(tmp["out/groups.fb"], bytes);
        File.WriteAllText(tmp["g.parquet"], "old");

        var error = Exporter.Export(tmp["out"], "groups", "parquet", tmp["g.parquet"], 500);
        Assert.NotNull(error);
        Assert.StartsWith("cannot export groups", error!.Message);
        Assert.Equal("old", File.ReadAllText(tmp["g.parquet"]));
        Assert.Empty(Directory.GetFiles(tmp.Path, "g.parquet.tmp-*"));
    }

    [Fact]
    public async Task CommandLineWritesParquetAndFailsWithOneLine()
    {
        using var tmp = Written();
        var ok = WdbProcess.Run("export", tmp["out"], "--table", "members", "--format", "parquet", "--out", tmp["m.parquet"]);
        Assert.True(ok.Exit == 0, ok.Stderr);
        Assert.Equal(11, (await ReadParquet(tmp["m.parquet"])).RowGroupRows.Sum());

        var bad = WdbProcess.Run("export", tmp["out"], "--table", "members", "--format", "parquet", "--out", tmp["nowhere/m.parquet"]);
        Assert.Equal(3, bad.Exit);
        Assert.Single(bad.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("wdb export: cannot write", bad.Stderr);
        Assert.False(Directory.Exists(tmp["nowhere"]));
    }
}
