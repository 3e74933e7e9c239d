using Google.FlatBuffers;
using Wdb.Core;
using Wdb.Fbs;
using Wdb.IO;

namespace Wdb.Tests.Output;

/// <summary>
/// The member and extraction chunks are written as block copies of in-memory structs
/// (Structs.cs). flatc's generated CreateMember / CreateExtraction are the reference: the
/// same chunk built field by field with them must have the same bytes.
/// </summary>
public class StructEncodingTests
{
    [Fact]
    public void MemberChunkBytesEqualFlatcGeneratedEncoding()
    {
        var o = Synthetic.Make();
        var range = new ChunkRange(0, o.Membership.Offsets[o.Membership.GroupCount]);
        var fast = new FlatBufferBuilder(1024) { ForceDefaults = true };
        TableEncoders.EncodeMembers(fast, o, range);

        var reference = new FlatBufferBuilder(1024) { ForceDefaults = true };
        ExtractionBlock x = o.Block;
        BandColumns bj = x.Bands[0], bh = x.Bands[1], bk = x.Bands[2];
        MembersChunk.StartMembersVector(reference, range.Count);
        for (int p = range.End - 1; p >= range.Start; p--)
        {
            int r = o.Membership.MemberRows[p];
            Member.CreateMember(reference, o.Results.Gcntr[r], x.Cntr[r], x.ScanKey[r], x.JDate[r], x.Ra[r], x.Dec[r],
                x.ErrMaj[r], x.ErrMin[r], x.ErrAng[r],
                bj.Mag[r], bj.Sig[r], bj.Snr[r], bj.PhQual[r], bj.RdFlg[r], bj.CcFlg[r], bj.IsDetection(r),
                bh.Mag[r], bh.Sig[r], bh.Snr[r], bh.PhQual[r], bh.RdFlg[r], bh.CcFlg[r], bh.IsDetection(r),
                bk.Mag[r], bk.Sig[r], bk.Snr[r], bk.PhQual[r], bk.RdFlg[r], bk.CcFlg[r], bk.IsDetection(r),
                o.Results.Reliability[r]);
        }
        reference.FinishSizePrefixed(MembersChunk.CreateMembersChunk(reference, reference.EndVector()).Value);

        Assert.Equal(Bytes(reference), Bytes(fast));
        // Not vacuous: detections differ between bands and rows, and the upper limit is there.
        Assert.Contains(Enumerable.Range(0, x.Count), r => !bk.IsDetection(r));
    }

    [Fact]
    public void ExtractionChunkBytesEqualFlatcGeneratedEncoding()
    {
        var o = Synthetic.Make();
        Assert.NotNull(o.Filtered);
        var (keys, rows) = TableEncoders.ExtractionOrder(o);
        var range = new ChunkRange(0, keys.Length);
        var fast = new FlatBufferBuilder(1024) { ForceDefaults = true };
        TableEncoders.EncodeExtractions(fast, o, rows, range);

        var reference = new FlatBufferBuilder(1024) { ForceDefaults = true };
        int nm = o.Block.Count;
        ExtractionsChunk.StartExtractionsVector(reference, range.Count);
        for (int k = range.End - 1; k >= range.Start; k--)
        {
            int r = rows[k];
            if (r < nm)
                Extraction.CreateExtraction(reference, o.Block.Cntr[r], o.Results.Cgid[r], o.Results.Gcntr[r], o.Block.Line[r],
                    o.Results.SepArcsec[r], o.Block.FileIndex[r], o.Results.Reliability[r], Reason.none);
            else
                Extraction.CreateExtraction(reference, o.Filtered!.Cntr[r - nm], -1, -1, o.Filtered.Line[r - nm],
                    float.NaN, o.Filtered.FileIndex[r - nm], 255, (Reason)(byte)o.FilteredReasons![r - nm]);
        }
        reference.FinishSizePrefixed(ExtractionsChunk.CreateExtractionsChunk(reference, reference.EndVector()).Value);

        Assert.Equal(Bytes(reference), Bytes(fast));
        // Ordered by cntr, filtered rows interleaved.
        Assert.Equal(keys.Order(), keys);
        Assert.Contains(rows, r => r >= nm);
    }

