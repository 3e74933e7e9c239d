using Wdb.Core;

namespace Wdb.Merge;

/// <summary>Final groups with their index, statistics and scores, over rows now in group order.</summary>
internal sealed record GroupedRows(ExtractionResults Results, GroupTable Groups, Membership Membership);

/// <summary>
/// The stages after the link: confusion -> group index -> statistics -> reliability, on rows
/// sorted by declination with their candidate ids. Every decision depends only on a candidate
/// group's own rows, so the whole table (the in-memory merge) and one zone's final groups
/// (the zone merge) go through the same calls and give the same bytes.
/// </summary>
internal static class GroupStages
{
    /// <summary>
    /// Permutes <paramref name="merged"/> into group order; adds its counts to <paramref name="summary"/>.
    /// <paramref name="progress"/> hears of each stage (the zone merge shows its zones instead).
    /// </summary>
    public static GroupedRows Run(ExtractionBlock merged, long[] cgid, ScanFootprints footprints, ReliabilityModel model,
        MergeOptions options, RunSummary summary, StageTimer timer, Action<string>? log, IMergeProgress? progress)
    {
        // Confusion resolution: final groups.
        progress?.Stage("confusion", null, 0);
        var confusion = ConfusionResolver.Resolve(merged, cgid, options.RadiusArcsec, options.Threads);
        summary.ConfusedCandidateGroups += confusion.ConfusedCandidateGroups;
        summary.UnresolvedCandidateGroups += confusion.UnresolvedCandidateGroups;
        if (confusion.UnresolvedCandidateGroups > 0)
            log?.Invoke($"{confusion.UnresolvedCandidateGroups:N0} confused candidate groups were too dense to split and are kept whole (flagged unresolved)");
        timer.Stop("confusion");

        // Group index and statistics.
        progress?.Stage("statistics", null, 0);
        var membership = MembershipBuilder.Build(merged, confusion.Gcntr, options.Threads);
        // Rows into group order: the statistics, the reliability scores and the members table
        // then read each group's rows contiguously instead of scattered over the zone order.
        var groupOrder = membership.MemberRows;
        merged.Permute(groupOrder, options.Threads);
        cgid = MergeJob.Gather(cgid, groupOrder);
        var confused = MergeJob.Gather(confusion.Confused, groupOrder);
        var unresolved = MergeJob.Gather(confusion.Unresolved, groupOrder);
        // The group index now points at the permuted rows: group g holds rows Offsets[g] ..
        for (int k = 0; k < groupOrder.Length; k++) groupOrder[k] = k;
        // Statistics fill results' cgid, gcntr and separation; reliability its score.
        var results = ExtractionResults.Allocate(merged.Count);
        var groups = GroupStatistics.Compute(merged, membership, cgid, confused, footprints, results, options.Threads);
        for (int g = 0; g < groups.Count; g++)
            groups.Unresolved[g] = unresolved[membership.Members(g)[0]];
        summary.Groups += groups.Count;
        timer.Stop("stats");

        model.Score(merged, membership, groups, results, options.Threads);
        timer.Stop("reliability");
        return new GroupedRows(results, groups, membership);
    }
}
