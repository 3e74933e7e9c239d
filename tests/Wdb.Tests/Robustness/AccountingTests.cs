using Wdb.Core;
using Wdb.IO;
using static Wdb.Tests.Robustness.RobustSupport;

namespace Wdb.Tests.Robustness;

/// <summary>Every input row is accounted for: rows_read = rows_merged + rows_rejected, per file and in total.</summary>
public sealed class AccountingTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    [Fact]
    public void Several_corrupted_files_at_once_account_for_every_row_per_file_and_in_total()
    {
        // The row-level corpus files (all numbered cntr 1..6, so later files also repeat
        // earlier files' cntrs) plus the empty bulk and header-only ones, in one run.
        string[] names =
        [
            "truncated_last_line.csv", "wrong_column_count.csv", "non_numeric.csv", "nan_inf.csv", "empty.bulk",
            "dec_out_of_range.csv", "ra_out_of_range.csv", "duplicate_cntr.csv", "missing_required.csv",
            "header_only.tbl", "invalid_utf8.csv", "ipac_bad_rows.tbl", "bulk_bad_rows.bulk",
            "stray_quote.csv", "comment_lines.csv", "comment_lines.bulk",
        ];
        var inputs = names.Select(n => _s.Write(n, File.ReadAllBytes(BadData(n)))).ToArray();
        string outDir = _s.PathOf("out");
        var outcome = RunMerge(inputs, outDir);
        Assert.Null(outcome.Error);

        // Independent count: what each file's reader accepts, then the first row of each cntr
        // by (file, line) is merged and the later ones are duplicates of it.
        var seen = new HashSet<long>();
        var expectRead = new long[names.Length];
        var expectMerged = new long[names.Length];
        var expectDup = new long[names.Length];
        for (int f = 0; f < inputs.Length; f++)
        {
            var block = new ExtractionBlock(16);
            var read = ExtractionReader.Read(inputs[f], f, new ReadOptions(), block);
            Assert.Null(read.Error);
            expectRead[f] = read.RowsRead;
            for (int i = 0; i < block.Count; i++)
                if (seen.Add(block.Cntr[i])) expectMerged[f]++; else expectDup[f]++;
        }

        var summary = Summary(outDir);
        AssertAccounting(summary);
        var files = summary.GetProperty("inputs").EnumerateArray().ToArray();
        Assert.Equal(names.Length, files.Length);
        for (int f = 0; f < names.Length; f++)
        {
            Assert.Equal(inputs[f], files[f].GetProperty("path").GetString());
            Assert.Equal(expectRead[f], files[f].GetProperty("rows_read").GetInt64());
            Assert.True(expectMerged[f] == files[f].GetProperty("rows_merged").GetInt64(), $"{names[f]}: merged {files[f]}, expected {expectMerged[f]}");
            long dup = files[f].GetProperty("rejects_by_reason").TryGetProperty("duplicate_cntr", out var d) ? d.GetInt64() : 0;
            Assert.Equal(expectDup[f], dup);
        }
        Assert.True(expectDup.Sum() > 5);     // the cross-file duplicates are really exercised

        // rejects.csv holds exactly the rejected rows, charged to the right files and reasons.
        var rejects = Rejects(outDir);
        Assert.Equal(summary.GetProperty("rows_rejected").GetInt64(), rejects.Count);
        for (int f = 0; f < names.Length; f++)
        {
            var mine = rejects.Where(r => r.File == names[f]).ToList();
            Assert.Equal(files[f].GetProperty("rows_rejected").GetInt64(), mine.Count);
            foreach (var p in files[f].GetProperty("rejects_by_reason").EnumerateObject())
                Assert.Equal(p.Value.GetInt64(), mine.Count(r => r.Reason == p.Name));
        }
        // Every (file, line) is either merged or rejected, never both, never twice.
        using var reader = OutputReader.Open(outDir);
        var places = reader.Extractions().Select(e => (names[e.FileIndex], e.Line)).ToList();
        Assert.Equal(summary.GetProperty("rows_merged").GetInt64(), places.Count);
        places.AddRange(rejects.Select(r => (r.File, r.Line)));
        Assert.Equal(places.Count, places.Distinct().Count());
    }

    [Fact]
    public void Filtered_rows_are_counted_as_rejected_by_their_filter()
    {
        // Three rows, one with an artifact flag in J: merged 2, rejected 1 (filtered_artifact).
        string input = _s.Write("flags.csv",
            "cntr,scan_key,ra,dec,j_m,j_msigcom,j_snr,cc_flg\n" +
            "1,100,10.0,20.0,12.0,0.02,50,000\n" +
            "2,101,10.0001,20.0,12.1,0.02,50,p00\n" +
            "3,102,10.0002,20.0,12.2,0.02,50,000\n");
        string outDir = _s.PathOf("out-filter");
        var outcome = Wdb.Merge.MergeJob.Run(new Wdb.Merge.MergeOptions
        {
            Inputs = [input], OutDir = outDir, Device = "cpu", Threads = 1, Filters = new Wdb.Merge.FilterOptions(null, true),
        });
        Assert.Null(outcome.Error);
        var summary = Summary(outDir);
        AssertAccounting(summary);
        Assert.Equal(3, summary.GetProperty("rows_read").GetInt64());
        Assert.Equal(2, summary.GetProperty("rows_merged").GetInt64());
        Assert.Equal(1, summary.GetProperty("rejects_by_reason").GetProperty("filtered_artifact").GetInt64());
        using var reader = OutputReader.Open(outDir);
        var e2 = reader.FindExtraction(2)!;
        Assert.Equal(RejectReason.FilteredArtifact, e2.Reason);
        Assert.Equal(-1, e2.Gcntr);
    }

    /// <summary>
    /// Each physical line of a CSV or bulk file after its header is a merged row, a rejected row or a blank
    /// line: a stray quote does not take the lines after it, and a '#' line among the rows is not dropped.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Every_line_after_the_header_is_merged_rejected_or_blank(int zoneRows)
    {
        var sb = new System.Text.StringBuilder("# a preamble\ncntr,scan_key,ra,dec,j_m\n");
        for (int i = 1; i <= 400; i++)
        {
            string row = $"{i},{i % 7},{10 + i * 1e-4:F4},20.0,12.5";
            sb.Append((i % 9) switch { 0 => "#" + row, 3 => row.Replace(",20.0", ",\"20.0"), 5 => row.Replace("12.5", "\"12,5\""), _ => row });
            sb.Append(i % 50 == 0 ? "\n\n" : "\n");
        }
        string csv = _s.Write("lines.csv", sb.ToString());
        string bulk = _s.Write("lines.bulk", string.Concat(File.ReadAllLines(BadData("comment_lines.bulk")).Select(l => l + "\n")));
        string outDir = _s.PathOf($"out-lines-{zoneRows}");
        var outcome = Wdb.Merge.MergeJob.Run(new Wdb.Merge.MergeOptions
        {
            Inputs = [csv, bulk], OutDir = outDir, Device = "cpu", Threads = 2, ZoneRows = zoneRows,
        });
        Assert.Null(outcome.Error);
        var summary = Summary(outDir);
        AssertAccounting(summary);

        using var reader = OutputReader.Open(outDir);
        string[] names = ["lines.csv", "lines.bulk"];
        var places = reader.Extractions().Select(e => (names[e.FileIndex], e.Line)).ToList();
        var rejects = Rejects(outDir);
        places.AddRange(rejects.Select(r => (r.File, r.Line)));
        var expected = new List<(string, long)>();
        foreach (var (path, first) in new[] { (csv, 3), (bulk, 1) })
        {
            var lines = File.ReadAllLines(path);
            for (int l = first; l <= lines.Length; l++)
                if (lines[l - 1].Trim().Length > 0) expected.Add((Path.GetFileName(path), l));
        }
        Assert.Equal(expected.Order(), places.Order());
        Assert.Equal(expected.Count, summary.GetProperty("rows_read").GetInt64());
        Assert.Equal(44 + 2, rejects.Count(r => r.Reason == "comment_line"));
        Assert.Equal(45, rejects.Count(r => r.Reason == "unterminated_quote"));
    }
}
