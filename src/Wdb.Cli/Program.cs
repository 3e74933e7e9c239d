using System.CommandLine;
using Wdb.Cli;

// The `wdb` command: one file per verb; each verb parses its options and calls one library entry point.
StandardError.Install();   // first: a stderr that cannot be written must not end the run, whatever writes to it
var root = WdbCommandLine.Create();

StandardOutput.Install();
// Ctrl-C, `timeout`, `kill` and a scheduler's time limit end the run where it is: its temporary output and spill go with
// it (TemporaryPaths), not beside --out for the user to find. Kept alive for the whole run.
using var interrupted = Interruption.Install();
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors) Console.Error.WriteLine($"wdb: {InOurWords(error.Message)}");
    Console.Error.WriteLine("Try 'wdb --help' or 'wdb <verb> --help'.");
    return 2;
}
// A failed write to standard output is the environment's (a full disk, a closed pipe): one line, as `wdb export`
// says it, not the runtime's stack trace. Every other exception is a bug and keeps its trace.
try
{
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (StandardOutputFailed e)
{
    string verb = string.Join(' ', Commands(parsed.CommandResult).Reverse().Select(c => c == root ? "wdb" : c.Name));
    Console.Error.WriteLine($"{verb}: cannot write to standard output: {e.Message}");
    return VerbEnd.OutputExit;
}
finally
{
    Interruption.WaitIfStopping();
}

// System.CommandLine names the option's .NET type ("as expected type 'System.Nullable`1[System.Int32]'"): say what a user types.
static string InOurWords(string message) =>
    System.Text.RegularExpressions.Regex.Replace(message, @"as expected type '([^']*)'", m =>
        m.Groups[1].Value switch
        {
            var t when t.Contains("Int32") || t.Contains("Int64") => "as an integer",
            var t when t.Contains("Double") || t.Contains("Single") => "as a finite number",
            _ => m.Value,
        });

// The verb's words from the root: "wdb cluster status".
static IEnumerable<Command> Commands(System.CommandLine.Parsing.SymbolResult? at)
{
    for (; at is not null; at = at.Parent)
        if (at is System.CommandLine.Parsing.CommandResult c) yield return c.Command;
}
