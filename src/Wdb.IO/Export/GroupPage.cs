using System.Text;
using Wdb.Core;

namespace Wdb.IO;

/// <summary>
/// The local web page of `wdb plot`: a group's main values, its light curve and sky plot
/// inline (the page is one self-contained file: no script, no style sheet or font fetched), and
/// a table of its members. Written as polyglot HTML5: it also parses as XML (every element
/// closed, only XML's five escapes, numeric character references), so tools and tests can read
/// it back. All text from the data is escaped (<see cref="Markup.Escape"/>).
/// </summary>
public static class GroupPage
{
    /// <summary>The page; <paramref name="lightCurveSvg"/> and <paramref name="skySvg"/> are the documents of <see cref="GroupPlots"/>, <paramref name="source"/> the merge output it was read from.</summary>
    public static string Html(GroupRecord g, IReadOnlyList<MemberRecord> members, LightCurveData lightCurve,
        string lightCurveSvg, string skySvg, string source, Neighbourhood? neighbours = null)
    {
        var sb = new StringBuilder(16_384 + lightCurveSvg.Length + skySvg.Length + members.Count * 400);
        string name = g.Designation.Length > 0 ? $"{g.Gcntr} ({g.Designation})" : g.Gcntr.ToString();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
        sb.Append($"<title>wdb group {Markup.Escape(name)}</title>\n");
        sb.Append("<style>\n").Append(Style).Append("</style>\n</head>\n<body>\n");
        sb.Append($"<h1>Group {g.Gcntr}{(g.Designation.Length > 0 ? $" <span class=\"designation\">{Markup.Escape(g.Designation)}</span>" : "")}</h1>\n");

        Summary(sb, g);
        BandTable(sb, g);

        sb.Append("<h2>Light curve</h2>\n<figure>\n").Append(lightCurveSvg);
        string note = GroupPlots.LightCurveNote(lightCurve);
        sb.Append($"<figcaption>J, H and Ks magnitudes against Julian date, with \u00B11\u03C3 error bars; downward triangles are 95% upper limits (fainter than drawn).{(note.Length > 0 ? " " + Markup.Escape(note) + "." : "")}</figcaption>\n</figure>\n");
        sb.Append("<h2>Sky</h2>\n<figure>\n").Append(skySvg);
        string others = neighbours is null ? "" : $" Open squares are the weighted means of the other groups within {Markup.Num(neighbours.RadiusArcsec, 1)}\u2033, in purple those split from the same candidate group by confusion.";
        sb.Append($"<figcaption>Members' offsets from the group's weighted mean position on the tangent plane, in arcsec: east to the left, north up, the same scale on both axes; ellipses are the 1\u03C3 position errors.{others}</figcaption>\n</figure>\n");

