using Wdb.Core;
using Wdb.IO;

namespace Wdb.Merge;

/// <summary>
/// How well a merge recovered generated truth (issue 4's checks): pair precision and
/// recall of the candidate (friends-of-friends) and final groups, recovered proper
/// motions of injected movers, and how well Stetson J separates injected variables from
/// constant stars.
/// </summary>
public sealed record EvaluationReport
{
    public long Rows { get; init; }
    // Pair scores are NaN where there is nothing to score (no pair grouped, for precision; no true pair, for recall),
    // not TruthMetrics' 1: a report that reads "1.0000" for a merge that found no pairs reads as a perfect one.
    public double FofPrecision { get; init; }
    public double FofRecall { get; init; }
    public double Precision { get; init; }
    public double Recall { get; init; }
    /// <summary>True sources with injected motion whose main group has a fitted motion, and how many of those lie within 3 sigma.</summary>
    public int Movers { get; init; }
    public int MoversFitted { get; init; }
    public int MoversWithin3Sigma { get; init; }
    /// <summary>ROC AUC of Stetson J: variables with amplitude &gt;= 0.1 mag against constant sources (groups of &gt;= 3 members).</summary>
    public double StetsonAuc { get; init; }
    public int Variables { get; init; }
    public int Constants { get; init; }

    public double MoverFraction => MoversFitted == 0 ? double.NaN : (double)MoversWithin3Sigma / MoversFitted;
}

public static class MergeEvaluation
{
    /// <summary>Compares the merge written to <paramref name="outDir"/> with the truth of the generated input rows.</summary>
    public static EvaluationReport Evaluate(ExtractionBlock input, SyntheticTruth truth, string outDir)
    {
        using var reader = OutputReader.Open(outDir);
        var groups = new Dictionary<long, GroupRecord>();
        foreach (var g in reader.Groups()) groups[g.Gcntr] = g;
        var groupOf = new Dictionary<long, (long Cgid, long Gcntr)>(input.Count);
        foreach (var e in reader.Extractions())
            if (e.Reason == RejectReason.None) groupOf[e.Cntr] = (e.Cgid, e.Gcntr);

        // Rows in the merge, with their truth id, candidate and final group.
        var truthIds = new List<long>(input.Count);
        var cgids = new List<long>(input.Count);
        var gcntrs = new List<long>(input.Count);
        var rowOfSource = new Dictionary<long, List<int>>();
        for (int i = 0; i < input.Count; i++)
        {
            if (!groupOf.TryGetValue(input.Cntr[i], out var g)) continue;
            truthIds.Add(input.Truth[i]); cgids.Add(g.Cgid); gcntrs.Add(g.Gcntr);
            if (input.Truth[i] >= 0)
            {
                if (!rowOfSource.TryGetValue(input.Truth[i], out var rows)) rowOfSource[input.Truth[i]] = rows = new List<int>();
                rows.Add(i);
            }
        }
        var fof = TruthMetrics.PairScores(truthIds.ToArray(), cgids.ToArray());
        var final = TruthMetrics.PairScores(truthIds.ToArray(), gcntrs.ToArray());

        int movers = 0, fitted = 0, within = 0;
        var varScores = new List<(double Score, bool Variable)>();
        foreach (var (_, rows) in rowOfSource)
        {
            // The source's main group: the one holding most of its extractions (ties: smallest gcntr).
            long main = rows.Select(r => groupOf[input.Cntr[r]].Gcntr).GroupBy(g => g)
                .OrderByDescending(x => x.Count()).ThenBy(x => x.Key).First().Key;
            if (!groups.TryGetValue(main, out var group)) continue;
            int first = rows[0];
            float pmRa = truth.PmRa[first], pmDec = truth.PmDec[first], amp = truth.VarAmp[first];
            if (pmRa != 0 || pmDec != 0)
            {
                movers++;
                if (group.PmStatus == MotionStatus.Fitted)
                {
                    fitted++;
                    if (Math.Abs(group.PmRa - pmRa) <= 3 * group.PmRaErr && Math.Abs(group.PmDec - pmDec) <= 3 * group.PmDecErr) within++;
                }
            }
            if (group.NMembers >= 3 && !float.IsNaN(group.StetsonJ) && (amp >= 0.1f || amp == 0))
                varScores.Add((group.StetsonJ, amp >= 0.1f));
        }

        return new EvaluationReport
        {
            Rows = truthIds.Count,
            FofPrecision = Scored(fof.Precision, fof.PredictedPairs), FofRecall = Scored(fof.Recall, fof.TruePairs),
            Precision = Scored(final.Precision, final.PredictedPairs), Recall = Scored(final.Recall, final.TruePairs),
            Movers = movers, MoversFitted = fitted, MoversWithin3Sigma = within,
            StetsonAuc = Auc(varScores),
            Variables = varScores.Count(v => v.Variable), Constants = varScores.Count(v => !v.Variable),
        };
    }

    private static double Scored(double score, long pairs) => pairs == 0 ? double.NaN : score;

    /// <summary>ROC AUC (Mann-Whitney U with ties counted half); NaN without both classes.</summary>
    public static double Auc(IReadOnlyList<(double Score, bool Positive)> items)
    {
        var sorted = items.OrderBy(x => x.Score).ToArray();
        long pos = sorted.Count(x => x.Positive), neg = sorted.Length - pos;
        if (pos == 0 || neg == 0) return double.NaN;
        double rankSum = 0;
        for (int i = 0; i < sorted.Length;)
        {
            int j = i;
            while (j < sorted.Length && sorted[j].Score == sorted[i].Score) j++;
            double midRank = (i + j + 1) / 2.0; // ranks are 1-based: mean of i+1 .. j
            for (int k = i; k < j; k++) if (sorted[k].Positive) rankSum += midRank;
            i = j;
        }
        return (rankSum - pos * (pos + 1) / 2.0) / ((double)pos * neg);
    }
}
