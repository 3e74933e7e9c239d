using System.Globalization;
using System.IO.Compression;
using System.Text;
using CsCheck;
using Wdb.Core;
using Wdb.IO;

namespace Wdb.Tests.Synthetic;

public sealed class TextWriterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "wdb-textwriter-" + Guid.NewGuid().ToString("N"));

    public TextWriterTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("t.csv", true)]
    [InlineData("t.csv", false)]
    [InlineData("t.tbl", true)]
    [InlineData("t.bulk", false)]
    [InlineData("t.psv.gz", false)]
    [InlineData("t.csv.gz", true)]
    public void Generated_rows_round_trip_bit_for_bit(string name, bool withTruth)
    {
        var (block, truth) = SyntheticSky.GenerateWithTruth(new GeneratorOptions(SkyKind.CalTile, 40, 21, Scans: 30));
        string path = Path.Combine(_dir, name);
        TableTextWriter.Write(block, withTruth ? truth : null, path);

        var table = MiniTable.Read(path);
        bool truthExpected = withTruth && !name.Contains(".psv") && !name.Contains(".bulk");
        var expectedNames = TableTextWriter.WdbColumns.Concat(truthExpected ? TableTextWriter.TruthColumns : []).ToArray();
        if (table.Names != null) Assert.Equal(expectedNames, table.Names);
        Assert.Equal(block.Count, table.Rows.Count);
        for (int i = 0; i < block.Count; i++)
        {
            string?[] f = table.Rows[i];
            Assert.Equal(expectedNames.Length, f.Length);
            Assert.Equal(block.Cntr[i], long.Parse(f[0]!, CultureInfo.InvariantCulture));
            Assert.Equal(block.ScanKey[i], long.Parse(f[1]!, CultureInfo.InvariantCulture));
            AssertBits(block.Ra[i], f[2]); AssertBits(block.Dec[i], f[3]);
            AssertBits(block.ErrMaj[i], f[4]); AssertBits(block.ErrMin[i], f[5]); AssertBits(block.ErrAng[i], f[6]);
            AssertBits(block.JDate[i], f[7]);
            for (int b = 0; b < 3; b++)
            {
                var c = block.Bands[b];
                AssertBits(c.Mag[i], f[8 + 3 * b]); AssertBits(c.Sig[i], f[9 + 3 * b]); AssertBits(c.Snr[i], f[10 + 3 * b]);
                Assert.Equal(c.PhQual[i], (byte)f[17]![b]); Assert.Equal(c.RdFlg[i], (byte)f[18]![b]);
                Assert.Equal(c.BlFlg[i], (byte)f[19]![b]); Assert.Equal(c.CcFlg[i], (byte)f[20]![b]);
            }
            Assert.Equal(6, f[21]!.Length);
            Assert.Equal(block.Ndet[i], int.Parse(f[21]!, CultureInfo.InvariantCulture));
            Assert.Equal(block.Truth[i], long.Parse(f[22]!, CultureInfo.InvariantCulture));
            if (truthExpected)
            {
                AssertBits(truth.PmRa[i], f[23]); AssertBits(truth.PmDec[i], f[24]); AssertBits(truth.VarAmp[i], f[25]);
            }
        }
    }

    [Fact]
    public void Bulk_has_profile_order_backslash_N_nulls_and_no_header()
    {
        var b = new ExtractionBlock();
        int i = b.AddRow();
        b.Cntr[i] = 42; b.ScanKey[i] = 7; b.Ra[i] = 359.999999; b.Dec[i] = -89.5; b.Truth[i] = -1;
        b.Ndet[i] = 60606;
        b.Bands[0].Mag[i] = 15.25f; b.Bands[0].PhQual[i] = (byte)'A'; b.Bands[1].PhQual[i] = (byte)'U'; b.Bands[2].PhQual[i] = (byte)'U';
        string path = Path.Combine(_dir, "one.txt");
        TableTextWriter.Write(b, path);
        string text = File.ReadAllText(path);
        Assert.Equal("42|7|359.999999|-89.5|\\N|\\N|\\N|\\N|15.25|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|AUU|\\N|\\N|\\N|060606|-1\n", text);
    }

    [Fact]
    public void Csv_writes_nulls_as_empty_fields_with_a_header()
    {
        var b = new ExtractionBlock();
        int i = b.AddRow();
        b.Cntr[i] = 1; b.ScanKey[i] = 2; b.Ra[i] = 0.5; b.Dec[i] = 1e-7; b.JDate[i] = 2451000.125;
        string path = Path.Combine(_dir, "one.csv");
        TableTextWriter.Write(b, path);
        string[] lines = File.ReadAllLines(path);
        Assert.Equal(string.Join(',', TableTextWriter.WdbColumns), lines[0]);
        Assert.Equal("1,2,0.5,1E-07,,,,2451000.125,,,,,,,,,,,,,,,-1", lines[1]);
    }

    [Fact]
    public void Unusual_values_still_round_trip()
    {
        var b = new ExtractionBlock();
        double[] ras = [0.0, -0.0, 1e-300, 123456789.123, 359.99999999999994, double.Epsilon, 1.0 / 3.0];
        float[] mags = [-0.0f, 1e-30f, float.MaxValue, 0.1f, 16777217f, 99.999f, float.Epsilon];
        for (int k = 0; k < ras.Length; k++)
        {
            int i = b.AddRow();
            b.Cntr[i] = long.MaxValue - k; b.ScanKey[i] = long.MinValue + k;
            b.Ra[i] = ras[k]; b.Bands[1].Mag[i] = mags[k];
        }
        foreach (string name in new[] { "u.csv", "u.tbl", "u.bulk.gz" })
        {
            string path = Path.Combine(_dir, name);
            TableTextWriter.Write(b, path);
            var t = MiniTable.Read(path);
            for (int k = 0; k < ras.Length; k++)
            {
                Assert.Equal(b.Cntr[k], long.Parse(t.Rows[k][0]!, CultureInfo.InvariantCulture));
                Assert.Equal(b.ScanKey[k], long.Parse(t.Rows[k][1]!, CultureInfo.InvariantCulture));
                AssertBits(ras[k], t.Rows[k][2]);
                AssertBits(mags[k], t.Rows[k][11]);
            }
        }
    }

    [Fact]
    public void Fast_decimal_path_matches_dotnet_round_trip_formatting()
    {
        Gen.Double.Select(Gen.Int[0, 9], Gen.Int[-4, 9]).Sample((d, k, e) =>
        {
            var buf = new byte[64];   // Sample runs on several threads
            foreach (double v in new[] { d, Math.Round(d % 1.0 * Math.Pow(10, e), k) })
            {
                if (double.IsFinite(v) && ShortestDecimal.TryWrite(v, buf, out int n))
                    Assert.Equal(v.ToString("R", CultureInfo.InvariantCulture), Encoding.ASCII.GetString(buf, 0, n));
                float f = (float)v;
                if (float.IsFinite(f) && ShortestDecimal.TryWrite(f, buf, out n))
                    Assert.Equal(f.ToString("R", CultureInfo.InvariantCulture), Encoding.ASCII.GetString(buf, 0, n));
            }
        }, iter: 20000);
        // Values of the generated tables take the fast path.
        var buf = new byte[64];
        Assert.True(ShortestDecimal.TryWrite(180.029598, buf, out int w) && Encoding.ASCII.GetString(buf, 0, w) == "180.029598");
        Assert.True(ShortestDecimal.TryWrite(12.345f, buf, out w) && Encoding.ASCII.GetString(buf, 0, w) == "12.345");
        Assert.True(ShortestDecimal.TryWrite(2451187.29361, buf, out w) && Encoding.ASCII.GetString(buf, 0, w) == "2451187.29361");
    }

    [Fact]
    public void Writing_is_atomic_and_replaces_an_existing_file()
    {
        string path = Path.Combine(_dir, "a.csv");
        File.WriteAllText(path, "old");
        var b = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 100, 1));
        TableTextWriter.Write(b, path);
        Assert.StartsWith("cntr,", File.ReadAllText(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_dir));

        // A failure mid-write leaves the old file and no temporary behind.
        IEnumerable<(ExtractionBlock, SyntheticTruth?)> Failing()
        {
            yield return (b, null);
            throw new InvalidOperationException("boom");
        }
        Assert.Throws<InvalidOperationException>(() => TableTextWriter.Write(Failing(), path));
        Assert.StartsWith("cntr,", File.ReadAllText(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_dir));
        Assert.Throws<ArgumentException>(() => TableTextWriter.Write(b, Path.Combine(_dir, "x.fits")));
    }

    [Fact]
    public void GenerateToFile_writes_the_same_table_as_generate_then_write()
    {
        var o = new GeneratorOptions(SkyKind.CalTile, 30, 4, Scans: 24);
        string a = Path.Combine(_dir, "a.csv"), c = Path.Combine(_dir, "c.csv");
        long rows = SyntheticSky.GenerateToFile(o, a, chunkRows: 100);
        var (block, truth) = SyntheticSky.GenerateWithTruth(o);
        TableTextWriter.Write(block, truth, c);
        Assert.Equal(block.Count, rows);
        Assert.Equal(File.ReadAllBytes(c), File.ReadAllBytes(a));
    }

    [Fact]
    public void Parallel_formatting_of_a_large_block_equals_chunked_sequential_writing()
    {
        var o = new GeneratorOptions(SkyKind.CalTile, 100, 9, Scans: 240);   // ~26k rows: several 8k-row slices
        var (block, truth) = SyntheticSky.GenerateWithTruth(o);
        Assert.True(block.Count > 20_000);
        string whole = Path.Combine(_dir, "whole.csv"), chunked = Path.Combine(_dir, "chunked.csv");
        TableTextWriter.Write(block, truth, whole);
        TableTextWriter.Write(SyntheticSky.GenerateChunks(o, chunkRows: 5_000).Select(c => (c.Block, (SyntheticTruth?)c.Truth)), chunked);
        Assert.Equal(File.ReadAllBytes(chunked), File.ReadAllBytes(whole));
    }

    private static void AssertBits(double expected, string? field)
    {
        double got = field == null ? double.NaN : double.Parse(field, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (double.IsNaN(expected)) Assert.True(double.IsNaN(got), $"expected null, got '{field}'");
        else Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(got));
    }

    private static void AssertBits(float expected, string? field)
    {
        float got = field == null ? float.NaN : float.Parse(field, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (float.IsNaN(expected)) Assert.True(float.IsNaN(got), $"expected null, got '{field}'");
        else Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(got));
    }
}

