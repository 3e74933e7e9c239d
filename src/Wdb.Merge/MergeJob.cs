using System.Diagnostics;
using System.Reflection;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge.Link;

namespace Wdb.Merge;

/// <summary>Everything a merge run is asked to do.</summary>
public sealed record MergeOptions
{
    public required IReadOnlyList<string> Inputs { get; init; }
    public required string OutDir { get; init; }
    public double RadiusArcsec { get; init; } = PointRadiusArcsec;
    /// <summary>
    /// No radius was given (`wdb merge` without --radius): the inputs choose it, as SPEC §4's defaults say, 2" for point
    /// sources and <see cref="ExtendedRadiusArcsec"/> for extended-source tables (<see cref="FileReadResult.ExtendedSources"/>),
    /// the radius the 2MASS pipeline resolved extended-source duplicates with.
    /// </summary>
    public bool RadiusByInputs { get; init; }
    public const double PointRadiusArcsec = 2.0, ExtendedRadiusArcsec = 5.0;
    public string? Profile { get; init; }
    public InputFormat Format { get; init; } = InputFormat.Auto;
    public bool Strict { get; init; }
    public string Device { get; init; } = "auto";
    public int Threads { get; init; }
    /// <summary>
    /// Input files read at once, their rows still taken in file order; 0 chooses
    /// (<see cref="FilesAtOnce.Auto"/>: several for gzipped inputs). Results do not depend on it.
    /// </summary>
    public int FilesAtOnce { get; init; }
    /// <summary>Rows per link block (plus its dec margin); results do not depend on it.</summary>
    public int BlockRows { get; init; } = 1 << 23;
    public FilterOptions Filters { get; init; } = new();
    /// <summary>Reliability model; null takes <see cref="ReliabilityModel.Default"/>.</summary>
    public ReliabilityModel? Reliability { get; init; }
    /// <summary>External catalogues associated with the groups, evidence for the reliability scores; null: none.</summary>
    public AssociateCatalogues? Associate { get; init; }
    /// <summary><see cref="Associate"/>'s catalogue rows near the inputs, as read (<see cref="MergeJob"/> reads them after the inputs).</summary>
    internal GroupAssociations? Associations { get; init; }
    /// <summary>Scan-footprint table (see <see cref="ScanTableReader"/>); null derives each scan's footprint from its own extractions.</summary>
    public string? ScanTable { get; init; }
    /// <summary>
    /// Rows per declination zone of the zone merge, which holds one zone (and the next, being
    /// read) instead of the whole table; 0 holds the whole table; null chooses by input size
    /// (<see cref="Streaming.ZoneMerge.Chooses"/>). Results do not depend on it.
    /// </summary>
    public int? ZoneRows { get; init; }
    /// <summary>
    /// The memory the run plans for, in bytes: inputs whose table held whole would not fit it are
    /// merged zone by zone, in zones as large as it allows (<see cref="Streaming.ZoneMerge.Plan"/>);
    /// null: <see cref="Streaming.ZoneMerge.DefaultMemoryBytes"/>. Ignored when <see cref="ZoneRows"/> is given.
    /// Results do not depend on it.
    /// </summary>
    public long? MemoryBytes { get; init; }
    /// <summary>The checksum taken of every input and output file (summary.json); results do not depend on it.</summary>
    public ChecksumAlgorithm Checksum { get; init; }
    /// <summary>Where the zone merge spills its runs; null: a temporary directory beside the output directory.</summary>
    public string? SpillDirectory { get; init; }
    /// <summary>Progress watcher (e.g. the terminal display); null for none.</summary>
    public IMergeProgress? Progress { get; init; }
}

/// <summary>How a run ended: exit code 0 with a summary, or non-zero with one error line.</summary>
public sealed record MergeOutcome(int ExitCode, string? Error, RunSummary? Summary)
{
    public static MergeOutcome Fail(int code, string message) => new(code, message, null);
}

/// <summary>
/// The merge, stage by stage (ARCHITECTURE.md): read -> reject duplicates -> filter ->
/// zone sort -> link -> components -> confusion -> group index -> statistics -> write.
/// Each stage is a call on plain data; this class only sequences them, times them and
/// keeps the account of every row.
/// </summary>
public static class MergeJob
{
    /// <summary>Exit code for bad input or a bad request: nothing is written.</summary>
    public const int InputErrorExit = 2;
    /// <summary>Exit code when the outputs could not be written.</summary>
    public const int OutputErrorExit = 3;
    /// <summary>Exit code when the device asked for by name failed during the link: nothing is written.</summary>
    public const int DeviceErrorExit = 4;

    /// <summary>
    /// The exit code of a run or verb that failed with <paramref name="error"/> (README "Exit codes"): an output that could
    /// not be written or that another run holds, <see cref="OutputErrorExit"/>; else a bad request, <see cref="InputErrorExit"/>.
    /// </summary>
    public static int ExitOf(OutputError error) => error.Busy || error.Unwritable ? OutputErrorExit : InputErrorExit;

    public static MergeOutcome Run(MergeOptions options, Action<string>? log = null) => Run(options, device: null, log);

    /// <summary>
    /// The merge on <paramref name="device"/>, an engine the caller makes and frees (e.g. one GPU kept for
    /// many merges); null to make the one <see cref="MergeOptions.Device"/> names for this run.
    /// </summary>
    public static MergeOutcome Run(MergeOptions options, PendingEngine? device, Action<string>? log = null)
    {
        if (Refusal(options) is MergeOutcome refused) return refused;
        using var claim = OutputClaim.Take(options.OutDir, out var busy);
        if (claim is null) return MergeOutcome.Fail(OutputErrorExit, busy!.Message);
        Streaming.ZoneMerge.RemoveKilledRunsSpills(options);
        // Each input's rows estimated once (a MiB of its head; inflated for .gz): the device and the zone merge's
        // choice, reserving the table, progress. Loops here and in Plan, not LINQ: its iterators over (string, long)
        // are not in the precompiled image and were jitted at every start (bench/NOTES.md 74).
        long[] expected = new long[options.Inputs.Count];
        for (int i = 0; i < expected.Length; i++) expected[i] = RowEstimate.Of(options.Inputs[i]);
        // The default reliability model is parsed beside the read, not before it: it is first needed by the scores.
        if (options.Reliability is null) _ = Task.Run(() => ReliabilityModel.Default);
        // The engine is made while the input is read; what is known at once stops the run at once.
        using var opened = device is null ? LinkDevices.Open(options.Device, options.Threads, expected.Sum()) : null;
        device ??= opened!;
        if (device.FailedAlready is string error) return MergeOutcome.Fail(InputErrorExit, error);
        try { return Run(options, device, expected, log); }
        finally { options.Progress?.Done(); }
    }

