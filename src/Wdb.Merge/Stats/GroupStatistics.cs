using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Wdb.Core;

namespace Wdb.Merge;

/// <summary>
/// Per-group statistics of the merged database (SPEC §4 "Per group"): positions,
/// photometry, variability, motion, confirmation and flags. Groups are independent, so the
/// work runs in parallel over ranges of groups, each range with its own scratch buffers
/// (no allocation per member; one string per group for the designation).
/// </summary>
public static class GroupStatistics
{
    /// <summary>Nominal position error (arcsec) of a member without an error ellipse: weight 1 arcsec^-2.</summary>
    public const double NominalPositionSigmaArcsec = 1.0;
    /// <summary>Smallest position sigma used for a weight (arcsec), so a zero err_min cannot dominate.</summary>
    public const double MinPositionSigmaArcsec = 0.01;
    /// <summary>A proper-motion fit needs at least this time baseline (days).</summary>
    public const double MinBaselineDays = 30.0;
    /// <summary>And at least this many members with a time.</summary>
    public const int MinMotionMembers = 3;
    /// <summary>Julian year (days), for mas/yr.</summary>
    public const double DaysPerYear = 365.25;

    private const int RangeSize = 256;

    /// <summary>
    /// Fills a <see cref="GroupTable"/> in <paramref name="membership"/> order and, for every
    /// member row, <c>results.SepArcsec</c> (separation from its group's weighted mean),
    /// <c>results.Gcntr</c> and <c>results.Cgid</c> (Reliability is left to its stage).
    /// </summary>
    /// <param name="cgid">Candidate group per row.</param>
    /// <param name="confused">Per row: its candidate group was confused (see <see cref="ConfusionResult.Confused"/>).</param>
    public static GroupTable Compute(ExtractionBlock block, Membership membership, ReadOnlySpan<long> cgid,
                                     ReadOnlySpan<bool> confused, ScanFootprints footprints, ExtractionResults results) =>
        Compute(block, membership, cgid.ToArray(), confused.ToArray(), footprints, results, 0);

    /// <summary>
    /// As the span overload, reading the arrays in place (the pipeline's: no copy of a
    /// 26 MB cgid column on a 3.25 M-row tile), on <paramref name="threads"/> threads (0: every core).
    /// </summary>
    public static GroupTable Compute(ExtractionBlock block, Membership membership, long[] cgid,
                                     bool[] confused, ScanFootprints footprints, ExtractionResults results, int threads) =>
        Compute(block, membership, cgid, confused, footprints, results, threads, singles: true);

    /// <summary>As above; <paramref name="singles"/> false sends groups of one through the general path too (the tests' reference).</summary>
    internal static GroupTable Compute(ExtractionBlock block, Membership membership, long[] cgid,
                                       bool[] confused, ScanFootprints footprints, ExtractionResults results, int threads, bool singles)
    {
        int groups = membership.GroupCount;
        var table = new GroupTable();
        table.Allocate(groups);
        var sizes = CandidateSizes.Of(membership, cgid, confused);
        int ranges = (groups + RangeSize - 1) / RangeSize;
        Parallel.For(0, ranges, Threads.Options(threads), () => new Scratch(), (r, _, scratch) =>
        {
            int start = r * RangeSize;
            ComputeRange(block, membership, start, Math.Min(groups, start + RangeSize), cgid, confused, footprints, sizes,
                results, table, start, scratch, singles);
            return scratch;
        }, _ => { });
        return table;
    }

    /// <summary>
    /// Groups [<paramref name="start"/>, <paramref name="end"/>) into rows from <paramref name="intoRow"/> of
    /// <paramref name="into"/>, and their member rows' results, on the calling thread: <see cref="Compute(ExtractionBlock, Membership, long[], bool[], ScanFootprints, ExtractionResults, int)"/>
    /// runs it over ranges of the whole table, both merges over parts of the groups they are about to write or
    /// spill (<see cref="OrderedGroups.Compute"/>, into a small table, so the whole one never exists). Every
    /// value depends only on the group's own rows and <paramref name="sizes"/>, so both give the same bytes.
    /// </summary>
    internal static void ComputeRange(ExtractionBlock block, Membership membership, int start, int end, long[] cgid,
        bool[] confused, ScanFootprints footprints, CandidateSizes sizes, ExtractionResults results, GroupTable into,
        int intoRow, Scratch scratch, bool singles = true)
    {
        for (int g = start; g < end; g++)
        {
            int row = intoRow + g - start;
            ComputeGroup(block, membership, g, row, cgid, confused, footprints, results, into, scratch, singles);
            into.CandidateSize[row] = sizes.Of(into.Cgid[row], into.Confused[row], into.NMembers[row]);
        }
    }

