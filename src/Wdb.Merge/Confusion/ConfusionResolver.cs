using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Wdb.Core;

namespace Wdb.Merge;

/// <summary>Final group of every row after confusion resolution (SPEC §4 "Confusion").</summary>
public sealed class ConfusionResult
{
    /// <summary>Final group id per row: the smallest cntr of the final group.</summary>
    public long[] Gcntr = [];
    /// <summary>Per row: its candidate group was confused (one scan contributed 2+ extractions) and was split.</summary>
    public bool[] Confused = [];
    /// <summary>Number of candidate groups that were confused.</summary>
    public int ConfusedCandidateGroups;
    /// <summary>
    /// Per row: its candidate group was confused but too large to split within
    /// <see cref="ConfusionResolver.MaxSplitWork"/>; it is left whole (gcntr = cgid,
    /// <see cref="Confused"/> true), so it may hold two or more extractions of one scan.
    /// </summary>
    public bool[] Unresolved = [];
    /// <summary>Number of confused candidate groups left unresolved (a subset of <see cref="ConfusedCandidateGroups"/>).</summary>
    public int UnresolvedCandidateGroups;
}

/// <summary>
/// Splits confused candidate groups (friends-of-friends components in which one scan
/// contributes two or more extractions) into final groups holding at most one extraction
/// per scan. Non-confused candidate groups pass through unchanged (gcntr = cgid).
/// The algorithm (docs/confusion.md) is a scan-constrained, k-means-like assignment:
/// seeds are the extractions of the scan contributing most members; every member, in
/// (brightness, ra, dec, cntr) order, joins the cheapest centre within the radius that has
/// not yet taken a member of its scan (cost: minus the log of the centre's member count
/// times a Student-t density of its scatter; plain nearest centre in the first round), or
/// starts a new centre; centres are recomputed, and pairs of centres that split one source
/// (nearly disjoint scan sets) are merged; at most <see cref="MaxRounds"/> rounds.
/// Everything is ordered by data values and cntr, never by row index, so the result does
/// not depend on input order. Cost O(members x nearby centres) per round; a pathological
/// candidate group whose estimated work exceeds <see cref="MaxSplitWork"/> (e.g. 100,000
/// extractions of 50 scans within 2") is not split but flagged <see cref="ConfusionResult.Unresolved"/>.
/// </summary>
public static class ConfusionResolver
{
    /// <summary>Assignment rounds at most (the last one is final); real groups settle in 2-4.</summary>
    public const int MaxRounds = 8;

    /// <summary>
    /// Two centres are one source split in two when they share at most this fraction of
    /// the smaller centre's members' scans: a real pair resolved in a scan shares every
    /// scan that resolves it, a split source shares only the scans where it was itself
    /// split (band-merge failures, noise next to it).
    /// </summary>
    public const double MergeOverlapFraction = 0.1;

    /// <summary>
    /// Largest estimated work of one assignment round (distance tests of members against
    /// nearby seeds plus scan bookkeeping, see Splitter.WorkEstimate) of a confused candidate
    /// group that is split: about a second for all <see cref="MaxRounds"/>. In a dense spot
    /// every seed (an extraction of the scan contributing most) is near every member, so
    /// the work is members x seeds and grows quadratically; a group over the cap (e.g.
    /// 100,000 extractions of 50 scans within 2") is left whole and flagged instead of taking
    /// hours. No real calibration source (600-3700 members from as many scans, a seed or
    /// two) comes near it, nor a long chain of sources, whose members see few seeds each.
    /// </summary>
    public const long MaxSplitWork = 10_000_000;

    /// <summary>Components with at least this many members look centres up in a grid (same result, less work).</summary>
    public const int GridMinMembers = 128;

    /// <summary>
    /// Up to this many centres a member tests every centre, four at a time, instead of
    /// walking the 3 x 3 grid cells: a dense calibration source's handful of centres all
    /// lie in those cells anyway. Both give the same centre (the cheapest admissible one,
    /// ties to the lower index).
    /// </summary>
    internal const int ScanAllMaxCentres = 48;

    /// <summary>Largest component radius (deg) for the grid; beyond it the plain scan over centres is used.</summary>
    public const double GridMaxExtentDeg = 0.5;

    /// <summary>
    /// Two centres whose separation is at most this many times sqrt(v_a + v_b) (their
    /// per-axis variances) are positionally one source and merge whatever scans they
    /// share: the halves of one source that k-means cut are ~1.4 apart in these units, a
    /// resolved real pair is many (1.4" apart at 0.1" scatter: 10).
    /// </summary>
    public const double MergeSigmas = 2.0;

    /// <summary>
    /// Prior per-axis scatter of a centre (arcsec), worth one member: what a centre with one
    /// or two members is assumed to spread over (faint 2MASS extractions scatter by ~0.3-0.5").
    /// </summary>
    public const double PriorSigmaArcsec = 0.5;

    /// <summary>Floor of a centre's per-axis scatter (arcsec): bright 2MASS positions repeat to ~0.06".</summary>
    public const double MinSigmaArcsec = 0.05;

    /// <summary>Degrees of freedom of the Student-t position model of a centre; (nu + 2) / 2 is the exponent.</summary>
    public const double TailNu = 4.0;
    private const double TailExponent = (TailNu + 2) / 2;   // Consider() raises to this power by cubing: keep TailNu = 4 or change both.

