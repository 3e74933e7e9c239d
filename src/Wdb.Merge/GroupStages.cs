using System.Collections.Concurrent;
using Wdb.Core;

namespace Wdb.Merge;

/// <summary>Final groups with their index, statistics and scores, over rows now in group order.</summary>
internal sealed record GroupedRows(ExtractionResults Results, GroupTable Groups, Membership Membership);

/// <summary>
/// The stages after the link: confusion -> group index -> statistics -> reliability, on rows
/// sorted by declination with their candidate ids. Every decision depends only on a candidate
/// group's own rows, so the whole table (the in-memory merge) and one zone's final groups
/// (the zone merge) go through the same calls and give the same bytes. Both merges compute the
/// statistics as they write or spill the groups (<see cref="Order"/>, then <see cref="OrderedGroups.Compute"/>
/// from the writer); <see cref="Run"/> is the whole-table form the tests compare them against.
/// </summary>
internal static class GroupStages
{
    /// <summary>
    /// Permutes <paramref name="merged"/> into group order and computes every group's statistics into one
    /// table and every row's score; adds its counts to <paramref name="summary"/>.
    /// </summary>
    public static GroupedRows Run(ExtractionBlock merged, long[] cgid, ScanFootprints footprints, ReliabilityModel model,
        MergeOptions options, RunSummary summary, StageTimer timer, Action<string>? log, IMergeProgress? progress)
    {
        var ordered = Order(merged, cgid, footprints, model, options, summary, timer, log, progress);
        var groups = GroupStatistics.Compute(merged, ordered.Membership, ordered.Cgid, ordered.Confused, footprints,
            ordered.Results, options.Threads);
        ordered.FillUnresolved(groups, 0, groups.Count);
        timer.Stop("stats");

        model.Score(merged, ordered.Membership, groups, ordered.Results, options.Threads);
        timer.Stop("reliability");
        return new GroupedRows(ordered.Results, groups, ordered.Membership);
    }

    /// <summary>
    /// Confusion resolution, the group index, and the rows (with their candidate ids and confusion flags)
    /// permuted into group order: everything the statistics need, none computed yet. The held-whole merge
    /// computes them chunk by chunk as groups.fb is written (<see cref="OrderedGroups.Compute"/>); the
    /// confusion stage is timed, then the group index with the rows' permutation into group order ("order":
    /// gathers over every column, bound by memory rather than by cores).
    /// </summary>
    /// <param name="others">
    /// Where <paramref name="merged"/> holds only the grouping columns (<see cref="ExtractionBlock.TakeGroupingColumns"/>):
    /// the block with the others and the order that made <paramref name="merged"/> from it. That block becomes the
    /// rows, every column in group order; null when <paramref name="merged"/> holds every column.
    /// </param>
    public static OrderedGroups Order(ExtractionBlock merged, long[] cgid, ScanFootprints footprints, ReliabilityModel model,
        MergeOptions options, RunSummary summary, StageTimer timer, Action<string>? log, IMergeProgress? progress,
        (ExtractionBlock Block, int[] Order)? others = null)
    {
        progress?.Stage("confusion", null, 0);
        var confusion = ConfusionResolver.Resolve(merged, cgid, options.RadiusArcsec, options.Threads);
        summary.ConfusedCandidateGroups += confusion.ConfusedCandidateGroups;
        summary.UnresolvedCandidateGroups += confusion.UnresolvedCandidateGroups;
        if (confusion.UnresolvedCandidateGroups > 0)
            log?.Invoke($"{confusion.UnresolvedCandidateGroups:N0} confused candidate groups were too dense to split and are kept whole (flagged unresolved)");
        timer.Stop("confusion");

        progress?.Stage("statistics", null, 0);
        var membership = MembershipBuilder.Build(merged, confusion.Gcntr, options.Threads);
        // Rows into group order: the statistics, the reliability scores and the members table
        // then read each group's rows contiguously instead of scattered over the zone order.
        var groupOrder = membership.MemberRows;
        if (others is var (rest, taken))
        {
            // The other columns go from their own order straight to group order.
            rest.Rejoin(merged, taken, groupOrder, options.Threads);
            merged = rest;
        }
        else merged.Permute(groupOrder, options.Threads);
        cgid = MergeJob.Gather(cgid, groupOrder);
        var confused = MergeJob.Gather(confusion.Confused, groupOrder);
        var unresolved = MergeJob.Gather(confusion.Unresolved, groupOrder);
        // The group index now points at the permuted rows: group g holds rows Offsets[g] ..
        for (int k = 0; k < groupOrder.Length; k++) groupOrder[k] = k;
        summary.Groups += membership.GroupCount;
        timer.Stop("order");
        return new OrderedGroups(merged, membership, cgid, confused, unresolved, footprints, model,
            ExtractionResults.Allocate(merged.Count), options.Threads);
    }
}

