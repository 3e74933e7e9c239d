using Google.FlatBuffers;
using Wdb.Core;
using Wdb.Fbs;

namespace Wdb.IO;

/// <summary>The chunk layout of one table file, as stored in its <c>.idx</c> (see schema/wdb.fbs).</summary>
internal sealed class ChunkList
{
    public int Count;
    public long[] FirstKey = new long[16], LastKey = new long[16], Offset = new long[16], FirstRecord = new long[16];
    public int[] Records = new int[16], Bytes = new int[16];
    public long TotalRecords, FileBytes;
    public string TableName = "", Key = "";

    public void Add(long firstKey, long lastKey, long offset, int records, int bytes)
    {
        if (Count == FirstKey.Length)
        {
            int n = Count * 2;
            Array.Resize(ref FirstKey, n); Array.Resize(ref LastKey, n); Array.Resize(ref Offset, n);
            Array.Resize(ref FirstRecord, n); Array.Resize(ref Records, n); Array.Resize(ref Bytes, n);
        }
        FirstKey[Count] = firstKey; LastKey[Count] = lastKey; Offset[Count] = offset;
        FirstRecord[Count] = TotalRecords; Records[Count] = records; Bytes[Count] = bytes;
        Count++;
        TotalRecords += records;
    }

    /// <summary>
    /// First chunk that may hold <paramref name="key"/>: the first with LastKey &gt;= key
    /// (keys ascend through the file). Count when none. Empty chunks never hold a key.
    /// </summary>
    public int LowerBound(long key)
    {
        int lo = 0, hi = Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Records[mid] == 0 || LastKey[mid] < key) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>The index as one size-prefixed ChunkIndex buffer.</summary>
    public ArraySegment<byte> Encode(FlatBufferBuilder b)
    {
        b.Clear();
        var table = b.CreateString(TableName);
        var key = b.CreateString(Key);
        ChunkIndex.StartChunksVector(b, Count);
        for (int i = Count - 1; i >= 0; i--)
            ChunkEntry.CreateChunkEntry(b, FirstKey[i], LastKey[i], Offset[i], FirstRecord[i], Records[i], Bytes[i]);
        var chunks = b.EndVector();
        var root = ChunkIndex.CreateChunkIndex(b, table, key, TotalRecords, FileBytes, chunks);
        b.FinishSizePrefixed(root.Value);
        return b.DataBuffer.ToArraySegment(b.DataBuffer.Position, b.Offset);
    }

    /// <summary>Parses an index file; null when it is not a valid ChunkIndex (little-endian, as FlatBuffers).</summary>
    public static ChunkList? Decode(byte[] bytes)
    {
        if (bytes.Length < 8 || System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes) != bytes.Length - 4) return null;
        try
        {
            var index = ChunkIndex.GetRootAsChunkIndex(new ByteBuffer(bytes) { Position = 4 });
            var list = new ChunkList { TableName = index.TableName ?? "", Key = index.Key ?? "" };
            for (int i = 0; i < index.ChunksLength; i++)
            {
                var e = index.Chunks(i)!.Value;
                list.Add(e.FirstKey, e.LastKey, e.Offset, e.Records, e.Bytes);
            }
            list.FileBytes = index.FileBytes;
            return list.TotalRecords == index.Records ? list : null;
        }
        catch (ArgumentOutOfRangeException)   // ByteBuffer's bounds checks: a garbled index
        {
            return null;
        }
    }
}

/// <summary>One encoded chunk: its bytes, its first and last key, its record count.</summary>
internal readonly record struct FinishedChunk(ArraySegment<byte> Bytes, long FirstKey, long LastKey, int Records);

/// <summary>
/// Appends size-prefixed chunks to one table file and records them in a <see cref="ChunkList"/>;
/// checksums what it writes (for summary.json) so that nothing is read back.
/// </summary>
internal sealed class ChunkFileWriter : IDisposable
{
    private const int StreamBuffer = 1 << 20;
    // One of the two: direct writes where the file system takes them, else a buffered stream.
    private readonly DirectFile? _direct;
    private readonly FileStream? _stream;
    private readonly RunningChecksum _checksum;
    private long _position;
    public readonly ChunkList Chunks;

    public ChunkFileWriter(string path, string tableName, string key, ChecksumAlgorithm checksum)
    {
        _checksum = new RunningChecksum(checksum);
        _direct = DirectFile.TryCreate(path);
        if (_direct is null) _stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, StreamBuffer);
        Chunks = new ChunkList { TableName = tableName, Key = key };
    }

    /// <summary>
    /// Writes finished chunks as the next ones, in order, and returns once done with the buffers.
    /// A SHA-256 is taken on another thread meanwhile: hashing and writing a 1.9 GB groups table
    /// took turns on one thread before (bench/NOTES.md 30). XXH128 takes a fraction of the write.
    /// </summary>
    public void WriteChunks(FinishedChunk[] chunks)
    {
        if (_checksum.Fast)
        {
            // An array by index: through IReadOnlyList the array interface stubs are jitted at start.
            for (int i = 0; i < chunks.Length; i++)
            {
                _checksum.Append(chunks[i].Bytes);
                Write(chunks[i]);
            }
            return;
        }
        var hashing = Task.Run(() =>
        {
            for (int i = 0; i < chunks.Length; i++) _checksum.Append(chunks[i].Bytes);
        });
        try
        {
            for (int i = 0; i < chunks.Length; i++) Write(chunks[i]);
        }
        catch
        {
            // Never return, even failing, while the hash still reads the callers' buffers.
            try { hashing.Wait(); } catch (AggregateException) { }
            throw;
        }
        hashing.GetAwaiter().GetResult();
    }

    private void Write(FinishedChunk c)
    {
        if (_direct is not null) _direct.Append(c.Bytes);
        else _stream!.Write(c.Bytes);
        Chunks.Add(c.FirstKey, c.LastKey, _position, c.Records, c.Bytes.Count);
        _position += c.Bytes.Count;
    }

    private bool _handedOff;

    /// <summary>
    /// Hands the written file to the OS and returns its checksum (<c>NAME:HEX</c>) with the
    /// fsync, started on a worker that then closes the file: the next table is encoded while
    /// this one reaches the disk. The caller waits for every such task before publishing.
    /// </summary>
    public (string Checksum, Task Synced) Complete()
    {
        Chunks.FileBytes = _position;
        IDisposable file;
        Action flushToDisk;
        if (_direct is { } direct) { direct.Finish(); file = direct; flushToDisk = direct.FlushToDisk; }
        else { var stream = _stream!; stream.Flush(); file = stream; flushToDisk = () => stream.Flush(flushToDisk: true); }
        var synced = Task.Run(() =>
        {
            try { flushToDisk(); }
            finally { file.Dispose(); }
        });
        _handedOff = true;
        return (_checksum.Finish(), synced);
    }

    public void Dispose()
    {
        if (!_handedOff)
        {
            _direct?.Dispose();
            _stream?.Dispose();
        }
        _checksum.Dispose();
    }
}

/// <summary>Writes a whole small file (index, rejects, summary), fsynced, and returns its checksum (<c>NAME:HEX</c>).</summary>
internal static class SmallFile
{
    public static string Write(string path, ReadOnlySpan<byte> bytes, ChecksumAlgorithm checksum)
    {
        using (var fs = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
        {
            fs.Write(bytes);
            fs.Flush(flushToDisk: true);
        }
        return RunningChecksum.Of(checksum, bytes);
    }
}
