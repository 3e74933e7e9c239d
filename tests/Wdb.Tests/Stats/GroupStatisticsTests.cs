using Wdb.Core;
using Wdb.Merge;
using static Wdb.Tests.Stats.TestBlocks;

namespace Wdb.Tests.Stats;

public class GroupStatisticsTests
{
    private const double Arcsec = 1.0 / 3600;

    [Fact]
    public void Position_sigmas_of_whole_degree_angles_equal_the_trigonometry_bit_for_bit()
    {
        // The reference: the ellipse formula with live sin/cos (the lookup must not change a bit).
        static (double E, double N) Reference(float maj, float min, float ang)
        {
            double a = maj, b = min, th = ang * Sky.DegToRad;
            double st = Math.Sin(th), ct = Math.Cos(th);
            return (Math.Max(GroupStatistics.MinPositionSigmaArcsec, Math.Sqrt(a * a * st * st + b * b * ct * ct)),
                    Math.Max(GroupStatistics.MinPositionSigmaArcsec, Math.Sqrt(a * a * ct * ct + b * b * st * st)));
        }
        var angles = Enumerable.Range(-5, 372).Select(d => (float)d).Concat([-0f, 0.5f, 45.25f, 359.99f, 360.5f, 1e9f]);
        foreach (float ang in angles)
            foreach (var (maj, min) in new[] { (0.3f, 0.21f), (0.08f, 0.07f), (1.7f, 0.05f) })
            {
                GroupStatistics.PositionSigmas(maj, min, ang, out double e, out double n);
                var (re, rn) = Reference(maj, min, ang);
                Assert.Equal(BitConverter.DoubleToInt64Bits(re), BitConverter.DoubleToInt64Bits(e));
                Assert.Equal(BitConverter.DoubleToInt64Bits(rn), BitConverter.DoubleToInt64Bits(n));
            }
    }

    [Fact]
    public void One_weighted_magnitude_is_its_own_mean_with_a_chi2_of_exactly_zero()
    {
        // Pairs 20" apart, each a detection and a non-detection in J: the weighted mean of one magnitude is that
        // magnitude, and chi2 about it 0 (w * mag / w rounded away from it: 3e-28). Groups of one likewise.
        var rng = new Random(5);
        var b = new ExtractionBlock();
        var expected = new Dictionary<long, float>();
        for (int k = 0; k < 2000; k++)
        {
            double ra = 30 + k * 20 * Arcsec;
            float mag = 8 + 9 * (float)rng.NextDouble(), sig = 0.01f + 0.3f * (float)rng.NextDouble();
            int d = Add(b, 1 + 2 * k, 1, ra, 10);
            SetMag(b, d, Band.J, mag, sig);
            if (k % 2 == 0) SetMag(b, Add(b, 2 + 2 * k, 2, ra, 10 + 0.5 * Arcsec), Band.J, float.NaN, float.NaN);
            expected[1 + 2 * k] = mag;
        }
        var (t, _, _, _) = MergeAll(b);
        var j = t.Bands[(int)Band.J];
        for (int g = 0; g < t.Count; g++)
        {
            Assert.Equal(1, j.NDet[g]);
            Assert.Equal(expected[t.Gcntr[g]], j.MagW[g]);
            Assert.Equal(0f, j.Chi2[g]);
        }
    }