    /// <summary>
    /// Members of each candidate group: equal to a final group's NMembers when it was not split, else the
    /// sum over the final groups that share the cgid (wherever they fall in gcntr order), found before
    /// any statistics so that groups can be computed range by range.
    /// </summary>
    internal sealed class CandidateSizes
    {
        private readonly Dictionary<long, int> _confused = new();

        /// <param name="cgid">Candidate group per row.</param>
        /// <param name="confused">Per row: its candidate group was confused.</param>
        public static CandidateSizes Of(Membership membership, long[] cgid, bool[] confused)
        {
            var sizes = new CandidateSizes();
            for (int g = 0; g < membership.GroupCount; g++)
            {
                var members = membership.Members(g);
                if (members.Length == 0 || !confused[members[0]]) continue;
                long id = cgid[members[0]];
                sizes._confused[id] = sizes._confused.GetValueOrDefault(id) + members.Length;
            }
            return sizes;
        }

        public int Of(long cgid, bool confused, int members) => confused ? _confused[cgid] : members;
    }

    /// <summary>A thread's member buffers for <see cref="ComputeRange"/>, grown to the largest group seen.</summary>
    internal sealed class Scratch
    {
        public long[] Scans = new long[64], DetScans = new long[64];
        public readonly long[] Covering = new long[32];   // the covering scans' keys of a survey group (a tile's overflow it)
        public double[] Xi = new double[64], Eta = new double[64], WXi = new double[64], WEta = new double[64];
        public double[] Ux = new double[64], Uy = new double[64], Uz = new double[64];   // member unit vectors
        public double[] MemberRa = new double[64], MemberDec = new double[64];           // their positions, gathered
        public double[] Delta = new double[3 * 64];   // Stetson residual per member and band; NaN when none
        public float[] Diffs = new float[256];        // |dm| of structure-function pairs
        public float[] DetectedMag = new float[64];  // one band's detected magnitudes, in member (time) order
        public readonly int[] Histogram = new int[Selection.HistogramLength];

        public void Ensure(int m)
        {
            if (Scans.Length >= m) return;
            int n = Math.Max(m, Scans.Length * 2);
            Scans = new long[n]; DetScans = new long[n];
            Xi = new double[n]; Eta = new double[n]; WXi = new double[n]; WEta = new double[n];
            Ux = new double[n]; Uy = new double[n]; Uz = new double[n];
            MemberRa = new double[n]; MemberDec = new double[n];
            Delta = new double[3 * n]; DetectedMag = new float[n];
        }

        public void EnsureDiffs(int count)
        {
            if (Diffs.Length < count) Diffs = new float[Math.Max(count, Diffs.Length * 2)];
        }
    }

    /// <summary>Group g (of <paramref name="membership"/>) into row <paramref name="row"/> of <paramref name="t"/>.</summary>
    private static void ComputeGroup(ExtractionBlock block, Membership membership, int g, int row, long[] cgid, bool[] confused,
                                     ScanFootprints footprints, ExtractionResults results, GroupTable t, Scratch s, bool singles)
    {
        ReadOnlySpan<int> members = membership.Members(g);
        int m = members.Length;
        s.Ensure(m);
        long gcntr = membership.Gcntr[g];
        t.Gcntr[row] = gcntr;
        t.NMembers[row] = m;
        if (m == 0) { FillEmpty(t, row); return; }
        t.Cgid[row] = cgid[members[0]];
        t.Confused[row] = confused[members[0]];
        foreach (int r in members)
        {
            results.Gcntr[r] = gcntr;
            results.Cgid[r] = cgid[r];
        }

        Positions(block, members, t, row, s, results);
        if (m == 1 && singles) SinglePhotometry(block, members[0], t, row);
        else
        {
            Photometry(block, members, t, row, s);
            Variability(block, members, t, row, s);
        }
        Confirmation(block, members, t, row, s, footprints);
        Motion(block, members, t, row, s);
        Flags(block, members, t, row);
    }

