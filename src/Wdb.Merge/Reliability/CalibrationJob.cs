using Wdb.Core;
using Wdb.IO;
using Wdb.Merge.Streaming;

namespace Wdb.Merge;

/// <summary>
/// `wdb calibrate`: a reliability model re-fitted from a merge that was made (SPEC §4: "re-calibrated from a
/// calibration-tile merge, where redundancy tells real from false"). The merge's outputs give each extraction's group
/// and each group's sdet and spos; its inputs, read again, give the extractions' own evidence (flags, ndet, SNR),
/// which the outputs do not all keep. The inputs must be the ones the merge read: their checksums are compared with
/// summary.json's.
/// </summary>
public static class CalibrationJob
{
    /// <summary>
    /// The model fitted from the merge in <paramref name="dir"/> and its <paramref name="inputs"/> (none given: the paths
    /// summary.json lists, as the merge was given them), or why there is none, in one line. <paramref name="warn"/> hears
    /// of a model fitted on few labelled rows.
    /// </summary>
    public static (ReliabilityModel? Model, string? Error) Fit(string dir, IReadOnlyList<string> inputs, CalibrationOptions options,
        string? calibratedFrom = null, int threads = 0, Action<string>? log = null, Action<string>? warn = null)
    {
        using var reader = OutputReader.TryOpen(dir, out var openError);
        if (reader is null) return (null, openError!.Message);
        RunSummary summary;
        string summaryPath = Path.Combine(dir, "summary.json");
        try { summary = ClusterState.ReadSummary(summaryPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"{summaryPath}: not a summary written by wdb merge ({e.Message.ReplaceLineEndings(" ")})");
        }
        var recorded = summary.Inputs;
        if (recorded.Count == 0) return (null, $"{summaryPath}: lists no input");
        string? profile = summary.Parameters.GetValueOrDefault("profile") is string p && p != "auto" ? p : null;
        if (inputs.Count == 0) inputs = recorded.Select(r => r.Path).ToList();
        if (inputs.Contains(InputPaths.StandardInput))
            return (null, "the merge read standard input ('-'), which cannot be read again: give its inputs as files, in its order");
        if (inputs.Count != recorded.Count)
            return (null, $"'{dir}' was merged from {recorded.Count} input file(s), {inputs.Count} given: give them all, in the merge's order");

        // The inputs again, each checked against the checksum the merge recorded.
        var rows = new ExtractionBlock(1 << 16);
        var readOptions = new ReadOptions(profile, Threads: threads,
            Checksum: Checksums.TryParseValue(recorded[0].Checksum, out var algorithm, out _) ? algorithm : ChecksumAlgorithm.Xxh128);
        for (int f = 0; f < inputs.Count; f++)
        {
            var read = ExtractionReader.Read(inputs[f], f, readOptions, rows);
            if (read.Error is not null) return (null, read.Error.ToString());
            if (read.Checksum != recorded[f].Checksum)
                return (null, $"{inputs[f]}: not the input '{recorded[f].Path}' this merge read ({read.Checksum} now, {recorded[f].Checksum} then)");
            log?.Invoke($"read {Shown.Path(inputs[f])}: {read.RowsRead:N0} rows (checksum as the merge recorded)");
        }

        // Each merged extraction's group (a cntr read twice is the merge's duplicate: its first row is the one merged).
        var rowOfCntr = new Dictionary<long, int>(rows.Count);
        for (int i = 0; i < rows.Count; i++) rowOfCntr.TryAdd(rows.Cntr[i], i);
        var members = new List<(long Gcntr, int Row)>();
        long missing = 0;
        try
        {
            foreach (var x in reader.Extractions())
            {
                if (x.Gcntr < 0) continue;
                if (rowOfCntr.TryGetValue(x.Cntr, out int row)) members.Add((x.Gcntr, row));
                else missing++;
            }
        }
        catch (InvalidDataException e) { return (null, $"cannot read '{Shown.Path(dir)}': {e.Message}"); }
        if (missing > 0) return (null, $"{missing:N0} merged extractions of '{dir}' are not in the inputs given");
        members.Sort();

        // The merged rows alone, in group order: the rows the merge scored (filtered and rejected ones never are).
        var merged = new ExtractionBlock(Math.Max(members.Count, 16));
        foreach (var (_, row) in members) merged.CopyRow(rows, row, merged.AddRow());
        var (membership, groups) = GroupsOf(reader, members);

        // A merge made with --associate: its catalogues again (checksums checked), so the association's weights are fitted too.
        if (summary.Associate.Count > 0)
        {
            var merge = new MergeOptions { Inputs = inputs, OutDir = dir, Threads = threads, Checksum = readOptions.Checksum };
            var request = new AssociateCatalogues(summary.Associate.Select(c => c.Path).ToList(), Convert.ToDouble(summary.Parameters["associate_radius_arcsec"]));
            // Only the rows within the radius of some group's mean position, where the model asks (the rest answer no one).
            var groupsSky = new SkyCoverage.Builder();
            groupsSky.Add(groups.RaW.AsSpan(0, groups.Count), groups.DecW.AsSpan(0, groups.Count));
            var (associations, associateError) = GroupAssociations.Read(request, merge, log, groupsSky.Within(request.RadiusArcsec).Holds);
            if (associations is null) return (null, associateError);
            if (CatalogueFiles.Changed("--associate", associations.Files, summary.Associate, "this merge") is string changed) return (null, changed);
            options = options with { BaseModel = (options.BaseModel ?? ReliabilityModel.Default).Associated(associations.HasCounterpart) };
        }
        var model = ReliabilityCalibrator.TryFit(merged, membership, groups, calibratedFrom ?? $"merge '{Path.GetFullPath(dir)}'", options,
            out var fitted, out string? fitError) ? fitted : null;
        if (model?.Training is { } t && Math.Min(t.NReal, t.NFalse) < FewLabels)
            warn?.Invoke($"only {t.NReal:N0} real and {t.NFalse:N0} false extractions labelled (fewer than {FewLabels} of one kind): " +
                         $"the weights stay near {(options.BaseModel ?? ReliabilityModel.Default).Version}'s where the rows are few; a calibration tile scanned more often labels more");
        return model is null ? (null, $"cannot calibrate from '{dir}': {fitError}") : (model, null);
    }

