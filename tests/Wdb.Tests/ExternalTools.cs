namespace Wdb.Tests;

/// <summary>
/// The independent tools some tests compare our outputs with: flatc (Debian's flatbuffers-compiler), xxh128sum
/// (xxhash), STILTS (stilts) and python3 with numpy, scipy, astropy and pandas (python3-numpy, python3-scipy,
/// python3-astropy, python3-pandas). `./run.sh test` installs them where it can.
/// A test whose whole point is the comparison is reported as skipped, with the package to install, when its tool is
/// missing: it must not count as passed for a check it never made.
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

    /// <summary>
    /// Debian's /usr/bin/python3 when it imports <paramref name="module"/>; otherwise the calling test ends here,
    /// reported as skipped. Not the python3 on PATH: a pyenv or virtual-environment python may lack the module or
    /// hold another version than the Debian package the scripts are written for.
    /// </summary>
    public static string RequireDebianPython(string module, string debianPackage)
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python) || !Imports(python, module))
            Assert.Skip($"{python} cannot import {module} (apt-get install {debianPackage}; ./run.sh test installs it where it can)");
        return python;
    }

    private static bool Imports(string python, string module)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(python) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { "-c", "import " + module }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        return p.WaitForExit(60_000) && p.ExitCode == 0;
    }
}
