using Wdb.Core;

namespace Wdb.IO;

/// <summary>Everything one merge run writes (SPEC §5), handed to <see cref="OutputWriter.Write(string, MergeOutputs)"/>.</summary>
public sealed class MergeOutputs
{
    /// <summary>The merged rows.</summary>
    public required ExtractionBlock Block;
    /// <summary>Per row of <see cref="Block"/>: candidate group, final group, separation, reliability.</summary>
    public required ExtractionResults Results;
    /// <summary>One record per final group, in the order of <see cref="Membership.Gcntr"/> (ascending gcntr).</summary>
    public required GroupTable Groups;
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
}

/// <summary>An output that could not be written or read (unwritable path, disk full, missing file): one line for the user.</summary>
public sealed record OutputError(string Message)
{
    public override string ToString() => Message;
}