    [Fact]
    public void Groups_of_one_take_the_general_paths_values_bit_for_bit()
    {
        // Rows 10" apart (groups of one), every third with a neighbour 0.5" away (groups of two, the
        // general path either way), with every kind of photometry: detections, -0, upper limits,
        // nulls, rd_flg 0, ph_qual U and X, sigmas valid, zero, negative, NaN and infinite; times
        // present or NaN; cc_flg letters or none.
        var rng = new Random(31);
        var b = new ExtractionBlock();
        float[] mags = [12.5f, -0f, 0f, 16.123f, float.NaN, -99f, 9.75f];
        float[] sigs = [0.05f, 0f, -0.1f, float.NaN, float.PositiveInfinity, 1e-30f, 0.2f];
        byte[] rd = [(byte)'2', (byte)'0', (byte)'1', 0], ph = [(byte)'A', (byte)'U', (byte)'X', (byte)'C', 0];
        byte[] cc = [(byte)'0', (byte)'p', (byte)'D', 0];
        for (int k = 0; k < 3000; k++)
        {
            double ra = 10 + (k % 60) * 10 * Arcsec, dec = -5 + (k / 60) * 10 * Arcsec;
            int count = k % 3 == 0 ? 2 : 1;
            for (int c = 0; c < count; c++)
            {
                int r = Add(b, 1 + 2 * k + c, 100 + rng.Next(4), ra, dec + 0.5 * c * Arcsec,
                            rng.Next(4) == 0 ? double.NaN : 2451000.5 + rng.Next(1000) * 0.37);
                for (int band = 0; band < 3; band++)
                {
                    SetMag(b, r, (Band)band, mags[rng.Next(mags.Length)], sigs[rng.Next(sigs.Length)], rd[rng.Next(rd.Length)], ph[rng.Next(ph.Length)]);
                    b.Bands[band].CcFlg[r] = cc[rng.Next(cc.Length)];
                }
                b.ErrMaj[r] = rng.Next(3) == 0 ? float.NaN : 0.1f + 0.2f * (float)rng.NextDouble();
                b.ErrMin[r] = 0.08f;
                b.ErrAng[r] = rng.Next(180);
            }
        }
        long[] cgid = FriendsOfFriends(b, 2.0);
        var conf = ConfusionResolver.Resolve(b, cgid, 2.0);
        var membership = MembershipBuilder.Build(b, conf.Gcntr);
        var footprints = ScanFootprints.DeriveFromExtractions(b);
        var (r1, r2) = (ExtractionResults.Allocate(b.Count), ExtractionResults.Allocate(b.Count));
        var single = GroupStatistics.Compute(b, membership, cgid, conf.Confused, footprints, r1, 0, singles: true);
        var general = GroupStatistics.Compute(b, membership, cgid, conf.Confused, footprints, r2, 0, singles: false);

        Assert.InRange(Enumerable.Range(0, single.Count).Count(g => single.NMembers[g] == 1), 2000, 2999);   // pairs in one scan are split
        Assert.Contains(2, single.NMembers);
        Assert.Contains(Enumerable.Range(0, single.Count), g => single.NMembers[g] == 1 && single.Spos[g] > 0 && single.Bands[0].NDet[g] == 1
                                                                && !float.IsNaN(single.Bands[0].Chi2[g]) && single.CcMask[g] != 0);
        AssertSameBits(single, general);
        for (int k = 0; k < 3; k++) AssertSameBits(single.Bands[k], general.Bands[k]);
        AssertSameBits(r1, r2);
    }

    /// <summary>Every array field equal element by element, floats and doubles by their bits (-0 is not 0, NaNs by payload).</summary>
    private static void AssertSameBits(object a, object b)
    {
        int arrays = 0;
        foreach (var field in a.GetType().GetFields())
        {
            if (field.GetValue(a) is not Array x || field.FieldType == typeof(BandStats[])) continue;
            var y = (Array)field.GetValue(b)!;
            Assert.Equal(x.Length, y.Length);
            for (int i = 0; i < x.Length; i++)
            {
                object? u = x.GetValue(i), v = y.GetValue(i);
                if (u is float f) (u, v) = (BitConverter.SingleToInt32Bits(f), BitConverter.SingleToInt32Bits((float)v!));
                if (u is double d) (u, v) = (BitConverter.DoubleToInt64Bits(d), BitConverter.DoubleToInt64Bits((double)v!));
                Assert.True(Equals(u, v), $"{field.Name}[{i}]: {x.GetValue(i)} vs {y.GetValue(i)}");
            }
            arrays++;
        }
        Assert.True(arrays >= 3);
    }

