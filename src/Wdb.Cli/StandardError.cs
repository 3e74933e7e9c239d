using System.Text;

namespace Wdb.Cli;

/// <summary>
/// Standard error as every verb writes it (progress, warnings, its one-line errors, a signal's notice): a write that
/// fails (/dev/full, a closed descriptor `2&gt;&amp;-`, a pipe whose reader is gone) is dropped. The messages are lost,
/// and knowingly: stderr is where a report of the loss would go, so there is nowhere left to say it. The verb's work and
/// its exit code must not hang on whether anyone can read its messages; unguarded, the first failed write ended a merge
/// in the runtime's abort (exit 134) with its outputs unwritten.
/// </summary>
internal static class StandardError
{
    /// <summary>Console.Error through the guard; installed before anything writes to it.</summary>
    public static void Install() =>
        Console.SetError(TextWriter.Synchronized(new StreamWriter(Open(), new UTF8Encoding(false), 1 << 10) { AutoFlush = true }));

    // A descriptor 2 that cannot even be opened (closed before we started) drops every message from the start.
    private static Stream Open()
    {
        try { return new Dropping(Console.OpenStandardError()); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Stream.Null; }
    }

    private sealed class Dropping(Stream inner) : Stream
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
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }   // nowhere to report it: see the class
        }

        public override void Flush()
        {
            try { inner.Flush(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
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
}
