using Wdb.Core;
using Wdb.IO;

namespace Wdb.Tests.Pipeline;

/// <summary>
/// The zone merge's catalogue spill: each zone reads back exactly the rows whose declination lies in its range widened by
/// the reach (brute force), in the order added, with their positions and scans bit for bit, across many flushes.
/// </summary>
public sealed class ZoneCatalogueTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    [Theory]
    [InlineData(2.0)]
    [InlineData(61.0)]
    public void Each_zone_reads_back_the_rows_within_its_widened_declinations(double reachArcsec)
    {
        double[] cuts = [-30.0, -29.99, 0.0, 0.0 + 1.0 / 3600, 45.5];
        var rnd = new Random(6);
        var block = new ExtractionBlock(1 << 16);
        var decs = new List<double>();
        // Rows anywhere, and many on and around the cuts (on them, a reach away, a hair inside and outside it).
        for (int i = 0; i < 30_000; i++)
        {
            double dec = i % 2 == 0 ? 180 * rnd.NextDouble() - 90
                : cuts[rnd.Next(cuts.Length)] + (rnd.Next(5) - 2) * reachArcsec / 3600.0 * (1 + (rnd.Next(3) - 1) * 1e-12);
            if (i % 1000 == 7) dec = double.NaN;   // within no reach of anything: filed nowhere
            int row = block.AddRow();
            block.Ra[row] = 360 * rnd.NextDouble();
            block.Dec[row] = Math.Clamp(dec, -90, 90);
            block.ScanKey[row] = rnd.NextInt64();
            decs.Add(block.Dec[row]);
        }
        using var zones = new ZoneCatalogue(_s.PathOf("zones"), cuts, reachArcsec);
        zones.Add(block, block.Count / 2);
        zones.Add(Tail(block, block.Count / 2), block.Count - block.Count / 2);   // two blocks, as a reader hands them
        zones.EndWrites();

        double reach = reachArcsec / 3600.0;
        long filed = 0;
        for (int z = 0; z <= cuts.Length; z++)
        {
            double lo = z == 0 ? double.NegativeInfinity : cuts[z - 1], hi = z == cuts.Length ? double.PositiveInfinity : cuts[z];
            // A row meets zone z when some declination of the zone, [lo, hi), lies within the reach of it.
            var expected = Enumerable.Range(0, block.Count).Where(i => decs[i] + reach >= lo && decs[i] - reach < hi).ToList();
            var rows = zones.RowsOf(z);
            Assert.Equal(expected.Count, rows.Count);
            Assert.Equal(expected.Select(i => block.Ra[i]), rows.Ra);
            Assert.Equal(expected.Select(i => decs[i]), rows.Dec);
            Assert.Equal(expected.Select(i => block.ScanKey[i]), rows.ScanKey);
            filed += rows.Count;
        }
        Assert.Equal(filed, zones.Filed);
        Assert.True(zones.LargestZone > 4096, "the test should cross a flush");

        // Saved for another process (a cluster's tasks and stitch): every zone reads back the same rows, and the rows
        // a predicate holds come from every zone, zone by zone.
        zones.Save();
        using (var opened = ZoneCatalogue.Open(_s.PathOf("zones")))
        {
            Assert.Equal(cuts.Length + 1, opened.Zones);
            Assert.Equal(zones.Filed, opened.Filed);
            for (int z = 0; z <= cuts.Length; z++)
            {
                var (a, b) = (zones.RowsOf(z), opened.RowsOf(z));
                Assert.Equal(a.Ra, b.Ra);
                Assert.Equal(a.Dec, b.Dec);
                Assert.Equal(a.ScanKey, b.ScanKey);
            }
            var north = opened.RowsWhere((_, dec) => dec > 10);
            var expected = Enumerable.Range(0, cuts.Length + 1).SelectMany(z => zones.RowsOf(z).Dec).Where(d => d > 10).ToArray();
            Assert.NotEmpty(expected);
            Assert.Equal(expected, north.Dec);
        }
    }

    [Fact]
    public void Saved_rows_cut_short_or_without_their_index_are_refused_with_the_file_named()
    {
        var block = new ExtractionBlock(16);
        for (int i = 0; i < 5000; i++)
        {
            int row = block.AddRow();
            block.Ra[row] = i * 0.01;
            block.Dec[row] = -1 + i * 0.0004;
            block.ScanKey[row] = i;
        }
        string path = _s.PathOf("filed");
        using (var zones = new ZoneCatalogue(path, [0.0], 2.0))
        {
            zones.Add(block, block.Count);
            zones.EndWrites();
            zones.Save();
        }
        using (var whole = ZoneCatalogue.Open(path)) Assert.Equal(5000, whole.RowsOf(0).Count + whole.RowsOf(1).Count - Overlap(block));
        // A byte of the index changed (sealed, as the other work directory indexes are).
        string index = path + ZoneCatalogue.IndexSuffix;
        byte[] saved = File.ReadAllBytes(index), changed = (byte[])saved.Clone();
        changed[12] ^= 1;
        File.WriteAllBytes(index, changed);
        Assert.Contains($"'{index}' was corrupted or changed since it was written", Assert.Throws<IOException>(() => ZoneCatalogue.Open(path)).Message);
        File.WriteAllBytes(index, saved);
        using (var f = new FileStream(path, FileMode.Open)) f.SetLength(f.Length - 24);
        Assert.Contains(path, Assert.Throws<IOException>(() => ZoneCatalogue.Open(path)).Message);
        File.Delete(path + ZoneCatalogue.IndexSuffix);
        Assert.Throws<FileNotFoundException>(() => ZoneCatalogue.Open(path));
    }

    /// <summary>Rows of <paramref name="block"/> within 2" of the cut at 0: filed under both zones.</summary>
    private static int Overlap(ExtractionBlock block) =>
        Enumerable.Range(0, block.Count).Count(i => Math.Abs(block.Dec[i]) <= 2.0 / 3600);

    private static ExtractionBlock Tail(ExtractionBlock block, int from) =>
        block.Select(Enumerable.Range(from, block.Count - from).ToArray());
}
