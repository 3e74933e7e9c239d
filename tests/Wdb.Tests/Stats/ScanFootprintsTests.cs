using Wdb.Core;
using Wdb.Merge;
using static Wdb.Tests.Stats.TestBlocks;

namespace Wdb.Tests.Stats;

public class ScanFootprintsTests
{
    private const double Arcsec = 1.0 / 3600;

    /// <summary>A strip scan: extractions on a grid east/north of (ra0, dec0), widths in arcsec.</summary>
    private static void AddStrip(ExtractionBlock b, ref long cntr, long scan, double ra0, double dec0, double widthArcsec, double lengthArcsec)
    {
        for (double e = -widthArcsec / 2; e <= widthArcsec / 2 + 1e-9; e += widthArcsec / 4)
            for (double n = -lengthArcsec / 2; n <= lengthArcsec / 2 + 1e-9; n += lengthArcsec / 8)
            {
                var (ra, dec) = Offset(ra0, dec0, e, n);
                Add(b, cntr++, scan, ra, dec);
            }
    }

    [Fact]
    public void Strip_across_ra_zero_covers_both_sides_and_nothing_beyond_the_margin()
    {
        var b = new ExtractionBlock();
        long c = 1;
        AddStrip(b, ref c, 7, 0.0, 10.0, 500, 3600);     // 8.3' x 1 deg strip centred on RA 0
        var f = ScanFootprints.DeriveFromExtractions(b);
        Assert.Equal(1, f.ScanCount);
        var (raE, decE) = Offset(0.0, 10.0, 249, 0);     // inside, east side (RA ~0.07)
        var (raW, decW) = Offset(0.0, 10.0, -249, 0);    // inside, west side (RA ~359.93)
        Assert.True(raW > 359.0);
        Assert.Equal(1, f.CountCovering(raE, decE));
        Assert.Equal(1, f.CountCovering(raW, decW));
        var (raM, decM) = Offset(0.0, 10.0, 251.9, 1799); // within the 2" margin of the corner
        Assert.Equal(1, f.CountCovering(raM, decM));
        var (raO, decO) = Offset(0.0, 10.0, 252.1, 0);    // just beyond the margin
        Assert.Equal(0, f.CountCovering(raO, decO));
        Assert.Equal(0, f.CountCovering(180.0, 10.0));
        Assert.Equal(0, f.CountCovering(0.0, -10.0));
    }

    [Fact]
    public void Scan_over_the_pole_covers_the_pole_at_every_ra()
    {
        var b = new ExtractionBlock();
        long c = 1;
        AddStrip(b, ref c, 1, 0.0, 90.0, 500, 3600);
        AddStrip(b, ref c, 2, 0.0, 89.99, 500, 3600);
        var f = ScanFootprints.DeriveFromExtractions(b);
        Assert.Equal(2, f.CountCovering(0.0, 90.0));
        Assert.Equal(2, f.CountCovering(123.0, 89.999));
        Assert.Equal(0, f.CountCovering(0.0, 89.0));
    }

    [Fact]
    public void Overlapping_calibration_scans_are_all_counted()
    {
        var b = new ExtractionBlock();
        long c = 1;
        // Six scans offset by 5" in RA (a calibration visit), plus one far away.
        for (int s = 0; s < 6; s++) AddStrip(b, ref c, 100 + s, 83.8 + 5 * s * Arcsec, -5.0, 500, 3600);
        AddStrip(b, ref c, 200, 200.0, 45.0, 500, 3600);
        var f = ScanFootprints.DeriveFromExtractions(b);
        Assert.Equal(6, f.CountCovering(83.8, -5.0));
        // East edges: scan s ends at 250 + 2 (margin) + 5 cos(5 deg) s = 252 + 4.981 s arcsec east of
        // the first centre: 252.0, 257.0, 262.0, ... So 251" is covered by all six, 260" by four.
        var (ra1, dec1) = Offset(83.8, -5.0, 251, 0);
        Assert.Equal(6, f.CountCovering(ra1, dec1));
        var (ra2, dec2) = Offset(83.8, -5.0, 260, 0);
        Assert.Equal(4, f.CountCovering(ra2, dec2));
    }

