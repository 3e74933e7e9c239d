using System.Runtime.CompilerServices;
using Wdb.Core;

namespace Wdb.Merge;

/// <summary>What a calibrated model was trained on (absent for the hand-set default).</summary>
/// <param name="Labels">How the training rows were labelled, in words (criteria included).</param>
/// <param name="NReal">Training extractions labelled real.</param>
/// <param name="NFalse">Training extractions labelled false.</param>
/// <param name="LogLoss">Mean log-loss (nats) of the fitted probabilities on the training rows.</param>
/// <param name="Auc">Area under the ROC curve of the 0..9 score on the training rows (ties count half).</param>
public sealed record ReliabilityTraining(string Labels, long NReal, long NFalse, double LogLoss, double Auc);

/// <summary>
/// Per-extraction reliability (SPEC §4): an estimate of the probability p that an extraction
/// is a real astrophysical source at that position at that time, reported as a score
/// <c>min(9, floor(10 p))</c> from 0 (worst) to 9 (best). The model is logistic over binned
/// features: <c>logit p = intercept + sum over features of the weight of the extraction's bin</c>.
/// Its bins and weights are data (JSON, see docs/reliability.md), re-fitted by
/// <see cref="ReliabilityCalibrator"/>. Scoring is a lookup in a table of every bin
/// combination, precomputed when the model is built.
/// </summary>
public sealed class ReliabilityModel
{
    /// <summary>The JSON "format" tag this code reads and writes.</summary>
    public const string Format = "wdb-reliability-model/1";
    public const int FeatureCount = 6;

    private readonly ReliabilityFeature[] _features;
    private readonly int[] _stride;       // cell = sum of bin * stride, artifact varying slowest
    private readonly byte[] _scores;      // score of every cell
    // The external catalogues this model scores a merge's groups against (Associated); null: none given.
    private readonly Func<double, double, bool>? _counterpart;

    public string Version { get; }
    public string Description { get; }
    /// <summary>The data the weights were fitted on, in words ("none" for a hand-set model).</summary>
    public string CalibratedFrom { get; }
    public double Intercept { get; }
    /// <summary>Fewest scans covering a position for its sdet/spos to count as confirmation evidence.</summary>
    public int MinSpos { get; }
    public IReadOnlyList<ReliabilityFeature> Features => _features;
    public ReliabilityTraining? Training { get; }
    /// <summary>Number of bin combinations (the size of the score table).</summary>
    public int CellCount => _scores.Length;

    /// <summary>The documented default (v2, set by hand; see docs/reliability.md and docs/reliability-model-v2.json).</summary>
    public static ReliabilityModel Default { get; } = Load(DefaultModel.Json);

    /// <summary>
    /// <see cref="Default"/>'s version, known without parsing it: a merge names its model in the summary before
    /// the read, and parses the default one (~4.5 ms of JSON) beside the read instead (bench/NOTES.md 95).
    /// </summary>
    public const string DefaultVersion = "v2";

    /// <summary><see cref="Default"/>'s <see cref="CalibratedFrom"/>, known without parsing it, as <see cref="DefaultVersion"/>: it was set by hand.</summary>
    public const string DefaultCalibratedFrom = "none";

    /// <summary>The default model's JSON text, identical to docs/reliability-model-v2.json.</summary>
    public static string DefaultJson => DefaultModel.Json;

    internal ReliabilityModel(string version, string description, string calibratedFrom, double intercept,
        int minSpos, ReliabilityFeature[] features, ReliabilityTraining? training)
    {
        if (features.Length != FeatureCount) throw new ArgumentException("six features expected", nameof(features));
        Version = version; Description = description; CalibratedFrom = calibratedFrom;
        Intercept = intercept; MinSpos = minSpos; _features = features; Training = training;
        _stride = new int[FeatureCount];
        int cells = 1;
        for (int f = FeatureCount - 1; f >= 0; f--) { _stride[f] = cells; cells *= features[f].BinCount; }
        _scores = new byte[cells];
        var bins = new int[FeatureCount];
        for (int c = 0; c < cells; c++)
        {
            DecomposeCell(c, bins);
            _scores[c] = ScoreOfProbability(Sigmoid(LogOdds(bins)));
        }
    }

