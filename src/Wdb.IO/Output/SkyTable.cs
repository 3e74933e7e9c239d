using System.Buffers;
using System.Runtime.InteropServices;
using Wdb.Core;

namespace Wdb.IO;

/// <summary>
/// sky.fb's key (schema/wdb.fbs, SkyEntry): a group's declination band (1/16 deg tall) above its RA in 2^-44 of a
/// turn, so that the groups near a position are a few short key ranges, one a band (two where the cone crosses RA
/// 0/360), and a cone search reads only those instead of every group (<see cref="OutputReader.Cone"/>).
/// </summary>
public static class SkyKeys
{
    public const int BandsPerDegree = 16;
    public const int RaBits = 44;
    public const int Bands = 180 * BandsPerDegree;
    private const long RaSteps = 1L << RaBits;

    /// <summary>Whether a group at this position is filed: one that is not finite is within no cone.</summary>
    public static bool Filed(double ra, double dec) => double.IsFinite(ra) && double.IsFinite(dec);

    public static int BandOf(double dec) => (int)Math.Clamp(Math.Floor((dec + 90.0) * BandsPerDegree), 0, Bands - 1);

    /// <summary>The RA part of the key: non-decreasing in RA, so RA order within a band is key order.</summary>
    public static long RaPartOf(double ra) => (long)Math.Clamp(Math.Floor(ra / 360.0 * RaSteps), 0, RaSteps - 1);

    public static long KeyOf(double ra, double dec) => (long)BandOf(dec) << RaBits | RaPartOf(ra);

    /// <summary>
    /// The key ranges [Lo, Hi] (inclusive) that hold every filed position within <paramref name="radiusArcsec"/> of
    /// (ra, dec): per band the cone's declinations reach, the RA window it spans (the whole band where it reaches a
    /// pole), split at RA 0/360. A superset: the caller measures each candidate.
    /// </summary>
    public static List<(long Lo, long Hi)> Ranges(double raDeg, double decDeg, double radiusArcsec)
    {
        // A margin far below any position error, so that rounding in the bounds never loses a boundary point.
        const double Margin = 1e-7;
        double r = radiusArcsec / 3600.0;
        Span<(double From, double To)> windows = stackalloc (double, double)[2];
        int n = Sky.RaWindows(raDeg, decDeg, radiusArcsec, Margin, windows);
        var ranges = new List<(long, long)>();
        for (int band = BandOf(decDeg - r - Margin), last = BandOf(decDeg + r + Margin); band <= last; band++)
            for (int w = 0; w < n; w++)
                ranges.Add(((long)band << RaBits | RaPartOf(windows[w].From), (long)band << RaBits | RaPartOf(windows[w].To)));
        return ranges;
    }
}

/// <summary>The bytes of the schema's SkyEntry struct (flatc's layout: three 8-byte fields, 24 bytes); its key is derived.</summary>
[StructLayout(LayoutKind.Explicit, Size = Bytes)]
internal struct SkyEntryStruct
{
    public const int Bytes = 24;
    [FieldOffset(0)] public long Gcntr;
    [FieldOffset(8)] public double Ra;
    [FieldOffset(16)] public double Dec;

    public SkyEntryStruct(long gcntr, double ra, double dec)
    {
        Gcntr = gcntr; Ra = ra; Dec = dec;
    }

    public readonly long Key => SkyKeys.KeyOf(Ra, Dec);

    /// <summary>sky.fb's order: key, then RA (finer than the key's), then gcntr (unique), so any ties are broken by data.</summary>
    public static int Compare(in SkyEntryStruct a, in SkyEntryStruct b)
    {
        int c = a.Key.CompareTo(b.Key);
        if (c == 0) c = a.Ra.CompareTo(b.Ra);
        return c != 0 ? c : a.Gcntr.CompareTo(b.Gcntr);
    }
}