    [Fact]
    public void One_member_group_has_its_own_values_and_no_spread()
    {
        var b = new ExtractionBlock();
        int r = Add(b, 42, 7, 150.0, 20.0, 2451000.5);
        SetMag(b, r, Band.J, 12.5f, 0.05f);
        b.ErrMaj[r] = 0.2f; b.ErrMin[r] = 0.1f; b.ErrAng[r] = 90f;
        var (t, _, res, _) = MergeAll(b);

        Assert.Equal(1, t.Count);
        Assert.Equal(42, t.Gcntr[0]);
        Assert.Equal(42, t.Cgid[0]);
        Assert.False(t.Confused[0]);
        Assert.Equal(1, t.CandidateSize[0]);
        Assert.Equal(1, t.NMembers[0]);
        Assert.Equal(1, t.NScans[0]);
        Assert.Equal(1, t.Sdet[0]);
        Assert.Equal(1, t.Spos[0]);               // its own scan's footprint (one point + 2" margin)
        Assert.Equal(150.0, t.RaW[0], 9);
        Assert.Equal(20.0, t.DecW[0], 9);
        Assert.Equal(150.0, t.Ra[0], 9);
        // Ellipse a=0.2", b=0.1" at PA 90 (major axis east): sigma_E = 0.2, sigma_N = 0.1.
        Assert.Equal(0.2, t.SigRaW[0], 5);
        Assert.Equal(0.1, t.SigDecW[0], 5);
        Assert.Equal(0.0, t.RmsSep[0], 6);
        Assert.Equal(0.0, res.SepArcsec[r], 6);

        var j = t.Bands[(int)Band.J];
        Assert.Equal(1, j.NDet[0]);
        Assert.Equal(0, j.NNonDet[0]);
        Assert.Equal(12.5f, j.MagW[0]);
        Assert.Equal(0.05f, j.MagWErr[0], 6);
        Assert.Equal(12.5f, j.Mag[0]);
        Assert.Equal(0f, j.Rms[0]);
        Assert.Equal(0f, j.Chi2[0]);
        Assert.True(float.IsNaN(j.RedChi2[0]));
        Assert.Equal(12.5f, j.Min[0]);
        Assert.Equal(12.5f, j.Max[0]);
        var h = t.Bands[(int)Band.H];
        Assert.Equal(0, h.NDet[0]);
        Assert.Equal(1, h.NNonDet[0]);
        Assert.True(float.IsNaN(h.MagW[0]) && float.IsNaN(h.Mag[0]) && float.IsNaN(h.Min[0]) && float.IsNaN(h.Max[0]));

        Assert.True(float.IsNaN(t.StetsonJ[0]));
        Assert.True(float.IsNaN(t.StetsonK[0]));
        Assert.True(float.IsNaN(t.SfAmp[0]));
        Assert.Equal(MotionStatus.TooFewMembers, t.PmStatus[0]);
        Assert.True(float.IsNaN(t.PmRa[0]));
        Assert.Equal(2451000.5, t.MeanJDate[0]);
        Assert.Equal(0f, t.BaselineDays[0]);
        Assert.Equal("J100000.00+200000.0", t.Designation(0));
    }

    [Fact]
    public void Photometry_ignores_non_detections_and_matches_hand_values()
    {
        var b = new ExtractionBlock();
        // Four scans, 0.1" apart in Dec so they form one group.
        int r0 = Add(b, 1, 1, 10.0, 0.0, 1.0);
        int r1 = Add(b, 2, 2, 10.0, 0.1 * Arcsec, 2.0);
        int r2 = Add(b, 3, 3, 10.0, 0.2 * Arcsec, 3.0);
        int r3 = Add(b, 4, 4, 10.0, 0.3 * Arcsec, 4.0);
        SetMag(b, r0, Band.J, 10.0f, 0.1f);
        SetMag(b, r1, Band.J, 10.2f, 0.2f);
        // r2: null J (NaN) = non-detection.
        SetMag(b, r3, Band.J, 15.0f, float.NaN, rdFlg: (byte)'0', phQual: (byte)'U'); // 95% upper limit
        SetMag(b, r2, Band.H, -99.99f, 0.1f);                                            // sentinel: non-detection
        var (t, _, _, _) = MergeAll(b);

        Assert.Equal(1, t.Count);
        var j = t.Bands[(int)Band.J];
        Assert.Equal(2, j.NDet[0]);
        Assert.Equal(2, j.NNonDet[0]);
        // w = 1/0.1^2 = 100 and 1/0.2^2 = 25: mean_w = (100*10.0 + 25*10.2)/125 = 1255/125 = 10.04
        Assert.Equal(10.04, j.MagW[0], 4);
        // 1/sqrt(125) = 0.0894427
        Assert.Equal(0.0894427, j.MagWErr[0], 5);
        // unweighted (10.0 + 10.2)/2 = 10.1; rms = sqrt((0.1^2 + 0.1^2)/2) = 0.1
        Assert.Equal(10.1, j.Mag[0], 4);
        Assert.Equal(0.1, j.Rms[0], 4);
        // chi^2 = 100*(10.0-10.04)^2 + 25*(10.2-10.04)^2 = 0.16 + 0.64 = 0.8; reduced by (2-1)
        Assert.Equal(0.8, j.Chi2[0], 3);
        Assert.Equal(0.8, j.RedChi2[0], 3);
        Assert.Equal(10.0f, j.Min[0]);
        Assert.Equal(10.2f, j.Max[0]);
        var h = t.Bands[(int)Band.H];
        Assert.Equal(0, h.NDet[0]);
        Assert.Equal(4, h.NNonDet[0]);
        Assert.True(float.IsNaN(h.MagW[0]) && float.IsNaN(h.Chi2[0]) && float.IsNaN(h.Rms[0]));

        Assert.Equal(4, t.NScans[0]);
        Assert.Equal(2, t.Sdet[0]);   // only scans 1 and 2 detected it
        Assert.Equal(4, t.Spos[0]);   // but all four covered it
    }

