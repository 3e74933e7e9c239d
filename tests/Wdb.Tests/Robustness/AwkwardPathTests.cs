using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Tests.Robustness;

/// <summary>
/// Files with awkward names (unicode, a leading '-', a line end, the IPAC null value) where a path is written into
/// something another program reads: the file columns of IPAC tables, and the cluster's shell scripts.
/// </summary>
public sealed class AwkwardPathTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    private string Merged(string input)
    {
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, 300, 7), input);
        string outDir = _s.PathOf("merged");
        Assert.Null(MergeJob.Run(new MergeOptions { Inputs = [input], OutDir = outDir, Device = "cpu", Threads = 1 }).Error);
        return outDir;
    }

    /// <summary>
    /// STILTS cuts an IPAC table's columns at byte offsets and astropy at character offsets, so a non-ASCII path
    /// in a file column shifts the row's later columns for one of them (STILTS read 'é星.csv' rows with no line, no
    /// position, no gcntr): refused in one line naming the path, as a blank is; CSV holds it as it is.
    /// </summary>
    [Fact]
    public void An_ipac_file_column_refuses_a_path_beyond_ascii_and_csv_keeps_it()
    {
        string dir = Merged(_s.PathOf("field.csv"));
        string list = _s.PathOf("é星,\"targets\".csv");
        File.Copy(_s.PathOf("field.csv"), list);
        foreach (var verb in new[] { new[] { "cone", dir, "--targets", list }, ["associate", dir, list] })
        {
            var ipac = WdbProcess.Run([.. verb, "--format", "ipac", "--quiet"]);
            Assert.Equal(2, ipac.Exit);
            Assert.Equal("", ipac.Stdout);
            Assert.Single(ipac.Stderr.TrimEnd('\n').Split('\n'));
            Assert.Contains($"'{list}': an IPAC table cannot hold a path with a character outside printable ASCII", ipac.Stderr);

            var csv = WdbProcess.Run([.. verb, "--quiet"]);
            Assert.True(csv.Exit == 0, csv.Stderr);
            var rows = csv.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
            Assert.NotEmpty(rows);
            string quoted = '"' + list.Replace("\"", "\"\"") + '"';
            Assert.All(rows, r => Assert.Contains(quoted + ",", r));
        }
    }

    /// <summary>'null' in an IPAC column is its null value: astropy read the targets' file 'null' as masked.</summary>
    [Fact]
    public void An_ipac_file_column_refuses_the_path_null_but_takes_one_that_names_the_same_file()
    {
        Assert.Contains("the path 'null', which it reads as its null value", ColumnMaps.IpacPathProblem(["a.csv", "null"], "--targets"));
        Assert.Null(ColumnMaps.IpacPathProblem(["./null", "nulls.csv", "p|q,\"r\".csv"], "--targets"));
        Assert.Contains("a path with a character outside printable ASCII", ColumnMaps.IpacPathProblem(["a\tb.csv"], "catalogue"));
    }
}
