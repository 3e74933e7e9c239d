using Wdb.Core;
using Wdb.IO;
using static Wdb.Tests.Readers.ReaderTestSupport;

namespace Wdb.Tests.Readers;

public class IpacReaderTests
{
    [Fact]
    public void Reads_fixed_width_columns_with_declared_and_blank_nulls()
    {
        var (r, b) = Read(Data("sample.tbl"));
        Assert.Null(r.Error);
        Assert.Equal(InputFormat.Ipac, r.Format);
        Assert.Equal(3, r.RowsRead);
        Assert.Equal(3, b.Count);

        // Row 1 (line 8): every value present.
        Assert.Equal(101, b.Cntr[0]);
        Assert.Equal(5001001, b.ScanKey[0]);
        Assert.Equal(10.684793, b.Ra[0]);
        Assert.Equal(41.269065, b.Dec[0]);
        Assert.Equal(0.08f, b.ErrMaj[0]);
        Assert.Equal(15.210f, b[Band.J].Mag[0]);   // header says J_M: names are case-insensitive
        Assert.Equal(0.051f, b[Band.J].Sig[0]);
        Assert.Equal(14.5f, b[Band.H].Mag[0]);
        Assert.Equal((byte)'A', b[Band.J].PhQual[0]);
        Assert.Equal((byte)'U', b[Band.K].PhQual[0]);
        Assert.Equal((byte)'0', b[Band.K].RdFlg[0]);
        Assert.Equal(60600, b.Ndet[0]);
        Assert.Equal(3, b.FileIndex[0]);
        Assert.Equal(8, b.Line[0]);

        // Row 2 (line 9): blank err_maj, declared null "--" for j_m, "null" and blank elsewhere.
        Assert.Equal(102, b.Cntr[1]);
        Assert.Equal(359.999999, b.Ra[1]);
        Assert.Equal(-89.999999, b.Dec[1]);
        Assert.True(float.IsNaN(b.ErrMaj[1]));
        Assert.True(float.IsNaN(b[Band.J].Mag[1]));
        Assert.True(float.IsNaN(b[Band.J].Sig[1]));
        Assert.True(float.IsNaN(b[Band.H].Mag[1]));
        Assert.Equal(66666, b.Ndet[1]);
        Assert.Equal(9, b.Line[1]);

        // Row 3: ra 0 and dec 90 are inside the valid ranges; blank ndet stays absent.
        Assert.Equal(0.0, b.Ra[2]);
        Assert.Equal(90.0, b.Dec[2]);
        Assert.Equal(-1, b.Ndet[2]);
        Assert.True(float.IsNaN(b.ErrMin[2]));   // no err_min column at all
    }

    [Fact]
    public void One_header_row_is_enough_and_scan_date_hemis_are_packed()
    {
        var (r, b) = Read(Data("one_header_row.tbl"));
        Assert.Null(r.Error);
        Assert.Equal(2, b.Count);
        Assert.Equal(ScanKeys.FromSurvey((byte)'s', 991002, 57), b.ScanKey[0]);
        Assert.Equal(ScanKeys.FromSurvey((byte)'n', 123, 1), b.ScanKey[1]);
        Assert.Equal(123.456, b.Ra[0]);
        Assert.Equal(-12.5, b.Dec[0]);
        Assert.Equal(0.000001, b.Ra[1]);
        Assert.Equal(2, b.Line[0]);
    }

    [Fact]
    public void Header_only_file_gives_zero_rows_and_no_error()
    {
        var (r, b) = Read(Data("header_only.tbl"));
        Assert.Null(r.Error);
        Assert.Equal(0, r.RowsRead);
        Assert.Equal(0, b.Count);
    }

