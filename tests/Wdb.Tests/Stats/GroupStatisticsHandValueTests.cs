using Wdb.Core;
using Wdb.Merge;
using static Wdb.Tests.Stats.TestBlocks;

namespace Wdb.Tests.Stats;

/// <summary>
/// Hand-computed values for statistics that, before these tests, only the independent script
/// (IndependentStatisticsTests, skipped without python3 and numpy) or no test at all checked: a hand
/// mutation pass over GroupStatistics found mutants that every C# test let through.
/// </summary>
public class GroupStatisticsHandValueTests
{
    private const double Arcsec = 1.0 / 3600;

    /// <summary>East and north offsets (arcsec) of (ra, dec) from (ra0, dec0): small-angle, good to ~1e-9" at 1".</summary>
    private static (double East, double North) OffsetOf(double ra0, double dec0, double ra, double dec) =>
        ((ra - ra0) * Math.Cos(dec0 * Sky.DegToRad) * 3600, (dec - dec0) * 3600);

    [Fact]
    public void Each_axis_of_the_weighted_mean_takes_its_own_weight()
    {
        var b = new ExtractionBlock();
        // A: ellipse a = 0.5", b = 0.1" at PA 0 (major axis north): sigma_E = 0.1 (w 100), sigma_N = 0.5 (w 4).
        int a = Add(b, 1, 1, 60.0, 20.0);
        b.ErrMaj[a] = 0.5f; b.ErrMin[a] = 0.1f; b.ErrAng[a] = 0f;
        // B: 1" east and 1" north of A, no ellipse: w 1 on both axes.
        var (raB, decB) = Offset(60.0, 20.0, 1.0, 1.0);
        Add(b, 2, 2, raB, decB);
        var (t, _, _, _) = MergeAll(b);

        Assert.Equal(1, t.Count);
        // East: (100 * 0 + 1 * 1) / 101 = 0.00990099"; north: (4 * 0 + 1 * 1) / 5 = 0.2".
        var (east, north) = OffsetOf(60.0, 20.0, t.RaW[0], t.DecW[0]);
        Assert.Equal(1.0 / 101, east, 5);
        Assert.Equal(0.2, north, 5);
        // 1/sqrt(101) = 0.0995037 and 1/sqrt(5) = 0.4472136.
        Assert.Equal(1 / Math.Sqrt(101), t.SigRaW[0], 5);
        Assert.Equal(1 / Math.Sqrt(5), t.SigDecW[0], 5);
    }

    [Fact]
    public void Position_sigmas_are_floored_at_a_hundredth_of_an_arcsec()
    {
        // docs/confusion.md: each sigma is at least 0.01" (a zero axis must not take all the weight).
        GroupStatistics.PositionSigmas(0.004f, 0.003f, 30f, out double e, out double n);
        Assert.Equal(0.01, e, 12);
        Assert.Equal(0.01, n, 12);
        GroupStatistics.PositionSigmas(0.3f, 0f, 0f, out e, out n);   // a zero minor axis: a circle of the major
        Assert.Equal(0.3, e, 6);
        Assert.Equal(0.3, n, 6);
        GroupStatistics.PositionSigmas(0.3f, 0.1f, float.NaN, out e, out n);   // no angle: a circle of the major axis
        Assert.Equal(0.3, e, 6);
        Assert.Equal(0.3, n, 6);

        var b = new ExtractionBlock();
        foreach (int k in new[] { 0, 1 })
        {
            int r = Add(b, 1 + k, 1 + k, 10.0, 0.1 * k * Arcsec);
            b.ErrMaj[r] = 0.005f; b.ErrMin[r] = 0.002f; b.ErrAng[r] = 45f;
        }
        var (t, _, _, _) = MergeAll(b);
        // Two members of weight 1 / 0.01^2 = 1e4 per axis: 1 / sqrt(2e4) = 0.00707107".
        Assert.Equal(1 / Math.Sqrt(2e4), t.SigRaW[0], 7);
        Assert.Equal(1 / Math.Sqrt(2e4), t.SigDecW[0], 7);
    }

