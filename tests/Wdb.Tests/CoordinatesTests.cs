using Wdb.Core;

namespace Wdb.Tests;

/// <summary>Positions as typed (decimal or sexagesimal) and 2MASS designations read back to the cell they name.</summary>
public class CoordinatesTests
{
    [Theory]
    [InlineData("180", 180.0)]
    [InlineData(" 12.5 ", 12.5)]
    [InlineData("12:00:00", 180.0)]
    [InlineData("12 00 00", 180.0)]
    [InlineData("12h00m00s", 180.0)]
    [InlineData("05:35:31.65", 83.881875)]           // 15 * (5 + 35/60 + 31.65/3600)
    [InlineData("5h35m31.65s", 83.881875)]
    [InlineData("23:59:59.99", 359.99995833333333)]
    [InlineData("00:00:00.5", 0.0020833333333333333)]
    [InlineData("12:30", 187.5)]
    [InlineData("0:39:59.99999999999999999", 10.0)]   // the seconds are 60 as a double: 15 * (39/60 + 60/3600)
    [InlineData("23:59:59.99999999999999999", 0.0)]   // 24h as a double: the same point as 0h
    [InlineData("0h 40m 0s", 10.0)]                   // blanks between the parts
    [InlineData("12h 30m 15.5s", 187.56458333333333)] // 15 * (12 + 30/60 + 15.5/3600)
    [InlineData("12h", 180.0)]
    [InlineData("12h30m", 187.5)]
    public void A_right_ascension_is_read_in_degrees_or_hours(string text, double degrees)
    {
        Assert.Equal(degrees, Coordinates.ParseRa(text, out string? why)!.Value, 10);
        Assert.Null(why);
    }

    [Theory]
    [InlineData("-0.5", -0.5)]
    [InlineData("-05:23:06.8", -5.385222222222222)]   // -(5 + 23/60 + 6.8/3600)
    [InlineData("-5d23m06.8s", -5.385222222222222)]
    [InlineData("-00:15:30.5", -0.25847222222222222)]  // the sign of a zero degree field is kept
    [InlineData("+89 59 59.9", 89.99997222222222)]
    [InlineData("90:00:00", 90.0)]
    [InlineData("-0:29:59.99999999999999999", -0.5)]  // the seconds are 60 as a double: -(29/60 + 60/3600)
    [InlineData("89:59:59.99999999999999999", 90.0)]
    [InlineData("-10d 30m 0s", -10.5)]
    [InlineData("10d 30m", 10.5)]
    [InlineData("45d", 45.0)]
    [InlineData("-45d", -45.0)]
    public void A_declination_is_read_in_degrees_or_sexagesimal(string text, double degrees)
    {
        Assert.Equal(degrees, Coordinates.ParseDec(text, out string? why)!.Value, 10);
        Assert.Null(why);
    }

    [Theory]
    [InlineData("24:00:00", "out of range")]
    [InlineData("12:60:00", "out of range")]
    [InlineData("0:39:60", "out of range")]        // a written 60 is out of range, a sum that rounds to it is not
    [InlineData("0:39:60.0", "out of range")]
    [InlineData("0h 60m", "out of range")]
    [InlineData("45d", "is not a right ascension")]
    [InlineData("-01:00:00", "out of range")]
    [InlineData("360", "not in [0, 360)")]
    [InlineData("twelve", "is not a right ascension")]
    [InlineData("12d00m00s", "is not a right ascension")]   // degrees' unit on a right ascension
    public void A_bad_right_ascension_says_why(string text, string why)
    {
        Assert.Null(Coordinates.ParseRa(text, out string? said));
        Assert.Contains(why, said);
    }

    [Theory]
    [InlineData("91", "not in [-90, 90]")]
    [InlineData("90:00:01", "out of range")]
    [InlineData("-10:61:00", "out of range")]
    [InlineData("90:00:00.5", "out of range")]
    [InlineData("10:30:60", "out of range")]
    [InlineData("-45h", "is not a declination")]
    [InlineData("10h00m00s", "is not a declination")]
    public void A_bad_declination_says_why(string text, string why)
    {
        Assert.Null(Coordinates.ParseDec(text, out string? said));
        Assert.Contains(why, said);
    }

    [Fact]
    public void A_designation_names_the_cell_its_position_lies_in_in_either_form()
    {
        var rnd = new Random(3);
        var positions = new List<(double Ra, double Dec)> { (0, 0), (359.9999999, -0.00001), (83.881875, -5.3852222), (0, 90), (180, -90), (0.1, -0.00002) };
        for (int i = 0; i < 3000; i++) positions.Add((360 * rnd.NextDouble(), Math.Asin(2 * rnd.NextDouble() - 1) / Sky.DegToRad));
        foreach (var (ra, dec) in positions)
        {
            string wdb = Designations.Iau(ra, dec);
            var corner = Coordinates.ParseDesignation(wdb, out string? why);
            Assert.True(corner is not null, why);
            var (cra, cdec) = corner!.Value;
            // RA in [corner, corner + 0.01 s) (wrapping at 24h); |dec| in [|corner|, |corner| + 0.1").
            double dra = (ra - cra + 360) % 360 * 3600 / 15;   // seconds of time
            Assert.InRange(dra, -1e-6, 0.01 + 1e-6);
            double ddec = (Math.Abs(dec) - Math.Abs(cdec)) * 3600;
            Assert.InRange(ddec, -1e-6, 0.1 + 1e-6);
            // The PSC's form (no dots, "2MASS " before it) names the same cell and reads back as wdb's.
            string psc = "2MASS " + wdb.Replace(".", "");
            Assert.Equal(corner, Coordinates.ParseDesignation(psc, out _));
            Assert.Equal(wdb, Coordinates.Canonical(psc));
        }
        var orion = Coordinates.ParseDesignation("J05353165-0523068", out _)!.Value;   // 15 (5 + 35/60 + 31.65/3600), -(5 + 23/60 + 6.8/3600)
        Assert.Equal(83.881875, orion.Ra, 10);
        Assert.Equal(-5.385222222222222, orion.Dec, 10);
        foreach (string bad in new[] { "J053531.65-0523068x", "053531.65-052306.8", "J25353165-0523068", "J05353165-9123068", "J053531.6-052306.8" })
        {
            Assert.Null(Coordinates.ParseDesignation(bad, out string? why));
            Assert.False(string.IsNullOrEmpty(why));
        }
    }
}
