using System.Runtime.Intrinsics;
using Wdb.Core;

namespace Wdb.Tests;

public class SinCosTests
{
    private static long Ulps(double a, double b) =>
        a == b ? 0 : Math.Abs(BitConverter.DoubleToInt64Bits(a) - BitConverter.DoubleToInt64Bits(b));

    /// <summary>Angles a merge meets (ra 0-360 deg, dec +-90 deg, in radians), their edges, and wider ones.</summary>
    private static IEnumerable<double> Angles()
    {
        double[] edges = [0, -0.0, Math.PI / 4, -Math.PI / 4, Math.PI / 2, -Math.PI / 2, Math.PI, 3 * Math.PI / 2, 2 * Math.PI,
            Math.BitDecrement(2 * Math.PI), 1e-300, -1e-300, 1e-8, 359.999999 * Sky.DegToRad, 1e5, -1e5];
        foreach (var e in edges) yield return e;
        var rng = new Random(11);
        for (int i = 0; i < 1_000_000; i++) yield return rng.NextDouble() * 2 * Math.PI;
        for (int i = 0; i < 300_000; i++) yield return (rng.NextDouble() - 0.5) * Math.PI;
        for (int i = 0; i < 100_000; i++) yield return (rng.NextDouble() - 0.5) * 2e5;
        // Multiples of pi/2 and their neighbours, where the reduction cancels most.
        for (int k = -64; k <= 64; k++)
            for (int d = -3; d <= 3; d++) yield return Math.BitIncrement(k * (Math.PI / 2)) + d * 1e-12;
    }

    [Fact]
    public void Within_two_ulps_of_Math_Sin_and_Cos()
    {
        long worstSin = 0, worstCos = 0;
        foreach (double x in Angles())
        {
            var (s, c) = SinCos.Of(x);
            // Near a zero of the function an ulp is tiny; compare there against the size of the argument's ulp.
            double sinRef = Math.Sin(x), cosRef = Math.Cos(x);
            if (Math.Abs(sinRef) > 1e-6) worstSin = Math.Max(worstSin, Ulps(s, sinRef));
            else Assert.True(Math.Abs(s - sinRef) <= 4 * Math.Pow(2, -52) * Math.Max(1, Math.Abs(x)), $"sin({x}) = {s}, expected {sinRef}");
            if (Math.Abs(cosRef) > 1e-6) worstCos = Math.Max(worstCos, Ulps(c, cosRef));
            else Assert.True(Math.Abs(c - cosRef) <= 4 * Math.Pow(2, -52) * Math.Max(1, Math.Abs(x)), $"cos({x}) = {c}, expected {cosRef}");
        }
        Assert.InRange(worstSin, 0, 2);
        Assert.InRange(worstCos, 0, 2);
    }

    [Fact]
    public void Every_lane_gets_the_bits_of_the_single_value_whatever_its_neighbours()
    {
        var all = Angles().ToArray();
        var rng = new Random(3);
        for (int i = 0; i + 4 <= all.Length; i += 4)
        {
            // The same angle beside others, in another lane, and among huge ones.
            var v = Vector256.Create(all[i], all[i + 1], all[i + 2], all[i + 3]);
            var (vs, vc) = SinCos.Of(v);
            for (int lane = 0; lane < 4; lane++)
            {
                var (s, c) = SinCos.Of(all[i + lane]);
                Assert.Equal(BitConverter.DoubleToInt64Bits(s), BitConverter.DoubleToInt64Bits(vs.GetElement(lane)));
                Assert.Equal(BitConverter.DoubleToInt64Bits(c), BitConverter.DoubleToInt64Bits(vc.GetElement(lane)));
            }
            if (i % 4096 == 0)
            {
                var (ws, _) = SinCos.Of(Vector256.Create(1e5, all[i], -1e5, rng.NextDouble()));
                Assert.Equal(BitConverter.DoubleToInt64Bits(vs.GetElement(0)), BitConverter.DoubleToInt64Bits(ws.GetElement(1)));
            }
        }
    }
}
