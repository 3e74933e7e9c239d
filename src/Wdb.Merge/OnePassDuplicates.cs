using Wdb.Core;

namespace Wdb.Merge;

/// <summary>
/// Duplicate cntr found as rows come, block after block, without sorting them: what
/// <see cref="DuplicateCntr.Find"/> and <see cref="DuplicateCntrRuns"/> decide by sorting, for the two
/// shapes real inputs take. While every cntr so far is above all earlier ones (IRSA's tables are sorted
/// by cntr) no value repeats. While the values seen span at most <see cref="DuplicateCntr.DenseSpanPerRow"/>
/// a row (a table numbered from 1: a remerge's, a generated one, shuffled or not) a bitmap of the values
/// seen names every row whose value came before.
/// <para>
/// Where the rows came in read order ((file, line) ascending over all blocks, as one reader appends them:
/// <see cref="InReadOrder"/>), those rows are the duplicates to reject (the first row of a cntr is kept).
/// Where they did not (files read at once), the values that repeat are known (<see cref="IsRepeated"/>) and
/// the caller picks the first row of each by (file, line) among the rows holding them. Where the values are
/// neither ascending nor dense, or the bitmap would outgrow its budget, <see cref="Add"/> gives up for good
/// (returns null) and the caller sorts: then every block this pass took must be sorted as well.
/// </para>
/// </summary>
internal sealed class OnePassDuplicates
{
    private readonly long _maxBitmapBytes, _expectedRows;
    private long _rows;
    private bool _any, _ascending = true, _bitmapDropped, _gaveUp, _inReadOrder = true;
    private long _lastCntr;
    private ulong _lastReadKey;
    // Bit j of the bitmap is the value _base + j (unsigned arithmetic, so a span across zero works);
    // _base is a multiple of 64, so growing the bitmap copies whole words. _min.._max: values seen.
    private ulong[]? _seen;
    private long _base, _min, _max;
    private readonly HashSet<long> _repeated = new();
    private readonly List<DuplicateRow> _repeats = new();

