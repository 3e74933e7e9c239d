using System.CommandLine;
using Wdb.IO;

namespace Wdb.Cli;

/// <summary>`wdb gen`: synthetic WDB data with a truth column, for trying and benchmarking the merge.</summary>
internal static class GenCommand
{
    public static Command Create()
    {
        var generator = new GeneratorArguments();
        var output = new Option<string>("--out") { Description = "Output file; format from the extension: .csv, .tbl (IPAC), .bulk/.psv (IRSA bulk, profile 'wdb'), optionally .gz", Required = true };
        var cmd = new Command("gen", "Generate a synthetic WDB table (positions with realistic noise by magnitude, epochs, noise extractions, close pairs, movers, variables, and a truth column).")
        {
            output,
        };
        generator.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var options = generator.Read(p);
            if (GeneratorArguments.Problem(options) is string bad) { Console.Error.WriteLine($"wdb gen: {bad}"); return 2; }
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
                Console.Error.WriteLine($"wdb gen: {GeneratorArguments.Said(e)}");
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
