using Wdb.Core;

namespace Wdb.Merge;

/// <summary>Why an extraction without an artifact flag is still a likely artifact (<see cref="LikelyArtifacts"/>).</summary>
public enum LikelyArtifact : byte
{
    None = 0,
    /// <summary>Bright, yet detected on too few of the frames that saw it: a transient in one frame.</summary>
    FewFrames,
    /// <summary>Seen in one band only, near the detection limit, on no frame at all: a hot pixel in the coadd.</summary>
    HotPixel,
}

/// <summary>
/// The known high-probability artifacts of SPEC §4 ("exclude known high-probability artifacts, e.g. hot pixels,
/// glints"; the seed document's "hot pixels, R1 glints") that `cc_flg` does not mark, found from an extraction's
/// own `ndet`, `rd_flg` and SNR. Two rules, each after a published 2MASS criterion:
/// <list type="bullet">
/// <item><b>Few frames</b> (hot-pixel events, cosmic rays, meteor trails): the All-Sky Release PSC kept a source with
/// SNR > 20 only when it was detected at SNR > 3 on at least 40 % of the frames that measured it (Explanatory
/// Supplement II.2 Table 1 and V.3; the frame counts are `ndet`'s m of n). A steady source that bright is detected
/// on nearly every frame; one that is not was there for a frame or two. An extraction is a likely artifact here when it
/// has a detected band with SNR > 20 and every such band has m &lt; 0.4 n. Sources measured from Read 1 in some band
/// (`rd_flg` 1 or 3: saturated in Read 2 - Read 1, whose frame counts do not apply) are exempt, as the PSC exempts them.</item>
/// <item><b>Hot pixel</b>: the V3 processing's single-band false sources (IPAC, "2MASS V3 H Only Sources"): detected in
/// one band near SNR 10 and on none of the frames that saw the position (`ndet` "000500"), a hot pixel that reached
/// the coadd. A real source of SNR 10 in a coadd of ~6 frames has per-frame SNR ~4 and is missed at 3 sigma on all of
/// five frames about once in 10^4; at SNR 7 it would be ~5 %. So: one detected band, its SNR at least 10, its m = 0 of
/// n >= 3, whatever its `rd_flg` (the analysed case had 010: a Read 1 measurement of a source far from saturation is
/// no exemption).</item>
/// </list>
/// R1 glints are not looked for: IPAC found them by the nearest neighbour's distance and position angle
/// (`prox`, `pxpa`) at the glint loci of each telescope and band, and `pxpa` is not a column the merge reads.
/// </summary>
public static class LikelyArtifacts
{
    /// <summary>The PSC's frame-detection criterion: SNR above which a band must be detected on 40 % of its frames.</summary>
    public const float FewFramesSnr = 20f;
    public const double FewFramesFraction = 0.4;
    /// <summary>A single-band source at or above this SNR, seen on no frame, is a hot pixel.</summary>
    public const float HotPixelSnr = 10f;
    public const int HotPixelMinFrames = 3;

    /// <summary>The rule row <paramref name="i"/> falls under, or <see cref="LikelyArtifact.None"/>; rows without `ndet` fall under none.</summary>
    public static LikelyArtifact Of(ExtractionBlock block, int i)
    {
        int ndet = block.Ndet[i];
        if (ndet < 0) return LikelyArtifact.None;
        int detected = 0, bright = 0, brightSeen = 0, single = -1;
        bool readOne = false;
        for (int b = 0; b < Bands.Count; b++)
        {
            var band = block.Bands[b];
            if (!band.IsDetection(i)) continue;
            readOne |= band.RdFlg[i] is (byte)'1' or (byte)'3';
            detected++;
            single = b;
            var (m, n) = Bands.FramesOf(ndet, b);
            if (band.Snr[i] > FewFramesSnr && n > 0)
            {
                bright++;
                if (m >= FewFramesFraction * n) brightSeen++;
            }
        }
        if (bright > 0 && brightSeen == 0 && !readOne) return LikelyArtifact.FewFrames;
        if (detected == 1 && block.Bands[single].Snr[i] >= HotPixelSnr && Bands.FramesOf(ndet, single) is (0, >= HotPixelMinFrames))
            return LikelyArtifact.HotPixel;
        return LikelyArtifact.None;
    }
}