    /// <param name="block">The rows (any order).</param>
    /// <param name="cgid">Candidate group of row i (smallest cntr of its component).</param>
    /// <param name="radiusArcsec">The matching radius r (inclusive), arcsec.</param>
    /// <param name="threads">Threads to split on (0: every core).</param>
    public static ConfusionResult Resolve(ExtractionBlock block, ReadOnlySpan<long> cgid, double radiusArcsec, int threads = 0) =>
        Resolve(block, cgid, radiusArcsec, GridMinMembers, threads: threads);

    /// <summary>
    /// As above, with the component size from which the centre grid is used, the number of
    /// centres up to which a member tests all of them even with the grid, and whether to stop
    /// once an assignment repeats (tests compare every path: the groups are the same).
    /// </summary>
    internal static ConfusionResult Resolve(ExtractionBlock block, ReadOnlySpan<long> cgid, double radiusArcsec, int gridMinMembers,
        int scanAllMaxCentres = ScanAllMaxCentres, bool stopOnRepeat = true, int threads = 0)
    {
        int n = block.Count;
        if (cgid.Length < n) throw new ArgumentException("cgid shorter than the block", nameof(cgid));
        var result = new ConfusionResult { Gcntr = new long[n], Confused = new bool[n], Unresolved = new bool[n] };
        if (n == 0) return result;

        // Rows grouped by candidate group; order inside a run is irrelevant (members are
        // re-ordered by data values before any decision is taken). Radix: a comparison sort
        // of every row was the stage's one serial step.
        var keys = new ulong[n];
        var rows = new int[n];
        for (int i = 0; i < n; i++) { keys[i] = RadixSort.KeyOf(cgid[i]); rows[i] = i; }
        RadixSort.SortPairs(keys, rows, n, threads);
        var starts = new List<int>();
        for (int k = 0; k < n; k++) if (k == 0 || keys[k] != keys[k - 1]) starts.Add(k);
        starts.Add(n);
        int runs = starts.Count - 1;

        // Pass 1: groups with one extraction per scan (nearly all of a survey) pass through;
        // the confused ones are collected for pass 2.
        var confused = new List<int>();
        const int chunk = 256;
        int chunks = (runs + chunk - 1) / chunk;
        Parallel.For(0, chunks, Threads.Options(threads), () => (Found: new List<int>(), Check: new RepeatedScanCheck()), (c, _, local) =>
        {
            int end = Math.Min(runs, (c + 1) * chunk);
            for (int r = c * chunk; r < end; r++)
            {
                int s = starts[r], len = starts[r + 1] - s;
                ReadOnlySpan<int> members = rows.AsSpan(s, len);
                if (len > 1 && local.Check.HasRepeatedScan(block, members)) { local.Found.Add(r); continue; }
                long id = RadixSort.LongOf(keys[s]);   // the run's cgid
                foreach (int row in members) result.Gcntr[row] = id;
            }
            return local;
        }, local => { lock (confused) confused.AddRange(local.Found); });

        // Pass 2: split the confused groups, largest first from a shared cursor, so that a
        // few huge groups (a calibration tile's blends of several sources) start early and
        // the small ones fill in behind them on every core. Each group writes only its own
        // rows: the result does not depend on the order or the thread count.
        // Keys are unique (they hold the group), so any sort gives this order; RadixSort's is precompiled,
        // where Array.Sort over (long, int) was jitted in every run (bench/NOTES.md 86).
        var work = new ulong[confused.Count];
        var todo = confused.ToArray();
        for (int i = 0; i < todo.Length; i++) work[i] = RadixSort.KeyOf(-(((long)(starts[todo[i] + 1] - starts[todo[i]]) << 32) | (uint)(runs - todo[i])));
        RadixSort.SortPairs(work, todo, todo.Length, threads: 1);
        double chord2 = Sky.ChordSquared(radiusArcsec);
        int unresolvedCount = 0, cursor = -1;
        int workers = Math.Min(Threads.Resolve(threads), todo.Length);
        Parallel.For(0, workers, _ =>
        {
            var splitter = new Splitter(gridMinMembers, scanAllMaxCentres, stopOnRepeat);
            int localUnresolved = 0;
            for (int i = Interlocked.Increment(ref cursor); i < todo.Length; i = Interlocked.Increment(ref cursor))
            {
                int r = todo[i];
                int s = starts[r], len = starts[r + 1] - s;
                ReadOnlySpan<int> members = rows.AsSpan(s, len);
                foreach (int row in members) result.Confused[row] = true;
                if (splitter.Split(block, members, chord2, result.Gcntr)) continue;
                localUnresolved++;
                long id = RadixSort.LongOf(keys[s]);   // the run's cgid
                foreach (int row in members) { result.Gcntr[row] = id; result.Unresolved[row] = true; }
            }
            Interlocked.Add(ref unresolvedCount, localUnresolved);
        });
        result.ConfusedCandidateGroups = todo.Length;
        result.UnresolvedCandidateGroups = unresolvedCount;
        return result;
    }

    /// <summary>
    /// Whether a candidate group holds two extractions of one scan: a set of its scan keys
    /// that stops at the first repeat (a sort of every group's keys cost more than the
    /// check is worth: almost all groups pass).
    /// </summary>
    private sealed class RepeatedScanCheck
    {
        private readonly ScanKeyMap _seen = new();

        public bool HasRepeatedScan(ExtractionBlock block, ReadOnlySpan<int> members)
        {
            long[] sk = block.ScanKey;
            if (members.Length == 2) return sk[members[0]] == sk[members[1]];
            _seen.Begin(members.Length);
            foreach (int row in members) if (_seen.GetOrAdd(sk[row], 0) >= 0) return true;
            return false;
        }
    }