    private ReliabilityModel(ReliabilityModel model, Func<double, double, bool>? counterpart)
    {
        (Version, Description, CalibratedFrom, Intercept, MinSpos, _features, Training) =
            (model.Version, model.Description, model.CalibratedFrom, model.Intercept, model.MinSpos, model._features, model.Training);
        (_stride, _scores, _counterpart) = (model._stride, model._scores, counterpart);
    }

    /// <summary>
    /// This model scoring a merge whose groups are associated with external catalogues (SPEC §4): a group has a
    /// counterpart when <paramref name="counterpart"/>(its weighted mean RA, Dec) says so. Null: no catalogue, every
    /// group in the association feature's "no catalogue" bin. The tables are shared; the JSON is the model's.
    /// </summary>
    public ReliabilityModel Associated(Func<double, double, bool>? counterpart) => new(this, counterpart);

    /// <summary>The model scores against external catalogues (<see cref="Associated"/> with a catalogue).</summary>
    public bool Associates => _counterpart is not null;

    /// <summary>Parses a model (see docs/reliability.md for the format); throws <see cref="FormatException"/> naming the problem.</summary>
    public static ReliabilityModel Load(string json) =>
        TryLoad(json, out var model, out var error) ? model! : throw new FormatException("reliability model: " + error);

    /// <summary>Parses a model; on failure returns false with a one-line reason that starts with its line and column ("7:16: ...").</summary>
    public static bool TryLoad(string json, out ReliabilityModel? model, out string? error)
    {
        bool ok = ReliabilityModelJson.TryRead(json, out model, out var problem);
        error = problem is var (line, column, message) ? $"{line}:{column}: {message}" : null;
        return ok;
    }

