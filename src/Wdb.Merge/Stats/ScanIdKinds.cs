using System.Globalization;
using Wdb.Core;

namespace Wdb.Merge;

/// <summary>
/// The scan ids of a run whose inputs name scans in both ways: by `scan_key`, and by the survey's (hemis, date, scan)
/// packed into one id (<see cref="ScanKeys.FromSurvey"/>). An id of both kinds is one scan to every stage, so when the
/// two are different scans (the survey WDB merged with the calibration WDB, shared/2MASS-NOTES.md) confusion
/// resolution and sdet/spos go wrong without a sign. Each kind's ids are noted with the first row (file, line) that
/// has them: per run of consecutive rows of one file and id, so the work is a comparison a row and a dictionary
/// look-up a run (a scan's rows mostly follow one another), and the answer does not depend on the rows' order.
/// </summary>
internal sealed class ScanIdKinds
{
    private readonly IReadOnlyList<bool> _survey;
    // [0]: scan_key values, [1]: survey ids; each with its first row (file, line).
    private readonly Dictionary<long, (int File, long Line)>[] _first = [new(), new()];

    private ScanIdKinds(IReadOnlyList<bool> survey) => _survey = survey;

    /// <summary>
    /// A check for a run whose input <c>f</c> has survey ids when <paramref name="surveyIds"/>[f]; null when every input
    /// is of one kind, as is usual: no id can then be of both, and nothing need be looked at.
    /// </summary>
    public static ScanIdKinds? IfMixed(IReadOnlyList<bool> surveyIds) =>
        surveyIds.Contains(true) && surveyIds.Contains(false) ? new ScanIdKinds(surveyIds) : null;

    /// <summary>
    /// Notes the scan ids of <paramref name="rows"/> (their ScanKey, FileIndex and Line), but those of the rows at
    /// <paramref name="skipped"/>'s (file, line), which the merge does not take (a duplicate cntr).
    /// </summary>
    public void Add(ExtractionBlock rows, IReadOnlySet<(int File, long Line)> skipped)
    {
        long[] id = rows.ScanKey, line = rows.Line;
        int[] file = rows.FileIndex;
        bool skipping = skipped.Count > 0;
        int runFile = -1;
        long runId = 0, runLine = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            if (skipping && skipped.Contains((file[i], line[i]))) continue;
            if (file[i] == runFile && id[i] == runId)
            {
                if (line[i] < runLine) runLine = line[i];
                continue;
            }
            if (runFile >= 0) Note(runFile, runId, runLine);
            (runFile, runId, runLine) = (file[i], id[i], line[i]);
        }
        if (runFile >= 0) Note(runFile, runId, runLine);
    }

    private void Note(int file, long id, long line)
    {
        var first = _first[_survey[file] ? 1 : 0];
        if (!first.TryGetValue(id, out var had) || (file, line).CompareTo(had) < 0) first[id] = (file, line);
    }

    /// <summary>The ids of both kinds, ascending, each with the first row of each kind.</summary>
    public IReadOnlyList<(long Id, (int File, long Line) Survey, (int File, long Line) ScanKey)> Shared()
    {
        var (keys, survey) = (_first[0], _first[1]);
        var shared = new List<(long, (int, long), (int, long))>();
        foreach (var (id, surveyRow) in survey)
            if (keys.TryGetValue(id, out var keyRow)) shared.Add((id, surveyRow, keyRow));
        shared.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return shared;
    }

    /// <summary>
    /// A warning line when some id is of both kinds (<see cref="Shared"/>), naming the first few, decoded, with a row of
    /// each (<paramref name="inputs"/>: the run's input paths, by file index); null when none is.
    /// </summary>
    public string? CollisionWarning(IReadOnlyList<string> inputs)
    {
        var shared = Shared();
        if (shared.Count == 0) return null;
        const int Named = 3;
        string Row((int File, long Line) r) => $"{inputs[r.File]}:{r.Line}";
        string named = string.Join("; ", shared.Take(Named).Select(s =>
        {
            var (hemis, date, scan) = ScanKeys.ToSurvey(s.Id);
            return string.Create(CultureInfo.InvariantCulture,
                $"{s.Id} (hemis {hemis}, date {date:D6}, scan {scan} at {Row(s.Survey)}; scan_key at {Row(s.ScanKey)})");
        }));
        bool one = shared.Count == 1;
        return $"{shared.Count:N0} scan id{(one ? " is" : "s are")} both a survey (hemis, date, scan) id and a scan_key value: {named}" +
               $"{(shared.Count > Named ? $"; and {shared.Count - Named:N0} more" : "")}. The rows of both are taken for one scan: " +
               "a group holding an extraction of each is split by confusion resolution as a repeated scan, and sdet and spos " +
               "count the two as one scan. If the scan_key values were made from (hemis, date, scan) by the same formula, they " +
               "are the same scans and nothing is wrong; if they are different scans, give that table scan_key values no " +
               "survey id takes (negative, or 2000000000000 and up)";
    }
}