/// <summary>
/// A deliberately simple, independent reader of the three layouts (not the production
/// reader): split on the delimiter, or cut IPAC lines at the header's `|` positions. Nulls
/// come back as null.
/// </summary>
internal sealed class MiniTable
{
    public string[]? Names;
    public List<string?[]> Rows = [];

    public static MiniTable Read(string path)
    {
        Stream s = File.OpenRead(path);
        if (path.EndsWith(".gz", StringComparison.Ordinal)) s = new GZipStream(s, CompressionMode.Decompress);
        string[] lines;
        using (var r = new StreamReader(s)) lines = r.ReadToEnd().Split('\n');
        if (lines[^1] == "") lines = lines[..^1];
        string bare = path.EndsWith(".gz", StringComparison.Ordinal) ? path[..^3] : path;
        var t = new MiniTable();
        if (bare.EndsWith(".csv", StringComparison.Ordinal))
        {
            t.Names = lines[0].Split(',');
            foreach (string line in lines.Skip(1)) t.Rows.Add(line.Split(',').Select(x => x.Length == 0 ? null : x).ToArray());
        }
        else if (bare.EndsWith(".tbl", StringComparison.Ordinal))
        {
            var header = lines.Where(l => l.StartsWith('|')).ToArray();
            var bars = new List<int>();
            for (int p = 0; p < header[0].Length; p++) if (header[0][p] == '|') bars.Add(p);
            t.Names = Cut(header[0]).Select(x => x!).ToArray();
            string?[] nulls = Cut(header[3]);
            foreach (string line in lines.Where(l => !l.StartsWith('|') && !l.StartsWith('\\')))
            {
                Assert.Equal(header[0].Length, line.Length);
                var cells = Cut(line);
                for (int c = 0; c < cells.Length; c++) if (cells[c] == nulls[c]) cells[c] = null;
                t.Rows.Add(cells);
            }

            string?[] Cut(string line)
            {
                var cells = new string?[bars.Count - 1];
                for (int c = 0; c + 1 < bars.Count; c++) cells[c] = line[(bars[c] + 1)..bars[c + 1]].Trim();
                return cells;
            }
        }
        else
        {
            foreach (string line in lines) t.Rows.Add(line.Split('|').Select(x => x == "\\N" ? null : x).ToArray());
        }
        return t;
    }
}