    [Fact]
    public void A_scan_that_detected_a_group_counts_in_spos_even_where_its_footprint_misses_the_mean()
    {
        // Three scans detect one source; the footprints know scans 1 and 2 only (a --scans table without scan 3).
        var b = new ExtractionBlock();
        var known = new ExtractionBlock();
        for (int scan = 1; scan <= 3; scan++)
        {
            int i = Add(b, scan, scan, 150.0 + scan * 0.1 * Arcsec, 20.0);
            SetMag(b, i, Band.J, 14f, 0.05f);
            if (scan < 3) Add(known, scan, scan, 150.0 + scan * 0.1 * Arcsec, 20.0);
        }
        // A fourth scan covered the position without detecting it: counted by its footprint as before.
        Add(known, 4, 4, 150.0, 20.0);
        var (t, _) = Compute(b, ScanFootprints.DeriveFromExtractions(known));
        Assert.Equal(3, t.Sdet[0]);
        Assert.Equal(4, t.Spos[0]);   // scans 1, 2 and 4 by their footprints, 3 by its detection
        // As a calibration tile: more covering scans than a survey group's list holds (each then looked up by key).
        for (int scan = 5; scan < 45; scan++) Add(known, scan, scan, 150.0, 20.0);
        (t, _) = Compute(b, ScanFootprints.DeriveFromExtractions(known));
        Assert.Equal(3, t.Sdet[0]);
        Assert.Equal(44, t.Spos[0]);   // scans 1, 2 and 4-44 by their footprints, 3 by its detection

        // Scans spanning the sky (synthetic: rows at +10 and at both poles), whose derived boxes cannot hold every row:
        // spos never falls below sdet.
        var wide = new ExtractionBlock();
        foreach (var (cntr, scan, ra, dec) in new (long, long, double, double)[]
                 { (1, 101, 359.99995, 10.0), (10, 101, 0, 90), (20, 101, 45, -90), (21, 102, 200, -89.9999), (11, 102, 180, 89.9997) })
            SetMag(wide, Add(wide, cntr, scan, ra, dec), Band.J, 12f, 0.02f);
        var (all, _, _, _) = MergeAll(wide);
        for (int g = 0; g < all.Count; g++) Assert.True(all.Spos[g] >= all.Sdet[g], $"group {all.Gcntr[g]}: spos {all.Spos[g]} < sdet {all.Sdet[g]}");
    }

    private static (GroupTable Table, ExtractionResults Results) Compute(ExtractionBlock b, ScanFootprints footprints)
    {
        long[] cgid = FriendsOfFriends(b, 2.0);
        var conf = ConfusionResolver.Resolve(b, cgid, 2.0);
        var results = ExtractionResults.Allocate(b.Count);
        return (GroupStatistics.Compute(b, MembershipBuilder.Build(b, conf.Gcntr), cgid, conf.Confused, footprints, results), results);
    }

