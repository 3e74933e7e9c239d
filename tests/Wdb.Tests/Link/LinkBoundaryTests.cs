using Wdb.Core;
using Wdb.Merge;
using Wdb.Merge.Link;
using Wdb.Tests.Kernels;

namespace Wdb.Tests.Link;

/// <summary>
/// Adversarial inputs for the CPU link engine and the block linker against the O(n^2)
/// friends-of-friends: pairs exactly on the radius (as <see cref="Sky.Within"/> rounds it) and
/// a hair either side, across RA 0/360, at the poles with radii whose zones do not divide the
/// sky evenly, and across block edges. Random patches rarely put a pair within rounding of the
/// radius or a point in the last cells of a zone, so each of these pins a case they miss.
/// </summary>
public class LinkBoundaryTests
{
    /// <summary>
    /// Pairs 2" apart in Dec whose squared chord is exactly <see cref="Sky.ChordSquared"/> of a
    /// radius (found by search: about one pair in three has one), with that radius.
    /// </summary>
    internal static IEnumerable<(double[] Ra, double[] Dec, double Radius)> ExactPairs(double ra0, double dec0, int wanted)
    {
        var (ra, dec) = LinkTestData.BoundaryPairs(400, ra0, dec0, 0.013, 1e-4);
        int found = 0;
        for (int k = 0; k < 400 && found < wanted; k++)
        {
            double r = LinkTestData.BoundaryRadius(ra, dec, 2 * k, 2 * k + 1);
            var a = Sky.UnitVector(ra[2 * k], dec[2 * k]);
            var b = Sky.UnitVector(ra[2 * k + 1], dec[2 * k + 1]);
            double dx = a.X - b.X, dy = a.Y - b.Y, dz = a.Z - b.Z;
            if (dx * dx + dy * dy + dz * dz != Sky.ChordSquared(r)) continue;
            found++;
            yield return ([ra[2 * k], ra[2 * k + 1]], [dec[2 * k], dec[2 * k + 1]], r);
        }
        Assert.Equal(wanted, found);
    }

    [Theory]
    [InlineData(10.0, 30.0)]
    [InlineData(359.999, -45.0)]
    public void A_pair_exactly_on_the_radius_links_and_one_ulp_less_does_not(double ra0, double dec0)
    {
        foreach (var (ra, dec, r) in ExactPairs(ra0, dec0, 5))
        {
            Assert.Equal([0, 0], new CpuLinkEngine(1).Link(ra, dec, r));
            Assert.Equal([0, 1], new CpuLinkEngine(1).Link(ra, dec, Math.BitDecrement(r)));
            // Across a block edge too: the window of the lower row must reach exactly r.
            Assert.Equal([0, 0], BlockLinker.Link(new CpuLinkEngine(1), ra, dec, r, blockRows: 1));
        }
    }

    /// <summary>
    /// The point <paramref name="arcsec"/> from (ra, dec) towards position angle <paramref name="bearingDeg"/>, by
    /// vectors and atan2 (asin loses the digits that matter within a few arcsec of a pole).
    /// </summary>
    internal static (double Ra, double Dec) Offset(double ra, double dec, double arcsec, double bearingDeg)
    {
        double a = ra * Sky.DegToRad, b = dec * Sky.DegToRad, d = arcsec * Sky.ArcsecToRad, t = bearingDeg * Sky.DegToRad;
        // The point, and unit vectors east and north of it.
        double px = Math.Cos(b) * Math.Cos(a), py = Math.Cos(b) * Math.Sin(a), pz = Math.Sin(b);
        double ex = -Math.Sin(a), ey = Math.Cos(a);
        double nx = -Math.Sin(b) * Math.Cos(a), ny = -Math.Sin(b) * Math.Sin(a), nz = Math.Cos(b);
        double c = Math.Cos(d), s = Math.Sin(d);
        double qx = px * c + (ex * Math.Sin(t) + nx * Math.Cos(t)) * s;
        double qy = py * c + (ey * Math.Sin(t) + ny * Math.Cos(t)) * s;
        double qz = pz * c + nz * Math.Cos(t) * s;
        double ra2 = Math.Atan2(qy, qx) / Sky.DegToRad;
        if (ra2 < 0) ra2 += 360;
        return (ra2 >= 360 ? 0 : ra2, Math.Atan2(qz, Math.Sqrt(qx * qx + qy * qy)) / Sky.DegToRad);
    }

