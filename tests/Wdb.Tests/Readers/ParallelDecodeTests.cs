using System.Globalization;
using System.Text;
using Wdb.Core;
using Wdb.IO;
using static Wdb.Tests.Readers.ReaderTestSupport;

namespace Wdb.Tests.Readers;

/// <summary>
/// Rows are decoded on other cores in batches (ParallelDecoder). The sequential decode is the
/// reference: on files of many batches, with bad rows of every kind scattered through them
/// (some rejected by the format sink as lines are read, some by the decoder in a batch), both
/// must give the same rows in the same order, the same rejects in line order and the same counts.
/// </summary>
public class ParallelDecodeTests
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const int Rows = 21_000;   // five batches and a part

    [Fact]
    public void CsvWithScatteredBadRowsDecodesAsSequentially()
    {
        var rnd = new Random(5);
        var sb = new StringBuilder("cntr,scan_key,ra,dec,j_m,j_msigcom,jdate,note\n");
        for (int i = 0; i < Rows; i++)
        {
            string ra = (rnd.NextDouble() * 360).ToString("R", Inv), note = "x";
            switch (rnd.Next(60))
            {
                case 0: sb.Append(Inv, $"{i},7,{ra},1.5,12.5,0.1,2451000.5,x,extra\n"); continue;   // sink: field count
                case 1: ra = "1.2.3"; break;                                                          // decoder: number
                case 2: ra = ""; break;                                                               // decoder: required
                case 3: ra = "400"; break;                                                            // decoder: range
                case 4: note = "\"two\nlines, quoted\""; break;                                       // multi-line record
                case 5: note = "\"quoted, \"\"comma\"\"\""; break;                                    // unquoted copy of the text
                case 6: sb.Append(Inv, $"{i},7,{ra},1.5,12.5,0.1,2451000.5,caf\xe9\n"); continue;     // é: non-ASCII path
            }
            sb.Append(Inv, $"{i},{rnd.Next(100)},{ra},{rnd.NextDouble() * 180 - 90:R},{10 + rnd.NextDouble() * 6:R},0.05,{2451000 + rnd.NextDouble() * 1000:R},{note}\n");
        }
        sb.Append("99999999,1,10.0,1.0,12.0");   // last line cut short, no newline
        var bytes = Encoding.UTF8.GetBytes(sb.ToString()).ToList();
        // Invalid UTF-8 in two data rows: rejected by the sink.
        foreach (int at in new[] { bytes.Count / 3, 2 * bytes.Count / 3 })
        {
            int lineStart = bytes.LastIndexOf((byte)'\n', at) + 1;
            bytes[lineStart + 1] = 0xff;
        }
        AssertSameAsSequential("scattered.csv", bytes.ToArray(), minRejectKinds: 5);
    }

    [Fact]
    public void IpacWithScatteredBadRowsDecodesAsSequentially()
    {
        var rnd = new Random(6);
        var sb = new StringBuilder("\\ fixture\n|      cntr|  scan_key|                      ra|                     dec|       j_m|     jdate|\n|      long|       int|                  double|                  double|     float|    double|\n");
        for (int i = 0; i < Rows; i++)
        {
            string ra = (rnd.NextDouble() * 360).ToString("R", Inv), dec = (rnd.NextDouble() * 20).ToString("F6", Inv);
            switch (rnd.Next(60))
            {
                case 0: ra = "abc"; break;
                case 1: dec = "95.0"; break;
                case 2: sb.Append(Inv, $" {i,10} {7,10} {ra,24} {dec,24} {12.5,10} {2451000.5,10} trailing\n"); continue;
            }
            sb.Append(Inv, $" {i,10} {rnd.Next(100),10} {ra,24} {dec,24} {10 + rnd.NextDouble() * 6,10:F3} {2451000.5,10:F1} \n");
        }
        AssertSameAsSequential("scattered.tbl", Encoding.UTF8.GetBytes(sb.ToString()), minRejectKinds: 3);
    }

    [Fact]
    public void BulkWithScatteredBadRowsDecodesAsSequentially()
    {
        var rnd = new Random(7);
        var sb = new StringBuilder();
        for (int i = 0; i < Rows; i++)
        {
            string ra = (rnd.NextDouble() * 360).ToString("R", Inv), mag = (10 + rnd.NextDouble() * 6).ToString("R", Inv);
            switch (rnd.Next(60))
            {
                case 0: sb.Append(Inv, $"{i}|1|{ra}|1.0|\\N\n"); continue;
                case 1: mag = "inf"; break;
                case 2: ra = "-1"; break;
            }
            sb.Append(Inv, $"{i}|{rnd.Next(100)}|{ra}|{rnd.NextDouble() * 10:R}|\\N|\\N|\\N|2451000.5|{mag}|0.05|\\N|\\N|\\N|\\N|\\N|\\N|\\N|AAA|222|111|000|060606|\\N\n");
        }
        AssertSameAsSequential("scattered.bulk", Encoding.UTF8.GetBytes(sb.ToString()), minRejectKinds: 3);
    }

    private static void AssertSameAsSequential(string name, byte[] content, int minRejectKinds)
    {
        using var t = new TempDir();
        string path = t.Write(name, content);
        var (seq, seqBlock) = Read(path, new ReadOptions { SequentialDecode = true });
        var (par, parBlock) = Read(path, new ReadOptions());
        Assert.Null(seq.Error);
        Assert.Null(par.Error);
        // Not vacuous: many rows, several batches, rejects of several kinds from both stages.
        Assert.True(seq.RowsAccepted > 4 * 4096, $"{seq.RowsAccepted} rows");
        Assert.True(seq.Rejects.Select(r => r.Reason).Distinct().Count() >= minRejectKinds,
            string.Join(", ", seq.Rejects.Select(r => r.Reason).Distinct()));

        Assert.Equal(seq.RowsRead, par.RowsRead);
        Assert.Equal(seq.RowsAccepted, par.RowsAccepted);
        Assert.Equal(seq.Rejects, par.Rejects);
        Assert.Equal(Columns(seqBlock), Columns(parBlock));
    }

    /// <summary>Every column of the block as the bits of its values, row by row.</summary>
    private static List<string> Columns(ExtractionBlock b)
    {
        var rows = new List<string>(b.Count);
        for (int i = 0; i < b.Count; i++)
        {
            var s = new StringBuilder();
            s.Append(Inv, $"{b.Cntr[i]} {b.ScanKey[i]} {BitConverter.DoubleToInt64Bits(b.Ra[i])} {BitConverter.DoubleToInt64Bits(b.Dec[i])} ");
            s.Append(Inv, $"{BitConverter.SingleToInt32Bits(b.ErrMaj[i])} {BitConverter.SingleToInt32Bits(b.ErrMin[i])} {BitConverter.SingleToInt32Bits(b.ErrAng[i])} ");
            s.Append(Inv, $"{BitConverter.DoubleToInt64Bits(b.JDate[i])} {b.Ndet[i]} {BitConverter.SingleToInt32Bits(b.Prox[i])} {b.MpFlg[i]} {b.GalContam[i]} {b.Truth[i]} {b.FileIndex[i]} {b.Line[i]}");
            foreach (var band in b.Bands)
                s.Append(Inv, $" {BitConverter.SingleToInt32Bits(band.Mag[i])} {BitConverter.SingleToInt32Bits(band.Sig[i])} {BitConverter.SingleToInt32Bits(band.Snr[i])} {band.PhQual[i]} {band.RdFlg[i]} {band.BlFlg[i]} {band.CcFlg[i]}");
            rows.Add(s.ToString());
        }
        return rows;
    }
}