    [Fact]
    public void Mean_position_across_ra_zero_uses_unit_vectors_and_ellipse_weights()
    {
        var b = new ExtractionBlock();
        // 0.9" west and 0.9" east of (0, 0).
        int w = Add(b, 1, 1, 360.0 - 0.9 * Arcsec, 0.0);
        int e = Add(b, 2, 2, 0.9 * Arcsec, 0.0);
        b.ErrMaj[w] = 0.1f; b.ErrMin[w] = 0.1f; b.ErrAng[w] = 0f;  // sigma 0.1" -> weight 100
        // e has no ellipse: weight 1 (nominal 1").
        var (t, _, res, _) = MergeAll(b);

        Assert.Equal(1, t.Count);
        // Unweighted: the midpoint (0, 0), not RA 180.
        Assert.True(Sky.SeparationArcsec(t.Ra[0], t.Dec[0], 0.0, 0.0) < 1e-6);
        // Weighted xi = (100 * -0.9 + 1 * 0.9) / 101 = -89.1/101 = -0.882178" (west of RA 0).
        Assert.Equal(89.1 / 101.0, Sky.SeparationArcsec(t.RaW[0], t.DecW[0], 0.0, 0.0), 5);
        Assert.True(t.RaW[0] > 359.0);
        Assert.Equal(1 / Math.Sqrt(101), t.SigRaW[0], 5);
        Assert.Equal(1 / Math.Sqrt(101), t.SigDecW[0], 5);
        // Separations from the weighted mean: 0.9 - 0.882178 = 1.8/101 and 0.9 + 0.882178 = 180/101.
        Assert.Equal(1.8 / 101.0, res.SepArcsec[w], 5);
        Assert.Equal(180.0 / 101.0, res.SepArcsec[e], 5);
        // rms = sqrt(((1.8/101)^2 + (180/101)^2) / 2) = 1.260245
        Assert.Equal(Math.Sqrt((Math.Pow(1.8 / 101, 2) + Math.Pow(180.0 / 101, 2)) / 2), t.RmsSep[0], 5);
        Assert.StartsWith("J235959.9", t.Designation(0));   // RA 359.99975495 deg = 23h59m59.94s
        Assert.Equal(2, t.Spos[0]);
    }

    [Fact]
    public void Mean_position_near_the_pole_is_the_midpoint_on_the_sphere()
    {
        var b = new ExtractionBlock();
        // Two members 1" from the north pole at RA 0 and RA 90: their midpoint lies on RA 45,
        // sqrt(2)/2 = 0.707107" from the pole, each member 0.707107" from it.
        Add(b, 1, 1, 0.0, 90 - Arcsec);
        Add(b, 2, 2, 90.0, 90 - Arcsec);
        var (t, _, res, _) = MergeAll(b);

        Assert.Equal(1, t.Count);
        Assert.Equal(45.0, t.Ra[0], 6);
        Assert.Equal(90 - Math.Sqrt(0.5) * Arcsec, t.Dec[0], 10);
        Assert.Equal(45.0, t.RaW[0], 6);
        Assert.Equal(90 - Math.Sqrt(0.5) * Arcsec, t.DecW[0], 10);
        Assert.Equal(Math.Sqrt(0.5), res.SepArcsec[0], 5);
        Assert.Equal(Math.Sqrt(0.5), t.RmsSep[0], 5);
        Assert.Equal(2, t.Spos[0]);
        Assert.Equal("+895959.2", t.Designation(0)[10..]); // 89:59:59.29 (the RA digits sit on 3h, either side)
    }

    [Fact]
    public void Stetson_indices_and_structure_function_match_a_hand_made_light_curve()
    {
        var b = new ExtractionBlock();
        // Four scans, one day apart, sigma 0.1 mag everywhere.
        //   J: 10.0 10.2 10.0 10.2  -> mean 10.1, n = 4, delta = sqrt(4/3) * (-1, +1, -1, +1) = -+1.154701
        //   H: 11.0 11.2 11.0  --   -> mean 11.0667, n = 3, delta = sqrt(3/2) * (-0.6667, 1.3333, -0.6667)
        //                                                         = (-0.816497, 1.632993, -0.816497)
        //   K: 12.0  --   --   --   -> n = 1: no residual (needs n >= 2)
        float[] jm = [10.0f, 10.2f, 10.0f, 10.2f];
        float[] hm = [11.0f, 11.2f, 11.0f, float.NaN];
        for (int k = 0; k < 4; k++)
        {
            int r = Add(b, 100 + k, k + 1, 200.0, 10.0 + 0.1 * k * Arcsec, 2451000.0 + k);
            SetMag(b, r, Band.J, jm[k], 0.1f);
            if (!float.IsNaN(hm[k])) SetMag(b, r, Band.H, hm[k], 0.1f);
            if (k == 0) SetMag(b, r, Band.K, 12.0f, 0.1f);
        }
        var (t, _, _, _) = MergeAll(b);

        Assert.Equal(1, t.Count);
        // Members 1-3 give one J-H pair each (weight 1): sqrt(P)
        //   sqrt(1.154701 * 0.816497) = 0.970984, sqrt(1.154701 * 1.632993) = 1.373178, 0.970984;
        // member 4 has J only: P = delta^2 - 1 = 4/3 - 1 = 0.333333, sqrt = 0.577350.
        // J = (0.970984 + 1.373178 + 0.970984 + 0.577350) / 4 = 0.973124
        Assert.Equal(0.973124, t.StetsonJ[0], 4);
        // K over the 7 residuals: mean|d| = 7.884788/7 = 1.126398, sqrt(mean d^2) = sqrt(9.333333/7) = 1.154701
        // K = 0.975490
        Assert.Equal(0.975490, t.StetsonK[0], 4);
        // Structure function pairs (i, i+1), (i, i+2): J lag1 0.2 0.2 0.2, lag2 0 0; H lag1 0.2 0.2, lag2 0.
        // Sorted: 0 0 0 0.2 0.2 0.2 0.2 0.2 -> median (0.2 + 0.2)/2 = 0.2
        Assert.Equal(0.2, t.SfAmp[0], 4);
        // Reduced chi^2 in J: 4 residuals of 1 sigma -> 4 / 3
        Assert.Equal(4.0 / 3.0, t.Bands[0].RedChi2[0], 3);
    }

