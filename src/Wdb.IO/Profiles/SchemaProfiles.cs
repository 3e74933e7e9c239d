namespace Wdb.IO;

/// <summary>
/// Column order of a headerless IRSA bulk file (`|`-delimited, `\N` nulls). Names are the
/// table's own column names, so the same name resolution (case-insensitive, unknown names
/// ignored) serves IPAC, CSV and bulk input alike.
/// </summary>
/// <param name="Name">The `--profile` name.</param>
/// <param name="Source">Where the column order came from, and how sure it is.</param>
public sealed record SchemaProfile(string Name, string Source, IReadOnlyList<string> Columns)
{
    public int ColumnCount => Columns.Count;
}

/// <summary>
/// Built-in bulk-file profiles. Column counts differ between profiles so that a bulk file
/// without `--profile` is matched by the field count of its first line.
/// </summary>
public static class SchemaProfiles
{
    // All-Sky Release PSC, 60 columns, in the order of the psc_*.gz bulk files described in
    // the Explanatory Supplement §II.2a ("2MASS All-Sky Data Release Point Source Catalog
    // Column Descriptions", ipac.caltech.edu/2mass/releases/allsky/doc/sec2_2a.html). The
    // stored copy of that page (and the WCSTools mirror tdc-www.harvard.edu/.../tmc.format)
    // confirms columns 1-7 (ra dec err_maj err_min err_ang designation j_m); the remainder
    // follows the release's documented grouping (photometry, quality, ids, extras) and is
    // from the release format as we know it, not re-read from the page. Column 29, the PSC's
    // own unique key `pts_key`, is named `cntr` here: it is the key the merge links back to.
    private static readonly string[] Psc =
    [
        "ra", "dec", "err_maj", "err_min", "err_ang", "designation",
        "j_m", "j_cmsig", "j_msigcom", "j_snr",
        "h_m", "h_cmsig", "h_msigcom", "h_snr",
        "k_m", "k_cmsig", "k_msigcom", "k_snr",
        "ph_qual", "rd_flg", "bl_flg", "cc_flg", "ndet",
        "prox", "pxpa", "pxcntr", "gal_contam", "mp_flg",
        "cntr" /* pts_key */, "hemis", "date", "scan", "glon", "glat", "x_scan", "jdate",
        "j_psfchi", "h_psfchi", "k_psfchi",
        "j_m_stdap", "j_msig_stdap", "h_m_stdap", "h_msig_stdap", "k_m_stdap", "k_msig_stdap",
        "dist_edge_ns", "dist_edge_ew", "dist_edge_flg", "dup_src", "use_src",
        "a", "dist_opt", "phi_opt", "b_m_opt", "vr_m_opt", "nopt_mchs",
        "ext_key", "scan_key", "coadd_key", "coadd",
    ];

    // Survey Point Source WDB: "Column Descriptions for the 2MASS Working Survey Point
    // Sources" (spider.ipac.caltech.edu/staff/roc/2mass/docs/formats/ptsrc.opsdb.format.html).
    // Columns 1-19 (cntr .. j_m) are as on that page. The stored copy ends at column 19;
    // columns 20 onward are NOT verified: they follow the PSC's photometric and quality
    // groups, then the observation time. The scan id is (hemis, date, scan): no scan_key.
    private static readonly string[] SurveyPswdb =
    [
        "cntr", "hemis", "date", "scan", "id", "ra", "dec", "glon", "glat", "x", "y", "z",
        "err_maj", "err_min", "err_ang", "x_scan", "y_scan", "cnf_flg",
        "j_m", "j_cmsig", "j_msigcom", "j_snr",
        "h_m", "h_cmsig", "h_msigcom", "h_snr",
        "k_m", "k_cmsig", "k_msigcom", "k_snr",
        "ph_qual", "rd_flg", "bl_flg", "cc_flg", "ndet",
        "prox", "pxpa", "pxcntr", "gal_contam", "mp_flg",
        "j_psfchi", "h_psfchi", "k_psfchi", "jdate",
    ];

