using Wdb.Core;
using Wdb.Merge;

namespace Wdb.Tests.Reliability;

public class ReliabilityModelTests
{
    internal static string DocsModelPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string path = Path.Combine(dir.FullName, "docs", "reliability-model-v2.json");
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException("docs/reliability-model-v2.json not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void DefaultModel_IsTheCommittedDocsFile_InCanonicalForm()
    {
        string docs = File.ReadAllText(DocsModelPath()).ReplaceLineEndings("\n");
        Assert.Equal(docs, ReliabilityModel.DefaultJson);
        Assert.Equal(ReliabilityModel.DefaultJson, ReliabilityModel.Default.ToJson());
        Assert.Equal("v2", ReliabilityModel.Default.Version);
        // The summary names the default model by this constant, before the model is parsed.
        Assert.Equal(ReliabilityModel.DefaultVersion, ReliabilityModel.Default.Version);
        Assert.Equal(ReliabilityModel.DefaultCalibratedFrom, ReliabilityModel.Default.CalibratedFrom);
    }

    [Fact]
    public void HandComputedScores_OfTheDefaultModel()
    {
        // Weights of v1: intercept 1; artifact [-3,-0.7,-0.3,0]; frames [0 | -2,-0.5,0.3,0.8];
        // bands [-3,-0.5,0.5,1]; snr [-0.3 | -2,-1,-0.3,0.2,0.6,1]; confirmation [0 | -2.5,-0.8,0.8,1.5].
        var d = new ReliabilityTestData();
        // 1 + 0 + 0.8 (6/6) + 1 (3 bands) + 0.6 (snr 15) + 0 (spos 1) = 3.4 -> p 0.9677 -> 9
        d.Add(1, "000", 666666, [15f, 12f, 9f]); d.Group(1, 1, 1);
        // 1 - 0.7 (d) - 0.5 (2/6) - 0.5 (1 band) - 1 (snr 4) - 0.8 (1 of 2) = -2.5 -> p 0.0759 -> 0
        d.Add(2, "0d0", 260606, [4f, null, null]); d.Group(2, 1, 2);
        // 1 + 0 + 0 (no ndet) + 0.5 (2 bands) - 0.3 (snr 6) + 0.8 (3 of 4) = 2.0 -> p 0.8808 -> 8
        d.Add(3, "000", -1, [null, 6f, 5.5f]); d.Group(3, 3, 4);
        // 1 - 0.3 (c) + 0.3 (5/6) + 0.5 (2 bands) + 0.2 (snr 8) + 0 = 1.7 -> p 0.8455 -> 8
        d.Add(4, "c00", 565656, [8f, 7.5f, null]);
        // 1 - 3 (P) - 2 (1/6) - 0.5 (1 band) - 0.3 (snr 5.5) - 2.5 (1 of 30) = -7.3 -> p 0.0007 -> 0
        d.Add(5, "P00", 160606, [5.5f, null, null]); d.Group(5, 1, 30);
        // 1 + 0 + 0 - 0.5 (1 band) - 1 (snr 4) + 0.8 (2 of 3) = 0.3 -> p 0.5744 -> 5
        d.Add(6, "000", -1, [null, null, 4f]); d.Group(6, 2, 3);
        // the same row, but its group could not confirm (spos 1): 1 - 0.5 - 1 = -0.5 -> p 0.3775 -> 3
        d.Add(7, "000", -1, [null, null, 4f]); d.Group(7, 1, 1);
        // in no group at all: scored as unconfirmable, as row 7
        d.Add(-1, "000", -1, [null, null, 4f]);
        // a known minor planet in a group detected once of 30: confirmation is ignored -> as row 7
        d.Add(9, "000", -1, [null, null, 4f], mpFlg: 1); d.Group(9, 1, 30);
        // upper-case letter this code does not know still marks an artifact: -0.5 - 3 = -3.5 -> 0.0293 -> 0
        d.Add(10, "00X", -1, [null, null, 4f]);
        // no band detected: 1 - 3 (0 bands) - 0.3 (snr unknown) = -2.3 -> 0.0911 -> 0
        d.Add(11, "000", -1, [null, null, null]);

        Assert.Equal(new byte[] { 9, 0, 8, 8, 0, 5, 3, 3, 3, 0, 0 }, d.Score(ReliabilityModel.Default));

        var e = ReliabilityEvidence.Of(d.Block, 0, 1, 1, 2);
        Assert.Equal(1 / (1 + Math.Exp(-3.4)), ReliabilityModel.Default.Probability(e), 12);
        Assert.Equal(9, ReliabilityModel.Default.ScoreOf(e));
        var e5 = ReliabilityEvidence.Of(d.Block, 5, 2, 3, 2);
        Assert.Equal(1 / (1 + Math.Exp(-0.3)), ReliabilityModel.Default.Probability(e5), 12);
    }

    [Theory]
    [InlineData(1, 3)]      // a minor planet: unconfirmable, 1 - 0.5 (1 band) - 1 (snr 4) = -0.5 -> 3
    [InlineData(49, 0)]     // mp_flg 49 (the code of the character '1') is not 1: detected 1 of 30, -0.5 - 2.5 -> 0
    [InlineData(0, 0)]
    [InlineData(2, 0)]
    public void OnlyMpFlgOneIsAMinorPlanet(byte mpFlg, byte score)
    {
        var d = new ReliabilityTestData();
        d.Add(1, "000", -1, [null, null, 4f], mpFlg: mpFlg); d.Group(1, 1, 30);

        Assert.Equal([score], d.Score(ReliabilityModel.Default));
    }

    [Theory]
    [InlineData(666666, 1.0)]
    [InlineData(260606, 2.0 / 6)]
    [InlineData(160000, 1.0 / 6)]     // only J seen
    [InlineData(36, 0.5)]             // "000036": only Ks seen, 3 of 6
    [InlineData(565646, 5.0 / 6)]
    [InlineData(0, double.NaN)]       // "000000": no band seen
    [InlineData(-1, double.NaN)]      // absent
    [InlineData(630000, 1.0)]         // more detections than frames (a bad row): clamped to the documented [0, 1]
    public void FrameFraction_IsTheBestBandsDetectedOverSeen(int ndet, double expected) =>
        Assert.Equal(expected, ReliabilityEvidence.FrameFractionOf(ndet), 12);

    [Theory]
    [InlineData("000", ArtifactClass.Clean)]
    [InlineData("\0\0\0", ArtifactClass.Clean)]
    [InlineData("0c0", ArtifactClass.Confused)]
    [InlineData("b0c", ArtifactClass.Confused)]
    [InlineData("0d0", ArtifactClass.Contaminated)]
    [InlineData("cs0", ArtifactClass.Contaminated)]
    [InlineData("00z", ArtifactClass.Contaminated)]
    [InlineData("00P", ArtifactClass.Artifact)]
    [InlineData("dC0", ArtifactClass.Artifact)]
    [InlineData("0X0", ArtifactClass.Artifact)]
    [InlineData("A00", ArtifactClass.Artifact)]       // the ends of the upper-case range, letters CcFlags does not know
    [InlineData("00Z", ArtifactClass.Artifact)]
    [InlineData("@00", ArtifactClass.Contaminated)]   // the bytes either side of it are no upper-case letter
    [InlineData("00[", ArtifactClass.Contaminated)]
    public void ArtifactClass_IsTheWorstBand(string cc, ArtifactClass expected)
    {
        var d = new ReliabilityTestData();
        d.Add(1, cc, -1, [10f, null, null]);
        Assert.Equal(expected, ReliabilityEvidence.ArtifactOf(d.Block, 0));
    }

    [Fact]
    public void BestSnr_IgnoresUpperLimits()
    {
        var d = new ReliabilityTestData();
        int i = d.Add(1, "000", -1, [6f, null, 9f]);
        d.Block.Bands[2].RdFlg[i] = (byte)'0';        // Ks is an upper limit after all
        d.Block.Bands[1].Snr[i] = 50f;                 // an SNR on a non-detection says nothing
        Assert.Equal(6.0, ReliabilityEvidence.BestSnrOf(d.Block, i));
        Assert.Equal(1, ReliabilityEvidence.BandsDetectedOf(d.Block, i));
    }

    /// <summary>Every pair of neighbouring ordered bins, all other bins fixed: the better bin never scores lower.</summary>
    [Fact]
    public void DefaultModel_IsMonotone_OverEveryBinCombination() => AssertMonotone(ReliabilityModel.Default);

    internal static void AssertMonotone(ReliabilityModel model)
    {
        var f = model.Features;
        int[] counts = f.Select(x => x.BinCount).ToArray();
        int total = counts.Aggregate(1, (a, b) => a * b);
        Assert.Equal(total, model.CellCount);
        foreach (var feature in f)
            for (int b = feature.FirstOrderedBin + 1; b < feature.BinCount; b++)
                Assert.True(feature.Weights[b] >= feature.Weights[b - 1], $"{feature.Name} weights fall at bin {b}");
        var bins = new int[5];
        int compared = 0;
        for (int c = 0; c < total; c++)
        {
            for (int k = 4, r = c; k >= 0; k--) { bins[k] = r % counts[k]; r /= counts[k]; }
            for (int k = 0; k < 5; k++)
            {
                if (bins[k] < f[k].FirstOrderedBin || bins[k] + 1 >= counts[k]) continue;
                var better = (int[])bins.Clone(); better[k]++;
                Assert.True(ScoreOfBins(model, better) >= ScoreOfBins(model, bins), $"{f[k].Name} bin {bins[k] + 1} scores below bin {bins[k]}");
                compared++;
            }
        }
        Assert.True(compared > 1000);
    }

    private static byte ScoreOfBins(ReliabilityModel model, int[] bins)
    {
        double z = model.Intercept;
        for (int k = 0; k < 5; k++) z += model.Features[k].Weights[bins[k]];
        return ReliabilityModel.ScoreOfProbability(1 / (1 + Math.Exp(-z)));
    }

    /// <summary>
    /// Random extractions through the full Score path: adding a detected band, raising a known
    /// SNR, clearing a cc_flg, or one more detecting scan never lowers the score.
    /// </summary>
    [Fact]
    public void Score_NeverDrops_WhenAnExtractionImproves()
    {
        var rng = new Random(7);
        string[] ccs = ["000", "c00", "0b0", "00d", "0p0", "S00", "0P0"];
        var d = new ReliabilityTestData();
        var pairs = new List<(int Worse, int Better)>();
        for (int t = 0; t < 2000; t++)
        {
            string cc = ccs[rng.Next(ccs.Length)];
            int ndet = rng.Next(3) == 0 ? -1 : rng.Next(7) * 100000 + 60000 + rng.Next(7) * 1000 + 600 + rng.Next(7) * 10 + 6;
            var snr = new float?[3];
            for (int b = 0; b < 3; b++) snr[b] = rng.Next(3) == 0 ? null : (float)(rng.NextDouble() * 30);
            int spos = rng.Next(1, 12), sdet = rng.Next(0, spos);
            long g = 2 * t + 1;
            int worse = d.Add(g, cc, ndet, snr); d.Group(g, sdet, spos);
            var better = (float?[])snr.Clone();
            string betterCc = cc; int betterSdet = sdet;
            switch (rng.Next(4))
            {
                case 0: { int b = Array.IndexOf(better, null); if (b >= 0) better[b] = (float)(rng.NextDouble() * 30); break; }
                case 1: { int b = Array.FindIndex(better, x => x is not null); if (b >= 0) better[b] += (float)(rng.NextDouble() * 20); break; }
                case 2: betterCc = "000"; break;
                default: betterSdet = sdet + 1; break;
            }
            int best = d.Add(g + 1, betterCc, ndet, better); d.Group(g + 1, betterSdet, spos);
            pairs.Add((worse, best));
        }
        var scores = d.Score(ReliabilityModel.Default);
        foreach (var (w, b) in pairs) Assert.True(scores[b] >= scores[w], $"row {b} scores {scores[b]} below row {w} ({scores[w]})");
        Assert.Contains(scores, s => s == 0);
        Assert.Contains(scores, s => s == 9);
    }

    /// <summary>The table-driven Score (parallel above 32768 rows) agrees with the per-row evidence path.</summary>
    [Fact]
    public void Score_AgreesWithEvidencePerRow()
    {
        var rng = new Random(99);
        byte[] ccChars = "0000000cbdpsCDPSxX\0"u8.ToArray();
        var d = new ReliabilityTestData();
        var groupOf = new List<(int Sdet, int Spos)?>();
        for (int t = 0; t < 40000; t++)
        {
            var cc = new char[3];
            for (int b = 0; b < 3; b++) cc[b] = (char)ccChars[rng.Next(ccChars.Length)];
            int ndet = rng.Next(5) == 0 ? -1 : rng.Next(1_000_000);
            var snr = new float?[3];
            for (int b = 0; b < 3; b++) snr[b] = rng.Next(3) == 0 ? null : rng.Next(10) == 0 ? float.NaN : (float)(rng.NextDouble() * 40);
            bool grouped = rng.Next(10) != 0;
            int row = d.Add(grouped ? t : -1, new string(cc), ndet, snr, mpFlg: (byte)(rng.Next(20) == 0 ? 1 : rng.Next(3) * 24));
            if (rng.Next(10) == 0) d.Block.Bands[rng.Next(3)].RdFlg[row] = (byte)'0';
            int spos = rng.Next(0, 15), sdet = rng.Next(0, spos + 3);
            if (grouped) d.Group(t, sdet, spos);
            groupOf.Add(grouped ? (sdet, spos) : null);
        }
        var scores = d.Score(ReliabilityModel.Default);
        var seen = new HashSet<byte>();
        for (int i = 0; i < scores.Length; i++)
        {
            var (sdet, spos) = groupOf[i] ?? (0, 0);
            var e = ReliabilityEvidence.Of(d.Block, i, sdet, spos, ReliabilityModel.Default.MinSpos);
            Assert.Equal(ReliabilityModel.Default.ScoreOf(e), scores[i]);
            seen.Add(scores[i]);
        }
        Assert.True(seen.Count >= 8, string.Join(",", seen.Order()));
    }

    [Fact]
    public void Json_RoundTrips()
    {
        string json = ReliabilityModel.Default.ToJson();
        var again = ReliabilityModel.Load(json);
        Assert.Equal(json, again.ToJson());
        Assert.Contains("\"bins\": [\n        \"unknown\",\n        \"<3\",", json);

        // A model with other edges and a training record survives too, and scores the same.
        string edited = json.Replace("\"edges\": [\n        3,", "\"edges\": [\n        2.5,")
            .Replace("\"intercept\": 1,", "\"intercept\": 0.25,")
            .TrimEnd().TrimEnd('}').TrimEnd() +
            ",\n  \"training\": { \"labels\": \"x\", \"n_real\": 3, \"n_false\": 4, \"log_loss\": 0.5, \"auc\": 0.75 }\n}\n";
        var m = ReliabilityModel.Load(edited);
        Assert.Equal(2.5, m.Features[3].Edges[0]);
        Assert.Equal(0.25, m.Intercept);
        Assert.Equal(new ReliabilityTraining("x", 3, 4, 0.5, 0.75), m.Training);
        var m2 = ReliabilityModel.Load(m.ToJson());
        Assert.Equal(m.ToJson(), m2.ToJson());
        var e = new ReliabilityEvidence(ArtifactClass.Confused, 0.5, 2, 2.7, 0.3);
        Assert.Equal(m.Probability(e), m2.Probability(e));
        Assert.Equal(m.ScoreOf(e), m2.ScoreOf(e));
    }

    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("[]", "top level")]
    [InlineData("{\"format\": \"other\"}", "format")]
    public void Load_RejectsBadInput(string json, string reason)
    {
        Assert.False(ReliabilityModel.TryLoad(json, out var model, out var error));
        Assert.Null(model);
        Assert.Contains(reason, error);
    }

