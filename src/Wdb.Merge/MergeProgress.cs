using Wdb.IO;

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

/// <summary>How a progress display writes times.</summary>
public static class ProgressClock
{
    /// <summary>
    /// <c>mm:ss</c>, or <c>h:mm:ss</c> from an hour on: a full-sky remerge runs for hours, where minutes and
    /// seconds alone would wrap round every hour.
    /// </summary>
    public static string Of(TimeSpan t) => Of(t.TotalSeconds);

    /// <summary>
    /// As <see cref="Of(TimeSpan)"/>, from seconds that may be anything a rate gives (an ETA from a first
    /// slow second): past 999 hours it says so rather than overflow a <see cref="TimeSpan"/>.
    /// </summary>
    public static string Of(double seconds)
    {
        if (!(seconds > 0)) return "00:00";
        if (seconds >= 999 * 3600.0) return ">999:00:00";
        long whole = (long)seconds;
        long h = whole / 3600, m = whole / 60 % 60, s = whole % 60;
        return h > 0 ? $"{h}:{m:00}:{s:00}" : $"{m:00}:{s:00}";
    }
}

/// <summary>Row-count estimates for progress, from a sample of a file's head.</summary>
public static class RowEstimate
{
    /// <summary>
    /// Rows expected in <paramref name="path"/>: its size times the newlines per stored byte of its
    /// first MiB of text (for a gzipped file, per stored byte that MiB took); a file shorter than
    /// that is counted. 0 when unknown (unreadable files, a .gz that is not gzip data, pipes) or empty.
    /// </summary>
    public static long Of(string path)
    {
        try
        {
            // A pipe's head, read here, would be gone for the merge: unknown, 0. A named FIFO (size 0) is not even
            // opened (its writer could meet no reader between this open and the merge's); a pipe reached through a
            // link (`/dev/stdin`, `<(zcat ...)`, which the process holds open) is opened and found not seekable.
            if (path == InputPaths.StandardInput || new FileInfo(path).Length == 0) return 0;
            using var file = File.OpenRead(path);
            if (!file.CanSeek) return 0;
            var head = new byte[1 << 20];
            var (read, taken) = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? InflateHead(file, head) : ReadHead(file, head);
            if (read == 0 || taken == 0) return 0;
            long lines = head.AsSpan(0, read).Count((byte)'\n');
            if (read < head.Length) return Math.Max(lines, 1);   // the whole text
            return lines == 0 ? 1 : (long)((double)file.Length * lines / taken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Whether <paramref name="path"/> is a pipe that can be opened without harm: `-` (standard input, taken for one),
    /// `/dev/stdin` or `<(...)` (links to an open pipe). A named FIFO (size 0, not a link) is never opened here and
    /// counts as not.
    /// </summary>
    public static bool IsPipe(string path)
    {
        if (path == InputPaths.StandardInput) return true;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || (info.Length == 0 && info.LinkTarget is null)) return false;
            using var file = File.OpenRead(path);
            return !file.CanSeek;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The head as stored: (bytes of text, bytes of the file they took).</summary>
    private static (int Read, long Taken) ReadHead(FileStream file, byte[] head)
    {
        int read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return (read, read);
    }

    /// <summary>
    /// IRSA's tables come gzipped, and without an estimate a long read showed no ETA. The stored bytes
    /// the sample took are counted as the inflater reads them, in blocks of a few KiB, so the count runs
    /// up to one block ahead: without the last block it is a lower bound, and the estimate errs high
    /// (the in-memory merge reserves the table by it: erring low would double the table's arrays near
    /// the end).
    /// </summary>
    private static (int Read, long Taken) InflateHead(FileStream file, byte[] head)
    {
        var counted = new CountingStream(file);
        using var gzip = new System.IO.Compression.GZipStream(counted, System.IO.Compression.CompressionMode.Decompress);
        int read = gzip.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return (read, counted.Bytes - counted.LastRead > 0 ? counted.Bytes - counted.LastRead : counted.Bytes);
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