    [Fact]
    public void Stetson_j_weighs_a_three_band_scan_as_three_pairs_of_two_thirds()
    {
        var b = new ExtractionBlock();
        // sigma 0.1 everywhere.
        //   J: 10.0 10.2 10.1 -> mean 10.1, n = 3: delta = sqrt(3/2) * (-1, +1, 0) = (-1.224745, 1.224745, 0)
        //   H: 11.0 11.2  --  -> n = 2: delta = sqrt(2) * (-1, +1) = (-1.414214, 1.414214)
        //   K: 12.2 12.0  --  -> anti-correlated: (+1.414214, -1.414214)
        float[] jm = [10.0f, 10.2f, 10.1f], hm = [11.0f, 11.2f, float.NaN], km = [12.2f, 12.0f, float.NaN];
        for (int k = 0; k < 3; k++)
        {
            int r = Add(b, 1 + k, 1 + k, 300.0, -60.0 + 0.2 * k * Arcsec, 2451000.0 + k);
            SetMag(b, r, Band.J, jm[k], 0.1f);
            if (k < 2) { SetMag(b, r, Band.H, hm[k], 0.1f); SetMag(b, r, Band.K, km[k], 0.1f); }
        }
        var (t, _, _, _) = MergeAll(b);
        // Members 1 and 2: pairs JH = +1.732051 -> +1.316074, JK = -1.732051 -> -1.316074,
        // HK = -2 -> -1.414214; each with weight 2/3: sum -0.942809, weight 2 (per member).
        // Member 3: J only, P = 0^2 - 1 = -1 -> -1, weight 1.
        // J = (2 * -0.942809 - 1) / (2 + 2 + 1) = -0.577124 (pairs of weight 1 would give -0.546918).
        Assert.Equal(-0.577124, t.StetsonJ[0], 4);
        // K: |d| sum 2 * 1.224745 + 4 * 1.414214 = 8.106344 over 7; d^2 sum 3 + 8 = 11 over 7:
        // (8.106344 / 7) / sqrt(11 / 7) = 0.923804
        Assert.Equal(0.923804, t.StetsonK[0], 4);
    }

    [Fact]
    public void Proper_motion_of_a_linear_track()
    {
        var b = new ExtractionBlock();
        // Five epochs 100 days apart; the source moves +0.1" east and -0.05" north per 100 days:
        // 0.001"/day * 1000 mas * 365.25 = 365.25 mas/yr in RA*cos(dec), -182.625 mas/yr in Dec.
        for (int k = 0; k < 5; k++)
        {
            var (ra, dec) = Offset(120.0, 30.0, 0.1 * (k - 2), -0.05 * (k - 2));
            int r = Add(b, 10 + k, k + 1, ra, dec, 2451000.0 + 100 * k);
            b.ErrMaj[r] = 0.1f; b.ErrMin[r] = 0.1f; b.ErrAng[r] = 0f;   // sigma 0.1" -> w = 100 per axis
        }
        var (t, _, _, _) = MergeAll(b);

        Assert.Equal(1, t.Count);
        Assert.Equal(MotionStatus.Fitted, t.PmStatus[0]);
        Assert.Equal(365.25, t.PmRa[0], 2);
        Assert.Equal(-182.625, t.PmDec[0], 2);
        // sum w (t - tbar)^2 = 100 * (200^2 + 100^2 + 0 + 100^2 + 200^2) = 1e7 day^2 / arcsec^2
        // sigma = 1/sqrt(1e7) "/day = 3.16228e-4 "/day = 115.502 mas/yr
        Assert.Equal(115.502, t.PmRaErr[0], 2);
        Assert.Equal(115.502, t.PmDecErr[0], 2);
        Assert.True(t.PmChi2[0] < 1e-6);
        Assert.Equal(400f, t.BaselineDays[0]);
        Assert.Equal(2451200.0, t.MeanJDate[0], 9);
    }

