using System.Buffers.Binary;
using System.IO.Hashing;
using Wdb.Core;

namespace Wdb.IO;

/// <summary>
/// A catalogue's kept rows spilled for the zone merge by zone (SPEC §6: memory bounded by the zone, not the catalogue):
/// each row (ra, dec, scan; 24 bytes) is filed under every zone whose declinations, widened by the reach, hold it, so a
/// zone loads only the rows that can meet its rows and its groups. A full-sky PSC against a full-sky merge is then held a
/// zone's share at a time. Filled on one thread (<see cref="Add"/>), then read zone by zone (<see cref="RowsOf"/>, any
/// thread). A cluster's plan saves it (<see cref="Save"/>) for its tasks and its stitch to open (<see cref="Open"/>):
/// the catalogues are then read once, by the plan, not once by every task. With <c>sources</c> each row also keeps its
/// cntr, line and file (44 bytes a row): `wdb associate` zone by zone, which reports them.
/// </summary>
public sealed class ZoneCatalogue : IDisposable
{
    /// <summary>Names, in a spill or work directory, of the --not-in and --associate rows (the index adds <see cref="IndexSuffix"/>).</summary>
    public const string NotInName = "not-in", AssociateName = "associate";
    public const string IndexSuffix = ".idx";
    // Version 2: each extent with its bytes' checksum.
    private const long IndexMagic = 0x3247_4F4C_4154_4143;   // "CATALOG2"

    private const int PositionBytes = 24, SourceBytes = 44;

    /// <summary>
    /// What a caller adds to a reach (arcsec): rows are filed by comparing declinations with the cuts, and a hair more
    /// covers their rounding, so a row within the reach of a zone's rows or groups is always filed under it.
    /// </summary>
    public const double MarginArcsec = 1.0;
    // Rows a zone gathers before they are spilled: ~1,300 zones of a full-sky merge buffer ~125 MB at most. A zone's
    // buffer starts small and doubles, so that many tiny zones (--zone-rows 1) cost the rows they file, not 96 KB each.
    private const int FlushRows = 4096, FirstRows = 64;

    private readonly string _path;
    private readonly int _rowBytes;
    private readonly double[] _cuts;
    private readonly double _reachDeg;
    private readonly SpillFile _spill;
    // Each zone's spilled extents, with the XxHash3 of their bytes as written: RowsOf checks it, so a file of a shared
    // work directory changed since the plan is an error naming it, not wrong catalogue rows.
    private readonly List<(long Offset, int Rows, ulong Sum)>[] _extents;
    private readonly byte[]?[] _buffers;
    private readonly int[] _buffered;
    private bool _ended;

    /// <param name="cuts">The zones' declination cuts (<see cref="DeclinationRuns.Zones"/>): zone z holds [cuts[z-1], cuts[z]).</param>
    /// <param name="reachArcsec">How far beyond its zone's declinations a row can still meet the zone's rows or groups.</param>
    /// <param name="sources">Keep each row's cntr, line and file too.</param>
    public ZoneCatalogue(string path, double[] cuts, double reachArcsec, bool sources = false)
    {
        _path = path;
        _rowBytes = sources ? SourceBytes : PositionBytes;
        _cuts = cuts;
        _reachDeg = reachArcsec / 3600.0;
        _spill = new SpillFile(path);
        int zones = cuts.Length + 1;
        _extents = new List<(long, int, ulong)>[zones];
        for (int z = 0; z < zones; z++) _extents[z] = [];
        _buffers = new byte[]?[zones];
        _buffered = new int[zones];
    }

    /// <summary>Rows another process filed and saved at <paramref name="path"/>, for reading.</summary>
    private ZoneCatalogue(string path, int rowBytes, SpillFile spill, List<(long Offset, int Rows, ulong Sum)>[] extents)
    {
        _path = path;
        _rowBytes = rowBytes;
        _cuts = [];
        _spill = spill;
        _extents = extents;
        _buffers = [];
        _buffered = [];
        _ended = true;
        Filed = extents.Sum(e => e.Sum(x => (long)x.Rows));
    }

