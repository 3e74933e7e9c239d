using System.IO.Compression;
using Wdb.Core;
using Wdb.IO.Readers;

namespace Wdb.IO;

/// <summary>
/// Reads one input table (IPAC, IRSA bulk, optionally gzipped, or CSV) into an
/// <see cref="ExtractionBlock"/>. Bad rows become <see cref="RejectRecord"/>s with line and
/// column; bad files become <see cref="FileReadResult.Error"/>. Never throws for bad input.
/// </summary>
public static class ExtractionReader
{
    /// <summary>Appends accepted rows to <paramref name="into"/> (FileIndex = <paramref name="fileIndex"/>, Line = 1-based line).</summary>
    public static FileReadResult Read(string path, int fileIndex, ReadOptions options, ExtractionBlock into) =>
        // Every read below completes synchronously (HashingStream), so this does not block a thread on I/O.
        ReadAsync(path, fileIndex, options, into).GetAwaiter().GetResult();

    /// <inheritdoc cref="Read"/>
    public static Task<FileReadResult> ReadAsync(string path, int fileIndex, ReadOptions options,
        ExtractionBlock into, CancellationToken ct = default) =>
        ReadAsync(path, fileIndex, options, into, ReaderTuning.For(options), ct);

    /// <summary>As <see cref="Read(string, int, ReadOptions, ExtractionBlock)"/> with chosen chunking (tests).</summary>
    internal static FileReadResult Read(string path, int fileIndex, ReadOptions options, ExtractionBlock into, ReaderTuning tuning) =>
        ReadAsync(path, fileIndex, options, into, tuning, default).GetAwaiter().GetResult();

    /// <summary>
    /// Reads the file in blocks, for inputs larger than memory (the first step of the streaming
    /// merge, docs/streaming.md): rows are handed to <paramref name="onBlock"/> in file order,
    /// at least <paramref name="rowsPerBlock"/> at a time (more by up to one decoded chunk; the
    /// last block fewer), and the block is emptied and reused after each call, so the caller
    /// copies what it keeps. Rows, lines, rejects, counts, error and checksum are those of
    /// <see cref="Read(string, int, ReadOptions, ExtractionBlock)"/>.
    /// </summary>
    /// <remarks>
    /// <paramref name="ct"/> abandons the read: <see cref="OperationCanceledException"/> comes out
    /// (between chunks, or from <paramref name="onBlock"/> itself), and the rest of the file is not
    /// read, not even for its checksum.
    /// </remarks>
    public static FileReadResult ReadBlocks(string path, int fileIndex, ReadOptions options, int rowsPerBlock,
        Action<ExtractionBlock> onBlock, CancellationToken ct = default) =>
        ReadBlocks(path, fileIndex, options, rowsPerBlock, onBlock, ReaderTuning.For(options), ct);

