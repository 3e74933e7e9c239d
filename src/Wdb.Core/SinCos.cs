using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Wdb.Core;

/// <summary>
/// Sine and cosine together, the same bits from one lane of a vector or from a single value:
/// Cody-Waite reduction by pi/2 (three fused steps), then fdlibm's kernel polynomials on
/// [-pi/4, pi/4] (k_sin.c, k_cos.c), and the quadrant's signs and swap. Within two units in the
/// last place of Math.Sin and Math.Cos for |x| up to 1e5 (SinCosTests).
///
/// Why not Math.SinCos or Vector256.SinCos: glibc's is one value at a time (~16 ns), and the
/// runtime's vector form, precompiled in the composite image with tiering off, ran far slower
/// than scalar, and what one of its lanes gets depends on the others (bench/NOTES.md 83). Every
/// step here is per lane with no branch, so a row's sine and cosine never depend on which rows
/// are computed beside it.
/// </summary>
public static class SinCos
{
    // pi/2 in three parts, each step exact enough under a fused multiply-add for |n| < 2^20.
    private const double InvPio2 = 6.36619772367581382433e-01;
    private const double Pio2A = 1.57079632679489655800e+00;
    private const double Pio2B = 6.12323399573676603587e-17;
    private const double Pio2C = -1.49738490485916983610e-33;

    private const double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03, S3 = -1.98412698298579493134e-04,
        S4 = 2.75573137070700676789e-06, S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
    private const double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03, C3 = 2.48015872894767294178e-05,
        C4 = -2.75573143513906633035e-07, C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;

    /// <summary>Sine and cosine of <paramref name="x"/> (radians).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (double Sin, double Cos) Of(double x)
    {
        double n = Math.Round(x * InvPio2);
        double r = Math.FusedMultiplyAdd(-n, Pio2A, x);
        r = Math.FusedMultiplyAdd(-n, Pio2B, r);
        r = Math.FusedMultiplyAdd(-n, Pio2C, r);
        double z = r * r;
        double ps = Math.FusedMultiplyAdd(z, Math.FusedMultiplyAdd(z, Math.FusedMultiplyAdd(z, Math.FusedMultiplyAdd(z, S6, S5), S4), S3), S2);
        double s = Math.FusedMultiplyAdd(z * r, Math.FusedMultiplyAdd(z, ps, S1), r);
        double pc = Math.FusedMultiplyAdd(z, Math.FusedMultiplyAdd(z, Math.FusedMultiplyAdd(z, Math.FusedMultiplyAdd(z, Math.FusedMultiplyAdd(z, C6, C5), C4), C3), C2), C1);
        double hz = 0.5 * z, w = 1.0 - hz;
        double c = w + (((1.0 - w) - hz) + z * z * pc);
        // Quadrant q = n mod 4 (0 to 3, for negative n too): (sin, cos) = (s, c), (c, -s), (-s, -c), (-c, s).
        double q = n - 4.0 * Math.Floor(n * 0.25);
        bool odd = q == 1.0 || q == 3.0;
        double sin = odd ? c : s, cos = odd ? s : c;
        if (q == 1.0 || q == 2.0) cos = -cos;
        if (q >= 2.0) sin = -sin;
        return (sin, cos);
    }

    /// <summary>Sine and cosine of each lane (radians): lane for lane the bits of <see cref="Of(double)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<double> Sin, Vector256<double> Cos) Of(Vector256<double> x)
    {
        var n = Vector256.Round(x * Vector256.Create(InvPio2));
        var r = Vector256.FusedMultiplyAdd(-n, Vector256.Create(Pio2A), x);
        r = Vector256.FusedMultiplyAdd(-n, Vector256.Create(Pio2B), r);
        r = Vector256.FusedMultiplyAdd(-n, Vector256.Create(Pio2C), r);
        var z = r * r;
        var ps = Fma(z, Fma(z, Fma(z, Fma(z, Vector256.Create(S6), S5), S4), S3), S2);
        var s = Vector256.FusedMultiplyAdd(z * r, Fma(z, ps, S1), r);
        var pc = Fma(z, Fma(z, Fma(z, Fma(z, Fma(z, Vector256.Create(C6), C5), C4), C3), C2), C1);
        var hz = Vector256.Create(0.5) * z;
        var one = Vector256.Create(1.0);
        var w = one - hz;
        var c = w + (((one - w) - hz) + z * z * pc);
        var q = n - Vector256.Create(4.0) * Vector256.Floor(n * Vector256.Create(0.25));
        var isOne = Vector256.Equals(q, one);
        var isTwo = Vector256.Equals(q, Vector256.Create(2.0));
        var odd = isOne | Vector256.Equals(q, Vector256.Create(3.0));
        var sin = Vector256.ConditionalSelect(odd, c, s);
        var cos = Vector256.ConditionalSelect(odd, s, c);
        var negCos = isOne | isTwo;
        var negSin = Vector256.GreaterThanOrEqual(q, Vector256.Create(2.0));
        return (Vector256.ConditionalSelect(negSin, -sin, sin), Vector256.ConditionalSelect(negCos, -cos, cos));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Fma(Vector256<double> a, Vector256<double> b, double c) =>
        Vector256.FusedMultiplyAdd(a, b, Vector256.Create(c));
}
