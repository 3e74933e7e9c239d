using Wdb.Core;
using Wdb.IO;
using Wdb.IO.Readers;

namespace Wdb.Tests.Readers;

/// <summary>
/// Values at the edges of what each column takes, with the value or the reject each must give. The chunked-read tests
/// compare the column batches with the row decoder, so a fault in the row decoder alone is the reference's fault too
/// and passes there; these state the answer. Each file is read row by row and in column batches, which must agree.
/// </summary>
public class ColumnEdgeTests
{
    [Fact]
    public void A_survey_scan_number_is_below_a_million_and_a_hemisphere_is_one_letter()
    {
        // The scan id packs the scan number in six decimal digits (ScanKeys.FromSurvey): a seventh would fall into
        // the date's digits and make another scan's id. A hemisphere of two letters is no hemisphere.
        using var t = new TempDir();
        var (r, b) = ReadBothWays(t.Write("scans.csv",
            "cntr,hemis,date,scan,ra,dec\n" +
            "1,n,990203,999999,10.0,20.0\n" +
            "2,s,990203,1000000,10.0,20.0\n" +
            "3,ns,990203,5,10.0,20.0\n" +
            "4,S,990203,0,10.0,20.0\n"));
        Assert.Equal([1L, 4L], b.Cntr.Take(b.Count));
        Assert.Equal(ScanKeys.FromSurvey((byte)'n', 990203, 999999), b.ScanKey[0]);
        Assert.Equal(ScanKeys.FromSurvey((byte)'s', 990203, 0), b.ScanKey[1]);
        Assert.Equal(
            [
                (3L, 12, RejectReason.UnparsableNumber, "expected a number in column 'scan', got '1000000'"),
                (4L, 3, RejectReason.UnparsableNumber, "expected 'n' or 's' in column 'hemis', got 'ns'"),
            ],
            r.Rejects.Select(x => (x.Line, x.Column, x.Reason, x.Detail)));
    }

    [Fact]
    public void Ndet_is_at_most_six_digits()
    {
        // mnmnmn: frames with a detection out of frames seen, for J, H, Ks. A seventh digit is no ndet.
        using var t = new TempDir();
        var (r, b) = ReadBothWays(t.Write("ndet.csv",
            "cntr,scan_key,ra,dec,ndet\n" +
            "1,7,10.0,20.0,123456\n" +
            "2,7,10.0,20.0,1234567\n" +
            "3,7,10.0,20.0,060606\n"));
        Assert.Equal([1L, 3L], b.Cntr.Take(b.Count));
        Assert.Equal([123456, 60606], b.Ndet.Take(b.Count));
        var reject = Assert.Single(r.Rejects);
        Assert.Equal((3L, 15, RejectReason.UnparsableNumber, "expected a number in column 'ndet', got '1234567'", (long?)2),
            (reject.Line, reject.Column, reject.Reason, reject.Detail, reject.Cntr));
    }

    [Fact]
    public void An_infinite_magnitude_is_a_reject_and_only_the_null_spellings_are_nulls()
    {
        // A float that overflows (1e50) or says Infinity would poison its group's means; NaN, \N and null are nulls;
        // a backslash before a lower-case n is no null but text.
        using var t = new TempDir();
        var (r, b) = ReadBothWays(t.Write("mags.csv",
            "cntr,scan_key,ra,dec,j_m,h_m,k_m\n" +
            "1,7,10.0,20.0,1e50,12.0,13.0\n" +
            "2,7,10.0,20.0,12.0,-Infinity,13.0\n" +
            "3,7,10.0,20.0,\\n,12.0,13.0\n" +
            "4,7,10.0,20.0,\\N,NaN,null\n" +
            "5,7,10.0,20.0,3.4e38,-12.5,13.0\n"));
        Assert.Equal([4L, 5L], b.Cntr.Take(b.Count));
        Assert.True(float.IsNaN(b[Band.J].Mag[0]) && float.IsNaN(b[Band.H].Mag[0]) && float.IsNaN(b[Band.K].Mag[0]));
        Assert.Equal((3.4e38f, -12.5f, 13f), (b[Band.J].Mag[1], b[Band.H].Mag[1], b[Band.K].Mag[1]));
        Assert.Equal(
            [
                (2L, 15, RejectReason.UnparsableNumber, "infinite value in column 'j_m', got '1e50'"),
                (3L, 20, RejectReason.UnparsableNumber, "infinite value in column 'h_m', got '-Infinity'"),
                (4L, 15, RejectReason.UnparsableNumber, "expected a number in column 'j_m', got '\\n'"),
            ],
            r.Rejects.Select(x => (x.Line, x.Column, x.Reason, x.Detail)));
    }

