using Wdb.Core;
using Wdb.Merge;
using static Wdb.Tests.Stats.TestBlocks;

namespace Wdb.Tests.Stats;

public class MembershipBuilderTests
{
    /// <summary>The order by brute force: (gcntr, jdate with NaN last, cntr, row).</summary>
    private static int[] ReferenceOrder(ExtractionBlock b, long[] gcntr) =>
        Enumerable.Range(0, b.Count)
            .OrderBy(i => gcntr[i])
            .ThenBy(i => double.IsNaN(b.JDate[i]) ? 1 : 0).ThenBy(i => double.IsNaN(b.JDate[i]) ? 0 : b.JDate[i])
            .ThenBy(i => b.Cntr[i]).ThenBy(i => i)
            .ToArray();

    [Fact]
    public void Members_follow_gcntr_then_time_then_cntr_with_ties_and_missing_dates()
    {
        var rng = new Random(99);
        for (int rep = 0; rep < 20; rep++)
        {
            var b = new ExtractionBlock();
            int n = 200 + rng.Next(3000);
            int groups = 1 + rng.Next(rep % 2 == 0 ? 20 : 800);   // groups far above and below the insertion size
            var gcntr = new long[n];
            for (int i = 0; i < n; i++)
            {
                // Few distinct dates (ties), some missing; cntr repeated too, so the row decides.
                double jd = rng.Next(6) == 0 ? double.NaN : 2451000.5 + rng.Next(rep % 3 == 0 ? 3 : 400);
                Add(b, rng.Next(rep % 4 == 0 ? 50 : 1 << 30) - 20, 1, 10, 10, jd);
                // Ids spanning less than 32 bits (the usual case), or the whole long range.
                gcntr[i] = rep % 5 == 4 ? (rng.Next(groups) - groups / 2) * (long.MaxValue / 1000) : rng.Next(groups) * 1_000_003L - 7;
            }
            var m = MembershipBuilder.Build(b, gcntr);
            Assert.Equal(ReferenceOrder(b, gcntr), m.MemberRows);
            var ids = gcntr.Distinct().Order().ToArray();
            Assert.Equal(ids, m.Gcntr);
            Assert.Equal(0, m.Offsets[0]);
            Assert.Equal(n, m.Offsets[^1]);
            for (int g = 0; g < ids.Length; g++)
                Assert.All(m.Members(g).ToArray(), row => Assert.Equal(ids[g], gcntr[row]));
        }
    }

    [Theory]
    [InlineData(1)]          // ids within one 11-bit digit
    [InlineData(1_000_003)]  // three digits
    public void Large_inputs_sorted_in_slices_on_several_threads_give_the_one_thread_order(long step)
    {
        // Above the row count from which the gcntr sort's passes run in slices on every thread.
        var rng = new Random(5);
        var b = new ExtractionBlock();
        int n = 300_001;
        var gcntr = new long[n];
        for (int i = 0; i < n; i++)
        {
            Add(b, rng.Next(1 << 30), 1, 10, 10, 2451000.5 + rng.Next(50));
            gcntr[i] = rng.Next(1500) * step + 11;
        }
        var one = MembershipBuilder.Build(b, gcntr, threads: 1);
        Assert.Equal(ReferenceOrder(b, gcntr), one.MemberRows);
        foreach (int threads in new[] { 2, 3 })
        {
            var many = MembershipBuilder.Build(b, gcntr, threads);
            Assert.Equal(one.MemberRows, many.MemberRows);
            Assert.Equal(one.Gcntr, many.Gcntr);
            Assert.Equal(one.Offsets, many.Offsets);
        }
    }

    [Fact]
    public void Empty_block_has_no_groups()
    {
        var m = MembershipBuilder.Build(new ExtractionBlock(), []);
        Assert.Empty(m.Gcntr);
        Assert.Equal([0], m.Offsets);
        Assert.Empty(m.MemberRows);
    }
}
