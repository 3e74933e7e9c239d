namespace Wdb.IO;

/// <summary>
/// A small file another process reads (a cluster's plan.json, the runs' indexes: docs/cluster.md), written whole
/// under a sibling name, flushed to disk, then renamed over its name: a reader finds the old file, the new one,
/// or none, never part of one.
/// </summary>
public static class WholeFile
{
    /// <exception cref="IOException">The write or the rename failed (the sibling may be left; the next write replaces it).</exception>
    public static void Write(string path, Action<Stream> write)
    {
        string partial = path + ".partial";
        using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            write(file);
            file.Flush(flushToDisk: true);
        }
        File.Move(partial, path, overwrite: true);
    }
}
