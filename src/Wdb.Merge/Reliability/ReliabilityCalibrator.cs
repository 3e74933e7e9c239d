using System.Globalization;
using Wdb.Core;

namespace Wdb.Merge;

/// <summary>Where the calibrator's real/false labels come from.</summary>
public enum CalibrationLabels
{
    /// <summary>
    /// Redundancy of a calibration-tile merge: an extraction is real when its group was
    /// detected by many of the scans that covered it, false when many scans covered it and
    /// (almost) none detected it. Confirmation defines these labels, so its weights cannot be
    /// learned from them: they are kept from the base model.
    /// </summary>
    Redundancy,
    /// <summary>The block's `truth` column (generated data): Truth &gt;= 0 real, &lt; 0 noise. Every weight is fitted.</summary>
    Truth,
}

/// <summary>Settings of <see cref="ReliabilityCalibrator"/>; the defaults suit a calibration-tile merge.</summary>
public sealed record CalibrationOptions
{
    public CalibrationLabels Labels { get; init; } = CalibrationLabels.Redundancy;
    /// <summary>Real: the group's sdet is at least this ...</summary>
    public int RealMinSdet { get; init; } = 10;
    /// <summary>... and its sdet/spos at least this.</summary>
    public double RealMinRatio { get; init; } = 0.5;
    /// <summary>False: at least this many scans covered the group's position ...</summary>
    public int FalseMinSpos { get; init; } = 20;
    /// <summary>... and at most this many detected it.</summary>
    public int FalseMaxSdet { get; init; } = 2;
    /// <summary>
    /// L2 penalty pulling every weight towards the base model's value (a Gaussian prior of
    /// variance 1/PriorStrength in log-odds). A bin with n training rows is mostly set by the
    /// data when n/4 (the logistic curvature of n rows at p = 1/2) is well above this.
    /// </summary>
    public double PriorStrength { get; init; } = 2.0;
    /// <summary>Model whose bins are re-weighted and whose weights serve as the prior; null: <see cref="ReliabilityModel.Default"/>.</summary>
    public ReliabilityModel? BaseModel { get; init; }
    /// <summary>Version of the fitted model; null: the base version with "-cal" appended.</summary>
    public string? Version { get; init; }
    /// <summary>
    /// Fraction of real extractions expected where the model will be used. The labelled
    /// training rows have their own real fraction (a selection, not the sky); when this is set
    /// the intercept is shifted by logit(PriorRealFraction) - logit(training fraction).
    /// </summary>
    public double? PriorRealFraction { get; init; }
    /// <summary>Cap on coordinate-descent sweeps (each sweep re-fits every feature once).</summary>
    public int MaxSweeps { get; init; } = 500;
}

/// <summary>
/// Re-fits the weights of a <see cref="ReliabilityModel"/> on its own bins from labelled
/// extractions: penalised logistic regression (L2 towards the base model), solved exactly
/// by block coordinate descent where each block is one feature, with its ordered bins
/// constrained to non-decreasing weights (worst to best) by pool-adjacent-violators on the
/// 1-D convex sub-problems. Rows are first aggregated into the model's bin combinations, so
/// the cost after one pass over the rows does not depend on their number. Deterministic: the
/// same rows give the same JSON.
/// </summary>
public static class ReliabilityCalibrator
{
    /// <summary>Fits from the redundancy of a calibration-tile merge with default options.</summary>
    public static ReliabilityModel Fit(ExtractionBlock block, Membership membership, GroupTable groups, string calibratedFrom) =>
        Fit(block, membership, groups, calibratedFrom, new CalibrationOptions());

    /// <summary>As <see cref="TryFit"/>; throws <see cref="InvalidOperationException"/> with its reason when it fails.</summary>
    public static ReliabilityModel Fit(ExtractionBlock block, Membership membership, GroupTable groups, string calibratedFrom, CalibrationOptions options) =>
        TryFit(block, membership, groups, calibratedFrom, options, out var model, out var error)
            ? model! : throw new InvalidOperationException("reliability calibration: " + error);

