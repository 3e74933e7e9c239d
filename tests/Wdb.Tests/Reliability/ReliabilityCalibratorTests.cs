using Wdb.Core;
using Wdb.Merge;

namespace Wdb.Tests.Reliability;

public class ReliabilityCalibratorTests
{
    /// <summary>One synthetic extraction before it is added to a block.</summary>
    private sealed record Spec(long Gcntr, string Cc, int Ndet, float?[] Snr, long Truth);

    /// <summary>
    /// A small calibration tile: real sources detected by most of 40 scans (mostly clean,
    /// several bands, good SNR, most frames), a few faint real sources detected by a third of
    /// the scans (unlabelled by redundancy), and false extractions seen once or twice among
    /// 30 scans (artifacts, one band, low SNR, few frames). The classes overlap on purpose.
    /// </summary>
    private static (List<Spec> Rows, Dictionary<long, (int Sdet, int Spos)> Groups) CalibrationTile(int seed)
    {
        var rng = new Random(seed);
        var rows = new List<Spec>();
        var groups = new Dictionary<long, (int, int)>();
        long next = 1;
        int Ndet(int lo, int hi)
        {
            int v = 0;
            for (int b = 0; b < 3; b++) v = v * 100 + rng.Next(lo, hi + 1) * 10 + 6;
            return v;
        }
        for (int s = 0; s < 120; s++)
        {
            bool faint = s % 6 == 0;
            long g = next++;
            int spos = 40, sdet = faint ? rng.Next(10, 16) : rng.Next(24, 41);
            groups[g] = (sdet, spos);
            double baseSnr = faint ? 4 : Math.Exp(1.5 + rng.NextDouble() * 2.5);
            int bands = faint ? 1 : rng.Next(10) < 6 ? 3 : rng.Next(10) < 6 ? 2 : 1;
            for (int k = 0; k < sdet; k++)
            {
                double u = rng.NextDouble();
                string cc = u < 0.88 ? "000" : u < 0.94 ? "0c0" : u < 0.98 ? "d00" : "00S";
                var snr = new float?[3];
                for (int b = 0; b < bands; b++) snr[b] = (float)(baseSnr * Math.Exp(0.3 * (rng.NextDouble() - 0.5)) * (1 - 0.2 * b));
                rows.Add(new Spec(g, cc, rng.Next(8) == 0 ? -1 : Ndet(faint ? 1 : 3, 6), snr, g));
            }
        }
        for (int s = 0; s < 700; s++)
        {
            long g = next++;
            int sdet = rng.Next(5) == 0 ? 2 : 1;
            groups[g] = (sdet, 30);
            for (int k = 0; k < sdet; k++)
            {
                double u = rng.NextDouble();
                string cc = u < 0.55 ? "000" : u < 0.75 ? "0p0" : u < 0.85 ? "s00" : u < 0.95 ? "00P" : "D00";
                var snr = new float?[3];
                int bands = rng.Next(10) < 8 ? 1 : 2;
                int first = rng.Next(3);
                for (int b = 0; b < bands; b++) snr[(first + b) % 3] = (float)(2 + rng.NextDouble() * (rng.Next(4) == 0 ? 12 : 5));
                rows.Add(new Spec(g, cc, rng.Next(8) == 0 ? -1 : Ndet(0, 4), snr, -1));
            }
        }
        return (rows, groups);
    }

    private static ReliabilityTestData Load(List<Spec> rows, Dictionary<long, (int Sdet, int Spos)> groups, IEnumerable<int> order)
    {
        var d = new ReliabilityTestData();
        foreach (int i in order) { var r = rows[i]; d.Add(r.Gcntr, r.Cc, r.Ndet, r.Snr, truth: r.Truth); }
        foreach (var (g, (sdet, spos)) in groups.OrderBy(x => x.Key)) d.Group(g, sdet, spos);
        return d;
    }

    /// <summary>Mean log-loss of a model's probabilities on labelled rows, confirmation left out.</summary>
    private static double LogLossWithoutConfirmation(ReliabilityModel model, ExtractionBlock block, sbyte[] labels)
    {
        double sum = 0; int n = 0;
        for (int i = 0; i < block.Count; i++)
        {
            if (labels[i] < 0) continue;
            double p = model.Probability(ReliabilityEvidence.Of(block, i, 0, 0, model.MinSpos));
            sum -= labels[i] == 1 ? Math.Log(p) : Math.Log(1 - p);
            n++;
        }
        return sum / n;
    }

