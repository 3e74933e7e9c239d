using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;
using Wdb.Core;

namespace Wdb.Merge;

/// <summary>
/// The sky area each scan covered, for `spos` (SPEC §4: scans whose footprint covers a
/// group's mean position). 2MASS scans are thin strips aligned with declination (a survey
/// tile is 6 deg x 8.5', a calibration tile 1 deg x 8.5'; 2MASS-NOTES.md), so a footprint
/// is a box in the scan's own tangent plane: centre = the normalised midpoint of the
/// per-axis extremes of the scan's extractions' unit vectors, axes east (xi) and north
/// (eta) at that centre, gnomonic projection.
/// The box spans the extractions' xi/eta extremes plus <see cref="MarginArcsec"/>. In the
/// tangent frame RA 0/360 is no boundary and the poles need no special case.
/// Lookup: declination zones of <see cref="ZoneDeg"/>; each scan is listed in every zone
/// its box reaches, with the RA interval the box spans inside that zone (found by walking
/// the box edges: along a line of constant Dec the RA is monotonic, so the extremes lie on
/// the edges); a query visits only the entries of its zone whose interval can contain its
/// RA, then tests the box exactly. A box that contains a pole spans every RA.
/// </summary>
public sealed class ScanFootprints
{
    /// <summary>
    /// Margin added around the extractions' extent (arcsec): a group's mean can lie a
    /// little outside the outermost extraction of a scan that detected it (up to the 2"
    /// matching radius), and a scan still covers the position when it does.
    /// </summary>
    public const double MarginArcsec = 2.0;
    /// <summary>Height of the lookup zones (deg).</summary>
    public const double ZoneDeg = 0.25;

    private readonly long[] _scanKey;
    // Per scan: tangent frame (centre, east, north) and the box in radians of the plane.
    private readonly double[] _cx, _cy, _cz, _ex, _ey, _nx, _ny, _nz;
    private readonly double[] _xiMin, _xiMax, _etaMin, _etaMax;
    // Zones: entries [_zoneStart[z], _zoneStart[z+1]) sorted by the start of their RA
    // interval [lo, lo + width] (deg, lo in [0, 360), may run past 360).
    private readonly int[] _zoneStart;
    private int[] _entryScan;
    private double[] _entryLo, _entryWidth;
    private readonly double[] _zoneMaxWidth;
    // Per zone that has entries, BucketsPerZone entry indexes from _zoneBucket[z]: bucket b's is the first of
    // the zone's entries with lo >= b / BucketsPerDeg, so a lookup starts a few entries before its answer instead of
    // a binary search over the zone (most of spos's time at 10 M rows, its groups in random zones: bench/NOTES.md 88).
    private int[] _zoneBucket = [], _bucketStart = [];
    private const int BucketsPerDeg = 4;   // a power of two: x * 4 is exact, so a bucket's edge never exceeds x
    private const int BucketsPerZone = 360 * BucketsPerDeg;
    // Per entry, copies of its scan's interval end (lo + width), frame and box: the count
    // over a zone then reads consecutive entries, four at a time (a calibration tile puts all
    // ~600 scans in every zone, so every group tests all of them).
    private EntryGeometry _geo = new(0);
    // Scan key -> scan: for the footprint of one named scan (Covers).
    private readonly Dictionary<long, int> _scanOfKey = new();

    public int ScanCount => _scanKey.Length;

    /// <summary>
    /// The widest a footprint may plausibly be (deg, along either axis of its box): a 2MASS survey scan covers 6 deg by
    /// 8.5', a calibration scan 1 deg. Wider means rows of other scans under its id (two tables' ids colliding, a
    /// survey (hemis, date, scan) id equal to another table's scan_key), and a box over all of them.
    /// </summary>
    public const double PlausibleDeg = 10;

    /// <summary>
    /// Scans whose box (margin included) spans more than <paramref name="limitDeg"/> along xi or eta, with both extents
    /// in degrees, in scan key order.
    /// </summary>
    public IReadOnlyList<(long Key, double XiDeg, double EtaDeg)> Wider(double limitDeg)
    {
        var wide = new List<(long, double, double)>();
        for (int s = 0; s < ScanCount; s++)
        {
            // The box is in the tangent plane: its angular extent along an axis is the difference of the edges' arctangents.
            double xi = (Math.Atan(_xiMax[s]) - Math.Atan(_xiMin[s])) / Sky.DegToRad;
            double eta = (Math.Atan(_etaMax[s]) - Math.Atan(_etaMin[s])) / Sky.DegToRad;
            if (xi > limitDeg || eta > limitDeg) wide.Add((_scanKey[s], xi, eta));
        }
        wide.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return wide;
    }

