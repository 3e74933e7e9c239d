using System.Buffers;
using System.IO.Pipelines;

namespace Wdb.IO.Readers;

/// <summary>Receives the physical lines of a file, without their line terminator.</summary>
internal abstract class LineSink
{
    /// <summary>One line (1-based <paramref name="lineNo"/>); <paramref name="terminated"/> is false
    /// only for a last line that has no newline. Returns false to stop reading.</summary>
    public abstract bool OnLine(ReadOnlySpan<byte> line, long lineNo, bool terminated);

    /// <summary>
    /// Every line of <paramref name="text"/> (whole lines), numbered from <paramref name="before"/> + 1,
    /// to <see cref="OnLine"/> in order; false when a line asked to stop. A sink may take the lines
    /// of a chunk together instead, as long as it handles each as OnLine would.
    /// </summary>
    public virtual bool OnLines(ReadOnlySpan<byte> text, long before)
    {
        var lines = new LineCursor(text, before);
        while (lines.Next(out var line, out bool terminated))
            if (!OnLine(line, lines.LineNo, terminated)) return false;
        return true;
    }

    /// <summary>End of input (not called when a line asked to stop).</summary>
    public virtual void OnEnd(long lastLineNo) { }

    /// <summary>
    /// A sink of its own that takes the lines of <paramref name="chunk"/> on a worker thread
    /// exactly as this sink would have, or null when the chunk must come here (the header is
    /// not read yet, a record spans lines). Called on the reading thread, in file order.
    /// </summary>
    public virtual LineSink? Fork(ReadOnlySpan<byte> chunk) => null;

    /// <summary>
    /// Takes in the rows, rejects and counts of a finished fork, in file order: one join at a time, on a
    /// worker (never beside a line this sink takes itself), while the reading thread may be forking.
    /// </summary>
    public virtual void Join(LineSink fork) { }
}

/// <summary>
/// Splits a stream into lines with System.IO.Pipelines. The stream is cut at newlines into
/// chunks of about <see cref="DefaultChunkBytes"/>; a chunk the sink can fork (the header is
/// behind, no quoted record spans lines) is split and decoded on a worker while the next
/// chunks are read, and the forks are joined in file order, so rows, rejects and line
/// numbers are exactly those of a sequential read. Other chunks are split on the reading
/// thread, after every earlier chunk has been joined.
/// <para>
/// The joins (a fork's rows appended to the sink's block: a copy into fresh memory, about half
/// the reading thread's time when it did them) run on the workers, one after another in file
/// order: each fork's join follows its own decoding and the join before it. The reading thread
/// only reads, cuts and hands out chunks, and waits for joins where it must (too many chunks in
/// flight, a chunk it takes itself, the end).
/// </para>
/// </summary>
internal sealed class LinePump
{
    /// <summary>A line longer than this is not text (binary input): fatal, with a message.</summary>
    public const int MaxLineBytes = 64 << 20;

    /// <summary>
    /// About 7,000 rows of a WDB table: handing one to a worker and appending its rows costs
    /// tens of microseconds against ~5 ms of decoding. The first chunk (the header's) is read
    /// on one thread; 4 MiB chunks made the survey's read stage 0.44 s instead of 0.38 s
    /// (the 3.25 M tile: 1.51 s either way).
    /// </summary>
    public const int DefaultChunkBytes = 1 << 20;

    private const int SegmentBytes = 1 << 20;

    /// <summary>
    /// Workers by default at most: each decodes ~200 MB/s, and the reading thread's copies
    /// (stream to pipe to chunk, joins) run out at about this many; more would only hold more
    /// chunks and blocks in flight (two 1 MiB chunks and their rows per worker).
    /// </summary>
    public const int MaxDefaultWorkers = 8;

    private readonly LineSink _sink;
    private readonly int _chunkBytes;
    private readonly int _workers;
    private readonly Queue<InFlight> _inFlight = new();
    // The newest fork's join: true while every fork so far went on (a fork stops the read by returning false).
    private Task<bool> _lastJoin = Task.FromResult(true);
    private long _lineNo;
    private bool _stopped;

