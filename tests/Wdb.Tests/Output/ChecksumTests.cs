using System.Diagnostics;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text.Json;
using Wdb.Core;
using Wdb.IO;

namespace Wdb.Tests.Output;

/// <summary>
/// The checksums of summary.json and `wdb validate`: known answers printed by the reference tools
/// (xxh128sum 0.8.1 from Debian's xxhash, coreutils' sha256sum), streams that give the one-shot digest
/// however they are cut, and a merge's recorded checksums against the tools themselves on its files.
/// </summary>
public sealed class ChecksumTests(ITestOutputHelper log) : IDisposable
{
    private readonly Scratch _scratch = new();

    public void Dispose() => _scratch.Dispose();

    /// <summary>The digest a file of these bytes should be recorded with (<c>NAME:HEX</c>), straight from the libraries.</summary>
    public static string Expected(ChecksumAlgorithm algorithm, byte[] bytes) => algorithm switch
    {
        ChecksumAlgorithm.Xxh128 => "xxh128:" + Convert.ToHexStringLower(XxHash128.Hash(bytes)),
        ChecksumAlgorithm.Sha256 => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>Whether a recorded <c>NAME:HEX</c> is these bytes' digest by the algorithm it names.</summary>
    public static bool Matches(string recorded, byte[] bytes) =>
        Checksums.TryParse(recorded.Split(':')[0], out var algorithm) && recorded == Expected(algorithm, bytes);

    private static byte[] Pattern(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 31 + 7)).ToArray();

    // Printed by `xxh128sum` and `sha256sum` for the same bytes: the empty input, "abc", and the pattern
    // (i*31+7) mod 256 at lengths that take XXH128's short, mid-size and long (striped) paths.
    [Theory]
    [InlineData(ChecksumAlgorithm.Xxh128, -1, "99aa06d3014798d86001c324468d497f")]
    [InlineData(ChecksumAlgorithm.Xxh128, 0, "06b05ab6733a618578af5f94892f3950")]
    [InlineData(ChecksumAlgorithm.Xxh128, 17, "18217300b5132d5a78c349fe81b2f26c")]
    [InlineData(ChecksumAlgorithm.Xxh128, 200, "8d8629a1aef9ef9060ea018811f9a437")]
    [InlineData(ChecksumAlgorithm.Xxh128, 100_003, "cb5ebd34f7252f19e0950e66cf107fe8")]
    [InlineData(ChecksumAlgorithm.Sha256, 0, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData(ChecksumAlgorithm.Sha256, 17, "b6ff0191041cc77b1ef514adaed53fdd247fd43221a629d3d7c91d14e21038a3")]
    [InlineData(ChecksumAlgorithm.Sha256, 100_003, "2a1683cff214df29e77df156a515258190a1bc11526d41cd2b34e72a23b6b7d6")]
    public void Known_answers_of_the_reference_tools(ChecksumAlgorithm algorithm, int length, string hex)
    {
        // length -1: empty; 0: "abc"; else the pattern.
        byte[] bytes = length < 0 ? [] : length == 0 ? "abc"u8.ToArray() : Pattern(length);
        string expected = algorithm.Name() + ":" + hex;
        Assert.Equal(expected, RunningChecksum.Of(algorithm, bytes));
        using var running = new RunningChecksum(algorithm);
        running.Append(bytes);
        Assert.Equal(expected, running.Finish());
    }

    [Theory]
    [InlineData(ChecksumAlgorithm.Xxh128)]
    [InlineData(ChecksumAlgorithm.Sha256)]
    public void A_stream_cut_anywhere_gives_the_digest_of_the_whole(ChecksumAlgorithm algorithm)
    {
        var rng = new Random(11);
        for (int trial = 0; trial < 40; trial++)
        {
            var bytes = new byte[rng.Next(0, 3000)];
            rng.NextBytes(bytes);
            using var running = new RunningChecksum(algorithm);
            for (int at = 0; at < bytes.Length;)
            {
                int n = Math.Min(bytes.Length - at, rng.Next(0, 300));
                running.Append(bytes.AsSpan(at, n));
                at += n;
            }
            Assert.Equal(Expected(algorithm, bytes), running.Finish());
            running.Append(bytes);   // Finish starts again empty
            Assert.Equal(Expected(algorithm, bytes), running.Finish());
        }
    }

    [Fact]
    public void Names_are_read_as_a_user_writes_them()
    {
        Assert.Equal(["xxh128", "sha256"], Checksums.Names);
        foreach (var (text, algorithm) in new[] { ("xxh128", ChecksumAlgorithm.Xxh128), ("XXH128", ChecksumAlgorithm.Xxh128), (" sha256 ", ChecksumAlgorithm.Sha256) })
        {
            Assert.True(Checksums.TryParse(text, out var parsed), text);
            Assert.Equal(algorithm, parsed);
        }
        foreach (string? bad in new[] { "md5", "sha-256", "", null, "xxh64" })
            Assert.False(Checksums.TryParse(bad, out _), bad);
    }

    [Fact]
    public void Recorded_values_are_read_back_with_their_algorithm_and_bare_hex_as_sha256()
    {
        string xxh = new string('a', 32), sha = new string('0', 64);
        Assert.True(Checksums.TryParseValue("xxh128:" + xxh, out var a, out string hex));
        Assert.Equal((ChecksumAlgorithm.Xxh128, xxh), (a, hex));
        Assert.True(Checksums.TryParseValue("sha256:" + sha, out a, out hex));
        Assert.Equal((ChecksumAlgorithm.Sha256, sha), (a, hex));
        Assert.True(Checksums.TryParseValue(sha, out a, out hex));   // summaries before the algorithm was named
        Assert.Equal((ChecksumAlgorithm.Sha256, sha), (a, hex));
        foreach (string? bad in new[] { null, "", "xxh128:" + sha, "sha256:" + xxh, xxh, "md5:" + xxh, "xxh128:" + xxh.ToUpperInvariant(), "xxh128:" + xxh[..31] + "g" })
            Assert.False(Checksums.TryParseValue(bad, out _, out _), bad);
    }

    /// <summary>The first word `TOOL FILE` prints (the hex digest); null where the tool is not installed.</summary>
    private string? Tool(string tool, string file)
    {
        if (ExternalTools.Find(tool) is not string path)
        {
            log.WriteLine($"NOTE: {tool} not on PATH; {file} checked against the library's digest only.");
            return null;
        }
        var psi = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(file);
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} {file}: {p.StandardError.ReadToEnd()}");
        return stdout.Split(' ')[0];
    }

