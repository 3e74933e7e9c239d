using Wdb.Core;

namespace Wdb.IO;

/// <summary>
/// A merged group's association with an external catalogue (SPEC §4, external associations): the candidates within
/// the radius of the group's weighted mean position, and the nearest of them (file, line and cntr when the
/// catalogue has one; its position; the separation). NaN and -1 when there is no candidate.
/// </summary>
public sealed record Association(GroupRecord Group, int Candidates, string ExtFile, long ExtLine, long ExtCntr,
    double ExtRa, double ExtDec, double SepArcsec);

/// <summary>
/// `wdb associate`: every group of a merge output against an external catalogue given in any input format the merge
/// reads (only `ra` and `dec` required: <see cref="ReadOptions.PositionsOnly"/>), nearest within a radius, with the
/// separation and the count of candidates. The catalogue is held in declination zones one radius tall, each sorted by
/// RA; each group looks at the zones its radius reaches and, in each, the RA window its radius spans at that
/// declination (across RA 0/360, and whole zones near the poles).
/// </summary>
public static class Associations
{
    /// <summary>Largest radius (arcsec): associations, not a bulk cross-match of everything with everything.</summary>
    public const double MostRadiusArcsec = 600;

    /// <summary>Associates every group of <paramref name="dir"/> (only those with a candidate unless <paramref name="all"/>) and writes the table.</summary>
    public static OutputError? Write(string dir, IReadOnlyList<string> catalogues, double radiusArcsec, bool all, bool ipac, TextWriter to,
        Action<string>? log = null)
    {
        if (!(radiusArcsec > 0 && radiusArcsec <= MostRadiusArcsec))
            return new OutputError($"--radius must be in (0, {MostRadiusArcsec}] arcsec, got {radiusArcsec}");
        if (catalogues.Count == 0) return new OutputError("no external catalogue given");
        if (InputPaths.Problem(catalogues) is string inputProblem) return new OutputError(inputProblem);
        using var reader = OutputReader.TryOpen(dir, out var error);
        if (reader is null) return error;
        var (catalogue, readError) = ExternalCatalogue.Read(catalogues, radiusArcsec, log);
        if (catalogue is null) return new OutputError(readError!);
        List<(GroupRecord Group, Nearest Found)> found;
        try { found = reader.FindGroups((ra, dec) => catalogue.Nearest(ra, dec, radiusArcsec) is var n && (n.Candidates > 0 || all) ? n : (Nearest?)null); }
        catch (InvalidDataException e) { return new OutputError($"cannot read '{dir}': {e.Message}"); }
        Queries.Write(to, Columns, "associations", ipac, found.Select(f => catalogue.Describe(f.Group, f.Found)));
        log?.Invoke($"{found.Count(f => f.Found.Candidates > 0):N0} of {reader.GroupCount:N0} groups have a counterpart within {radiusArcsec}\" " +
                    $"among {catalogue.Count:N0} catalogue rows");
        return null;
    }

    /// <summary>The candidates of one position: how many, and the nearest (its row in the catalogue, -1 for none).</summary>
    public readonly record struct Nearest(int Candidates, int Row, double SepArcsec);

    /// <summary>An external catalogue's rows in declination zones, each zone sorted by RA (ties by file and line).</summary>
    public sealed class ExternalCatalogue
    {
        private readonly double[] _ra, _dec;
        private readonly long[] _cntr, _line;
        private readonly int[] _file;
        private readonly int[] _zoneStart;
        private readonly double _zoneDeg;
        private readonly IReadOnlyList<string> _paths;

        public int Count => _ra.Length;

        private ExternalCatalogue(ExtractionBlock rows, double radiusArcsec, IReadOnlyList<string> paths)
        {
            _paths = paths;
            // Zones one radius tall (at least 1"): a query looks at three of them, or two.
            _zoneDeg = Math.Max(radiusArcsec, 1.0) / 3600.0;
            int zones = ZoneOf(90.0) + 1;
            int n = rows.Count;
            var order = Enumerable.Range(0, n).ToArray();
            var zone = new int[n];
            for (int i = 0; i < n; i++) zone[i] = ZoneOf(rows.Dec[i]);
            Array.Sort(order, (a, b) =>
            {
                int c = zone[a].CompareTo(zone[b]);
                if (c == 0) c = rows.Ra[a].CompareTo(rows.Ra[b]);
                if (c == 0) c = rows.FileIndex[a].CompareTo(rows.FileIndex[b]);
                return c != 0 ? c : rows.Line[a].CompareTo(rows.Line[b]);
            });
            _ra = order.Select(i => rows.Ra[i]).ToArray();
            _dec = order.Select(i => rows.Dec[i]).ToArray();
            _cntr = order.Select(i => rows.Cntr[i]).ToArray();
            _line = order.Select(i => rows.Line[i]).ToArray();
            _file = order.Select(i => rows.FileIndex[i]).ToArray();
            _zoneStart = new int[zones + 1];
            foreach (int i in order) _zoneStart[zone[i] + 1]++;
            for (int z = 0; z < zones; z++) _zoneStart[z + 1] += _zoneStart[z];
        }

        private int ZoneOf(double dec) => Math.Clamp((int)Math.Floor((dec + 90.0) / _zoneDeg), 0, (int)Math.Ceiling(180.0 / _zoneDeg));

