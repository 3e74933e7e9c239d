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
        var merge = new MergeArguments();
        var progress = MergeArguments.ProgressOption();
        var quiet = MergeArguments.QuietOption();
        var cmd = new Command("merge", "Merge WDB extractions into groups: link within the radius, resolve confusion, compute group statistics, write groups/members/extractions (FlatBuffers), rejects.csv and summary.json to --out.");
        merge.AddTo(cmd);
        cmd.Options.Add(progress);
        cmd.Options.Add(quiet);
        cmd.SetAction(p =>
        {
            bool q = p.GetValue(quiet);
            using var display = MergeArguments.Display(p, progress, q);
            if (merge.Read(p, "merge", display) is not MergeOptions options) return 2;
            var log = MergeArguments.Log("merge", q, display);
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
                    $"({string.Join(", ", s.StageSeconds.Select(kv => $"{kv.Key} {kv.Value:F2}"))}) -> {Shown.Path(options.OutDir)}");
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

/// <summary>The merge's inputs and options, which `wdb merge` and `wdb cluster plan` share: one description each, read the same way.</summary>
internal sealed class MergeArguments
{
    private readonly Argument<string[]> inputs = InputArguments.Files();
    private readonly Option<string> output = new("--out") { Description = "Output directory (written atomically: the old one, if any, is replaced only when the new one is complete)", Required = true };
    private readonly Option<double> radius = new("--radius")
    {
        Description = "Matching radius in arcsec (inclusive). Default: 2.0 for point sources, 5.0 for extended-source tables (XSC K20 magnitudes, [jhk]_m_k20fe)",
        DefaultValueFactory = _ => MergeOptions.PointRadiusArcsec,
    };
    private readonly Option<string?> profile = InputArguments.Profile();
    private readonly Option<int> filesAtOnce = InputArguments.FilesAtOnce();
    private readonly Option<bool> strict = new("--strict") { Description = "Stop at the first bad row with file:line:column instead of writing it to the rejects" };
    private readonly Option<string> device = DeviceOption();
    private readonly Option<int> threads = ThreadsOption();
    private readonly Option<double?> minSnr = new("--min-snr") { Description = "Pre-merge filter: drop extractions whose best SNR over their detected bands is below this (upper limits do not count)" };
    private readonly Option<bool> noArtifacts = new("--exclude-artifacts") { Description = "Pre-merge filter: drop extractions with a cc_flg artifact flag in any band" };
    private readonly Option<bool> noLikelyArtifacts = new("--exclude-likely-artifacts")
    {
        Description = "Pre-merge filter: drop extractions that no flag marks but that are known high-probability artifacts: bright yet detected on " +
                      "under 40% of the frames that saw them (one-frame transients), or single-band at SNR >= 10 on no frame (hot pixels); see docs/filters.md",
    };
    private readonly Option<string[]> notIn = new("--not-in")
    {
        Description = "Pre-merge filter, the reject-file mode: drop extractions found in these released catalogues (the PSC, the XSC; any input format): " +
                      "a catalogue row of the same scan within --not-in-radius. Repeat it or list several. Read after the inputs: only the rows " +
                      "near them are held, so a field against the whole PSC holds the field's share",
        AllowMultipleArgumentsPerToken = true,
    };
    private readonly Option<double> notInRadius = new("--not-in-radius")
    {
        Description = "How far (arcsec, inclusive) a --not-in catalogue row may lie from its own extraction",
        DefaultValueFactory = _ => NotInCatalogues.DefaultRadiusArcsec,
    };
    private readonly Option<bool> notInAnyScan = new("--not-in-any-scan")
    {
        Description = "Match --not-in catalogues on position alone, whatever the scan (for a catalogue without scan columns: it also drops the other scans' apparitions of its sources)",
    };
    private readonly Option<string[]> associate = new("--associate")
    {
        Description = "External catalogues (any input format; ra and dec required) whose association with each group is reliability evidence: " +
                      "a row within --associate-radius of the group's mean position raises its extractions' scores, none lowers them a little (docs/reliability.md)",
        AllowMultipleArgumentsPerToken = true,
    };
    private readonly Option<double> associateRadius = new("--associate-radius")
    {
        Description = "Association radius in arcsec (inclusive) for --associate",
        DefaultValueFactory = _ => AssociateCatalogues.DefaultRadiusArcsec,
    };
    private readonly Option<int> blockRows = new("--block-rows") { Description = "Rows per link block; each block is linked with a dec margin of one radius, so results do not depend on it (bounds GPU memory)", DefaultValueFactory = _ => 1 << 23 };
    private readonly Option<int?> zoneRows = new("--zone-rows") { Description = $"Merge zone by zone in declination, about this many rows per zone, holding one zone (and the next, being read) instead of the whole table; 0 holds the whole table. Default: chosen by --memory. Results do not depend on it" };
    private readonly Option<string?> memory = new("--memory") { Description = $"Memory the merge may plan for, e.g. 8G or 512M: an input whose table (about {Wdb.Merge.Streaming.ZoneMerge.HeldBytesPerRow} bytes a row) does not fit is merged zone by zone, in zones as large as it allows (about {Wdb.Merge.Streaming.ZoneMerge.ZoneBytesPerRow} bytes a row, at least {Wdb.Merge.Streaming.ZoneMerge.DefaultZoneRows:N0} rows). Default: half of this machine's (or container's) memory, now {ByteSize.Format(Wdb.Merge.Streaming.ZoneMerge.DefaultMemoryBytes())}. Results do not depend on it" };
    private readonly Option<string?> spillDir = new("--spill-dir") { Description = "Where the zone merge keeps its temporary runs (about 0.5 KB per row; removed at the end). Default: beside --out" };
    private readonly Option<string?> modelFile = new("--reliability-model") { Description = "Reliability model JSON (default: the built-in v2; see docs/reliability.md; wdb calibrate fits one)" };
    private readonly Option<string?> scans = new("--scans") { Description = "Scan-footprint table for spos: CSV with scan_key, ra1, dec1, ra2, dec2, ... (corners, deg). Default: each scan's footprint is the extent of its own extractions, every one read, filtered or not" };
    private readonly Option<string> checksum = InputArguments.Checksum();
    private bool withZones;

    public static Option<string> DeviceOption()
    {
        var device = new Option<string>("--device") { Description = "Link-stage device: auto (a CUDA GPU if present and the input has 4 M rows or more, linking on the CPU until the GPU is ready; else the CPU), cuda, opencl, cpu, ilgpu-cpu", DefaultValueFactory = _ => "auto" };
        device.AcceptOnlyFromAmong(LinkDevices.Names);
        return device;
    }

    public static Option<int> ThreadsOption() =>
        new("--threads") { Description = "Threads for every stage: reading, sorting, linking on the CPU, statistics, writing (default: all cores)" };

    public static Option<bool?> ProgressOption() =>
        new("--progress") { Description = "Show a progress line with rows/s and ETA (default: on when stderr is a terminal)" };

    public static Option<bool> QuietOption() => new("--quiet") { Description = "Print only errors" };

    /// <summary>The progress line: on when --progress says so, else when stderr is a terminal; never under --quiet.</summary>
    public static ProgressDisplay? Display(ParseResult p, Option<bool?> progress, bool quiet) =>
        !quiet && (p.GetValue(progress) ?? !Console.IsErrorRedirected) ? new ProgressDisplay() : null;

    /// <summary>The verb's log lines: above the progress line when there is one, on stderr otherwise; none under --quiet.</summary>
    public static Action<string>? Log(string verb, bool quiet, ProgressDisplay? display) =>
        quiet ? null : display is not null ? line => display.WriteLine($"wdb {verb}: {line}") : line => Console.Error.WriteLine($"wdb {verb}: {line}");

    /// <summary>Adds the inputs and every option to <paramref name="cmd"/>; <paramref name="zones"/> false leaves out the single machine's zone options.</summary>
    public void AddTo(Command cmd, bool zones = true)
    {
        withZones = zones;
        cmd.Arguments.Add(inputs);
        foreach (Option o in new Option[] { output, radius, profile, strict, device, threads, filesAtOnce, blockRows })
            cmd.Options.Add(o);
        if (zones)
            foreach (Option o in new Option[] { zoneRows, memory, spillDir })
                cmd.Options.Add(o);
        foreach (Option o in new Option[] { minSnr, noArtifacts, noLikelyArtifacts, notIn, notInRadius, notInAnyScan, modelFile, associate, associateRadius, scans, checksum })
            cmd.Options.Add(o);
    }

    /// <summary>A reliability model file (`--reliability-model`, `wdb calibrate --base-model`), or why it is none, naming it.</summary>
    public static (ReliabilityModel? Model, string? Error) LoadModel(string path) =>
        ReliabilityModel.TryLoadFile(path, out var model, out string? why) ? (model, null) : (null, why);

    /// <summary>The options as given; null once a bad value's message is written for the user (exit 2).</summary>
    public MergeOptions? Read(ParseResult p, string verb, IMergeProgress? progress)
    {
        ReliabilityModel? model = null;
        if (p.GetValue(modelFile) is string modelPath)
        {
            (model, string? why) = LoadModel(modelPath);
            if (model is null)
            {
                Console.Error.WriteLine($"wdb {verb}: {why}");
                return null;
            }
        }
        long? memoryBytes = null;
        if (withZones && p.GetValue(memory) is string size)
        {
            if (!InputArguments.TryMemory(size, verb, out long bytes)) return null;
            memoryBytes = bytes;
        }
        if (!InputArguments.TryChecksum(p, checksum, verb, out var checksumAlgorithm)) return null;
        string[] catalogues = p.GetValue(notIn) ?? [];
        if (catalogues.Length == 0 && (p.GetResult(notInRadius) is { Implicit: false } || p.GetValue(notInAnyScan)))
        {
            Console.Error.WriteLine($"wdb {verb}: --not-in-radius and --not-in-any-scan go with --not-in CATALOGUE");
            return null;
        }
        var notInCatalogues = catalogues.Length == 0 ? null : new NotInCatalogues(catalogues, p.GetValue(notInRadius), p.GetValue(notInAnyScan));
        string[] associated = p.GetValue(associate) ?? [];
        if (associated.Length == 0 && p.GetResult(associateRadius) is { Implicit: false })
        {
            Console.Error.WriteLine($"wdb {verb}: --associate-radius goes with --associate CATALOGUE");
            return null;
        }
        return new MergeOptions
        {
            Inputs = p.GetValue(inputs)!, OutDir = p.GetValue(output)!, RadiusArcsec = p.GetValue(radius), RadiusByInputs = p.GetResult(radius) is null or { Implicit: true },
            Profile = p.GetValue(profile), Strict = p.GetValue(strict), Device = p.GetValue(device)!,
            Threads = p.GetValue(threads), FilesAtOnce = p.GetValue(filesAtOnce), BlockRows = p.GetValue(blockRows),
            Filters = new FilterOptions(p.GetValue(minSnr), p.GetValue(noArtifacts), notInCatalogues, p.GetValue(noLikelyArtifacts)),
            Reliability = model,
            Associate = associated.Length == 0 ? null : new AssociateCatalogues(associated, p.GetValue(associateRadius)),
            Progress = progress,
            ScanTable = p.GetValue(scans),
            ZoneRows = withZones ? p.GetValue(zoneRows) : null, MemoryBytes = memoryBytes, SpillDirectory = withZones ? p.GetValue(spillDir) : null,
            Checksum = checksumAlgorithm,
        };
    }
}
