using Wdb.Core;
using Wdb.Merge;
using Wdb.Merge.Link;

namespace Wdb.Tests.Link;

public class CpuLinkEngineTests
{
    /// <summary>Random points: clumps of a few members scattered over a patch, plus field points.</summary>
    internal static (double[] Ra, double[] Dec) Patch(int seed, int n, double raCenter, double decCenter, double halfWidthArcsec)
    {
        var rng = new Random(seed);
        var ra = new double[n]; var dec = new double[n];
        double cosd = Math.Max(Math.Cos(decCenter * Sky.DegToRad), 1e-6);
        for (int i = 0; i < n; i++)
        {
            double dra = (rng.NextDouble() * 2 - 1) * halfWidthArcsec / 3600.0 / cosd;
            double ddec = (rng.NextDouble() * 2 - 1) * halfWidthArcsec / 3600.0;
            double d = Math.Clamp(decCenter + ddec, -90, 90);
            double r = ((raCenter + dra) % 360 + 360) % 360;
            if (r >= 360) r = 0;
            ra[i] = r; dec[i] = d;
        }
        return (ra, dec);
    }

    private static void AssertSameAsBruteForce(double[] ra, double[] dec, double radius, int threads = 2)
    {
        var expected = new BruteForceLinkEngine().Link(ra, dec, radius);
        var actual = new CpuLinkEngine(threads).Link(ra, dec, radius);
        Assert.Equal(expected, actual);
        // The grid's passes cut into many small tasks on several threads: task boundaries inside
        // cells and zones, roots' minimums raced for.
        Assert.Equal(expected, new CpuLinkEngine(4, rowsPerTask: 7, cellsPerTask: 3).Link(ra, dec, radius));
    }

    [Theory]
    [InlineData(1, 180.0, 0.0, 30.0, 2.0)]        // equator, dense enough to chain
    [InlineData(2, 0.0, 0.0, 20.0, 2.0)]          // straddles RA 0/360
    [InlineData(3, 0.0, 60.0, 20.0, 2.0)]         // RA wrap at high dec
    [InlineData(4, 45.0, 89.9995, 6.0, 2.0)]      // around the north pole
    [InlineData(5, 200.0, -89.9998, 4.0, 2.0)]    // around the south pole
    [InlineData(6, 123.0, -30.0, 60.0, 5.0)]      // extended-source radius
    [InlineData(7, 10.0, 45.0, 10.0, 0.5)]        // small radius
    [InlineData(8, 300.0, 85.0, 300.0, 30.0)]     // large radius near the pole
    public void Equals_brute_force(int seed, double ra0, double dec0, double halfWidth, double radius)
    {
        for (int rep = 0; rep < 4; rep++)
        {
            var (ra, dec) = Patch(seed * 100 + rep, 400, ra0, dec0, halfWidth);
            AssertSameAsBruteForce(ra, dec, radius);
        }
    }

    [Fact]
    public void Points_on_the_pole_and_across_it_link()
    {
        double[] ra = [0.0, 90.0, 180.0, 270.0, 0.0];
        double[] dec = [90.0, 90.0 - 1.5 / 3600, 90.0 - 1.5 / 3600, 90.0 - 1.9 / 3600, 90.0 - 10.0 / 3600];
        var labels = new CpuLinkEngine().Link(ra, dec, 2.0);
        Assert.Equal([0, 0, 0, 0, 4], labels);
        AssertSameAsBruteForce(ra, dec, 2.0);
    }

    [Fact]
    public void Radius_is_inclusive_at_the_chord_boundary()
    {
        // Two points 2.0" apart in Dec, up to rounding: linked exactly when the shared predicate says so.
        double[] ra = [10.0, 10.0, 10.0];
        double[] dec = [0.0, 2.0 / 3600, 2.0 / 3600 + 2.0001 / 3600];
        var a = Sky.UnitVector(ra[0], dec[0]); var b = Sky.UnitVector(ra[1], dec[1]);
        bool linked = Sky.Within(a.X, a.Y, a.Z, b.X, b.Y, b.Z, Sky.ChordSquared(2.0));
        var labels = new CpuLinkEngine().Link(ra, dec, 2.0);
        Assert.Equal(linked, labels[1] == 0);
        Assert.Equal(2, labels[2]);
        AssertSameAsBruteForce(ra, dec, 2.0);
    }

