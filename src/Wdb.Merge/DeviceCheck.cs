using System.Diagnostics;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge.Link;

namespace Wdb.Merge;

/// <summary>One comparison of a device's link labels with the CPU engine's.</summary>
public sealed record DeviceCheckResult(string Case, int Rows, bool Identical, double DeviceSeconds, double CpuSeconds)
{
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
            // Warm-up on a slice, so kernel compilation is not timed.
            int warm = Math.Min(ra.Length, 1000);
            device.Link(ra.AsSpan(0, warm), dec.AsSpan(0, warm), radius);
            var watch = Stopwatch.StartNew();
            var onDevice = device.Link(ra, dec, radius);
            double deviceSeconds = watch.Elapsed.TotalSeconds;
            watch.Restart();
            var onCpu = cpu.Link(ra, dec, radius);
            double cpuSeconds = watch.Elapsed.TotalSeconds;
            yield return new DeviceCheckResult(name, ra.Length, onDevice.AsSpan().SequenceEqual(onCpu), deviceSeconds, cpuSeconds);
        }
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
