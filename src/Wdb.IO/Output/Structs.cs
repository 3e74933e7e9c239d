using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Google.FlatBuffers;
using Wdb.Core;
using Wdb.Fbs;

namespace Wdb.IO;

/// <summary>
/// The bytes of the schema's Member and Extraction structs (schema/wdb.fbs), laid out at the
/// offsets flatc gives them, so that a chunk's vector is filled with plain stores and copied
/// into the builder at once. The generated <c>CreateMember</c> writes the same bytes one
/// field at a time through ~30 bounds-checked puts, which was most of members.fb's encode
/// time. FlatBuffers are little-endian; so is every machine .NET runs us on (checked once).
/// Padding bytes are never written, and the buffers start zeroed, as the builder's padding is.
/// <c>StructEncodingTests</c> compares both encodings byte for byte.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = TableEncoders.MemberBytes)]
internal struct MemberStruct
{
    [FieldOffset(0)] public long Gcntr;
    [FieldOffset(8)] public long Cntr;
    [FieldOffset(16)] public long ScanKey;
    [FieldOffset(24)] public double JDate;
    [FieldOffset(32)] public double Ra;
    [FieldOffset(40)] public double Dec;
    [FieldOffset(48)] public float ErrMaj;
    [FieldOffset(52)] public float ErrMin;
    [FieldOffset(56)] public float ErrAng;
    [FieldOffset(60)] public MemberBandStruct J;
    [FieldOffset(76)] public MemberBandStruct H;
    [FieldOffset(92)] public MemberBandStruct K;
    [FieldOffset(108)] public byte Reliability;
}

[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct MemberBandStruct
{
    [FieldOffset(0)] public float Mag;
    [FieldOffset(4)] public float Sig;
    [FieldOffset(8)] public float Snr;
    [FieldOffset(12)] public byte PhQual;
    [FieldOffset(13)] public byte RdFlg;
    [FieldOffset(14)] public byte CcFlg;
    [FieldOffset(15)] public byte Detected;

    public static MemberBandStruct Of(BandColumns b, int r) => new()
    {
        Mag = b.Mag[r], Sig = b.Sig[r], Snr = b.Snr[r],
        PhQual = b.PhQual[r], RdFlg = b.RdFlg[r], CcFlg = b.CcFlg[r],
        Detected = b.IsDetection(r) ? (byte)1 : (byte)0,
    };
}

[StructLayout(LayoutKind.Explicit, Size = TableEncoders.ExtractionBytes)]
internal struct ExtractionStruct
{
    [FieldOffset(0)] public long Cntr;
    [FieldOffset(8)] public long Cgid;
    [FieldOffset(16)] public long Gcntr;
    [FieldOffset(24)] public long Line;
    [FieldOffset(32)] public float SepArcsec;
    [FieldOffset(36)] public int FileIndex;
    [FieldOffset(40)] public byte Reliability;
    [FieldOffset(41)] public Reason Reason;
}

/// <summary>Fills the records of one chunk's struct vector.</summary>
internal delegate void FillRecords<T>(Span<T> records) where T : unmanaged;

internal static class StructVectors
{
    /// <summary>
    /// Adds a vector of <paramref name="count"/> structs filled by <paramref name="fill"/> in a
    /// pooled buffer: the builder lays out the vector header and alignment, the records are
    /// copied in as one block (vectors are built back to front, and a block copy keeps the
    /// records' order).
    /// </summary>
    public static VectorOffset Add<T>(FlatBufferBuilder b, int count, int alignment, FillRecords<T> fill) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("FlatBuffers struct vectors are written as in-memory bytes: a little-endian machine is required");
        int size = Unsafe.SizeOf<T>(), bytes = count * size;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(bytes, 1));
        try
        {
            fill(MemoryMarshal.Cast<byte, T>(buffer.AsSpan(0, bytes)));
            b.StartVector(size, count, alignment);
            if (count > 0) b.Add(new ArraySegment<byte>(buffer, 0, bytes));
            return b.EndVector();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
