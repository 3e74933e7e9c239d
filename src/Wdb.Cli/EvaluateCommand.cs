using System.CommandLine;
using System.Globalization;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Cli;

/// <summary>
/// `wdb evaluate`: generate a dataset with known truth, merge it, and report how well the
/// merge recovered it (pair precision/recall, proper motions, variability AUC).
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var generator = new GeneratorArguments();
        var device = new Option<string>("--device") { Description = "Link-stage device", DefaultValueFactory = _ => "auto" };
        device.AcceptOnlyFromAmong(LinkDevices.Names);
        var cmd = new Command("evaluate", "Generate data with known truth, merge it, and print a markdown row: pair precision/recall of friends-of-friends and of the final groups (n/a (no pairs) where there is no pair to score), movers recovered within 3 sigma, Stetson J ROC AUC.")
        {
            device,
        };
        generator.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var options = generator.Read(p);
            if (GeneratorArguments.Problem(options) is string bad) { Console.Error.WriteLine($"wdb evaluate: {bad}"); return 2; }
            var skyKind = options.Kind;
            string dir = Path.Combine(Path.GetTempPath(), "wdb-evaluate-" + Guid.NewGuid().ToString("N"));
            // A stop (Ctrl-C) removes it: the generated input of a large tile is hundreds of MB under TMPDIR.
            TemporaryPaths.Add(dir);
            try
            {
                Directory.CreateDirectory(dir);
                ExtractionBlock block; SyntheticTruth truth;
                try { (block, truth) = SyntheticSky.GenerateWithTruth(options); }
                catch (ArgumentException e) { Console.Error.WriteLine($"wdb evaluate: {GeneratorArguments.Said(e)}"); return 2; }
                string input = Path.Combine(dir, "input.csv");
                TableTextWriter.Write(block, input);
                string merged = Path.Combine(dir, "out");
                var outcome = MergeJob.Run(new MergeOptions { Inputs = [input], OutDir = merged, Device = p.GetValue(device)! });
                if (outcome.Error is not null)
                {
                    // Its output lies under TMPDIR, not where the user named anything (and is removed): a full disk is TMPDIR's to change.
                    Console.Error.WriteLine(outcome.ExitCode == MergeJob.OutputErrorExit
                        ? $"wdb evaluate: cannot merge the generated data {TemporaryPaths.UnderTmpdir()}: {WithoutOutput(outcome.Error, merged)}" : $"wdb evaluate: {outcome.Error}");
                    return outcome.ExitCode;
                }
                var r = MergeEvaluation.Evaluate(block, truth, Path.Combine(dir, "out"));
                string name = skyKind == SkyKind.CalTile ? $"caltile {options.Sources} x {options.Scans ?? SyntheticSky.DefaultCalTileScans}" : $"survey {options.Sources}";
                var c = CultureInfo.InvariantCulture;
                Console.WriteLine("| dataset | seed | rows | FoF precision | FoF recall | precision | recall | movers within 3σ | Stetson J AUC (amp ≥ 0.1) |");
                Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
                Console.WriteLine(string.Format(c, "| {0} | {1} | {2:N0} | {3} | {4} | {5} | {6} | {7}/{8} fitted ({9}); {8}/{10} movers fitted | {11} ({12} var, {13} const) |",
                    name, options.Seed, r.Rows, PairScore(r.FofPrecision), PairScore(r.FofRecall), PairScore(r.Precision), PairScore(r.Recall),
                    r.MoversWithin3Sigma, r.MoversFitted, Figure(r.MoverFraction, "P1"), r.Movers, Figure(r.StetsonAuc, "F3"), r.Variables, r.Constants));
                return 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // TMPDIR unwritable or full: the environment's, one line, as merge says it.
                Console.Error.WriteLine($"wdb evaluate: cannot write the generated data {TemporaryPaths.UnderTmpdir()}: {OutputError.ReasonOf(e)}");
                return MergeJob.OutputErrorExit;
            }
            finally
            {
                try { DirectoryTree.Delete(dir); } catch (IOException) { }
                TemporaryPaths.Remove(dir);
            }
        });
        return cmd;
    }

    /// <summary>The merge's error without its "cannot write output to '...'": a directory the user never named, removed by now.</summary>
    private static string WithoutOutput(string error, string merged)
    {
        string prefix = $"cannot write output to '{Shown.Path(merged)}': ";
        return error.StartsWith(prefix, StringComparison.Ordinal) ? error[prefix.Length..] : error;
    }

    /// <summary>A pair precision or recall, or `n/a (no pairs)` where there was no pair to score (NaN).</summary>
    private static string PairScore(double value) => double.IsNaN(value) ? "n/a (no pairs)" : value.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary>
    /// <paramref name="value"/> as <paramref name="format"/> says, or `n/a` where there was nothing to measure (no mover
    /// fitted, no variable or no constant star): the counts beside it say which, and "NaN" reads as a failure.
    /// </summary>
    private static string Figure(double value, string format) =>
        double.IsNaN(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);
}