    [Fact]
    public void Zone_index_agrees_with_testing_every_scan()
    {
        var rng = new Random(12345);
        var b = new ExtractionBlock();
        long c = 1;
        for (int s = 0; s < 300; s++)
        {
            // Random strips anywhere, including near the poles and RA 0/360.
            double dec = s % 10 == 0 ? 89.5 + 0.5 * rng.NextDouble() : -90 + 180 * rng.NextDouble();
            if (s % 13 == 0) dec = -89.9;
            double ra = s % 7 == 0 ? 359.95 : 360 * rng.NextDouble();
            AddStrip(b, ref c, s, ra, dec, 100 + 800 * rng.NextDouble(), 600 + 20000 * rng.NextDouble());
        }
        var f = ScanFootprints.DeriveFromExtractions(b);
        int covered = 0;
        for (int q = 0; q < 4000; q++)
        {
            // Half the queries near an extraction (so most are covered), half anywhere.
            double ra, dec;
            if (q % 2 == 0)
            {
                int i = rng.Next(b.Count);
                (ra, dec) = Offset(b.Ra[i], b.Dec[i], 400 * (rng.NextDouble() - 0.5), 400 * (rng.NextDouble() - 0.5));
            }
            else { ra = 360 * rng.NextDouble(); dec = Math.Asin(2 * rng.NextDouble() - 1) / Sky.DegToRad; }
            int expected = f.CountCoveringAllScans(ra, dec);
            Assert.Equal(expected, f.CountCovering(ra, dec));
            if (expected > 0) covered++;
        }
        Assert.True(covered > 1000);   // the comparison is not vacuous
    }

    [Fact]
    public void Footprints_from_many_chunks_do_not_depend_on_row_order()
    {
        // 160k rows: several chunks of the parallel derivation, each holding many scans.
        var rng = new Random(4242);
        var b = new ExtractionBlock(170_000);
        long c = 1;
        for (int s = 0; s < 40; s++)
        {
            // Overlapping calibration-like strips (9' x 1 deg), each in its own small offset.
            double ra0 = 150 + (s % 8) * 20 * Arcsec, dec0 = 2 + (s / 8) * 30 * Arcsec;
            for (int k = 0; k < 4000; k++)
            {
                var (ra, dec) = Offset(ra0, dec0, 540 * (rng.NextDouble() - 0.5), 3600 * (rng.NextDouble() - 0.5));
                Add(b, c++, 1000 + s, ra, dec);
            }
        }
        var shuffled = new ExtractionBlock(b.Count);
        foreach (int i in Enumerable.Range(0, b.Count).OrderBy(_ => rng.Next()))
            shuffled.CopyRow(b, i, shuffled.AddRow());
        var f = ScanFootprints.DeriveFromExtractions(b);
        var g = ScanFootprints.DeriveFromExtractions(shuffled);
        Assert.Equal(40, f.ScanCount);
        Assert.Equal(40, g.ScanCount);
        int partial = 0;
        for (int q = 0; q < 3000; q++)
        {
            // Around the strips' east and west edges, where the counts change.
            double east = (rng.Next(2) == 0 ? -1 : 1) * (250 + 60 * rng.NextDouble());
            var (ra, dec) = Offset(150 + 70 * Arcsec, 2 + 60 * Arcsec, east, 3000 * (rng.NextDouble() - 0.5));
            int expected = f.CountCoveringAllScans(ra, dec);
            Assert.Equal(expected, f.CountCovering(ra, dec));
            Assert.Equal(expected, g.CountCovering(ra, dec));
            Assert.Equal(expected, g.CountCoveringAllScans(ra, dec));
            if (expected > 0 && expected < 40) partial++;
        }
        Assert.True(partial > 500);   // the edges are really sampled
    }
}