    /// <summary>
    /// Below this many rows of either label the fit mostly keeps the base model's weights (the prior's pull, 2 by default,
    /// is a few dozen rows' worth of curvature per bin), which the user should know before taking the model for a measurement.
    /// </summary>
    public const int FewLabels = 100;

    /// <summary>
    /// The groups of <paramref name="members"/> (sorted by gcntr, then row; member k is row k of the merged rows) as the
    /// calibrator takes them, with sdet and spos from groups.fb.
    /// </summary>
    private static (Membership, GroupTable) GroupsOf(OutputReader reader, List<(long Gcntr, int Row)> members)
    {
        var ids = new List<long>();
        var offsets = new List<int> { 0 };
        for (int k = 0; k < members.Count; k++)
        {
            if (k > 0 && members[k].Gcntr != members[k - 1].Gcntr) offsets.Add(k);
            if (k == 0 || members[k].Gcntr != members[k - 1].Gcntr) ids.Add(members[k].Gcntr);
        }
        if (members.Count > 0) offsets.Add(members.Count);
        var membership = new Membership { Gcntr = ids.ToArray(), Offsets = offsets.ToArray(), MemberRows = Enumerable.Range(0, members.Count).ToArray() };
        var groups = new GroupTable();
        groups.Allocate(ids.Count);
        var index = new Dictionary<long, int>(ids.Count);
        for (int g = 0; g < ids.Count; g++) { index[ids[g]] = g; groups.Gcntr[g] = ids[g]; }
        foreach (var record in reader.Groups())
            if (index.TryGetValue(record.Gcntr, out int g))
                (groups.Sdet[g], groups.Spos[g], groups.RaW[g], groups.DecW[g]) = (record.Sdet, record.Spos, record.RaW, record.DecW);
        return (membership, groups);
    }
}
