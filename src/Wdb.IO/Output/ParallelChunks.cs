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
/// boundaries are fixed before encoding starts, so the file's bytes do not depend on the
/// number of cores. Chunks go in waves: while one wave is written and hashed on one thread,
/// the next is encoded; at most two waves of finished chunks are held.
/// </summary>
internal static class ParallelChunks
{
    /// <summary>
    /// Encodes every range with <paramref name="encode"/>, which finishes a size-prefixed
    /// buffer in the builder it is given and returns the chunk's first and last key.
    /// </summary>
    public static void Write(ChunkFileWriter file, IReadOnlyList<ChunkRange> ranges, int threads,
        Func<FlatBufferBuilder, ChunkRange, (long First, long Last)> encode)
    {
        var parallel = Threads.Options(threads);
        int wave = Math.Max(2, 4 * parallel.MaxDegreeOfParallelism);
        var builders = new ConcurrentBag<FlatBufferBuilder>();
        Task writing = Task.CompletedTask;
        try
        {
            for (int w = 0; w < ranges.Count; w += wave)
            {
                var encoded = new Encoded[Math.Min(wave, ranges.Count - w)];
                int first = w;
                Parallel.For(0, encoded.Length, parallel, i =>
                {
                    if (!builders.TryTake(out var b)) b = new FlatBufferBuilder(1 << 20) { ForceDefaults = true };
                    b.Clear();
                    var range = ranges[first + i];
                    var (firstKey, lastKey) = encode(b, range);
                    var bytes = b.DataBuffer.ToArraySegment(b.DataBuffer.Position, b.Offset);
                    byte[] copy = ArrayPool<byte>.Shared.Rent(bytes.Count);
                    bytes.AsSpan().CopyTo(copy);
                    encoded[i] = new Encoded(copy, bytes.Count, firstKey, lastKey, range.Count);
                    builders.Add(b);
                });
                // The previous wave's I/O error surfaces here, before more is queued behind it.
                writing.GetAwaiter().GetResult();
                writing = Task.Run(() => WriteWave(file, encoded));
            }
        }
        finally
        {
            // Never leave a writer running on a file that is about to be disposed.
            try { writing.Wait(); } catch (AggregateException) { }
        }
        writing.GetAwaiter().GetResult();
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
