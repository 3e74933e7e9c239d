using System.Text;
using Wdb.Core;
using Wdb.IO;
using Wdb.Tests.Robustness;
using static Wdb.Tests.Readers.ReaderTestSupport;

namespace Wdb.Tests.Readers;

/// <summary>
/// A row whose line is not UTF-8 (a Latin-1 letter, most often) is rejected as <c>invalid_utf8</c>, but it stays
/// identifiable: the reject points at the field the bad byte is in, names that column, and carries the row's cntr
/// whenever the cntr field is itself readable.
/// </summary>
public sealed class InvalidUtf8Tests
{
    /// <summary>The text's '\u00e9' written as the lone Latin-1 byte 0xE9 (invalid UTF-8).</summary>
    private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);

    private static (long Line, int Column, long? Cntr, string Detail)[] Rejects(FileReadResult r) =>
        r.Rejects.Select(x =>
        {
            Assert.Equal(RejectReason.InvalidUtf8, x.Reason);
            return (x.Line, x.Column, x.Cntr, x.Detail);
        }).ToArray();

    [Fact]
    public void Csv_reject_points_at_the_field_and_keeps_a_readable_cntr()
    {
        using var t = new TempDir();
        string path = t.Write("latin1.csv", Latin1(
            "cntr,scan_key,ra,dec,note,j_m\n" +
            "1,10,10.5,20.5,ok,15.1\n" +
            "2,10,10.6,20.5,caf\u00e9 au lait,15.1\n" +          // a column wdb does not read
            "\u00e93,10,10.7,20.5,x,15.1\n" +                     // the cntr itself: no cntr to give
            "4,10,10.8,20.5, \"caf\u00e9, quoted\",15.1\n" +     // a quoted field: at its opening quote
            "5,10,10.9,20.5,ok,1\u00e9\n" +                       // a column wdb reads
            "6,10,11.0,20.5,caf\u00e9,15.1,extra\n"));           // too many fields: which is which is unknown
        var (r, b) = Read(path);
        Assert.Equal([1L], b.Cntr.Take(b.Count));
        Assert.Equal(
        [
            (3L, 16, 2L, "invalid UTF-8 in column 'note' at byte 19 of the line"),
            (4L, 1, null, "invalid UTF-8 in column 'cntr' at byte 1 of the line"),
            (5L, 17, 4L, "invalid UTF-8 in column 'note' at byte 21 of the line"),
            (6L, 19, 5L, "invalid UTF-8 in column 'j_m' at byte 20 of the line"),
            (7L, 19, null, "invalid UTF-8 at byte 19 of the line"),
        ], Rejects(r));

        // A cntr after the bad field is read too.
        string after = t.Write("after.csv", Latin1("note,cntr,scan_key,ra,dec\ncaf\u00e9,7,10,10.5,20.5\n"));
        Assert.Equal([(2L, 1, 7L, "invalid UTF-8 in column 'note' at byte 4 of the line")], Rejects(Read(after).Result));

        // Strict: the first one stops the read, at the field.
        var (strict, _) = Read(path, new ReadOptions(Strict: true));
        Assert.Equal($"{path}:3:16: invalid UTF-8 in column 'note' at byte 19 of the line", strict.Error!.ToString());
    }

    [Fact]
    public void Ipac_reject_points_at_the_value_and_keeps_a_readable_cntr()
    {
        using var t = new TempDir();
        string[] lines =
        [
            "|cntr|scan_key|    ra|   dec|        note|",
            "    1        9    1.5   -2.5           ok ",
            "    2        9    3.5    4.5    caf\u00e9 ol ",
            "  \u00e93        9    5.5    6.5           ok ",
        ];
        var (r, b) = Read(t.Write("latin1.tbl", Latin1(string.Join("\n", lines) + "\n")));
        Assert.Equal([1L], b.Cntr.Take(b.Count));
        Assert.Equal(
        [
            (3L, lines[2].IndexOf("caf", StringComparison.Ordinal) + 1, 2L, $"invalid UTF-8 in column 'note' at byte {lines[2].IndexOf('\u00e9') + 1} of the line"),
            (4L, 3, null, "invalid UTF-8 in column 'cntr' at byte 3 of the line"),
        ], Rejects(r));
    }

    [Fact]
    public void Bulk_reject_points_at_the_field_and_keeps_a_readable_cntr()
    {
        using var t = new TempDir();
        string good = File.ReadAllLines(Data("sample_wdb.bulk"))[0];   // cntr 1001, ph_qual AAA
        string flag = good.Replace("|AAA|", "|A\u00e9A|");
        string cntr = good.Replace("1001|", "10\u00e901|");
        var (r, b) = Read(t.Write("latin1.bulk", Latin1(good + "\n" + flag + "\n" + cntr + "\n")), new ReadOptions(Profile: "wdb"));
        Assert.Equal([1001L], b.Cntr.Take(b.Count));
        Assert.Equal(
        [
            (2L, flag.IndexOf("|A\u00e9A|", StringComparison.Ordinal) + 2, 1001L, $"invalid UTF-8 in column 'ph_qual' at byte {flag.IndexOf('\u00e9') + 1} of the line"),
            (3L, 1, null, "invalid UTF-8 in column 'cntr' at byte 3 of the line"),
        ], Rejects(r));
    }

    [Fact]
    public void Merge_writes_the_cntr_of_an_invalid_utf8_row_to_rejects_csv()
    {
        using var s = new Scratch();
        string input = s.Write("latin1.csv", Latin1("cntr,scan_key,ra,dec,note\n1,10,10.5,20.5,ok\n2,10,10.6,20.5,caf\u00e9\n\u00e93,10,10.7,20.5,x\n"));
        string outDir = s.PathOf("out");
        Assert.Null(RobustSupport.RunMerge([input], outDir).Error);
        var rows = RobustSupport.ParseCsv(File.ReadAllText(Path.Combine(outDir, "rejects.csv")));
        Assert.Equal(["file", "line", "column", "reason", "cntr", "detail"], rows[0]);
        Assert.Equal([input, "3", "16", "invalid_utf8", "2", "invalid UTF-8 in column 'note' at byte 19 of the line"], rows[1]);
        Assert.Equal([input, "4", "1", "invalid_utf8", "", "invalid UTF-8 in column 'cntr' at byte 1 of the line"], rows[2]);
    }
}