/// <summary>
/// Rows in group order with their group index, ready for the statistics and the scores
/// (<see cref="GroupStages.Order"/>). <see cref="Results"/> is filled as groups are computed.
/// </summary>
/// <param name="threads">Threads of <see cref="Compute"/> (0: every core).</param>
internal sealed class OrderedGroups(ExtractionBlock rows, Membership membership, long[] cgid, bool[] confused, bool[] unresolved,
    ScanFootprints footprints, ReliabilityModel model, ExtractionResults results, int threads)
{
    private readonly ConcurrentBag<GroupStatistics.Scratch> _scratches = new();
    // Found once, before the first groups are computed (by whichever thread computes first).
    private readonly Lazy<GroupStatistics.CandidateSizes> _sizes = new(() => GroupStatistics.CandidateSizes.Of(membership, cgid, confused));
    private long _rowsDone;

    public ExtractionBlock Rows => rows;
    public Membership Membership => membership;
    /// <summary>Candidate group per row.</summary>
    public long[] Cgid => cgid;
    /// <summary>Per row: its candidate group was confused.</summary>
    public bool[] Confused => confused;
    /// <summary>Per row: cgid, gcntr, separation and score, as groups are computed.</summary>
    public ExtractionResults Results => results;
    /// <summary>Member rows of the groups computed so far, for a progress display on another thread.</summary>
    public long RowsDone => Volatile.Read(ref _rowsDone);

    /// <summary>
    /// Groups [<paramref name="start"/>, <paramref name="end"/>) into rows 0.. of <paramref name="into"/> (a small
    /// table, reused), with their member rows' results and scores: what <see cref="GroupStages.Run"/> gives those
    /// groups and rows. On every core, in parts of at most <see cref="PartGroups"/> groups or about
    /// <see cref="PartRows"/> member rows, so that a calibration tile's groups of hundreds of members are shared
    /// out as evenly as a survey's groups of one.
    /// </summary>
    public void Compute(int start, int end, GroupTable into)
    {
        var parts = Parts(start, end);
        Parallel.For(0, parts.Count - 1, Threads.Options(threads), TakeScratch,
            (p, _, scratch) =>
            {
                ComputePart(parts[p], parts[p + 1], into, parts[p] - start, scratch);
                return scratch;
            },
            _scratches.Add);
        Interlocked.Add(ref _rowsDone, membership.Offsets[end] - membership.Offsets[start]);
    }

    /// <summary>
    /// As <see cref="Compute"/>, on the calling thread alone: several threads may compute disjoint ranges at once
    /// (groups.fb's workers, a chunk each: <see cref="GroupChunks.ComputeChunk"/>).
    /// </summary>
    public void ComputeAlone(int start, int end, GroupTable into)
    {
        var scratch = TakeScratch();
        ComputePart(start, end, into, 0, scratch);
        _scratches.Add(scratch);
        Interlocked.Add(ref _rowsDone, membership.Offsets[end] - membership.Offsets[start]);
    }

    private GroupStatistics.Scratch TakeScratch() => _scratches.TryTake(out var s) ? s : new GroupStatistics.Scratch();

    /// <summary>Groups [from, to) into rows <paramref name="row"/>.. of <paramref name="into"/>: statistics, unresolved flags, their members' results and scores.</summary>
    private void ComputePart(int from, int to, GroupTable into, int row, GroupStatistics.Scratch scratch)
    {
        GroupStatistics.ComputeRange(rows, membership, from, to, cgid, confused, footprints, _sizes.Value, results, into, row, scratch);
        FillUnresolved(into, from, to - from, row);
        model.ScoreGroups(rows, membership, into, row, from, to - from, results);
    }

    /// <summary>Most groups, and about the most member rows, in a part of <see cref="Compute"/>.</summary>
    internal const int PartGroups = 256, PartRows = 4096;

    private List<int> Parts(int start, int end) => Parts(membership.Offsets, start, end);

    /// <summary>
    /// Part boundaries over groups [start, end) whose members start at <paramref name="offsets"/>: start, ..., end.
    /// A part ends after <see cref="PartGroups"/> groups, or after the group that brings it to <see cref="PartRows"/> rows.
    /// </summary>
    internal static List<int> Parts(int[] offsets, int start, int end)
    {
        var bounds = new List<int> { start };
        for (int g = start, groups = 0; g < end; g++)
        {
            if (++groups == PartGroups || offsets[g + 1] - offsets[bounds[^1]] >= PartRows || g + 1 == end)
            {
                bounds.Add(g + 1);
                groups = 0;
            }
        }
        if (bounds.Count == 1) bounds.Add(end);
        return bounds;
    }

    /// <summary>Rows from <paramref name="intoRow"/> of <paramref name="into"/> are groups from <paramref name="start"/>: their unresolved flag (a group's rows share it).</summary>
    public void FillUnresolved(GroupTable into, int start, int count, int intoRow = 0)
    {
        for (int k = 0; k < count; k++)
        {
            var members = membership.Members(start + k);
            into.Unresolved[intoRow + k] = members.Length > 0 && unresolved[members[0]];
        }
    }
}
