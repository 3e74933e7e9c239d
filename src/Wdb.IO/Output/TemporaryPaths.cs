using System.Collections.Concurrent;

namespace Wdb.IO;

/// <summary>
/// The temporary files and directories this process is filling (an output's sibling, a zone merge's spill, an export's
/// temporary file), so that a run stopped by a signal (Ctrl-C, `timeout`, Slurm's time limit) can remove them on its way
/// out: a run that fails removes its own, but a signal ends the process wherever it is. Process-wide by nature, as a
/// signal is: <see cref="Add"/> where a path is made, <see cref="Remove"/> once it is published or deleted.
/// </summary>
public static class TemporaryPaths
{
    private static readonly ConcurrentDictionary<string, byte> Live = new(StringComparer.Ordinal);

    // Directories made only to hold a temporary path (a new --spill-dir and its new parents): removed after it, if empty.
    private static readonly ConcurrentDictionary<string, byte> Made = new(StringComparer.Ordinal);

    // Held by a step that renames registered paths (an output's swap) and by the start of a stop, so that a signal finds
    // the paths as they were before the step or as it left them, never halfway.
    private static readonly Lock Gate = new();
    private static bool _stopping;

    public static void Add(string path) => Live[path] = 0;

    /// <summary>
    /// Where a verb's own scratch goes (evaluate's data and merge, associate's zones), as a message says it: the user named
    /// no path there, so the line says what chooses it and how to move it.
    /// </summary>
    public static string UnderTmpdir() => $"under '{Wdb.Core.Shown.Path(Path.GetTempPath())}' (TMPDIR chooses where; set it to a disk with room)";

    public static void Remove(string path) => Live.TryRemove(path, out _);

    /// <summary>
    /// Directories made to hold a temporary path, which existed before no more than it did: a stop removes each that is
    /// empty once the temporary paths are gone (one that another run put something in stays), deepest first.
    /// </summary>
    public static void AddMade(IEnumerable<string> dirs)
    {
        foreach (string dir in dirs) Made[dir] = 0;
    }

    public static void RemoveMade(IEnumerable<string> dirs)
    {
        foreach (string dir in dirs) Made.TryRemove(dir, out _);
    }

    /// <summary>Whether <paramref name="path"/> is registered: a stop now would delete it.</summary>
    internal static bool IsLive(string path) => Live.ContainsKey(path);

    /// <summary>
    /// Runs <paramref name="step"/>, a few renames that change which paths are registered, as one: a stop that begins
    /// meanwhile waits for it, and once a stop has begun the step is refused (an <see cref="IOException"/>) rather than
    /// run on paths the stop is deleting.
    /// </summary>
    internal static void Atomically(Action step)
    {
        lock (Gate)
        {
            if (_stopping) throw new IOException("the run is being stopped by a signal");
            step();
        }
    }

    /// <summary>
    /// Makes <paramref name="dir"/> (and its parents) inside a registered path, unless a stop has begun: a directory made
    /// after the stop removed the one around it would make that one again, left behind as the process exits.
    /// </summary>
    /// <exception cref="IOException">A stop has begun.</exception>
    public static void CreateDirectory(string dir) => Atomically(() => Directory.CreateDirectory(dir));

    /// <summary>
    /// Deletes every path still registered, for a process about to exit; the names of those that could not be. Each
    /// directory is renamed before it is emptied, so that a writer still running cannot add to it under its old name
    /// meanwhile; one that makes the name again (a subdirectory made with its parents) is caught by the next pass.
    /// </summary>
    public static IReadOnlyList<string> DeleteAll(int passes = 3, int pauseMs = 20)
    {
        lock (Gate) _stopping = true;
        var left = new List<string>();
        for (int pass = 0; pass < passes; pass++)
        {
            if (pass > 0) Thread.Sleep(pauseMs);
            left.Clear();
            foreach (string path in Live.Keys)
            {
                try
                {
                    if (Directory.Exists(path))
                    {
                        string doomed = path + ".removing-" + AtomicDirectory.UniqueTag();
                        Directory.Move(path, doomed);
                        DirectoryTree.Delete(doomed);
                    }
                    else File.Delete(path);
                }
                catch (DirectoryNotFoundException) { }   // gone with a directory made for it, removed in an earlier pass
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    left.Add(path);
                }
            }
            DeleteEmptyMade();
        }
        return left;
    }

    // A child's path is longer than its parent's: longest first empties a chain of new directories from the bottom.
    private static void DeleteEmptyMade()
    {
        try { DirectoryTree.DeleteEmpty(Made.Keys.OrderByDescending(d => d.Length)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }   // taken meanwhile by another run: not ours alone
    }
}