    /// <summary>
    /// Scan key to a small int, for up to the number of keys given to <see cref="Begin"/>:
    /// open addressing with linear probing in a table of at least twice that size, emptied
    /// by a generation stamp instead of a clear.
    /// </summary>
    private sealed class ScanKeyMap
    {
        private long[] _key = new long[64];
        private int[] _value = new int[64], _stamp = new int[64];
        private int _gen, _bits, _mask;

        public void Begin(int keys)
        {
            _bits = 6;
            while ((1 << _bits) < 2 * keys) _bits++;
            int size = 1 << _bits;
            _mask = size - 1;
            if (_key.Length < size) { _key = new long[size]; _value = new int[size]; _stamp = new int[size]; _gen = 0; }
            if (++_gen == int.MaxValue) { Array.Clear(_stamp); _gen = 1; }
        }

        /// <summary>The value of <paramref name="key"/>, or -1 after adding it with <paramref name="value"/>.</summary>
        public int GetOrAdd(long key, int value)
        {
            int h = (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> (64 - _bits));
            while (_stamp[h] == _gen)
            {
                if (_key[h] == key) return _value[h];
                h = (h + 1) & _mask;
            }
            _stamp[h] = _gen; _key[h] = key; _value[h] = value;
            return -1;
        }
    }

    /// <summary>Rows of one candidate group in the priority order of the split (tests compare it with a plain sort).</summary>
    internal static int[] PriorityOrder(ExtractionBlock block, ReadOnlySpan<int> members) =>
        new Splitter(GridMinMembers, ScanAllMaxCentres, true).PriorityOrder(block, members);

    /// <summary>
    /// Brightness used to order members: the smallest detected magnitude over J, H, Ks
    /// (brighter first); +inf when no band is detected, so non-detections come last.
    /// </summary>
    internal static float BrightnessKey(ExtractionBlock block, int row)
    {
        float best = float.PositiveInfinity;
        for (int b = 0; b < Bands.Count; b++)
        {
            var col = block.Bands[b];
            if (col.IsDetection(row) && col.Mag[row] < best) best = col.Mag[row];
        }
        return best;
    }

    /// <summary>Per-thread scratch and the splitting of one confused candidate group.</summary>
    private sealed class Splitter
    {
        private readonly int gridMinMembers, scanAllMaxCentres;
        private readonly bool stopOnRepeat;

        public Splitter(int gridMinMembers, int scanAllMaxCentres, bool stopOnRepeat)
        {
            this.gridMinMembers = gridMinMembers;
            this.scanAllMaxCentres = scanAllMaxCentres;
            this.stopOnRepeat = stopOnRepeat;
            _memberOrder = new MemberOrder(this);
        }

        private readonly ScanKeyMap _scanIndex = new();
        private int[] _order = new int[64], _idx = new int[64];
        // Members in input order (index i) while they are put in priority order.
        private float[] _bright = new float[64];
        private double[] _ra = new double[64], _dec = new double[64];
        private long[] _cntrIn = new long[64];
        private ulong[] _sortKey = new ulong[64];
        private readonly MemberOrder _memberOrder;
        // Members in priority order (index k): position, dense scan index, cntr.
        private double[] _x = new double[64], _y = new double[64], _z = new double[64];
        private int[] _scan = new int[64];
        private long[] _cntr = new long[64];
        private int[] _assign = new int[64];
        // Assignment of each round (round r at r * m) and its number of centres.
        private int[] _history = new int[64 * MaxRounds];
        private readonly int[] _historyCentres = new int[MaxRounds];
        // Per scan: how many members, where its slot list starts, how many centres took it.
        private int[] _scanCount = new int[64], _scanStart = new int[65], _scanTaken = new int[64], _takenBy = new int[64];
        private int[] _stamp = new int[64];
        // Per centre: equals _markValue when it holds a member of the scan of the member being assigned.
        private int[] _cMark = new int[64];
        private int _markValue;
        private int _stampValue, _scans;
        // Centres.
        private double[] _cx = new double[64], _cy = new double[64], _cz = new double[64];
        private int[] _cSize = new int[64], _cRemap = new int[64], _cMemberStart = new int[65], _cMembers = new int[64];
        private bool[] _cMerged = new bool[64];
        private long[] _cMinCntr = new long[64];
        private int[] _cByZ = new int[64], _cInto = new int[64];
        private double[] _cSpread = new double[64], _cVar = new double[64], _cInvNuVar = new double[64], _cScale = new double[64];
        private double[] _cCost = new double[64];   // per centre, for the member being assigned
        private double[] _zKey = new double[64];
        private ulong[] _zSortKey = new ulong[64];
        // Grid over the component's tangent plane (large components only).
        private bool _useGrid;
        private double _gcx, _gcy, _gcz, _gex, _gey, _gnx, _gny, _gnz, _cellInv;
        private long[] _mCellX = new long[64], _mCellY = new long[64];
        private int[] _cellNext = new int[64];
        private readonly CellTable _cellHead = new();

        private static void Ensure<T>(ref T[] a, int n)
        {
            if (a.Length < n) a = new T[Math.Max(n, a.Length * 2)];
        }

        public int[] PriorityOrder(ExtractionBlock block, ReadOnlySpan<int> members)
        {
            EnsureMembers(members.Length);
            PrepareMembers(block, members);
            return _order.AsSpan(0, members.Length).ToArray();
        }

