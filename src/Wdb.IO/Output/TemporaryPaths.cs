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

    public static void Add(string path) => Live[path] = 0;

    public static void Remove(string path) => Live.TryRemove(path, out _);

    /// <summary>
    /// Deletes every path still registered, for a process about to exit; the names of those that could not be. Each
    /// directory is renamed before it is emptied, so that a writer still running cannot add to it under its old name
    /// meanwhile; one that makes the name again (a subdirectory made with its parents) is caught by the next pass.
    /// </summary>
    public static IReadOnlyList<string> DeleteAll(int passes = 3, int pauseMs = 20)
    {
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
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    left.Add(path);
                }
            }
        }
        return left;
    }
}
