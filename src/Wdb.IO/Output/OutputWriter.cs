using System.Collections.Concurrent;
using System.Text;
using Google.FlatBuffers;
using Wdb.Core;

namespace Wdb.IO;

/// <summary>
/// Writes a run's outputs (SPEC §5) into a directory, atomically:
/// <list type="bullet">
/// <item><c>groups.fb</c> + <c>groups.idx</c>: the merged DB, one record per final group, by gcntr;</item>
/// <item><c>members.fb</c> + <c>members.idx</c>: the group index, members by gcntr then time;</item>
/// <item><c>extractions.fb</c> + <c>extractions.idx</c>: every merged or filtered extraction, by cntr;</item>
/// <item><c>rejects.csv</c>: unreadable input rows; <c>summary.json</c>: the run summary, written last.</item>
/// </list>
/// Layout and decode commands: schema/wdb.fbs. Everything is written into
/// <c>&lt;outDir&gt;.tmp-&lt;random&gt;</c>, fsynced, then swapped into place (<see cref="AtomicDirectory"/>):
/// an interruption leaves either the previous complete output or the new one. A run holds its
/// <c>outDir</c> from its start (<see cref="OutputClaim"/>), so that a second run to it is refused rather than
/// removing the first's temporary directory.
/// </summary>
public static class OutputWriter
{
    /// <summary>Most records in a chunk; chunks are also cut at about 1 MiB (groups at 1024 records, ~300 KB), far below FlatBuffers' 2 GiB cap.</summary>
    public const int DefaultChunkRecords = 65536;

    /// <summary>The tables: each is <c>NAME.fb</c> with <c>NAME.idx</c>.</summary>
    public static IReadOnlyList<string> TableNames { get; } = ["groups", "members", "extractions"];

    /// <summary>Every file of an output directory but summary.json (which lists them with their checksums): the tables and their indexes, sky.fb with its index, rejects.csv.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
        [.. TableNames.Append("sky").SelectMany(t => new[] { t + ".fb", t + ".idx" }), "rejects.csv"];

    /// <summary>Writes every output into <paramref name="outDir"/>; an error value for unwritable paths or full disks.</summary>
    public static OutputError? Write(string outDir, MergeOutputs outputs) => Write(outDir, outputs, DefaultChunkRecords);