    [Fact]
    public void Misaligned_header_is_fatal_and_names_line_and_column()
    {
        var (r, b) = Read(Data("misaligned.tbl"));
        Assert.NotNull(r.Error);
        Assert.Equal(3, r.Error!.Line);
        Assert.Equal(37, r.Error.Column);
        Assert.Contains("misaligned", r.Error.Message);
        Assert.StartsWith(Data("misaligned.tbl") + ":3:37: ", r.Error.ToString());
        Assert.Equal(0, b.Count);
    }

    [Fact]
    public void Missing_required_column_is_fatal_and_lists_the_columns()
    {
        using var t = new TempDir();
        string p = t.Write("noscan.tbl", "|cntr|   ra|  dec|\n    1   1.0   2.0\n");
        var (r, _) = Read(p);
        Assert.NotNull(r.Error);
        Assert.Equal("missing required column 'scan_key' (or 'scan' + 'date' + 'hemis') (have: cntr, ra, dec)", r.Error!.Message);

        string q = t.Write("nodec.tbl", "|cntr|scan_key|   ra|\n    1        2   1.0\n");
        Assert.Equal("missing required column 'dec' (have: cntr, scan_key, ra)", Read(q).Result.Error!.Message);
    }

    [Fact]
    public void Data_before_any_header_is_fatal()
    {
        using var t = new TempDir();
        var (r, _) = Read(t.Write("nohdr.tbl", "\\x=1\n 1 2 3\n"));
        Assert.NotNull(r.Error);
        Assert.Equal(2, r.Error!.Line);
    }

    [Fact]
    public void Rejects_carry_line_and_character_column_of_the_field()
    {
        using var t = new TempDir();
        string[] lines =
        [
            "|cntr|scan_key|     ra|    dec|",      // line 1: columns (0,5] (5,14] (14,22] (22,30]
            "    1        5    1.5     2.5 ",       // line 2 ok
            "    2        5    abc     2.5 ",       // line 3: ra unparsable
            "    3        5    1.5   -91.0 ",       // line 4: dec out of range
            "    4             1.5     2.5 ",       // line 5: scan_key blank: missing required, reported at its start
            "    5        5    1.5",                // line 6: no newline, ends before dec: cut short
        ];
        string text = string.Join("\n", lines);
        var (r, b) = Read(t.Write("rej.tbl", text));
        Assert.Null(r.Error);
        Assert.Equal(5, r.RowsRead);
        Assert.Equal(1, b.Count);
        Assert.Collection(r.Rejects,
            x => Assert.Equal((3L, lines[2].IndexOf("abc") + 1, RejectReason.UnparsableNumber), (x.Line, x.Column, x.Reason)),
            x => Assert.Equal((4L, lines[3].IndexOf("-91") + 1, RejectReason.DecOutOfRange), (x.Line, x.Column, x.Reason)),
            x => Assert.Equal((5L, 7, RejectReason.MissingRequiredValue), (x.Line, x.Column, x.Reason)),
            x => Assert.Equal((6L, RejectReason.TruncatedLine), (x.Line, x.Reason)));
        Assert.Equal("expected a number in column 'ra', got 'abc'", r.Rejects[0].Detail);
        Assert.Equal(2L, r.Rejects[0].Cntr);
    }

    [Fact]
    public void Comments_blank_lines_and_crlf_inside_the_data_are_skipped()
    {
        using var t = new TempDir();
        string text = "\\k = v\r\n|cntr|scan_key|    ra|   dec|\r\n|long|long    |double|double|\r\n" +
                      "    1        9    1.5   -2.5\r\n\r\n\\ a comment between rows\r\n    2        9    3.5    4.5\r\n";
        var (r, b) = Read(t.Write("c.ipac", text));
        Assert.Null(r.Error);
        Assert.Equal(2, r.RowsRead);
        Assert.Equal([1L, 2L], b.Cntr.Take(b.Count));
        Assert.Equal([4L, 7L], b.Line.Take(b.Count));
        Assert.Equal(3.5, b.Ra[1]);
    }

