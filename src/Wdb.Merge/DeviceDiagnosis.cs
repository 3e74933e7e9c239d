using System.Globalization;
using Wdb.Core;
using Wdb.Kernels;
using Wdb.Merge.Link;

namespace Wdb.Merge;

/// <summary>
/// What `wdb check-device` says when a device's labels differ from the CPU engine's: which
/// kernel's output first departs from its reference, and, for the groups that differ, which
/// side brute force agrees with, with one missed or false link spelled out. Written for the
/// GPU machine, where a debugger is no option and device time is short.
/// </summary>
public static class DeviceDiagnosis
{
    /// <summary>Groups examined by brute force each way; enough to see the pattern, bounded in time.</summary>
    private const int MaxGroups = 200;

    public static IEnumerable<string> Explain(IlgpuLinkEngine device, double[] ra, double[] dec, double radius, int[] cpu) =>
        Explain(trace => device.Link(ra, dec, radius, trace), ra, dec, radius, cpu);

    /// <summary>
    /// The diagnosis for any link that fills a <see cref="LinkTrace"/> (the engine, or in tests
    /// one made to go wrong) against the CPU engine's labels of the same rows.
    /// </summary>
    public static IEnumerable<string> Explain(Func<LinkTrace, int[]> linkWithTrace, double[] ra, double[] dec, double radius, int[] cpu)
    {
        var trace = new LinkTrace();
        int[] labels = linkWithTrace(trace);
        foreach (string line in trace.Check()) yield return line;

        int[] linked = trace.LinkedComponentsByRow(ra.Length);
        yield return Describe("neighbour stage (its forest's components) against the cpu engine", linked, cpu);
        yield return Describe("traced run's labels against the cpu engine", labels, cpu);

        var x = new double[ra.Length];
        var y = new double[ra.Length];
        var z = new double[ra.Length];
        for (int i = 0; i < ra.Length; i++) (x[i], y[i], z[i]) = Sky.UnitVector(ra[i], dec[i]);
        double chord2 = Sky.ChordSquared(radius);
        var deviceGroups = Members(labels);
        var cpuGroups = Members(cpu);

        // A device group that joins several cpu groups is right only if brute force connects its members.
        int joins = 0, falseLinks = 0;
        foreach (int label in DifferingLabels(labels, cpu))
        {
            var members = deviceGroups[label];
            if (!Spans(members, cpu) || joins == MaxGroups) continue;
            joins++;
            if (Pieces(members, ra, dec, radius) > 1) falseLinks++;
        }
        yield return $"brute force: of {joins} device groups that join cpu groups, {falseLinks} are not connected (false links on the device; the rest, links the cpu missed)";

        // A cpu group that the device splits is right only if brute force finds it in pieces.
        int splits = 0, missed = 0;
        string? example = null;
        foreach (int label in DifferingLabels(cpu, labels))
        {
            var members = cpuGroups[label];
            if (!Spans(members, labels) || splits == MaxGroups) continue;
            splits++;
            if (Pieces(members, ra, dec, radius) != 1) continue;
            missed++;
            example ??= MissedPair(members, labels, x, y, z, chord2, trace);
        }
        yield return $"brute force: of {splits} cpu groups split on the device, {missed} are connected (links the device missed; the rest, false links on the cpu)";
        if (example is not null) yield return example;
    }

    /// <summary>Whether the members carry more than one label in the other labelling.</summary>
    private static bool Spans(List<int> members, int[] other)
    {
        foreach (int row in members)
            if (other[row] != other[members[0]]) return true;
        return false;
    }

    private static string Describe(string what, int[] device, int[] cpu)
    {
        int differ = 0;
        for (int i = 0; i < cpu.Length; i++)
            if (device[i] != cpu[i]) differ++;
        return differ == 0 ? $"{what}: identical"
            : $"{what}: {differ:N0} of {cpu.Length:N0} rows differ; components {Count(device):N0} on the device, {Count(cpu):N0} on the cpu";
    }

    private static int Count(int[] labels) => labels.Distinct().Count();

    private static Dictionary<int, List<int>> Members(int[] labels)
    {
        var groups = new Dictionary<int, List<int>>();
        for (int i = 0; i < labels.Length; i++)
        {
            if (!groups.TryGetValue(labels[i], out var list)) groups[labels[i]] = list = [];
            list.Add(i);
        }
        return groups;
    }

    /// <summary>Labels in `a` of the rows whose label in `b` differs, each once, in row order.</summary>
    private static IEnumerable<int> DifferingLabels(int[] a, int[] b)
    {
        var seen = new HashSet<int>();
        for (int i = 0; i < a.Length; i++)
            if (a[i] != b[i] && seen.Add(a[i])) yield return a[i];
    }

    /// <summary>Connected pieces of the members under pairs within the radius: the brute-force engine on them alone.</summary>
    private static int Pieces(List<int> members, double[] ra, double[] dec, double radius)
    {
        double[] mRa = members.Select(r => ra[r]).ToArray(), mDec = members.Select(r => dec[r]).ToArray();
        return new BruteForceLinkEngine().Link(mRa, mDec, radius).Distinct().Count();
    }

    /// <summary>One pair within the radius that the device left in two groups, with where the kernels had put each point.</summary>
    private static string? MissedPair(List<int> members, int[] labels, double[] x, double[] y, double[] z, double chord2, LinkTrace trace)
    {
        foreach (int a in members)
            foreach (int b in members)
            {
                if (a >= b || labels[a] == labels[b] || !Sky.Within(x[a], y[a], z[a], x[b], y[b], z[b], chord2)) continue;
                return string.Format(CultureInfo.InvariantCulture, "missed link: rows {0} and {1} ({2}); grid side {3:R}, reach {4}, collapsed {5}",
                    a, b, Where(a, trace) + " / " + Where(b, trace), trace.Grid.Side, trace.Grid.Reach, trace.Grid.Collapsed);
            }
        return null;
    }

    private static string Where(int row, LinkTrace trace)
    {
        int compact = Array.IndexOf(trace.Rows, row);
        if (compact < 0) return "no position";
        int sorted = Array.IndexOf(trace.Order, compact);
        if (sorted < 0) return $"compact {compact}, absent from the sorted order";
        int cell = trace.CellOfPlus1[sorted] - 1;
        ulong key = trace.CellKeys[cell];
        return string.Format(CultureInfo.InvariantCulture, "compact {0}, sorted {1}, cell {2} at ({3}, {4}, {5}) with {6} points, rep {7}, root {8}",
            compact, sorted, cell, LinkGrid.UnpackX(key), LinkGrid.UnpackY(key), LinkGrid.UnpackZ(key),
            trace.CellStart[cell + 1] - trace.CellStart[cell], trace.CellRep[cell], trace.Roots[compact]);
    }
}
