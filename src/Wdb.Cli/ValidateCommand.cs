using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Cli;

/// <summary>
/// `wdb validate`: reads input tables as `wdb merge` would, keeping no rows, and reports each file's
/// format, rows, rejects by reason (the first few with file:line:column), checksum and read rate.
/// Exit 0: every row readable; 1: rows rejected; 2: a file could not be read (or bad options); 3: --rejects could not be written.
/// </summary>
internal static class ValidateCommand
{
    public const int RowsRejectedExit = 1;
    public const int InputErrorExit = 2;

    public static Command Create()
    {
        var inputs = InputArguments.Files();
        var profile = InputArguments.Profile();
        var filesAtOnce = InputArguments.FilesAtOnce();
        var strict = new Option<bool>("--strict") { Description = "A file's first bad row is its error (as `wdb merge --strict` would stop there)" };
        var threads = new Option<int>("--threads") { Description = "Threads that decode at once (1: the reading thread alone; default: all cores)" };
        var rejects = new Option<string?>("--rejects") { Description = "Write every rejected row to this CSV (the columns of merge's rejects.csv)" };
        var listed = new Option<int>("--list") { Description = "Rejected rows listed per file", DefaultValueFactory = _ => 10 };
        var checksum = InputArguments.Checksum();
        var json = new Option<bool>("--json") { Description = "Print one JSON object (per-file results) instead of the text report" };
        var cmd = new Command("validate", "Read input tables as `wdb merge` would, without merging or keeping rows: per file the format, rows read and accepted, rejects by reason (the first with file:line:column), checksum and read rate. Exit 0 when every row is readable, 1 when rows were rejected, 2 when a file could not be read, 3 when --rejects could not be written. Duplicate cntr across rows is checked by merge, not here.")
        {
            inputs, profile, strict, threads, filesAtOnce, checksum, rejects, listed, json,
        };
        cmd.SetAction(p =>
        {
            if (p.GetValue(threads) < 0 || p.GetValue(listed) < 0 || p.GetValue(filesAtOnce) < 0)
            {
                Console.Error.WriteLine("wdb validate: --threads, --files-at-once and --list must not be negative");
                return InputErrorExit;
            }
            if (!InputArguments.TryChecksum(p, checksum, "validate", out var checksumAlgorithm)) return InputErrorExit;
            var files = p.GetValue(inputs)!;
            if (InputPaths.Problem(files) is string problem)
            {
                Console.Error.WriteLine($"wdb validate: {problem}");
                return InputErrorExit;
            }
            // Every other file is still read and reported; a merge option (`--out m`, the verb changed) is a misreading of
            // the command line, said before hours of reading.
            if (files.FirstOrDefault(f => f != InputPaths.StandardInput && f.StartsWith('-') && !File.Exists(f)) is string option)
            {
                Console.Error.WriteLine($"wdb validate: {Shown.Path(option)}: {InputPaths.NoSuchFile(option)}");
                return InputErrorExit;
            }
            if (p.GetValue(rejects) is string rejectsTo && RejectsOverInput(rejectsTo, files) is string over)
            {
                Console.Error.WriteLine($"wdb validate: {over}");
                return InputErrorExit;
            }
            bool asJson = p.GetValue(json);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            // The text report comes file by file, as each file's turn comes: hundreds of IRSA files take a while.
            var results = InputCheck.Run(files, new ReadOptions(p.GetValue(profile), Strict: p.GetValue(strict), Threads: p.GetValue(threads), Checksum: checksumAlgorithm),
                p.GetValue(filesAtOnce), asJson ? null : r => WriteFile(r, p.GetValue(listed)));
            double seconds = clock.Elapsed.TotalSeconds;
            if (p.GetValue(rejects) is string rejectsPath)
            {
                if (InputCheck.WriteRejects(rejectsPath, results.SelectMany(r => r.Read.Rejects)) is OutputError error)
                {
                    Console.Error.WriteLine($"wdb validate: {error}");
                    return MergeJob.ExitOf(error);
                }
            }
            if (asJson) WriteJson(results);
            else WriteTotals(results, seconds);
            return results.Any(r => r.Read.Error is not null) ? InputErrorExit
                 : results.Any(r => r.Read.Rejects.Count > 0) ? RowsRejectedExit : 0;
        });
        return cmd;
    }

    /// <summary>
    /// Why <paramref name="rejectsPath"/> may not be written: it is one of the <paramref name="inputs"/> (also through
    /// another path or a link), which its rejects would replace, the table being checked lost. Null when it is none.
    /// </summary>
    private static string? RejectsOverInput(string rejectsPath, IReadOnlyList<string> inputs)
    {
        if (!File.Exists(rejectsPath)) return null;
        for (int i = 0; i < inputs.Count; i++)
            if (InputPaths.WouldReplace(rejectsPath, inputs[i]))
                return $"--rejects {rejectsPath} is the input {inputs[i]} (argument {i + 1}): its rejects would replace it; choose another --rejects";
        return null;
    }