    // Calibration Point Source WDB: Explanatory Supplement §A4.3a ("Calibration Point
    // Source Working Database", ipac.caltech.edu/2mass/releases/allsky/doc/seca4_3a.html),
    // whose order is that of the IRSA/Gator query page. The stored copy confirms the first
    // columns (ra dec err_maj err_min ...); the rest is NOT verified and follows the PSC
    // layout of the same release (photometry, quality flags, then cntr and the scan id).
    private static readonly string[] CalPswdb =
    [
        "ra", "dec", "err_maj", "err_min", "err_ang",
        "j_m", "j_cmsig", "j_msigcom", "j_snr",
        "h_m", "h_cmsig", "h_msigcom", "h_snr",
        "k_m", "k_cmsig", "k_msigcom", "k_snr",
        "ph_qual", "rd_flg", "bl_flg", "cc_flg", "ndet",
        "prox", "pxpa", "pxcntr", "gal_contam", "mp_flg",
        "cntr", "hemis", "date", "scan", "id", "glon", "glat", "x_scan", "jdate",
        "j_psfchi", "h_psfchi", "k_psfchi",
        "j_m_stdap", "j_msig_stdap", "h_m_stdap", "h_msig_stdap", "k_m_stdap", "k_msig_stdap",
        "dist_edge_ns", "dist_edge_ew", "dist_edge_flg", "dup_src", "use_src",
        "scan_key",
    ];

    // Extended Source WDB. The only stored page found is §A3.3b ("6x Extended Source Working
    // Database", seca3_3b.html), whose stored copy holds the introduction only (the table has
    // 389 columns); the column tables themselves could not be retrieved. This profile is a
    // best-effort subset (ids, positions, K20 fiducial-isophote photometry, shape, flags),
    // NOT the real file layout: give real XSWDB data as IPAC/CSV with a header instead.
    // `[jhk]_m_k20fe` / `[jhk]_msig_k20fe` stand in for `[jhk]_m` / sig (see ColumnMap).
    private static readonly string[] XscWdb =
    [
        "cntr", "ext_key", "hemis", "date", "scan", "id", "ra", "dec", "sup_ra", "sup_dec",
        "glon", "glat", "jdate",
        "j_m_k20fe", "j_msig_k20fe", "j_flg_k20fe",
        "h_m_k20fe", "h_msig_k20fe", "h_flg_k20fe",
        "k_m_k20fe", "k_msig_k20fe", "k_flg_k20fe",
        "r_k20fe", "k_ba", "k_phi", "cc_flg", "vc", "e_score", "g_score", "cat", "scan_key",
    ];

    // The synthetic generator's layout (our own; exact).
    private static readonly string[] Wdb =
    [
        "cntr", "scan_key", "ra", "dec", "err_maj", "err_min", "err_ang", "jdate",
        "j_m", "j_msigcom", "j_snr", "h_m", "h_msigcom", "h_snr", "k_m", "k_msigcom", "k_snr",
        "ph_qual", "rd_flg", "bl_flg", "cc_flg", "ndet", "truth",
    ];

    private static readonly SchemaProfile[] All =
    [
        new("cal-pswdb", "Explanatory Supplement A4.3a (partly verified)", Array.AsReadOnly(CalPswdb)),
        new("survey-pswdb", "ptsrc.opsdb.format (columns 1-19 verified)", Array.AsReadOnly(SurveyPswdb)),
        new("psc", "Explanatory Supplement II.2a, All-Sky PSC bulk files", Array.AsReadOnly(Psc)),
        new("xsc-wdb", "best-effort subset; real XSWDB layout not retrieved", Array.AsReadOnly(XscWdb)),
        new("wdb", "Wdb synthetic generator", Array.AsReadOnly(Wdb)),
    ];

    private static readonly string[] AllNames = Array.ConvertAll(All, p => p.Name);

    public static IReadOnlyList<string> Names => AllNames;

    public static IReadOnlyList<SchemaProfile> Profiles => All;

    /// <summary>The profile called <paramref name="name"/> (case-insensitive), or null.</summary>
    public static SchemaProfile? Find(string name)
    {
        foreach (var p in All)
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) return p;
        return null;
    }

    /// <summary>Column order of the profile called <paramref name="name"/>, or null when unknown.</summary>
    public static IReadOnlyList<string>? Columns(string name) => Find(name)?.Columns;

    /// <summary>Profiles whose column count is <paramref name="fieldCount"/>.</summary>
    public static List<SchemaProfile> WithColumnCount(int fieldCount)
    {
        var list = new List<SchemaProfile>();
        foreach (var p in All)
            if (p.ColumnCount == fieldCount) list.Add(p);
        return list;
    }

    /// <summary>"name (n columns), ..." for error messages.</summary>
    public static string Describe()
    {
        var parts = new string[All.Length];
        for (int i = 0; i < All.Length; i++) parts[i] = $"{All[i].Name} ({All[i].ColumnCount} columns)";
        return string.Join(", ", parts);
    }
}
