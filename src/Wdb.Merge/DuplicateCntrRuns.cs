using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wdb.Core;
using Wdb.IO;

namespace Wdb.Merge;

/// <summary>A row rejected because an earlier row by (file, line) has its cntr.</summary>
public readonly record struct DuplicateRow(int FileIndex, long Line, long Cntr);

/// <summary>
/// <see cref="DuplicateCntr"/> for the streaming merge (docs/streaming.md), without holding
/// every row: each block's (cntr, file, line) keys go to disk as one sorted run (an extent of one
/// <see cref="SpillFile"/>), and <see cref="Find"/> merges the runs by cntr (<see cref="RunMerge{T, TKey}"/>).
/// The merge is split into cntr ranges merged on threads of their own: one merge was a single
/// core's 0.8 s on the 10 M survey and would be ~40 s for a full-sky remerge (bench/NOTES.md 56).
/// The split points come from every <see cref="SampleEvery"/>-th key of each run, kept while adding.
/// Memory: one block's keys while adding, two read buffers per run and range while finding. Same rule as
/// <see cref="DuplicateCntr.Find"/>: of rows sharing a cntr the first by (file, line) is kept,
/// whatever order the rows arrive in.
/// </summary>
public sealed class DuplicateCntrRuns : IDisposable
{
    /// <summary>Read buffers of all runs, in every range being merged at once, while finding; each run's two within [4 KiB, 1 MiB].</summary>
    private const int MergeBufferBytes = 64 << 20;

    /// <summary>Every this many entries of a run, its key is kept for the split points (16 MiB of keys for 2^32 rows).</summary>
    internal const int SampleEvery = 4096;

    /// <summary>Ranges per thread, so that an uneven range does not leave the other threads idle.</summary>
    private const int RangesPerThread = 4;

    private readonly string _directory;
    private readonly int _threads;
    private readonly int _sampleEvery;
    // Per run, the keys of its entries 0, _sampleEvery, 2 _sampleEvery, ...
    private readonly List<ulong[]> _samples = new();
    // Made with the first non-empty block: no rows, no file.
    private SpillFile? _file;
    private readonly List<(long Offset, long Length)> _runs = new();
    private Entry[] _write = [];
    private bool _disposed;

    /// <summary>
    /// Creates <paramref name="directory"/> for the run file; <see cref="Dispose"/> deletes it.
    /// It must not exist yet (so that Dispose never deletes anything it did not make).
    /// </summary>
    public DuplicateCntrRuns(string directory, int threads = 0) : this(directory, threads, SampleEvery) { }

