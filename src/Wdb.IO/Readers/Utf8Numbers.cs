using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Wdb.IO.Readers;

/// <summary>
/// Number parsing straight from UTF-8 field bytes, without allocation, giving exactly the
/// value .NET's own parser gives. A fast path reads plain decimals (sign, digits, point,
/// exponent) into an integer mantissa m and a power of ten e; when m and 10^|e| are both
/// exactly representable (Clinger 1990: m &lt;= 2^53 and |e| &lt;= 22 for double; m &lt;= 2^24
/// and |e| &lt;= 10 for float) one IEEE multiply or divide is correctly rounded, so the
/// result equals the correctly rounded parse. Everything else (long mantissas, big
/// exponents, NaN/Infinity, malformed text) goes to <c>double.TryParse</c> / <c>float.TryParse</c>.
/// Callers pass fields already trimmed of blanks.
/// </summary>
internal static class Utf8Numbers
{
    // Spans over constant data, not static arrays: ReadyToRun code reaches a static array through
    // a helper call for the class's statics on every use, even in a loop (a profile of the survey's
    // read showed it per parsed field); constant data is addressed directly.
    private static ReadOnlySpan<double> Pow10D =>
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    private static ReadOnlySpan<float> Pow10F => [1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f];

    /// <summary>
    /// Parses <c>text[start .. start+length)</c>. Bytes after the field may be read (never
    /// used) when at least 8 follow, which lets plain decimals take the 8-digits-at-once path.
    /// </summary>
    public static bool TryParseDouble(ReadOnlySpan<byte> text, int start, int length, out double value) =>
        TryParseFixedDouble(text, start, length, out value) || TryParseDouble(text.Slice(start, length), out value);

    /// <inheritdoc cref="TryParseDouble(ReadOnlySpan{byte}, int, int, out double)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseSingle(ReadOnlySpan<byte> text, int start, int length, out float value) =>
        TryParseFixedSingle(text, start, length, out value) || TryParseSingle(text.Slice(start, length), out value);

    /// <summary>
    /// The fast path of <see cref="TryParseDouble(ReadOnlySpan{byte}, int, int, out double)"/> alone:
    /// true only for a plain [-]d{1,7}(.d{1,7})? field with at least 8 bytes after each digit run,
    /// and then with the value the full parser gives. False says nothing about the field.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseFixedDouble(ReadOnlySpan<byte> text, int start, int length, out double value)
    {
        if (TryFixedPoint(text, start, length, out ulong m, out int e, out bool neg) && m <= (1UL << 53))
        {
            double d = (double)(long)m / Unsafe.Add(ref MemoryMarshal.GetReference(Pow10D), e);   // e in 0..7
            value = neg ? -d : d;
            return true;
        }
        value = 0;
        return false;
    }

    /// <inheritdoc cref="TryParseFixedDouble"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseFixedSingle(ReadOnlySpan<byte> text, int start, int length, out float value)
    {
        if (TryFixedPoint(text, start, length, out ulong m, out int e, out bool neg) && m <= (1UL << 24))
        {
            float f = (float)(long)m / Unsafe.Add(ref MemoryMarshal.GetReference(Pow10F), e);   // e in 0..7
            value = neg ? -f : f;
            return true;
        }
        value = 0;
        return false;
    }

