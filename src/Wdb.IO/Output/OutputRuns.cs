using System.Buffers;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wdb.Core;
using Wdb.Fbs;

namespace Wdb.IO;

/// <summary>
/// Spills each zone's final outputs to sorted run files in a temporary directory; at the end
/// the tables are written by merging the runs (<see cref="OutputWriter.Write(string, OutputRuns, Wdb.Core.RunSummary, IReadOnlyList{Wdb.Core.RejectRecord}, int, Wdb.Core.ChecksumAlgorithm, int)"/>),
/// byte for byte what <see cref="OutputWriter.Write(string, MergeOutputs, int)"/> gives for the whole table.
/// <para>
/// A zone's groups, members and extractions are each sorted already (by gcntr, by gcntr then
/// time, by cntr), but zones' gcntr and cntr ranges interleave (gcntr is a group's smallest
/// cntr, unrelated to declination): each zone is one sorted run, and the tables are a k-way
/// merge of the runs. Members and extractions are spilled as their encoded structs
/// (<see cref="MemberStruct"/>, <see cref="ExtractionStruct"/>); groups as
/// <see cref="GroupStruct"/>, whose two offset fields are set, and whose designation is made
/// from its position, when a chunk is encoded. Memory while merging: two read buffers per run (one read ahead),
/// plus a wave of chunks per table (<see cref="ChunkPipeline{T}"/>).
/// </para>
/// <para>
/// Spill files are little-endian raw bytes, one <see cref="SpillFile"/> per kind (O_DIRECT where
/// the file system takes it), each zone an extent of it.
/// An I/O failure while spilling (a full disk) does not throw: it is kept as <see cref="Error"/>,
/// later zones are ignored, and <see cref="OutputWriter"/> returns it without writing anything.
/// One zone at a time: Add is not thread-safe.
/// </para>
/// </summary>
public sealed class OutputRuns : IDisposable
{
    // Records per spill write (about 1 MiB of members).
    private const int SpillBatch = 8192;
    // Read buffers of all runs of one table together; each run gets two buffers, each within [4 KiB, 4 MiB].
    // The writer merges its three tables at once (bench/NOTES.md 39): up to three times this in all.
    private const int MergeBufferBytes = 64 << 20;

    private readonly string _directory;
    private readonly bool _created;
    // The files zones are added to (null for runs opened from saves); every file set read from, the own one included.
    private readonly KindFiles? _own;
    private readonly List<KindFiles> _files = new();
    private readonly List<Run> _runs = new();
    // Saved (or opened from saves): Dispose closes the files and leaves the directories to their owner.
    private bool _kept;
    private GroupTable? _batchTable;   // a spill batch of groups computed as they are spilled (GroupChunks), reused zone after zone
    private long _mergedBytes;   // of the three tables' records handed to their encoders by the merges so far
    private readonly int _readBufferBytes;
    private bool _disposed;

    /// <summary>
    /// Creates <paramref name="directory"/> (a fresh or empty one: it is deleted with everything
    /// in it by <see cref="Dispose"/>). An I/O failure becomes <see cref="Error"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The directory exists and is not empty.</exception>
    public OutputRuns(string directory) : this(directory, readBufferBytes: 0) { }

    /// <param name="readBufferBytes">Each run's two read buffers while merging (0: a share of <see cref="MergeBufferBytes"/>, each within [4 KiB, 4 MiB]); tests use a few bytes so that records straddle refills.</param>
    internal OutputRuns(string directory, int readBufferBytes)
    {
        _readBufferBytes = readBufferBytes;
        _directory = Path.GetFullPath(directory);
        if (Directory.Exists(_directory) && Directory.EnumerateFileSystemEntries(_directory).Any())
            throw new ArgumentException($"'{directory}' is not empty: the runs' directory is deleted with everything in it", nameof(directory));
        try
        {
            TemporaryPaths.CreateDirectory(_directory);   // inside a spill, a task's or the stitch's scratch
            _created = true;
            _own = KindFiles.Create(_directory);
            _files.Add(_own);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Error = SpillError(e);
        }
    }

