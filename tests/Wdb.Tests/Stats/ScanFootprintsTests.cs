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
    public void Saved_footprints_read_back_bit_for_bit_and_cover_the_same_positions()
    {
        var rng = new Random(77);
        var b = new ExtractionBlock();
        long c = 1;
        for (int s = 0; s < 60; s++)
            AddStrip(b, ref c, 1000 + 7 * s, 360 * rng.NextDouble(), -88 + 176 * rng.NextDouble(), 100 + 800 * rng.NextDouble(), 600 + 9000 * rng.NextDouble());
        var f = ScanFootprints.DeriveFromExtractions(b);
        var bytes = new MemoryStream();
        using (var w = new BinaryWriter(bytes, System.Text.Encoding.UTF8, leaveOpen: true)) f.Write(w);
        bytes.Position = 0;
        var back = ScanFootprints.Read(new BinaryReader(bytes));
        Assert.Equal(f.ScanCount, back.ScanCount);
        for (int s = 0; s < f.ScanCount; s++) Assert.Equal(f.Footprint(s), back.Footprint(s));
        int covered = 0;
        for (int q = 0; q < 2000; q++)
        {
            int i = rng.Next(b.Count);
            var (ra, dec) = q % 2 == 0 ? Offset(b.Ra[i], b.Dec[i], 300 * (rng.NextDouble() - 0.5), 300 * (rng.NextDouble() - 0.5))
                : (360 * rng.NextDouble(), -90 + 180 * rng.NextDouble());
            int n = f.CountCovering(ra, dec);
            Assert.Equal(n, back.CountCovering(ra, dec));
            if (n > 0) covered++;
        }
        Assert.True(covered > 500, $"{covered}");   // the comparison is not vacuous

        var cut = new MemoryStream(bytes.ToArray()[..(int)(bytes.Length / 2)]);
        Assert.Throws<IOException>(() => ScanFootprints.Read(new BinaryReader(cut)));
    }

    [Fact]
    public void Queries_on_the_ra_buckets_edges_count_as_testing_every_scan_does()
    {
        // The zone index starts each lookup from a quarter-degree RA bucket: queries on those edges, a hair either
        // side of them, and at RA 0/360, against the brute-force count. Strips are dense around RA 0 and 120.
        var rng = new Random(808);
        var b = new ExtractionBlock(1024);
        long c = 1;
        for (int s = 0; s < 120; s++)
        {
            double ra = (s % 2 == 0 ? 0 : 120) + 3 * (rng.NextDouble() - 0.5);
            AddStrip(b, ref c, s, (ra + 360) % 360, 2 * (rng.NextDouble() - 0.5), 100 + 600 * rng.NextDouble(), 600 + 3600 * rng.NextDouble());
        }
        var f = ScanFootprints.DeriveFromExtractions(b);
        int covered = 0;
        for (int k = -8; k <= 8; k++)
            foreach (double centre in new[] { 0.0, 120.0 })
                for (int q = 0; q < 40; q++)
                {
                    double edge = centre + k * 0.25, dec = 2 * (rng.NextDouble() - 0.5);
                    foreach (double ra in new[] { edge, Math.BitDecrement(edge), Math.BitIncrement(edge), edge + 360, edge - 360 })
                    {
                        int expected = f.CountCoveringAllScans(ra, dec);
                        Assert.Equal(expected, f.CountCovering(ra, dec));
                        if (expected > 0) covered++;
                    }
                }
        Assert.True(covered > 1000, $"{covered}");
        // No position, no scan.
        Assert.Equal(0, f.CountCovering(double.NaN, 0));
        Assert.Equal(0, f.CountCovering(0, double.NaN));
        Assert.Equal(0, f.CountCovering(double.PositiveInfinity, 0));
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

    /// <summary>
    /// ~200k rows (several parallel chunks) of 70 scans, rows of all scans interleaved: strips
    /// across RA 0/360, over both poles, overlapping calibration-like strips and strips anywhere.
    /// </summary>
    private static ExtractionBlock ManyScans(int seed)
    {
        var rng = new Random(seed);
        var centres = new List<(double Ra, double Dec, double Width, double Length)>();
        for (int s = 0; s < 10; s++) centres.Add((83.8 + 7 * s * Arcsec, -5.0, 500, 3600));      // calibration visit
        for (int s = 0; s < 10; s++) centres.Add((359.97 + 0.01 * s, 20.0 - s, 500, 21600));   // across RA 0
        for (int s = 0; s < 5; s++) centres.Add((72.0 * s, 89.97, 500, 3600));                 // over the north pole
        for (int s = 0; s < 5; s++) centres.Add((72.0 * s + 10, -89.95, 500, 3600));           // over the south pole
        while (centres.Count < 70)
            centres.Add((360 * rng.NextDouble(), Math.Asin(2 * rng.NextDouble() - 1) / Sky.DegToRad, 100 + 800 * rng.NextDouble(), 600 + 20000 * rng.NextDouble()));
        var b = new ExtractionBlock(210_000);
        for (long c = 1; c <= 200_000; c++)
        {
            int s = rng.Next(centres.Count);
            var (ra0, dec0, width, length) = centres[s];
            var (ra, dec) = Offset(ra0, dec0, width * (rng.NextDouble() - 0.5), length * (rng.NextDouble() - 0.5));
            Add(b, c, 5000 + 17L * s, ra, dec);
        }
        return b;
    }

    /// <summary>The rows cut into consecutive blocks at random points (some empty, some over a chunk).</summary>
    private static List<ExtractionBlock> Split(ExtractionBlock b, Random rng)
    {
        var blocks = new List<ExtractionBlock>();
        for (int from = 0; from < b.Count;)
        {
            int size = rng.Next(6) switch { 0 => 0, 1 => 1 + rng.Next(50), 2 => 70_000 + rng.Next(20_000), _ => 1 + rng.Next(30_000) };
            int to = Math.Min(b.Count, from + size);
            blocks.Add(b.Select(Enumerable.Range(from, to - from).ToArray()));
            from = to;
        }
        blocks.Add(new ExtractionBlock());
        return blocks;
    }

    private static ScanFootprints BuildFromBlocks(List<ExtractionBlock> blocks, int threads = 0)
    {
        var builder = new ScanFootprints.Builder(threads);
        foreach (var block in blocks) builder.AddToCentres(block);
        foreach (var block in blocks) builder.AddToBoxes(block);
        return builder.Build();
    }

    /// <summary>
    /// Query positions: just inside and just outside (0.001") every edge of every scan's box,
    /// along lines through RA 0/360 and the poles, and anywhere.
    /// </summary>
    private static List<(double Ra, double Dec)> Queries(ScanFootprints f, Random rng)
    {
        var q = new List<(double, double)>();
        const double eps = 1e-3;
        for (int s = 0; s < f.ScanCount; s++)
        {
            var p = f.Footprint(s);
            var (ra0, dec0) = Sky.ToRaDec(p.Cx, p.Cy, p.Cz);
            double xi0 = p.XiMin / Sky.ArcsecToRad, xi1 = p.XiMax / Sky.ArcsecToRad;
            double eta0 = p.EtaMin / Sky.ArcsecToRad, eta1 = p.EtaMax / Sky.ArcsecToRad;
            for (int k = 0; k < 20; k++)
            {
                double xi = xi0 + (xi1 - xi0) * rng.NextDouble(), eta = eta0 + (eta1 - eta0) * rng.NextDouble();
                double d = k % 2 == 0 ? eps : -eps;
                q.Add(Offset(ra0, dec0, xi0 + d, eta));
                q.Add(Offset(ra0, dec0, xi1 + d, eta));
                q.Add(Offset(ra0, dec0, xi, eta0 + d));
                q.Add(Offset(ra0, dec0, xi, eta1 + d));
            }
        }
        for (int k = 0; k < 400; k++)
        {
            double dec = -90 + 180 * rng.NextDouble();
            q.Add((0.0, dec)); q.Add((359.99999, dec)); q.Add((1e-6, dec));
            q.Add((360 * rng.NextDouble(), 89.9 + 0.1 * rng.NextDouble()));
            q.Add((360 * rng.NextDouble(), -89.9 - 0.1 * rng.NextDouble()));
            q.Add((360 * rng.NextDouble(), Math.Asin(2 * rng.NextDouble() - 1) / Sky.DegToRad));
        }
        q.Add((0, 90)); q.Add((0, -90)); q.Add((180, 90)); q.Add((180, -90));
        return q;
    }

    private static long Bits(double v) => BitConverter.DoubleToInt64Bits(v);

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 3)]
    public void Blocks_give_the_footprints_of_one_block_bit_for_bit(int seed, int threads)
    {
        var rng = new Random(seed);
        var rows = ManyScans(seed);
        var whole = ScanFootprints.DeriveFromExtractions(rows);
        var blocks = Split(rows, rng);
        Assert.True(blocks.Count > 5);
        var split = BuildFromBlocks(blocks, threads);
        Assert.Equal(70, whole.ScanCount);
        Assert.Equal(whole.ScanCount, split.ScanCount);
        for (int s = 0; s < whole.ScanCount; s++)
        {
            var (a, b) = (whole.Footprint(s), split.Footprint(s));
            Assert.Equal(a.ScanKey, b.ScanKey);   // numbered by first appearance in row order
            Assert.Equal([Bits(a.Cx), Bits(a.Cy), Bits(a.Cz), Bits(a.XiMin), Bits(a.XiMax), Bits(a.EtaMin), Bits(a.EtaMax)],
                         [Bits(b.Cx), Bits(b.Cy), Bits(b.Cz), Bits(b.XiMin), Bits(b.XiMax), Bits(b.EtaMin), Bits(b.EtaMax)]);
        }
        int inside = 0, outside = 0;
        foreach (var (ra, dec) in Queries(whole, rng))
        {
            int expected = whole.CountCoveringAllScans(ra, dec);
            Assert.Equal(expected, whole.CountCovering(ra, dec));
            Assert.Equal(expected, split.CountCovering(ra, dec));
            if (expected > 0) inside++; else outside++;
        }
        Assert.True(inside > 2000 && outside > 2000, $"{inside} covered, {outside} not");   // both sides of the edges sampled
    }

    [Fact]
    public void Blocks_in_another_row_order_give_the_same_footprints()
    {
        var rng = new Random(77);
        var rows = ManyScans(7);
        var whole = ScanFootprints.DeriveFromExtractions(rows);
        var shuffled = rows.Select(Enumerable.Range(0, rows.Count).OrderBy(_ => rng.Next()).ToArray());
        var split = BuildFromBlocks(Split(shuffled, rng), threads: 2);
        Assert.Equal(whole.ScanCount, split.ScanCount);
        // Scans are numbered in another order: compare by key. Extremes do not depend on order;
        // only a tie of -0 and +0 could keep the other zero, and the two compare equal.
        var byKey = Enumerable.Range(0, split.ScanCount).ToDictionary(s => split.Footprint(s).ScanKey, s => split.Footprint(s));
        for (int s = 0; s < whole.ScanCount; s++)
        {
            var a = whole.Footprint(s);
            var b = byKey[a.ScanKey];
            Assert.Equal((Bits(a.Cx), Bits(a.Cy), Bits(a.Cz)), (Bits(b.Cx), Bits(b.Cy), Bits(b.Cz)));
            Assert.True(a.XiMin == b.XiMin && a.XiMax == b.XiMax && a.EtaMin == b.EtaMin && a.EtaMax == b.EtaMax, $"scan {a.ScanKey}");
        }
        foreach (var (ra, dec) in Queries(whole, rng))
            Assert.Equal(whole.CountCovering(ra, dec), split.CountCovering(ra, dec));
    }

    [Fact]
    public void A_scan_missing_from_pass_a_throws()
    {
        var first = new ExtractionBlock();
        Add(first, 1, 10, 20.0, 30.0);
        var second = new ExtractionBlock();
        Add(second, 2, 10, 20.001, 30.0);
        Add(second, 3, 11, 40.0, 30.0);
        var builder = new ScanFootprints.Builder();
        builder.AddToCentres(first);
        var e = Assert.Throws<InvalidOperationException>(() => builder.AddToBoxes(second));
        Assert.Contains("scan 11", e.Message);
    }

    [Fact]
    public void Passes_out_of_turn_or_over_different_rows_throw()
    {
        var block = new ExtractionBlock();
        Add(block, 1, 10, 20.0, 30.0);
        var builder = new ScanFootprints.Builder();
        builder.AddToCentres(block);
        builder.AddToCentres(block);
        builder.AddToBoxes(block);
        Assert.Throws<InvalidOperationException>(() => builder.AddToCentres(block));   // centres already fixed
        Assert.Throws<InvalidOperationException>(() => builder.Build());               // one block short in pass B
        builder.AddToBoxes(block);
        Assert.Equal(1, builder.Build().CountCovering(20.0, 30.0));
        Assert.Throws<InvalidOperationException>(() => builder.Build());
    }

    /// <summary>
    /// A survey tile (8.5' x 6 deg) and a calibration tile are plausible; one id over rows 40 deg apart (two scans'
    /// ids colliding) is not: its box spans the 40 deg between them (the strips' 1 deg ends and the 2" margins too).
    /// </summary>
    [Fact]
    public void A_footprint_wider_than_any_2mass_scan_is_named_with_its_extent()
    {
        var b = new ExtractionBlock();
        long c = 1;
        AddStrip(b, ref c, 3, 10.0, 20.0, 510, 6 * 3600);    // a survey tile
        AddStrip(b, ref c, 4, 12.0, 20.0, 510, 3600);        // a calibration tile
        AddStrip(b, ref c, 9, 200.0, 0.0, 510, 3600);        // one id, two places: dec -0.5..0.5 and 39.5..40.5
        AddStrip(b, ref c, 9, 200.0, 40.0, 510, 3600);
        var f = ScanFootprints.DeriveFromExtractions(b);
        var wide = Assert.Single(f.Wider(ScanFootprints.PlausibleDeg));
        Assert.Equal(9, wide.Key);
        // The 2" margins are added in the tangent plane, so 20.5 deg from its centre they shrink by cos^2 (to 1.76").
        Assert.InRange(wide.EtaDeg, 41.0 + 2 * 1.7 * Arcsec, 41.0 + 4 * Arcsec);
        Assert.InRange(wide.XiDeg, 0.1, 0.2);                // 510" + 4" at the centre, wider (gnomonic) 20 deg off it
        // The survey tile is 6 deg + 4" tall: named only under a lower limit.
        Assert.Equal([3L, 9L], f.Wider(5).Select(w => w.Key));
        // (AddStrip's offsets are in its tangent plane: 3 deg there is 2.997 deg on the sky.)
        Assert.InRange(f.Wider(5)[0].EtaDeg, 5.99, 6.0 + 4 * Arcsec);
        string warning = f.WideWarning()!;
        Assert.StartsWith("1 scan footprint spans more than 10 deg (a 2MASS scan covers 6 deg by 8.5'): scan id 9 (0.2 x 41.0 deg); " +
            "most likely rows of other scans share this id", warning);
        Assert.Contains("spos may count a scan for groups it never looked at", warning);
        var tiles = new ExtractionBlock();
        c = 1;
        AddStrip(tiles, ref c, 3, 10.0, 20.0, 510, 6 * 3600);
        AddStrip(tiles, ref c, 4, 12.0, 20.0, 510, 3600);
        Assert.Null(ScanFootprints.DeriveFromExtractions(tiles).WideWarning());
    }

    [Fact]
    public void No_blocks_give_no_footprints()
    {
        var f = new ScanFootprints.Builder().Build();
        Assert.Equal(0, f.ScanCount);
        Assert.Equal(0, f.CountCovering(10, 10));
        Assert.Equal(0, ScanFootprints.DeriveFromExtractions(new ExtractionBlock()).ScanCount);
    }
}
