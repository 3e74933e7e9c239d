using System.Text;
using Wdb.IO;

namespace Wdb.Cli;

/// <summary>
/// Standard output as every verb writes it: a write that fails (a full disk, a closed pipe, /dev/full) becomes
/// <see cref="StandardOutputFailed"/>, which Program turns into one line on stderr and exit 2. Without it a verb that
/// prints a table ended in the runtime's stack trace, since only `wdb export` caught its own writes.
/// </summary>
internal static class StandardOutput
{
    /// <summary>A buffered UTF-8 writer (no BOM): a cone or a long light curve is many lines.</summary>
    public static StreamWriter Buffered() => new(Open(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };

    /// <summary>The raw stream, its failures named as standard output's.</summary>
    public static Stream Open() => new Guarded(Console.OpenStandardOutput());

    /// <summary>Console.Out through the same guard, for the verbs that print with Console.WriteLine (and the help).</summary>
    public static void Install() =>
        Console.SetOut(TextWriter.Synchronized(new StreamWriter(Open(), new UTF8Encoding(false), 1 << 12) { AutoFlush = true }));

    private sealed class Guarded(Stream inner) : Stream
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
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new StandardOutputFailed(e); }
        }

        public override void Flush()
        {
            try { inner.Flush(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new StandardOutputFailed(e); }
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

/// <summary>Standard output could not be written: the environment's failure, not a bug; its message is the system's (<see cref="OutputError.ReasonOf"/>).</summary>
internal sealed class StandardOutputFailed(Exception failure) : IOException(OutputError.ReasonOf(failure), failure);
