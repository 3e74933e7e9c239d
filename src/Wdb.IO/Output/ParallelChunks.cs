using System.Buffers;
using System.Collections.Concurrent;
using Google.FlatBuffers;
using Wdb.Core;

namespace Wdb.IO;

/// <summary>Records [Start, End) of a table, in file order, that make one chunk.</summary>
internal readonly record struct ChunkRange(int Start, int End)
{
    public int Count => End - Start;

    /// <summary>Ranges of at most <paramref name="per"/> records; one empty range for an empty table (its file still holds one chunk).</summary>
    public static List<ChunkRange> Fixed(int total, int per)
    {
        var ranges = new List<ChunkRange>(total / per + 1);
        int start = 0;
        do
        {
            int end = Math.Min(total, start + per);
            ranges.Add(new ChunkRange(start, end));
            start = end;
        } while (start < total);
        return ranges;
    }
}

/// <summary>
/// Encodes a table's chunks on every core and appends them to its file in order. Chunk
/// boundaries are fixed before a chunk is handed in, so the file's bytes do not depend on the
/// number of cores. Chunks go in waves: while one wave is written and hashed on one thread,
/// the next is gathered and encoded; at most two waves of finished chunks are held.
/// </summary>
internal static class ParallelChunks
{
    /// <summary>
    /// Encodes every range with <paramref name="encode"/>, which finishes a size-prefixed
    /// buffer in the builder it is given and returns the chunk's first and last key.
    /// </summary>
    /// <param name="prepareWave">Runs before each wave is encoded, with the wave's ranges (in file order), on the calling thread.</param>
    /// <param name="chunksPerThread">A wave's chunks per encoding thread.</param>
    /// <param name="beforeAdd">Runs on the calling thread before each range joins a wave (it may wait until the range's data is ready).</param>
    public static void Write(ChunkFileWriter file, IReadOnlyList<ChunkRange> ranges, int threads,
        Func<FlatBufferBuilder, ChunkRange, (long First, long Last)> encode, Action<ChunkRange[]>? prepareWave = null,
        int chunksPerThread = ChunkPipeline<ChunkRange>.ChunksPerThread, Action<ChunkRange>? beforeAdd = null)
    {
        using var chunks = new ChunkPipeline<ChunkRange>(file, threads, (b, range) =>
        {
            var (first, last) = encode(b, range);
            return (first, last, range.Count);
        }, prepareWave, chunksPerThread);
        foreach (var range in ranges)
        {
            beforeAdd?.Invoke(range);
            chunks.Add(range);
        }
        chunks.Finish();
    }
}

/// <summary>
/// The waves of <see cref="ParallelChunks"/>, fed one chunk at a time: the caller hands in a
/// chunk's description (a range of an in-memory table, or the records of a chunk read back
/// from spilled runs) in file order, and a full wave is encoded in parallel and queued for
/// writing. Memory: one wave of descriptions plus two waves of encoded chunks.
/// </summary>
internal sealed class ChunkPipeline<T> : IDisposable
{
    private readonly ChunkFileWriter _file;
    private readonly ParallelOptions _parallel;
    private readonly Func<FlatBufferBuilder, T, (long First, long Last, int Records)> _encode;
    private readonly Action<T[]>? _prepareWave;

    /// <summary>A wave's chunks per encoding thread, by default.</summary>
    public const int ChunksPerThread = 4;
    private readonly List<T> _wave;
    private readonly int _waveSize;
    private readonly ConcurrentBag<FlatBufferBuilder> _builders = new();
    private Task _writing = Task.CompletedTask;

