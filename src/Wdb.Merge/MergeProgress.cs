namespace Wdb.Merge;

/// <summary>
/// What a long merge tells its watcher: the stage it is in and, where it can count them,
/// the rows done so far and how many it expects. <see cref="MergeJob"/> calls it on its own
/// thread; a display polls <paramref name="rowsDone"/> on a timer of its own.
/// </summary>
public interface IMergeProgress
{
    /// <param name="rowsDone">Rows done so far in this stage, or null when not countable.</param>
    /// <param name="rowsExpected">An estimate of the stage's total rows; 0 when unknown.</param>
    void Stage(string name, Func<long>? rowsDone, long rowsExpected);

    /// <summary>The run is over (successfully or not): clear the display.</summary>
    void Done();
}

/// <summary>Row-count estimates for progress, from a sample of a file's head.</summary>
public static class RowEstimate
{
    /// <summary>
    /// Rows expected in <paramref name="path"/>: its size times the newline density of its
    /// first MiB; 0 when unknown (compressed or unreadable files).
    /// </summary>
    public static long Of(string path)
    {
        try
        {
            if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) return 0;
            using var file = File.OpenRead(path);
            long length = file.Length;
            var buffer = new byte[1 << 20];
            int read = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (read == 0) return 0;
            int lines = buffer.AsSpan(0, read).Count((byte)'\n');
            return lines == 0 ? 1 : (long)((double)length * lines / read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
