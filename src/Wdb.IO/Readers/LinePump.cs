using System.Buffers;
using System.IO.Pipelines;

namespace Wdb.IO.Readers;

/// <summary>Receives the physical lines of a file, without their line terminator.</summary>
internal abstract class LineSink
{
    /// <summary>One line (1-based <paramref name="lineNo"/>); <paramref name="terminated"/> is false
    /// only for a last line that has no newline. Returns false to stop reading.</summary>
    public abstract bool OnLine(ReadOnlySpan<byte> line, long lineNo, bool terminated);

    /// <summary>End of input (not called when a line asked to stop).</summary>
    public virtual void OnEnd(long lastLineNo) { }
}

/// <summary>
/// Splits a stream into lines with System.IO.Pipelines. Lines inside one buffer segment are
/// handed out as spans of the pipe's own memory; only a line that straddles two segments is
/// copied, into a reusable scratch buffer.
/// </summary>
internal sealed class LinePump
{
    /// <summary>A line longer than this is not text (binary input): fatal, with a message.</summary>
    public const int MaxLineBytes = 64 << 20;

    private const int SegmentBytes = 1 << 20;

    private readonly LineSink _sink;
    private byte[] _scratch = new byte[4096];
    private long _lineNo;
    private bool _stopped;

    public LinePump(LineSink sink) => _sink = sink;

    /// <summary>Null when all lines were delivered (or the sink stopped); else the reason it could not go on.</summary>
    public string? Failure { get; private set; }

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
                long consumed = Split(buffer, rr.IsCompleted);
                if (_stopped || Failure is not null || rr.IsCompleted)
                {
                    if (!_stopped && Failure is null) { ReachedEnd = true; TotalBytes += buffer.Length; }
                    reader.AdvanceTo(buffer.End);
                    break;
                }
                var rest = buffer.Slice(consumed);
                if (rest.Length > MaxLineBytes)
                {
                    Failure = $"line {_lineNo + 1} is longer than {MaxLineBytes >> 20} MiB without a newline: not a text table";
                    reader.AdvanceTo(buffer.End);
                    break;
                }
                TotalBytes += consumed;
                reader.AdvanceTo(rest.Start, buffer.End);
            }
            if (!_stopped && Failure is null) _sink.OnEnd(_lineNo);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Delivers every complete line of <paramref name="buffer"/>; returns the offset of the first unconsumed byte.</summary>
    private long Split(in ReadOnlySequence<byte> buffer, bool final)
    {
        long total = buffer.Length;
        long consumed = 0;      // offset of the first byte of the current (incomplete) line
        long segStart = 0;      // offset of the current segment
        int carry = 0;          // bytes of a straddling line copied into _scratch so far
        foreach (ReadOnlyMemory<byte> mem in buffer)
        {
            var span = mem.Span;
            bool lastSegment = segStart + span.Length == total;
            int off = 0;
            if (carry > 0)
            {
                int nl = span.IndexOf((byte)'\n');
                if (nl < 0)
                {
                    if (!lastSegment || final) Append(ref carry, span);
                    segStart += span.Length;
                    continue;
                }
                Append(ref carry, span[..nl]);
                if (!Emit(_scratch.AsSpan(0, carry), true)) return segStart + nl + 1;
                carry = 0;
                off = nl + 1;
                consumed = segStart + off;
            }
            while (true)
            {
                int nl = span[off..].IndexOf((byte)'\n');
                if (nl < 0) break;
                if (!Emit(span.Slice(off, nl), true)) return segStart + off + nl + 1;
                off += nl + 1;
                consumed = segStart + off;
            }
            if (off < span.Length)
            {
                // The incomplete tail: copied only when a later segment of this buffer continues
                // it (or it is the file's last line); otherwise the next read delivers it again.
                if (!lastSegment) Append(ref carry, span[off..]);
                else if (final)
                {
                    if (carry > 0) Append(ref carry, span[off..]);
                    else { Emit(span[off..], false); return total; }
                }
            }
            segStart += span.Length;
        }
        if (final && carry > 0)
        {
            Emit(_scratch.AsSpan(0, carry), false);
            consumed = total;
        }
        return consumed;
    }

    private void Append(ref int carry, ReadOnlySpan<byte> bytes)
    {
        if (carry + bytes.Length > MaxLineBytes + 1)
        {
            // Keep only a prefix: the caller fails the file on the next read anyway.
            bytes = bytes[..Math.Max(0, MaxLineBytes + 1 - carry)];
        }
        if (carry + bytes.Length > _scratch.Length)
            Array.Resize(ref _scratch, Math.Max(_scratch.Length * 2, carry + bytes.Length));
        bytes.CopyTo(_scratch.AsSpan(carry));
        carry += bytes.Length;
    }

    private bool Emit(ReadOnlySpan<byte> line, bool terminated)
    {
        _lineNo++;
        if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
        if (_lineNo == 1 && line.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) line = line[3..];   // UTF-8 BOM
        if (!_sink.OnLine(line, _lineNo, terminated)) _stopped = true;
        return !_stopped;
    }
}
