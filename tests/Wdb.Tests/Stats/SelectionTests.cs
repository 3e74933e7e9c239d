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

    private static float SortedMedian(float[] values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int k = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[k] : 0.5f * (sorted[k - 1] + sorted[k]);
    }

    [Fact]
    public void Median_equals_the_sorted_middle_on_both_paths()
    {
        var rng = new Random(7);
        var histogram = new int[Selection.HistogramLength];
        for (int rep = 0; rep < 120; rep++)
        {
            // Sizes on both sides of the radix threshold, odd and even.
            int n = rep % 4 == 0 ? 1 + rng.Next(Selection.RadixMinCount) : Selection.RadixMinCount + rng.Next(6000);
            var values = new float[n];
            for (int i = 0; i < n; i++)
                values[i] = (rep % 5) switch
                {
                    0 => rng.Next(3) * 0.25f,                                   // heavy ties, zeros
                    1 => MathF.Abs((float)(rng.NextDouble() - 0.5) * 1e-3f),    // one narrow range
                    2 => (float)Math.Pow(10, 8 * rng.NextDouble() - 6),         // many exponents
                    3 => i % 97 == 0 ? float.PositiveInfinity : (float)rng.NextDouble(),
                    _ => MathF.Abs(15f + (float)rng.NextDouble() - (15f + (float)rng.NextDouble())), // |dm|
                };
            float expected = SortedMedian(values);
            var work = (float[])values.Clone();
            Assert.Equal(expected, Selection.Median(work, histogram));
            Assert.All(histogram, c => Assert.Equal(0, c));                // left zero for the next call
        }
    }

    [Fact]
    public void Median_of_negative_values_takes_the_selection_path_and_is_still_right()
    {
        var rng = new Random(3);
        var histogram = new int[Selection.HistogramLength];
        var values = Enumerable.Range(0, 3000).Select(_ => (float)(rng.NextDouble() - 0.7)).ToArray();
        values[17] = -0.0f;
        Assert.Equal(SortedMedian(values), Selection.Median((float[])values.Clone(), histogram));
        Assert.All(histogram, c => Assert.Equal(0, c));
    }
}
