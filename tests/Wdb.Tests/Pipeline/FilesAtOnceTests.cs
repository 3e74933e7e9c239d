using System.Collections.Concurrent;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;
using Wdb.Merge.Streaming;
using static Wdb.Tests.Robustness.RobustSupport;

namespace Wdb.Tests.Pipeline;

/// <summary>
/// Inputs read several at once (<see cref="FilesAtOnce"/>) give what reading them one after
/// another gives: the same bytes in every table, the same rejects and per-file accounting, the
/// same error for the same bad file, in memory and in zones.
/// </summary>
public sealed class FilesAtOnceTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    /// <summary>
    /// Five inputs of every format, two gzipped: a survey strip across RA 0/360 dealt out row by row
    /// to three files (its groups span files), a calibration tile, and a header-only file. The last
    /// file repeats cntr of the first two (duplicates, the first by file and line kept) and has a bad row.
    /// </summary>
    private string[] Inputs()
    {
        var strip = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 600, 21, CenterRaDeg: 0.0, CenterDecDeg: 10));
        var tile = SyntheticSky.Generate(new GeneratorOptions(SkyKind.CalTile, 30, 22, Scans: 15, CenterRaDeg: 0.2, CenterDecDeg: 10.3));
        for (int i = 0; i < tile.Count; i++) tile.Cntr[i] += 1_000_000_000;   // generated cntr start at 1 in both
        int[] Rows(int part) => Enumerable.Range(0, strip.Count).Where(i => i % 3 == part).ToArray();
        string a = _s.PathOf("a.csv.gz"), b = _s.PathOf("b.tbl"), c = _s.PathOf("c.bulk.gz"), t = _s.PathOf("tile.csv"), e = _s.PathOf("empty.csv");
        TableTextWriter.Write(strip.Select(Rows(0)), a);
        TableTextWriter.Write(strip.Select(Rows(1)), b);
        TableTextWriter.Write(tile, t);
        File.WriteAllText(e, "cntr,scan_key,ra,dec\n");
        var last = strip.Select(Rows(2));
        foreach (int row in new[] { 3, 30, 31 }) last.CopyRow(strip, Rows(0)[row], last.AddRow());   // duplicates of a.csv.gz rows
        string plain = _s.PathOf("c.bulk");
        TableTextWriter.Write(last, plain);
        File.AppendAllText(plain, "1|2|not a number|4\n");
        using (var from = File.OpenRead(plain))
        using (var to = new System.IO.Compression.GZipStream(File.Create(c), System.IO.Compression.CompressionLevel.Fastest))
            from.CopyTo(to);
        return [a, b, t, e, c];
    }

    private static MergeOutcome Merge(IReadOnlyList<string> inputs, string outDir, int filesAtOnce, int zoneRows, int threads = 2) =>
        MergeJob.Run(new MergeOptions
        {
            Inputs = inputs, OutDir = outDir, Device = "cpu", Threads = threads, FilesAtOnce = filesAtOnce, ZoneRows = zoneRows,
        });

    [Fact]
    public void Files_read_at_once_write_the_bytes_of_files_read_one_after_another()
    {
        var inputs = Inputs();
        string reference = _s.PathOf("one");
        Assert.Null(Merge(inputs, reference, filesAtOnce: 1, zoneRows: 0).Error);
        var one = Summary(reference);
        Assert.Equal(1, one.GetProperty("parameters").GetProperty("files_at_once").GetInt32());
        // What the comparison must see: groups across files, duplicates, a bad row.
        Assert.Equal(3, one.GetProperty("rejects_by_reason").GetProperty("duplicate_cntr").GetInt64());
        Assert.Equal(5, one.GetProperty("inputs").GetArrayLength());
        Assert.Contains(Rejects(reference), r => r.File == "c.bulk.gz" && r.Reason != "duplicate_cntr");

        // Zones of 150 rows: the partition's blocks are that small too, so the files' runs interleave.
        foreach (var (atOnce, zoneRows, threads) in new[] { (2, 0, 2), (5, 0, 3), (9, 0, 2), (3, 150, 2), (5, 150, 4), (1, 150, 2) })
        {
            string outDir = _s.PathOf($"at-once-{atOnce}-{zoneRows}-{threads}");
            Assert.Null(Merge(inputs, outDir, atOnce, zoneRows, threads).Error);
            var summary = Summary(outDir);
            Assert.Equal(Math.Min(atOnce, inputs.Length), summary.GetProperty("parameters").GetProperty("files_at_once").GetInt32());
            if (zoneRows > 0) Assert.True(summary.GetProperty("parameters").GetProperty("zones").GetInt32() > 5);
            foreach (string file in ZoneMergeTests.ComparedFiles)
                Assert.True(Sha256(Path.Combine(reference, file)) == Sha256(Path.Combine(outDir, file)), $"{atOnce} at once, zones of {zoneRows}: {file} differs");
            // Per-file accounting, in file order.
            Assert.Equal(one.GetProperty("inputs").ToString(), summary.GetProperty("inputs").ToString());
        }
    }

    [Fact]
    public void The_first_bad_file_in_order_is_the_error_whichever_read_ends_first()
    {
        var inputs = Inputs();
        // File 1 is bad only at its end, file 2 at its first line: read at once, file 2 fails first.
        string lateBad = _s.PathOf("late-bad.csv");
        File.Copy(_s.PathOf("tile.csv"), lateBad);
        File.AppendAllText(lateBad, "oops,this,is,not,a,row\n");
        string early = _s.Write("early-bad.csv", "ra,dec\n1,2\n");
        foreach (bool strict in new[] { true, false })
        {
            string[] files = [inputs[0], lateBad, early, inputs[1]];
            var errors = new List<string?>();
            foreach (var (atOnce, zoneRows) in new[] { (1, 0), (4, 0), (4, 150) })
            {
                string outDir = _s.PathOf($"bad-{strict}-{atOnce}-{zoneRows}");
                var outcome = MergeJob.Run(new MergeOptions
                {
                    Inputs = files, OutDir = outDir, Device = "cpu", Threads = 2, FilesAtOnce = atOnce, ZoneRows = zoneRows, Strict = strict,
                });
                Assert.Equal(MergeJob.InputErrorExit, outcome.ExitCode);
                errors.Add(outcome.Error);
                Assert.False(Directory.Exists(outDir));
            }
            Assert.All(errors, e => Assert.Equal(errors[0], e));
            // Strict: the late bad row of file 1; else file 2's missing columns (file 1's row is only a reject).
            Assert.Contains(strict ? "late-bad.csv" : "early-bad.csv", errors[0]);
        }
        Assert.Empty(Directory.GetFileSystemEntries(_s.Dir, "*.spill-*"));   // the zone merge's spill went with it
    }

    [Fact]
    public void Validate_reports_every_file_in_order_with_the_same_results()
    {
        var inputs = Inputs();
        var one = InputCheck.Run(inputs, new ReadOptions(Threads: 2), filesAtOnce: 1);
        foreach (int atOnce in new[] { 0, 2, 5 })
        {
            var reported = new List<string>();
            var many = InputCheck.Run(inputs, new ReadOptions(Threads: 2), atOnce, r => reported.Add(r.Read.Path));
            Assert.Equal(inputs, many.Select(r => r.Read.Path));
            Assert.Equal(inputs, reported);
            for (int f = 0; f < inputs.Length; f++)
            {
                FileReadResult x = one[f].Read, y = many[f].Read;
                Assert.Equal((x.RowsRead, x.RowsAccepted, x.Checksum, x.Bytes, x.TextBytes, x.Format, x.Profile, x.Error?.ToString()),
                             (y.RowsRead, y.RowsAccepted, y.Checksum, y.Bytes, y.TextBytes, y.Format, y.Profile, y.Error?.ToString()));
                Assert.Equal(x.Rejects.Select(r => r.ToString()), y.Rejects.Select(r => r.ToString()));
            }
        }
        Assert.Contains(one, r => r.Read.Rejects.Count > 0);
    }

    [Fact]
    public void Results_are_handed_on_in_file_order_with_at_most_the_files_asked_for_in_hand()
    {
        // Reads finish in reverse order; at most three are begun and not yet handed on, besides the one being handed on.
        var handed = new List<int>();
        int inHand = 0, most = 0;
        FilesAtOnce.Run(8, 3, (f, _) =>
        {
            int now = Interlocked.Increment(ref inHand);
            InterlockedMax(ref most, now);
            Thread.Sleep(10 * (8 - f));
            return f * f;
        }, (f, square) =>
        {
            Assert.Equal(f * f, square);
            handed.Add(f);
            Interlocked.Decrement(ref inHand);
            return true;
        });
        Assert.Equal(Enumerable.Range(0, 8), handed);
        Assert.InRange(most, 3, 4);   // all eight at once without the bound
    }

    [Fact]
    public void Stopping_cancels_the_reads_in_flight_and_begins_no_other()
    {
        var begun = new ConcurrentBag<int>();
        var cancelled = new ConcurrentBag<int>();
        var handed = new List<int>();
        FilesAtOnce.Run(10, 4, (f, ct) =>
        {
            begun.Add(f);
            if (f == 0) return f;
            // The later reads would run for a minute unless cancelled.
            if (ct.WaitHandle.WaitOne(TimeSpan.FromMinutes(1))) cancelled.Add(f);
            return f;
        }, (f, _) => { handed.Add(f); return false; });
        Assert.Equal([0], handed);
        // File 0 handed on began file 4 before the stop; nothing after that.
        Assert.Equal([0, 1, 2, 3, 4], begun.Order());
        Assert.Equal([1, 2, 3, 4], cancelled.Order());

        // A bug in a read comes out of Run, after the other reads have ended.
        var ended = new ConcurrentBag<int>();
        var bug = Assert.Throws<InvalidOperationException>(() => FilesAtOnce.Run(3, 3, (f, ct) =>
        {
            if (f == 0) throw new InvalidOperationException("bug");
            ct.WaitHandle.WaitOne(TimeSpan.FromMinutes(1));
            ended.Add(f);
            return f;
        }, (_, _) => true));
        Assert.Equal("bug", bug.Message);
        Assert.Equal([1, 2], ended.Order());
    }

    [Theory]
    [InlineData(ChecksumAlgorithm.Xxh128)]   // taken on the reading thread
    [InlineData(ChecksumAlgorithm.Sha256)]   // on a thread of its own
    public void A_cancelled_read_stops_and_its_checksum_reads_no_further(ChecksumAlgorithm algorithm)
    {
        // What the reader does on cancellation: Abandon ends the hashing thread without reading on; Finish reads to the end.
        byte[] data = new byte[1 << 20];
        new Random(5).NextBytes(data);
        var abandoned = new MemoryStream(data);
        var hashing = new Wdb.IO.Readers.HashingStream(abandoned, algorithm);
        Assert.Equal(4096, hashing.Read(new byte[4096], 0, 4096));
        hashing.Abandon();
        Assert.Equal(4096, abandoned.Position);
        var finished = new MemoryStream(data);
        var whole = new Wdb.IO.Readers.HashingStream(finished, algorithm);
        Assert.Equal(4096, whole.Read(new byte[4096], 0, 4096));
        Assert.Equal((Wdb.Tests.Output.ChecksumTests.Expected(algorithm, data), (long)data.Length), whole.Finish());
        Assert.Equal(data.Length, finished.Position);

        var inputs = Inputs();
        using var cancel = new CancellationTokenSource();
        int blocks = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => ExtractionReader.ReadBlocks(inputs[2], 0, new ReadOptions(Threads: 2), 100, _ =>
        {
            if (++blocks == 2) cancel.Cancel();
            cancel.Token.ThrowIfCancellationRequested();
        }, cancel.Token));
        Assert.Equal(2, blocks);
        // Not cancelled, the same read hands on every block.
        int all = 0;
        var read = ExtractionReader.ReadBlocks(inputs[2], 0, new ReadOptions(Threads: 2), 100, _ => all++, CancellationToken.None);
        Assert.Null(read.Error);
        Assert.True(all > 2, $"{all} blocks");
    }

    [Theory]
    [InlineData(1, false, 16, 1)]    // one input
    [InlineData(3, true, 1, 1)]      // --threads 1
    [InlineData(3, true, 2, 2)]      // gzipped: at least two
    [InlineData(9, true, 16, 8)]     // gzipped: one per two cores
    [InlineData(3, true, 16, 3)]     // never more than the inputs
    [InlineData(9, false, 2, 1)]     // plain text: one per eight cores
    [InlineData(9, false, 16, 2)]
    public void The_default_follows_the_inputs_and_the_cores(int files, bool gzipped, int threads, int expected)
    {
        var paths = Enumerable.Range(0, files).Select(i => gzipped && i == files - 1 ? $"f{i}.csv.gz" : $"f{i}.csv").ToList();
        Assert.Equal(expected, FilesAtOnce.Resolve(0, paths, threads));
        Assert.Equal(Math.Min(files, threads == 1 ? 1 : 5), FilesAtOnce.Resolve(5, paths, threads));
    }

    [Fact]
    public void Runs_read_back_in_the_order_given_not_the_order_added()
    {
        using var scratch = new Scratch();
        using var runs = new DeclinationRuns(scratch.PathOf("runs"));
        var block = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 50, 5));
        int[] firstHalf = Enumerable.Range(0, block.Count / 2).ToArray(), secondHalf = Enumerable.Range(block.Count / 2, block.Count - block.Count / 2).ToArray();
        runs.Add(block.Select(secondHalf), place: (1L << 32) | 0);
        runs.Add(block.Select(firstHalf), place: (0L << 32) | 7);
        runs.PutInOrder();
        var back = new ExtractionBlock();
        runs.Read(0, 0, runs.RowsOf(0), back);
        Assert.Equal(firstHalf.Length, back.Count);
        Assert.Equal(firstHalf.Select(i => block.Cntr[i]).Order(), back.Cntr.Take(back.Count).Order());
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }
}
