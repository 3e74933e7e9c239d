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

    /// <summary>Started with its standard input a pipe the caller holds: a verb reading `-` waits on it until it is closed.</summary>
    public static Process StartReading(params string[] args) => Start(redirectInput: true, args);

    /// <summary>
    /// Runs to completion with its standard output sent to <paramref name="path"/> by the shell (/dev/full: every write
    /// fails), or closed when <paramref name="path"/> is "&amp;-".
    /// </summary>
    public static (int Exit, string Stderr) RunWithStdoutTo(string path, params string[] args) => RunWithDescriptorTo(1, path, args);

    /// <summary>
    /// Runs to completion with its standard error sent to <paramref name="path"/> by the shell (/dev/full), or closed when
    /// <paramref name="path"/> is "&amp;-": exit code and stdout.
    /// </summary>
    public static (int Exit, string Stdout) RunWithStderrTo(string path, params string[] args) => RunWithDescriptorTo(2, path, args);

    // The shell redirects descriptor fd (1 or 2) of wdb; the other one is read back.
    private static (int Exit, string Other) RunWithDescriptorTo(int fd, string path, string[] args)
    {
        var psi = new ProcessStartInfo
        {
            RedirectStandardError = fd == 1, RedirectStandardOutput = fd == 2, UseShellExecute = false, FileName = "sh",
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"out=$1; shift; if [ \"$out\" = '&-' ]; then exec \"$@\" {fd}>&-; else exec \"$@\" {fd}> \"$out\"; fi");
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(path);
        foreach (var a in Command(args)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string other = (fd == 1 ? p.StandardError : p.StandardOutput).ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, other);
    }

    /// <summary>
    /// Runs to completion with its standard error a pipe whose reading end is closed at once, as when the program reading
    /// it has gone: every write fails (EPIPE). Exit code and stdout.
    /// </summary>
    public static (int Exit, string Stdout) RunWithStderrUnread(params string[] args)
    {
        using var p = Start(redirectInput: false, args);
        p.StandardError.Close();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout);
    }

    /// <summary>
    /// Runs to completion with its standard output a pipe whose reading end is closed at once, as when `head -1` has read
    /// its line and gone: every write fails (EPIPE). Exit code and stderr.
    /// </summary>
    public static (int Exit, string Stderr) RunWithStdoutUnread(params string[] args)
    {
        using var p = Start(redirectInput: false, args);
        p.StandardOutput.Close();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stderr);
    }

    // The command line that runs wdb: WDB_EXE, or `dotnet wdb.dll`.
    private static IEnumerable<string> Command(string[] args)
    {
        if (Environment.GetEnvironmentVariable("WDB_EXE") is { Length: > 0 } exe) yield return exe;
        else
        {
            string dll = Path.Combine(AppContext.BaseDirectory, "wdb.dll");
            Assert.True(File.Exists(dll), $"{dll} not found: the test project must reference Wdb.Cli");
            yield return "dotnet";
            yield return dll;
        }
        foreach (var a in args) yield return a;
    }

    /// <summary>Started with <paramref name="environment"/>'s variables set (TMPDIR, for a verb's own scratch).</summary>
    public static Process StartWith(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Start(redirectInput: false, args, environment);

    private static Process Start(bool redirectInput, string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo
        {
            RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = redirectInput, UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        var command = Command(args).ToList();
        psi.FileName = command[0];
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
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

    /// <summary>How a generated script calls the built wdb, as <see cref="Start(string[])"/> runs it: WDB_EXE, or `dotnet wdb.dll`.</summary>
    public static string ShellCommand() => Environment.GetEnvironmentVariable("WDB_EXE") is { Length: > 0 } exe
        ? Wdb.Merge.Streaming.SlurmScripts.Quote(exe)
        : $"dotnet {Wdb.Merge.Streaming.SlurmScripts.Quote(Path.Combine(AppContext.BaseDirectory, "wdb.dll"))}";

    /// <summary><paramref name="program"/> (a shell, a script) run with <paramref name="args"/> in <paramref name="cwd"/> (null: here) and <paramref name="env"/> added; its exit code and stderr.</summary>
    public static (int Exit, string Stderr) RunProgram(string program, IEnumerable<string> args, string? cwd, params (string Name, string Value)[] env)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        if (cwd is not null) psi.WorkingDirectory = cwd;
        foreach (string arg in args) psi.ArgumentList.Add(arg);
        foreach (var (name, value) in env) psi.Environment[name] = value;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        _ = stdout.Result;
        return (p.ExitCode, err);
    }
}
