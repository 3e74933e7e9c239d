using Wdb.Core;

namespace Wdb.Merge;

/// <summary>
/// Artifact class of an extraction from its three `cc_flg` characters, ordered worst to
/// best so that a higher class never means a less reliable extraction. 2MASS Explanatory
/// Supplement §IV.7: an upper-case letter marks a detection that is itself a highly probable
/// artifact (those were left out of the PSC); a lower-case letter marks a source believed
/// real whose position or photometry may be affected by an artifact (p, d, s) or by
/// confusion with a neighbour (b, c).
/// </summary>
public enum ArtifactClass : byte
{
    /// <summary>Any band carries an upper-case letter: probably an artifact itself.</summary>
    Artifact = 0,
    /// <summary>Lower-case p, d, s (or an unknown lower-case letter) in some band: real but contaminated.</summary>
    Contaminated = 1,
    /// <summary>Only lower-case b or c: real, photometry confused by a neighbour.</summary>
    Confused = 2,
    /// <summary>'0' (or absent) in every band.</summary>
    Clean = 3,
}

/// <summary>
/// The raw evidence about one extraction that the reliability model bins: everything but
/// confirmation comes from the extraction's own columns.
/// </summary>
/// <param name="Artifact">Artifact class from `cc_flg`.</param>
/// <param name="FrameFraction">Best band's fraction of frames with a detection (from `ndet`), in [0, 1]; NaN when `ndet` is absent or no band was seen.</param>
/// <param name="BandsDetected">Bands (0..3) whose default magnitude is a detection (<see cref="Wdb.Core.Bands.IsDetection"/>).</param>
/// <param name="BestSnr">Largest SNR over the detected bands; NaN when none is known.</param>
/// <param name="Confirmation">The group's sdet/spos clamped to [0, 1]; NaN when it cannot confirm (see <see cref="ReliabilityEvidence.ConfirmationOf"/>).</param>
/// <param name="Association">1 when the group has a counterpart in the merge's external catalogues, 0 when not; NaN when none was given (see <see cref="ReliabilityEvidence.AssociationOf"/>).</param>
public readonly record struct ReliabilityEvidence(
    ArtifactClass Artifact, double FrameFraction, int BandsDetected, double BestSnr, double Confirmation, double Association = double.NaN)
{
    /// <summary>Evidence of row <paramref name="row"/>, with the confirmation of its group (sdet, spos) and its association (NaN: no catalogue).</summary>
    public static ReliabilityEvidence Of(ExtractionBlock block, int row, int sdet, int spos, int minSpos, double association = double.NaN)
    {
        bool minorPlanet = IsMinorPlanet(block.MpFlg[row]);
        return new(ArtifactOf(block, row), FrameFractionOf(block.Ndet[row]), BandsDetectedOf(block, row),
            BestSnrOf(block, row), ConfirmationOf(sdet, spos, minSpos, minorPlanet), AssociationOf(association, minorPlanet));
    }

    /// <summary>
    /// The group's association as the model bins it: NaN ("no catalogue") for a known minor planet, whose position
    /// no static catalogue holds, as it cannot be confirmed either.
    /// </summary>
    public static double AssociationOf(double association, bool minorPlanet) => minorPlanet ? double.NaN : association;

    /// <summary>Worst artifact class over the three bands.</summary>
    public static ArtifactClass ArtifactOf(ExtractionBlock block, int row)
    {
        var worst = ArtifactClass.Clean;
        for (int b = 0; b < Bands.Count; b++)
        {
            var c = ClassOf(block.Bands[b].CcFlg[row]);
            if (c < worst) worst = c;
        }
        return worst;
    }

    /// <summary>Class of one `cc_flg` character.</summary>
    public static ArtifactClass ClassOf(byte c)
    {
        int mask = CcFlags.Of(c);
        if (mask == 0) return ArtifactClass.Clean;
        // Unknown upper-case letters count as certain too: CcFlags.Of maps them to Other only.
        if ((mask & CcFlags.Certain) != 0 || (c >= (byte)'A' && c <= (byte)'Z')) return ArtifactClass.Artifact;
        if ((mask & ~(CcFlags.BandMerge | CcFlags.Confusion)) == 0) return ArtifactClass.Confused;
        return ArtifactClass.Contaminated;
    }

    /// <summary>
    /// Best band's m/n from `ndet` (six digits mnmnmn for J, H, Ks: frames with a detection m
    /// out of frames that saw the position n). The best band rather than the sum over bands,
    /// so that a real source seen in one band only (very red, very blue) is not penalised
    /// twice: the number of bands detected already carries that. NaN when absent (-1) or n = 0 everywhere.
    /// </summary>
    public static double FrameFractionOf(int ndet)
    {
        if (ndet < 0) return double.NaN;
        // The three pairs by constant divisors (multiplications once compiled), best of J, H, Ks in that order.
        double best = Better(double.NaN, Bands.FramesOf(ndet, 0));
        best = Better(best, Bands.FramesOf(ndet, 1));
        return Better(best, Bands.FramesOf(ndet, 2));

        static double Better(double best, (int M, int N) frames)
        {
            var (m, n) = frames;
            if (n == 0) return best;
            double f = Math.Min(m, n) / (double)n;
            return double.IsNaN(best) || f > best ? f : best;
        }
    }

    public static int BandsDetectedOf(ExtractionBlock block, int row)
    {
        int k = 0;
        for (int b = 0; b < Bands.Count; b++)
            if (block.Bands[b].IsDetection(row)) k++;
        return k;
    }

    /// <summary>Largest SNR among detected bands (an upper limit's SNR says nothing about a detection).</summary>
    public static double BestSnrOf(ExtractionBlock block, int row)
    {
        double best = double.NaN;
        for (int b = 0; b < Bands.Count; b++)
        {
            var col = block.Bands[b];
            float s = col.Snr[row];
            if (float.IsNaN(s) || !col.IsDetection(row)) continue;
            if (double.IsNaN(best) || s > best) best = s;
        }
        return best;
    }

    /// <summary>
    /// sdet/spos clamped to [0, 1], or NaN ("unconfirmable") when fewer than
    /// <paramref name="minSpos"/> scans covered the position (one scan cannot confirm itself)
    /// or the extraction is a known minor planet (a moving object is never re-detected at
    /// the same place, yet it is a real source at that position at that time).
    /// </summary>
    public static double ConfirmationOf(int sdet, int spos, int minSpos, bool minorPlanet)
    {
        if (minorPlanet || spos < Math.Max(minSpos, 1)) return double.NaN;
        return Math.Clamp(sdet, 0, spos) / (double)spos;
    }

    /// <summary>
    /// `mp_flg` = 1 (docs/reliability.md). The readers store the integer the column holds, so 49 is an mp_flg of 49,
    /// not the character '1'.
    /// </summary>
    public static bool IsMinorPlanet(byte mpFlg) => mpFlg == 1;
}