    /// <summary>Why <paramref name="options"/> cannot run (a bad value, a missing input, an --out that cannot be written), before any work; null when they can.</summary>
    internal static MergeOutcome? Refusal(MergeOptions options)
    {
        if (!(options.RadiusArcsec > 0) || options.RadiusArcsec > 3600)
            return MergeOutcome.Fail(InputErrorExit, $"--radius must be in (0, 3600] arcsec, got {options.RadiusArcsec}");
        if (options.BlockRows < 1)
            return MergeOutcome.Fail(InputErrorExit, $"--block-rows must be positive, got {options.BlockRows}");
        // A link block's device buffers are counted in ints (rows times a few words each): within a zone's cap.
        if (options.BlockRows > Streaming.ZoneMerge.MostRowsAtOnce)
            return MergeOutcome.Fail(InputErrorExit, $"--block-rows must be at most {Streaming.ZoneMerge.MostRowsAtOnce:N0}, got {options.BlockRows:N0}");
        if (options.FilesAtOnce < 0)
            return MergeOutcome.Fail(InputErrorExit, $"--files-at-once must be 0 (chosen by the inputs) or positive, got {options.FilesAtOnce}");
        if (options.ZoneRows < 0)
            return MergeOutcome.Fail(InputErrorExit, $"--zone-rows must be 0 (whole table) or positive, got {options.ZoneRows}");
        if (options.ZoneRows > Streaming.ZoneMerge.MostRowsAtOnce)
            return MergeOutcome.Fail(InputErrorExit, $"--zone-rows must be at most {Streaming.ZoneMerge.MostRowsAtOnce:N0} (a zone's column is one span of bytes), got {options.ZoneRows:N0}");
        if (options.MemoryBytes <= 0)
            return MergeOutcome.Fail(InputErrorExit, $"--memory must be positive, got {options.MemoryBytes} bytes");
        if (options.Threads < 0)
            return MergeOutcome.Fail(InputErrorExit, $"--threads must be 0 (all cores) or positive, got {options.Threads}");
        if (options.Filters.MinSnr is double snr && !double.IsFinite(snr))
            return MergeOutcome.Fail(InputErrorExit, $"--min-snr must be a finite number, got {snr}");
        if (InputPaths.Problem(options.Inputs) is string inputProblem) return MergeOutcome.Fail(InputErrorExit, inputProblem);
        if (MissingInput(options.Inputs) is string missing) return MergeOutcome.Fail(InputErrorExit, missing);
        // An --out that cannot be an output directory stops the run before the work, not after it.
        if (OutputWriter.StartProblem(options.OutDir) is { } badOut) return MergeOutcome.Fail(ExitOf(badOut), badOut.Message);
        if (options.SpillDirectory is string spill && OutputWriter.Holds(options.OutDir, spill))
            return MergeOutcome.Fail(InputErrorExit, $"--spill-dir '{spill}' lies in --out '{options.OutDir}', which the run replaces when it ends: give a directory outside it");
        return null;
    }

    /// <summary>
    /// The first input that is not there, as one line; null when all are. Checked before any reading: otherwise a typo in
    /// the last of many large inputs would stop the run only once all before it were read. An option the verb does not
    /// have (`--rejects`) arrives here as an input path, so one that looks like an option is said to be none.
    /// </summary>
    private static string? MissingInput(IReadOnlyList<string> inputs)
    {
        foreach (string path in inputs)
            if (path != InputPaths.StandardInput && !File.Exists(path))
                return $"{Shown.Path(path)}: {InputPaths.NoSuchFile(path)}";
        return null;
    }

