using Wdb.Merge;

namespace Wdb.Tests.Stats;

public class TruthMetricsTests
{
    [Fact]
    public void Hand_example()
    {
        // truth: A A A B noise noise; groups: 1 1 2 2 2 3
        // true pairs: C(3,2) = 3 (A); predicted: C(2,2) + C(3,2) = 1 + 3 = 4;
        // both: (0,1) only -> precision 1/4, recall 1/3.
        long[] truth = [7, 7, 7, 8, -1, -1];
        long[] group = [1, 1, 2, 2, 2, 3];
        var (p, r, tp, pp) = TruthMetrics.PairScores(truth, group);
        Assert.Equal(3, tp);
        Assert.Equal(4, pp);
        Assert.Equal(0.25, p, 12);
        Assert.Equal(1.0 / 3, r, 12);
    }

    [Fact]
    public void Agrees_with_brute_force_pair_counting()
    {
        var rng = new Random(7);
        for (int trial = 0; trial < 20; trial++)
        {
            int n = 50 + rng.Next(250);
            var truth = new long[n];
            var group = new long[n];
            for (int i = 0; i < n; i++)
            {
                truth[i] = rng.Next(5) == 0 ? -1 : rng.Next(40);
                group[i] = rng.Next(3) == 0 ? rng.Next(60) : truth[i] + 1000;   // mostly right, some wrong
            }
            long tp = 0, pp = 0, both = 0;
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++)
                {
                    bool t = truth[i] >= 0 && truth[i] == truth[j];
                    bool g = group[i] == group[j];
                    if (t) tp++;
                    if (g) pp++;
                    if (t && g) both++;
                }
            var (p, r, tp2, pp2) = TruthMetrics.PairScores(truth, group);
            Assert.Equal(tp, tp2);
            Assert.Equal(pp, pp2);
            Assert.Equal(pp == 0 ? 1.0 : (double)both / pp, p, 12);
            Assert.Equal(tp == 0 ? 1.0 : (double)both / tp, r, 12);
        }
    }
}
