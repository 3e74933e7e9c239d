namespace Wdb.IO;

/// <summary>Removing a directory with everything in it, and the parents a run made for one.</summary>
public static class DirectoryTree
{
    /// <summary>
    /// What <c>Directory.Delete(dir, recursive: true)</c> does: files and subdirectories first, then the
    /// directory; a symbolic link is removed, never followed. Written out because the runtime's version
    /// walks the tree with an enumerator of (path, is-directory) pairs that the precompiled image lacks:
    /// 11 methods jitted in every run that replaced an output or removed its spill (~5 ms, on the critical
    /// path at the end; bench/NOTES.md 86). The string enumerations used here are precompiled.
    /// </summary>
    public static void Delete(string dir)
    {
        foreach (string sub in Directory.GetDirectories(dir))
        {
            if ((File.GetAttributes(sub) & FileAttributes.ReparsePoint) != 0) File.Delete(sub);   // a link: only the link goes
            else Delete(sub);
        }
        foreach (string file in Directory.GetFiles(dir)) File.Delete(file);
        Directory.Delete(dir);
    }

    /// <summary>
    /// The directories from <paramref name="dir"/> up that do not exist yet, deepest first: what a run makes to hold
    /// something, and removes again (<see cref="DeleteEmpty"/>) when it is done.
    /// </summary>
    public static List<string> Missing(string dir)
    {
        var missing = new List<string>();
        for (string? at = dir; at is not null && !Directory.Exists(at); at = Path.GetDirectoryName(at)) missing.Add(at);
        return missing;
    }

    /// <summary>
    /// Removes each of <paramref name="deepestFirst"/> that exists and is empty: directories made to hold something (a
    /// --spill-dir and its new parents), given children before parents so that a chain empties from the bottom. One that
    /// holds anything (put there by another run) stays, and so do its parents.
    /// </summary>
    public static void DeleteEmpty(IEnumerable<string> deepestFirst)
    {
        foreach (string dir in deepestFirst)
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
    }
}
