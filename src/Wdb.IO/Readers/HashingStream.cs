using System.Buffers;
using System.Collections.Concurrent;
using Wdb.Core;

namespace Wdb.IO.Readers;

/// <summary>
/// Read-only pass-through that checksums and counts the stored bytes as they are read, so the
/// checksum costs no second pass. XXH128 is taken on the reading thread; SHA-256 on a second
/// thread, fed copies of the bytes through a bounded queue, so it overlaps the parse instead of
/// adding to it (it was ~20% of the read stage). <see cref="Finish"/> reads whatever the
/// parser did not (a stop on a fatal error, bytes after the gzip stream) so the hash is of
/// the whole file. Reads are synchronous even through ReadAsync: local files, and it lets
/// the whole pipe run on the caller's thread. It never seeks, so an input may be a pipe
/// (`/dev/stdin`, `<(zcat ...)`): <see cref="Peek"/> looks at the head without a seek back,
/// and <see cref="LastBytes"/> holds the end once it is read.
/// </summary>
internal sealed class HashingStream : Stream
{
    private readonly Stream _inner;
    private readonly RunningChecksum _hash;
    // Null when the hash is taken on the reading thread.
    private readonly BlockingCollection<(byte[] Buffer, int Length)>? _queue;
    private readonly Task _hasher = Task.CompletedTask;
    private long _bytes;
    // Bytes Peek read ahead, handed out by the next reads; and the last bytes read from the input.
    private byte[] _ahead = [];
    private int _aheadStart, _aheadEnd;
    private readonly byte[] _last = new byte[TailBytes];
    private const int TailBytes = 8;

    public HashingStream(Stream inner, ChecksumAlgorithm algorithm)
    {
        _inner = inner;
        _hash = new RunningChecksum(algorithm);
        if (_hash.Fast) return;
        var queue = _queue = new(boundedCapacity: 16);
        _hasher = Task.Factory.StartNew(() =>
        {
            foreach (var (buffer, length) in queue.GetConsumingEnumerable())
            {
                _hash.Append(buffer.AsSpan(0, length));
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public override int Read(Span<byte> buffer)
    {
        if (_aheadStart < _aheadEnd)
        {
            int k = Math.Min(buffer.Length, _aheadEnd - _aheadStart);
            _ahead.AsSpan(_aheadStart, k).CopyTo(buffer);
            _aheadStart += k;
            // The rest of the buffer from the input: a reader's first read is not cut to the peeked bytes.
            return k < buffer.Length ? k + ReadInner(buffer[k..]) : k;
        }
        return ReadInner(buffer);
    }

    /// <summary>
    /// Up to <paramref name="count"/> bytes from where the reads have got, without consuming them: the next reads
    /// return them again. Fewer only at the end of the input.
    /// </summary>
    public ReadOnlySpan<byte> Peek(int count)
    {
        if (_aheadEnd - _aheadStart < count)
        {
            var ahead = new byte[Math.Max(count, _aheadEnd - _aheadStart)];
            int have = _aheadEnd - _aheadStart;
            _ahead.AsSpan(_aheadStart, have).CopyTo(ahead);
            while (have < count)
            {
                int n = ReadInner(ahead.AsSpan(have, count - have));
                if (n == 0) break;
                have += n;
            }
            (_ahead, _aheadStart, _aheadEnd) = (ahead, 0, have);
        }
        return _ahead.AsSpan(_aheadStart, Math.Min(count, _aheadEnd - _aheadStart));
    }

    /// <summary>The last <paramref name="count"/> (at most 8) bytes read from the input so far; fewer when fewer were read.</summary>
    public ReadOnlySpan<byte> LastBytes(int count)
    {
        if (count > TailBytes) throw new ArgumentOutOfRangeException(nameof(count), count, $"at most {TailBytes}");
        int have = (int)Math.Min(count, _bytes);
        return _last.AsSpan(TailBytes - have, have);
    }

    /// <summary>Reads the input to its end (hashing it), so that <see cref="LastBytes"/> are the input's last.</summary>
    public void ReadToEnd()
    {
        byte[] tmp = ArrayPool<byte>.Shared.Rent(1 << 16);
        try { while (Read(tmp, 0, tmp.Length) > 0) { } }
        finally { ArrayPool<byte>.Shared.Return(tmp); }
    }

    private int ReadInner(Span<byte> buffer)
    {
        int n = _inner.Read(buffer);
        if (n > 0)
        {
            // The tail: the last bytes of this read, after those kept from the reads before when it is short.
            if (n >= TailBytes) buffer.Slice(n - TailBytes, TailBytes).CopyTo(_last);
            else
            {
                _last.AsSpan(n).CopyTo(_last);
                buffer[..n].CopyTo(_last.AsSpan(TailBytes - n));
            }
            if (_queue is null) _hash.Append(buffer[..n]);
            else
            {
                byte[] copy = ArrayPool<byte>.Shared.Rent(n);
                buffer[..n].CopyTo(copy);
                _queue.Add((copy, n));
            }
            _bytes += n;
        }
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(Read(buffer.AsSpan(offset, count)));
    }

    /// <summary>Ends the hashing thread without reading further (a read that was cancelled: no checksum is wanted).</summary>
    public void Abandon() => StopHasher();

    private void StopHasher()
    {
        if (_queue is { IsAddingCompleted: false }) _queue.CompleteAdding();
        _hasher.GetAwaiter().GetResult();
    }

    /// <summary>Reads to the end and returns (checksum as <c>NAME:HEX</c>, byte count) of everything.</summary>
    public (string Checksum, long Bytes) Finish()
    {
        try { ReadToEnd(); }
        finally
        {
            // Even when a read fails, the hashing thread must end.
            StopHasher();
        }
        return (_hash.Finish(), _bytes);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _bytes; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            StopHasher();
            _queue?.Dispose();
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }
}
