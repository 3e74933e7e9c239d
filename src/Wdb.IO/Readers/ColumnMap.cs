namespace Wdb.IO.Readers;

/// <summary>Which <see cref="Wdb.Core.ExtractionBlock"/> column an input field feeds.</summary>
internal enum Target : byte
{
    None, Cntr, ScanKey, Scan, Date, Hemis, Ra, Dec, ErrMaj, ErrMin, ErrAng, JDate,
    Mag, MsigCom, Cmsig, Snr, PhQual, RdFlg, BlFlg, CcFlg, Ndet, Prox, MpFlg, GalContam, Truth,
}

/// <summary>One input field that is read: its index in the row, target, band and name.</summary>
internal readonly record struct Slot(int Field, Target Target, int Band, string Name, bool Required);

/// <summary>
/// The mapping from a table's column names (header or profile) to block columns. Names
/// match case-insensitively; unknown names are ignored. Built once per file, then used for
/// every row: <see cref="Slots"/> are in field order so a row is decoded left to right and
/// the first bad field on the line is the one reported.
/// </summary>
internal sealed class ColumnMap
{
    public required Slot[] Slots;
    public required int FieldCount;
    /// <summary>Every field's column name (trimmed; <see cref="RowDecoder.Printable"/>), read or not: a reject can name the column it is about.</summary>
    public required string[] ColumnNames;
    /// <summary>The scan id comes from (hemis, date, scan) rather than `scan_key`.</summary>
    public bool SurveyScanId;
    /// <summary>An extended-source table: its magnitudes are the XSC's K20 fiducial-isophote ones (`[jhk]_m_k20fe`), it has no `[jhk]_m`.</summary>
    public bool ExtendedSources;
    /// <summary>Per band: a `[jhk]_msigcom` column exists (preferred for Sig over `cmsig`).</summary>
    public readonly bool[] HasMsigCom = new bool[3];
    public readonly bool[] HasCmsig = new bool[3];

    private readonly record struct Known(Target Target, int Band, int Priority);

    // Priority 0 = the spec's name; 1 = an accepted stand-in used only when the spec name is
    // absent (`decl` for dec; the XSC K20 fiducial-isophote magnitude and its uncertainty for
    // extended-source tables, which have no [jhk]_m).
    private static readonly Dictionary<string, Known> Names = BuildNames();

    private static Dictionary<string, Known> BuildNames()
    {
        var d = new Dictionary<string, Known>(StringComparer.OrdinalIgnoreCase)
        {
            ["cntr"] = new(Target.Cntr, 0, 0),
            ["scan_key"] = new(Target.ScanKey, 0, 0),
            ["scan"] = new(Target.Scan, 0, 0),
            ["date"] = new(Target.Date, 0, 0),
            ["hemis"] = new(Target.Hemis, 0, 0),
            ["ra"] = new(Target.Ra, 0, 0),
            ["dec"] = new(Target.Dec, 0, 0),
            ["decl"] = new(Target.Dec, 0, 1),
            ["err_maj"] = new(Target.ErrMaj, 0, 0),
            ["err_min"] = new(Target.ErrMin, 0, 0),
            ["err_ang"] = new(Target.ErrAng, 0, 0),
            ["jdate"] = new(Target.JDate, 0, 0),
            ["ph_qual"] = new(Target.PhQual, 0, 0),
            ["rd_flg"] = new(Target.RdFlg, 0, 0),
            ["bl_flg"] = new(Target.BlFlg, 0, 0),
            ["cc_flg"] = new(Target.CcFlg, 0, 0),
            ["ndet"] = new(Target.Ndet, 0, 0),
            ["prox"] = new(Target.Prox, 0, 0),
            ["mp_flg"] = new(Target.MpFlg, 0, 0),
            ["gal_contam"] = new(Target.GalContam, 0, 0),
            ["truth"] = new(Target.Truth, 0, 0),
        };
        string[] bands = ["j", "h", "k"];
        for (int b = 0; b < 3; b++)
        {
            d[bands[b] + "_m"] = new(Target.Mag, b, 0);
            d[bands[b] + "_msigcom"] = new(Target.MsigCom, b, 0);
            d[bands[b] + "_cmsig"] = new(Target.Cmsig, b, 0);
            d[bands[b] + "_snr"] = new(Target.Snr, b, 0);
            d[bands[b] + "_m_k20fe"] = new(Target.Mag, b, 1);
            d[bands[b] + "_msig_k20fe"] = new(Target.Cmsig, b, 1);
        }
        return d;
    }

    /// <summary>Maps <paramref name="names"/>; on a missing required column returns null and the error text.</summary>
    public static ColumnMap? Build(IReadOnlyList<string> names, out string? error) => Build(names, TableKind.Extractions, out error);

