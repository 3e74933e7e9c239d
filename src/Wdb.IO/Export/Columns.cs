using Wdb.Core;

namespace Wdb.IO;

/// <summary>Value kinds of exported columns; each has one text form in CSV, one IPAC type and one Parquet type.</summary>
public enum ColumnKind { Int, Long, Float, Double, Char, Text, Bool }

/// <summary>
/// One flat column of an exported table: name, kind, unit ("" when dimensionless) and meaning.
/// Exactly one getter, the one of <see cref="Kind"/>, is set.
/// </summary>
public sealed class Column<T>
{
    public required string Name { get; init; }
    public required ColumnKind Kind { get; init; }
    public string Unit { get; init; } = "";
    public required string Description { get; init; }
    /// <summary>The IVOA UCD (Unified Content Descriptor) of the column, where one says what tools should do with it; "" when none.</summary>
    public string Ucd { get; init; } = "";
    /// <summary>Characters an IPAC table gives the column's values, when they are known to be wider than the kind's (a file's path); 0: the kind's.</summary>
    public int Width { get; init; }
    internal Func<T, long>? Integer;     // Int, Long, Bool (0/1)
    internal Func<T, double>? Real;      // Double
    internal Func<T, float>? Single;     // Float
    internal Func<T, byte>? Character;   // Char: one ASCII flag character, 0 = absent
    internal Func<T, string>? String;    // Text
}

/// <summary>
/// The flat columns of the three tables as exported to CSV, IPAC and Parquet. Units: positions deg,
/// position errors and separations arcsec, magnitudes mag, proper motions mas/yr, times
/// Julian days (as in schema/wdb.fbs). Band columns are prefixed j_, h_, k_.
/// </summary>
public static class TableColumns
{
    private static Column<T> Long<T>(string name, string unit, string doc, Func<T, long> get, string ucd = "") =>
        new() { Name = name, Kind = ColumnKind.Long, Unit = unit, Description = doc, Integer = get, Ucd = ucd };
    private static Column<T> Int<T>(string name, string unit, string doc, Func<T, int> get) =>
        new() { Name = name, Kind = ColumnKind.Int, Unit = unit, Description = doc, Integer = r => get(r) };
    private static Column<T> Bool<T>(string name, string doc, Func<T, bool> get) =>
        new() { Name = name, Kind = ColumnKind.Bool, Description = doc, Integer = r => get(r) ? 1 : 0 };
    private static Column<T> Double<T>(string name, string unit, string doc, Func<T, double> get, string ucd = "") =>
        new() { Name = name, Kind = ColumnKind.Double, Unit = unit, Description = doc, Real = get, Ucd = ucd };
    private static Column<T> Float<T>(string name, string unit, string doc, Func<T, float> get) =>
        new() { Name = name, Kind = ColumnKind.Float, Unit = unit, Description = doc, Single = get };
    private static Column<T> Char<T>(string name, string doc, Func<T, byte> get) =>
        new() { Name = name, Kind = ColumnKind.Char, Description = doc, Character = get };
    private static Column<T> Text<T>(string name, string doc, Func<T, string> get) =>
        new() { Name = name, Kind = ColumnKind.Text, Description = doc, String = get };

    public static readonly IReadOnlyList<Column<GroupRecord>> Groups = BuildGroups();
    public static readonly IReadOnlyList<Column<MemberRecord>> Members = BuildMembers();
    public static readonly IReadOnlyList<Column<ExtractionRecord>> Extractions = BuildExtractions();

