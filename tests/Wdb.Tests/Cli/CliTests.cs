namespace Wdb.Tests.Cli;

/// <summary>The `wdb` verbs as a user runs them: exit codes, files, and one-line errors.</summary>
public sealed class CliTests : IDisposable
{
    private readonly Scratch _scratch = new();
    private string _dir => _scratch.Dir;

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void Gen_merge_export_round_trip()
    {
        string data = Path.Combine(_dir, "survey.csv"), outDir = Path.Combine(_dir, "merged"), csv = Path.Combine(_dir, "ext.csv");
        var gen = WdbProcess.Run("gen", "survey", "--sources", "400", "--seed", "4", "--out", data);
        Assert.True(gen.Exit == 0, gen.Stderr);
        var merge = WdbProcess.Run("merge", data, "--out", outDir, "--device", "cpu");
        Assert.True(merge.Exit == 0, merge.Stderr);
        Assert.Contains("rows read", merge.Stderr);
        var export = WdbProcess.Run("export", outDir, "--table", "extractions", "--format", "csv", "--out", csv);
        Assert.True(export.Exit == 0, export.Stderr);
        var lines = File.ReadAllLines(csv);
        Assert.StartsWith("cntr,cgid,gcntr", lines[0]);
        Assert.Equal(File.ReadAllLines(data).Length - 1, lines.Length - 1);
    }

    [Fact]
    public void Zone_merge_from_the_command_line_gives_the_same_tables()
    {
        string data = Path.Combine(_dir, "zones.csv"), whole = Path.Combine(_dir, "whole"), zoned = Path.Combine(_dir, "zoned");
        string spill = Path.Combine(_dir, "spill");
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "3000", "--seed", "6", "--out", data).Exit);
        var a = WdbProcess.Run("merge", data, "--out", whole, "--device", "cpu", "--zone-rows", "0");
        Assert.True(a.Exit == 0, a.Stderr);
        var b = WdbProcess.Run("merge", data, "--out", zoned, "--device", "cpu", "--zone-rows", "700", "--spill-dir", spill);
        Assert.True(b.Exit == 0, b.Stderr);
        Assert.Contains("zones of about 700 rows", b.Stderr);
        foreach (string table in new[] { "groups.fb", "members.fb", "extractions.fb" })
            Assert.True(File.ReadAllBytes(Path.Combine(whole, table)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(zoned, table))), table);
        Assert.Empty(Directory.GetFileSystemEntries(spill));
        var bad = WdbProcess.Run("merge", data, "--out", Path.Combine(_dir, "never"), "--zone-rows", "-5");
        Assert.Equal(2, bad.Exit);
        Assert.Contains("--zone-rows", bad.Stderr);
    }

    [Fact]
    public void Bad_requests_exit_2_with_one_line_and_write_nothing()
    {
        string outDir = Path.Combine(_dir, "never");
        var missing = WdbProcess.Run("merge", Path.Combine(_dir, "absent.csv"), "--out", outDir);
        Assert.Equal(2, missing.Exit);
        Assert.Contains("absent.csv", missing.Stderr);
        Assert.False(Directory.Exists(outDir));

        var unknown = WdbProcess.Run("merge", "x.csv", "--out", outDir, "--no-such-option");
        Assert.Equal(2, unknown.Exit);
        var device = WdbProcess.Run("merge", "x.csv", "--out", outDir, "--device", "tpu");
        Assert.Equal(2, device.Exit);
        var gen = WdbProcess.Run("gen", "survey", "--dec", "89", "--out", Path.Combine(_dir, "g.csv"));
        Assert.Equal(2, gen.Exit);
        Assert.Contains("dec", gen.Stderr);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Every_verb_has_help()
    {
        foreach (var verb in new[] { "gen", "merge", "export", "evaluate", "check-device" })
        {
            var help = WdbProcess.Run(verb, "--help");
            Assert.Equal(0, help.Exit);
            Assert.Contains("Usage:", help.Stdout);
        }
    }
}