    [Fact]
    public void Mp_flg_and_gal_contam_take_0_to_255()
    {
        // Kept in a byte: 256 would wrap to 0 and clear the flag instead of refusing the row.
        using var t = new TempDir();
        var (r, b) = ReadBothWays(t.Write("flags.csv",
            "cntr,scan_key,ra,dec,mp_flg,gal_contam\n" +
            "1,7,10.0,20.0,255,0\n" +
            "2,7,10.0,20.0,256,1\n" +
            "3,7,10.0,20.0,1,256\n" +
            "4,7,10.0,20.0,0,255\n"));
        Assert.Equal([1L, 4L], b.Cntr.Take(b.Count));
        Assert.Equal([(byte)255, (byte)0], b.MpFlg.Take(b.Count));
        Assert.Equal([(byte)0, (byte)255], b.GalContam.Take(b.Count));
        Assert.Equal(
            [
                (3L, 15, "expected a number in column 'mp_flg', got '256'"),
                (4L, 17, "expected a number in column 'gal_contam', got '256'"),
            ],
            r.Rejects.Select(x => (x.Line, x.Column, x.Detail)));
    }

    [Fact]
    public void Ipac_text_right_after_the_last_column_is_a_reject()
    {
        // A value may sit under the last '|' (column 31 here) but nothing may follow it, not even right after it: the
        // row is longer than the header says, shifted or joined with another.
        using var t = new TempDir();
        string[] lines =
        [
            "|cntr|scan_key|     ra|    dec|",
            "    1        5    1.5     2.5 ",
            "    2        5    1.5       2.5",     // under the last '|'
            "    3        5    1.5     2.5  x",
            "    4        5    1.5       2.5x",
            "    5        5    1.5     2.5     ",  // blanks after it
        ];
        var (r, b) = ReadBothWays(t.Write("after.tbl", string.Join("\n", lines) + "\n"));
        Assert.Equal([1L, 2L, 5L], b.Cntr.Take(b.Count));
        Assert.Equal([2.5, 2.5, 2.5], b.Dec.Take(b.Count));
        Assert.Equal(
            [
                (4L, 32, RejectReason.WrongColumnCount, "text after the last column 'dec' (the header on line 1 ends at column 31)"),
                (5L, 32, RejectReason.WrongColumnCount, "text after the last column 'dec' (the header on line 1 ends at column 31)"),
            ],
            r.Rejects.Select(x => (x.Line, x.Column, x.Reason, x.Detail)));
    }

    [Fact]
    public void A_byte_order_mark_is_dropped_only_at_the_start_of_the_file()
    {
        // U+FEFF anywhere else is a character of the text (a zero-width no-break space), not a mark: a row that
        // begins with one has a cntr that is no number.
        using var t = new TempDir();
        var (r, b) = ReadBothWays(t.Write("bom.csv", "\uFEFFcntr,scan_key,ra,dec\n\uFEFF1,7,10.0,20.0\n2,7,10.0,20.0\n"));
        Assert.Equal([2L], b.Cntr.Take(b.Count));
        var reject = Assert.Single(r.Rejects);
        Assert.Equal((2L, 1, RejectReason.UnparsableNumber), (reject.Line, reject.Column, reject.Reason));
    }