    [Fact]
    public void Photometry_and_stetson_with_two_bands_and_a_detection_without_sigma()
    {
        var b = new ExtractionBlock();
        // Three scans a day apart, sigma 0.1 where given:
        //   J: 10.4 10.0 10.2(no sigma) -> weighted over the two with a sigma: mean_w 10.2, n_w 2,
        //      delta = sqrt(2/1) * (+2, -2) = (+2.828427, -2.828427); the third has no residual.
        //   K: 12.0 12.2 --             -> mean_w 12.1, delta = sqrt(2) * (-1, +1) = (-1.414214, +1.414214)
        //   H: none.
        float[] jm = [10.4f, 10.0f, 10.2f], js = [0.1f, 0.1f, float.NaN];
        for (int k = 0; k < 3; k++)
        {
            int r = Add(b, 1 + k, 1 + k, 250.0, 40.0 + 0.1 * k * Arcsec, 2451000.0 + k);
            SetMag(b, r, Band.J, jm[k], js[k]);
            if (k < 2) SetMag(b, r, Band.K, k == 0 ? 12.0f : 12.2f, 0.1f);
        }
        var (t, _, _, _) = MergeAll(b);

        Assert.Equal(1, t.Count);
        var j = t.Bands[(int)Band.J];
        Assert.Equal(3, j.NDet[0]);
        Assert.Equal(0, j.NNonDet[0]);
        Assert.Equal(10.4f, j.Max[0]);   // the first member's, not the last's
        Assert.Equal(10.0f, j.Min[0]);
        // Unweighted over all three: 10.2, rms sqrt((0.2^2 + 0.2^2 + 0) / 3) = 0.163299.
        Assert.Equal(10.2, j.Mag[0], 4);
        Assert.Equal(0.163299, j.Rms[0], 4);
        // Weighted over the two with a sigma: 10.2 +- 1/sqrt(200) = 0.0707107; chi2 2^2 + 2^2 = 8, reduced by 1.
        Assert.Equal(10.2, j.MagW[0], 4);
        Assert.Equal(0.0707107, j.MagWErr[0], 5);
        Assert.Equal(8.0, j.Chi2[0], 3);
        Assert.Equal(8.0, j.RedChi2[0], 3);
        Assert.Equal(1, t.Bands[(int)Band.K].NNonDet[0]);
        Assert.Equal(3, t.Bands[(int)Band.H].NNonDet[0]);
        // Members 1 and 2 give one J-K pair each (weight 1): P = 2.828427 * -1.414214 = -4 -> -2, and -4 -> -2;
        // member 3 has no residual. J = -4 / 2 = -2 (with n_det = 3 in the J scale: -1.861208).
        Assert.Equal(-2.0, t.StetsonJ[0], 4);
        // K over the four residuals: mean|d| = 8.485281 / 4 = 2.121320, sqrt(mean d^2) = sqrt(20 / 4) = 2.236068.
        Assert.Equal(0.948683, t.StetsonK[0], 4);
    }

    [Fact]
    public void A_scan_that_detected_the_group_in_any_one_band_counts_in_sdet()
    {
        var b = new ExtractionBlock();
        // Four scans: J only, H only, Ks only, and one with no detection (a null in every band).
        Band[] only = [Band.J, Band.H, Band.K];
        for (int k = 0; k < 4; k++)
        {
            int r = Add(b, 1 + k, 1 + k, 100.0, -20.0 + 0.1 * k * Arcsec);
            if (k < 3) SetMag(b, r, only[k], 14f, 0.05f);
        }
        var (t, _, _, _) = MergeAll(b);

        Assert.Equal(1, t.Count);
        Assert.Equal(4, t.NScans[0]);
        Assert.Equal(3, t.Sdet[0]);
        Assert.Equal(4, t.Spos[0]);
    }
    [Fact]
    public void Motion_fit_with_unequal_weights_and_a_member_without_a_time()
    {
        var b = new ExtractionBlock();
        // Four epochs 100 days apart, circular errors 0.1, 0.2, 0.1, 0.05" (w 100, 25, 100, 400 on both axes),
        // offsets (east, north) in arcsec; a fifth member has no time and stays out of the fit and the mean date.
        double[] days = [0, 100, 200, 300], east = [0, 0.12, 0.18, 0.33], north = [0, -0.04, -0.12, -0.13];
        float[] sigma = [0.1f, 0.2f, 0.1f, 0.05f];
        for (int k = 0; k < 4; k++)
        {
            var (ra, dec) = Offset(120.0, -45.0, east[k], north[k]);
            int r = Add(b, 1 + k, 1 + k, ra, dec, 2451000.0 + days[k]);
            b.ErrMaj[r] = b.ErrMin[r] = sigma[k]; b.ErrAng[r] = 0f;
        }
        var (raT, decT) = Offset(120.0, -45.0, 0.1, 0.0);
        Add(b, 5, 5, raT, decT);
        var (t, _, _, _) = MergeAll(b);

        Assert.Equal(1, t.Count);
        Assert.Equal(MotionStatus.Fitted, t.PmStatus[0]);
        Assert.Equal(2451150.0, t.MeanJDate[0], 9);   // over the four times, not the five members
        Assert.Equal(300f, t.BaselineDays[0]);
        // numpy, per axis: t_w = sum w t / sum w = 215.4639 d; b = sum w (t - t_w)(x - x_w) / sum w (t - t_w)^2,
        // x 365250 mas/yr per "/day; error 365250 / sqrt(sum w (t - t_w)^2); chi2 = sum w r^2 over both axes.
        Assert.Equal(405.540464, t.PmRa[0], 2);
        Assert.Equal(-154.384021, t.PmDec[0], 2);
        Assert.Equal(131.117109, t.PmRaErr[0], 2);
        Assert.Equal(131.117109, t.PmDecErr[0], 2);
        Assert.Equal(0.139175 + 0.093608, t.PmChi2[0], 4);
    }

