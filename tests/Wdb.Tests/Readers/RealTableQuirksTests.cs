using Wdb.Core;
using Wdb.IO;
using static Wdb.Tests.Readers.ReaderTestSupport;

namespace Wdb.Tests.Readers;

/// <summary>
/// What real 2MASS working-database files look like once they have passed through the tools astronomers use
/// (TOPCAT/STILTS, pandas, IRSA's writers): each quirk read as the table meant it, or rejected where it can be found.
/// </summary>
public class RealTableQuirksTests
{
    [Fact]
    public void Flags_a_tool_wrote_as_integers_keep_each_digit_with_its_band()
    {
        // pandas and STILTS read rd_flg "022" as the number 22 and write it back so: the J upper limit's '0' is the
        // digit that went, and reading "22" from the left would make J a detection (and leave Ks unflagged).
        using var t = new TempDir();
        string path = t.Write("ints.csv",
            "cntr,scan_key,ra,dec,j_m,h_m,k_m,ph_qual,rd_flg,bl_flg,cc_flg\n" +
            "1,7,10.0,20.0,17.9,14.5,14.2,,22,11,0\n" +       // was 022, 011, 000
            "2,8,10.0,20.0,17.9,16.8,14.2,,2,1,0\n" +         // was 002, 001
            "3,9,10.0,20.0,15.0,14.5,14.2,AB,222,111,0d0\n"); // letters and full flags as they were
        var (r, b) = Read(path);
        Assert.Null(r.Error);
        Assert.Equal(3, b.Count);

        Assert.Equal("022"u8.ToArray(), Flags(b, 0, c => c.RdFlg));
        Assert.Equal("011"u8.ToArray(), Flags(b, 0, c => c.BlFlg));
        Assert.Equal("000"u8.ToArray(), Flags(b, 0, c => c.CcFlg));
        Assert.False(b[Band.J].IsDetection(0));
        Assert.True(b[Band.H].IsDetection(0));
        Assert.True(b[Band.K].IsDetection(0));

        Assert.Equal("002"u8.ToArray(), Flags(b, 1, c => c.RdFlg));
        Assert.Equal("001"u8.ToArray(), Flags(b, 1, c => c.BlFlg));
        Assert.False(b[Band.J].IsDetection(1));
        Assert.False(b[Band.H].IsDetection(1));
        Assert.True(b[Band.K].IsDetection(1));

        // A short flag of letters is no integer: its characters stay J first, the bands it lacks absent.
        Assert.Equal(new byte[] { (byte)'A', (byte)'B', 0 }, Flags(b, 2, c => c.PhQual));
        Assert.Equal("0d0"u8.ToArray(), Flags(b, 2, c => c.CcFlg));
        Assert.Equal("222"u8.ToArray(), Flags(b, 2, c => c.RdFlg));
    }

