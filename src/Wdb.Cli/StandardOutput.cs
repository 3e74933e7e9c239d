using System.Text;
using Wdb.IO;

namespace Wdb.Cli;

/// <summary>
/// Standard output as every verb writes it: a write that fails (a full disk, a closed pipe, /dev/full) becomes
/// <see cref="StandardOutputFailed"/>, which Program turns into one line on stderr and exit 3. Without it a verb that
/// prints a table ended in the runtime's stack trace, since only `wdb export` caught its own writes.
/// </summary>
internal static class StandardOutput
{
    /// <summary>A buffered UTF-8 writer (no BOM): a cone or a long light curve is many lines.</summary>
    public static StreamWriter Buffered() => new(Open(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };

    /// <summary>The raw stream, its failures named as standard output's.</summary>
    public static Stream Open() => new GuardedStream(StandardOutputStream.Open(), e => throw new StandardOutputFailed(e));

    /// <summary>Console.Out through the same guard, for the verbs that print with Console.WriteLine (and the help).</summary>
    public static void Install() =>
        Console.SetOut(TextWriter.Synchronized(new StreamWriter(Open(), new UTF8Encoding(false), 1 << 12) { AutoFlush = true }));
}

/// <summary>Standard output could not be written: the environment's failure, not a bug; its message is the system's (<see cref="OutputError.ReasonOf"/>).</summary>
internal sealed class StandardOutputFailed(Exception failure) : IOException(OutputError.ReasonOf(failure), failure);