    [Fact]
    public void Fit_OnACalibrationTile_SeparatesRealFromFalse_AndIsDeterministic()
    {
        var (rows, groups) = CalibrationTile(11);
        var d = Load(rows, groups, Enumerable.Range(0, rows.Count));
        var (m, g) = d.Build();
        var model = ReliabilityCalibrator.Fit(d.Block, m, g, "synthetic tile 11");

        Assert.Equal("v2-cal", model.Version);
        Assert.Equal("synthetic tile 11", model.CalibratedFrom);
        var t = model.Training!;
        var labels = ReliabilityCalibrator.LabelByRedundancy(d.Block, m, g, new CalibrationOptions());
        Assert.Equal(labels.Count(x => x == 1), t.NReal);
        Assert.Equal(labels.Count(x => x == 0), t.NFalse);
        Assert.True(t.NReal > 2000 && t.NFalse > 700, $"{t.NReal} real, {t.NFalse} false");
        // Without confirmation (the training view), the extraction's own columns must separate the classes.
        Assert.True(t.Auc > 0.9, $"training AUC {t.Auc}");
        // The fit beats its prior on the rows it was fitted to.
        double before = LogLossWithoutConfirmation(ReliabilityModel.Default, d.Block, labels);
        double after = LogLossWithoutConfirmation(model, d.Block, labels);
        Assert.Equal(t.LogLoss, after, 5);
        Assert.True(after < before - 0.02, $"log-loss {after} vs default {before}");
        // Against the truth, scored in full (with confirmation), every row counts, faint sources too.
        var scores = d.Score(model);
        double auc = ReliabilityCalibrator.Auc(scores, ReliabilityCalibrator.LabelByTruth(d.Block));
        Assert.True(auc > 0.95, $"AUC against truth {auc}");

        // Confirmation defines the labels, so its weights are the base model's.
        Assert.Equal(ReliabilityModel.Default.Features[4].Weights, model.Features[4].Weights);
        ReliabilityModelTests.AssertMonotone(model);

        // Same rows -> same JSON; rows in another order -> same JSON too.
        Assert.Equal(model.ToJson(), ReliabilityCalibrator.Fit(d.Block, m, g, "synthetic tile 11").ToJson());
        var shuffled = Enumerable.Range(0, rows.Count).OrderBy(i => (i * 7919) % rows.Count).ToArray();
        var d2 = Load(rows, groups, shuffled);
        var (m2, g2) = d2.Build();
        Assert.Equal(model.ToJson(), ReliabilityCalibrator.Fit(d2.Block, m2, g2, "synthetic tile 11").ToJson());
        // And the JSON loads back to the same model.
        Assert.Equal(model.ToJson(), ReliabilityModel.Load(model.ToJson()).ToJson());
    }

    [Fact]
    public void Fit_WithTruthLabels_RecoversTheGeneratingWeights()
    {
        double intercept = 0.5;
        double[][] truth =
        [
            [-2, -1, -0.2, 0],
            [0.3, -1.5, -0.5, 0.5, 1.0],
            [-2, -1, 0, 0.8],
            [0, -1.5, -1.0, 0, 0.5, 1.0, 1.2],
            [0, -2, -0.5, 1, 2],
        ];
        var rng = new Random(5);
        var d = new ReliabilityTestData();
        var probe = ReliabilityModel.Default;
        for (int i = 0; i < 30000; i++)
        {
            int art = rng.Next(4), fr = rng.Next(5), bands = rng.Next(4), snr = bands == 0 ? 0 : rng.Next(7), conf = rng.Next(5);
            int row = d.AddInBins(art, fr, bands, snr, conf);
            var (sdet, spos) = ReliabilityTestData.ConfirmationOfBin[conf];
            int[] bins = probe.BinsOf(ReliabilityEvidence.Of(d.Block, row, sdet, spos, probe.MinSpos));
            Assert.Equal(new[] { art, fr, bands, snr, conf, 0 }, bins);   // no catalogue: association unknown
            double z = intercept;
            for (int f = 0; f < 5; f++) z += truth[f][bins[f]];
            d.Block.Truth[row] = rng.NextDouble() < 1 / (1 + Math.Exp(-z)) ? row : -1;
        }
        var (m, g) = d.Build();
        var options = new CalibrationOptions { Labels = CalibrationLabels.Truth, PriorStrength = 0.1, Version = "t1" };
        var model = ReliabilityCalibrator.Fit(d.Block, m, g, "generated", options);

        Assert.Equal("t1", model.Version);
        for (int f = 0; f < 5; f++)
        {
            var w = model.Features[f].Weights;
            int last = w.Count - 1;
            for (int b = 0; b < last; b++)
            {
                double expected = truth[f][b] - truth[f][last], actual = w[b] - w[last];
                Assert.True(Math.Abs(expected - actual) < 0.2, $"{model.Features[f].Name} bin {b}: {actual:F3}, generated {expected:F3}");
            }
        }
        Assert.True(model.Training!.Auc > 0.8);
        // No catalogue in a calibration merge: the association's weights are the base model's.
        Assert.Equal(probe.Features[5].Weights, model.Features[5].Weights);
    }

