using System.Buffers;
using System.Security.Cryptography;

namespace Wdb.IO.Readers;

/// <summary>
/// Read-only pass-through that SHA-256-hashes and counts the stored bytes as they are read,
/// so the checksum costs no second pass. <see cref="Finish"/> reads whatever the parser did
/// not (a stop on a fatal error, bytes after the gzip stream) so the hash is of the whole file.
/// Reads are synchronous even through ReadAsync: local files, and it lets the whole pipe run
/// on the caller's thread.
/// </summary>
internal sealed class HashingStream(Stream inner) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _bytes;

    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        if (n > 0) { _hash.AppendData(buffer[..n]); _bytes += n; }
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

    /// <summary>Reads to the end and returns (lower-case hex SHA-256, byte count) of everything.</summary>
    public (string Sha256, long Bytes) Finish()
    {
        byte[] tmp = ArrayPool<byte>.Shared.Rent(1 << 16);
        try { while (Read(tmp, 0, tmp.Length) > 0) { } }
        finally { ArrayPool<byte>.Shared.Return(tmp); }
        return (Convert.ToHexStringLower(_hash.GetHashAndReset()), _bytes);
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
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }
}