        /// <summary>
        /// Splits one confused candidate group into <paramref name="gcntrOut"/>; false (and
        /// nothing written) when its <see cref="WorkEstimate"/> exceeds <see cref="MaxSplitWork"/>.
        /// </summary>
        public bool Split(ExtractionBlock block, ReadOnlySpan<int> members, double chord2, long[] gcntrOut)
        {
            int m = members.Length;
            EnsureMembers(m);
            PrepareMembers(block, members);
            PrepareGrid(m, 2 * Math.Asin(0.5 * Math.Sqrt(chord2)));
            int scans = PrepareScans(block, m);
            int centres = Seed(m, scans);
            if (WorkEstimate(m, scans, centres) > MaxSplitWork) return false;

            // Each round's assignment is a function of the previous one alone (centres, costs
            // and merges are recomputed from it), so once an assignment repeats an earlier one
            // the rounds cycle, and the one that round MaxRounds - 1 would produce is known.
            for (int round = 0; round < MaxRounds; round++)
            {
                centres = Assign(m, centres, chord2);
                var current = _assign.AsSpan(0, m);
                current.CopyTo(_history.AsSpan(round * m, m));
                _historyCentres[round] = centres;
                int repeats = -1;
                for (int j = round - 1; j >= 0 && repeats < 0 && stopOnRepeat; j--)
                    if (current.SequenceEqual(_history.AsSpan(j * m, m))) repeats = j;
                if (repeats >= 0)
                {
                    int last = repeats + (MaxRounds - 1 - repeats) % (round - repeats);
                    _history.AsSpan(last * m, m).CopyTo(current);
                    centres = _historyCentres[last];
                    break;
                }
                if (round == MaxRounds - 1) break;
                centres = Recompute(m, centres);
                if (MergeSplitSources(m, centres, chord2)) centres = Compact(centres);
            }

            // gcntr = smallest cntr of each final group.
            for (int c = 0; c < centres; c++) _cMinCntr[c] = long.MaxValue;
            for (int k = 0; k < m; k++)
            {
                int c = _assign[k];
                if (_cntr[k] < _cMinCntr[c]) _cMinCntr[c] = _cntr[k];
            }
            for (int k = 0; k < m; k++) gcntrOut[_order[k]] = _cMinCntr[_assign[k]];
            return true;
        }

        /// <summary>
        /// Operations of one assignment round: the distance tests (each member against every
        /// seed, or with the grid against the seeds in its 3 x 3 cells) plus the marking of the
        /// centres a member's scan has taken (count^2 / 2 per scan). In a dense spot every seed
        /// is a candidate of every member, whatever the grid.
        /// </summary>
        private long WorkEstimate(int m, int scans, int seeds)
        {
            long work = 0;
            for (int s = 0; s < scans; s++) work += (long)_scanCount[s] * _scanCount[s] / 2;
            // The grid counts a seed at most once per member (it lies in one cell): m x seeds
            // bounds it, and settles nearly every group without the count.
            long bound = work + (long)m * seeds;
            if (!_useGrid || bound <= MaxSplitWork) return bound;
            _cellHead.Clear();   // used here as seeds per cell; Assign rebuilds it
            for (int c = 0; c < seeds; c++)
            {
                var (gx, gy) = CellOf(_cx[c], _cy[c], _cz[c]);
                _cellHead.Set(gx, gy, _cellHead.Get(gx, gy) + 1);
            }
            for (int k = 0; k < m && work <= MaxSplitWork; k++)
                for (long gx = _mCellX[k] - 1; gx <= _mCellX[k] + 1; gx++)
                    for (long gy = _mCellY[k] - 1; gy <= _mCellY[k] + 1; gy++)
                        work += _cellHead.Get(gx, gy);
            return work;
        }

        private void EnsureMembers(int m)
        {
            Ensure(ref _order, m); Ensure(ref _idx, m); Ensure(ref _bright, m);
            Ensure(ref _ra, m); Ensure(ref _dec, m); Ensure(ref _cntrIn, m); Ensure(ref _sortKey, m);
            Ensure(ref _x, m); Ensure(ref _y, m); Ensure(ref _z, m); Ensure(ref _scan, m); Ensure(ref _cntr, m);
            Ensure(ref _assign, m); Ensure(ref _history, m * MaxRounds);
            Ensure(ref _scanCount, m); Ensure(ref _scanStart, m + 1); Ensure(ref _scanTaken, m); Ensure(ref _takenBy, m);
            Ensure(ref _stamp, m);
            // Centres: the live ones (<= m) plus those started during one pass (<= m).
            int c2 = 2 * m;
            Ensure(ref _cx, c2); Ensure(ref _cy, c2); Ensure(ref _cz, c2); Ensure(ref _cSize, c2); Ensure(ref _cRemap, c2);
            Ensure(ref _cMemberStart, c2 + 1); Ensure(ref _cMembers, m); Ensure(ref _cMerged, c2);
            Ensure(ref _cMark, c2);
            Ensure(ref _cMinCntr, c2); Ensure(ref _cByZ, c2); Ensure(ref _zKey, c2); Ensure(ref _zSortKey, c2); Ensure(ref _cInto, c2);
            Ensure(ref _mCellX, m); Ensure(ref _mCellY, m); Ensure(ref _cellNext, c2);
            Ensure(ref _cSpread, c2); Ensure(ref _cVar, c2); Ensure(ref _cInvNuVar, c2); Ensure(ref _cScale, c2);
            Ensure(ref _cCost, c2);
        }

