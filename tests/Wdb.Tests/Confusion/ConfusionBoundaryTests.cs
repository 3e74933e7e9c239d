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

    /// <summary>
    /// The seed scan decides where blends go. Sources A (K 12.5, at 0) and B (K 12, 1.4" east) are resolved by
    /// one scan only (scan 100: cntr 1 A, cntr 2 B); five scans (1-5, cntr 3-7) see one brighter blend (K 11)
    /// 0.6" east, 0.6" from A and 0.8" from B. Priority order: the blends, B, A; scans in order of first
    /// appearance: 1-5, then 100, the last.
    ///
    /// Seeds from scan 100, the one with most members (B, then A). Round 1 (nearest): the blends join A (0.6"
    /// against 0.8"). Centres: B alone (1.4", n 1, v 0.125"^2), A with the blends (0.5", n 6, spread
    /// 5 x 0.1^2 + 0.5^2 = 0.30, v = (0.15 + 0.25) / 7 = 0.057): 0.9" apart, d^2 0.81 over 4 (v_a + v_b) = 0.73,
    /// sharing scan 100 of B's one: no merge. Round 2: a blend costs 0.011 at A's centre, 1.48 at B's; B 0.125
    /// at its own, 0.89 at A's; A 0.087 at its centre (B took scan 100 at the other): round 1 again.
    /// Result: the blends with A (gcntr 1), B alone (gcntr 2).
    ///
    /// Seeded from any other scan (one blend: the fewest members, the first scan in priority order, or the most
    /// members over every scan but the last), or from B alone, the blends and B share a centre in round 1 and A
    /// starts its own (scan 100 taken): centres 0.73" east (n 6, v 0.074) and A (v 0.125), d^2 0.54 within
    /// 4 (v_a + v_b) = 0.80: merged, and round 2 repeats round 1: the blends with B (gcntr 2), A alone.
    /// </summary>
    [Fact]
    public void Seeds_are_the_scan_contributing_most_members_even_the_last_to_appear()
    {
        var b = new ExtractionBlock();
        Put(b, 1, 100, 0.0, 12.5f);
        Put(b, 2, 100, 1.4, 12f);
        for (int s = 1; s <= 5; s++) Put(b, 2 + s, s, 0.6, 11f);
        long[] cgid = FriendsOfFriends(b, 2.0);
        Assert.All(cgid, c => Assert.Equal(1, c));

        var r = ConfusionResolver.Resolve(b, cgid, 2.0);

        Assert.Equal([1L, 2L, 1L, 1L, 1L, 1L, 1L], r.Gcntr);
        // Any input order, the same seeds and groups.
        var reversed = b.Select([6, 5, 4, 3, 2, 1, 0]);
        Assert.Equal([1L, 1L, 1L, 1L, 1L, 2L, 1L], ConfusionResolver.Resolve(reversed, FriendsOfFriends(reversed, 2.0), 2.0).Gcntr);
    }

    /// <summary>
    /// Two scans tie for most members; the seeds are the one holding the brightest member. Scan 100 resolves
    /// A (K 12.5, at 0, cntr 1) and B (K 12, 1.4" east, cntr 2); scans 1-4 see a blend (K 11, 0.6" east, cntr
    /// 3-6); scan 200 sees the brightest blend X (K 10, 0.6" east, cntr 7) and a faint Y (K 16, 1.3" west, cntr 8).
    /// Priority order: X, the blends, B, A, Y.
    ///
    /// Seeds from scan 200 (X's): centres at 0.6" and -1.3". Round 1 (nearest): X, the blends and B (0.8") join
    /// X's centre; A finds it taken by B (scan 100) and joins Y's (1.3"); Y finds X's taken (scan 200) and
    /// joins its own. Centres 0.73" east (n 6, v 0.074) and 0.65" west (n 2, v 0.22): d^2 1.9 over
    /// 4 (v_a + v_b) = 1.2, sharing both of the smaller one's scans: no merge; round 2 moves no row (a blend
    /// costs 0.015 at 0.73" east, 2.6 at 0.65" west; A and Y find 0.73" east taken). Groups: {X, blends, B}
    /// (gcntr 2), {A, Y} (gcntr 1).
    /// Seeds from scan 100 instead (the other tied scan): the blends and X join A (0.6" against 0.8"), Y starts
    /// its own (A's centre taken by X), and nothing merges: {B}, {X, blends, A}, {Y}.
    /// </summary>
    [Fact]
    public void Tied_seed_scans_go_to_the_one_holding_the_brightest_member()
    {
        var b = new ExtractionBlock();
        Put(b, 1, 100, 0.0, 12.5f);
        Put(b, 2, 100, 1.4, 12f);
        for (int s = 1; s <= 4; s++) Put(b, 2 + s, s, 0.6, 11f);
        Put(b, 7, 200, 0.6, 10f);
        Put(b, 8, 200, -1.3, 16f);
        long[] cgid = FriendsOfFriends(b, 2.0);
        Assert.All(cgid, c => Assert.Equal(1, c));

        var r = ConfusionResolver.Resolve(b, cgid, 2.0);

        Assert.Equal([1L, 2L, 2L, 2L, 2L, 2L, 2L, 1L], r.Gcntr);
    }

    /// <summary>
    /// The centre grid's cells must be at least r wide: a member just inside a cell corner has admissible
    /// centres 0.995 r away along an axis, which cells of 0.99 r put two cells off, outside its 3 x 3 cells.
    /// Rows (east offsets in arcsec, all on the line north 0; the layout is point-symmetric, so the grid's
    /// tangent point, the members' normalised mean, is the origin, and a cell edge runs through it):
    ///   scan 1: Sa -1.99 (cntr 1), Sb +1.99 (cntr 2), K 10, the seeds (the brightest of three two-member scans)
    ///   scan 2: N +1.99 (cntr 3), K 11, and M +0.004 (cntr 5), K 12
    ///   scan 3: N' -1.99 (cntr 4), K 11, and M' -0.004 (cntr 6), K 12
    /// M and M' are 1.994" (0.997 r) from the seed on the far side and 1.986" from the near one.
    /// Cells of 1.001 r (2.002"): Sa, N', M' in cell -1, Sb, N, M in cell 0: every centre is within a cell of
    /// every row. Round 1: Sa and N' join Sa's centre, Sb and N Sb's; M finds Sb's centre taken by N (scan 2)
    /// and joins Sa's (1.994"); M' likewise joins Sb's. The centres (mean -1.325" and +1.325", 2.65" apart) do
    /// not merge; round 2 keeps every row (M to Sa's centre 1.33" away, Sb's taken). Groups {Sa, N', M} (gcntr
    /// 1) and {Sb, N, M'} (gcntr 2), as the plain scan over all centres gives.
    /// Cells of 0.99 r (1.98"): Sa and N' fall in cell -2, Sb and N in cell 1, so M (cell 0) never sees Sa's
    /// centre and M' (cell -1) never sees Sb's: M' starts a centre, M joins it, a third group {M, M'}.
    /// </summary>
    [Fact]
    public void Centre_grid_finds_a_centre_just_under_r_away_across_a_cell_corner()
    {
        var b = new ExtractionBlock();
        Put(b, 1, 1, -1.99, 10f);
        Put(b, 2, 1, 1.99, 10f);
        Put(b, 3, 2, 1.99, 11f);
        Put(b, 4, 3, -1.99, 11f);
        Put(b, 5, 2, 0.004, 12f);
        Put(b, 6, 3, -0.004, 12f);
        long[] cgid = FriendsOfFriends(b, 2.0);
        Assert.All(cgid, c => Assert.Equal(1, c));
        long[] expected = [1, 2, 2, 1, 1, 2];

        // gridMinMembers 2 and scanAllMaxCentres 0: these six rows walk the grid, as a component of 128+ rows
        // with more than ScanAllMaxCentres centres does.
        var grid = ConfusionResolver.Resolve(b, cgid, 2.0, gridMinMembers: 2, scanAllMaxCentres: 0);
        var plain = ConfusionResolver.Resolve(b, cgid, 2.0, gridMinMembers: int.MaxValue);

        Assert.Equal(expected, plain.Gcntr);
        Assert.Equal(expected, grid.Gcntr);
    }
}
