using System.CommandLine;
using System.Globalization;
using Wdb.Merge;
using Wdb.Merge.Link;

namespace Wdb.Cli;

/// <summary>`wdb check-device`: link-stage results on a device compared with the CPU engine, with rows/s.</summary>
internal static class CheckDeviceCommand
{
    private const int MostScale = 1_000;

    public static Command Create()
    {
        var device = new Option<string>("--device") { Description = "Device to check: cuda, opencl, ilgpu-cpu (or auto)", DefaultValueFactory = _ => "auto" };
        device.AcceptOnlyFromAmong(LinkDevices.Names);
        var scale = new Option<int>("--scale") { Description = "Dataset size multiplier (1: ~40k-rows survey, 30k-row tile)", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "CPU threads of the reference engine (default: all cores)" };
        var cmd = new Command("check-device", "Link generated data (RA wrap, pole, dense calibration tile, 5\" radius) on a device and with the CPU engine; print whether the groups are identical and each one's rows/s. Exit 1 on any difference, or when a unit vector made on the device lies beyond its tolerance.")
        {
            device, scale, threads,
        };
        cmd.SetAction(p =>
        {
            // 1,000: a 34 M-row survey case, already ~10 GB of host memory; more would only end in an out-of-memory trace.
            if (p.GetValue(scale) is < 1 or > MostScale)
            {
                Console.Error.WriteLine($"wdb check-device: --scale must be in [1, {MostScale:N0}], got {p.GetValue(scale):N0}");
                return 2;
            }
            // As merge says it: a negative count was taken as "all cores" and the check ran on them, the typo unsaid.
            if (p.GetValue(threads) < 0)
            {
                Console.Error.WriteLine($"wdb check-device: --threads must be 0 (all cores) or positive, got {p.GetValue(threads):N0}");
                return 2;
            }
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            var (engine, error) = LinkDevices.Create(p.GetValue(device)!, p.GetValue(threads));
            double makeSeconds = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (engine is null) { Console.Error.WriteLine($"wdb check-device: {error}"); return 2; }
            // Its PASS would otherwise read as a GPU checked, on a machine whose driver did not load (a GPU job's node).
            if (p.GetValue(device) == "auto" && engine is CpuLinkEngine)
                Console.Error.WriteLine("wdb check-device: auto found no CUDA GPU, so the CPU engine is compared with itself; --device cuda, opencl or ilgpu-cpu checks a device");
            using (engine)
            {
                var c = CultureInfo.InvariantCulture;
                // Making an ILGPU engine opens the device and compiles every kernel: a fixed cost of each merge.
                Console.WriteLine(string.Format(c, "device: {0} (made in {1:F2} s)", engine.DeviceName, makeSeconds));
                Console.WriteLine("| case | rows | identical | device s | device rows/s | cpu s | cpu rows/s |");
                Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
                var results = new List<DeviceCheckResult>();
                foreach (var r in DeviceCheck.Run(engine, p.GetValue(threads), p.GetValue(scale)))
                {
                    results.Add(r);
                    Console.WriteLine(string.Format(c, "| {0} | {1:N0} | {2} | {3:F3} | {4:N0} | {5:F3} | {6:N0} |",
                        r.Case, r.Rows, r.Identical ? "yes" : "NO", r.DeviceSeconds, r.DeviceRowsPerSecond, r.CpuSeconds, r.CpuRowsPerSecond));
                }
                PrintStages(results);
                var failed = results.Where(r => !r.Identical).ToList();
                // A vector beyond the tolerance voids the argument that makes the device's groups
                // exact, even where this data happened to give identical groups.
                var wide = results.Where(r => r.VectorDeviation.Largest > r.VectorDeviation.Tolerance).ToList();
                bool all = failed.Count == 0 && wide.Count == 0;
                foreach (var r in failed)
                {
                    Console.WriteLine();
                    Console.WriteLine($"{r.Case}, where the groups differ:");
                    foreach (string line in r.Diagnosis) Console.WriteLine($"* {line}");
                }
                foreach (var r in wide)
                    Console.WriteLine(string.Format(c, "{0}: a device vector lies {1:E2} from Sky.UnitVector's, beyond the tolerance {2:E2}",
                        r.Case, r.VectorDeviation.Largest, r.VectorDeviation.Tolerance));
                Console.WriteLine(all ? "PASS: identical groups on every case" : failed.Count > 0 ? "FAIL: groups differ" : "FAIL: device vectors beyond their tolerance");
                return all ? 0 : 1;
            }
        });
        return cmd;
    }

    /// <summary>Device seconds by stage (one traced run per case), a column per case.</summary>
    private static void PrintStages(List<DeviceCheckResult> results)
    {
        if (results.Count == 0 || results[0].DeviceStages.Count == 0) return;
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine("Seconds by stage, one more run of each case, waited for after every stage:");
        Console.WriteLine();
        Console.WriteLine("| stage | " + string.Join(" | ", results.Select(r => r.Case)) + " |");
        Console.WriteLine("| --- |" + string.Concat(Enumerable.Repeat(" --- |", results.Count)));
        // Stages a case may lack (pairs settled on the host) show as "-" there.
        foreach (string stage in results.SelectMany(r => r.DeviceStages.Select(s => s.Stage)).Distinct())
        {
            var cells = results.Select(r => r.DeviceStages.Where(s => s.Stage == stage)
                .Select(s => s.Seconds.ToString("F4", c)).FirstOrDefault() ?? "-");
            Console.WriteLine($"| {stage} | " + string.Join(" | ", cells) + " |");
        }
        Console.WriteLine("| pairs near the radius settled on the host (of them linked) | "
            + string.Join(" | ", results.Select(r => $"{r.Settled.Pairs.ToString("N0", c)} ({r.Settled.Linked.ToString("N0", c)})")) + " |");
        // The device's sine and cosine must stay far inside the tolerance the grid allows them.
        Console.WriteLine("| largest distance of a device vector from Sky.UnitVector (tolerance) | "
            + string.Join(" | ", results.Select(r => double.IsNaN(r.VectorDeviation.Largest) ? "host vectors"
                : $"{r.VectorDeviation.Largest.ToString("E2", c)} ({r.VectorDeviation.Tolerance.ToString("E0", c)})")) + " |");
    }
}
