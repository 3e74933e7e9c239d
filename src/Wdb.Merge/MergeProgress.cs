namespace Wdb.Merge;

/// <summary>
/// What a long merge tells its watcher: the stage it is in and, where it can count them,
/// the rows done so far and how many it expects. <see cref="MergeJob"/> calls it on its own
/// thread; a display polls <paramref name="rowsDone"/> on a timer of its own.
/// </summary>
public interface IMergeProgress
{
    /// <param name="rowsDone">Rows done so far in this stage, or null when not countable.</param>
    /// <param name="rowsExpected">An estimate of the stage's total rows; 0 when unknown.</param>
    void Stage(string name, Func<long>? rowsDone, long rowsExpected);

    /// <summary>The run is over (successfully or not): clear the display.</summary>
    void Done();
}

/// <summary>Row-count estimates for progress, from a sample of a file's head.</summary>
public static class RowEstimate
{
    /// <summary>
    /// Rows expected in <paramref name="path"/>: its size times the newline density of its
    /// first MiB; for a gzipped file, its stored size times the newlines per stored byte of its
    /// first MiB of text (what that took of the stored bytes). 0 when unknown (unreadable files).
    /// </summary>
    public static long Of(string path)
    {
        try
        {
            if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) return OfGzip(path);
            using var file = File.OpenRead(path);
            long length = file.Length;
            var buffer = new byte[1 << 20];
            int read = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (read == 0) return 0;
            int lines = buffer.AsSpan(0, read).Count((byte)'\n');
            return lines == 0 ? 1 : (long)((double)length * lines / read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>
    /// IRSA's tables come gzipped, and without an estimate a long read showed no ETA. The stored bytes
    /// the sample took are counted as the inflater reads them, in blocks of a few KiB, so the count runs
    /// up to one block ahead: without the last block it is a lower bound, and the estimate errs high
    /// (the in-memory merge reserves the table by it: erring low would double the table's arrays near
    /// the end). A file shorter than the sample is counted.
    /// </summary>
    private static long OfGzip(string path)
    {
        using var file = File.OpenRead(path);
        long length = file.Length;
        var counted = new CountingStream(file);
        using var gzip = new System.IO.Compression.GZipStream(counted, System.IO.Compression.CompressionMode.Decompress);
        var buffer = new byte[1 << 20];
        int read;
        try { read = gzip.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false); }
        catch (InvalidDataException) { return 0; }
        if (read == 0 || counted.Bytes == 0) return 0;
        long lines = buffer.AsSpan(0, read).Count((byte)'\n');
        if (read < buffer.Length) return Math.Max(lines, 1);   // the whole text
        long taken = counted.Bytes - counted.LastRead > 0 ? counted.Bytes - counted.LastRead : counted.Bytes;
        return lines == 0 ? 1 : (long)((double)length * lines / taken);
    }

    /// <summary>Reads through, counting the bytes read.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Bytes { get; private set; }
        public int LastRead { get; private set; }

        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            Bytes += n;
            LastRead = n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Bytes; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
