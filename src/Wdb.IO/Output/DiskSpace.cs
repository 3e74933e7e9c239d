using Wdb.Core;

namespace Wdb.IO;

/// <summary>
/// Free disk space, looked at before a run writes anything: a remerge that runs for an hour should
/// not find out at its end that its tables (or the zone merge's spill) do not fit. Estimates only,
/// so a shortfall is a warning, never an error: the run goes on and an actual full disk still fails
/// it cleanly (outputs are written to a temporary directory first).
/// </summary>
public static class DiskSpace
{
    /// <summary>Output bytes per input row, a little above the most measured (survey: 350; calibration tile: ~180).</summary>
    public const long OutputBytesPerRow = 400;
    /// <summary>Spill bytes per input row of the zone merge (survey: ~500).</summary>
    public const long SpillBytesPerRow = 600;

    /// <summary>What a run will write somewhere: the directory it goes under, about how many bytes, and what it is.</summary>
    public readonly record struct Need(string Directory, long Bytes, string What);

    /// <summary>A file system's identity as seen from a directory (its total and free bytes), and its free bytes.</summary>
    public readonly record struct Space(long TotalBytes, long FreeBytes);

    /// <summary>
    /// One warning per file system whose free space is below what the needs on it add up to. Needs on
    /// one file system are added together; two directories are taken to share one when their file
    /// systems report the same size and free space at the same moment. Directories whose space is
    /// unknown (<paramref name="spaceOf"/> gives null) are not judged.
    /// </summary>
    public static List<string> Shortfalls(IReadOnlyList<Need> needs, Func<string, Space?> spaceOf)
    {
        var byFileSystem = new List<(Space Space, List<Need> Needs)>();
        foreach (var need in needs)
        {
            if (need.Bytes <= 0 || spaceOf(need.Directory) is not Space space) continue;
            int at = byFileSystem.FindIndex(f => f.Space == space);
            if (at < 0) byFileSystem.Add((space, [need]));
            else byFileSystem[at].Needs.Add(need);
        }
        var warnings = new List<string>();
        foreach (var (space, onIt) in byFileSystem)
        {
            long total = onIt.Sum(n => n.Bytes);
            if (total <= space.FreeBytes) continue;
            string what = string.Join(" and ", onIt.Select(n => $"{n.What} (about {ByteSize.Text(n.Bytes)} in {n.Directory})"));
            warnings.Add($"{what} may not fit: {ByteSize.Text(space.FreeBytes)} free there");
        }
        return warnings;
    }

    /// <summary>The space of the file system holding <paramref name="directory"/> (or its nearest existing ancestor); null when it cannot be read.</summary>
    public static Space? Of(string directory)
    {
        try
        {
            var existing = new DirectoryInfo(Path.GetFullPath(directory));
            while (existing is not null && !existing.Exists) existing = existing.Parent;
            if (existing is null) return null;
            var drive = new DriveInfo(existing.FullName);
            return new Space(drive.TotalSize, drive.AvailableFreeSpace);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
