using System.Globalization;
using System.Text;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;
using Wdb.Merge.Streaming;
using static Wdb.Tests.Robustness.RobustSupport;

namespace Wdb.Tests.Reliability;

/// <summary>
/// Association with external catalogues as reliability evidence (SPEC §4, `--associate`): the model's sixth feature by
/// hand, every score against the model applied to brute-force associations, the same bytes held whole, in zones and on
/// a cluster, and v1 models (five features) scoring as they did.
/// </summary>
public sealed class AssociationTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    /// <summary>The docs' worked example (clean, no ndet, one band at SNR 4, spos 1: log-odds -0.5) with each association.</summary>
    [Theory]
    [InlineData(double.NaN, 3)]   // no catalogue: -0.5, p 0.378 (v1's score)
    [InlineData(0.0, 3)]          // none within the radius: -0.5 - 0.3 = -0.8, p 0.310
    [InlineData(1.0, 6)]          // a counterpart: -0.5 + 1 = 0.5, p 0.622
    public void Hand_computed_scores_of_the_default_model(double association, int score)
    {
        var e = new ReliabilityEvidence(ArtifactClass.Clean, double.NaN, 1, 4, double.NaN, association);
        Assert.Equal(score, ReliabilityModel.Default.ScoreOf(e));
        Assert.Equal(association switch { double.NaN => 0, 0.0 => 1, _ => 2 }, ReliabilityModel.Default.BinsOf(e)[5]);
    }

    [Fact]
    public void A_minor_planet_has_no_association_as_it_has_no_confirmation()
    {
        Assert.True(double.IsNaN(ReliabilityEvidence.AssociationOf(1.0, minorPlanet: true)));
        Assert.Equal(0.0, ReliabilityEvidence.AssociationOf(0.0, minorPlanet: false));
    }

    [Fact]
    public void A_v1_model_loads_with_no_association_weight_and_scores_every_cell_as_v2_does_without_a_catalogue()
    {
        string v1 = File.ReadAllText(Path.Combine(Path.GetDirectoryName(ReliabilityModelTests.DocsModelPath())!, "reliability-model-v1.json"));
        var old = ReliabilityModel.Load(v1);
        Assert.Equal("v1", old.Version);
        Assert.Equal([0.0, 0.0, 0.0], old.Features[5].Weights);
        var now = ReliabilityModel.Default;
        Assert.Equal(old.CellCount, now.CellCount);
        var bins = new int[ReliabilityModel.FeatureCount];
        int compared = 0;
        for (int c = 0; c < now.CellCount; c++)
        {
            now.DecomposeCell(c, bins);
            if (bins[5] != 0) continue;
            Assert.Equal(old.ScoreOfCell(c), now.ScoreOfCell(c));
            compared++;
        }
        Assert.Equal(now.CellCount / 3, compared);
        // Four or seven features are not a model.
        var four = System.Text.Json.Nodes.JsonNode.Parse(v1)!;
        four["features"]!.AsArray().RemoveAt(4);
        Assert.False(ReliabilityModel.TryLoad(four.ToJsonString(), out _, out string? why));
        Assert.Contains("association", why);
    }

    /// <summary>
    /// A catalogue made from a merge's groups: a row 1.999" or 2.001" from every third group's weighted mean position (the
    /// radius is 2": an association found from another position, the unweighted mean say, would differ), and one row
    /// up to 3" from every fourth input row.
    /// </summary>
    private string Catalogue(IEnumerable<GroupRecord> groups, ExtractionBlock rows, string name)
    {
        var rnd = new Random(17);
        var text = new StringBuilder("source_id,ra,dec\n");
        int id = 0;
        void Add(double ra0, double dec0, double offsetArcsec)
        {
            double offset = offsetArcsec / 3600, angle = rnd.NextDouble() * 2 * Math.PI;
            double dec = dec0 + offset * Math.Cos(angle);
            double ra = (ra0 + offset * Math.Sin(angle) / Math.Cos(dec0 * Sky.DegToRad) + 360.0) % 360.0;
            text.Append(CultureInfo.InvariantCulture, $"{id++},{ra:R},{dec:R}\n");
        }
        foreach (var g in groups.Where(g => g.Gcntr % 3 == 0)) Add(g.RaW, g.DecW, g.Gcntr % 2 == 0 ? 1.999 : 2.001);
        for (int i = 0; i < rows.Count; i += 4) Add(rows.Ra[i], rows.Dec[i], rnd.NextDouble() * 3.0);
        return _s.Write(name, text.ToString());
    }

    [Fact]
    public void Every_score_is_the_model_applied_to_its_group_s_brute_force_association_and_zones_and_a_cluster_agree()
    {
        string[] inputs = Pipeline.ZoneMergeTests.MixedInputs(_s, badRow: false);
        var rows = new ExtractionBlock(1 << 12);
        for (int f = 0; f < inputs.Length; f++) Assert.Null(ExtractionReader.Read(inputs[f], f, new ReadOptions(), rows).Error);
        string plain = _s.PathOf("plain");
        Assert.Null(MergeJob.Run(new MergeOptions { Inputs = inputs, OutDir = plain, Device = "cpu", Threads = 2, ZoneRows = 0 }).Error);
        string gaia;
        using (var reader = OutputReader.Open(plain)) gaia = Catalogue(reader.Groups(), rows, "gaia.csv");
        var catalogue = new List<(double Ra, double Dec)>();
        foreach (string line in File.ReadLines(gaia).Skip(1))
        {
            var parts = line.Split(',');
            catalogue.Add((double.Parse(parts[1], CultureInfo.InvariantCulture), double.Parse(parts[2], CultureInfo.InvariantCulture)));
        }
        var associate = new AssociateCatalogues([gaia]);
        MergeOptions Options(string outDir, int? zoneRows, AssociateCatalogues? with) => new()
        {
            Inputs = inputs, OutDir = outDir, Device = "cpu", Threads = 2, ZoneRows = zoneRows, Associate = with,
        };
        string whole = _s.PathOf("whole");
        Assert.Null(MergeJob.Run(Options(whole, 0, associate)).Error);

        // Brute force: each group's counterpart, then each extraction's score from its own row and its group.
        var rowOf = new Dictionary<long, int>();
        for (int i = 0; i < rows.Count; i++) rowOf.TryAdd(rows.Cntr[i], i);
        var model = ReliabilityModel.Default;
        using (var reader = OutputReader.Open(whole))
        using (var without = OutputReader.Open(plain))
        {
            var groups = reader.Groups().ToDictionary(g => g.Gcntr);
            var counterpart = groups.Values.ToDictionary(g => g.Gcntr,
                g => catalogue.Any(c => Sky.SeparationArcsec(g.RaW, g.DecW, c.Ra, c.Dec) <= associate.RadiusArcsec));
            Assert.InRange(counterpart.Values.Count(x => x), groups.Count / 10, groups.Count * 9 / 10);
            var before = without.Extractions().ToDictionary(x => x.Cntr, x => x.Reliability);
            int raised = 0, lowered = 0, scored = 0;
            foreach (var x in reader.Extractions())
            {
                if (x.Gcntr < 0) continue;
                var g = groups[x.Gcntr];
                var e = ReliabilityEvidence.Of(rows, rowOf[x.Cntr], g.Sdet, g.Spos, model.MinSpos, counterpart[x.Gcntr] ? 1 : 0);
                Assert.True(model.ScoreOf(e) == x.Reliability, $"cntr {x.Cntr}: {x.Reliability}, the model says {model.ScoreOf(e)}");
                if (x.Reliability > before[x.Cntr]) raised++;
                if (x.Reliability < before[x.Cntr]) lowered++;
                scored++;
            }
            Assert.True(raised > 0 && lowered > 0, $"{raised} raised, {lowered} lowered of {scored}");
        }
        var summary = Summary(whole);
        Assert.Equal(2.0, summary.GetProperty("parameters").GetProperty("associate_radius_arcsec").GetDouble());
        Assert.Equal(gaia, Assert.Single(summary.GetProperty("associate").EnumerateArray()).GetProperty("path").GetString());
        Assert.Contains(OutputVerifier.Verify(whole, inputs: true).Results, r => r.Name == gaia && r.Status == VerifyStatus.Ok);

        var (_, work) = Pipeline.ZoneMergeTests.AssertZonesAndClusterMatch(_s, Options(whole, 0, associate), whole, [37]);

        // The plan read the catalogue and filed its rows: a task and the stitch run again after it changed use the rows
        // the plan filed, so they give the same tables.
        File.AppendAllText(gaia, "999999,1,1\n");
        Assert.Null(ClusterMerge.Task(work, 0).Error);
        Assert.Null(ClusterMerge.Stitch(work).Error);
        foreach (string file in OutputWriter.FileNames.Where(f => f != "summary.json"))
            Assert.True(File.ReadAllBytes(Path.Combine(whole, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_s.PathOf("cluster"), file))), file);
    }

    [Fact]
    public void From_the_command_line_a_counterpart_raises_a_score_and_bad_options_are_refused()
    {
        // Two single-band SNR 4 rows of one scan, 1 degree apart; the catalogue has a row 0.5" from the first.
        string wdb = _s.Write("wdb.csv",
            "cntr,scan_key,ra,dec,j_m,j_msigcom,j_snr\n1,5,10.0,20.0,16.5,0.25,4\n2,5,11.0,20.0,16.5,0.25,4\n");
        string gaia = _s.Write("gaia.csv", $"ra,dec\n10.0,{(20.0 + 0.5 / 3600).ToString("R", CultureInfo.InvariantCulture)}\n");
        string outDir = _s.PathOf("out");
        var (exit, _, stderr) = WdbProcess.Run("merge", wdb, "--out", outDir, "--device", "cpu", "--associate", gaia);
        Assert.True(exit == 0, stderr);
        using (var reader = OutputReader.Open(outDir))
        {
            var scores = reader.Extractions().OrderBy(x => x.Cntr).Select(x => (int)x.Reliability).ToArray();
            Assert.Equal([6, 3], scores);   // the docs' worked example with a counterpart, and with none
        }
        (exit, _, stderr) = WdbProcess.Run("merge", wdb, "--out", _s.PathOf("narrow"), "--device", "cpu", "--associate", gaia, "--associate-radius", "0.4");
        Assert.True(exit == 0, stderr);
        using (var reader = OutputReader.Open(_s.PathOf("narrow")))
            Assert.All(reader.Extractions(), x => Assert.Equal(3, x.Reliability));

        (exit, _, stderr) = WdbProcess.Run("merge", wdb, "--out", _s.PathOf("lone"), "--associate-radius", "3");
        Assert.Equal(2, exit);
        Assert.Contains("goes with --associate CATALOGUE", stderr);
        (exit, _, stderr) = WdbProcess.Run("merge", wdb, "--out", _s.PathOf("wide"), "--associate", gaia, "--associate-radius", "61");
        Assert.Equal(2, exit);
        Assert.Contains("--associate-radius must be in (0, 60]", stderr);
        (exit, _, stderr) = WdbProcess.Run("merge", wdb, "--out", _s.PathOf("nodec"), "--associate", wdb.Replace("wdb.csv", "absent.csv"));
        Assert.Equal(2, exit);
        Assert.Contains("--associate: ", stderr);
        Assert.False(Directory.Exists(_s.PathOf("lone")) || Directory.Exists(_s.PathOf("wide")) || Directory.Exists(_s.PathOf("nodec")));
    }
}
