using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Tests.Robustness;

internal static class RobustSupport
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string BadData(string name) => Path.Combine(AppContext.BaseDirectory, "data", "bad", name);

    public static MergeOutcome RunMerge(IReadOnlyList<string> inputs, string outDir, bool strict = false, string device = "cpu",
        int threads = 1, int blockRows = 1 << 23) =>
        MergeJob.Run(new MergeOptions
        {
            Inputs = inputs, OutDir = outDir, Strict = strict, Device = device, Threads = threads, BlockRows = blockRows,
        });

    public static JsonElement Summary(string outDir) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "summary.json"))).RootElement.Clone();

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>rejects.csv rows as (file name, line, column, reason), in file order.</summary>
    public static List<(string File, long Line, int Column, string Reason)> Rejects(string outDir)
    {
        var records = ParseCsv(File.ReadAllText(Path.Combine(outDir, "rejects.csv")));
        Assert.Equal(["file", "line", "column", "reason", "cntr", "detail"], records[0]);
        var rows = new List<(string, long, int, string)>();
        foreach (var f in records.Skip(1))
        {
            Assert.Equal(6, f.Count);
            rows.Add((Path.GetFileName(f[0]), long.Parse(f[1], Inv), int.Parse(f[2], Inv), f[3]));
        }
        return rows;
    }

    /// <summary>RFC 4180 records (quoted fields may hold commas, quotes and newlines).</summary>
    public static List<List<string>> ParseCsv(string text)
    {
        var records = new List<List<string>>();
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = false;
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else if (c == '\n') { fields.Add(field.ToString()); field.Clear(); records.Add(fields); fields = new(); }
            else field.Append(c);
        }
        Assert.False(quoted, "rejects.csv ends inside a quoted field");
        if (field.Length > 0 || fields.Count > 0) { fields.Add(field.ToString()); records.Add(fields); }
        return records;
    }

    /// <summary>
    /// Checks rows_read = rows_merged + rows_rejected, and rows_rejected = the sum of
    /// rejects_by_reason, for every inputs[] entry and for the totals (which must also be
    /// the sums over the inputs).
    /// </summary>
    public static void AssertAccounting(JsonElement summary)
    {
        long read = 0, merged = 0, rejected = 0;
        var byReason = new Dictionary<string, long>();
        foreach (var input in summary.GetProperty("inputs").EnumerateArray())
        {
            long r = input.GetProperty("rows_read").GetInt64(), m = input.GetProperty("rows_merged").GetInt64(),
                j = input.GetProperty("rows_rejected").GetInt64();
            string path = input.GetProperty("path").GetString()!;
            Assert.True(r == m + j, $"{path}: rows_read {r} != rows_merged {m} + rows_rejected {j}");
            long sum = 0;
            foreach (var p in input.GetProperty("rejects_by_reason").EnumerateObject())
            {
                sum += p.Value.GetInt64();
                byReason[p.Name] = byReason.GetValueOrDefault(p.Name) + p.Value.GetInt64();
            }
            Assert.True(j == sum, $"{path}: rows_rejected {j} != sum of rejects_by_reason {sum}");
            read += r; merged += m; rejected += j;
        }
        Assert.Equal(read, summary.GetProperty("rows_read").GetInt64());
        Assert.Equal(merged, summary.GetProperty("rows_merged").GetInt64());
        Assert.Equal(rejected, summary.GetProperty("rows_rejected").GetInt64());
        var total = new Dictionary<string, long>();
        foreach (var p in summary.GetProperty("rejects_by_reason").EnumerateObject()) total[p.Name] = p.Value.GetInt64();
        Assert.Equal(byReason.OrderBy(k => k.Key), total.OrderBy(k => k.Key));
    }

    /// <summary>
    /// A canonical hash of a merge's outputs: groups.fb and members.fb bytes, and the
    /// extractions decoded without their provenance (file index, line).
    /// </summary>
    public static (string Groups, string Members, string Extractions) CanonicalHashes(string outDir)
    {
        var sb = new StringBuilder();
        using (var reader = OutputReader.Open(outDir))
            foreach (var e in reader.Extractions().OrderBy(e => e.Cntr))
                sb.Append(Inv, $"{e.Cntr},{e.Cgid},{e.Gcntr},{BitConverter.SingleToInt32Bits(e.SepArcsec)},{e.Reliability},{(int)e.Reason}\n");
        return (Sha256(Path.Combine(outDir, "groups.fb")), Sha256(Path.Combine(outDir, "members.fb")),
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString()))));
    }

    /// <summary>CSV text of the rows of a block with the columns the merge round-trips exactly (R format).</summary>
    public static string Csv(ExtractionBlock b, IEnumerable<int>? order = null)
    {
        var sb = new StringBuilder("cntr,scan_key,ra,dec,j_m,j_msigcom,jdate\n");
        foreach (int i in order ?? Enumerable.Range(0, b.Count))
        {
            sb.Append(Inv, $"{b.Cntr[i]},{b.ScanKey[i]},{b.Ra[i]:R},{b.Dec[i]:R},");
            if (!float.IsNaN(b[Band.J].Mag[i])) sb.Append(Inv, $"{b[Band.J].Mag[i]:R}");
            sb.Append(',');
            if (!float.IsNaN(b[Band.J].Sig[i])) sb.Append(Inv, $"{b[Band.J].Sig[i]:R}");
            sb.Append(',');
            if (!double.IsNaN(b.JDate[i])) sb.Append(Inv, $"{b.JDate[i]:R}");
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
