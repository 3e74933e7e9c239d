using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Tests.Pipeline;

/// <summary>
/// The tiny merge against committed golden files (data/golden): every id, flag, count,
/// designation and reliability score of a hand-checked merge. Floating columns whose last
/// digit depends on the platform's libm are left to the hand-computed tests. To accept a
/// deliberate change, run with WDB_UPDATE_GOLDEN=1 and review the diff of data/golden.
/// </summary>
public sealed class GoldenMergeTests : IDisposable
{
    private readonly Scratch _scratch = new();
    private string _dir => _scratch.Dir;
    private static readonly string Golden = Path.Combine(AppContext.BaseDirectory, "data", "golden");

    public void Dispose() => _scratch.Dispose();

    [Theory]
    [InlineData("extractions", "cntr,cgid,gcntr,reliability,reason")]
    [InlineData("groups", "gcntr,cgid,confused,candidate_size,n_members,n_scans,sdet,spos,designation,j_ndet,j_nnondet,h_ndet,h_nnondet,k_ndet,k_nnondet,pm_status,cc_mask,n_flagged,mixed_flags")]
    [InlineData("members", "gcntr,cntr,scan_key,jdate,j_detected,h_detected,k_detected")]
    public void Tiny_merge_matches_the_golden_file(string table, string columns)
    {
        string outDir = Path.Combine(_dir, "out");
        var outcome = MergeJob.Run(new MergeOptions { Inputs = [Path.Combine(Golden, "tiny.csv")], OutDir = outDir, Device = "cpu" });
        Assert.Null(outcome.Error);
        string csv = Path.Combine(_dir, table + ".csv");
        Assert.Null(Exporter.Export(outDir, table, "csv", csv));
        string actual = Project(File.ReadAllLines(csv), columns.Split(','));

        string goldenPath = Path.Combine(Golden, $"tiny.{table}.csv");
        if (Environment.GetEnvironmentVariable("WDB_UPDATE_GOLDEN") == "1")
        {
            string source = Path.Combine(FindRepoRoot(), "tests", "Wdb.Tests", "data", "golden", $"tiny.{table}.csv");
            File.WriteAllText(source, actual);
        }
        Assert.Equal(File.ReadAllText(goldenPath), actual);
    }

    private static string Project(string[] lines, string[] columns)
    {
        var header = lines[0].Split(',');
        var index = columns.Select(c => Array.IndexOf(header, c)).ToArray();
        Assert.DoesNotContain(-1, index);
        var output = new List<string> { string.Join(',', columns) };
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(','); // no quoted fields in these columns
            output.Add(string.Join(',', index.Select(i => fields[i])));
        }
        return string.Join('\n', output) + "\n";
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Wdb.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Wdb.sln not found above the test directory");
    }
}
