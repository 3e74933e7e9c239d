using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Tests.Pipeline;

/// <summary>`--scans FILE`: spos from given scan footprints instead of the scans' own extractions.</summary>
public sealed class ScanTableTests : IDisposable
{
    private readonly Scratch _scratch = new();
    private string _dir => _scratch.Dir;

    public void Dispose() => _scratch.Dispose();

    private string Write(string name, string text) => _scratch.Write(name, text);

    // Source A at (10, 20) seen by scan 1; source B at (10, 20.5) seen by scan 2. Scan 1 covers
    // dec 19.9-20.1, scan 2 covers dec 19.9-20.6 (both RA 9.9-10.1), scan 3 lies elsewhere.
    private const string Input =
        "cntr,scan_key,ra,dec\n" +
        "1,1,10.0,20.0\n" +
        "2,2,10.0,20.5\n";

    private const string Scans =
        "scan_key,ra1,dec1,ra2,dec2,ra3,dec3,ra4,dec4\n" +
        "1,9.9,19.9,10.1,19.9,10.1,20.1,9.9,20.1\n" +
        "2,9.9,19.9,10.1,19.9,10.1,20.6,9.9,20.6\n" +
        "3,30.0,0.0,31.0,0.0,31.0,1.0,30.0,1.0\n";

    private Dictionary<long, int> Spos(string? scanTable)
    {
        string outDir = Path.Combine(_dir, "out-" + Guid.NewGuid().ToString("N"));
        var outcome = MergeJob.Run(new MergeOptions { Inputs = [Write("in.csv", Input)], OutDir = outDir, Device = "cpu", ScanTable = scanTable });
        Assert.Null(outcome.Error);
        using var reader = OutputReader.Open(outDir);
        return reader.Groups().ToDictionary(g => g.Gcntr, g => g.Spos);
    }

    [Fact]
    public void A_scan_table_counts_every_scan_whose_footprint_covers_the_group()
    {
        var spos = Spos(Write("scans.csv", Scans));
        Assert.Equal(2, spos[1]);   // scans 1 and 2 cover (10, 20)
        Assert.Equal(1, spos[2]);   // only scan 2 reaches dec 20.5
    }

    [Fact]
    public void A_cluster_plan_carries_the_scan_table_to_its_tasks()
    {
        // Each row its own zone and task: the tasks count spos from the footprints the plan read from the table.
        string outDir = Path.Combine(_dir, "cluster-out"), work = Path.Combine(_dir, "cluster-work");
        var options = new MergeOptions { Inputs = [Write("in.csv", Input)], OutDir = outDir, Device = "cpu", ScanTable = Write("scans.csv", Scans) };
        var plan = Wdb.Merge.Streaming.ClusterMerge.Plan(options, work, 2, "wdb");
        Assert.Null(plan.Error);
        Assert.Equal(2, Convert.ToInt32(plan.Summary!.Parameters["cluster_tasks"]));
        for (int t = 0; t < 2; t++) Assert.Null(Wdb.Merge.Streaming.ClusterMerge.Task(work, t).Error);
        Assert.Null(Wdb.Merge.Streaming.ClusterMerge.Stitch(work).Error);
        using var reader = OutputReader.Open(outDir);
        var spos = reader.Groups().ToDictionary(g => g.Gcntr, g => g.Spos);
        Assert.Equal(2, spos[1]);
        Assert.Equal(1, spos[2]);
    }

    [Fact]
    public void A_scan_listed_twice_with_the_same_corners_counts_once()
    {
        // Two tables joined: the repeat changes no footprint, so it is taken, not refused.
        var lines = Scans.Split('\n');
        var spos = Spos(Write("scans-twice.csv", Scans + lines[1] + "\n" + lines[2] + "\n"));
        Assert.Equal(2, spos[1]);
        Assert.Equal(1, spos[2]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(1)]
    public void A_table_that_leaves_out_a_scan_of_the_inputs_says_so_held_whole_and_in_zones(int? zoneRows)
    {
        // Scan 2 is missing: its footprint is unknown, so spos cannot count it where it looked and missed. The run goes on
        // (spos still counts it where it detected), but says so on the log and in summary.json's warnings.
        string table = Write("scans-without-2.csv", "scan_key,ra1,dec1,ra2,dec2,ra3,dec3,ra4,dec4\n1,9.9,19.9,10.1,19.9,10.1,20.1,9.9,20.1\n");
        string outDir = Path.Combine(_dir, "out-missing-" + zoneRows);
        var said = new List<string>();
        var outcome = MergeJob.Run(new MergeOptions { Inputs = [Write("in.csv", Input)], OutDir = outDir, Device = "cpu", ScanTable = table, ZoneRows = zoneRows }, said.Add);
        Assert.Null(outcome.Error);
        string warning = Assert.Single(outcome.Summary!.Warnings);
        Assert.StartsWith($"1 scan of the inputs has no row in the --scans table {table}: scan id 2;", warning);
        Assert.Contains(said, line => line.Contains(warning));

        // A table that lists every scan of the inputs (and more) warns of nothing.
        var complete = MergeJob.Run(new MergeOptions { Inputs = [Write("in.csv", Input)], OutDir = outDir + "-complete", Device = "cpu", ScanTable = Write("scans.csv", Scans), ZoneRows = zoneRows });
        Assert.Empty(complete.Summary!.Warnings);
    }

    [Fact]
    public void Without_a_table_each_scan_covers_only_its_own_extractions()
    {
        var spos = Spos(null);
        Assert.Equal(1, spos[1]);
        Assert.Equal(1, spos[2]);
    }

    [Theory]
    [InlineData("scan_key,ra1,dec1\n1,10.0,20.0\n2,10.0,abc\n", ":3:8:")]
    [InlineData("scan,ra1,dec1\n1,10.0,20.0\n", ":1:1:")]
    [InlineData("scan_key,ra1,dec1\n1,10.0\n", ":2:1:")]
    [InlineData("scan_key,ra1,dec1\n1,360.0,20.0\n", ":2:3:")]
    [InlineData("scan_key,ra1,dec1\n1,10.0,20.0\n2,10.0,20.5\n1,10.0,20.5\n", ":4:1: scan_key 1 is listed again with other corners (first at line 2)")]
    public void A_bad_scan_table_stops_the_run_with_its_line_and_column(string table, string where)
    {
        string scans = Write("bad-scans.csv", table);
        string outDir = Path.Combine(_dir, "out-bad");
        var outcome = MergeJob.Run(new MergeOptions { Inputs = [Write("in.csv", Input)], OutDir = outDir, Device = "cpu", ScanTable = scans });
        Assert.Equal(2, outcome.ExitCode);
        Assert.StartsWith(scans + where, outcome.Error);
        Assert.False(Directory.Exists(outDir));
    }
}