    private static MergeOutcome Run(MergeOptions options, PendingEngine device, long[] expected, Action<string>? log)
    {
        var timer = new StageTimer();
        var summary = NewSummary(options);

        // The scan table first: a bad one stops the run before any work. The --not-in and --associate catalogues are read
        // once the inputs' sky is known (after the read, or the zone merge's partition), so that only their rows near
        // it are held: a field against a catalogue of the sky holds the field's share. What shows at their start (a missing
        // file, a bad radius, a bad header or a missing column) stops the run now: each is read to its first row.
        if (ReadScanTable(options, out var scanCorners) is MergeOutcome badScans) return badScans;
        if (CatalogueRefusal(options) is MergeOutcome badCatalogues) return badCatalogues;
        var zones = Streaming.ZoneMerge.Plan(options, expected);
        if (zones is null && expected.Sum() > Array.MaxLength)
            return MergeOutcome.Fail(InputErrorExit, $"--zone-rows 0: about {expected.Sum():N0} rows cannot be held whole (a block holds at " +
                $"most {Array.MaxLength:N0}): merge zone by zone (--zone-rows N, or leave it out)");
        WarnOfDiskSpace(options, summary, zones?.EstimatedRows ?? expected.Sum(), zones is not null, log);
        if (zones is null && options.ZoneRows is null && log is not null)
        {
            var pipes = new List<string>();
            for (int i = 0; i < expected.Length; i++)
                if (expected[i] == 0 && RowEstimate.IsPipe(options.Inputs[i]))
                    pipes.Add(options.Inputs[i] == InputPaths.StandardInput ? "standard input (-)" : options.Inputs[i]);
            if (pipes.Count > 0)
                log($"{string.Join(", ", pipes)}: {(pipes.Count == 1 ? "a pipe, so its size is" : "pipes, so their sizes are")} not known beforehand: " +
                    "held whole (--zone-rows N merges zone by zone in bounded memory)");
        }
        if (zones is { } plan)
            return Streaming.ZoneMerge.Run(options, device, summary, timer, scanCorners, plan, expected, log);

        // Read.
        var rejects = new List<RejectRecord>();
        var surveyIds = new bool[options.Inputs.Count];
        var extended = new bool?[options.Inputs.Count];
        var (block, readError) = ReadInputs(options, expected, summary, rejects, surveyIds, extended, log);
        if (readError is not null) return MergeOutcome.Fail(InputErrorExit, readError);
        if (RadiusOfInputs(ref options, extended, summary, log) is string mixed) return MergeOutcome.Fail(InputErrorExit, mixed);
        timer.Stop("read");
        if (options.Filters.NotIn is not null || options.Associate is not null)
        {
            var inputsSky = new SkyCoverage.Builder();
            inputsSky.Add(block.Ra.AsSpan(0, block.Count), block.Dec.AsSpan(0, block.Count));
            if (ReadCataloguesNear(ref options, summary, inputsSky, timer, log) is MergeOutcome badCatalogue) return badCatalogue;
        }

        // Duplicate cntr: rejected like unreadable rows (they have a file and line).
        var duplicates = DuplicateCntr.Find(block, options.Threads);
        var duplicateRows = duplicates.Select(d => new DuplicateRow(block.FileIndex[d], block.Line[d], block.Cntr[d])).ToList();
        var kept = DuplicateCntr.KeptCopies(duplicateRows, () => [block]);
        if (RejectDuplicates(options, summary, rejects, duplicateRows, kept) is string duplicateError)
            return MergeOutcome.Fail(InputErrorExit, duplicateError);
        if (ScanIdKinds.IfMixed(surveyIds) is { } kinds)
        {
            kinds.Add(block, duplicateRows.Select(d => (d.FileIndex, d.Line)).ToHashSet());
            WarnOfSharedScanIds(options, summary, kinds, log);
        }

        // Pre-merge filters.
        var reasons = PreMergeFilter.Reasons(block, options.Filters, options.Threads);
        foreach (int d in duplicates) reasons[d] = RejectReason.DuplicateCntr;
        var (merged, filtered, filteredReasons) = Split(block, reasons, options.Threads);
        block = null!;
        timer.Stop("filter");

        // Zone sort: only the columns the link, footprints, confusion and group index read go into declination
        // order (a block of their own); the rest wait in file order and are gathered once, straight into group
        // order (GroupStages.Order), instead of twice (bench/NOTES.md 66).
        options.Progress?.Stage("zone sort", null, 0);
        var decOrder = DeclinationSort.Order(merged, options.Threads);
        var sorted = merged.TakeGroupingColumns(decOrder, options.Threads);
        ReleaseLargeGarbage();
        timer.Stop("sort");

        // Link and candidate groups.
        // Any wait for the engine still being made is booked to the link stage, and said on the progress line
        // (`auto` does not wait: the CPU engine links while a GPU starts).
        if (device.WouldWait) options.Progress?.Stage("link: waiting for the device (kernels compiling)", null, 0);
        var (engine, deviceError) = device.ForLink();
        options.Progress?.Stage("link", null, 0);
        if (engine is null) return MergeOutcome.Fail(InputErrorExit, deviceError!);
        var (labels, linkError) = Link(engine, device.NoteFor(engine), sorted, options, summary, log);
        if (labels is null) return MergeOutcome.Fail(DeviceErrorExit, linkError!);
        ReleaseLargeGarbage();
        timer.Stop("link");
        var cgid = Components.CandidateIds(labels, sorted.Cntr.AsSpan(0, sorted.Count));
        summary.CandidateGroups = Components.Count(labels);
        timer.Stop("components");

        // A footprint is where its scan looked: from every row read but a duplicate cntr's, filtered or merged, so it does
        // not depend on the filters (as the zone merge's pass, which needs no --not-in catalogue for it).
        var footprints = scanCorners is not null
            ? ScanFootprints.DeriveFromExtractions(scanCorners, options.Threads)
            : ScanFootprints.DeriveFromExtractions([sorted, NotDuplicates(filtered, filteredReasons, options.Threads)], options.Threads);
        if (footprints.WideWarning() is string wide) Warn(summary, log, wide);
        if (scanCorners is not null)
        {
            var missing = new HashSet<long>();
            footprints.AddUnknown(sorted.ScanKey.AsSpan(0, sorted.Count), missing);
            footprints.AddUnknown(filtered.ScanKey.AsSpan(0, filtered.Count), missing);
            if (ScanFootprints.MissingWarning(missing, options.ScanTable!) is string unlisted) Warn(summary, log, unlisted);
        }
        timer.Stop("footprints");
        var model = ModelOf(options);
        var ordered = GroupStages.Order(sorted, cgid, footprints, model, options, summary, timer, log, options.Progress,
            others: (merged, decOrder));

        // Account for every row, per file and in total.
        CountFiltered(summary, filtered, filteredReasons);
        CountMerged(summary, ordered.Rows);
        // The statistics and scores are computed a wave of chunks at a time as groups.fb is encoded, so the
        // group table (~260 B a group) never exists whole; the stage ends, and the write's begins, when
        // groups.fb is complete (bench/NOTES.md 65).
        return Write(options, summary, timer, o => OutputWriter.Write(o, new MergeOutputs
        {
            Block = ordered.Rows, Results = ordered.Results, Membership = ordered.Membership,
            GroupChunks = new GroupChunks
            {
                Compute = ordered.Compute,
                ComputeChunk = ordered.ComputeAlone,
                Computed = () =>
                {
                    timer.Stop("stats");
                    timer.CopyStage(summary, "stats");
                    summary.PeakWorkingSetMb = StageTimer.PeakWorkingSetMb();
                    options.Progress?.Stage("write", null, 0);
                },
            },
            Filtered = filtered, FilteredReasons = filteredReasons, Rejects = rejects, Summary = summary,
            Threads = options.Threads,
            Checksum = options.Checksum,
        }), log, firstStage: ("statistics", () => ordered.RowsDone, ordered.Rows.Count));
    }

    /// <summary>
    /// A warning line for each file system the run's outputs (and the zone merge's spill) may not fit
    /// on (<see cref="DiskSpace"/>): said before the work, not found at its end.
    /// </summary>
    private static void WarnOfDiskSpace(MergeOptions options, RunSummary summary, long rows, bool zones, Action<string>? log)
    {
        string outParent = OutputWriter.ParentOf(options.OutDir);
        var needs = new List<DiskSpace.Need> { new(outParent, rows * DiskSpace.OutputBytesPerRow, "the outputs") };
        if (zones) needs.Add(new(Streaming.ZoneMerge.SpillParent(options), rows * DiskSpace.SpillBytesPerRow, "the zone merge's spill"));
        foreach (string warning in DiskSpace.Shortfalls(needs, DiskSpace.Of))
            Warn(summary, log, warning);
    }