    [Fact]
    public void EmptyChunksEncodeAsEmptyVectors()
    {
        var o = Synthetic.Make();
        var b = new FlatBufferBuilder(64) { ForceDefaults = true };
        var (first, last) = TableEncoders.EncodeMembers(b, o, new ChunkRange(0, 0));
        Assert.Equal((long.MaxValue, long.MinValue), (first, last));
        var chunk = MembersChunk.GetRootAsMembersChunk(new ByteBuffer(Bytes(b)) { Position = 4 });
        Assert.Equal(0, chunk.MembersLength);
    }

    /// <summary>
    /// Group tables are written as blocks of bytes with one shared vtable (GroupTables.cs), so
    /// their bytes differ from the builder's; every accessor of the generated Group must read
    /// the same values from both, with designations made from any position (none for a NaN one) and NaNs.
    /// </summary>
    [Fact]
    public void GroupTablesReadAsTheGeneratedBuilderWritesThem()
    {
        var t = RandomGroups(300, seed: 4);
        foreach (var range in new[] { new ChunkRange(0, 150), new ChunkRange(150, 300), new ChunkRange(299, 300), new ChunkRange(0, 0) })
        {
            var fast = new FlatBufferBuilder(64) { ForceDefaults = true };
            fast.FinishSizePrefixed(GroupsChunk.CreateGroupsChunk(fast, GroupTables.AddVector(fast, t, range)).Value);
            var reference = new FlatBufferBuilder(64) { ForceDefaults = true };
            var offsets = Enumerable.Range(range.Start, range.Count).Select(i => ReferenceGroup(reference, t, i)).ToArray();
            var vector = GroupsChunk.CreateGroupsVector(reference, offsets);
            reference.FinishSizePrefixed(GroupsChunk.CreateGroupsChunk(reference, vector).Value);

            Assert.True(ChunkCheck.RecordVector(new ByteBuffer(Bytes(fast)), 4, tables: true));
            var a = GroupsChunk.GetRootAsGroupsChunk(new ByteBuffer(Bytes(fast)) { Position = 4 });
            var b = GroupsChunk.GetRootAsGroupsChunk(new ByteBuffer(Bytes(reference)) { Position = 4 });
            Assert.Equal(range.Count, a.GroupsLength);
            Assert.Equal(range.Count, b.GroupsLength);
            for (int k = 0; k < range.Count; k++) Assert.Equal(Fields(b.Groups(k)!.Value), Fields(a.Groups(k)!.Value));
            // An empty chunk (a zero-row merge's groups.fb) carries no Group vtable (72 bytes): at most
            // 8-byte alignment beyond the builder's.
            if (range.Count == 0) Assert.InRange(Bytes(fast).Length, Bytes(reference).Length, Bytes(reference).Length + 7);
        }
        // Not vacuous: empty and full designations, NaNs and every motion status are in there.
        Assert.Contains(Enumerable.Range(0, t.Count), i => t.Designation(i) == "");
        Assert.Contains(Enumerable.Range(0, t.Count), i => t.Designation(i).Length == Designations.Length);
        Assert.Contains(Enumerable.Range(0, t.Count), i => float.IsNaN(t.PmRa[i]));
        Assert.Equal(5, t.PmStatus.Distinct().Count());
    }

    /// <summary>Every property of a decoded Group (GroupBand structs field by field), as text.</summary>
    private static string Fields(Group g)
    {
        static string Show(object? v) => v switch
        {
            null => "null",
            GroupBand s => "{" + string.Join(",", typeof(GroupBand).GetProperties().Where(p => p.Name != "ByteBuffer").Select(p => p.Name + "=" + p.GetValue(s))) + "}",
            _ => v.ToString()!,
        };
        return string.Join("; ", typeof(Group).GetProperties().Where(p => p.Name != "ByteBuffer").Select(p => p.Name + "=" + Show(p.GetValue(g))));
    }

