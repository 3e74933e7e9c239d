using System.Globalization;
using System.IO.Compression;
using System.Text;
using CsCheck;
using Wdb.Core;
using Wdb.IO;
using static Wdb.Tests.Readers.ReaderTestSupport;

namespace Wdb.Tests.Readers;

public class RoundTripAndRobustnessTests
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private sealed record Row(long Cntr, long ScanKey, double Ra, double Dec, float JMag, float JSig, double JDate);

    private static Row[] RandomRows(int n, int seed)
    {
        var rnd = new Random(seed);
        var rows = new Row[n];
        for (int i = 0; i < n; i++)
        {
            // Raw bit patterns rescaled into range give full-precision values; every 7th row
            // gets a short 2MASS-style value instead.
            double ra = rnd.NextDouble() * 360, dec = rnd.NextDouble() * 180 - 90;
            if (i % 7 == 0) { ra = Math.Round(ra, 6); dec = Math.Round(dec, 6); }
            float mag = i % 5 == 0 ? (float)Math.Round(rnd.NextDouble() * 10 + 8, 3) : BitConverter.Int32BitsToSingle(rnd.Next(0x3F800000, 0x41A00000));
            rows[i] = new Row(rnd.NextInt64(0, long.MaxValue), rnd.Next(), ra, dec, mag, (float)rnd.NextDouble(), 2450000 + rnd.NextDouble() * 4000);
        }
        return rows;
    }

    private static void AssertBitIdentical(Row[] rows, ExtractionBlock b)
    {
        Assert.Equal(rows.Length, b.Count);
        for (int i = 0; i < rows.Length; i++)
        {
            var r = rows[i];
            bool same = r.Cntr == b.Cntr[i] && r.ScanKey == b.ScanKey[i]
                && BitConverter.DoubleToInt64Bits(r.Ra) == BitConverter.DoubleToInt64Bits(b.Ra[i])
                && BitConverter.DoubleToInt64Bits(r.Dec) == BitConverter.DoubleToInt64Bits(b.Dec[i])
                && BitConverter.DoubleToInt64Bits(r.JDate) == BitConverter.DoubleToInt64Bits(b.JDate[i])
                && BitConverter.SingleToInt32Bits(r.JMag) == BitConverter.SingleToInt32Bits(b[Band.J].Mag[i])
                && BitConverter.SingleToInt32Bits(r.JSig) == BitConverter.SingleToInt32Bits(b[Band.J].Sig[i]);
            if (!same)
                Assert.Fail($"row {i}: wrote {r}, read ({b.Cntr[i]}, {b.ScanKey[i]}, {b.Ra[i]:R}, {b.Dec[i]:R}, {b[Band.J].Mag[i]:R}, {b[Band.J].Sig[i]:R}, {b.JDate[i]:R})");
        }
    }

    [Fact]
    public void Random_values_round_trip_bit_identically_through_csv_ipac_and_bulk()
    {
        var rows = RandomRows(3000, 11);
        using var t = new TempDir();

        var csv = new StringBuilder("cntr,scan_key,ra,dec,j_m,j_msigcom,jdate\n");
        foreach (var r in rows) csv.Append(Inv, $"{r.Cntr},{r.ScanKey},{r.Ra:R},{r.Dec:R},{r.JMag:R},{r.JSig:R},{r.JDate:R}\n");
        var (rc, bc) = Read(t.Write("rt.csv", csv.ToString()));
        Assert.Null(rc.Error);
        AssertBitIdentical(rows, bc);

        var ipac = new StringBuilder("\\ round trip\n|                cntr|  scan_key|                      ra|                     dec|             j_m|       j_msigcom|                   jdate|\n");
        foreach (var r in rows)
            ipac.Append(Inv, $" {r.Cntr,20} {r.ScanKey,10} {r.Ra,24:R} {r.Dec,24:R} {r.JMag,16:R} {r.JSig,16:R} {r.JDate,24:R} \n");
        var (ri, bi) = Read(t.Write("rt.tbl", ipac.ToString()));
        Assert.Null(ri.Error);
        AssertBitIdentical(rows, bi);

        var bulk = new StringBuilder();
        foreach (var r in rows)
            bulk.Append(Inv, $"{r.Cntr}|{r.ScanKey}|{r.Ra:R}|{r.Dec:R}|\\N|\\N|\\N|{r.JDate:R}|{r.JMag:R}|{r.JSig:R}|\\N|\\N|\\N|\\N|\\N|\\N|\\N|AAA|222|111|000|060606|\\N\n");
        var (rb, bb) = Read(t.Write("rt.bulk", bulk.ToString()));
        Assert.Null(rb.Error);
        AssertBitIdentical(rows, bb);
    }

    [Fact]
    public void Lines_that_straddle_pipe_segments_and_a_line_longer_than_a_segment_are_read_whole()
    {
        // Several MiB so that lines cross the reader's 1 MiB segments at arbitrary places,
        // plus one 2.5 MiB field (ignored column) that spans whole segments.
        var rows = RandomRows(16000, 3);
        var sb = new StringBuilder("cntr,scan_key,ra,dec,j_m,j_msigcom,jdate,note\n");
        for (int i = 0; i < rows.Length; i++)
        {
            var r = rows[i];
            string note = i == 8000 ? new string('x', 5 << 19) : "n" + i;
            sb.Append(Inv, $"{r.Cntr},{r.ScanKey},{r.Ra:R},{r.Dec:R},{r.JMag:R},{r.JSig:R},{r.JDate:R},{note}\n");
        }
        sb.Length--;   // the last line has no newline but is complete: still a row
        using var t = new TempDir();
        var (res, b) = Read(t.Write("big.csv", sb.ToString()));
        Assert.Null(res.Error);
        AssertBitIdentical(rows, b);
        for (int i = 0; i < b.Count; i += 997) Assert.Equal(i + 2, b.Line[i]);

        // Same through gzip (GZipStream hands out small reads: different straddles).
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(Encoding.UTF8.GetBytes(sb.ToString()));
        var (rg, bg) = Read(t.Write("big.csv.gz", ms.ToArray()));
        Assert.Null(rg.Error);
        AssertBitIdentical(rows, bg);
    }

    private static readonly string[] Names = ["x.csv", "x.tbl", "x.bulk", "x.unknown"];

    private static void ReadAllWays(TempDir t, byte[] bytes)
    {
        foreach (var name in Names)
        {
            string path = t.Write(Guid.NewGuid().ToString("N") + name, bytes);
            foreach (var strict in new[] { false, true })
            {
                var block = new ExtractionBlock(16);
                var r = ExtractionReader.Read(path, 0, new ReadOptions(Strict: strict), block);
                Assert.Equal(r.RowsRead, r.RowsAccepted + r.Rejects.Count);
                Assert.Equal(r.RowsAccepted, block.Count);
                Assert.Equal(bytes.Length, r.Bytes);
                for (int i = 0; i < block.Count; i++)
                {
                    Assert.True(block.Ra[i] >= 0 && block.Ra[i] < 360);
                    Assert.True(block.Dec[i] >= -90 && block.Dec[i] <= 90);
                }
                if (strict) Assert.True(r.Rejects.Count <= 1);
            }
        }
    }

    [Fact]
    public void Random_bytes_never_throw_and_the_accounting_holds()
    {
        using var t = new TempDir();
        Gen.Byte.Array[0, 400].Sample(bytes => ReadAllWays(t, bytes), iter: 100, threads: 1);
    }

    [Fact]
    public void Mutated_valid_files_never_throw_and_the_accounting_holds()
    {
        using var t = new TempDir();
        byte[][] seeds =
        [
            File.ReadAllBytes(Data("sample.csv")), File.ReadAllBytes(Data("sample.tbl")),
            File.ReadAllBytes(Data("sample_wdb.bulk")), File.ReadAllBytes(Data("one_header_row.tbl")),
        ];
        var gen = Gen.Select(Gen.Int[0, seeds.Length - 1], Gen.Int[1, 6], Gen.Long);
        gen.Sample((which, edits, seed) =>
        {
            var rnd = new Random((int)seed);
            var bytes = new List<byte>(seeds[which]);
            byte[] alphabet = "|,\"\\N \n\r\t-.e9\xff"u8.ToArray();
            for (int k = 0; k < edits && bytes.Count > 0; k++)
            {
                int at = rnd.Next(bytes.Count);
                switch (rnd.Next(3))
                {
                    case 0: bytes[at] = alphabet[rnd.Next(alphabet.Length)]; break;
                    case 1: bytes.Insert(at, alphabet[rnd.Next(alphabet.Length)]); break;
                    default: bytes.RemoveAt(at); break;
                }
            }
            if (rnd.Next(4) == 0) bytes.RemoveRange(bytes.Count / 2, bytes.Count - bytes.Count / 2);   // cut short
            ReadAllWays(t, bytes.ToArray());
        }, iter: 150, threads: 1);
    }
}