        /// <summary>Members in priority order (brightness, ra, dec, cntr): a total order on data values.</summary>
        private void PrepareMembers(ExtractionBlock block, ReadOnlySpan<int> members)
        {
            int m = members.Length;
            double[] ra = block.Ra, dec = block.Dec;
            long[] cn = block.Cntr;
            // Gathered in input order (index i), then sorted by a 64-bit prefix of the order
            // (brightness, top half of ra) with primitive compares; only runs of equal
            // prefixes need the full comparison.
            for (int i = 0; i < m; i++)
            {
                int row = members[i];
                float b = BrightnessKey(block, row);
                double r = ra[row];
                _bright[i] = b; _ra[i] = r; _dec[i] = dec[row]; _cntrIn[i] = cn[row];
                _sortKey[i] = ((ulong)OrderKey(b) << 32) | OrderKey(r);
                _idx[i] = i;
            }
            RadixSort.SortPairs(_sortKey, _idx, m);
            RadixSort.SortTies(_sortKey, _idx, m, _memberOrder);
            for (int k = 0; k < m; k++)
            {
                int i = _idx[k];
                _order[k] = members[i];
                var (x, y, z) = Sky.UnitVector(_ra[i], _dec[i]);
                _x[k] = x; _y[k] = y; _z[k] = z;
                _cntr[k] = _cntrIn[i];
            }
        }

        /// <summary>
        /// 32 bits that never order two values against <see cref="float.CompareTo(float)"/>:
        /// the sign-flipped bits of a float, or the top half of a double's; -0 counts as +0
        /// and NaN as smallest, as CompareTo has them.
        /// </summary>
        private static uint OrderKey(float v)
        {
            if (float.IsNaN(v)) return 0;
            uint bits = BitConverter.SingleToUInt32Bits(v + 0f);
            return (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        }

        private static uint OrderKey(double v)
        {
            if (double.IsNaN(v)) return 0;
            ulong bits = BitConverter.DoubleToUInt64Bits(v + 0d);
            return (uint)(((bits & 0x8000_0000_0000_0000UL) != 0 ? ~bits : bits | 0x8000_0000_0000_0000UL) >> 32);
        }

        /// <summary>The full priority order of gathered members (input index i).</summary>
        private readonly struct MemberOrder(Splitter s) : RadixSort.ITieOrder
        {
            public void Prefetch(int item) { }   // a candidate group's own columns, in the caches already

            public int Compare(int a, int b)
            {
                int c = s._bright[a].CompareTo(s._bright[b]);
                if (c != 0) return c;
                if ((c = s._ra[a].CompareTo(s._ra[b])) != 0) return c;
                if ((c = s._dec[a].CompareTo(s._dec[b])) != 0) return c;
                return s._cntrIn[a].CompareTo(s._cntrIn[b]);
            }
        }

        /// <summary>
        /// Dense scan index per member (in order of first appearance; nothing depends on the
        /// numbering) and per-scan slot lists; returns the number of scans.
        /// </summary>
        private int PrepareScans(ExtractionBlock block, int m)
        {
            long[] sk = block.ScanKey;
            _scanIndex.Begin(m);
            int scans = 0;
            for (int k = 0; k < m; k++)
            {
                int s = _scanIndex.GetOrAdd(sk[_order[k]], scans);
                if (s < 0) { s = scans++; _scanCount[s] = 0; }
                _scan[k] = s;
                _scanCount[s]++;
            }
            _scanStart[0] = 0;
            for (int s = 0; s < scans; s++) _scanStart[s + 1] = _scanStart[s] + _scanCount[s];
            _scans = scans;
            return scans;
        }

        /// <summary>
        /// Seeds: the members of the scan contributing most members; among tied scans the one
        /// holding the earliest member in priority order (the brightest measurement).
        /// </summary>
        private int Seed(int m, int scans)
        {
            int max = 0;
            for (int s = 0; s < scans; s++) max = Math.Max(max, _scanCount[s]);
            int seedScan = -1;
            for (int k = 0; k < m && seedScan < 0; k++) if (_scanCount[_scan[k]] == max) seedScan = _scan[k];
            int c = 0;
            for (int k = 0; k < m; k++)
            {
                if (_scan[k] != seedScan) continue;
                _cx[c] = _x[k]; _cy[c] = _y[k]; _cz[c] = _z[k];
                SetCost(c, 1, 0);
                c++;
            }
            return c;
        }

        /// <summary>
        /// One pass in priority order: each member joins the cheapest centre (see
        /// <see cref="SetCost"/>) within the radius that holds no member of its scan yet
        /// (ties: the earlier centre), else it starts a new centre at its own position.
        /// Bright members go first, so a faint noise extraction never takes a real source's
        /// slot in a scan. Returns the number of centres.
        /// </summary>
        private int Assign(int m, int centres, double chord2)
        {
            Array.Clear(_scanTaken, 0, _scans);
            if (_useGrid)
            {
                _cellHead.Clear();
                for (int c = 0; c < centres; c++) GridInsert(c);
            }
            for (int k = 0; k < m; k++)
            {
                double x = _x[k], y = _y[k], z = _z[k];
                int s = _scan[k], slot0 = _scanStart[s], taken = _scanTaken[s];
                int best = !_useGrid || centres <= scanAllMaxCentres
                    ? CheapestOfAll(centres, x, y, z, chord2, slot0, taken)
                    : CheapestInGrid(k, x, y, z, chord2, slot0, taken);
                if (best < 0)
                {
                    best = centres++;
                    _cx[best] = x; _cy[best] = y; _cz[best] = z;
                    SetCost(best, 1, 0);
                    if (_useGrid) GridInsert(best);
                }
                _assign[k] = best;
                _takenBy[slot0 + taken] = best;
                _scanTaken[s] = taken + 1;
            }
            return centres;
        }

        /// <summary>
        /// The cheapest admissible centre among all (ties: the lower index), or -1: costs of
        /// every centre (+inf beyond the radius), +inf for those the member's scan has taken,
        /// then the first least one. Same arithmetic, in the same order, as <see cref="Consider"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int CheapestOfAll(int centres, double x, double y, double z, double chord2, int slot0, int taken)
        {
            double[] cost = _cCost;
            int c = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var vx = Vector256.Create(x); var vy = Vector256.Create(y); var vz = Vector256.Create(z);
                var vChord2 = Vector256.Create(chord2);
                var one = Vector256<double>.One;
                var inf = Vector256.Create(double.PositiveInfinity);
                for (; c + 4 <= centres; c += 4)
                {
                    var dx = vx - Vector256.Create<double>(_cx.AsSpan(c, 4));
                    var dy = vy - Vector256.Create<double>(_cy.AsSpan(c, 4));
                    var dz = vz - Vector256.Create<double>(_cz.AsSpan(c, 4));
                    var d = dx * dx + dy * dy + dz * dz;
                    var q = one + d * Vector256.Create<double>(_cInvNuVar.AsSpan(c, 4));
                    var cst = q * q * q * Vector256.Create<double>(_cScale.AsSpan(c, 4));
                    Vector256.ConditionalSelect(Vector256.GreaterThan(d, vChord2), inf, cst).CopyTo(cost.AsSpan(c, 4));
                }
            }
            for (; c < centres; c++)
            {
                double dx = x - _cx[c], dy = y - _cy[c], dz = z - _cz[c];
                double d = dx * dx + dy * dy + dz * dz;
                double q = 1 + d * _cInvNuVar[c];
                cost[c] = d > chord2 ? double.PositiveInfinity : q * q * q * _cScale[c];
            }
            for (int t = 0; t < taken; t++) cost[_takenBy[slot0 + t]] = double.PositiveInfinity;
            int best = -1;
            double bestCost = double.PositiveInfinity;
            for (c = 0; c < centres; c++)
                if (cost[c] < bestCost) { best = c; bestCost = cost[c]; }
            return best;
        }

