using System.Diagnostics;
using System.Globalization;
using Wdb.Core;

namespace Wdb.Kernels;

/// <summary>
/// Host copies of the device buffers after each stage of one <see cref="IlgpuLinkEngine"/>
/// link, for finding which kernel goes wrong on a device when its labels differ from the
/// CPU engine's (`wdb check-device` fills one then). Arrays are in the kernels' index
/// spaces: points by compact index (finite rows in row order), sorted points, cells.
/// </summary>
public sealed class LinkTrace
{
    public int[] Rows = [];
    /// <summary>The angles uploaded (compact), when the device made the vectors; empty otherwise.</summary>
    public double[] Ra = [], Dec = [];
    public double[] X = [], Y = [], Z = [];
    /// <summary>Pairs the device left near the radius, and how many of them the host found within it.</summary>
    public int MaybePairs, MaybeLinked;
    public LinkGrid Grid;
    public ulong[] Keys = [], SortedKeys = [];
    public int[] Order = [];
    public double[] Sx = [], Sy = [], Sz = [];
    public int[] Flags = [], CellOfPlus1 = [];
    public ulong[] CellKeys = [];
    public int[] CellStart = [], CellRep = [];
    public CellBox[] Boxes = [];
    /// <summary>The forest after the collapse kernel and after the neighbour kernel, and the roots kernel's output.</summary>
    public int[] Collapsed = [], Linked = [], Roots = [];

    /// <summary>
    /// Seconds of each stage, host steps included, each waited for before the clock stops;
    /// the copies into this trace are not counted. A traced link is slower than a plain one
    /// only by those waits.
    /// </summary>
    public List<(string Stage, double Seconds)> StageSeconds { get; } = [];

    private long mark = Stopwatch.GetTimestamp();

    internal void Restart() => mark = Stopwatch.GetTimestamp();

    internal void Lap(string stage)
    {
        StageSeconds.Add((stage, Stopwatch.GetElapsedTime(mark).TotalSeconds));
        Restart();
    }

    /// <summary>
    /// One line per stage: "ok", or how many elements differ from the kernel's reference
    /// (run on the device's own input to that stage) and the first of them. The neighbour
    /// stage has no line here: its reference is the CPU engine, which this project cannot see.
    /// </summary>
    public IEnumerable<string> Check()
    {
        int n = X.Length;
        if (Ra.Length > 0) yield return UnitVectorLine();
        yield return BoundsLine();
        var keys = new ulong[n];
        var identity = new int[n];
        LinkKernels.CellKeysReference(X, Y, Z, keys, identity, Grid);
        yield return Compare("cell keys", Keys, keys);

        yield return SortLine();

        var gx = new double[n];
        var gy = new double[n];
        var gz = new double[n];
        if (IsPermutation(Order))
        {
            LinkKernels.GatherReference(Order, X, Y, Z, gx, gy, gz);
            yield return Compare("gather", [.. Sx, .. Sy, .. Sz], [.. gx, .. gy, .. gz]);
        }
        else yield return "gather: not checked (the sort's values are no permutation)";

        var flags = new int[n];
        LinkKernels.CellFlagsReference(SortedKeys, flags);
        yield return Compare("cell flags", Flags, flags);
        var scan = new int[n];
        for (int k = 0, sum = 0; k < n; k++) scan[k] = sum += Flags[k];
        yield return Compare("inclusive scan", CellOfPlus1, scan);

        var (cellKeys, cellStart) = LinkKernels.CellStartsReference(SortedKeys);
        yield return Compare("cell keys table", CellKeys, cellKeys);
        yield return Compare("cell starts", CellStart, cellStart);

        if (IsPermutation(Order) && CellStart.AsSpan().SequenceEqual(cellStart))
        {
            var rep = new int[cellKeys.Length];
            var boxes = new CellBox[cellKeys.Length];
            LinkKernels.CellSummaryReference(CellStart, Order, Sx, Sy, Sz, rep, boxes);
            yield return Compare("cell representatives", CellRep, rep);
            yield return Compare("cell boxes", Boxes, boxes);
            var collapsed = new int[n];
            LinkKernels.CollapseReference(Order, CellStart, CellRep, collapsed, Grid);
            yield return Compare("collapse", Collapsed, collapsed);
        }
        else yield return "cell summary, collapse: not checked (no valid cell table)";

        int bad = 0;
        for (int i = 0; i < Linked.Length; i++)
            if (Linked[i] > i || Linked[i] < 0) bad++;
        yield return bad == 0 ? "neighbours: forest well formed (0 <= parent[i] <= i)"
            : $"neighbours: {bad:N0} of {n:N0} parents out of 0..i";
        if (bad == 0)
        {
            var roots = new int[n];
            LinkKernels.RootsReference(Linked, roots);
            yield return Compare("roots", Roots, roots);
        }
    }

