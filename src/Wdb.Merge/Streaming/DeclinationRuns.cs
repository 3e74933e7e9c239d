using System.Buffers;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wdb.Core;
using Wdb.IO;

namespace Wdb.Merge.Streaming;

/// <summary>
/// The input spilled to disk as runs, one per read block, each ordered by a fixed declination grid
/// (<see cref="Buckets"/> buckets over [-90, 90]), so that a declination zone, cut at bucket edges,
/// is one contiguous row range of every run (docs/streaming.md). Within a bucket rows keep their
/// read order: the zone sort puts them in exact order. A run file holds its rows column after
/// column (<see cref="ExtractionBlock.Columns"/> order, raw little-endian values): reading a range
/// is one read per column. In memory each run keeps the first row of each of its buckets, which
/// gives every zone's rows exactly.
/// <para>
/// Ordering a block by bucket is two 8-bit radix passes over a 15-bit key, where the exact dec order
/// took ~7 passes and a tie pass (bench/NOTES.md 43).
/// </para>
/// <para>
/// Each column of a run is checksummed as it is written, in pieces of <see cref="SumRows"/> rows (XxHash3, kept with
/// the run's offsets and saved in its index), and every read checks the pieces it reads: a run changed since it was
/// written (a flipped byte of a cluster's shared work directory) is an <see cref="IOException"/> naming the file, not
/// wrong rows. A zone's range is read out to the whole pieces at its ends (at most 2 x <see cref="SumRows"/> rows more
/// per run and column, which the next zone reads again from the cache).
/// </para>
/// </summary>
public sealed class DeclinationRuns : IDisposable
{
    /// <summary>Buckets of the declination grid: 19.8 arcsec each, so zones can be cut finely even in a dense tile.</summary>
    public const int Buckets = 1 << 15;

    /// <param name="Starts">Row of each bucket from <paramref name="FirstBucket"/> on, then the row count.</param>
    /// <param name="Place">Where the run belongs among the others (<see cref="PutInOrder"/>).</param>
    /// <param name="Sums">XxHash3 of each column's pieces of <see cref="SumRows"/> rows: column c's piece j at <c>c * Pieces(Count) + j</c>.</param>
    private sealed record Run(int Count, long[] ColumnOffsets, int FirstBucket, int[] Starts, long Place, ulong[] Sums);

    /// <summary>
    /// Rows per checksummed piece of a column: a zone read reads at most one piece more at either end. The sums take
    /// 8 bytes per piece and column, ~0.1 KB per 4096 rows in the index against ~2 MB of rows.
    /// </summary>
    internal const int SumRows = 4096;

    private static int Pieces(int rows) => (rows + SumRows - 1) / SumRows;

    private readonly string _directory;
    private readonly List<Run> _runs = new();
    // Every run is an extent of this one file (made with the first run); reading ends the writing.
    private SpillFile? _file;
    /// <summary>Bytes per value of each column, in <see cref="ExtractionBlock.Columns"/> order.</summary>
    private readonly int[] _sizes;

    // Saved (or opened from a save): Dispose closes the file and leaves the directory to its owner.
    private bool _kept;

    /// <summary>Creates <paramref name="directory"/> for the run files; <see cref="Dispose"/> deletes it unless <see cref="Save"/> kept it.</summary>
    public DeclinationRuns(string directory)
    {
        _directory = directory;
        TemporaryPaths.CreateDirectory(directory);   // inside a spill or a task's scratch
        _sizes = ColumnSizes();
    }

    private DeclinationRuns(string directory, SpillFile? file, List<Run> runs)
    {
        _directory = directory;
        _sizes = ColumnSizes();
        _file = file;
        _runs = runs;
        Rows = runs.Sum(r => (long)r.Count);
        _kept = true;
    }

    private static int[] ColumnSizes() => new ExtractionBlock(16).Columns().Select(c => Buffer.ByteLength(c) / c.Length).ToArray();