    [Fact]
    public void An_ipac_last_line_without_newline_that_stops_where_the_last_column_begins_is_cut_short()
    {
        // Ending at the '|' before j_m (column 31), it has none of j_m: a file cut there, not a null magnitude.
        using var t = new TempDir();
        string text =
            "|cntr|scan_key|     ra|    dec|   j_m|\n" +
            "    1        5    1.5      2.5   15.1\n" +
            "    2        5    1.5      2.5       \n" +
            "    3        5    1.5      2.5";
        var (r, b) = ReadBothWays(t.Write("cut.tbl", text));
        Assert.Equal([1L, 2L], b.Cntr.Take(b.Count));
        Assert.Equal(15.1f, b[Band.J].Mag[0]);
        Assert.True(float.IsNaN(b[Band.J].Mag[1]));
        var reject = Assert.Single(r.Rejects);
        Assert.Equal((4L, 31, RejectReason.TruncatedLine, "last line has no newline and ends before column 'j_m': cut short"),
            (reject.Line, reject.Column, reject.Reason, reject.Detail));
    }

    [Fact]
    public void An_ipac_value_that_crosses_into_the_last_column_is_a_reject_even_where_the_line_ends()
    {
        // "2.53" runs from dec across its '|' (column 31) into j_m, and the line ends one byte after: cut at the
        // header's columns it would read as dec 2.5 and j_m 3.
        using var t = new TempDir();
        string text =
            "|cntr|scan_key|     ra|    dec|   j_m|\n" +
            "    1        5    1.5      2.5   15.1\n" +
            "    2        5    1.5       2.53\n" +
            "    3        5    1.5       2.5\n";
        var (r, b) = ReadBothWays(t.Write("cross.tbl", text));
        Assert.Equal([1L, 3L], b.Cntr.Take(b.Count));
        var reject = Assert.Single(r.Rejects);
        Assert.Equal((3L, 31, RejectReason.WrongColumnCount), (reject.Line, reject.Column, reject.Reason));
        Assert.StartsWith("value crosses the '|' at column 31 between 'dec' and 'j_m'", reject.Detail);
    }

    [Fact]
    public void A_reject_column_counts_characters_not_bytes()
    {
        // file:line:column is what an editor shows: a two- or four-byte UTF-8 character before the bad field is one column.
        using var t = new TempDir();
        var (r, _) = ReadBothWays(t.Write("utf8.csv",
            "cntr,note,scan_key,ra,dec\n" +
            "5,\u00e9\u00e9\u00e9,7,abc,1.0\n" +
            "6,\U0001D11E,7,10.0,x\n"));
        Assert.Equal([(2L, 9, "expected a number in column 'ra', got 'abc'"), (3L, 12, "expected a number in column 'dec', got 'x'")],
            r.Rejects.Select(x => (x.Line, x.Column, x.Detail)));
    }

    private static readonly ReaderTuning RowByRow = new(1 << 30, 0, RowByRow: true);
    private static readonly ReaderTuning ColumnBatches = new(1 << 30, 0);

    /// <summary>The file read both ways: the same rows, rejects and counts; the row-by-row read returned.</summary>
    private static (FileReadResult Result, ExtractionBlock Block) ReadBothWays(string path)
    {
        var (expected, expectedBlock) = Read(path, RowByRow);
        var (actual, actualBlock) = Read(path, ColumnBatches);
        Assert.Equal(expected.Rejects, actual.Rejects);
        Assert.Equal((expected.RowsRead, expected.RowsAccepted, expected.Error), (actual.RowsRead, actual.RowsAccepted, actual.Error));
        for (int r = 0; r < expectedBlock.Count; r++) Assert.Equal(BlockText.Row(expectedBlock, r), BlockText.Row(actualBlock, r));
        return (expected, expectedBlock);
    }

    private static (FileReadResult, ExtractionBlock) Read(string path, ReaderTuning tuning)
    {
        var block = new ExtractionBlock(16);
        var result = ExtractionReader.Read(path, 0, new ReadOptions(), block, tuning);
        Assert.Null(result.Error);
        Assert.Equal(result.RowsRead, result.RowsAccepted + result.Rejects.Count);
        Assert.Equal(result.RowsAccepted, block.Count);
        return (result, block);
    }
}