    [Fact]
    public void A_merge_records_what_xxh128sum_and_sha256sum_print_and_its_tables_do_not_depend_on_the_choice()
    {
        string data = _scratch.PathOf("survey.csv");
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "300", "--seed", "3", "--out", data).Exit);
        var outputs = new Dictionary<ChecksumAlgorithm, string>();
        foreach (var (algorithm, args) in new[] { (ChecksumAlgorithm.Xxh128, Array.Empty<string>()), (ChecksumAlgorithm.Sha256, ["--checksum", "sha256"]) })
        {
            string outDir = outputs[algorithm] = _scratch.PathOf(algorithm.Name());
            var merge = WdbProcess.Run(["merge", data, "--out", outDir, "--device", "cpu", .. args]);
            Assert.True(merge.Exit == 0, merge.Stderr);
            using var summary = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "summary.json")));
            var root = summary.RootElement;
            Assert.Equal(algorithm.Name(), root.GetProperty("parameters").GetProperty("checksum").GetString());
            var recorded = root.GetProperty("outputs").EnumerateObject().Select(p => (Path.Combine(outDir, p.Name), p.Value.GetString()!))
                .Append((data, root.GetProperty("inputs")[0].GetProperty("checksum").GetString()!)).ToList();
            Assert.Equal(10, recorded.Count);   // 3 tables and sky.fb, their 4 indexes, rejects.csv; the input
            string tool = algorithm == ChecksumAlgorithm.Xxh128 ? "xxh128sum" : "sha256sum";
            foreach (var (file, value) in recorded)
            {
                Assert.Equal(Expected(algorithm, File.ReadAllBytes(file)), value);
                if (Tool(tool, file) is string hex) Assert.Equal(algorithm.Name() + ":" + hex, value);
            }
        }
        foreach (string table in new[] { "groups.fb", "members.fb", "extractions.fb", "rejects.csv" })
            Assert.True(File.ReadAllBytes(Path.Combine(outputs[ChecksumAlgorithm.Xxh128], table))
                .AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(outputs[ChecksumAlgorithm.Sha256], table))), table);

        // validate takes the same option and prints the same digest as merge recorded.
        var validate = WdbProcess.Run("validate", data, "--checksum", "sha256");
        Assert.True(validate.Exit == 0, validate.Stderr);
        Assert.Contains("; " + Expected(ChecksumAlgorithm.Sha256, File.ReadAllBytes(data)), validate.Stdout);

        foreach (string verb in new[] { "merge", "validate" })
        {
            string never = _scratch.PathOf("never-" + verb);
            var bad = verb == "merge" ? WdbProcess.Run("merge", data, "--out", never, "--checksum", "md5") : WdbProcess.Run("validate", data, "--checksum", "md5");
            Assert.Equal(2, bad.Exit);
            Assert.Contains($"wdb {verb}: --checksum: expected one of xxh128, sha256, got 'md5'", bad.Stderr);
            Assert.False(Directory.Exists(never));
        }
    }
}
