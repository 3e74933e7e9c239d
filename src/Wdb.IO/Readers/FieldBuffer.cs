using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Wdb.IO.Readers;

/// <summary>
/// Reusable per-row field boundaries: start and length of each field in the text being
/// decoded, and (<see cref="SrcPos"/>, set by the quoted-CSV tokenizer only) where the field
/// began in the physical line. For unquoted splits the text is the line itself and Start
/// serves as the position.
/// </summary>
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
    /// is maxFields + 1 when there were more.
    /// </summary>
    public int Split(ReadOnlySpan<byte> line, byte delimiter, int maxFields) => Split(line, delimiter, maxFields, false, false);

    /// <summary>
    /// As <see cref="Split(ReadOnlySpan{byte}, byte, int)"/> in the same single pass, but
    /// returns -1 on the first non-ASCII byte (or '"' when <paramref name="stopAtQuote"/>):
    /// pure-ASCII lines, the usual case, need no separate UTF-8 check or quote search.
    /// </summary>
    public int SplitAscii(ReadOnlySpan<byte> line, byte delimiter, int maxFields, bool stopAtQuote) =>
        Split(line, delimiter, maxFields, true, stopAtQuote);

    private int Split(ReadOnlySpan<byte> line, byte delimiter, int maxFields, bool asciiOnly, bool stopAtQuote)
    {
        Ensure(maxFields + 2);
        var start = Start; var len = Length;
        int n = 0, fieldStart = 0, i = 0;
        // 32 bytes at a time: one compare gives a bit per delimiter, walked with TrailingZeroCount.
        // Far cheaper than one IndexOf call per (short) field.
        if (Vector256.IsHardwareAccelerated)
        {
            var d = Vector256.Create(delimiter);
            var q = Vector256.Create((byte)'"');
            ref byte r0 = ref MemoryMarshal.GetReference(line);
            for (; i + 32 <= line.Length; i += 32)
            {
                var vec = Vector256.LoadUnsafe(ref r0, (nuint)i);
                if (asciiOnly)
                {
                    uint special = vec.ExtractMostSignificantBits();
                    if (stopAtQuote) special |= Vector256.Equals(vec, q).ExtractMostSignificantBits();
                    if (special != 0) return -1;
                }
                uint mask = Vector256.Equals(vec, d).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    int at = i + BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                    start[n] = fieldStart; len[n] = at - fieldStart; n++;
                    fieldStart = at + 1;
                    if (n > maxFields) { Count = n; return n; }
                }
            }
        }
        for (; i < line.Length; i++)
        {
            byte c = line[i];
            if (asciiOnly && (c >= 0x80 || (stopAtQuote && c == (byte)'"'))) return -1;
            if (c != delimiter) continue;
            start[n] = fieldStart; len[n] = i - fieldStart; n++;
            fieldStart = i + 1;
            if (n > maxFields) { Count = n; return n; }
        }
        start[n] = fieldStart; len[n] = line.Length - fieldStart; n++;
        Count = n;
        return n;
    }
}
