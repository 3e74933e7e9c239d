using System.Diagnostics;

namespace Wdb.Tests;

/// <summary>
/// The second implementations in tests/independent/ (Debian python3 scripts written from the docs): where one is, and a
/// run of a program with its output, the way every Independent*Tests class runs them.
/// </summary>
internal static class IndependentScripts
{
    /// <summary>tests/independent/<paramref name="name"/>, found above the test assembly.</summary>
    public static string PathOf(string name)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string path = Path.Combine(d.FullName, "tests", "independent", name);
            if (File.Exists(path)) return path;
        }
        throw new InvalidOperationException($"tests/independent/{name} not found above {AppContext.BaseDirectory}");
    }

    /// <summary><paramref name="exe"/> with <paramref name="args"/>, given 5 minutes: its exit code and both outputs.</summary>
    public static (int Exit, string Stdout, string Stderr) Run(string exe, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(300_000), $"{Path.GetFileName(exe)} {string.Join(' ', args.Take(1).Select(Path.GetFileName))} did not finish in 5 minutes");
        return (p.ExitCode, stdout.Result, stderr);
    }
}
