using System.Diagnostics;

namespace Wdb.Tests;

/// <summary>
/// The built `wdb` command (wdb.dll beside the test assembly) run as a child process; or, where
/// WDB_EXE is set, that executable: on the GPU machine, which has no .NET, bench/gpu.sh runs the
/// published tests against the self-contained `wdb`.
/// </summary>
internal static class WdbProcess
{
    public static Process Start(params string[] args) => Start(redirectInput: false, args);

    private static Process Start(bool redirectInput, string[] args)
    {
        var psi = new ProcessStartInfo
        {
            RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = redirectInput, UseShellExecute = false,
        };
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
    public static (int Exit, string Stdout, string Stderr) Run(params string[] args) => Run(stdin: null, args);

    /// <summary>Runs to completion, with <paramref name="stdin"/> piped into its standard input when given.</summary>
    public static (int Exit, string Stdout, string Stderr) Run(byte[]? stdin, params string[] args)
    {
        using var p = Start(redirectInput: stdin is not null, args);
        var writing = stdin is null ? Task.CompletedTask : Task.Run(() =>
        {
            try { p.StandardInput.BaseStream.Write(stdin); }
            catch (IOException) { }   // it exited without reading it all (a refused request)
            finally { try { p.StandardInput.Close(); } catch (IOException) { } }
        });
        var stdout = p.StandardOutput.ReadToEndAsync();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        writing.Wait();
        return (p.ExitCode, stdout.Result, err);
    }
}
