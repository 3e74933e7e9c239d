using System.IO.Compression;
using Wdb.Core;

namespace Wdb.IO;

/// <summary>Text table layouts the writer produces.</summary>
public enum TableTextFormat
{
    /// <summary>Comma-separated, one header line, empty field = null.</summary>
    Csv,
    /// <summary>IPAC Table: four `|` header lines (name, type, unit, null), fixed-width data, `null` = null.</summary>
    Ipac,
    /// <summary>IRSA bulk: `|`-separated, no header, `\N` = null, columns in the `wdb` profile order.</summary>
    Bulk,
}

/// <summary>
/// Writes extraction blocks as text tables, atomically (<see cref="AtomicFile"/>: a temporary file beside the target,
/// renamed over it when complete). Format by extension: `.csv`, `.tbl` or `.ipac` (IPAC), `.bulk`,
/// `.psv`, `.txt` (bulk); any of them may end in `.gz` for gzip. Columns, in this order,
/// are the `wdb` bulk profile (<see cref="WdbColumns"/>); CSV and IPAC add the synthetic
/// truth columns (<see cref="TruthColumns"/>) when a <see cref="SyntheticTruth"/> is given.
/// Doubles and floats are written in their shortest round-trip form (invariant culture), so a
/// correct reader gets the same bits back; NaN, and `cntr`/`ndet` absent values, are nulls.
/// </summary>
public static class TableTextWriter
{
    /// <summary>The `wdb` profile: the bulk column order, and the CSV/IPAC header names.</summary>
    public static readonly IReadOnlyList<string> WdbColumns =
    [
        "cntr", "scan_key", "ra", "dec", "err_maj", "err_min", "err_ang", "jdate",
        "j_m", "j_msigcom", "j_snr", "h_m", "h_msigcom", "h_snr", "k_m", "k_msigcom", "k_snr",
        "ph_qual", "rd_flg", "bl_flg", "cc_flg", "ndet", "truth",
    ];

    /// <summary>Extra CSV/IPAC columns from <see cref="SyntheticTruth"/>: mas/yr, mas/yr, mag.</summary>
    public static readonly IReadOnlyList<string> TruthColumns = ["truth_pm_ra", "truth_pm_dec", "truth_var_amp"];

    /// <summary>The format and compression a path's extension asks for; null when unknown.</summary>
    public static (TableTextFormat Format, bool Gzip)? FormatOf(string path)
    {
        string name = Path.GetFileName(path).ToLowerInvariant();
        bool gz = name.EndsWith(".gz", StringComparison.Ordinal);
        if (gz) name = name[..^3];
        string ext = Path.GetExtension(name);
        return ext switch
        {
            ".csv" => (TableTextFormat.Csv, gz),
            // .ipac too: the readers take it as IPAC, and a table gen wrote under the input's own name was refused.
            ".tbl" or ".ipac" => (TableTextFormat.Ipac, gz),
            ".bulk" or ".psv" or ".txt" => (TableTextFormat.Bulk, gz),
            _ => null,
        };
    }

    public static void Write(ExtractionBlock block, string path) => Write(block, null, path);

    public static void Write(ExtractionBlock block, SyntheticTruth? truth, string path) =>
        Write([(block, truth)], path);

    /// <summary><see cref="WriteFile"/>, its error thrown: for callers (tests, evaluate's scratch input) that write where they know they can.</summary>
    /// <exception cref="IOException">The table could not be written.</exception>
    public static void Write(IEnumerable<(ExtractionBlock Block, SyntheticTruth? Truth)> chunks, string path)
    {
        if (WriteFile(chunks, path) is { } error) throw new IOException(error.Message);
    }

    /// <summary>
    /// Writes the chunks in order as one table, whole or not at all (<see cref="AtomicFile.Write"/>), making its directory
    /// when missing (`wdb gen --out example/survey.csv`, as run.sh's example does); a stream (/dev/stdout, a FIFO) is
    /// written straight into. Truth columns are present (CSV/IPAC) when the first chunk carries a truth; a later chunk
    /// without one writes nulls there. Null, or why the file could not be written.
    /// </summary>
    /// <exception cref="ArgumentException">The extension names no format this writer knows.</exception>
    public static OutputError? WriteFile(IEnumerable<(ExtractionBlock Block, SyntheticTruth? Truth)> chunks, string path)
    {
        var fmt = FormatOf(path) ?? throw new ArgumentException(
            $"unknown table extension in '{path}' (use .csv, .tbl, .ipac, .bulk, .psv or .txt, optionally .gz)", nameof(path));
        return AtomicFile.Write(path, $"cannot write '{Shown.Path(path)}'", file => WriteTable(chunks, file, fmt), makeParent: true);
    }