    /// <summary>The warning of scan ids of both kinds (<see cref="ScanIdKinds.CollisionWarning"/>), when there are some.</summary>
    internal static void WarnOfSharedScanIds(MergeOptions options, RunSummary summary, ScanIdKinds kinds, Action<string>? log)
    {
        if (kinds.CollisionWarning(options.Inputs) is string shared) Warn(summary, log, shared);
    }

    /// <summary>Says <paramref name="warning"/> on the log and keeps it in summary.json's `warnings`.</summary>
    internal static void Warn(RunSummary summary, Action<string>? log, string warning)
    {
        summary.Warnings.Add(warning);
        log?.Invoke($"warning: {warning}");
    }

    /// <summary>
    /// Every input into one block, in file order, or the first bad file's error. One file at a time,
    /// each is read straight into the block. Several at once (<see cref="FilesAtOnce"/>), the first
    /// still is, and each later one into a block of its own, appended when every file before it is in.
    /// </summary>
    /// <param name="surveyIds">Set per input: whether its scan ids are survey ids (<see cref="FileReadResult.SurveyScanIds"/>).</param>
    /// <param name="extended">Set per input: whether it is an extended-source table (<see cref="FileReadResult.ExtendedSources"/>); null for one without rows.</param>
    private static (ExtractionBlock Block, string? Error) ReadInputs(MergeOptions options, long[] expected, RunSummary summary,
        List<RejectRecord> rejects, bool[] surveyIds, bool?[] extended, Action<string>? log)
    {
        var inputs = options.Inputs;
        int atOnce = Wdb.IO.FilesAtOnce.Resolve(options.FilesAtOnce, inputs, options.Threads);
        var readOptions = Wdb.IO.FilesAtOnce.PerFile(ReadOptionsOf(options), atOnce);
        long[] fromHere = new long[inputs.Count + 1];   // estimated rows of files f, f + 1, ...
        for (int f = inputs.Count - 1; f >= 0; f--) fromHere[f] = fromHere[f + 1] + expected[f];
        var block = new ExtractionBlock(1 << 16);
        var own = new ExtractionBlock?[inputs.Count];
        // Room for every file's estimated rows (+2%) up front: growing by doubling would hold up to twice
        // the table, and growing file by file copied it once per file (40 parts of the survey: read 1.16 s).
        static int Room(long before, long rows) => (int)Math.Min(int.MaxValue - 64, before + rows + rows / 50 + 1024);
        if (fromHere[0] > 0) block.Reserve(Room(0, fromHere[0]));
        if (atOnce > 1)
            options.Progress?.Stage($"read {inputs.Count} files, {atOnce} at once",
                () => block.Count + own.Sum(b => (long)(b?.Count ?? 0)), fromHere[0]);
        string? error = null;
        Wdb.IO.FilesAtOnce.Run(inputs.Count, atOnce, (f, ct) =>
        {
            var into = block;
            if (atOnce > 1 && f > 0) into = own[f] = new ExtractionBlock(Room(0, expected[f]));
            else if (atOnce == 1)
            {
                int before = block.Count;
                // Earlier files outran their estimates: room for the rest at once, not file by file.
                if (before + expected[f] > block.Capacity) block.Reserve(Room(before, fromHere[f]));
                options.Progress?.Stage($"read {Shown.Path(Path.GetFileName(inputs[f]))}", () => block.Count - before, expected[f]);
            }
            return ExtractionReader.ReadAsync(inputs[f], f, readOptions, into, ct).GetAwaiter().GetResult();
        }, (f, read) =>
        {
            error = AddInput(summary, rejects, read, log);
            if (error is not null) return false;
            surveyIds[f] = read.SurveyScanIds;
            extended[f] = KindOf(read);
            if (own[f] is { } rows)
            {
                block.Append(rows);
                own[f] = null;
            }
            return true;
        });
        return (block, error);
    }

    /// <summary>
    /// With <see cref="MergeOptions.RadiusByInputs"/>, the radius the inputs' kinds (<paramref name="extended"/>, per input,
    /// known once each is opened) choose, into <paramref name="options"/> and the summary, and said; or why they cannot
    /// choose one: point-source and extended-source tables together have no one default.
    /// </summary>
    internal static string? RadiusOfInputs(ref MergeOptions options, bool?[] extended, RunSummary summary, Action<string>? log)
    {
        if (!options.RadiusByInputs) return null;
        int firstExtended = Array.IndexOf(extended, true), firstPoint = Array.IndexOf(extended, false);
        if (firstExtended < 0) return null;
        if (firstPoint >= 0)
            return $"{options.Inputs[firstPoint]} is a point-source table and {options.Inputs[firstExtended]} an extended-source one " +
                   $"(K20 magnitudes, [jhk]_m_k20fe): they have no one default radius ({MergeOptions.PointRadiusArcsec}\" and {MergeOptions.ExtendedRadiusArcsec}\"); " +
                   "merge them apart, or give --radius";
        options = options with { RadiusArcsec = MergeOptions.ExtendedRadiusArcsec };
        summary.Parameters["radius_arcsec"] = options.RadiusArcsec;
        log?.Invoke($"extended-source {(extended.Count(e => e == true) == 1 ? "table" : "tables")} (K20 magnitudes, [jhk]_m_k20fe): linked within " +
                    $"{MergeOptions.ExtendedRadiusArcsec}\", the default for extended sources (--radius sets another)");
        return null;
    }

    /// <summary>Whether <paramref name="read"/> is an extended-source table; null when it has no rows (an empty file or pipe: no kind to go by).</summary>
    internal static bool? KindOf(FileReadResult read) => read.RowsRead == 0 ? null : read.ExtendedSources;

    /// <summary>The scan table's corners (--scans), null without one; or the run's end at its first bad line.</summary>
    internal static MergeOutcome? ReadScanTable(MergeOptions options, out ExtractionBlock? corners)
    {
        corners = null;
        if (options.ScanTable is null) return null;
        var (read, error) = ScanTableReader.Read(options.ScanTable);
        if (error is not null) return MergeOutcome.Fail(InputErrorExit, error.ToString());
        corners = read;
        return null;
    }

