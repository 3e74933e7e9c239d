using Wdb.Core;
using Wdb.IO;
using Wdb.Merge.Link;

namespace Wdb.Merge.Streaming;

/// <summary>
/// The merge with memory bounded by a declination zone instead of the input (SPEC §6,
/// docs/streaming.md). Three passes:
/// <list type="number">
/// <item>partition: the input is read in blocks; each block's (cntr, file, line) keys go to
/// the duplicate runs and its rows, in declination-bucket order, to a run file;</item>
/// <item>duplicates and scan footprints, from the runs (footprints need every scan's rows
/// before any group's <c>spos</c>);</item>
/// <item>zones: each zone's rows (one contiguous range of every run) are filtered, joined by
/// the rows carried from the zone below, sorted and linked. A component with a row within r
/// of the zone's top may still link upwards: its rows are carried into the next zone. The
/// others are final: confusion, statistics and reliability run on them as in the in-memory
/// merge (<see cref="GroupStages"/>) and they are spilled as sorted output runs. The next
/// zone is read while this one is linked.</item>
/// </list>
/// The outputs are then written by merging the runs (<see cref="OutputRuns"/>): the same
/// bytes as the in-memory merge, whatever the zone size.
/// </summary>
public static class ZoneMerge
{
    /// <summary>
    /// Peak bytes per row of the in-memory merge, as planned: since the group table is no longer held
    /// whole (bench/NOTES.md 65, 66), measured 0.24 KB for the 10 M survey and 0.26 KB for the 3.25 M tile; the
    /// 0.65 M survey's 0.40 KB is mostly the process's own ~70 MB. An input whose rows times this fit the
    /// memory budget is held whole: it is faster at every size measured (10 M survey on 2 cores: 12.3 s
    /// against 17.4 s in zones; on 16 cores 12.3 s against 33.5 s; NOTES 33, 57), the zones only buy the
    /// bounded memory.
    /// </summary>
    public const long HeldBytesPerRow = 400;
    /// <summary>
    /// Peak bytes per row of a zone as planned (the zone, the next being read, carried rows and the
    /// runs' buffers): the 10 M survey peaks at ~1.0 GB with zones of 1 M rows, ~0.6 GB with 0.5 M.
    /// </summary>
    public const long ZoneBytesPerRow = 1000;
    /// <summary>Smallest zone a run chooses by itself (the zone size of a small budget): ~1 GB peak for a survey.</summary>
    public const int DefaultZoneRows = 1_000_000;

