using Wdb.Core;
using Wdb.Merge.Streaming;

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
    }

    private static ExtractionBlock Tail(ExtractionBlock block, int from) =>
        block.Select(Enumerable.Range(from, block.Count - from).ToArray());
}
