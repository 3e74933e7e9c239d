using System.Runtime.CompilerServices;

namespace Wdb.Core;

/// <summary>Photometry of one band, struct-of-arrays, indexed like the block's rows.</summary>
public sealed class BandColumns
{
    /// <summary>Default magnitude (mag); NaN when null.</summary>
    public float[] Mag = [];
    /// <summary>Total uncertainty (mag): `msigcom` when present, else `cmsig`; NaN when null.</summary>
    public float[] Sig = [];
    /// <summary>Signal-to-noise ratio; NaN when null.</summary>
    public float[] Snr = [];
    /// <summary>One ASCII character per row from the three-character flag columns; 0 when absent.</summary>
    public byte[] PhQual = [], RdFlg = [], BlFlg = [], CcFlg = [];

    internal void Resize(int capacity)
    {
        Array.Resize(ref Mag, capacity); Array.Resize(ref Sig, capacity); Array.Resize(ref Snr, capacity);
        Array.Resize(ref PhQual, capacity); Array.Resize(ref RdFlg, capacity);
        Array.Resize(ref BlFlg, capacity); Array.Resize(ref CcFlg, capacity);
    }

    /// <summary>Whether row <paramref name="i"/> is a detection in this band (see <see cref="Bands.IsDetection"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]   // called per member and band in the statistics
    public bool IsDetection(int i) => Bands.IsDetection(Mag[i], RdFlg[i], PhQual[i]);
}

/// <summary>
/// A block of extractions as struct-of-arrays: one array per column, all of length
/// &gt;= <see cref="Count"/>. Readers append rows with <see cref="AddRow"/> (which fills
/// every column with its "absent" value) and then set the columns they have. Stages read
/// the columns directly in their hot loops.
/// </summary>
public sealed class ExtractionBlock
{
    public int Count { get; private set; }
    public int Capacity => Cntr.Length;

    /// <summary>Unique row key of the source table.</summary>
    public long[] Cntr = [];
    /// <summary>Scan identity: `scan_key`, or one built from (hemis, date, scan); see <see cref="ScanKeys"/>.</summary>
    public long[] ScanKey = [];
    /// <summary>Position, degrees (J2000): ra in [0, 360), dec in [-90, 90].</summary>
    public double[] Ra = [], Dec = [];
    /// <summary>Error ellipse: semi-axes (arcsec) and position angle (deg E of N); NaN when absent.</summary>
    public float[] ErrMaj = [], ErrMin = [], ErrAng = [];
    /// <summary>Julian date of the observation; NaN when absent.</summary>
    public double[] JDate = [];
    /// <summary>Photometry for J, H, Ks (index with <see cref="Band"/>).</summary>
    public readonly BandColumns[] Bands = [new(), new(), new()];
    /// <summary>`ndet` as the integer of its six digits (mnmnmn); -1 when absent.</summary>
    public int[] Ndet = [];
    /// <summary>Distance to the nearest neighbour in the same scan (arcsec); NaN when absent.</summary>
    public float[] Prox = [];
    /// <summary>Minor-planet association flag; 0 absent/none.</summary>
    public byte[] MpFlg = [];
    /// <summary>Extended-source contamination flag (`gal_contam`); 0 absent/none.</summary>
    public byte[] GalContam = [];
    /// <summary>Id of the true source for generated data (`truth` column); -1 when absent.</summary>
    public long[] Truth = [];
    /// <summary>Provenance: index of the input file (into the run's input list) and its 1-based line.</summary>
    public int[] FileIndex = [];
    public long[] Line = [];

    public ExtractionBlock(int capacity = 1024) => Resize(Math.Max(capacity, 16));

    public BandColumns this[Band b] => Bands[(int)b];

    /// <summary>Appends a row with every column absent (NaN, -1 or 0) and returns its index.</summary>
    public int AddRow()
    {
        if (Count == _clean) PrepareDefaults();
        return Count++;
    }

    /// <summary>Drops every row, keeping the capacity (a block reused chunk after chunk).</summary>
    public void Clear() => Count = _clean = 0;

