using System.Text;
using CsCheck;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;
using static Wdb.Tests.Robustness.RobustSupport;

namespace Wdb.Tests.Robustness;

/// <summary>
/// Random and mutated inputs through the whole <see cref="MergeJob"/>: never an unhandled
/// exception, only exit 0 (with the accounting identity) or exit 2 (with no output), and
/// valid rows come out in members.fb with the input's exact bits.
/// </summary>
public sealed class FuzzTests : IDisposable
{
    private readonly Scratch _s = new();
    private int _runs;

    public void Dispose() => _s.Dispose();

    /// <summary>One merge, checked for the invariants every outcome must keep; returns the outcome and its out dir.</summary>
    private (MergeOutcome Outcome, string OutDir) CheckedMerge(string[] inputs, bool strict)
    {
        string outDir = _s.PathOf($"out{Interlocked.Increment(ref _runs)}");
        MergeOutcome outcome;
        try
        {
            outcome = RunMerge(inputs, outDir, strict: strict);
        }
        catch (Exception e)
        {
            var names = string.Join(", ", inputs.Select(p => $"{Path.GetFileName(p)} = {Convert.ToBase64String(File.ReadAllBytes(p))}"));
            throw new Xunit.Sdk.XunitException($"MergeJob threw (strict {strict}) on {names}: {e}");
        }
        Assert.True(outcome.ExitCode is 0 or MergeJob.InputErrorExit, $"exit {outcome.ExitCode}: {outcome.Error}");
        if (outcome.ExitCode != 0)
        {
            Assert.False(string.IsNullOrWhiteSpace(outcome.Error));
            Assert.DoesNotContain('\n', outcome.Error);
            Assert.False(Directory.Exists(outDir));
            return (outcome, outDir);
        }
        var summary = Summary(outDir);
        AssertAccounting(summary);
        Assert.Equal(summary.GetProperty("rows_rejected").GetInt64(), Rejects(outDir).Count);
        using var reader = OutputReader.Open(outDir);
        Assert.Equal(summary.GetProperty("rows_merged").GetInt64(), reader.ExtractionCount);
        Assert.Equal(reader.ExtractionCount, reader.MemberCount);
        if (strict) Assert.Equal(0, summary.GetProperty("rows_rejected").GetInt64());
        return (outcome, outDir);
    }

    private sealed record Row(long Cntr, long Scan, double Ra, double Dec, float JMag, float JSig, double JDate);

    /// <summary>Rows with arbitrary full-precision values in range, unique cntr, a few scans (so groups and confusion occur).</summary>
    private static readonly Gen<Row[]> Rows =
        Gen.Select(Gen.Int[1, 60], Gen.Long, Gen.Bool).Select((n, seed, clustered) =>
        {
            var rnd = new Random((int)seed);
            var rows = new Row[n];
            for (int i = 0; i < n; i++)
            {
                // Clustered rows fall within a few arcsec so the link and confusion stages do work;
                // otherwise anywhere, poles and RA 0/360 included.
                double ra = clustered ? (359.9995 + rnd.NextDouble() * 0.001) % 360 : rnd.NextDouble() * 360;
                double dec = clustered ? -45 + rnd.NextDouble() * 0.001 : Math.Asin(2 * rnd.NextDouble() - 1) * 180 / Math.PI;
                if (rnd.Next(20) == 0) dec = rnd.Next(2) == 0 ? 90.0 : -90.0;
                if (rnd.Next(20) == 0) ra = 0.0;
                if (rnd.Next(20) == 0) ra = Math.BitDecrement(360.0);     // the largest valid ra
                if (rnd.Next(30) == 0) dec = Math.BitDecrement(90.0);
                float mag = BitConverter.Int32BitsToSingle(rnd.Next(0x41000000, 0x41A00000));   // 8..20 mag, any bits
                float sig = BitConverter.Int32BitsToSingle(rnd.Next(0x3C000000, 0x3F000000));
                rows[i] = new Row(rnd.NextInt64(1, long.MaxValue), rnd.Next(5), ra, dec, mag, sig, 2451000 + rnd.NextDouble() * 3000);
            }
            return rows.DistinctBy(r => r.Cntr).ToArray();
        });