    /// <summary>The documentation of every exported column, as Markdown (the content of src/Wdb.IO/Export/COLUMNS.md).</summary>
    public static string Markdown()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("# Exported columns\n\n");
        sb.Append("`wdb export DIR --table groups|members|extractions --format csv|ipac|parquet --out FILE` writes\n");
        sb.Append("these columns, in this order. CSV: a header row, invariant culture, numbers in round-trip form,\n");
        sb.Append("NaN and absent flags as empty fields, booleans as 1/0. IPAC: the same columns with types and\n");
        sb.Append("units in the header rows and `null` for NaN. Parquet: int -> int32, long -> int64, bool ->\n");
        sb.Append("boolean, float -> float, double -> double, char and text -> string (UTF-8); float, double and\n");
        sb.Append("char columns are nullable (NaN and absent flags as null), the others required; Snappy-compressed\n");
        sb.Append($"row groups of at most {ParquetTable.MaxRowGroupRows.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} rows. Each column's unit, UCD and meaning are in the\n");
        sb.Append($"file's key-value metadata as VOParquet (IVOA Note 1.0: a VOTable under `{ParquetTable.VoParquetContentKey}`,\n");
        sb.Append("which TOPCAT, STILTS with its Parquet handler (Debian's build has none) and astropy's `parquet.votable`\n");
        sb.Append("format (it needs pyarrow) read), and again as JSON under\n");
        sb.Append($"`{ParquetTable.ColumnsKey}` (kind, unit, meaning), the table's name under `{ParquetTable.TableKey}`. UCDs: the main\n");
        sb.Append("position `pos.eq.ra;meta.main`, `pos.eq.dec;meta.main`, the row's id `meta.id;meta.main`.\n");
        sb.Append("CSV has no types: pandas' read_csv reads a flag column of digits (rd_flg, cc_flg 0) as numbers and, by\n");
        sb.Append("default, some 17-digit doubles off in the last digits; `dtype=str` for the char and text columns and\n");
        sb.Append("`float_precision=\"round_trip\"` read every value as written (tests/independent/export_readers.py checks).\n");
        sb.Append("The group statistics, with every edge case (no ellipse, no sigma, groups of one), are defined in\n");
        sb.Append("docs/confusion.md, \"Statistics\"; tests/independent/group_stats.py recomputes them from these words.\n");
        sb.Append("Generated from src/Wdb.IO/Export/Columns.cs;\n");
        sb.Append("the Output tests check it (run them with WDB_UPDATE_DOCS=1 to rewrite it).\n");
        Table(sb, "groups", "one row per final group (groups.fb), ordered by gcntr", Groups);
        Table(sb, "members", "one row per member of a group (members.fb), ordered by gcntr, then jdate (NaN last), then cntr", Members);
        Table(sb, "extractions", "one row per merged or filtered extraction (extractions.fb), ordered by cntr", Extractions);
        return sb.ToString();
    }

    private static void Table<T>(System.Text.StringBuilder sb, string name, string what, IReadOnlyList<Column<T>> columns)
    {
        sb.Append($"\n## {name}\n\n{char.ToUpperInvariant(what[0])}{what[1..]}.\n\n");
        sb.Append("| column | type | unit | meaning |\n|---|---|---|---|\n");
        foreach (var c in columns)
            sb.Append($"| {c.Name} | {c.Kind.ToString().ToLowerInvariant()} | {c.Unit} | {c.Description.Replace("|", "\\|")} |\n");
    }

    private static List<Column<GroupRecord>> BuildGroups()
    {
        var c = new List<Column<GroupRecord>>
        {
            Long<GroupRecord>("gcntr", "", "group id: smallest member cntr", r => r.Gcntr, "meta.id;meta.main"),
            Long<GroupRecord>("cgid", "", "candidate group (friends-of-friends component) id", r => r.Cgid),
            Bool<GroupRecord>("confused", "1 when one scan gave the candidate group two or more extractions (then split, unless unresolved)", r => r.Confused),
            Int<GroupRecord>("candidate_size", "", "members of the candidate group", r => r.CandidateSize),
            Int<GroupRecord>("n_members", "", "members of the group", r => r.NMembers),
            Int<GroupRecord>("n_scans", "", "distinct scans among members", r => r.NScans),
            Int<GroupRecord>("sdet", "", "distinct scans with a member detected in at least one band", r => r.Sdet),
            Int<GroupRecord>("spos", "", "scans whose footprint covers (ra_w, dec_w), and any scan that detected the group: spos >= sdet", r => r.Spos),
            Double<GroupRecord>("ra_w", "deg", "weighted mean RA (J2000): per-axis inverse-variance mean of the members' offsets in the tangent plane at (ra, dec), weights from the error ellipse", r => r.RaW, "pos.eq.ra;meta.main"),
            Double<GroupRecord>("dec_w", "deg", "weighted mean Dec (J2000), as ra_w", r => r.DecW, "pos.eq.dec;meta.main"),
            Float<GroupRecord>("sig_ra_w", "arcsec", "uncertainty of ra_w along RA*cos(dec): 1/sqrt(sum of the east weights)", r => r.SigRaW),
            Float<GroupRecord>("sig_dec_w", "arcsec", "uncertainty of dec_w: 1/sqrt(sum of the north weights)", r => r.SigDecW),
            Double<GroupRecord>("ra", "deg", "unweighted mean RA: the normalised mean of the members' unit vectors", r => r.Ra),
            Double<GroupRecord>("dec", "deg", "unweighted mean Dec, as ra", r => r.Dec),
            Float<GroupRecord>("rms_sep", "arcsec", "sqrt(mean over members of the squared separation from (ra_w, dec_w)); 0 for one member", r => r.RmsSep),
            Text<GroupRecord>("designation", "IAU-style designation Jhhmmss.ss+ddmmss.s of (ra_w, dec_w), truncated", r => r.Designation),
        };
        foreach (Band band in new[] { Band.J, Band.H, Band.K })
        {
            string p = Bands.Names[(int)band] + "_";
            c.Add(Int<GroupRecord>(p + "ndet", "", "members detected in the band: a magnitude not null, not a placeholder (<= -90, >= 90), rd_flg digit not 0, ph_qual not U or X", r => r[band].NDet));
            c.Add(Int<GroupRecord>(p + "nnondet", "", "members not detected in the band (null, placeholder, upper limit, ph_qual X): n_members - ndet", r => r[band].NNonDet));
            c.Add(Float<GroupRecord>(p + "magw", "mag", "mean of the detections with a positive sigma (n_w of them), weights 1/sigma^2; NaN when n_w = 0", r => r[band].MagW));
            c.Add(Float<GroupRecord>(p + "magw_err", "mag", "1/sqrt(sum of the weights)", r => r[band].MagWErr));
            c.Add(Float<GroupRecord>(p + "mag", "mag", "unweighted mean of the detections, with or without a sigma", r => r[band].Mag));
            c.Add(Float<GroupRecord>(p + "rms", "mag", "rms of the detections about the unweighted mean, divided by ndet; 0 for one", r => r[band].Rms));
            c.Add(Float<GroupRecord>(p + "chi2", "", "sum of ((m - magw) / sigma)^2 over the n_w weighted detections; 0 for one", r => r[band].Chi2));
            c.Add(Float<GroupRecord>(p + "red_chi2", "", "chi2 / (n_w - 1), n_w the detections with a positive sigma; NaN for n_w < 2", r => r[band].RedChi2));
            c.Add(Float<GroupRecord>(p + "min", "mag", "smallest (brightest) detected magnitude", r => r[band].Min));
            c.Add(Float<GroupRecord>(p + "max", "mag", "largest (faintest) detected magnitude", r => r[band].Max));
        }
        c.AddRange(new[]
        {
            Float<GroupRecord>("stetson_j", "", "Stetson (1996) J from each member's simultaneous J/H/Ks residuals about magw (docs/confusion.md); NaN when no band has n_w >= 2", r => r.StetsonJ),
            Float<GroupRecord>("stetson_k", "", "Stetson K: mean |delta| / sqrt(mean delta^2) over every residual of every band", r => r.StetsonK),
            Float<GroupRecord>("sf_amp", "mag", "median of |m_i - m_(i + 2^q)| over each band's detections in time order, pooled over bands; NaN without a pair", r => r.SfAmp),
            Int<GroupRecord>("pm_status", "", "the first that applies: 1 under 3 members, 3 no member with a jdate, 1 under 3 with one, 2 baseline under 30 d, 4 times degenerate; else 0 fitted", r => (int)r.PmStatus),
            Float<GroupRecord>("pm_ra", "mas/yr", "proper motion in RA, mu_ra * cos(dec): slope of a weighted straight line of the east offsets against jdate; NaN unless fitted", r => r.PmRa),
            Float<GroupRecord>("pm_dec", "mas/yr", "proper motion in Dec, as pm_ra along north", r => r.PmDec),
            Float<GroupRecord>("pm_ra_err", "mas/yr", "formal uncertainty of pm_ra, 1/sqrt(sum w (t - t_w)^2), not scaled by chi^2", r => r.PmRaErr),
            Float<GroupRecord>("pm_dec_err", "mas/yr", "formal uncertainty of pm_dec, as pm_ra_err", r => r.PmDecErr),
            Float<GroupRecord>("pm_chi2", "", "chi^2 of both axes about their lines (2 n - 4 degrees of freedom)", r => r.PmChi2),
            Double<GroupRecord>("mean_jdate", "d", "mean Julian date of the members with one; NaN when none", r => r.MeanJDate),
            Float<GroupRecord>("baseline_days", "d", "last minus first member Julian date; NaN when none has one", r => r.BaselineDays),
            Int<GroupRecord>("cc_mask", "", "OR over members' J/H/Ks cc_flg characters of bits 1 p, 2 d, 4 s, 8 b, 16 c (either case), 32 any other character but 0, 64 an upper-case P, D, S, B or C", r => r.CcMask),
            Int<GroupRecord>("n_flagged", "", "members with a cc_flg character other than 0 in any band", r => r.NFlagged),
            Bool<GroupRecord>("mixed_flags", "1 when some members are flagged and some clean", r => r.MixedFlags),
            Bool<GroupRecord>("unresolved", "1 when the group is confused but was too dense to split (kept whole)", r => r.Unresolved),
        });
        return c;
    }

    private static List<Column<MemberRecord>> BuildMembers()
    {
        var c = new List<Column<MemberRecord>>
        {
            Long<MemberRecord>("gcntr", "", "group id", r => r.Gcntr),
            Long<MemberRecord>("cntr", "", "extraction id in the input table", r => r.Cntr, "meta.id;meta.main"),
            Long<MemberRecord>("scan_key", "", "scan identity: the input's scan_key, or a survey row's (hemis, date, scan) as (yymmdd * 2 + h) * 1000000 + scan, h = 0 for N, 1 for S", r => r.ScanKey),
            Double<MemberRecord>("jdate", "d", "Julian date of the observation", r => r.JDate),
            Double<MemberRecord>("ra", "deg", "RA (J2000)", r => r.Ra, "pos.eq.ra;meta.main"),
            Double<MemberRecord>("dec", "deg", "Dec (J2000)", r => r.Dec, "pos.eq.dec;meta.main"),
            Float<MemberRecord>("err_maj", "arcsec", "error ellipse semi-major axis", r => r.ErrMaj),
            Float<MemberRecord>("err_min", "arcsec", "error ellipse semi-minor axis", r => r.ErrMin),
            Float<MemberRecord>("err_ang", "deg", "error ellipse position angle, E of N", r => r.ErrAng),
        };
        foreach (Band band in new[] { Band.J, Band.H, Band.K })
        {
            string p = Bands.Names[(int)band] + "_";
            c.Add(Float<MemberRecord>(p + "mag", "mag", "default magnitude", r => r[band].Mag));
            c.Add(Float<MemberRecord>(p + "sig", "mag", "total magnitude uncertainty: msigcom, or cmsig where msigcom is null or absent", r => r[band].Sig));
            c.Add(Float<MemberRecord>(p + "snr", "", "signal-to-noise ratio", r => r[band].Snr));
            c.Add(Char<MemberRecord>(p + "ph_qual", "photometric quality flag", r => r[band].PhQual));
            c.Add(Char<MemberRecord>(p + "rd_flg", "read flag (0 = upper limit)", r => r[band].RdFlg));
            c.Add(Char<MemberRecord>(p + "cc_flg", "artifact contamination flag", r => r[band].CcFlg));
            c.Add(Bool<MemberRecord>(p + "detected", "1 when a detection, 0 for a null, a placeholder, an upper limit or ph_qual X", r => r[band].Detected));
        }
        c.Add(Int<MemberRecord>("reliability", "", "reliability score 0 (worst) .. 9 (best); 255 not scored", r => r.Reliability));
        return c;
    }

    private static List<Column<ExtractionRecord>> BuildExtractions() =>
    [
        Long<ExtractionRecord>("cntr", "", "extraction id in the input table", r => r.Cntr, "meta.id;meta.main"),
        Long<ExtractionRecord>("cgid", "", "candidate group id; -1 when not merged", r => r.Cgid),
        Long<ExtractionRecord>("gcntr", "", "final group id; -1 when not merged", r => r.Gcntr),
        Float<ExtractionRecord>("sep_arcsec", "arcsec", "separation from the group's weighted mean position; 0 in a group of one", r => r.SepArcsec),
        Int<ExtractionRecord>("reliability", "", "reliability score 0 (worst) .. 9 (best); 255 not scored", r => r.Reliability),
        Text<ExtractionRecord>("reason", "none for merged rows, else the filter that removed the row", r => RejectReasons.Name(r.Reason)),
        Int<ExtractionRecord>("file_index", "", "index of the input file in summary.json inputs", r => r.FileIndex),
        Long<ExtractionRecord>("line", "", "1-based line in the input file", r => r.Line),
    ];
}