    /// <summary>As <see cref="ReadBlocks(string, int, ReadOptions, int, Action{ExtractionBlock}, CancellationToken)"/> with chosen chunking (tests).</summary>
    internal static FileReadResult ReadBlocks(string path, int fileIndex, ReadOptions options, int rowsPerBlock,
        Action<ExtractionBlock> onBlock, ReaderTuning tuning, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerBlock, 1);
        // Small at first, grown as rows come (by doubling, once per file): a block of rowsPerBlock for
        // every input cost ~130 MB of zeroed memory per file, however short (40 parts: read 1.28 s, NOTES 55).
        var block = new ExtractionBlock(Math.Min(rowsPerBlock, 1 << 16) + 1024);
        var result = ReadAsync(path, fileIndex, options, block, tuning, ct, (onBlock, rowsPerBlock)).GetAwaiter().GetResult();
        if (block.Count > 0) onBlock(block);
        return result;
    }

    private static async Task<FileReadResult> ReadAsync(string path, int fileIndex, ReadOptions options,
        ExtractionBlock into, ReaderTuning tuning, CancellationToken ct, (Action<ExtractionBlock> OnBlock, int Rows)? blocks = null)
    {
        var result = new FileReadResult { Path = path, Format = options.Format };
        SchemaProfile? profile = null;
        if (options.Profile is { } name)
        {
            profile = SchemaProfiles.Find(name);
            if (profile is null)
                result.Error = new InputError(path, 0, 0, $"unknown profile '{name}' (known: {string.Join(", ", SchemaProfiles.Names)})");
        }

        Stream file;
        try
        {
            file = path == InputPaths.StandardInput
                ? Console.OpenStandardInput()
                : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // As merge says it before reading: the runtime's words name the full path and differ by system.
            result.Error ??= new InputError(path, 0, 0, e is FileNotFoundException or DirectoryNotFoundException
                ? InputPaths.NoSuchFile(path) : $"cannot open: {OutputError.ReasonOf(e, path)}");
            return result;
        }

        await using (file.ConfigureAwait(false))
        {
            var hashing = new HashingStream(file, options.Checksum);
            bool cancelled = false;
            try
            {
                if (result.Error is null) await ParseAsync(hashing, result, profile, fileIndex, options, into, tuning, blocks, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                result.Error ??= new InputError(path, 0, 0, $"unreadable input ({e.GetType().Name}): {(e is IOException ? OutputError.ReasonOf(e, path) : e.Message)}");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                cancelled = true;
                throw;
            }
            finally
            {
                if (cancelled) hashing.Abandon();
                else
                {
                    try { (result.Checksum, result.Bytes) = hashing.Finish(); }
                    catch (IOException e) { result.Error ??= new InputError(path, 0, 0, $"read failed: {OutputError.ReasonOf(e, path)}"); }
                }
            }
        }
        return result;
    }

    private static async Task ParseAsync(HashingStream hashing, FileReadResult result, SchemaProfile? profile,
        int fileIndex, ReadOptions options, ExtractionBlock into, ReaderTuning tuning,
        (Action<ExtractionBlock> OnBlock, int Rows)? blocks, CancellationToken ct)
    {
        var byName = FromExtension(result.Path, out bool gzName);
        var format = options.Format == InputFormat.Auto ? byName : options.Format;
        bool gzData = hashing.Peek(2) is [0x1f, 0x8b];
        if (gzName && !gzData)
        {
            result.Error = new InputError(result.Path, 0, 0, "named .gz but is not gzip data");
            return;
        }

        var decoder = new RowDecoder(into, fileIndex, result, options.Strict) { RowByRow = tuning.RowByRow, Kind = options.Kind };
        if (blocks is { } b) decoder.HandBlocksTo(b.OnBlock, b.Rows);
        FormatSink sink = format switch
        {
            InputFormat.Ipac => new IpacSink(decoder),
            InputFormat.Csv => new CsvSink(decoder),
            InputFormat.Bulk => new BulkSink(decoder, profile),
            _ => new SniffSink(decoder, profile),
        };
        result.Format = sink.Format;

        // The hashing stream outlives the parse: Finish() still has to read the rest of the file.
        GZipStream? gzip = gzData ? new GZipStream(hashing, CompressionMode.Decompress, leaveOpen: true) : null;
        try
        {
            var pump = new LinePump(sink, tuning.ChunkBytes, tuning.Workers);
            try
            {
                await pump.RunAsync(gzip ?? (Stream)hashing, ct).ConfigureAwait(false);
            }
            catch (InvalidDataException) when (gzip is not null)
            {
                // .NET words every inflate failure (a bad block, a CRC-32 that does not match) as "unsupported
                // compression method", which sends the user looking for the wrong fault.
                result.Error ??= new InputError(result.Path, 0, 0,
                    $"gzip data is corrupt (a damaged compressed block or checksum within its first {hashing.Position:N0} bytes): " +
                    "the file was damaged in transfer or on disk. Check it with `gzip -t`");
                return;
            }
            result.TextBytes = pump.TotalBytes;
            if (pump.Failure is not null) result.Error ??= new InputError(result.Path, pump.FailureLine, 1, pump.Failure);
            // The damage comes first: a table cut short or emptied by it (a header flag that hides the data in a
            // gzip "extra field") would otherwise be told as "no header row".
            if (gzip is not null && pump.ReachedEnd && !GzipTrailerMatches(hashing, pump.TotalBytes))
                result.Error = new InputError(result.Path, 0, 0,
                    "gzip data is truncated or corrupt, or holds several gzip members (files joined with cat, bgzip), which wdb does not " +
                    "read: its last trailer does not match the decompressed size. Check it with `gzip -t`; make one member with `zcat F | gzip > G`");
        }
        finally
        {
            gzip?.Dispose();
        }
        result.Format = sink.Format;
    }

    /// <summary>Format from the file name (a trailing .gz is looked through); Auto when the name does not say.</summary>
    public static InputFormat FromExtension(string path, out bool gzipped)
    {
        string name = System.IO.Path.GetFileName(path).ToLowerInvariant();
        gzipped = name.EndsWith(".gz", StringComparison.Ordinal);
        if (gzipped) name = name[..^3];
        return System.IO.Path.GetExtension(name) switch
        {
            ".tbl" or ".ipac" => InputFormat.Ipac,
            ".csv" => InputFormat.Csv,
            ".bulk" or ".txt" or ".dat" or ".psv" => InputFormat.Bulk,
            _ => InputFormat.Auto,
        };
    }

    /// <summary>
    /// .NET's GZipStream ends quietly on a truncated file, so the end is checked here: the
    /// last 4 bytes of a gzip file hold the decompressed size mod 2^32 (RFC 1952 ISIZE). Read
    /// to its end through the hashing stream (which <see cref="HashingStream.Finish"/> does anyway), so a pipe works too.
    /// </summary>
    private static bool GzipTrailerMatches(HashingStream hashing, long decompressed)
    {
        hashing.ReadToEnd();
        if (hashing.Position < 18) return false;   // 10-byte header + 8-byte trailer at least
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(hashing.LastBytes(4)) == (uint)decompressed;
    }
}

/// <summary>
/// How a read is cut up: bytes per chunk, and chunks decoded at once off the reading thread
/// (0: all on it; null: the pump's default, see <see cref="LinePump"/>); and whether plain data
/// rows may be decoded column by column (<see cref="RowDecoder.DecodeRows"/>) or only row by
/// row. Results do not depend on it; tests vary it to show that.
/// </summary>
internal readonly record struct ReaderTuning(int ChunkBytes, int? Workers, bool RowByRow = false)
{
    public static ReaderTuning Default => new(LinePump.DefaultChunkBytes, null);

    /// <summary>The default chunking, with as many decoding workers as <see cref="ReadOptions.Threads"/> allows.</summary>
    public static ReaderTuning For(ReadOptions options) => options.Threads switch
    {
        <= 0 => Default,
        1 => new(LinePump.DefaultChunkBytes, 0),
        int n => new(LinePump.DefaultChunkBytes, Math.Min(n, LinePump.MaxDefaultWorkers)),
    };
}