    private const string IndexName = "rows.index", FileName = "rows.run";
    // Version 2: each run's column checksums after its bucket starts.
    private const long IndexMagic = 0x32534e5552424457;   // "WDBRUNS2"

    /// <summary>
    /// Ends the writes, flushes them to the disk and saves the runs' index beside their file (written whole, then renamed), so that
    /// other processes can <see cref="Open"/> them (a cluster's tasks: docs/cluster.md); the directory then
    /// outlives this object.
    /// </summary>
    public void Save()
    {
        _file?.EndWritesDurably();
        WholeFile.WriteSealed(Path.Combine(_directory, IndexName), file =>
        {
            using var w = new BinaryWriter(file, System.Text.Encoding.UTF8, leaveOpen: true);
            w.Write(IndexMagic);
            w.Write(_sizes.Length);
            w.Write(_runs.Count);
            foreach (var r in _runs)
            {
                w.Write(r.Count); w.Write(r.FirstBucket); w.Write(r.Place);
                foreach (long o in r.ColumnOffsets) w.Write(o);
                w.Write(r.Starts.Length);
                foreach (int start in r.Starts) w.Write(start);
                foreach (ulong sum in r.Sums) w.Write(sum);
            }
        });
        _kept = true;
    }

    /// <summary>The runs another process saved in <paramref name="directory"/> (<see cref="Save"/>), for reading; disposing leaves them there.</summary>
    /// <exception cref="IOException">The index is missing, cut short or of another layout.</exception>
    public static DeclinationRuns Open(string directory)
    {
        string index = Path.Combine(directory, IndexName);
        var runs = new List<Run>();
        int columns = ColumnSizes().Length;
        try
        {
            using var r = new BinaryReader(WholeFile.ReadSealed(index));
            if (r.ReadInt64() != IndexMagic || r.ReadInt32() != columns)
                throw new IOException($"'{index}' is not an index of row runs of this version of wdb");
            int count = r.ReadInt32();
            for (int k = 0; k < count; k++)
            {
                int rows = r.ReadInt32(), first = r.ReadInt32();
                long place = r.ReadInt64();
                var offsets = new long[columns];
                for (int c = 0; c < columns; c++) offsets[c] = r.ReadInt64();
                var starts = new int[r.ReadInt32()];
                for (int j = 0; j < starts.Length; j++) starts[j] = r.ReadInt32();
                if (rows < 0) throw new IOException($"'{index}' is not an index of row runs of this version of wdb");
                var sums = new ulong[columns * Pieces(rows)];
                for (int j = 0; j < sums.Length; j++) sums[j] = r.ReadUInt64();
                runs.Add(new Run(rows, offsets, first, starts, place, sums));
            }
        }
        catch (EndOfStreamException) { throw new IOException($"'{index}' ends early"); }
        return new DeclinationRuns(directory, runs.Count > 0 ? SpillFile.OpenWritten(Path.Combine(directory, FileName)) : null, runs);
    }

    public int RunCount => _runs.Count;
    public int RowsOf(int run) => _runs[run].Count;
    /// <summary>The place <see cref="Add"/> gave run <paramref name="run"/>.</summary>
    public long PlaceOf(int run) => _runs[run].Place;
    public long Rows { get; private set; }

    /// <summary>
    /// The grid bucket of <paramref name="dec"/>: never decreases as dec grows (a floor of a
    /// scaled sum, clamped), so the rows of buckets [a, b) are exactly those with
    /// <c>LowestOf(a) &lt;= dec &lt; LowestOf(b)</c>.
    /// </summary>
    public static int BucketOf(double dec)
    {
        double x = Math.Floor((dec + 90.0) * (Buckets / 180.0));
        return x >= Buckets - 1 ? Buckets - 1 : x > 0 ? (int)x : 0;
    }