    private static void WriteFile(InputCheckResult result, int listed)
    {
        var c = CultureInfo.InvariantCulture;
        var (read, seconds) = result;
        if (read.Error is not null)
        {
            var e = read.Error;
            Console.WriteLine(e.Line > 0 ? $"{Shown.Path(e.File)}:{e.Line}:{e.Column}: error: {e.Message}" : $"{Shown.Path(e.File)}: error: {e.Message}");
            return;
        }
        string format = read.Format.Name() + (read.Profile is { } pr ? $" ({pr})" : "");
        // The rate is of text parsed; a gzipped file's stored size is given beside it.
        string stored = read.TextBytes != read.Bytes ? string.Format(c, " ({0:F1} MB stored)", read.Bytes / 1e6) : "";
        Console.WriteLine(string.Format(c, "{0}: {1}, {2:N0} rows: {3:N0} accepted, {4:N0} rejected; {5:F1} MB{6} in {7:F2} s ({8:F0} MB/s); {9}",
            Shown.Path(read.Path), format, read.RowsRead, read.RowsAccepted, read.Rejects.Count, read.TextBytes / 1e6, stored, seconds,
            seconds > 0 ? read.TextBytes / 1e6 / seconds : 0, read.Checksum));
        foreach (string note in Notes(read)) Console.WriteLine($"  note: {note}");
        if (read.Rejects.Count == 0) return;
        Console.WriteLine("  rejected: " + string.Join(", ", ByReason(read).Select(kv => $"{kv.Key} {kv.Value:N0}")));
        foreach (var r in read.Rejects.Take(listed)) Console.WriteLine($"  {r}");
        if (read.Rejects.Count > listed) Console.WriteLine($"  ... and {read.Rejects.Count - listed:N0} more");
    }

    /// <summary>Several files: their sums, and the rate of the whole run (files read at once overlap, so it is not the files' own rates summed).</summary>
    private static void WriteTotals(IReadOnlyList<InputCheckResult> results, double seconds)
    {
        if (results.Count <= 1) return;
        var ok = results.Where(r => r.Read.Error is null).ToList();
        long text = ok.Sum(r => r.Read.TextBytes);
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
            "{0} files ({1} unreadable): {2:N0} rows, {3:N0} accepted, {4:N0} rejected; {5:F1} MB in {6:F2} s ({7:F0} MB/s)",
            results.Count, results.Count - ok.Count, ok.Sum(r => r.Read.RowsRead), ok.Sum(r => r.Read.RowsAccepted), ok.Sum(r => r.Read.Rejects.Count),
            text / 1e6, seconds, seconds > 0 ? text / 1e6 / seconds : 0));
    }

    private static void WriteJson(IReadOnlyList<InputCheckResult> results)
    {
        using var stdout = StandardOutput.Open();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartArray("files");
            foreach (var (read, seconds) in results)
            {
                w.WriteStartObject();
                w.WriteString("path", read.Path);
                w.WriteString("format", read.Format.Name());
                if (read.Profile is null) w.WriteNull("profile"); else w.WriteString("profile", read.Profile);
                w.WriteNumber("bytes", read.Bytes);
                w.WriteNumber("text_bytes", read.TextBytes);
                w.WriteString("checksum", read.Checksum);
                w.WriteNumber("seconds", Math.Round(seconds, 4));
                w.WriteNumber("rows_read", read.RowsRead);
                w.WriteNumber("rows_accepted", read.RowsAccepted);
                w.WriteNumber("rows_rejected", read.Rejects.Count);
                w.WriteStartObject("rejects_by_reason");
                foreach (var (reason, count) in ByReason(read)) w.WriteNumber(reason, count);
                w.WriteEndObject();
                if (read.Error is null) w.WriteNull("error"); else w.WriteString("error", read.Error.ToString());
                w.WriteStartArray("notes");
                foreach (string note in Notes(read)) w.WriteStringValue(note);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        stdout.WriteByte((byte)'\n');
    }

    /// <summary>
    /// What a readable file's figures do not say on their own, for the text report and the JSON alike; none for a file
    /// that could not be read (its error says it).
    /// </summary>
    private static List<string> Notes(FileReadResult read)
    {
        var notes = new List<string>();
        if (read.Error is not null) return notes;
        if (read.RepeatedHeadersSaid() is string repeated) notes.Add(repeated);
        // Merge warns of it; a check before a long merge is where a failed download or pipe should show.
        if (read.RowsRead == 0) notes.Add("no rows (empty, blank lines or a header alone): it would add nothing to a merge");
        return notes;
    }

    /// <summary>Rejects counted by reason, reasons in the order first met (as summary.json counts them).</summary>
    private static IEnumerable<KeyValuePair<string, int>> ByReason(FileReadResult read) =>
        read.Rejects.GroupBy(r => RejectReasons.Name(r.Reason)).Select(g => new KeyValuePair<string, int>(g.Key, g.Count()));
}
