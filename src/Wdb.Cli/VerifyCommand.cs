using System.CommandLine;
using Wdb.IO;

namespace Wdb.Cli;

/// <summary>
/// `wdb verify`: a merge output directory against the checksums its summary.json records (and, with
/// --inputs, the input files against theirs), one line per file as `xxh128sum -c` prints them.
/// Exit 0: every file as recorded; 1: a file differs, is missing or unreadable, or is a table summary.json does not list;
/// 2: no usable summary.json.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "A directory written by 'wdb merge'" };
        var inputs = new Option<bool>("--inputs") { Description = "Check the input files too (at the paths the merge was given, from here)" };
        var threads = new Option<int>("--threads") { Description = "Files read at once (default: all cores)" };
        var quiet = new Option<bool>("--quiet") { Description = "Print only the files that fail" };
        var cmd = new Command("verify", "Check a merge output against the checksums in its summary.json (xxh128 or sha256, as recorded): " +
            "every table, index and rejects.csv, and with --inputs every input file. Exit 0 when all match, 1 when a file differs or is missing (or is a table summary.json does not list), 2 when there is no usable summary.json; " +
            "an input read from standard input or a pipe is not checked (it cannot be read again).")
        {
            dir, inputs, threads, quiet,
        };
        cmd.SetAction(p =>
        {
            if (p.GetValue(threads) < 0)
            {
                Console.Error.WriteLine("wdb verify: --threads must not be negative");
                return 2;
            }
            var (results, error) = OutputVerifier.Verify(p.GetValue(dir)!, p.GetValue(inputs), p.GetValue(threads));
            if (error is not null)
            {
                Console.Error.WriteLine($"wdb verify: {error.Message}");
                return 2;
            }
            bool q = p.GetValue(quiet);
            foreach (var r in results)
            {
                if (q && !r.Failed) continue;
                string what = r.Input ? "input " : "";
                Console.WriteLine(r.Status switch
                {
                    VerifyStatus.Ok => $"{what}{r.Name}: OK",
                    VerifyStatus.Differs => $"{what}{r.Name}: FAILED ({r.Detail})",
                    VerifyStatus.Missing => $"{what}{r.Name}: FAILED, missing",
                    VerifyStatus.Unreadable or VerifyStatus.NotListed => $"{what}{r.Name}: FAILED, {r.Detail}",
                    VerifyStatus.NotChecked => $"{what}{r.Name}: not checked ({r.Detail})",
                    _ => $"{r.Name}: note: {r.Detail}",
                });
            }
            int failed = results.Count(r => r.Failed), notChecked = results.Count(r => r.Status == VerifyStatus.NotChecked);
            int checkedFiles = results.Count(r => r.Status is not (VerifyStatus.Unlisted or VerifyStatus.NotChecked));
            string notRead = notChecked == 0 ? "" : $" ({notChecked} input{(notChecked == 1 ? "" : "s")} not checked)";
            Console.Error.WriteLine(failed == 0 ? $"wdb verify: {checkedFiles} files as recorded{notRead}" : $"wdb verify: {failed} of {checkedFiles} files FAILED{notRead}");
            return failed == 0 ? 0 : 1;
        });
        return cmd;
    }
}
