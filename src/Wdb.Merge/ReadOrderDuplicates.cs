using Wdb.Core;

namespace Wdb.Merge;

/// <summary>
/// Duplicate cntr found as rows come, block after block, without sorting them: what
/// <see cref="DuplicateCntr.Find"/> and <see cref="DuplicateCntrRuns"/> decide by sorting, for the two
/// shapes real inputs take. While every cntr so far ascends strictly (IRSA's tables are sorted by cntr)
/// there is no duplicate. While the values seen span at most <see cref="DuplicateCntr.DenseSpanPerRow"/>
/// a row (a table numbered from 1: a remerge's, a generated one, shuffled or not) a bitmap of the values
/// seen names each repeat, the first row of a cntr being the one kept.
/// <para>
/// The rows must come in read order, (file, line) ascending over all blocks, as one reader appends
/// them. Where they do not, or the cntr are neither ascending nor dense, or the bitmap would outgrow
/// its budget, <see cref="Add"/> gives up for good (returns null) and the caller sorts: then every
/// block this pass took must be sorted as well.
/// </para>
/// </summary>
internal sealed class ReadOrderDuplicates
{
    private readonly long _maxBitmapBytes, _expectedRows;
    private long _rows;
    private bool _any, _ascending = true, _bitmapDropped, _gaveUp;
    private long _lastCntr;
    private ulong _lastReadKey;
    // Bit j of the bitmap is the value _base + j (unsigned arithmetic, so a span across zero works);
    // _base is a multiple of 64, so growing the bitmap copies whole words. _min.._max: values seen.
    private ulong[]? _seen;
    private long _base, _min, _max;

    /// <param name="maxBitmapBytes">The most the bitmap may take.</param>
    /// <param name="expectedRows">
    /// Rows expected in all (an estimate): the values may span <see cref="DuplicateCntr.DenseSpanPerRow"/> times
    /// these or the rows seen, whichever is more, so that a first block of shuffled values is not taken for sparse.
    /// The bitmap then takes at most 8 bytes a row.
    /// </param>
    public ReadOrderDuplicates(long maxBitmapBytes = long.MaxValue, long expectedRows = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBitmapBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedRows);
        _maxBitmapBytes = maxBitmapBytes;
        _expectedRows = expectedRows;
    }

    /// <summary>Whether a block was refused: from then on nothing is found here.</summary>
    public bool GaveUp => _gaveUp;

    /// <summary>Bytes the bitmap holds now.</summary>
    public long BitmapBytes => (_seen?.LongLength ?? 0) * sizeof(ulong);

    /// <summary>
    /// The rows of <paramref name="block"/> whose cntr an earlier row (of this block or an earlier one)
    /// has, ascending; null when this pass cannot tell (it has then given up, and the block is not taken).
    /// <paramref name="last"/>: no block follows, so ascending values need no bitmap.
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
        ulong previous = _lastReadKey;
        for (int i = 0; i < n; i++)
        {
            ulong key = DuplicateCntr.ReadOrderKey(file[i], line[i]);
            if ((i > 0 || _any) && key <= previous) return GiveUp();
            previous = key;
            if (i > 0 && cntr[i] <= cntr[i - 1]) ascending = false;
            min = Math.Min(min, cntr[i]);
            max = Math.Max(max, cntr[i]);
        }
        _rows += n;
        List<int> dups = [];
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
                    if ((word & bit) != 0) dups.Add(i);
                    else word |= bit;
                }
            }
        }
        _any = true;
        _ascending = ascending;
        _lastCntr = cntr[n - 1];
        _lastReadKey = previous;
        return dups;
    }

    private List<int>? GiveUp()
    {
        _gaveUp = true;
        _seen = null;
        return null;
    }

    /// <summary>
    /// Makes the bitmap cover the values seen and [<paramref name="min"/>, <paramref name="max"/>), growing it
    /// (doubling, for ascending inputs); false when that span is too sparse for the rows seen or too large for the budget.
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
