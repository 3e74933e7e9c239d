using System.Text.Json;
using Wdb.Merge;

namespace Wdb.Tests.Pipeline;

/// <summary>What a merge says of inputs it reads without a reject, but not as a user may think: in summary.json's `warnings` and on the log.</summary>
public sealed class InputWarningsTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    private const string Header =
        "\\fixlen = T\n" +
        "| cntr|scan_key|     ra|    dec|\n" +
        "|  int|    long| double| double|\n";

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Ipac_tables_joined_with_cat_are_merged_as_one_and_the_repeated_headers_said(int zoneRows)
    {
        string rows1 = "     1        7 10.0000 20.0000\n     2        7 10.0100 20.0000\n";
        string rows2 = "     3        8 10.0000 20.0000\n";
        string path = _s.Write($"joined{zoneRows}.tbl", Header + rows1 + Header + rows2 + Header);
        var log = new List<string>();
        string outDir = _s.PathOf($"out-joined{zoneRows}");
        var outcome = MergeJob.Run(Options([path], outDir, zoneRows), log.Add);
        Assert.Null(outcome.Error);
        var summary = Summary(outDir);
        Assert.Equal(3, summary.GetProperty("rows_read").GetInt64());
        Assert.Equal(3, summary.GetProperty("rows_merged").GetInt64());
        string expected = $"{path}: 2 more IPAC headers among the rows, the first on line 7, the same as the header on line 2 " +
                          "(tables joined with cat): skipped, and their rows read as the first table's";
        Assert.Equal([expected], Warnings(summary));
        Assert.Contains($"warning: {expected}", log);
    }

    [Fact]
    public void Validate_notes_repeated_ipac_headers_and_merge_refuses_a_second_header_that_differs()
    {
        string rows = "     1        7 10.0000 20.0000\n";
        string joined = _s.Write("joined.tbl", Header + rows + Header + rows.Replace(" 1 ", " 2 "));
        var (exit, stdout, _) = WdbProcess.Run("validate", joined);
        Assert.Equal(0, exit);
        string note = $"{joined}: 1 more IPAC header among the rows, the first on line 6, the same as the header on line 2";
        Assert.Contains($"  note: {note}", stdout);
        var json = WdbProcess.Run("validate", joined, "--json");
        using (var doc = System.Text.Json.JsonDocument.Parse(json.Stdout))
            Assert.StartsWith(note, Assert.Single(doc.RootElement.GetProperty("files")[0].GetProperty("notes").EnumerateArray()).GetString());

        string swapped = _s.Write("swapped.tbl", Header + rows + Header.Replace("|     ra|    dec|", "|    dec|     ra|") + rows);
        string outDir = _s.PathOf("out-swapped");
        var (mexit, _, stderr) = WdbProcess.Run("merge", swapped, "--out", outDir, "--device", "cpu");
        Assert.Equal(MergeJob.InputErrorExit, mexit);
        Assert.Equal($"wdb merge: {swapped}:6:17: a second IPAC header, its name of column 3 'dec' where the first header's (line 2) is 'ra': " +
                     "the file holds two tables with different columns; split them into a file each", stderr.Trim());
        Assert.False(Directory.Exists(outDir));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void An_input_without_rows_is_merged_as_nothing_and_said(int zoneRows)
    {
        // A download or a pipe that failed gives an empty file or a header alone: read as 0 rows, as before, but a
        // batch run whose log nobody reads now has it in summary.json.
        string empty = _s.Write($"empty{zoneRows}.bulk", "");
        string headerOnly = _s.Write($"header{zoneRows}.csv", "cntr,scan_key,ra,dec\n\n");
        string rows = _s.Write($"rows{zoneRows}.csv", "cntr,scan_key,ra,dec\n1,7,10.0,20.0\n");
        var log = new List<string>();
        string outDir = _s.PathOf($"out-empty{zoneRows}");
        var outcome = MergeJob.Run(Options([empty, rows, headerOnly], outDir, zoneRows), log.Add);
        Assert.Null(outcome.Error);
        var summary = Summary(outDir);
        Assert.Equal(1, summary.GetProperty("rows_merged").GetInt64());
        string[] expected = [.. new[] { empty, headerOnly }.Select(p => $"{p}: no rows (empty, blank lines or a header alone): it adds nothing to the merge")];
        Assert.Equal(expected, Warnings(summary));
        Assert.All(expected, w => Assert.Contains($"warning: {w}", log));
    }

    [Fact]
    public void Empty_standard_input_is_merged_as_nothing_and_said_on_stderr()
    {
        string outDir = _s.PathOf("out-stdin");
        var (exit, _, stderr) = WdbProcess.Run([], "merge", "-", "--out", outDir, "--device", "cpu");
        Assert.Equal(0, exit);
        const string said = "standard input (-): no rows (empty, blank lines or a header alone): it adds nothing to the merge";
        Assert.Contains($"wdb merge: warning: {said}", stderr);
        Assert.Equal([said], Warnings(Summary(outDir)));
    }

    private static MergeOptions Options(IReadOnlyList<string> inputs, string outDir, int zoneRows) => new()
    {
        Inputs = inputs, OutDir = outDir, Device = "cpu", Threads = 1, ZoneRows = zoneRows,
    };

    private static JsonElement Summary(string outDir) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "summary.json"))).RootElement.Clone();

    private static List<string> Warnings(JsonElement summary) =>
        summary.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
}