        /// <summary>Every catalogue file read whole (its bad rows counted and said, not fatal), or the first fatal error.</summary>
        public static (ExternalCatalogue? Catalogue, string? Error) Read(IReadOnlyList<string> paths, double radiusArcsec, Action<string>? log = null)
        {
            var rows = new ExtractionBlock(1 << 12);
            for (int f = 0; f < paths.Count; f++)
            {
                var read = ExtractionReader.Read(paths[f], f, new ReadOptions(PositionsOnly: true), rows);
                if (read.Error is not null) return (null, read.Error.ToString());
                if (read.Rejects.Count > 0)
                {
                    var first = read.Rejects[0];
                    log?.Invoke($"{paths[f]}: {read.Rejects.Count:N0} of {read.RowsRead:N0} rows left out, the first at line {first.Line}: {first.Detail}");
                }
            }
            return (new ExternalCatalogue(rows, radiusArcsec, paths), null);
        }

        /// <summary>The candidates within <paramref name="radiusArcsec"/> of (ra, dec) and the nearest (the first in (file, line) between equals).</summary>
        public Nearest Nearest(double raDeg, double decDeg, double radiusArcsec)
        {
            double r = radiusArcsec / 3600.0;
            int count = 0, best = -1;
            double bestSep = double.NaN;
            // RA half-width of the cone at the declination farthest from the equator it reaches; whole zones near a pole.
            double far = Math.Min(90.0, Math.Abs(decDeg) + r);
            double halfWidth = far >= 89.999 ? 360.0 : r / Math.Cos(far * Math.PI / 180.0) + 1e-9;
            for (int z = ZoneOf(decDeg - r), last = ZoneOf(decDeg + r); z <= last; z++)
            {
                int lo = _zoneStart[z], hi = _zoneStart[z + 1];
                if (lo == hi) continue;
                if (halfWidth >= 180.0) Scan(lo, hi);
                else
                {
                    double from = raDeg - halfWidth, to = raDeg + halfWidth;
                    if (from < 0) { Window(from + 360.0, 360.0); Window(0.0, to); }
                    else if (to >= 360.0) { Window(from, 360.0); Window(0.0, to - 360.0); }
                    else Window(from, to);

                    void Window(double a, double b) => Scan(LowerBound(lo, hi, a), LowerBound(lo, hi, Math.BitIncrement(b)));
                }
            }
            return new Nearest(count, best, bestSep);

            void Scan(int from, int to)
            {
                for (int i = from; i < to; i++)
                {
                    double sep = Sky.SeparationArcsec(raDeg, decDeg, _ra[i], _dec[i]);
                    if (!(sep <= radiusArcsec)) continue;
                    count++;
                    if (best < 0 || sep < bestSep || sep == bestSep && (_file[i], _line[i]).CompareTo((_file[best], _line[best])) < 0)
                    {
                        best = i;
                        bestSep = sep;
                    }
                }
            }
        }

        /// <summary>The first row of [lo, hi) whose RA is not below <paramref name="ra"/>.</summary>
        private int LowerBound(int lo, int hi, double ra)
        {
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (_ra[mid] < ra) lo = mid + 1; else hi = mid;
            }
            return lo;
        }

        public Association Describe(GroupRecord group, Nearest n) => n.Row < 0
            ? new Association(group, 0, "", -1, -1, double.NaN, double.NaN, double.NaN)
            : new Association(group, n.Candidates, _paths[_file[n.Row]], _line[n.Row], _cntr[n.Row], _ra[n.Row], _dec[n.Row], n.SepArcsec);
    }

    /// <summary>The table's columns: the group's id and position, the candidates, the nearest.</summary>
    public static readonly IReadOnlyList<Column<Association>> Columns =
    [
        Long("gcntr", "", "group id (smallest member cntr)", a => a.Group.Gcntr),
        Real("ra_w", "deg", "group's weighted mean right ascension", a => a.Group.RaW),
        Real("dec_w", "deg", "group's weighted mean declination", a => a.Group.DecW),
        Long("n_members", "", "extractions in the group", a => a.Group.NMembers),
        Long("n_candidates", "", "catalogue rows within the radius", a => a.Candidates),
        Real("sep_arcsec", "arcsec", "separation of the nearest candidate (empty when none)", a => a.SepArcsec),
        new Column<Association> { Name = "ext_file", Kind = ColumnKind.Text, Description = "catalogue file of the nearest candidate", String = a => a.ExtFile },
        Long("ext_line", "", "its line in that file (-1 when none)", a => a.ExtLine),
        Long("ext_cntr", "", "its cntr column (0 when the catalogue has none; -1 when no candidate)", a => a.ExtCntr),
        Real("ext_ra", "deg", "its right ascension", a => a.ExtRa),
        Real("ext_dec", "deg", "its declination", a => a.ExtDec),
    ];

    private static Column<Association> Long(string name, string unit, string doc, Func<Association, long> get) =>
        new() { Name = name, Kind = ColumnKind.Long, Unit = unit, Description = doc, Integer = get };

    private static Column<Association> Real(string name, string unit, string doc, Func<Association, double> get) =>
        new() { Name = name, Kind = ColumnKind.Double, Unit = unit, Description = doc, Real = get };
}
