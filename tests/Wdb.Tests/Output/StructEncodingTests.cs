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
        TableEncoders.EncodeExtractions(fast, o, rows, range, keys);

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

    private static byte[] Bytes(FlatBufferBuilder b) => b.DataBuffer.ToSizedArray();
}
