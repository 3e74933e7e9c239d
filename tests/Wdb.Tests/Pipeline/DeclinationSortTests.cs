using Wdb.Core;
using Wdb.Merge;

namespace Wdb.Tests.Pipeline;

public class DeclinationSortTests
{
    /// <summary>
    /// The zone order is (dec, ra, cntr), whatever the ties: declinations drawn from a few
    /// values give runs of every length (inline insertion sort up to 16 rows, Array.Sort
    /// beyond), and ras from a few values tie inside runs so that cntr decides.
    /// </summary>
    [Theory]
    [InlineData(200_000, 50_000, 7)]    // runs of ~4, parallel radix passes
    [InlineData(5_000, 40, 3)]          // runs of ~125
    [InlineData(3_000, 1_000, 2)]       // runs of 1-10, and ras that tie
    public void OrderIsDecThenRaThenCntr(int n, int decValues, int raValues)
    {
        var rnd = new Random(n);
        var b = new ExtractionBlock(n);
        for (int i = 0; i < n; i++)
        {
            int r = b.AddRow();
            b.Dec[r] = -30 + rnd.Next(decValues) * 1e-6 * (rnd.Next(2) == 0 ? 1 : -1);
            b.Ra[r] = 180 + rnd.Next(raValues) * 1e-6;
            b.Cntr[r] = rnd.NextInt64(1, 1L << 40);
        }
        var expected = Enumerable.Range(0, n).OrderBy(i => b.Dec[i]).ThenBy(i => b.Ra[i]).ThenBy(i => b.Cntr[i]).ToArray();
        Assert.Equal(expected, DeclinationSort.Order(b));
    }
    /// <summary>
    /// The radix key is a declination's place between the block's least and greatest in 2^32 steps, so distinct
    /// declinations closer than a step share a key: pole to pole a step is ~4e-8 deg, and declinations 1e-10 deg
    /// apart must still come in their order, as must -0 before +0 (the order the full 64-bit key gave).
    /// </summary>
    [Fact]
    public void DeclinationsCloserThanAKeyStepKeepTheirOrder()
    {
        var rnd = new Random(5);
        var b = new ExtractionBlock(0);
        void Add(double dec, double ra, long cntr) { int r = b.AddRow(); b.Dec[r] = dec; b.Ra[r] = ra; b.Cntr[r] = cntr; }
        Add(-90, 10, 1);
        Add(90, 10, 2);
        for (int i = 0; i < 20_000; i++)
        {
            double centre = rnd.Next(-3, 4) * 10.0;
            Add(centre + rnd.Next(-50, 51) * 1e-10, 100 + rnd.Next(3), rnd.NextInt64(3, 1L << 40));
        }
        for (int i = 0; i < 50; i++) Add(rnd.Next(2) == 0 ? -0.0 : 0.0, 5 - rnd.Next(3), 1_000 + i);
        int n = b.Count;
        var expected = Enumerable.Range(0, n).OrderBy(i => RadixSort.KeyOf(b.Dec[i])).ThenBy(i => b.Ra[i]).ThenBy(i => b.Cntr[i]).ToArray();
        Assert.Equal(expected, DeclinationSort.Order(b, threads: 2));
        Assert.Contains(expected.Zip(expected.Skip(1)), p => b.Dec[p.First] != b.Dec[p.Second] && Math.Abs(b.Dec[p.First] - b.Dec[p.Second]) < 1e-9);
    }

    /// <summary>A block holding a NaN or infinite declination (no step fits it) is ordered by the full key: NaN last.</summary>
    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void NonFiniteDeclinationsAreOrderedByTheFullKey(double odd)
    {
        var rnd = new Random(3);
        var b = new ExtractionBlock(0);
        for (int i = 0; i < 500; i++)
        {
            int r = b.AddRow();
            b.Dec[r] = i % 97 == 0 ? odd : rnd.Next(-1000, 1000) * 1e-3;
            b.Ra[r] = rnd.Next(4);
            b.Cntr[r] = i;
        }
        var expected = Enumerable.Range(0, b.Count).OrderBy(i => RadixSort.KeyOf(b.Dec[i])).ThenBy(i => b.Ra[i]).ThenBy(i => b.Cntr[i]).ToArray();
        Assert.Equal(expected, DeclinationSort.Order(b));
    }
}
