using Wdb.Core;

namespace Wdb.Tests.Kernels;

/// <summary>Brute-force friends-of-friends and small position sets for the link-engine tests.</summary>
internal static class LinkTestData
{
    /// <summary>
    /// O(n^2) union-find over <see cref="Sky.Within"/>: label = smallest row of the component.
    /// Rows with a non-finite position link to nothing.
    /// </summary>
    public static int[] BruteForce(double[] ra, double[] dec, double radiusArcsec)
    {
        int n = ra.Length;
        double chord2 = Sky.ChordSquared(radiusArcsec);
        var v = new (double X, double Y, double Z)[n];
        for (int i = 0; i < n; i++) v[i] = Sky.UnitVector(ra[i], dec[i]);
        var parent = new int[n];
        for (int i = 0; i < n; i++) parent[i] = i;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if (Sky.Within(v[i].X, v[i].Y, v[i].Z, v[j].X, v[j].Y, v[j].Z, chord2))
                {
                    int a = Root(parent, i), b = Root(parent, j);
                    if (a < b) parent[b] = a;
                    else if (b < a) parent[a] = b;
                }
        var labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = Root(parent, i);
        return labels;
    }

    private static int Root(int[] parent, int a)
    {
        while (parent[a] != a) a = parent[a];
        return a;
    }

    /// <summary>
    /// The smallest radius (arcsec) at which rows i and j link: Sky.ChordSquared of it equals or
    /// just exceeds their squared chord as Sky.Within rounds it, and one ulp less does not link.
    /// </summary>
    public static double BoundaryRadius(double[] ra, double[] dec, int i, int j)
    {
        var a = Sky.UnitVector(ra[i], dec[i]);
        var b = Sky.UnitVector(ra[j], dec[j]);
        double dx = a.X - b.X, dy = a.Y - b.Y, dz = a.Z - b.Z;
        double d2 = dx * dx + dy * dy + dz * dz;
        double r = Sky.SeparationArcsec(ra[i], dec[i], ra[j], dec[j]);
        while (Sky.ChordSquared(r) < d2) r = Math.BitIncrement(r);
        while (Sky.ChordSquared(Math.BitDecrement(r)) >= d2) r = Math.BitDecrement(r);
        return r;
    }

    /// <summary>Pairs 2" apart in Dec, whose squared chords differ only in the last bits.</summary>
    public static (double[] Ra, double[] Dec) BoundaryPairs(int pairs, double ra0, double dec0, double raStep, double decStep)
    {
        var ra = new double[2 * pairs];
        var dec = new double[2 * pairs];
        for (int k = 0; k < pairs; k++)
        {
            ra[2 * k] = ra[2 * k + 1] = ra0 + raStep * k;
            dec[2 * k] = dec0 + decStep * k;
            dec[2 * k + 1] = dec[2 * k] + 2.0 / 3600;
        }
        return (ra, dec);
    }

    /// <summary>Number of distinct components in a label array.</summary>
    public static int ComponentCount(int[] labels)
    {
        int count = 0;
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] == i) count++;
        return count;
    }

    /// <summary>Gaussian offsets (sigma in arcsec) around random centres in a small patch.</summary>
    public static (double[] Ra, double[] Dec) Clustered(int seed, int count, int centres, double raCentre, double decCentre,
        double patchDeg, double sigmaArcsec)
    {
        var rng = new Random(seed);
        var cRa = new double[centres];
        var cDec = new double[centres];
        for (int c = 0; c < centres; c++)
        {
            cDec[c] = Math.Clamp(decCentre + (rng.NextDouble() - 0.5) * patchDeg, -90, 90);
            cRa[c] = raCentre + (rng.NextDouble() - 0.5) * patchDeg;
        }
        var ra = new double[count];
        var dec = new double[count];
        for (int i = 0; i < count; i++)
        {
            int c = rng.Next(centres);
            dec[i] = Math.Clamp(cDec[c] + Gaussian(rng) * sigmaArcsec / 3600, -90, 90);
            double cosDec = Math.Max(Math.Cos(dec[i] * Sky.DegToRad), 1e-9);
            ra[i] = Wrap(cRa[c] + Gaussian(rng) * sigmaArcsec / 3600 / cosDec);
        }
        return (ra, dec);
    }

    public static double Wrap(double ra)
    {
        ra %= 360.0;
        return ra < 0 ? ra + 360.0 : ra;
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>The rows in a random order: returns the shuffled columns and perm (new row -> old row).</summary>
    public static (double[] Ra, double[] Dec, int[] Perm) Shuffle(double[] ra, double[] dec, int seed)
    {
        var perm = new int[ra.Length];
        for (int i = 0; i < perm.Length; i++) perm[i] = i;
        new Random(seed).Shuffle(perm);
        var sRa = new double[ra.Length];
        var sDec = new double[ra.Length];
        for (int i = 0; i < perm.Length; i++)
        {
            sRa[i] = ra[perm[i]];
            sDec[i] = dec[perm[i]];
        }
        return (sRa, sDec, perm);
    }

    /// <summary>
    /// Partition of the original rows from labels of permuted rows, in canonical form: each
    /// original row's label is the smallest original row of its component.
    /// </summary>
    public static int[] CanonicalFromPermuted(int[] permutedLabels, int[] perm)
    {
        int n = perm.Length;
        var minOfLabel = new Dictionary<int, int>();
        for (int i = 0; i < n; i++)
        {
            int label = permutedLabels[i];
            minOfLabel[label] = minOfLabel.TryGetValue(label, out int m) ? Math.Min(m, perm[i]) : perm[i];
        }
        var canonical = new int[n];
        for (int i = 0; i < n; i++) canonical[perm[i]] = minOfLabel[permutedLabels[i]];
        return canonical;
    }
}
