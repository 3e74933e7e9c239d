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

    /// <summary>
    /// `wdb gen KIND --out SCRATCH/NAME OPTIONS`, asserting it succeeds; a file already there is kept (samples of one
    /// class share their generated data by name).
    /// </summary>
    public static string Generated(Scratch scratch, string kind, string name, params string[] options)
    {
        string path = scratch.PathOf(name);
        if (File.Exists(path)) return path;
        var (exit, _, err) = WdbProcess.Run(["gen", kind, "--out", path, .. options]);
        Assert.True(exit == 0, "wdb gen: " + err);
        return path;
    }

    /// <summary>`wdb export MERGED --table TABLE --format csv` to SCRATCH/NAME, asserting it succeeds.</summary>
    public static string ExportedCsv(Scratch scratch, string merged, string table, string name)
    {
        string path = scratch.PathOf(name);
        var (exit, _, err) = WdbProcess.Run("export", merged, "--table", table, "--format", "csv", "--out", path);
        Assert.True(exit == 0, "wdb export: " + err);
        return path;
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

/// <summary>A sample a test class makes once, on first use: a class whose tests are all skipped never runs wdb.</summary>
public abstract class OnceSample<TFiles> : IDisposable
{
    private readonly Lazy<TFiles> _files;

    protected OnceSample() => _files = new Lazy<TFiles>(Make);

    public Scratch Scratch { get; } = new();

    public TFiles Files => _files.Value;

    public void Dispose() => Scratch.Dispose();

    protected abstract TFiles Make();
}
