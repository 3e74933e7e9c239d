using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Wdb.IO;

/// <summary>
/// Reads one run's extent of a spill file in order, through two buffers of its own: while one is
/// consumed the next part of the extent is read into the other. The runs of a merge are read at
/// many places of one file at once, which defeats the kernel's readahead; without the prefetch
/// every refill waited for the disk (bench/NOTES.md 33).
/// <para>
/// Given the run's checksum (XxHash3 of its bytes, taken as they were spilled), each refill is hashed as it comes
/// in, in order, and the sum compared once the run's last byte is in: a run changed on the disk or a shared work
/// directory since it was written is an <see cref="IOException"/> naming the file, not wrong records. Whole buffers
/// are hashed (tens of GB/s); the per-record reads are untouched.
/// </para>
/// </summary>
public sealed class RunReader
{
    private readonly SpillFile _file;
    private byte[] _buffer, _spare;
    private readonly int _capacity;
    private Task<int>? _prefetch;
    private readonly long _end;
    private long _next;
    private int _at, _filled;
    private readonly XxHash3? _sum;
    private readonly ulong _expected;
    private readonly long _offset;

    /// <param name="checksum">XxHash3 of the extent's bytes as written (appended batch by batch as they were spilled); null reads them unchecked.</param>
    public RunReader(SpillFile file, long offset, long length, int bufferBytes, ulong? checksum = null)
    {
        _file = file;
        _offset = offset;
        if (checksum is ulong expected) (_sum, _expected) = (new XxHash3(), expected);
        _end = offset + length;
        _next = offset;
        // Each buffer holds one refill: the asked size, or the whole extent when that is smaller.
        _capacity = (int)Math.Min(bufferBytes, Math.Max(length, 1));
        _buffer = SpillFile.DirectBuffer(_capacity);
        _spare = SpillFile.DirectBuffer(_capacity);
    }

    public bool AtEnd => _at == _filled && _next == _end;

    public void Read(Span<byte> into)
    {
        while (into.Length > 0)
        {
            if (_at == _filled) Refill();
            int n = Math.Min(into.Length, _filled - _at);
            _buffer.AsSpan(_at, n).CopyTo(into);
            _at += n;
            into = into[n..];
        }
    }

    public void Read<T>(Span<T> into) where T : unmanaged => Read(MemoryMarshal.AsBytes(into));

    /// <summary>The next record, copied once into <paramref name="into"/>.</summary>
    public void Read<T>(ref T into) where T : unmanaged
    {
        // The common case, a whole record in the buffer, is one block copy: a group record is 264
        // bytes, and each copy by value through locals was a call to memmove (bench/NOTES.md 92).
        int size = Unsafe.SizeOf<T>();
        if (_filled - _at >= size)
        {
            Unsafe.CopyBlockUnaligned(ref Unsafe.As<T, byte>(ref into), ref _buffer[_at], (uint)size);
            _at += size;
            return;
        }
        Read(MemoryMarshal.AsBytes(new Span<T>(ref into)));
    }

    private void Refill()
    {
        int want = (int)Math.Min(_capacity, _end - _next);
        if (want == 0) throw new EndOfStreamException("a spilled run ended before its records did");
        int start;
        if (_prefetch is null) start = _file.ReadDirect(_buffer, want, _next);
        else
        {
            start = _prefetch.GetAwaiter().GetResult();
            (_buffer, _spare) = (_spare, _buffer);
        }
        _next += want;
        _at = start;
        _filled = start + want;
        if (_sum is not null)
        {
            _sum.Append(_buffer.AsSpan(start, want));
            if (_next == _end && _sum.GetCurrentHashAsUInt64() != _expected) throw _file.Corrupted(_offset, _end);
        }
        int following = (int)Math.Min(_capacity, _end - _next);
        long at = _next;
        var spare = _spare;
        _prefetch = following > 0 ? Task.Run(() => _file.ReadDirect(spare, following, at)) : null;
    }
}