    [Fact]
    public void Dense_clump_is_one_component_and_neighbour_stays_apart()
    {
        var (ra, dec) = Patch(42, 3000, 150.0, 2.0, 0.5);
        var ra2 = ra.Append(150.0 + 4.0 / 3600).ToArray();
        var dec2 = dec.Append(2.0).ToArray();
        var labels = new CpuLinkEngine().Link(ra2, dec2, 2.0);
        Assert.All(labels.Take(3000), l => Assert.Equal(0, l));
        Assert.Equal(3000, labels[3000]);
    }

    [Fact]
    public void Result_does_not_depend_on_order_or_threads()
    {
        var (ra, dec) = Patch(9, 2000, 359.99, -0.01, 60);
        long[] cntr = Enumerable.Range(0, ra.Length).Select(i => 1000L + 7 * i).ToArray();
        var reference = Components.CandidateIds(new CpuLinkEngine(1).Link(ra, dec, 2.0), cntr);
        var rng = new Random(5);
        for (int rep = 0; rep < 3; rep++)
        {
            int[] perm = Enumerable.Range(0, ra.Length).OrderBy(_ => rng.Next()).ToArray();
            var pra = perm.Select(i => ra[i]).ToArray(); var pdec = perm.Select(i => dec[i]).ToArray();
            var pc = perm.Select(i => cntr[i]).ToArray();
            var cg = Components.CandidateIds(new CpuLinkEngine(rep + 1).Link(pra, pdec, 2.0), pc);
            for (int k = 0; k < perm.Length; k++) Assert.Equal(reference[perm[k]], cg[k]);
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 2)]
    [InlineData(4, 64, 16)]
    [InlineData(8, 1000, 1)]
    public void Dense_cells_cut_into_many_tasks_equal_brute_force(int threads, int rowsPerTask, int cellsPerTask)
    {
        // Calibration-like: a few sources seen hundreds of times (cells of many points), a chain
        // of near neighbours across zones, and field points.
        var rng = new Random(threads * 31 + rowsPerTask);
        var ra = new List<double>(); var dec = new List<double>();
        for (int s = 0; s < 6; s++)
        {
            double r0 = 10 + s * 8.0 / 3600, d0 = -20 + (s % 3) * 5.0 / 3600;
            for (int k = 0; k < 150; k++) { ra.Add(r0 + (rng.NextDouble() - 0.5) * 0.6 / 3600); dec.Add(d0 + (rng.NextDouble() - 0.5) * 0.6 / 3600); }
        }
        for (int k = 0; k < 40; k++) { ra.Add(10 + 60.0 / 3600); dec.Add(-20 + k * 1.9 / 3600); }
        var (fra, fdec) = Patch(threads, 300, 10.01, -19.99, 60);
        ra.AddRange(fra); dec.AddRange(fdec);
        int[] perm = Enumerable.Range(0, ra.Count).OrderBy(_ => rng.Next()).ToArray();
        double[] pra = perm.Select(i => ra[i]).ToArray(), pdec = perm.Select(i => dec[i]).ToArray();
        var expected = new BruteForceLinkEngine().Link(pra, pdec, 2.0);
        Assert.Equal(expected, new CpuLinkEngine(threads, rowsPerTask, cellsPerTask).Link(pra, pdec, 2.0));
    }

    [Fact]
    public void Empty_and_single_inputs()
    {
        Assert.Empty(new CpuLinkEngine().Link([], [], 2.0));
        Assert.Equal([0], new CpuLinkEngine().Link([12.0], [-5.0], 2.0));
    }
}

public class BlockLinkerTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(1000)]
    [InlineData(100000)]
    public void Components_do_not_depend_on_block_size(int blockRows)
    {
        // A dec-sorted strip dense enough to chain across many block boundaries.
        var (ra, dec) = CpuLinkEngineTests.Patch(77, 1500, 0.0, 0.0, 40);
        var order = Enumerable.Range(0, ra.Length).OrderBy(i => dec[i]).ToArray();
        ra = order.Select(i => ra[i]).ToArray(); dec = order.Select(i => dec[i]).ToArray();
        var expected = new BruteForceLinkEngine().Link(ra, dec, 2.0);
        var actual = BlockLinker.Link(new CpuLinkEngine(2), ra, dec, 2.0, blockRows);
        Assert.Equal(expected, actual);
        // The windows stitched in small tasks on several threads, in whatever order they run.
        Assert.Equal(expected, BlockLinker.LinkInBlocks(new CpuLinkEngine(3), ra, dec, 2.0, blockRows, threads: 4, rowsPerTask: 5));
    }
}