    /// <summary>
    /// A group of one (most survey groups are sources seen once): the photometry and variability
    /// <see cref="Photometry"/> and <see cref="Variability"/> give one member, by the same operations
    /// (sums start at zero, so a -0 magnitude gives the general path's +0 mean), without their loops
    /// over members and the scratch residuals. Tests compare the two on every column.
    /// </summary>
    private static void SinglePhotometry(ExtractionBlock block, int row, GroupTable t, int g)
    {
        for (int b = 0; b < Bands.Count; b++)
        {
            BandColumns col = block.Bands[b];
            BandStats st = t.Bands[b];
            if (!col.IsDetection(row))
            {
                st.NDet[g] = 0;
                st.NNonDet[g] = 1;
                st.MagW[g] = st.MagWErr[g] = st.Mag[g] = st.Rms[g] = st.Chi2[g] = st.RedChi2[g] = st.Min[g] = st.Max[g] = float.NaN;
                continue;
            }
            float mag = col.Mag[row];
            double sum = 0;
            sum += mag;
            double mean = sum / 1;
            double dm = (double)mag - mean;
            st.NDet[g] = 1;
            st.NNonDet[g] = 0;
            st.Mag[g] = (float)mean;
            st.Rms[g] = (float)Math.Sqrt(dm * dm / 1);
            st.Min[g] = st.Max[g] = mag;
            st.RedChi2[g] = float.NaN;
            float sig = col.Sig[row];
            if (sig > 0 && float.IsFinite(sig))
            {
                // As Photometry: one weighted magnitude is its own mean, its chi2 0.
                double w = 1.0 / ((double)sig * sig);
                st.MagW[g] = mag;
                st.MagWErr[g] = (float)(1 / Math.Sqrt(w));
                st.Chi2[g] = 0f;
            }
            else st.MagW[g] = st.MagWErr[g] = st.Chi2[g] = float.NaN;
        }

        // One member has no Stetson residual (n_w < 2) and no pair of detections.
        t.StetsonJ[g] = t.StetsonK[g] = t.SfAmp[g] = float.NaN;
    }

    /// <summary>A group without members (none is made by the merge): every field, as a chunk-sized table is reused.</summary>
    private static void FillEmpty(GroupTable t, int g)
    {
        t.Cgid[g] = 0;
        t.Confused[g] = false;
        t.NScans[g] = t.Sdet[g] = t.Spos[g] = t.CcMask[g] = t.NFlagged[g] = 0;
        t.MixedFlags[g] = false;
        foreach (var b in t.Bands) b.NDet[g] = b.NNonDet[g] = 0;
        t.RaW[g] = t.DecW[g] = t.Ra[g] = t.Dec[g] = double.NaN;
        t.SigRaW[g] = t.SigDecW[g] = t.RmsSep[g] = float.NaN;
        foreach (var b in t.Bands)
            b.MagW[g] = b.MagWErr[g] = b.Mag[g] = b.Rms[g] = b.Chi2[g] = b.RedChi2[g] = b.Min[g] = b.Max[g] = float.NaN;
        t.StetsonJ[g] = t.StetsonK[g] = t.SfAmp[g] = float.NaN;
        t.PmStatus[g] = MotionStatus.TooFewMembers;
        t.PmRa[g] = t.PmDec[g] = t.PmRaErr[g] = t.PmDecErr[g] = t.PmChi2[g] = t.BaselineDays[g] = float.NaN;
        t.MeanJDate[g] = double.NaN;
    }

    /// <summary>
    /// Position sigmas along east (RA*cos dec) and north (Dec), arcsec, from the error
    /// ellipse: semi-axes a &gt;= b at position angle theta (E of N) give the diagonal of the
    /// covariance, sigma_E^2 = a^2 sin^2 theta + b^2 cos^2 theta and sigma_N^2 = a^2 cos^2
    /// theta + b^2 sin^2 theta (the off-diagonal term is dropped: per-axis weights). A missing
    /// minor axis means a circle of radius a, a missing angle likewise; without err_maj the
    /// member gets <see cref="NominalPositionSigmaArcsec"/> (weight 1) on both axes.
    /// </summary>
    internal static void PositionSigmas(float errMaj, float errMin, float errAng, out double sigE, out double sigN)
    {
        if (!(errMaj > 0) || float.IsInfinity(errMaj))
        {
            sigE = sigN = NominalPositionSigmaArcsec;
            return;
        }
        double a = errMaj, b = errMin > 0 && float.IsFinite(errMin) ? errMin : errMaj;
        if (!float.IsFinite(errAng)) a = b = Math.Max(a, b);
        double st, ct;
        int whole = (int)errAng;
        if (whole == errAng && (uint)whole <= AngleTableMaxDeg && !float.IsNegative(errAng))
        {
            // 2MASS err_ang is whole degrees: the same sin and cos, looked up.
            st = SinOfDegree[whole];
            ct = CosOfDegree[whole];
        }
        else
        {
            double th = float.IsFinite(errAng) ? errAng * Sky.DegToRad : 0;
            st = Math.Sin(th);
            ct = Math.Cos(th);
        }
        sigE = Math.Max(MinPositionSigmaArcsec, Math.Sqrt(a * a * st * st + b * b * ct * ct));
        sigN = Math.Max(MinPositionSigmaArcsec, Math.Sqrt(a * a * ct * ct + b * b * st * st));
    }