    [Fact]
    public void Fit_KeepsWeightsMonotone_WhenTheDataSayOtherwise()
    {
        // SNR [10,20) rows are less often real than [7,10) rows: the fit pools the two bins.
        var rng = new Random(3);
        var d = new ReliabilityTestData();
        for (int i = 0; i < 6000; i++)
        {
            int snr = 1 + rng.Next(6);
            int row = d.AddInBins(3, 4, 2, snr, 0);
            double p = snr switch { 1 => 0.1, 2 => 0.3, 3 => 0.5, 4 => 0.9, 5 => 0.6, _ => 0.95 };
            d.Block.Truth[row] = rng.NextDouble() < p ? row : -1;
        }
        var (m, g) = d.Build();
        var model = ReliabilityCalibrator.Fit(d.Block, m, g, "inverted snr",
            new CalibrationOptions { Labels = CalibrationLabels.Truth, PriorStrength = 0.01 });
        var w = model.Features[3].Weights;
        Assert.Equal(w[4], w[5]);
        Assert.True(w[3] < w[4] && w[5] < w[6], string.Join(", ", w));
        ReliabilityModelTests.AssertMonotone(model);
        // The pooled weight lies between what each bin alone would ask for (log-odds of 0.9 and 0.6, relative).
        Assert.True(w[4] - w[3] > 0.5);
    }

    [Fact]
    public void PriorRealFraction_ShiftsOnlyTheIntercept()
    {
        var (rows, groups) = CalibrationTile(2);
        var d = Load(rows, groups, Enumerable.Range(0, rows.Count));
        var (m, g) = d.Build();
        var plain = ReliabilityCalibrator.Fit(d.Block, m, g, "tile");
        var shifted = ReliabilityCalibrator.Fit(d.Block, m, g, "tile", new CalibrationOptions { PriorRealFraction = 0.5 });
        var t = plain.Training!;
        double expected = Math.Log(0.5 / 0.5) - Math.Log(t.NReal / (double)t.NFalse);
        Assert.Equal(plain.Intercept + expected, shifted.Intercept, 3);
        for (int f = 0; f < 5; f++) Assert.Equal(plain.Features[f].Weights, shifted.Features[f].Weights);
    }

    [Fact]
    public void TryFit_FailsAsAValue_WithoutBothClasses()
    {
        var d = new ReliabilityTestData();
        for (int i = 0; i < 5; i++) d.Add(1, "000", 666666, [20f, 20f, 20f]);
        d.Group(1, 30, 40);
        var (m, g) = d.Build();
        Assert.False(ReliabilityCalibrator.TryFit(d.Block, m, g, "x", new CalibrationOptions(), out var model, out var error));
        Assert.Null(model);
        Assert.Contains("needs both real and false", error);
        Assert.Contains("5 real, 0 false", error);
        Assert.Throws<InvalidOperationException>(() => ReliabilityCalibrator.Fit(d.Block, m, g, "x"));
    }

    [Fact]
    public void LabelByRedundancy_FollowsTheCriteria()
    {
        var d = new ReliabilityTestData();
        (int Sdet, int Spos)[] cases = [(10, 20), (9, 10), (2, 20), (3, 25), (1, 19), (12, 25), (0, 40)];
        sbyte[] expected = [1, -1, 0, -1, -1, -1, 0];
        for (int k = 0; k < cases.Length; k++) { d.Add(k + 1, "000", -1, [10f, null, null]); d.Group(k + 1, cases[k].Sdet, cases[k].Spos); }
        d.Add(-1, "000", -1, [10f, null, null]);    // in no group: unlabelled
        var (m, g) = d.Build();
        var labels = ReliabilityCalibrator.LabelByRedundancy(d.Block, m, g, new CalibrationOptions());
        Assert.Equal([.. expected, (sbyte)-1], labels);
    }

    [Fact]
    public void Auc_MatchesHandCount()
    {
        // real 9 beats false 1 and 8; real 8 beats false 1 and ties false 8: 3.5 of 4 pairs; the -1 row is ignored.
        Assert.Equal(0.875, ReliabilityCalibrator.Auc(new byte[] { 9, 8, 1, 8, 0 }, new sbyte[] { 1, 1, 0, 0, -1 }));
        Assert.Equal(0.5, ReliabilityCalibrator.Auc(new byte[] { 5, 5 }, new sbyte[] { 1, 0 }));
        Assert.Equal(0.0, ReliabilityCalibrator.Auc(new byte[] { 1, 5 }, new sbyte[] { 1, 0 }));
        Assert.True(double.IsNaN(ReliabilityCalibrator.Auc(new byte[] { 1 }, new sbyte[] { 1 })));
    }
}