    /// <summary>As the public constructor, with the sampling step given (tests split small inputs into many ranges).</summary>
    internal DuplicateCntrRuns(string directory, int threads, int sampleEvery)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleEvery, 1);
        _sampleEvery = sampleEvery;
        if (Directory.Exists(directory) || File.Exists(directory))
            throw new IOException($"{directory} already exists: the cntr runs need a directory of their own");
        // Inside a spill: made with its parents, it would make the spill again after a signal's stop removed it.
        TemporaryPaths.CreateDirectory(directory);
        _directory = directory;
        _threads = threads;
    }

    /// <summary>Writes the rows of one block as a run sorted by (cntr, file, line); an empty block writes nothing.</summary>
    public void Add(ExtractionBlock block)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int n = block.Count;
        if (n == 0) return;
        var (keys, rows) = DuplicateCntr.SortByCntr(block, _threads);
        if (_write.Length < n) _write = new Entry[n];
        for (int k = 0; k < n; k++)
            _write[k] = new Entry(keys[k], DuplicateCntr.ReadOrderKey(block.FileIndex[rows[k]], block.Line[rows[k]]));
        _file ??= new SpillFile(Path.Combine(_directory, "cntr.run"));
        // Raw bytes in the machine's order: the runs are read back by this process only.
        long offset = _file.Length;
        _file.Append(MemoryMarshal.AsBytes(_write.AsSpan(0, n)));
        _runs.Add((offset, _file.Length - offset));
        var samples = new ulong[(n + _sampleEvery - 1) / _sampleEvery];
        for (int j = 0; j < samples.Length; j++) samples[j] = keys[j * _sampleEvery];
        _samples.Add(samples);
    }

    /// <summary>The rejected rows of every block added so far, ordered by (file, line, cntr).</summary>
    public List<DuplicateRow> Find()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var rejected = new List<Entry>();
        if (_file is not null)
        {
            int resolved = Threads.Resolve(_threads);
            var bounds = SplitKeys(resolved);
            var parts = new List<Entry>[bounds.Length + 1];
            int threads = Math.Min(resolved, parts.Length);
            int buffer = (int)Math.Clamp(MergeBufferBytes / (2L * _runs.Count * threads), 4096, 1 << 20);
            // A spill file's I/O error (a full disk) comes out as itself, which the zone merge reports as one line.
            Threads.For(0, parts.Length, new ParallelOptions { MaxDegreeOfParallelism = threads }, p =>
                parts[p] = RejectedIn(p == 0 ? null : bounds[p - 1], p == bounds.Length ? null : bounds[p], buffer));
            foreach (var part in parts) rejected.AddRange(part);
        }
        rejected.Sort(Entry.CompareByReadOrder);
        var result = new List<DuplicateRow>(rejected.Count);
        foreach (var e in rejected)
        {
            var (file, line) = DuplicateCntr.FromReadOrderKey(e.ReadOrder);
            result.Add(new DuplicateRow(file, line, RadixSort.LongOf(e.Cntr)));
        }
        return result;
    }

    /// <summary>
    /// Keys that cut the cntr range into about <see cref="RangesPerThread"/> ranges per thread of
    /// similar entry counts (quantiles of the runs' samples), ascending and distinct: range p holds
    /// keys in [bounds[p-1], bounds[p]), so all entries of one cntr fall in one range.
    /// </summary>
    private ulong[] SplitKeys(int threads)
    {
        int ranges = threads == 1 ? 1 : RangesPerThread * threads;
        var all = _samples.SelectMany(s => s).ToArray();
        Array.Sort(all);
        var bounds = new List<ulong>();
        for (int p = 1; p < ranges; p++)
        {
            ulong key = all[(int)((long)p * all.Length / ranges)];
            // Range 0 starts below every key; a bound equal to the previous one would be an empty range.
            if (key > all[0] && (bounds.Count == 0 || key > bounds[^1])) bounds.Add(key);
        }
        return bounds.ToArray();
    }

    /// <summary>
    /// The k-way merge of the runs' entries with keys in [<paramref name="from"/>, <paramref name="to"/>)
    /// (null: unbounded). Each run is read from the sample before the range to the first sample at or
    /// past its end: at most <see cref="SampleEvery"/> entries outside it at each end, skipped here.
    /// </summary>
    private List<Entry> RejectedIn(ulong? from, ulong? to, int buffer)
    {
        int size = Unsafe.SizeOf<Entry>();
        var readers = new List<RunReader>(_runs.Count);
        for (int r = 0; r < _runs.Count; r++)
        {
            var samples = _samples[r];
            long entries = _runs[r].Length / size;
            long first = from is ulong f ? Math.Max(0, (long)(Below(samples, f) - 1) * _sampleEvery) : 0;
            long end = to is ulong t ? Math.Min(entries, (long)Below(samples, t) * _sampleEvery) : entries;
            if (end > first) readers.Add(new RunReader(_file!, _runs[r].Offset + first * size, (end - first) * size, buffer));
        }
        var rejected = new List<Entry>();
        // Entries of one cntr come together (by run among themselves); the smallest (file, line) is kept.
        var merge = new RunMerge<Entry, Entry>(readers.ToArray());
        bool any = false;
        var kept = default(Entry);
        while (merge.Next(out _, out var e))
        {
            if (from is ulong lo && e.Cntr < lo) continue;
            if (to is ulong hi && e.Cntr >= hi) break;
            if (!any || e.Cntr != kept.Cntr) { kept = e; any = true; }
            else if (e.ReadOrder < kept.ReadOrder) { rejected.Add(kept); kept = e; }
            else rejected.Add(e);
        }
        return rejected;
    }

    /// <summary>How many of the ascending <paramref name="samples"/> are below <paramref name="key"/>.</summary>
    private static int Below(ulong[] samples, ulong key)
    {
        int lo = 0, hi = samples.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (samples[mid] < key) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>Deletes the run file and its directory.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _file?.Dispose();
        if (Directory.Exists(_directory)) DirectoryTree.Delete(_directory);
    }

    /// <summary>One row in a run (16 bytes on disk): its cntr key and its (file, line) key.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Entry(ulong Cntr, ulong ReadOrder) : IRecordKey<Entry>
    {
        public static long Of(in Entry e) => RadixSort.LongOf(e.Cntr);
        public static int Tie(in Entry a, in Entry b) => 0;

        public static int CompareByReadOrder(Entry a, Entry b) =>
            a.ReadOrder != b.ReadOrder ? a.ReadOrder.CompareTo(b.ReadOrder) : a.Cntr.CompareTo(b.Cntr);
    }
}
