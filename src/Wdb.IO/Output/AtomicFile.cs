namespace Wdb.IO;

/// <summary>One output file written whole or not at all (exports, models): a temporary sibling, flushed, renamed.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="outFile"/> through <paramref name="body"/> into a temporary sibling,
    /// flushes it to disk and renames it over the target. I/O and data errors come back as a
    /// one-line error (<paramref name="failedData"/> begins it for data the body could not read); whatever
    /// fails, the temporary file is removed.
    /// </summary>
    public static OutputError? Write(string outFile, string failedData, Action<FileStream> body)
    {
        string full, tmp;
        try
        {
            full = Path.GetFullPath(outFile);
            tmp = full + ".tmp-" + AtomicDirectory.UniqueTag();
            TemporaryPaths.Add(tmp);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return new OutputError($"cannot write '{outFile}': {e.Message}");
        }
        bool moved = false;
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                body(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
            moved = true;
            AtomicDirectory.FsyncDirectory(Path.GetDirectoryName(full)!);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            string what = e is InvalidDataException ? failedData : $"cannot write '{outFile}'";
            return new OutputError($"{what}: {e.Message.ReplaceLineEndings(" ")}");
        }
        finally
        {
            // Also on an unexpected exception (a bug, which propagates): no half-written sibling is left.
            if (!moved)
                try { File.Delete(tmp); } catch (Exception d) when (d is IOException or UnauthorizedAccessException) { }
            TemporaryPaths.Remove(tmp);
        }
    }
}
