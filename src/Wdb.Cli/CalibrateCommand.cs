using System.CommandLine;
using System.Globalization;
using System.Text;
using Wdb.IO;
using Wdb.Merge;
using Wdb.Core;

namespace Wdb.Cli;

/// <summary>`wdb calibrate`: a reliability model re-fitted from a merge (docs/reliability.md, Recalibrating).</summary>
internal static class CalibrateCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "A directory written by 'wdb merge' (a calibration tile's, for redundancy labels)" };
        var inputs = new Argument<string[]>("inputs")
        {
            Description = "The merge's input files, in its order (default: the paths its summary.json lists); their checksums must match",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var output = new Option<string>("--out") { Description = "The fitted model's JSON (written atomically)", Required = true };
        var labels = new Option<string>("--labels")
        {
            Description = "redundancy: real when many scans that covered a group detected it, false when many covered it and almost none did " +
                          "(confirmation weights kept); truth: the inputs' truth column (generated data), every weight fitted",
            DefaultValueFactory = _ => "redundancy",
        };
        labels.AcceptOnlyFromAmong("redundancy", "truth");
        var version = new Option<string?>("--version") { Description = "The model's version (default: the base model's with -cal)" };
        var from = new Option<string?>("--from") { Description = "What the model was fitted on, in words (its calibrated_from; default: the merge's directory)" };
        var baseModel = new Option<string?>("--base-model") { Description = "The model whose bins are re-weighted and whose weights are the prior (default: the built-in v2)" };
        var prior = new Option<double>("--prior-strength") { Description = "L2 pull of every weight towards the base model's", DefaultValueFactory = _ => 2.0 };
        var realFraction = new Option<double?>("--real-fraction") { Description = "Fraction of real extractions where the model will be used: shifts the intercept from the training rows' own" };
        var threads = MergeArguments.ThreadsOption();
        var quiet = MergeArguments.QuietOption();
        var cmd = new Command("calibrate", "Fit the reliability model's weights to a merge: its outputs give the groups, its inputs (read again, checksums checked) the extractions' evidence.")
        {
            dir, inputs, output, labels, version, from, baseModel, prior, realFraction, threads, quiet,
        };
        cmd.SetAction(p =>
        {
            ReliabilityModel? basis = null;
            if (p.GetValue(baseModel) is string path)
            {
                (basis, string? why) = MergeArguments.LoadModel(path);
                if (basis is null) return VerbEnd.Of("calibrate", new OutputError(why!));
            }
            if (p.GetValue(realFraction) is double f && !(f > 0 && f < 1))
                return VerbEnd.Of("calibrate", new OutputError($"--real-fraction must be in (0, 1), got {f}"));
            if (!(p.GetValue(prior) > 0)) return VerbEnd.Of("calibrate", new OutputError($"--prior-strength must be positive, got {p.GetValue(prior)}"));
            string outFile = p.GetValue(output)!;
            // Before the fit, which reads every input again: a model that cannot be written is said at once, as export says it.
            if (AtomicFile.ParentProblem(outFile) is { } noDirectory) return VerbEnd.Of("calibrate", noDirectory);
            var options = new CalibrationOptions
            {
                Labels = p.GetValue(labels) == "truth" ? CalibrationLabels.Truth : CalibrationLabels.Redundancy,
                BaseModel = basis, Version = p.GetValue(version), PriorStrength = p.GetValue(prior), PriorRealFraction = p.GetValue(realFraction),
            };
            bool q = p.GetValue(quiet);
            Action<string>? log = q ? null : line => Console.Error.WriteLine($"wdb calibrate: {line}");
            var (model, error) = CalibrationJob.Fit(p.GetValue(dir)!, p.GetValue(inputs) ?? [], options, p.GetValue(from), p.GetValue(threads), log,
                line => Console.Error.WriteLine($"wdb calibrate: warning: {line}"));
            if (model is null) return VerbEnd.Of("calibrate", new OutputError(error!));
            if (AtomicFile.Write(outFile, "cannot write the model", fs => fs.Write(Encoding.UTF8.GetBytes(model.ToJson()))) is OutputError writeError)
                return VerbEnd.Of("calibrate", writeError);
            if (log is not null && model.Training is { } t)
                log(string.Create(CultureInfo.InvariantCulture,
                    $"{model.Version}: fitted on {t.NReal:N0} real and {t.NFalse:N0} false extractions, log-loss {t.LogLoss:F4}, score AUC {t.Auc:F4} -> {Shown.Path(outFile)}"));
            return 0;
        });
        return cmd;
    }
}