    private const int AngleTableMaxDeg = 360;
    // Math.Sin/Cos of (float)d * DegToRad for whole d: the very values PositionSigmas computes otherwise.
    private static readonly double[] SinOfDegree = DegreeTable(Math.Sin), CosOfDegree = DegreeTable(Math.Cos);

    private static double[] DegreeTable(Func<double, double> f)
    {
        var table = new double[AngleTableMaxDeg + 1];
        for (int d = 0; d <= AngleTableMaxDeg; d++) table[d] = f((float)d * Sky.DegToRad);
        return table;
    }

    /// <summary>
    /// Unweighted mean: the normalised mean unit vector (no RA 0/360 or pole problem).
    /// Weighted mean: members projected (gnomonic) onto the tangent plane at the unweighted
    /// mean, per-axis inverse-variance means of (xi, eta), deprojected; its uncertainty is
    /// 1/sqrt(sum of weights) per axis (arcsec). Separations are exact chords to the
    /// weighted mean; RmsSep = sqrt(mean sep^2). Xi/Eta (arcsec) and weights stay in the
    /// scratch for the motion fit.
    /// </summary>
    private static void Positions(ExtractionBlock block, ReadOnlySpan<int> members, GroupTable t, int g, Scratch s, ExtractionResults results)
    {
        int m = members.Length;
        if (m == 1)
        {
            // A group of one is its member: the position as given, not a round trip through
            // unit vectors (which would move it by ~1e-11" and cost four trig calls). Most
            // survey groups are single apparitions.
            int only = members[0];
            t.Ra[g] = t.RaW[g] = block.Ra[only];
            t.Dec[g] = t.DecW[g] = block.Dec[only];
            PositionSigmas(block.ErrMaj[only], block.ErrMin[only], block.ErrAng[only], out double se1, out double sn1);
            t.SigRaW[g] = (float)se1;
            t.SigDecW[g] = (float)sn1;
            results.SepArcsec[only] = 0;
            t.RmsSep[g] = 0;
            return;
        }
        double[] ux = s.Ux, uy = s.Uy, uz = s.Uz, mra = s.MemberRa, mdec = s.MemberDec;
        for (int k = 0; k < m; k++) { mra[k] = block.Ra[members[k]]; mdec[k] = block.Dec[members[k]]; }
        Sky.UnitVectors(mra.AsSpan(0, m), mdec.AsSpan(0, m), ux, uy, uz);
        double sx = 0, sy = 0, sz = 0;
        for (int k = 0; k < m; k++) { sx += ux[k]; sy += uy[k]; sz += uz[k]; }
        double norm = Math.Sqrt(sx * sx + sy * sy + sz * sz);
        double cx = sx / norm, cy = sy / norm, cz = sz / norm;
        (t.Ra[g], t.Dec[g]) = Sky.ToRaDec(cx, cy, cz);
        // East and north unit vectors at the centre (east is x at a pole).
        double ex = -cy, ey = cx, en = Math.Sqrt(ex * ex + ey * ey);
        if (en < 1e-15) { ex = 1; ey = 0; en = 1; }
        ex /= en; ey /= en;
        double nx = -cz * ey, ny = cz * ex, nz = cx * ey - cy * ex;

        const double radToArcsec = 1.0 / Sky.ArcsecToRad;
        double swe = 0, swn = 0, sxw = 0, syw = 0;
        for (int k = 0; k < m; k++)
        {
            int row = members[k];
            double x = ux[k], y = uy[k], z = uz[k];
            double d = x * cx + y * cy + z * cz;
            double xi = (x * ex + y * ey) / d * radToArcsec;
            double eta = (x * nx + y * ny + z * nz) / d * radToArcsec;
            PositionSigmas(block.ErrMaj[row], block.ErrMin[row], block.ErrAng[row], out double se, out double sn);
            double we = 1 / (se * se), wn = 1 / (sn * sn);
            s.Xi[k] = xi; s.Eta[k] = eta; s.WXi[k] = we; s.WEta[k] = wn;
            swe += we; swn += wn; sxw += we * xi; syw += wn * eta;
        }
        double mx = sxw / swe * Sky.ArcsecToRad, my = syw / swn * Sky.ArcsecToRad;
        double wx = cx + mx * ex + my * nx, wy = cy + mx * ey + my * ny, wz = cz + my * nz;
        double wnorm = Math.Sqrt(wx * wx + wy * wy + wz * wz);
        wx /= wnorm; wy /= wnorm; wz /= wnorm;
        (t.RaW[g], t.DecW[g]) = Sky.ToRaDec(wx, wy, wz);
        t.SigRaW[g] = (float)(1 / Math.Sqrt(swe));
        t.SigDecW[g] = (float)(1 / Math.Sqrt(swn));

        double sumSep2 = 0;
        for (int k = 0; k < m; k++)
        {
            double dx = ux[k] - wx, dy = uy[k] - wy, dz = uz[k] - wz;
            double sep = 2 * Math.Asin(Math.Min(1, 0.5 * Math.Sqrt(dx * dx + dy * dy + dz * dz))) * radToArcsec;
            results.SepArcsec[members[k]] = (float)sep;
            sumSep2 += sep * sep;
        }
        t.RmsSep[g] = (float)Math.Sqrt(sumSep2 / m);
    }

