using System.Text.Json;
using System.Text.Json.Nodes;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Tests.Output;

/// <summary>`wdb verify`: a merge output and its inputs against summary.json's checksums.</summary>
public sealed class VerifyTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    private static string Golden => Path.Combine(AppContext.BaseDirectory, "data", "golden", "tiny.csv");

    /// <summary>A merge of a copy of the golden input (so tests may change it) into a fresh directory.</summary>
    private (string Input, string Out) Merge(string name, ChecksumAlgorithm checksum)
    {
        string input = _s.PathOf(name + ".csv"), outDir = _s.PathOf(name);
        File.Copy(Golden, input);
        var outcome = MergeJob.Run(new MergeOptions { Inputs = [input], OutDir = outDir, Device = "cpu", Threads = 2, Checksum = checksum });
        Assert.True(outcome.ExitCode == 0, outcome.Error);
        return (input, outDir);
    }

    private static Dictionary<string, VerifyResult> ByName(IReadOnlyList<VerifyResult> results) => results.ToDictionary(r => r.Name);

    [Theory]
    [InlineData(ChecksumAlgorithm.Xxh128)]
    [InlineData(ChecksumAlgorithm.Sha256)]
    public void A_fresh_output_and_its_input_are_as_recorded(ChecksumAlgorithm checksum)
    {
        var (input, outDir) = Merge("fresh", checksum);
        var (results, error) = OutputVerifier.Verify(outDir, inputs: true);
        Assert.Null(error);
        string[] outputs = [.. OutputWriter.FileNames];
        Assert.Equal(outputs.Order(), results.Where(r => !r.Input).Select(r => r.Name).Order());
        Assert.Equal([input], results.Where(r => r.Input).Select(r => r.Name));
        Assert.All(results, r => Assert.Equal(VerifyStatus.Ok, r.Status));
        Assert.Equal(OutputWriter.FileNames.Count, OutputVerifier.Verify(outDir, inputs: false).Results.Count);   // the input only when asked
    }

    [Fact]
    public void A_changed_byte_a_missing_file_and_a_changed_input_fail_and_an_extra_file_is_noted()
    {
        var (input, outDir) = Merge("damaged", ChecksumAlgorithm.Xxh128);
        string members = Path.Combine(outDir, "members.fb");
        byte[] bytes = File.ReadAllBytes(members);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(members, bytes);
        File.Delete(Path.Combine(outDir, "rejects.csv"));
        File.WriteAllText(Path.Combine(outDir, "notes.txt"), "mine");
        File.AppendAllText(input, "\n");

        var results = ByName(OutputVerifier.Verify(outDir, inputs: true).Results);
        Assert.Equal(VerifyStatus.Differs, results["members.fb"].Status);
        Assert.StartsWith("recorded xxh128:", results["members.fb"].Detail);
        Assert.Equal(VerifyStatus.Missing, results["rejects.csv"].Status);
        Assert.Equal(VerifyStatus.Differs, results[input].Status);
        Assert.Equal(VerifyStatus.Unlisted, results["notes.txt"].Status);
        Assert.False(results["notes.txt"].Failed);
        Assert.Equal(["members.fb", "rejects.csv", input], results.Values.Where(r => r.Failed).Select(r => r.Name));
        Assert.All(results.Values.Where(r => !r.Failed && r.Status != VerifyStatus.Unlisted), r => Assert.Equal(VerifyStatus.Ok, r.Status));
    }

    [Fact]
    public void A_summary_from_before_the_algorithm_was_named_is_read_as_sha256()
    {
        var (input, outDir) = Merge("legacy", ChecksumAlgorithm.Sha256);
        string summaryPath = Path.Combine(outDir, "summary.json");
        var summary = JsonNode.Parse(File.ReadAllText(summaryPath))!;
        var outputs = summary["outputs"]!.AsObject();
        foreach (var name in outputs.Select(kv => kv.Key).ToList())
            outputs[name] = outputs[name]!.GetValue<string>()["sha256:".Length..];
        var file = summary["inputs"]![0]!.AsObject();
        file["sha256"] = file["checksum"]!.GetValue<string>()["sha256:".Length..];
        file.Remove("checksum");
        File.WriteAllText(summaryPath, summary.ToJsonString());

        var (results, error) = OutputVerifier.Verify(outDir, inputs: true);
        Assert.Null(error);
        Assert.Equal(10, results.Count);
        Assert.All(results, r => Assert.Equal(VerifyStatus.Ok, r.Status));

        outputs["groups.fb"] = "md5:0123";
        File.WriteAllText(summaryPath, summary.ToJsonString());
        var groups = ByName(OutputVerifier.Verify(outDir, inputs: false).Results)["groups.fb"];
        Assert.Equal(VerifyStatus.Unreadable, groups.Status);
        Assert.Equal("summary.json records 'md5:0123', not a checksum", groups.Detail);
    }

    /// <summary>
    /// A summary whose outputs leave out a file every merge writes fails on it, whatever the file holds (it would go
    /// unchecked); an empty outputs fails on each of them. Not a note, and not counted as checked.
    /// </summary>
    [Fact]
    public void A_summary_that_leaves_out_a_table_fails_on_it()
    {
        var (_, outDir) = Merge("unlisted", ChecksumAlgorithm.Xxh128);
        string summaryPath = Path.Combine(outDir, "summary.json");
        var summary = JsonNode.Parse(File.ReadAllText(summaryPath))!;
        summary["outputs"]!.AsObject().Remove("groups.fb");
        File.WriteAllText(summaryPath, summary.ToJsonString());
        File.WriteAllText(Path.Combine(outDir, "groups.fb"), "junk");

        var results = OutputVerifier.Verify(outDir, inputs: false).Results;
        var failed = Assert.Single(results, r => r.Failed);
        Assert.Equal(("groups.fb", "not listed in summary.json's outputs"), (failed.Name, failed.Detail));
        Assert.Equal(OutputWriter.FileNames.Order(), results.Select(r => r.Name).Order());   // once, not as a note too

        summary["outputs"] = new JsonObject();
        File.WriteAllText(summaryPath, summary.ToJsonString());
        var none = WdbProcess.Run("verify", outDir, "--quiet");
        Assert.Equal(1, none.Exit);
        Assert.Equal(string.Concat(OutputWriter.FileNames.Select(n => $"{n}: FAILED, not listed in summary.json's outputs\n")), none.Stdout);
        Assert.Contains($"wdb verify: {OutputWriter.FileNames.Count} of {OutputWriter.FileNames.Count} files FAILED", none.Stderr);
    }

    /// <summary>
    /// An input the merge read from standard input, a descriptor (`&lt;(...)`: /dev/fd/N, /proc/self/fd/N) or a FIFO cannot
    /// be read again: not checked and not failed, and never opened (a FIFO would wait for a writer, /proc/self/fd/0 is
    /// this process's own input).
    /// </summary>
    [Fact]
    public async Task Inputs_that_cannot_be_read_again_are_not_checked()
    {
        string outDir = _s.PathOf("piped");
        var merge = WdbProcess.Run(File.ReadAllBytes(Golden), "merge", "-", "--out", outDir, "--device", "cpu", "--quiet");
        Assert.True(merge.Exit == 0, merge.Stderr);
        var verify = WdbProcess.Run("verify", outDir, "--inputs");
        Assert.True(verify.Exit == 0, verify.Stdout + verify.Stderr);
        Assert.Contains("input -: not checked (standard input cannot be read again)\n", verify.Stdout);
        Assert.Contains($"wdb verify: {OutputWriter.FileNames.Count} files as recorded (1 input not checked)", verify.Stderr);

        if (!OperatingSystem.IsLinux()) return;
        string fifo = _s.PathOf("fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        Assert.True(File.Exists(fifo));
        string summaryPath = Path.Combine(outDir, "summary.json");
        var summary = JsonNode.Parse(File.ReadAllText(summaryPath))!;
        var inputs = summary["inputs"]!.AsArray();
        string[] pipes = ["/dev/fd/63", "/proc/self/fd/0", "/dev/stdin", fifo];
        foreach (string pipe in pipes)
        {
            var file = inputs[0]!.DeepClone().AsObject();
            file["path"] = pipe;
            inputs.Add(file);
        }
        File.WriteAllText(summaryPath, summary.ToJsonString());
        var checking = Task.Run(() => OutputVerifier.Verify(outDir, inputs: true));
        var first = await Task.WhenAny(checking, Task.Delay(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken));
        Assert.True(first == checking, "verify opened a FIFO and waits for its writer");
        var results = (await checking).Results.Where(r => r.Input).ToList();
        Assert.Equal(["-", .. pipes], results.Select(r => r.Name));
        Assert.All(results, r => Assert.False(r.Failed, r.Name));
        Assert.Equal(["standard input cannot be read again", .. pipes.Select(_ => "a pipe cannot be read again")], results.Select(r => r.Detail));
    }

    [Fact]
    public void A_directory_without_a_usable_summary_is_an_error()
    {
        string empty = _s.PathOf("empty");
        Directory.CreateDirectory(empty);
        Assert.Contains("is '" + empty + "' a directory written by wdb merge?", OutputVerifier.Verify(empty, false).Error!.Message);
        File.WriteAllText(Path.Combine(empty, "summary.json"), "{\"outputs\": {\"../groups.fb\": \"xxh128:00\"}}");
        Assert.EndsWith("output '../groups.fb' is not a file name", OutputVerifier.Verify(empty, false).Error!.Message);
        File.WriteAllText(Path.Combine(empty, "summary.json"), "{\"rows_read\": 3}");
        Assert.EndsWith("no \"outputs\" object: not a summary written by wdb merge", OutputVerifier.Verify(empty, false).Error!.Message);
        File.WriteAllText(Path.Combine(empty, "summary.json"), "{");
        Assert.Contains("not a summary written by wdb merge", OutputVerifier.Verify(empty, false).Error!.Message);
    }

    [Fact]
    public void The_command_prints_a_line_per_file_and_exits_by_what_it_found()
    {
        var (_, outDir) = Merge("cli", ChecksumAlgorithm.Xxh128);
        var ok = WdbProcess.Run("verify", outDir, "--inputs");
        Assert.True(ok.Exit == 0, ok.Stderr);
        Assert.Contains("groups.fb: OK\n", ok.Stdout);
        Assert.Contains("input " + _s.PathOf("cli.csv") + ": OK\n", ok.Stdout);
        Assert.Contains("wdb verify: 10 files as recorded", ok.Stderr);

        string extractions = Path.Combine(outDir, "extractions.fb");
        File.WriteAllBytes(extractions, File.ReadAllBytes(extractions)[..^1]);
        var bad = WdbProcess.Run("verify", outDir, "--quiet");
        Assert.Equal(1, bad.Exit);
        Assert.Single(bad.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));   // --quiet: the failure alone
        Assert.StartsWith("extractions.fb: FAILED (recorded xxh128:", bad.Stdout);
        Assert.Contains("wdb verify: 1 of 9 files FAILED", bad.Stderr);

        var none = WdbProcess.Run("verify", _s.PathOf("nowhere"));
        Assert.Equal(2, none.Exit);
        Assert.Contains("wdb verify: ", none.Stderr);
    }

    [Fact]
    public void A_relative_input_missing_from_here_says_where_it_is_looked_for()
    {
        var (input, outDir) = Merge("relative", ChecksumAlgorithm.Xxh128);
        // As a merge run in the input's directory records it: the name alone. Verify runs elsewhere (the test's directory).
        string summary = Path.Combine(outDir, "summary.json");
        File.WriteAllText(summary, File.ReadAllText(summary).Replace(System.Text.Json.JsonEncodedText.Encode(input).ToString(), "relative.csv"));
        var results = ByName(OutputVerifier.Verify(outDir, inputs: true).Results);
        Assert.Equal(VerifyStatus.Missing, results["relative.csv"].Status);
        Assert.Equal($"no such file in {Directory.GetCurrentDirectory()}: summary.json records the path as the merge was given it, " +
                     "relative to where the merge ran; run verify from there", results["relative.csv"].Detail);
        // An absolute path missing is just missing.
        File.Delete(Path.Combine(outDir, "rejects.csv"));
        Assert.Equal("no such file", ByName(OutputVerifier.Verify(outDir, inputs: false).Results)["rejects.csv"].Detail);
    }
}
