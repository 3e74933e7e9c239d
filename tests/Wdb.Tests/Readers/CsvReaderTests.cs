using System.Text;
using Wdb.Core;
using Wdb.IO;
using static Wdb.Tests.Readers.ReaderTestSupport;

namespace Wdb.Tests.Readers;

public class CsvReaderTests
{
    [Fact]
    public void Reads_quoting_null_conventions_extra_columns_and_survey_scan_ids()
    {
        var (r, b) = Read(Data("sample.csv"));
        Assert.Null(r.Error);
        Assert.Equal(InputFormat.Csv, r.Format);
        Assert.Equal(3, r.RowsRead);
        Assert.Equal(3, b.Count);

        // Line 3: date yyyy-mm-dd, msigcom preferred over cmsig, \N / null / empty are null.
        Assert.Equal(1, b.Cntr[0]);
        Assert.Equal(3, b.Line[0]);
        Assert.Equal(ScanKeys.FromSurvey((byte)'n', 981002, 12), b.ScanKey[0]);
        Assert.Equal(1_962_004_000_012L, b.ScanKey[0]);   // as COLUMNS.md tells users: (981002 * 2 + 0) * 10^6 + 12
        Assert.Equal(10.5, b.Ra[0]);
        Assert.Equal(-20.25, b.Dec[0]);
        Assert.Equal(15.5f, b[Band.J].Mag[0]);
        Assert.Equal(0.03f, b[Band.J].Sig[0]);
        Assert.True(float.IsNaN(b[Band.H].Mag[0]));     // \N
        Assert.True(float.IsNaN(b[Band.H].Sig[0]));     // null
        Assert.True(float.IsNaN(b[Band.K].Mag[0]));     // empty
        Assert.Equal(12.5f, b[Band.K].Snr[0]);
        Assert.Equal("0d0"u8.ToArray(), new[] { b[Band.J].CcFlg[0], b[Band.H].CcFlg[0], b[Band.K].CcFlg[0] });
        Assert.Equal(new byte[] { (byte)'A', (byte)'B', 0 }, new[] { b[Band.J].PhQual[0], b[Band.H].PhQual[0], b[Band.K].PhQual[0] });
        Assert.Equal(1, b.MpFlg[0]);
        Assert.Equal(2, b.GalContam[0]);
        Assert.Equal(3.5f, b.Prox[0]);
        Assert.Equal(77, b.Truth[0]);

        // Line 4: quoted fields (one holding a comma); date yymmdd; empty msigcom falls back
        // to cmsig; a doubled quote inside a quoted flag.
        Assert.Equal(2, b.Cntr[1]);
        Assert.Equal(4, b.Line[1]);
        Assert.Equal(ScanKeys.FromSurvey((byte)'n', 981002, 12), b.ScanKey[1]);
        Assert.Equal(15.75f, b[Band.J].Mag[1]);
        Assert.Equal(0.02f, b[Band.J].Sig[1]);
        Assert.Equal(0.04f, b[Band.H].Sig[1]);
        Assert.True(float.IsNaN(b[Band.K].Snr[1]));
        Assert.Equal(new byte[] { (byte)'U', (byte)'"', (byte)'X' }, new[] { b[Band.J].PhQual[1], b[Band.H].PhQual[1], b[Band.K].PhQual[1] });
        Assert.Equal(78, b.Truth[1]);

        // Line 7 (after two blank lines): upper-case hemisphere, NULL magnitude, absent truth.
        Assert.Equal(7, b.Line[2]);
        Assert.Equal(ScanKeys.FromSurvey((byte)'s', 981002, 13), b.ScanKey[2]);
        Assert.Equal(1_962_005_000_013L, b.ScanKey[2]);   // S: (981002 * 2 + 1) * 10^6 + 13
        Assert.True(float.IsNaN(b[Band.J].Mag[2]));
        Assert.Equal(-1, b.Truth[2]);
        Assert.Equal(-1, b.Ndet[2]);
    }

