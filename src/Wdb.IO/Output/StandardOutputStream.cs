using System.Runtime.InteropServices;

namespace Wdb.IO;

/// <summary>
/// Standard output as a stream whose failed writes throw, a closed pipe's too. .NET's console stream drops a write that
/// fails with EPIPE, so `wdb export ... --out - | head -1` ran through the whole table into nothing and exited 0, and
/// `set -o pipefail` could not tell. On Linux the descriptor is written with write(2), as the console stream does, and
/// every error becomes an IOException with the system's message ("Broken pipe", "No space left on device"); elsewhere
/// the console stream. Disposing it leaves the descriptor open.
/// </summary>
public sealed class StandardOutputStream : WriteOnlyStream
{
    private const int Descriptor = 1;

    private StandardOutputStream() { }

    public static Stream Open() => OperatingSystem.IsLinux() ? new StandardOutputStream() : Console.OpenStandardOutput();

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("made on Linux alone (Open)");
        fixed (byte* start = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                nint n = Libc.write(Descriptor, start + done, buffer.Length - done);
                if (n >= 0)
                {
                    done += (int)n;
                    continue;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EIntr) continue;
                // A descriptor left non-blocking by whoever shares it (a terminal, a pipe): wait for room, as the console stream does.
                if (errno == Libc.EAgain)
                {
                    Thread.Sleep(1);
                    continue;
                }
                throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
            }
        }
    }

    public override void Flush() { }   // nothing is buffered here: each write is the system's
}
