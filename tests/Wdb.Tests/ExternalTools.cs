namespace Wdb.Tests;

/// <summary>
/// The independent tools some tests compare our outputs with: flatc (Debian's flatbuffers-compiler), xxh128sum
/// (xxhash) and STILTS (stilts). `./run.sh test` installs them where it can. A test whose whole point is the
/// comparison is reported as skipped, with the package to install, when its tool is missing: it must not count as
/// passed for a check it never made.
/// </summary>
internal static class ExternalTools
{
    /// <summary>The tool's path on PATH, or null.</summary>
    public static string? Find(string exe) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, exe)).FirstOrDefault(File.Exists);

    /// <summary>The tool's path; when it is not on PATH the calling test ends here, reported as skipped.</summary>
    public static string Require(string exe, string debianPackage)
    {
        string? path = Find(exe);
        if (path is null) Assert.Skip($"{exe} is not on PATH (apt-get install {debianPackage}; ./run.sh test installs it where it can)");
        return path;
    }
}
