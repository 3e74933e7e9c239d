using Wdb.Core;

namespace Wdb.IO;

/// <summary>Everything one merge run writes (SPEC §5), handed to <see cref="OutputWriter.Write(string, MergeOutputs)"/>.</summary>
public sealed class MergeOutputs
{
    /// <summary>The merged rows.</summary>
    public required ExtractionBlock Block;
    /// <summary>Per row of <see cref="Block"/>: candidate group, final group, separation, reliability.</summary>
    public required ExtractionResults Results;
    /// <summary>One record per final group, in the order of <see cref="Membership.Gcntr"/> (ascending gcntr); null when <see cref="GroupChunks"/> makes them.</summary>
    public GroupTable? Groups;
    /// <summary>The groups made chunk by chunk as groups.fb is written, instead of <see cref="Groups"/> (the in-memory merge's: the whole table never exists).</summary>
    public GroupChunks? GroupChunks;
    /// <summary>Rows of <see cref="Block"/> per group.</summary>
    public required Membership Membership;
    /// <summary>Rows removed by pre-merge filters; null when none.</summary>
    public ExtractionBlock? Filtered;
    /// <summary>Why each row of <see cref="Filtered"/> was removed.</summary>
    public RejectReason[]? FilteredReasons;
    /// <summary>Unreadable input rows (file, line, column, reason), written to rejects.csv.</summary>
    public IReadOnlyList<RejectRecord> Rejects = Array.Empty<RejectRecord>();
    /// <summary>Written last as summary.json; its <see cref="RunSummary.Outputs"/> is filled by the writer.</summary>
    public required RunSummary Summary;
    /// <summary>Threads that encode the tables (0: every core).</summary>
    public int Threads;
    /// <summary>The checksum of every file written, for <see cref="RunSummary.Outputs"/>.</summary>
    public ChecksumAlgorithm Checksum;
}

/// <summary>
/// Groups whose statistics are computed as groups.fb is encoded, a few chunks at a time, into a small
/// <see cref="GroupTable"/>: a 10 M-row survey's table is ~1.7 GB that would otherwise be written once and
/// read once (bench/NOTES.md 65). groups.fb is then written before the other tables, which read what
/// computing the groups left in <see cref="MergeOutputs.Results"/>.
/// </summary>
public sealed class GroupChunks
{
    /// <summary>
    /// Fills every field of rows 0.. of the table given with groups [start, end) of the membership, and
    /// the results of their member rows. Called for one range at a time, in order (a few chunks' worth:
    /// it may use every core).
    /// </summary>
    public required Action<int, int, GroupTable> Compute;
    /// <summary>
    /// The same for one chunk's groups, on the calling thread alone; called from several threads at once for
    /// disjoint ranges, in any order. When given, a wave of groups.fb's chunks whose groups are small is
    /// computed chunk by chunk, each by the worker that encodes it (<see cref="ChunkComputeMaxRows"/>).
    /// </summary>
    public Action<int, int, GroupTable>? ComputeChunk;
    /// <summary>
    /// Member rows per chunk, on average over a wave, up to which <see cref="ComputeChunk"/> is used; above it
    /// the wave goes to <see cref="Compute"/>. Tests set 0 (never) or <see cref="int.MaxValue"/> (always).
    /// </summary>
    internal int ChunkComputeMaxRows { get; init; } = TableEncoders.ChunkComputeMaxRows;
    /// <summary>Called once every group is computed and groups.fb written, before the other tables start.</summary>
    public Action? Computed;
}

/// <summary>An output that could not be written or read (unwritable path, disk full, missing file): one line for the user.</summary>
/// <param name="Published">
/// The output is complete and in place; only the previous one, swapped out, could not be deleted (a file of it still
/// open over NFS): <paramref name="Message"/> says where it was left. A warning, not a failure.
/// </param>
/// <param name="Busy">
/// Another live run holds the output (<see cref="OutputClaim"/>): nothing was done, and the verb exits 3, as a merge
/// refused so does.
/// </param>
/// <param name="Unwritable">
/// The output could not be written where it was named (disk full, no permission, a file or foreign directory in its
/// place): exit 3, as a merge's. False for bad options and unreadable inputs, exit 2.
/// </param>
public sealed record OutputError(string Message, bool Published = false, bool Busy = false, bool Unwritable = false)
{
    /// <summary>An output that could not be written (exit 3): <paramref name="message"/> says which and why.</summary>
    public static OutputError Unwritten(string message) => new(message, Unwritable: true);

    public override string ToString() => Message;

    /// <summary>
    /// The system's words for a failed read or write, on one line. A closed descriptor (`>&amp;-`) comes from .NET as
    /// "access denied" around the system's "Bad file descriptor": the inner message is the one to say.
    /// </summary>
    public static string ReasonOf(Exception e) =>
        (e is UnauthorizedAccessException { InnerException: IOException io } ? io.Message : e.Message).ReplaceLineEndings(" ");

    /// <summary>
    /// <see cref="ReasonOf(Exception)"/> without the tail " : '/full/path'" .NET puts on a file's error where that path is
    /// one of <paramref name="named"/> or lies in one: the message names it already, in the user's words, or it lay in a
    /// spill removed before the user reads it. A tail naming any other file stays: it says which file failed.
    /// </summary>
    public static string ReasonOf(Exception e, params string[] named)
    {
        string reason = ReasonOf(e);
        int at = reason.LastIndexOf(" : '", StringComparison.Ordinal);
        if (at < 0 || !reason.EndsWith('\'')) return reason;
        string tail = reason[(at + 4)..^1];
        foreach (string path in named)
        {
            string full;
            try { full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)).ReplaceLineEndings(" "); }
            catch (Exception bad) when (bad is ArgumentException or NotSupportedException or PathTooLongException) { continue; }
            if (tail == full || tail.StartsWith(full + Path.DirectorySeparatorChar, StringComparison.Ordinal)) return reason[..at];
        }
        return reason;
    }

    /// <summary>
    /// <see cref="ReasonOf(Exception, string[])"/> of the error a wrapped one (a spill file's, named) began as: the system's
    /// own reason, for a message that names the place itself.
    /// </summary>
    public static string SystemReasonOf(Exception e, params string[] named) => ReasonOf(Innermost(e), named);

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is IOException or UnauthorizedAccessException) e = e.InnerException;
        return e;
    }
}
