using System.CommandLine;
using Wdb.IO;
using Wdb.Merge;
using Wdb.Core;

namespace Wdb.Cli;

/// <summary>`wdb gen`: synthetic WDB data with a truth column, for trying and benchmarking the merge.</summary>
internal static class GenCommand
{
    public static Command Create()
    {
        var generator = new GeneratorArguments();
        var output = new Option<string>("--out") { Description = "Output file; format from the extension: .csv, .tbl or .ipac (IPAC), .bulk/.psv (IRSA bulk, profile 'wdb'), optionally .gz", Required = true };
        var set = new Option<int>("--set")
        {
            Description = $"Number of this set, 0-{GeneratorOptions.MostSets} [default: 0]: sets with different numbers have disjoint cntr, scan_key and truth ids, " +
                "so sets generated apart (other seeds or fields) merge together as one database",
        };
        var cmd = new Command("gen", "Generate a synthetic WDB table (positions with realistic noise by magnitude, epochs, noise extractions, close pairs, movers, variables, and a truth column).")
        {
            output, set,
        };
        generator.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var options = generator.Read(p) with { Set = p.GetValue(set) };
            if (GeneratorArguments.Problem(options) is string bad) { Console.Error.WriteLine($"wdb gen: {bad}"); return 2; }
            if (options.Set is < 0 or > GeneratorOptions.MostSets)
            {
                Console.Error.WriteLine($"wdb gen: --set must be in [0, {GeneratorOptions.MostSets:N0}], got {options.Set:N0}");
                return 2;
            }
            // The writer makes --out's directory once the extension is known good: an error leaves no new directory.
            string path = p.GetValue(output)!;
            long rows;
            try
            {
                // Chunked: memory stays bounded for the 10 M-row benchmark sets. Flushed to disk as every output is: 0.4 s
                // of an 18 s, 750 MB set (3 M sources) on the development VM.
                if (SyntheticSky.GenerateToFile(options, path, out rows) is { } error)
                {
                    Console.Error.WriteLine($"wdb gen: {error.Message}");
                    return MergeJob.ExitOf(error);
                }
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"wdb gen: {GeneratorArguments.Said(e)}");
                return 2;
            }
            Console.Error.WriteLine($"wdb gen: wrote {rows:N0} extractions of {options.Sources:N0} sources to {path}");
            return 0;
        });
        return cmd;
    }
}