    [Theory]
    [InlineData("\"weights\": [\n        -3,", "\"weights\": [\n        -3, 4,", "4 weights expected")]
    [InlineData("\"edges\": [\n        3,\n        5,", "\"edges\": [\n        5,\n        3,", "strictly ascending")]
    [InlineData("\"min_spos\": 2", "\"min_spos\": 0", "min_spos")]
    [InlineData("\"name\": \"snr\"", "\"name\": \"sn\"", "must be named \"snr\"")]
    [InlineData("\"intercept\": 1,", "\"intercept\": \"1\",", "intercept")]
    public void Load_NamesTheProblem(string from, string to, string reason)
    {
        string json = ReliabilityModel.DefaultJson;
        Assert.Contains(from, json);
        Assert.False(ReliabilityModel.TryLoad(json.Replace(from, to), out _, out var error));
        Assert.Contains(reason, error);
        Assert.Throws<FormatException>(() => ReliabilityModel.Load(json.Replace(from, to)));
    }

    [Fact]
    public void Score_RejectsResultsTooShort()
    {
        var d = new ReliabilityTestData();
        d.Add(1, "000", -1, [10f, null, null]);
        d.Add(2, "000", -1, [10f, null, null]);
        var (m, g) = d.Build();
        Assert.Throws<ArgumentException>(() => ReliabilityModel.Default.Score(d.Block, m, g, ExtractionResults.Allocate(1)));
    }
}