        /// <summary>The cheapest admissible centre in the 3 x 3 cells around member k (ties: the lower index), or -1.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int CheapestInGrid(int k, double x, double y, double z, double chord2, int slot0, int taken)
        {
            // Mark the centres this scan has taken: one pass per member (sum over scans of
            // count^2 / 2 per round) instead of a pass per candidate centre.
            if (++_markValue == int.MaxValue) { Array.Clear(_cMark); _markValue = 1; }
            for (int t = 0; t < taken; t++) _cMark[_takenBy[slot0 + t]] = _markValue;
            int best = -1;
            double bestCost = double.PositiveInfinity;
            long ix = _mCellX[k], iy = _mCellY[k];
            for (long gx = ix - 1; gx <= ix + 1; gx++)
                for (long gy = iy - 1; gy <= iy + 1; gy++)
                {
                    for (int c = _cellHead.Get(gx, gy) - 1; c >= 0; c = _cellNext[c])
                        Consider(c, x, y, z, chord2, ref best, ref bestCost);
                }
            return best;
        }

        /// <summary>
        /// Candidate centre c for the member at (x, y, z): admissible when within the radius
        /// and holding no member of the member's scan; the least cost wins, equal costs go to
        /// the lower centre index (so the grid's visiting order does not matter).
        /// </summary>
        private void Consider(int c, double x, double y, double z, double chord2, ref int best, ref double bestCost)
        {
            double dx = x - _cx[c], dy = y - _cy[c], dz = z - _cz[c];
            double d = dx * dx + dy * dy + dz * dz;
            if (d > chord2) return;
            // exp of the cost TailExponent * log(1 + d / (nu v)) + log(v / n): the same order
            // without a logarithm per candidate (TailExponent is 3).
            double q = 1 + d * _cInvNuVar[c];
            double cost = q * q * q * _cScale[c];
            if (cost > bestCost || (cost == bestCost && c > best)) return;
            if (_cMark[c] == _markValue) return;
            best = c; bestCost = cost;
        }

        /// <summary>
        /// Large components use a grid of cells of side just over r in the component's own
        /// tangent plane (no RA seam, no pole problem), so a member visits only the centres of
        /// the 3 x 3 cells around it: every centre within r lies there. Components wider than
        /// <see cref="GridMaxExtentDeg"/> (projection stretch > 1e-4) keep the plain scan.
        /// </summary>
        private void PrepareGrid(int m, double radiusRad)
        {
            _useGrid = false;
            if (m < gridMinMembers) return;
            double sx = 0, sy = 0, sz = 0;
            for (int k = 0; k < m; k++) { sx += _x[k]; sy += _y[k]; sz += _z[k]; }
            double norm = Math.Sqrt(sx * sx + sy * sy + sz * sz);
            if (norm == 0) return;
            _gcx = sx / norm; _gcy = sy / norm; _gcz = sz / norm;
            double minDot = 1;
            for (int k = 0; k < m; k++) minDot = Math.Min(minDot, _x[k] * _gcx + _y[k] * _gcy + _z[k] * _gcz);
            if (minDot < Math.Cos(GridMaxExtentDeg * Sky.DegToRad)) return;
            double ex = -_gcy, ey = _gcx, en = Math.Sqrt(ex * ex + ey * ey);
            if (en < 1e-15) { ex = 1; ey = 0; en = 1; }
            _gex = ex / en; _gey = ey / en;
            _gnx = -_gcz * _gey; _gny = _gcz * _gex; _gnz = _gcx * _gey - _gcy * _gex;
            // A chord of r is shorter than the angle r, and the plane stretches distances by
            // at most 1/cos^2(extent) < 1 + 1e-4: cells of 1.001 r are safe.
            _cellInv = 1.0 / (1.001 * radiusRad);
            long minX = long.MaxValue, maxX = long.MinValue, minY = long.MaxValue, maxY = long.MinValue;
            for (int k = 0; k < m; k++)
            {
                var (cx, cy) = CellOf(_x[k], _y[k], _z[k]);
                _mCellX[k] = cx; _mCellY[k] = cy;
                minX = Math.Min(minX, cx); maxX = Math.Max(maxX, cx); minY = Math.Min(minY, cy); maxY = Math.Max(maxY, cy);
            }
            // Centres stay inside the members' hull (means of members, or members), so the
            // members' cell range, padded for the 3 x 3 lookups, holds every cell used.
            _cellHead.Reset(minX - 2, maxX + 2, minY - 2, maxY + 2, m);
            _useGrid = true;
        }

