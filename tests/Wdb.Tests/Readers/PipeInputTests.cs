using System.IO.Compression;
using System.IO.Pipes;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;
using Wdb.Tests.Pipeline;
using static Wdb.Tests.Robustness.RobustSupport;

namespace Wdb.Tests.Readers;

/// <summary>
/// Inputs that are pipes (`zcat x.gz | wdb merge /dev/stdin`, `wdb merge <(zcat x.gz)`): nothing may seek them,
/// and nothing may read their head before the merge does (the size estimate once did, and crashed). A pipe here
/// is an anonymous pipe of this process, opened by its /proc/self/fd path as the shell's `<(...)` is; its writer
/// trickles the last bytes one at a time, so the input's end arrives in short reads.
/// </summary>
public sealed class PipeInputTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    /// <summary>A pipe holding <paramref name="content"/>, its path, and the writer (done once the reader has read it all or gone).</summary>
    private sealed class Pipe : IDisposable
    {
        private readonly AnonymousPipeServerStream _server = new(PipeDirection.Out);
        public readonly string Path;
        public readonly Task Writer;

        public Pipe(byte[] content, int trickled = 24)
        {
            Path = $"/proc/self/fd/{_server.ClientSafePipeHandle.DangerousGetHandle()}";
            Writer = Task.Run(() =>
            {
                try
                {
                    int bulk = Math.Max(0, content.Length - trickled);
                    _server.Write(content, 0, bulk);
                    for (int i = bulk; i < content.Length; i++)
                    {
                        _server.Write(content, i, 1);
                        _server.Flush();
                        Thread.Sleep(1);
                    }
                }
                catch (IOException) { }   // the reader went away first (a failed merge): nothing to write for
                finally { _server.Dispose(); }
            });
        }

        public void Dispose()
        {
            _server.DisposeLocalCopyOfClientHandle();
            Writer.Wait();
        }
    }

    private string Survey(string name, int sources = 3000, int seed = 4)
    {
        string path = _s.PathOf(name);
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, sources, Seed: seed), path);
        return path;
    }

    private static byte[] Gzip(byte[] plain)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(plain);
        return ms.ToArray();
    }

    private static MergeOutcome Merge(string input, string outDir, List<string>? log = null, int? zoneRows = null) =>
        MergeJob.Run(new MergeOptions { Inputs = [input], OutDir = outDir, Device = "cpu", Threads = 2, ZoneRows = zoneRows }, log is null ? null : log.Add);

    private static void AssertSameTables(string expected, string actual)
    {
        foreach (string file in new[] { "groups.fb", "groups.idx", "members.fb", "members.idx" })
            Assert.True(Sha256(Path.Combine(expected, file)) == Sha256(Path.Combine(actual, file)), $"{file} differs");
        var a = Summary(expected).GetProperty("inputs")[0];
        var b = Summary(actual).GetProperty("inputs")[0];
        foreach (string field in new[] { "rows_read", "bytes", "checksum" })
            Assert.Equal(a.GetProperty(field).ToString(), b.GetProperty(field).ToString());
    }

    [Fact]
    public void A_csv_through_a_pipe_merges_as_the_file_does_held_whole_or_in_zones()
    {
        if (!OperatingSystem.IsLinux()) return;
        string file = Survey("survey.csv");
        foreach (int? zoneRows in new int?[] { null, 700 })
        {
            string reference = _s.PathOf($"file-{zoneRows}"), piped = _s.PathOf($"pipe-{zoneRows}");
            Assert.Null(Merge(file, reference, zoneRows: zoneRows).Error);
            var log = new List<string>();
            using (var pipe = new Pipe(File.ReadAllBytes(file)))
            {
                Assert.True(RowEstimate.IsPipe(pipe.Path));
                Assert.Null(Merge(pipe.Path, piped, log, zoneRows).Error);
            }
            AssertSameTables(reference, piped);
            // Held whole by default, and said so; with --zone-rows there is nothing to say.
            Assert.Equal(zoneRows is null ? 1 : 0, log.Count(l => l.Contains("a pipe, so its size is not known beforehand")));
        }
    }

    [Fact]
    public void A_dash_is_standard_input_for_merge_and_validate_and_may_be_named_once()
    {
        // Through the command (standard input is the process's): gzip data, found by its signature.
        string file = Survey("survey.csv");
        byte[] gz = Gzip(File.ReadAllBytes(file));
        string reference = _s.PathOf("file"), piped = _s.PathOf("stdin");
        Assert.Null(Merge(_s.Write("survey.csv.gz", gz), reference).Error);
        var (exit, _, err) = WdbProcess.Run(gz, "merge", "-", "--out", piped, "--device", "cpu");
        Assert.True(exit == 0, err);
        Assert.Contains("standard input (-): a pipe, so its size is not known beforehand", err);
        AssertSameTables(reference, piped);
        Assert.Equal("-", Summary(piped).GetProperty("inputs")[0].GetProperty("path").GetString());

        var (vexit, vout, verr) = WdbProcess.Run(gz, "validate", "-");
        Assert.True(vexit == 0, verr);
        Assert.StartsWith(string.Format(Inv, "-: csv, {0:N0} rows", Summary(reference).GetProperty("rows_read").GetInt64()), vout);

        // Named twice: refused before anything is read or written.
        string twice = _s.PathOf("twice");
        var (texit, _, terr) = WdbProcess.Run(gz, "merge", "-", file, "-", "--out", twice);
        Assert.Equal(MergeJob.InputErrorExit, texit);
        Assert.Contains("standard input ('-') is named 2 times: it can be read once", terr);
        Assert.False(Directory.Exists(twice));
        Assert.Equal(MergeJob.InputErrorExit, WdbProcess.Run(gz, "validate", "-", "-").Exit);
    }

    [Fact]
    public void The_size_estimate_neither_reads_a_pipe_nor_takes_a_file_for_one()
    {
        if (!OperatingSystem.IsLinux()) return;
        string file = Survey("survey.csv", sources: 200);
        string empty = _s.Write("empty.csv", "");
        Assert.False(RowEstimate.IsPipe(file));
        Assert.False(RowEstimate.IsPipe(empty));
        Assert.False(RowEstimate.IsPipe(_s.PathOf("missing.csv")));
        Assert.True(RowEstimate.Of(file) > 0);
        byte[] content = File.ReadAllBytes(file);
        using var pipe = new Pipe(content, trickled: 0);
        Assert.Equal(0, RowEstimate.Of(pipe.Path));
        // Every byte is still there for the reader.
        using var read = File.OpenRead(pipe.Path);
        var all = new MemoryStream();
        read.CopyTo(all);
        Assert.Equal(content, all.ToArray());
    }

    [Fact]
    public void Gzip_through_a_pipe_is_found_by_its_signature_and_its_trailer_is_checked()
    {
        if (!OperatingSystem.IsLinux()) return;
        string file = Survey("survey.csv");
        byte[] gz = Gzip(File.ReadAllBytes(file));
        string gzFile = _s.Write("survey.csv.gz", gz);
        string reference = _s.PathOf("file"), piped = _s.PathOf("pipe");
        Assert.Null(Merge(gzFile, reference).Error);
        using (var pipe = new Pipe(gz))
            Assert.Null(Merge(pipe.Path, piped).Error);
        AssertSameTables(reference, piped);

        // Cut short by 1-9 bytes (inside the trailer, or the size alone): a clear error, nothing written.
        foreach (int cut in new[] { 1, 4, 9 })
        {
            string outDir = _s.PathOf($"cut-{cut}");
            MergeOutcome outcome;
            using (var pipe = new Pipe(gz[..^cut]))
                outcome = Merge(pipe.Path, outDir);
            Assert.Equal(MergeJob.InputErrorExit, outcome.ExitCode);
            Assert.Contains("gzip data is truncated or corrupt", outcome.Error);
            Assert.False(Directory.Exists(outDir));
        }
    }
}