/// <summary>
/// Collects the groups' positions while groups.fb is encoded (<see cref="GroupTables.AddVector{TRows}"/>, from any
/// encoding thread, in any order) and writes them as sky.fb in the file's total order, so its bytes depend on the
/// groups alone. Memory is bounded: once its buffer is full (<see cref="DefaultBufferEntries"/> unless told) the
/// entries held are sorted and spilled as a run into the output's temporary directory, and the runs are merged at the
/// end (as the zone merge's outputs are). Held whole, the buffer takes every group (<see cref="ForGroups"/>).
/// </summary>
internal sealed class SkyTableSink : IDisposable
{
    /// <summary>Entries held before a run is spilled: 48 MB.</summary>
    public const int DefaultBufferEntries = 1 << 21;

    private readonly object _gate = new();
    private readonly int _capacity;
    private SkyEntryStruct[] _buffer = [];
    private int _count;
    private string? _spillDirectory;
    private SpillFile? _spill;
    private readonly List<(long Offset, long Length, ulong Sum)> _runs = [];   // each run's extent of the spill and its bytes' XxHash3
    private readonly int _threads;

    /// <param name="bufferEntries">Entries held before a run is spilled.</param>
    /// <param name="allocateNow">Whether to take the whole buffer at once (the groups' count is known, and none spill).</param>
    public SkyTableSink(int threads, int bufferEntries = DefaultBufferEntries, bool allocateNow = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferEntries, 1);
        _capacity = bufferEntries;
        _threads = threads;
        if (allocateNow) _buffer = GC.AllocateUninitializedArray<SkyEntryStruct>(bufferEntries);
    }

    /// <summary>For groups held whole: one buffer for all of them, never spilled (24 bytes a group beside their ~290 in groups.fb).</summary>
    public static SkyTableSink ForGroups(int groups, int threads) => new(threads, Math.Max(groups, 1), allocateNow: true);

    /// <summary>Entries filed so far.</summary>
    public long Count { get; private set; }

    /// <summary>Runs spilled so far (tests).</summary>
    public int SpilledRuns => _runs.Count;

    /// <summary>Where runs go once the buffer fills: the output's temporary directory (deleted with it on failure).</summary>
    public void SpillInto(string directory) => _spillDirectory = directory;

    /// <summary>Files one chunk's groups; safe from many threads at once.</summary>
    public void Add(ReadOnlySpan<SkyEntryStruct> entries)
    {
        lock (_gate)
        {
            while (entries.Length > 0)
            {
                if (_count == _capacity) SpillBuffer();
                if (_buffer.Length == _count)
                    Array.Resize(ref _buffer, (int)Math.Min(_capacity, Math.Max(4096, 2L * _buffer.Length)));
                int n = Math.Min(entries.Length, _buffer.Length - _count);
                entries[..n].CopyTo(_buffer.AsSpan(_count));
                _count += n;
                Count += n;
                entries = entries[n..];
            }
        }
    }

    /// <summary>
    /// The entries held, in sky.fb's order: a permutation of [0, count). Radix-sorted by the key's top 32 bits (band and
    /// RA to 1.2") in three 11-bit passes, not seven 8-bit ones over the whole 56-bit key; the runs that share those
    /// bits (a few entries, or many where a grid puts groups at one RA) are then put in order by
    /// <see cref="SkyEntryStruct.Compare"/>: by insertion when short, by Array.Sort when not.
    /// </summary>
    private int[] SortedOrder()
    {
        var keys = new uint[_count];
        var order = new int[_count];
        var buffer = _buffer;
        Threads.ForRanges(_count, 1 << 16, _threads, (from, to) =>
        {
            for (int i = from; i < to; i++) { keys[i] = (uint)((ulong)buffer[i].Key >> (SkyKeys.RaBits - 20)); order[i] = i; }
        });
        RadixSort.Passes(ref keys, ref order, _count, 11, [0, 11, 22], _threads);
        var ties = new Ties(_buffer);
        for (int s = 0, e; s < _count; s = e)
        {
            for (e = s + 1; e < _count && keys[e] == keys[s]; e++) { }
            if (e - s > 16)
            {
                Array.Sort(order, s, e - s, ties);
                continue;
            }
            for (int i = s + 1; i < e; i++)
            {
                int item = order[i], j = i - 1;
                for (; j >= s && SkyEntryStruct.Compare(_buffer[order[j]], _buffer[item]) > 0; j--) order[j + 1] = order[j];
                order[j + 1] = item;
            }
        }
        return order;
    }

    private readonly struct Ties(SkyEntryStruct[] entries) : IComparer<int>
    {
        public int Compare(int a, int b) => SkyEntryStruct.Compare(entries[a], entries[b]);
    }

    private void SpillBuffer()
    {
        if (_spillDirectory is null) throw new InvalidOperationException("the sky table outgrew its buffer with nowhere to spill");
        _spill ??= new SpillFile(Path.Combine(_spillDirectory, ".sky-runs"));
        var run = _spill.BeginRun();   // its sum is checked as the merge reads the run back (RunReader)
        var order = SortedOrder();
        var batch = ArrayPool<SkyEntryStruct>.Shared.Rent(Math.Min(_count, 1 << 15));
        try
        {
            for (int start = 0; start < _count; start += batch.Length)
            {
                int n = Math.Min(batch.Length, _count - start);
                for (int i = 0; i < n; i++) batch[i] = _buffer[order[start + i]];
                run.Append(MemoryMarshal.AsBytes(batch.AsSpan(0, n)));
            }
        }
        finally
        {
            ArrayPool<SkyEntryStruct>.Shared.Return(batch);
        }
        _runs.Add(run.End());
        _count = 0;
    }

    /// <summary>Records a sky.fb chunk holds: 43690 of 24 bytes, 1 MiB, as the other tables' chunks.</summary>
    public static int EntriesPerChunk(int chunkRecords) => Math.Min(chunkRecords, TableEncoders.ChunkBytes / SkyEntryStruct.Bytes);

    /// <summary>sky.fb: every entry filed, in order, in chunks of <see cref="EntriesPerChunk"/>; then the spill goes.</summary>
    public void Write(ChunkFileWriter file, int chunkRecords)
    {
        int per = EntriesPerChunk(chunkRecords);
        if (_runs.Count == 0) WriteHeld(file, per);
        else WriteMerged(file, per);
        Dispose();
    }

    /// <summary>Runs spilled: the rest spilled too, then all merged into chunks of <paramref name="per"/>.</summary>
    private void WriteMerged(ChunkFileWriter file, int per)
    {
        if (_count > 0) SpillBuffer();
        _buffer = [];
        _spill!.EndWrites();
        using var chunks = new ChunkPipeline<RecordChunk<SkyEntryStruct>>(file, _threads, (b, c) =>
        {
            var (first, last) = TableEncoders.EncodeSky(b, c.Count, records => c.Records.AsSpan(0, c.Count).CopyTo(records));
            return (first, last, c.Return());
        });
        var merge = new RunMerge<SkyEntryStruct, MergeOrder>(_runs.Select(r => new RunReader(_spill, r.Offset, r.Length, 1 << 18, r.Sum)).ToArray());
        OutputRuns.WriteFixed(merge, per, null, chunks.Add);
        chunks.Finish();
    }

    /// <summary>Nothing spilled: the held entries sorted, each chunk gathered by its encoder straight into its vector.</summary>
    private void WriteHeld(ChunkFileWriter file, int per)
    {
        var order = SortedOrder();
        var buffer = _buffer;
        ParallelChunks.Write(file, ChunkRange.Fixed(_count, per), _threads, (b, range) => TableEncoders.EncodeSky(b, range.Count, records =>
        {
            for (int i = 0; i < records.Length; i++) records[i] = buffer[order[range.Start + i]];
        }));
        _buffer = [];
    }

    private readonly struct MergeOrder : IRecordKey<SkyEntryStruct>
    {
        public static long Of(in SkyEntryStruct e) => e.Key;
        public static int Tie(in SkyEntryStruct a, in SkyEntryStruct b) => SkyEntryStruct.Compare(a, b);
    }

    /// <summary>Deletes the spill (it lies in the directory about to be published).</summary>
    public void Dispose()
    {
        if (_spill is null) return;
        string path = Path.Combine(_spillDirectory!, ".sky-runs");
        _spill.Dispose();
        _spill = null;
        // On a failed write the temporary directory may be gone already.
        try { File.Delete(path); } catch (IOException) { }
    }
}
