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
}
