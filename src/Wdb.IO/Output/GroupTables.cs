using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Google.FlatBuffers;
using Wdb.Core;

namespace Wdb.IO;

/// <summary>
/// The inline part of a Group table (schema/wdb.fbs). A table's field offsets are whatever its
/// vtable says, so they are chosen here: the soffset and one int, then the 8-byte fields,
/// the GroupBand structs, the string offset, ints, floats and bytes, with no padding
/// anywhere. Every field is always present (the builder ran with ForceDefaults too).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = GroupTables.InlineBytes)]
internal struct GroupStruct
{
    [FieldOffset(0)] public int VTable;          // soffset: table position - vtable position
    [FieldOffset(4)] public int CandidateSize;
    [FieldOffset(8)] public double RaW;
    [FieldOffset(16)] public double DecW;
    [FieldOffset(24)] public double Ra;
    [FieldOffset(32)] public double Dec;
    [FieldOffset(40)] public double MeanJdate;
    [FieldOffset(48)] public long Gcntr;
    [FieldOffset(56)] public long Cgid;
    [FieldOffset(64)] public GroupBandStruct J;
    [FieldOffset(104)] public GroupBandStruct H;
    [FieldOffset(144)] public GroupBandStruct K;
    [FieldOffset(184)] public int Designation;   // uoffset from this field to the string
    [FieldOffset(188)] public int NMembers;
    [FieldOffset(192)] public int NScans;
    [FieldOffset(196)] public int Sdet;
    [FieldOffset(200)] public int Spos;
    [FieldOffset(204)] public int CcMask;
    [FieldOffset(208)] public int NFlagged;
    [FieldOffset(212)] public float SigRaW;
    [FieldOffset(216)] public float SigDecW;
    [FieldOffset(220)] public float RmsSep;
    [FieldOffset(224)] public float StetsonJ;
    [FieldOffset(228)] public float StetsonK;
    [FieldOffset(232)] public float SfAmp;
    [FieldOffset(236)] public float PmRa;
    [FieldOffset(240)] public float PmDec;
    [FieldOffset(244)] public float PmRaErr;
    [FieldOffset(248)] public float PmDecErr;
    [FieldOffset(252)] public float PmChi2;
    [FieldOffset(256)] public float BaselineDays;
    [FieldOffset(260)] public byte Confused;
    [FieldOffset(261)] public byte PmStatus;
    [FieldOffset(262)] public byte MixedFlags;
    [FieldOffset(263)] public byte Unresolved;
}

/// <summary>The schema's GroupBand struct: ten 4-byte fields in schema order.</summary>
[StructLayout(LayoutKind.Sequential, Size = 40)]
internal struct GroupBandStruct
{
    public int NDet, NNonDet;
    public float MagW, MagWErr, Mag, Rms, Chi2, RedChi2, Min, Max;

    public static GroupBandStruct Of(BandStats s, int i) => new()
    {
        NDet = s.NDet[i], NNonDet = s.NNonDet[i], MagW = s.MagW[i], MagWErr = s.MagWErr[i], Mag = s.Mag[i],
        Rms = s.Rms[i], Chi2 = s.Chi2[i], RedChi2 = s.RedChi2[i], Min = s.Min[i], Max = s.Max[i],
    };
}

/// <summary>
/// Writes a chunk's Group tables as one block of bytes: each group is its inline table
/// (<see cref="GroupStruct"/>) followed by its designation string, and all tables share one
/// vtable written once per chunk. Through FlatBufferBuilder every table was ~35 bounds-checked
/// field puts, three inline structs and a vtable rebuilt and compared with the last one:
/// 0.6 s of the survey's 0.8 s write stage. Readers see the same fields and values
/// (StructEncodingTests decodes them with the generated accessors).
/// </summary>
internal static class GroupTables
{
    public const int InlineBytes = 264;

    // Field names of GroupStruct by schema field id (the generated Group.AddX use these slots).
    private static readonly string[] Slots =
    [
        "Gcntr", "Cgid", "Confused", "CandidateSize", "NMembers", "NScans", "Sdet", "Spos", "RaW", "DecW",
        "SigRaW", "SigDecW", "Ra", "Dec", "RmsSep", "Designation", "J", "H", "K", "StetsonJ",
        "StetsonK", "SfAmp", "PmStatus", "PmRa", "PmDec", "PmRaErr", "PmDecErr", "PmChi2", "MeanJdate", "BaselineDays",
        "CcMask", "NFlagged", "MixedFlags", "Unresolved",
    ];

    private static readonly int DesignationField = (int)Marshal.OffsetOf<GroupStruct>(nameof(GroupStruct.Designation));

    /// <summary>A table with its designation string at most: length, the longest text, NUL, 8-aligned.</summary>
    private const int MaxEntryBytes = InlineBytes + ((4 + Designations.Length + 1 + 7) & ~7);

    private static readonly byte[] VTableBytes = VTable();