    /// <summary>
    /// The --not-in and --associate catalogues read into <paramref name="options"/> and the summary (nothing to do
    /// without them); a run stopped at a bad one (exit 2). <paramref name="keep"/> keeps only the catalogue rows whose
    /// (ra, dec) it holds (those near the inputs: <see cref="ReadCataloguesNear"/>); the zones, where given, take the rows
    /// kept instead of memory.
    /// </summary>
    internal static MergeOutcome? ReadCatalogues(ref MergeOptions options, RunSummary summary, Action<string>? log,
        Func<double, double, bool>? keep = null, ZoneCatalogue? notInZones = null, ZoneCatalogue? associateZones = null)
    {
        // A catalogue's rows left out are warnings, kept in summary.json: a --quiet run says no log line, and its summary
        // would otherwise count them with no word of where the first one is.
        Action<string> leftOut = line => Warn(summary, log, line);
        if (options.Filters.NotIn is { } both && options.Associate is { } alsoAssociate && SameFiles(both.Paths, alsoAssociate.Paths))
            return ReadSharedCatalogues(ref options, summary, log, leftOut, both, alsoAssociate, keep, notInZones, associateZones);
        if (options.Filters.NotIn is { } request)
        {
            var (catalogue, error) = ReleasedCatalogue.Read(request, options, leftOut, keep, notInZones is null ? null : notInZones.Add);
            if (catalogue is null) return MergeOutcome.Fail(InputErrorExit, error!);
            summary.NotIn = catalogue.Files.ToList();
            log?.Invoke(NotInSaid(request, Held(catalogue.Rows, catalogue.Files, keep, notInZones)));
            options = options with { Filters = options.Filters with { Catalogue = catalogue } };
        }
        if (options.Associate is { } associate)
        {
            var (associations, error) = GroupAssociations.Read(associate, options, leftOut, keep, associateZones is null ? null : associateZones.Add);
            if (associations is null) return MergeOutcome.Fail(InputErrorExit, error!);
            summary.Associate = associations.Files.ToList();
            log?.Invoke(AssociateSaid(associate, Held(associations.Rows, associations.Files, keep, associateZones), shared: false));
            options = options with { Associations = associations };
        }
        return null;
    }

    /// <summary>The log's line for the --not-in catalogues read (<paramref name="held"/>: their rows kept, and of how many).</summary>
    private static string NotInSaid(NotInCatalogues request, string held) =>
        $"--not-in: {held} catalogue rows; an extraction within {request.RadiusArcsec}\" of one " +
        (request.AnyScan ? "(of any scan) is left out" : "of its own scan is left out");

