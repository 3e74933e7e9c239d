using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;
using static Wdb.Tests.Robustness.RobustSupport;

namespace Wdb.Tests.Reliability;

/// <summary>
/// `wdb calibrate`: a model fitted from a merge and its inputs. The labelled rows are counted again from the output
/// tables alone (redundancy) and from the inputs' truth column (truth); inputs that are not the merge's are refused.
/// </summary>
public sealed class CalibrationJobTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    /// <summary>A calibration tile merged (inputs in two files, a duplicate cntr and a filtered row among them).</summary>
    private (string Dir, string[] Inputs, ExtractionBlock Rows) Tile()
    {
        var tile = SyntheticSky.Generate(new GeneratorOptions(SkyKind.CalTile, 120, 8, Scans: 60, CenterRaDeg: 30, CenterDecDeg: -30));
        string a = _s.PathOf("tile-a.csv"), b = _s.PathOf("tile-b.csv");
        var first = new ExtractionBlock(16);
        var second = new ExtractionBlock(16);
        for (int i = 0; i < tile.Count; i++)
        {
            var into = i < tile.Count / 2 ? first : second;
            into.CopyRow(tile, i, into.AddRow());
        }
        TableTextWriter.Write(first, a);
        TableTextWriter.Write(second, b);
        File.AppendAllLines(b, [File.ReadLines(a).Skip(3).First()]);   // a cntr of the first file again
        string dir = _s.PathOf("merged");
        Assert.Null(MergeJob.Run(new MergeOptions { Inputs = [a, b], OutDir = dir, Device = "cpu", Filters = new FilterOptions(MinSnr: 4) }).Error);
        var rows = new ExtractionBlock(16);
        Assert.Null(ExtractionReader.Read(a, 0, new ReadOptions(), rows).Error);
        Assert.Null(ExtractionReader.Read(b, 1, new ReadOptions(), rows).Error);
        return (dir, [a, b], rows);
    }

    [Fact]
    public void Redundancy_labels_count_the_members_of_the_groups_the_output_tables_call_real_and_false()
    {
        var (dir, inputs, _) = Tile();
        var options = new CalibrationOptions();
        var (model, error) = CalibrationJob.Fit(dir, inputs, options, "tile 8");
        Assert.Null(error);
        // From the tables alone: a group's members are real when sdet >= 10 and sdet/spos >= 0.5, false when spos >= 20 and sdet <= 2.
        long real = 0, fake = 0;
        using (var reader = OutputReader.Open(dir))
            foreach (var g in reader.Groups())
            {
                if (g.Sdet >= options.RealMinSdet && g.Sdet >= options.RealMinRatio * g.Spos) real += g.NMembers;
                else if (g.Spos >= options.FalseMinSpos && g.Sdet <= options.FalseMaxSdet) fake += g.NMembers;
            }
        Assert.True(real > 1000 && fake > 10, $"{real} real, {fake} false: the tile must give both");
        Assert.Equal((real, fake), (model!.Training!.NReal, model.Training.NFalse));
        Assert.Equal("v2-cal", model.Version);
        Assert.Equal("tile 8", model.CalibratedFrom);
        // Given no inputs, the paths summary.json lists are read: the same model.
        Assert.Equal(model.ToJson(), CalibrationJob.Fit(dir, [], options, "tile 8").Model!.ToJson());
        // It is a model a merge takes.
        Assert.Null(MergeJob.Run(new MergeOptions { Inputs = inputs, OutDir = _s.PathOf("rescored"), Device = "cpu", Reliability = model }).Error);
        Assert.Equal("v2-cal", Summary(_s.PathOf("rescored")).GetProperty("parameters").GetProperty("reliability_model").GetString());
    }

    [Fact]
    public void Truth_labels_are_the_merged_rows_truth_column()
    {
        var (dir, inputs, rows) = Tile();
        var (model, error) = CalibrationJob.Fit(dir, inputs, new CalibrationOptions { Labels = CalibrationLabels.Truth });
        Assert.Null(error);
        var truthOf = new Dictionary<long, long>();
        for (int i = 0; i < rows.Count; i++) truthOf.TryAdd(rows.Cntr[i], rows.Truth[i]);
        long real = 0, fake = 0;
        using (var reader = OutputReader.Open(dir))
            foreach (var x in reader.Extractions().Where(x => x.Gcntr >= 0))
                if (truthOf[x.Cntr] >= 0) real++; else fake++;
        Assert.Equal((real, fake), (model!.Training!.NReal, model.Training.NFalse));
        Assert.True(model.Training.Auc > 0.9, $"AUC {model.Training.Auc}");
    }

    [Fact]
    public void Inputs_that_are_not_the_merge_s_or_cannot_be_read_again_are_refused_in_one_line()
    {
        var (dir, inputs, _) = Tile();
        var cases = new List<(string[] Inputs, string Expected)>
        {
            ([inputs[0]], "2 input file(s), 1 given"),
            ([inputs[1], inputs[0]], "not the input"),
            ([inputs[0], _s.PathOf("absent.csv")], "absent.csv"),
        };
        foreach (var (given, expected) in cases)
        {
            var (model, error) = CalibrationJob.Fit(dir, given, new CalibrationOptions());
            Assert.Null(model);
            Assert.Contains(expected, error);
            Assert.DoesNotContain('\n', error!);
        }
        Assert.Contains("not a wdb output", CalibrationJob.Fit(_s.PathOf("nowhere"), inputs, new CalibrationOptions()).Error);
        File.AppendAllText(inputs[1], "\n");
        Assert.Contains($"{inputs[1]}: not the input", CalibrationJob.Fit(dir, inputs, new CalibrationOptions()).Error);
    }

    [Fact]
    public void From_the_command_line_the_model_is_written_whole_and_bad_options_write_nothing()
    {
        var (dir, inputs, _) = Tile();
        string model = _s.PathOf("model.json");
        var (exit, _, stderr) = WdbProcess.Run("calibrate", dir, inputs[0], inputs[1], "--out", model, "--version", "tile-8", "--from", "tile 8, seed 8");
        Assert.True(exit == 0, stderr);
        Assert.Contains("tile-8: fitted on", stderr);
        var loaded = ReliabilityModel.Load(File.ReadAllText(model));
        Assert.Equal(("tile-8", "tile 8, seed 8"), (loaded.Version, loaded.CalibratedFrom));

        foreach (var (args, expected) in new (string[], string)[]
        {
            (["--real-fraction", "1.5"], "--real-fraction must be in (0, 1)"),
            (["--prior-strength", "0"], "--prior-strength must be positive"),
            (["--base-model", inputs[0]], "not valid JSON"),
        })
        {
            string bad = _s.PathOf("bad.json");
            (exit, _, stderr) = WdbProcess.Run(["calibrate", dir, "--out", bad, .. args]);
            Assert.Equal(2, exit);
            Assert.Contains(expected, stderr);
            Assert.False(File.Exists(bad));
        }
        Assert.Empty(Directory.GetFiles(_s.Dir, "*.tmp-*"));
    }

    /// <summary>
    /// A merge made with --associate is calibrated with its catalogue: the association's weights are fitted (a catalogue
    /// of the real sources' positions: a counterpart says real), "no catalogue" takes their average over the training
    /// rows, and the score separates real from false better than without the catalogue.
    /// </summary>
    [Fact]
    public void A_merge_made_with_catalogues_fits_the_association_weights_too()
    {
        var (dir, inputs, rows) = Tile();
        var seen = new HashSet<long>();
        var text = new System.Text.StringBuilder("ra,dec\n");
        for (int i = 0; i < rows.Count; i++)
            if (rows.Truth[i] >= 0 && seen.Add(rows.Truth[i]))
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{rows.Ra[i]:R},{rows.Dec[i]:R}\n");
        string catalogue = _s.Write("real.csv", text.ToString());
        string associated = _s.PathOf("associated");
        Assert.Null(MergeJob.Run(new MergeOptions
        {
            Inputs = inputs, OutDir = associated, Device = "cpu", Filters = new FilterOptions(MinSnr: 4), Associate = new AssociateCatalogues([catalogue]),
        }).Error);
        var truth = new CalibrationOptions { Labels = CalibrationLabels.Truth };
        var (with, error) = CalibrationJob.Fit(associated, inputs, truth);
        Assert.Null(error);
        var without = CalibrationJob.Fit(dir, inputs, truth).Model!;
        var w = with!.Features[(int)ReliabilityFeatureKind.Association].Weights;
        Assert.True(w[2] > w[1], $"association weights {string.Join(", ", w)}");
        Assert.NotEqual(ReliabilityModel.Default.Features[5].Weights, w);
        Assert.InRange(w[0], w[1], w[2]);
        Assert.Equal(ReliabilityModel.Default.Features[5].Weights, without.Features[5].Weights);
        Assert.True(with.Training!.Auc >= without.Training!.Auc, $"AUC {with.Training.Auc} with the catalogue, {without.Training.Auc} without");
        // A catalogue changed since the merge is refused.
        File.AppendAllText(catalogue, "1,1\n");
        Assert.Contains("not the catalogue this merge read", CalibrationJob.Fit(associated, inputs, truth).Error);
    }
}
