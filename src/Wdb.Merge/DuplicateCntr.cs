using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wdb.Core;

namespace Wdb.Merge;

/// <summary>
/// `cntr` is the key every output links back to, so it must be unique. Of rows sharing a
/// cntr the first by (input file, line) is kept and the others are rejected.
/// </summary>
public static class DuplicateCntr
{
    /// <summary>Indices of rows to reject, ascending.</summary>
    public static List<int> Find(ExtractionBlock block, int threads = 0)
    {
        if (FindInOnePass(block) is { } dense) return dense;
        var (keys, order) = SortByCntr(block, threads);
        var dups = new List<int>();
        for (int k = 1; k < block.Count; k++)
            if (keys[k] == keys[k - 1]) dups.Add(order[k]);
        dups.Sort();
        return dups;
    }

    /// <summary>Most cntr values a row may span for <see cref="OnePassDuplicates"/>' bitmap: it is then at most 8 bytes a row.</summary>
    internal const int DenseSpanPerRow = 64;

    /// <summary>
    /// The duplicates without sorting (<see cref="OnePassDuplicates"/>), where the rows are in read order (as the
    /// reader appends them) and their cntr either ascend strictly or span at most <see cref="DenseSpanPerRow"/> values
    /// a row; null where neither holds: the sort decides. The radix sort by cntr was most of the filter stage (0.014 s
    /// on the 0.65 M survey, 0.19 s on the 10 M one).
    /// </summary>
    internal static List<int>? FindInOnePass(ExtractionBlock block)
    {
        var pass = new OnePassDuplicates();
        return pass.Add(block, last: true) is { } repeats && pass.InReadOrder ? repeats : null;
    }

    /// <summary>
    /// The block's rows in (cntr, file, line) order, with their <see cref="RadixSort.KeyOf(long)"/>
    /// cntr keys: the first row of each run of equal keys is the one kept.
    /// </summary>
    internal static (ulong[] CntrKeys, int[] Rows) SortByCntr(ExtractionBlock block, int threads)
    {
        int n = block.Count;
        var order = new int[n];
        var keys = new ulong[n];
        bool inReadOrder = true;
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
            keys[i] = ReadOrderKey(block.FileIndex[i], block.Line[i]);
            if (i > 0 && keys[i] < keys[i - 1]) inReadOrder = false;
        }
        // The reader appends rows in (file, line) order, so this sort is usually not needed:
        // the stable sort by cntr below then keeps the first of equal cntr first anyway.
        if (!inReadOrder) RadixSort.SortPairs(keys, order, n, threads);
        for (int k = 0; k < n; k++) keys[k] = RadixSort.KeyOf(block.Cntr[order[k]]);
        RadixSort.SortPairs(keys, order, n, threads);
        return (keys, order);
    }

    /// <summary>
    /// Where the kept copy of each rejected row's cntr is: the first row by (file, line) holding it among
    /// <paramref name="everyRow"/> (every row read, in any order, as blocks holding at least their cntr, file and
    /// line). The finders that need no sort keep no locations, so this is a second pass, asked for only when
    /// <paramref name="rejected"/> is not empty: an input without duplicates never reads its rows again.
    /// </summary>
    public static Dictionary<long, (int File, long Line)> KeptCopies(IReadOnlyCollection<DuplicateRow> rejected,
        Func<IEnumerable<ExtractionBlock>> everyRow)
    {
        if (rejected.Count == 0) return [];
        var first = new Dictionary<long, ulong>();
        foreach (var d in rejected) first[d.Cntr] = ulong.MaxValue;
        foreach (var keys in everyRow())
            for (int i = 0; i < keys.Count; i++)
            {
                ref ulong at = ref CollectionsMarshal.GetValueRefOrNullRef(first, keys.Cntr[i]);
                if (Unsafe.IsNullRef(ref at)) continue;
                at = Math.Min(at, ReadOrderKey(keys.FileIndex[i], keys.Line[i]));
            }
        var kept = new Dictionary<long, (int File, long Line)>(first.Count);
        foreach (var (cntr, key) in first) kept[cntr] = FromReadOrderKey(key);
        return kept;
    }

    /// <summary>(file, line) as one key in read order: lines below 2^40, file indices below 2^24.</summary>
    internal static ulong ReadOrderKey(int file, long line) => ((ulong)(uint)file << 40) | (ulong)line;

    /// <summary>The (file, line) of a <see cref="ReadOrderKey"/>.</summary>
    internal static (int File, long Line) FromReadOrderKey(ulong key) => ((int)(key >> 40), (long)(key & ((1UL << 40) - 1)));
}
