using System.Buffers;
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
    public static void WriteGroups(ChunkFileWriter file, GroupTable t, int chunkRecords, int threads) =>
        ParallelChunks.Write(file, ChunkRange.Fixed(t.Count, Math.Min(chunkRecords, GroupChunkRecords)), threads, (b, range) =>
        {
            b.FinishSizePrefixed(GroupsChunk.CreateGroupsChunk(b, GroupTables.AddVector(b, t, range)).Value);
            return range.Count > 0 ? (t.Gcntr[range.Start], t.Gcntr[range.End - 1]) : (long.MaxValue, long.MinValue);
        });

    /// <summary>
    /// members.fb: members in group order (Membership order). A chunk ends at a group boundary
    /// unless a single group has more than <paramref name="chunkRecords"/> members, so that
    /// most groups are read with one chunk read.
    /// </summary>
    public static void WriteMembers(ChunkFileWriter file, MergeOutputs o, int chunkRecords) =>
        ParallelChunks.Write(file, MemberRanges(o.Membership, Math.Min(chunkRecords, ChunkBytes / MemberBytes)), o.Threads,
            (b, range) => EncodeMembers(b, o, range));

    /// <summary>Chunk ranges over member positions, cut at group boundaries where a group fits.</summary>
    internal static List<ChunkRange> MemberRanges(Membership m, int chunkRecords)
    {
        var ranges = new List<ChunkRange>();
        int total = m.Offsets[m.GroupCount], start = 0;
        for (int g = 0; g < m.GroupCount; g++)
        {
            int gs = m.Offsets[g], ge = m.Offsets[g + 1];
            if (gs > start && ge - start > chunkRecords) { ranges.Add(new ChunkRange(start, gs)); start = gs; }
            while (ge - start > chunkRecords) { ranges.Add(new ChunkRange(start, start + chunkRecords)); start += chunkRecords; }
        }
        if (total > start || total == 0) ranges.Add(new ChunkRange(start, total));
        return ranges;
    }

    /// <summary>One chunk of members: positions [Start, End) of Membership.MemberRows.</summary>
    internal static (long First, long Last) EncodeMembers(FlatBufferBuilder b, MergeOutputs o, ChunkRange range)
    {
        Membership m = o.Membership;
        ExtractionBlock x = o.Block;
        BandColumns bj = x.Bands[0], bh = x.Bands[1], bk = x.Bands[2];
        byte[] reliability = o.Results.Reliability;
        long[] gcntr = o.Results.Gcntr;
        int n = range.Count;
        var vector = StructVectors.Add<MemberStruct>(b, n, 8, records =>
        {
            for (int k = 0; k < records.Length; k++)
            {
                int r = m.MemberRows[range.Start + k];
                records[k] = new MemberStruct
                {
                    Gcntr = gcntr[r], Cntr = x.Cntr[r], ScanKey = x.ScanKey[r], JDate = x.JDate[r], Ra = x.Ra[r], Dec = x.Dec[r],
                    ErrMaj = x.ErrMaj[r], ErrMin = x.ErrMin[r], ErrAng = x.ErrAng[r],
                    J = MemberBandStruct.Of(bj, r), H = MemberBandStruct.Of(bh, r), K = MemberBandStruct.Of(bk, r),
                    Reliability = reliability[r],
                };
            }
        });
        b.FinishSizePrefixed(MembersChunk.CreateMembersChunk(b, vector).Value);
        return n > 0 ? (gcntr[m.MemberRows[range.Start]], gcntr[m.MemberRows[range.End - 1]]) : (long.MaxValue, long.MinValue);
    }

    /// <summary>
    /// extractions.fb: merged and filtered rows together, ordered by cntr (ties: merged
    /// first, then by row), chunks of equal record counts.
    /// </summary>
    public static void WriteExtractions(ChunkFileWriter file, MergeOutputs o, int chunkRecords)
    {
        var (keys, rows) = ExtractionOrder(o);
        ParallelChunks.Write(file, ChunkRange.Fixed(keys.Length, Math.Min(chunkRecords, ChunkBytes / ExtractionBytes)), o.Threads,
            (b, range) => EncodeExtractions(b, o, rows, range, keys));
    }

    /// <summary>Every merged row (index &lt; merged count) and filtered row (merged count + its row), by cntr; stable, so ties keep that order.</summary>
    internal static (long[] Keys, int[] Rows) ExtractionOrder(MergeOutputs o)
    {
        ExtractionBlock merged = o.Block;
        int nm = merged.Count, nf = o.Filtered?.Count ?? 0, n = nm + nf;
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

    internal static (long First, long Last) EncodeExtractions(FlatBufferBuilder b, MergeOutputs o, int[] rows, ChunkRange range, long[] keys)
    {
        ExtractionBlock merged = o.Block;
        ExtractionBlock? filtered = o.Filtered;
        int nm = merged.Count, n = range.Count;
        var vector = StructVectors.Add<ExtractionStruct>(b, n, 8, records =>
        {
            for (int k = 0; k < records.Length; k++)
            {
                int r = rows[range.Start + k];
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
        });
        b.FinishSizePrefixed(ExtractionsChunk.CreateExtractionsChunk(b, vector).Value);
        return n > 0 ? (keys[range.Start], keys[range.End - 1]) : (long.MaxValue, long.MinValue);
    }
}
