using System.CommandLine;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Cli;

/// <summary>`wdb merge`: the whole job, text tables in, FlatBuffers out.</summary>
internal static class MergeCommand
{
    public static Command Create()
    {
        var inputs = InputArguments.Files();
        var output = new Option<string>("--out") { Description = "Output directory (written atomically: the old one, if any, is replaced only when the new one is complete)", Required = true };
        var radius = new Option<double>("--radius") { Description = "Matching radius in arcsec (inclusive): 2.0 for point sources, 5.0 for extended", DefaultValueFactory = _ => 2.0 };
        var profile = InputArguments.Profile();
        var filesAtOnce = InputArguments.FilesAtOnce();
        var strict = new Option<bool>("--strict") { Description = "Stop at the first bad row with file:line:column instead of writing it to the rejects" };
        var device = new Option<string>("--device") { Description = "Link-stage device: auto (a CUDA GPU if present and the input has 4 M rows or more, linking on the CPU until the GPU is ready; else the CPU), cuda, opencl, cpu, ilgpu-cpu", DefaultValueFactory = _ => "auto" };
        device.AcceptOnlyFromAmong(LinkDevices.Names);
        var threads = new Option<int>("--threads") { Description = "Threads for every stage: reading, sorting, linking on the CPU, statistics, writing (default: all cores)" };
        var minSnr = new Option<double?>("--min-snr") { Description = "Pre-merge filter: drop extractions whose best band SNR is below this" };
        var noArtifacts = new Option<bool>("--exclude-artifacts") { Description = "Pre-merge filter: drop extractions with a cc_flg artifact flag in any band" };
        var blockRows = new Option<int>("--block-rows") { Description = "Rows per link block; each block is linked with a dec margin of one radius, so results do not depend on it (bounds GPU memory)", DefaultValueFactory = _ => 1 << 23 };
        var zoneRows = new Option<int?>("--zone-rows") { Description = $"Merge zone by zone in declination, about this many rows per zone, holding one zone (and the next, being read) instead of the whole table; 0 holds the whole table. Default: chosen by --memory. Results do not depend on it" };
        var memory = new Option<string?>("--memory") { Description = $"Memory the merge may plan for, e.g. 8G or 512M: an input whose table (about {Wdb.Merge.Streaming.ZoneMerge.HeldBytesPerRow} bytes a row) does not fit is merged zone by zone, in zones as large as it allows (about {Wdb.Merge.Streaming.ZoneMerge.ZoneBytesPerRow} bytes a row, at least {Wdb.Merge.Streaming.ZoneMerge.DefaultZoneRows:N0} rows). Default: half of this machine's (or container's) memory, now {ByteSize.Format(Wdb.Merge.Streaming.ZoneMerge.DefaultMemoryBytes())}. Results do not depend on it" };
        var spillDir = new Option<string?>("--spill-dir") { Description = "Where the zone merge keeps its temporary runs (about 0.5 KB per row; removed at the end). Default: beside --out" };
        var modelFile = new Option<string?>("--reliability-model") { Description = "Reliability model JSON (default: the built-in v1; see docs/reliability.md)" };
        var scans = new Option<string?>("--scans") { Description = "Scan-footprint table for spos: CSV with scan_key, ra1, dec1, ra2, dec2, ... (corners, deg). Default: each scan's footprint is the extent of its own extractions" };
        var progress = new Option<bool?>("--progress") { Description = "Show a progress line with rows/s and ETA (default: on when stderr is a terminal)" };
        var quiet = new Option<bool>("--quiet") { Description = "Print only errors" };
        var checksum = InputArguments.Checksum();
        var cmd = new Command("merge", "Merge WDB extractions into groups: link within the radius, resolve confusion, compute group statistics, write groups/members/extractions (FlatBuffers), rejects.csv and summary.json to --out.")
        {
            inputs, output, radius, profile, strict, device, threads, filesAtOnce, blockRows, zoneRows, memory, spillDir, minSnr, noArtifacts, modelFile, scans, checksum, progress, quiet,
        };
        cmd.SetAction(p =>
        {
            bool q = p.GetValue(quiet);
            ReliabilityModel? model = null;
            if (p.GetValue(modelFile) is string modelPath)
            {
                string text;
                try { text = File.ReadAllText(modelPath); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine($"wdb merge: {modelPath}: {e.Message}");
                    return 2;
                }
                if (!ReliabilityModel.TryLoad(text, out model, out string? why))
                {
                    Console.Error.WriteLine($"wdb merge: {modelPath}: {why}");
                    return 2;
                }
            }
            long? memoryBytes = null;
            if (p.GetValue(memory) is string size)
            {
                if (!ByteSize.TryParse(size, out long bytes))
                {
                    Console.Error.WriteLine($"wdb merge: --memory: expected a size such as 8G, 512M or 1.5T (K, M, G, T: powers of 1024), got '{size}'");
                    return 2;
                }
                memoryBytes = bytes;
            }
            if (!InputArguments.TryChecksum(p, checksum, "merge", out var checksumAlgorithm)) return 2;
            bool showProgress = !q && (p.GetValue(progress) ?? !Console.IsErrorRedirected);
            using var display = showProgress ? new ProgressDisplay() : null;
            var options = new MergeOptions
            {
                Inputs = p.GetValue(inputs)!, OutDir = p.GetValue(output)!, RadiusArcsec = p.GetValue(radius),
                Profile = p.GetValue(profile), Strict = p.GetValue(strict), Device = p.GetValue(device)!,
                Threads = p.GetValue(threads), FilesAtOnce = p.GetValue(filesAtOnce), BlockRows = p.GetValue(blockRows),
                Filters = new FilterOptions(p.GetValue(minSnr), p.GetValue(noArtifacts)),
                Reliability = model,
                Progress = display,
                ScanTable = p.GetValue(scans),
                ZoneRows = p.GetValue(zoneRows), MemoryBytes = memoryBytes, SpillDirectory = p.GetValue(spillDir),
                Checksum = checksumAlgorithm,
            };
            Action<string>? log = q ? null : display is not null ? line => display.WriteLine($"wdb merge: {line}") : line => Console.Error.WriteLine($"wdb merge: {line}");
            var outcome = MergeJob.Run(options, log);
            if (outcome.Error is not null)
            {
                Console.Error.WriteLine($"wdb merge: {outcome.Error}");
                return outcome.ExitCode;
            }
            var s = outcome.Summary!;
            if (!q)
                Console.Error.WriteLine($"wdb merge: {s.RowsRead:N0} rows read, {s.RowsMerged:N0} merged, {s.RowsRejected:N0} rejected; " +
                    $"{s.CandidateGroups:N0} candidate groups, {s.Groups:N0} groups ({s.ConfusedCandidateGroups:N0} confused) on {s.Device}; " +
                    $"{s.StageSeconds.Values.Sum():F2} s on {s.StageCpuSeconds.Values.Sum():F2} s of CPU " +
                    $"({string.Join(", ", s.StageSeconds.Select(kv => $"{kv.Key} {kv.Value:F2}"))}) -> {options.OutDir}");
            // Timings from `dotnet run` or a build folder include the JIT's start-up, which the published
            // build does not pay (bench/NOTES.md 63): say so where someone may be benchmarking it.
            if (!q && s.Runtime.Build == RuntimeSummary.Jitted)
                Console.Error.WriteLine($"wdb merge: note: this build is jitted ({s.Runtime.JitMethods:N0} methods compiled in {s.Runtime.JitSeconds:F2} s); " +
                    "./run.sh publish (run.ps1 publish on Windows) makes the precompiled build the README's timings come from");
            return 0;
        });
        return cmd;
    }
}