    /// <summary>Drops the last row (a reader that rejects a row it already started).</summary>
    public void RemoveLast()
    {
        if (Count == 0) throw new InvalidOperationException("empty block");
        Count--;
        FillDefaults(Count, 1);
    }

    /// <summary>Sets every column of row <paramref name="row"/> back to its absent value.</summary>
    public void ResetRow(int row)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)Count, nameof(row));
        FillDefaults(row, 1);
    }

    /// <summary>
    /// Drops the rows <c>last - drop.Length + k</c> whose <c>drop[k]</c> is set, moving the
    /// kept ones up in order: the last <c>drop.Length</c> rows are a batch a reader decoded
    /// column by column and then rejected some of.
    /// </summary>
    public void RemoveFromEnd(ReadOnlySpan<bool> drop)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(drop.Length, Count, nameof(drop));
        int first = Count - drop.Length, kept = first;
        for (int k = 0; k < drop.Length; k++)
        {
            if (drop[k]) continue;
            if (kept != first + k) CopyRow(this, first + k, kept);
            kept++;
        }
        while (Count > kept) RemoveLast();
    }

    /// <summary>
    /// Rows [Count, _clean) already hold the values a new row starts with. AddRow is on the
    /// reader's hot path: setting 30 columns one row at a time cost a third of decoding a
    /// row, so the defaults are filled for runs of rows at once (vectorised fills).
    /// </summary>
    private int _clean;
    private const int DefaultRun = 1024;

    private void PrepareDefaults()
    {
        if (Count == Capacity) Resize(Grown(Count + 1L));
        int n = Math.Min(Capacity - Count, DefaultRun);
        FillDefaults(Count, n);
        _clean = Count + n;
    }

    private void FillDefaults(int start, int n)
    {
        Cntr.AsSpan(start, n).Clear(); ScanKey.AsSpan(start, n).Clear();
        Ra.AsSpan(start, n).Fill(double.NaN); Dec.AsSpan(start, n).Fill(double.NaN);
        ErrMaj.AsSpan(start, n).Fill(float.NaN); ErrMin.AsSpan(start, n).Fill(float.NaN); ErrAng.AsSpan(start, n).Fill(float.NaN);
        JDate.AsSpan(start, n).Fill(double.NaN);
        foreach (var b in Bands)
        {
            b.Mag.AsSpan(start, n).Fill(float.NaN); b.Sig.AsSpan(start, n).Fill(float.NaN); b.Snr.AsSpan(start, n).Fill(float.NaN);
            b.PhQual.AsSpan(start, n).Clear(); b.RdFlg.AsSpan(start, n).Clear(); b.BlFlg.AsSpan(start, n).Clear(); b.CcFlg.AsSpan(start, n).Clear();
        }
        Ndet.AsSpan(start, n).Fill(-1); Prox.AsSpan(start, n).Fill(float.NaN);
        MpFlg.AsSpan(start, n).Clear(); GalContam.AsSpan(start, n).Clear(); Truth.AsSpan(start, n).Fill(-1);
        FileIndex.AsSpan(start, n).Clear(); Line.AsSpan(start, n).Clear();
    }

    /// <summary>
    /// Appends <paramref name="n"/> rows with every column absent and returns the first one's
    /// index: room for a range of rows that the caller then fills column by column (a spill
    /// file read back).
    /// </summary>
    public int AddRows(int n) => AddRows(n, fill: true);

    /// <summary>
    /// As <see cref="AddRows(int)"/>, but the new rows' values are left as the arrays hold them
    /// (not meaningful): for callers that then write every column they or their readers use. A
    /// spill read back overwrites all 37 columns, or reads 3 for the footprints, and filling
    /// them first was 4 GB of stores on the 10 M survey (bench/NOTES.md 40).
    /// </summary>
    public int AddRowsUnset(int n) => AddRows(n, fill: false);

    private int AddRows(int n, bool fill)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        int first = Count;
        if ((long)first + n > Capacity) Resize(Grown((long)first + n));
        if (fill) FillDefaults(first, n);
        Count = first + n;
        _clean = Math.Max(_clean, Count);
        return first;
    }

    /// <summary>
    /// Every column, in one fixed order (the one <see cref="Resize"/> uses): code that moves
    /// whole rows as bytes (spill files) walks this list instead of naming the columns again.
    /// The arrays are the current ones; <see cref="Permute"/> and growth replace them.
    /// </summary>
    public Array[] Columns()
    {
        var columns = new List<Array> { Cntr, ScanKey, Ra, Dec, ErrMaj, ErrMin, ErrAng, JDate };
        foreach (var b in Bands) columns.AddRange([b.Mag, b.Sig, b.Snr, b.PhQual, b.RdFlg, b.BlFlg, b.CcFlg]);
        columns.AddRange([Ndet, Prox, MpFlg, GalContam, Truth, FileIndex, Line]);
        return columns.ToArray();
    }

    /// <summary>
    /// The capacity to grow to for <paramref name="rows"/> rows: doubled, in 64 bits, up to the longest array. Doubling in
    /// an int went negative past 2^30 rows (a table held whole at full-sky scale), and a sum past int.MaxValue once
    /// left Count negative instead of failing.
    /// </summary>
    private int Grown(long rows)
    {
        if (rows > Array.MaxLength)
            throw new InvalidOperationException($"a block holds at most {Array.MaxLength:N0} rows, {rows:N0} asked for: merge zone by zone (--zone-rows)");
        return (int)Math.Clamp(2L * Capacity, rows, Array.MaxLength);
    }

    /// <summary>Ensures room for <paramref name="capacity"/> rows.</summary>
    public void Reserve(int capacity)
    {
        if (capacity > Capacity) Resize(capacity);
    }

    private void Resize(int capacity)
    {
        Array.Resize(ref Cntr, capacity); Array.Resize(ref ScanKey, capacity);
        Array.Resize(ref Ra, capacity); Array.Resize(ref Dec, capacity);
        Array.Resize(ref ErrMaj, capacity); Array.Resize(ref ErrMin, capacity); Array.Resize(ref ErrAng, capacity);
        Array.Resize(ref JDate, capacity);
        foreach (var b in Bands) b.Resize(capacity);
        Array.Resize(ref Ndet, capacity); Array.Resize(ref Prox, capacity);
        Array.Resize(ref MpFlg, capacity); Array.Resize(ref GalContam, capacity);
        Array.Resize(ref Truth, capacity);
        Array.Resize(ref FileIndex, capacity); Array.Resize(ref Line, capacity);
    }

    /// <summary>Copies row <paramref name="src"/> of <paramref name="from"/> to row <paramref name="dst"/> of this block.</summary>
    public void CopyRow(ExtractionBlock from, int src, int dst)
    {
        Cntr[dst] = from.Cntr[src]; ScanKey[dst] = from.ScanKey[src];
        Ra[dst] = from.Ra[src]; Dec[dst] = from.Dec[src];
        ErrMaj[dst] = from.ErrMaj[src]; ErrMin[dst] = from.ErrMin[src]; ErrAng[dst] = from.ErrAng[src];
        JDate[dst] = from.JDate[src];
        for (int b = 0; b < Core.Bands.Count; b++)
        {
            BandColumns t = Bands[b], f = from.Bands[b];
            t.Mag[dst] = f.Mag[src]; t.Sig[dst] = f.Sig[src]; t.Snr[dst] = f.Snr[src];
            t.PhQual[dst] = f.PhQual[src]; t.RdFlg[dst] = f.RdFlg[src];
            t.BlFlg[dst] = f.BlFlg[src]; t.CcFlg[dst] = f.CcFlg[src];
        }
        Ndet[dst] = from.Ndet[src]; Prox[dst] = from.Prox[src];
        MpFlg[dst] = from.MpFlg[src]; GalContam[dst] = from.GalContam[src]; Truth[dst] = from.Truth[src];
        FileIndex[dst] = from.FileIndex[src]; Line[dst] = from.Line[src];
    }

    /// <summary>A new block holding rows <c>order[0], order[1], ...</c> of this one.</summary>
    public ExtractionBlock Select(ReadOnlySpan<int> order)
    {
        var result = new ExtractionBlock(order.Length);
        for (int k = 0; k < order.Length; k++) result.AddRow();
        for (int k = 0; k < order.Length; k++) result.CopyRow(this, order[k], k);
        return result;
    }

    /// <summary>
    /// Reorders the rows so that new row k is old row <c>order[k]</c>: a permutation, or a
    /// subset to keep (rows not named are dropped). One column at a time, so the peak extra
    /// memory is one column rather than a second block. Capacity shrinks to the new Count.
    /// (Applying a permutation in place, cycle by cycle, was tried: three random accesses per
    /// value instead of one made the zone sort 3x slower, bench/NOTES.md.) Columns are gathered
    /// on <paramref name="threads"/> threads (0: every core).
    /// </summary>
    public void Permute(int[] order, int threads = 0)
    {
        if (!HoldsGrouping || !HoldsOthers)
            throw new InvalidOperationException("the block's columns are apart (TakeGroupingColumns): Rejoin them first");
        CheckOrder(order, Count);
        GatherGroupingFrom(this, order, threads);
        GatherOthers(order, threads);
        Count = _clean = order.Length;
    }

    /// <summary>
    /// Moves the columns the grouping stages read while the rows are in declination order into a new block,
    /// gathered into <paramref name="order"/>: ra, dec (the link), cntr (components, the group index), scan
    /// (footprints, confusion), jdate (the group index), and each band's mag, rd_flg and ph_qual (confusion).
    /// This block keeps every other column in its own row order and gives those up (empty: a stage that reads
    /// one from the wrong block fails at once) until <see cref="Rejoin"/> puts the two back together. The
    /// in-memory merge gathers its other columns once, straight into group order, instead of twice.
    /// </summary>
    public ExtractionBlock TakeGroupingColumns(int[] order, int threads = 0)
    {
        CheckOrder(order, Count);
        var grouping = new ExtractionBlock(0);
        grouping.EmptyOthers();
        grouping.GatherGroupingFrom(this, order, threads);
        grouping.Count = grouping._clean = order.Length;
        return grouping;
    }

    /// <summary>
    /// Puts back the columns <see cref="TakeGroupingColumns"/>(<paramref name="taken"/>) moved into
    /// <paramref name="grouping"/>, every row in a new order: new row k is row <paramref name="order"/>[k] of
    /// <paramref name="grouping"/>, that is row taken[order[k]] of this block's own columns.
    /// </summary>
    public void Rejoin(ExtractionBlock grouping, int[] taken, int[] order, int threads = 0)
    {
        var composed = Composed(grouping, taken, order, threads);
        GatherGroupingFrom(grouping, order, threads);
        GatherOthers(composed, threads);
        Count = _clean = order.Length;
    }

    /// <summary>
    /// Whole rows from the two blocks <see cref="TakeGroupingColumns"/>(<paramref name="taken"/>) made, this one
    /// and <paramref name="grouping"/>: new row k holds row <paramref name="rows"/>[k] of <paramref name="grouping"/>'s
    /// columns and row taken[rows[k]] of this block's own. Neither block changes (the zone merge carries its open
    /// components into the next zone so).
    /// </summary>
    public ExtractionBlock SelectJoined(ExtractionBlock grouping, int[] taken, int[] rows, int threads = 0)
    {
        var others = Composed(grouping, taken, rows, threads);
        var result = new ExtractionBlock(0);
        result.GatherGroupingFrom(grouping, rows, threads, move: false);
        result.GatherOthers(others, threads, source: this);
        result.Count = result._clean = rows.Length;
        return result;
    }

    /// <summary>
    /// Keeps rows <paramref name="rows"/> of a block <see cref="TakeGroupingColumns"/> made (its only columns), in that
    /// order; the caller composes the taken order with them for <see cref="Rejoin"/>.
    /// </summary>
    public void KeepGroupingRows(int[] rows, int threads = 0)
    {
        if (HoldsOthers && Count > 0) throw new InvalidOperationException("not a block of grouping columns: use Permute");
        CheckOrder(rows, Count);
        if (IsAscending(rows)) CompactGroupingRows(rows);
        else GatherGroupingFrom(this, rows, threads);
        Count = _clean = rows.Length;
    }

    private static bool IsAscending(int[] rows)
    {
        for (int k = 1; k < rows.Length; k++) if (rows[k] <= rows[k - 1]) return false;
        return true;
    }

    /// <summary>
    /// <see cref="KeepGroupingRows"/> for ascending rows, in place: row k moves down to k from rows[k] >= k, which no
    /// earlier move overwrote. The zone merge keeps all but its open components' rows, which lie near the end of
    /// the declination order: the rows before the first one left out stay where they are, and no new column is made
    /// (a zone's gather of every grouping column was most of its components stage).
    /// </summary>
    private void CompactGroupingRows(int[] rows)
    {
        int first = 0;
        while (first < rows.Length && rows[first] == first) first++;
        if (first == rows.Length) return;
        Compact(Cntr); Compact(ScanKey); Compact(Ra); Compact(Dec); Compact(JDate);
        foreach (var band in Bands) { Compact(band.Mag); Compact(band.PhQual); Compact(band.RdFlg); }

        void Compact<T>(T[] column)
        {
            for (int k = first; k < rows.Length; k++) column[k] = column[rows[k]];
        }
    }

    /// <summary>
    /// The rows of this block's own columns that <paramref name="rows"/> of <paramref name="grouping"/> are
    /// (taken[rows[k]]), after checking both orders against <paramref name="grouping"/>.
    /// </summary>
    private static int[] Composed(ExtractionBlock grouping, int[] taken, int[] rows, int threads)
    {
        if (taken.Length != grouping.Count) throw new ArgumentException("taken must be the order the grouping columns were taken in", nameof(taken));
        CheckOrder(rows, grouping.Count);
        var composed = Gather(taken, rows, threads);
        if (composed.Length != rows.Length) Array.Resize(ref composed, rows.Length);   // Gather allocates at least 16
        return composed;
    }

    /// <summary>Whether the grouping columns, and the others, hold this block's rows (both do, but while apart).</summary>
    private bool HoldsGrouping => Cntr.Length >= Count;
    private bool HoldsOthers => ErrMaj.Length >= Count;

    private static void CheckOrder(int[] order, int count)
    {
        if (order.Length > count) throw new ArgumentException("order names more rows than the block holds", nameof(order));
        foreach (int row in order)
            if ((uint)row >= (uint)count) throw new ArgumentOutOfRangeException(nameof(order), $"row {row} is not in the block");
    }

    /// <summary>
    /// The grouping columns (see <see cref="TakeGroupingColumns"/>) of <paramref name="source"/>, gathered into this
    /// block; with <paramref name="move"/>, <paramref name="source"/> gives each up as it goes (<see cref="Move{T}"/>).
    /// </summary>
    private void GatherGroupingFrom(ExtractionBlock source, int[] order, int threads, bool move = true)
    {
        Cntr = Take(ref source.Cntr); ScanKey = Take(ref source.ScanKey);
        Ra = Take(ref source.Ra); Dec = Take(ref source.Dec);
        JDate = Take(ref source.JDate);
        for (int b = 0; b < Core.Bands.Count; b++)
        {
            BandColumns to = Bands[b], from = source.Bands[b];
            to.Mag = Take(ref from.Mag); to.PhQual = Take(ref from.PhQual); to.RdFlg = Take(ref from.RdFlg);
        }

        T[] Take<T>(ref T[] column) where T : unmanaged => move ? Move(ref column, order, threads) : Gather(column, order, threads);
    }

    /// <summary>Every other column of <paramref name="source"/> (this block itself by default: in place), gathered into this block.</summary>
    private void GatherOthers(int[] order, int threads, ExtractionBlock? source = null)
    {
        var from = source ?? this;
        bool move = source is null;
        ErrMaj = Take(ref from.ErrMaj); ErrMin = Take(ref from.ErrMin); ErrAng = Take(ref from.ErrAng);
        for (int b = 0; b < Core.Bands.Count; b++)
        {
            BandColumns to = Bands[b], f = from.Bands[b];
            to.Sig = Take(ref f.Sig); to.Snr = Take(ref f.Snr); to.BlFlg = Take(ref f.BlFlg); to.CcFlg = Take(ref f.CcFlg);
        }
        Ndet = Take(ref from.Ndet); Prox = Take(ref from.Prox);
        MpFlg = Take(ref from.MpFlg); GalContam = Take(ref from.GalContam); Truth = Take(ref from.Truth);
        FileIndex = Take(ref from.FileIndex); Line = Take(ref from.Line);

        T[] Take<T>(ref T[] column) where T : unmanaged => move ? Move(ref column, order, threads) : Gather(column, order, threads);
    }

    /// <summary>
    /// A column gathered into <paramref name="order"/>; the field it came from is emptied at once, so the old
    /// array is garbage before the next column is gathered (the peak holds one column twice, not a block).
    /// </summary>
    private static T[] Move<T>(ref T[] column, int[] order, int threads) where T : unmanaged
    {
        var gathered = Gather(column, order, threads);
        column = [];
        return gathered;
    }

    private void EmptyOthers()
    {
        ErrMaj = []; ErrMin = []; ErrAng = [];
        foreach (var b in Bands) { b.Sig = []; b.Snr = []; b.BlFlg = []; b.CcFlg = []; }
        Ndet = []; Prox = []; MpFlg = []; GalContam = []; Truth = []; FileIndex = []; Line = [];
    }

    /// <summary>Below this many rows a column is gathered on one thread.</summary>
    private const int ParallelGatherRows = 1 << 16;

    private static T[] Gather<T>(T[] column, int[] order, int threads) where T : unmanaged
    {
        var result = new T[Math.Max(order.Length, 16)];
        int n = order.Length, workers = Threads.Resolve(threads);
        if (n < ParallelGatherRows || workers == 1)
        {
            GatherRange(column, order, result, 0, n);
            return result;
        }
        // The reads are random (file order to declination order): both cores keep cache misses
        // in flight. Split by rows, so the extra memory is still one column at a time.
        int slices = workers * 4, per = (n + slices - 1) / slices;
        Parallel.For(0, slices, Threads.Options(threads), t => GatherRange(column, order, result, t * per, Math.Min(n, (t + 1) * per)));
        return result;
    }

    private static void GatherRange<T>(T[] column, int[] order, T[] result, int start, int end) where T : unmanaged =>
        Gathers.Gather<T>(column, result.AsSpan(start, end - start), order.AsSpan(start));

    /// <summary>Appends every row of <paramref name="other"/> (the parallel reader joins its chunks with it).</summary>
    public void Append(ExtractionBlock other) => Append(other, threads: 1);

    /// <summary>
    /// Appends every row of <paramref name="other"/>, its columns copied on up to <paramref name="threads"/>
    /// threads: the zone merge's partition hands each read block over this way, on the reading thread,
    /// whose chain of work bounds the read on many cores (bench/NOTES.md 90, 93).
    /// </summary>
    public void Append(ExtractionBlock other, int threads)
    {
        int at = Count, n = other.Count;
        if ((long)at + n > Capacity) Resize(Grown((long)at + n));   // doubling: appends come chunk after chunk
        Array[] from = other.Columns(), to = Columns();
        if (n < ParallelGatherRows || Threads.Resolve(threads) == 1)
            for (int c = 0; c < from.Length; c++) Array.Copy(from[c], 0, to[c], at, n);
        else
            Parallel.For(0, from.Length, Threads.Options(threads), c => Array.Copy(from[c], 0, to[c], at, n));
        Count = at + n;
        _clean = Math.Max(_clean, Count);
    }
}
