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
}
