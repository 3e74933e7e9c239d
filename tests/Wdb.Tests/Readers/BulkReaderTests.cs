using System.IO.Compression;
using System.Text;
using Wdb.Core;
using Wdb.IO;
using static Wdb.Tests.Readers.ReaderTestSupport;

namespace Wdb.Tests.Readers;

public class BulkReaderTests
{
    private static void AssertSampleRows(ExtractionBlock b)
    {
        Assert.Equal(2, b.Count);
        Assert.Equal((1001L, 9000123L, 10.1, -5.5), (b.Cntr[0], b.ScanKey[0], b.Ra[0], b.Dec[0]));
        Assert.Equal((0.1f, 0.09f, 45f), (b.ErrMaj[0], b.ErrMin[0], b.ErrAng[0]));
        Assert.Equal(2451234.5678, b.JDate[0]);
        Assert.Equal((15.1f, 0.05f, 20.5f), (b[Band.J].Mag[0], b[Band.J].Sig[0], b[Band.J].Snr[0]));
        Assert.Equal((13.9f, 0.07f, 15.5f), (b[Band.K].Mag[0], b[Band.K].Sig[0], b[Band.K].Snr[0]));
        Assert.Equal(60606, b.Ndet[0]);
        Assert.Equal(42, b.Truth[0]);
        // Row 2: \N everywhere except H; flags one character per band.
        Assert.True(float.IsNaN(b.ErrMaj[1]) && double.IsNaN(b.JDate[1]) && float.IsNaN(b[Band.J].Mag[1]));
        Assert.Equal(14.3f, b[Band.H].Mag[1]);
        Assert.Equal((byte)'0', b[Band.J].RdFlg[1]);
        Assert.Equal((byte)'2', b[Band.H].RdFlg[1]);
        Assert.Equal((byte)'d', b[Band.H].CcFlg[1]);
        Assert.Equal(600, b.Ndet[1]);
        Assert.Equal(-1, b.Truth[1]);
        Assert.False(b[Band.J].IsDetection(1));
        Assert.True(b[Band.H].IsDetection(1));
    }

    [Fact]
    public void Wdb_profile_by_name_and_by_column_count()
    {
        var (named, b1) = Read(Data("sample_wdb.bulk"), new ReadOptions(Profile: "WDB"));
        Assert.Null(named.Error);
        Assert.Equal("wdb", named.Profile);
        AssertSampleRows(b1);

        var (auto, b2) = Read(Data("sample_wdb.bulk"));
        Assert.Null(auto.Error);
        Assert.Equal(InputFormat.Bulk, auto.Format);
        Assert.Equal("wdb", auto.Profile);
        AssertSampleRows(b2);
    }

    [Fact]
    public void A_profile_is_found_by_column_count_when_every_line_ends_with_a_bar()
    {
        // IRSA's bulk writers may end each row with a '|': one more, empty field, not a column more.
        using var t = new TempDir();
        var lines = File.ReadAllText(Data("sample_wdb.bulk")).TrimEnd('\n').Split('\n');
        var (r, b) = Read(t.Write("bars.bulk", string.Concat(lines.Select(l => l + "|\n"))));
        Assert.Null(r.Error);
        Assert.Equal("wdb", r.Profile);
        Assert.Empty(r.Rejects);
        AssertSampleRows(b);
    }

    [Fact]
    public void Gzipped_bulk_reads_like_plain_and_checksums_the_stored_bytes()
    {
        using var t = new TempDir();
        byte[] plain = File.ReadAllBytes(Data("sample_wdb.bulk"));
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(plain);
        string path = t.Write("sample.bulk.gz", ms.ToArray());

        var (r, b) = Read(path);
        Assert.Null(r.Error);
        AssertSampleRows(b);
        Assert.Equal(ms.Length, r.Bytes);
        Assert.Equal(Wdb.Tests.Output.ChecksumTests.Expected(ChecksumAlgorithm.Xxh128, ms.ToArray()), r.Checksum);

        // A gzip signature is honoured whatever the name (.dat here).
        Assert.Equal(2, Read(t.Write("x.dat", ms.ToArray())).Block.Count);
    }

    [Fact]
    public void Truncated_or_corrupt_gzip_is_a_fatal_error_not_an_exception()
    {
        using var t = new TempDir();
        var sb = new StringBuilder();
        var rnd = new Random(5);
        for (int i = 0; i < 3000; i++)
            sb.Append($"{i}|7|{rnd.NextDouble() * 360:R}|{rnd.NextDouble() * 180 - 90:R}|0.1|0.1|3|2451000.5|15|0.1|10|14|0.1|10|13|0.1|10|AAA|222|111|000|060606|{i}\n");
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(Encoding.ASCII.GetBytes(sb.ToString()));
        byte[] full = ms.ToArray();

        var (cut, _) = Read(t.Write("cut.bulk.gz", full[..(full.Length / 2)]));
        Assert.NotNull(cut.Error);
        Assert.Equal(full.Length / 2, cut.Bytes);

        byte[] bad = (byte[])full.Clone();
        for (int i = 20; i < 60; i++) bad[i] ^= 0x5A;
        var (corrupt, _) = Read(t.Write("bad.bulk.gz", bad));
        Assert.NotNull(corrupt.Error);

        var (notGz, _) = Read(t.Write("plain.bulk.gz", "1|2|3"));
        Assert.Equal("named .gz but is not gzip data", notGz.Error!.Message);
    }

    /// <summary>A bulk line for <paramref name="profile"/>: the given values by column name, \N elsewhere.</summary>
    private static string Line(string profile, Dictionary<string, string> values)
    {
        var cols = SchemaProfiles.Columns(profile)!;
        return string.Join("|", cols.Select(c => values.TryGetValue(c, out var v) ? v : "\\N"));
    }