    /// <summary>
    /// A warning line when some footprint is wider than <see cref="PlausibleDeg"/> (<see cref="Wider"/>): such a box
    /// covers everything between the rows under its id, so `spos` may count that scan for groups it never looked at.
    /// </summary>
    public string? WideWarning()
    {
        var wide = Wider(PlausibleDeg);
        if (wide.Count == 0) return null;
        const int Named = 5;
        string named = string.Join(", ", wide.Take(Named).Select(w =>
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{w.Key} ({w.XiDeg:F1} x {w.EtaDeg:F1} deg)")));
        return $"{wide.Count:N0} scan footprint{(wide.Count == 1 ? " spans" : "s span")} more than {PlausibleDeg:F0} deg " +
               $"(a 2MASS scan covers 6 deg by 8.5'): scan id {named}{(wide.Count > Named ? $" and {wide.Count - Named:N0} more" : "")}; " +
               $"most likely rows of other scans share {(wide.Count == 1 ? "this id" : "these ids")} (two tables' scan_key values colliding, or a scan_key equal to a " +
               "survey (hemis, date, scan) id), and each box covers everything between its rows, so spos may count a scan " +
               "for groups it never looked at; give each scan its own id, or the footprints with --scans";
    }

    /// <summary>Adds to <paramref name="missing"/> each scan of <paramref name="scanKeys"/> that has no footprint here.</summary>
    public void AddUnknown(ReadOnlySpan<long> scanKeys, HashSet<long> missing)
    {
        // A scan's rows come together (in file order and in declination runs alike): look each run of one key up once.
        long last = 0;
        bool any = false;
        foreach (long key in scanKeys)
        {
            if (any && key == last) continue;
            (last, any) = (key, true);
            if (!_scanOfKey.ContainsKey(key)) missing.Add(key);
        }
    }

    /// <summary>
    /// The warning for scans of the inputs that a --scans table leaves out, or null when it lists them all. Such a scan
    /// still counts in spos where it detected a group (a detection proves it looked), but nowhere it looked and missed,
    /// so its groups' sdet/spos, and their confirmation, come out too high.
    /// </summary>
    public static string? MissingWarning(HashSet<long> missing, string table)
    {
        if (missing.Count == 0) return null;
        const int Named = 5;
        var sorted = missing.Order().ToList();
        string named = string.Join(", ", sorted.Take(Named).Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return $"{missing.Count:N0} scan{(missing.Count == 1 ? "" : "s")} of the inputs {(missing.Count == 1 ? "has" : "have")} no row in the --scans table " +
               $"{table}: scan id {named}{(missing.Count > Named ? $" and {missing.Count - Named:N0} more" : "")}; spos counts such a scan only for " +
               "the groups it detected, not where it looked and missed, so their confirmation may be too high: add their corners to the table";
    }

    private ScanFootprints(int scans)
    {
        _scanKey = new long[scans];
        _cx = new double[scans]; _cy = new double[scans]; _cz = new double[scans];
        _ex = new double[scans]; _ey = new double[scans];
        _nx = new double[scans]; _ny = new double[scans]; _nz = new double[scans];
        _xiMin = new double[scans]; _xiMax = new double[scans]; _etaMin = new double[scans]; _etaMax = new double[scans];
        int zones = (int)Math.Ceiling(180.0 / ZoneDeg);
        _zoneStart = new int[zones + 1];
        _zoneMaxWidth = new double[zones];
        _entryScan = []; _entryLo = []; _entryWidth = [];
    }

    private const long SaveMagic = 0x3153544e49525046;   // "FPRINTS1"

    /// <summary>
    /// Writes every scan's key, frame and box (margin included) to <paramref name="w"/>, bit for bit: what
    /// <see cref="Read"/> needs to give the same footprints in another process (a cluster's tasks, docs/cluster.md).
    /// </summary>
    public void Write(BinaryWriter w)
    {
        w.Write(SaveMagic);
        w.Write(ScanCount);
        foreach (long key in _scanKey) w.Write(key);
        foreach (var column in SavedColumns())
            foreach (double v in column) w.Write(v);
    }

    /// <summary>The footprints <see cref="Write"/> wrote, their zones built again.</summary>
    /// <exception cref="IOException">Not footprints, or cut short.</exception>
    public static ScanFootprints Read(BinaryReader r)
    {
        try
        {
            if (r.ReadInt64() != SaveMagic) throw new IOException("not scan footprints of this version of wdb");
            int scans = r.ReadInt32();
            if (scans < 0) throw new IOException($"{scans} scans");
            var f = new ScanFootprints(scans);
            for (int s = 0; s < scans; s++) f._scanKey[s] = r.ReadInt64();
            foreach (var column in f.SavedColumns())
                for (int s = 0; s < scans; s++) column[s] = r.ReadDouble();
            f.BuildZones();
            return f;
        }
        catch (EndOfStreamException) { throw new IOException("scan footprints cut short"); }
    }

    private double[][] SavedColumns() => [_cx, _cy, _cz, _ex, _ey, _nx, _ny, _nz, _xiMin, _xiMax, _etaMin, _etaMax];

    /// <summary>Rows per unit of parallel work when deriving footprints (two unit vectors, i.e. eight trig calls, per row).</summary>
    private const int RowsPerChunk = 1 << 16;
    // Rows whose unit vectors are made together (two to a vector call) before the rows are used.
    private const int VectorBatch = 256;

    /// <summary>
    /// Derives every scan's footprint from the extractions it holds in <paramref name="block"/>:
    /// the <see cref="Builder"/>'s two passes over one block.
    /// </summary>
    public static ScanFootprints DeriveFromExtractions(ExtractionBlock block, int threads = 0) => DeriveFromExtractions([block], threads);

    /// <summary>Every scan's footprint from the extractions it holds in <paramref name="blocks"/> (as if they were one block, in order).</summary>
    public static ScanFootprints DeriveFromExtractions(IReadOnlyList<ExtractionBlock> blocks, int threads = 0)
    {
        var builder = new Builder(threads);
        foreach (var block in blocks) if (block.Count > 0) builder.AddToCentres(block);
        foreach (var block in blocks) if (block.Count > 0) builder.AddToBoxes(block);
        return builder.Build();
    }

    /// <summary>
    /// Derives the footprints from rows given block by block, so that the rows need not all be
    /// in memory at once (the streaming merge, docs/streaming.md): every block once to
    /// <see cref="AddToCentres"/>, then every block again to <see cref="AddToBoxes"/>, then
    /// <see cref="Build"/>. Blocks run in chunks on all cores; each chunk keeps its own scans
    /// and extremes, merged in chunk order and block order, so scan numbers (first appearance)
    /// and extremes are those of one pass in row order, whatever the split into blocks, chunks
    /// or threads: the footprints equal those of the rows as one block, bit for bit.
    /// </summary>
    public sealed class Builder(int threads = 0)
    {
        private readonly ParallelOptions _parallel = Threads.Options(threads);
        private readonly Dictionary<long, int> _index = new();
        private readonly List<long> _keys = new();
        // Pass A, per scan: unit-vector minima (x, y, z) then maxima; see CentreStart.
        private double[] _extremes = [];
        // Pass B: the footprints with their frames fixed, boxes being collected.
        private ScanFootprints? _footprints;
        private long _centreRows, _boxRows;
        private bool _built;

        /// <summary>Pass A over one block: the unit-vector extremes of each scan's rows.</summary>
        public void AddToCentres(ExtractionBlock block)
        {
            if (_built) throw new InvalidOperationException("the footprints are already built");
            if (_footprints is not null) throw new InvalidOperationException("the centres are fixed: AddToCentres after AddToBoxes");
            double[] ra = block.Ra, dec = block.Dec;
            long[] scanKey = block.ScanKey;
            var parts = ForChunks(block.Count, (from, to) =>
            {
                var part = new ChunkScans(CentreStart);
                Span<double> xs = stackalloc double[VectorBatch], ys = stackalloc double[VectorBatch], zs = stackalloc double[VectorBatch];
                for (int i = from; i < to; i++)
                {
                    int at = (i - from) % VectorBatch;
                    if (at == 0) Sky.UnitVectors(ra.AsSpan(i, Math.Min(VectorBatch, to - i)), dec.AsSpan(i, Math.Min(VectorBatch, to - i)), xs, ys, zs);
                    int b = CentreStart.Length * part.Of(scanKey[i]);
                    double x = xs[at], y = ys[at], z = zs[at];
                    double[] v = part.Values;
                    v[b] = Math.Min(v[b], x); v[b + 3] = Math.Max(v[b + 3], x);
                    v[b + 1] = Math.Min(v[b + 1], y); v[b + 4] = Math.Max(v[b + 4], y);
                    v[b + 2] = Math.Min(v[b + 2], z); v[b + 5] = Math.Max(v[b + 5], z);
                }
                return part;
            });
            int w = CentreStart.Length;
            foreach (var part in parts)
                for (int j = 0; j < part.Keys.Count; j++)
                {
                    int gb = w * NumberScan(part.Keys[j]), lb = w * j;
                    for (int a = 0; a < 3; a++)
                    {
                        _extremes[gb + a] = Math.Min(_extremes[gb + a], part.Values[lb + a]);
                        _extremes[gb + 3 + a] = Math.Max(_extremes[gb + 3 + a], part.Values[lb + 3 + a]);
                    }
                }
            _centreRows += block.Count;
        }

        /// <summary>
        /// Pass B over one block: each scan's xi/eta extremes in its tangent plane. The first
        /// call ends pass A. A row of a scan pass A never saw is a caller error (a block given
        /// to one pass only) and throws, leaving the builder as it was.
        /// </summary>
        public void AddToBoxes(ExtractionBlock block)
        {
            if (_built) throw new InvalidOperationException("the footprints are already built");
            var f = _footprints ??= FixCentres();
            double[] ra = block.Ra, dec = block.Dec;
            long[] scanKey = block.ScanKey;
            // Boxes per chunk-local scan, like pass A (a chunk holds few of all scans); the
            // global number of each (read-only lookups: no chunk adds a scan in this pass).
            var parts = ForChunks(block.Count, (from, to) =>
            {
                var part = new ChunkScans(BoxStart);
                var global = new List<int>();
                long? unknown = null;
                Span<double> xs = stackalloc double[VectorBatch], ys = stackalloc double[VectorBatch], zs = stackalloc double[VectorBatch];
                for (int i = from; i < to; i++)
                {
                    int at = (i - from) % VectorBatch;
                    if (at == 0) Sky.UnitVectors(ra.AsSpan(i, Math.Min(VectorBatch, to - i)), dec.AsSpan(i, Math.Min(VectorBatch, to - i)), xs, ys, zs);
                    int j = part.Of(scanKey[i]);
                    if (j == global.Count) global.Add(_index.TryGetValue(scanKey[i], out int g) ? g : -1);
                    int s = global[j];
                    if (s < 0) { unknown = scanKey[i]; continue; }
                    double x = xs[at], y = ys[at], z = zs[at];
                    if (!f.Project(s, x, y, z, out double xi, out double eta)) continue; // > 90 deg away: ignored
                    int b = BoxStart.Length * j;
                    double[] box = part.Values;
                    if (xi < box[b]) box[b] = xi;
                    if (xi > box[b + 1]) box[b + 1] = xi;
                    if (eta < box[b + 2]) box[b + 2] = eta;
                    if (eta > box[b + 3]) box[b + 3] = eta;
                }
                return (Part: part, Global: global, Unknown: unknown);
            });
            foreach (var (_, _, unknown) in parts)
                if (unknown is long key)
                    throw new InvalidOperationException($"scan {key} has rows in pass B but none in pass A: every block goes to AddToCentres first");
            // Merged with the same strict tests in chunk order, so a tie keeps the value met first in row order.
            foreach (var (part, global, _) in parts)
                for (int j = 0; j < global.Count; j++)
                {
                    int s = global[j], b = BoxStart.Length * j;
                    double[] box = part.Values;
                    if (box[b] < f._xiMin[s]) f._xiMin[s] = box[b];
                    if (box[b + 1] > f._xiMax[s]) f._xiMax[s] = box[b + 1];
                    if (box[b + 2] < f._etaMin[s]) f._etaMin[s] = box[b + 2];
                    if (box[b + 3] > f._etaMax[s]) f._etaMax[s] = box[b + 3];
                }
            _boxRows += block.Count;
        }

        /// <summary>
        /// The footprints: boxes widened by the margin, zones built. Both passes must have seen
        /// the same number of rows (a block left out of one pass would give a wrong box).
        /// </summary>
        public ScanFootprints Build()
        {
            if (_built) throw new InvalidOperationException("the footprints are already built");
            var f = _footprints ??= FixCentres();
            if (_boxRows != _centreRows)
                throw new InvalidOperationException($"pass A saw {_centreRows} rows and pass B {_boxRows}: every block goes to both");
            double margin = MarginArcsec * Sky.ArcsecToRad;
            for (int s = 0; s < f.ScanCount; s++)
            {
                f._xiMin[s] -= margin; f._xiMax[s] += margin;
                f._etaMin[s] -= margin; f._etaMax[s] += margin;
            }
            f.BuildZones();
            _built = true;
            return f;
        }

        /// <summary>The global number of a scan, numbering it at its first appearance.</summary>
        private int NumberScan(long key)
        {
            if (_index.TryGetValue(key, out int s)) return s;
            s = _keys.Count;
            _index.Add(key, s);
            _keys.Add(key);
            ChunkScans.Grow(ref _extremes, s + 1, CentreStart);
            return s;
        }

        /// <summary>
        /// Ends pass A. Centre: the midpoint of the per-axis extremes of the unit vectors
        /// (normalised). Extremes do not depend on row order, so neither does anything derived
        /// from them.
        /// </summary>
        private ScanFootprints FixCentres()
        {
            int scans = _keys.Count;
            var f = new ScanFootprints(scans);
            _keys.CopyTo(f._scanKey);
            double[] v = _extremes;
            int w = CentreStart.Length;
            for (int s = 0; s < scans; s++)
            {
                f._cx[s] = 0.5 * (v[w * s] + v[w * s + 3]);
                f._cy[s] = 0.5 * (v[w * s + 1] + v[w * s + 4]);
                f._cz[s] = 0.5 * (v[w * s + 2] + v[w * s + 5]);
                double norm = Math.Sqrt(f._cx[s] * f._cx[s] + f._cy[s] * f._cy[s] + f._cz[s] * f._cz[s]);
                if (norm == 0) { f._cz[s] = 1; norm = 1; }  // extractions all over the sphere: not a real scan
                f._cx[s] /= norm; f._cy[s] /= norm; f._cz[s] /= norm;
                // East = z x c normalised; at a pole any east will do (x axis).
                double ex = -f._cy[s], ey = f._cx[s];
                double en = Math.Sqrt(ex * ex + ey * ey);
                if (en < 1e-15) { ex = 1; ey = 0; en = 1; }
                f._ex[s] = ex / en; f._ey[s] = ey / en;
                // North = c x east.
                f._nx[s] = -f._cz[s] * f._ey[s];
                f._ny[s] = f._cz[s] * f._ex[s];
                f._nz[s] = f._cx[s] * f._ey[s] - f._cy[s] * f._ex[s];
                f._xiMin[s] = f._etaMin[s] = double.MaxValue;
                f._xiMax[s] = f._etaMax[s] = double.MinValue;
            }
            _extremes = [];
            return f;
        }

        /// <summary>Runs <paramref name="chunk"/> over rows [from, to) of each chunk on all cores; results in chunk order.</summary>
        private T[] ForChunks<T>(int n, Func<int, int, T> chunk)
        {
            int chunks = Math.Max(1, (n + RowsPerChunk - 1) / RowsPerChunk);
            var results = new T[chunks];
            Parallel.For(0, chunks, _parallel, c => results[c] = chunk(c * RowsPerChunk, Math.Min(n, (c + 1) * RowsPerChunk)));
            return results;
        }
    }

    /// <summary>A scan's starting pass-A values: unit-vector minima (x, y, z), then maxima.</summary>
    private static readonly double[] CentreStart = [double.MaxValue, double.MaxValue, double.MaxValue, double.MinValue, double.MinValue, double.MinValue];
    /// <summary>A scan's starting pass-B values: xi min, xi max, eta min, eta max (radians).</summary>
    private static readonly double[] BoxStart = [double.MaxValue, double.MinValue, double.MaxValue, double.MinValue];

    /// <summary>The scans one chunk of rows holds, numbered by first appearance, with a few values each (a pass's extremes).</summary>
    private sealed class ChunkScans(double[] start)
    {
        private readonly Dictionary<long, int> _index = new();
        public readonly List<long> Keys = new();
        public double[] Values = [];

        public int Of(long key)
        {
            if (_index.TryGetValue(key, out int s)) return s;
            s = Keys.Count;
            _index.Add(key, s);
            Keys.Add(key);
            Grow(ref Values, s + 1, start);
            return s;
        }

        /// <summary>Room for <paramref name="scans"/> scans of <paramref name="start"/>.Length values, new ones set to <paramref name="start"/>.</summary>
        public static void Grow(ref double[] values, int scans, double[] start)
        {
            int w = start.Length;
            if (values.Length >= w * scans) return;
            int old = values.Length, size = Math.Max(16 * w, Math.Max(2 * old, w * scans));
            Array.Resize(ref values, size);
            for (int at = old; at < size; at += w) start.CopyTo(values, at);
        }
    }

    /// <summary>Scan <paramref name="s"/>'s key, tangent-plane centre and box (radians, margin included), for tests.</summary>
    internal (long ScanKey, double Cx, double Cy, double Cz, double XiMin, double XiMax, double EtaMin, double EtaMax) Footprint(int s) =>
        (_scanKey[s], _cx[s], _cy[s], _cz[s], _xiMin[s], _xiMax[s], _etaMin[s], _etaMax[s]);

    /// <summary>Gnomonic projection onto scan s's tangent plane (radians); false beyond 90 deg.</summary>
    private bool Project(int s, double x, double y, double z, out double xi, out double eta)
    {
        double d = x * _cx[s] + y * _cy[s] + z * _cz[s];
        if (d <= 0) { xi = eta = 0; return false; }
        xi = (x * _ex[s] + y * _ey[s]) / d;
        eta = (x * _nx[s] + y * _ny[s] + z * _nz[s]) / d;
        return true;
    }

    /// <summary>
    /// Lists each scan in the zones its box reaches, with the box's RA interval there. The
    /// box edges are walked in steps of at most a quarter zone; each step point widens the
    /// interval of its zone (and of a neighbouring zone within one step), and every interval
    /// is padded by one step, so the intervals contain the box. Unit: degrees.
    /// </summary>
    private void BuildZones()
    {
        for (int s = 0; s < _scanKey.Length; s++) _scanOfKey.TryAdd(_scanKey[s], s);
        int scans = _scanKey.Length, zones = _zoneMaxWidth.Length;
        var entries = new List<(int Zone, double Lo, double Width, int Scan)>();
        double step = ZoneDeg / 4 * Sky.DegToRad, stepDeg = ZoneDeg / 4;
        var relMin = new double[zones];
        var relMax = new double[zones];
        for (int s = 0; s < scans; s++)
        {
            var (ra0, _) = Sky.ToRaDec(_cx[s], _cy[s], _cz[s]);
            for (int z = 0; z < zones; z++) { relMin[z] = double.MaxValue; relMax[z] = double.MinValue; }
            int zLo = zones, zHi = -1;
            double xi0 = _xiMin[s], xi1 = _xiMax[s], eta0 = _etaMin[s], eta1 = _etaMax[s];
            for (int edge = 0; edge < 4; edge++)
            {
                // Corners in order (xi0,eta0) (xi1,eta0) (xi1,eta1) (xi0,eta1).
                double ax = edge is 0 or 3 ? xi0 : xi1, ay = edge < 2 ? eta0 : eta1;
                double bx = edge is 2 or 3 ? xi0 : xi1, by = edge is 0 or 3 ? eta0 : eta1;
                double len = Math.Sqrt((bx - ax) * (bx - ax) + (by - ay) * (by - ay));
                int k = Math.Clamp((int)Math.Ceiling(len / step), 1, 1 << 20);
                for (int q = 0; q <= k; q++)
                {
                    double f = (double)q / k;
                    var (ra, dec) = Deproject(s, ax + f * (bx - ax), ay + f * (by - ay));
                    double rel = ra - ra0;
                    if (rel > 180) rel -= 360;
                    if (rel <= -180) rel += 360;
                    int z0 = ZoneOf(dec - stepDeg), z1 = ZoneOf(dec + stepDeg);
                    for (int z = z0; z <= z1; z++)
                    {
                        if (rel < relMin[z]) relMin[z] = rel;
                        if (rel > relMax[z]) relMax[z] = rel;
                    }
                    zLo = Math.Min(zLo, z0); zHi = Math.Max(zHi, z1);
                }
            }
            bool north = ContainsPole(s, 1), south = ContainsPole(s, -1), pole = north || south;
            // The edges of a box around a pole stay below it: reach the pole's zone too.
            if (north) zHi = zones - 1;
            if (south) zLo = 0;
            for (int z = zLo; z <= zHi; z++)
            {
                double zoneEdge = Math.Min(90, Math.Max(Math.Abs(-90 + z * ZoneDeg), Math.Abs(-90 + (z + 1) * ZoneDeg)));
                double cosEdge = Math.Cos(zoneEdge * Sky.DegToRad);
                double raPad = cosEdge > 1e-9 ? stepDeg / cosEdge : 360;
                double lo, width;
                if (pole || relMin[z] > relMax[z] || relMax[z] - relMin[z] + 2 * raPad >= 360) { lo = 0; width = 360; }
                else
                {
                    width = relMax[z] - relMin[z] + 2 * raPad;
                    lo = (ra0 + relMin[z] - raPad) % 360;
                    if (lo < 0) lo += 360;
                }
                entries.Add((z, lo, width, s));
                if (width > _zoneMaxWidth[z]) _zoneMaxWidth[z] = width;
            }
        }
        entries.Sort((a, b) => a.Zone != b.Zone ? a.Zone.CompareTo(b.Zone) : a.Lo != b.Lo ? a.Lo.CompareTo(b.Lo) : a.Scan.CompareTo(b.Scan));
        _entryScan = new int[entries.Count];
        _entryLo = new double[entries.Count];
        _entryWidth = new double[entries.Count];
        var counts = new int[zones];
        for (int e = 0; e < entries.Count; e++)
        {
            _entryScan[e] = entries[e].Scan; _entryLo[e] = entries[e].Lo; _entryWidth[e] = entries[e].Width;
            counts[entries[e].Zone]++;
        }
        for (int z = 0; z < zones; z++) _zoneStart[z + 1] = _zoneStart[z] + counts[z];
        _zoneBucket = new int[zones + 1];
        for (int z = 0; z < zones; z++) _zoneBucket[z + 1] = _zoneBucket[z] + (counts[z] > 0 ? BucketsPerZone : 0);
        _bucketStart = new int[_zoneBucket[zones]];
        for (int z = 0; z < zones; z++)
        {
            if (counts[z] == 0) continue;
            int e = _zoneStart[z], end = _zoneStart[z + 1];
            for (int b = 0; b < BucketsPerZone; b++)   // queries lie in [0, 360): bucket 1440 is never asked for
            {
                double edge = (double)b / BucketsPerDeg;
                while (e < end && _entryLo[e] < edge) e++;
                _bucketStart[_zoneBucket[z] + b] = e;
            }
        }
        _geo = new EntryGeometry(entries.Count);
        for (int e = 0; e < entries.Count; e++)
        {
            int s = _entryScan[e];
            _geo.Hi[e] = _entryLo[e] + _entryWidth[e];
            _geo.Cx[e] = _cx[s]; _geo.Cy[e] = _cy[s]; _geo.Cz[e] = _cz[s];
            _geo.Ex[e] = _ex[s]; _geo.Ey[e] = _ey[s];
            _geo.Nx[e] = _nx[s]; _geo.Ny[e] = _ny[s]; _geo.Nz[e] = _nz[s];
            _geo.XiMin[e] = _xiMin[s]; _geo.XiMax[e] = _xiMax[s];
            _geo.EtaMin[e] = _etaMin[s]; _geo.EtaMax[e] = _etaMax[s];
        }
    }

    /// <summary>Struct-of-arrays over zone entries: the scan data the covering test reads.</summary>
    private sealed class EntryGeometry(int n)
    {
        public readonly double[] Hi = new double[n];
        public readonly double[] Cx = new double[n], Cy = new double[n], Cz = new double[n];
        public readonly double[] Ex = new double[n], Ey = new double[n];
        public readonly double[] Nx = new double[n], Ny = new double[n], Nz = new double[n];
        public readonly double[] XiMin = new double[n], XiMax = new double[n], EtaMin = new double[n], EtaMax = new double[n];
    }

    private bool ContainsPole(int s, int sign) => InBox(s, 0, 0, sign);

    /// <summary>Whether scan s's box contains the unit vector (x, y, z), edges inclusive (the test CountRange makes lane by lane).</summary>
    private bool InBox(int s, double x, double y, double z) =>
        Project(s, x, y, z, out double xi, out double eta) && xi >= _xiMin[s] && xi <= _xiMax[s] && eta >= _etaMin[s] && eta <= _etaMax[s];

    private (double Ra, double Dec) Deproject(int s, double xi, double eta) =>
        Sky.ToRaDec(_cx[s] + xi * _ex[s] + eta * _nx[s], _cy[s] + xi * _ey[s] + eta * _ny[s], _cz[s] + eta * _nz[s]);

    /// <summary>Number of scans whose footprint box contains (ra, dec) (degrees), edges inclusive.</summary>
    public int CountCovering(double raDeg, double decDeg) => CountCovering(raDeg, decDeg, [], out _);

    /// <summary>
    /// <see cref="CountCovering(double, double)"/>, the covering scans' keys also written to <paramref name="keys"/>:
    /// <paramref name="listed"/> is the count when they all fit, else -1 (<see cref="Covers"/> then answers for a scan).
    /// </summary>
    public int CountCovering(double raDeg, double decDeg, Span<long> keys, out int listed)
    {
        listed = 0;
        if (_entryScan.Length == 0 || !double.IsFinite(raDeg) || !double.IsFinite(decDeg)) return 0;   // no position: no scan covers it
        int zone = ZoneOf(decDeg);
        int s0 = _zoneStart[zone], s1 = _zoneStart[zone + 1];
        if (s0 == s1) return 0;
        var (x, y, z) = Sky.UnitVector(raDeg, decDeg);
        double ra = raDeg % 360;
        if (ra < 0) ra += 360;
        double w = _zoneMaxWidth[zone];
        // Intervals starting in [ra - w, ra], then those starting in (ra, 360) that run past 360 to ra + 360.
        int upper = Upper(zone, s1, ra);
        int count = CountRange(Lower(zone, s0, s1, ra - w), upper, ra, x, y, z, keys, ref listed);
        if (ra + 360 - w < 360) count += CountRange(Math.Max(upper, Lower(zone, s0, s1, ra + 360 - w)), s1, ra + 360, x, y, z, keys, ref listed);
        return count;
    }

    // A covering entry's scan key into keys while they fit; listed -1 once one does not.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void List(int entry, Span<long> keys, ref int listed)
    {
        if (listed < 0) return;
        if (listed < keys.Length) keys[listed++] = _scanKey[_entryScan[entry]];
        else listed = -1;
    }

    /// <summary>
    /// Whether scan <paramref name="scanKey"/>'s footprint box contains the unit vector (x, y, z), edges inclusive, by the
    /// arithmetic <see cref="CountCovering"/> uses; false for a scan that has no footprint (a --scans table without it).
    /// </summary>
    public bool Covers(long scanKey, double x, double y, double z) => _scanOfKey.TryGetValue(scanKey, out int s) && InBox(s, x, y, z);

    /// <summary>The same count by testing every scan: the reference for the zone index (tests).</summary>
    internal int CountCoveringAllScans(double raDeg, double decDeg)
    {
        var (x, y, z) = Sky.UnitVector(raDeg, decDeg);
        int count = 0;
        for (int s = 0; s < _scanKey.Length; s++)
            if (InBox(s, x, y, z)) count++;
        return count;
    }

    /// <summary>
    /// Entries in [from, to) whose interval reaches <paramref name="ra"/> and whose box
    /// contains the unit vector (x, y, z): <see cref="Project"/> and the box test, with the
    /// same operations in the same order lane by lane (IEEE results do not depend on the
    /// vector width), so the count equals the scalar one exactly.
    /// </summary>
    private int CountRange(int from, int to, double ra, double x, double y, double z, Span<long> keys, ref int listed)
    {
        int count = 0, e = from;
        var g = _geo;
        if (Vector256.IsHardwareAccelerated && to - from >= Vector256<double>.Count)
        {
            var vx = Vector256.Create(x); var vy = Vector256.Create(y); var vz = Vector256.Create(z);
            var vra = Vector256.Create(ra);
            for (; e <= to - Vector256<double>.Count; e += Vector256<double>.Count)
            {
                var d = vx * Load(g.Cx, e) + vy * Load(g.Cy, e) + vz * Load(g.Cz, e);
                var xi = (vx * Load(g.Ex, e) + vy * Load(g.Ey, e)) / d;
                var eta = (vx * Load(g.Nx, e) + vy * Load(g.Ny, e) + vz * Load(g.Nz, e)) / d;
                // Skipped when ra > hi or d <= 0 (written as in the scalar test, for NaNs too).
                var skip = Vector256.GreaterThan(vra, Load(g.Hi, e)) | Vector256.LessThanOrEqual(d, Vector256<double>.Zero);
                var inside = Vector256.GreaterThanOrEqual(xi, Load(g.XiMin, e)) & Vector256.LessThanOrEqual(xi, Load(g.XiMax, e))
                           & Vector256.GreaterThanOrEqual(eta, Load(g.EtaMin, e)) & Vector256.LessThanOrEqual(eta, Load(g.EtaMax, e));
                uint hits = Vector256.AndNot(inside, skip).ExtractMostSignificantBits();
                count += BitOperations.PopCount(hits);
                for (; hits != 0; hits &= hits - 1) List(e + BitOperations.TrailingZeroCount(hits), keys, ref listed);
            }
        }
        for (; e < to; e++)
        {
            if (ra > g.Hi[e]) continue;
            double d = x * g.Cx[e] + y * g.Cy[e] + z * g.Cz[e];
            if (d <= 0) continue;
            double xi = (x * g.Ex[e] + y * g.Ey[e]) / d;
            double eta = (x * g.Nx[e] + y * g.Ny[e] + z * g.Nz[e]) / d;
            if (xi >= g.XiMin[e] && xi <= g.XiMax[e] && eta >= g.EtaMin[e] && eta <= g.EtaMax[e])
            {
                count++;
                List(e, keys, ref listed);
            }
        }
        return count;
    }

    private static Vector256<double> Load(double[] a, int at) => Vector256.LoadUnsafe(ref a[0], (nuint)at);

    /// <summary>First of zone <paramref name="zone"/>'s entries [s0, s1) with interval start &gt;= <paramref name="x"/>.</summary>
    private int Lower(int zone, int s0, int s1, double x)
    {
        if (!(x > 0)) return s0;   // every start is >= 0
        if (x >= 360) return s1;
        int e = _bucketStart[_zoneBucket[zone] + (int)(x * BucketsPerDeg)];
        while (e < s1 && _entryLo[e] < x) e++;
        return e;
    }

    /// <summary>First of zone <paramref name="zone"/>'s entries before <paramref name="s1"/> with interval start &gt; <paramref name="x"/> (x in [0, 360)).</summary>
    private int Upper(int zone, int s1, double x)
    {
        int e = _bucketStart[_zoneBucket[zone] + (int)(x * BucketsPerDeg)];
        while (e < s1 && _entryLo[e] <= x) e++;
        return e;
    }

    private static int ZoneOf(double dec) => Math.Clamp((int)Math.Floor((dec + 90) / ZoneDeg), 0, (int)Math.Ceiling(180.0 / ZoneDeg) - 1);
}
