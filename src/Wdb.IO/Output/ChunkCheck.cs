using Google.FlatBuffers;

namespace Wdb.IO;

/// <summary>
/// Structural check of one chunk before its accessors are used: the root table, its vtable
/// and the record vector (field 0) lie inside the buffer, and so does every record table of
/// a table vector. Stands in for Google.FlatBuffers' Verifier, which (25.2.10) keeps vtable
/// positions in a 16-bit short and so fails on any table past byte 32767 of a buffer, e.g.
/// the Group tables of a full chunk, and prints to the console when it does. Field reads
/// outside the buffer are still caught by ByteBuffer's own bounds checks.
/// </summary>
internal static class ChunkCheck
{
    /// <summary>Whether <paramref name="bb"/> (size prefix at 0) holds a root table whose first field is a vector of <paramref name="elementSize"/>-byte elements, tables when <paramref name="tables"/>.</summary>
    public static bool RecordVector(ByteBuffer bb, int elementSize, bool tables)
    {
        if (VectorHeader(bb, bb.Length, elementSize, out int first, out int n) != Header.Ok) return false;
        if (!tables) return true;
        for (long i = 0; i < n; i++)
        {
            long at = first + 4 * i;
            if (!Table(bb, at + (uint)bb.GetInt((int)at), out _, out _, out _)) return false;
        }
        return true;
    }

    public enum Header { Ok, Corrupt, BeyondBytes }

    /// <summary>
    /// Finds the record vector of a chunk of <paramref name="chunkLength"/> bytes from its
    /// first bytes in <paramref name="bb"/> (the whole chunk, or a prefix of it): the offset of
    /// its first element and its length. <see cref="Header.BeyondBytes"/> when the prefix is too short.
    /// </summary>
    public static Header VectorHeader(ByteBuffer bb, int chunkLength, int elementSize, out int first, out int count)
    {
        first = count = 0;
        int have = bb.Length;
        if (have < 8 || bb.GetInt(0) != chunkLength - 4) return Header.Corrupt;
        long root = 4L + (uint)bb.GetInt(4);
        if (root + 4 > have) return root + 4 > chunkLength ? Header.Corrupt : Header.BeyondBytes;
        long vt = root - bb.GetInt((int)root);
        if (vt < 4 || vt + 4 > have) return vt >= 4 && vt + 4 <= chunkLength ? Header.BeyondBytes : Header.Corrupt;
        if (!Table(bb, root, out int vtable, out int vtableLength, out int tableSize))
            return vt + bb.GetUshort((int)vt) > have || root + bb.GetUshort((int)vt + 2) > have ? Header.BeyondBytes : Header.Corrupt;
        int field = vtableLength > 4 ? bb.GetUshort(vtable + 4) : 0;
        if (field == 0) { first = (int)root; return Header.Ok; }   // absent vector: no records
        if (field + 4 > tableSize) return Header.Corrupt;
        long vector = root + field + (uint)bb.GetInt((int)root + field);
        if (vector + 4 > chunkLength) return Header.Corrupt;
        if (vector + 4 > have) return Header.BeyondBytes;
        long n = (uint)bb.GetInt((int)vector);
        if (vector + 4 + n * elementSize > chunkLength) return Header.Corrupt;
        first = (int)vector + 4;
        count = (int)n;
        return Header.Ok;
    }

    /// <summary>A table at <paramref name="pos"/> whose vtable and declared size lie inside the buffer, with every field inside the table.</summary>
    private static bool Table(ByteBuffer bb, long pos, out int vtable, out int vtableLength, out int tableSize)
    {
        vtable = vtableLength = tableSize = 0;
        int len = bb.Length;
        if (pos < 4 || pos + 4 > len || (pos & 3) != 0) return false;
        long vt = pos - bb.GetInt((int)pos);
        if (vt < 4 || vt + 4 > len || (vt & 1) != 0) return false;
        vtable = (int)vt;
        vtableLength = bb.GetUshort(vtable);
        tableSize = bb.GetUshort(vtable + 2);
        if (vtableLength < 4 || (vtableLength & 1) != 0 || vt + vtableLength > len || pos + tableSize > len || tableSize < 4) return false;
        for (int e = 4; e < vtableLength; e += 2)
            if (bb.GetUshort(vtable + e) >= tableSize) return false;
        return true;
    }
}
