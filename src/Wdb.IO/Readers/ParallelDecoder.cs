using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wdb.Core;

namespace Wdb.IO.Readers;

/// <summary>
/// Decodes data rows on the other cores while the reading thread frames and splits the next
/// ones. The format sinks stay sequential (headers, quoting across lines, field counts, which
/// decide what a row is); only <see cref="RowDecoder.Decode"/>, the number parsing that is
/// most of a row's cost, is deferred: each row's bytes and field ranges are copied into a
/// <see cref="RowBatch"/>, batches are decoded by worker decoders into blocks of their own,
/// and the blocks are appended to the file's block in batch order. Rows, line numbers and
/// rejects come out exactly as a sequential decode gives them (rejects are put back in line
/// order at the end). Strict mode decodes sequentially: its first bad row must stop the read.
/// </summary>
internal sealed class ParallelDecoder
{
    /// <summary>A batch is dispatched at this many rows or bytes, whichever comes first.</summary>
    private const int BatchRows = 4096, BatchBytes = 1 << 20;

    private readonly RowDecoder _front;
    private readonly ExtractionBlock _into;
    private readonly int _fileIndex;
    private readonly int _maxPending = Math.Max(2, Environment.ProcessorCount);
    private readonly Queue<Task<Worker>> _pending = new();
    private readonly Stack<Worker> _idle = new();
    private RowBatch _batch = new();
    private bool _sortRejects;

    public ParallelDecoder(RowDecoder front, ExtractionBlock into, int fileIndex)
    {
        _front = front; _into = into; _fileIndex = fileIndex;
    }

    /// <summary>Whether to decode on other cores: more than one core, not strict, not asked to decode sequentially.</summary>
    public static bool Useful(ReadOptions options) =>
        !options.Strict && !options.SequentialDecode && Environment.ProcessorCount > 1;

    /// <summary>Queues one row (arguments as <see cref="RowDecoder.Decode"/>); copies what it needs.</summary>
    public void Add(ReadOnlySpan<byte> text, ReadOnlySpan<int> start, ReadOnlySpan<int> length,
        ReadOnlySpan<int> srcPos, ReadOnlySpan<byte> line, long lineNo, int fields)
    {
        _batch.Add(text, start, length, srcPos, line, lineNo, fields);
        if (_batch.Count >= BatchRows || _batch.Bytes >= BatchBytes) Dispatch();
    }

    /// <summary>Decodes what is queued and appends every decoded row; call once, after the last line.</summary>
    public void Complete()
    {
        if (_batch.Count > 0) Dispatch();
        while (_pending.Count > 0) Collect(_pending.Dequeue());
        if (_sortRejects)
        {
            // Sink rejects were recorded as lines were read, decode rejects when their batch
            // came back: one reject per row, so ordering by line restores the sequential order.
            var rejects = _front.Result.Rejects;
            var ordered = rejects.OrderBy(r => r.Line).ToList();
            rejects.Clear();
            rejects.AddRange(ordered);
        }
    }

    /// <summary>After a failure: waits for the workers, so none is left running on this file's buffers.</summary>
    public void Abandon()
    {
        foreach (var t in _pending)
            try { t.Wait(); } catch (AggregateException) { }
        _pending.Clear();
    }

    private void Dispatch()
    {
        var batch = _batch;
        var worker = _idle.Count > 0 ? _idle.Pop() : new Worker(_front.Path, _fileIndex);
        _batch = worker.SpareBatch ?? new RowBatch();
        worker.SpareBatch = null;
        // The map and null tokens are fixed once the header is read, before any data row.
        var map = _front.Map;
        var nulls = _front.ColumnNulls;
        _pending.Enqueue(Task.Run(() => worker.Decode(batch, map, nulls)));
        while (_pending.Count > _maxPending) Collect(_pending.Dequeue());
    }

    private void Collect(Task<Worker> task)
    {
        var w = task.GetAwaiter().GetResult();
        _into.AppendRows(w.Block);
        var result = _front.Result;
        result.RowsAccepted += w.Result.RowsAccepted;
        if (w.Result.Rejects.Count > 0)
        {
            result.Rejects.AddRange(w.Result.Rejects);
            _sortRejects = true;
        }
        w.Block.Clear();
        w.Result.Rejects.Clear();
        w.Result.RowsAccepted = 0;
        _idle.Push(w);
    }

