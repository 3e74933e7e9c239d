using Wdb.Core;

namespace Wdb.Tests;

public class SkyTests
{
    [Theory]
    [InlineData(10.0, 20.0, 10.0, 20.0 + 1.0 / 3600, 1.0)]      // 1" in Dec
    [InlineData(359.9999, 0.0, 0.0001, 0.0, 0.72)]              // across RA 0/360 on the equator
    [InlineData(0.0, 89.9999, 180.0, 89.9999, 0.72)]            // across the pole
    public void Separation_matches_hand_values(double ra1, double dec1, double ra2, double dec2, double expected)
    {
        Assert.Equal(expected, Sky.SeparationArcsec(ra1, dec1, ra2, dec2), 6);
    }

    [Fact]
    public void Chord_predicate_is_inclusive_and_agrees_with_separation()
    {
        double chord2 = Sky.ChordSquared(2.0);
        var a = Sky.UnitVector(123.0, -45.0);
        var inside = Sky.UnitVector(123.0, -45.0 + 1.999 / 3600);
        var outside = Sky.UnitVector(123.0, -45.0 + 2.001 / 3600);
        Assert.True(Sky.Within(a.X, a.Y, a.Z, inside.X, inside.Y, inside.Z, chord2));
        Assert.False(Sky.Within(a.X, a.Y, a.Z, outside.X, outside.Y, outside.Z, chord2));
    }

    /// <summary>
    /// UnitVector takes sine and cosine from SinCos (within two ulps of the C library's, SinCosTests):
    /// each component within a few ulps of the product of Math.Sin and Math.Cos, of length 1, and
    /// exact on the axes.
    /// </summary>
    [Fact]
    public void Unit_vectors_agree_with_separate_sin_and_cos_to_the_last_bits()
    {
        var rnd = new Random(8);
        double worst = 0;
        for (int i = 0; i < 200_000; i++)
        {
            double ra = i < 8 ? i * 45.0 : rnd.NextDouble() * 360, dec = i < 8 ? i * 22.5 - 90 : rnd.NextDouble() * 180 - 90;
            var v = Sky.UnitVector(ra, dec);
            double r = ra * Sky.DegToRad, d = dec * Sky.DegToRad;
            worst = Math.Max(worst, Math.Abs(v.X - Math.Cos(d) * Math.Cos(r)));
            worst = Math.Max(worst, Math.Abs(v.Y - Math.Cos(d) * Math.Sin(r)));
            worst = Math.Max(worst, Math.Abs(v.Z - Math.Sin(d)));
            Assert.InRange(v.X * v.X + v.Y * v.Y + v.Z * v.Z, 1 - 1e-15, 1 + 1e-15);
        }
        Assert.InRange(worst, 0, 4 * Math.Pow(2, -52));
        Assert.Equal((1.0, 0.0, 0.0), Sky.UnitVector(0, 0));
        Assert.Equal(1.0, Sky.UnitVector(123.4, 90).Z);
        Assert.Equal(-1.0, Sky.UnitVector(0, -90).Z);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(257)]
    public void Unit_vectors_in_batches_are_the_bits_of_one_at_a_time(int n)
    {
        var rnd = new Random(n);
        double[] ra = Enumerable.Range(0, n).Select(_ => rnd.NextDouble() * 360).ToArray();
        double[] dec = Enumerable.Range(0, n).Select(_ => rnd.NextDouble() * 180 - 90).ToArray();
        double[] x = new double[n], y = new double[n], z = new double[n];
        Sky.UnitVectors(ra, dec, x, y, z);
        for (int i = 0; i < n; i++)
        {
            var v = Sky.UnitVector(ra[i], dec[i]);
            Assert.Equal(BitConverter.DoubleToInt64Bits(v.X), BitConverter.DoubleToInt64Bits(x[i]));
            Assert.Equal(BitConverter.DoubleToInt64Bits(v.Y), BitConverter.DoubleToInt64Bits(y[i]));
            Assert.Equal(BitConverter.DoubleToInt64Bits(v.Z), BitConverter.DoubleToInt64Bits(z[i]));
        }
    }

    [Theory]
    [InlineData(float.NaN, (byte)'2', (byte)'A', false)]
    [InlineData(-99.99f, (byte)'2', (byte)'A', false)]
    [InlineData(99.99f, (byte)'2', (byte)'A', false)]      // a "no data" placeholder on the faint side
    [InlineData(1e30f, (byte)'2', (byte)'A', false)]
    [InlineData(89.9f, (byte)'2', (byte)'A', true)]
    [InlineData(15.2f, (byte)'0', (byte)'A', false)]
    [InlineData(15.2f, (byte)'2', (byte)'U', false)]
    [InlineData(15.2f, (byte)'2', (byte)'A', true)]
    [InlineData(15.2f, (byte)0, (byte)0, true)]
    public void Detection_rule_follows_2mass_flags(float mag, byte rd, byte ph, bool expected)
    {
        Assert.Equal(expected, Bands.IsDetection(mag, rd, ph));
    }
}
