using Wdb.Core;
using Wdb.Merge;

namespace Wdb.Tests.Stats;

/// <summary>Small hand-made extraction blocks and a brute-force friends-of-friends for tests.</summary>
internal static class TestBlocks
{
    /// <summary>Appends a row with the given identity and position; photometry and flags absent.</summary>
    public static int Add(ExtractionBlock b, long cntr, long scan, double ra, double dec, double jdate = double.NaN)
    {
        int i = b.AddRow();
        b.Cntr[i] = cntr; b.ScanKey[i] = scan; b.Ra[i] = ra; b.Dec[i] = dec; b.JDate[i] = jdate;
        return i;
    }

    public static void SetMag(ExtractionBlock b, int row, Band band, float mag, float sig, byte rdFlg = (byte)'2', byte phQual = (byte)'A')
    {
        var c = b[band];
        c.Mag[row] = mag; c.Sig[row] = sig; c.RdFlg[row] = rdFlg; c.PhQual[row] = phQual;
    }

    /// <summary>Position offset by (east, north) arcsec from (ra0, dec0), by gnomonic deprojection.</summary>
    public static (double Ra, double Dec) Offset(double ra0, double dec0, double eastArcsec, double northArcsec)
    {
        var (cx, cy, cz) = Sky.UnitVector(ra0, dec0);
        double ex = -cy, ey = cx, en = Math.Sqrt(ex * ex + ey * ey);
        if (en < 1e-15) { ex = 1; ey = 0; en = 1; }
        ex /= en; ey /= en;
        double nx = -cz * ey, ny = cz * ex, nz = cx * ey - cy * ex;
        double xi = eastArcsec * Sky.ArcsecToRad, eta = northArcsec * Sky.ArcsecToRad;
        return Sky.ToRaDec(cx + xi * ex + eta * nx, cy + xi * ey + eta * ny, cz + eta * nz);
    }

    /// <summary>Friends-of-friends by brute force (pairs pruned by |dz| only): cgid = smallest cntr of each component.</summary>
    public static long[] FriendsOfFriends(ExtractionBlock b, double radiusArcsec)
    {
        int n = b.Count;
        var parent = new int[n];
        for (int i = 0; i < n; i++) parent[i] = i;
        int Find(int i) { while (parent[i] != i) i = parent[i] = parent[parent[i]]; return i; }
        double chord2 = Sky.ChordSquared(radiusArcsec);
        var v = new (double X, double Y, double Z)[n];
        for (int i = 0; i < n; i++) v[i] = Sky.UnitVector(b.Ra[i], b.Dec[i]);
        // Every pair, except those whose z differ by more than the chord (they cannot link).
        var byZ = new int[n];
        for (int i = 0; i < n; i++) byZ[i] = i;
        Array.Sort(byZ, (p, q) => v[p].Z.CompareTo(v[q].Z));
        double chord = Math.Sqrt(chord2);
        for (int a0 = 0; a0 < n; a0++)
            for (int b0 = a0 + 1; b0 < n && v[byZ[b0]].Z - v[byZ[a0]].Z <= chord; b0++)
            {
                int i = byZ[a0], j = byZ[b0];
                if (!Sky.Within(v[i].X, v[i].Y, v[i].Z, v[j].X, v[j].Y, v[j].Z, chord2)) continue;
                int a = Find(i), c = Find(j);
                if (a != c) parent[Math.Max(a, c)] = Math.Min(a, c);
            }
        var min = new Dictionary<int, long>();
        for (int i = 0; i < n; i++)
        {
            int r = Find(i);
            min[r] = min.TryGetValue(r, out long c) ? Math.Min(c, b.Cntr[i]) : b.Cntr[i];
        }
        var cgid = new long[n];
        for (int i = 0; i < n; i++) cgid[i] = min[Find(i)];
        return cgid;
    }

    /// <summary>Runs confusion, membership and statistics like the pipeline does.</summary>
    public static (GroupTable Table, Membership Membership, ExtractionResults Results, ConfusionResult Confusion) MergeAll(
        ExtractionBlock b, double radiusArcsec = 2.0)
    {
        long[] cgid = FriendsOfFriends(b, radiusArcsec);
        var conf = ConfusionResolver.Resolve(b, cgid, radiusArcsec);
        var membership = MembershipBuilder.Build(b, conf.Gcntr);
        var results = ExtractionResults.Allocate(b.Count);
        var table = GroupStatistics.Compute(b, membership, cgid, conf.Confused, ScanFootprints.DeriveFromExtractions(b), results);
        return (table, membership, results, conf);
    }

    /// <summary>The rows of <paramref name="b"/> in a random order (seeded).</summary>
    public static ExtractionBlock Shuffled(ExtractionBlock b, int seed)
    {
        var order = new int[b.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        new Random(seed).Shuffle(order);
        return b.Select(order);
    }

    /// <summary>cntr -> final group, for comparing runs on differently ordered rows.</summary>
    public static Dictionary<long, long> GroupOfCntr(ExtractionBlock b, long[] gcntr)
    {
        var map = new Dictionary<long, long>();
        for (int i = 0; i < b.Count; i++) map[b.Cntr[i]] = gcntr[i];
        return map;
    }

    public static double Gaussian(Random r)
    {
        double u1 = 1.0 - r.NextDouble(), u2 = r.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