    /// <summary>Runs opened from saves (<see cref="Open"/>): no directory of their own.</summary>
    private OutputRuns(string directory, bool opened)
    {
        _directory = directory;
        _kept = opened;
    }

    private static readonly string[] KindNames = ["groups.run", "group-sizes.run", "members.run", "extractions.run"];
    private const string IndexName = "runs.index";
    // Version 2: each extent with its bytes' checksum.
    private const long IndexMagic = 0x3253545550424457;   // "WDBOUTS2"

    /// <summary>The four spill files of one directory, one per kind.</summary>
    private sealed record KindFiles(SpillFile Groups, SpillFile Sizes, SpillFile Members, SpillFile Extractions) : IDisposable
    {
        public static KindFiles Create(string directory) => Of(directory, path => new SpillFile(path));
        public static KindFiles OpenWritten(string directory) => Of(directory, SpillFile.OpenWritten);

        private static KindFiles Of(string directory, Func<string, SpillFile> file)
        {
            var made = new List<SpillFile>();
            try
            {
                foreach (string name in KindNames) made.Add(file(Path.Combine(directory, name)));
            }
            catch
            {
                foreach (var f in made) f.Dispose();
                throw;
            }
            return new KindFiles(made[0], made[1], made[2], made[3]);
        }

        public SpillFile[] All => [Groups, Sizes, Members, Extractions];

        public void Dispose()
        {
            foreach (var f in All) f.Dispose();
        }
    }

