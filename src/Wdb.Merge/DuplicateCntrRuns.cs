using System.Runtime.InteropServices;
using Wdb.Core;
using Wdb.IO;

namespace Wdb.Merge;

/// <summary>A row rejected because an earlier row by (file, line) has its cntr.</summary>
public readonly record struct DuplicateRow(int FileIndex, long Line, long Cntr);

/// <summary>
/// <see cref="DuplicateCntr"/> for the streaming merge (docs/streaming.md), without holding
/// every row: each block's (cntr, file, line) keys go to disk as one sorted run (an extent of one
/// <see cref="SpillFile"/>), and <see cref="Find"/> merges the runs by cntr (<see cref="RunMerge{T}"/>).
/// Memory: one block's keys while adding, two read buffers per run while finding. Same rule as
/// <see cref="DuplicateCntr.Find"/>: of rows sharing a cntr the first by (file, line) is kept,
/// whatever order the rows arrive in.
/// </summary>
public sealed class DuplicateCntrRuns : IDisposable
{
    /// <summary>Read buffers of all runs together while finding; each run's two within [4 KiB, 1 MiB].</summary>
    private const int MergeBufferBytes = 64 << 20;

    private readonly string _directory;
    private readonly int _threads;
    // Made with the first non-empty block: no rows, no file.
    private SpillFile? _file;
    private readonly List<(long Offset, long Length)> _runs = new();
    private Entry[] _write = [];
    private bool _disposed;

    /// <summary>
    /// Creates <paramref name="directory"/> for the run file; <see cref="Dispose"/> deletes it.
    /// It must not exist yet (so that Dispose never deletes anything it did not make).
    /// </summary>
    public DuplicateCntrRuns(string directory, int threads = 0)
    {
        if (Directory.Exists(directory) || File.Exists(directory))
            throw new IOException($"{directory} already exists: the cntr runs need a directory of their own");
        Directory.CreateDirectory(directory);
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
    }

    /// <summary>The rejected rows of every block added so far, ordered by (file, line, cntr).</summary>
    public List<DuplicateRow> Find()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var rejected = new List<Entry>();
        if (_file is not null)
        {
            int buffer = (int)Math.Clamp(MergeBufferBytes / (2L * _runs.Count), 4096, 1 << 20);
            var readers = _runs.Select(r => new RunReader(_file, r.Offset, r.Length, buffer)).ToArray();
            // Entries of one cntr come together (by run among themselves); the smallest (file, line) is kept.
            var merge = new RunMerge<Entry>(readers, e => RadixSort.LongOf(e.Cntr));
            bool any = false;
            var kept = default(Entry);
            while (merge.Next(out _, out var e))
            {
                if (!any || e.Cntr != kept.Cntr) { kept = e; any = true; }
                else if (e.ReadOrder < kept.ReadOrder) { rejected.Add(kept); kept = e; }
                else rejected.Add(e);
            }
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

    /// <summary>Deletes the run file and its directory.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _file?.Dispose();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    /// <summary>One row in a run (16 bytes on disk): its cntr key and its (file, line) key.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Entry(ulong Cntr, ulong ReadOrder)
    {
        public static int CompareByReadOrder(Entry a, Entry b) =>
            a.ReadOrder != b.ReadOrder ? a.ReadOrder.CompareTo(b.ReadOrder) : a.Cntr.CompareTo(b.Cntr);
    }
}
