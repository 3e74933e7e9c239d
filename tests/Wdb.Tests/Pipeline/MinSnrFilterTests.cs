using Wdb.Core;
using Wdb.Merge;

namespace Wdb.Tests.Pipeline;

/// <summary>
/// `--min-snr` judges a row by its detected bands, as the reliability score's SNR does: an upper limit's SNR is noise
/// where nothing was found (2MASS-NOTES: `rd_flg` 0, `ph_qual` U), so it neither keeps nor drops a row.
/// </summary>
public sealed class MinSnrFilterTests
{
    /// <summary>One row; per band an SNR and whether the band is a detection (else an upper limit: `rd_flg` 0, U).</summary>
    private static ExtractionBlock Row((float Snr, bool Detected) j, (float Snr, bool Detected) h, (float Snr, bool Detected) k)
    {
        var block = new ExtractionBlock(4);
        int i = block.AddRow();
        (float Snr, bool Detected)[] bands = [j, h, k];
        for (int b = 0; b < 3; b++)
        {
            var band = block.Bands[b];
            band.Mag[i] = 15f;
            band.Snr[i] = bands[b].Snr;
            band.RdFlg[i] = bands[b].Detected ? (byte)'2' : (byte)'0';
            band.PhQual[i] = bands[b].Detected ? (byte)'A' : (byte)'U';
        }
        return block;
    }

    private static RejectReason Filtered(ExtractionBlock block, double minSnr) =>
        PreMergeFilter.Reasons(block, new FilterOptions(MinSnr: minSnr))[0];

    [Fact]
    public void A_bright_upper_limit_does_not_keep_a_row_whose_detections_are_faint()
    {
        // Detections at SNR 3 and 4; the Ks upper limit's "SNR 40" would have passed it under the best of all bands.
        var row = Row((3f, true), (4f, true), (40f, false));
        Assert.Equal(RejectReason.FilteredLowSnr, Filtered(row, 5));
    }

    [Fact]
    public void An_upper_limit_alone_does_not_drop_a_detection_without_an_SNR()
    {
        // J is detected but has no SNR; the H upper limit's SNR 1 is the only number: nothing shows J is faint.
        var row = Row((float.NaN, true), (1f, false), (float.NaN, false));
        Assert.Equal(RejectReason.None, Filtered(row, 5));
    }

    [Theory]
    [InlineData(5.0, RejectReason.None)]            // the best detected band, 6, is not below 5
    [InlineData(6.0, RejectReason.None)]            // at the threshold: kept
    [InlineData(6.5, RejectReason.FilteredLowSnr)]  // above every detected band
    public void The_best_detected_band_decides(double minSnr, RejectReason expected)
    {
        var row = Row((2f, true), (6f, true), (9f, false));
        Assert.Equal(expected, Filtered(row, minSnr));
    }

    [Fact]
    public void The_filter_and_the_reliability_score_read_the_same_SNR()
    {
        var row = Row((3f, true), (7f, false), (4.5f, true));
        Assert.Equal(4.5, Wdb.Merge.ReliabilityEvidence.BestSnrOf(row, 0), 6);
        Assert.Equal(RejectReason.FilteredLowSnr, Filtered(row, 4.6));
        Assert.Equal(RejectReason.None, Filtered(row, 4.5));
    }
}