    /// <summary>Zones the rows are filed under.</summary>
    public int Zones => _extents.Length;

    /// <summary>Rows filed, counting a row once per zone it is filed under.</summary>
    public long Filed { get; private set; }

    /// <summary>The rows of the zone that has most (what a zone holds at most, twice while the next zone is read).</summary>
    public long LargestZone => _ended ? _extents.Max(e => e.Sum(x => (long)x.Rows)) : throw new InvalidOperationException("not all filed yet");

    /// <summary>The zone of declination <paramref name="dec"/>: the number of cuts at or below it.</summary>
    private int ZoneOf(double dec)
    {
        int i = Array.BinarySearch(_cuts, dec);
        if (i < 0) return ~i;
        while (i + 1 < _cuts.Length && _cuts[i + 1] == dec) i++;
        return i + 1;
    }

    /// <summary>The first <paramref name="count"/> rows of <paramref name="block"/> (a catalogue reader's sink), filed by zone.</summary>
    public void Add(ExtractionBlock block, int count)
    {
        if (_ended) throw new InvalidOperationException("rows are added before the zones are read");
        for (int i = 0; i < count; i++)
        {
            double dec = block.Dec[i];
            if (!double.IsFinite(dec)) continue;   // within no radius of anything
            for (int z = ZoneOf(dec - _reachDeg), last = ZoneOf(dec + _reachDeg); z <= last; z++)
            {
                var buffer = _buffers[z] ??= new byte[FirstRows * _rowBytes];
                if (_buffered[z] * _rowBytes == buffer.Length) Array.Resize(ref _buffers[z], buffer.Length * 2);
                buffer = _buffers[z]!;
                var row = buffer.AsSpan(_buffered[z] * _rowBytes, _rowBytes);
                BinaryPrimitives.WriteDoubleLittleEndian(row, block.Ra[i]);
                BinaryPrimitives.WriteDoubleLittleEndian(row[8..], dec);
                BinaryPrimitives.WriteInt64LittleEndian(row[16..], block.ScanKey[i]);
                if (_rowBytes == SourceBytes)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(row[24..], block.Cntr[i]);
                    BinaryPrimitives.WriteInt64LittleEndian(row[32..], block.Line[i]);
                    BinaryPrimitives.WriteInt32LittleEndian(row[40..], block.FileIndex[i]);
                }
                Filed++;
                if (++_buffered[z] == FlushRows) Flush(z);
            }
        }
    }

    private void Flush(int z)
    {
        if (_buffered[z] == 0) return;
        var bytes = _buffers[z].AsSpan(0, _buffered[z] * _rowBytes);
        _extents[z].Add((_spill.Length, _buffered[z], XxHash3.HashToUInt64(bytes)));
        _spill.Append(bytes);
        _buffered[z] = 0;
    }

    /// <summary>Every row is filed: the zones may be read.</summary>
    public void EndWrites()
    {
        for (int z = 0; z < _buffers.Length; z++) Flush(z);
        Array.Clear(_buffers);
        _spill.EndWrites();
        _ended = true;
    }

    /// <summary>
    /// Every row filed, made durable, then the index of each zone's extents (written whole, under its own name): for a
    /// cluster's tasks and stitch, which open it with <see cref="Open"/>. The index never names bytes a power loss
    /// could take back.
    /// </summary>
    public void Save()
    {
        if (!_ended) throw new InvalidOperationException("the rows are saved once every row is filed");
        _spill.EndWritesDurably();
        WholeFile.WriteSealed(_path + IndexSuffix, file =>
        {
            using var w = new BinaryWriter(file, System.Text.Encoding.UTF8, leaveOpen: true);
            w.Write(IndexMagic);
            w.Write(_rowBytes);
            w.Write(_extents.Length);
            foreach (var zone in _extents)
            {
                w.Write(zone.Count);
                foreach (var (offset, rows, sum) in zone) { w.Write(offset); w.Write(rows); w.Write(sum); }
            }
        });
    }

    /// <summary>The rows a plan saved at <paramref name="path"/> (<see cref="Save"/>), for reading; disposing leaves them there.</summary>
    /// <exception cref="IOException">The rows or their index are missing, cut short or of another layout.</exception>
    public static ZoneCatalogue Open(string path)
    {
        string index = path + IndexSuffix;
        List<(long, int, ulong)>[] extents;
        int rowBytes;
        try
        {
            using var r = new BinaryReader(WholeFile.ReadSealed(index));
            if (r.ReadInt64() != IndexMagic || (rowBytes = r.ReadInt32()) is not (PositionBytes or SourceBytes))
                throw new IOException($"'{index}' is not an index of catalogue rows of this version of wdb");
            extents = new List<(long, int, ulong)>[r.ReadInt32()];
            for (int z = 0; z < extents.Length; z++)
            {
                int count = r.ReadInt32();
                extents[z] = new List<(long, int, ulong)>(count);
                for (int k = 0; k < count; k++) extents[z].Add((r.ReadInt64(), r.ReadInt32(), r.ReadUInt64()));
            }
        }
        catch (EndOfStreamException) { throw new IOException($"'{index}' ends early"); }
        var spill = SpillFile.OpenWritten(path);
        long end = extents.SelectMany(e => e).Select(x => x.Item1 + (long)x.Item2 * rowBytes).DefaultIfEmpty(0).Max();
        if (spill.Length < end)
        {
            spill.Dispose();
            throw new IOException($"'{path}' ends at byte {spill.Length:N0}, before the {end:N0} its index names");
        }
        return new ZoneCatalogue(path, rowBytes, spill, extents);
    }

    /// <summary>Zone <paramref name="zone"/>'s rows, in the order they were filed (with their cntr, line and file when kept).</summary>
    public CatalogueRows RowsOf(int zone)
    {
        if (!_ended) throw new InvalidOperationException("the zones are read once every row is filed");
        int n = _extents[zone].Sum(e => e.Rows);
        double[] ra = new double[n], dec = new double[n];
        long[] scan = new long[n], cntr = new long[n], line = new long[n];
        int[] file = new int[n];
        int at = 0;
        foreach (var (offset, rows, sum) in _extents[zone])
        {
            var bytes = new byte[rows * _rowBytes];
            _spill.Read(bytes, offset);
            if (XxHash3.HashToUInt64(bytes) != sum) throw _spill.Corrupted(offset, offset + bytes.Length);
            for (int k = 0; k < rows; k++, at++)
            {
                var row = bytes.AsSpan(k * _rowBytes, _rowBytes);
                ra[at] = BinaryPrimitives.ReadDoubleLittleEndian(row);
                dec[at] = BinaryPrimitives.ReadDoubleLittleEndian(row[8..]);
                scan[at] = BinaryPrimitives.ReadInt64LittleEndian(row[16..]);
                if (_rowBytes != SourceBytes) continue;
                cntr[at] = BinaryPrimitives.ReadInt64LittleEndian(row[24..]);
                line[at] = BinaryPrimitives.ReadInt64LittleEndian(row[32..]);
                file[at] = BinaryPrimitives.ReadInt32LittleEndian(row[40..]);
            }
        }
        return CatalogueRows.Of(ra, dec, scan, cntr, line, file);
    }

    /// <summary>
    /// The rows of every zone, zone by zone, that <paramref name="keep"/> holds (ra, dec): a row filed under two zones
    /// comes twice, which a match that asks whether any row lies within a radius does not notice.
    /// </summary>
    public CatalogueRows RowsWhere(Func<double, double, bool> keep)
    {
        var ra = new List<double>();
        var dec = new List<double>();
        var scan = new List<long>();
        for (int z = 0; z < Zones; z++)
        {
            var rows = RowsOf(z);
            for (int i = 0; i < rows.Count; i++)
            {
                if (!keep(rows.Ra[i], rows.Dec[i])) continue;
                ra.Add(rows.Ra[i]); dec.Add(rows.Dec[i]); scan.Add(rows.ScanKey[i]);
            }
        }
        return CatalogueRows.Of([.. ra], [.. dec], [.. scan], new long[ra.Count], new long[ra.Count], new int[ra.Count]);
    }

    public void Dispose() => _spill.Dispose();
}