public class RejectedRowLeavesNothingBehindTests
{
    [Fact]
    public void ARowAfterARejectedOneKeepsItsNulls()
    {
        // dec is the last column: the rejected rows had every other value stored before
        // failing. Each following row leaves every optional column null.
        var sb = new StringBuilder("cntr,scan_key,ra,err_maj,jdate,j_m,j_msigcom,ph_qual,ndet,dec\n");
        for (int i = 0; i < 3000; i++)
        {
            sb.Append(i).Append(",5,10.0,0.3,2451000.5,12.5,0.1,AAA,123456,95.0\n");   // dec out of range: rejected
            sb.Append(i + 100_000).Append(",6,11.0,,,,,,,-1.0\n");
        }
        using var t = new TempDir();
        string path = t.Write("rejects-then-nulls.csv", sb.ToString());
        foreach (var options in new[] { new ReadOptions(), new ReadOptions { SequentialDecode = true } })
        {
            var (result, b) = Read(path, options);
            Assert.Equal(3000, result.Rejects.Count);
            Assert.Equal(3000, b.Count);
            for (int r = 0; r < b.Count; r++)
            {
                Assert.True(float.IsNaN(b.ErrMaj[r]) && double.IsNaN(b.JDate[r]) && float.IsNaN(b.Bands[0].Mag[r]), $"row {r}");
                Assert.Equal((-1, (byte)0), (b.Ndet[r], b.Bands[0].PhQual[r]));
            }
        }
    }
}
