using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Tests.Reliability;

/// <summary>
/// `wdb calibrate` as an astronomer meets it: a merge with too little redundancy to label is refused with the reason
/// and what to merge instead; a fit on few labelled rows is written but said to lean on the base model.
/// </summary>
public sealed class CalibrationQaTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    private string Merged(GeneratorOptions generate, string name)
    {
        string input = _s.PathOf(name + ".csv");
        TableTextWriter.Write(SyntheticSky.Generate(generate), input);
        string dir = _s.PathOf(name);
        Assert.Null(MergeJob.Run(new MergeOptions { Inputs = [input], OutDir = dir, Device = "cpu" }).Error);
        return dir;
    }

    [Fact]
    public void A_survey_has_too_little_redundancy_to_label_and_says_so()
    {
        string dir = Merged(new GeneratorOptions(SkyKind.Survey, 1500, 3), "survey");
        string model = _s.PathOf("model.json");
        var (exit, _, stderr) = WdbProcess.Run("calibrate", dir, "--out", model);
        Assert.Equal(2, exit);
        string line = Assert.Single(stderr.Trim().Split('\n'), l => !l.Contains("read "));
        Assert.Contains("(0 real, 0 false, redundancy labels): too few scans cover its groups", line);
        Assert.Contains("merge a calibration tile, as a survey has too little redundancy", line);
        Assert.False(File.Exists(model));
    }

    /// <summary>
    /// A model path in a directory that does not exist is refused before the merge's inputs are read again (minutes for a
    /// large tile), with export's words; it was the runtime's "Could not find a part of the path" after the whole fit.
    /// </summary>
    [Fact]
    public void A_model_in_a_missing_directory_is_refused_before_the_inputs_are_read()
    {
        string dir = Merged(new GeneratorOptions(SkyKind.CalTile, 10, 6, Scans: 22), "small-tile");
        string missing = _s.PathOf("no/such");
        var (exit, _, stderr) = WdbProcess.Run("calibrate", dir, "--out", Path.Combine(missing, "model.json"));
        Assert.Equal(3, exit);   // an output that cannot be written, as merge's
        Assert.Equal($"wdb calibrate: cannot write '{missing}/model.json': its directory '{missing}' does not exist: make it first, or choose another path",
            stderr.TrimEnd());
        Assert.False(Directory.Exists(_s.PathOf("no")));
    }

    [Fact]
    public void A_fit_on_few_labelled_rows_is_written_with_a_warning()
    {
        // 10 sources in 22 scans: every real group labelled, but only the noise of a few positions labelled false.
        string dir = Merged(new GeneratorOptions(SkyKind.CalTile, 10, 6, Scans: 22), "small-tile");
        string model = _s.PathOf("model.json");
        var (exit, _, stderr) = WdbProcess.Run("calibrate", dir, "--out", model);
        Assert.True(exit == 0, stderr);
        var fitted = ReliabilityModel.Load(File.ReadAllText(model));
        long fewest = Math.Min(fitted.Training!.NReal, fitted.Training.NFalse);
        Assert.InRange(fewest, 1, CalibrationJob.FewLabels - 1);
        Assert.Contains($"wdb calibrate: warning: only {fitted.Training.NReal:N0} real and {fitted.Training.NFalse:N0} false extractions labelled " +
                        $"(fewer than {CalibrationJob.FewLabels} of one kind): the weights stay near v2's", stderr);

        // A tile scanned often enough is fitted without one.
        dir = Merged(new GeneratorOptions(SkyKind.CalTile, 120, 8, Scans: 60), "tile");
        (exit, _, stderr) = WdbProcess.Run("calibrate", dir, "--out", model);
        Assert.True(exit == 0, stderr);
        Assert.DoesNotContain("warning", stderr);
    }

    /// <summary>
    /// Two models fitted from two tiles carry the same version ("v2-cal") unless told otherwise: the summary of a merge
    /// that used one says which, by what it was fitted on and the checksum of its file as calibrate wrote it.
    /// </summary>
    [Fact]
    public void A_merge_s_summary_records_which_model_scored_it()
    {
        string input = _s.PathOf("survey.csv");
        TableTextWriter.Write(SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 500, 4)), input);
        var checksums = new List<string>();
        foreach (int seed in new[] { 8, 9 })
        {
            string tile = Merged(new GeneratorOptions(SkyKind.CalTile, 120, seed, Scans: 60), $"tile-{seed}");
            string model = _s.PathOf($"model-{seed}.json");
            var (exit, _, stderr) = WdbProcess.Run("calibrate", tile, "--out", model, "--from", $"tile seed {seed}");
            Assert.True(exit == 0, stderr);
            string merged = _s.PathOf($"merged-{seed}");
            (exit, _, stderr) = WdbProcess.Run("merge", input, "--out", merged, "--reliability-model", model);
            Assert.True(exit == 0, stderr);
            var parameters = Robustness.RobustSupport.Summary(merged).GetProperty("parameters");
            Assert.Equal("v2-cal", parameters.GetProperty("reliability_model").GetString());
            Assert.Equal($"tile seed {seed}", parameters.GetProperty("reliability_model_from").GetString());
            string checksum = parameters.GetProperty("reliability_model_checksum").GetString()!;
            Assert.Equal("xxh128:" + Convert.ToHexStringLower(System.IO.Hashing.XxHash128.Hash(File.ReadAllBytes(model))), checksum);
            checksums.Add(checksum);
        }
        Assert.NotEqual(checksums[0], checksums[1]);

        // The default model: the committed file's checksum, and "none" (set by hand).
        string plain = _s.PathOf("merged-default");
        Assert.Null(MergeJob.Run(new MergeOptions { Inputs = [input], OutDir = plain, Device = "cpu" }).Error);
        var p = Robustness.RobustSupport.Summary(plain).GetProperty("parameters");
        Assert.Equal("none", p.GetProperty("reliability_model_from").GetString());
        Assert.Equal("xxh128:" + Convert.ToHexStringLower(System.IO.Hashing.XxHash128.Hash(File.ReadAllBytes(ReliabilityModelTests.DocsModelPath()))),
            p.GetProperty("reliability_model_checksum").GetString());
    }
}
