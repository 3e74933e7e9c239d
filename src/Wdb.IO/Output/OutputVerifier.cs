using System.Text.Json;
using Wdb.Core;

namespace Wdb.IO;

/// <summary>What checking one file against its recorded checksum found.</summary>
public enum VerifyStatus
{
    Ok, Differs, Missing, Unreadable,
    /// <summary>In the directory, not wdb's, and not in summary.json: noted.</summary>
    Unlisted,
    /// <summary>A file every merge writes (<see cref="OutputWriter.FileNames"/>) that summary.json's outputs leave out: nothing to check it by.</summary>
    NotListed,
    /// <summary>An input that cannot be read again (standard input, a pipe: <see cref="InputPaths.NotReadableAgain"/>): not failed.</summary>
    NotChecked,
}

/// <param name="Name">The file as summary.json names it (an output's file name, an input's path as given to the merge).</param>
/// <param name="Detail">For a file that is not <see cref="VerifyStatus.Ok"/>: what was expected or what went wrong.</param>
public sealed record VerifyResult(string Name, bool Input, VerifyStatus Status, string? Detail = null)
{
    /// <summary>An unlisted file is reported, not counted against the output; a table left out of the list is (it goes unchecked).</summary>
    public bool Failed => Status is VerifyStatus.Differs or VerifyStatus.Missing or VerifyStatus.Unreadable or VerifyStatus.NotListed;
}

/// <summary>
/// Checks a merge output directory against its summary.json: every file it lists is there with the
/// checksum recorded for it (by the algorithm the value names), and, when asked, every input file
/// still has the checksum it was read with. What <c>xxh128sum -c</c> or <c>sha256sum -c</c> would do,
/// without building their list by hand, for either algorithm and on any system.
/// </summary>
public static class OutputVerifier
{
    /// <summary>
    /// The files' results in summary.json's order (outputs, then inputs and --not-in catalogues when <paramref name="inputs"/>),
    /// then the files every merge writes that its outputs leave out (failed: an empty list must not pass), then other
    /// files in the directory that summary.json does not list (noted); or an error for a directory without a readable
    /// summary.json. Files are read on up to <paramref name="threads"/> threads (0: every core).
    /// </summary>
    public static (IReadOnlyList<VerifyResult> Results, OutputError? Error) Verify(string dir, bool inputs, int threads = 0)
    {
        string summaryPath = Path.Combine(dir, "summary.json");
        var expected = new List<(string Name, string Path, bool Input, string Recorded)>();
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(summaryPath));
            var root = doc.RootElement;
            if (!root.TryGetProperty("outputs", out var outputs) || outputs.ValueKind != JsonValueKind.Object)
                return ([], new OutputError($"{summaryPath}: no \"outputs\" object: not a summary written by wdb merge"));
            foreach (var file in outputs.EnumerateObject())
            {
                // Names are plain file names: a summary that points elsewhere is not one wdb wrote.
                if (file.Name != Path.GetFileName(file.Name) || file.Name is "" or "." or "..")
                    return ([], new OutputError($"{summaryPath}: output '{file.Name}' is not a file name"));
                expected.Add((file.Name, Path.Combine(dir, file.Name), false, file.Value.GetString() ?? ""));
            }
            foreach (var (path, file) in inputs ? RecordedInputs(root) : [])
            {
                // "checksum" since XXH128 became the default; "sha256" before.
                string recorded = file.TryGetProperty("checksum", out var c) ? c.GetString() ?? ""
                                : file.TryGetProperty("sha256", out var s) ? s.GetString() ?? "" : "";
                expected.Add((path, path, true, recorded));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ([], new OutputError($"{summaryPath}: {e.Message} (is '{dir}' a directory written by wdb merge?)"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return ([], new OutputError($"{summaryPath}: not a summary written by wdb merge ({e.Message})"));
        }

        var results = new VerifyResult[expected.Count];
        Parallel.For(0, expected.Count, Threads.Options(threads), i =>
        {
            var (name, path, input, recorded) = expected[i];
            results[i] = Check(name, path, input, recorded);
        });
        var listed = expected.Where(e => !e.Input).Select(e => e.Name).Append("summary.json").ToHashSet();
        var notListed = OutputWriter.FileNames.Where(n => !listed.Contains(n))
            .Select(n => new VerifyResult(n, false, VerifyStatus.NotListed, "not listed in summary.json's outputs"));
        var unlisted = Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName)
            .Where(n => !listed.Contains(n!) && !OutputWriter.FileNames.Contains(n)).Order(StringComparer.Ordinal)
            .Select(n => new VerifyResult(n!, false, VerifyStatus.Unlisted, "not listed in summary.json"));
        return ([.. results, .. notListed, .. unlisted], null);
    }

    /// <summary>
    /// The files a merge read, as summary.json records them: its inputs, and the catalogues of --not-in and --associate
    /// (they decided which rows were merged, and scores); each path as it was given, with its entry.
    /// </summary>
    internal static IEnumerable<(string Path, JsonElement File)> RecordedInputs(JsonElement root)
    {
        foreach (string list in (string[])["inputs", "not_in", "associate"])
        {
            if (!root.TryGetProperty(list, out var files) || files.ValueKind != JsonValueKind.Array) continue;
            foreach (var file in files.EnumerateArray())
                yield return (file.GetProperty("path").GetString() ?? "", file);
        }
    }

    private static VerifyResult Check(string name, string path, bool input, string recorded)
    {
        if (input && InputPaths.NotReadableAgain(path) is string why) return new(name, input, VerifyStatus.NotChecked, why);
        if (!Checksums.TryParseValue(recorded, out var algorithm, out string hex))
            return new(name, input, VerifyStatus.Unreadable, $"summary.json records '{recorded}', not a checksum");
        if (!File.Exists(path)) return new(name, input, VerifyStatus.Missing, MissingSaid(path, input));
        string actual;
        try { actual = Of(path, algorithm); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new(name, input, VerifyStatus.Unreadable, e.Message);
        }
        // Compared in the form written now, so a bare SHA-256 of an older summary compares too.
        return actual == algorithm.Name() + ":" + hex
            ? new(name, input, VerifyStatus.Ok)
            : new(name, input, VerifyStatus.Differs, $"recorded {recorded}, file has {actual}");
    }

    /// <summary>
    /// Why a file is missing, in words that send the user to the likely cause: an input recorded as given on the merge's
    /// command line, relative, is looked for from where verify runs, which is not where the merge ran when every input is
    /// "missing".
    /// </summary>
    private static string MissingSaid(string path, bool input) =>
        input && !Path.IsPathRooted(path)
            ? $"no such file in {Directory.GetCurrentDirectory()}: summary.json records the path as the merge was given it, relative to where the merge ran; run verify from there"
            : "no such file";

    /// <summary>The checksum of a whole file (<c>NAME:HEX</c>), read as the reader checksums its inputs.</summary>
    public static string Of(string path, ChecksumAlgorithm algorithm)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        using var hashing = new Readers.HashingStream(file, algorithm);
        return hashing.Finish().Checksum;
    }
}