    /// <summary>
    /// As <see cref="Build(IReadOnlyList{string}, out string?)"/> for a table of <paramref name="kind"/>: a catalogue has
    /// only its position (and scan id) required, and nothing else is read from it but its cntr.
    /// </summary>
    public static ColumnMap? Build(IReadOnlyList<string> names, TableKind kind, out string? error) => Build(names, kind, out error, out _);

    /// <summary>
    /// As <see cref="Build(IReadOnlyList{string}, TableKind, out string?)"/>; <paramref name="errorAt"/> is the name the
    /// error is about (0-based), or -1 when it is about no one name (a missing column).
    /// </summary>
    public static ColumnMap? Build(IReadOnlyList<string> names, TableKind kind, out string? error, out int errorAt)
    {
        errorAt = -1;
        var trimmed = new string[names.Count];
        for (int i = 0; i < trimmed.Length; i++) trimmed[i] = names[i].Trim();
        bool catalogue = kind != TableKind.Extractions, scans = kind != TableKind.CataloguePositions;
        // Best (lowest priority, then first) field for each (target, band).
        var chosen = new Dictionary<(Target, int), (int Field, int Priority)>();
        for (int i = 0; i < names.Count; i++)
        {
            if (!Names.TryGetValue(names[i].Trim(), out var k)) continue;
            var key = (k.Target, k.Band);
            if (!chosen.TryGetValue(key, out var prev) || k.Priority < prev.Priority)
                chosen[key] = (i, k.Priority);
        }

        bool Has(Target t) => chosen.ContainsKey((t, 0));
        string? missing = null;
        if (!Has(Target.Cntr) && !catalogue) missing = "cntr";
        else if (!Has(Target.Ra)) missing = "ra";
        else if (!Has(Target.Dec)) missing = "dec";
        bool survey = false;
        if (missing is null && !Has(Target.ScanKey) && scans)
        {
            if (!Has(Target.Scan) && !Has(Target.Date) && !Has(Target.Hemis)) missing = "scan_key' (or 'scan' + 'date' + 'hemis')";
            else if (!Has(Target.Scan)) missing = "scan";
            else if (!Has(Target.Date)) missing = "date";
            else if (!Has(Target.Hemis)) missing = "hemis";
            else survey = true;
        }
        if (missing is not null)
        {
            string quoted = missing.EndsWith(')') ? $"'{missing}" : $"'{missing}'";
            error = $"missing required column {quoted} (have: {string.Join(", ", trimmed.Select(RowDecoder.Printable))})";
            return null;
        }

        var slots = new List<Slot>(chosen.Count);
        bool extended = false;
        foreach (var ((target, _), (_, priority)) in chosen)
            extended |= target == Target.Mag && priority > 0;
        var map = new ColumnMap
        {
            Slots = [], FieldCount = names.Count, ColumnNames = Array.ConvertAll(trimmed, RowDecoder.Printable), SurveyScanId = survey, ExtendedSources = extended,
        };
        foreach (var ((target, band), (field, _)) in chosen)
        {
            // With scan_key present the survey triple is not read at all (no spurious rejects).
            if (!survey && target is Target.Scan or Target.Date or Target.Hemis) continue;
            if (survey && target == Target.ScanKey) continue;
            bool scanId = target is Target.ScanKey or Target.Scan or Target.Date or Target.Hemis;
            // A catalogue's photometry and flags are not read: a value there that would not parse loses no row.
            if (catalogue && !(target is Target.Ra or Target.Dec or Target.Cntr || scans && scanId)) continue;
            bool required = target is Target.Ra or Target.Dec || scans && scanId || !catalogue && target == Target.Cntr;
            if (target == Target.MsigCom) map.HasMsigCom[band] = true;
            if (target == Target.Cmsig) map.HasCmsig[band] = true;
            slots.Add(new Slot(field, target, band, names[field].Trim(), required));
        }
        slots.Sort((a, b) => a.Field.CompareTo(b.Field));
        // A column read from the table, named twice (names match case-insensitively: 'RA' and 'ra'),
        // is ambiguous: which one holds the values is a guess. A column not read may repeat.
        foreach (var slot in slots)
        {
            for (int i = slot.Field + 1; i < names.Count; i++)
            {
                if (!names[i].Trim().Equals(slot.Name, StringComparison.OrdinalIgnoreCase)) continue;
                string twice = names[i].Trim() == slot.Name ? "" : $": '{RowDecoder.Printable(slot.Name)}' and '{RowDecoder.Printable(names[i].Trim())}'";
                error = $"column '{slot.Name}' is named twice, columns {slot.Field + 1} and {i + 1}{twice} (wdb reads it: name it once)";
                errorAt = i;
                return null;
            }
        }
        map.Slots = slots.ToArray();
        error = null;
        return map;
    }
}
