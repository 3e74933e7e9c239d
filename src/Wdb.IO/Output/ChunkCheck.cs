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
        int len = bb.Length;
        if (len < 8 || bb.GetInt(0) != len - 4) return false;
        long root = 4L + (uint)bb.GetInt(4);
        if (!Table(bb, root, out int vtable, out int vtableLength, out int tableSize)) return false;
        int field = vtableLength > 4 ? bb.GetUshort(vtable + 4) : 0;
        if (field == 0) return true;   // absent vector: no records
        if (field + 4 > tableSize) return false;
        long vector = root + field + (uint)bb.GetInt((int)root + field);
        if (vector + 4 > len) return false;
        long n = (uint)bb.GetInt((int)vector);
        if (vector + 4 + n * elementSize > len) return false;
        if (!tables) return true;
        for (long i = 0; i < n; i++)
        {
            long at = vector + 4 + 4 * i;
            if (!Table(bb, at + (uint)bb.GetInt((int)at), out _, out _, out _)) return false;
        }
        return true;
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
