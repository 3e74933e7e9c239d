using System.CommandLine;
using Wdb.IO;

namespace Wdb.Cli;

/// <summary>`wdb gen`: synthetic WDB data with a truth column, for trying and benchmarking the merge.</summary>
internal static class GenCommand
{
    public static Command Create()
    {
        var kind = new Argument<string>("kind") { Description = "survey (sparse sky, 1-6 epochs) or caltile (a 1 deg x 8.5' calibration tile scanned many times)" };
        kind.AcceptOnlyFromAmong("survey", "caltile");
        var sources = new Option<int>("--sources") { Description = "Number of true sources", DefaultValueFactory = _ => 20000 };
        var scans = new Option<int?>("--scans") { Description = "caltile only: number of scans (default 600)" };
        var seed = new Option<int>("--seed") { Description = "Random seed; the same seed gives the same file", DefaultValueFactory = _ => 1 };
        var ra = new Option<double?>("--ra") { Description = "Centre RA (deg)" };
        var dec = new Option<double?>("--dec") { Description = "Centre Dec (deg)" };
        var output = new Option<string>("--out") { Description = "Output file; format from the extension: .csv, .tbl (IPAC), .bulk/.psv (IRSA bulk, profile 'wdb'), optionally .gz", Required = true };
        var cmd = new Command("gen", "Generate a synthetic WDB table (positions with realistic noise by magnitude, epochs, noise extractions, close pairs, movers, variables, and a truth column).")
        {
            kind, sources, scans, seed, ra, dec, output,
        };
        cmd.SetAction(p =>
        {
            var skyKind = p.GetValue(kind) == "caltile" ? SkyKind.CalTile : SkyKind.Survey;
            var options = new GeneratorOptions(skyKind, p.GetValue(sources), p.GetValue(seed), p.GetValue(scans),
                p.GetValue(ra) ?? 180.0, p.GetValue(dec) ?? (skyKind == SkyKind.CalTile ? -30.0 : 0.0));
            if (options.Sources <= 0) { Console.Error.WriteLine("wdb gen: --sources must be positive"); return 2; }
            string path = p.GetValue(output)!;
            string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is not null) Directory.CreateDirectory(dir);
            long rows;
            try
            {
                // Chunked: memory stays bounded for the 10 M-row benchmark sets.
                rows = SyntheticSky.GenerateToFile(options, path);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"wdb gen: {e.Message}");
                return 2;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"wdb gen: cannot write {path}: {e.Message}");
                return 3;
            }
            Console.Error.WriteLine($"wdb gen: wrote {rows:N0} extractions of {options.Sources:N0} sources to {path}");
            return 0;
        });
        return cmd;
    }
}
