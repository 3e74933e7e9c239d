using Wdb.Core;

namespace Wdb.Tests;

/// <summary>SkyIndex against brute force: every point of the key within the radius, the nearest, the lowest index between equals.</summary>
public class SkyIndexTests
{
    /// <summary>Fields on the equator, across RA 0/360, at a pole (the RA windows cover whole zones) and near one.</summary>
    [Theory]
    [InlineData(180.0, 0.0, 2.0, 2.0, true)]
    [InlineData(0.0, 30.0, 2.0, 1.0, true)]        // RA windows split across 0/360; zones half the radius
    [InlineData(0.0, 90.0, 30.0, 30.0, true)]      // the pole
    [InlineData(45.0, -89.99, 5.0, 20.0, true)]    // near the south pole; zones four times the radius
    [InlineData(359.99, -10.0, 0.3, 0.3, true)]    // the reject-file radius
    // Without keys (a table of where each zone begins instead of searches).
    [InlineData(0.0, 30.0, 2.0, 1.0, false)]
    [InlineData(0.0, -90.0, 30.0, 30.0, false)]
    [InlineData(200.0, 60.0, 2.0, 2.0, false)]
    public void Within_finds_what_brute_force_finds(double ra0, double dec0, double radiusArcsec, double zoneArcsec, bool keyed)
    {
        var rnd = new Random(HashCode.Combine(ra0, dec0, radiusArcsec));
        // Points within ~40 radii of the field centre, in 4 keys; some points repeated exactly (ties).
        const int n = 4000;
        double span = 40 * radiusArcsec / 3600.0;
        var ra = new double[n];
        var dec = new double[n];
        var key = new long[n];
        for (int i = 0; i < n; i++)
        {
            if (i > 10 && rnd.Next(20) == 0) { int j = rnd.Next(i); (ra[i], dec[i], key[i]) = (ra[j], dec[j], key[j]); continue; }
            (ra[i], dec[i]) = Near(rnd, ra0, dec0, span);
            key[i] = keyed ? rnd.Next(4) * 1_000_003L : 0;
        }
        var index = new SkyIndex(ra, dec, keyed ? key : default, zoneArcsec);
        Assert.Equal(n, index.Count);
        int found = 0;
        for (int q = 0; q < 3000; q++)
        {
            // Half the queries on a point (candidates certain), half anywhere in the field.
            var (qr, qd) = q % 2 == 0 ? (ra[rnd.Next(n)], dec[rnd.Next(n)]) : Near(rnd, ra0, dec0, span);
            long k = keyed || q % 10 == 9 ? rnd.Next(5) * 1_000_003L : 0;   // key 4 holds no point
            int count = 0, best = -1;
            double bestSep = double.NaN;
            for (int i = 0; i < n; i++)
            {
                if (key[i] != k) continue;
                double sep = Sky.SeparationArcsec(qr, qd, ra[i], dec[i]);
                if (!(sep <= radiusArcsec)) continue;
                count++;
                if (best < 0 || sep < bestSep) (best, bestSep) = (i, sep);
            }
            var got = index.Within(k, qr, qd, radiusArcsec);
            Assert.True(count == got.Count, $"query {q} at ({qr}, {qd}) key {k}: {got.Count} found, {count} within");
            Assert.Equal(best, got.Nearest);
            if (best >= 0) Assert.Equal(bestSep, got.SepArcsec);
            found += count;
        }
        Assert.True(found > 1000, $"only {found} points found: the test asks too little");
    }

    private static (double Ra, double Dec) Near(Random rnd, double ra0, double dec0, double spanDeg)
    {
        double dec = Math.Clamp(dec0 + (rnd.NextDouble() * 2 - 1) * spanDeg, -90, 90);
        double cos = Math.Max(Math.Cos(dec * Sky.DegToRad), 1e-3);
        double ra = ra0 + (rnd.NextDouble() * 2 - 1) * Math.Min(spanDeg / cos, 180);
        return ((ra % 360 + 360) % 360, dec);
    }

    [Fact]
    public void Without_keys_every_point_is_under_key_0_and_a_query_of_another_key_finds_none()
    {
        double[] ra = [10, 10 + 1.0 / 3600, 10], dec = [5, 5, 5 + 3.0 / 3600];
        var index = new SkyIndex(ra, dec, default, 1.0);
        // Hand values: the first point is 0" away, the second 1" * cos(5 deg) = 0.9962", the third 3".
        var found = index.Within(0, 10, 5, 1.0);
        Assert.Equal((2, 0, 0.0), (found.Count, found.Nearest, found.SepArcsec));
        Assert.Equal(3, index.Within(0, 10, 5, 3.0001).Count);
        Assert.Equal(0, index.Within(7, 10, 5, 3.0001).Count);
        Assert.Equal(-1, index.Within(7, 10, 5, 3.0001).Nearest);
    }

    [Fact]
    public void Columns_of_different_lengths_or_too_thin_zones_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new SkyIndex([1.0, 2.0], [1.0], default, 1.0));
        Assert.Throws<ArgumentException>(() => new SkyIndex([1.0], [1.0], [1, 2], 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SkyIndex([1.0], [1.0], default, 0.01));
    }
}