    [Fact]
    public void Hash_lines_among_the_rows_are_rejected_rows_at_column_1()
    {
        // IPAC's own comment lines begin with '\'; a '#' line is a row someone commented out, as in CSV and bulk files.
        using var t = new TempDir();
        string text = "|cntr|scan_key|    ra|   dec|\n# first row out    9    1.5   -2.5\n    2        9    3.5    4.5\n" +
                      "  # 3      9    5.5    6.5\n    4        9    7.5    8.5\n";
        var (r, b) = Read(t.Write("hash.tbl", text));
        Assert.Null(r.Error);
        Assert.Equal(4, r.RowsRead);
        Assert.Equal([2L, 4L], b.Cntr.Take(b.Count));
        Assert.Equal([(2L, 1, RejectReason.CommentLine), (4L, 1, RejectReason.CommentLine)], r.Rejects.Select(x => (x.Line, x.Column, x.Reason)));
        Assert.Equal("a '#' line among the data rows (IPAC comment lines begin with '\\')", r.Rejects[0].Detail);

        // Among many plain rows, decoded a batch at a time: the same.
        var sb = new System.Text.StringBuilder("|   cntr|scan_key|      ra|     dec|\n");
        for (int i = 1; i <= 1000; i++)
            sb.Append(i % 100 == 0 ? "#" : " ").Append(System.FormattableString.Invariant($"{i,7}        1       10 {i * 1e-4,8:F4}\n"));
        var (many, mb) = Read(t.Write("many.tbl", sb.ToString()));
        Assert.Equal(1000, many.RowsRead);
        Assert.Equal(990, mb.Count);
        Assert.Equal(Enumerable.Range(1, 10).Select(k => (long)(k * 100 + 1)), many.Rejects.Select(x => x.Line));
        Assert.All(many.Rejects, x => Assert.Equal((1, RejectReason.CommentLine), (x.Column, x.Reason)));
    }

    [Fact]
    public void A_file_with_no_header_row_is_fatal()
    {
        // Keyword and comment lines alone (a download cut short), or nothing: none of the required columns.
        using var t = new TempDir();
        foreach (var (name, text) in new[] { ("onlyc.tbl", "\\fixlen = T\n\\ only comments\n"), ("empty.tbl", ""), ("blank.tbl", "\n  \n") })
        {
            string path = t.Write(name, text);
            var (r, _) = Read(path);
            Assert.Equal($"{path}: no IPAC header row ('|name|...|'): the file is empty or holds only '\\' and blank lines", r.Error?.ToString());
        }
    }

    [Fact]
    public void A_column_read_twice_is_a_malformed_header_naming_both()
    {
        using var t = new TempDir();
        string path = t.Write("dup.tbl", "|cntr|scan_key|   ra|  dec|   RA|\n    1        2   1.0   2.0   3.0\n");
        var (r, b) = Read(path);
        Assert.Equal($"{path}:1:28: column 'ra' is named twice, columns 3 and 5: 'ra' and 'RA' (wdb reads it: name it once)", r.Error!.ToString());
        Assert.Equal(0, b.Count);
        // Missing columns name no column of the header: column 1.
        string nodec = t.Write("nodec.tbl", "|cntr|scan_key|   ra|\n    1        2   1.0\n");
        Assert.StartsWith($"{nodec}:1:1: missing required column 'dec'", Read(nodec).Result.Error!.ToString());
    }

    [Fact]
    public void Carriage_returns_alone_as_line_ends_are_named_as_such()
    {
        using var t = new TempDir();
        foreach (string text in new[] { "\\fixlen = T\r|cntr|scan_key| ra|dec|\r    1        2  1.0 2.0\r", "|cntr|scan_key| ra|dec|\r    1        2  1.0 2.0\r" })
        {
            var (r, _) = Read(t.Write("mac.tbl", text));
            Assert.Contains("no line breaks but carriage returns (old Mac line endings)", r.Error!.Message);
        }
    }
}