    // Each kind of bad row, with the 1-based line and character column of the bad field.
    private static readonly string[] BadLines =
    [
        "cntr,scan_key,ra,dec,j_m",      // 1 header
        "1,10,10.5,20.5,15.1",           // 2 ok
        "2,10,abc,20.5,15.1",            // 3 unparsable ra
        "3,10,10.5,20.5",                // 4 too few fields
        "4,10,10.5,,15.1",               // 5 dec empty
        "5,10,NaN,20.5,15.1",            // 6 NaN ra
        "6,10,10.5,90.5,15.1",           // 7 dec > 90
        "7,10,360,20.5,15.1",            // 8 ra = 360
        "8,10,10.5,20.5,1\u00ff",        // 9 (0xFF byte substituted below) invalid UTF-8
        "9,10,10.5,20.5,15.1,extra",     // 10 too many fields
        "10,10,10.5,20.5,x1",            // 11 unparsable j_m
        "",                              // 12 blank: skipped, not a row
        "11,10,-0.0,-90,1e1",            // 13 ok: -0 and -90 are in range
        "12,10,10.5",                    // 14 last line, no newline, cut short
    ];

    private static byte[] BadFile()
    {
        var bytes = Encoding.UTF8.GetBytes(string.Join("\n", BadLines));
        int i = Array.IndexOf(bytes, (byte)0xC3);    // U+00FF encodes as C3 BF: make it a lone 0xFF
        bytes[i] = 0xFF;
        return bytes.Where((_, k) => k != i + 1).ToArray();
    }

    [Fact]
    public void Every_reject_reason_has_its_line_and_column()
    {
        using var t = new TempDir();
        var (r, b) = Read(t.Write("bad.csv", BadFile()));
        Assert.Null(r.Error);
        Assert.Equal(12, r.RowsRead);
        Assert.Equal(2, r.RowsAccepted);
        Assert.Equal([1L, 11L], b.Cntr.Take(b.Count));
        Assert.Equal(-0.0, b.Ra[1]);
        Assert.Equal(10f, b[Band.J].Mag[1]);

        var got = r.Rejects.Select(x => (x.Line, x.Column, x.Reason)).ToArray();
        (long, int, RejectReason)[] expected =
        [
            (3, 6, RejectReason.UnparsableNumber),
            (4, 15, RejectReason.WrongColumnCount),
            (5, 11, RejectReason.MissingRequiredValue),
            (6, 6, RejectReason.NonFiniteCoordinate),
            (7, 11, RejectReason.DecOutOfRange),
            (8, 6, RejectReason.RaOutOfRange),
            (9, 16, RejectReason.InvalidUtf8),           // the field the bad byte is in
            (10, 21, RejectReason.WrongColumnCount),
            (11, 17, RejectReason.UnparsableNumber),
            (14, 11, RejectReason.TruncatedLine),
        ];
        Assert.Equal(expected, got);
        Assert.Equal("expected a number in column 'ra', got 'abc'", r.Rejects[0].Detail);
        Assert.Equal("expected 5 fields, got 4", r.Rejects[1].Detail);
        Assert.Equal("missing value in required column 'dec'", r.Rejects[2].Detail);
        Assert.Equal("expected 5 fields, got 6", r.Rejects[7].Detail);
        Assert.Equal("expected a number in column 'j_m', got 'x1'", r.Rejects[8].Detail);
        Assert.Equal(10L, r.Rejects[8].Cntr);
        Assert.Equal("invalid UTF-8 in column 'j_m' at byte 17 of the line", r.Rejects[6].Detail);
        Assert.Equal(8L, r.Rejects[6].Cntr);
        Assert.All(r.Rejects, x => Assert.Equal(r.Path, x.File));
    }