    [Theory]
    [InlineData(2, 100.0, true, MotionStatus.TooFewMembers)]
    [InlineData(4, 100.0, false, MotionStatus.NoTimes)]
    [InlineData(4, 5.0, true, MotionStatus.BaselineTooShort)]
    [InlineData(4, 10.0, true, MotionStatus.Fitted)]   // 3 x 10 = 30 days: the limit is inclusive
    public void Motion_status_says_why_there_is_no_fit(int members, double stepDays, bool withTimes, MotionStatus expected)
    {
        var b = new ExtractionBlock();
        for (int k = 0; k < members; k++)
            Add(b, k + 1, k + 1, 50.0, -30.0 + 0.1 * k * Arcsec, withTimes ? 2451000.0 + stepDays * k : double.NaN);
        var (t, _, _, _) = MergeAll(b);
        Assert.Equal(expected, t.PmStatus[0]);
        Assert.Equal(expected == MotionStatus.Fitted, !float.IsNaN(t.PmRa[0]));
    }

    [Fact]
    public void Combined_flags_or_the_letters_and_count_flagged_members()
    {
        var b = new ExtractionBlock();
        int r0 = Add(b, 1, 1, 80.0, 5.0);
        int r1 = Add(b, 2, 2, 80.0, 5.0 + 0.2 * Arcsec);
        int r2 = Add(b, 3, 3, 80.0, 5.0 + 0.4 * Arcsec);
        b[Band.J].CcFlg[r0] = (byte)'0'; b[Band.H].CcFlg[r0] = (byte)'0'; b[Band.K].CcFlg[r0] = (byte)'0';
        b[Band.J].CcFlg[r1] = (byte)'p'; b[Band.K].CcFlg[r1] = (byte)'D';
        b[Band.H].CcFlg[r2] = (byte)'c';
        var (t, _, _, _) = MergeAll(b);
        Assert.Equal(CcFlags.Persistence | CcFlags.Diffraction | CcFlags.Certain | CcFlags.Confusion, t.CcMask[0]);
        Assert.Equal(2, t.NFlagged[0]);
        Assert.True(t.MixedFlags[0]);

        var clean = new ExtractionBlock();
        Add(clean, 1, 1, 80.0, 5.0);
        var (tc, _, _, _) = MergeAll(clean);
        Assert.Equal(0, tc.CcMask[0]);
        Assert.False(tc.MixedFlags[0]);
    }

    [Fact]
    public void Split_groups_keep_their_candidate_group_and_its_size()
    {
        var b = new ExtractionBlock();
        // Scan 1 resolves a 1.2" pair; scan 2 sees one blend 0.5" from the brighter one.
        int a1 = Add(b, 11, 1, 30.0, 0.0);
        int b1 = Add(b, 12, 1, 30.0, 1.2 * Arcsec);
        int c2 = Add(b, 13, 2, 30.0, 0.5 * Arcsec);
        SetMag(b, a1, Band.K, 12f, 0.05f); SetMag(b, b1, Band.K, 13f, 0.05f); SetMag(b, c2, Band.K, 11.8f, 0.05f);
        // And an unrelated single source elsewhere.
        Add(b, 5, 3, 31.0, 0.0);
        var (t, _, _, conf) = MergeAll(b);

        Assert.Equal(1, conf.ConfusedCandidateGroups);
        Assert.Equal(3, t.Count);
        Assert.Equal([5L, 11L, 12L], t.Gcntr);
        Assert.Equal([5L, 11L, 11L], t.Cgid);
        Assert.Equal([false, true, true], t.Confused);
        Assert.Equal([1, 3, 3], t.CandidateSize);
        Assert.Equal([1, 2, 1], t.NMembers);
        var (_, _, res, _) = MergeAll(b);
        Assert.Equal([11L, 12L, 11L, 5L], res.Gcntr);
        Assert.Equal([11L, 11L, 11L, 5L], res.Cgid);
    }

