using Wdb.Core;

namespace Wdb.IO;

/// <summary>Input table format. <see cref="Auto"/> decides from the extension (after a
/// trailing .gz), then from the first non-blank line.</summary>
public enum InputFormat { Auto, Ipac, Bulk, Csv }

public static class InputFormats
{
    /// <summary>
    /// The format's name as summary.json and `wdb validate` write it. A switch, not Enum.ToString: the
    /// enum's name table is built by reflection on first use, jitted at every start (bench/NOTES.md 86).
    /// </summary>
    public static string Name(this InputFormat format) => format switch
    {
        InputFormat.Ipac => "ipac",
        InputFormat.Bulk => "bulk",
        InputFormat.Csv => "csv",
        _ => "auto",
    };
}

/// <param name="Profile">Bulk column order (see <see cref="SchemaProfiles"/>); null = by the first line's field count.</param>
/// <param name="Strict">The first bad row becomes a fatal <see cref="FileReadResult.Error"/>.</param>
/// <param name="Threads">Threads that decode at once (1: the reading thread alone); 0: one per core, up to 8.</param>
/// <param name="Checksum">The checksum taken of the file as stored (<see cref="FileReadResult.Checksum"/>).</param>
/// <param name="Kind">A working database (every column), or an external catalogue (<see cref="TableKind"/>).</param>
public sealed record ReadOptions(string? Profile = null, InputFormat Format = InputFormat.Auto, bool Strict = false, int Threads = 0,
    ChecksumAlgorithm Checksum = ChecksumAlgorithm.Xxh128, TableKind Kind = TableKind.Extractions);

/// <summary>What a table is read as, which says the columns it must have and the columns read from it.</summary>
public enum TableKind
{
    /// <summary>A working database: `cntr`, `ra`, `dec` and a scan id required, every known column read.</summary>
    Extractions,
    /// <summary>
    /// An external catalogue (`wdb associate`): only `ra` and `dec` are required and read, with `cntr` when present
    /// (else 0: the row is known by its file and line).
    /// </summary>
    CataloguePositions,
    /// <summary>
    /// A released catalogue whose rows came from scans (the PSC and XSC for `--not-in`): as
    /// <see cref="CataloguePositions"/>, and a scan id required (`scan_key`, or `hemis`, `date` and `scan`).
    /// </summary>
    CataloguePositionsAndScans,
}

/// <summary>What reading one input file did: accounting, rejects, checksum, or a fatal error.</summary>
public sealed class FileReadResult
{
    public required string Path;
    public InputFormat Format;
    /// <summary>The bulk profile used (given or detected); null for IPAC and CSV.</summary>
    public string? Profile;
    /// <summary>
    /// Its scan ids are survey (hemis, date, scan) triples packed by <see cref="Wdb.Core.ScanKeys.FromSurvey"/>, not `scan_key`
    /// values: a run that mixes the two kinds checks that no id is of both (they would be taken for one scan).
    /// </summary>
    public bool SurveyScanIds;
    /// <summary>An extended-source table (<see cref="ColumnMap.ExtendedSources"/>): a merge given no radius links it within 5".</summary>
    public bool ExtendedSources;
    /// <summary>
    /// Data rows seen: every non-blank line but a header's (IPAC's '\' lines and a CSV's '#' lines before its
    /// header are the header's); a '#' line among CSV rows or in a bulk file is a row, rejected.
    /// </summary>
    public long RowsRead;
    /// <summary>Rows appended to the block. RowsRead == RowsAccepted + Rejects.Count always.</summary>
    public long RowsAccepted;
    public List<RejectRecord> Rejects = new();
    /// <summary>Checksum (<c>NAME:HEX</c>, <see cref="Checksums.Format"/>) and size of the file as stored (compressed bytes for .gz).</summary>
    public string Checksum = "";
    public long Bytes;
    /// <summary>Bytes of text read: the file's size, or its decompressed size for .gz (up to where a fatal error stopped the read).</summary>
    public long TextBytes;
    /// <summary>
    /// IPAC headers among the rows that repeat the first one (tables joined with `cat`), skipped; the line of the first
    /// of them, and the line of the first header they repeat.
    /// </summary>
    public long RepeatedHeaders, FirstRepeatedHeaderLine, HeaderLine;

    /// <summary>
    /// What to say of <see cref="RepeatedHeaders"/> (null for none): the file is read as one table, its rows under the
    /// first header's columns, which is right only if the tables joined were meant to be one.
    /// </summary>
    public string? RepeatedHeadersSaid() => RepeatedHeaders == 0 ? null :
        $"{Shown.Path(Path)}: {RepeatedHeaders:N0} more IPAC header{(RepeatedHeaders == 1 ? "" : "s")} among the rows, the first on line " +
        $"{FirstRepeatedHeaderLine:N0}, the same as the header on line {HeaderLine:N0} (tables joined with cat): skipped, and their rows read as the first table's";
    /// <summary>Fatal problem: bad header, unknown profile, missing required column, strict-mode bad row, unreadable file.</summary>
    public InputError? Error;
}
