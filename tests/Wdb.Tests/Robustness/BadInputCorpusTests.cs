using Wdb.Merge;
using static Wdb.Tests.Robustness.RobustSupport;

namespace Wdb.Tests.Robustness;

/// <summary>
/// End to end over tests/Wdb.Tests/data/bad: every corpus file goes through
/// <see cref="MergeJob.Run(MergeOptions, Action{string}?)"/> with and without --strict and the
/// outcome is compared with the <c>NAME.expected</c> beside it:
/// <code>
/// exit 0|2            exit code of the lenient run
/// rows READ MERGED    summary.json rows_read and rows_merged (exit 0)
/// reject L:C reason   one line per rejects.csv row, in order (exit 0)
/// error L:C text      the error is "PATH:L:C: text..." ('-' for none: "PATH: text...") (exit 2)
/// strict L:C text     the --strict error, as above (default for exit 2: the error line); "strict ok" when it succeeds
/// </code>
/// Fatal files (exit 2) must leave no output directory under either mode.
/// </summary>
public sealed class BadInputCorpusTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    public static TheoryData<string> CorpusFiles()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "data", "bad")).Order(StringComparer.Ordinal))
            if (!path.EndsWith(".expected", StringComparison.Ordinal)) data.Add(Path.GetFileName(path));
        return data;
    }

    private sealed record Expected(int Exit, long Read, long Merged, List<(long, int, string)> Rejects, string? Error, string? Strict);

    private static Expected Load(string name)
    {
        string file = BadData(name) + ".expected";
        Assert.True(File.Exists(file), $"{name} has no {name}.expected");
        int exit = -1;
        long read = -1, merged = -1;
        var rejects = new List<(long, int, string)>();
        string? error = null, strict = null;
        foreach (var raw in File.ReadAllLines(file))
        {
            if (raw.Length == 0 || raw[0] == '#') continue;
            int sp = raw.IndexOf(' ');
            string key = raw[..sp], rest = raw[(sp + 1)..];
            switch (key)
            {
                case "exit": exit = int.Parse(rest, Inv); break;
                case "rows":
                    var p = rest.Split(' ');
                    read = long.Parse(p[0], Inv); merged = long.Parse(p[1], Inv);
                    break;
                case "reject":
                    var r = rest.Split(' ');
                    var lc = r[0].Split(':');
                    rejects.Add((long.Parse(lc[0], Inv), int.Parse(lc[1], Inv), r[1]));
                    break;
                case "error": error = rest; break;
                case "strict": strict = rest; break;
                default: throw new InvalidDataException($"{file}: unknown key '{key}'");
            }
        }
        return new Expected(exit, read, merged, rejects, error, strict);
    }

    /// <summary>"L:C text" -> "PATH:L:C: text"; "- text" -> "PATH: text".</summary>
    private static string ErrorPrefix(string path, string spec)
    {
        int sp = spec.IndexOf(' ');
        string where = spec[..sp], text = spec[(sp + 1)..];
        return where == "-" ? $"{path}: {text}" : $"{path}:{where}: {text}";
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Corpus_file_gives_the_expected_rejects_or_error(string name)
    {
        var expected = Load(name);
        // A copy under a plain name, so that messages carry a path this test knows.
        string input = _s.Write(name, File.ReadAllBytes(BadData(name)));
        string outDir = _s.PathOf("out-" + name);

        var outcome = RunMerge([input], outDir);
        Assert.True(expected.Exit == outcome.ExitCode, $"{name}: exit {outcome.ExitCode} ({outcome.Error}), expected {expected.Exit}");
        if (expected.Exit != 0)
        {
            Assert.NotNull(expected.Error);
            Assert.StartsWith(ErrorPrefix(input, expected.Error), outcome.Error);
            Assert.DoesNotContain("\n", outcome.Error);
            Assert.Empty(Directory.GetFileSystemEntries(_s.Dir, "out-*"));
        }
        else
        {
            var summary = Summary(outDir);
            AssertAccounting(summary);
            Assert.Equal(expected.Read, summary.GetProperty("rows_read").GetInt64());
            Assert.Equal(expected.Merged, summary.GetProperty("rows_merged").GetInt64());
            var rejects = Rejects(outDir);
            Assert.Equal(expected.Rejects, rejects.Select(r => (r.Line, r.Column, r.Reason)).ToList());
            Assert.All(rejects, r => Assert.Equal(name, r.File));
            // Merged + rejected rows are the lines the file holds: nothing is lost silently.
            using var reader = Wdb.IO.OutputReader.Open(outDir);
            Assert.Equal(expected.Merged, reader.ExtractionCount);
        }

        string strictOut = _s.PathOf("strict-" + name);
        var strictOutcome = RunMerge([input], strictOut, strict: true);
        string? strictSpec = expected.Strict ?? (expected.Exit != 0 ? expected.Error : null);
        Assert.NotNull(strictSpec);
        if (strictSpec == "ok")
        {
            Assert.Equal(0, strictOutcome.ExitCode);
            return;
        }
        Assert.Equal(MergeJob.InputErrorExit, strictOutcome.ExitCode);
        Assert.StartsWith(ErrorPrefix(input, strictSpec), strictOutcome.Error);
        Assert.False(Directory.Exists(strictOut));
        Assert.Empty(Directory.GetFileSystemEntries(_s.Dir, "strict-*"));
    }

    [Fact]
    public void Every_corpus_file_has_an_expectation_and_every_expectation_a_file()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "data", "bad");
        var files = Directory.GetFiles(dir).Select(Path.GetFileName).ToHashSet();
        foreach (var f in files)
            Assert.True(f!.EndsWith(".expected", StringComparison.Ordinal) ? files.Contains(f[..^9]) : files.Contains(f + ".expected"), f);
        Assert.True(files.Count >= 30);
    }

    [Fact]
    public void Validate_refuses_a_file_with_no_header_as_merge_does()
    {
        // No column names at all (empty, a byte-order mark alone, IPAC keywords alone): one line, exit 2.
        string[] inputs = ["empty.csv", "bom_only.csv", "comments_only.tbl"];
        foreach (string name in inputs)
        {
            string input = _s.Write(name, File.ReadAllBytes(BadData(name)));
            var v = Wdb.Tests.WdbProcess.Run("validate", input);
            Assert.True(v.Exit == MergeJob.InputErrorExit, $"{name}: exit {v.Exit}: {v.Stdout}{v.Stderr}");
            Assert.Contains($"{input}: error: no ", v.Stdout);
        }
        // A header alone, and an empty bulk file (a headerless format), are valid empty tables.
        foreach (string name in new[] { "header_only.csv", "empty.bulk" })
            Assert.Equal(0, Wdb.Tests.WdbProcess.Run("validate", _s.Write(name, File.ReadAllBytes(BadData(name)))).Exit);
    }
}