    /// <summary>
    /// Per band, detections only (<see cref="Bands.IsDetection"/>; upper limits and nulls are
    /// counted in NNonDet and never averaged). Unweighted mean, rms about it (population,
    /// divided by NDet), min, max over all detections. Weighted mean over detections with a
    /// valid sigma (&gt; 0; `msigcom`, the total error): w = 1/sigma^2, error 1/sqrt(sum w),
    /// chi^2 = sum w (m - mean_w)^2, reduced by (n_w - 1) (NaN for n_w &lt; 2). Detections
    /// without a sigma enter only the unweighted values. Stetson residuals per member:
    /// delta = sqrt(n_w / (n_w - 1)) (m - mean_w) / sigma (Stetson 1996, PASP 108, 851, eq. 1
    /// with the plain weighted mean), NaN where undefined.
    /// </summary>
    private static void Photometry(ExtractionBlock block, ReadOnlySpan<int> members, GroupTable t, int g, Scratch s)
    {
        int m = members.Length;
        for (int b = 0; b < Bands.Count; b++)
        {
            BandColumns col = block.Bands[b];
            BandStats st = t.Bands[b];
            int nd = 0, nw = 0;
            double sum = 0, sw = 0, swm = 0, lastWeighted = double.NaN;
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            for (int k = 0; k < m; k++)
            {
                int row = members[k];
                s.Delta[3 * k + b] = double.NaN;
                if (!col.IsDetection(row)) continue;
                float mag = col.Mag[row];
                nd++; sum += mag;
                if (mag < min) min = mag;
                if (mag > max) max = mag;
                float sig = col.Sig[row];
                if (sig > 0 && float.IsFinite(sig))
                {
                    double w = 1.0 / ((double)sig * sig);
                    nw++; sw += w; swm += w * mag; lastWeighted = mag;
                }
            }
            st.NDet[g] = nd;
            st.NNonDet[g] = m - nd;
            if (nd == 0)
            {
                st.MagW[g] = st.MagWErr[g] = st.Mag[g] = st.Rms[g] = st.Chi2[g] = st.RedChi2[g] = st.Min[g] = st.Max[g] = float.NaN;
                continue;
            }
            double mean = sum / nd;
            // One weighted magnitude is its own mean: w * mag / w can round away from it (a chi2 of 3e-28, not 0).
            double meanW = nw == 1 ? lastWeighted : nw > 0 ? swm / sw : double.NaN;
            double ss = 0, chi2 = 0;
            double deltaScale = nw >= 2 ? Math.Sqrt(nw / (nw - 1.0)) : double.NaN;
            for (int k = 0; k < m; k++)
            {
                int row = members[k];
                if (!col.IsDetection(row)) continue;
                double mag = col.Mag[row];
                ss += (mag - mean) * (mag - mean);
                float sig = col.Sig[row];
                if (sig > 0 && float.IsFinite(sig))
                {
                    double r = (mag - meanW) / sig;
                    chi2 += r * r;
                    s.Delta[3 * k + b] = deltaScale * r;
                }
            }
            st.Mag[g] = (float)mean;
            st.Rms[g] = (float)Math.Sqrt(ss / nd);
            st.Min[g] = min; st.Max[g] = max;
            st.MagW[g] = (float)meanW;
            st.MagWErr[g] = nw > 0 ? (float)(1 / Math.Sqrt(sw)) : float.NaN;
            st.Chi2[g] = nw > 0 ? (float)chi2 : float.NaN;
            st.RedChi2[g] = nw >= 2 ? (float)(chi2 / (nw - 1)) : float.NaN;
        }
    }

