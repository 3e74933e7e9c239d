using Wdb.Merge;

namespace Wdb.Tests.Reliability;

/// <summary>
/// A reliability model edited by hand with a mistake: the load refuses it in one line that names the line and column
/// of the mistake (of the value at fault, as an editor counts them) and what was expected, never a stack trace, and
/// never a model that silently ignores the edit (a repeated or unknown field) or breaks the documented monotone score.
/// </summary>
public sealed class ModelFileMistakesTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    private const string Training = ",\n  \"training\": { \"labels\": \"x\", \"n_real\": 3, \"n_false\": 4, \"log_loss\": 0.5, \"auc\": 0.75 }\n}\n";

    private static string WithTraining(string json, string training) => json.TrimEnd().TrimEnd('}').TrimEnd() + training;

    /// <summary>
    /// 1-based line and column (in characters) of <paramref name="marker"/>'s only occurrence, or of its '^' when it
    /// has one (the text around it makes it unique).
    /// </summary>
    private static (int Line, int Column) PositionOf(string text, string marker)
    {
        int caret = Math.Max(0, marker.IndexOf('^'));
        marker = marker.Replace("^", "");
        int found = text.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(found >= 0 && text.IndexOf(marker, found + 1, StringComparison.Ordinal) < 0, $"'{marker}' must occur once");
        int at = found + caret;
        int lineStart = text[..at].LastIndexOf('\n') + 1;
        return (text[..at].Count(c => c == '\n') + 1, at - lineStart + 1);
    }

    public static TheoryData<string, string, string, string> Mistakes => new()
    {
        // from, to, the text the error points at, what the error says
        { "\"intercept\": 1,", "\"intercept\": 1, \"intercept\": 5,", "\"intercept\": 5", "\"intercept\" is given twice" },
        { "\"intercept\": 1,", "\"intercept\": 1, \"intercpt\": 0.123,", "0.123", "has no field \"intercpt\"" },
        { "\"name\": \"snr\",", "\"name\": \"snr\", \"min_spos\": 37,", "37", "feature \"snr\" has no field \"min_spos\"" },
        { "0.5,\n        1\n", "0.5,\n        0.45\n", "0.45", "feature \"bands_detected\": weights must not decrease" },
        { "\"intercept\": 1,", "\"intercept\": NaN,", "NaN", "not valid JSON" },
        { "\"edges\": [\n        3,", "\"edges\": [\n        \"NaN\",", "\"NaN\"", "feature \"snr\": \"edges\" must be a non-empty array of finite numbers" },
        { "\"edges\": [\n        3,\n        5,", "\"edges\": [\n        3,\n        3,", "3,\n        7", "strictly ascending (3, then 3)" },
        { "\"min_spos\": 2", "\"min_spos\": \"2\"", "\"min_spos\": ^\"2\"", "\"min_spos\" must be an integer >= 1" },
        { "\"version\": \"v2\"", "\"version\": 2", "2,\n  \"description\"", "\"version\" must be a non-empty string" },
        { "\"calibrated_from\": \"none\"", "\"calibrated_from\": null", "\"calibrated_from\": ^null", "\"calibrated_from\" must be a string" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void A_mistake_is_named_at_its_line_and_column(string from, string to, string marker, string reason)
    {
        string json = ReliabilityModel.DefaultJson;
        Assert.Contains(from, json);
        string edited = json.Replace(from, to);
        var (line, column) = PositionOf(edited, marker);
        Assert.False(ReliabilityModel.TryLoad(edited, out var model, out string? error));
        Assert.Null(model);
        Assert.StartsWith($"{line}:{column}: ", error);
        Assert.Contains(reason, error);
        Assert.DoesNotContain('\n', error!);
    }

    [Fact]
    public void A_training_record_with_a_count_as_text_is_named_not_thrown()
    {
        string edited = WithTraining(ReliabilityModel.DefaultJson, Training.Replace("\"n_real\": 3", "\"n_real\": \"3\""));
        var (line, column) = PositionOf(edited, "\"n_real\": ^\"3\"");
        Assert.False(ReliabilityModel.TryLoad(edited, out _, out string? error));
        Assert.StartsWith($"{line}:{column}: ", error);
        Assert.Contains("\"n_real\" must be a whole number", error);
        // Nor may it hold what the format does not define.
        edited = WithTraining(ReliabilityModel.DefaultJson, Training.Replace("\"auc\": 0.75", "\"auc\": 0.75, \"notes\": \"v\""));
        (line, column) = PositionOf(edited, "\"notes\": ^\"v\"");
        Assert.False(ReliabilityModel.TryLoad(edited, out _, out error));
        Assert.StartsWith($"{line}:{column}: \"training\" has no field \"notes\"", error);
    }

    [Fact]
    public void A_truncated_file_is_not_valid_json_at_its_end()
    {
        string[] lines = ReliabilityModel.DefaultJson.Split('\n');
        string truncated = string.Join('\n', lines.Take(40));
        Assert.False(ReliabilityModel.TryLoad(truncated, out _, out string? error));
        Assert.Matches(@"^40:\d+: not valid JSON: ", error);
    }

    [Fact]
    public void The_committed_models_still_load()
    {
        Assert.True(ReliabilityModel.TryLoad(ReliabilityModel.DefaultJson, out _, out string? error), error);
        string v1 = File.ReadAllText(Path.Combine(Path.GetDirectoryName(ReliabilityModelTests.DocsModelPath())!, "reliability-model-v1.json"));
        Assert.True(ReliabilityModel.TryLoad(v1, out _, out error), error);
        Assert.True(ReliabilityModel.TryLoad(WithTraining(ReliabilityModel.DefaultJson, Training), out _, out error), error);
    }

    /// <summary>From the command line: file:line:column, exit 2, and nothing written, for merge and for calibrate's base model.</summary>
    [Fact]
    public void The_command_line_names_the_file_line_and_column_and_writes_nothing()
    {
        string bad = _s.Write("model.json", ReliabilityModel.DefaultJson.Replace("0.5,\n        1\n", "0.5,\n        0.45\n"));
        var (line, column) = PositionOf(File.ReadAllText(bad), "0.45");
        string input = _s.Write("in.csv", "cntr,scan_key,ra,dec\n1,1,10,10\n2,2,10,10\n");
        string outDir = _s.PathOf("merged");
        var (exit, _, stderr) = WdbProcess.Run("merge", input, "--out", outDir, "--reliability-model", bad);
        Assert.Equal(2, exit);
        Assert.Equal($"wdb merge: {bad}:{line}:{column}: feature \"bands_detected\": weights must not decrease from worst to best bin (0.5 for \"2\", then 0.45 for \"3\")",
            stderr.Trim());
        Assert.False(Directory.Exists(outDir));

        string model = _s.PathOf("fitted.json");
        (exit, _, stderr) = WdbProcess.Run("calibrate", outDir, "--out", model, "--base-model", bad);
        Assert.Equal(2, exit);
        Assert.StartsWith($"wdb calibrate: {bad}:{line}:{column}: ", stderr.Trim());
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void A_directory_given_as_the_model_file_is_said_to_be_one()
    {
        string dir = _s.PathOf("models");
        Directory.CreateDirectory(dir);
        Assert.False(ReliabilityModel.TryLoadFile(dir, out var model, out string? error));
        Assert.Null(model);
        Assert.Equal($"{dir}: is a directory, not a reliability model file (a JSON file, as `wdb calibrate` writes)", error);
    }
}