    /// <param name="workers">Chunks decoded at once off the reading thread; 0 decodes every line on it.
    /// Null: one per core up to <see cref="MaxDefaultWorkers"/>, none on a single core.</param>
    public LinePump(LineSink sink, int chunkBytes = DefaultChunkBytes, int? workers = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        _sink = sink;
        _chunkBytes = chunkBytes;
        _workers = workers ?? (Environment.ProcessorCount > 1 ? Math.Min(Environment.ProcessorCount, MaxDefaultWorkers) : 0);
    }

    /// <summary>Null when all lines were delivered (or the sink stopped); else the reason it could not go on.</summary>
    public string? Failure { get; private set; }

    /// <summary>The line <see cref="Failure"/> is about, so that its error can say where as file:line:column.</summary>
    public long FailureLine { get; private set; }

    /// <summary>Every byte of the stream was delivered (no stop, no failure).</summary>
    public bool ReachedEnd { get; private set; }

    /// <summary>Bytes of the (decompressed) stream consumed so far.</summary>
    public long TotalBytes { get; private set; }

    public async Task RunAsync(Stream stream, CancellationToken ct)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(
            bufferSize: SegmentBytes, minimumReadSize: SegmentBytes / 4, leaveOpen: true));
        try
        {
            while (true)
            {
                ReadResult rr = await reader.ReadAsync(ct).ConfigureAwait(false);
                var buffer = rr.Buffer;
                bool final = rr.IsCompleted;
                // Cut as many chunks as the buffer holds; a partial line waits for the next read.
                while (!buffer.IsEmpty && (final || buffer.Length >= _chunkBytes) && !_stopped)
                {
                    long cut = ChunkEnd(buffer, final);
                    if (cut < 0) (Failure, FailureLine) = (LongLine(buffer), _lineNo + 1);
                    if (cut <= 0) break;
                    byte[] chunk = ArrayPool<byte>.Shared.Rent(checked((int)cut));
                    buffer.Slice(0, cut).CopyTo(chunk);
                    buffer = buffer.Slice(cut);
                    TotalBytes += cut;
                    Deliver(chunk, (int)cut);
                }
                reader.AdvanceTo(buffer.Start, rr.Buffer.End);
                if (_stopped || Failure is not null) break;
                if (final) { ReachedEnd = true; break; }
            }
            if (!_stopped && Failure is null)
            {
                Drain();
                if (!_stopped) _sink.OnEnd(_lineNo);
                else ReachedEnd = false;
            }
        }
        finally
        {
            // Nothing may still be decoding or joining once the read returns. A join gives its chunk back
            // to the pool after the chunk's decoding ended; one that failed before that leaves it to the GC.
            while (_inFlight.TryDequeue(out var f))
            {
                try { f.Work.Wait(CancellationToken.None); } catch (AggregateException) { }
                try { f.Joined.Wait(CancellationToken.None); } catch (AggregateException) { }
            }
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>What a file whose lines end in CR alone is told (here, and by a sink that sees its first line hold one).</summary>
    internal const string CarriageReturnsOnly =
        "no line breaks but carriage returns (old Mac line endings): convert with tr '\\r' '\\n' < FILE > NEW (or mac2unix) first";

    /// <summary>Why no newline came within <see cref="MaxLineBytes"/>: CR line ends (old Mac), or no text.</summary>
    private string LongLine(in ReadOnlySequence<byte> buffer) =>
        buffer.Slice(0, Math.Min(buffer.Length, SegmentBytes)).PositionOf((byte)'\r') is null
            ? $"a line longer than {MaxLineBytes >> 20} MiB (no newline within it): not a text table"
            : $"a line longer than {MaxLineBytes >> 20} MiB: {CarriageReturnsOnly}";

    /// <summary>Hands the chunk's lines to a fork on a worker, or to the sink here after the chunks before it.</summary>
    private void Deliver(byte[] chunk, int length)
    {
        var text = chunk.AsSpan(0, length);
        long lines = text.Count((byte)'\n') + (text[^1] == (byte)'\n' ? 0 : 1);
        long before = _lineNo;
        _lineNo += lines;
        var fork = _workers > 0 ? _sink.Fork(text) : null;
        if (fork is null)
        {
            Drain();
            if (!_stopped && !_sink.OnLines(text, before)) _stopped = true;
            ArrayPool<byte>.Shared.Return(chunk);
            return;
        }
        while (_inFlight.Count >= 2 * _workers && !_stopped) WaitOldest();
        if (_stopped)
        {
            ArrayPool<byte>.Shared.Return(chunk);
            return;
        }
        var work = Task.Run(() => fork.OnLines(chunk.AsSpan(0, length), before));
        _lastJoin = JoinInOrder(_lastJoin, work, fork, chunk);
        _inFlight.Enqueue(new InFlight(work, _lastJoin));
    }

    private void Drain()
    {
        while (_inFlight.Count > 0) WaitOldest();
    }

    /// <summary>Waits for the oldest fork's join; once a fork stopped, the read stops.</summary>
    private void WaitOldest()
    {
        var f = _inFlight.Peek();
        bool goOn = f.Joined.GetAwaiter().GetResult();   // a bug in a worker or a join surfaces here
        _inFlight.Dequeue();
        if (!goOn) _stopped = true;
    }

    /// <summary>
    /// Joins a fork once it is decoded and the fork before it is joined, on whichever thread ends last
    /// (continuations of completed tasks run there). After a fork stopped, later ones are waited for and dropped.
    /// </summary>
    private async Task<bool> JoinInOrder(Task<bool> previous, Task<bool> work, LineSink fork, byte[] chunk)
    {
        bool goOn = await previous.ConfigureAwait(false);
        bool completed = await work.ConfigureAwait(false);
        ArrayPool<byte>.Shared.Return(chunk);
        if (!goOn) return false;
        _sink.Join(fork);
        return completed;
    }

    /// <summary>
    /// Where the next chunk ends: after the last newline within <see cref="_chunkBytes"/>, or
    /// after the first one beyond (a long line); the whole rest at the end of the stream; 0
    /// when no line is complete yet; -1 when a line runs past <see cref="MaxLineBytes"/>.
    /// </summary>
    private long ChunkEnd(in ReadOnlySequence<byte> buffer, bool final)
    {
        if (final && buffer.Length <= _chunkBytes) return buffer.Length;
        long limit = Math.Min(buffer.Length, _chunkBytes);
        long end = LastNewlineEnd(buffer.Slice(0, limit));
        if (end > 0) return end;
        if (buffer.Slice(limit).PositionOf((byte)'\n') is { } nl) return buffer.Slice(0, nl).Length + 1;
        if (buffer.Length > MaxLineBytes) return -1;
        return final ? buffer.Length : 0;
    }

    /// <summary>Bytes up to and including the last newline; 0 when there is none.</summary>
    private static long LastNewlineEnd(in ReadOnlySequence<byte> buffer)
    {
        long end = 0, offset = 0;
        foreach (var mem in buffer)
        {
            int at = mem.Span.LastIndexOf((byte)'\n');
            if (at >= 0) end = offset + at + 1;
            offset += mem.Length;
        }
        return end;
    }

    private readonly record struct InFlight(Task<bool> Work, Task<bool> Joined);
}

/// <summary>
/// The lines of a chunk as the pump delivers them: without the newline or a CR before it, and
/// without a UTF-8 byte-order mark on line 1. <see cref="Start"/> is where the current line
/// begins in the chunk.
/// </summary>
internal ref struct LineCursor(ReadOnlySpan<byte> text, long before)
{
    private readonly ReadOnlySpan<byte> _text = text;
    private int _next;

    /// <summary>1-based number of the current line.</summary>
    public long LineNo { get; private set; } = before;

    /// <summary>Offset of the current line in the chunk.</summary>
    public int Start { get; private set; }

    public bool Next(out ReadOnlySpan<byte> line, out bool terminated)
    {
        if (_next >= _text.Length)
        {
            line = default; terminated = false;
            return false;
        }
        Start = _next;
        var rest = _text[_next..];
        int nl = rest.IndexOf((byte)'\n');
        terminated = nl >= 0;
        line = terminated ? rest[..nl] : rest;   // only a file's last line has no newline
        _next = terminated ? _next + nl + 1 : _text.Length;
        LineNo++;
        if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
        if (LineNo == 1 && line.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))   // UTF-8 BOM
        {
            line = line[3..];
            Start += 3;
        }
        return true;
    }
}
