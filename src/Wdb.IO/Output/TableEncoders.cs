using Google.FlatBuffers;
using Wdb.Core;
using Wdb.Fbs;

namespace Wdb.IO;

/// <summary>
/// Encodes the three tables as chunks of FlatBuffers (schema/wdb.fbs). One builder is reused
/// for every chunk (Clear keeps its grown buffer). Vectors are built back to front, as
/// FlatBuffers requires, so loops run from a chunk's last record to its first.
/// </summary>
internal static class TableEncoders
{
    /// <summary>
    /// A chunk is closed once it holds about this many bytes (or the record limit), so that
    /// sequential reads are efficient and memory stays small. Groups chunks are smaller: a
    /// group lookup reads its whole chunk (Group tables vary in size), while member and
    /// extraction lookups read only the probed fixed-size records.
    /// </summary>
    public const int ChunkBytes = 1 << 20, GroupChunkBytes = 1 << 18;

    /// <summary>Size of a Member and an Extraction struct (schema/wdb.fbs; flatc reports them in the generated StartXVector).</summary>
    public const int MemberBytes = 112, ExtractionBytes = 48;

    /// <summary>groups.fb: chunks of Group tables in gcntr order, each up to chunkRecords records or about <see cref="GroupChunkBytes"/>.</summary>
    public static void WriteGroups(ChunkFileWriter file, FlatBufferBuilder b, GroupTable t, int chunkRecords)
    {
        var offsets = new int[Math.Min(chunkRecords, Math.Max(t.Count, 1))];
        int start = 0;
        do
        {
            int end = start;
            b.Clear();
            while (end < t.Count && end - start < chunkRecords && b.Offset < GroupChunkBytes)
            {
                offsets[end - start] = AddGroup(b, t, end);
                end++;
            }
            int n = end - start;
            GroupsChunk.StartGroupsVector(b, n);
            for (int k = n - 1; k >= 0; k--) b.AddOffset(offsets[k]);
            var vector = b.EndVector();
            b.FinishSizePrefixed(GroupsChunk.CreateGroupsChunk(b, vector).Value);
            file.WriteChunk(b, n > 0 ? t.Gcntr[start] : long.MaxValue, n > 0 ? t.Gcntr[end - 1] : long.MinValue, n);
            start = end;
        } while (start < t.Count);
    }

    private static int AddGroup(FlatBufferBuilder b, GroupTable t, int i)
    {
        string? designation = t.Designation.Length > i ? t.Designation[i] : null;
        StringOffset des = designation is null ? default : b.CreateString(designation);
        Group.StartGroup(b);
        // Widest fields first: the builder pads each field to its alignment.
        Group.AddRaW(b, t.RaW[i]); Group.AddDecW(b, t.DecW[i]);
        Group.AddRa(b, t.Ra[i]); Group.AddDec(b, t.Dec[i]);
        Group.AddMeanJdate(b, t.MeanJDate[i]);
        Group.AddGcntr(b, t.Gcntr[i]); Group.AddCgid(b, t.Cgid[i]);
        Group.AddJ(b, AddBand(b, t.Bands[0], i));
        Group.AddH(b, AddBand(b, t.Bands[1], i));
        Group.AddK(b, AddBand(b, t.Bands[2], i));
        if (designation is not null) Group.AddDesignation(b, des);
        Group.AddCandidateSize(b, t.CandidateSize[i]); Group.AddNMembers(b, t.NMembers[i]);
        Group.AddNScans(b, t.NScans[i]); Group.AddSdet(b, t.Sdet[i]); Group.AddSpos(b, t.Spos[i]);
        Group.AddSigRaW(b, t.SigRaW[i]); Group.AddSigDecW(b, t.SigDecW[i]); Group.AddRmsSep(b, t.RmsSep[i]);
        Group.AddStetsonJ(b, t.StetsonJ[i]); Group.AddStetsonK(b, t.StetsonK[i]); Group.AddSfAmp(b, t.SfAmp[i]);
        Group.AddPmRa(b, t.PmRa[i]); Group.AddPmDec(b, t.PmDec[i]);
        Group.AddPmRaErr(b, t.PmRaErr[i]); Group.AddPmDecErr(b, t.PmDecErr[i]); Group.AddPmChi2(b, t.PmChi2[i]);
        Group.AddBaselineDays(b, t.BaselineDays[i]);
        Group.AddCcMask(b, t.CcMask[i]); Group.AddNFlagged(b, t.NFlagged[i]);
        Group.AddConfused(b, t.Confused[i]); Group.AddPmStatus(b, (Fbs.MotionStatus)(byte)t.PmStatus[i]);
        Group.AddMixedFlags(b, t.MixedFlags[i]);
        Group.AddUnresolved(b, t.Unresolved[i]);
        return Group.EndGroup(b).Value;
    }

    private static Offset<GroupBand> AddBand(FlatBufferBuilder b, BandStats s, int i) =>
        GroupBand.CreateGroupBand(b, s.NDet[i], s.NNonDet[i], s.MagW[i], s.MagWErr[i], s.Mag[i], s.Rms[i],
            s.Chi2[i], s.RedChi2[i], s.Min[i], s.Max[i]);

