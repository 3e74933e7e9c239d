using Wdb.Kernels;
using Wdb.Merge;

namespace Wdb.Tests.Kernels;

/// <summary>
/// The diagnosis `wdb check-device` prints when a device's groups differ: each stage check
/// must pass on a correct run and name the stage that was tampered with, and the brute-force
/// verdict must blame the side that is wrong.
/// </summary>
public class DeviceDiagnosisTests(CpuEngineFixture fixture) : IClassFixture<CpuEngineFixture>
{
    private readonly IlgpuLinkEngine engine = fixture.Engine;

    // Dense clumps (collapsed cells) at 2": many multi-member groups.
    private static readonly (double[] Ra, double[] Dec) Data = LinkTestData.Clustered(31, 3000, 60, 150.0, 20.0, 0.01, 1.0);

    private LinkTrace Traced(out int[] labels)
    {
        var trace = new LinkTrace();
        labels = engine.Link(Data.Ra, Data.Dec, 2.0, trace);
        return trace;
    }

    [Fact]
    public void Every_stage_of_a_correct_run_checks_ok()
    {
        var trace = Traced(out int[] labels);
        var lines = trace.Check().ToList();
        Assert.Equal(14, lines.Count); // unit vectors and bounds, then the kernels of the grid
        Assert.All(lines, l => Assert.True(l.EndsWith(": ok") || l.Contains("well formed") || l.StartsWith("unit vectors: ok"), l));
        Assert.Equal(labels, trace.LinkedComponentsByRow(Data.Ra.Length));
        Assert.Equal(1, trace.Grid.Collapsed);
    }

    [Fact]
    public void A_tampered_stage_is_named()
    {
        var trace = Traced(out _);
        trace.Keys[5] ^= 1;
        trace.Order[7] = trace.Order[8];
        trace.Boxes[3].MaxX += 1e-12;
        trace.Roots[9] = -1;
        trace.Z[4] += 1e-9;
        trace.X[5] = trace.Grid.OriginX - 1e-6;
        var lines = trace.Check().ToList();
        Assert.Contains(lines, l => l.StartsWith("unit vectors: 2 of 3,000 beyond the tolerance 1.00E-013; first at 4"));
        Assert.Contains(lines, l => l.StartsWith("bounds: grid origin"));
        Assert.Contains(lines, l => l.StartsWith("cell keys: 1 of 3,000 differ; first at 5"));
        Assert.Contains(lines, l => l.StartsWith("radix sort: the values are no permutation") && l.Contains("(1 missing)"));
        Assert.Contains(lines, l => l.StartsWith("gather: not checked"));
        Assert.Contains(lines, l => l.StartsWith("roots: 1 of 3,000 differ; first at 9: device -1"));
    }

    [Fact]
    public void Identical_labels_give_nothing_to_blame()
    {
        int[] cpu = LinkTestData.BruteForce(Data.Ra, Data.Dec, 2.0);
        var lines = DeviceDiagnosis.Explain(engine, Data.Ra, Data.Dec, 2.0, cpu).ToList();
        Assert.Contains("neighbour stage (its forest's components) against the cpu engine: identical", lines);
        Assert.Contains("brute force: of 0 device groups that join cpu groups, 0 are not connected (false links on the device; the rest, links the cpu missed)", lines);
        Assert.Contains("brute force: of 0 cpu groups split on the device, 0 are connected (links the device missed; the rest, false links on the cpu)", lines);
    }

    [Fact]
    public void A_group_split_on_the_device_is_blamed_on_the_device_with_the_pair_it_missed()
    {
        int[] cpu = LinkTestData.BruteForce(Data.Ra, Data.Dec, 2.0);
        // The largest group: its first member goes into a group of its own on the "device".
        int big = cpu.GroupBy(l => l).OrderByDescending(g => g.Count()).First().Key;
        Assert.True(cpu.Count(l => l == big) > 2);
        int lone = Array.IndexOf(cpu, big);
        int[] Broken(LinkTrace trace)
        {
            int[] labels = engine.Link(Data.Ra, Data.Dec, 2.0, trace);
            int next = Array.FindIndex(labels, lone + 1, l => l == big);
            for (int i = next; i < labels.Length; i++)
                if (labels[i] == big) labels[i] = next;
            return labels;
        }
        var lines = DeviceDiagnosis.Explain(Broken, Data.Ra, Data.Dec, 2.0, cpu).ToList();
        Assert.Contains(lines, l => l.StartsWith("traced run's labels against the cpu engine: ") && l.Contains("rows differ"));
        Assert.Contains("brute force: of 1 cpu groups split on the device, 1 are connected (links the device missed; the rest, false links on the cpu)", lines);
        Assert.Contains(lines, l => l.StartsWith($"missed link: rows {lone} and ") && l.Contains("collapsed 1"));
    }

    [Fact]
    public void Cpu_groups_wrongly_split_are_blamed_on_the_cpu()
    {
        int[] truth = LinkTestData.BruteForce(Data.Ra, Data.Dec, 2.0);
        int big = truth.GroupBy(l => l).OrderByDescending(g => g.Count()).First().Key;
        int[] cpu = (int[])truth.Clone();
        int first = Array.IndexOf(cpu, big), second = Array.FindIndex(cpu, first + 1, l => l == big);
        for (int i = second; i < cpu.Length; i++)
            if (cpu[i] == big) cpu[i] = second;
        var lines = DeviceDiagnosis.Explain(engine, Data.Ra, Data.Dec, 2.0, cpu).ToList();
        Assert.Contains("brute force: of 1 device groups that join cpu groups, 0 are not connected (false links on the device; the rest, links the cpu missed)", lines);
    }
}
