using System.CommandLine;
using Wdb.Cli;
using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Tests.Pipeline;

/// <summary>
/// SPEC §4's default radius is 2" for point sources and 5" for extended ones: a merge given no radius links an
/// extended-source table (the XSC's K20 magnitudes, `[jhk]_m_k20fe`) within 5", held whole, in zones and on a cluster.
/// </summary>
public sealed class ExtendedRadiusTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    // Two apparitions of a galaxy 3" apart (scans 1 and 2): one group within 5", two within 2"; a third 36" away.
    private const string Extended =
        "cntr,scan_key,ra,dec,j_m_k20fe,j_msig_k20fe\n" +
        "1,1,10.0,20.0,12.1,0.05\n" +
        "2,2,10.0,20.000833,12.2,0.05\n" +
        "3,3,10.0,20.01,13.0,0.05\n";

    private const string Point = "cntr,scan_key,ra,dec,j_m,j_msigcom\n11,1,30.0,20.0,12.1,0.05\n";

    private (MergeOutcome Outcome, string OutDir) Merge(string[] inputs, bool byInputs, double radius = MergeOptions.PointRadiusArcsec, int? zoneRows = null)
    {
        string outDir = _s.PathOf("out-" + Guid.NewGuid().ToString("N"));
        return (MergeJob.Run(new MergeOptions
        {
            Inputs = inputs, OutDir = outDir, Device = "cpu", Threads = 1, RadiusArcsec = radius, RadiusByInputs = byInputs, ZoneRows = zoneRows,
        }), outDir);
    }

    private static long[] GroupSizes(string outDir)
    {
        using var reader = OutputReader.Open(outDir);
        return reader.Groups().OrderBy(g => g.Gcntr).Select(g => (long)g.NMembers).ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void With_no_radius_given_an_extended_source_table_links_within_5_arcsec(int zoneRows)
    {
        string xsc = _s.Write("xsc.csv", Extended);
        var (outcome, outDir) = Merge([xsc], byInputs: true, zoneRows: zoneRows);
        Assert.Null(outcome.Error);
        Assert.Equal([2L, 1L], GroupSizes(outDir));
        Assert.Equal(5.0, Convert.ToDouble(outcome.Summary!.Parameters["radius_arcsec"]));

        // A radius given is kept, and a point-source table keeps 2".
        (outcome, outDir) = Merge([xsc], byInputs: false, zoneRows: zoneRows);
        Assert.Equal([1L, 1L, 1L], GroupSizes(outDir));
        Assert.Equal(2.0, Convert.ToDouble(outcome.Summary!.Parameters["radius_arcsec"]));
        (outcome, _) = Merge([_s.Write("point.csv", Point)], byInputs: true, zoneRows: zoneRows);
        Assert.Equal(2.0, Convert.ToDouble(outcome.Summary!.Parameters["radius_arcsec"]));
    }

    [Fact]
    public void A_cluster_plan_hands_the_extended_radius_to_its_tasks()
    {
        string outDir = _s.PathOf("cluster-out"), work = _s.PathOf("cluster-work");
        var options = new MergeOptions { Inputs = [_s.Write("xsc.csv", Extended)], OutDir = outDir, Device = "cpu", RadiusByInputs = true };
        var plan = Wdb.Merge.Streaming.ClusterMerge.Plan(options, work, 3, "wdb");
        Assert.Null(plan.Error);
        int tasks = Convert.ToInt32(plan.Summary!.Parameters["cluster_tasks"]);
        for (int t = 0; t < tasks; t++) Assert.Null(Wdb.Merge.Streaming.ClusterMerge.Task(work, t).Error);
        Assert.Null(Wdb.Merge.Streaming.ClusterMerge.Stitch(work).Error);
        Assert.Equal([2L, 1L], GroupSizes(outDir));
    }

    [Fact]
    public void Point_and_extended_tables_together_need_a_radius()
    {
        string xsc = _s.Write("xsc.csv", Extended), point = _s.Write("point.csv", Point);
        var (outcome, outDir) = Merge([xsc, point], byInputs: true);
        Assert.Equal(MergeJob.InputErrorExit, outcome.ExitCode);
        Assert.StartsWith($"{point} is a point-source table and {xsc} an extended-source one", outcome.Error);
        Assert.False(Directory.Exists(outDir));
        (outcome, _) = Merge([xsc, point], byInputs: false, radius: 5.0);
        Assert.Null(outcome.Error);
    }

    [Theory]
    [InlineData(new[] { "merge", "xsc.csv", "--out", "m" }, true)]
    [InlineData(new[] { "merge", "xsc.csv", "--out", "m", "--radius", "2" }, false)]
    public void Wdb_merge_lets_the_inputs_choose_only_when_no_radius_is_given(string[] args, bool byInputs)
    {
        var arguments = new MergeArguments();
        var merge = new Command("merge");
        arguments.AddTo(merge);
        var root = new RootCommand { merge };
        var options = arguments.Read(root.Parse(args), "merge", null);
        Assert.NotNull(options);
        Assert.Equal(byInputs, options.RadiusByInputs);
        Assert.Equal(2.0, options.RadiusArcsec);
    }
}
