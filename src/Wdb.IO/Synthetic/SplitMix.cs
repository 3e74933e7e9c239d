namespace Wdb.IO.Synthetic;

/// <summary>
/// SplitMix64 (Steele, Lea &amp; Flood 2014): a tiny, fast, well-mixed generator. Each
/// extraction gets its own stream seeded from (seed, cntr), so a row's values do not depend
/// on generation order or chunking.
/// </summary>
internal struct SplitMix
{
    private ulong _state;

    public SplitMix(ulong seed) => _state = seed;

    /// <summary>A stream for one item of one run: the pair is hashed so nearby keys decorrelate.</summary>
    public static SplitMix For(int seed, long key, ulong salt)
    {
        ulong s = Mix((ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ salt);
        return new SplitMix(Mix(s + (ulong)key * 0xD1B54A32D192ED03UL));
    }

    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextU64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1), 53 random bits.</summary>
    public double Uniform() => (NextU64() >> 11) * (1.0 / (1UL << 53));

    public double Uniform(double lo, double hi) => lo + (hi - lo) * Uniform();

    /// <summary>Uniform integer in [0, n).</summary>
    public int Below(int n) => (int)((NextU64() >> 32) * (ulong)n >> 32);

    /// <summary>Standard normal by Box-Muller (one value per call; simplicity over speed).</summary>
    public double Gauss()
    {
        double u1 = 1.0 - Uniform();   // (0, 1]: log is finite
        double u2 = Uniform();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    public bool Chance(double p) => Uniform() < p;
}