    /// <summary>
    /// The memory a run plans for when --memory does not say: half of what the process may use (the
    /// machine's memory, or its container's limit), leaving the rest to the page cache and the system.
    /// </summary>
    public static long DefaultMemoryBytes()
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return available > 0 ? available / 2 : 2L << 30;
    }

    /// <summary>
    /// Most zones (and read blocks) a run chooses by itself: the final merge reads every zone's runs
    /// at once, each through buffers of its own, so beyond a few hundred the reads become small.
    /// Past DefaultZoneRows x this (256 M rows) zones grow instead, and with them the memory (a
    /// full-sky 1.5 G rows: ~6 M-row zones).
    /// </summary>
    public const int MostAutoZones = 256;
    /// <summary>Compressed bytes per row assumed for a gzipped input whose head could not be sampled (<see cref="RowEstimate"/>).</summary>
    private const long GzipBytesPerRow = 30;

    /// <summary>Whether this run merges zone by zone.</summary>
    public static bool Chooses(MergeOptions options) => Plan(options, options.Inputs.Select(RowEstimate.Of).ToArray()) is not null;

    /// <summary>
    /// The zone merge's plan for this run (the rows estimated from the input files, once), or null
    /// to hold the whole table: --zone-rows when given, else zones only when the table held whole
    /// (<see cref="HeldBytesPerRow"/>) would not fit the memory budget (<see cref="MergeOptions.MemoryBytes"/>).
    /// </summary>
    /// <param name="expected">Each input's <see cref="RowEstimate.Of"/>.</param>
    internal static (int ZoneRows, long EstimatedRows)? Plan(MergeOptions options, long[] expected)
    {
        if (options.ZoneRows == 0) return null;
        long estimated = 0;
        for (int f = 0; f < expected.Length; f++) estimated += EstimatedRows(options.Inputs[f], expected[f]);
        if (options.ZoneRows is int z and > 0) return (z, estimated);
        long budget = MemoryBudget(options);
        // A table held whole is one block, whose columns are arrays: past the longest array it goes by zones, whatever
        // the memory (a machine with terabytes would otherwise hold a full-sky remerge whole and fail at its read's end).
        return estimated > budget / HeldBytesPerRow || estimated > Array.MaxLength ? (AutoZoneRows(estimated, budget), estimated) : null;
    }

    /// <summary>The memory this run plans for: --memory, or <see cref="DefaultMemoryBytes"/>.</summary>
    public static long MemoryBudget(MergeOptions options) => options.MemoryBytes ?? DefaultMemoryBytes();

    /// <summary>Most runs (read blocks) the partition writes: the duplicate check merges them all at once, each through buffers of its own.</summary>
    public const int MostRuns = 1024;

    /// <summary>Where in its spill a run's passes put their output runs, unless told otherwise.</summary>
    internal const string OutputRunsName = "out";

    /// <summary>
    /// Rows per read block: the zone size, unless small zones on a large input would make more than
    /// <see cref="MostRuns"/> runs; then larger blocks (the zones stay as asked).
    /// </summary>
    public static int PartitionRows(int zoneRows, long estimatedRows) =>
        (int)Math.Min(MostRowsAtOnce, Math.Max(zoneRows, (estimatedRows + MostRuns - 1) / MostRuns));

    /// <summary>
    /// Most rows of a zone or a read block (--zone-rows, and what a run or a cluster's plan chooses): an 8-byte column of
    /// a read block is gathered and written as one span of bytes, whose length is an int (268 M rows; ~270 GB a zone).
    /// </summary>
    public const int MostRowsAtOnce = int.MaxValue / 8;

    /// <summary>
    /// The zone size a run chooses for about <paramref name="rows"/> rows within <paramref name="budget"/>
    /// bytes: as large as the budget allows (fewer zones carry fewer rows across boundaries and write
    /// fewer runs), at least <see cref="DefaultZoneRows"/>, and no more than <see cref="MostAutoZones"/> zones.
    /// </summary>
    public static int AutoZoneRows(long rows, long budget) =>
        (int)Math.Min(MostRowsAtOnce, Math.Max(Math.Max(DefaultZoneRows, budget / ZoneBytesPerRow), (rows + MostAutoZones - 1) / MostAutoZones));

    private static long EstimatedRows(string path, long rows)
    {
        if (rows > 0 || !path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) return rows;
        try { return new FileInfo(path).Length / GzipBytesPerRow; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
    }

    internal static MergeOutcome Run(MergeOptions options, PendingEngine device, RunSummary summary, StageTimer timer,
        ExtractionBlock? scanCorners, (int ZoneRows, long EstimatedRows) plan, long[] expected, Action<string>? log)
    {
        var (zoneRows, estimated) = plan;
        summary.Parameters["zone_rows"] = zoneRows;
        if (options.ZoneRows is null)
            log?.Invoke($"about {estimated:N0} rows: held whole about {ByteSize.Text(estimated * HeldBytesPerRow)}, over the memory budget of " +
                        $"{ByteSize.Text(MemoryBudget(options))} (--memory), so zone by zone");
        string spill = SpillDirectoryOf(options);
        // --spill-dir and the parents the run makes for it go with the spill: only what was there before stays.
        var made = DirectoryTree.Missing(Path.GetDirectoryName(spill)!);
        TemporaryPaths.AddMade(made);   // a signal takes them too
        TemporaryPaths.Add(spill);
        try
        {
            if (MakeSpill(options, spill) is string notMade) return MergeOutcome.Fail(MergeJob.OutputErrorExit, notMade);
            return Run(options, device, summary, timer, scanCorners, zoneRows, PartitionRows(zoneRows, estimated), expected, spill, log);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return MergeOutcome.Fail(MergeJob.OutputErrorExit, SpillFailed(options, OutputError.SystemReasonOf(e, spill)));
        }
        finally
        {
            try
            {
                if (Directory.Exists(spill)) DirectoryTree.Delete(spill);
                TemporaryPaths.Remove(spill);
                DirectoryTree.DeleteEmpty(made);
                TemporaryPaths.RemoveMade(made);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { log?.Invoke($"could not remove '{spill}': {e.Message}"); }
        }
    }

    /// <summary>
    /// A failed spill in the user's words: where they asked for it (--spill-dir, or beside --out), not the spill's own
    /// directory, which is removed before the message is read.
    /// </summary>
    private static string SpillFailed(MergeOptions options, string reason, bool made = true) =>
        $"cannot spill the zones {(options.SpillDirectory is string dir ? $"under --spill-dir '{Shown.Path(dir)}'" : $"beside --out '{Shown.Path(options.OutDir)}'")} " +
        $"({(made ? "the spill was removed" : "the spill could not be made")}): {reason}";

    /// <summary>Makes the spill's directory (and --spill-dir, with its parents); null, or the message saying why it could not be.</summary>
    private static string? MakeSpill(MergeOptions options, string spill)
    {
        try
        {
            TemporaryPaths.CreateDirectory(spill);   // not once a signal's stop has begun: it would be left behind
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return SpillFailed(options, FileAbove(options.SpillDirectory) ?? OutputError.SystemReasonOf(e, spill), made: false);
        }
    }

    /// <summary>
    /// A file where --spill-dir or a directory above it must be, as the user named it: the system says only "Could not
    /// find a part of the path" of the spill's own name, which the user never gave. Null when there is none.
    /// </summary>
    private static string? FileAbove(string? spillDir)
    {
        for (string? at = spillDir; !string.IsNullOrEmpty(at); at = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(at)))
            if (File.Exists(at)) return $"'{Shown.Path(at)}' is a file, not a directory";
        return null;
    }

    /// <summary>
    /// A new directory: beside the output (same file system, which has room for it), or inside --spill-dir. Inside
    /// --spill-dir, which other runs may share, the name carries the output's path (hashed) so that only this output's
    /// are taken for its own (<see cref="RemoveKilledRunsSpills"/>).
    /// </summary>
    private static string SpillDirectoryOf(MergeOptions options)
    {
        string unique = Path.GetRandomFileName().Replace(".", "");
        string target = OutputTarget(options);
        if (options.SpillDirectory is null) return $"{SiblingNames.BasePath(target)}.spill-{unique}";
        return Path.Combine(SpillParent(options), $"wdb-spill-{OutputTag(target)}-{unique}");
    }

    /// <summary>
    /// Removes the spills that runs to the same output left when killed outright (SIGKILL), beside the output and in
    /// this run's --spill-dir: two runs never write one output at once (OutputClaim), so they cannot belong to a live
    /// run. Called by every run to the output as it starts, held whole too: a full-sky spill is hundreds of GB, and a
    /// run that has no spill of its own would otherwise leave it for good, and count its space as taken.
    /// </summary>
    internal static void RemoveKilledRunsSpills(MergeOptions options)
    {
        string target = OutputTarget(options);
        RemoveStaleSpills(Path.GetDirectoryName(target), SiblingNames.Base(Path.GetFileName(target)) + ".spill-");
        if (options.SpillDirectory is not null) RemoveStaleSpills(SpillParent(options), $"wdb-spill-{OutputTag(target)}-");
    }

    // Sixteen hex digits from the output's full path: the same output, the same tag.
    private static string OutputTag(string target) =>
        Convert.ToHexStringLower(System.IO.Hashing.XxHash64.Hash(System.Text.Encoding.UTF8.GetBytes(target)));

    /// <summary>The directory the spill goes in: --spill-dir, else the output directory's parent (beside it).</summary>
    internal static string SpillParent(MergeOptions options) =>
        options.SpillDirectory is string root ? Path.GetFullPath(root) : OutputWriter.ParentOf(options.OutDir);

    // MergeJob.Run has checked --out (OutputWriter.TargetOf) before any work.
    private static string OutputTarget(MergeOptions options) => OutputWriter.TargetOf(options.OutDir, out _)!;

    private static void RemoveStaleSpills(string? parent, string prefix)
    {
        if (parent is null || !Directory.Exists(parent)) return;
        foreach (string dir in Directory.EnumerateDirectories(parent))
        {
            if (!Path.GetFileName(dir).StartsWith(prefix, StringComparison.Ordinal)) continue;
            try { DirectoryTree.Delete(dir); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    private static MergeOutcome Run(MergeOptions options, PendingEngine device, RunSummary summary, StageTimer timer,
        ExtractionBlock? scanCorners, int zoneRows, int blockRows, long[] expected, string spill, Action<string>? log)
    {
        using var passes = new Passes(options, summary, timer, zoneRows, blockRows, expected, spill, log, spillFailed: reason => SpillFailed(options, reason))
            .WithCataloguesAfterPartition();
        return passes.Partition() ?? passes.Catalogues() ?? passes.Duplicates() ?? passes.Footprints(scanCorners) ?? passes.Zones(device)
            ?? MergeJob.Write(passes.Options, summary, timer,
                o => OutputWriter.Write(o, passes.Outputs, summary, passes.Rejects, options.Threads, options.Checksum), log, WriteProgress(passes.Outputs));
    }

    /// <summary>
    /// The write stage as the progress line shows it: the zones' runs merged into the tables, as rows (every
    /// merged or filtered row goes out in its tables), by the share of the runs' bytes merged so far.
    /// </summary>
    internal static (string, Func<long>, long) WriteProgress(OutputRuns outputs)
    {
        long rows = outputs.Extractions;
        return ("write tables", () => (long)(rows * outputs.MergedFraction), rows);
    }

    /// <summary>
    /// The passes of one run over its spill files, in order; each returns null to go on or the
    /// run's outcome when it must stop there. Disposing deletes the spill files.
    /// </summary>
    /// <remarks>
    /// A cluster (docs/cluster.md) runs the same passes in separate processes: its plan the first two, each task one
    /// zone (<see cref="Resume"/> with the plan's runs, duplicates and footprints; <see cref="Zone"/>), its stitch the
    /// rows each task left open.
    /// </remarks>
    internal sealed class Passes(MergeOptions options, RunSummary summary, StageTimer timer, int zoneRows, int blockRows, long[] expected,
        string spill, Action<string>? log, DeclinationRuns? runs = null, OutputRuns? outputs = null, Func<string, string>? spillFailed = null)
        : IDisposable
    {
        // A merge's message for a zone's outputs that could not be spilled, from the system's reason (its spill is removed);
        // a cluster's task and stitch name their spill, which stays in the work directory.
        private string SpillFailure(OutputError error) => spillFailed is null ? error.Message : spillFailed(Outputs.ErrorReason ?? error.Message);

        private readonly DeclinationRuns _runs = runs ?? new(Path.Combine(spill, "rows"));
        // Made at the first block the one pass gives up on: a cluster task never needs them.
        private DuplicateCntrRuns? _cntrsMade;
        private DuplicateCntrRuns Cntrs => _cntrsMade ??= new(Path.Combine(spill, "cntr"), options.Threads);
        private HashSet<(int, long)> _duplicateKeys = new();
        // Duplicate cntr found as the blocks come (OnePassDuplicates): no cntr runs to sort, write and merge
        // (bench/NOTES.md 75). The places of the blocks it took; null once it gave up: those blocks are then read
        // back from the row runs into the cntr runs.
        private OnePassDuplicates? _onePass;
        private readonly HashSet<long> _placesInOnePass = new();
        private ScanFootprints? _footprints;
        // Per input, whether its scan ids are survey ids (FileReadResult.SurveyScanIds): set by the partition.
        private readonly bool[] _surveyIds = new bool[options.Inputs.Count];
        // Per input, whether it is an extended-source table (FileReadResult.ExtendedSources): set by the partition.
        private readonly bool?[] _extended = new bool?[options.Inputs.Count];
        // The sky of the rows read, for the catalogues read after them (--not-in, --associate): made by
        // WithCataloguesAfterPartition, filled as the blocks are spilled.
        private SkyCoverage.Builder? _inputsSky;

        public OutputRuns Outputs { get; } = outputs ?? new(Path.Combine(spill, OutputRunsName));
        /// <summary>The run's options, with its catalogues once <see cref="Catalogues"/> has read them.</summary>
        public MergeOptions Options => options;
        public List<RejectRecord> Rejects { get; } = new();
        public DeclinationRuns Runs => _runs;
        public IReadOnlyCollection<(int File, long Line)> DuplicateKeys => _duplicateKeys;
        public ScanFootprints FoundFootprints => _footprints ?? throw new InvalidOperationException("the footprints pass has not run");

        /// <summary>The partition notes the sky of the rows it reads, for <see cref="Catalogues"/> after it.</summary>
        public Passes WithCataloguesAfterPartition()
        {
            if (options.Filters.NotIn is not null || options.Associate is not null) _inputsSky = new SkyCoverage.Builder();
            return this;
        }

        // The catalogues' rows near the inputs, spilled by zone (pass 1b), each zone's loaded with it (LoadZone).
        private ZoneCatalogue? _zoneNotIn, _zoneAssociate;

        /// <summary>
        /// Pass 1b: the --not-in and --associate catalogues read, their rows near the rows read spilled by zone (each row
        /// under every zone whose declinations, widened by the radius and, for --associate, a minute more, hold it): a
        /// zone holds its share of a full-sky catalogue, not the whole.
        /// </summary>
        /// <param name="cuts">The zones' cuts; null: this merge's own (a cluster's plan gives its tasks').</param>
        public MergeOutcome? Catalogues(double[]? cuts = null)
        {
            if (_inputsSky is null) return null;
            cuts ??= _runs.Zones(zoneRows).Cuts;
            if (options.Filters.NotIn is { } notIn)
                _zoneNotIn = new ZoneCatalogue(Path.Combine(spill, ZoneCatalogue.NotInName), cuts, notIn.RadiusArcsec + ZoneCatalogue.MarginArcsec);
            if (options.Associate is { } associate)
                _zoneAssociate = new ZoneCatalogue(Path.Combine(spill, ZoneCatalogue.AssociateName), cuts,
                    associate.RadiusArcsec + MergeJob.GroupMeanReachArcsec + ZoneCatalogue.MarginArcsec);
            var outcome = MergeJob.ReadCataloguesNear(ref options, summary, _inputsSky, timer, log, _zoneNotIn, _zoneAssociate);
            _zoneNotIn?.EndWrites();
            _zoneAssociate?.EndWrites();
            if (outcome is null) MergeJob.WarnOfCatalogueMemory(options, summary, (_zoneNotIn?.LargestZone ?? 0) + (_zoneAssociate?.LargestZone ?? 0), zones: true, log);
            return outcome;
        }

        /// <summary>
        /// The catalogue rows <see cref="Catalogues"/> filed, saved in the spill directory for other processes (a cluster's
        /// plan, for its tasks and stitch: <see cref="ZoneCatalogue.Open"/>); returns the rows of the zone that has most.
        /// </summary>
        public long SaveCatalogues()
        {
            _zoneNotIn?.Save();
            _zoneAssociate?.Save();
            return (_zoneNotIn?.LargestZone ?? 0) + (_zoneAssociate?.LargestZone ?? 0);
        }

        /// <summary>A cluster task's start: the plan's duplicates and footprints, as its own passes 1-2 would have found them.</summary>
        public void Resume(IEnumerable<(int File, long Line)> duplicateKeys, ScanFootprints footprints)
        {
            _duplicateKeys = duplicateKeys.ToHashSet();
            _footprints = footprints;
        }

        public void Dispose()
        {
            Outputs.Dispose();
            _cntrsMade?.Dispose();
            _runs.Dispose();
            _zoneNotIn?.Dispose();
            _zoneAssociate?.Dispose();
        }

        /// <summary>
        /// Pass 1: every input read in blocks, each block's cntr keys and its rows spilled in declination-bucket order.
        /// A block is copied and spilled on a worker while the reader decodes the next one (the reader
        /// reuses its block): one block in flight per file being read, so one more block of memory each.
        /// Several files may be read at once (<see cref="FilesAtOnce"/>); their runs are put back in file
        /// order afterwards, so every later pass sees what reading one file after another gives.
        /// </summary>
        public MergeOutcome? Partition()
        {
            var inputs = options.Inputs;
            int atOnce = FilesAtOnce.Resolve(options.FilesAtOnce, inputs, options.Threads);
            var readOptions = FilesAtOnce.PerFile(MergeJob.ReadOptionsOf(options), atOnce);
            if (atOnce > 1)
                options.Progress?.Stage($"read {inputs.Count} files, {atOnce} at once", () => Interlocked.Read(ref _spilled), expected.Sum());
            string? error = null;
            // Its bitmap (a bit per cntr value: ~160 MB for a full-sky remerge) is held beside the zones.
            _onePass = new OnePassDuplicates(MemoryBudget(options) / 16, Math.Max(0, expected.Sum()));
            FilesAtOnce.Run(inputs.Count, atOnce, (f, ct) => ReadAndSpill(f, readOptions, atOnce == 1, ct),
                (f, read) =>
                {
                    (_surveyIds[f], _extended[f]) = (read.SurveyScanIds, MergeJob.KindOf(read));
                    return (error = MergeJob.AddInput(summary, Rejects, read, log)) is null;
                });
            // The copies are a block each (~1 M rows): not kept through the zones.
            _handedBlocks.Clear();
            if (error is not null) return MergeOutcome.Fail(MergeJob.InputErrorExit, error);
            if (MergeJob.RadiusOfInputs(ref options, _extended, summary, log) is string mixed) return MergeOutcome.Fail(MergeJob.InputErrorExit, mixed);
            _runs.PutInOrder();
            timer.Stop("read");
            return null;
        }

        private long _spilled;
        private readonly Lock _spillLock = new();
        // A copy of a reader's block per file being read (it outlives the reader's reuse of its own), kept for the
        // next file and dropped after the partition pass.
        private readonly System.Collections.Concurrent.ConcurrentBag<ExtractionBlock> _handedBlocks = new();

        /// <summary>One input read and spilled; its runs are ordered by (file, block).</summary>
        private FileReadResult ReadAndSpill(int f, ReadOptions readOptions, bool ownStage, CancellationToken ct)
        {
            string path = options.Inputs[f];
            long before = Interlocked.Read(ref _spilled);
            if (ownStage)
                options.Progress?.Stage($"read {Shown.Path(Path.GetFileName(path))}", () => Interlocked.Read(ref _spilled) - before, expected[f]);
            var handed = _handedBlocks.TryTake(out var free) ? free : new ExtractionBlock(16);
            var spilling = Task.CompletedTask;
            long blockNo = 0;
            try
            {
                var read = ExtractionReader.ReadBlocks(path, f, readOptions, blockRows, block =>
                {
                    spilling.GetAwaiter().GetResult();   // the handed block is free again, or its error surfaces here
                    handed.Clear();
                    handed.Append(block, options.Threads);
                    long place = ((long)f << 32) | blockNo++;
                    spilling = Overlap(() =>
                    {
                        lock (_spillLock)
                        {
                            if (!TakeInOnePass(handed, place)) Cntrs.Add(handed);
                            _inputsSky?.Add(handed.Ra.AsSpan(0, handed.Count), handed.Dec.AsSpan(0, handed.Count));
                            // Beside the reader, which keeps a core: on two cores the spill's gathers stay on one.
                            _runs.Add(handed, Math.Max(1, Threads.Resolve(options.Threads) - 1), place);
                        }
                        Interlocked.Add(ref _spilled, handed.Count);
                    });
                }, ct);
                spilling.GetAwaiter().GetResult();
                return read;
            }
            finally
            {
                // The runs are deleted on the way out: no spill may still be writing them.
                try { spilling.Wait(CancellationToken.None); } catch (AggregateException) { }
                _handedBlocks.Add(handed);
            }
        }

        /// <summary>The block taken by the one pass; false when it is not (or no longer) running.</summary>
        private bool TakeInOnePass(ExtractionBlock block, long place)
        {
            if (_onePass?.Add(block) is null)
            {
                _onePass = null;
                return false;
            }
            _placesInOnePass.Add(place);
            return true;
        }

        /// <summary>
        /// Work that overlaps the caller's (a block's spill, the next zone's read) on a worker; inline
        /// under --threads 1, which asks for one busy thread.
        /// </summary>
        private Task Overlap(Action work)
        {
            if (Threads.Resolve(options.Threads) > 1) return Task.Run(work);
            work();
            return Task.CompletedTask;
        }

        private Task<T> Overlap<T>(Func<T> work) =>
            Threads.Resolve(options.Threads) > 1 ? Task.Run(work) : Task.FromResult(work());

        /// <summary>
        /// Pass 2a: the duplicates, rejected as in memory: those the one pass found while partitioning, or the k-way
        /// merge of the cntr runs (with the blocks the one pass took before it gave up).
        /// </summary>
        public MergeOutcome? Duplicates()
        {
            List<DuplicateRow> duplicates;
            var keys = new ExtractionBlock(16);
            if (_onePass is not null)
            {
                // Out of read order (files read at once) with a repeated value, every run's keys are read again.
                duplicates = _onePass.Rejected(() => Enumerable.Range(0, _runs.RunCount).Select(r => ReadKeys(r, keys)));
                log?.Invoke($"duplicate cntr: found while reading ({duplicates.Count:N0}; cntr ascending or dense)");
            }
            else
            {
                for (int r = 0; r < _runs.RunCount; r++)
                    if (_placesInOnePass.Contains(_runs.PlaceOf(r))) Cntrs.Add(ReadKeys(r, keys));
                duplicates = Cntrs.Find();
                log?.Invoke($"duplicate cntr: found by sorting ({duplicates.Count:N0}; cntr neither ascending nor dense)");
            }
            // The one pass keeps a bitmap, no locations: the kept copies are found by reading every run's keys again,
            // only where there are duplicates (after the sort too, which is rare, rather than carry them through its merge).
            var kept = DuplicateCntr.KeptCopies(duplicates, () => Enumerable.Range(0, _runs.RunCount).Select(r => ReadKeys(r, keys)));
            if (MergeJob.RejectDuplicates(options, summary, Rejects, duplicates, kept) is string error)
                return MergeOutcome.Fail(MergeJob.InputErrorExit, error);
            _duplicateKeys = duplicates.Select(d => (d.FileIndex, d.Line)).ToHashSet();
            timer.Stop("duplicates");
            return null;
        }

        /// <summary>The (cntr, file, line) of run <paramref name="run"/>'s rows, into <paramref name="keys"/> (emptied first).</summary>
        private ExtractionBlock ReadKeys(int run, ExtractionBlock keys)
        {
            keys.Clear();
            _runs.Read(run, 0, _runs.RowsOf(run), keys, static b => [b.Cntr, b.FileIndex, b.Line]);
            return keys;
        }

        /// <summary>
        /// Pass 2b: the scans' footprints, from every row read but a duplicate cntr's (or from the scan table), before any
        /// group's spos. Filtered rows count: a footprint is where the scan looked, so it does not depend on the filters,
        /// and the pass needs no --not-in catalogue.
        /// </summary>
        public MergeOutcome? Footprints(ExtractionBlock? scanCorners)
        {
            // Every row is read twice (centres, then boxes): the display counts both passes.
            long read = 0;
            options.Progress?.Stage("scan footprints", scanCorners is null ? () => Interlocked.Read(ref read) : null, 2 * _runs.Rows);
            if (ScanIdKinds.IfMixed(_surveyIds) is { } kinds)
            {
                ForEachSlice(_runs, blockRows, b => [b.ScanKey, b.FileIndex, b.Line], rows => kinds.Add(rows, _duplicateKeys));
                MergeJob.WarnOfSharedScanIds(options, summary, kinds, log);
            }
            _footprints = scanCorners is not null
                ? ScanFootprints.DeriveFromExtractions(scanCorners, options.Threads)
                : FootprintsOf(_runs, blockRows, FootprintColumns(_duplicateKeys.Count > 0),
                    rows => WithoutDuplicates(rows, _duplicateKeys, options.Threads), options.Threads, n => Interlocked.Add(ref read, n));
            if (_footprints.WideWarning() is string wide) MergeJob.Warn(summary, log, wide);
            if (scanCorners is not null)
            {
                var missing = new HashSet<long>();
                ForEachSlice(_runs, blockRows, b => [b.ScanKey], rows => _footprints.AddUnknown(rows.ScanKey.AsSpan(0, rows.Count), missing));
                if (ScanFootprints.MissingWarning(missing, options.ScanTable!) is string unlisted) MergeJob.Warn(summary, log, unlisted);
            }
            timer.Stop("footprints");
            return null;
        }

        /// <summary>Pass 3: zone after zone, the next one read while this one is linked.</summary>
        public MergeOutcome? Zones(PendingEngine device)
        {
            var (cuts, bounds) = _runs.Zones(zoneRows);
            int zones = cuts.Length + 1;
            summary.Parameters["zones"] = zones;
            log?.Invoke($"{_runs.Rows:N0} rows in {_runs.RunCount} runs, merged in {zones} zones of about {zoneRows:N0} rows");
            // The engine is taken zone by zone: `auto` links on the CPU until a GPU is ready, then on the GPU.
            if (device.WouldWait) options.Progress?.Stage("link: waiting for the device (kernels compiling)", null, 0);
            if (device.ForLink() is (null, var noDevice)) return MergeOutcome.Fail(MergeJob.InputErrorExit, noDevice!);

            var carry = new ExtractionBlock(16);
            long done = 0;
            options.Progress?.Stage($"merge {zones} zones", () => Interlocked.Read(ref done), _runs.Rows);
            var next = Overlap(() => LoadZone(bounds, 0));
            try
            {
                for (int zone = 0; zone < zones; zone++)
                {
                    var loaded = next.GetAwaiter().GetResult();
                    if (zone + 1 < zones) { int following = zone + 1; next = Overlap(() => LoadZone(bounds, following)); }
                    timer.Stop("read zones");
                    // Rows carried up from below are in this zone's rows: only its top is open here.
                    double reach = Edges(cuts, zone, options.RadiusArcsec).Reach;
                    var (engine, deviceError) = device.ForLink();
                    if (engine is null) return MergeOutcome.Fail(MergeJob.InputErrorExit, deviceError!);
                    var (finished, error) = Zone(engine, device.NoteFor(engine), loaded, ref carry, double.NegativeInfinity, reach);
                    if (error is not null) return error;
                    Interlocked.Add(ref done, finished);
                }
            }
            finally
            {
                // The runs are deleted next: no read may still be using them.
                try { next.Wait(); } catch (AggregateException) { }
            }
            if (carry.Count > 0) throw new InvalidOperationException("rows were carried past the last zone");
            // A spill disk that fills as the table writer reads the runs back would be said as the output's failure.
            return Outputs.EndWrites() is OutputError spillError ? MergeOutcome.Fail(MergeJob.OutputErrorExit, SpillFailure(spillError)) : null;
        }

        /// <summary>
        /// Zone <paramref name="zone"/>'s rows (bounds from <see cref="DeclinationRuns.Zones"/>), the duplicates
        /// and filtered rows set apart.
        /// </summary>
        public ZoneRowsRead LoadZone(int[][] bounds, int zone)
        {
            // Sized once (grown run by run it was copied as it doubled), with room for the rows the zone below
            // carries up, which Zone appends (they are few: a component within reach of its top).
            long rows = DeclinationRuns.RowsIn(bounds, zone);
            var block = new ExtractionBlock((int)Math.Min(Array.MaxLength, rows + rows / 16 + 1024));
            for (int r = 0; r < _runs.RunCount; r++) _runs.Read(r, bounds[r][zone], bounds[r][zone + 1], block);
            var zoneOptions = options;
            if (_zoneNotIn is not null && options.Filters.Catalogue is { } whole)
                zoneOptions = zoneOptions with { Filters = options.Filters with { Catalogue = ReleasedCatalogue.Of(_zoneNotIn.RowsOf(zone), whole) } };
            var read = Keep(block, _duplicateKeys, zoneOptions);
            return _zoneAssociate is not null && options.Associations is { } all
                ? read with { Associations = GroupAssociations.Of(_zoneAssociate.RowsOf(zone), all) }
                : read;
        }

        /// <summary>
        /// One zone: its filtered rows spilled, its rows and the carried ones sorted and linked; components
        /// with a row below <paramref name="below"/> or at or above <paramref name="reach"/> left open in
        /// <paramref name="carry"/>, the others finished and spilled. Returns the rows finished (the open
        /// ones count with the zone that finishes them).
        /// </summary>
        public (long Finished, MergeOutcome? Error) Zone(ILinkEngine engine, string? note, ZoneRowsRead loaded, ref ExtractionBlock carry,
            double below, double reach)
        {
            MergeJob.CountFiltered(summary, loaded.Filtered, loaded.FilteredReasons);
            if (loaded.Filtered.Count > 0) Outputs.Add(FilteredOnly(loaded.Filtered, loaded.FilteredReasons, summary, options.Threads));

            // The carried rows are few: appended to the zone where its block has room for them (Load leaves some),
            // else the zone is appended to them (a copy of the zone). The declination order does not depend on which.
            var merged = loaded.Merged;
            if (carry.Count > 0 && merged.Capacity - merged.Count >= carry.Count) merged.Append(carry);
            else if (carry.Count > 0) { carry.Append(merged); merged = carry; }
            // As held whole (bench/NOTES.md 66): only the grouping columns go into declination order (and into
            // the zone's final rows); the others are gathered once, into group order, or into the carry.
            var taken = DeclinationSort.Order(merged, options.Threads);
            var sorted = merged.TakeGroupingColumns(taken, options.Threads);
            timer.Stop("sort");

            var (labels, linkError) = MergeJob.Link(engine, note, sorted, options, summary, log);
            if (labels is null) return (0, MergeOutcome.Fail(MergeJob.DeviceErrorExit, linkError!));
            timer.Stop("link");

            var cgid = Components.CandidateIds(labels, sorted.Cntr.AsSpan(0, sorted.Count));
            var (finalRows, openRows, finalComponents) = SplitOpen(labels, sorted.Dec, below, reach);
            summary.CandidateGroups += finalComponents;
            carry = merged.SelectJoined(sorted, taken, openRows, options.Threads);
            if (openRows.Length > 0)
            {
                sorted.KeepGroupingRows(finalRows, options.Threads);
                taken = MergeJob.Gather(taken, finalRows);
                cgid = MergeJob.Gather(cgid, finalRows);
            }
            timer.Stop("components");
            long finished = sorted.Count + loaded.Filtered.Count;
            if (sorted.Count == 0) return (finished, null);

            var model = MergeJob.ModelOf(loaded.Associations is { } zoneAssociations ? options with { Associations = zoneAssociations } : options);
            var ordered = GroupStages.Order(sorted, cgid, _footprints!, model, options, summary, timer, log, progress: null,
                others: (merged, taken));
            MergeJob.CountMerged(summary, ordered.Rows);
            // The zone's groups are computed a spill batch at a time as they are spilled (as the in-memory merge
            // computes them as groups.fb is written): no table of the zone's groups (bench/NOTES.md 65).
            Outputs.Add(new MergeOutputs
            {
                Block = ordered.Rows, Results = ordered.Results, Membership = ordered.Membership,
                GroupChunks = new GroupChunks { Compute = ordered.Compute, Computed = () => timer.Stop("stats") },
                Summary = summary, Threads = options.Threads,
            });
            timer.Stop("spill");
            // A full disk: the writer would only report it after every zone.
            return (finished, Outputs.Error is OutputError spillError ? MergeOutcome.Fail(MergeJob.OutputErrorExit, SpillFailure(spillError)) : null);
        }
    }

    /// <summary>
    /// Where zone <paramref name="zone"/>'s components may still link across its edges: rows below its lower cut plus
    /// the link margin, and at or above its upper cut minus it (none past the first and the last zone).
    /// </summary>
    internal static (double Below, double Reach) Edges(double[] cuts, int zone, double radiusArcsec)
    {
        double margin = BlockLinker.MarginDeg(radiusArcsec);
        return (zone > 0 ? cuts[zone - 1] + margin : double.NegativeInfinity,
            zone < cuts.Length ? cuts[zone] - margin : double.PositiveInfinity);
    }

    /// <param name="Associations">The zone's share of the --associate catalogues, where they are spilled by zone; null: the run's.</param>
    internal sealed record ZoneRowsRead(ExtractionBlock Merged, ExtractionBlock Filtered, RejectReason[] FilteredReasons,
        GroupAssociations? Associations = null);

    /// <summary>Rows of a zone without the duplicates, split into merged and filtered ones (as the in-memory merge splits them).</summary>
    private static ZoneRowsRead Keep(ExtractionBlock block, HashSet<(int, long)> duplicateKeys, MergeOptions options)
    {
        var reasons = MarkDuplicates(block, duplicateKeys, PreMergeFilter.Reasons(block, options.Filters, options.Threads));
        var (merged, filtered, filteredReasons) = MergeJob.Split(block, reasons, options.Threads);
        return new ZoneRowsRead(merged, filtered, filteredReasons);
    }

    /// <summary>
    /// Rows of components with no row below <paramref name="below"/> nor at or above <paramref name="reach"/>
    /// (final), the rest (open: they may link into the zone below or above), and the number of final
    /// components. Both lists keep row order.
    /// </summary>
    internal static (int[] Final, int[] Open, int FinalComponents) SplitOpen(int[] labels, double[] dec, double below, double reach)
    {
        int n = labels.Length;
        var open = new bool[n];
        for (int i = 0; i < n; i++) if (dec[i] >= reach || dec[i] < below) open[labels[i]] = true;
        int openRows = 0, finalComponents = 0;
        for (int i = 0; i < n; i++)
        {
            if (open[labels[i]]) openRows++;
            else if (labels[i] == i) finalComponents++;
        }
        var final = new int[n - openRows];
        var carried = new int[openRows];
        for (int i = 0, f = 0, o = 0; i < n; i++)
            if (open[labels[i]]) carried[o++] = i; else final[f++] = i;
        return (final, carried, finalComponents);
    }

    /// <summary>
    /// The footprints of the rows that <paramref name="counted"/> keeps of each slice, read run by run in slices of at
    /// most <paramref name="sliceRows"/>, each slice with only the <paramref name="columns"/> that the footprints and
    /// that choice read.
    /// </summary>
    private static ScanFootprints FootprintsOf(DeclinationRuns runs, int sliceRows, Func<ExtractionBlock, Array[]> columns,
        Func<ExtractionBlock, ExtractionBlock> counted, int threads, Action<int> read)
    {
        var builder = new ScanFootprints.Builder(threads);
        ForEachSlice(runs, sliceRows, columns, rows => { int n = rows.Count; builder.AddToCentres(counted(rows)); read(n); });
        ForEachSlice(runs, sliceRows, columns, rows => { int n = rows.Count; builder.AddToBoxes(counted(rows)); read(n); });
        return builder.Build();
    }

    /// <summary>Columns for the footprints (scan, position) and for <see cref="WithoutDuplicates"/> (file and line).</summary>
    private static Func<ExtractionBlock, Array[]> FootprintColumns(bool duplicates) => b =>
        duplicates ? [b.ScanKey, b.Ra, b.Dec, b.FileIndex, b.Line] : [b.ScanKey, b.Ra, b.Dec];

    /// <summary>The rows of <paramref name="block"/> that are not a duplicate cntr's (<paramref name="block"/> itself when there are none).</summary>
    private static ExtractionBlock WithoutDuplicates(ExtractionBlock block, HashSet<(int, long)> duplicateKeys, int threads)
    {
        if (duplicateKeys.Count == 0) return block;
        return MergeJob.Split(block, MarkDuplicates(block, duplicateKeys, new RejectReason[block.Count]), threads).Merged;
    }

    /// <summary><paramref name="reasons"/> with every duplicate cntr's row (its file and line a key of <paramref name="duplicateKeys"/>) marked so.</summary>
    private static RejectReason[] MarkDuplicates(ExtractionBlock block, HashSet<(int, long)> duplicateKeys, RejectReason[] reasons)
    {
        if (duplicateKeys.Count > 0)
            for (int i = 0; i < block.Count; i++)
                if (duplicateKeys.Contains((block.FileIndex[i], block.Line[i]))) reasons[i] = RejectReason.DuplicateCntr;
        return reasons;
    }

    private static void ForEachSlice(DeclinationRuns runs, int sliceRows, Func<ExtractionBlock, Array[]> columns, Action<ExtractionBlock> use)
    {
        var rows = new ExtractionBlock(16);
        for (int r = 0; r < runs.RunCount; r++)
            for (int start = 0; start < runs.RowsOf(r); start += sliceRows)
            {
                rows.Clear();
                runs.Read(r, start, Math.Min(runs.RowsOf(r), start + sliceRows), rows, columns);
                use(rows);
            }
    }

    /// <summary>Outputs that hold only filtered rows (no groups): the extractions table lists them with their reasons.</summary>
    private static MergeOutputs FilteredOnly(ExtractionBlock filtered, RejectReason[] reasons, RunSummary summary, int threads)
    {
        var groups = new GroupTable();
        groups.Allocate(0);
        return new MergeOutputs
        {
            Block = new ExtractionBlock(16), Results = ExtractionResults.Allocate(0), Groups = groups, Membership = new Membership(),
            Filtered = filtered, FilteredReasons = reasons, Summary = summary, Threads = threads,
        };
    }
}
