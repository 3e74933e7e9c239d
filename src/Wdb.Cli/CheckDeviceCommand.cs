using System.CommandLine;
using System.Globalization;
using Wdb.Merge;

namespace Wdb.Cli;

/// <summary>`wdb check-device`: link-stage results on a device compared with the CPU engine, with rows/s.</summary>
internal static class CheckDeviceCommand
{
    public static Command Create()
    {
        var device = new Option<string>("--device") { Description = "Device to check: cuda, opencl, ilgpu-cpu (or auto)", DefaultValueFactory = _ => "auto" };
        device.AcceptOnlyFromAmong(LinkDevices.Names);
        var scale = new Option<int>("--scale") { Description = "Dataset size multiplier (1: ~40k-rows survey, 30k-row tile)", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads") { Description = "CPU threads of the reference engine (default: all cores)" };
        var cmd = new Command("check-device", "Link generated data (RA wrap, pole, dense calibration tile, 5\" radius) on a device and with the CPU engine; print whether the groups are identical and each one's rows/s. Exit 1 on any difference.")
        {
            device, scale, threads,
        };
        cmd.SetAction(p =>
        {
            var (engine, error) = LinkDevices.Create(p.GetValue(device)!, p.GetValue(threads));
            if (engine is null) { Console.Error.WriteLine($"wdb check-device: {error}"); return 2; }
            using (engine)
            {
                var c = CultureInfo.InvariantCulture;
                Console.WriteLine($"device: {engine.DeviceName}");
                Console.WriteLine("| case | rows | identical | device s | device rows/s | cpu s | cpu rows/s |");
                Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
                bool all = true;
                foreach (var r in DeviceCheck.Run(engine, p.GetValue(threads), Math.Max(1, p.GetValue(scale))))
                {
                    all &= r.Identical;
                    Console.WriteLine(string.Format(c, "| {0} | {1:N0} | {2} | {3:F3} | {4:N0} | {5:F3} | {6:N0} |",
                        r.Case, r.Rows, r.Identical ? "yes" : "NO", r.DeviceSeconds, r.DeviceRowsPerSecond, r.CpuSeconds, r.CpuRowsPerSecond));
                }
                Console.WriteLine(all ? "PASS: identical groups on every case" : "FAIL: groups differ");
                return all ? 0 : 1;
            }
        });
        return cmd;
    }
}
