using System.Buffers;
using System.Collections.Concurrent;
using Google.FlatBuffers;
using Wdb.Core;
using Wdb.Fbs;

namespace Wdb.IO;

/// <summary>
/// Encodes the three tables as chunks of FlatBuffers (schema/wdb.fbs). Chunk boundaries are
/// planned first (record counts, and group boundaries for members), then the chunks are
/// encoded on every core by <see cref="ParallelChunks"/> and written in order.
/// </summary>
internal static class TableEncoders
{
    /// <summary>
    /// Member and extraction chunks hold at most about this many bytes, so that sequential
    /// reads are efficient and memory stays small.
    /// </summary>
    public const int ChunkBytes = 1 << 20;

    /// <summary>
    /// Groups per chunk (about 300 KB: every Group table has the same fields). Groups chunks are
    /// smaller than the others because a group lookup reads its whole chunk (tables vary in
    /// size), while member and extraction lookups read only the probed fixed-size records.
    /// </summary>
    public const int GroupChunkRecords = 1024;

    /// <summary>Size of a Member and an Extraction struct (schema/wdb.fbs; flatc reports them in the generated StartXVector).</summary>
    public const int MemberBytes = 112, ExtractionBytes = 48;

    /// <summary>groups.fb: chunks of Group tables in gcntr order, each up to chunkRecords (at most <see cref="GroupChunkRecords"/>) records.</summary>
    public static void WriteGroups(ChunkFileWriter file, GroupTable t, int chunkRecords, int threads, SkyTableSink? sky = null) =>
        ParallelChunks.Write(file, ChunkRange.Fixed(t.Count, GroupsPerChunk(chunkRecords)), threads, (b, range) =>
        {
            EncodeGroups(b, t, range, sky);
            return range.Count > 0 ? (t.Gcntr[range.Start], t.Gcntr[range.End - 1]) : (long.MaxValue, long.MinValue);
        });

    /// <summary>
    /// Chunks per thread in a wave of groups computed as they are written: each wave ends in two barriers
    /// (its statistics, then its encoding), so waves larger than the other tables' (a 10 M survey's stage
    /// 5.8-6.4 s at 4, 5.5-5.9 s at 16, no better at 64; bench/NOTES.md 65). 32 chunks are ~8.5 MB of table.
    /// </summary>
    public const int GroupWaveChunksPerThread = 16;

    /// <summary>
    /// groups.fb from groups computed as it is written (<see cref="GroupChunks"/>), a wave of chunks (a few
    /// per core) at a time. A wave of small groups (a survey's) is computed chunk by chunk, each into a small
    /// table of the worker that then encodes it; a wave of large groups (a calibration tile's) all at once
    /// into one wave-sized table (reused) just before it is encoded. The same chunks and bytes as from the
    /// whole table either way.
    /// </summary>
    /// <param name="ready">Told how far the members' results are computed, for members.fb following this file.</param>
    public static void WriteGroups(ChunkFileWriter file, GroupChunks groups, Membership m, int chunkRecords, int threads, MembersReady ready,
        SkyTableSink? sky = null)
    {
        var table = new GroupTable();
        var chunkTables = new ConcurrentBag<GroupTable>();
        int waveStart = 0;
        bool waveComputed = false;
        ParallelChunks.Write(file, ChunkRange.Fixed(m.GroupCount, GroupsPerChunk(chunkRecords)), threads, (b, range) =>
        {
            if (waveComputed) EncodeGroups(b, table, new ChunkRange(range.Start - waveStart, range.End - waveStart), sky);
            else
            {
                // The chunk's own groups, computed by the worker that encodes them (hot in its caches).
                if (!chunkTables.TryTake(out var t)) t = new GroupTable();   // ~260 KB a chunk
                if (t.Count < range.Count) t.Allocate(range.Count);
                groups.ComputeChunk!(range.Start, range.End, t);
                EncodeGroups(b, t, new ChunkRange(0, range.Count), sky);
                chunkTables.Add(t);
            }
            return range.Count > 0 ? (m.Gcntr[range.Start], m.Gcntr[range.End - 1]) : (long.MaxValue, long.MinValue);
        }, prepareWave: wave =>
        {
            // Everything before this wave is computed (the last wave's chunks are encoded).
            waveStart = wave[0].Start;
            ready.Advance(m.Offsets[waveStart]);
            int end = wave[^1].End;
            waveComputed = groups.ComputeChunk is null || m.Offsets[end] - m.Offsets[waveStart] > (long)groups.ChunkComputeMaxRows * wave.Length;
            if (!waveComputed) return;
            // Dense groups: the whole wave at once, its groups shared out finer than chunks, so that a chunk
            // of a calibration tile's large groups does not leave the other cores waiting.
            int count = end - waveStart;
            if (table.Count < count) table.Allocate(count);
            groups.Compute(waveStart, end, table);
            ready.Advance(m.Offsets[end]);
        }, chunksPerThread: GroupWaveChunksPerThread);
        ready.Advance(m.Offsets[m.GroupCount]);   // an empty table has no wave
    }

