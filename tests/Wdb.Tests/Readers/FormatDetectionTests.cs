using Wdb.Core;
using Wdb.IO;
using static Wdb.Tests.Readers.ReaderTestSupport;

namespace Wdb.Tests.Readers;

public class FormatDetectionTests
{
    [Theory]
    [InlineData("a.tbl", InputFormat.Ipac)] [InlineData("a.IPAC", InputFormat.Ipac)] [InlineData("a.csv", InputFormat.Csv)]
    [InlineData("a.csv.gz", InputFormat.Csv)] [InlineData("a.bulk", InputFormat.Bulk)] [InlineData("a.txt.gz", InputFormat.Bulk)]
    [InlineData("a.dat", InputFormat.Bulk)] [InlineData("a.psv", InputFormat.Bulk)] [InlineData("a.xyz", InputFormat.Auto)]
    public void Extension_decides_when_it_can(string name, InputFormat expected) =>
        Assert.Equal(expected, ExtractionReader.FromExtension(name, out _));

    [Fact]
    public void Unknown_extension_is_sniffed_from_the_first_line()
    {
        using var t = new TempDir();
        var ipac = Read(t.Write("a.xyz", File.ReadAllText(Data("sample.tbl")))).Result;
        Assert.Equal((InputFormat.Ipac, 3L), (ipac.Format, ipac.RowsAccepted));

        var bulk = Read(t.Write("b.xyz", File.ReadAllText(Data("sample_wdb.bulk")))).Result;
        Assert.Equal((InputFormat.Bulk, 2L, "wdb"), (bulk.Format, bulk.RowsAccepted, bulk.Profile));

        var csv = Read(t.Write("c.xyz", "cntr,scan_key,ra,dec\n1,2,3,4\n")).Result;
        Assert.Equal((InputFormat.Csv, 1L), (csv.Format, csv.RowsAccepted));

        var neither = Read(t.Write("d.xyz", "hello world\n")).Result;
        Assert.NotNull(neither.Error);
    }

    [Fact]
    public void A_stray_delimiter_of_the_other_format_does_not_decide_it()
    {
        using var t = new TempDir();
        // A CSV header with a '|' in a column's name (read from standard input, or a file named .out) is a CSV.
        var (csv, cb) = Read(t.Write("c.xyz", "cntr,scan_key,ra,dec,note|x\n1,2,3,4,a|b\n"));
        Assert.Null(csv.Error);
        Assert.Equal((InputFormat.Csv, 1), (csv.Format, cb.Count));

        // A bulk row with a comma in one of its fields is still a bulk row.
        string[] fields = File.ReadAllLines(Data("sample_wdb.bulk"))[0].Split('|');
        int text = Array.FindIndex(fields, f => f.Length > 0 && !double.TryParse(f, System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.True(text >= 0, "the sample bulk row has a text field");
        fields[text] = "a,b";
        var bulk = Read(t.Write("b.xyz", string.Join('|', fields) + "\n")).Result;
        Assert.Equal(InputFormat.Bulk, bulk.Format);
        Assert.Equal(1L, bulk.RowsRead);
    }

    [Fact]
    public void An_explicit_format_overrides_the_extension()
    {
        using var t = new TempDir();
        string p = t.Write("e.txt", "cntr,scan_key,ra,dec\n1,2,3,4\n");
        var (r, b) = Read(p, new ReadOptions(Format: InputFormat.Csv));
        Assert.Equal((InputFormat.Csv, 1), (r.Format, b.Count));
        Assert.NotNull(Read(p).Result.Error);   // as .txt it is a bulk file whose 1 field fits no profile
    }

    [Fact]
    public void Hash_lines_before_the_format_is_known_are_what_the_format_makes_of_them()
    {
        // Sniffed (no telling extension, or a pipe): a CSV's preamble, a bulk file's rejected rows, no IPAC table.
        using var t = new TempDir();
        var (csv, cb) = Read(t.Write("c.xyz", "# preamble\n\ncntr,scan_key,ra,dec\n1,2,3,4\n#5,2,3,4\n"));
        Assert.Equal((InputFormat.Csv, 2L, 1), (csv.Format, csv.RowsRead, cb.Count));
        Assert.Equal([(5L, RejectReason.CommentLine)], csv.Rejects.Select(x => (x.Line, x.Reason)));

        string good = File.ReadAllLines(Data("sample_wdb.bulk"))[0];
        var (bulk, bb) = Read(t.Write("b.xyz", "# one\n\n# two\n" + good + "\n"));
        Assert.Equal((InputFormat.Bulk, 3L, 1), (bulk.Format, bulk.RowsRead, bb.Count));
        Assert.Equal([(1L, 1, RejectReason.CommentLine), (3L, 1, RejectReason.CommentLine)], bulk.Rejects.Select(x => (x.Line, x.Column, x.Reason)));

        var ipac = Read(t.Write("i.xyz", "# one\n|cntr|scan_key| ra|dec|\n")).Result;
        Assert.StartsWith("expected an IPAC header row", ipac.Error!.Message);
        Assert.Equal(1, ipac.Error.Line);

        // '#' lines alone tell no format and hold no header; blank lines alone are an empty input.
        string only = t.Write("o.xyz", "\n# a\n# b\n");
        Assert.StartsWith($"{only}:2:1: only '#' and blank lines", Read(only).Result.Error!.ToString());
        var blank = Read(t.Write("blank.xyz", "\n \n")).Result;
        Assert.Null(blank.Error);
        Assert.Equal(0, blank.RowsRead);
    }
}