    [Fact]
    public void Compute_fills_every_row_separation_in_parallel_ranges()
    {
        // Many groups (more than one parallel range): each of 5000 sources seen twice, 0.3" apart.
        var b = new ExtractionBlock();
        var cgid = new long[10000];
        for (int s = 0; s < 5000; s++)
        {
            double dec = -60 + s * 0.01;
            Add(b, 2 * s + 1, 1, 10.0, dec);
            Add(b, 2 * s + 2, 2, 10.0, dec + 0.3 * Arcsec);
            cgid[2 * s] = cgid[2 * s + 1] = 2 * s + 1;   // the components, known by construction
        }
        var conf = ConfusionResolver.Resolve(b, cgid, 2.0);
        var res = ExtractionResults.Allocate(b.Count);
        var t = GroupStatistics.Compute(b, MembershipBuilder.Build(b, conf.Gcntr), cgid, conf.Confused,
                                        ScanFootprints.DeriveFromExtractions(b), res);
        Assert.Equal(5000, t.Count);
        for (int g = 0; g < t.Count; g++)
        {
            Assert.Equal(2, t.NMembers[g]);
            Assert.Equal(0.15, t.RmsSep[g], 4);
        }
        for (int i = 0; i < b.Count; i++) Assert.Equal(0.15, res.SepArcsec[i], 4);
        // The span overload (copies) and the array overload (in place) agree.
        var res2 = ExtractionResults.Allocate(b.Count);
        var t2 = GroupStatistics.Compute(b, MembershipBuilder.Build(b, conf.Gcntr), cgid.AsSpan(), conf.Confused.AsSpan(),
                                         ScanFootprints.DeriveFromExtractions(b), res2);
        Assert.Equal(t.RaW, t2.RaW);
        Assert.Equal(t.DecW, t2.DecW);
        Assert.Equal(res.SepArcsec, res2.SepArcsec);
    }
}

public class GroupStatisticsOrderTests
{
    [Fact]
    public void Every_column_is_identical_for_shuffled_rows()
    {
        // A dense field (confused groups, noise, non-detections) with times and ellipses.
        var b = Wdb.Tests.Confusion.ConfusionResolverTests.DenseField(21, 60, 6, 0.5, out _);
        var rng = new Random(4);
        for (int i = 0; i < b.Count; i++)
        {
            b.ErrMaj[i] = 0.1f + 0.3f * (float)rng.NextDouble();
            b.ErrMin[i] = 0.05f + 0.05f * (float)rng.NextDouble();
            b.ErrAng[i] = 180f * (float)rng.NextDouble();
            if (i % 3 == 0) TestBlocks.SetMag(b, i, Core.Band.J, 14f + (float)rng.NextDouble(), 0.05f);
            if (i % 7 == 0) b[Core.Band.H].CcFlg[i] = (byte)'p';
        }
        var (t1, _, r1, _) = TestBlocks.MergeAll(b);
        var shuffled = TestBlocks.Shuffled(b, 17);
        var (t2, _, r2, _) = TestBlocks.MergeAll(shuffled);

        Assert.True(t1.Count > 10);
        Assert.Contains(true, t1.Confused);
        AssertSameColumns(t1, t2);
        for (int k = 0; k < 3; k++) AssertSameColumns(t1.Bands[k], t2.Bands[k]);
        var sep1 = new Dictionary<long, float>();
        for (int i = 0; i < b.Count; i++) sep1[b.Cntr[i]] = r1.SepArcsec[i];
        for (int i = 0; i < shuffled.Count; i++) Assert.Equal(sep1[shuffled.Cntr[i]], r2.SepArcsec[i]);
    }

    private static void AssertSameColumns(object a, object b)
    {
        int arrays = 0;
        foreach (var field in a.GetType().GetFields())
        {
            if (field.GetValue(a) is not Array x || field.FieldType == typeof(Core.BandStats[])) continue;
            var y = (Array)field.GetValue(b)!;
            Assert.Equal(x.Length, y.Length);
            for (int i = 0; i < x.Length; i++)
                Assert.True(Equals(x.GetValue(i), y.GetValue(i)), $"{field.Name}[{i}]: {x.GetValue(i)} vs {y.GetValue(i)}");
            arrays++;
        }
        Assert.True(arrays >= 10);
    }
}
