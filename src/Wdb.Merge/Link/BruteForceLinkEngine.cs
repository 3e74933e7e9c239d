using Wdb.Core;

namespace Wdb.Merge.Link;

/// <summary>
/// O(n^2) friends-of-friends: tests every pair with <see cref="Sky.Within"/>. The reference
/// every other engine is compared with; usable only for small inputs.
/// </summary>
public sealed class BruteForceLinkEngine : ILinkEngine
{
    public string DeviceName => "brute force (reference)";

    public void Dispose() { }

    public int[] Link(ReadOnlySpan<double> raDeg, ReadOnlySpan<double> decDeg, double radiusArcsec)
    {
        int n = raDeg.Length;
        var x = new double[n]; var y = new double[n]; var z = new double[n];
        for (int i = 0; i < n; i++) (x[i], y[i], z[i]) = Sky.UnitVector(raDeg[i], decDeg[i]);
        double chord2 = Sky.ChordSquared(radiusArcsec);
        var parent = new int[n];
        for (int i = 0; i < n; i++) parent[i] = i;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if (Sky.Within(x[i], y[i], z[i], x[j], y[j], z[j], chord2))
                    UnionFind.Union(parent, i, j);
        var labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = UnionFind.Find(parent, i);
        return labels;
    }
}