    /// <summary>One size-prefixed chunk of the Group tables of rows <paramref name="rows"/> of <paramref name="t"/>.</summary>
    private static void EncodeGroups(FlatBufferBuilder b, GroupTable t, ChunkRange rows, SkyTableSink? sky) =>
        b.FinishSizePrefixed(GroupsChunk.CreateGroupsChunk(b, GroupTables.AddVector(b, t, rows, sky)).Value);

    /// <summary>
    /// <see cref="GroupChunks.ChunkComputeMaxRows"/> by default. Chunk by chunk, a survey's groups of one or two
    /// stay in the caches of the worker that encodes them and a wave has one barrier instead of two (its
    /// statistics, then its encoding): the 10 M survey's stage 6.13 -> 5.66 s. A tile's chunks of a thousand
    /// groups of tens to hundreds of members differ too much in work for that (tile 3.25 M: 0.84 -> 1.00 s):
    /// its waves are shared out finer than chunks (bench/NOTES.md 68).
    /// </summary>
    internal const int ChunkComputeMaxRows = 8192;

    /// <summary>Records per chunk of each table, given the caller's limit.</summary>
    public static int GroupsPerChunk(int chunkRecords) => Math.Min(chunkRecords, GroupChunkRecords);
    public static int MembersPerChunk(int chunkRecords) => Math.Min(chunkRecords, ChunkBytes / MemberBytes);
    public static int ExtractionsPerChunk(int chunkRecords) => Math.Min(chunkRecords, ChunkBytes / ExtractionBytes);

    /// <summary>
    /// members.fb: members in group order (Membership order). A chunk ends at a group boundary
    /// unless a single group has more than <paramref name="chunkRecords"/> members, so that
    /// most groups are read with one chunk read.
    /// </summary>
    /// <param name="ready">Set when the members' results are computed as groups.fb is written: each chunk waits for its own.</param>
    public static void WriteMembers(ChunkFileWriter file, MergeOutputs o, int chunkRecords, MembersReady? ready = null) =>
        ParallelChunks.Write(file, MemberRanges(o.Membership, MembersPerChunk(chunkRecords)), o.Threads,
            (b, range) => EncodeMembers(b, o, range), beforeAdd: ready is null ? null : range => ready.WaitFor(range.End));

    /// <summary>Chunk ranges over member positions, cut at group boundaries where a group fits.</summary>
    internal static List<ChunkRange> MemberRanges(Membership m, int chunkRecords)
    {
        var ranges = new RangeSink(new List<ChunkRange>());
        var plan = new MemberChunkPlan(chunkRecords);
        for (int g = 0; g < m.GroupCount; g++) plan.Group(m.Offsets[g + 1] - m.Offsets[g], ref ranges);
        plan.End(ref ranges);
        return ranges.Ranges;
    }

    /// <summary>Turns the plan's pieces into ranges of member positions.</summary>
    private struct RangeSink(List<ChunkRange> ranges) : MemberChunkPlan.ISink
    {
        public readonly List<ChunkRange> Ranges = ranges;
        private int _start, _end;
        public void Take(int members) => _end += members;
        public void Cut() { Ranges.Add(new ChunkRange(_start, _end)); _start = _end; }
    }

    /// <summary>One chunk of members: positions [Start, End) of Membership.MemberRows.</summary>
    internal static (long First, long Last) EncodeMembers(FlatBufferBuilder b, MergeOutputs o, ChunkRange range) =>
        EncodeMembers(b, range.Count, records => FillMembers(records, o, range.Start));

    /// <summary>One chunk of <paramref name="n"/> members filled by <paramref name="fill"/>; its keys are the first and last record's gcntr.</summary>
    internal static (long First, long Last) EncodeMembers(FlatBufferBuilder b, int n, FillRecords<MemberStruct> fill) =>
        EncodeStructs(b, n, fill, static m => m.Gcntr, static (b, v) => MembersChunk.CreateMembersChunk(b, v).Value);

    /// <summary>One chunk of <paramref name="n"/> sky.fb entries filled by <paramref name="fill"/>; its keys are the first and last entry's (derived) key.</summary>
    internal static (long First, long Last) EncodeSky(FlatBufferBuilder b, int n, FillRecords<SkyEntryStruct> fill) =>
        EncodeStructs(b, n, fill, static e => e.Key, static (b, v) => SkyChunk.CreateSkyChunk(b, v).Value);

