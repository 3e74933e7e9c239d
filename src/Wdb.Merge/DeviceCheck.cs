using System.Diagnostics;
using Wdb.Core;
using Wdb.IO;
using Wdb.Kernels;
using Wdb.Merge.Link;

namespace Wdb.Merge;

/// <summary>One comparison of a device's link labels with the CPU engine's.</summary>
/// <remarks>
/// <see cref="Diagnosis"/> is empty when the labels are identical; otherwise it says whether
/// the device's three runs agreed and, for an ILGPU engine, which kernel went wrong (see
/// <see cref="DeviceDiagnosis"/>). <see cref="DeviceStages"/> is where an ILGPU engine's time
/// goes, from one more run with a <see cref="LinkTrace"/> (empty for other engines).
/// </remarks>
public sealed record DeviceCheckResult(string Case, int Rows, bool Identical, double DeviceSeconds, double CpuSeconds,
    IReadOnlyList<string> Diagnosis, IReadOnlyList<(string Stage, double Seconds)> DeviceStages)
{
    /// <summary>In the traced run: pairs the device left near the radius for the host, and how many of them it linked.</summary>
    public (int Pairs, int Linked) Settled { get; init; }

    /// <summary>
    /// In the traced run: the largest distance of a device-made unit vector from
    /// <see cref="Sky.UnitVector"/>'s, and the tolerance the grid allowed (NaN: vectors made on the host, or no trace).
    /// </summary>
    public (double Largest, double Tolerance) VectorDeviation { get; init; } = (double.NaN, double.NaN);

    public double DeviceRowsPerSecond => DeviceSeconds > 0 ? Rows / DeviceSeconds : double.NaN;
    public double CpuRowsPerSecond => CpuSeconds > 0 ? Rows / CpuSeconds : double.NaN;
}

/// <summary>
/// The GPU checks that need no .NET SDK: run by the self-contained `wdb` on a GPU machine
/// (`wdb check-device --device cuda`). Each case links the same rows on the device and with
/// <see cref="CpuLinkEngine"/> and compares the labels row for row; the survey and
/// calibration-tile cases double as the link-stage benchmark (rows/s per device).
/// </summary>
public static class DeviceCheck
{
    public static IEnumerable<DeviceCheckResult> Run(ILinkEngine device, int threads, int scale)
    {
        var cpu = new CpuLinkEngine(threads);
        foreach (var (name, ra, dec, radius) in Cases(scale))
        {
            // Warm-up on a slice, so kernel compilation is not timed; then the median of three
            // runs each, since a single run on a shared machine (or a GPU still raising its
            // clocks) can be off by a factor.
            int warm = Math.Min(ra.Length, 1000);
            device.Link(ra.AsSpan(0, warm), dec.AsSpan(0, warm), radius);
            var (onDevice, deviceSeconds, deviceRepeatable) = MedianOfThree(() => device.Link(ra, dec, radius));
            var (onCpu, cpuSeconds, _) = MedianOfThree(() => cpu.Link(ra, dec, radius));
            bool identical = onDevice.AsSpan().SequenceEqual(onCpu);
            var diagnosis = new List<string>();
            if (!identical)
            {
                diagnosis.Add(deviceRepeatable ? "the device's three runs gave the same labels" : "the device's three runs gave different labels");
                if (device is IlgpuLinkEngine ilgpu) diagnosis.AddRange(DeviceDiagnosis.Explain(ilgpu, ra, dec, radius, onCpu));
            }
            var stages = new List<(string, double)>();
            (int, int) settled = default;
            (double, double) deviation = (double.NaN, double.NaN);
            if (device is IlgpuLinkEngine traced)
            {
                var trace = new LinkTrace();
                traced.Link(ra, dec, radius, trace);
                stages.AddRange(trace.StageSeconds);
                settled = (trace.MaybePairs, trace.MaybeLinked);
                if (trace.Ra.Length > 0) deviation = (trace.VectorDeviations().Largest, trace.Grid.PointTolerance);
            }
            yield return new DeviceCheckResult(name, ra.Length, identical, deviceSeconds, cpuSeconds, diagnosis, stages)
            {
                Settled = settled, VectorDeviation = deviation,
            };
        }
    }

    /// <summary>Labels of the last of three runs, the median time, and whether all three runs agreed.</summary>
    private static (int[] Labels, double Seconds, bool Repeatable) MedianOfThree(Func<int[]> link)
    {
        var seconds = new double[3];
        int[]? first = null, labels = null;
        bool repeatable = true;
        for (int i = 0; i < seconds.Length; i++)
        {
            var watch = Stopwatch.StartNew();
            labels = link();
            seconds[i] = watch.Elapsed.TotalSeconds;
            first ??= labels;
            repeatable &= labels.AsSpan().SequenceEqual(first);
        }
        Array.Sort(seconds);
        return (labels!, seconds[1], repeatable);
    }

    private static IEnumerable<(string, double[], double[], double)> Cases(int scale)
    {
        yield return Sorted("survey, RA 0/360", SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 20_000 * scale, 1, CenterRaDeg: 0.0, CenterDecDeg: 10.0)), 2.0);
        yield return Sorted("north polar cap", PolarCap(2_000 * scale, 2), 2.0);
        yield return Sorted("calibration tile (dense)", SyntheticSky.Generate(new GeneratorOptions(SkyKind.CalTile, 50 * scale, 3)), 2.0);
        yield return Sorted("survey, extended radius 5\"", SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 20_000 * scale, 4)), 5.0);
    }

    /// <summary>
    /// Sources within 60" of the north pole, five apparitions each with 0.3" scatter: links
    /// across the pole and across every RA at once (the generator stays below |dec| 85).
    /// </summary>
    private static ExtractionBlock PolarCap(int sources, int seed)
    {
        var rng = new Random(seed);
        var block = new ExtractionBlock(sources * 5);
        long cntr = 1;
        for (int s = 0; s < sources; s++)
        {
            double rho = 60.0 * Math.Sqrt(rng.NextDouble()), phi = 2 * Math.PI * rng.NextDouble();
            double x0 = rho * Math.Cos(phi), y0 = rho * Math.Sin(phi); // arcsec in the pole's tangent plane
            for (int e = 0; e < 5; e++)
            {
                double x = x0 + 0.3 * Gauss(rng), y = y0 + 0.3 * Gauss(rng);
                int i = block.AddRow();
                block.Cntr[i] = cntr++;
                block.ScanKey[i] = e;
                double ra = Math.Atan2(y, x) / Sky.DegToRad;
                block.Ra[i] = ra < 0 ? ra + 360 : ra;
                block.Dec[i] = 90.0 - Math.Sqrt(x * x + y * y) / 3600.0;
            }
        }
        return block;
    }

    private static double Gauss(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static (string, double[], double[], double) Sorted(string name, ExtractionBlock block, double radius)
    {
        block.Permute(DeclinationSort.Order(block));
        return (name, block.Ra.AsSpan(0, block.Count).ToArray(), block.Dec.AsSpan(0, block.Count).ToArray(), radius);
    }
}