    /// <summary>vtable: its size, the table's inline size, then each field's offset in the table.</summary>
    private static byte[] VTable()
    {
        var v = new byte[4 + 2 * Slots.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(v, (ushort)v.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(v.AsSpan(2), InlineBytes);
        for (int s = 0; s < Slots.Length; s++)
        {
            int at = (int)Marshal.OffsetOf<GroupStruct>(Slots[s]);
            BinaryPrimitives.WriteUInt16LittleEndian(v.AsSpan(4 + 2 * s), (ushort)at);
        }
        return v;
    }

    /// <summary>Adds the Group tables of rows [range) and the vector of their offsets; returns the vector.</summary>
    public static VectorOffset AddVector(FlatBufferBuilder b, GroupTable t, ChunkRange range, SkyTableSink? sky = null) =>
        AddVector(b, range.Count, new TableRows(t, range.Start), sky);

    /// <summary>
    /// Adds the Group tables of <paramref name="n"/> rows and the vector of their offsets; returns the vector. Files
    /// each group's position with <paramref name="sky"/> (sky.fb) as it goes.
    /// </summary>
    public static VectorOffset AddVector<TRows>(FlatBufferBuilder b, int n, TRows rows, SkyTableSink? sky = null) where TRows : IGroupRows
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Group tables are written as in-memory bytes: a little-endian machine is required");
        // The vtable goes first (builders write back to front: it ends up after the tables); an
        // empty chunk has none, as the builder's has none.
        int vtable = n > 0 ? AddBytes(b, VTableBytes, 4) : 0;
        int[] at = ArrayPool<int>.Shared.Rent(Math.Max(n, 1));
        byte[] block = ArrayPool<byte>.Shared.Rent(Math.Max(n * MaxEntryBytes, 1));
        var places = sky is null ? null : ArrayPool<SkyEntryStruct>.Shared.Rent(Math.Max(n, 1));
        int filed = 0;
        try
        {
            // Each table, then its designation made from the table's own (RaW, DecW): length,
            // ASCII bytes, NUL; the next table starts 8-aligned (its doubles). A position that is
            // not finite has an empty designation, so the block's size is known only at its end.
            var bytes = block.AsSpan(0, n * MaxEntryBytes);
            bytes.Clear();   // padding is zero, as the builder's is
            int total = 0;
            for (int k = 0; k < n; k++)
            {
                at[k] = total;
                ref GroupStruct g = ref Unsafe.As<byte, GroupStruct>(ref block[total]);
                rows.Fill(ref g, k);
                var s = bytes[(total + InlineBytes)..];
                int len = Designations.Write(g.RaW, g.DecW, s[4..]);
                BinaryPrimitives.WriteInt32LittleEndian(s, len);
                g.Designation = InlineBytes - DesignationField;
                total += InlineBytes + ((4 + len + 1 + 7) & ~7);
                if (places is not null && SkyKeys.Filed(g.RaW, g.DecW)) places[filed++] = new SkyEntryStruct(g.Gcntr, g.RaW, g.DecW);
            }
            sky?.Add(places.AsSpan(0, filed));
            // Where the block lands fixes each table's offset to the shared vtable.
            b.Prep(8, total);
            int head = b.Offset + total;   // builder offset (from the buffer's end) of the block's first byte
            for (int k = 0; k < n; k++)
                Unsafe.As<byte, GroupStruct>(ref block[at[k]]).VTable = vtable - (head - at[k]);
            b.Add(new ArraySegment<byte>(block, 0, total));
            Wdb.Fbs.GroupsChunk.StartGroupsVector(b, n);
            for (int k = n - 1; k >= 0; k--) b.AddOffset(head - at[k]);
            return b.EndVector();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
            ArrayPool<int>.Shared.Return(at);
            if (places is not null) ArrayPool<SkyEntryStruct>.Shared.Return(places);
        }
    }

    /// <summary>A chunk's rows as <see cref="AddVector{TRows}"/> reads them: k counts from the chunk's first row.</summary>
    public interface IGroupRows
    {
        /// <summary>Sets every field of row k but the two position-dependent ones (VTable, Designation).</summary>
        void Fill(ref GroupStruct g, int k);
    }

    /// <summary>Rows of an in-memory table from <paramref name="Start"/>.</summary>
    private readonly record struct TableRows(GroupTable T, int Start) : IGroupRows
    {
        public void Fill(ref GroupStruct g, int k) => GroupTables.Fill(ref g, T, Start + k);
    }

    private static int AddBytes(FlatBufferBuilder b, byte[] bytes, int alignment)
    {
        b.Prep(alignment, bytes.Length);
        b.Add(new ArraySegment<byte>(bytes));
        return b.Offset;
    }

    /// <summary>Row i's fields; leaves VTable and Designation (offsets that depend on where the table lands) alone.</summary>
    public static void Fill(ref GroupStruct g, GroupTable t, int i)
    {
        g.CandidateSize = t.CandidateSize[i];
        g.RaW = t.RaW[i]; g.DecW = t.DecW[i]; g.Ra = t.Ra[i]; g.Dec = t.Dec[i]; g.MeanJdate = t.MeanJDate[i];
        g.Gcntr = t.Gcntr[i]; g.Cgid = t.Cgid[i];
        g.J = GroupBandStruct.Of(t.Bands[0], i); g.H = GroupBandStruct.Of(t.Bands[1], i); g.K = GroupBandStruct.Of(t.Bands[2], i);
        g.NMembers = t.NMembers[i]; g.NScans = t.NScans[i]; g.Sdet = t.Sdet[i]; g.Spos = t.Spos[i];
        g.CcMask = t.CcMask[i]; g.NFlagged = t.NFlagged[i];
        g.SigRaW = t.SigRaW[i]; g.SigDecW = t.SigDecW[i]; g.RmsSep = t.RmsSep[i];
        g.StetsonJ = t.StetsonJ[i]; g.StetsonK = t.StetsonK[i]; g.SfAmp = t.SfAmp[i];
        g.PmRa = t.PmRa[i]; g.PmDec = t.PmDec[i]; g.PmRaErr = t.PmRaErr[i]; g.PmDecErr = t.PmDecErr[i]; g.PmChi2 = t.PmChi2[i];
        g.BaselineDays = t.BaselineDays[i];
        g.Confused = t.Confused[i] ? (byte)1 : (byte)0;
        g.PmStatus = (byte)t.PmStatus[i];
        g.MixedFlags = t.MixedFlags[i] ? (byte)1 : (byte)0;
        g.Unresolved = t.Unresolved[i] ? (byte)1 : (byte)0;
    }
}
