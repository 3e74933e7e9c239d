using System.Diagnostics;
using Wdb.Core;

namespace Wdb.IO;

/// <summary>One input file read as the merge reads it: its accounting, rejects, checksum or error, and the read's wall time.</summary>
public sealed record InputCheckResult(FileReadResult Read, double Seconds);

/// <summary>
/// Reads input tables exactly as the merge does (formats, profiles, rejects, checksums, strict mode)
/// without keeping their rows: blocks of <see cref="BlockRows"/> rows are decoded and dropped, so
/// memory does not grow with the input. What `wdb validate` runs: checking files before a long
/// merge, and timing the parse alone. Every file is read, whatever an earlier one gave.
/// </summary>
public static class InputCheck
{
    /// <summary>Rows decoded before a block is dropped (a few MB of columns).</summary>
    public const int BlockRows = 1 << 16;

    /// <param name="filesAtOnce">Files read at once (<see cref="FilesAtOnce.Resolve"/>: 0 for the default); results come in file order.</param>
    /// <param name="onFile">Each file's result as soon as it and every file before it are read (the caller's thread, file order).</param>
    public static IReadOnlyList<InputCheckResult> Run(IReadOnlyList<string> inputs, ReadOptions options, int filesAtOnce = 1,
        Action<InputCheckResult>? onFile = null)
    {
        int atOnce = FilesAtOnce.Resolve(filesAtOnce, inputs, options.Threads);
        var perFile = FilesAtOnce.PerFile(options, atOnce);
        var results = new List<InputCheckResult>(inputs.Count);
        FilesAtOnce.Run(inputs.Count, atOnce, (f, ct) =>
        {
            var clock = Stopwatch.StartNew();
            var read = ExtractionReader.ReadBlocks(inputs[f], f, perFile, BlockRows, static _ => { }, ct);
            return new InputCheckResult(read, clock.Elapsed.TotalSeconds);
        }, (_, result) =>
        {
            results.Add(result);
            onFile?.Invoke(result);
            return true;
        });
        return results;
    }

    /// <summary>
    /// The rejects as the merge's rejects.csv (file,line,column,reason,cntr,detail), written whole or not at all as an
    /// export is (<see cref="AtomicFile"/>): a link is written through, a FIFO or device (/dev/stdout) straight into,
    /// and an error names the path given, not the temporary one. Null when written.
    /// </summary>
    public static OutputError? WriteRejects(string path, IEnumerable<RejectRecord> rejects) =>
        AtomicFile.Write(path, "cannot write the rejects", fs => fs.Write(OutputWriter.RejectsCsv(rejects.ToList())));
}