    /// <summary>
    /// One size-prefixed chunk whose root holds a vector of <paramref name="n"/> structs: the
    /// keys are those of its first and last record (an empty chunk: MaxValue, MinValue).
    /// </summary>
    private static (long First, long Last) EncodeStructs<T>(FlatBufferBuilder b, int n, FillRecords<T> fill, Func<T, long> key,
        Func<FlatBufferBuilder, VectorOffset, int> root) where T : unmanaged
    {
        (long First, long Last) keys = (long.MaxValue, long.MinValue);
        var vector = StructVectors.Add<T>(b, n, 8, records =>
        {
            fill(records);
            if (records.Length > 0) keys = (key(records[0]), key(records[^1]));
        });
        b.FinishSizePrefixed(root(b, vector));
        return keys;
    }

    /// <summary>The Member records of positions [start, start + records.Length) of Membership.MemberRows.</summary>
    internal static void FillMembers(Span<MemberStruct> records, MergeOutputs o, int start)
    {
        Membership m = o.Membership;
        ExtractionBlock x = o.Block;
        BandColumns bj = x.Bands[0], bh = x.Bands[1], bk = x.Bands[2];
        byte[] reliability = o.Results.Reliability;
        long[] gcntr = o.Results.Gcntr;
        for (int k = 0; k < records.Length; k++)
        {
            int r = m.MemberRows[start + k];
            records[k] = new MemberStruct
            {
                Gcntr = gcntr[r], Cntr = x.Cntr[r], ScanKey = x.ScanKey[r], JDate = x.JDate[r], Ra = x.Ra[r], Dec = x.Dec[r],
                ErrMaj = x.ErrMaj[r], ErrMin = x.ErrMin[r], ErrAng = x.ErrAng[r],
                J = MemberBandStruct.Of(bj, r), H = MemberBandStruct.Of(bh, r), K = MemberBandStruct.Of(bk, r),
                Reliability = reliability[r],
            };
        }
    }

    /// <summary>
    /// extractions.fb: merged and filtered rows together, ordered by cntr (ties: merged
    /// first, then by row), chunks of equal record counts.
    /// </summary>
    public static void WriteExtractions(ChunkFileWriter file, MergeOutputs o, int chunkRecords)
    {
        var (_, rows) = ExtractionOrder(o);
        ParallelChunks.Write(file, ChunkRange.Fixed(rows.Length, ExtractionsPerChunk(chunkRecords)), o.Threads,
            (b, range) => EncodeExtractions(b, o, rows, range));
    }

    /// <summary>Every merged row (index &lt; merged count) and filtered row (merged count + its row), by cntr; stable, so ties keep that order.</summary>
    internal static (long[] Keys, int[] Rows) ExtractionOrder(MergeOutputs o)
    {
        ExtractionBlock merged = o.Block;
        int nm = merged.Count, nf = o.Filtered?.Count ?? 0, n = nm + nf;
        if (PlaceByCntr(merged.Cntr.AsSpan(0, nm), o.Filtered is null ? [] : o.Filtered.Cntr.AsSpan(0, nf)) is { } placed)
        {
            var placedKeys = new long[n];
            for (int k = 0; k < n; k++) placedKeys[k] = placed[k] < nm ? merged.Cntr[placed[k]] : o.Filtered!.Cntr[placed[k] - nm];
            return (placedKeys, placed);
        }
        var sortKeys = new ulong[n];
        var rows = new int[n];
        for (int i = 0; i < nm; i++) sortKeys[i] = RadixSort.KeyOf(merged.Cntr[i]);
        for (int i = 0; i < nf; i++) sortKeys[nm + i] = RadixSort.KeyOf(o.Filtered!.Cntr[i]);
        for (int i = 0; i < n; i++) rows[i] = i;
        RadixSort.SortPairs(sortKeys, rows, n, o.Threads);
        var keys = new long[n];
        for (int i = 0; i < n; i++) keys[i] = RadixSort.LongOf(sortKeys[i]);
        return (keys, rows);
    }

    /// <summary>Most cntr values a row may span for <see cref="PlaceByCntr"/>: its slots are then at most 8 bytes a row.</summary>
    internal const int PlacedSpanPerRow = 2;

