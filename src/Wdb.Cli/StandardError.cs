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
        try { return new GuardedStream(Console.OpenStandardError(), _ => { }); }   // nowhere to report it: see the class
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Stream.Null; }
    }
}