    [Fact]
    public void Text_from_the_file_is_quoted_in_messages_with_its_control_characters_escaped()
    {
        // An ESC in a header or a value would reach the user's terminal as an escape sequence.
        using var t = new TempDir();
        var (r, _) = Read(t.Write("esc.csv", "cntr,scan_key,ra,dec,no\u001b[2Jte\n1,2,1\u001b]0;x\u0007,4,a\n"));
        var reject = Assert.Single(r.Rejects);
        Assert.Equal("expected a number in column 'ra', got '1\\x1B]0;x\\x07'", reject.Detail);

        var missing = Read(t.Write("missing.csv", "cntr,scan_key,ra,h_cms\fg\n1,2,3,4\n")).Result;
        Assert.Contains("(have: cntr, scan_key, ra, h_cms\\x0Cg)", missing.Error!.Message);

        // A column named only in a reject's detail (it is not read): the invalid byte's column.
        var (utf8, _) = Read(t.Write("latin1.csv", [.. "cntr,scan_key,ra,dec,no\u001bte\n1,2,3,4,"u8, 0xE9, (byte)'\n']));
        Assert.Contains("invalid UTF-8 in column 'no\\x1Bte'", Assert.Single(utf8.Rejects).Detail);
    }

    [Fact]
    public void Strict_mode_stops_at_the_first_bad_row_with_file_line_column()
    {
        using var t = new TempDir();
        string path = t.Write("bad.csv", BadFile());
        var (r, b) = Read(path, new ReadOptions(Strict: true));
        Assert.NotNull(r.Error);
        Assert.Equal($"{path}:3:6: expected a number in column 'ra', got 'abc'", r.Error!.ToString());
        Assert.Equal(2, r.RowsRead);
        Assert.Equal(1, b.Count);
        Assert.Single(r.Rejects);
        Assert.Equal(new FileInfo(path).Length, r.Bytes);   // the checksum still covers the whole file
    }

    [Fact]
    public void A_file_without_a_header_row_is_fatal_but_a_header_alone_is_zero_rows()
    {
        using var t = new TempDir();
        // Empty, a byte-order mark alone, '#' and blank lines alone: no column names, so none of the required columns.
        foreach (var (name, bytes) in new[] { ("empty.csv", ""u8.ToArray()), ("bom.csv", [0xEF, 0xBB, 0xBF]), ("hash.csv", "# cntr,scan_key,ra,dec\n\n \n"u8.ToArray()) })
        {
            string path = t.Write(name, bytes);
            var (r, _) = Read(path);
            Assert.NotNull(r.Error);
            Assert.Equal($"{path}: no CSV header row: the file is empty or holds only blank and '#' lines", r.Error!.ToString());
            Assert.Equal(0, r.RowsRead);
        }

        var (headerOnly, _) = Read(t.Write("h.csv", "cntr,scan_key,ra,dec\r\n"));
        Assert.Null(headerOnly.Error);
        Assert.Equal(0, headerOnly.RowsRead);

        var (noHeader, b) = Read(t.Write("nohdr.csv", "1,2,3.5,4.5\n2,2,3.5,4.5\n"));
        Assert.NotNull(noHeader.Error);
        Assert.Equal(1, noHeader.Error!.Line);
        Assert.Contains("no header", noHeader.Error.Message);
        Assert.Equal(0, b.Count);
    }

    [Fact]
    public void Header_errors_give_a_one_based_column()
    {
        using var t = new TempDir();
        string path = t.Write("nodec.csv", "cntr,scan_key,ra\n1,2,3\n");
        var (r, _) = Read(path);
        Assert.Equal($"{path}:1:1: missing required column 'dec' (have: cntr, scan_key, ra)", r.Error!.ToString());

        string open = t.Write("open.csv", "cntr,scan_key,\"ra,dec\n");
        Assert.Equal(1, Read(open).Result.Error!.Line);
        Assert.Equal(15, Read(open).Result.Error!.Column);   // the quote left open
    }