    [Fact]
    public void Motion_needs_three_members_with_a_time_however_many_members_there_are()
    {
        var b = new ExtractionBlock();
        // Four members; only two have a time (100 days apart): a line through two points is no fit.
        for (int k = 0; k < 4; k++) Add(b, 1 + k, 1 + k, 50.0, 30.0 + 0.1 * k * Arcsec, k < 2 ? 2451000.0 + 100 * k : double.NaN);
        var (t, _, _, _) = MergeAll(b);

        Assert.Equal(MotionStatus.TooFewMembers, t.PmStatus[0]);
        Assert.True(float.IsNaN(t.PmRa[0]));
        Assert.Equal(2451050.0, t.MeanJDate[0], 9);
        Assert.Equal(100f, t.BaselineDays[0]);
    }

    [Fact]
    public void A_group_whose_members_are_all_flagged_has_no_mixed_flags()
    {
        var b = new ExtractionBlock();
        int r0 = Add(b, 1, 1, 80.0, 5.0);
        int r1 = Add(b, 2, 2, 80.0, 5.0 + 0.2 * Arcsec);
        b[Band.J].CcFlg[r0] = (byte)'p';
        b[Band.K].CcFlg[r1] = (byte)'s';
        var (t, _, _, _) = MergeAll(b);

        Assert.Equal(2, t.NFlagged[0]);
        Assert.False(t.MixedFlags[0]);
        Assert.Equal(CcFlags.Persistence | CcFlags.Stripe, t.CcMask[0]);
    }
    [Fact]
    public void A_group_left_whole_with_two_extractions_of_one_scan_counts_that_scan_once()
    {
        // As an unresolved confused group (ConfusionResult.Unresolved): one final group holding two detections of
        // scan 3. The footprints know scans 1, 2 and 4 (4 covered the position without detecting it), not 3.
        var b = new ExtractionBlock();
        var known = new ExtractionBlock();
        foreach (var (cntr, scan, north) in new (long, long, double)[] { (1, 1, 0.0), (2, 2, 0.1), (3, 3, 0.2), (4, 3, 0.5) })
        {
            SetMag(b, Add(b, cntr, scan, 150.0, 20.0 + north * Arcsec), Band.H, 13f, 0.05f);
            if (scan < 3) Add(known, cntr, scan, 150.0, 20.0 + north * Arcsec);
        }
        Add(known, 9, 4, 150.0, 20.0);
        long[] one = [1, 1, 1, 1];
        var results = ExtractionResults.Allocate(b.Count);
        var t = GroupStatistics.Compute(b, MembershipBuilder.Build(b, one), one, [true, true, true, true],
                                        ScanFootprints.DeriveFromExtractions(known), results);

        Assert.Equal(1, t.Count);
        Assert.Equal(4, t.NMembers[0]);
        Assert.Equal(3, t.NScans[0]);   // scans 1, 2, 3
        Assert.Equal(3, t.Sdet[0]);
        Assert.Equal(4, t.Spos[0]);     // 1, 2 and 4 by their footprints, 3 once by its detections
    }
}