    /// <summary>
    /// NScans: distinct scans among members. Sdet: distinct scans with a member detected in
    /// at least one band. Spos: scans whose footprint covers the weighted mean (SPEC §4).
    /// </summary>
    private static void Confirmation(ExtractionBlock block, ReadOnlySpan<int> members, GroupTable t, int g, Scratch s,
                                     ScanFootprints footprints)
    {
        int m = members.Length, nd = 0;
        for (int k = 0; k < m; k++)
        {
            int row = members[k];
            long key = block.ScanKey[row];
            s.Scans[k] = key;
            bool det = block.Bands[0].IsDetection(row) || block.Bands[1].IsDetection(row) || block.Bands[2].IsDetection(row);
            if (det) s.DetScans[nd++] = key;
        }
        t.NScans[g] = Distinct(s.Scans, m);
        int sdet = t.Sdet[g] = Distinct(s.DetScans, nd);
        int covering = footprints.CountCovering(t.RaW[g], t.DecW[g], s.Covering, out int listed);
        t.Spos[g] = covering + DetectingScansMissed(s.DetScans, nd, sdet, t.RaW[g], t.DecW[g], footprints, s.Covering.AsSpan(0, Math.Max(listed, 0)), listed >= 0);
    }

    /// <summary>
    /// The group's detecting scans whose footprint misses its mean position (or that have none): a detection proves the
    /// scan looked there, so spos counts them too and never falls below sdet. A derived footprint holds its own
    /// extractions with 2" to spare, so this is 0 on real scans; a --scans table without the inputs' scans, or
    /// scans that span the sky (synthetic), are where it is not. <paramref name="keys"/>' first n hold equal keys side by
    /// side (Distinct sorts more than two); <paramref name="sdet"/> is how many differ. Without a position no footprint
    /// covers the group, and its detecting scans are its spos.
    /// </summary>
    /// <param name="covering">The covering scans' keys, when <paramref name="complete"/>: a survey group's few are
    /// searched in place (a key look-up over ~10^5 scans missed the caches: +8 % of the 10 M survey's CPU); a tile's
    /// hundreds, over a few hundred scans, are looked up one by one.</param>
    private static int DetectingScansMissed(long[] keys, int n, int sdet, double ra, double dec, ScanFootprints footprints,
                                            ReadOnlySpan<long> covering, bool complete)
    {
        if (n == 0) return 0;
        if (!double.IsFinite(ra) || !double.IsFinite(dec)) return sdet;
        double x = 0, y = 0, z = 0;
        if (!complete) (x, y, z) = Sky.UnitVector(ra, dec);
        int missed = 0;
        for (int k = 0; k < n; k++)
        {
            if (k > 0 && keys[k] == keys[k - 1]) continue;
            bool covers = complete ? covering.Contains(keys[k]) : footprints.Covers(keys[k], x, y, z);
            if (!covers) missed++;
        }
        return missed;
    }

    private static int Distinct(long[] keys, int n)
    {
        if (n <= 1) return n;
        if (n == 2) return keys[0] == keys[1] ? 1 : 2;
        // A survey source's few scans by insertion; Array.Sort for the calibration tiles' hundreds. (Array.Sort
        // over longs is jitted at its first call, which a survey run then never makes: bench/NOTES.md 86.)
        if (n <= 16)
        {
            for (int i = 1; i < n; i++)
            {
                long v = keys[i];
                int j = i - 1;
                for (; j >= 0 && keys[j] > v; j--) keys[j + 1] = keys[j];
                keys[j + 1] = v;
            }
        }
        else Array.Sort(keys, 0, n);
        int d = 1;
        for (int k = 1; k < n; k++) if (keys[k] != keys[k - 1]) d++;
        return d;
    }