    /// <param name="encode">Finishes a size-prefixed buffer for one chunk in the builder it is given; returns the chunk's first and last key and its record count.</param>
    /// <param name="prepareWave">Runs before a wave's chunks are encoded, with the wave, on the thread that fills it (it may use every core itself).</param>
    public ChunkPipeline(ChunkFileWriter file, int threads, Func<FlatBufferBuilder, T, (long First, long Last, int Records)> encode,
        Action<T[]>? prepareWave = null, int chunksPerThread = ChunksPerThread)
    {
        _file = file;
        _encode = encode;
        _prepareWave = prepareWave;
        _parallel = Threads.Options(threads);
        _waveSize = Math.Max(2, chunksPerThread * _parallel.MaxDegreeOfParallelism);
        _wave = new List<T>(_waveSize);
    }

    /// <summary>Queues the next chunk of the file; encodes the wave once it is full.</summary>
    public void Add(T chunk)
    {
        _wave.Add(chunk);
        if (_wave.Count == _waveSize) EncodeWave();
    }

    /// <summary>Encodes what is left and waits until every chunk is written.</summary>
    public void Finish()
    {
        if (_wave.Count > 0) EncodeWave();
        var writing = _writing;
        _writing = Task.CompletedTask;
        writing.GetAwaiter().GetResult();
    }

    private void EncodeWave()
    {
        var encoded = new Encoded[_wave.Count];
        var wave = _wave.ToArray();
        _wave.Clear();
        _prepareWave?.Invoke(wave);
        Parallel.For(0, encoded.Length, _parallel, i =>
        {
            if (!_builders.TryTake(out var b)) b = new FlatBufferBuilder(1 << 20) { ForceDefaults = true };
            b.Clear();
            var (firstKey, lastKey, records) = _encode(b, wave[i]);
            var bytes = b.DataBuffer.ToArraySegment(b.DataBuffer.Position, b.Offset);
            byte[] copy = ArrayPool<byte>.Shared.Rent(bytes.Count);
            bytes.AsSpan().CopyTo(copy);
            encoded[i] = new Encoded(copy, bytes.Count, firstKey, lastKey, records);
            _builders.Add(b);
        });
        // The previous wave's I/O error surfaces here, before more is queued behind it.
        _writing.GetAwaiter().GetResult();
        _writing = Task.Run(() => WriteWave(_file, encoded));
    }

    /// <summary>Never leaves a writer running on a file that is about to be disposed (errors were, or will not be, reported by <see cref="Finish"/>).</summary>
    public void Dispose()
    {
        try { _writing.Wait(); } catch (AggregateException) { }
    }

    private static void WriteWave(ChunkFileWriter file, Encoded[] wave)
    {
        try
        {
            file.WriteChunks(Array.ConvertAll(wave, c => new FinishedChunk(new ArraySegment<byte>(c.Bytes, 0, c.Length), c.FirstKey, c.LastKey, c.Records)));
        }
        finally
        {
            foreach (var c in wave) ArrayPool<byte>.Shared.Return(c.Bytes);
        }
    }

    private readonly record struct Encoded(byte[] Bytes, int Length, long FirstKey, long LastKey, int Records);
}

/// <summary>
/// How far groups computed as groups.fb is written have got, in member positions (<see cref="Membership.Offsets"/>):
/// members.fb follows groups.fb instead of waiting for all of it, each chunk of positions [a, b) once b is reached.
/// </summary>
internal sealed class MembersReady
{
    private readonly object _gate = new();
    private int _positions;
    private bool _stopped;

    /// <summary>Members at positions below <paramref name="positions"/> have their results.</summary>
    public void Advance(int positions)
    {
        lock (_gate)
        {
            _positions = Math.Max(_positions, positions);
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>groups.fb failed: whoever waits stops waiting (and throws).</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stopped = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Returns once positions below <paramref name="positions"/> are ready.</summary>
    /// <exception cref="OperationCanceledException">groups.fb failed first.</exception>
    public void WaitFor(int positions)
    {
        lock (_gate)
        {
            while (_positions < positions)
            {
                if (_stopped) throw new OperationCanceledException("groups.fb failed before these members were computed");
                Monitor.Wait(_gate);
            }
        }
    }
}