    /// <summary>
    /// members.fb: members in group order (Membership order). A chunk ends at a group boundary
    /// unless a single group has more than <paramref name="chunkRecords"/> members, so that
    /// most groups are read with one chunk read.
    /// </summary>
    public static void WriteMembers(ChunkFileWriter file, FlatBufferBuilder b, MergeOutputs o, int chunkRecords)
    {
        chunkRecords = Math.Min(chunkRecords, ChunkBytes / MemberBytes);
        Membership m = o.Membership;
        int total = m.Offsets[m.GroupCount], start = 0;
        for (int g = 0; g < m.GroupCount; g++)
        {
            int gs = m.Offsets[g], ge = m.Offsets[g + 1];
            if (gs > start && ge - start > chunkRecords) { WriteMemberChunk(file, b, o, start, gs); start = gs; }
            while (ge - start > chunkRecords) { WriteMemberChunk(file, b, o, start, start + chunkRecords); start += chunkRecords; }
        }
        if (total > start || total == 0) WriteMemberChunk(file, b, o, start, total);
    }

    /// <summary>One chunk of members: positions [start, end) of Membership.MemberRows.</summary>
    private static void WriteMemberChunk(ChunkFileWriter file, FlatBufferBuilder b, MergeOutputs o, int start, int end)
    {
        Membership m = o.Membership;
        ExtractionBlock x = o.Block;
        BandColumns bj = x.Bands[0], bh = x.Bands[1], bk = x.Bands[2];
        byte[] reliability = o.Results.Reliability;
        int n = end - start;
        b.Clear();
        MembersChunk.StartMembersVector(b, n);
        int g = GroupOf(m, Math.Max(end - 1, 0));
        long lastKey = n > 0 ? m.Gcntr[g] : long.MinValue;
        for (int p = end - 1; p >= start; p--)
        {
            while (m.Offsets[g] > p) g--;
            int r = m.MemberRows[p];
            Member.CreateMember(b, m.Gcntr[g], x.Cntr[r], x.ScanKey[r], x.JDate[r], x.Ra[r], x.Dec[r],
                x.ErrMaj[r], x.ErrMin[r], x.ErrAng[r],
                bj.Mag[r], bj.Sig[r], bj.Snr[r], bj.PhQual[r], bj.RdFlg[r], bj.CcFlg[r], bj.IsDetection(r),
                bh.Mag[r], bh.Sig[r], bh.Snr[r], bh.PhQual[r], bh.RdFlg[r], bh.CcFlg[r], bh.IsDetection(r),
                bk.Mag[r], bk.Sig[r], bk.Snr[r], bk.PhQual[r], bk.RdFlg[r], bk.CcFlg[r], bk.IsDetection(r),
                reliability[r]);
        }
        var vector = b.EndVector();
        b.FinishSizePrefixed(MembersChunk.CreateMembersChunk(b, vector).Value);
        long firstKey = n > 0 ? m.Gcntr[g] : long.MaxValue;
        file.WriteChunk(b, firstKey, lastKey, n);
    }

    /// <summary>The group holding member position <paramref name="p"/> (binary search over Offsets).</summary>
    private static int GroupOf(Membership m, int p)
    {
        if (m.GroupCount == 0) return 0;
        int lo = 0, hi = m.GroupCount - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >>> 1;
            if (m.Offsets[mid] <= p) lo = mid; else hi = mid - 1;
        }
        return lo;
    }

    /// <summary>
    /// extractions.fb: merged and filtered rows together, ordered by cntr (ties: merged
    /// first, then by row), chunks of equal record counts.
    /// </summary>
    public static void WriteExtractions(ChunkFileWriter file, FlatBufferBuilder b, MergeOutputs o, int chunkRecords)
    {
        chunkRecords = Math.Min(chunkRecords, ChunkBytes / ExtractionBytes);
        ExtractionBlock merged = o.Block;
        ExtractionBlock? filtered = o.Filtered;
        int nm = merged.Count, nf = filtered?.Count ?? 0, n = nm + nf;
        var keys = new long[n];
        var rows = new int[n];   // < nm: merged row; else nm + filtered row
        Array.Copy(merged.Cntr, keys, nm);
        if (filtered is not null) Array.Copy(filtered.Cntr, 0, keys, nm, nf);
        for (int i = 0; i < n; i++) rows[i] = i;
        Array.Sort(keys, rows);
        // Array.Sort is unstable: order equal cntr by row so the file does not depend on it.
        for (int i = 1; i < n; i++)
            if (keys[i] == keys[i - 1])
            {
                int j = i - 1;
                while (i + 1 < n && keys[i + 1] == keys[j]) i++;
                Array.Sort(rows, j, i - j + 1);
            }

        int start = 0;
        do
        {
            int end = Math.Min(n, start + chunkRecords), count = end - start;
            b.Clear();
            ExtractionsChunk.StartExtractionsVector(b, count);
            for (int k = end - 1; k >= start; k--)
            {
                int r = rows[k];
                if (r < nm)
                    Extraction.CreateExtraction(b, merged.Cntr[r], o.Results.Cgid[r], o.Results.Gcntr[r], merged.Line[r],
                        o.Results.SepArcsec[r], merged.FileIndex[r], o.Results.Reliability[r], Reason.none);
                else
                {
                    r -= nm;
                    Extraction.CreateExtraction(b, filtered!.Cntr[r], -1, -1, filtered.Line[r],
                        float.NaN, filtered.FileIndex[r], 255, (Reason)(byte)o.FilteredReasons![r]);
                }
            }
            var vector = b.EndVector();
            b.FinishSizePrefixed(ExtractionsChunk.CreateExtractionsChunk(b, vector).Value);
            file.WriteChunk(b, count > 0 ? keys[start] : long.MaxValue, count > 0 ? keys[end - 1] : long.MinValue, count);
            start = end;
        } while (start < n);
    }
}
