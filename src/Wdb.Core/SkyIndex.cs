namespace Wdb.Core;

/// <summary>
/// Points on the sky, each filed under a key (a scan id, or one key for all), for the question "which points of key K
/// lie within r of (ra, dec)?" asked many times. Used where one side of a match is held in memory and the other
/// streams past: an external catalogue against merged groups (`wdb associate`), a released catalogue against the
/// extractions of its own scans (the reject-file filter).
/// <para>
/// The points are sorted by (key, declination zone, RA, their index): a query finds its key's run (a dictionary), in
/// it the zones its radius reaches (by binary search, or from a table of zone starts when there are no keys), in each
/// the RA window the radius spans at the declination farthest from the equator it reaches (split across RA 0/360; the
/// whole zone near a pole) by binary search; the candidates in the windows are then tested exactly
/// (<see cref="Sky.SeparationArcsec"/>, radius inclusive). Zones are one <c>zoneArcsec</c> tall, so a query with a
/// radius up to that looks at two or three of them. 24 bytes a point once built.
/// </para>
/// </summary>
public sealed class SkyIndex
{
    private readonly int[] _zone;
    private readonly double[] _ra, _dec;
    private readonly int[] _point;
    private readonly double _zoneDeg;
    // Without keys: where each zone's points begin (one more than the zones), so a query finds its zones at once
    // instead of by two binary searches over every point each (the groups' association look-ups: bench/NOTES.md 97).
    private readonly int[]? _zoneStart;
    // With keys: each key's run of points, found by one look-up instead of two binary searches over every point.
    private readonly Dictionary<long, (int Lo, int Hi)>? _runOfKey;

    /// <summary>Points held.</summary>
    public int Count => _ra.Length;

    /// <param name="keys">Each point's key; empty files every point under key 0.</param>
    /// <param name="zoneArcsec">Zone height: about the radius the queries will use (at least 0.1").</param>
    public SkyIndex(ReadOnlySpan<double> ra, ReadOnlySpan<double> dec, ReadOnlySpan<long> keys, double zoneArcsec)
    {
        int n = ra.Length;
        if (dec.Length != n || !keys.IsEmpty && keys.Length != n) throw new ArgumentException("columns differ in length");
        if (!(zoneArcsec >= 0.1)) throw new ArgumentOutOfRangeException(nameof(zoneArcsec), zoneArcsec, "zones must be at least 0.1\" tall");
        _zoneDeg = zoneArcsec / 3600.0;
        var entries = new Entry[n];
        for (int i = 0; i < n; i++)
            entries[i] = new Entry(keys.IsEmpty ? 0 : keys[i], ZoneOf(dec[i]), ra[i], i);
        Array.Sort(entries);
        _zone = new int[n]; _ra = new double[n]; _dec = new double[n]; _point = new int[n];
        for (int j = 0; j < n; j++)
        {
            var e = entries[j];
            (_zone[j], _ra[j], _dec[j], _point[j]) = (e.Zone, e.Ra, dec[e.Point], e.Point);
        }
        if (!keys.IsEmpty)
        {
            _runOfKey = new Dictionary<long, (int, int)>();
            for (int lo = 0, hi; lo < n; lo = hi)
            {
                for (hi = lo + 1; hi < n && entries[hi].Key == entries[lo].Key; hi++) { }
                _runOfKey[entries[lo].Key] = (lo, hi);
            }
        }
        else
        {
            _zoneStart = new int[ZoneOf(90.0) + 2];
            foreach (int z in _zone) _zoneStart[z + 1]++;
            for (int z = 0; z + 1 < _zoneStart.Length; z++) _zoneStart[z + 1] += _zoneStart[z];
        }
    }

    private readonly record struct Entry(long Key, int Zone, double Ra, int Point) : IComparable<Entry>
    {
        public int CompareTo(Entry other)
        {
            int c = Key.CompareTo(other.Key);
            if (c == 0) c = Zone.CompareTo(other.Zone);
            if (c == 0) c = Ra.CompareTo(other.Ra);
            return c != 0 ? c : Point.CompareTo(other.Point);
        }
    }

    private int ZoneOf(double dec) => (int)Math.Clamp(Math.Floor((dec + 90.0) / _zoneDeg), 0, Math.Ceiling(180.0 / _zoneDeg));

    /// <summary>What a query found: the points within the radius, and the nearest of them (its index as given, -1 for none).</summary>
    public readonly record struct Found(int Count, int Nearest, double SepArcsec);

    /// <summary>
    /// The points of key <paramref name="key"/> within <paramref name="radiusArcsec"/> (inclusive) of (ra, dec) in degrees:
    /// how many, and the nearest (the lowest index between equals). Safe to call from many threads at once.
    /// </summary>
    public Found Within(long key, double raDeg, double decDeg, double radiusArcsec)
    {
        int count = 0, best = -1;
        double bestSep = double.NaN;
        var (keyLo, keyHi) = _runOfKey is not null ? _runOfKey.GetValueOrDefault(key) : key == 0 ? (0, _ra.Length) : (0, 0);
        if (keyLo == keyHi || !(radiusArcsec >= 0)) return new Found(0, -1, double.NaN);
        double r = radiusArcsec / 3600.0;
        Span<(double From, double To)> windows = stackalloc (double, double)[2];
        int n = Sky.RaWindows(raDeg, decDeg, radiusArcsec, 1e-9, windows);
        for (int z = ZoneOf(decDeg - r), last = ZoneOf(decDeg + r); z <= last; z++)
        {
            var (lo, hi) = _zoneStart is null ? Run(_zone, keyLo, keyHi, z) : (_zoneStart[z], _zoneStart[z + 1]);
            if (lo == hi) continue;
            for (int w = 0; w < n; w++) Window(lo, hi, windows[w].From, windows[w].To);
        }
        return new Found(count, best < 0 ? -1 : _point[best], bestSep);

        void Window(int lo, int hi, double a, double b) => Test(RaBound(lo, hi, a), RaBound(lo, hi, Math.BitIncrement(b)));

        void Test(int from, int to)
        {
            for (int i = from; i < to; i++)
            {
                double sep = Sky.SeparationArcsec(raDeg, decDeg, _ra[i], _dec[i]);
                if (!(sep <= radiusArcsec)) continue;
                count++;
                if (best < 0 || sep < bestSep || sep == bestSep && _point[i] < _point[best]) { best = i; bestSep = sep; }
            }
        }
    }

    /// <summary>The run [lo, hi) of <paramref name="sorted"/>'s range [from, to) that equals <paramref name="value"/>.</summary>
    private static (int Lo, int Hi) Run<T>(T[] sorted, int from, int to, T value) where T : IComparable<T>
    {
        int lo = from, hi = to;
        while (lo < hi) { int mid = (lo + hi) >>> 1; if (sorted[mid].CompareTo(value) < 0) lo = mid + 1; else hi = mid; }
        int start = lo;
        hi = to;
        while (lo < hi) { int mid = (lo + hi) >>> 1; if (sorted[mid].CompareTo(value) <= 0) lo = mid + 1; else hi = mid; }
        return (start, lo);
    }

    /// <summary>The first point of [lo, hi) (one key, one zone: sorted by RA) whose RA is not below <paramref name="ra"/>.</summary>
    private int RaBound(int lo, int hi, double ra)
    {
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_ra[mid] < ra) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