    public static bool TryParseDouble(ReadOnlySpan<byte> s, out double value)
    {
        if (TryDecimal(s, out ulong m, out int e, out bool neg) && m <= (1UL << 53) && e >= -22 && e <= 22)
        {
            double d = (long)m;   // m <= 2^53: signed conversion, exact and cheaper than from ulong
            d = e < 0 ? d / Pow10D[-e] : d * Pow10D[e];
            value = neg ? -d : d;
            return true;
        }
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    public static bool TryParseSingle(ReadOnlySpan<byte> s, out float value)
    {
        if (TryDecimal(s, out ulong m, out int e, out bool neg) && m <= (1UL << 24) && e >= -10 && e <= 10)
        {
            float f = (long)m;    // m <= 2^24: exact
            f = e < 0 ? f / Pow10F[-e] : f * Pow10F[e];
            value = neg ? -f : f;
            return true;
        }
        return float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>An optionally signed decimal integer (no point, no exponent).</summary>
    public static bool TryParseInt64(ReadOnlySpan<byte> s, out long value)
    {
        int i = 0;
        bool neg = false;
        if (s.Length > 0 && (s[0] == (byte)'-' || s[0] == (byte)'+')) { neg = s[0] == (byte)'-'; i = 1; }
        int digits = s.Length - i;
        if (digits is > 0 and <= 18)
        {
            long v = 0;
            for (; i < s.Length; i++)
            {
                uint d = (uint)(s[i] - '0');
                if (d > 9) { value = 0; return false; }
                v = v * 10 + d;
            }
            value = neg ? -v : v;
            return true;
        }
        return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>
    /// The common table shape [-]d{1,7}(.d{1,7})? read 8 bytes at a time (SWAR): the digit run
    /// is found with one mask and converted with three multiplies (the well-known
    /// eight-digit trick of simdjson / fast_float), so no per-digit branches. Returns
    /// m and e with value = m / 10^e; false (caller falls back) for anything else.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryFixedPoint(ReadOnlySpan<byte> text, int start, int length, out ulong mantissa, out int exp10, out bool negative)
    {
        if (Ssse3.IsSupported && Sse41.IsSupported && length is > 0 and <= 16 && start >= 0 && start <= text.Length - 16)
            return TryFixedPoint16(text, start, length, out mantissa, out exp10, out negative);
        return TryFixedPointSwar(text, start, length, out mantissa, out exp10, out negative);
    }

    /// <summary>
    /// <see cref="TryFixedPoint"/> from one 16-byte load: [-]d{1,8}(.d{0,8})?, the digits before and
    /// after the point shuffled into two right-aligned groups of eight and converted together by
    /// multiply-adds (simdjson's eight-digit conversion, twice at once). One load and no branch per
    /// digit run, where the SWAR path makes two dependent loads. 16 bytes from start must be readable.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryFixedPoint16(ReadOnlySpan<byte> text, int start, int length, out ulong mantissa, out int exp10, out bool negative)
    {
        mantissa = 0; exp10 = 0;
        ref byte p = ref Unsafe.Add(ref MemoryMarshal.GetReference(text), start);
        var v = Vector128.LoadUnsafe(ref p);
        negative = p == (byte)'-';
        int sign = negative ? 1 : 0;
        uint field = ((1u << length) - 1) & ~(uint)sign;   // the lanes after the sign
        var digits = v - Vector128.Create((byte)'0');
        uint isDigit = Vector128.LessThan(digits, Vector128.Create((byte)10)).ExtractMostSignificantBits() & field;
        uint isPoint = Vector128.Equals(v, Vector128.Create((byte)'.')).ExtractMostSignificantBits() & field;
        if ((isDigit | isPoint) != field || (isPoint & (isPoint - 1)) != 0) return false;   // digits and at most one point
        int point = isPoint == 0 ? length : BitOperations.TrailingZeroCount(isPoint);
        int whole = point - sign, fraction = isPoint == 0 ? 0 : length - point - 1;
        if (whole is <= 0 or > 8 || fraction > 8) return false;
        // Lane j of each half takes the digit 8 - j places before the group's end, or 0 (index 0x80).
        var lane = Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7);
        var offset = Vector128.Create((ulong)(byte)(point - 8) * 0x0101010101010101UL, (ulong)(byte)(point + 1 + fraction - 8) * 0x0101010101010101UL).AsByte();
        var first = Vector128.Create((ulong)(byte)(8 - whole) * 0x0101010101010101UL, (ulong)(byte)(8 - fraction) * 0x0101010101010101UL).AsByte();
        var index = Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(lane, first), lane + offset, Vector128.Create((byte)0x80));
        var grouped = Ssse3.Shuffle(digits, index);
        var pairs = Ssse3.MultiplyAddAdjacent(grouped, Vector128.Create((sbyte)10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1));
        var quads = Sse2.MultiplyAddAdjacent(pairs, Vector128.Create((short)100, 1, 100, 1, 100, 1, 100, 1));
        var packed = Sse41.PackUnsignedSaturate(quads, quads).AsInt16();
        var eights = Sse2.MultiplyAddAdjacent(packed, Vector128.Create((short)10000, 1, 10000, 1, 10000, 1, 10000, 1));
        ulong wholeValue = (uint)eights.GetElement(0), fractionValue = (uint)eights.GetElement(1);
        mantissa = wholeValue * Unsafe.Add(ref MemoryMarshal.GetReference(Pow10U), fraction) + fractionValue;
        exp10 = fraction;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryFixedPointSwar(ReadOnlySpan<byte> text, int start, int length, out ulong mantissa, out int exp10, out bool negative)
    {
        mantissa = 0; exp10 = 0; negative = false;
        int end = start + length;
        if (length <= 0 || start < 0 || (uint)end > (uint)text.Length) return false;
        // Bounds are checked once above and before each 8-byte load; the loads themselves are unchecked.
        ref byte r0 = ref MemoryMarshal.GetReference(text);
        int pos = start;
        if (Unsafe.Add(ref r0, pos) == (byte)'-') { negative = true; pos++; }
        if (text.Length - pos < 8) return false;
        ulong v = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref r0, pos));
        if (!BitConverter.IsLittleEndian) v = BinaryPrimitives.ReverseEndianness(v);
        int k = DigitRun(v);
        if (k == 0 || k == 8) return false;
        ulong m = EightDigits(v << (8 * (8 - k)));
        pos += k;
        int e = 0;
        if (pos < end && Unsafe.Add(ref r0, pos) == (byte)'.')
        {
            pos++;
            if (text.Length - pos < 8) return false;
            ulong f = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref r0, pos));
            if (!BitConverter.IsLittleEndian) f = BinaryPrimitives.ReverseEndianness(f);
            int kf = DigitRun(f);
            if (kf == 8) return false;
            if (kf > 0)
            {
                m = m * Unsafe.Add(ref MemoryMarshal.GetReference(Pow10U), kf) + EightDigits(f << (8 * (8 - kf)));
                e = kf;
                pos += kf;
            }
        }
        if (pos != end) return false;
        mantissa = m; exp10 = e;
        return true;
    }

    private static ReadOnlySpan<ulong> Pow10U => [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000];

    /// <summary>Number of leading ASCII digits among the 8 bytes (byte 0 first).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DigitRun(ulong v)
    {
        // A byte is a digit when its high nibble is 3 and adding 6 does not carry into it.
        ulong notDigit = ((v & 0xF0F0F0F0F0F0F0F0UL) ^ 0x3030303030303030UL)
                       | (((v + 0x0606060606060606UL) & 0xF0F0F0F0F0F0F0F0UL) ^ 0x3030303030303030UL);
        return notDigit == 0 ? 8 : BitOperations.TrailingZeroCount(notDigit) >> 3;
    }

    /// <summary>Value of 8 ASCII digits (byte 0 most significant); 0x00 bytes count as leading zeros.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong EightDigits(ulong v)
    {
        v = ((v & 0x0F0F0F0F0F0F0F0FUL) * 2561) >> 8;
        v = ((v & 0x00FF00FF00FF00FFUL) * 6553601) >> 16;
        return ((v & 0x0000FFFF0000FFFFUL) * 42949672960001) >> 32;
    }

    /// <summary>
    /// Recognises [+-]?(d+(.d*)?|.d+)([eE][+-]?d+)? with at most 19 significant digits and a
    /// short exponent; anything else returns false and is left to the slow path (which
    /// decides whether it is a number at all).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryDecimal(ReadOnlySpan<byte> s, out ulong mantissa, out int exp10, out bool negative)
    {
        mantissa = 0; exp10 = 0; negative = false;
        int i = 0, n = s.Length;
        if (n == 0) return false;
        byte c = s[0];
        if (c == (byte)'-' || c == (byte)'+') { negative = c == (byte)'-'; i = 1; }

        ulong m = 0;
        int sig = 0;          // significant digits taken into m (leading zeros excluded)
        int anyDigits = 0;
        int scale = 0;        // digits after the point
        for (; i < n; i++)
        {
            uint d = (uint)(s[i] - '0');
            if (d > 9) break;
            anyDigits++;
            if (m == 0 && d == 0) continue;
            if (++sig > 19) return false;
            m = m * 10 + d;
        }
        if (i < n && s[i] == (byte)'.')
        {
            for (i++; i < n; i++)
            {
                uint d = (uint)(s[i] - '0');
                if (d > 9) break;
                anyDigits++;
                scale++;
                if (m == 0 && d == 0) continue;
                if (++sig > 19) return false;
                m = m * 10 + d;
            }
        }
        if (anyDigits == 0) return false;
        int e = 0;
        if (i < n && (s[i] | 0x20) == (byte)'e')
        {
            i++;
            bool eneg = false;
            if (i < n && (s[i] == (byte)'-' || s[i] == (byte)'+')) { eneg = s[i] == (byte)'-'; i++; }
            int ed = 0;
            for (; i < n; i++)
            {
                uint d = (uint)(s[i] - '0');
                if (d > 9) break;
                if (++ed > 4) return false;
                e = e * 10 + (int)d;
            }
            if (ed == 0) return false;
            if (eneg) e = -e;
        }
        if (i != n) return false;
        mantissa = m;
        exp10 = m == 0 ? 0 : e - scale;
        return true;
    }
}
