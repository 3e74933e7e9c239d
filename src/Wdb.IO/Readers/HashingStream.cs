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
/// the whole pipe run on the caller's thread.
/// </summary>
internal sealed class HashingStream : Stream
{
    private readonly Stream _inner;
    private readonly RunningChecksum _hash;
    // Null when the hash is taken on the reading thread.
    private readonly BlockingCollection<(byte[] Buffer, int Length)>? _queue;
    private readonly Task _hasher = Task.CompletedTask;
    private long _bytes;

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
        int n = _inner.Read(buffer);
        if (n > 0)
        {
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
        byte[] tmp = ArrayPool<byte>.Shared.Rent(1 << 16);
        try { while (Read(tmp, 0, tmp.Length) > 0) { } }
        finally
        {
            ArrayPool<byte>.Shared.Return(tmp);
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