    /// <summary>
    /// Stetson J (Stetson 1996, PASP 108, 851, eq. 1-2, with the 2MASS use of Carpenter,
    /// Hillenbrand &amp; Skrutskie 2001, AJ 121, 3160): each member (one scan) gives the
    /// products P of the residuals delta of its simultaneous J/H/Ks measurements: three
    /// pairs of weight 2/3 each when all three bands have a residual, one pair of weight 1
    /// for two bands, and P = delta^2 - 1 with weight 1 for a single band;
    /// J = sum w sgn(P) sqrt|P| / sum w. Stetson K = mean|delta| / sqrt(mean delta^2) over
    /// every residual of every band (pooled). Structure-function amplitude: the median of
    /// |m_i - m_j| over pairs of detections of one band taken in time order at rank lags
    /// 1, 2, 4, 8, ... (pairs (i, i + 2^q)), pooled over J, H, Ks: every time scale sampled,
    /// O(n log n) pairs, raw (photometric noise not subtracted). NaN where no term exists.
    /// </summary>
    private static void Variability(ExtractionBlock block, ReadOnlySpan<int> members, GroupTable t, int g, Scratch s)
    {
        int m = members.Length;
        double sw = 0, sj = 0, sAbs = 0, sSq = 0;
        int nDelta = 0;
        for (int k = 0; k < m; k++)
        {
            double dj = s.Delta[3 * k], dh = s.Delta[3 * k + 1], dk = s.Delta[3 * k + 2];
            bool vj = !double.IsNaN(dj), vh = !double.IsNaN(dh), vk = !double.IsNaN(dk);
            int v = (vj ? 1 : 0) + (vh ? 1 : 0) + (vk ? 1 : 0);
            if (v == 0) continue;
            if (vj) { sAbs += Math.Abs(dj); sSq += dj * dj; nDelta++; }
            if (vh) { sAbs += Math.Abs(dh); sSq += dh * dh; nDelta++; }
            if (vk) { sAbs += Math.Abs(dk); sSq += dk * dk; nDelta++; }
            if (v == 3)
            {
                const double w = 2.0 / 3.0;
                sj += w * (SignedRoot(dj * dh) + SignedRoot(dj * dk) + SignedRoot(dh * dk));
                sw += 3 * w;
            }
            else if (v == 2)
            {
                double p = vj ? (vh ? dj * dh : dj * dk) : dh * dk;
                sj += SignedRoot(p);
                sw += 1;
            }
            else
            {
                double d = vj ? dj : vh ? dh : dk;
                sj += SignedRoot(d * d - 1);
                sw += 1;
            }
        }
        t.StetsonJ[g] = sw > 0 ? (float)(sj / sw) : float.NaN;
        t.StetsonK[g] = nDelta > 0 && sSq > 0 ? (float)(sAbs / nDelta / Math.Sqrt(sSq / nDelta)) : float.NaN;
        t.SfAmp[g] = StructureFunctionAmplitude(block, members, s);
    }

    private static double SignedRoot(double p) => p >= 0 ? Math.Sqrt(p) : -Math.Sqrt(-p);

    private static float StructureFunctionAmplitude(ExtractionBlock block, ReadOnlySpan<int> members, Scratch s)
    {
        int m = members.Length;
        int maxPairs = 0;
        for (int lag = 1; lag < m; lag <<= 1) maxPairs += m - lag;
        s.EnsureDiffs(3 * maxPairs);
        int count = 0;
        float[] mags = s.DetectedMag;
        for (int b = 0; b < Bands.Count; b++)
        {
            BandColumns col = block.Bands[b];
            int nd = 0;
            foreach (int row in members) if (col.IsDetection(row)) mags[nd++] = col.Mag[row];
            for (int lag = 1; lag < nd; lag <<= 1) count = AbsDifferences(mags, nd, lag, s.Diffs, count);
        }
        if (count == 0) return float.NaN;
        // The median by selection, O(count): a full sort of ~10^4 differences per dense
        // calibration group dominated the statistics stage.
        return Selection.Median(s.Diffs.AsSpan(0, count), s.Histogram);
    }