    /// <summary>
    /// Points in a patch of a few radii round (ra0, dec0), each with a partner at r(1 - 1e-9) or
    /// r(1 + 1e-9) in a random direction, and rings at distances from the pole that fall in the
    /// first, last and partial zones of the grid.
    /// </summary>
    internal static (double[] Ra, double[] Dec) HairPairs(int seed, double ra0, double dec0, double radius, int pairs)
    {
        var rng = new Random(seed);
        var ra = new List<double>(); var dec = new List<double>();
        for (int k = 0; k < pairs; k++)
        {
            var p = Offset(ra0, dec0, rng.NextDouble() * 4 * radius, rng.NextDouble() * 360);
            if (Math.Abs(dec0) > 89) p = (rng.NextDouble() * 360, dec0 > 0 ? 90 - rng.NextDouble() * 4 * radius / 3600 : -90 + rng.NextDouble() * 4 * radius / 3600);
            var q = Offset(p.Ra, p.Dec, radius * (k % 2 == 0 ? 1 - 1e-9 : 1 + 1e-9), rng.NextDouble() * 360);
            ra.Add(p.Ra); dec.Add(p.Dec); ra.Add(q.Ra); dec.Add(q.Dec);
        }
        return (ra.ToArray(), dec.ToArray());
    }

    [Theory]
    [InlineData(1, 0.0, 0.0, 2.0)]            // equator, across RA 0/360
    [InlineData(2, 0.0, 60.0, 2.0)]           // RA wrap where RA cells are twice as wide
    [InlineData(3, 180.0, 89.9995, 2.0)]      // north pole, zones that divide the sky evenly
    [InlineData(4, 10.0, 89.9995, 1.7)]       // north pole, a partial zone at the top
    [InlineData(5, 10.0, -89.9995, 1.7)]      // south pole, a partial zone at the bottom
    [InlineData(6, 0.0, 89.99, 0.7)]          // north pole, many zones of a few RA cells
    [InlineData(7, 359.9999, -89.998, 2.3)]   // south pole across RA 0/360
    [InlineData(8, 0.0, 88.0, 30.0)]          // a large radius, few cells a zone
    public void Pairs_a_hair_either_side_of_the_radius_match_brute_force(int seed, double ra0, double dec0, double radius)
    {
        var (ra, dec) = HairPairs(seed, ra0, dec0, radius, 300);
        var expected = new BruteForceLinkEngine().Link(ra, dec, radius);
        Assert.Equal(expected, new CpuLinkEngine(1).Link(ra, dec, radius));
        Assert.Equal(expected, new CpuLinkEngine(3, rowsPerTask: 5, cellsPerTask: 2).Link(ra, dec, radius));
        // The pairs r(1 - 1e-9) apart link, those r(1 + 1e-9) apart do not: the radius is tested, not only chained through.
        Assert.Equal(Enumerable.Range(0, 300).Select(k => k % 2 == 0).ToArray(),
            Enumerable.Range(0, 300).Select(k => Linked(ra, dec, 2 * k, 2 * k + 1, radius)).ToArray());
    }

    private static bool Linked(double[] ra, double[] dec, int i, int j, double radius)
    {
        var a = Sky.UnitVector(ra[i], dec[i]);
        var b = Sky.UnitVector(ra[j], dec[j]);
        return Sky.Within(a.X, a.Y, a.Z, b.X, b.Y, b.Z, Sky.ChordSquared(radius));
    }