    /// <summary>The log's line for the --associate catalogues read (<paramref name="shared"/>: in the one read of --not-in's).</summary>
    private static string AssociateSaid(AssociateCatalogues associate, string held, bool shared) =>
        $"--associate: {held} catalogue rows{(shared ? " (read once, with --not-in's)" : "")}; a group with one within {associate.RadiusArcsec}\" " +
        "of its mean position has a counterpart (reliability evidence)";

    /// <summary>The same files, in the same order, whatever the paths they were named by.</summary>
    private static bool SameFiles(IReadOnlyList<string> a, IReadOnlyList<string> b) =>
        a.Count == b.Count && a.Select(Path.GetFullPath).SequenceEqual(b.Select(Path.GetFullPath));

    /// <summary>
    /// The same catalogues given to --not-in and --associate (the PSC, most often, as both the reject file's and the
    /// association's) read once, as --not-in reads them (with their scans unless any scan will do), both made from
    /// the rows kept: a full-sky PSC takes minutes to read. A row --not-in cannot read (its scan unreadable) is then
    /// left out of both, and said once.
    /// </summary>
    private static MergeOutcome? ReadSharedCatalogues(ref MergeOptions options, RunSummary summary, Action<string>? log, Action<string> leftOut,
        NotInCatalogues request, AssociateCatalogues associate, Func<double, double, bool>? keep,
        ZoneCatalogue? notInZones, ZoneCatalogue? associateZones)
    {
        if ((ReleasedCatalogue.RadiusError(request) ?? GroupAssociations.RadiusError(associate)) is string badRadius)
            return MergeOutcome.Fail(InputErrorExit, badRadius);
        Action<ExtractionBlock, int>? sink = notInZones is null && associateZones is null ? null : (block, count) =>
        {
            notInZones?.Add(block, count);
            associateZones?.Add(block, count);
        };
        var (rows, files, error) = CatalogueFiles.Read(request.Paths, options, ReleasedCatalogue.KindOf(request), "--not-in and --associate",
            "their extractions stay in the merge, and no group is associated with them", leftOut, keep, sink);
        if (error is not null) return MergeOutcome.Fail(InputErrorExit, ReleasedCatalogue.Explained(error, request));
        var catalogue = ReleasedCatalogue.Filed(rows!, request, files!);
        var associations = GroupAssociations.Filed(rows!, associate, files!);
        summary.NotIn = files!.ToList();
        summary.Associate = files!.ToList();
        log?.Invoke(NotInSaid(request, Held(catalogue.Rows, files!, keep, notInZones)));
        log?.Invoke(AssociateSaid(associate, Held(associations.Rows, files!, keep, associateZones), shared: true));
        options = options with { Filters = options.Filters with { Catalogue = catalogue }, Associations = associations };
        return null;
    }

    /// <summary>
    /// The catalogues of a run on one machine, read once its inputs are (<paramref name="inputsSky"/>: the rows read):
    /// only their rows within reach of some input row are held (the --not-in radius of an extraction; the --associate
    /// radius and a minute more of a group's mean position, which lies among its rows). A row left out is within reach
    /// of no extraction nor group, so the tables are those the whole catalogue gives.
    /// </summary>
    /// <param name="notInZones">The zone merge's: the --not-in rows kept go there, by zone, not into memory.</param>
    /// <param name="associateZones">The zone merge's: the --associate rows kept go there, by zone.</param>
    internal static MergeOutcome? ReadCataloguesNear(ref MergeOptions options, RunSummary summary, SkyCoverage.Builder inputsSky, StageTimer timer,
        Action<string>? log, ZoneCatalogue? notInZones = null, ZoneCatalogue? associateZones = null)
    {
        double reach = Math.Max(options.Filters.NotIn?.RadiusArcsec ?? 0, options.Associate is { } a ? a.RadiusArcsec + GroupMeanReachArcsec : 0);
        if (ReadCatalogues(ref options, summary, log, keep: inputsSky.Within(reach).Holds, notInZones: notInZones, associateZones: associateZones)
            is MergeOutcome bad) return bad;
        if (notInZones is null && associateZones is null)
            WarnOfCatalogueMemory(options, summary, (options.Filters.Catalogue?.Rows ?? 0L) + (options.Associations?.Rows ?? 0L), zones: false, log);
        timer.Stop("catalogues");
        return null;
    }

    /// <summary>
    /// How far a group's mean position may lie from the rows it is finished with (its members lie among them): a minute,
    /// the reach of the --associate rows a merge holds, a zone loads and a cluster's plan files for a task.
    /// </summary>
    internal const double GroupMeanReachArcsec = 60.0;

    /// <summary>
    /// What stops a run's catalogues before their rows are read (a radius out of range, none named, standard input, a
    /// missing file, a bad header or missing column): the run stops before any work, though the rows come after the inputs.
    /// </summary>
    internal static MergeOutcome? CatalogueRefusal(MergeOptions options)
    {
        string? why = (options.Filters.NotIn is { } notIn ? ReleasedCatalogue.StartError(notIn, options) : null)
                      ?? (options.Associate is { } associate ? GroupAssociations.StartError(associate, options) : null);
        return why is null ? null : MergeOutcome.Fail(InputErrorExit, why);
    }

    /// <summary>The rows held, and of how many read when only some are kept.</summary>
    private static string Held(int rows, IReadOnlyList<CatalogueFileSummary> files, Func<double, double, bool>? keep, ZoneCatalogue? zones = null) =>
        zones is not null ? $"{zones.Filed:N0} filed by zone (each zone holds its own) of {files.Sum(f => f.RowsRead - f.RowsRejected):N0}"
        : keep is null ? $"{rows:N0}" : $"{rows:N0} held of {files.Sum(f => f.RowsRead - f.RowsRejected):N0}";

    /// <summary>Bytes a catalogue row takes at peak while it is read and indexed.</summary>
    internal const long CatalogueBytesPerRow = CatalogueRows.PeakBytesPerRow;

    /// <summary>
    /// A warning line when the catalogue rows held (those near the inputs) took over half the memory the run plans for
    /// at their peak: the zone merge bounds its own memory, not theirs. A cluster's tasks hold only their zones' rows.
    /// </summary>
    /// <param name="rows">The rows held at once: all those near the inputs, held whole; the largest zone's, in zones.</param>
    internal static void WarnOfCatalogueMemory(MergeOptions options, RunSummary summary, long rows, bool zones, Action<string>? log)
    {
        long bytes = rows * CatalogueBytesPerRow, budget = Streaming.ZoneMerge.MemoryBudget(options);
        if (bytes > budget / 2)
            Warn(summary, log, $"the --not-in and --associate catalogues' {rows:N0} rows near the inputs{(zones ? " in the largest zone" : "")}, held in memory, " +
                $"take about {ByteSize.Format(bytes)} at their peak, over half of the {ByteSize.Format(budget)} this run plans for" +
                (zones ? "; smaller zones (--zone-rows) hold fewer" : "; zones (--zone-rows N) hold them a zone at a time"));
    }

    /// <summary>The reliability model the run scores with: the one given or the default, with the run's associations.</summary>
    internal static ReliabilityModel ModelOf(MergeOptions options) =>
        (options.Reliability ?? ReliabilityModel.Default).Associated(options.Associations is { } a ? a.HasCounterpart : null);

    /// <summary>
    /// A warning when --not-in matched no extraction though its catalogues have rows: most likely they name their scans
    /// otherwise than the inputs (a `scan_key` against `hemis`, `date` and `scan`), which would keep every row.
    /// </summary>
    public static string? NotInWarning(MergeOptions options, RunSummary summary) =>
        options.Filters.NotIn is { AnyScan: false } && summary.NotIn.Sum(c => c.RowsRead - c.RowsRejected) > 0
            && summary.RejectsByReason.GetValueOrDefault(RejectReasons.Name(RejectReason.FilteredInCatalogue)) == 0
            ? "--not-in found none of the catalogues' rows among the extractions; if it should have, check that both name scans alike " +
              "(scan_key in both, or hemis, date and scan in both), or match on position alone with --not-in-any-scan"
            : null;

    /// <summary>The summary's row totals from its inputs' counts.</summary>
    internal static void AddUpRows(RunSummary summary)
    {
        summary.RowsRead = summary.Inputs.Sum(s => s.RowsRead);
        summary.RowsRejected = summary.Inputs.Sum(s => s.RowsRejected);
    }

    /// <summary>The summary's header: version and every parameter of the run.</summary>
    internal static RunSummary NewSummary(MergeOptions options)
    {
        var summary = new RunSummary
        {
            Version = typeof(MergeJob).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
        };
        summary.Parameters["radius_arcsec"] = options.RadiusArcsec;
        summary.Parameters["profile"] = options.Profile ?? "auto";
        summary.Parameters["strict"] = options.Strict;
        summary.Parameters["device"] = options.Device;
        summary.Parameters["block_rows"] = options.BlockRows;
        summary.Parameters["threads"] = Threads.Resolve(options.Threads);
        summary.Parameters["files_at_once"] = Wdb.IO.FilesAtOnce.Resolve(options.FilesAtOnce, options.Inputs, options.Threads);
        summary.Parameters["memory_mb"] = Streaming.ZoneMerge.MemoryBudget(options) >> 20;
        if (options.Filters.MinSnr is double snr) summary.Parameters["min_snr"] = snr;
        summary.Parameters["exclude_artifacts"] = options.Filters.ExcludeArtifacts;
        summary.Parameters["exclude_likely_artifacts"] = options.Filters.ExcludeLikelyArtifacts;
        if (options.Filters.NotIn is { } notIn)
        {
            summary.Parameters["not_in_radius_arcsec"] = notIn.RadiusArcsec;
            summary.Parameters["not_in_match"] = notIn.Match;
        }
        summary.Parameters["scans"] = options.ScanTable ?? "derived from each scan's extractions";
        summary.Parameters["reliability_model"] = options.Reliability?.Version ?? ReliabilityModel.DefaultVersion;
        // The version alone does not tell two fitted models apart (calibrate names each "v2-cal" unless told otherwise):
        // what it was fitted on and a checksum of its JSON as written (ToJson: the same whatever the file's spacing or
        // comments, and what a cluster's plan carries to its tasks) do.
        summary.Parameters["reliability_model_from"] = options.Reliability?.CalibratedFrom ?? ReliabilityModel.DefaultCalibratedFrom;
        summary.Parameters["reliability_model_checksum"] = RunningChecksum.Of(options.Checksum,
            System.Text.Encoding.UTF8.GetBytes(options.Reliability?.ToJson() ?? ReliabilityModel.DefaultJson));
        if (options.Associate is { } associate) summary.Parameters["associate_radius_arcsec"] = associate.RadiusArcsec;
        summary.Parameters["checksum"] = options.Checksum.Name();
        return summary;
    }

    internal static ReadOptions ReadOptionsOf(MergeOptions options) => new(options.Profile, options.Format, options.Strict, options.Threads, options.Checksum);

    /// <summary>
    /// One input file read, in file order: its error (the run stops there), or null once it has its line
    /// in the summary, its rejects are counted and kept, and the log has its line.
    /// </summary>
    internal static string? AddInput(RunSummary summary, List<RejectRecord> rejects, FileReadResult read, Action<string>? log)
    {
        if (read.Error is not null) return read.Error.ToString();
        log?.Invoke($"read {Shown.Path(read.Path)}: {read.RowsRead:N0} rows, {read.Rejects.Count:N0} rejected");
        rejects.AddRange(read.Rejects);
        var file = new InputFileSummary
        {
            Path = read.Path, Format = read.Format.Name(), Profile = read.Profile,
            Bytes = read.Bytes, Checksum = read.Checksum, RowsRead = read.RowsRead,
        };
        summary.Inputs.Add(file);
        foreach (var r in read.Rejects) CountReject(summary, file, r.Reason);
        if (read.RepeatedHeadersSaid() is string repeated) Warn(summary, log, repeated);
        if (read.RowsRead == 0) Warn(summary, log, NoRowsWarning(read.Path));
        return null;
    }

    /// <summary>
    /// An input without a single row is read, as a header alone may rightly be, but said: in a batch it is most often a
    /// download or a pipe that failed (`zcat missing.gz | wdb merge -`), which would otherwise pass as a merge that worked.
    /// </summary>
    internal static string NoRowsWarning(string path) =>
        $"{(path == InputPaths.StandardInput ? "standard input (-)" : path)}: no rows (empty, blank lines or a header alone): it adds nothing to the merge";

    /// <summary>
    /// Rows whose cntr was already read: rejects with file and line, each naming where its cntr's kept copy is
    /// (<paramref name="kept"/>, from <see cref="DuplicateCntr.KeptCopies"/>), so that which row was merged is known
    /// without opening the inputs; or under --strict the error for the first.
    /// </summary>
    internal static string? RejectDuplicates(MergeOptions options, RunSummary summary, List<RejectRecord> rejects,
        IReadOnlyList<DuplicateRow> duplicates, IReadOnlyDictionary<long, (int File, long Line)> kept)
    {
        if (duplicates.Count > 0 && options.Strict)
        {
            var d = duplicates[0];
            return $"{options.Inputs[d.FileIndex]}:{d.Line}:1: duplicate cntr {d.Cntr}, first read at {KeptAt(options, kept, d.Cntr)}";
        }
        foreach (var d in duplicates)
        {
            CountReject(summary, summary.Inputs[d.FileIndex], RejectReason.DuplicateCntr);
            rejects.Add(new RejectRecord(options.Inputs[d.FileIndex], d.Line, 1, RejectReason.DuplicateCntr,
                $"cntr {d.Cntr} already read at {KeptAt(options, kept, d.Cntr)}", d.Cntr));
        }
        return null;
    }

    /// <summary>The kept copy of <paramref name="cntr"/> as file:line, the file as given (as the reject's own).</summary>
    private static string KeptAt(MergeOptions options, IReadOnlyDictionary<long, (int File, long Line)> kept, long cntr)
    {
        var (file, line) = kept[cntr];
        return $"{options.Inputs[file]}:{line}";
    }

    /// <summary>
    /// Labels of rows sorted by dec, linked on the run's engine (`auto` falls back to the CPU); the
    /// device that linked them goes to the summary, with <paramref name="note"/> (why that device) when
    /// given, and each new one after the last (the zone merge's `auto` moves from the CPU to a GPU once
    /// the GPU is ready). Null labels with the error when the device failed.
    /// </summary>
    internal static (int[]? Labels, string? Error) Link(ILinkEngine engine, string? note, ExtractionBlock merged, MergeOptions options,
        RunSummary summary, Action<string>? log)
    {
        var linked = LinkStage.Run(engine, options.Device.Equals("auto", StringComparison.OrdinalIgnoreCase), options.Threads,
            merged.Ra.AsSpan(0, merged.Count), merged.Dec.AsSpan(0, merged.Count), options.RadiusArcsec, options.BlockRows, log);
        if (linked.Labels is not null) summary.Device = DevicesSoFar(summary.Device, note is null ? linked.DeviceName : $"{linked.DeviceName}; {note}");
        return (linked.Labels, linked.Error);
    }

    /// <summary>The summary's device after a link on <paramref name="device"/>: the devices in the order they first linked.</summary>
    internal static string DevicesSoFar(string sofar, string device) =>
        sofar.Length == 0 ? device : sofar == device || sofar.EndsWith($"; then {device}", StringComparison.Ordinal) ? sofar : $"{sofar}; then {device}";

    /// <summary>Rows removed by the pre-merge filters, counted as rejects of their files by reason.</summary>
    internal static void CountFiltered(RunSummary summary, ExtractionBlock filtered, RejectReason[] reasons)
    {
        for (int i = 0; i < filtered.Count; i++) CountReject(summary, summary.Inputs[filtered.FileIndex[i]], reasons[i]);
    }

    /// <summary>Rows merged into groups, per file and in total (the zone merge adds zone by zone).</summary>
    internal static void CountMerged(RunSummary summary, ExtractionBlock merged)
    {
        for (int i = 0; i < merged.Count; i++) summary.Inputs[merged.FileIndex[i]].RowsMerged++;
        summary.RowsMerged += merged.Count;
    }

    /// <summary>The totals, the last timings, and the outputs written by <paramref name="write"/>.</summary>
    /// <param name="firstStage">What the progress line shows while <paramref name="write"/> starts (the held-whole merge's statistics run inside it, counting rows); "write" by default.</param>
    internal static MergeOutcome Write(MergeOptions options, RunSummary summary, StageTimer timer, Func<string, OutputError?> write,
        Action<string>? log, (string Name, Func<long>? RowsDone, long RowsExpected)? firstStage = null)
    {
        AddUpRows(summary);
        if (NotInWarning(options, summary) is string notIn) Warn(summary, log, notIn);
        // Copied: the writer adds its tables' time to the summary it writes, and the timer then
        // measures the whole stage itself (a shared dictionary once counted the tables twice).
        timer.CopyTo(summary);
        summary.PeakWorkingSetMb = StageTimer.PeakWorkingSetMb();
        summary.Runtime = RuntimeFacts.Now();
        var (stage, rowsDone, rowsExpected) = firstStage ?? ("write", null, 0);
        options.Progress?.Stage(stage, rowsDone, rowsExpected);
        if (write(options.OutDir) is OutputError error)
        {
            if (!error.Published) return MergeOutcome.Fail(OutputErrorExit, error.Message);
            log?.Invoke($"warning: {error.Message}");
        }
        timer.Stop("write");
        timer.CopyTo(summary);
        return new MergeOutcome(0, null, summary);
    }

    /// <summary>The rows of <paramref name="filtered"/> left out by a filter, not as a duplicate cntr (all of them when none is).</summary>
    private static ExtractionBlock NotDuplicates(ExtractionBlock filtered, RejectReason[] reasons, int threads)
    {
        if (!reasons.Contains(RejectReason.DuplicateCntr)) return filtered;
        var duplicates = Array.ConvertAll(reasons, r => r == RejectReason.DuplicateCntr ? r : RejectReason.None);
        return Split(filtered, duplicates, threads).Merged;
    }

    internal static (ExtractionBlock Merged, ExtractionBlock Filtered, RejectReason[] FilteredReasons) Split(
        ExtractionBlock block, RejectReason[] reasons, int threads)
    {
        int removed = 0;
        foreach (var r in reasons) if (r != RejectReason.None) removed++;
        var filtered = new ExtractionBlock(Math.Max(removed, 16));
        var filteredReasons = new RejectReason[removed];
        if (removed == 0) return (block, filtered, filteredReasons);
        var keep = new int[block.Count - removed];
        int k = 0, f = 0;
        for (int i = 0; i < block.Count; i++)
        {
            if (reasons[i] == RejectReason.None) { keep[k++] = i; continue; }
            // Duplicates are reported in the rejects list, not as filtered extractions.
            if (reasons[i] == RejectReason.DuplicateCntr) continue;
            filtered.CopyRow(block, i, filtered.AddRow());
            filteredReasons[f++] = reasons[i];
        }
        Array.Resize(ref filteredReasons, f);
        block.Permute(keep, threads);
        return (block, filtered, filteredReasons);
    }

    /// <summary>
    /// The permuted columns and the link grid leave hundreds of MB of large arrays behind,
    /// which wait for a gen-2 collection and would push the peak well past what the next
    /// stages need at once (3.25 M-row tile: 1.5 GB -> 0.8 GB peak, bench/NOTES.md).
    /// </summary>
    internal static void ReleaseLargeGarbage() => GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

    internal static T[] Gather<T>(T[] values, int[] order)
    {
        var result = new T[order.Length];
        for (int k = 0; k < order.Length; k++) result[k] = values[order[k]];
        return result;
    }

    internal static void CountReject(RunSummary summary, InputFileSummary file, RejectReason reason)
    {
        string name = RejectReasons.Name(reason);
        file.RowsRejected++;
        file.RejectsByReason[name] = file.RejectsByReason.GetValueOrDefault(name) + 1;
        summary.RejectsByReason[name] = summary.RejectsByReason.GetValueOrDefault(name) + 1;
    }
}

/// <summary>Wall-clock seconds and the process's costs (<see cref="ProcessCounters"/>) per stage, in the order the stages ran.</summary>
internal sealed class StageTimer
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private double _last;
    private ProcessCounters _lastCounters = ProcessCounters.Now();
    private long _lastAllocated = GC.GetTotalAllocatedBytes();
    private readonly Dictionary<string, (double Seconds, ProcessCounters Spent, double AllocatedMb)> _stages = new();
    private readonly Dictionary<string, double> _heapMb = new();

