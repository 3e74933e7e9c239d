using Wdb.Core;

namespace Wdb.IO;

/// <summary>A group found by a cone search, with its distance from the cone's centre.</summary>
public sealed record ConeHit(double SepArcsec, GroupRecord Group);

/// <summary>
/// The merge output's look-ups as tables on a text stream (SPEC §5, access tools): a group's members
/// (`wdb members`) and the groups near a position (`wdb cone`), written as CSV or IPAC Table with the
/// columns `wdb export` writes (<see cref="TableColumns"/>), so a light curve or a cone goes straight into
/// TOPCAT, astropy or pandas.
/// </summary>
public static class Queries
{
    /// <summary>Largest cone radius (arcsec): one degree, beyond which a query is a bulk export.</summary>
    public const double MostConeArcsec = 3600;

    /// <summary>
    /// The members of each group in <paramref name="gcntrs"/>, then of the group of each extraction in
    /// <paramref name="cntrs"/>, in time order, as one table. A group named more than once (twice by gcntr, or by two
    /// of its members' cntr) is listed once, where first named: a light curve holds each point once. An unknown gcntr
    /// or cntr, or an extraction that is in no group (filtered), is an error and nothing is written.
    /// </summary>
    public static OutputError? Members(string dir, IReadOnlyList<long> gcntrs, IReadOnlyList<long> cntrs, bool ipac, TextWriter to,
        IReadOnlyList<string>? designations = null)
    {
        designations ??= [];
        if (gcntrs.Count + cntrs.Count + designations.Count == 0)
            return new OutputError("no group asked for: give gcntr values, --cntr of an extraction, or --designation");
        using var reader = OutputReader.TryOpen(dir, out var error);
        if (reader is null) return error;
        try
        {
            var groups = new List<long>(gcntrs);
            foreach (string name in designations)
            {
                if (Named(reader, name, out string? why) is not { } named) return new OutputError(why!);
                if (named.Count == 0) return new OutputError($"no group with designation {Coordinates.Canonical(name)} in '{dir}'");
                groups.AddRange(named.Select(h => h.Group.Gcntr).Order());
            }
            foreach (long cntr in cntrs)
            {
                if (reader.FindExtraction(cntr) is not ExtractionRecord x) return new OutputError($"no extraction with cntr {cntr} in '{dir}'");
                if (x.Gcntr < 0) return new OutputError($"extraction {cntr} is in no group: {RejectReasons.Name(x.Reason)}");
                groups.Add(x.Gcntr);
            }
            var rows = new List<MemberRecord>();
            var listed = new HashSet<long>();
            foreach (long gcntr in groups)
            {
                if (!listed.Add(gcntr)) continue;
                var members = reader.MembersOf(gcntr);
                if (members.Count == 0) return new OutputError($"no group with gcntr {gcntr} in '{dir}'{WhyNoGroup(reader, gcntr, _ => $"--cntr {gcntr} lists it")}");
                rows.AddRange(members);
            }
            Write(to, TableColumns.Members, "members", ipac, rows);
            return null;
        }
        catch (InvalidDataException e) { return new OutputError($"cannot read '{Shown.Path(dir)}': {e.Message}"); }
    }

    /// <summary>
    /// What a number that is no group's gcntr is instead, as the rest of a "no group with gcntr" line: a gcntr is the
    /// smallest cntr of its group, so another member's cntr, given as one, names no group. "" when it is no extraction's
    /// cntr either; <paramref name="instead"/> says, from the member's gcntr, what to type for its group.
    /// </summary>
    public static string WhyNoGroup(OutputReader reader, long gcntr, Func<long, string> instead) => reader.FindExtraction(gcntr) switch
    {
        { Gcntr: >= 0 } x => $": {gcntr} is the cntr of a member of group {x.Gcntr} ({instead(x.Gcntr)})",
        { } x => $": extraction {gcntr} is in no group ({RejectReasons.Name(x.Reason)})",
        null => "",
    };

    /// <summary>
    /// The groups whose weighted mean position lies within <paramref name="radiusArcsec"/> of (ra, dec), nearest
    /// first (gcntr between equals), at most <paramref name="limit"/> of them (0: all), as a table whose first
    /// column is the separation. A scan of groups.fb, its chunks decoded on every core.
    /// </summary>
    public static OutputError? Cone(string dir, double raDeg, double decDeg, double radiusArcsec, int limit, bool ipac, TextWriter to)
    {
        if (!(raDeg >= 0 && raDeg < 360) || !(decDeg >= -90 && decDeg <= 90))
            return new OutputError($"--ra must be in [0, 360) and --dec in [-90, 90] deg, got {raDeg}, {decDeg}");
        if (!(radiusArcsec > 0 && radiusArcsec <= MostConeArcsec))
            return new OutputError($"--radius must be in (0, {MostConeArcsec}] arcsec, got {radiusArcsec}");
        if (limit < 0) return new OutputError($"--limit must be 0 (all) or positive, got {limit}");
        using var reader = OutputReader.TryOpen(dir, out var error);
        if (reader is null) return error;
        List<ConeHit> hits;
        try { hits = reader.Cone(raDeg, decDeg, radiusArcsec); }
        catch (InvalidDataException e) { return new OutputError($"cannot read '{Shown.Path(dir)}': {e.Message}"); }
        Write(to, ConeColumns, "cone", ipac, limit > 0 ? hits.Take(limit) : hits);
        return null;
    }