    /// <summary>
    /// Ends the spills, flushes them to the disk and saves the runs' index in their directory (written whole, then renamed), so that
    /// another process can merge them with others (<see cref="Open"/>: a cluster's stitch, docs/cluster.md);
    /// the directory then outlives this object. Returns the spill's error, if any (nothing is saved then).
    /// </summary>
    public OutputError? Save()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_own is null) throw new InvalidOperationException("only runs spilled here are saved");
        if (Error is not null) return Error;
        try
        {
            foreach (var f in _own.All) f.EndWritesDurably();
            WholeFile.WriteSealed(Path.Combine(_directory, IndexName), file =>
            {
                using var w = new BinaryWriter(file, System.Text.Encoding.UTF8, leaveOpen: true);
                w.Write(IndexMagic);
                w.Write(Groups); w.Write(Members); w.Write(Extractions);
                w.Write(_runs.Count);
                foreach (var r in _runs)
                    foreach (var e in new[] { r.Groups, r.Sizes, r.Members, r.Extractions }) { w.Write(e.Offset); w.Write(e.Length); w.Write(e.Sum); }
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Error = SpillError(e);
        }
        _kept = true;
        return null;
    }

    /// <summary>
    /// Ends the spills' appends: the last bytes of each file, held for a direct write, go to the disk now, so that a spill
    /// disk too full for them is the spill's error (<see cref="Error"/>, the system's reason in <see cref="ErrorReason"/>),
    /// not one the table writer meets while it reads the runs back, naming a spill file removed before it is read.
    /// </summary>
    public OutputError? EndWrites()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Error is not null || _own is null) return Error;
        try
        {
            foreach (var f in _own.All) f.EndWrites();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Error = SpillError(e);
        }
        return null;
    }

    /// <summary>
    /// The runs saved in each of <paramref name="directories"/> (<see cref="Save"/>), merged as one: the writer
    /// gives the tables of all their zones together. Nothing can be added; disposing leaves the directories.
    /// </summary>
    /// <exception cref="IOException">A directory has no index, or its index or files are cut short.</exception>
    public static OutputRuns Open(IReadOnlyList<string> directories)
    {
        var all = new OutputRuns(string.Join(", ", directories), opened: true);
        try
        {
            foreach (string directory in directories)
            {
                string index = Path.Combine(directory, IndexName);
                var files = KindFiles.OpenWritten(directory);
                all._files.Add(files);
                try
                {
                    using var r = new BinaryReader(WholeFile.ReadSealed(index));
                    if (r.ReadInt64() != IndexMagic) throw new IOException($"'{index}' is not an index of output runs of this version of wdb");
                    all.Groups += r.ReadInt64(); all.Members += r.ReadInt64(); all.Extractions += r.ReadInt64();
                    int runs = r.ReadInt32();
                    var lengths = files.All.Select(f => f.Length).ToArray();
                    for (int k = 0; k < runs; k++)
                    {
                        var e = new Extent[4];
                        for (int kind = 0; kind < 4; kind++)
                        {
                            e[kind] = new Extent(r.ReadInt64(), r.ReadInt64(), r.ReadUInt64());
                            if (e[kind].Offset < 0 || e[kind].Length < 0 || e[kind].Offset + e[kind].Length > lengths[kind])
                                throw new IOException($"'{Path.Combine(directory, KindNames[kind])}' is shorter than its index says");
                        }
                        all._runs.Add(new Run(files, e[0], e[1], e[2], e[3]));
                    }
                }
                catch (EndOfStreamException) { throw new IOException($"'{index}' ends early"); }
            }
        }
        catch
        {
            all.Dispose();
            throw;
        }
        return all;
    }

    /// <summary>Final groups of every zone added so far.</summary>
    public long Groups { get; private set; }
    /// <summary>Members (merged rows in groups) of every zone added so far.</summary>
    public long Members { get; private set; }
    /// <summary>Merged and filtered rows of every zone added so far.</summary>
    public long Extractions { get; private set; }

    /// <summary>
    /// How far the writer's merges are (0 to 1): the bytes of the groups', members' and extractions' runs merged
    /// into their tables' chunks so far, of all of them. A full-sky merge spends a long stage here (terabytes of
    /// runs read back); the progress display shows it as rows, with an ETA. Safe to read from any thread.
    /// </summary>
    public double MergedFraction
    {
        get
        {
            long total = _runs.Sum(r => r.Groups.Length + r.Members.Length + r.Extractions.Length);
            return total == 0 ? 1 : (double)Interlocked.Read(ref _mergedBytes) / total;
        }
    }

    /// <summary>Why spilling failed (then every later <see cref="Add"/> is ignored and the writer returns this); null while it works.</summary>
    public OutputError? Error { get; private set; }

    /// <summary>The system's reason for <see cref="Error"/>, without the spill's paths: a merge names its spill as the user gave it.</summary>
    public string? ErrorReason { get; private set; }

    /// <summary>
    /// Spills one zone's final outputs: <see cref="MergeOutputs.Block"/> holds exactly the rows of
    /// its groups (any order), a group lies wholly in one zone, cntr values are unique over all
    /// zones (merged and filtered rows). <see cref="MergeOutputs.Rejects"/> and
    /// <see cref="MergeOutputs.Summary"/> are ignored. Does not throw on I/O failure: see <see cref="Error"/>.
    /// </summary>
    /// <remarks>
    /// Groups given as <see cref="MergeOutputs.GroupChunks"/> are computed a spill batch at a time into one small
    /// table (reused zone after zone) as they are spilled, before the members and extractions that read their
    /// results; <see cref="GroupChunks.Computed"/> is called between the two.
    /// </remarks>
    /// <exception cref="ArgumentException">The zone's tables disagree (as <see cref="OutputWriter.Write(string, MergeOutputs)"/> checks).</exception>
    public void Add(MergeOutputs zone)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        OutputWriter.Validate(zone);
        if (Error is not null) return;
        if (_own is null) throw new InvalidOperationException("runs opened from saves take no more zones");
        try
        {
            var groups = SpillGroups(zone);
            zone.GroupChunks?.Computed?.Invoke();
            _runs.Add(new Run(_own!, groups, SpillSizes(zone), SpillMembers(zone), SpillExtractions(zone)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Error = SpillError(e);
            return;
        }
        Groups += zone.Membership.GroupCount;
        Members += zone.Membership.Offsets[zone.Membership.GroupCount];
        Extractions += zone.Block.Count + (zone.Filtered?.Count ?? 0);
    }

    private OutputError SpillError(Exception e)
    {
        ErrorReason = OutputError.SystemReasonOf(e, _directory);
        return OutputError.Unwritten($"cannot spill zone outputs to '{Shown.Path(_directory)}': {ErrorReason}");
    }

    // ---- spilling: each zone's records in its table's order, appended to the kind's file ----

    private Extent SpillGroups(MergeOutputs zone)
    {
        // Either the zone's whole table (a group's row is its number) or each batch computed into the batch table.
        var chunks = zone.GroupChunks;
        Action<int, int>? computeBatch = chunks is null ? null : (start, count) =>
        {
            if (_batchTable is null || _batchTable.Count < count) (_batchTable = new GroupTable()).Allocate(Math.Max(count, SpillBatch));
            chunks.Compute(start, start + count, _batchTable);
        };
        return Spill<GroupStruct>(_own!.Groups, zone.Membership.GroupCount, zone.Threads, computeBatch, (records, start, batchStart) =>
        {
            records.Clear();   // VTable and Designation stay 0 until a chunk places the table (and makes the designation from RaW, DecW)
            var (t, row) = chunks is null ? (zone.Groups!, start) : (_batchTable!, start - batchStart);
            for (int k = 0; k < records.Length; k++) GroupTables.Fill(ref records[k], t, row + k);
        });
    }

    /// <summary>Per group its gcntr and member count: the members' merge follows these.</summary>
    private Extent SpillSizes(MergeOutputs zone)
    {
        var m = zone.Membership;
        return Spill<GroupSize>(_own!.Sizes, m.GroupCount, 1, null, (records, start, _) =>
        {
            for (int k = 0; k < records.Length; k++)
                records[k] = new GroupSize(m.Gcntr[start + k], m.Offsets[start + k + 1] - m.Offsets[start + k]);
        });
    }

    private Extent SpillMembers(MergeOutputs zone) =>
        Spill<MemberStruct>(_own!.Members, zone.Membership.Offsets[zone.Membership.GroupCount], zone.Threads, null,
            (records, start, _) => TableEncoders.FillMembers(records, zone, start));

    private Extent SpillExtractions(MergeOutputs zone)
    {
        var (_, rows) = TableEncoders.ExtractionOrder(zone);
        return Spill<ExtractionStruct>(_own!.Extractions, rows.Length, zone.Threads, null,
            (records, start, _) => TableEncoders.FillExtractions(records, zone, rows.AsSpan(start, records.Length)));
    }

    private delegate void FillAt<T>(Span<T> records, int start, int batchStart) where T : unmanaged;

    /// <summary>Records a part of a batch holds at least, when the batch is filled on several threads.</summary>
    private const int SpillPartRecords = 1024;

    /// <summary>
    /// Appends <paramref name="count"/> records a batch at a time: <paramref name="prepare"/> (batch start, count)
    /// on this thread, then <paramref name="fill"/> (records, their start, the batch's start) on up to
    /// <paramref name="threads"/> threads over parts of the batch (each record depends on its own row only);
    /// returns where they went.
    /// </summary>
    private static Extent Spill<T>(SpillFile file, int count, int threads, Action<int, int>? prepare, FillAt<T> fill) where T : unmanaged
    {
        var run = file.BeginRun();
        T[] batch = ArrayPool<T>.Shared.Rent(Math.Min(Math.Max(count, 1), SpillBatch));
        var options = Threads.Options(threads);
        try
        {
            for (int start = 0; start < count; start += batch.Length)
            {
                int n = Math.Min(batch.Length, count - start), batchStart = start;
                prepare?.Invoke(start, n);
                int parts = Math.Clamp(n / SpillPartRecords, 1, options.MaxDegreeOfParallelism);
                if (parts == 1) fill(batch.AsSpan(0, n), start, start);
                else
                    Parallel.For(0, parts, options, p =>
                    {
                        int from = (int)((long)n * p / parts), to = (int)((long)n * (p + 1) / parts);
                        fill(batch.AsSpan(from, to - from), batchStart + from, batchStart);
                    });
                run.Append(MemoryMarshal.AsBytes(batch.AsSpan(0, n)));
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(batch);
        }
        var (offset, length, sum) = run.End();
        return new Extent(offset, length, sum);
    }

    // ---- merging: the writer's three tables (OutputWriter.Write(outDir, runs, ...)) ----

    /// <summary>groups.fb: the runs' groups merged by gcntr, fixed chunks as <see cref="TableEncoders.WriteGroups"/>.</summary>
    internal void WriteGroups(ChunkFileWriter file, int chunkRecords, int threads, SkyTableSink? sky = null)
    {
        NamingCorruption(() =>
        {
            var order = new RunMerge<GroupStruct, GroupKey>(Readers(f => f.Groups, r => r.Groups, 2));
            using var chunks = new ChunkPipeline<RecordChunk<GroupStruct>>(file, threads, (b, c) =>
            {
                b.FinishSizePrefixed(GroupsChunk.CreateGroupsChunk(b, GroupTables.AddVector(b, c.Count, new SpilledGroups(c), sky)).Value);
                return c.Count > 0
                    ? (c.Records[0].Gcntr, c.Records[c.Count - 1].Gcntr, c.Return())
                    : (long.MaxValue, long.MinValue, c.Return());
            });
            // Two zones holding one group would make a table the whole writer refuses (Validate).
            WriteFixed(chunks, order, TableEncoders.GroupsPerChunk(chunkRecords), (gcntr, last) =>
                throw new InvalidOperationException($"gcntr {gcntr} follows {last}: a group was added in two zones"));
            chunks.Finish();
        });
    }

    /// <summary>members.fb: whole groups in merged gcntr order, cut by <see cref="MemberChunkPlan"/> as the in-memory writer cuts them.</summary>
    internal void WriteMembers(ChunkFileWriter file, int chunkRecords, int threads)
    {
        NamingCorruption(() =>
        {
            int per = TableEncoders.MembersPerChunk(chunkRecords);
            var order = new RunMerge<GroupSize, GroupSize>(Readers(f => f.Sizes, r => r.Sizes, 2));
            using var chunks = new ChunkPipeline<RecordChunk<MemberStruct>>(file, threads, (b, c) =>
            {
                var (first, last) = TableEncoders.EncodeMembers(b, c.Count, records => c.Records.AsSpan(0, c.Count).CopyTo(records));
                return (first, last, c.Return());
            });
            var sink = new MemberSink(Readers(f => f.Members, r => r.Members, 2), chunks, per, this);
            var plan = new MemberChunkPlan(per);
            while (order.Next(out int run, out var group))
            {
                sink.Run = run;
                plan.Group(group.Members, ref sink);
            }
            plan.End(ref sink);
            chunks.Finish();
        });
    }

    /// <summary>extractions.fb: the runs' records merged by cntr, fixed chunks as <see cref="TableEncoders.WriteExtractions"/>.</summary>
    internal void WriteExtractions(ChunkFileWriter file, int chunkRecords, int threads)
    {
        NamingCorruption(() =>
        {
            var order = new RunMerge<ExtractionStruct, ExtractionKey>(Readers(f => f.Extractions, r => r.Extractions, 1));
            using var chunks = new ChunkPipeline<RecordChunk<ExtractionStruct>>(file, threads, (b, c) =>
            {
                var (first, last) = TableEncoders.EncodeExtractions(b, c.Count, records => c.Records.AsSpan(0, c.Count).CopyTo(records));
                return (first, last, c.Return());
            });
            WriteFixed(chunks, order, TableEncoders.ExtractionsPerChunk(chunkRecords), null);
            chunks.Finish();
        });
    }

    /// <summary>Runs one table's merge; when it fails, names a run changed since it was spilled (<see cref="Corruption"/>) as the cause.</summary>
    private void NamingCorruption(Action merge)
    {
        try { merge(); }
        catch (Exception e)
        {
            if (Corruption() is IOException changed) throw new IOException(changed.Message, e);
            throw;
        }
    }

    /// <summary>
    /// After a merge failed: the first run whose bytes no longer match their checksum, as its error, or null. A changed
    /// byte is found when its run's last byte is read, but a record it spoilt may fail the merge before that (a member
    /// count past its run's end, a gcntr out of order): the changed file is then named, not what it caused.
    /// </summary>
    private IOException? Corruption()
    {
        var buffer = SpillFile.DirectBuffer(1 << 20);
        foreach (var run in _runs)
            foreach (var (file, extent) in new[] { (run.Files.Groups, run.Groups), (run.Files.Sizes, run.Sizes),
                         (run.Files.Members, run.Members), (run.Files.Extractions, run.Extractions) })
            {
                var sum = new XxHash3();
                try
                {
                    for (long at = extent.Offset, end = extent.Offset + extent.Length; at < end;)
                    {
                        int n = (int)Math.Min(1 << 20, end - at);
                        int start = file.ReadDirect(buffer, n, at);
                        sum.Append(buffer.AsSpan(start, n));
                        at += n;
                    }
                }
                catch (IOException e) { return e; }
                if (sum.GetCurrentHashAsUInt64() != extent.Sum) return file.Corrupted(extent.Offset, extent.Offset + extent.Length);
            }
        return null;
    }

    /// <summary>
    /// Hands the merged records to <paramref name="chunks"/> in chunks of <paramref name="per"/>
    /// (<see cref="ChunkRange.Fixed"/>'s rule: an empty table is one empty chunk), each merged
    /// straight into its chunk's slot; <paramref name="repeated"/> (key, the key before it) is called
    /// when a key does not ascend strictly (null: keys may repeat).
    /// </summary>
    private void WriteFixed<T, TKey>(ChunkPipeline<RecordChunk<T>> chunks, RunMerge<T, TKey> order, int per,
        Action<long, long>? repeated) where T : unmanaged where TKey : IRecordKey<T> =>
        WriteFixed(order, per, repeated, chunk => Hand(chunks, chunk));

    /// <summary>
    /// The merged records in chunks of <paramref name="per"/> (<see cref="ChunkRange.Fixed"/>'s rule: an empty table is
    /// one empty chunk), each record merged straight into its chunk's slot, each full chunk given to
    /// <paramref name="hand"/>; <paramref name="repeated"/> as in the instance form. Also sky.fb's merged runs.
    /// </summary>
    internal static void WriteFixed<T, TKey>(RunMerge<T, TKey> order, int per, Action<long, long>? repeated, Action<RecordChunk<T>> hand)
        where T : unmanaged where TKey : IRecordKey<T>
    {
        var chunk = new RecordChunk<T>(per);
        bool any = false;
        long last = long.MinValue;
        while (order.Next(ref chunk.Records[chunk.Count], out _))
        {
            if (repeated is not null && any && order.LastKey <= last) repeated(order.LastKey, last);
            last = order.LastKey;
            chunk.Count++;
            any = true;
            if (chunk.Count == per) { hand(chunk); chunk = new RecordChunk<T>(per); }
        }
        if (chunk.Count > 0 || !any) hand(chunk);
        else chunk.Return();
    }

    /// <summary>A merged chunk to its encoders, counted for <see cref="MergedFraction"/>.</summary>
    private void Hand<T>(ChunkPipeline<RecordChunk<T>> chunks, RecordChunk<T> chunk) where T : unmanaged
    {
        long bytes = (long)chunk.Count * Unsafe.SizeOf<T>();
        chunks.Add(chunk);
        Interlocked.Add(ref _mergedBytes, bytes);
    }

    /// <summary>One reader per run over its extent of its <paramref name="file"/> of the kind; <paramref name="perRun"/>: readers each run has open in this table's merge (they share the buffer budget).</summary>
    private RunReader[] Readers(Func<KindFiles, SpillFile> file, Func<Run, Extent> extent, int perRun)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int buffer = _readBufferBytes > 0 ? _readBufferBytes
            : (int)Math.Clamp(MergeBufferBytes / Math.Max(1L, 2L * _runs.Count * perRun), 4096, 4 << 20);
        var readers = new RunReader[_runs.Count];
        for (int r = 0; r < readers.Length; r++)
        {
            var e = extent(_runs[r]);
            readers[r] = new RunReader(file(_runs[r].Files), e.Offset, e.Length, buffer, e.Sum);
        }
        return readers;
    }

    /// <summary>Closes the spill files and deletes the directory with everything in it (best effort: a failure to delete is not reported).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var f in _files) f.Dispose();
        if (!_created || _kept) return;
        try { DirectoryTree.Delete(_directory); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Bytes [Offset, Offset + Length) of a spill file, and their XxHash3 as spilled: the merge's reader checks it, so
    /// a run changed since (a flipped byte in a cluster's shared work directory) stops the write instead of giving
    /// wrong tables that verify.
    /// </summary>
    private readonly record struct Extent(long Offset, long Length, ulong Sum);

    /// <summary>Where one zone's records lie in each spill file.</summary>
    private sealed record Run(KindFiles Files, Extent Groups, Extent Sizes, Extent Members, Extent Extractions);

    /// <summary>A group's key and member count in the group-sizes spill (16 bytes); its own merge key.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct GroupSize(long Gcntr, long Count) : IRecordKey<GroupSize>
    {
        public int Members => checked((int)Count);
        public static long Of(in GroupSize s) => s.Gcntr;
        public static int Tie(in GroupSize a, in GroupSize b) => 0;
    }

    private readonly struct GroupKey : IRecordKey<GroupStruct>
    {
        public static long Of(in GroupStruct g) => g.Gcntr;
        public static int Tie(in GroupStruct a, in GroupStruct b) => 0;   // gcntr are unique
    }

    private readonly struct ExtractionKey : IRecordKey<ExtractionStruct>
    {
        public static long Of(in ExtractionStruct x) => x.Cntr;
        public static int Tie(in ExtractionStruct a, in ExtractionStruct b) => 0;   // a repeated cntr: the earlier run's first
    }

    /// <summary>The merged members go into chunks as the plan says; <see cref="Run"/> is the run whose group comes next.</summary>
    private struct MemberSink(RunReader[] members, ChunkPipeline<RecordChunk<MemberStruct>> chunks, int per, OutputRuns runs) : MemberChunkPlan.ISink
    {
        public int Run;
        private RecordChunk<MemberStruct> _chunk = new(per);

        public void Take(int n)
        {
            members[Run].Read(_chunk.Records.AsSpan(_chunk.Count, n));
            _chunk.Count += n;
        }

        public void Cut()
        {
            runs.Hand(chunks, _chunk);
            _chunk = new RecordChunk<MemberStruct>(per);
        }
    }

    /// <summary>A group chunk's rows as <see cref="GroupTables.AddVector{TRows}"/> reads them: the spilled struct is whole but for the offsets.</summary>
    private readonly struct SpilledGroups(RecordChunk<GroupStruct> chunk) : GroupTables.IGroupRows
    {
        public void Fill(ref GroupStruct g, int k) => g = chunk.Records[k];
    }
}

/// <summary>The records of one chunk read back from the runs, in pooled arrays that <see cref="Return"/> gives back once encoded.</summary>
internal sealed class RecordChunk<T>(int capacity) where T : unmanaged
{
    public readonly T[] Records = ArrayPool<T>.Shared.Rent(Math.Max(capacity, 1));
    public int Count;

    /// <summary>Gives the records' array back; returns the record count.</summary>
    public int Return()
    {
        ArrayPool<T>.Shared.Return(Records);
        return Count;
    }
}