    /// <summary>
    /// <see cref="ExtractionOrder"/>'s rows without sorting, where the cntr are distinct and span fewer than
    /// <see cref="PlacedSpanPerRow"/> values a row (a table numbered from 1, as a remerge's or a generated one, its
    /// duplicates rejected): each row goes to the slot of its value, then the slots are read in order. Null
    /// elsewhere (sparse values, a zone's share of the numbering, or a value twice): the sort decides, and keeps ties
    /// in row order. The sort took three or four 8-bit passes over 16 bytes a row.
    /// </summary>
    internal static int[]? PlaceByCntr(ReadOnlySpan<long> merged, ReadOnlySpan<long> filtered)
    {
        int n = merged.Length + filtered.Length;
        if (n == 0) return [];
        long min = long.MaxValue, max = long.MinValue;
        foreach (long c in merged) { min = Math.Min(min, c); max = Math.Max(max, c); }
        foreach (long c in filtered) { min = Math.Min(min, c); max = Math.Max(max, c); }
        // Unsigned, so a span that wraps past long's range is never small.
        ulong span = (ulong)max - (ulong)min;
        if (span >= (ulong)n * PlacedSpanPerRow) return null;
        // Row + 1 in the slot of each value: 0 is an empty slot.
        var slots = new int[span + 1];
        for (int i = 0; i < merged.Length; i++)
        {
            ref int slot = ref slots[(ulong)merged[i] - (ulong)min];
            if (slot != 0) return null;
            slot = i + 1;
        }
        for (int i = 0; i < filtered.Length; i++)
        {
            ref int slot = ref slots[(ulong)filtered[i] - (ulong)min];
            if (slot != 0) return null;
            slot = merged.Length + i + 1;
        }
        var rows = new int[n];
        int k = 0;
        foreach (int slot in slots)
            if (slot != 0) rows[k++] = slot - 1;
        return rows;
    }

    /// <summary>One chunk of extractions: positions [range) of <paramref name="rows"/> (ExtractionOrder's); keys are their cntr.</summary>
    internal static (long First, long Last) EncodeExtractions(FlatBufferBuilder b, MergeOutputs o, int[] rows, ChunkRange range) =>
        EncodeExtractions(b, range.Count, records => FillExtractions(records, o, rows.AsSpan(range.Start, range.Count)));

    /// <summary>One chunk of <paramref name="n"/> extractions filled by <paramref name="fill"/>; its keys are the first and last record's cntr.</summary>
    internal static (long First, long Last) EncodeExtractions(FlatBufferBuilder b, int n, FillRecords<ExtractionStruct> fill) =>
        EncodeStructs(b, n, fill, static x => x.Cntr, static (b, v) => ExtractionsChunk.CreateExtractionsChunk(b, v).Value);

    /// <summary>The Extraction records of <paramref name="rows"/> (merged rows below the merged count, then filtered rows).</summary>
    internal static void FillExtractions(Span<ExtractionStruct> records, MergeOutputs o, ReadOnlySpan<int> rows)
    {
        ExtractionBlock merged = o.Block;
        ExtractionBlock? filtered = o.Filtered;
        int nm = merged.Count;
        for (int k = 0; k < records.Length; k++)
        {
            int r = rows[k];
            records[k] = r < nm
                ? new ExtractionStruct
                {
                    Cntr = merged.Cntr[r], Cgid = o.Results.Cgid[r], Gcntr = o.Results.Gcntr[r], Line = merged.Line[r],
                    SepArcsec = o.Results.SepArcsec[r], FileIndex = merged.FileIndex[r], Reliability = o.Results.Reliability[r],
                    Reason = Reason.none,
                }
                : new ExtractionStruct
                {
                    Cntr = filtered!.Cntr[r - nm], Cgid = -1, Gcntr = -1, Line = filtered.Line[r - nm],
                    SepArcsec = float.NaN, FileIndex = filtered.FileIndex[r - nm], Reliability = 255,
                    Reason = (Reason)(byte)o.FilteredReasons![r - nm],
                };
        }
    }
}

/// <summary>
/// Where members.fb's chunks end, fed the group sizes in file order: a chunk ends before a
/// group that would overflow it (so a group is read with one chunk read), and a group larger
/// than a chunk is cut into whole chunks first, its rest opening the next. The in-memory
/// writer and the merge of spilled runs both plan with this, so their chunks agree.
/// </summary>
internal struct MemberChunkPlan(int chunkRecords)
{
    /// <summary>Receives a group's members in pieces, and the chunk ends between them.</summary>
    public interface ISink
    {
        /// <summary>The next <paramref name="members"/> members of the current group go into the open chunk.</summary>
        void Take(int members);
        /// <summary>The open chunk is complete.</summary>
        void Cut();
    }

    private int _open;      // members in the open chunk
    private long _total;

    public void Group<TSink>(int size, ref TSink sink) where TSink : ISink
    {
        _total += size;
        if (_open > 0 && _open + size > chunkRecords) { sink.Cut(); _open = 0; }
        // Here _open is 0 whenever the group overflows a chunk.
        while (_open + size > chunkRecords) { sink.Take(chunkRecords); sink.Cut(); size -= chunkRecords; }
        if (size > 0) { sink.Take(size); _open += size; }
    }

    /// <summary>Closes the last chunk; an empty table still gets one (empty) chunk.</summary>
    public void End<TSink>(ref TSink sink) where TSink : ISink
    {
        if (_open > 0 || _total == 0) sink.Cut();
        _open = 0;
    }
}