    /// <summary>One decoding thread's state: a block and an accounting of its own, reused batch after batch.</summary>
    private sealed class Worker
    {
        public readonly ExtractionBlock Block = new(BatchRows);
        public readonly FileReadResult Result;
        private readonly RowDecoder _decoder;
        public RowBatch? SpareBatch;

        public Worker(string path, int fileIndex)
        {
            Result = new FileReadResult { Path = path };
            _decoder = new RowDecoder(Block, fileIndex, Result, strict: false);
        }

        public Worker Decode(RowBatch batch, ColumnMap map, byte[]?[]? nulls)
        {
            if (!ReferenceEquals(_decoder.Map, map)) _decoder.Map = map;
            _decoder.ColumnNulls = nulls;
            for (int i = 0; i < batch.Count; i++) batch.DecodeRow(i, _decoder);
            batch.Clear();
            SpareBatch = batch;
            return this;
        }
    }
}

/// <summary>
/// Rows waiting to be decoded: each row's text (and its physical line, when the text is an
/// unquoted copy) in one byte buffer, and its field ranges relative to them.
/// </summary>
internal sealed class RowBatch
{
    private byte[] _bytes = new byte[1 << 16];
    private int[] _textAt = new int[256], _textLen = new int[256], _lineAt = new int[256], _lineLen = new int[256], _fieldAt = new int[256];
    private long[] _lineNo = new long[256];
    private int[] _start = new int[4096], _length = new int[4096], _srcPos = new int[4096];
    private int _fields;

    public int Count { get; private set; }
    public int Bytes { get; private set; }

    public void Add(ReadOnlySpan<byte> text, ReadOnlySpan<int> start, ReadOnlySpan<int> length,
        ReadOnlySpan<int> srcPos, ReadOnlySpan<byte> line, long lineNo, int fields)
    {
        if (Count == _textAt.Length) GrowRows();
        // The text is the line itself except for quoted CSV fields (unquoted into a scratch copy).
        bool same = text.Length == line.Length
            && Unsafe.AreSame(ref MemoryMarshal.GetReference(text), ref MemoryMarshal.GetReference(line));
        int need = text.Length + (same ? 0 : line.Length);
        if (Bytes + need > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, Bytes + need));
        int i = Count;
        _textAt[i] = Bytes; _textLen[i] = text.Length;
        text.CopyTo(_bytes.AsSpan(Bytes));
        Bytes += text.Length;
        if (same) { _lineAt[i] = _textAt[i]; _lineLen[i] = text.Length; }
        else
        {
            _lineAt[i] = Bytes; _lineLen[i] = line.Length;
            line.CopyTo(_bytes.AsSpan(Bytes));
            Bytes += line.Length;
        }
        if (_fields + fields > _start.Length)
        {
            int cap = Math.Max(_start.Length * 2, _fields + fields);
            Array.Resize(ref _start, cap); Array.Resize(ref _length, cap); Array.Resize(ref _srcPos, cap);
        }
        _fieldAt[i] = _fields;
        start[..fields].CopyTo(_start.AsSpan(_fields));
        length[..fields].CopyTo(_length.AsSpan(_fields));
        srcPos[..fields].CopyTo(_srcPos.AsSpan(_fields));
        _fields += fields;
        _lineNo[i] = lineNo;
        Count++;
    }

    public void DecodeRow(int i, RowDecoder decoder)
    {
        int f = _fieldAt[i], n = (i + 1 < Count ? _fieldAt[i + 1] : _fields) - f;
        decoder.DecodeNow(_bytes.AsSpan(_textAt[i], _textLen[i]), _start.AsSpan(f, n), _length.AsSpan(f, n),
            _srcPos.AsSpan(f, n), _bytes.AsSpan(_lineAt[i], _lineLen[i]), _lineNo[i]);
    }

    public void Clear() { Count = 0; Bytes = 0; _fields = 0; }

    private void GrowRows()
    {
        int cap = _textAt.Length * 2;
        Array.Resize(ref _textAt, cap); Array.Resize(ref _textLen, cap); Array.Resize(ref _lineAt, cap);
        Array.Resize(ref _lineLen, cap); Array.Resize(ref _fieldAt, cap); Array.Resize(ref _lineNo, cap);
    }
}
