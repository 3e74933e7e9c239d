using Wdb.Core;

namespace Wdb.Merge;

/// <summary>Pre-merge filters of SPEC §4 (each optional, each counted in the summary).</summary>
/// <param name="MinSnr">Keep a row only when its best band SNR is at least this; rows without any SNR pass.</param>
/// <param name="ExcludeArtifacts">Drop rows whose `cc_flg` marks an artifact in any band (not '0').</param>
public sealed record FilterOptions(double? MinSnr = null, bool ExcludeArtifacts = false)
{
    public bool Any => MinSnr is not null || ExcludeArtifacts;
}

public static class PreMergeFilter
{
    /// <summary>The reason each row is filtered out, or <see cref="RejectReason.None"/> to keep it.</summary>
    public static RejectReason[] Reasons(ExtractionBlock block, FilterOptions options)
    {
        var reasons = new RejectReason[block.Count];
        if (!options.Any) return reasons;
        for (int i = 0; i < block.Count; i++)
        {
            if (options.ExcludeArtifacts && HasArtifactFlag(block, i)) { reasons[i] = RejectReason.FilteredArtifact; continue; }
            if (options.MinSnr is double min && BestSnr(block, i) is float snr && snr < min) reasons[i] = RejectReason.FilteredLowSnr;
        }
        return reasons;
    }

    private static bool HasArtifactFlag(ExtractionBlock block, int i)
    {
        foreach (var b in block.Bands)
            if (CcFlags.Of(b.CcFlg[i]) != 0) return true;
        return false;
    }

    private static float? BestSnr(ExtractionBlock block, int i)
    {
        float best = float.NaN;
        foreach (var b in block.Bands)
            if (!float.IsNaN(b.Snr[i]) && (float.IsNaN(best) || b.Snr[i] > best)) best = b.Snr[i];
        return float.IsNaN(best) ? null : best;
    }
}
