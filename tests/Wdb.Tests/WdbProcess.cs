using System.Diagnostics;

namespace Wdb.Tests;

/// <summary>
/// The built `wdb` command (wdb.dll beside the test assembly) run as a child process; or, where
/// WDB_EXE is set, that executable: on the GPU machine, which has no .NET, bench/gpu.sh runs the
/// published tests against the self-contained `wdb`.
/// </summary>
internal static class WdbProcess
{
    public static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (Environment.GetEnvironmentVariable("WDB_EXE") is { Length: > 0 } exe)
        {
            psi.FileName = exe;
        }
        else
        {
            string dll = Path.Combine(AppContext.BaseDirectory, "wdb.dll");
            Assert.True(File.Exists(dll), $"{dll} not found: the test project must reference Wdb.Cli");
            psi.FileName = "dotnet";
            psi.ArgumentList.Add(dll);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    /// <summary>Runs to completion: exit code, stdout and stderr.</summary>
    public static (int Exit, string Stdout, string Stderr) Run(params string[] args)
    {
        using var p = Start(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, err);
    }
}