    /// <summary>
    /// The groups a 2MASS designation names (`wdb cone --designation`): see <see cref="Named"/>; with their separation
    /// from the centre of the designation's cell.
    /// </summary>
    public static OutputError? ByDesignation(string dir, string designation, bool ipac, TextWriter to)
    {
        using var reader = OutputReader.TryOpen(dir, out var error);
        if (reader is null) return error;
        List<ConeHit> hits;
        try
        {
            if (Named(reader, designation, out string? why) is not { } named) return new OutputError(why!);
            hits = named;
        }
        catch (InvalidDataException e) { return new OutputError($"cannot read '{Shown.Path(dir)}': {e.Message}"); }
        Write(to, ConeColumns, "cone", ipac, hits);
        return null;
    }

    /// <summary>
    /// The groups whose designation is <paramref name="designation"/> (wdb's form, or the PSC's digits without the dots,
    /// "2MASS " before them or not), nearest the centre of the cell it names first: those within 0.2" of that centre
    /// (the cell is 0.01 s of time by 0.1", running from the designation's truncated digits away from RA 0h and from
    /// the equator) whose own designation is that one. Usually one; two groups may share a cell. Null and the reason
    /// when the text is no designation.
    /// </summary>
    public static List<ConeHit>? Named(OutputReader reader, string designation, out string? why)
    {
        if (Coordinates.ParseDesignation(designation, out why) is not var (ra, dec)) return null;
        string wanted = Coordinates.Canonical(designation)!;
        double raMid = ra + 0.075 / 3600.0, decMid = Math.Clamp(dec + (wanted[10] == '-' ? -0.05 : 0.05) / 3600.0, -90, 90);
        if (raMid >= 360) raMid -= 360;
        return reader.Cone(raMid, decMid, 0.2).Where(h => h.Group.Designation == wanted).ToList();
    }

    /// <summary>A group within the radius of one target of a list: the target (its file, line and position), then the hit.</summary>
    public sealed record TargetHit(string File, long Line, double Ra, double Dec, ConeHit Hit);

    /// <summary>Most targets a list may hold: a list is looked up target by target, a catalogue goes to `wdb associate`.</summary>
    public const int MostTargets = 1_000_000;

    /// <summary>
    /// `wdb cone --targets FILE...`: for each target of a list (any format the merge reads; ra and dec required), every
    /// group within <paramref name="radiusArcsec"/> of it, as `wdb cone` at its position gives them; targets in the
    /// order read, each target's groups nearest first. Read from sky.fb around each target; an output without sky.fb
    /// (written before it existed) is read whole once per target, so it takes at most 100 targets.
    /// </summary>
    /// <param name="limit">At most this many groups a target, nearest first (0: all).</param>
    /// <param name="log">Counts, which --quiet silences.</param>
    /// <param name="leftOut">
    /// Each list's rows left out (a line a file: the count, the first's file:line:column and reason), which --quiet must
    /// not silence: a target missing from the table looks like one with no group. Null: said through <paramref name="log"/>.
    /// </param>
    public static OutputError? Targets(string dir, IReadOnlyList<string> files, double radiusArcsec, int limit, bool ipac, TextWriter to,
        Action<string>? log = null, Action<string>? leftOut = null)
    {
        if (!(radiusArcsec > 0 && radiusArcsec <= MostConeArcsec))
            return new OutputError($"--radius must be in (0, {MostConeArcsec}] arcsec, got {radiusArcsec}");
        if (limit < 0) return new OutputError($"--limit must be 0 (all) or positive, got {limit}");
        if (InputPaths.Problem(files) is string inputProblem) return new OutputError(inputProblem);
        if (ipac && ColumnMaps.IpacPathProblem(files, "--targets") is string problem) return new OutputError(problem);
        using var reader = OutputReader.TryOpen(dir, out var error);
        if (reader is null) return error;
        var (targets, readError) = Associations.ExternalCatalogue.Read(files, radiusArcsec, leftOut ?? log);
        if (targets is null) return new OutputError(readError!);
        if (targets.Count > MostTargets) return new OutputError($"{targets.Count:N0} targets: at most {MostTargets:N0} (for a catalogue, wdb associate)");
        if (!reader.HasSkyIndex && targets.Count > 100)
            return new OutputError($"{dir} has no sky.fb (written before it existed): at most 100 targets are looked up by reading every group; merge again for more");
        List<ConeHit>[] perTarget;
        try { perTarget = reader.ConeEach(targets.Count, targets.PositionOf, radiusArcsec); }
        catch (InvalidDataException e) { return new OutputError($"cannot read '{Shown.Path(dir)}': {e.Message}"); }
        var rows = Enumerable.Range(0, targets.Count).SelectMany(t =>
        {
            var (file, line) = targets.SourceOf(t);
            var (ra, dec) = targets.PositionOf(t);
            return (limit > 0 ? perTarget[t].Take(limit) : perTarget[t]).Select(h => new TargetHit(file, line, ra, dec, h));
        });
        Write(to, TargetColumns.WithPaths("target_file", files), "cone", ipac, rows);
        log?.Invoke($"{perTarget.Count(p => p.Count > 0):N0} of {targets.Count:N0} targets have a group within {radiusArcsec}\"; " +
                    $"{perTarget.Sum(p => p.Count):N0} rows");
        return null;
    }