    /// <summary>As <see cref="Write(string, MergeOutputs)"/> with a chosen chunk size (tests use small ones).</summary>
    public static OutputError? Write(string outDir, MergeOutputs outputs, int chunkRecords)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkRecords, 1);
        Validate(outputs);
        var ready = outputs.GroupChunks is null ? null : new MembersReady();
        using var sky = SkyTableSink.ForGroups(outputs.Membership.GroupCount, outputs.Threads);
        Action<ChunkFileWriter> groups = outputs.GroupChunks is { } chunks
            ? f => TableEncoders.WriteGroups(f, chunks, outputs.Membership, chunkRecords, outputs.Threads, ready!, sky)
            : f => TableEncoders.WriteGroups(f, outputs.Groups!, chunkRecords, outputs.Threads, sky);
        return Publish(outDir, outputs.Summary, outputs.Rejects, outputs.Threads, outputs.Checksum, new TableWriters(groups,
            f => TableEncoders.WriteMembers(f, outputs, chunkRecords, ready),
            f => TableEncoders.WriteExtractions(f, outputs, chunkRecords))
        {
            Ready = ready,
            AfterGroups = outputs.GroupChunks?.Computed,
            Sky = sky,
            ChunkRecords = chunkRecords,
        });
    }

    /// <summary>
    /// Writes the outputs of a streaming merge: the tables come from merging the zones' runs
    /// (<see cref="OutputRuns"/>), byte for byte as <see cref="Write(string, MergeOutputs, int)"/>
    /// writes the whole table; <paramref name="summary"/> gets its Outputs filled and goes last.
    /// An error value for unwritable paths, full disks, and a spill that failed during
    /// <see cref="OutputRuns.Add"/> (<see cref="OutputRuns.Error"/>: then nothing is written).
    /// </summary>
    /// <param name="threads">Threads that encode the tables (0: every core).</param>
    /// <param name="checksum">The checksum of every file written, for <see cref="RunSummary.Outputs"/>.</param>
    public static OutputError? Write(string outDir, OutputRuns runs, RunSummary summary, IReadOnlyList<RejectRecord> rejects,
        int threads, ChecksumAlgorithm checksum, int chunkRecords = DefaultChunkRecords)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkRecords, 1);
        if (runs.Error is { } spill) return spill;
        using var sky = new SkyTableSink(threads);
        return Publish(outDir, summary, rejects, threads, checksum, new TableWriters(
            f => runs.WriteGroups(f, chunkRecords, threads, sky),
            f => runs.WriteMembers(f, chunkRecords, threads),
            f => runs.WriteExtractions(f, chunkRecords, threads))
        {
            Sky = sky,
            ChunkRecords = chunkRecords,
        });
    }

    /// <summary>
    /// How each table's chunks are encoded into its file. With <see cref="Ready"/> (groups.fb's chunks compute the
    /// groups), groups.fb leads with members.fb following as <see cref="Ready"/> allows, then
    /// <see cref="AfterGroups"/> runs, then extractions.fb; the write stage's time is counted from there, the
    /// groups' belonging to the caller's statistics. Without it, the three tables are written at once.
    /// </summary>
    internal sealed record TableWriters(Action<ChunkFileWriter> Groups, Action<ChunkFileWriter> Members, Action<ChunkFileWriter> Extractions)
    {
        public MembersReady? Ready { get; init; }
        public Action? AfterGroups { get; init; }

        /// <summary>The groups' positions, filed as groups.fb is encoded: written as sky.fb once it is.</summary>
        public SkyTableSink? Sky { get; init; }
        public int ChunkRecords { get; init; } = DefaultChunkRecords;
    }

    /// <summary>
    /// The full path an output directory is published at (its temporary sibling, and by default the zone
    /// merge's spill, go beside it), or null with the error for a path that cannot be one.
    /// </summary>
    public static string? TargetOf(string outDir, out OutputError? error)
    {
        error = null;
        string target;
        if (string.IsNullOrWhiteSpace(outDir))
        {
            error = new OutputError("--out is empty: name the output directory");
            return null;
        }
        try
        {
            target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            error = OutputError.Unwritten($"cannot write output to '{Shown.Path(outDir)}': {OneLine(e.Message)}");
            return null;
        }
        // A link to an output (`current -> runs/7`) is written through: the output it names is replaced beside itself and
        // the link stays. Replaced as a name, the link became a directory and its old target was emptied.
        try
        {
            if (Directory.Exists(target) && new DirectoryInfo(target).LinkTarget is not null) target = RealDirectory(target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = OutputError.Unwritten($"cannot write output to '{Shown.Path(outDir)}': {e.Message.ReplaceLineEndings(" ")}");
            return null;
        }
        if (Path.GetDirectoryName(target) is null)
        {
            error = OutputError.Unwritten($"cannot write output to '{Shown.Path(outDir)}': it is a root directory");
            return null;
        }
        return target;
    }

    /// <summary>
    /// Why <paramref name="outDir"/> cannot receive a merge's output, found before any work: a path that cannot be one, a
    /// file of that name, or a directory that holds something other than a wdb output (never replaced). A full-sky merge
    /// would otherwise learn it hours later, at the publish, which checks again. Null when it can.
    /// </summary>
    public static OutputError? StartProblem(string outDir)
    {
        if (TargetOf(outDir, out var badTarget) is not string target) return badTarget;
        if (File.Exists(target)) return OutputError.Unwritten($"cannot write output to '{Shown.Path(outDir)}': a file of that name exists (an output is a directory)");
        try
        {
            if (NotReplacing(target, outDir) is { } foreign) return foreign;
            return Unwritable(target) is string why ? OutputError.Unwritten($"cannot write output to '{Shown.Path(outDir)}': {why}") : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return OutputError.Unwritten($"cannot write output to '{Shown.Path(outDir)}': {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    /// <summary>
    /// The old output is deleted after the swap: never do that to a directory we did not write, nor to one that holds
    /// something besides wdb's files (an input kept there, a user's notes). Null when <paramref name="target"/> may be replaced.
    /// </summary>
    private static OutputError? NotReplacing(string target, string outDir)
    {
        if (!Directory.Exists(target)) return null;
        var entries = Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName).ToList();
        if (entries.Count == 0) return null;
        if (!entries.Contains("summary.json"))
            return OutputError.Unwritten($"'{Shown.Path(outDir)}' exists and is not a wdb output directory (no summary.json): not replacing it");
        var foreign = entries.Where(name => name != "summary.json" && !FileNames.Contains(name!)).Order(StringComparer.Ordinal).ToList();
        if (foreign.Count == 0) return null;
        string named = string.Join(", ", foreign.Take(3)) + (foreign.Count > 3 ? $" and {foreign.Count - 3:N0} more" : "");
        return OutputError.Unwritten($"'{Shown.Path(outDir)}' holds files wdb did not write ({named}): not replacing it, since the old output is deleted " +
                               "once the new one is in place; move them out, or give another --out");
    }

    /// <summary>
    /// Why the output's temporary sibling could not be made beside <paramref name="target"/> (a read-only parent), found by
    /// making one and removing it; null when it can. A parent that does not exist yet is made at the publish: its nearest
    /// existing ancestor is tried instead, and nothing is created above it now.
    /// </summary>
    private static string? Unwritable(string target)
    {
        if (Path.GetDirectoryName(target) is not string parent || NearestExisting(parent) is not string at) return null;
        string probe = Path.Combine(at, $".wdb-probe-{AtomicDirectory.UniqueTag()}");
        try
        {
            Directory.CreateDirectory(probe);
            Directory.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"'{at}' cannot be written ({e.Message.ReplaceLineEndings(" ")})";
        }
    }

    /// <summary>
    /// The directory an output directory is published in, where its temporary sibling (and by default the
    /// zone merge's spill) go; for an <paramref name="outDir"/> that <see cref="TargetOf"/> has accepted.
    /// </summary>
    public static string ParentOf(string outDir) =>
        Path.GetDirectoryName(TargetOf(outDir, out var error) ?? throw new ArgumentException(error!.Message, nameof(outDir)))!;

    /// <summary>
    /// Which output file of the directory <paramref name="outDir"/> (one of <see cref="FileNames"/>, or summary.json)
    /// <paramref name="path"/> names, links to directories on either path followed (a link to `m` is `m`); null when
    /// none. Another file written over one of them would replace a table of the output, or the checksums of them all.
    /// </summary>
    public static string? FileOf(string outDir, string path)
    {
        try
        {
            string full = Path.GetFullPath(path), name = Path.GetFileName(full);
            if (!FileNames.Append("summary.json").Contains(name, PathNames)) return null;
            return PathNames.Equals(RealDirectory(Path.GetDirectoryName(full)!), RealDirectory(outDir)) ? name : null;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or IOException or UnauthorizedAccessException)
        {
            return null;   // no such directory (it holds no output), or a path that cannot be one: its writer says so
        }
    }

    // Windows' and macOS's file systems take GROUPS.FB for groups.fb.
    private static readonly StringComparer PathNames =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    /// <summary>
    /// <paramref name="path"/> with every link on the way followed, as far as it exists (the rest appended as named), so
    /// that two names of one place compare equal.
    /// </summary>
    public static string RealPath(string path)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (NearestExisting(full) is not string at) return full;
        string real = RealDirectory(at);
        return at == full ? real : Path.Combine(real, Path.GetRelativePath(at, full));
    }

    /// <summary>
    /// Whether <paramref name="path"/> is the output directory <paramref name="outDir"/> names, or lies in it, links
    /// followed: what its publish replaces whole (a spill or a cluster's work there would go with the old output, or be
    /// refused as foreign). False for a path that cannot be compared: its own use says why.
    /// </summary>
    public static bool Holds(string outDir, string path)
    {
        if (TargetOf(outDir, out _) is not string named) return false;
        try
        {
            string inner = RealPath(path), target = RealPath(named);
            return inner == target || inner.StartsWith(target + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return false; }
    }

    /// <summary>The nearest of <paramref name="full"/> and its parents that exists as a directory; null when none does.</summary>
    private static string? NearestExisting(string full)
    {
        string? at = full;
        while (at is not null && !Directory.Exists(at)) at = Path.GetDirectoryName(at);
        return at;
    }

    /// <summary>
    /// The full path of a directory with every link on the way followed, so that two names of one directory compare equal:
    /// as realpath(3) resolves it, component by component, a link's target read from the real directory that holds the
    /// link and its <c>..</c> taken there. The runtime's final target joins a relative target to the link's path as
    /// text, so that `z -&gt; r/../../m` with r a link two levels down named a directory two levels off. What
    /// <paramref name="dir"/> itself says is taken as text (Path.GetFullPath), as every writer here takes it; a part
    /// that does not exist is kept as named.
    /// </summary>
    private static string RealDirectory(string dir)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)), root = Path.GetPathRoot(full)!;
        int links = 0;
        return Follow(root, full[root.Length..], ref links);
    }

    // Linux's limit on links followed for one path (ELOOP): a cycle of links ends in an error, not a stack overflow.
    private const int MostLinks = 40;

    /// <summary><paramref name="rest"/>, a relative path, followed from the real directory <paramref name="at"/>.</summary>
    private static string Follow(string at, string rest, ref int links)
    {
        foreach (string part in rest.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..") { at = Path.GetDirectoryName(at) ?? at; continue; }
            string next = Path.Combine(at, part);
            if (new FileInfo(next).LinkTarget is not string target) { at = next; continue; }
            if (++links > MostLinks) throw new IOException($"'{next}': too many levels of links");
            string targetRoot = Path.GetPathRoot(target) ?? "";
            at = Path.IsPathRooted(target) ? Follow(targetRoot, target[targetRoot.Length..], ref links) : Follow(at, target, ref links);
        }
        return at;
    }

    /// <summary>The atomic part shared by both entry points: a temporary sibling, the files, the summary, the swap.</summary>
    internal static OutputError? Publish(string outDir, RunSummary summary, IReadOnlyList<RejectRecord> rejects, int threads,
        ChecksumAlgorithm checksum, TableWriters tables)
    {
        if (TargetOf(outDir, out var badTarget) is not string target) return badTarget;

        string? tmp = null;
        try
        {
            if (NotReplacing(target, outDir) is { } foreign) return foreign;
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            AtomicDirectory.RemoveStale(target);
            tmp = AtomicDirectory.CreateTemp(target);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var counters = ProcessCounters.Now();
            long allocated = GC.GetTotalAllocatedBytes();
            tables.Sky?.SpillInto(tmp);
            var hashes = WriteFiles(tmp, tables, rejects, threads, checksum, () =>
            {
                // groups.fb went with the statistics: the write stage starts here.
                tables.AfterGroups?.Invoke();
                watch.Restart();
                counters = ProcessCounters.Now();
                allocated = GC.GetTotalAllocatedBytes();
            });
            summary.Outputs = hashes;
            // The tables' time goes into the summary itself (the swap after it takes milliseconds).
            summary.SetStage("write", watch.Elapsed.TotalSeconds, ProcessCounters.Now() - counters, (GC.GetTotalAllocatedBytes() - allocated) / 1e6);
            SmallFile.Write(Path.Combine(tmp, "summary.json"), SummaryJson.Write(summary), checksum);
            return AtomicDirectory.Publish(tmp, target) is string left ? new OutputError(left, Published: true) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (tmp is not null) TryDelete(tmp);
            // The system names the file it failed on inside the temporary sibling (`No space left on device :
            // '<out>.tmp-1a2b.../summary.json'`), a directory that is gone by now: say the output's own path.
            return OutputError.Unwritten($"cannot write output to '{Shown.Path(outDir)}': {OneLine(AtomicDirectory.AsTarget(e.Message, target))}");
        }
        catch
        {
            // A bug (e.g. an unserializable summary parameter): the previous output stays, the
            // temporary directory goes, and the exception carries on.
            if (tmp is not null) TryDelete(tmp);
            throw;
        }
    }

    /// <summary>The tables, their indexes and rejects.csv; returns file name -> checksum (<c>NAME:HEX</c>).</summary>
    /// <param name="groupsWritten">Called when groups.fb is written first (<see cref="TableWriters.Ready"/>).</param>
    private static Dictionary<string, string> WriteFiles(string dir, TableWriters tables, IReadOnlyList<RejectRecord> rejects, int threads,
        ChecksumAlgorithm checksum, Action groupsWritten)
    {
        // The three tables at once, each encoding its chunks on every core (ParallelChunks): one
        // table's waits for the disk and its merge of spilled runs overlap the others' encoding
        // (bench/NOTES.md 39). One at a time when the run was asked for one thread.
        var hashes = new Dictionary<string, string>();
        var synced = new ConcurrentQueue<Task>();
        Task? skyTask = null;
        (string Fb, string Idx)? skyWritten = null;
        void WriteSky() => skyWritten = WriteTable(dir, "sky", "zone_ra", checksum, synced, f => tables.Sky!.Write(f, tables.ChunkRecords));
        try
        {
            (string Name, string Key, Action<ChunkFileWriter> Encode)[] work =
                [("groups", "gcntr", tables.Groups), ("members", "gcntr", tables.Members), ("extractions", "cntr", tables.Extractions)];
            var written = new (string Fb, string Idx)[work.Length];
            (string Fb, string Idx) Write(int t)
            {
                var files = WriteTable(dir, work[t].Name, work[t].Key, checksum, synced, work[t].Encode);
                // sky.fb once groups.fb has filed every group: beside the other tables, not after them. Written
                // inline it would hold up extractions.fb, which waits for groups.fb where the groups are computed
                // as they are written (Ready).
                if (t == 0 && tables.Sky is not null)
                {
                    if (tables.Ready is null || threads == 1) WriteSky();
                    else skyTask = Task.Run(WriteSky);
                }
                return files;
            }
            if (tables.Ready is { } ready) WriteGroupsFirst(ready, threads, written, Write, groupsWritten);
            else
            {
                var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads == 1 ? 1 : work.Length };
                Threads.For(0, work.Length, parallel, t => written[t] = Write(t));
            }
            skyTask?.GetAwaiter().GetResult();
            for (int t = 0; t < work.Length; t++)
            {
                hashes[work[t].Name + ".fb"] = written[t].Fb;
                hashes[work[t].Name + ".idx"] = written[t].Idx;
            }
            if (skyWritten is var (fb, idx))
            {
                hashes["sky.fb"] = fb;
                hashes["sky.idx"] = idx;
            }
            hashes["rejects.csv"] = SmallFile.Write(Path.Combine(dir, "rejects.csv"), RejectsCsv(rejects), checksum);
            foreach (var t in synced) t.GetAwaiter().GetResult();   // an fsync's IOException, as itself
        }
        catch
        {
            // The temporary directory is deleted next: no writer or fsync may still hold one of its files.
            try { skyTask?.Wait(); } catch (AggregateException) { }
            foreach (var t in synced) { try { t.Wait(); } catch (AggregateException) { } }
            throw;
        }
        return hashes;
    }

    /// <summary>
    /// groups.fb, whose chunks compute the groups, with members.fb following it on a thread of its own (each of
    /// its chunks waits for the groups it holds, <paramref name="ready"/>); extractions.fb, which needs every
    /// row's results, once groups.fb is done. Asked for one thread: the three in that order, one at a time.
    /// </summary>
    private static void WriteGroupsFirst(MembersReady ready, int threads, (string Fb, string Idx)[] written,
        Func<int, (string Fb, string Idx)> write, Action groupsWritten)
    {
        if (threads == 1)
        {
            written[0] = write(0);
            groupsWritten();
            written[1] = write(1);
            written[2] = write(2);
            return;
        }
        Task<(string Fb, string Idx)>? members = null;
        try
        {
            members = Task.Factory.StartNew(() => write(1), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            written[0] = write(0);
            groupsWritten();
            written[2] = write(2);
            written[1] = members.GetAwaiter().GetResult();
        }
        catch
        {
            // members.fb must not wait for groups that will never come, nor hold a file of the directory about to go.
            ready.Stop();
            try { members?.Wait(); } catch (AggregateException) { }
            throw;
        }
    }

    private static (string Fb, string Idx) WriteTable(string dir, string name, string key, ChecksumAlgorithm checksum,
        ConcurrentQueue<Task> synced, Action<ChunkFileWriter> encode)
    {
        ChunkList chunks;
        string fb;
        using (var file = new ChunkFileWriter(Path.Combine(dir, name + ".fb"), name, key, checksum))
        {
            encode(file);
            var (hash, sync) = file.Complete();
            synced.Enqueue(sync);
            fb = hash;
            chunks = file.Chunks;
        }
        return (fb, SmallFile.Write(Path.Combine(dir, name + ".idx"), chunks.Encode(new FlatBufferBuilder(1 << 12)), checksum));
    }

    /// <summary>Inconsistent inputs are bugs of the caller, not output errors.</summary>
    internal static void Validate(MergeOutputs o)
    {
        var m = o.Membership;
        if ((o.Groups is null) == (o.GroupChunks is null))
            throw new ArgumentException("exactly one of Groups and GroupChunks must be given");
        if (o.Groups is { } t && t.Count != m.GroupCount)
            throw new ArgumentException($"GroupTable has {t.Count} groups, Membership {m.GroupCount}");
        for (int g = 0; g < m.GroupCount; g++)
        {
            if (o.Groups is { } table && table.Gcntr[g] != m.Gcntr[g])
                throw new ArgumentException($"group {g}: GroupTable gcntr {table.Gcntr[g]} != Membership gcntr {m.Gcntr[g]}");
            if (g > 0 && m.Gcntr[g] <= m.Gcntr[g - 1])
                throw new ArgumentException($"groups are not in ascending gcntr order at {g}");
        }
        if (m.Offsets.Length != m.GroupCount + 1 || m.Offsets[m.GroupCount] > m.MemberRows.Length)
            throw new ArgumentException("Membership.Offsets does not match its groups");
        int n = o.Block.Count;
        if (o.Results.Gcntr.Length < n || o.Results.Cgid.Length < n || o.Results.SepArcsec.Length < n || o.Results.Reliability.Length < n)
            throw new ArgumentException("ExtractionResults is shorter than the block");
        if (o.Filtered is not null && (o.FilteredReasons is null || o.FilteredReasons.Length < o.Filtered.Count))
            throw new ArgumentException("FilteredReasons must give a reason per filtered row");
    }

    /// <summary>rejects.csv: file,line,column,reason,cntr,detail (RFC 4180 quoting).</summary>
    internal static byte[] RejectsCsv(IReadOnlyList<RejectRecord> rejects)
    {
        var sb = new StringBuilder("file,line,column,reason,cntr,detail\n");
        foreach (var r in rejects)
        {
            CsvText.AppendField(sb, r.File).Append(',');
            sb.Append(r.Line).Append(',').Append(r.Column).Append(',').Append(RejectReasons.Name(r.Reason)).Append(',');
            if (r.Cntr is long c) sb.Append(c);
            sb.Append(',');
            CsvText.AppendField(sb, r.Detail).Append('\n');
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");

    private static void TryDelete(string dir)
    {
        try { DirectoryTree.Delete(dir); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
