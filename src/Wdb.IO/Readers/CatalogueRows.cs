using Wdb.Core;

namespace Wdb.IO;

/// <summary>
/// A catalogue's rows as read (file by file, line by line): only the columns a match with it uses. Read in blocks
/// and copied out, since a block holds every column of the working database (~260 bytes a row, against 44 here).
/// </summary>
public sealed class CatalogueRows
{
    public double[] Ra = [], Dec = [];
    /// <summary>The scan id; 0 unless read as <see cref="TableKind.CataloguePositionsAndScans"/>.</summary>
    public long[] ScanKey = [];
    /// <summary>The row's cntr column (0 where the catalogue has none), its line and its file's index among those read.</summary>
    public long[] Cntr = [], Line = [];
    public int[] FileIndex = [];
    public int Count { get; private set; }

    /// <summary>
    /// Bytes a catalogue row takes at its peak, read and indexed for a match (a 10 M-row catalogue: 1.25 GB; bench/NOTES.md
    /// 97, 99): what a merge's and `wdb associate`'s memory plans count.
    /// </summary>
    public const long PeakBytesPerRow = 125;

    // Rows kept: those it holds (every row when null).
    private Func<double, double, bool>? _keep;
    private Action<ExtractionBlock, int>? _sink;

    /// <summary>Rows of positions and scans alone (cntr, line and file unknown: 0).</summary>
    public static CatalogueRows Of(double[] ra, double[] dec, long[] scanKey) =>
        Of(ra, dec, scanKey, new long[ra.Length], new long[ra.Length], new int[ra.Length]);

    /// <summary>Rows of these columns: a zone's share of a spilled catalogue (<see cref="ZoneCatalogue"/>).</summary>
    public static CatalogueRows Of(double[] ra, double[] dec, long[] scanKey, long[] cntr, long[] line, int[] fileIndex)
    {
        int n = ra.Length;
        if (dec.Length != n || scanKey.Length != n || cntr.Length != n || line.Length != n || fileIndex.Length != n)
            throw new ArgumentException("columns differ in length");
        return new CatalogueRows { Ra = ra, Dec = dec, ScanKey = scanKey, Cntr = cntr, Line = line, FileIndex = fileIndex, Count = n };
    }

    /// <summary>
    /// Every file of <paramref name="paths"/> read as <paramref name="options"/> say (a catalogue kind), each file's
    /// result in order; the reading stops at the first file with a fatal error, which is then the last result.
    /// Only the rows whose (ra, dec) <paramref name="keep"/> holds are kept (every row when null: those near a merge's
    /// inputs or groups, of a large catalogue); every row is still read, counted and in the checksum.
    /// <paramref name="counted"/> is told each block's rows as they are read, kept or not (a progress display).
    /// </summary>
    /// <param name="sink">
    /// Where the kept rows go instead of the rows returned (none then): each block with its kept rows first and their
    /// count (the zone merge spills them by zone).
    /// </param>
    public static (CatalogueRows Rows, IReadOnlyList<FileReadResult> Files) Read(IReadOnlyList<string> paths, ReadOptions options,
        Func<double, double, bool>? keep = null, Action<int>? counted = null, Action<ExtractionBlock, int>? sink = null)
    {
        if (options.Kind == TableKind.Extractions) throw new ArgumentException("a catalogue is read as one of the catalogue kinds", nameof(options));
        var rows = new CatalogueRows { _keep = keep, _sink = sink };
        var files = new List<FileReadResult>();
        for (int f = 0; f < paths.Count; f++)
        {
            var read = ExtractionReader.ReadBlocks(paths[f], f, options, 1 << 16, block =>
            {
                counted?.Invoke(block.Count);
                rows.Append(block);
            });
            files.Add(read);
            if (read.Error is not null) break;
        }
        rows.Trim();
        return (rows, files);
    }

    private void Append(ExtractionBlock block)
    {
        int n = _keep is null ? block.Count : KeepHeld(block, _keep);
        if (_sink is not null)
        {
            _sink(block, n);
            return;
        }
        if (Count + n > Ra.Length) Grow(Math.Max(Count + n, Ra.Length * 2));
        block.Ra.AsSpan(0, n).CopyTo(Ra.AsSpan(Count));
        block.Dec.AsSpan(0, n).CopyTo(Dec.AsSpan(Count));
        block.ScanKey.AsSpan(0, n).CopyTo(ScanKey.AsSpan(Count));
        block.Cntr.AsSpan(0, n).CopyTo(Cntr.AsSpan(Count));
        block.Line.AsSpan(0, n).CopyTo(Line.AsSpan(Count));
        block.FileIndex.AsSpan(0, n).CopyTo(FileIndex.AsSpan(Count));
        Count += n;
    }

    /// <summary>
    /// The rows of <paramref name="block"/> that <paramref name="keep"/> holds moved to its front (only the kept columns;
    /// the block is the reader's, emptied after this), and how many they are.
    /// </summary>
    private static int KeepHeld(ExtractionBlock block, Func<double, double, bool> keep)
    {
        int kept = 0;
        for (int i = 0; i < block.Count; i++)
        {
            if (!keep(block.Ra[i], block.Dec[i])) continue;
            if (kept != i)
            {
                block.Ra[kept] = block.Ra[i]; block.Dec[kept] = block.Dec[i]; block.ScanKey[kept] = block.ScanKey[i];
                block.Cntr[kept] = block.Cntr[i]; block.Line[kept] = block.Line[i]; block.FileIndex[kept] = block.FileIndex[i];
            }
            kept++;
        }
        return kept;
    }

    private void Grow(int capacity)
    {
        Array.Resize(ref Ra, capacity);
        Array.Resize(ref Dec, capacity);
        Array.Resize(ref ScanKey, capacity);
        Array.Resize(ref Cntr, capacity);
        Array.Resize(ref Line, capacity);
        Array.Resize(ref FileIndex, capacity);
    }

    private void Trim()
    {
        if (Count != Ra.Length) Grow(Count);
    }
}
