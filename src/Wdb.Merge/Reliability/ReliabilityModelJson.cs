using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Wdb.Merge;

/// <summary>Reads and writes the reliability model's JSON (format <see cref="ReliabilityModel.Format"/>).</summary>
internal static class ReliabilityModelJson
{
    private const string ScoreRule =
        "p = 1 / (1 + exp(-(intercept + sum over features of weights[bin]))); score = min(9, floor(10 p))";

    public static string Write(ReliabilityModel m)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var options = new JsonWriterOptions
        {
            Indented = true,
            NewLine = "\n",
            // Labels such as "<3" and ">=20" stay readable; this text is a file, never HTML.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        using (var w = new Utf8JsonWriter(buffer, options))
        {
            w.WriteStartObject();
            w.WriteString("format", ReliabilityModel.Format);
            w.WriteString("version", m.Version);
            w.WriteString("description", m.Description);
            w.WriteString("calibrated_from", m.CalibratedFrom);
            w.WriteString("score", ScoreRule);
            w.WriteNumber("intercept", m.Intercept);
            w.WriteStartArray("features");
            foreach (var f in m.Features)
            {
                w.WriteStartObject();
                w.WriteString("name", f.Name);
                w.WriteString("description", f.Description);
                if (f.Kind == ReliabilityFeatureKind.Confirmation) w.WriteNumber("min_spos", m.MinSpos);
                if (!f.IsCategorical) WriteArray(w, "edges", f.EdgesArray);
                w.WriteStartArray("bins");
                foreach (var label in f.Labels) w.WriteStringValue(label);
                w.WriteEndArray();
                WriteArray(w, "weights", f.WeightsArray);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (m.Training is { } t)
            {
                w.WriteStartObject("training");
                w.WriteString("labels", t.Labels);
                w.WriteNumber("n_real", t.NReal);
                w.WriteNumber("n_false", t.NFalse);
                w.WriteNumber("log_loss", t.LogLoss);
                w.WriteNumber("auc", t.Auc);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    private static void WriteArray(Utf8JsonWriter w, string name, double[] values)
    {
        w.WriteStartArray(name);
        foreach (double v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    /// <summary>
    /// Parses a model; on failure <paramref name="problem"/> says where (1-based line and column of the value at fault, or
    /// of the object that lacks it) and what was expected.
    /// </summary>
    public static bool TryRead(string json, out ReliabilityModel? model, out (int Line, int Column, string Message)? problem)
    {
        model = null;
        byte[] utf8 = Encoding.UTF8.GetBytes(json);
        var positions = JsonPositions.TryIndex(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true },
            out problem);
        if (positions is null) return false;
        using var doc = JsonDocument.Parse(utf8, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (Read(doc.RootElement, out model) is not { } wrong) return true;
        var (line, column) = positions.Of(wrong.Path);
        problem = (line, column, wrong.Message);
        return false;
    }

    /// <summary>What is wrong with a model, and the path of the value (or the object lacking it) at fault.</summary>
    private readonly record struct Problem(string Path, string Message);

    private static readonly string[] TopLevel = ["format", "version", "description", "calibrated_from", "score", "intercept", "features", "training"];
    private static readonly string[] TrainingFields = ["labels", "n_real", "n_false", "log_loss", "auc"];

    private static Problem? Read(JsonElement root, out ReliabilityModel? model)
    {
        model = null;
        if (root.ValueKind != JsonValueKind.Object) return new("", "the top level must be an object");
        if (Unexpected(root, "", TopLevel, "the top level") is { } extra) return extra;
        if (Str(root, "format") != ReliabilityModel.Format)
            return new(At(root, "", "format"), $"\"format\" must be \"{ReliabilityModel.Format}\"");
        string? version = Str(root, "version");
        if (string.IsNullOrWhiteSpace(version)) return new(At(root, "", "version"), "\"version\" must be a non-empty string");
        foreach (string text in (string[])["description", "calibrated_from", "score"])
            if (NotString(root, "", text) is { } notText) return notText;
        string description = Str(root, "description") ?? "";
        string calibratedFrom = Str(root, "calibrated_from") ?? "";
        if (!Num(root, "intercept", out double intercept)) return new(At(root, "", "intercept"), "\"intercept\" must be a finite number");
        if (!root.TryGetProperty("features", out var fs) || fs.ValueKind != JsonValueKind.Array)
            return new(At(root, "", "features"), "\"features\" must be an array");
        // A model written before the association feature (v1) lists the first five: it gives association no weight.
        int listed = fs.GetArrayLength();
        if (listed != ReliabilityModel.FeatureCount && listed != ReliabilityModel.FeatureCount - 1)
            return new("features", $"\"features\" must list the {ReliabilityModel.FeatureCount} features " + string.Join(", ", ReliabilityFeature.Names) +
                       $" (or the first five, from a model written before association), not {listed}");

        var features = new ReliabilityFeature[ReliabilityModel.FeatureCount];
        if (listed < ReliabilityModel.FeatureCount)
            features[^1] = new ReliabilityFeature(ReliabilityFeatureKind.Association, [0.5], [0, 0, 0]);
        int minSpos = 2;
        int k = 0;
        foreach (var f in fs.EnumerateArray())
        {
            if (ReadFeature(f, k, ref minSpos, out features[k]) is { } wrong) return wrong;
            k++;
        }

        ReliabilityTraining? training = null;
        if (root.TryGetProperty("training", out var t))
        {
            if (ReadTraining(t, out training) is { } wrong) return wrong;
        }
        model = new ReliabilityModel(version, description, calibratedFrom, intercept, minSpos, features, training);
        return null;
    }

    /// <summary>Feature <paramref name="k"/> of "features" (and the confirmation's min_spos).</summary>
    private static Problem? ReadFeature(JsonElement f, int k, ref int minSpos, out ReliabilityFeature feature)
    {
        feature = null!;
        var kind = (ReliabilityFeatureKind)k;
        string expected = ReliabilityFeature.Names[k];
        string path = JsonPositions.Element("features", k);
        if (f.ValueKind != JsonValueKind.Object || Str(f, "name") != expected)
            return new(f.ValueKind == JsonValueKind.Object ? At(f, path, "name") : path, $"feature {k} must be named \"{expected}\"");
        bool categorical = kind is ReliabilityFeatureKind.Artifact or ReliabilityFeatureKind.BandsDetected;
        string[] allowed = kind == ReliabilityFeatureKind.Confirmation ? ["name", "description", "min_spos", "edges", "bins", "weights"]
            : categorical ? ["name", "description", "bins", "weights"]
            : ["name", "description", "edges", "bins", "weights"];
        if (Unexpected(f, path, allowed, $"feature \"{expected}\"") is { } extra) return extra;
        if (NotString(f, path, "description") is { } notText) return notText;
        double[] edges = [];
        if (!categorical)
        {
            if (!Numbers(f, "edges", out edges, out int badEdge) || edges.Length == 0)
                return new(ElementAt(f, path, "edges", badEdge), $"feature \"{expected}\": \"edges\" must be a non-empty array of finite numbers");
            for (int i = 1; i < edges.Length; i++)
                if (!(edges[i] > edges[i - 1]))
                    return new(JsonPositions.Element(JsonPositions.Property(path, "edges"), i),
                        string.Create(CultureInfo.InvariantCulture, $"feature \"{expected}\": \"edges\" must be strictly ascending ({edges[i - 1]}, then {edges[i]})"));
        }
        if (!Numbers(f, "weights", out var weights, out int badWeight))
            return new(ElementAt(f, path, "weights", badWeight), $"feature \"{expected}\": \"weights\" must be an array of finite numbers");
        int bins = ReliabilityFeature.ExpectedBins(kind, edges.Length);
        if (weights.Length != bins)
            return new(JsonPositions.Property(path, "weights"), $"feature \"{expected}\": {bins} weights expected (one per bin{(categorical ? "" : ": unknown, then one more than the edges")}), {weights.Length} given");
        feature = new ReliabilityFeature(kind, edges, weights);
        // The score is monotone because the ordered bins' weights never decrease (docs/reliability.md); a hand edit that
        // breaks this would rank a better-binned extraction below a worse one.
        for (int b = feature.FirstOrderedBin + 1; b < weights.Length; b++)
            if (weights[b] < weights[b - 1])
                return new(JsonPositions.Element(JsonPositions.Property(path, "weights"), b), string.Create(CultureInfo.InvariantCulture,
                    $"feature \"{expected}\": weights must not decrease from worst to best bin ({weights[b - 1]} for \"{feature.Labels[b - 1]}\", then {weights[b]} for \"{feature.Labels[b]}\")"));
        if (kind == ReliabilityFeatureKind.Confirmation
            && (!f.TryGetProperty("min_spos", out var ms) || ms.ValueKind != JsonValueKind.Number || !ms.TryGetInt32(out minSpos) || minSpos < 1))
            return new(At(f, path, "min_spos"), "feature \"confirmation\": \"min_spos\" must be an integer >= 1");
        return null;
    }

    private static Problem? ReadTraining(JsonElement t, out ReliabilityTraining? training)
    {
        training = null;
        const string path = "training";
        const string expected = "\"training\" must be an object holding labels, n_real, n_false, log_loss and auc";
        if (t.ValueKind != JsonValueKind.Object) return new(path, expected);
        if (Unexpected(t, path, TrainingFields, "\"training\"") is { } extra) return extra;
        if (NotString(t, path, "labels") is { } notText) return notText;
        if (!t.TryGetProperty("n_real", out var nr) || nr.ValueKind != JsonValueKind.Number || !nr.TryGetInt64(out long nReal) || nReal < 0)
            return new(At(t, path, "n_real"), "\"training\": \"n_real\" must be a whole number >= 0");
        if (!t.TryGetProperty("n_false", out var nf) || nf.ValueKind != JsonValueKind.Number || !nf.TryGetInt64(out long nFalse) || nFalse < 0)
            return new(At(t, path, "n_false"), "\"training\": \"n_false\" must be a whole number >= 0");
        if (!Num(t, "log_loss", out double logLoss)) return new(At(t, path, "log_loss"), "\"training\": \"log_loss\" must be a finite number");
        if (!Num(t, "auc", out double auc)) return new(At(t, path, "auc"), "\"training\": \"auc\" must be a finite number");
        training = new ReliabilityTraining(Str(t, "labels") ?? "", nReal, nFalse, logLoss, auc);
        return null;
    }

    /// <summary>The first property of <paramref name="o"/> this format does not define: a misspelt or misplaced field would be silently ignored.</summary>
    private static Problem? Unexpected(JsonElement o, string path, string[] allowed, string what)
    {
        foreach (var p in o.EnumerateObject())
            if (Array.IndexOf(allowed, p.Name) < 0)
                return new(JsonPositions.Property(path, p.Name), $"{what} has no field \"{p.Name}\" (it holds {string.Join(", ", allowed)})");
        return null;
    }

    private static Problem? NotString(JsonElement o, string path, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.String
            ? new(JsonPositions.Property(path, name), $"\"{name}\" must be a string") : null;

    /// <summary>The property's path when <paramref name="o"/> has it, else the object's own (it lacks the property).</summary>
    private static string At(JsonElement o, string path, string name) =>
        o.TryGetProperty(name, out _) ? JsonPositions.Property(path, name) : path;

    /// <summary>Element <paramref name="index"/> of an array property (the property when -1), or the object when it lacks it.</summary>
    private static string ElementAt(JsonElement o, string path, string name, int index) =>
        index < 0 ? At(o, path, name) : JsonPositions.Element(JsonPositions.Property(path, name), index);

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool Num(JsonElement o, string name, out double value)
    {
        value = double.NaN;
        return o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            && v.TryGetDouble(out value) && double.IsFinite(value);
    }

    /// <summary>The array's numbers; false with <paramref name="bad"/> the first element that is not a finite number (-1: not an array).</summary>
    private static bool Numbers(JsonElement o, string name, out double[] values, out int bad)
    {
        values = [];
        bad = -1;
        if (!o.TryGetProperty(name, out var a) || a.ValueKind != JsonValueKind.Array) return false;
        values = new double[a.GetArrayLength()];
        int i = 0;
        foreach (var v in a.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out values[i]) || !double.IsFinite(values[i]))
            {
                bad = i;
                return false;
            }
            i++;
        }
        return true;
    }
}