    [Fact]
    public void A_column_read_twice_is_a_malformed_header_naming_both()
    {
        using var t = new TempDir();
        string same = t.Write("same.csv", "cntr,scan_key,ra,dec,ra\n1,1,10,10,50\n");
        var (r, b) = Read(same);
        Assert.Equal($"{same}:1:22: column 'ra' is named twice, columns 3 and 5 (wdb reads it: name it once)", r.Error!.ToString());
        Assert.Equal(0, b.Count);

        // Names match case-insensitively, so 'RA' and 'ra' are one column named twice.
        string cased = t.Write("cased.csv", "cntr,scan_key,RA,dec,ra\n1,1,10,10,20\n");
        Assert.Equal($"{cased}:1:22: column 'RA' is named twice, columns 3 and 5: 'RA' and 'ra' (wdb reads it: name it once)", Read(cased).Result.Error!.ToString());

        // A column wdb does not read may repeat; so may the survey triple's 'scan' when scan_key is read instead.
        var (ok, okb) = Read(t.Write("ok.csv", "cntr,scan_key,ra,dec,note,NOTE,scan,scan\n1,1,10,10,a,b,3,4\n"));
        Assert.Null(ok.Error);
        Assert.Equal(1, okb.Count);
    }

    [Fact]
    public void Carriage_returns_alone_as_line_ends_are_named_as_such()
    {
        using var t = new TempDir();
        string path = t.Write("mac.csv", "cntr,scan_key,ra,dec\r1,1,10,10\r2,2,10,10.0005\r");
        var (r, b) = Read(path);
        Assert.StartsWith($"{path}:1:21: no line breaks but carriage returns (old Mac line endings): convert with tr", r.Error!.ToString());
        Assert.Equal(0, b.Count);
        // CRLF is fine (Crlf_bom_and_decl_alias_are_accepted); so is a CR in a quoted value of a row.
        var (crlf, cb) = Read(t.Write("crlf.csv", "cntr,scan_key,ra,dec,note\r\n1,1,10,10,\"a\rb\"\r\n"));
        Assert.Null(crlf.Error);
        Assert.Equal(1, cb.Count);
    }