    /// <summary>
    /// Labels the rows (<see cref="CalibrationOptions.Labels"/>), fits, and returns the model
    /// with its training statistics; false with a one-line reason when the labelled rows do
    /// not hold both classes.
    /// </summary>
    public static bool TryFit(ExtractionBlock block, Membership membership, GroupTable groups, string calibratedFrom,
        CalibrationOptions options, out ReliabilityModel? model, out string? error)
    {
        model = null; error = null;
        var baseModel = options.BaseModel ?? ReliabilityModel.Default;
        bool byTruth = options.Labels == CalibrationLabels.Truth;
        var labels = byTruth ? LabelByTruth(block) : LabelByRedundancy(block, membership, groups, options);

        // Aggregate labelled rows by bin combination.
        var cells = baseModel.CellsOf(block, membership, groups, useConfirmation: byTruth);
        var pos = new double[baseModel.CellCount];
        var neg = new double[baseModel.CellCount];
        long nReal = 0, nFalse = 0;
        for (int i = 0; i < cells.Length; i++)
        {
            if (labels[i] == 1) { pos[cells[i]]++; nReal++; }
            else if (labels[i] == 0) { neg[cells[i]]++; nFalse++; }
        }
        if (nReal == 0 || nFalse == 0)
        {
            error = $"needs both real and false labelled rows ({nReal} real, {nFalse} false, {(byTruth ? "truth" : "redundancy")} labels)"
                + (byTruth ? "" : string.Create(CultureInfo.InvariantCulture,
                    $": too few scans cover its groups (real needs sdet >= {options.RealMinSdet} and sdet/spos >= {options.RealMinRatio}, false spos >= {options.FalseMinSpos} and sdet <= {options.FalseMaxSdet}); merge a calibration tile, as a survey has too little redundancy"));
            return false;
        }

        var fit = new CellFit(baseModel, pos, neg, fitConfirmation: byTruth, options.PriorStrength);
        fit.Solve(options.MaxSweeps);

        double intercept = fit.Intercept;
        if (options.PriorRealFraction is double prior && prior > 0 && prior < 1)
            intercept += Logit(prior) - Logit(nReal / (double)(nReal + nFalse));
        var features = new ReliabilityFeature[ReliabilityModel.FeatureCount];
        for (int f = 0; f < features.Length; f++)
        {
            var bf = baseModel.Features[f];
            double[] w = (double[])fit.Weights[f].Clone();
            if (!byTruth && f == (int)ReliabilityFeatureKind.Confirmation)
            {
                // Kept from the base as log likelihood ratios against "unconfirmable".
                w = (double[])bf.WeightsArray.Clone();
                for (int b = 0; b < w.Length; b++) w[b] -= bf.WeightsArray[0];
            }
            if (f == (int)ReliabilityFeatureKind.Association)
            {
                // Fitted with catalogues (a base model Associated with the merge's), no training row is in "no catalogue":
                // the model used without them should put a row where an average training row was, so that bin takes the
                // other bins' weights averaged over the rows. Without catalogues every row is in "no catalogue": the
                // weights are then the base model's (set by hand, or fitted elsewhere).
                if (baseModel.Associates) w[0] = MeanOverRows(baseModel, f, w, pos, neg);
                else w = (double[])bf.WeightsArray.Clone();
            }
            for (int b = 0; b < w.Length; b++) w[b] = Round4(w[b]);
            features[f] = new ReliabilityFeature(bf.Kind, (double[])bf.EdgesArray.Clone(), w);
        }
        intercept = Round4(intercept);

        string labelText = byTruth
            ? "truth column: real when truth >= 0, false when truth < 0"
            : string.Create(CultureInfo.InvariantCulture,
                $"redundancy: real when sdet >= {options.RealMinSdet} and sdet/spos >= {options.RealMinRatio}; false when spos >= {options.FalseMinSpos} and sdet <= {options.FalseMaxSdet}; confirmation weights kept from {baseModel.Version}");
        string description = string.Create(CultureInfo.InvariantCulture,
            $"Fitted by ReliabilityCalibrator from {nReal + nFalse} labelled extractions ({labelText}); L2 prior strength {options.PriorStrength} towards {baseModel.Version}; weights non-decreasing from worst to best bin.")
            + (options.PriorRealFraction is double pr ? string.Create(CultureInfo.InvariantCulture, $" Intercept shifted to a real fraction of {pr}.") : "");

        // Training statistics of the rounded model, on the rows it was fitted to.
        var provisional = new ReliabilityModel(options.Version ?? baseModel.Version + "-cal", description, calibratedFrom,
            intercept, baseModel.MinSpos, features, null);
        var bins = new int[ReliabilityModel.FeatureCount];
        double loss = 0;
        var scores = new byte[cells.Length];
        for (int c = 0; c < pos.Length; c++)
        {
            if (pos[c] + neg[c] == 0) continue;
            provisional.DecomposeCell(c, bins);
            double z = provisional.LogOdds(bins);
            loss += pos[c] * Softplus(-z) + neg[c] * Softplus(z);
        }
        for (int i = 0; i < cells.Length; i++) scores[i] = provisional.ScoreOfCell(cells[i]);
        var training = new ReliabilityTraining(labelText, nReal, nFalse,
            Math.Round(loss / (nReal + nFalse), 6), Math.Round(Auc(scores, labels), 6));
        model = new ReliabilityModel(provisional.Version, description, calibratedFrom, intercept, baseModel.MinSpos, features, training);
        return true;
    }