    public void Stop(string stage)
    {
        double now = _watch.Elapsed.TotalSeconds;
        var counters = ProcessCounters.Now();
        long allocated = GC.GetTotalAllocatedBytes();
        // A stage that runs once per zone adds up.
        var sum = _stages.GetValueOrDefault(stage);
        _stages[stage] = (sum.Seconds + now - _last, sum.Spent + (counters - _lastCounters), sum.AllocatedMb + (allocated - _lastAllocated) / 1e6);
        _heapMb[stage] = Math.Round(GC.GetTotalMemory(forceFullCollection: false) / 1e6, 1);
        _last = now;
        _lastCounters = counters;
        _lastAllocated = allocated;
    }

    /// <summary>One stage's timings as they stand now, into the summary.</summary>
    public void CopyStage(RunSummary summary, string stage)
    {
        var (seconds, spent, allocatedMb) = _stages[stage];
        summary.SetStage(stage, seconds, spent, allocatedMb);
        summary.StageHeapMb[stage] = _heapMb[stage];
    }

    /// <summary>Every stage's timings as they stand now, into the summary (which keeps no reference to the timer's).</summary>
    public void CopyTo(RunSummary summary)
    {
        foreach (var stage in _stages.Keys) CopyStage(summary, stage);
    }

    public static double PeakWorkingSetMb()
    {
        using var self = Process.GetCurrentProcess();
        return Math.Round(self.PeakWorkingSet64 / 1e6, 1);
    }
}
