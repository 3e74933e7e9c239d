namespace Wdb.Cli;

/// <summary>
/// A write-only stream over a standard stream whose failed writes and flushes (a full disk, a closed descriptor, a pipe
/// whose reader is gone) go to <paramref name="failed"/>: it throws what the verb should see, or returns to drop the
/// write (<see cref="StandardOutput"/> and <see cref="StandardError"/> choose).
/// </summary>
internal sealed class GuardedStream(Stream inner, Action<Exception> failed) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try { inner.Write(buffer); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { failed(e); }
    }

    public override void Flush()
    {
        try { inner.Flush(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { failed(e); }
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
