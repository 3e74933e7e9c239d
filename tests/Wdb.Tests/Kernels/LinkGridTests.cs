using Wdb.Core;
using Wdb.Kernels;

namespace Wdb.Tests.Kernels;

public class LinkGridTests
{
    [Fact]
    public void Plan_for_2_arcsec_collapses_and_reaches_two_cells()
    {
        var g = LinkGrid.Plan([1.0, -1.0], [1.0, -1.0], [1.0, -1.0], 2.0);
        double chord = Math.Sqrt(Sky.ChordSquared(2.0));
        Assert.Equal(1, g.Collapsed);
        Assert.Equal(2, g.Reach);
        Assert.True(Math.Sqrt(3) * g.Side < chord);  // cube diagonal inside the radius
        Assert.True(2 * g.Side > chord);             // cells 3 apart cannot link
        Assert.Equal(0UL, g.OpaqueZero);
    }

    [Fact]
    public void Pack_and_unpack_round_trip_at_the_limits()
    {
        foreach (var (x, y, z) in new[] { (0, 0, 0), (LinkGrid.MaxCoord, 0, 1), (5, LinkGrid.MaxCoord, LinkGrid.MaxCoord), (LinkGrid.MaxCoord, LinkGrid.MaxCoord, LinkGrid.MaxCoord) })
        {
            ulong key = LinkGrid.Pack(x, y, z);
            Assert.Equal((x, y, z), (LinkGrid.UnpackX(key), LinkGrid.UnpackY(key), LinkGrid.UnpackZ(key)));
        }
        Assert.True(LinkGrid.Pack(1, 0, 0) > LinkGrid.Pack(0, LinkGrid.MaxCoord, LinkGrid.MaxCoord));
    }

    [Fact]
    public void Any_two_points_of_a_collapsed_cell_are_linked()
    {
        // Points packed around cell corners, where a diagonal pair is farthest apart.
        var rng = new Random(1);
        var ra = new double[4000];
        var dec = new double[4000];
        for (int i = 0; i < ra.Length; i++)
        {
            ra[i] = 33.0 + rng.NextDouble() * 4.0 / 3600;
            dec[i] = -12.0 + rng.NextDouble() * 4.0 / 3600;
        }
        var x = new double[ra.Length];
        var y = new double[ra.Length];
        var z = new double[ra.Length];
        for (int i = 0; i < ra.Length; i++) (x[i], y[i], z[i]) = Sky.UnitVector(ra[i], dec[i]);
        var g = LinkGrid.Plan(x, y, z, 2.0);
        var byCell = new Dictionary<ulong, List<int>>();
        for (int i = 0; i < x.Length; i++)
        {
            ulong key = g.KeyOf(x[i], y[i], z[i]);
            if (!byCell.TryGetValue(key, out var list)) byCell[key] = list = [];
            list.Add(i);
        }
        double chord2 = Sky.ChordSquared(2.0), worst = 0;
        foreach (var members in byCell.Values)
            foreach (int a in members)
                foreach (int b in members)
                {
                    double dx = x[a] - x[b], dy = y[a] - y[b], dz = z[a] - z[b];
                    worst = Math.Max(worst, dx * dx + dy * dy + dz * dz);
                }
        Assert.True(worst <= chord2);
        Assert.True(worst > 0.3 * chord2); // cells are well populated: the check had teeth
    }

    [Fact]
    public void A_plan_from_a_box_built_in_parts_equals_the_plan_from_the_columns()
    {
        var rng = new Random(9);
        int n = 1000;
        var x = new double[n];
        var y = new double[n];
        var z = new double[n];
        for (int i = 0; i < n; i++) (x[i], y[i], z[i]) = Sky.UnitVector(200 + rng.NextDouble(), 40 + rng.NextDouble());
        // Three uneven parts, as the engine's parallel pass builds them, and an empty one.
        int[] cuts = [0, 17, 17, 600, n];
        var box = CellBox.Empty;
        for (int p = 0; p + 1 < cuts.Length; p++)
        {
            var part = CellBox.Empty;
            for (int i = cuts[p]; i < cuts[p + 1]; i++) part = part.Including(x[i], y[i], z[i]);
            box = box.Including(part);
        }
        Assert.Equal(x.Min(), box.MinX);
        Assert.Equal(z.Max(), box.MaxZ);
        Assert.Equal(LinkGrid.Plan(x, y, z, 2.0), LinkGrid.Plan(box, 2.0));
    }

    [Fact]
    public void Distance_rounds_like_Sky_Within_and_box_distance_never_exceeds_it()
    {
        var rng = new Random(2);
        var g = LinkGrid.Plan([0.0], [0.0], [1.0], 2.0);
        for (int t = 0; t < 2000; t++)
        {
            var a = Sky.UnitVector(360 * rng.NextDouble(), 180 * rng.NextDouble() - 90);
            var b = Sky.UnitVector(360 * rng.NextDouble(), 180 * rng.NextDouble() - 90);
            double dx = a.X - b.X, dy = a.Y - b.Y, dz = a.Z - b.Z;
            Assert.Equal(dx * dx + dy * dy + dz * dz, g.Distance2(a.X, a.Y, a.Z, b.X, b.Y, b.Z));
            var box = new CellBox
            {
                MinX = Math.Min(b.X, b.X + 1e-6 * rng.NextDouble()), MaxX = b.X + 1e-6,
                MinY = b.Y - 1e-6 * rng.NextDouble(), MaxY = b.Y,
                MinZ = b.Z, MaxZ = b.Z + 1e-6 * rng.NextDouble(),
            };
            Assert.True(g.BoxDistance2(a.X, a.Y, a.Z, box) <= g.Distance2(a.X, a.Y, a.Z, b.X, b.Y, b.Z));
        }
    }
}
