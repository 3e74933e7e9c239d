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
    public void An_explicit_format_overrides_the_extension()
    {
        using var t = new TempDir();
        string p = t.Write("e.txt", "cntr,scan_key,ra,dec\n1,2,3,4\n");
        var (r, b) = Read(p, new ReadOptions(Format: InputFormat.Csv));
        Assert.Equal((InputFormat.Csv, 1), (r.Format, b.Count));
        Assert.NotNull(Read(p).Result.Error);   // as .txt it is a bulk file whose 1 field fits no profile
    }
}
