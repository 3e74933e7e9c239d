using Wdb.IO;

namespace Wdb.Cli;

/// <summary>
/// A write-only stream over a standard stream whose failed writes and flushes (a full disk, a closed descriptor, a pipe
/// whose reader is gone) go to <paramref name="failed"/>: it throws what the verb should see, or returns to drop the
/// write (<see cref="StandardOutput"/> and <see cref="StandardError"/> choose).
/// </summary>
internal sealed class GuardedStream(Stream inner, Action<Exception> failed) : WriteOnlyStream
{
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


    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
