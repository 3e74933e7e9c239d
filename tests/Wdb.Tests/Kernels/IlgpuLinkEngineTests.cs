using CsCheck;
using Wdb.Core;
using Wdb.Kernels;

namespace Wdb.Tests.Kernels;

/// <summary>One CPU-accelerator engine for the whole class: compiling the kernels is the slow part.</summary>
public sealed class CpuEngineFixture : IDisposable
{
    public IlgpuLinkEngine Engine { get; }

    public CpuEngineFixture()
    {
        Engine = IlgpuLinkEngine.TryCreate(IlgpuDevice.Cpu, out string? whyNot)
            ?? throw new InvalidOperationException($"ILGPU CPU accelerator must always exist: {whyNot}");
    }

    public void Dispose() => Engine.Dispose();
}

/// <summary>
/// The ILGPU link engine on ILGPU's CPU accelerator against an O(n^2) brute force over
/// <see cref="Sky.Within"/>: labels must be equal element for element (both are the
/// smallest row of the component).
/// </summary>
public class IlgpuLinkEngineTests(CpuEngineFixture fixture) : IClassFixture<CpuEngineFixture>
{
    private readonly IlgpuLinkEngine engine = fixture.Engine;

    private void AssertMatchesBruteForce(double[] ra, double[] dec, double radiusArcsec)
    {
        int[] expected = LinkTestData.BruteForce(ra, dec, radiusArcsec);
        int[] actual = engine.Link(ra, dec, radiusArcsec);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Device_name_says_cpu()
    {
        Assert.StartsWith("ilgpu cpu", engine.DeviceName);
    }

    [Fact]
    public void Empty_input_gives_no_labels()
    {
        Assert.Empty(engine.Link([], [], 2.0));
    }

    [Fact]
    public void One_point_is_its_own_component()
    {
        Assert.Equal([0], engine.Link([123.4], [-56.7], 2.0));
    }

    [Theory]
    [InlineData(1, 2.0, 0.0, 0.02)]
    [InlineData(2, 2.0, 45.0, 0.02)]
    [InlineData(3, 5.0, -70.0, 0.06)]
    [InlineData(13, 600.0, 20.0, 2.0)] // 10' radius: big cells, long chains
    public void Clustered_sets_match_brute_force(int seed, double radius, double decCentre, double patchDeg)
    {
        var (ra, dec) = LinkTestData.Clustered(seed, 400, 40, 150.0, decCentre, patchDeg, 1.5);
        int[] expected = LinkTestData.BruteForce(ra, dec, radius);
        // Guard against a vacuous test: the set must have both merged and separate groups.
        int components = LinkTestData.ComponentCount(expected);
        Assert.InRange(components, 20, 300);
        Assert.Equal(expected, engine.Link(ra, dec, radius));
    }

    [Fact]
    public void Groups_across_ra_zero_match_brute_force()
    {
        var (ra, dec) = LinkTestData.Clustered(4, 300, 30, 0.0, 12.0, 0.01, 1.5);
        int wrapped = 0;
        foreach (double r in ra) if (r > 359.0) wrapped++;
        Assert.InRange(wrapped, 30, 270); // both sides of 0/360 are populated
        var expected = LinkTestData.BruteForce(ra, dec, 2.0);
        // At least one component must hold rows from both sides of the seam.
        bool crosses = false;
        for (int i = 0; i < ra.Length; i++)
            if ((ra[i] > 359.0) != (ra[expected[i]] > 359.0)) crosses = true;
        Assert.True(crosses);
        Assert.Equal(expected, engine.Link(ra, dec, 2.0));
    }

    [Theory]
    [InlineData(89.9999)]
    [InlineData(-89.9999)]
    public void Groups_at_the_poles_match_brute_force(double decCentre)
    {
        var (ra, dec) = LinkTestData.Clustered(5, 300, 20, 0.0, decCentre, 0.001, 1.0);
        // Four points on a 0.36" circle around the pole: opposite ones are 0.72" apart.
        double ring = Math.Sign(decCentre) * 89.9999;
        ra = [.. ra, 0, 90, 180, 270];
        dec = [.. dec, ring, ring, ring, ring];
        AssertMatchesBruteForce(ra, dec, 2.0);
        AssertMatchesBruteForce(ra, dec, 0.5);
        AssertMatchesBruteForce(ra, dec, 0.6);
    }

    [Fact]
    public void Ring_around_the_pole_links_across_it()
    {
        double[] ra = [0, 180];
        double[] dec = [89.9999, 89.9999]; // 0.72" apart through the pole, 180 deg apart in RA
        Assert.Equal([0, 0], engine.Link(ra, dec, 0.73));
        Assert.Equal([0, 1], engine.Link(ra, dec, 0.71));
    }

    [Fact]
    public void Exact_boundary_pairs_follow_the_inclusive_predicate()
    {
        // Pairs 2" apart in Dec at many RAs: their squared chords differ only by rounding, so
        // with the radius put exactly on the boundary of pair 0 some pairs link and some do
        // not, decided by the last bit of Sky.Within.
        var (ra, dec) = LinkTestData.BoundaryPairs(60, 10.0, 30.0, 0.01, 0.0);
        double r = LinkTestData.BoundaryRadius(ra, dec, 0, 1);
        double below = Math.BitDecrement(r);

        int[] at = engine.Link(ra, dec, r);
        int[] under = engine.Link(ra, dec, below);
        Assert.Equal(0, at[1]);   // inclusive: exactly on the radius links
        Assert.Equal(1, under[1]); // one ulp less does not
        Assert.Equal(LinkTestData.BruteForce(ra, dec, r), at);
        Assert.Equal(LinkTestData.BruteForce(ra, dec, below), under);
        int linkedAt = 0, linkedUnder = 0;
        for (int k = 0; k < 60; k++)
        {
            if (at[2 * k + 1] == 2 * k) linkedAt++;
            if (under[2 * k + 1] == 2 * k) linkedUnder++;
        }
        // The boundary really cuts through the pairs: rounding alone decides ~1/3 of them.
        Assert.InRange(linkedAt, 10, 50);
        Assert.True(linkedUnder < linkedAt);
    }

    [Fact]
    public void Dense_clump_is_one_component()
    {
        // 500 points within 1" (a calibration-tile source) plus neighbours 1.5"-4" away.
        var rng = new Random(6);
        var ra = new List<double>();
        var dec = new List<double>();
        for (int i = 0; i < 500; i++)
        {
            double rho = 0.5 * Math.Sqrt(rng.NextDouble()) / 3600, phi = 2 * Math.PI * rng.NextDouble();
            dec.Add(-20.0 + rho * Math.Sin(phi));
            ra.Add(200.0 + rho * Math.Cos(phi) / Math.Cos(20.0 * Sky.DegToRad));
        }
        for (int i = 0; i < 40; i++)
        {
            double rho = (1.5 + 2.5 * rng.NextDouble()) / 3600, phi = 2 * Math.PI * rng.NextDouble();
            dec.Add(-20.0 + rho * Math.Sin(phi));
            ra.Add(200.0 + rho * Math.Cos(phi) / Math.Cos(20.0 * Sky.DegToRad));
        }
        int[] expected = LinkTestData.BruteForce([.. ra], [.. dec], 2.0);
        int[] actual = engine.Link([.. ra], [.. dec], 2.0);
        Assert.Equal(expected, actual);
        for (int i = 0; i < 500; i++) Assert.Equal(0, actual[i]);
    }

    [Theory]
    [InlineData(0.0)]    // only identical positions link
    [InlineData(0.001)]  // below the collapse limit: cells are not collapsed
    public void Tiny_radii_match_brute_force(double radius)
    {
        var (ra, dec) = LinkTestData.Clustered(7, 200, 20, 75.0, 5.0, 0.0001, 0.002);
        ra = [.. ra, .. ra[..30]]; // exact duplicates
        dec = [.. dec, .. dec[..30]];
        AssertMatchesBruteForce(ra, dec, radius);
    }

    [Fact]
    public void Whole_sky_block_with_small_radius_matches_brute_force()
    {
        // Extent 2 with 21-bit coordinates forces cells wider than the collapse limit at 0.1".
        var rng = new Random(8);
        var ra = new List<double>();
        var dec = new List<double>();
        for (int i = 0; i < 150; i++)
        {
            double r0 = 360 * rng.NextDouble(), d0 = Math.Asin(2 * rng.NextDouble() - 1) / Sky.DegToRad;
            ra.Add(r0); dec.Add(d0);
            ra.Add(r0); dec.Add(Math.Clamp(d0 + 0.09 * rng.NextDouble() / 3600, -90, 90));
        }
        var grid = LinkGrid.Plan([1.0, -1.0], [1.0, -1.0], [1.0, -1.0], 0.1);
        Assert.Equal(0, grid.Collapsed);
        AssertMatchesBruteForce([.. ra], [.. dec], 0.1);
    }

    [Fact]
    public void Non_finite_rows_link_to_nothing()
    {
        double[] ra = [10.0, double.NaN, 10.0, double.PositiveInfinity, 10.0];
        double[] dec = [0.0, 0.0, 0.0, 0.0, double.NaN];
        Assert.Equal([0, 1, 0, 3, 4], engine.Link(ra, dec, 2.0));
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Shuffled_input_gives_the_same_partition(int seed)
    {
        var (ra, dec) = LinkTestData.Clustered(seed, 300, 25, 300.0, -40.0, 0.01, 1.5);
        int[] direct = engine.Link(ra, dec, 2.0);
        var (sRa, sDec, perm) = LinkTestData.Shuffle(ra, dec, seed + 100);
        int[] shuffled = LinkTestData.CanonicalFromPermuted(engine.Link(sRa, sDec, 2.0), perm);
        Assert.Equal(direct, shuffled);
        Assert.InRange(LinkTestData.ComponentCount(direct), 10, 290);
    }

    [Fact]
    public void Random_small_sets_match_brute_force()
    {
        // Patches from 0.5" to 30" anywhere (poles and RA 0 over-weighted), 20% exact duplicates.
        var centreDec = Gen.OneOf(Gen.Double[-90, 90], Gen.Const(89.9999), Gen.Const(-89.9999), Gen.Double[-1, 1]);
        var centreRa = Gen.OneOf(Gen.Double[0, 360], Gen.Const(0.0), Gen.Const(359.99999));
        var radius = Gen.OneOf(Gen.Double[0, 5], Gen.Const(2.0));
        Gen.Select(Gen.Int[0, 60], centreRa, centreDec, Gen.Double[0.5, 30], radius, Gen.Int[0, int.MaxValue])
            .Sample((n, ra0, dec0, patch, r, seed) =>
            {
                var rng = new Random(seed);
                var ra = new double[n];
                var dec = new double[n];
                for (int i = 0; i < n; i++)
                {
                    if (i > 0 && rng.NextDouble() < 0.2)
                    {
                        int j = rng.Next(i);
                        (ra[i], dec[i]) = (ra[j], dec[j]);
                        continue;
                    }
                    dec[i] = Math.Clamp(dec0 + (rng.NextDouble() - 0.5) * patch / 3600, -90, 90);
                    double cosDec = Math.Max(Math.Cos(dec[i] * Sky.DegToRad), 1e-6);
                    ra[i] = LinkTestData.Wrap(ra0 + (rng.NextDouble() - 0.5) * patch / 3600 / cosDec);
                }
                Assert.Equal(LinkTestData.BruteForce(ra, dec, r), engine.Link(ra, dec, r));
            }, iter: 8, threads: 1); // ~0.15 s per Link on the CPU accelerator
    }

    /// <summary>
    /// The engine keeps its buffers between links and only grows them: a small block after a
    /// large one must not see the large one's leftovers (cells, keys, roots past its end), and
    /// non-finite rows in any block must not shift the others.
    /// </summary>
    [Fact]
    public void Blocks_of_changing_size_reuse_buffers_without_leftovers()
    {
        using var fresh = IlgpuLinkEngine.TryCreate(IlgpuDevice.Cpu, out string? whyNot) ?? throw new InvalidOperationException(whyNot);
        int[] sizes = [3000, 40, 1, 2500, 0, 700, 3100];
        for (int k = 0; k < sizes.Length; k++)
        {
            var (ra, dec) = LinkTestData.Clustered(40 + k, sizes[k], Math.Max(1, sizes[k] / 8), 10.0 * k, 5.0 * k - 20, 0.03, 1.5);
            if (k % 2 == 1 && ra.Length > 2) { ra[1] = double.NaN; dec[^1] = double.PositiveInfinity; }
            Assert.Equal(LinkTestData.BruteForce(ra, dec, 2.0), fresh.Link(ra, dec, 2.0));
        }
    }

    /// <summary>
    /// Unit vectors are computed and uploaded chunk by chunk; with chunks of a few rows the
    /// parts, the compaction of non-finite rows and the uploads cross many chunk edges, some
    /// chunks holding no finite row at all.
    /// </summary>
    [Theory]
    [InlineData(1, false)]
    [InlineData(7, false)]
    [InlineData(64, false)]
    [InlineData(7, true)]
    [InlineData(64, true)]
    public void Small_upload_chunks_give_the_same_labels(int chunkRows, bool hostVectors)
    {
        using var chunked = IlgpuLinkEngine.TryCreate(IlgpuDevice.Cpu, out string? whyNot) ?? throw new InvalidOperationException(whyNot);
        chunked.UploadChunkRows = chunkRows;
        chunked.HostVectors = hostVectors; // ra and dec go up chunk by chunk, or the exact vectors do
        var (ra, dec) = LinkTestData.Clustered(77, 600, 60, 359.99, 0.0, 0.02, 1.5);
        for (int i = 100; i < 130; i++) ra[i] = double.NaN; // whole chunks without a finite row
        dec[599] = double.NegativeInfinity;
        int[] expected = LinkTestData.BruteForce(ra, dec, 2.0);
        Assert.Equal(expected, chunked.Link(ra, dec, 2.0));
        var trace = new LinkTrace();
        Assert.Equal(expected, chunked.Link(ra, dec, 2.0, trace));
        Assert.All(trace.Check(), line => Assert.True(line.EndsWith(": ok") || line.Contains("well formed") || line.StartsWith("unit vectors: ok"), line));
    }

    /// <summary>
    /// With a tolerance of a tenth of the chord, hundreds of pairs of a clustered set lie near
    /// the radius and are settled on the host; the labels must still be brute force's, and the
    /// trace must show the hand-over.
    /// </summary>
    [Fact]
    public void Pairs_near_the_radius_are_settled_on_the_host()
    {
        using var wide = IlgpuLinkEngine.TryCreate(IlgpuDevice.Cpu, out string? whyNot) ?? throw new InvalidOperationException(whyNot);
        wide.PointTolerance = Math.Sqrt(Sky.ChordSquared(2.0)) / 10;
        var (ra, dec) = LinkTestData.Clustered(31, 800, 60, 120.0, 30.0, 0.02, 1.5);
        ra[5] = double.NaN; // compact indices and rows differ
        int[] expected = LinkTestData.BruteForce(ra, dec, 2.0);
        var trace = new LinkTrace();
        Assert.Equal(expected, wide.Link(ra, dec, 2.0, trace));
        Assert.InRange(trace.MaybePairs, 50, 100_000);
        Assert.InRange(trace.MaybeLinked, 1, trace.MaybePairs - 1);
        Assert.All(trace.Check(), line => Assert.True(line.EndsWith(": ok") || line.Contains("well formed") || line.StartsWith("unit vectors: ok"), line));
        // More pairs than the room kept for them: the link runs again with room for all.
        var many = LinkTestData.Clustered(32, 9000, 1, 10.0, 10.0, 0.0, 1.0);
        Assert.Equal(LinkTestData.BruteForce(many.Ra, many.Dec, 2.0), wide.Link(many.Ra, many.Dec, 2.0));
    }

    /// <summary>Exact vectors made on the host (asked for, or forced by an angle beyond the device's domain) give the same labels.</summary>
    [Fact]
    public void Host_made_vectors_give_the_same_labels()
    {
        using var host = IlgpuLinkEngine.TryCreate(IlgpuDevice.Cpu, out string? whyNot) ?? throw new InvalidOperationException(whyNot);
        host.HostVectors = true;
        var (ra, dec) = LinkTestData.Clustered(33, 700, 50, 0.0, -60.0, 0.02, 1.5);
        int[] expected = LinkTestData.BruteForce(ra, dec, 2.0);
        var trace = new LinkTrace();
        Assert.Equal(expected, host.Link(ra, dec, 2.0, trace));
        Assert.Empty(trace.Ra);
        Assert.Equal(0, trace.MaybePairs);

        // Radius 0 links exact duplicates only; the device's tolerance would make every one of them
        // a pair for the host, so the host makes the vectors.
        double[] dupRa = [.. ra[..200], .. ra[..200]], dupDec = [.. dec[..200], .. dec[..200]];
        trace = new LinkTrace();
        Assert.Equal(LinkTestData.BruteForce(dupRa, dupDec, 0.0), engine.Link(dupRa, dupDec, 0.0, trace));
        Assert.Empty(trace.Ra);
        Assert.Equal(0, trace.MaybePairs);

        // 1e6 degrees is the same place as 1e6 mod 360; beyond the device's reduction, so the host makes every vector.
        double[] far = [.. ra, 1e6, 1e6 % 360];
        double[] farDec = [.. dec, 20.0, 20.0];
        trace = new LinkTrace();
        int[] labels = engine.Link(far, farDec, 2.0, trace);
        Assert.Equal(LinkTestData.BruteForce(far, farDec, 2.0), labels);
        Assert.Empty(trace.Ra);
    }

    /// <summary>
    /// Pairs whose squared chord is exactly that of the radius link, one ulp of radius less does not:
    /// with vectors made on the device (every such pair is settled on the host) and made on the host
    /// (decided on the device against the radius itself).
    /// </summary>
    [Fact]
    public void Pairs_exactly_on_the_radius_link_with_device_and_host_vectors()
    {
        using var host = IlgpuLinkEngine.TryCreate(IlgpuDevice.Cpu, out string? whyNot) ?? throw new InvalidOperationException(whyNot);
        host.HostVectors = true;
        foreach (var (ra, dec, r) in Link.LinkBoundaryTests.ExactPairs(10.0, 30.0, 4).Concat(Link.LinkBoundaryTests.ExactPairs(359.999, -45.0, 4)))
            foreach (var e in new[] { engine, host })
            {
                Assert.Equal([0, 0], e.Link(ra, dec, r));
                Assert.Equal([0, 1], e.Link(ra, dec, Math.BitDecrement(r)));
            }
    }

    /// <summary>
    /// Chains of pairs near the radius settled on the host: with a tolerance of a tenth of the chord
    /// every link of a chain of points 1.9" apart is left to the host, so its roots are joined in
    /// several steps, in whatever order the pairs come.
    /// </summary>
    [Fact]
    public void Chains_settled_on_the_host_end_at_their_smallest_row()
    {
        using var wide = IlgpuLinkEngine.TryCreate(IlgpuDevice.Cpu, out string? whyNot) ?? throw new InvalidOperationException(whyNot);
        wide.PointTolerance = Math.Sqrt(Sky.ChordSquared(2.0)) / 10;
        var ra = new List<double>(); var dec = new List<double>();
        for (int c = 0; c < 5; c++)
            for (int k = 0; k < 40; k++) { ra.Add(50.0 + c * 0.01); dec.Add(-5.0 + k * 1.9 / 3600); }
        var (sra, sdec, _) = LinkTestData.Shuffle(ra.ToArray(), dec.ToArray(), 7);
        var trace = new LinkTrace();
        Assert.Equal(LinkTestData.BruteForce(sra, sdec, 2.0), wide.Link(sra, sdec, 2.0, trace));
        Assert.True(trace.MaybeLinked >= 100, $"{trace.MaybeLinked} pairs linked on the host");
    }

    [Theory]
    [InlineData(1, 0.0, 0.0, 2.0)]
    [InlineData(4, 10.0, 89.9995, 1.7)]
    [InlineData(5, 10.0, -89.9995, 1.7)]
    [InlineData(7, 359.9999, -89.998, 2.3)]
    public void Pairs_a_hair_either_side_of_the_radius_match_brute_force(int seed, double ra0, double dec0, double radius)
    {
        var (ra, dec) = Link.LinkBoundaryTests.HairPairs(seed, ra0, dec0, radius, 300);
        AssertMatchesBruteForce(ra, dec, radius);
    }

    [Fact]
    public void Only_non_finite_rows_are_each_their_own_component()
    {
        Assert.Equal([0, 1, 2], engine.Link([double.NaN, 1.0, double.NaN], [0.0, double.NaN, double.NaN], 2.0));
    }

    [Fact]
    public void Bad_arguments_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => engine.Link([1.0], [], 2.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.Link([1.0], [1.0], -1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.Link([1.0], [1.0], double.NaN));
    }
}

/// <summary>
/// The same checks on real accelerators. Where TryCreate finds no such device (CI, this
/// machine) the test returns early and passes: they are meant for the GPU machine, where
/// they prove the CUDA/OpenCL path gives the CPU's membership bit for bit.
/// </summary>
public class IlgpuLinkEngineDeviceTests
{
    [Theory]
    [InlineData(IlgpuDevice.Cuda)]
    [InlineData(IlgpuDevice.OpenCL)]
    public void Accelerator_matches_brute_force(IlgpuDevice device)
    {
        using var engine = IlgpuLinkEngine.TryCreate(device, out string? whyNot);
        if (engine is null)
        {
            Assert.False(string.IsNullOrEmpty(whyNot));
            return; // no such device here
        }
        var (ra, dec) = LinkTestData.Clustered(21, 2000, 150, 45.0, 89.99, 0.05, 1.5);
        Assert.Equal(LinkTestData.BruteForce(ra, dec, 2.0), engine.Link(ra, dec, 2.0));
        var (wRa, wDec) = LinkTestData.Clustered(22, 1000, 100, 0.0, -30.0, 0.02, 1.5);
        Assert.Equal(LinkTestData.BruteForce(wRa, wDec, 2.0), engine.Link(wRa, wDec, 2.0));
        // Boundary pairs: the last bit of the squared chord decides, so FMA contraction
        // on the device would show here.
        var (bRa, bDec) = LinkTestData.BoundaryPairs(200, 0.0, -60.0, 0.003, 0.001);
        for (int k = 0; k < 10; k++)
        {
            double r = LinkTestData.BoundaryRadius(bRa, bDec, 2 * k, 2 * k + 1);
            Assert.Equal(LinkTestData.BruteForce(bRa, bDec, r), engine.Link(bRa, bDec, r));
            double below = Math.BitDecrement(r);
            Assert.Equal(LinkTestData.BruteForce(bRa, bDec, below), engine.Link(bRa, bDec, below));
        }
    }

    /// <summary>
    /// A merge makes the engine on one thread, links zones on others and disposes it on a
    /// third. A CUDA context is current per thread: on an H200 the copies of a link on a fresh
    /// thread failed ("invalid device context") and the disposal could not unregister the
    /// page-locked buffers, until the engine bound itself on each call.
    /// </summary>
    [Theory]
    [InlineData(IlgpuDevice.Cuda)]
    [InlineData(IlgpuDevice.OpenCL)]
    [InlineData(IlgpuDevice.Cpu)]
    public async Task Links_and_disposal_on_other_threads_than_the_making(IlgpuDevice device)
    {
        var engine = await Task.Run(() => IlgpuLinkEngine.TryCreate(device, out _));
        if (engine is null) return; // no such device here
        var (ra, dec) = LinkTestData.Clustered(23, 1500, 120, 200.0, 10.0, 0.03, 1.5);
        int[] expected = LinkTestData.BruteForce(ra, dec, 2.0);
        for (int round = 0; round < 3; round++)
        {
            int rows = 1000 + 250 * round;
            int[]? labels = null;
            OnNewThread(() => labels = engine.Link(ra.AsSpan(0, rows), dec.AsSpan(0, rows), 2.0));
            Assert.Equal(LinkTestData.BruteForce(ra[..rows], dec[..rows], 2.0), labels);
        }
        Assert.Equal(expected, engine.Link(ra, dec, 2.0));
        OnNewThread(engine.Dispose);
    }

    /// <summary>Runs the action on a thread of its own and rethrows what it threw.</summary>
    private static void OnNewThread(Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { action(); }
            catch (Exception e) { failure = e; }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException("failed on another thread", failure);
    }

    /// <summary>
    /// A dense calibration tile, where the roots kernel once raced on an H100 (10 rows of 3.25 M,
    /// different ones each run): every stage must equal its reference, and five runs must agree
    /// with the CPU engine. On the ILGPU CPU accelerator too (smaller), so the test runs in CI.
    /// </summary>
    [Theory]
    [InlineData(IlgpuDevice.Cuda, 1500)]
    [InlineData(IlgpuDevice.OpenCL, 1500)]
    [InlineData(IlgpuDevice.Cpu, 15)]
    public void A_dense_tile_checks_stage_by_stage_and_repeats_exactly(IlgpuDevice device, int sources)
    {
        using var engine = IlgpuLinkEngine.TryCreate(device, out string? whyNot);
        if (engine is null)
        {
            Assert.False(string.IsNullOrEmpty(whyNot));
            return; // no such device here
        }
        var block = Wdb.IO.SyntheticSky.Generate(new Wdb.IO.GeneratorOptions(Wdb.IO.SkyKind.CalTile, sources, 11));
        block.Permute(Wdb.Merge.DeclinationSort.Order(block));
        double[] ra = block.Ra.AsSpan(0, block.Count).ToArray(), dec = block.Dec.AsSpan(0, block.Count).ToArray();
        int[] expected = new Wdb.Merge.Link.CpuLinkEngine().Link(ra, dec, 2.0);

        var trace = new LinkTrace();
        Assert.Equal(expected, engine.Link(ra, dec, 2.0, trace));
        Assert.All(trace.Check(), line => Assert.True(line.EndsWith(": ok") || line.Contains("well formed") || line.StartsWith("unit vectors: ok"), line));
        Assert.Equal(1, trace.Grid.Collapsed);
        for (int run = 0; run < (device == IlgpuDevice.Cpu ? 1 : 5); run++)
            Assert.Equal(expected, engine.Link(ra, dec, 2.0));
    }
}