    [Fact]
    public void Carriage_returns_alone_in_a_file_longer_than_a_line_may_be_are_named_as_such()
    {
        // Past LinePump.MaxLineBytes the read stops before any format sees a line.
        using var t = new TempDir();
        string path = Path.Combine(t.Dir, "mac-big.csv");
        using (var f = File.Create(path))
        {
            f.Write("cntr,scan_key,ra,dec\r"u8);
            var rows = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("1,1,10.000000,10.000000\r", 1 << 14)));
            while (f.Length <= Wdb.IO.Readers.LinePump.MaxLineBytes) f.Write(rows);
        }
        var (r, _) = Read(path);
        Assert.Contains("no line breaks but carriage returns (old Mac line endings)", r.Error!.Message);
    }

    [Fact]
    public void A_line_longer_than_a_line_may_be_is_refused_at_its_line()
    {
        // Found by fuzzing: the error named the line only in its text ("PATH: line 4 is longer ... without a
        // newline"), though this line has one, past the limit.
        using var t = new TempDir();
        string path = Path.Combine(t.Dir, "long-line.csv");
        using (var f = File.Create(path))
        {
            f.Write("cntr,scan_key,ra,dec\n1,1,10,10\n2,2,10,10.0005\n"u8);
            var digits = new byte[1 << 20];
            digits.AsSpan().Fill((byte)'7');
            // Well past the limit: a newline that a read brings in with the limit's last bytes ends the line in time.
            while (f.Length <= Wdb.IO.Readers.LinePump.MaxLineBytes + (8 << 20)) f.Write(digits);
            f.Write("\n3,3,10,10.001\n"u8);
        }
        var (r, _) = Read(path);
        Assert.Equal($"{path}:4:1: a line longer than 64 MiB (no newline within it): not a text table", r.Error!.ToString());
    }

    [Fact]
    public void Crlf_bom_and_decl_alias_are_accepted()
    {
        using var t = new TempDir();
        byte[] bom = [0xEF, 0xBB, 0xBF];
        string p = t.Write("crlf.csv", bom.Concat(Encoding.UTF8.GetBytes("CNTR,Scan_Key,RA,DECL\r\n5,6,7.25,-8.5\r\n")).ToArray());
        var (r, b) = Read(p);
        Assert.Null(r.Error);
        Assert.Equal(1, b.Count);
        Assert.Equal((5L, 6L, 7.25, -8.5), (b.Cntr[0], b.ScanKey[0], b.Ra[0], b.Dec[0]));
    }

    [Fact]
    public void A_quote_left_open_rejects_its_line_alone_and_the_next_lines_are_rows()
    {
        // WDB tables hold no field over two lines: a quoted field still open at its line's end ends there.
        using var t = new TempDir();
        string path = t.Write("uq.csv", "cntr,scan_key,ra,dec\n1,1,10,10\n2,2,\"10,10.0005\n3,3,10,10.001\n4,4,10,10.0015\n5,5,10,10.002\n");
        var (r, b) = Read(path);
        Assert.Null(r.Error);
        Assert.Equal(5, r.RowsRead);
        Assert.Equal([1L, 3L, 4L, 5L], b.Cntr.Take(b.Count));
        var x = Assert.Single(r.Rejects);
        Assert.Equal((3L, 5, RejectReason.UnterminatedQuote), (x.Line, x.Column, x.Reason));
        Assert.Equal("the quoted field opened at column 5 is not closed on its line (a field never spans lines)", x.Detail);
        Assert.Equal("unterminated_quote", RejectReasons.Name(x.Reason));

        // The quote opening the line's last field: the next line is not part of its reject.
        var (r2, b2) = Read(t.Write("uq2.csv", "cntr,scan_key,ra,dec\n2,2,10,\"10.0005\n3,3,10,10.001\n\""));
        Assert.Equal([3L], b2.Cntr.Take(b2.Count));
        Assert.Equal([(2L, 8, RejectReason.UnterminatedQuote), (4L, 1, RejectReason.UnterminatedQuote)], r2.Rejects.Select(j => (j.Line, j.Column, j.Reason)));

        // At the end of a file with no newline, as anywhere.
        var (r3, _) = Read(t.Write("q.csv", "cntr,scan_key,ra,dec,note\n1,2,3,4,\"open\nstill open"));
        Assert.Equal(2, r3.RowsRead);
        Assert.Equal([(2L, RejectReason.UnterminatedQuote), (3L, RejectReason.TruncatedLine)], r3.Rejects.Select(j => (j.Line, j.Reason)));

        var (strict, sb) = Read(path, new ReadOptions(Strict: true));
        Assert.Equal($"{path}:3:5: the quoted field opened at column 5 is not closed on its line (a field never spans lines)", strict.Error!.ToString());
        Assert.Equal(1, sb.Count);
    }

    [Fact]
    public void Hash_lines_before_the_header_are_a_preamble_and_among_the_rows_rejected_rows()
    {
        using var t = new TempDir();
        string text = "# written by hand\n#\ncntr,scan_key,ra,dec\n1,1,10,10\n#6,6,10,10.003\n #7,7,10,10.004\n\n  \n8,8,10,10.005\n#";
        var (r, b) = Read(t.Write("hash.csv", text));
        Assert.Null(r.Error);
        Assert.Equal(5, r.RowsRead);   // blank lines are no rows
        Assert.Equal([1L, 8L], b.Cntr.Take(b.Count));
        Assert.Equal([4L, 9L], b.Line.Take(b.Count));
        Assert.Equal([(5L, 1, RejectReason.CommentLine), (6L, 2, RejectReason.UnparsableNumber), (10L, 1, RejectReason.CommentLine)],
            r.Rejects.Select(x => (x.Line, x.Column, x.Reason)));
        Assert.Equal("a '#' line among the data rows (a CSV's comment lines may only come before its header)", r.Rejects[0].Detail);
        Assert.Equal("comment_line", RejectReasons.Name(r.Rejects[0].Reason));

        // Among many plain rows, decoded a batch at a time: the same.
        var sb = new StringBuilder("cntr,scan_key,ra,dec\n");
        for (int i = 1; i <= 1000; i++) sb.Append(i % 100 == 0 ? "#" : "").Append(i).Append(",1,10,").Append(i * 1e-4).Append('\n');
        var (many, mb) = Read(t.Write("many.csv", sb.ToString()));
        Assert.Equal(1000, many.RowsRead);
        Assert.Equal(990, mb.Count);
        Assert.Equal(Enumerable.Range(1, 10).Select(k => (long)(k * 100 + 1)), many.Rejects.Select(x => x.Line));
        Assert.All(many.Rejects, x => Assert.Equal(RejectReason.CommentLine, x.Reason));
    }

    [Fact]
    public async Task ReadAsync_gives_the_same_result_and_honours_cancellation()
    {
        var block = new ExtractionBlock(16);
        var r = await ExtractionReader.ReadAsync(Data("sample.csv"), 1, new ReadOptions(), block, TestContext.Current.CancellationToken);
        var (sync, syncBlock) = Read(Data("sample.csv"), fileIndex: 1);
        Assert.Equal((sync.RowsRead, sync.RowsAccepted, sync.Checksum, sync.Bytes), (r.RowsRead, r.RowsAccepted, r.Checksum, r.Bytes));
        Assert.Equal(syncBlock.Cntr.Take(syncBlock.Count), block.Cntr.Take(block.Count));

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ExtractionReader.ReadAsync(Data("sample.csv"), 1, new ReadOptions(), new ExtractionBlock(), cts.Token));
    }

    [Fact]
    public void Missing_file_is_an_error_value()
    {
        var (r, b) = Read(Path.Combine(Path.GetTempPath(), "no-such-dir-wdb", "x.csv"));
        Assert.NotNull(r.Error);
        Assert.StartsWith("cannot open", r.Error!.Message);
        Assert.Equal(0, b.Count);
    }

    [Fact]
    public void A_jdate_outside_1900_to_2100_is_rejected_with_its_cntr()
    {
        // Every 7th row's date is out of range in one way or another; the rest are plain dates and nulls. Many rows, so
        // that the batched column loops see them too.
        string[] bad = ["1e300", "51000.5", "-2451000.5", "2415019.99", "2488070.01", "1.0E+300"];
        var sb = new StringBuilder("cntr,scan_key,ra,dec,jdate\n");
        var expected = new List<(long, long?, string)>();
        for (int i = 1; i <= 700; i++)
        {
            string jd = i % 7 == 0 ? bad[i / 7 % bad.Length] : (i % 5) switch { 0 => "", 1 => "2415020", 2 => "2488070", _ => "2451000.5" };
            sb.Append(i).Append(",1,10,").Append(i * 1e-4).Append(',').Append(jd).Append('\n');
            if (i % 7 == 0) expected.Add((i + 1, i, $"jdate outside [2415020, 2488070] (JD of 1900 to 2100) in column 'jdate', got '{jd}'"));
        }
        using var t = new TempDir();
        var (r, b) = Read(t.Write("jdates.csv", sb.ToString()));
        Assert.Equal(700 - 100, b.Count);
        Assert.Equal(expected, r.Rejects.Select(x => (x.Line, x.Cntr, x.Detail)));
        Assert.All(r.Rejects, x => Assert.Equal(RejectReason.JdateOutOfRange, x.Reason));
        Assert.Equal("jdate_out_of_range", RejectReasons.Name(RejectReason.JdateOutOfRange));
        for (int i = 0; i < b.Count; i++)
            Assert.True(double.IsNaN(b.JDate[i]) || b.JDate[i] is >= 2415020 and <= 2488070, $"row {i}: {b.JDate[i]}");
    }
}