    [Fact]
    public void Survey_profile_is_detected_by_column_count_and_packs_hemis_date_scan()
    {
        using var t = new TempDir();
        var v = new Dictionary<string, string>
        {
            ["cntr"] = "31", ["hemis"] = "s", ["date"] = "2000-01-31", ["scan"] = "99",
            ["ra"] = "200.5", ["dec"] = "-30.25", ["j_m"] = "16.5", ["j_cmsig"] = "0.1", ["j_msigcom"] = "0.12",
        };
        string path = t.Write("survey.txt", Line("survey-pswdb", v) + "\n");
        var (r, b) = Read(path);
        Assert.Null(r.Error);
        Assert.Equal("survey-pswdb", r.Profile);
        Assert.Equal(ScanKeys.FromSurvey((byte)'s', 131, 99), b.ScanKey[0]);
        Assert.Equal(16.5f, b[Band.J].Mag[0]);
        Assert.Equal(0.12f, b[Band.J].Sig[0]);

        // The PSC layout: key in column 29, scan_key in column 58.
        var psc = new Dictionary<string, string> { ["cntr"] = "77", ["scan_key"] = "12345", ["ra"] = "1", ["dec"] = "2", ["ph_qual"] = "AAA" };
        var (rp, bp) = Read(t.Write("psc.psv", Line("psc", psc) + "\n"));
        Assert.Equal("psc", rp.Profile);
        Assert.Equal((77L, 12345L), (bp.Cntr[0], bp.ScanKey[0]));
    }

    [Fact]
    public void Profile_errors_are_fatal_and_name_the_profiles()
    {
        using var t = new TempDir();
        string path = t.Write("five.bulk", "1|2|3|4|5\n");
        var (none, _) = Read(path);
        Assert.StartsWith("no bulk profile has 5 columns (known: cal-pswdb (", none.Error!.Message);

        var (unknown, _) = Read(path, new ReadOptions(Profile: "nope"));
        Assert.Equal("unknown profile 'nope' (known: cal-pswdb, survey-pswdb, psc, xsc-wdb, wdb)", unknown.Error!.Message);
        Assert.Equal(Wdb.Tests.Output.ChecksumTests.Expected(ChecksumAlgorithm.Xxh128, File.ReadAllBytes(path)), unknown.Checksum);   // checksummed all the same
    }

    [Fact]
    public void Wrong_field_counts_and_a_cut_last_line_are_rejected()
    {
        using var t = new TempDir();
        string good = File.ReadAllLines(Data("sample_wdb.bulk"))[0];
        string text = good + "\n" + good + "|9\n" + good[..good.LastIndexOf('|')] + "\n" + good + "|\n" + good[..20];
        var (r, b) = Read(t.Write("counts.bulk", text), new ReadOptions(Profile: "wdb"));
        Assert.Null(r.Error);
        Assert.Equal(5, r.RowsRead);
        Assert.Equal(2, b.Count);   // line 4's single trailing '|' is tolerated
        Assert.Equal(
            [(2L, good.Length + 2, RejectReason.WrongColumnCount), (3L, good.LastIndexOf('|') + 1, RejectReason.WrongColumnCount), (5L, 21, RejectReason.TruncatedLine)],
            r.Rejects.Select(x => (x.Line, x.Column, x.Reason)).ToArray());
        Assert.Equal("expected 23 fields, got 24", r.Rejects[0].Detail);
    }

    [Fact]
    public void Hash_lines_are_rejected_rows_and_an_empty_file_is_no_rows()
    {
        // IRSA bulk files have no header and no comment lines: a '#' line is a row (maybe one commented out).
        using var t = new TempDir();
        string good = File.ReadAllLines(Data("sample_wdb.bulk"))[0];
        string text = "# from IRSA\n" + good + "\n#" + good.Replace("1001|", "1002|") + "\n\n" + good.Replace("1001|", "1003|") + "\n";
        foreach (var options in new[] { new ReadOptions(), new ReadOptions(Profile: "wdb") })
        {
            var (r, b) = Read(t.Write("hash.bulk", text), options);
            Assert.Null(r.Error);
            Assert.Equal("wdb", r.Profile);
            Assert.Equal(4, r.RowsRead);
            Assert.Equal([1001L, 1003L], b.Cntr.Take(b.Count));
            Assert.Equal([(1L, 1, RejectReason.CommentLine), (3L, 1, RejectReason.CommentLine)], r.Rejects.Select(x => (x.Line, x.Column, x.Reason)));
            Assert.Equal("a '#' line: IRSA bulk files have no comment lines", r.Rejects[0].Detail);
        }

        // A headerless format: an empty file is an empty table.
        var (empty, eb) = Read(t.Write("empty.bulk", ""));
        Assert.Null(empty.Error);
        Assert.Equal((0L, 0), (empty.RowsRead, eb.Count));
    }

    [Fact]
    public void A_line_that_fits_no_profile_is_rejected_at_column_1_and_profile_errors_name_column_1()
    {
        using var t = new TempDir();
        string good = File.ReadAllLines(Data("sample_wdb.bulk"))[0];
        var (r, b) = Read(t.Write("first.bulk", "1|2|3\n" + good + "\n"));
        Assert.Equal(1, b.Count);
        Assert.Equal((1L, 1, RejectReason.WrongColumnCount), (r.Rejects[0].Line, r.Rejects[0].Column, r.Rejects[0].Reason));
        string five = t.Write("five.bulk", "1|2|3|4|5\n");
        Assert.StartsWith($"{five}:1:1: no bulk profile has 5 columns", Read(five).Result.Error!.ToString());
    }
}
