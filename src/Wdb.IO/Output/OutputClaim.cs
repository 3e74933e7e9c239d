using Wdb.Core;

namespace Wdb.IO;

/// <summary>
/// A run's hold on its --out for the whole run: an <c>&lt;out&gt;.tmp-&lt;random&gt;</c> beside the output, never
/// published, locked (<see cref="DirectoryLock"/>, a lock file in it) from the run's start to its end. A second run to the
/// same output finds it held and is refused at its start; without it, each run removed the other's temporary directory
/// as a killed run's, and one of them ended on a raw path error. A claim left by a killed run is unlocked, and removed as
/// stale (<see cref="AtomicDirectory.RemoveStale"/>). Where there are no locks (not Linux), nothing is refused, as before.
/// </summary>
public sealed class OutputClaim : IDisposable
{
    private readonly string _path;
    private readonly DirectoryLock _lock;
    private readonly List<string> _made;

    private OutputClaim(string path, DirectoryLock held, List<string> made) => (_path, _lock, _made) = (path, held, made);

    /// <summary>
    /// Claims <paramref name="outDir"/> (which <see cref="OutputWriter.StartProblem"/> has accepted); null, and why, when
    /// another live run holds it, or the claim cannot be made (then the publish could not be either).
    /// </summary>
    public static OutputClaim? Take(string outDir, out OutputError? error) => Take(outDir, made: null, locked: null, out error);

    /// <summary>How many claims a run makes when each is removed before it holds it (see <see cref="Locked"/>).</summary>
    private const int Attempts = 3;

    /// <summary>
    /// <see cref="Take(string, out OutputError?)"/>, with test hooks: <paramref name="made"/> called with each claim's path
    /// between making it and locking it (the window where another run removes it as stale), and <paramref name="locked"/>
    /// once it is locked and before the others are looked for, again for a claim made again (two runs started in the
    /// same instant; the lock's file deleted under the lock).
    /// </summary>
    internal static OutputClaim? Take(string outDir, Action<string>? made, Action? locked, out OutputError? error)
    {
        if (OutputWriter.TargetOf(outDir, out error) is not string target) return null;
        var madeParents = new List<string>();
        string? path = null;
        DirectoryLock? held = null;
        try
        {
            madeParents = DirectoryTree.Missing(Path.GetDirectoryName(target)!);
            TemporaryPaths.AddMade(madeParents);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            for (int attempt = 1; held is null; attempt++)
            {
                path = AtomicDirectory.CreateTemp(target);
                made?.Invoke(path);
                held = Locked(path, locked, lastAttempt: attempt == Attempts);
                if (held is null) Remove(path);
            }
            var claim = new OutputClaim(path!, held, made: madeParents);
            // Looked for after taking ours: of two runs that start together, the later one to look sees the other.
            if (Rival(target, path!) is not string other)
            {
                RemoveKilledRuns(target);
                return claim;
            }
            claim.Dispose();
            error = new OutputError($"another wdb run is writing '{Shown.Path(outDir)}' (it holds '{Shown.Path(other)}'): wait for it or choose another --out", Busy: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            held?.Dispose();
            if (path is not null) Remove(path);
            RemoveEmpty(madeParents);
            error = OutputError.Unwritten($"cannot write output to '{Shown.Path(outDir)}': {AtomicDirectory.AsTarget(e.Message, target).ReplaceLineEndings(" ")}");
            return null;
        }
    }

    /// <summary>
    /// The lock on the new claim <paramref name="path"/>; null when the claim was removed before or as it was locked. A
    /// live run removing killed runs' leftovers (<see cref="RemoveKilledRuns"/>) sees a claim made but not yet locked as
    /// one, and may delete it, or the lock's file just locked. The run then makes another claim, and finds the live run
    /// as its rival ("busy"), where it ended on "cannot write output". On the last of <see cref="Attempts"/> it is an error.
    /// </summary>
    private static DirectoryLock? Locked(string path, Action? locked, bool lastAttempt)
    {
        DirectoryLock? held;
        try { held = DirectoryLock.Take(path) ?? throw new IOException($"'{path}' is locked by another run"); }
        catch (DirectoryNotFoundException) when (!lastAttempt) { return null; }
        locked?.Invoke();
        if (held.InPlace()) return held;
        held.Dispose();
        return lastAttempt ? throw new IOException($"'{path}' was removed by another run as it was made") : null;
    }

    /// <summary>
    /// The temporary outputs of runs to <paramref name="target"/> killed outright, removed as this run starts rather than
    /// as it publishes: a killed run's is up to a whole output (tens of GB for a full sky), space this run needs from its
    /// start (the disk check, the zone merge's spill). Best effort: the publish removes what is left. Only where a lock
    /// tells a live run's from a killed one's; elsewhere a run starting beside another would take the other's.
    /// </summary>
    private static void RemoveKilledRuns(string target)
    {
        if (!DirectoryLock.Tells) return;
        try { AtomicDirectory.RemoveStale(target); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>How often a run waiting for another that starts with it to let go (<see cref="Rival"/>) looks again.</summary>
    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// How long a claim that sorts after ours is given to let go before it counts as a live run's: a run that starts
    /// with ours and sees it lets go within a look and a delete (a few round trips to the file server over NFS).
    /// </summary>
    private static readonly TimeSpan LetGo = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The live claim on <paramref name="target"/>, other than <paramref name="own"/>, that this run yields to; null when
    /// none. Two runs that start in the same instant each find the other's claim; were both to yield, both would be
    /// refused. So the claim whose name sorts first goes on, and the others let go at once: this run yields at once to a
    /// claim that sorts before its own, and waits a while (<see cref="LetGo"/>) for those that sort after it, which are
    /// starting runs letting go or live runs (that do not, and then it yields to them).
    /// </summary>
    private static string? Rival(string target, string own)
    {
        var until = DateTime.UtcNow + LetGo;
        while (true)
        {
            var others = AtomicDirectory.LiveTemps(target, except: own);
            if (others.Count == 0) return null;
            others.Sort(StringComparer.Ordinal);
            string first = others[0];
            if (string.CompareOrdinal(first, own) < 0 || DateTime.UtcNow >= until) return first;
            Thread.Sleep(Retry);
        }
    }

    /// <summary>Lets the output go: the lock, its directory, and the parents made for it that nothing filled.</summary>
    public void Dispose()
    {
        _lock.Dispose();
        Remove(_path);
        RemoveEmpty(_made);
    }

    private static void Remove(string path)
    {
        try { DirectoryTree.Delete(path); }   // its lock file too, where the lock could not be taken
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        TemporaryPaths.Remove(path);
    }

    // A parent the publish has filled (or another run is using) is not empty, and stays, with its own parents.
    private static void RemoveEmpty(List<string> made)
    {
        try { DirectoryTree.DeleteEmpty(made); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        TemporaryPaths.RemoveMade(made);
    }
}