    /// <summary>The separation, then every column of the groups table.</summary>
    public static readonly IReadOnlyList<Column<ConeHit>> ConeColumns =
    [
        new Column<ConeHit>
        {
            Name = "sep_arcsec", Kind = ColumnKind.Double, Unit = "arcsec",
            Description = "separation of the group's weighted mean position from the cone's centre", Real = h => h.SepArcsec,
        },
        .. TableColumns.Groups.Select(c => c.Over((ConeHit h) => h.Group)),
    ];

    // After ConeColumns, which it reads: static fields are initialised in the order written.
    /// <summary>The target's file, line and position, then the columns of `wdb cone`.</summary>
    public static readonly IReadOnlyList<Column<TargetHit>> TargetColumns =
    [
        new Column<TargetHit> { Name = "target_file", Kind = ColumnKind.Text, Description = "the targets' file", String = h => h.File },
        new Column<TargetHit> { Name = "target_line", Kind = ColumnKind.Long, Description = "the target's line in that file", Integer = h => h.Line },
        new Column<TargetHit> { Name = "target_ra", Kind = ColumnKind.Double, Unit = "deg", Description = "the target's right ascension", Real = h => h.Ra },
        new Column<TargetHit> { Name = "target_dec", Kind = ColumnKind.Double, Unit = "deg", Description = "the target's declination", Real = h => h.Dec },
        .. ConeColumns.Select(c => c.Over((TargetHit h) => h.Hit)),
    ];

    /// <summary>A table of <paramref name="rows"/> as CSV or IPAC text, flushed (the look-ups' common output).</summary>
    internal static void Write<T>(TextWriter to, IReadOnlyList<Column<T>> columns, string table, bool ipac, IEnumerable<T> rows)
    {
        var text = new TableText<T>(columns, ipac);
        text.WriteHeader(to, table);
        foreach (var row in rows) text.WriteRow(to, row);
        to.Flush();
    }
}

internal static class ColumnMaps
{
    /// <summary>
    /// <paramref name="columns"/> with the text column <paramref name="name"/> as wide as the longest of
    /// <paramref name="paths"/> (a table's file column: its values are those paths); IPAC's columns are fixed before the rows.
    /// </summary>
    public static IReadOnlyList<Column<T>> WithPaths<T>(this IReadOnlyList<Column<T>> columns, string name, IReadOnlyList<string> paths) =>
        [.. columns.Select(c => c.Name != name ? c : new Column<T>
        {
            Name = c.Name, Kind = c.Kind, Unit = c.Unit, Description = c.Description, Ucd = c.Ucd, String = c.String,
            Width = paths.Select(p => p.Length).DefaultIfEmpty(0).Max(),
        })];

    /// <summary>Why <paramref name="paths"/> cannot fill a file column of an IPAC table; null when they can.</summary>
    public static string? IpacPathProblem(IReadOnlyList<string> paths, string option)
    {
        foreach (string path in paths)
            if (IpacPathProblem(path) is string why) return $"{option} '{path}': an IPAC table cannot hold {why}; --format csv, or rename it";
        return null;
    }

    // Fixed columns cannot hold a blank, nor a line end. STILTS (TOPCAT) cuts the columns at byte offsets, astropy
    // at character offsets, so a character beyond ASCII (é is two bytes of UTF-8) moves every later column of the row
    // for one of them: STILTS read a row of 'é星.csv' with no line, position or gcntr. And 'null' is the column's null value.
    private static string? IpacPathProblem(string path) =>
        path.Contains(' ') ? "a path with a blank"
        : path.Any(c => c < ' ' || c > '~') ? "a path with a character outside printable ASCII"
        : path == "null" ? "the path 'null', which it reads as its null value"
        : null;

    /// <summary>The column <paramref name="column"/> read from the <typeparamref name="T"/> inside each row.</summary>
    public static Column<TOuter> Over<T, TOuter>(this Column<T> column, Func<TOuter, T> inner) => new()
    {
        Name = column.Name, Kind = column.Kind, Unit = column.Unit, Description = column.Description,
        Integer = column.Integer is { } i ? o => i(inner(o)) : null,
        Real = column.Real is { } r ? o => r(inner(o)) : null,
        Single = column.Single is { } s ? o => s(inner(o)) : null,
        Character = column.Character is { } c ? o => c(inner(o)) : null,
        String = column.String is { } t ? o => t(inner(o)) : null,
    };
}
