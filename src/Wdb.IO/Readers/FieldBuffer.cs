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
        int n = Split(line, delimiter, maxFields, asciiOnly, stopAtQuote, new FieldSlots(Start, Length, 0, 1, 0));
        if (n >= 0) Count = n;
        return n;
    }

    /// <summary>
    /// The splitter itself: field k's start (plus <see cref="FieldSlots.Offset"/>) and length go
    /// to index <c>First + k * Stride</c> of the slots' arrays, which hold maxFields + 1 fields.
    /// Returns the field count (maxFields + 1 when there were more), or -1 as <see cref="SplitAscii"/> says.
    /// </summary>
    internal static int Split(ReadOnlySpan<byte> line, byte delimiter, int maxFields, bool asciiOnly, bool stopAtQuote, FieldSlots to)
    {
        var start = to.Start; var len = to.Length;
        int n = 0, fieldStart = 0, i = 0, at = to.First;
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
                    int pos = i + BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                    start[at] = to.Offset + fieldStart; len[at] = pos - fieldStart; n++; at += to.Stride;
                    fieldStart = pos + 1;
                    if (n > maxFields) return n;
                }
            }
        }
        for (; i < line.Length; i++)
        {
            byte c = line[i];
            if (asciiOnly && (c >= 0x80 || (stopAtQuote && c == (byte)'"'))) return -1;
            if (c != delimiter) continue;
            start[at] = to.Offset + fieldStart; len[at] = i - fieldStart; n++; at += to.Stride;
            fieldStart = i + 1;
            if (n > maxFields) return n;
        }
        start[at] = to.Offset + fieldStart; len[at] = line.Length - fieldStart; n++;
        return n;
    }
}

/// <summary>Where a split writes its fields: field k at index <c>First + k * Stride</c>, its start plus <c>Offset</c>.</summary>
internal readonly record struct FieldSlots(int[] Start, int[] Length, int First, int Stride, int Offset);
