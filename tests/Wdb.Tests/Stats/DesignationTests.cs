using Wdb.Core;

namespace Wdb.Tests.Stats;

public class DesignationTests
{
    private static double Ra(int h, int m, double s) => 15.0 * (h + m / 60.0 + s / 3600.0);
    private static double Dec(int sign, int d, int m, double s) => sign * (d + m / 60.0 + s / 3600.0);

    [Fact]
    public void Truncates_like_2mass_designations()
    {
        // 2MASS J05353165-0523068 (Orion): a position at 05h35m31.659s -05d23'06.89" must give
        // 31.65 s and 06.8" (truncated), not 31.66 / 06.9 (rounded).
        Assert.Equal("J053531.65-052306.8", Designations.Iau(Ra(5, 35, 31.659), Dec(-1, 5, 23, 6.89)));
        // Vega, Hipparcos J2000 position 279.2347344 +38.7836920 (18h36m56.336s +38d47'01.29"):
        // 2MASS J18365633+3847012.
        Assert.Equal("J183656.33+384701.2", Designations.Iau(279.2347344, 38.7836920));
    }

    [Fact]
    public void Digits_exact_in_decimal_do_not_lose_a_unit()
    {
        // 12h00m12.34s and +10d10'10.1": naive floor of 12.339999... would print 12.33.
        Assert.Equal("J120012.34+101010.1", Designations.Iau(Ra(12, 0, 12.34), Dec(1, 10, 10, 10.1)));
    }

    [Theory]
    [InlineData(0.0, 0.0, "J000000.00+000000.0")]
    [InlineData(359.99999999, 0.0, "J235959.99+000000.0")]   // never rounds up to 24h
    [InlineData(360.0, 0.0, "J000000.00+000000.0")]
    [InlineData(10.0, -0.00001, "J004000.00-000000.0")]      // -0.036": the sign survives truncation
    [InlineData(10.0, -90.0, "J004000.00-900000.0")]
    [InlineData(10.0, 90.0, "J004000.00+900000.0")]
    public void Edges_of_the_sphere(double ra, double dec, string expected)
    {
        Assert.Equal(expected, Designations.Iau(ra, dec));
    }

    [Theory]
    [InlineData(double.NaN, 10.0)]
    [InlineData(10.0, double.NaN)]
    [InlineData(double.PositiveInfinity, 10.0)]
    [InlineData(10.0, double.NegativeInfinity)]
    public void A_position_that_is_not_finite_has_none(double ra, double dec)
    {
        Assert.Equal("", Designations.Iau(ra, dec));
        Assert.Equal(0, Designations.Write(ra, dec, new byte[Designations.Length]));
    }

    [Fact]
    public void The_bytes_the_writer_puts_in_the_tables_are_the_text()
    {
        var rnd = new Random(3);
        var bytes = new byte[Designations.Length + 4];
        for (int i = 0; i < 2000; i++)
        {
            double ra = rnd.NextDouble() * 720 - 360, dec = rnd.NextDouble() * 180 - 90;
            bytes.AsSpan().Fill(0xEE);
            Assert.Equal(Designations.Length, Designations.Write(ra, dec, bytes));
            Assert.Equal(Designations.Iau(ra, dec), System.Text.Encoding.ASCII.GetString(bytes, 0, Designations.Length));
            Assert.Equal(0xEE, bytes[Designations.Length]);   // nothing past the text
        }
    }
}