    private static void WriteTable(IEnumerable<(ExtractionBlock Block, SyntheticTruth? Truth)> chunks, Stream file,
        (TableTextFormat Format, bool Gzip) fmt)
    {
        Stream stream = fmt.Gzip ? new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true) : file;
        RowSink? sink = null;
        bool withTruth = false;
        MemoryStream[]? buffers = null;
        foreach (var (block, truth) in chunks)
        {
            if (sink == null)
            {
                withTruth = truth != null && fmt.Format != TableTextFormat.Bulk;
                sink = new RowSink(stream, fmt.Format, withTruth);
                sink.Header();
            }
            WriteBlock(sink, stream, fmt.Format, block, withTruth ? truth : null, withTruth, ref buffers);
        }
        if (sink == null) { sink = new RowSink(stream, fmt.Format, false); sink.Header(); }
        sink.Flush();
        if (fmt.Gzip) stream.Dispose();
    }

    private const int RowsPerPart = 1 << 13, RowsPerWindow = 1 << 19;

    /// <summary>
    /// Large blocks are formatted in parallel: each window of rows (bounding the extra memory
    /// to ~80 MB of text) is cut into slices formatted into their own buffers, which are then
    /// written in row order. Formatting numbers, not I/O, is the cost.
    /// </summary>
    private static void WriteBlock(RowSink sink, Stream stream, TableTextFormat format, ExtractionBlock b, SyntheticTruth? truth,
        bool truthColumns, ref MemoryStream[]? buffers)
    {
        if (b.Count < 2 * RowsPerPart || Environment.ProcessorCount == 1) { WriteRows(sink, b, truth, truthColumns, 0, b.Count); return; }
        sink.Flush();
        for (int start = 0; start < b.Count; start += RowsPerWindow)
        {
            int end = Math.Min(b.Count, start + RowsPerWindow), n = end - start;
            int parts = Math.Clamp(n / RowsPerPart, 1, Environment.ProcessorCount);
            // Reused across windows and blocks, so the text buffers are allocated once.
            if (buffers == null || buffers.Length < parts)
            {
                buffers = new MemoryStream[Environment.ProcessorCount];
                for (int p = 0; p < buffers.Length; p++) buffers[p] = new MemoryStream();
            }
            var bufs = buffers;
            Parallel.For(0, parts, p =>
            {
                int lo = start + (int)((long)n * p / parts), hi = start + (int)((long)n * (p + 1) / parts);
                bufs[p].SetLength(0);
                var part = new RowSink(bufs[p], format, truthColumns);
                WriteRows(part, b, truth, truthColumns, lo, hi);
                part.Flush();
            });
            for (int p = 0; p < parts; p++) bufs[p].WriteTo(stream);
        }
    }

    private static void WriteRows(RowSink s, ExtractionBlock b, SyntheticTruth? truth, bool truthColumns, int from, int to)
    {
        BandColumns j = b.Bands[0], h = b.Bands[1], k = b.Bands[2];
        for (int i = from; i < to; i++)
        {
            s.BeginRow();
            s.Long(b.Cntr[i]); s.Long(b.ScanKey[i]);
            s.Double(b.Ra[i]); s.Double(b.Dec[i]);
            s.Float(b.ErrMaj[i]); s.Float(b.ErrMin[i]); s.Float(b.ErrAng[i]);
            s.Double(b.JDate[i]);
            s.Float(j.Mag[i]); s.Float(j.Sig[i]); s.Float(j.Snr[i]);
            s.Float(h.Mag[i]); s.Float(h.Sig[i]); s.Float(h.Snr[i]);
            s.Float(k.Mag[i]); s.Float(k.Sig[i]); s.Float(k.Snr[i]);
            s.Flags(j.PhQual[i], h.PhQual[i], k.PhQual[i]);
            s.Flags(j.RdFlg[i], h.RdFlg[i], k.RdFlg[i]);
            s.Flags(j.BlFlg[i], h.BlFlg[i], k.BlFlg[i]);
            s.Flags(j.CcFlg[i], h.CcFlg[i], k.CcFlg[i]);
            s.Ndet(b.Ndet[i]);
            s.Long(b.Truth[i]);
            if (truthColumns)
            {
                if (truth != null && i < truth.Count) { s.Float(truth.PmRa[i]); s.Float(truth.PmDec[i]); s.Float(truth.VarAmp[i]); }
                else { s.Null(); s.Null(); s.Null(); }
            }
            s.EndRow();
        }
    }
}
