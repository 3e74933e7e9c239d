using Wdb.Core;

namespace Wdb.Tests;

public class SkyCoverageTests
{
    /// <summary>The point at <paramref name="distArcsec"/> from (ra, dec) towards position angle <paramref name="angle"/> (rad, east of north), on the sphere.</summary>
    private static (double Ra, double Dec) Towards(double ra, double dec, double distArcsec, double angle)
    {
        double d = distArcsec * Sky.ArcsecToRad, d1 = dec * Math.PI / 180;
        double sinDec2 = Math.Sin(d1) * Math.Cos(d) + Math.Cos(d1) * Math.Sin(d) * Math.Cos(angle);
        double dec2 = Math.Asin(Math.Clamp(sinDec2, -1, 1));
        double dra = Math.Atan2(Math.Sin(angle) * Math.Sin(d) * Math.Cos(d1), Math.Cos(d) - Math.Sin(d1) * sinDec2);
        double ra2 = ra + dra * 180 / Math.PI;
        return (ra2 - 360 * Math.Floor(ra2 / 360), dec2 * 180 / Math.PI);
    }

    /// <summary>
    /// Every position within the radius of a point is held, placed on the rim (as far as doubles allow) and inside it,
    /// around points at both poles, on RA 0/360, on the cells' own edges and corners and anywhere: a superset is all a
    /// caller may drop rows by.
    /// </summary>
    [Theory]
    [InlineData(0.5)]
    [InlineData(2.0)]
    [InlineData(60.0)]
    [InlineData(600.0)]
    public void Every_position_within_the_radius_of_a_point_is_held(double radiusArcsec)
    {
        var rnd = new Random(3);
        var points = new List<(double Ra, double Dec)>
        {
            (0, 90), (123.4, 90), (0, -90), (0, 89.99), (359.999999, -89.95), (0, 0), (359.9999999999, 0.0001), (180, 0),
        };
        double cell = SkyCoverage.CellDeg;
        for (int k = 0; k < 40; k++)   // on cell edges and corners
            points.Add((cell * rnd.Next(0, 5760), -90 + cell * rnd.Next(0, 2881)));
        for (int k = 0; k < 200; k++)
            points.Add((360 * rnd.NextDouble(), Math.Asin(2 * rnd.NextDouble() - 1) * 180 / Math.PI));
        var cells = new SkyCoverage.Builder();
        foreach (var (ra, dec) in points) cells.Add(ra, dec);
        var near = cells.Within(radiusArcsec);

        int tested = 0;
        foreach (var (ra, dec) in points)
            for (int k = 0; k < 60; k++)
            {
                double dist = k < 30 ? radiusArcsec : radiusArcsec * rnd.NextDouble();
                var (pr, pd) = Towards(ra, dec, dist, 2 * Math.PI * rnd.NextDouble());
                if (Sky.SeparationArcsec(ra, dec, pr, pd) > radiusArcsec) continue;   // rounded just outside: no claim
                Assert.True(near.Holds(pr, pd), $"({pr:R}, {pd:R}) is {dist}\" from ({ra}, {dec}) but not held");
                tested++;
            }
        Assert.True(tested > points.Count * 40, $"{tested} positions tested");
    }

    /// <summary>
    /// Against brute force on a field: a position within the radius of some point is held, and one further than twice the
    /// radius and five cells from every point is not (the superset stays close to the field: a widened cell's corners lie
    /// up to ~1.4 times its reach from its centre).
    /// </summary>
    [Theory]
    [InlineData(10.0, 20.0, 2.0)]
    [InlineData(359.9, -45.0, 30.0)]
    [InlineData(200.0, 88.0, 600.0)]
    public void Only_positions_near_the_points_are_held(double ra0, double dec0, double radiusArcsec)
    {
        var rnd = new Random(5);
        var points = Enumerable.Range(0, 300)
            .Select(_ => Towards(ra0, dec0, 1800 * Math.Sqrt(rnd.NextDouble()), 2 * Math.PI * rnd.NextDouble())).ToList();
        var cells = new SkyCoverage.Builder();
        foreach (var (ra, dec) in points) cells.Add(ra, dec);
        var near = cells.Within(radiusArcsec);
        double farArcsec = 2 * radiusArcsec + 5 * SkyCoverage.CellDeg * 3600;
        int within = 0, far = 0;
        for (int k = 0; k < 20_000; k++)
        {
            // Half of them near a point (within 1.5 radii), half anywhere within 2 deg of the field's centre.
            var (ra, dec) = Towards(ra0, dec0, 2 * 3600 * Math.Sqrt(rnd.NextDouble()), 2 * Math.PI * rnd.NextDouble());
            if (k % 2 == 0)
            {
                var p = points[rnd.Next(points.Count)];
                (ra, dec) = Towards(p.Ra, p.Dec, 1.5 * radiusArcsec * Math.Sqrt(rnd.NextDouble()), 2 * Math.PI * rnd.NextDouble());
            }
            double nearest = points.Min(p => Sky.SeparationArcsec(p.Ra, p.Dec, ra, dec));
            if (nearest <= radiusArcsec)
            {
                within++;
                Assert.True(near.Holds(ra, dec));
            }
            else if (nearest > farArcsec && Math.Abs(dec) < 89)
            {
                // Near a pole a cell's RA windows open to the whole circle: the superset is wider there by design.
                far++;
                Assert.False(near.Holds(ra, dec), $"({ra}, {dec}) is {nearest}\" from the nearest point");
            }
        }
        Assert.True(within > 3000 && far > 1000, $"{within} within, {far} far");
    }

    [Fact]
    public void Positions_that_are_not_finite_mark_nothing_and_are_not_held()
    {
        var cells = new SkyCoverage.Builder();
        cells.Add(double.NaN, 0);
        cells.Add(10, double.PositiveInfinity);
        var none = cells.Within(600);
        Assert.Equal(0, none.Cells);
        Assert.False(none.Holds(10, 0));
        cells.Add(10, 0);
        var one = cells.Within(2);
        Assert.True(one.Holds(10, 0));
        Assert.False(one.Holds(double.NaN, 0));
        Assert.False(one.Holds(10, double.NaN));
        // One cell widened by 2" plus 0.75 of a cell reaches the eight around it, no further.
        Assert.Equal(9, one.Cells);
        Assert.Throws<ArgumentOutOfRangeException>(() => cells.Within(-1));
    }
}