    /// <summary>Components of the forest the neighbour kernel left, as labels over the block's rows (-1: no position).</summary>
    public int[] LinkedComponentsByRow(int rowCount)
    {
        var labels = new int[rowCount];
        Array.Fill(labels, -1);
        var parent = (int[])Linked.Clone();
        for (int c = 0; c < Rows.Length; c++)
            labels[Rows[c]] = Rows[LinkKernels.FindReference(parent, c)];
        return labels;
    }

    /// <summary>
    /// The device's vectors against <see cref="Sky.UnitVector"/>: each must lie within the grid's
    /// tolerance (bitwise equality with <see cref="DeviceTrig"/> on the host is not required: a
    /// device compiler may fuse multiply-adds).
    /// </summary>
    private string UnitVectorLine()
    {
        var (worst, beyond, first) = VectorDeviations();
        return beyond == 0
            ? string.Format(CultureInfo.InvariantCulture, "unit vectors: ok (largest distance from Sky.UnitVector {0:E2}, tolerance {1:E2})", worst, Grid.PointTolerance)
            : string.Format(CultureInfo.InvariantCulture, "unit vectors: {0:N0} of {1:N0} beyond the tolerance {2:E2}; first at {3}, largest {4:E2}",
                beyond, Ra.Length, Grid.PointTolerance, first, worst);
    }

    /// <summary>
    /// The largest distance of a device-made vector from <see cref="Sky.UnitVector"/>'s (NaN when
    /// the host made the vectors), how many lie beyond the grid's tolerance, and the first of those.
    /// </summary>
    public (double Largest, int Beyond, int First) VectorDeviations()
    {
        if (Ra.Length == 0) return (double.NaN, 0, -1);
        double worst = 0;
        int beyond = 0, first = -1;
        for (int i = 0; i < Ra.Length; i++)
        {
            var (x, y, z) = Sky.UnitVector(Ra[i], Dec[i]);
            double dx = X[i] - x, dy = Y[i] - y, dz = Z[i] - z;
            double off = Math.Sqrt(dx * dx + dy * dy + dz * dz);
            if (!(off <= Grid.PointTolerance) && beyond++ == 0) first = i;
            if (!(off <= worst)) worst = off;
        }
        return (worst, beyond, first);
    }

    /// <summary>The grid's origin must be the smallest coordinate of the vectors (cells are counted from it).</summary>
    private string BoundsLine()
    {
        if (X.Length == 0) return "bounds: no points";
        var box = LinkKernels.BoundsReference(X, Y, Z);
        return box.MinX == Grid.OriginX && box.MinY == Grid.OriginY && box.MinZ == Grid.OriginZ ? "bounds: ok"
            : $"bounds: grid origin ({Grid.OriginX:R}, {Grid.OriginY:R}, {Grid.OriginZ:R}), smallest coordinates ({box.MinX:R}, {box.MinY:R}, {box.MinZ:R})";
    }

    private string SortLine()
    {
        int n = Keys.Length;
        if (!IsPermutation(Order)) return $"radix sort: the values are no permutation of 0..{n - 1:N0} ({Missing(Order):N0} missing)";
        int unsorted = 0, unmatched = 0;
        for (int k = 0; k < n; k++)
        {
            if (k > 0 && SortedKeys[k] < SortedKeys[k - 1]) unsorted++;
            if (SortedKeys[k] != Keys[Order[k]]) unmatched++;
        }
        return unsorted == 0 && unmatched == 0 ? "radix sort: ok"
            : $"radix sort: {unsorted:N0} keys out of order, {unmatched:N0} keys not those of their values";
    }

    private static bool IsPermutation(int[] values) => Missing(values) == 0;

    private static int Missing(int[] values)
    {
        var seen = new bool[values.Length];
        int missing = values.Length;
        foreach (int v in values)
        {
            if ((uint)v >= (uint)values.Length || seen[v]) continue;
            seen[v] = true;
            missing--;
        }
        return missing;
    }

    private static string Compare<T>(string stage, T[] device, T[] reference) where T : IEquatable<T>
    {
        if (device.Length != reference.Length)
            return $"{stage}: device has {device.Length:N0} elements, reference {reference.Length:N0}";
        int differ = 0, first = -1;
        for (int i = 0; i < device.Length; i++)
        {
            if (device[i].Equals(reference[i])) continue;
            if (differ++ == 0) first = i;
        }
        return differ == 0 ? $"{stage}: ok"
            : string.Format(CultureInfo.InvariantCulture, "{0}: {1:N0} of {2:N0} differ; first at {3}: device {4}, reference {5}",
                stage, differ, device.Length, first, device[first], reference[first]);
    }
}