    /// <summary>
    /// Appends |m[i + lag] - m[i]| for i in [0, n - lag) to diffs at <paramref name="at"/>;
    /// returns the new end. Eight at a time: the same float subtraction and sign clearing.
    /// </summary>
    private static int AbsDifferences(float[] m, int n, int lag, float[] diffs, int at)
    {
        int len = n - lag, i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i <= len - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var d = Vector256.LoadUnsafe(ref m[0], (nuint)(i + lag)) - Vector256.LoadUnsafe(ref m[0], (nuint)i);
                Vector256.Abs(d).StoreUnsafe(ref diffs[0], (nuint)(at + i));
            }
        for (; i < len; i++) diffs[at + i] = Math.Abs(m[i + lag] - m[i]);
        return at + len;
    }

    /// <summary>
    /// Proper motion: weighted least squares of the tangent-plane offsets xi (RA*cos dec)
    /// and eta (Dec) about the unweighted mean against time, each axis with its own weights
    /// (<see cref="PositionSigmas"/>), x = a + b (t - t_w). b in mas/yr (Julian year), its
    /// error 1/sqrt(sum w (t - t_w)^2) (formal, not rescaled by chi^2), PmChi2 the sum of both
    /// axes' chi^2 (2n - 4 degrees of freedom). Members without a time are left out.
    /// Status: TooFewMembers (&lt; 3 members, or &lt; 3 with a time), NoTimes, BaselineTooShort
    /// (&lt; 30 days), Degenerate (no spread of times under the weights).
    /// </summary>
    private static void Motion(ExtractionBlock block, ReadOnlySpan<int> members, GroupTable t, int g, Scratch s)
    {
        int m = members.Length, nt = 0;
        double tMin = double.PositiveInfinity, tMax = double.NegativeInfinity, tSum = 0;
        foreach (int row in members)
        {
            double jd = block.JDate[row];
            if (!double.IsFinite(jd)) continue;
            nt++; tSum += jd;
            if (jd < tMin) tMin = jd;
            if (jd > tMax) tMax = jd;
        }
        t.MeanJDate[g] = nt > 0 ? tSum / nt : double.NaN;
        t.BaselineDays[g] = nt > 0 ? (float)(tMax - tMin) : float.NaN;
        t.PmRa[g] = t.PmDec[g] = t.PmRaErr[g] = t.PmDecErr[g] = t.PmChi2[g] = float.NaN;
        MotionStatus status =
            m < MinMotionMembers ? MotionStatus.TooFewMembers :
            nt == 0 ? MotionStatus.NoTimes :
            nt < MinMotionMembers ? MotionStatus.TooFewMembers :
            tMax - tMin < MinBaselineDays ? MotionStatus.BaselineTooShort :
            MotionStatus.Fitted;
        if (status == MotionStatus.Fitted)
        {
            double t0 = t.MeanJDate[g];
            bool okRa = FitAxis(block, members, s.Xi, s.WXi, t0, tMax - tMin, out double bRa, out double eRa, out double cRa);
            bool okDec = FitAxis(block, members, s.Eta, s.WEta, t0, tMax - tMin, out double bDec, out double eDec, out double cDec);
            if (!okRa || !okDec) status = MotionStatus.Degenerate;
            else
            {
                const double scale = 1000.0 * DaysPerYear; // arcsec/day -> mas/yr
                t.PmRa[g] = (float)(bRa * scale); t.PmRaErr[g] = (float)(eRa * scale);
                t.PmDec[g] = (float)(bDec * scale); t.PmDecErr[g] = (float)(eDec * scale);
                t.PmChi2[g] = (float)(cRa + cDec);
            }
        }
        t.PmStatus[g] = status;
    }

    /// <summary>Weighted straight line x(t); slope in arcsec/day. False when the times have no spread under the weights.</summary>
    private static bool FitAxis(ExtractionBlock block, ReadOnlySpan<int> members, double[] x, double[] w, double t0, double baseline,
                                out double slope, out double slopeErr, out double chi2)
    {
        int m = members.Length;
        double sw = 0, swt = 0, swx = 0;
        for (int k = 0; k < m; k++)
        {
            double jd = block.JDate[members[k]];
            if (!double.IsFinite(jd)) continue;
            double dt = jd - t0;
            sw += w[k]; swt += w[k] * dt; swx += w[k] * x[k];
        }
        double tw = swt / sw, xw = swx / sw;
        double stt = 0, stx = 0;
        for (int k = 0; k < m; k++)
        {
            double jd = block.JDate[members[k]];
            if (!double.IsFinite(jd)) continue;
            double dt = jd - t0 - tw;
            stt += w[k] * dt * dt; stx += w[k] * dt * (x[k] - xw);
        }
        slope = slopeErr = chi2 = double.NaN;
        // Relative test: a spread of times far below the baseline is round-off, not data.
        if (!(stt > 1e-12 * sw * baseline * baseline)) return false;
        slope = stx / stt;
        slopeErr = 1 / Math.Sqrt(stt);
        chi2 = 0;
        for (int k = 0; k < m; k++)
        {
            double jd = block.JDate[members[k]];
            if (!double.IsFinite(jd)) continue;
            double r = x[k] - xw - slope * (jd - t0 - tw);
            chi2 += w[k] * r * r;
        }
        return true;
    }

    /// <summary>
    /// CcMask: OR of <see cref="CcFlags.Of"/> over every member's J/H/Ks `cc_flg`; a member
    /// is flagged when any band carries a letter; MixedFlags when some members are flagged
    /// and some are clean (SPEC §4 "combined flags").
    /// </summary>
    private static void Flags(ExtractionBlock block, ReadOnlySpan<int> members, GroupTable t, int g)
    {
        int mask = 0, flagged = 0;
        byte[] cj = block.Bands[0].CcFlg, ch = block.Bands[1].CcFlg, ck = block.Bands[2].CcFlg;
        foreach (int row in members)
        {
            int mm = CcFlags.Of(cj[row]) | CcFlags.Of(ch[row]) | CcFlags.Of(ck[row]);
            mask |= mm;
            if (mm != 0) flagged++;
        }
        t.CcMask[g] = mask;
        t.NFlagged[g] = flagged;
        t.MixedFlags[g] = flagged > 0 && flagged < members.Length;
    }
}