    /// <summary>
    /// Reads a model file (`--reliability-model`, `wdb calibrate --base-model`); on failure returns false with one line
    /// naming the file, and the line and column of a mistake in it ("model.json:7:16: ...").
    /// </summary>
    public static bool TryLoadFile(string path, out ReliabilityModel? model, out string? error)
    {
        model = null;
        string text;
        // Read as a file, a directory is "Access to the path is denied", which sends the user to its permissions.
        if (Directory.Exists(path))
        {
            error = $"{path}: is a directory, not a reliability model file (a JSON file, as `wdb calibrate` writes)";
            return false;
        }
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"{path}: {e.Message.ReplaceLineEndings(" ")}";
            return false;
        }
        if (TryLoad(text, out model, out error)) return true;
        error = $"{path}:{error}";
        return false;
    }

    /// <summary>The model as JSON (indented, '\n' line ends, deterministic: equal models give equal text).</summary>
    public string ToJson() => ReliabilityModelJson.Write(this);

    /// <summary>Score for a probability: <c>clamp(floor(10 p), 0, 9)</c>.</summary>
    public static byte ScoreOfProbability(double p) =>
        double.IsNaN(p) ? (byte)0 : (byte)Math.Clamp((int)Math.Floor(10.0 * p), 0, 9);

    internal static double Sigmoid(double z) => 1.0 / (1.0 + Math.Exp(-z));

    /// <summary>The bin of each feature for this evidence.</summary>
    public int[] BinsOf(in ReliabilityEvidence e) =>
    [
        (int)e.Artifact,
        _features[1].BinOf(e.FrameFraction),
        Math.Clamp(e.BandsDetected, 0, 3),
        _features[3].BinOf(e.BestSnr),
        _features[4].BinOf(e.Confirmation),
        _features[5].BinOf(e.Association),
    ];

    /// <summary>The model's probability that an extraction with this evidence is real.</summary>
    public double Probability(in ReliabilityEvidence e) => Sigmoid(LogOdds(BinsOf(e)));

    /// <summary>The 0..9 score of an extraction with this evidence.</summary>
    public byte ScoreOf(in ReliabilityEvidence e) => _scores[CellOf(BinsOf(e))];

    internal byte ScoreOfCell(int cell) => _scores[cell];

    internal double LogOdds(ReadOnlySpan<int> bins)
    {
        double z = Intercept;
        for (int f = 0; f < FeatureCount; f++) z += _features[f].WeightsArray[bins[f]];
        return z;
    }

    internal int CellOf(ReadOnlySpan<int> bins)
    {
        int c = 0;
        for (int f = 0; f < FeatureCount; f++) c += bins[f] * _stride[f];
        return c;
    }

    internal void DecomposeCell(int cell, Span<int> bins)
    {
        for (int f = 0; f < FeatureCount; f++) { bins[f] = cell / _stride[f]; cell %= _stride[f]; }
    }

    /// <summary>
    /// Fills <c>results.Reliability[i]</c> for every row of <paramref name="block"/>. A row's
    /// confirmation is its group's <see cref="GroupTable.Sdet"/>/<see cref="GroupTable.Spos"/>
    /// (groups in <paramref name="membership"/> order); a row in no group is scored as unconfirmable.
    /// </summary>
    public void Score(ExtractionBlock block, Membership membership, GroupTable groups, ExtractionResults results, int threads = 0)
    {
        if (results.Reliability.Length < block.Count)
            throw new ArgumentException("results hold fewer rows than the block", nameof(results));
        var cells = CellsOf(block, membership, groups, useConfirmation: true, threads);
        var scores = _scores;
        var outp = results.Reliability;
        for (int i = 0; i < cells.Length; i++) outp[i] = scores[cells[i]];
    }

    /// <summary>
    /// Cell of every row. Without <paramref name="useConfirmation"/> every row falls in the
    /// confirmation feature's unknown bin (the calibrator's view when labels come from confirmation);
    /// its group's association counts whenever the model is <see cref="Associated"/>.
    /// </summary>
    internal int[] CellsOf(ExtractionBlock block, Membership membership, GroupTable groups, bool useConfirmation, int threads = 0)
    {
        int n = block.Count;
        bool byGroup = useConfirmation || Associates;
        if (byGroup && groups.Count != membership.GroupCount)
            throw new ArgumentException("group table and membership disagree on the number of groups", nameof(groups));
        // The group's part of each row's cell (confirmation and association): 0 (unconfirmable, no catalogue) for a row in
        // no group, and for every row when neither counts.
        var groupPartOfRow = new int[n];
        if (byGroup)
        {
            for (int g = 0; g < membership.GroupCount; g++)
            {
                int part = GroupPart(groups, g, useConfirmation);
                foreach (int r in membership.Members(g))
                    if ((uint)r < (uint)n) groupPartOfRow[r] = part;
            }
        }

        var cells = new int[n];
        const int Chunk = 1 << 15;
        int chunks = (n + Chunk - 1) / Chunk;
        if (chunks <= 1) CellsOfRange(block, groupPartOfRow, cells, 0, n);
        else Parallel.For(0, chunks, Threads.Options(threads), k => CellsOfRange(block, groupPartOfRow, cells, k * Chunk, Math.Min(n, (k + 1) * Chunk)));
        return cells;
    }

    /// <summary>The hot loop: columns through locals (<see cref="RowCells"/>), no allocation.</summary>
    private void CellsOfRange(ExtractionBlock block, int[] groupPartOfRow, int[] cells, int from, int to)
    {
        var rows = new RowCells(this, block);
        for (int i = from; i < to; i++) cells[i] = rows.Cell(i, groupPartOfRow[i]);
    }

    /// <summary>
    /// Scores the member rows of <paramref name="count"/> groups from <paramref name="firstGroup"/> by their sdet/spos in
    /// <paramref name="table"/> from row <paramref name="tableRow"/>: the held-whole merge scores groups as it computes
    /// their statistics into a small table. Gives <see cref="Score"/>'s scores for those rows.
    /// </summary>
    internal void ScoreGroups(ExtractionBlock block, Membership membership, GroupTable table, int tableRow, int firstGroup, int count,
        ExtractionResults results)
    {
        var rows = new RowCells(this, block);
        var scores = _scores;
        var outp = results.Reliability;
        for (int k = 0; k < count; k++)
        {
            int part = GroupPart(table, tableRow + k);
            foreach (int r in membership.Members(firstGroup + k)) outp[r] = scores[rows.Cell(r, part)];
        }
    }

    /// <summary>
    /// Group <paramref name="g"/>'s part of its rows' cells: its confirmation's bin (unless not <paramref name="confirmation"/>)
    /// and its association's, each times its stride (a row that is a minor planet counts neither: <see cref="RowCells.Cell"/>).
    /// </summary>
    private int GroupPart(GroupTable table, int g, bool confirmation = true)
    {
        int part = !confirmation ? 0 : _features[(int)ReliabilityFeatureKind.Confirmation].BinOf(
            ReliabilityEvidence.ConfirmationOf(table.Sdet[g], table.Spos[g], MinSpos, false)) * _stride[(int)ReliabilityFeatureKind.Confirmation];
        if (_counterpart is { } counterpart)
            part += _features[(int)ReliabilityFeatureKind.Association].BinOf(counterpart(table.RaW[g], table.DecW[g]) ? 1.0 : 0.0)
                    * _stride[(int)ReliabilityFeatureKind.Association];
        return part;
    }

    /// <summary>
    /// A row's cell but for its confirmation part, which the caller adds (its group's, or 0): the block's
    /// columns and the model's strides held in locals, cc_flg classes from a 256-entry table.
    /// </summary>
    private readonly struct RowCells(ReliabilityModel model, ExtractionBlock block)
    {
        private readonly ReliabilityFeature _frames = model._features[(int)ReliabilityFeatureKind.FrameFraction];
        private readonly ReliabilityFeature _snr = model._features[(int)ReliabilityFeatureKind.Snr];
        private readonly int _sArt = model._stride[0], _sFrame = model._stride[1], _sBands = model._stride[2], _sSnr = model._stride[3];
        private readonly byte[] _mp = block.MpFlg;
        private readonly int[] _ndet = block.Ndet;
        private readonly BandColumns _j = block.Bands[0], _h = block.Bands[1], _k = block.Bands[2];
        // Held here: ReadyToRun code reaches a static field through a helper call on every use.
        private readonly byte[] _artifactOf = ArtifactClassOfChar;

        /// <summary>Row i's cell; <paramref name="confirmation"/> (its group's part: confirmation and association bins times their strides) counts unless the row is a minor planet.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]   // the per-row loop of every scoring pass
        public int Cell(int i, int confirmation)
        {
            var artifactOf = _artifactOf;
            BandColumns j = _j, h = _h, k = _k;
            int art = Math.Min(artifactOf[j.CcFlg[i]], Math.Min(artifactOf[h.CcFlg[i]], artifactOf[k.CcFlg[i]]));
            int bands = 0;
            double best = double.NaN;
            if (Bands.IsDetection(j.Mag[i], j.RdFlg[i], j.PhQual[i])) { bands++; best = MaxSnr(best, j.Snr[i]); }
            if (Bands.IsDetection(h.Mag[i], h.RdFlg[i], h.PhQual[i])) { bands++; best = MaxSnr(best, h.Snr[i]); }
            if (Bands.IsDetection(k.Mag[i], k.RdFlg[i], k.PhQual[i])) { bands++; best = MaxSnr(best, k.Snr[i]); }
            int c = art * _sArt
                  + _frames.BinOf(ReliabilityEvidence.FrameFractionOf(_ndet[i])) * _sFrame
                  + bands * _sBands
                  + _snr.BinOf(best) * _sSnr;
            if (!ReliabilityEvidence.IsMinorPlanet(_mp[i])) c += confirmation;
            return c;
        }
    }

    private static double MaxSnr(double best, float s) =>
        float.IsNaN(s) ? best : double.IsNaN(best) || s > best ? s : best;

    /// <summary><see cref="ArtifactClass"/> of every byte, so the hot loop does one load per band.</summary>
    private static readonly byte[] ArtifactClassOfChar = BuildArtifactTable();

    private static byte[] BuildArtifactTable()
    {
        var t = new byte[256];
        for (int c = 0; c < 256; c++) t[c] = (byte)ReliabilityEvidence.ClassOf((byte)c);
        return t;
    }
}
