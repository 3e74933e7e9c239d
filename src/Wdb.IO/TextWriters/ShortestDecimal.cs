namespace Wdb.IO;

/// <summary>
/// A fast path for the shortest round-trip text of the values the WDBs hold: numbers with a
/// few decimals (positions to 1e-6 deg, magnitudes to 1e-3 mag, Julian dates to 1e-5 day).
/// The k-decimal candidate n / 10^k is accepted when IEEE division of the two exactly
/// representable integers gives back the value: that division is correctly rounded, exactly
/// what a correct parser returns for the text, and the smallest such k is the shortest
/// string. The output is byte-identical to .NET's "R" formatting in the ranges accepted here
/// (checked by the tests); other values fall back to TryFormat.
/// </summary>
public static class ShortestDecimal
{
    private static readonly double[] Pow10D = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
    private static readonly float[] Pow10F = [1, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f];
    private static readonly long[] Pow10L = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];
    private const double MaxExact = 9007199254740992.0;   // 2^53
    private const float MaxExactF = 16777216f;            // 2^24

    /// <summary>Writes <paramref name="v"/> if it is a short decimal in range; false to fall back.</summary>
    public static bool TryWrite(double v, Span<byte> dst, out int written)
    {
        written = 0;
        double a = Math.Abs(v);
        if (!(a >= 1e-3 && a < 1e9)) return v == 0 && !double.IsNegative(v) && Zero(dst, out written);
        for (int k = 0; k < Pow10D.Length; k++)
        {
            double n = Math.Round(a * Pow10D[k]);
            if (n >= MaxExact) return false;
            if (n / Pow10D[k] == a) return Digits(v < 0, (long)n, k, dst, out written);
        }
        return false;
    }

    /// <summary>Single-precision twin: the candidate is checked with float division.</summary>
    public static bool TryWrite(float v, Span<byte> dst, out int written)
    {
        written = 0;
        float a = Math.Abs(v);
        if (!(a >= 1e-3f && a < 1e6f)) return v == 0 && !float.IsNegative(v) && Zero(dst, out written);
        for (int k = 0; k < Pow10F.Length; k++)
        {
            float n = MathF.Round(a * Pow10F[k]);
            if (n >= MaxExactF) return false;
            if (n / Pow10F[k] == a) return Digits(v < 0, (long)n, k, dst, out written);
        }
        return false;
    }

    private static bool Zero(Span<byte> dst, out int written)
    {
        dst[0] = (byte)'0';
        written = 1;
        return true;
    }

    private static bool Digits(bool negative, long n, int k, Span<byte> dst, out int written)
    {
        long ip = n / Pow10L[k], fp = n - ip * Pow10L[k];
        int p = 0;
        if (negative) dst[p++] = (byte)'-';
        // integer part, most significant digit first
        int len = 1;
        for (long t = ip; t >= 10; t /= 10) len++;
        for (int d = len - 1; d >= 0; d--) { dst[p + d] = (byte)('0' + (int)(ip % 10)); ip /= 10; }
        p += len;
        if (k > 0)
        {
            dst[p++] = (byte)'.';
            for (int d = k - 1; d >= 0; d--) { dst[p + d] = (byte)('0' + (int)(fp % 10)); fp /= 10; }
            p += k;
        }
        written = p;
        return true;
    }
}