        private (long X, long Y) CellOf(double x, double y, double z)
        {
            double d = x * _gcx + y * _gcy + z * _gcz;
            double xi = (x * _gex + y * _gey) / d, eta = (x * _gnx + y * _gny + z * _gnz) / d;
            return ((long)Math.Floor(xi * _cellInv), (long)Math.Floor(eta * _cellInv));
        }

        private void GridInsert(int c)
        {
            var (gx, gy) = CellOf(_cx[c], _cy[c], _cz[c]);
            _cellNext[c] = _cellHead.Get(gx, gy) - 1;
            _cellHead.Set(gx, gy, c + 1);
        }

        /// <summary>Centres move to the normalised mean unit vector of their members; empty centres are dropped.</summary>
        private int Recompute(int m, int centres)
        {
            for (int c = 0; c < centres; c++) { _cx[c] = _cy[c] = _cz[c] = 0; _cSize[c] = 0; }
            for (int k = 0; k < m; k++)
            {
                int c = _assign[k];
                _cx[c] += _x[k]; _cy[c] += _y[k]; _cz[c] += _z[k]; _cSize[c]++;
            }
            for (int c = 0; c < centres; c++) _cMerged[c] = false;
            return Compact(centres);
        }

        /// <summary>
        /// Drops empty centres (size 0), keeping order, normalises the others and rebuilds the
        /// per-centre member lists. Sizes and sums must be current.
        /// </summary>
        private int Compact(int centres)
        {
            int live = 0;
            for (int c = 0; c < centres; c++)
            {
                if (_cSize[c] == 0) { _cRemap[c] = -1; continue; }
                double norm = Math.Sqrt(_cx[c] * _cx[c] + _cy[c] * _cy[c] + _cz[c] * _cz[c]);
                _cx[live] = _cx[c] / norm; _cy[live] = _cy[c] / norm; _cz[live] = _cz[c] / norm;
                _cSize[live] = _cSize[c];
                _cRemap[c] = live++;
            }
            int m = 0;
            for (int c = 0; c < live; c++) m += _cSize[c];
            for (int k = 0; k < m; k++) _assign[k] = _cRemap[_assign[k]];
            _cMemberStart[0] = 0;
            for (int c = 0; c < live; c++) _cMemberStart[c + 1] = _cMemberStart[c] + _cSize[c];
            for (int c = 0; c < live; c++) _cSize[c] = 0;
            for (int c = 0; c < live; c++) _cSpread[c] = 0;
            for (int k = 0; k < m; k++)
            {
                int c = _assign[k];
                _cMembers[_cMemberStart[c] + _cSize[c]++] = k;
                double dx = _x[k] - _cx[c], dy = _y[k] - _cy[c], dz = _z[k] - _cz[c];
                _cSpread[c] += dx * dx + dy * dy + dz * dz;
            }
            for (int c = 0; c < live; c++) SetCost(c, _cSize[c], _cSpread[c]);
            return live;
        }

        /// <summary>
        /// Cost terms of centre c from its n members and their summed squared distance (rad^2):
        /// per-axis variance v = (sum d^2 / 2 + v0) / (n + 1), a prior of <see cref="PriorSigmaArcsec"/>
        /// worth one member, floored at <see cref="MinSigmaArcsec"/>. A member at distance d
        /// costs ((nu + 2) / 2) ln(1 + d^2 / (nu v)) + ln v - ln n: minus the log of a 2-D
        /// Student-t density (nu = <see cref="TailNu"/>) times the centre's member count. The
        /// t's wide wings keep a real source's 3-4 sigma members (faint 2MASS positions have
        /// such wings) from defecting to a small compact clump of noise beside it.
        /// </summary>
        private void SetCost(int c, int n, double sumD2)
        {
            double v0 = PriorSigmaArcsec * PriorSigmaArcsec * Sky.ArcsecToRad * Sky.ArcsecToRad;
            double vMin = MinSigmaArcsec * MinSigmaArcsec * Sky.ArcsecToRad * Sky.ArcsecToRad;
            double v = Math.Max(vMin, (0.5 * sumD2 + v0) / (n + 1));
            _cVar[c] = v;
            _cInvNuVar[c] = 1.0 / (TailNu * v);
            _cScale[c] = v / Math.Max(1, n);
        }