    // IPAC: every value right-aligned in a 26-character column (a double needs at most 24).
    private const string IpacHeader =
        "|                     cntr|                 scan_key|                       ra|                      dec|" +
        "                      j_m|                j_msigcom|                    jdate|\n";

    private static string IpacLine(Row r) =>
        string.Create(Inv, $" {r.Cntr,25} {r.Scan,25} {r.Ra,25:R} {r.Dec,25:R} {r.JMag,25:R} {r.JSig,25:R} {r.JDate,25:R} \n");

    // IRSA bulk, profile 'wdb' (23 columns; see BulkReaderTests).
    private static string BulkLine(Row r) =>
        string.Create(Inv, $"{r.Cntr}|{r.Scan}|{r.Ra:R}|{r.Dec:R}|\\N|\\N|\\N|{r.JDate:R}|{r.JMag:R}|{r.JSig:R}|\\N|\\N|\\N|\\N|\\N|\\N|\\N|AAA|222|111|000|060606|\\N\n");

    private static string CsvLine(Row r) =>
        string.Create(Inv, $"{r.Cntr},{r.Scan},{r.Ra:R},{r.Dec:R},{r.JMag:R},{r.JSig:R},{r.JDate:R}\n");

    [Fact]
    public void Valid_rows_among_garbage_round_trip_bit_for_bit_into_members()
    {
        string[] garbage =
        [
            "x,1,10,20,12,0.1,2451000\n", "1,2,3\n", "5,5,NaN,20,12,0.1,2451000\n", "6,6,10,-90.5,12,0.1,2451000\n",
            "7,7,360,0,12,0.1,2451000\n", "\"8,8,10,20,12,0.1,2451000\n\"\n", "9,9,1e999,0,12,0.1,2451000\n",
        ];
        Gen.Select(Rows, Gen.Int[0, 4], Gen.Long, Gen.Int[0, 2]).Sample((rows, garbageLines, seed, format) =>
        {
            var rnd = new Random((int)seed);
            Func<Row, string> write = format switch { 0 => CsvLine, 1 => IpacLine, _ => BulkLine };
            var lines = rows.Select(write).ToList();
            for (int g = 0; g < garbageLines; g++)
                lines.Insert(rnd.Next(lines.Count + 1), format switch
                {
                    0 => garbage[rnd.Next(garbage.Length)],
                    1 => " x" + new string(' ', 200) + "\n",          // cntr not a number
                    _ => "1|2|3\n",                                  // too few fields
                });
            var sb = new StringBuilder(format switch { 0 => "cntr,scan_key,ra,dec,j_m,j_msigcom,jdate\n", 1 => IpacHeader, _ => "" });
            foreach (var l in lines) sb.Append(l);
            string ext = format switch { 0 => "csv", 1 => "tbl", _ => "bulk" };
            string input = _s.Write($"rows{Interlocked.Increment(ref _runs)}.{ext}", sb.ToString());
            var (outcome, outDir) = CheckedMerge([input], strict: false);
            Assert.Equal(0, outcome.ExitCode);
            Assert.Equal(rows.Length, outcome.Summary!.RowsMerged);

            using var reader = OutputReader.Open(outDir);
            var members = reader.Members().ToDictionary(m => m.Cntr);
            Assert.Equal(rows.Length, members.Count);
            foreach (var r in rows)
            {
                var m = members[r.Cntr];
                bool same = BitConverter.DoubleToInt64Bits(m.Ra) == BitConverter.DoubleToInt64Bits(r.Ra)
                    && BitConverter.DoubleToInt64Bits(m.Dec) == BitConverter.DoubleToInt64Bits(r.Dec)
                    && BitConverter.DoubleToInt64Bits(m.JDate) == BitConverter.DoubleToInt64Bits(r.JDate)
                    && BitConverter.SingleToInt32Bits(m.J.Mag) == BitConverter.SingleToInt32Bits(r.JMag)
                    && BitConverter.SingleToInt32Bits(m.J.Sig) == BitConverter.SingleToInt32Bits(r.JSig)
                    && m.ScanKey == r.Scan;
                Assert.True(same, $"cntr {r.Cntr}: wrote {r}, members.fb has ({m.Ra:R}, {m.Dec:R}, {m.JDate:R}, {m.J.Mag:R}, {m.J.Sig:R}, {m.ScanKey})");
            }
            Directory.Delete(outDir, true);
        }, iter: 30, threads: 1);
    }

