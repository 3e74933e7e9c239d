using System.CommandLine;
using System.Globalization;
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
        var kind = new Argument<string>("kind") { Description = "survey or caltile" };
        kind.AcceptOnlyFromAmong("survey", "caltile");
        var sources = new Option<int>("--sources") { Description = "Number of true sources", DefaultValueFactory = _ => 20000 };
        var scans = new Option<int?>("--scans") { Description = "caltile only: number of scans (default 600)" };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1 };
        var ra = new Option<double?>("--ra") { Description = "Centre RA (deg)" };
        var dec = new Option<double?>("--dec") { Description = "Centre Dec (deg)" };
        var device = new Option<string>("--device") { Description = "Link-stage device", DefaultValueFactory = _ => "auto" };
        device.AcceptOnlyFromAmong(LinkDevices.Names);
        var cmd = new Command("evaluate", "Generate data with known truth, merge it, and print a markdown row: pair precision/recall of friends-of-friends and of the final groups, movers recovered within 3 sigma, Stetson J ROC AUC.")
        {
            kind, sources, scans, seed, ra, dec, device,
        };
        cmd.SetAction(p =>
        {
            var skyKind = p.GetValue(kind) == "caltile" ? SkyKind.CalTile : SkyKind.Survey;
            var options = new GeneratorOptions(skyKind, p.GetValue(sources), p.GetValue(seed), p.GetValue(scans),
                p.GetValue(ra) ?? 180.0, p.GetValue(dec) ?? (skyKind == SkyKind.CalTile ? -30.0 : 0.0));
            string dir = Path.Combine(Path.GetTempPath(), "wdb-evaluate-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                var (block, truth) = SyntheticSky.GenerateWithTruth(options);
                string input = Path.Combine(dir, "input.csv");
                TableTextWriter.Write(block, input);
                var outcome = MergeJob.Run(new MergeOptions { Inputs = [input], OutDir = Path.Combine(dir, "out"), Device = p.GetValue(device)! });
                if (outcome.Error is not null) { Console.Error.WriteLine($"wdb evaluate: {outcome.Error}"); return outcome.ExitCode; }
                var r = MergeEvaluation.Evaluate(block, truth, Path.Combine(dir, "out"));
                string name = skyKind == SkyKind.CalTile ? $"caltile {options.Sources} x {options.Scans ?? SyntheticSky.DefaultCalTileScans}" : $"survey {options.Sources}";
                var c = CultureInfo.InvariantCulture;
                Console.WriteLine("| dataset | seed | rows | FoF precision | FoF recall | precision | recall | movers within 3σ | Stetson J AUC (amp ≥ 0.1) |");
                Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
                Console.WriteLine(string.Format(c, "| {0} | {1} | {2:N0} | {3:F4} | {4:F4} | {5:F4} | {6:F4} | {7}/{8} fitted ({9:P1}); {8}/{10} movers fitted | {11:F3} ({12} var, {13} const) |",
                    name, options.Seed, r.Rows, r.FofPrecision, r.FofRecall, r.Precision, r.Recall,
                    r.MoversWithin3Sigma, r.MoversFitted, r.MoverFraction, r.Movers, r.StetsonAuc, r.Variables, r.Constants));
                return 0;
            }
            finally
            {
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
            }
        });
        return cmd;
    }
}
