using Wdb.Merge;

namespace Wdb.Tests.Stats;

public class SelectionTests
{
    [Fact]
    public void Nth_equals_the_sorted_element_and_partitions_around_it()
    {
        var rng = new Random(12);
        for (int rep = 0; rep < 300; rep++)
        {
            int n = 1 + rng.Next(60);
            // Few distinct values too, so ties are exercised.
            var values = Enumerable.Range(0, n).Select(_ => rep % 3 == 0 ? (float)rng.Next(4) : (float)rng.NextDouble()).ToArray();
            var sorted = values.OrderBy(v => v).ToArray();
            int k = rng.Next(n);
            var work = (float[])values.Clone();
            float nth = Selection.Nth(work, k);
            Assert.Equal(sorted[k], nth);
            Assert.All(work.Take(k), v => Assert.True(v <= nth));
            Assert.All(work.Skip(k + 1), v => Assert.True(v >= nth));
            Assert.Equal(sorted, work.OrderBy(v => v).ToArray());
        }
    }
}
