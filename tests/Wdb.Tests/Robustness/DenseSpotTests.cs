using System.Text;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;
using static Wdb.Tests.Robustness.RobustSupport;

namespace Wdb.Tests.Robustness;

/// <summary>
/// Limits (issue 6): 100,000 extractions within 2" must finish (no O(n^2) step) and the
/// candidate group that is too large to split is flagged, not silently mis-split.
/// </summary>
public sealed class DenseSpotTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    /// <summary>
    /// <paramref name="n"/> extractions scattered within 0.9" of (150, 2) (so every pair is
    /// within 2"), scan = row % scans; cntr = row + 1.
    /// </summary>
    private static ExtractionBlock Spot(int n, int scans, int seed)
    {
        var rnd = new Random(seed);
        var b = new ExtractionBlock(n);
        double cosDec = Math.Cos(2.0 * Math.PI / 180);
        for (int i = 0; i < n; i++)
        {
            int r = b.AddRow();
            double rad = 0.9 / 3600 * Math.Sqrt(rnd.NextDouble()), pa = rnd.NextDouble() * 2 * Math.PI;
            b.Cntr[r] = i + 1;
            b.ScanKey[r] = 1000 + i % scans;
            b.Ra[r] = 150 + rad * Math.Sin(pa) / cosDec;
            b.Dec[r] = 2 + rad * Math.Cos(pa);
            b[Band.J].Mag[r] = (float)(12 + rnd.NextDouble());
            b[Band.J].Sig[r] = 0.05f;
            b.JDate[r] = 2451000.5 + i % scans;
        }
        return b;
    }

    [Theory]
    [InlineData(50)]
    [InlineData(1)]
    public void Hundred_thousand_extractions_within_2_arcsec_finish_and_are_flagged_unresolved(int scans)
    {
        const int n = 100_000;
        var block = Spot(n, scans, scans);
        string input = _s.Write($"dense{scans}.csv", Csv(block));
        string outDir = _s.PathOf($"out{scans}");
        // In a process of its own, so that its memory is its own: in this one, other test classes running beside it
        // share the heap, and under a loaded suite took the bound past 1500 MB.
        var (exit, _, stderr) = WdbProcess.Run("merge", input, "--out", outDir, "--threads", "2", "--device", "cpu", "--quiet");
        Assert.True(exit == 0, stderr);

        var summary = Summary(outDir);
        AssertAccounting(summary);
        Assert.Equal(n, summary.GetProperty("rows_merged").GetInt64());
        Assert.Equal(1, summary.GetProperty("candidate_groups").GetInt64());
        Assert.Equal(1, summary.GetProperty("confused_candidate_groups").GetInt64());
        Assert.Equal(1, summary.GetProperty("unresolved_candidate_groups").GetInt64());
        // Bounded memory: no stage holds anything like members x seeds (2e8 or 1e10 values, 0.8 GB and more;
        // ~36 MB of heap and a ~120 MB peak here).
        foreach (var stage in summary.GetProperty("stage_heap_mb").EnumerateObject())
            Assert.True(stage.Value.GetDouble() < 400, $"{stage.Name}: {stage.Value.GetDouble()} MB in use");
        double peak = summary.GetProperty("peak_working_set_mb").GetDouble();
        Assert.True(peak < 500, $"peak working set {peak} MB");

        // Left whole: one group, gcntr = cgid = 1, confused and flagged unresolved in the
        // outputs, with more members than scans, which a split group can never have.
        using var reader = OutputReader.Open(outDir);
        var g = Assert.Single(reader.Groups());
        Assert.Equal(1, g.Gcntr);
        Assert.Equal(1, g.Cgid);
        Assert.True(g.Confused);
        Assert.True(g.Unresolved);
        Assert.Equal(n, g.NMembers);
        Assert.Equal(scans, g.NScans);
        Assert.True(g.NMembers > g.NScans);
    }

    [Fact]
    public void Resolver_leaves_a_group_over_the_work_cap_whole_and_splits_one_under_it()
    {
        // 4,000 members from 8 scans: 4,000 x 500 tests + 8 x 500^2 / 2 = 3e6 <= cap, split
        // into groups of one extraction per scan; 4,000 from 1 scan: 2.4e7 > cap, left whole.
        foreach (var (scans, expectUnresolved) in new[] { (8, false), (1, true) })
        {
            const int n = 4000;
            var block = Spot(n, scans, 7);
            var cgid = new long[n];
            Array.Fill(cgid, 1L);
            Assert.Equal(expectUnresolved, (long)n * (n / scans) > ConfusionResolver.MaxSplitWork);
            var r = ConfusionResolver.Resolve(block, cgid, 2.0);
            Assert.Equal(1, r.ConfusedCandidateGroups);
            Assert.Equal(expectUnresolved ? 1 : 0, r.UnresolvedCandidateGroups);
            for (int i = 0; i < n; i++)
            {
                Assert.True(r.Confused[i]);
                Assert.Equal(expectUnresolved, r.Unresolved[i]);
            }
            if (expectUnresolved)
            {
                Assert.All(r.Gcntr, g => Assert.Equal(1, g));
                continue;
            }
            // Split: no final group holds two extractions of one scan; gcntr is the group's smallest cntr.
            var byGroup = new Dictionary<long, List<int>>();
            for (int i = 0; i < n; i++)
                (byGroup.TryGetValue(r.Gcntr[i], out var l) ? l : byGroup[r.Gcntr[i]] = new()).Add(i);
            foreach (var (gcntr, rows) in byGroup)
            {
                Assert.Equal(rows.Count, rows.Select(i => block.ScanKey[i]).Distinct().Count());
                Assert.Equal(gcntr, rows.Min(i => block.Cntr[i]));
            }
        }
    }

    [Fact]
    public void A_long_chain_over_members_x_seeds_is_still_split_because_each_member_sees_few_seeds()
    {
        // 900 sources 1.5" apart along a line of dec (one 0.375 deg component), each seen by
        // 14 scans with 0.1" scatter: members x seeds = 12,600 x 900 ~ 1.1e7 per round without the
        // grid (over the cap) and 12,600 x ~3 with it, plus 14 x 900^2 / 2 ~ 5.7e6 bookkeeping: under it.
        const int sources = 900, scans = 14;
        var rnd = new Random(11);
        var b = new ExtractionBlock(sources * scans);
        for (int s = 0; s < sources; s++)
            for (int k = 0; k < scans; k++)
            {
                int r = b.AddRow();
                b.Cntr[r] = 1 + s * scans + k;
                b.ScanKey[r] = k;
                b.Ra[r] = 40 + (rnd.NextDouble() - 0.5) * 0.2 / 3600;
                b.Dec[r] = 10 + s * 1.5 / 3600 + (rnd.NextDouble() - 0.5) * 0.2 / 3600;
                b[Band.J].Mag[r] = 14f;
            }
        var cgid = new long[b.Count];
        Array.Fill(cgid, 1L);
        Assert.True((long)b.Count * sources > ConfusionResolver.MaxSplitWork);
        var r2 = ConfusionResolver.Resolve(b, cgid, 2.0);
        Assert.Equal(0, r2.UnresolvedCandidateGroups);
        // Every source comes out as one group of its own 14 extractions, gcntr its first cntr.
        for (int i = 0; i < b.Count; i++) Assert.Equal(1 + i / scans * scans, r2.Gcntr[i]);
    }

    [Fact]
    public void Unconfused_and_small_confused_groups_are_never_marked_unresolved()
    {
        var block = Spot(300, 300, 3);          // one extraction per scan: not confused
        var cgid = new long[300];
        Array.Fill(cgid, 1L);
        var r = ConfusionResolver.Resolve(block, cgid, 2.0);
        Assert.Equal(0, r.ConfusedCandidateGroups);
        Assert.Equal(0, r.UnresolvedCandidateGroups);
        Assert.DoesNotContain(true, r.Unresolved);
    }
}
