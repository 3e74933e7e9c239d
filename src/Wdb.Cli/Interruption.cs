using System.Runtime.InteropServices;
using Wdb.IO;

namespace Wdb.Cli;

/// <summary>
/// SIGINT, SIGTERM and SIGHUP: the temporary files the run was filling are removed (<see cref="TemporaryPaths"/>), one
/// line says so on stderr, and the process exits with the shell's code for the signal (128 + its number: 130 for Ctrl-C,
/// 143 for SIGTERM), as it would have without us, but with nothing half-written left behind.
/// </summary>
internal sealed class Interruption : IDisposable
{
    private readonly PosixSignalRegistration[] _registrations;

    private Interruption(PosixSignalRegistration[] registrations) => _registrations = registrations;

    public static Interruption Install() => new(
    [
        PosixSignalRegistration.Create(PosixSignal.SIGINT, context => Stop(context, "SIGINT", 2)),
        PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Stop(context, "SIGTERM", 15)),
        PosixSignalRegistration.Create(PosixSignal.SIGHUP, context => Stop(context, "SIGHUP", 1)),
    ]);

    private static int _stopping;

    private static void Stop(PosixSignalContext context, string name, int number)
    {
        context.Cancel = true;   // this handler ends the process, once the temporary files are gone
        if (Interlocked.Exchange(ref _stopping, 1) == 1) return;   // a second signal while the first is handled
        // The run's own failures from here on (its files vanish under it) are not the user's news: the stop is.
        var stderr = Console.Error;
        Console.SetError(TextWriter.Null);
        var left = TemporaryPaths.DeleteAll();
        stderr.WriteLine(left.Count == 0
            ? $"wdb: stopped by {name}; its temporary files were removed"
            : $"wdb: stopped by {name}; could not remove {string.Join(", ", left)}");
        Environment.Exit(128 + number);
    }

    /// <summary>
    /// Called as a verb returns: while a signal is being handled, waits for its handler to end the process with the
    /// signal's code, instead of ending it first with the verb's (a failure the handler's deletions caused).
    /// </summary>
    public static void WaitIfStopping()
    {
        if (Volatile.Read(ref _stopping) == 1) Thread.Sleep(Timeout.Infinite);
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}