    /// <param name="maxBitmapBytes">The most the bitmap may take.</param>
    /// <param name="expectedRows">
    /// Rows expected in all (an estimate): the values may span <see cref="DuplicateCntr.DenseSpanPerRow"/> times
    /// these or the rows seen, whichever is more, so that a first block of shuffled values is not taken for sparse.
    /// The bitmap then takes at most 8 bytes a row.
    /// </param>
    public OnePassDuplicates(long maxBitmapBytes = long.MaxValue, long expectedRows = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBitmapBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedRows);
        _maxBitmapBytes = maxBitmapBytes;
        _expectedRows = expectedRows;
    }

    /// <summary>Whether a block was refused: from then on nothing is found here.</summary>
    public bool GaveUp => _gaveUp;

    /// <summary>Whether every block so far came in read order: then the rows <see cref="Add"/> named are the duplicates.</summary>
    public bool InReadOrder => _inReadOrder;

    /// <summary>Values held by more than one row so far.</summary>
    public int RepeatedValues => _repeated.Count;

    /// <summary>Whether more than one row so far holds <paramref name="cntr"/>.</summary>
    public bool IsRepeated(long cntr) => _repeated.Contains(cntr);

    /// <summary>Bytes the bitmap holds now.</summary>
    public long BitmapBytes => (_seen?.LongLength ?? 0) * sizeof(ulong);

    /// <summary>
    /// The rows of <paramref name="block"/> whose cntr an earlier row (of this block or an earlier one, in the
    /// order they came) holds, ascending; null when this pass cannot tell (it has then given up, and the block
    /// is not taken). <paramref name="last"/>: no block follows, so ascending values need no bitmap.
    /// </summary>
    public List<int>? Add(ExtractionBlock block, bool last = false)
    {
        if (_gaveUp) return null;
        int n = block.Count;
        if (n == 0) return [];
        long[] cntr = block.Cntr, line = block.Line;
        int[] file = block.FileIndex;
        long min = long.MaxValue, max = long.MinValue;
        bool ascending = _ascending && (!_any || cntr[0] > _lastCntr);
        bool inReadOrder = _inReadOrder;
        ulong previous = _lastReadKey;
        for (int i = 0; i < n; i++)
        {
            ulong key = DuplicateCntr.ReadOrderKey(file[i], line[i]);
            if ((i > 0 || _any) && key <= previous) inReadOrder = false;
            previous = key;
            if (i > 0 && cntr[i] <= cntr[i - 1]) ascending = false;
            min = Math.Min(min, cntr[i]);
            max = Math.Max(max, cntr[i]);
        }
        _rows += n;
        List<int> repeats = [];
        if (!(ascending && last))
        {
            if (!_bitmapDropped && !Cover(min, max))
            {
                _bitmapDropped = true;
                _seen = null;
            }
            if (_seen is null)
            {
                // Without a bitmap only ascending values can be told apart from repeats.
                if (!ascending) return GiveUp();
            }
            else
            {
                var seen = _seen;
                for (int i = 0; i < n; i++)
                {
                    ulong at = (ulong)cntr[i] - (ulong)_base;
                    ulong bit = 1UL << (int)(at & 63);
                    ref ulong word = ref seen[at >> 6];
                    if ((word & bit) == 0) word |= bit;
                    else
                    {
                        repeats.Add(i);
                        _repeated.Add(cntr[i]);
                        _repeats.Add(new DuplicateRow(file[i], line[i], cntr[i]));
                    }
                }
            }
        }
        _any = true;
        _ascending = ascending;
        _inReadOrder = inReadOrder;
        _lastCntr = cntr[n - 1];
        _lastReadKey = previous;
        return repeats;
    }

    /// <summary>
    /// The rows to reject, by (file, line): of every value held by more than one row, all rows but the first by
    /// (file, line). In read order those are the rows <see cref="Add"/> named; otherwise they are found among
    /// <paramref name="everyRow"/>, every row taken read again (only if a value repeats), in any order, as blocks
    /// holding at least their cntr, file and line.
    /// </summary>
    public List<DuplicateRow> Rejected(Func<IEnumerable<ExtractionBlock>> everyRow)
    {
        if (_gaveUp) throw new InvalidOperationException("the one pass gave up: the sort finds the duplicates");
        if (_inReadOrder || _repeated.Count == 0) return [.. _repeats];
        var holders = new List<DuplicateRow>();
        foreach (var keys in everyRow())
            for (int i = 0; i < keys.Count; i++)
                if (_repeated.Contains(keys.Cntr[i])) holders.Add(new DuplicateRow(keys.FileIndex[i], keys.Line[i], keys.Cntr[i]));
        holders.Sort(static (a, b) => a.Cntr != b.Cntr ? a.Cntr.CompareTo(b.Cntr) : (a.FileIndex, a.Line).CompareTo((b.FileIndex, b.Line)));
        var rejected = new List<DuplicateRow>();
        for (int k = 1; k < holders.Count; k++)
            if (holders[k].Cntr == holders[k - 1].Cntr) rejected.Add(holders[k]);
        rejected.Sort(static (a, b) => (a.FileIndex, a.Line).CompareTo((b.FileIndex, b.Line)));
        return rejected;
    }

    private List<int>? GiveUp()
    {
        _gaveUp = true;
        _seen = null;
        _repeated.Clear();
        _repeats.Clear();
        return null;
    }

    /// <summary>
    /// Makes the bitmap cover the values seen and [<paramref name="min"/>, <paramref name="max"/>), growing it
    /// (doubling, for ascending inputs); false when that span is too sparse for the rows or too large for the budget.
    /// </summary>
    private bool Cover(long min, long max)
    {
        long lo = _any ? Math.Min(_min, min) : min, hi = _any ? Math.Max(_max, max) : max;
        // Unsigned, so a span that wraps past long's range (lo near long.MinValue, hi near long.MaxValue) is never small.
        ulong span = (ulong)hi - (ulong)lo;
        ulong rows = (ulong)Math.Max(_rows, _expectedRows);
        if (span >= rows * DuplicateCntr.DenseSpanPerRow) return false;
        long alignedLo = (long)((ulong)lo & ~63UL);
        ulong needed = (((ulong)hi - (ulong)alignedLo) >> 6) + 1;
        ulong limit = Math.Min(rows + 1, (ulong)(_maxBitmapBytes / sizeof(ulong)));
        limit = Math.Min(limit, (ulong)Array.MaxLength);
        if (needed > limit) return false;
        _min = lo;
        _max = hi;
        // The base is the lowest value seen, rounded down to a word: it only ever moves down.
        if (_seen is not null && alignedLo == _base && needed <= (ulong)_seen.LongLength) return true;
        ulong words = needed;
        if (_seen is not null) words = Math.Min(Math.Max(needed, 2 * (ulong)_seen.LongLength), limit);   // room above doubles
        var grown = new ulong[words];
        if (_seen is not null)
        {
            // Old words past the new length hold values above every one seen: none is set.
            long shift = (long)(((ulong)_base - (ulong)alignedLo) >> 6);
            Array.Copy(_seen, 0, grown, shift, Math.Min(_seen.LongLength, (long)words - shift));
        }
        _seen = grown;
        _base = alignedLo;
        return true;
    }
}