    /// <summary>
    /// Redundancy labels per row: 1 real, 0 false, -1 neither (or in no group). Groups are in
    /// <paramref name="membership"/> order, with Sdet and Spos filled.
    /// </summary>
    public static sbyte[] LabelByRedundancy(ExtractionBlock block, Membership membership, GroupTable groups, CalibrationOptions options)
    {
        if (groups.Count != membership.GroupCount)
            throw new ArgumentException("group table and membership disagree on the number of groups", nameof(groups));
        var labels = new sbyte[block.Count];
        Array.Fill(labels, (sbyte)-1);
        for (int g = 0; g < membership.GroupCount; g++)
        {
            int sdet = groups.Sdet[g], spos = groups.Spos[g];
            sbyte label = -1;
            if (sdet >= options.RealMinSdet && spos > 0 && sdet >= options.RealMinRatio * spos) label = 1;
            else if (spos >= options.FalseMinSpos && sdet <= options.FalseMaxSdet) label = 0;
            if (label < 0) continue;
            foreach (int r in membership.Members(g))
                if ((uint)r < (uint)labels.Length) labels[r] = label;
        }
        return labels;
    }

    /// <summary>Truth labels per row: 1 when Truth &gt;= 0 (a real source's id), 0 when noise (&lt; 0).</summary>
    /// <remarks>An absent truth column also reads -1; the caller must know the block carries truth.</remarks>
    public static sbyte[] LabelByTruth(ExtractionBlock block)
    {
        var labels = new sbyte[block.Count];
        for (int i = 0; i < labels.Length; i++) labels[i] = block.Truth[i] >= 0 ? (sbyte)1 : (sbyte)0;
        return labels;
    }

