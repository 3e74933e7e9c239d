namespace Wdb.IO.Readers;

/// <summary>Reusable per-row field boundaries: start and length of each field, and where it sits in the physical line.</summary>
internal sealed class FieldBuffer
{
    public int[] Start = new int[64];
    public int[] Length = new int[64];
    public int[] SrcPos = new int[64];
    public int Count;

    public void Ensure(int n)
    {
        if (n <= Start.Length) return;
        int cap = Math.Max(n, Start.Length * 2);
        Array.Resize(ref Start, cap); Array.Resize(ref Length, cap); Array.Resize(ref SrcPos, cap);
    }

    /// <summary>
    /// Splits <paramref name="line"/> on <paramref name="delimiter"/> (no quoting), stopping
    /// after <paramref name="maxFields"/> fields. Returns the number of fields found, which
    /// is maxFields + 1 when there were more. SrcPos equals Start.
    /// </summary>
    public int Split(ReadOnlySpan<byte> line, byte delimiter, int maxFields)
    {
        Ensure(maxFields + 1);
        int n = 0, pos = 0;
        var start = Start; var len = Length;
        while (true)
        {
            if (n > maxFields) break;
            int idx = line[pos..].IndexOf(delimiter);
            start[n] = pos;
            if (idx < 0) { len[n] = line.Length - pos; n++; break; }
            len[n] = idx; n++;
            pos += idx + 1;
        }
        Count = n;
        return n;
    }
}
