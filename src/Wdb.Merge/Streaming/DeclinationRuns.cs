using System.Runtime.InteropServices;
using Wdb.IO;
using Wdb.Core;

namespace Wdb.Merge.Streaming;

/// <summary>
/// The input spilled to disk as declination-sorted runs, one per read block, so that a
/// declination zone can be read back as one contiguous row range of every run (docs/streaming.md).
/// A run file holds its rows column after column (<see cref="ExtractionBlock.Columns"/> order,
/// raw little-endian values): reading a range is one read per column. In memory each run keeps
/// only a sample of its declinations (every <see cref="SampleEvery"/>-th row), which is enough
/// to choose zone boundaries and to find each boundary's row with one small read.
/// </summary>
public sealed class DeclinationRuns : IDisposable
{
    /// <summary>Rows between declination samples.</summary>
    public const int SampleEvery = 1024;

    private sealed record Run(int Count, long[] ColumnOffsets, double[] Samples);

    private readonly string _directory;
    private readonly List<Run> _runs = new();
    // Every run is an extent of this one file (made with the first run); reading ends the writing.
    private SpillFile? _file;
    /// <summary>Bytes per value of each column, and the index of the Dec column, in <see cref="ExtractionBlock.Columns"/> order.</summary>
    private readonly int[] _sizes;
    private readonly int _decColumn;

    /// <summary>Creates <paramref name="directory"/> for the run files; <see cref="Dispose"/> deletes it.</summary>
    public DeclinationRuns(string directory)
    {
        _directory = directory;
        Directory.CreateDirectory(directory);
        var probe = new ExtractionBlock(16);
        var columns = probe.Columns();
        _sizes = columns.Select(c => Buffer.ByteLength(c) / c.Length).ToArray();
        _decColumn = Array.IndexOf(columns, probe.Dec);
    }

    public int RunCount => _runs.Count;
    public int RowsOf(int run) => _runs[run].Count;
    public long Rows { get; private set; }

    /// <summary>
    /// Writes the rows <c>order[0], order[1], ...</c> of <paramref name="block"/>, which must be
    /// in ascending dec order, as a new run. The block is only read (a reader's block is reused
    /// after this): each column is gathered through the order into one buffer and written.
    /// </summary>
    public void Add(ExtractionBlock block, int[] order)
    {
        int n = order.Length;
        for (int k = 1; k < n; k++)
            if (!(block.Dec[order[k]] >= block.Dec[order[k - 1]])) throw new ArgumentException("a run's rows must be sorted by dec", nameof(order));
        if (n == 0) return;
        var file = _file ??= new SpillFile(Path.Combine(_directory, "rows.run"));
        var columns = block.Columns();
        var offsets = new long[columns.Length];
        var buffer = new byte[(long)n * 8];
        for (int c = 0; c < columns.Length; c++)
        {
            offsets[c] = file.Length;
            var from = Bytes(columns[c], 0, Buffer.ByteLength(columns[c]));
            var to = buffer.AsSpan(0, n * _sizes[c]);
            switch (_sizes[c])
            {
                case 8: Gather(MemoryMarshal.Cast<byte, long>(from), MemoryMarshal.Cast<byte, long>(to), order); break;
                case 4: Gather(MemoryMarshal.Cast<byte, int>(from), MemoryMarshal.Cast<byte, int>(to), order); break;
                case 1: Gather(from, to, order); break;
                default: throw new InvalidOperationException($"column {c}: {_sizes[c]}-byte values");
            }
            file.Append(to);
        }
        var samples = new double[(n + SampleEvery - 1) / SampleEvery];
        for (int s = 0; s < samples.Length; s++) samples[s] = block.Dec[order[s * SampleEvery]];
        _runs.Add(new Run(n, offsets, samples));
        Rows += n;
    }

    private static void Gather<T>(ReadOnlySpan<T> from, Span<T> to, int[] order)
    {
        for (int k = 0; k < to.Length; k++) to[k] = from[order[k]];
    }

    /// <summary>
    /// Zone boundaries: ascending declinations that cut the rows into zones of about
    /// <paramref name="rowsPerZone"/> rows (to within a sample per run). Zone k holds the rows
    /// with <c>cuts[k-1] &lt;= dec &lt; cuts[k]</c> (no lower bound for the first zone, no upper
    /// bound for the last), so rows of equal dec always share a zone.
    /// </summary>
    public double[] Cuts(long rowsPerZone)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerZone, 1);
        var samples = _runs.SelectMany(r => r.Samples).ToArray();
        Array.Sort(samples);
        long step = Math.Max(1, rowsPerZone / SampleEvery);
        var cuts = new List<double>();
        for (long k = step; k < samples.Length; k += step)
        {
            double cut = samples[k];
            if (cuts.Count == 0 || cut > cuts[^1]) cuts.Add(cut);
        }
        return cuts.ToArray();
    }

    /// <summary>The first row of run <paramref name="run"/> whose dec is &gt;= <paramref name="dec"/> (its Count when none).</summary>
    public int FirstAtOrAbove(int run, double dec)
    {
        var r = _runs[run];
        // The answer lies after the last sample below dec and at or before the next sample.
        int s = Array.BinarySearch(r.Samples, dec);
        if (s < 0) s = ~s;
        else while (s > 0 && r.Samples[s - 1] >= dec) s--;
        if (s == 0) return 0;
        int lo = (s - 1) * SampleEvery + 1, hi = Math.Min(r.Count, s * SampleEvery);
        if (lo >= hi) return hi;
        var window = new double[hi - lo];
        _file!.Read(Bytes(window, 0, window.Length * 8), r.ColumnOffsets[_decColumn] + (long)lo * 8);
        int k = 0;
        while (k < window.Length && window[k] < dec) k++;
        return lo + k;
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
                _file!.Read(Bytes(columns[c], first * _sizes[c], n * _sizes[c]), r.ColumnOffsets[c] + (long)start * _sizes[c]);
    }

    public void Dispose()
    {
        _file?.Dispose();
        try { Directory.Delete(_directory, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }

    private static Span<byte> Bytes(Array column, int byteStart, int byteCount) =>
        MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(column), Buffer.ByteLength(column)).Slice(byteStart, byteCount);
}
