namespace Wdb.Core;

/// <summary>Why a row did not take part in the merge. Names are the keys of `rejects_by_reason`.</summary>
public enum RejectReason
{
    None = 0,
    UnparsableNumber,
    WrongColumnCount,
    MissingRequiredValue,
    NonFiniteCoordinate,
    DecOutOfRange,
    RaOutOfRange,
    DuplicateCntr,
    InvalidUtf8,
    TruncatedLine,
    // Pre-merge filters (SPEC §4): counted like rejects, but they are choices, not errors.
    FilteredLowSnr,
    FilteredArtifact,
    FilteredInCatalogue,
    FilteredLikelyArtifact,
    // Appended so the values written in extractions.fb before them keep their meaning.
    UnterminatedQuote,
    CommentLine,
    JdateOutOfRange,
    FlagTooLong,
}

public static class RejectReasons
{
    /// <summary>snake_case name used in summary.json and the rejects file.</summary>
    public static string Name(RejectReason r) => r switch
    {
        RejectReason.None => "none",
        RejectReason.UnparsableNumber => "unparsable_number",
        RejectReason.WrongColumnCount => "wrong_column_count",
        RejectReason.MissingRequiredValue => "missing_required_value",
        RejectReason.NonFiniteCoordinate => "non_finite_coordinate",
        RejectReason.DecOutOfRange => "dec_out_of_range",
        RejectReason.RaOutOfRange => "ra_out_of_range",
        RejectReason.DuplicateCntr => "duplicate_cntr",
        RejectReason.InvalidUtf8 => "invalid_utf8",
        RejectReason.TruncatedLine => "truncated_line",
        RejectReason.FilteredLowSnr => "filtered_low_snr",
        RejectReason.FilteredArtifact => "filtered_artifact",
        RejectReason.FilteredInCatalogue => "filtered_in_catalogue",
        RejectReason.FilteredLikelyArtifact => "filtered_likely_artifact",
        RejectReason.UnterminatedQuote => "unterminated_quote",
        RejectReason.CommentLine => "comment_line",
        RejectReason.JdateOutOfRange => "jdate_out_of_range",
        RejectReason.FlagTooLong => "flag_too_long",
        _ => r.ToString(),
    };
}

/// <summary>One rejected input row: where it was, why, and the text (truncated) for the rejects file.</summary>
/// <param name="File">Input path as given.</param>
/// <param name="Line">1-based line number.</param>
/// <param name="Column">1-based column (character) where the problem starts; 1 when the whole row.</param>
/// <param name="Cntr">The row's cntr when it could be read; null otherwise.</param>
public sealed record RejectRecord(string File, long Line, int Column, RejectReason Reason, string Detail, long? Cntr = null)
{
    public override string ToString() => $"{Shown.Path(File)}:{Line}:{Column}: {RejectReasons.Name(Reason)}: {Detail}";
}

/// <summary>
/// A fatal input problem (bad header, unknown profile, missing required column, or any bad
/// row under --strict): the run stops with exit code 2 and writes nothing.
/// </summary>
public sealed record InputError(string File, long Line, int Column, string Message)
{
    public override string ToString() => Line > 0 ? $"{Shown.Path(File)}:{Line}:{Column}: {Message}" : $"{Shown.Path(File)}: {Message}";
}