    /// <summary>
    /// Two points at a time, so that no third one chains them: each pair is in the same cell or in
    /// neighbouring cells, and any cell too wide (a point pair in one cell is linked without a test)
    /// or any neighbour cell not searched shows. Near a pole the first zones are a few wedges or one
    /// ring, and a radius whose zones do not divide 90 deg leaves a partial zone at the pole.
    /// </summary>
    [Theory]
    [InlineData(90.0, 2.0)]
    [InlineData(-90.0, 2.0)]
    [InlineData(90.0, 1.7)]
    [InlineData(-90.0, 1.7)]
    [InlineData(90.0, 0.7)]
    [InlineData(-90.0, 2.3)]
    [InlineData(90.0, 5.0)]
    [InlineData(-90.0, 13.0)]
    [InlineData(0.0, 2.0)]       // RA 0/360 on the equator
    [InlineData(60.0, 2.0)]      // RA 0/360 where RA cells are twice as wide
    [InlineData(-85.0, 1.7)]
    public void Any_two_points_near_a_pole_or_ra_0_link_as_brute_force(double dec0, double radius)
    {
        var rng = new Random((int)(dec0 * 1000 + radius * 10));   // HashCode is seeded per process: not for inputs
        var brute = new BruteForceLinkEngine();
        var cpu = new CpuLinkEngine(1);
        int linked = 0;
        for (int t = 0; t < 3000; t++)
        {
            double[] ra = new double[2], dec = new double[2];
            for (int k = 0; k < 2; k++)
            {
                if (Math.Abs(dec0) == 90)
                {
                    // Within 3 radii of the pole, at any RA.
                    ra[k] = rng.NextDouble() * 360;
                    dec[k] = dec0 - Math.Sign(dec0) * rng.NextDouble() * 3 * radius / 3600;
                }
                else
                {
                    // Within 3 radii either side of RA 0.
                    double reach = 3 * radius / 3600 / Math.Cos(dec0 * Sky.DegToRad);
                    ra[k] = (rng.NextDouble() * 2 - 1) * reach;
                    if (ra[k] < 0) ra[k] += 360;
                    dec[k] = dec0 + (rng.NextDouble() * 2 - 1) * 2 * radius / 3600;
                }
            }
            int[] expected = brute.Link(ra, dec, radius);
            if (expected[1] == 0) linked++;
            Assert.True(expected.SequenceEqual(cpu.Link(ra, dec, radius)),
                FormattableString.Invariant($"({ra[0]:R}, {dec[0]:R}) and ({ra[1]:R}, {dec[1]:R}) at {radius}\": brute force says {expected[1] == 0}"));
        }
        // Both outcomes are common (about one pair in ten links beside RA 0, more at a pole).
        Assert.InRange(linked, 100, 2900);
    }

