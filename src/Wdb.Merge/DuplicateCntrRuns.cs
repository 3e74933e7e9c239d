using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wdb.Core;

namespace Wdb.Merge;

/// <summary>A row rejected because an earlier row by (file, line) has its cntr.</summary>
public readonly record struct DuplicateRow(int FileIndex, long Line, long Cntr);

/// <summary>
/// <see cref="DuplicateCntr"/> for the streaming merge (docs/streaming.md), without holding
/// every row: each block's (cntr, file, line) keys go to disk as one sorted run, and
/// <see cref="Find"/> merges the runs. Memory: one block's keys while adding, one read
/// buffer per run while finding. Same rule as <see cref="DuplicateCntr.Find"/>: of rows
/// sharing a cntr the first by (file, line) is kept, whatever order the rows arrive in.
/// </summary>
public sealed class DuplicateCntrRuns : IDisposable
{
    /// <summary>Entries per run read buffer: 64 KiB, so a thousand runs merge in 64 MiB.</summary>
    private const int ReadBufferEntries = 4096;

    private readonly string _directory;
    private readonly int _threads;
    private readonly List<string> _runs = new();
    private Entry[] _write = [];
    private bool _disposed;

    /// <summary>
    /// Creates <paramref name="directory"/> for the run files; <see cref="Dispose"/> deletes it.
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
        string path = Path.Combine(_directory, $"run-{_runs.Count:D6}.bin");
        // Raw bytes in the machine's order: the runs are read back by this process only.
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            file.Write(MemoryMarshal.AsBytes(_write.AsSpan(0, n)));
        _runs.Add(path);
    }

    /// <summary>The rejected rows of every block added so far, ordered by (file, line, cntr).</summary>
    public List<DuplicateRow> Find()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var readers = new List<RunReader>(_runs.Count);
        var rejected = new List<Entry>();
        try
        {
            // Runs merged in (cntr, file, line) order: the first entry of each cntr is the kept row.
            var queue = new PriorityQueue<RunReader, Entry>(_runs.Count, Comparer<Entry>.Create(Entry.CompareByCntr));
            foreach (string path in _runs)
            {
                var reader = new RunReader(path);
                readers.Add(reader);
                if (reader.MoveNext()) queue.Enqueue(reader, reader.Current);
            }
            bool any = false;
            ulong cntr = 0;
            while (queue.TryDequeue(out var reader, out var e))
            {
                if (any && e.Cntr == cntr) rejected.Add(e);
                else { cntr = e.Cntr; any = true; }
                if (reader.MoveNext()) queue.Enqueue(reader, reader.Current);
            }
        }
        finally
        {
            foreach (var reader in readers) reader.Dispose();
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

    /// <summary>Deletes the run files and their directory.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    /// <summary>One row in a run (16 bytes on disk): its cntr key and its (file, line) key.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Entry(ulong Cntr, ulong ReadOrder)
    {
        public static int CompareByCntr(Entry a, Entry b) =>
            a.Cntr != b.Cntr ? a.Cntr.CompareTo(b.Cntr) : a.ReadOrder.CompareTo(b.ReadOrder);

        public static int CompareByReadOrder(Entry a, Entry b) =>
            a.ReadOrder != b.ReadOrder ? a.ReadOrder.CompareTo(b.ReadOrder) : a.Cntr.CompareTo(b.Cntr);
    }

    /// <summary>Reads one run's entries in order through a buffer of <see cref="ReadBufferEntries"/>.</summary>
    private sealed class RunReader(string path) : IDisposable
    {
        private readonly FileStream _file = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        private readonly Entry[] _buffer = new Entry[ReadBufferEntries];
        private int _count, _at;

        public Entry Current => _buffer[_at];

        public bool MoveNext()
        {
            if (++_at < _count) return true;
            var bytes = MemoryMarshal.AsBytes(_buffer.AsSpan());
            int read = _file.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            if (read % Unsafe.SizeOf<Entry>() != 0) throw new InvalidDataException($"{path}: a run ends inside an entry");
            _count = read / Unsafe.SizeOf<Entry>();
            _at = 0;
            return _count > 0;
        }

        public void Dispose() => _file.Dispose();
    }
}