        MemberTable(sb, g, members);
        if (neighbours is not null) NeighbourTable(sb, g, neighbours);
        sb.Append($"<p class=\"source\">Written by wdb plot from {Markup.Escape(source)}.</p>\n</body>\n</html>\n");
        return sb.ToString();
    }

    private const string Style =
        "body { font-family: sans-serif; margin: 1.5em; color: #222; }\n" +
        "h1 .designation { font-weight: normal; color: #555; }\n" +
        "table { border-collapse: collapse; margin: 0.5em 0 1.5em; }\n" +
        "th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; }\n" +
        "td.num { text-align: right; font-variant-numeric: tabular-nums; }\n" +
        "td.limit { color: #777; }\n" +
        "table.summary th { text-align: left; background: #f4f4f4; }\n" +
        "figure { margin: 0 0 1.5em; }\n figcaption { color: #555; font-size: 0.9em; max-width: 60em; }\n" +
        ".source { color: #777; font-size: 0.85em; }\n";

    /// <summary>The group's main values (groups.fb; units as in COLUMNS.md).</summary>
    private static void Summary(StringBuilder sb, GroupRecord g)
    {
        var rows = new List<(string Name, string Value)>
        {
            ("gcntr", g.Gcntr.ToString()),
            ("designation", g.Designation),
            ("position (weighted mean)", $"RA {Value(g.RaW, 6, "\u00B0")}{PlusMinus(g.SigRaW, 3, "\u2033")}, Dec {Value(g.DecW, 6, "\u00B0")}{PlusMinus(g.SigDecW, 3, "\u2033")}"),
            ("position (unweighted mean)", $"RA {Value(g.Ra, 6, "\u00B0")}, Dec {Value(g.Dec, 6, "\u00B0")}"),
            ("rms separation", Value(g.RmsSep, 3, "\u2033")),
            ("members, scans", $"{g.NMembers} members in {g.NScans} scans"),
            ("confirmation", $"detected in {g.Sdet} of {g.Spos} scans covering the position (sdet/spos)"),
            ("candidate group", $"cgid {g.Cgid}, {g.CandidateSize} extractions{(g.Confused ? ", confused and split" : "")}{(g.Unresolved ? ", unresolved (kept whole)" : "")}"),
            ("time", double.IsFinite(g.MeanJDate) ? $"mean JD {Value(g.MeanJDate, 5)}, baseline {Value(g.BaselineDays, 2, " d")}" : "no times"),
            ("variability", Variability(g)),
            ("proper motion", g.PmStatus == MotionStatus.Fitted
                ? $"\u03BC\u03B1 cos \u03B4 {Markup.Num(g.PmRa, 1)} \u00B1 {Markup.Num(g.PmRaErr, 1)}, \u03BC\u03B4 {Markup.Num(g.PmDec, 1)} \u00B1 {Markup.Num(g.PmDecErr, 1)} mas/yr (\u03C7\u00B2 {Value(g.PmChi2, 2)})"
                : $"not fitted: {MotionText(g.PmStatus)}"),
            ("artifact flags", $"{g.NFlagged} flagged members, cc_mask {g.CcMask}{(g.MixedFlags ? ", mixed" : "")}"),
        };
        sb.Append("<table class=\"summary\">\n");
        foreach (var (n, v) in rows)
            if (v.Length > 0) sb.Append($"<tr><th>{Markup.Escape(n)}</th><td>{Markup.Escape(v)}</td></tr>\n");
        sb.Append("</table>\n");
    }

    // A missing value (NaN) is a dash, or the sentence says why there is none: never a unit alone ("baseline  d").
    private const string Dash = "\u2014";

    /// <summary>A value and its unit, or a dash for a missing one.</summary>
    private static string Value(double v, int decimals, string unit = "") => double.IsFinite(v) ? Markup.Num(v, decimals) + unit : Dash;

    /// <summary>" ± σ" with its unit, or nothing when σ is missing.</summary>
    private static string PlusMinus(double sigma, int decimals, string unit) => double.IsFinite(sigma) ? $" \u00B1 {Markup.Num(sigma, decimals)}{unit}" : "";

    /// <summary>Stetson J and K and the structure-function amplitude; "no detections" for a group without one in any band (each is then NaN).</summary>
    private static string Variability(GroupRecord g)
    {
        bool detected = false;
        for (int b = 0; b < Bands.Count; b++) detected |= g[(Band)b].NDet > 0;
        return detected
            ? $"Stetson J {Value(g.StetsonJ, 3)}, Stetson K {Value(g.StetsonK, 3)}, structure-function amplitude {Value(g.SfAmp, 3, " mag")}"
            : "no detections";
    }

    private static string MotionText(MotionStatus s) => s switch
    {
        MotionStatus.TooFewMembers => "too few members",
        MotionStatus.BaselineTooShort => "baseline too short",
        MotionStatus.NoTimes => "no times",
        MotionStatus.Degenerate => "degenerate fit",
        _ => s.ToString(),
    };

    /// <summary>Per band photometry of the group: detections only in the means (COLUMNS.md).</summary>
    private static void BandTable(StringBuilder sb, GroupRecord g)
    {
        sb.Append("<table class=\"bands\">\n<thead><tr><th>band</th><th>detections</th><th>non-detections</th><th>weighted mean (mag)</th><th>mean (mag)</th><th>rms (mag)</th><th>reduced \u03C7\u00B2</th><th>brightest</th><th>faintest</th></tr></thead>\n<tbody>\n");
        for (int b = 0; b < Bands.Count; b++)
        {
            var s = g[(Band)b];
            string weighted = float.IsFinite(s.MagW) ? $"{Markup.Num(s.MagW, 3)}{PlusMinus(s.MagWErr, 3, "")}" : "";
            sb.Append($"<tr><th>{GroupPlots.BandLabels[b]}</th>{Cell(s.NDet.ToString())}{Cell(s.NNonDet.ToString())}{Cell(weighted)}{Cell(Markup.Num(s.Mag, 3))}{Cell(Markup.Num(s.Rms, 3))}{Cell(Markup.Num(s.RedChi2, 2))}{Cell(Markup.Num(s.Min, 3))}{Cell(Markup.Num(s.Max, 3))}</tr>\n");
        }
        sb.Append("</tbody>\n</table>\n");
    }

    /// <summary>One row per member (members.fb order: time, then cntr). Flags are the three characters J, H, Ks as in the 2MASS tables.</summary>
    private static void MemberTable(StringBuilder sb, GroupRecord g, IReadOnlyList<MemberRecord> members)
    {
        var (ra0, dec0) = GroupPlots.CentreOf(g);
        sb.Append($"<h2>Members ({members.Count})</h2>\n<table class=\"members\">\n<thead><tr><th>cntr</th><th>scan</th><th>Julian date</th><th>RA (deg)</th><th>Dec (deg)</th><th>sep (arcsec)</th>");
        sb.Append("<th>J (mag)</th><th>J err</th><th>H (mag)</th><th>H err</th><th>Ks (mag)</th><th>Ks err</th><th>ph_qual</th><th>rd_flg</th><th>cc_flg</th><th>reliability</th></tr></thead>\n<tbody>\n");
        foreach (var m in members)
        {
            sb.Append($"<tr class=\"member\" data-cntr=\"{m.Cntr}\">{Cell(m.Cntr.ToString())}{Cell(m.ScanKey.ToString())}{Cell(Markup.Num(m.JDate, 5))}");
            sb.Append($"{Cell(Markup.Num(m.Ra, 6))}{Cell(Markup.Num(m.Dec, 6))}{Cell(Markup.Num(Sky.SeparationArcsec(ra0, dec0, m.Ra, m.Dec), 3))}");
            for (int b = 0; b < Bands.Count; b++)
            {
                var band = m[(Band)b];
                switch (GroupPlots.KindOf(band))
                {
                    case PointKind.Detection:
                        sb.Append(Cell(Markup.Num(band.Mag, 3))).Append(Cell(Markup.Num(band.Sig, 3)));
                        break;
                    case PointKind.UpperLimit:
                        // A 95% upper limit on the flux: the magnitude is fainter than this.
                        sb.Append($"<td class=\"num limit\">&gt;{Markup.Num(band.Mag, 3)}</td>").Append(Cell(""));
                        break;
                    default:
                        sb.Append(Cell("")).Append(Cell(""));
                        break;
                }
            }
            // An absent flag shows as '-' beside present ones, so each character stays in its band's place.
            string Flags(Func<MemberBandRecord, byte> flag) =>
                flag(m.J) == 0 && flag(m.H) == 0 && flag(m.K) == 0 ? ""
                : string.Concat(new[] { m.J, m.H, m.K }.Select(b => flag(b) == 0 ? "-" : Markup.Flag(flag(b))));
            sb.Append($"<td>{Markup.Escape(Flags(b => b.PhQual))}</td><td>{Markup.Escape(Flags(b => b.RdFlg))}</td><td>{Markup.Escape(Flags(b => b.CcFlg))}</td>");
            sb.Append(Cell(m.Reliability == 255 ? "" : m.Reliability.ToString())).Append("</tr>\n");
        }
        sb.Append("</tbody>\n</table>\n");
    }

    /// <summary>The other groups around this one, nearest first: what could have been linked to it, or was split from it.</summary>
    private static void NeighbourTable(StringBuilder sb, GroupRecord g, Neighbourhood n)
    {
        sb.Append($"<h2>Other groups within {Markup.Num(n.RadiusArcsec, 1)}\u2033 ({n.Groups.Count})</h2>\n");
        if (n.Groups.Count == 0) return;
        sb.Append("<table class=\"neighbours\">\n<thead><tr><th>gcntr</th><th>designation</th><th>sep (arcsec)</th><th>members</th><th>cgid</th><th>J (mag)</th><th>H (mag)</th><th>Ks (mag)</th></tr></thead>\n<tbody>\n");
        foreach (var h in n.Groups)
        {
            var o = h.Group;
            string cgid = o.Cgid == g.Cgid ? $"{o.Cgid} (the same: split by confusion)" : o.Cgid.ToString();
            sb.Append($"<tr class=\"neighbour\" data-gcntr=\"{o.Gcntr}\">{Cell(o.Gcntr.ToString())}<td>{Markup.Escape(o.Designation)}</td>{Cell(Markup.Num(h.SepArcsec, 3))}{Cell(o.NMembers.ToString())}<td>{Markup.Escape(cgid)}</td>");
            for (int b = 0; b < Bands.Count; b++) sb.Append(Cell(Markup.Num(o[(Band)b].MagW, 3)));
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody>\n</table>\n");
    }

    private static string Cell(string text) => $"<td class=\"num\">{Markup.Escape(text)}</td>";
}