    /// <summary>
    /// Pairs round a pole a millionth of the radius either side of it, at every distance from the
    /// pole up to 2.5 radii: the widest pairs a wedge-shaped polar cell can hold. With 0.7" and 1.7"
    /// the zones do not divide 90 deg, so the zone at the north pole is partial and the next one's
    /// cells are planned from where it really ends.
    /// </summary>
    [Theory]
    [InlineData(90.0, 0.7)]
    [InlineData(90.0, 1.7)]
    [InlineData(90.0, 2.0)]
    [InlineData(-90.0, 2.0)]
    [InlineData(-90.0, 2.3)]
    public void Pairs_round_a_pole_a_hair_either_side_of_the_radius_link_as_brute_force(double pole, double radius)
    {
        var rng = new Random(17);
        var brute = new BruteForceLinkEngine();
        var cpu = new CpuLinkEngine(1);
        double r = radius / 3600;
        int linked = 0, cases = 0;
        for (int step = 0; step < 800; step++)
        {
            // Colatitudes (deg) of the two points, and their separation just under or over r.
            double c1 = r * (0.5 + 2.0 * step / 800), c2 = step % 4 < 2 ? c1 : Math.Max(1e-9, c1 + (rng.NextDouble() * 2 - 1) * r);
            double d = r * (step % 2 == 0 ? 1 - 1e-6 : 1 + 1e-6);
            // The pole is close enough to be flat at a millionth of r: d^2 = c1^2 + c2^2 - 2 c1 c2 cos(dphi).
            double cos = (c1 * c1 + c2 * c2 - d * d) / (2 * c1 * c2);
            if (cos < -1 || cos > 1) continue;
            double phi = rng.NextDouble() * 360, dphi = Math.Acos(cos) / Sky.DegToRad;
            double[] ra = [phi, (phi + dphi) % 360];
            double[] dec = [pole - Math.Sign(pole) * c1, pole - Math.Sign(pole) * c2];
            int[] expected = brute.Link(ra, dec, radius);
            cases++;
            if (expected[1] == 0) linked++;
            Assert.True(expected.SequenceEqual(cpu.Link(ra, dec, radius)),
                FormattableString.Invariant($"({ra[0]:R}, {dec[0]:R}) and ({ra[1]:R}, {dec[1]:R}) at {radius}\": brute force says {expected[1] == 0}"));
        }
        Assert.InRange(linked, cases / 3, 2 * cases / 3);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Pairs_on_the_radius_across_block_edges_match_brute_force(int blockRows)
    {
        // Each pair 2" apart in Dec with a radius exactly its boundary: every block edge falls
        // between the rows of a pair whose Dec gap is r to the last bit or so.
        foreach (var (pra, pdec, r) in ExactPairs(123.0, -10.0, 3))
        {
            var ra = new List<double>(); var dec = new List<double>();
            for (int k = 0; k < 8; k++)
            {
                // The same pair moved up in Dec and along in RA, and a field row between.
                ra.AddRange([pra[0] + k * 0.1, pra[1] + k * 0.1, pra[0] + k * 0.1 + 0.05]);
                dec.AddRange([pdec[0] + k * 1e-3, pdec[1] + k * 1e-3, pdec[1] + k * 1e-3 + 1e-4]);
            }
            int[] order = Enumerable.Range(0, ra.Count).OrderBy(i => dec[i]).ToArray();
            double[] sra = order.Select(i => ra[i]).ToArray(), sdec = order.Select(i => dec[i]).ToArray();
            var expected = new BruteForceLinkEngine().Link(sra, sdec, r);
            Assert.Equal(expected, BlockLinker.Link(new CpuLinkEngine(1), sra, sdec, r, blockRows));
        }
    }

    [Fact]
    public void Ra_beyond_0_and_360_links_where_it_lies_on_the_sky()
    {
        // 360.5 is 0.5 deg from 359.9999, not in its cell; -0.0001 and 720.0002 lie 0.36" and 0.72" from RA 0.
        double[] ra = [359.9999, 360.5, 360.0, 0.0, -0.0001, 720.0002, 0.5, -359.5];
        double[] dec = [0, 0, 0, 1e-4, 0, 0, 30, 30];
        var expected = new BruteForceLinkEngine().Link(ra, dec, 2.0);
        Assert.Equal([0, 1, 0, 0, 0, 0, 6, 6], expected);
        Assert.Equal(expected, new CpuLinkEngine(1).Link(ra, dec, 2.0));
        Assert.Equal(expected, new CpuLinkEngine(3, rowsPerTask: 2, cellsPerTask: 1).Link(ra, dec, 2.0));
    }

    [Fact]
    public void Candidate_ids_are_the_smallest_cntr_whatever_the_row_order()
    {
        // Components {0, 2, 4} and {1, 3}, labelled by some row of each; the smallest cntr is
        // neither the first row's nor the label row's.
        int[] labels = [2, 3, 2, 3, 2];
        long[] cntr = [50, 70, 40, 60, 45];
        Assert.Equal([40L, 60, 40, 60, 40], Components.CandidateIds(labels, cntr));
        Assert.Equal(2, Components.Count([0, 1, 0, 1, 0]));
    }
}