    private static readonly byte[][] Seeds =
    [
        Encoding.UTF8.GetBytes("cntr,scan_key,ra,dec,j_m,j_msigcom,jdate\n1,1,10.0,20.0,12.0,0.02,2451000.5\n2,2,10.0001,20.0,12.1,0.02,2451001.5\n3,1,10.0002,20.0,12.2,0.03,2451000.5\n4,3,359.99999,-89.9999,15,0.1,2451002.5\n"),
        Encoding.UTF8.GetBytes("\\ fixlen\n|cntr|scan_key|ra      |dec     |j_m  |\n|long|long    |double  |double  |real |\n 1    1        10.0     20.0     12.0 \n 2    2        10.0001  20.0     12.1 \n 3    1        10.0002  20.0     null \n"),
        Encoding.UTF8.GetBytes("1001|9000123|10.1|-5.5|0.1|0.09|45|2451234.5678|15.1|0.05|20.5|14.2|0.06|18.2|13.9|0.07|15.5|AAA|222|111|000|060606|42\n1002|9000123|10.1001|-5.5|\\N|\\N|\\N|\\N|\\N|\\N|\\N|14.3|0.06|18.3|\\N|\\N|\\N|UAU|020|010|0d0|000600|\\N\n"),
    ];
    private static readonly string[] SeedNames = ["m.csv", "m.tbl", "m.bulk"];

    private static byte[] Mutate(byte[] seed, int edits, Random rnd)
    {
        var bytes = new List<byte>(seed);
        byte[] alphabet = "|,\"\\N \n\r\t-.e9+0NaInf\xff\xc3\x00"u8.ToArray();
        for (int k = 0; k < edits && bytes.Count > 0; k++)
        {
            int at = rnd.Next(bytes.Count);
            switch (rnd.Next(4))
            {
                case 0: bytes[at] = alphabet[rnd.Next(alphabet.Length)]; break;
                case 1: bytes.Insert(at, alphabet[rnd.Next(alphabet.Length)]); break;
                case 2: bytes.RemoveAt(at); break;
                default:
                    // Duplicate a whole line (duplicate cntr) or cut the file there.
                    int nl = bytes.IndexOf((byte)'\n', at);
                    if (nl < 0) bytes.RemoveRange(at, bytes.Count - at);
                    else bytes.InsertRange(nl + 1, bytes.GetRange(at, nl + 1 - at));
                    break;
            }
        }
        return bytes.ToArray();
    }

    [Fact]
    public void Mutated_files_several_at_once_never_throw_and_keep_every_invariant()
    {
        Gen.Select(Gen.Int[1, 3], Gen.Int[0, 8], Gen.Long, Gen.Bool).Sample((files, edits, seed, strict) =>
        {
            var rnd = new Random((int)seed);
            var inputs = new string[files];
            for (int f = 0; f < files; f++)
            {
                int which = rnd.Next(Seeds.Length);
                inputs[f] = _s.Write($"f{Interlocked.Increment(ref _runs)}-{SeedNames[which]}", Mutate(Seeds[which], edits, rnd));
            }
            var (outcome, outDir) = CheckedMerge(inputs, strict);
            if (outcome.ExitCode == 0) Directory.Delete(outDir, true);
        }, iter: 60, threads: 1);
    }

    [Fact]
    public void Random_bytes_as_any_format_never_throw()
    {
        Gen.Select(Gen.Byte.Array[0, 300], Gen.Int[0, SeedNames.Length - 1]).Sample((bytes, which) =>
        {
            string input = _s.Write($"r{Interlocked.Increment(ref _runs)}-{SeedNames[which]}", bytes);
            var (outcome, outDir) = CheckedMerge([input], strict: false);
            if (outcome.ExitCode == 0) Directory.Delete(outDir, true);
        }, iter: 40, threads: 1);
    }
}