    /// <summary>The smallest declination in bucket <paramref name="bucket"/> or above (1 &lt;= bucket &lt; Buckets): where a zone begins.</summary>
    public static double LowestOf(int bucket)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bucket, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bucket, Buckets);
        // Bisection over the doubles in order (their order-preserving bit keys), between points half a
        // bucket either side of the nominal edge. Stepping one ulp at a time never ends at dec 0, where
        // the doubles below the edge that (dec + 90) rounds up to 90 run down to -7e-15.
        double nominal = -90.0 + bucket * (180.0 / Buckets), half = 90.0 / Buckets;
        ulong below = RadixSort.KeyOf(nominal - half), atOrAbove = RadixSort.KeyOf(nominal + half);
        while (atOrAbove - below > 1)
        {
            ulong mid = below + (atOrAbove - below) / 2;
            if (BucketOf(RadixSort.DoubleOf(mid)) >= bucket) atOrAbove = mid;
            else below = mid;
        }
        return RadixSort.DoubleOf(atOrAbove);
    }

    /// <summary>
    /// Writes the rows of <paramref name="block"/> ordered by bucket (read order within one) as a
    /// new run. The block is only read (a reader's block is reused after this): each column is
    /// gathered through the order into one buffer and written. <paramref name="place"/> places the run
    /// among the others once <see cref="PutInOrder"/> is called (blocks of files read at once arrive
    /// interleaved); runs of equal place keep the order they were added in.
    /// </summary>
    public void Add(ExtractionBlock block, int threads = 0, long place = 0)
    {
        int n = block.Count;
        if (n == 0) return;
        var keys = new ulong[n];
        var order = new int[n];
        int lo = Buckets, hi = -1;
        for (int i = 0; i < n; i++)
        {
            int b = BucketOf(block.Dec[i]);
            keys[i] = (ulong)b;
            order[i] = i;
            if (b < lo) lo = b;
            if (b > hi) hi = b;
        }
        RadixSort.SortPairs(keys, order, n, threads);   // stable: read order within a bucket
        var starts = new int[hi - lo + 2];
        for (int k = 0; k < n; k++) starts[(int)keys[k] - lo + 1]++;
        for (int j = 1; j < starts.Length; j++) starts[j] += starts[j - 1];

        if (_kept) throw new InvalidOperationException("runs are added before they are saved");
        var file = _file ??= new SpillFile(Path.Combine(_directory, FileName));
        var columns = block.Columns();
        var offsets = new long[columns.Length];
        int pieces = Pieces(n);
        var sums = new ulong[columns.Length * pieces];
        var buffer = new byte[(long)n * 8];
        for (int c = 0; c < columns.Length; c++)
        {
            offsets[c] = file.Length;
            var column = columns[c];
            int size = _sizes[c];
            // In row slices on every core: one spill worker gathering alone bounded the read on 16 cores
            // (the zone merge's read 2.5 s against 1.0 s held whole, bench/NOTES.md 90, 93).
            Threads.ForRanges(n, GatherSliceRows, threads, (from, to) => GatherSlice(column, n, size, order, buffer, from, to));
            var bytes = buffer.AsSpan(0, n * size);
            for (int j = 0; j < pieces; j++)
                sums[c * pieces + j] = XxHash3.HashToUInt64(bytes.Slice(j * SumRows * size, (Math.Min(n, (j + 1) * SumRows) - j * SumRows) * size));
            file.Append(bytes);
        }
        _runs.Add(new Run(n, offsets, lo, starts, place, sums));
        Rows += n;
    }

    /// <summary>Rows a slice of a column's gather holds at least.</summary>
    private const int GatherSliceRows = 1 << 16;

    /// <summary>
    /// Rows [<paramref name="from"/>, <paramref name="to"/>) of the run: <c>buffer[k] = column[order[k]]</c> in values of
    /// <paramref name="size"/> bytes, over the block's <paramref name="count"/> rows (not the column's length: a grown
    /// block's capacity may pass the span of bytes an int counts).
    /// </summary>
    private static void GatherSlice(Array column, int count, int size, int[] order, byte[] buffer, int from, int to)
    {
        var values = Bytes(column, 0, count, size);
        var into = buffer.AsSpan(from * size, (to - from) * size);
        var rows = order.AsSpan(from, to - from);
        switch (size)
        {
            case 8: Gathers.Gather(MemoryMarshal.Cast<byte, long>(values), MemoryMarshal.Cast<byte, long>(into), rows); break;
            case 4: Gathers.Gather(MemoryMarshal.Cast<byte, int>(values), MemoryMarshal.Cast<byte, int>(into), rows); break;
            case 1: Gathers.Gather(values, into, rows); break;
            default: throw new InvalidOperationException($"{size}-byte values");
        }
    }

    /// <summary>
    /// Runs in the order given to <see cref="Add"/> (stable): what every later pass reads, zone by
    /// zone, is then the same whichever order the blocks were spilled in.
    /// </summary>
    public void PutInOrder()
    {
        var ordered = _runs.OrderBy(r => r.Place).ToList();   // OrderBy is stable
        _runs.Clear();
        _runs.AddRange(ordered);
    }

    /// <summary>
    /// Zones of at least <paramref name="rowsPerZone"/> rows each (the last may hold fewer), cut at
    /// bucket edges before a bucket that holds rows, so a zone exceeds the size by less than one
    /// bucket's rows and none is empty. Zone k holds the rows with <c>Cuts[k-1] &lt;= dec &lt;
    /// Cuts[k]</c> (no lower bound for the first zone, no upper bound for the last), so rows of
    /// equal dec always share a zone; <c>Bounds[run][k]</c> is the run's first row of zone k and
    /// <c>Bounds[run][zones]</c> its row count.
    /// </summary>
    public (double[] Cuts, int[][] Bounds) Zones(long rowsPerZone)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerZone, 1);
        var total = new long[Buckets];
        foreach (var r in _runs)
            for (int j = 0; j + 1 < r.Starts.Length; j++) total[r.FirstBucket + j] += r.Starts[j + 1] - r.Starts[j];
        var cutBuckets = new List<int>();
        long rows = 0;
        for (int b = 0; b < Buckets; b++)
        {
            if (total[b] == 0) continue;
            if (rows >= rowsPerZone) { cutBuckets.Add(b); rows = 0; }
            rows += total[b];
        }
        var bounds = new int[_runs.Count][];
        for (int i = 0; i < _runs.Count; i++)
        {
            var r = _runs[i];
            var b = bounds[i] = new int[cutBuckets.Count + 2];
            for (int k = 0; k < cutBuckets.Count; k++)
                b[k + 1] = r.Starts[Math.Clamp(cutBuckets[k] - r.FirstBucket, 0, r.Starts.Length - 1)];
            b[^1] = r.Count;
        }
        return (cutBuckets.Select(LowestOf).ToArray(), bounds);
    }

    /// <summary>Rows of zone <paramref name="zone"/> over every run, by <see cref="Zones"/>' bounds.</summary>
    public static long RowsIn(int[][] bounds, int zone)
    {
        long rows = 0;
        foreach (var b in bounds) rows += b[zone + 1] - b[zone];
        return rows;
    }

    /// <summary>
    /// Appends rows [<paramref name="start"/>, <paramref name="end"/>) of run <paramref name="run"/> to
    /// <paramref name="into"/>: every column, or only those <paramref name="only"/> names (of
    /// <paramref name="into"/>), since a pass that needs three columns should not read thirty. The
    /// other columns of the new rows are not set (<see cref="ExtractionBlock.AddRowsUnset"/>): such a
    /// pass must read nothing else.
    /// </summary>
    public void Read(int run, int start, int end, ExtractionBlock into, Func<ExtractionBlock, Array[]>? only = null)
    {
        var r = _runs[run];
        if (start < 0 || end > r.Count || start > end) throw new ArgumentOutOfRangeException(nameof(start), $"rows [{start}, {end}) of a run of {r.Count}");
        int n = end - start;
        if (n == 0) return;
        int first = into.AddRowsUnset(n);
        var columns = into.Columns();
        var wanted = only?.Invoke(into);
        for (int c = 0; c < columns.Length; c++)
            if (wanted is null || Array.IndexOf(wanted, columns[c]) >= 0)
                ReadChecked(r, c, start, end, Bytes(columns[c], first, n, _sizes[c]));
    }

    /// <summary>
    /// Rows [<paramref name="start"/>, <paramref name="end"/>) of column <paramref name="c"/> of run <paramref name="r"/>
    /// into <paramref name="into"/>, every piece they touch checked against its sum: the whole pieces read straight into
    /// place in one read, a piece at either end only partly wanted read whole into a scratch buffer.
    /// </summary>
    private void ReadChecked(Run r, int c, int start, int end, Span<byte> into)
    {
        int size = _sizes[c], pieces = Pieces(r.Count);
        long column = r.ColumnOffsets[c];
        int PieceEnd(int j) => Math.Min(r.Count, (j + 1) * SumRows);
        void Check(ReadOnlySpan<byte> bytes, int j)
        {
            if (XxHash3.HashToUInt64(bytes) != r.Sums[c * pieces + j])
                throw _file!.Corrupted(column + (long)j * SumRows * size, column + (long)PieceEnd(j) * size);
        }
        byte[]? scratch = null;
        try
        {
            for (int j = start / SumRows, last = (end - 1) / SumRows; j <= last;)
            {
                int from = j * SumRows;
                if (from >= start && PieceEnd(j) <= end)
                {
                    int k = j;
                    while (k < last && PieceEnd(k + 1) <= end) k++;
                    var whole = into.Slice((from - start) * size, (PieceEnd(k) - from) * size);
                    _file!.Read(whole, column + (long)from * size);
                    for (int m = j; m <= k; m++) Check(whole.Slice((m - j) * SumRows * size, (PieceEnd(m) - m * SumRows) * size), m);
                    j = k + 1;
                }
                else
                {
                    scratch ??= ArrayPool<byte>.Shared.Rent(SumRows * size);
                    var piece = scratch.AsSpan(0, (PieceEnd(j) - from) * size);
                    _file!.Read(piece, column + (long)from * size);
                    Check(piece, j);
                    int a = Math.Max(from, start), b = Math.Min(PieceEnd(j), end);
                    piece.Slice((a - from) * size, (b - a) * size).CopyTo(into[((a - start) * size)..]);
                    j++;
                }
            }
        }
        finally
        {
            if (scratch is not null) ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    public void Dispose()
    {
        _file?.Dispose();
        if (_kept) return;
        try { DirectoryTree.Delete(_directory); }
        catch (DirectoryNotFoundException) { }
    }

    /// <summary>
    /// Rows [<paramref name="row"/>, + <paramref name="rows"/>) of <paramref name="column"/> (values of <paramref name="size"/>
    /// bytes) as bytes. The row's byte offset is taken in 64 bits: a zone of a full-sky merge holds more than 2^31 bytes of
    /// one 8-byte column past its 268 M-th row (Buffer.ByteLength and an int offset overflowed there); the span itself
    /// stays within an int, since a read block holds at most <see cref="ZoneMerge.MostRowsAtOnce"/> rows.
    /// </summary>
    internal static Span<byte> Bytes(Array column, int row, int rows, int size)
    {
        if (row < 0 || rows < 0 || (long)row + rows > column.Length)
            throw new ArgumentOutOfRangeException(nameof(row), $"rows [{row}, {(long)row + rows}) of a column of {column.Length}");
        ref byte first = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(column), (nint)row * size);
        return MemoryMarshal.CreateSpan(ref first, checked(rows * size));
    }
}
