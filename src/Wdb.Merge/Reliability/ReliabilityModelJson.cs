using System.Buffers;
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

    public static bool TryRead(string json, out ReliabilityModel? model, out string? error)
    {
        model = null;
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            error = Read(doc.RootElement, out model);
            return error is null;
        }
        catch (JsonException e)
        {
            error = "not valid JSON: " + e.Message;
            return false;
        }
    }

    private static string? Read(JsonElement root, out ReliabilityModel? model)
    {
        model = null;
        if (root.ValueKind != JsonValueKind.Object) return "the top level must be an object";
        if (Str(root, "format") != ReliabilityModel.Format)
            return $"\"format\" must be \"{ReliabilityModel.Format}\"";
        string? version = Str(root, "version");
        if (string.IsNullOrWhiteSpace(version)) return "\"version\" is missing";
        string description = Str(root, "description") ?? "";
        string calibratedFrom = Str(root, "calibrated_from") ?? "";
        if (!Num(root, "intercept", out double intercept)) return "\"intercept\" must be a finite number";
        if (!root.TryGetProperty("features", out var fs) || fs.ValueKind != JsonValueKind.Array)
            return "\"features\" must be an array";
        // A model written before the association feature (v1) lists the first five: it gives association no weight.
        int listed = fs.GetArrayLength();
        if (listed != ReliabilityModel.FeatureCount && listed != ReliabilityModel.FeatureCount - 1)
            return $"\"features\" must list the {ReliabilityModel.FeatureCount} features " + string.Join(", ", ReliabilityFeature.Names) +
                   " (or the first five, from a model written before association)";

        var features = new ReliabilityFeature[ReliabilityModel.FeatureCount];
        if (listed < ReliabilityModel.FeatureCount)
            features[^1] = new ReliabilityFeature(ReliabilityFeatureKind.Association, [0.5], [0, 0, 0]);
        int minSpos = 2;
        int k = 0;
        foreach (var f in fs.EnumerateArray())
        {
            var kind = (ReliabilityFeatureKind)k;
            string expected = ReliabilityFeature.Names[k];
            if (f.ValueKind != JsonValueKind.Object || Str(f, "name") != expected)
                return $"feature {k} must be named \"{expected}\"";
            bool categorical = kind is ReliabilityFeatureKind.Artifact or ReliabilityFeatureKind.BandsDetected;
            double[] edges = [];
            if (!categorical)
            {
                if (!Numbers(f, "edges", out edges) || edges.Length == 0) return $"feature \"{expected}\": \"edges\" must be a non-empty array of numbers";
                for (int i = 1; i < edges.Length; i++)
                    if (!(edges[i] > edges[i - 1])) return $"feature \"{expected}\": \"edges\" must be strictly ascending";
            }
            if (!Numbers(f, "weights", out var weights)) return $"feature \"{expected}\": \"weights\" must be an array of finite numbers";
            int bins = ReliabilityFeature.ExpectedBins(kind, edges.Length);
            if (weights.Length != bins) return $"feature \"{expected}\": {bins} weights expected, {weights.Length} given";
            if (kind == ReliabilityFeatureKind.Confirmation)
            {
                if (!f.TryGetProperty("min_spos", out var ms) || !ms.TryGetInt32(out minSpos) || minSpos < 1)
                    return "feature \"confirmation\": \"min_spos\" must be an integer >= 1";
            }
            features[k++] = new ReliabilityFeature(kind, edges, weights);
        }

        ReliabilityTraining? training = null;
        if (root.TryGetProperty("training", out var t) && t.ValueKind == JsonValueKind.Object)
        {
            if (!t.TryGetProperty("n_real", out var nr) || !nr.TryGetInt64(out long nReal)
                || !t.TryGetProperty("n_false", out var nf) || !nf.TryGetInt64(out long nFalse)
                || !Num(t, "log_loss", out double logLoss) || !Num(t, "auc", out double auc))
                return "\"training\" must hold n_real, n_false, log_loss and auc";
            training = new ReliabilityTraining(Str(t, "labels") ?? "", nReal, nFalse, logLoss, auc);
        }
        model = new ReliabilityModel(version, description, calibratedFrom, intercept, minSpos, features, training);
        return null;
    }

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool Num(JsonElement o, string name, out double value)
    {
        value = double.NaN;
        return o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            && v.TryGetDouble(out value) && double.IsFinite(value);
    }

    private static bool Numbers(JsonElement o, string name, out double[] values)
    {
        values = [];
        if (!o.TryGetProperty(name, out var a) || a.ValueKind != JsonValueKind.Array) return false;
        values = new double[a.GetArrayLength()];
        int i = 0;
        foreach (var v in a.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out values[i]) || !double.IsFinite(values[i])) return false;
            i++;
        }
        return true;
    }
}