    [Fact]
    public void A_first_column_null_written_backslash_N_is_a_row_not_an_ipac_comment()
    {
        // IPAC comment lines begin with '\'; so does a row whose first column is null written as IRSA writes nulls.
        // Such rows were dropped unseen, before the first data row and among the rows alike.
        using var t = new TempDir();
        string text =
            "\\fixlen = T\n" +
            "|   j_m|  cntr|scan_key|     ra|   dec|\n" +
            "|  real|   int|    long| double|double|\n" +
            "|      |      |        |    deg|   deg|\n" +
            "|    \\N|  null|    null|   null|  null|\n" +
            "     \\N      1        7 10.0000 20.000\n" +
            " 15.000      2        8 10.0001 20.000\n" +
            " \\N          3        9 10.0002 20.000\n" +
            "\\ a comment among the rows is still one\n" +
            "\\N           4       10 10.0003 20.000\n" +
            " 15.200      5       11 10.0004 20.000\n";
        var (r, b) = Read(t.Write("nullfirst.tbl", text));
        Assert.Null(r.Error);
        Assert.Equal(5, r.RowsRead);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], b.Cntr.Take(b.Count));
        Assert.Equal([6L, 7L, 8L, 10L, 11L], b.Line.Take(b.Count));
        Assert.True(float.IsNaN(b[Band.J].Mag[0]));
        Assert.Equal(15.0f, b[Band.J].Mag[1]);
        Assert.True(float.IsNaN(b[Band.J].Mag[3]));

        // With one header row, no declared nulls: the same; and a null where a value is required is its row's reject.
        string bare = "|   j_m|  cntr|scan_key|     ra|   dec|\n" +
                      "     \\N      1        7 10.0000 20.000\n" +
                      "\\N          \\N         8 10.0001 20.000\n";
        var (r2, b2) = Read(t.Write("bare.tbl", bare));
        Assert.Null(r2.Error);
        Assert.Equal(2, r2.RowsRead);
        Assert.Equal([1L], b2.Cntr.Take(b2.Count));
        Assert.Equal([(3L, 13, RejectReason.MissingRequiredValue)], r2.Rejects.Select(x => (x.Line, x.Column, x.Reason)));
    }

    [Fact]
    public void A_survey_date_a_tool_wrote_as_an_integer_is_the_yymmdd_it_was()
    {
        // 2MASS observed into 2001: yymmdd dates of 2000 and 2001 begin with 0, which pandas and STILTS drop when
        // they read the column as a number (000315 -> 315). Those rows were rejected, a third of the survey's nights.
        using var t = new TempDir();
        string path = t.Write("intdates.csv",
            "cntr,hemis,date,scan,ra,dec\n" +
            "1,n,315,12,10.0,20.0\n" +        // 2000-03-15
            "2,s,1231,13,10.0,20.0\n" +       // 2000-12-31
            "3,n,10215,14,10.0,20.0\n" +      // 2001-02-15
            "4,n,981021,15,10.0,20.0\n" +
            "5,n,10229,16,10.0,20.0\n" +      // 2001-02-29: no such day
            "6,n,12,17,10.0,20.0\n");         // two digits: no date
        var (r, b) = Read(path);
        Assert.Equal([1L, 2L, 3L, 4L], b.Cntr.Take(b.Count));
        Assert.Equal([ScanKeys.FromSurvey((byte)'n', 315, 12), ScanKeys.FromSurvey((byte)'s', 1231, 13),
            ScanKeys.FromSurvey((byte)'n', 10215, 14), ScanKeys.FromSurvey((byte)'n', 981021, 15)], b.ScanKey.Take(b.Count));
        Assert.Equal([(6L, 5), (7L, 5)], r.Rejects.Select(x => (x.Line, x.Column)));
        Assert.All(r.Rejects, x => Assert.StartsWith("expected a date (yymmdd or yyyy-mm-dd) in column 'date'", x.Detail));
    }

    [Fact]
    public void A_flag_longer_than_three_characters_is_its_rows_reject_unless_the_rest_is_blanks()
    {
        // A flag has one character per band: "AAAU" (a shifted or merged column) was cut to "AAA" and read as a
        // clean detection in every band. Blanks after the three (IPAC padding, "AAA " in a CSV) are padding.
        using var t = new TempDir();
        string csv = t.Write("long.csv",
            "cntr,scan_key,ra,dec,ph_qual,rd_flg,bl_flg,cc_flg\n" +
            "1,7,10.0,20.0,AAA,222,111,000\n" +
            "2,7,10.1,20.0,AAAU,222,111,000\n" +
            "3,7,10.2,20.0,\"AAA  \",222,111,000\n" +
            "4,7,10.3,20.0,AAA,2220,111,000\n" +
            "5,7,10.4,20.0,AAA,222,111,0 0 0\n");
        string tbl = t.Write("long.tbl",
            "| cntr|scan_key|   ra|  dec|ph_qual|rd_flg|\n" +
            "     1        7  10.0  20.0     AAA    222\n" +
            "     2        7  10.1  20.0    AAAU    222\n" +
            "     3        7  10.2  20.0  AAA      222\n" +
            "     4        7  10.3  20.0  A A A   222\n");
        foreach (bool rowByRow in new[] { false, true })
        {
            var (r, b) = ReadTuned(csv, rowByRow);
            Assert.Equal([1L, 3L], b.Cntr.Take(b.Count));
            Assert.Equal("AAA"u8.ToArray(), Flags(b, 1, c => c.PhQual));
            Assert.Equal([(3L, 15, "ph_qual", 2L), (5L, 19, "rd_flg", 4L), (6L, 27, "cc_flg", 5L)],
                r.Rejects.Select(x => (x.Line, x.Column, x.Detail.Split('\'')[1], x.Cntr ?? 0)));
            Assert.All(r.Rejects, x => Assert.Equal(RejectReason.FlagTooLong, x.Reason));
            Assert.Equal("a flag of one character per band (J, H, Ks) in column 'ph_qual' has 4 characters, got 'AAAU'", r.Rejects[0].Detail);

            var (ri, bi) = ReadTuned(tbl, rowByRow);
            Assert.Equal([1L, 3L], bi.Cntr.Take(bi.Count));
            Assert.Equal("AAA"u8.ToArray(), Flags(bi, 1, c => c.PhQual));
            Assert.Equal([(3L, 32), (5L, 30)], ri.Rejects.Select(x => (x.Line, x.Column)));
        }
        Assert.Equal("flag_too_long", RejectReasons.Name(RejectReason.FlagTooLong));
    }

    private const string IpacHeader =
        "\\fixlen = T\n" +
        "\\ catalog = fp_psc\n" +
        "| cntr|scan_key|     ra|    dec|\n" +
        "|  int|    long| double| double|\n" +
        "|     |        |    deg|    deg|\n" +
        "| null|    null|   null|   null|\n";

    private static string IpacRows(int from, int count)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = from; i < from + count; i++) sb.Append($"{i,6}{7,9}{10 + i * 0.001,8:F4}{20.0,8:F4}\n");
        return sb.ToString();
    }

    [Fact]
    public void Two_ipac_tables_joined_with_cat_are_read_as_one_when_their_headers_are_the_same()
    {
        // cat a.tbl b.tbl: b's '\' lines and its four '|' rows sit among the rows. They were rows: rejected with
        // "value crosses the '|'" and counted as rows read. The same header again is now skipped, and counted.
        using var t = new TempDir();
        string text = IpacHeader + IpacRows(1, 300) + IpacHeader + IpacRows(301, 300) + IpacHeader + IpacRows(601, 5);
        string path = t.Write("joined.tbl", text);
        foreach (var tuning in new[] { new ReaderTuning(1 << 20, 0, RowByRow: true), new ReaderTuning(1 << 20, 0), new ReaderTuning(700, 3), new ReaderTuning(97, 2) })
        {
            var block = new ExtractionBlock(16);
            var r = ExtractionReader.Read(path, 0, new ReadOptions(), block, tuning);
            Assert.Null(r.Error);
            Assert.Empty(r.Rejects);
            Assert.Equal(605, r.RowsRead);
            Assert.Equal(Enumerable.Range(1, 605).Select(i => (long)i), block.Cntr.Take(block.Count));
            Assert.Equal(2, r.RepeatedHeaders);
            Assert.Equal(309, r.FirstRepeatedHeaderLine);   // 6 header lines, 300 rows, the second table's two '\' lines
            Assert.Equal(3, r.HeaderLine);
            Assert.Equal(6 + 300 + 6 + 1, block.Line[300]);
        }
    }

    [Fact]
    public void A_second_ipac_header_that_differs_from_the_first_stops_the_read_where_it_differs()
    {
        using var t = new TempDir();
        // Same '|' columns, another column order: its rows would be read as the first table's columns.
        string swapped = IpacHeader.Replace("|     ra|    dec|", "|    dec|     ra|");
        // Other '|' columns: its rows would be cut at the first header's.
        string wider = IpacHeader.Replace("| cntr|", "|  cntr|").Replace("|  int|", "|   int|").Replace("|     |", "|      |").Replace("| null|", "|  null|");
        // The same names in a different unit.
        string radians = IpacHeader.Replace("|    deg|    deg|", "|    rad|    rad|");
        var cases = new (string Second, long Line, int Column, string Message)[]
        {
            (swapped, 109, 17, "a second IPAC header, its name of column 3 'dec' where the first header's (line 3) is 'ra'"),
            (wider, 109, 8, "a second IPAC header, its '|' at column 8 where the first header's (line 3) is at column 7"),
            (radians, 111, 17, "a second IPAC header, its unit of column 3 'rad' where the first header's (line 5) is 'deg'"),
        };
        foreach (var (second, line, column, message) in cases)
        {
            string path = t.Write("two.tbl", IpacHeader + IpacRows(1, 100) + second + IpacRows(101, 100));
            foreach (var tuning in new[] { new ReaderTuning(1 << 20, 0), new ReaderTuning(300, 3) })
            {
                var block = new ExtractionBlock(16);
                var r = ExtractionReader.Read(path, 0, new ReadOptions(), block, tuning);
                Assert.NotNull(r.Error);
                Assert.Equal((line, column, message), (r.Error.Line, r.Error.Column, r.Error.Message[..message.Length]));
                Assert.Equal(message + ": the file holds two tables with different columns; split them into a file each", r.Error.Message);
            }
        }
    }

    /// <summary>Read batched (column by column where the values allow) or strictly row by row.</summary>
    private static (FileReadResult Result, ExtractionBlock Block) ReadTuned(string path, bool rowByRow)
    {
        var block = new ExtractionBlock(16);
        var result = ExtractionReader.Read(path, 0, new ReadOptions(), block, new ReaderTuning(1 << 20, 0, RowByRow: rowByRow));
        Assert.Equal(result.RowsRead, result.RowsAccepted + result.Rejects.Count);
        return (result, block);
    }

    private static byte[] Flags(ExtractionBlock b, int row, Func<BandColumns, byte[]> column) =>
        [column(b[Band.J])[row], column(b[Band.H])[row], column(b[Band.K])[row]];
}