    /// <summary>
    /// Area under the ROC curve of 0..9 scores against labels (1 real, 0 false, others
    /// ignored): the probability that a random real row outscores a random false one, ties
    /// counting half. NaN when a class is empty.
    /// </summary>
    public static double Auc(ReadOnlySpan<byte> scores, ReadOnlySpan<sbyte> labels)
    {
        if (scores.Length != labels.Length) throw new ArgumentException("scores and labels differ in length");
        Span<long> real = stackalloc long[256], fake = stackalloc long[256];
        real.Clear(); fake.Clear();
        long nr = 0, nf = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            if (labels[i] == 1) { real[scores[i]]++; nr++; }
            else if (labels[i] == 0) { fake[scores[i]]++; nf++; }
        }
        if (nr == 0 || nf == 0) return double.NaN;
        double wins = 0; long realBelow = 0;
        for (int s = 0; s < 256; s++)
        {
            // false rows at score s beat (are beaten by) real rows below (above) s.
            wins += fake[s] * (nr - realBelow - real[s]) + 0.5 * fake[s] * real[s];
            realBelow += real[s];
        }
        return wins / ((double)nr * nf);
    }

    private static double Round4(double x) => Math.Round(x, 4, MidpointRounding.ToEven) + 0.0; // + 0.0 turns -0 into 0
    /// <summary>Weight <paramref name="w"/> of feature <paramref name="f"/> averaged over the labelled rows (pos + neg per cell).</summary>
    private static double MeanOverRows(ReliabilityModel model, int f, double[] w, double[] pos, double[] neg)
    {
        var bins = new int[ReliabilityModel.FeatureCount];
        double sum = 0, rows = 0;
        for (int c = 0; c < pos.Length; c++)
        {
            double n = pos[c] + neg[c];
            if (n == 0) continue;
            model.DecomposeCell(c, bins);
            sum += n * w[bins[f]];
            rows += n;
        }
        return rows == 0 ? w[0] : sum / rows;
    }

    private static double Logit(double p) => Math.Log(p / (1 - p));
    internal static double Softplus(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));

    /// <summary>The penalised logistic fit over aggregated cells.</summary>
    private sealed class CellFit
    {
        private const double InterceptPrior = 1e-6;   // practically free, but keeps the 1-D problem strictly convex
        private const double WeightLimit = 30;         // |log-odds| beyond this is p = 1e-13: no data can ask for more

        private readonly ReliabilityModel _base;
        private readonly int[] _active;                // cells holding labelled rows
        private readonly double[] _pos, _neg, _z;      // per active cell; _z = current log-odds
        private readonly int[][] _binOf;               // [feature][active cell]
        private readonly int[][][] _cellsOfBin;        // [feature][bin] -> active cell positions
        private readonly bool[] _fitted;
        private readonly double _kappa;
        public double Intercept;
        public readonly double[][] Weights;

        public CellFit(ReliabilityModel baseModel, double[] pos, double[] neg, bool fitConfirmation, double kappa)
        {
            _base = baseModel; _kappa = Math.Max(kappa, 1e-9);
            var active = new List<int>();
            for (int c = 0; c < pos.Length; c++) if (pos[c] + neg[c] > 0) active.Add(c);
            _active = active.ToArray();
            int n = _active.Length, nf = ReliabilityModel.FeatureCount;
            _pos = new double[n]; _neg = new double[n]; _z = new double[n];
            _binOf = new int[nf][];
            _fitted = new bool[nf];
            Weights = new double[nf][];
            _cellsOfBin = new int[nf][][];
            var bins = new int[nf];
            for (int f = 0; f < nf; f++)
            {
                _binOf[f] = new int[n];
                _fitted[f] = (f != (int)ReliabilityFeatureKind.Confirmation || fitConfirmation)
                             && (f != (int)ReliabilityFeatureKind.Association || baseModel.Associates);
                // An unfitted feature is left out of the log-odds (all its rows share one bin).
                Weights[f] = _fitted[f] ? (double[])baseModel.Features[f].WeightsArray.Clone() : new double[baseModel.Features[f].BinCount];
            }
            for (int k = 0; k < n; k++)
            {
                int c = _active[k];
                _pos[k] = pos[c]; _neg[k] = neg[c];
                baseModel.DecomposeCell(c, bins);
                for (int f = 0; f < nf; f++) _binOf[f][k] = bins[f];
            }
            for (int f = 0; f < nf; f++)
            {
                var lists = new List<int>[Weights[f].Length];
                for (int b = 0; b < lists.Length; b++) lists[b] = [];
                for (int k = 0; k < n; k++) lists[_binOf[f][k]].Add(k);
                _cellsOfBin[f] = new int[lists.Length][];
                for (int b = 0; b < lists.Length; b++) _cellsOfBin[f][b] = lists[b].ToArray();
            }
            Intercept = baseModel.Intercept;
            RecomputeZ();
        }

        private void RecomputeZ()
        {
            for (int k = 0; k < _z.Length; k++)
            {
                double z = Intercept;
                for (int f = 0; f < Weights.Length; f++) z += Weights[f][_binOf[f][k]];
                _z[k] = z;
            }
        }

        public void Solve(int maxSweeps)
        {
            var all = new int[_z.Length];
            for (int k = 0; k < all.Length; k++) all[k] = k;
            var offset = new double[_z.Length];
            for (int sweep = 0; sweep < maxSweeps; sweep++)
            {
                double change = 0;
                // Intercept: every cell, prior at the base intercept.
                double before = Intercept;
                for (int k = 0; k < _z.Length; k++) offset[k] = _z[k] - before;
                Intercept = Minimise([all], offset, before, [_base.Intercept], InterceptPrior);
                Shift(all, Intercept - before);
                change = Math.Max(change, Math.Abs(Intercept - before));
                for (int f = 0; f < Weights.Length; f++)
                {
                    if (!_fitted[f]) continue;
                    change = Math.Max(change, FitFeature(f, offset));
                    change = Math.Max(change, Recentre(f));
                }
                Sweeps = sweep + 1;
                if (change < 1e-10) break;
            }
        }

        /// <summary>
        /// Every row falls in exactly one bin of each feature, so adding c to the intercept and
        /// subtracting it from all of a feature's weights leaves every probability unchanged:
        /// only the prior can choose c. Coordinate descent would crawl along that flat valley,
        /// so this step takes the exact minimiser of the penalty along it (a common shift keeps
        /// the weights' order). Returns the size of the shift.
        /// </summary>
        private double Recentre(int f)
        {
            var w = Weights[f];
            var prior = _base.Features[f].WeightsArray;
            double excess = 0;
            for (int b = 0; b < w.Length; b++) excess += w[b] - prior[b];
            double c = (_kappa * excess - InterceptPrior * (Intercept - _base.Intercept)) / (InterceptPrior + _kappa * w.Length);
            if (c == 0) return 0;
            Intercept += c;
            for (int b = 0; b < w.Length; b++) w[b] -= c;
            return Math.Abs(c);
        }

        /// <summary>Sweeps the last <see cref="Solve"/> took.</summary>
        public int Sweeps;

        private void Shift(int[] cells, double delta)
        {
            foreach (int k in cells) _z[k] += delta;
        }

        /// <summary>Re-fits one feature's weights given the others; returns the largest change.</summary>
        private double FitFeature(int f, double[] offset)
        {
            var w = Weights[f];
            var prior = _base.Features[f].WeightsArray;
            var byBin = _cellsOfBin[f];
            var old = (double[])w.Clone();
            // Offsets without this feature: o = z - w[bin].
            for (int k = 0; k < _z.Length; k++) offset[k] = _z[k] - w[_binOf[f][k]];

            int first = _base.Features[f].FirstOrderedBin;
            for (int b = 0; b < first; b++) w[b] = Minimise([byBin[b]], offset, w[b], [prior[b]], _kappa);

            // Pool adjacent violators: blocks of bins sharing one weight, values non-decreasing.
            var lo = new List<int>(); var hi = new List<int>(); var val = new List<double>();
            for (int b = first; b < w.Length; b++)
            {
                lo.Add(b); hi.Add(b); val.Add(Minimise([byBin[b]], offset, w[b], [prior[b]], _kappa));
                while (val.Count >= 2 && val[^2] > val[^1])
                {
                    int l = lo[^2], h = hi[^1];
                    double start = 0.5 * (val[^2] + val[^1]);
                    lo.RemoveRange(lo.Count - 2, 2); hi.RemoveRange(hi.Count - 2, 2); val.RemoveRange(val.Count - 2, 2);
                    var groups = new int[h - l + 1][];
                    var priors = new double[h - l + 1];
                    for (int j = l; j <= h; j++) { groups[j - l] = byBin[j]; priors[j - l] = prior[j]; }
                    lo.Add(l); hi.Add(h); val.Add(Minimise(groups, offset, start, priors, _kappa));
                }
            }
            for (int j = 0; j < val.Count; j++)
                for (int b = lo[j]; b <= hi[j]; b++) w[b] = val[j];

            double change = 0;
            for (int b = 0; b < w.Length; b++)
            {
                double d = w[b] - old[b];
                if (d != 0) Shift(byBin[b], d);
                change = Math.Max(change, Math.Abs(d));
            }
            return change;
        }

        /// <summary>
        /// Minimises over one shared weight v: sum over the given cells of the log-loss at
        /// log-odds offset + v, plus kappa/2 * sum over priors (v - prior)^2. Newton's method
        /// with step halving (the objective is strictly convex).
        /// </summary>
        private double Minimise(int[][] cellGroups, double[] offset, double start, double[] priors, double kappa)
        {
            double v = Math.Clamp(start, -WeightLimit, WeightLimit);
            double fv = Objective(cellGroups, offset, v, priors, kappa);
            for (int it = 0; it < 100; it++)
            {
                double g = 0, h = 0;
                foreach (var cells in cellGroups)
                    foreach (int k in cells)
                    {
                        double p = Sigmoid(offset[k] + v);
                        double n = _pos[k] + _neg[k];
                        g += n * p - _pos[k];
                        h += n * p * (1 - p);
                    }
                foreach (double pr in priors) { g += kappa * (v - pr); h += kappa; }
                double step = Math.Clamp(g / h, -4, 4);
                double next = Math.Clamp(v - step, -WeightLimit, WeightLimit);
                double fn = Objective(cellGroups, offset, next, priors, kappa);
                int halvings = 0;
                while (fn > fv && halvings++ < 50)
                {
                    next = 0.5 * (v + next);
                    fn = Objective(cellGroups, offset, next, priors, kappa);
                }
                if (fn > fv) break;
                bool done = Math.Abs(next - v) < 1e-12;
                v = next; fv = fn;
                if (done) break;
            }
            return v;
        }

        private double Objective(int[][] cellGroups, double[] offset, double v, double[] priors, double kappa)
        {
            double s = 0;
            foreach (var cells in cellGroups)
                foreach (int k in cells)
                {
                    double z = offset[k] + v;
                    s += _pos[k] * Softplus(-z) + _neg[k] * Softplus(z);
                }
            foreach (double pr in priors) s += 0.5 * kappa * (v - pr) * (v - pr);
            return s;
        }

        private static double Sigmoid(double z) => ReliabilityModel.Sigmoid(z);
    }
}
