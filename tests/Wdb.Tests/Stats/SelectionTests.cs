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
    [Fact]
    public void Median_between_two_far_apart_halves_keeps_the_lower_middle_found_at_the_top_digit()
    {
        // The two middle values lie in different top-digit buckets of the radix select (rank k is its bucket's
        // first key), so the lower one is found at the first pass and must survive the passes after it, where
        // k is 0: 1000 values 1.0 and 1000 values 1000 -> (1 + 1000) / 2 = 500.5; and with distinct values,
        // 1500 in [1, 2) and 1500 in [1000, 1024) -> the mean of the largest of the first and the smallest of the second.
        var histogram = new int[Selection.HistogramLength];
        var ties = Enumerable.Repeat(1f, 1000).Concat(Enumerable.Repeat(1000f, 1000)).ToArray();
        new Random(4).Shuffle(ties);
        Assert.Equal(500.5f, Selection.Median(ties, histogram));

        var rng = new Random(9);
        var low = Enumerable.Range(0, 1500).Select(_ => 1f + (float)rng.NextDouble()).ToArray();
        var high = Enumerable.Range(0, 1500).Select(_ => 1000f + 24f * (float)rng.NextDouble()).ToArray();
        var values = low.Concat(high).ToArray();
        new Random(5).Shuffle(values);
        Assert.Equal(0.5f * (low.Max() + high.Min()), Selection.Median(values, histogram));
        Assert.All(histogram, c => Assert.Equal(0, c));
    }
}