        /// <summary>
        /// Merges pairs of centres within the radius that are one source cut in two by the
        /// seeds or a previous round: their members share few scans (see
        /// <see cref="MergeOverlapFraction"/>), or their centres are closer than
        /// <see cref="MergeSigmas"/> times their combined scatter (k-means halves of one
        /// source, e.g. after seeds from a scan whose band-merge split it). Each centre takes
        /// part in at most one merge per round; candidates are found by a sweep in
        /// z = sin(dec) (|dz| &lt;= chord). Returns whether any merged.
        /// </summary>
        private bool MergeSplitSources(int m, int centres, double chord2)
        {
            if (centres < 2) return false;
            double chord = Math.Sqrt(chord2);
            // Centres in order of z, ties by index (RadixSort is stable, and precompiled: Array.Sort over
            // doubles was jitted in every run, bench/NOTES.md 86).
            for (int c = 0; c < centres; c++) { _cByZ[c] = c; _zSortKey[c] = RadixSort.KeyOf(_cz[c]); _cMerged[c] = false; _cInto[c] = c; }
            RadixSort.SortPairs(_zSortKey, _cByZ, centres, threads: 1);
            for (int q = 0; q < centres; q++) _zKey[q] = _cz[_cByZ[q]];
            bool any = false;
            for (int a = 0; a < centres; a++)
            {
                if (_cMerged[a]) continue;
                // The span's search is precompiled (the array's was jitted, bench/NOTES.md 86); back to the first equal key.
                int q = _zKey.AsSpan(0, centres).BinarySearch(_cz[a] - chord);
                if (q < 0) q = ~q;
                while (q > 0 && _zKey[q - 1] >= _cz[a] - chord) q--;
                int partner = -1;
                double partnerD = double.MaxValue;
                for (; q < centres && _zKey[q] <= _cz[a] + chord; q++)
                {
                    int b = _cByZ[q];
                    if (b <= a || _cMerged[b]) continue;
                    double dx = _cx[a] - _cx[b], dy = _cy[a] - _cy[b], dz = _cz[a] - _cz[b];
                    double d = dx * dx + dy * dy + dz * dz;
                    // Nearest partner; equal distances go to the earlier centre.
                    if (d > chord2 || d > partnerD || (d == partnerD && b > partner)) continue;
                    bool samePlace = d <= MergeSigmas * MergeSigmas * (_cVar[a] + _cVar[b]);
                    if (!samePlace && !FewSharedScans(a, b)) continue;
                    partner = b; partnerD = d;
                }
                if (partner < 0) continue;
                double na = _cSize[a], nb = _cSize[partner];
                // Size-weighted sum of the two unit centres; Compact normalises it.
                _cx[a] = na * _cx[a] + nb * _cx[partner];
                _cy[a] = na * _cy[a] + nb * _cy[partner];
                _cz[a] = na * _cz[a] + nb * _cz[partner];
                _cSize[a] += _cSize[partner];
                _cSize[partner] = 0;
                _cInto[partner] = a;
                _cMerged[a] = _cMerged[partner] = true;
                any = true;
            }
            if (!any) return false;
            // Members of a merged-away centre belong to the survivor until the next pass
            // re-assigns them (conflicting scans are then settled by priority order).
            for (int k = 0; k < m; k++) _assign[k] = _cInto[_assign[k]];
            // Unmerged centres are unit vectors already; Compact normalises every centre.
            return true;
        }

        private bool FewSharedScans(int a, int b)
        {
            int na = _cSize[a], nb = _cSize[b];
            _stampValue++;
            if (_stampValue == int.MaxValue) { Array.Clear(_stamp); _stampValue = 1; }
            for (int t = _cMemberStart[a]; t < _cMemberStart[a + 1]; t++) _stamp[_scan[_cMembers[t]]] = _stampValue;
            int shared = 0;
            for (int t = _cMemberStart[b]; t < _cMemberStart[b + 1]; t++) if (_stamp[_scan[_cMembers[t]]] == _stampValue) shared++;
            return shared <= MergeOverlapFraction * Math.Min(na, nb);
        }
    }

    /// <summary>
    /// An int per grid cell, 0 when unset: a dense array over the component's padded cell
    /// range (a dictionary lookup per neighbour cell dominated dense calibration groups),
    /// with a dictionary for any cell outside it, and for ranges too large to allocate.
    /// </summary>
    private sealed class CellTable
    {
        private int[] _dense = new int[256];
        private long _x0, _y0, _width, _height;
        private readonly Dictionary<(long, long), int> _overflow = new();

        public void Reset(long x0, long x1, long y0, long y1, int members)
        {
            _x0 = x0; _y0 = y0; _width = x1 - x0 + 1; _height = y1 - y0 + 1;
            long cells = _width * _height;
            if (cells > Math.Max(4096L, 16L * members)) { _width = _height = 0; cells = 0; }
            if (_dense.Length < cells) _dense = new int[cells];
            Clear();
        }

        public void Clear()
        {
            Array.Clear(_dense, 0, (int)(_width * _height));
            _overflow.Clear();
        }

        public int Get(long x, long y)
        {
            long dx = x - _x0, dy = y - _y0;
            if ((ulong)dx < (ulong)_width && (ulong)dy < (ulong)_height) return _dense[dx * _height + dy];
            return _overflow.GetValueOrDefault((x, y));
        }

        public void Set(long x, long y, int value)
        {
            long dx = x - _x0, dy = y - _y0;
            if ((ulong)dx < (ulong)_width && (ulong)dy < (ulong)_height) _dense[dx * _height + dy] = value;
            else _overflow[(x, y)] = value;
        }
    }
}