/// <summary>The sort key of a record type in a <see cref="RunMerge{T, TKey}"/> (a struct: the merge's loop is compiled for it, no delegate call a record).</summary>
public interface IRecordKey<T> where T : unmanaged
{
    static abstract long Of(in T record);

    /// <summary>
    /// Orders two records of equal key (negative: a first); 0 leaves them to run order, the earlier run first. Abstract,
    /// not a default body: a default interface method kept the merge's comparison out of the ReadyToRun image (jitted
    /// at every start, and not inlined).
    /// </summary>
    static abstract int Tie(in T a, in T b);
}

/// <summary>
/// The k-way merge: repeatedly the run whose next record has the smallest key (ties: the
/// earlier run). Holds one record per run. A loser tree picks the run: after a record is taken
/// only its run's path to the root is replayed, one comparison per level (a priority queue
/// removed and re-inserted, about twice as many, NOTES 38).
/// </summary>
public sealed class RunMerge<T, TKey> where T : unmanaged where TKey : IRecordKey<T>
{
    private readonly RunReader[] _runs;
    private readonly T[] _heads;
    private readonly long[] _keys;
    private readonly bool[] _done;
    // _losers[n] for n in [1, k): the run that lost at internal node n; _losers[0]: the overall winner.
    private readonly int[] _losers;

    public RunMerge(RunReader[] runs)
    {
        _runs = runs;
        int k = runs.Length;
        _heads = new T[k];
        _keys = new long[k];
        _done = new bool[k];
        _losers = new int[Math.Max(k, 1)];
        for (int r = 0; r < k; r++) Advance(r);
        if (k == 0) return;
        // Winners bottom-up over the implicit tree: leaves k..2k-1 are the runs, node n has children 2n, 2n+1.
        var winners = new int[2 * k];
        for (int r = 0; r < k; r++) winners[k + r] = r;
        for (int n = k - 1; n >= 1; n--)
        {
            int a = winners[2 * n], b = winners[2 * n + 1];
            (winners[n], _losers[n]) = Before(a, b) ? (a, b) : (b, a);
        }
        _losers[0] = winners[1];   // k = 1: the one leaf
    }

    /// <summary>The key of the record the last <see cref="Next(ref T, out int)"/> gave.</summary>
    public long LastKey { get; private set; }

    public bool Next(out int run, out T record)
    {
        record = default;
        return Next(ref record, out run);
    }

    /// <summary>
    /// Copies the next record in merged order into <paramref name="into"/> (a chunk's slot: the
    /// record is copied from its run's buffer to its place with one copy between); false when every
    /// run is done, <paramref name="into"/> untouched.
    /// </summary>
    public bool Next(ref T into, out int run)
    {
        run = _runs.Length == 0 ? -1 : _losers[0];
        if (run < 0 || _done[run]) return false;
        into = _heads[run];
        LastKey = _keys[run];
        Advance(run);
        Replay(run);
        return true;
    }

    /// <summary>Whether run a's head comes before run b's: finished runs last, then by key, then by the key's tie order, then by run.</summary>
    private bool Before(int a, int b)
    {
        if (_done[a] || _done[b]) return !_done[a] && _done[b] || (_done[a] && _done[b] && a < b);
        if (_keys[a] != _keys[b]) return _keys[a] < _keys[b];
        int tie = TKey.Tie(in _heads[a], in _heads[b]);
        return tie != 0 ? tie < 0 : a < b;
    }

    /// <summary>Run r's head changed: replay its matches from its leaf to the root.</summary>
    private void Replay(int r)
    {
        int k = _runs.Length, winner = r;
        for (int n = (r + k) >> 1; n >= 1; n >>= 1)
            if (Before(_losers[n], winner)) (_losers[n], winner) = (winner, _losers[n]);
        _losers[0] = winner;
    }

    private void Advance(int r)
    {
        if (_runs[r].AtEnd) { _done[r] = true; return; }
        _runs[r].Read(ref _heads[r]);
        _keys[r] = TKey.Of(in _heads[r]);
    }
}
