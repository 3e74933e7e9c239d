using Wdb.Core;
using Wdb.Merge;
using static Wdb.Tests.Stats.TestBlocks;

namespace Wdb.Tests.Confusion;

/// <summary>
/// Hand-counted inputs at the edges of the split's rules (docs/confusion.md, "The split"), where the randomised
/// fields of ConfusionResolverTests do not tell the rule from a near miss: the 10 % shared-scan boundary of the
/// merge, the choice of the seed scan, and the side of the centre grid's cells. Positions are exact offsets
/// (no scatter), so every distance, variance and cost in the comments is computed from them.
/// </summary>
public class ConfusionBoundaryTests
{
    private const double Ra0 = 200.0, Dec0 = 10.0;

    private static int Put(ExtractionBlock b, long cntr, long scan, double eastArcsec, float k)
    {
        var (ra, dec) = Offset(Ra0, Dec0, eastArcsec, 0.0);
        int row = Add(b, cntr, scan, ra, dec, 2451000.0);
        SetMag(b, row, Band.K, k, 0.03f);
        return row;
    }

    /// <summary>
    /// Sources A (K 13, at 0) and B (K 14, 1.5" east), exactly, seen by a and b scans sharing k of them: A in
    /// scans 1..a (cntr 1..a), B in scans a - k + 1 .. a - k + b (cntr 100001..; the first k B rows are in the
    /// shared scans). One candidate group, confused by the k shared scans.
    ///
    /// Seeds: a shared scan (the only scans with two members), A then B. Round 1 (nearest centre): A to A, B to
    /// B. The centres are 1.5" apart, far more than 2 sqrt(v_a + v_b) (v is the 0.05" floor: 0.14"), so they
    /// merge only by the scan rule: k shared scans of the smaller centre's min(a, b), "at most 10 %".
    ///
    /// Merged (a = b = n): one centre 0.75" east (n = 2n, v = (n 1.125 + 0.25) / (2n + 1) = 0.28"^2). Round 2: A rows
    /// first (brighter) all join it; the first B row of a shared scan finds it taken by A and starts a centre
    /// at B, which the other shared-scan B rows join; every other B row joins the merged centre (cost 3.38
    /// 0.28 / 2n against 0.125 for the one-member centre). Round 3: the centres (A + unshared B, ~0.71" east,
    /// v ~0.28; shared B at 1.5", v &lt;= 0.023) are 0.79" apart, within 2 sqrt(0.30) = 1.1": they merge again
    /// into the same centre, and round 3 repeats round 2. Result: A with B's unshared rows (gcntr 1), and
    /// B's shared rows apart (gcntr 100001).
    /// Not merged: round 2 repeats round 1; A (gcntr 1) and B (gcntr 100001).
    /// </summary>
    [Theory]
    [InlineData(100, 100, 9, true)]      // 9 %
    [InlineData(100, 100, 10, true)]     // exactly 10 %: "at most 10 %" merges
    [InlineData(100, 100, 11, false)]    // 11 %
    [InlineData(1000, 1000, 99, true)]   // 9.9 %
    [InlineData(1000, 1000, 100, true)]  // exactly 10 %
    [InlineData(1000, 1000, 101, false)] // 10.1 %
    [InlineData(200, 100, 11, false)]    // 11 % of the smaller centre's scans, 5.5 % of the larger's
    [InlineData(100, 200, 11, false)]
    public void Centres_sharing_at_most_ten_percent_of_their_scans_merge(int scansA, int scansB, int shared, bool merges)
    {
        var b = new ExtractionBlock();
        for (int i = 0; i < scansA; i++) Put(b, 1 + i, 1 + i, 0.0, 13f);
        for (int i = 0; i < scansB; i++) Put(b, 100_001 + i, scansA - shared + 1 + i, 1.5, 14f);
        long[] cgid = FriendsOfFriends(b, 2.0);
        Assert.All(cgid, c => Assert.Equal(1, c));

        var r = ConfusionResolver.Resolve(b, cgid, 2.0);

        Assert.Equal(1, r.ConfusedCandidateGroups);
        Assert.All(r.Confused, Assert.True);
        for (int i = 0; i < b.Count; i++)
        {
            long cntr = b.Cntr[i];
            bool sharedB = cntr > 100_000 && cntr <= 100_000 + shared;
            long expected = cntr <= 100_000 ? 1 : !merges || sharedB ? 100_001 : 1;
            Assert.True(expected == r.Gcntr[i], $"cntr {cntr}: gcntr {r.Gcntr[i]}, expected {expected}");
        }
    }
}
