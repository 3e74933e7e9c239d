using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Google.FlatBuffers;
using Wdb.Core;
using Wdb.Fbs;
using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Tests.Output;

/// <summary>
/// sky.fb, the groups filed by declination band and RA (schema/wdb.fbs): its order against a plain sort, its bytes
/// whatever the order, threads and spills that built it, its key ranges against points placed within a cone, and the
/// cone search it serves against the cone from every group.
/// </summary>
public sealed class SkyTableTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    /// <summary>Positions over the whole sky, at both poles, on RA 0 and just below 360, with exact repeats and RAs a key apart or less.</summary>
    private static List<SkyEntryStruct> Entries(int seed)
    {
        var rnd = new Random(seed);
        var list = new List<SkyEntryStruct>();
        long gcntr = 1;
        for (int i = 0; i < 4000; i++)
            list.Add(new(gcntr += 1 + rnd.Next(5), 360.0 * rnd.NextDouble(), Math.Asin(2 * rnd.NextDouble() - 1) / Sky.DegToRad));
        foreach (var (ra, dec) in new[] { (0.0, 90.0), (123.4, 90.0), (0.0, -90.0), (0.0, 0.0), (Math.BitDecrement(360.0), 0.0), (359.9999999, -45.0) })
            list.Add(new(gcntr += 3, ra, dec));
        for (int i = 0; i < 40; i++)
        {
            list.Add(new(gcntr += 2, 10.0, 20.0));                           // the same position: gcntr decides
            list.Add(new(gcntr += 2, 10.0 + i * 1e-13, 20.0 - i * 1e-13));   // one key, RAs apart: RA decides
        }
        // A grid's column: 300 groups at one RA in one band, a long run of one key prefix, in descending gcntr.
        for (int i = 0; i < 300; i++) list.Add(new(1_000_000 - i, 77.0, -33.0 + i * 1e-4));
        return list;
    }

    /// <summary>sky.fb's records, chunk by chunk through the generated reader, and its index's chunks.</summary>
    private static (List<(long Key, long Gcntr, double Ra, double Dec)> Records, int Chunks) Read(string fb)
    {
        var bytes = File.ReadAllBytes(fb);
        var records = new List<(long, long, double, double)>();
        int chunks = 0;
        for (int at = 0; at < bytes.Length; chunks++)
        {
            int size = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
            var chunk = SkyChunk.GetRootAsSkyChunk(new ByteBuffer(bytes[(at + 4)..(at + 4 + size)]));
            for (int i = 0; i < chunk.EntriesLength; i++)
            {
                var e = chunk.Entries(i)!.Value;
                records.Add((SkyKeys.KeyOf(e.Ra, e.Dec), e.Gcntr, e.Ra, e.Dec));
            }
            at += 4 + size;
        }
        return (records, chunks);
    }

    private (byte[] Fb, ChunkList Index, int Spills) WriteSink(List<SkyEntryStruct> entries, int bufferEntries, int threads, int chunkRecords, int seed)
    {
        string dir = Directory.CreateTempSubdirectory("sky-").FullName;
        try
        {
            using var sink = new SkyTableSink(threads, bufferEntries);
            sink.SpillInto(dir);
            // Chunks of random sizes, in a random order, from many threads at once: as groups.fb's encoders file them.
            var rnd = new Random(seed);
            var shuffled = entries.OrderBy(_ => rnd.Next()).ToArray();
            var pieces = new List<ArraySegment<SkyEntryStruct>>();
            for (int at = 0; at < shuffled.Length;)
            {
                int n = Math.Min(shuffled.Length - at, 1 + rnd.Next(300));
                pieces.Add(new ArraySegment<SkyEntryStruct>(shuffled, at, n));
                at += n;
            }
            Parallel.ForEach(pieces, new ParallelOptions { MaxDegreeOfParallelism = 4 }, p => sink.Add(p));
            Assert.Equal(entries.Count, sink.Count);
            string fb = Path.Combine(dir, "sky.fb");
            ChunkList index;
            int spills;
            using (var file = new ChunkFileWriter(fb, "sky", "zone_ra", ChecksumAlgorithm.Xxh128))
            {
                spills = sink.SpilledRuns;
                sink.Write(file, chunkRecords);
                file.Complete().Synced.GetAwaiter().GetResult();
                index = file.Chunks;
            }
            Assert.Equal(["sky.fb"], Directory.GetFiles(dir).Select(Path.GetFileName));   // the spill is gone
            return (File.ReadAllBytes(fb), index, spills);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_sink_writes_its_entries_in_key_ra_gcntr_order_with_the_same_bytes_whatever_built_it()
    {
        var entries = Entries(1);
        var expected = entries.Select(e => (Key: SkyKeys.KeyOf(e.Ra, e.Dec), e.Gcntr, e.Ra, e.Dec))
            .OrderBy(e => e.Key).ThenBy(e => e.Ra).ThenBy(e => e.Gcntr).ToList();
        byte[]? reference = null;
        foreach (var (buffer, threads, seed) in new[] { (SkyTableSink.DefaultBufferEntries, 2, 1), (1000, 1, 2), (7, 4, 3), (1, 2, 4), (4123, 0, 5) })
        {
            var (fb, index, spills) = WriteSink(entries, buffer, threads, chunkRecords: 100, seed);
            Assert.Equal(buffer < entries.Count, spills > 0);
            reference ??= fb;
            Assert.Equal(reference, fb);
            string path = _s.Write($"sky-{buffer}.fb", fb);
            var (records, chunks) = Read(path);
            Assert.Equal(expected, records);
            // Chunks of 100 records, each indexed by its first and last key.
            Assert.Equal((entries.Count + 99) / 100, chunks);
            Assert.Equal(chunks, index.Count);
            for (int c = 0; c < chunks; c++)
                Assert.Equal((records[c * 100].Key, records[Math.Min(records.Count, (c + 1) * 100) - 1].Key), (index.FirstKey[c], index.LastKey[c]));
        }
    }

    [Fact]
    public void An_empty_sky_table_is_one_empty_chunk()
    {
        var (fb, index, _) = WriteSink([], 10, 1, 100, 1);
        Assert.Equal(1, index.Count);
        Assert.Equal(0, index.TotalRecords);
        Assert.Empty(Read(_s.Write("empty.fb", fb)).Records);
    }

    /// <summary>The point <paramref name="rhoDeg"/> from (ra, dec) at position angle <paramref name="theta"/> (radians, E of N).</summary>
    private static (double Ra, double Dec) Offset(double raDeg, double decDeg, double rhoDeg, double theta)
    {
        double d0 = decDeg * Sky.DegToRad, rho = rhoDeg * Sky.DegToRad;
        double sinDec = Math.Sin(d0) * Math.Cos(rho) + Math.Cos(d0) * Math.Sin(rho) * Math.Cos(theta);
        double dec = Math.Asin(Math.Clamp(sinDec, -1, 1));
        double dRa = Math.Atan2(Math.Sin(theta) * Math.Sin(rho) * Math.Cos(d0), Math.Cos(rho) - Math.Sin(d0) * sinDec);
        double ra = raDeg + dRa / Sky.DegToRad;
        return (ra - 360.0 * Math.Floor(ra / 360.0), dec / Sky.DegToRad);
    }

    [Fact]
    public void The_key_ranges_of_a_cone_hold_every_position_it_measures_within_its_radius()
    {
        var rnd = new Random(7);
        var centres = new List<(double Ra, double Dec)> { (0, 90), (0, -90), (0, 0), (359.9999, 0), (180, 89.99), (10, -89.9), (0.001, 45), (359.999, -60) };
        for (int i = 0; i < 60; i++) centres.Add((360 * rnd.NextDouble(), Math.Asin(2 * rnd.NextDouble() - 1) / Sky.DegToRad));
        int checkedPoints = 0;
        foreach (var (ra, dec) in centres)
            foreach (double r in new[] { 0.01, 1.0, 2.0, 30.0, 600.0, 3600.0 })
            {
                var ranges = SkyKeys.Ranges(ra, dec, r);
                for (int k = 0; k < 200; k++)
                {
                    // Mostly on the rim, where a window too narrow would show; some inside.
                    double rho = (k % 4 == 0 ? rnd.NextDouble() : 1.0) * r / 3600.0;
                    var (pra, pdec) = Offset(ra, dec, rho, 2 * Math.PI * rnd.NextDouble());
                    if (!(Sky.SeparationArcsec(ra, dec, pra, pdec) <= r)) continue;
                    long key = SkyKeys.KeyOf(pra, pdec);
                    Assert.True(ranges.Any(x => x.Lo <= key && key <= x.Hi), $"({pra}, {pdec}) within {r}\" of ({ra}, {dec}) is in no range");
                    checkedPoints++;
                }
            }
        Assert.True(checkedPoints > 40_000, $"{checkedPoints} points checked");
        // A small cone away from the poles reads a sliver of one or two bands, not the sky.
        var small = SkyKeys.Ranges(180, 10, 5);
        Assert.InRange(small.Count, 1, 2);
        Assert.All(small, x => Assert.True(x.Hi - x.Lo < (1L << SkyKeys.RaBits) / 10000));
    }

    /// <summary>
    /// A merge of extractions over both polar caps and across RA 0/360 (scan_key is the only column besides the
    /// position and cntr the merge needs), with repeated positions inside one scan, which confusion splits into
    /// groups at one position.
    /// </summary>
    private string MergeCaps(string name, int seed)
    {
        var rnd = new Random(seed);
        var text = new StringBuilder("cntr,scan_key,ra,dec\n");
        long cntr = 0;
        void Row(double ra, double dec, int scan) =>
            text.Append(CultureInfo.InvariantCulture, $"{++cntr},{scan},{ra:R},{dec:R}\n");
        for (int i = 0; i < 2500; i++)
        {
            Row(360 * rnd.NextDouble(), 89.6 + 0.4 * rnd.NextDouble(), 1 + rnd.Next(6));
            Row(360 * rnd.NextDouble(), -89.6 - 0.4 * rnd.NextDouble(), 1 + rnd.Next(6));
            double ra = 0.2 * rnd.NextDouble() - 0.1;
            Row(ra < 0 ? ra + 360 : ra, 0.2 * rnd.NextDouble() - 0.1, 1 + rnd.Next(6));
        }
        for (int i = 0; i < 20; i++) { Row(0.05, 0.01 * i, 9); Row(0.05, 0.01 * i, 9); }
        string input = _s.Write(name + ".csv", text.ToString()), outDir = _s.PathOf(name);
        var outcome = MergeJob.Run(new MergeOptions { Inputs = [input], OutDir = outDir, Device = "cpu" });
        Assert.Null(outcome.Error);
        return outDir;
    }

    [Fact]
    public void A_cone_read_from_the_sky_table_equals_the_cone_from_every_group()
    {
        string dir = MergeCaps("caps", 3);
        using var reader = OutputReader.Open(dir);
        Assert.True(reader.HasSkyIndex);
        var all = reader.Groups().ToList();
        Assert.True(all.Count > 5000);
        var rnd = new Random(11);
        var cones = new List<(double Ra, double Dec, double R)>
        {
            (0, 90, 60), (200, 89.99, 3600), (0, -90, 1), (0, -90, 900), (0, 0, 30), (359.99, 0.05, 120), (0.05, 0.05, 2), (90, 30, 3600),
        };
        for (int i = 0; i < 120; i++)
        {
            var g = all[rnd.Next(all.Count)];
            cones.Add((g.RaW, g.DecW, Math.Exp(rnd.NextDouble() * Math.Log(3600))));
        }
        int withMany = 0;
        foreach (var (ra, dec, r) in cones)
        {
            var indexed = reader.Cone(ra, dec, r).Select(h => (h.Group.Gcntr, h.SepArcsec)).ToList();
            var scanned = reader.ConeByScan(ra, dec, r).Select(f => (f.Group.Gcntr, Sep: f.Found))
                .OrderBy(h => h.Sep).ThenBy(h => h.Gcntr).ToList();
            Assert.Equal(scanned, indexed);
            if (indexed.Count > 10) withMany++;
        }
        Assert.True(withMany > 20, $"{withMany} cones held more than 10 groups");
        // Groups at one position (a scan's repeats, split by confusion) are all found.
        var repeats = reader.Cone(0.05, 0.05, 0.001);
        Assert.Equal(2, repeats.Count);
        Assert.Equal(0, repeats[0].SepArcsec, 1e-6);
    }

    /// <summary>
    /// Many positions are looked up chunk by chunk (each chunk read once for all of them), few position by position: the
    /// same hits in the same order, on a merge over both caps and RA 0/360 (one chunk) and on a table written two groups
    /// to a chunk (a position's ranges crossing chunks), positions on groups, near them, at the poles and anywhere.
    /// </summary>
    [Fact]
    public void Positions_looked_up_chunk_by_chunk_find_what_each_finds_alone()
    {
        using var tmp = new TempDir();
        Assert.Null(OutputWriter.Write(tmp["small-chunks"], Synthetic.Make(), 2));
        foreach (string dir in new[] { MergeCaps("caps-chunks", 5), tmp["small-chunks"] })
        {
            using var reader = OutputReader.Open(dir);
            var groups = reader.Groups().ToList();
            var rnd = new Random(8);
            var positions = new List<(double Ra, double Dec)> { (0, 90), (0, -90), (359.9999999, 0), (double.NaN, 0) };
            for (int i = 0; i < 600; i++)
            {
                var g = groups[rnd.Next(groups.Count)];
                double near = i % 3 == 1 ? 1.4 : 15;
                positions.Add(i % 3 == 0 ? (360 * rnd.NextDouble(), Math.Asin(2 * rnd.NextDouble() - 1) * 180 / Math.PI)
                    : Wdb.Tests.Stats.TestBlocks.Offset(g.RaW, g.DecW, near * (2 * rnd.NextDouble() - 1), near * (2 * rnd.NextDouble() - 1)));
            }
            foreach (double radius in new[] { 2.0, 60.0, 3600.0 })
            {
                var alone = reader.SkyWithinEach(positions.Count, i => positions[i], radius, byChunk: false)!;
                var together = reader.SkyWithinEach(positions.Count, i => positions[i], radius, byChunk: true)!;
                for (int i = 0; i < positions.Count; i++) Assert.Equal(alone[i], together[i]);
                Assert.True(alone.Count(h => h.Count > 0) > positions.Count / 4, $"radius {radius}: too few positions found groups");
            }
        }
    }

    [Fact]
    public void An_output_without_a_sky_table_answers_the_same_cone_and_a_mixed_up_one_is_refused()
    {
        string dir = MergeCaps("plain", 5), other = MergeCaps("other", 6);
        string[] args = ["cone", dir, "--ra", "0.02", "--dec", "-0.01", "--radius", "200"];
        var indexed = WdbProcess.Run(args);
        Assert.True(indexed.Exit == 0, indexed.Stderr);
        Assert.True(indexed.Stdout.Split('\n').Length > 20);

        // An output written before sky.fb existed is read whole, with the same answer.
        foreach (string f in new[] { "sky.fb", "sky.idx" }) File.Move(Path.Combine(dir, f), _s.PathOf("kept-" + f));
        using (var reader = OutputReader.Open(dir)) Assert.False(reader.HasSkyIndex);
        var scanned = WdbProcess.Run(args);
        Assert.True(scanned.Exit == 0, scanned.Stderr);
        Assert.Equal(indexed.Stdout, scanned.Stdout);

        // Half a sky table: refused at open, with the file named.
        File.Copy(_s.PathOf("kept-sky.idx"), Path.Combine(dir, "sky.idx"));
        Assert.Null(OutputReader.TryOpen(dir, out var half));
        Assert.Contains("sky.fb", half!.Message);

        // Another output's sky table: its groups are not this output's, and the cone says so instead of answering.
        foreach (string f in new[] { "sky.fb", "sky.idx" }) File.Copy(Path.Combine(other, f), Path.Combine(dir, f), overwrite: true);
        var mixed = WdbProcess.Run(args);
        Assert.Equal(2, mixed.Exit);
        Assert.Contains("sky.fb: group", mixed.Stderr);
        Assert.Contains("mixed-up output", mixed.Stderr);

        // A corrupt groups.fb chunk read by the scan (every chunk on every core): one line and exit 2, not a crash.
        foreach (string f in new[] { "sky.fb", "sky.idx" }) File.Delete(Path.Combine(dir, f));
        string groupsFb = Path.Combine(dir, "groups.fb");
        var bytes = File.ReadAllBytes(groupsFb);
        bytes.AsSpan(4, 4).Fill(0xFF);   // the first chunk's root offset, far beyond the chunk
        File.WriteAllBytes(groupsFb, bytes);
        var corrupt = WdbProcess.Run(args);
        Assert.Equal(2, corrupt.Exit);
        Assert.Equal("", corrupt.Stdout);
        Assert.Single(corrupt.Stderr.TrimEnd().Split('\n'));
        Assert.Contains("groups.fb: chunk 0 (offset 0) is corrupt", corrupt.Stderr);
    }
}
