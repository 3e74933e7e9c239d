using Wdb.Core;

namespace Wdb.Merge;

/// <summary>Pre-merge filters of SPEC §4 (each optional, each counted in the summary).</summary>
/// <param name="MinSnr">Keep a row only when its best SNR over its detected bands is at least this; rows with no detected band's SNR pass.</param>
/// <param name="ExcludeArtifacts">Drop rows whose `cc_flg` marks an artifact in any band (not '0').</param>
/// <param name="NotIn">The reject-file mode: drop rows found in released catalogues (the PSC, the XSC).</param>
/// <param name="ExcludeLikelyArtifacts">Drop rows that <see cref="LikelyArtifacts"/> finds (hot pixels, one-frame transients) though no flag marks them.</param>
public sealed record FilterOptions(double? MinSnr = null, bool ExcludeArtifacts = false, NotInCatalogues? NotIn = null,
    bool ExcludeLikelyArtifacts = false)
{
    public bool Any => MinSnr is not null || ExcludeArtifacts || NotIn is not null || ExcludeLikelyArtifacts;

    /// <summary><see cref="NotIn"/>'s catalogue rows near the inputs, as read (<see cref="MergeJob"/> reads them after the inputs).</summary>
    internal ReleasedCatalogue? Catalogue { get; init; }
}

public static class PreMergeFilter
{
    /// <summary>The reason each row is filtered out, or <see cref="RejectReason.None"/> to keep it.</summary>
    public static RejectReason[] Reasons(ExtractionBlock block, FilterOptions options, int threads = 0)
    {
        var reasons = new RejectReason[block.Count];
        if (!options.Any) return reasons;
        if (options.NotIn is not null && options.Catalogue is null)
            throw new InvalidOperationException("the --not-in catalogues were not read before the filter");
        // A catalogue look-up is a few binary searches a row: worth every core on a zone of millions.
        Threads.ForRanges(block.Count, 1 << 16, options.Catalogue is null ? 1 : threads, (from, to) =>
        {
            for (int i = from; i < to; i++)
            {
                if (options.Catalogue is { } catalogue && catalogue.Holds(block.ScanKey[i], block.Ra[i], block.Dec[i]))
                    reasons[i] = RejectReason.FilteredInCatalogue;
                else if (options.ExcludeArtifacts && HasArtifactFlag(block, i)) reasons[i] = RejectReason.FilteredArtifact;
                else if (options.ExcludeLikelyArtifacts && LikelyArtifacts.Of(block, i) != LikelyArtifact.None) reasons[i] = RejectReason.FilteredLikelyArtifact;
                else if (options.MinSnr is double min && IsBelow(ReliabilityEvidence.BestSnrOf(block, i), min)) reasons[i] = RejectReason.FilteredLowSnr;
            }
        });
        return reasons;
    }

    private static bool HasArtifactFlag(ExtractionBlock block, int i)
    {
        foreach (var b in block.Bands)
            if (CcFlags.Of(b.CcFlg[i]) != 0) return true;
        return false;
    }

    /// <summary>
    /// Against the reliability score's best SNR (detected bands only): an upper limit's SNR is the noise where
    /// nothing was found, so it must neither keep a row whose detections are all faint nor, as the row's only SNR,
    /// drop a detection whose SNR is unknown. Unknown (NaN) passes: the filter drops only what it shows is faint.
    /// </summary>
    private static bool IsBelow(double bestSnr, double min) => !double.IsNaN(bestSnr) && bestSnr < min;
}
