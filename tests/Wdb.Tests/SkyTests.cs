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
    /// UnitVector takes sine and cosine from one sincos call per angle: they must be the very
    /// bits of Math.Sin and Math.Cos (outputs written before the change stay byte-identical).
    /// </summary>
    [Fact]
    public void Unit_vectors_from_sincos_are_the_bits_of_separate_sin_and_cos()
    {
        var rnd = new Random(8);
        for (int i = 0; i < 200_000; i++)
        {
            double ra = i < 8 ? i * 45.0 : rnd.NextDouble() * 360, dec = i < 8 ? i * 22.5 - 90 : rnd.NextDouble() * 180 - 90;
            var v = Sky.UnitVector(ra, dec);
            double r = ra * Sky.DegToRad, d = dec * Sky.DegToRad;
            Assert.Equal(BitConverter.DoubleToInt64Bits(Math.Cos(d) * Math.Cos(r)), BitConverter.DoubleToInt64Bits(v.X));
            Assert.Equal(BitConverter.DoubleToInt64Bits(Math.Cos(d) * Math.Sin(r)), BitConverter.DoubleToInt64Bits(v.Y));
            Assert.Equal(BitConverter.DoubleToInt64Bits(Math.Sin(d)), BitConverter.DoubleToInt64Bits(v.Z));
        }
    }

    [Theory]
    [InlineData(float.NaN, (byte)'2', (byte)'A', false)]
    [InlineData(-99.99f, (byte)'2', (byte)'A', false)]
    [InlineData(15.2f, (byte)'0', (byte)'A', false)]
    [InlineData(15.2f, (byte)'2', (byte)'U', false)]
    [InlineData(15.2f, (byte)'2', (byte)'A', true)]
    [InlineData(15.2f, (byte)0, (byte)0, true)]
    public void Detection_rule_follows_2mass_flags(float mag, byte rd, byte ph, bool expected)
    {
        Assert.Equal(expected, Bands.IsDetection(mag, rd, ph));
    }
}
