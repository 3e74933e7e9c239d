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

    public static IReadOnlyList<InputCheckResult> Run(IReadOnlyList<string> inputs, ReadOptions options)
    {
        var results = new List<InputCheckResult>(inputs.Count);
        for (int f = 0; f < inputs.Count; f++)
        {
            var clock = Stopwatch.StartNew();
            var read = ExtractionReader.ReadBlocks(inputs[f], f, options, BlockRows, static _ => { });
            results.Add(new InputCheckResult(read, clock.Elapsed.TotalSeconds));
        }
        return results;
    }

    /// <summary>
    /// The rejects as the merge's rejects.csv (file,line,column,reason,cntr,detail), written under a
    /// temporary name beside <paramref name="path"/> and renamed over it only when complete.
    /// </summary>
    public static void WriteRejects(string path, IEnumerable<RejectRecord> rejects)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                fs.Write(OutputWriter.RejectsCsv(rejects.ToList()));
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