    private static Offset<Group> ReferenceGroup(FlatBufferBuilder b, GroupTable t, int i)
    {
        StringOffset des = b.CreateString(t.Designation(i));
        Group.StartGroup(b);
        Group.AddGcntr(b, t.Gcntr[i]); Group.AddCgid(b, t.Cgid[i]); Group.AddConfused(b, t.Confused[i]);
        Group.AddCandidateSize(b, t.CandidateSize[i]); Group.AddNMembers(b, t.NMembers[i]); Group.AddNScans(b, t.NScans[i]);
        Group.AddSdet(b, t.Sdet[i]); Group.AddSpos(b, t.Spos[i]);
        Group.AddRaW(b, t.RaW[i]); Group.AddDecW(b, t.DecW[i]); Group.AddSigRaW(b, t.SigRaW[i]); Group.AddSigDecW(b, t.SigDecW[i]);
        Group.AddRa(b, t.Ra[i]); Group.AddDec(b, t.Dec[i]); Group.AddRmsSep(b, t.RmsSep[i]);
        Group.AddDesignation(b, des);
        Group.AddJ(b, Band(b, t.Bands[0], i)); Group.AddH(b, Band(b, t.Bands[1], i)); Group.AddK(b, Band(b, t.Bands[2], i));
        Group.AddStetsonJ(b, t.StetsonJ[i]); Group.AddStetsonK(b, t.StetsonK[i]); Group.AddSfAmp(b, t.SfAmp[i]);
        Group.AddPmStatus(b, (Wdb.Fbs.MotionStatus)(byte)t.PmStatus[i]);
        Group.AddPmRa(b, t.PmRa[i]); Group.AddPmDec(b, t.PmDec[i]); Group.AddPmRaErr(b, t.PmRaErr[i]);
        Group.AddPmDecErr(b, t.PmDecErr[i]); Group.AddPmChi2(b, t.PmChi2[i]);
        Group.AddMeanJdate(b, t.MeanJDate[i]); Group.AddBaselineDays(b, t.BaselineDays[i]);
        Group.AddCcMask(b, t.CcMask[i]); Group.AddNFlagged(b, t.NFlagged[i]);
        Group.AddMixedFlags(b, t.MixedFlags[i]); Group.AddUnresolved(b, t.Unresolved[i]);
        return Group.EndGroup(b);

        static Offset<GroupBand> Band(FlatBufferBuilder b, BandStats s, int i) =>
            GroupBand.CreateGroupBand(b, s.NDet[i], s.NNonDet[i], s.MagW[i], s.MagWErr[i], s.Mag[i], s.Rms[i],
                s.Chi2[i], s.RedChi2[i], s.Min[i], s.Max[i]);
    }

    private static GroupTable RandomGroups(int n, int seed)
    {
        var rnd = new Random(seed);
        var t = new GroupTable();
        t.Allocate(n);
        double D() => rnd.Next(8) == 0 ? double.NaN : (rnd.NextDouble() - 0.3) * Math.Pow(10, rnd.Next(-5, 8));
        float F() => (float)D();
        int I() => rnd.Next(-5, 100000);
        for (int i = 0; i < n; i++)
        {
            t.Gcntr[i] = rnd.NextInt64(-1, long.MaxValue); t.Cgid[i] = rnd.NextInt64(); t.Confused[i] = rnd.Next(2) == 0;
            t.CandidateSize[i] = I(); t.NMembers[i] = I(); t.NScans[i] = I(); t.Sdet[i] = I(); t.Spos[i] = I();
            t.RaW[i] = D(); t.DecW[i] = D(); t.SigRaW[i] = F(); t.SigDecW[i] = F(); t.Ra[i] = D(); t.Dec[i] = D(); t.RmsSep[i] = F();
            foreach (var s in t.Bands)
            {
                s.NDet[i] = I(); s.NNonDet[i] = I(); s.MagW[i] = F(); s.MagWErr[i] = F(); s.Mag[i] = F(); s.Rms[i] = F();
                s.Chi2[i] = F(); s.RedChi2[i] = F(); s.Min[i] = F(); s.Max[i] = F();
            }
            t.StetsonJ[i] = F(); t.StetsonK[i] = F(); t.SfAmp[i] = F(); t.PmStatus[i] = (Wdb.Core.MotionStatus)(i % 5);
            t.PmRa[i] = F(); t.PmDec[i] = F(); t.PmRaErr[i] = F(); t.PmDecErr[i] = F(); t.PmChi2[i] = F();
            t.MeanJDate[i] = D(); t.BaselineDays[i] = F(); t.CcMask[i] = I(); t.NFlagged[i] = I();
            t.MixedFlags[i] = rnd.Next(2) == 0; t.Unresolved[i] = rnd.Next(3) == 0;
        }
        return t;
    }

    private static byte[] Bytes(FlatBufferBuilder b) => b.DataBuffer.ToSizedArray();
}
