using System.Text;
using Wdb.Core;

namespace Wdb.IO;

/// <summary>How one member's magnitude in one band is drawn on the light curve.</summary>
public enum PointKind
{
    /// <summary>A detection: a filled marker with a ±1 sigma error bar.</summary>
    Detection,
    /// <summary>A 95% upper limit (rd_flg '0' or ph_qual 'U' with a magnitude): a downward triangle at the limit, the source is fainter.</summary>
    UpperLimit,
    /// <summary>No value to draw: a null magnitude, a sentinel (&lt;= -90) or ph_qual 'X' (detected, no valid brightness).</summary>
    NoValue,
}

/// <summary>One band of one member on the light curve: Julian date (d), magnitude and its error (mag).</summary>
public readonly record struct LightCurvePoint(long Cntr, Band Band, double JDate, float Mag, float Sig, PointKind Kind);

/// <summary>
/// The light curve of a group: the points to draw, members left out for want of a time, and per
/// band the non-detections with no limit value (drawn nowhere, said in the note).
/// </summary>
public sealed record LightCurveData(IReadOnlyList<LightCurvePoint> Points, int NoTime, int[] NoValue);

/// <summary>Another group's weighted mean relative to the plotted group's on the tangent plane (arcsec), its separation, and whether confusion split it from the same candidate group.</summary>
public sealed record NeighbourOffset(long Gcntr, double East, double North, double SepArcsec, bool SameCandidate);

/// <summary>A member's position relative to the group mean on the tangent plane (arcsec) and its error ellipse.</summary>
public readonly record struct SkyOffset(long Cntr, double East, double North, float ErrMaj, float ErrMin, float ErrAng);

/// <summary>
/// The two plots of `wdb plot` as SVG text, from a group and its members (plain records, as
/// <see cref="OutputReader"/> returns them). Each plot is a pipeline of small pure steps:
/// records -> points or offsets (<see cref="LightCurveOf"/>, <see cref="SkyOffsetsOf"/>) ->
/// axes (<see cref="LightCurveAxes"/>, <see cref="SkyAxes"/>, from <see cref="PlotGeometry"/>)
/// -> SVG. Markers carry <c>class</c> and <c>data-cntr</c> so a reader (or a test) can find a
/// member's marker; coordinates are pixels with at most two decimals.
/// </summary>
public static class GroupPlots
{
    /// <summary>The light curve's pixel box; the legend sits in the right margin, the note under the axis label.</summary>
    public static readonly PlotFrame LightCurveFrame = new(Width: 800, Height: 440, Left: 72, Top: 20, Right: 640, Bottom: 370);

    /// <summary>The sky plot's pixel box: a square data area, so both axes have the same arcsec per pixel.</summary>
    public static readonly PlotFrame SkyFrame = new(Width: 640, Height: 500, Left: 70, Top: 20, Right: 490, Bottom: 440);

    /// <summary>Band colours (Okabe and Ito's palette, told apart with colour-vision deficiency too), J, H, K.</summary>
    public static readonly string[] BandColours = ["#0072B2", "#009E73", "#D55E00"];

    /// <summary>Band names as shown to people: 2MASS's third band is Ks (short K), "k" in column names.</summary>
    public static readonly string[] BandLabels = ["J", "H", "Ks"];

    private const int TargetTicks = 6;
    private const double MarkerRadius = 3.5, LimitHalfSize = 5;

    // ---- light curve ----

    /// <summary>
    /// How a band is drawn, from the member's stored detection (<see cref="Bands.IsDetection"/>,
    /// decided at merge time) and flags: a non-detection with a real magnitude and an upper-limit
    /// flag (rd_flg '0' or ph_qual 'U') is a 95% upper limit (2MASS-NOTES.md); any other
    /// non-detection has no value to draw.
    /// </summary>
    public static PointKind KindOf(MemberBandRecord b)
    {
        if (b.Detected) return PointKind.Detection;
        bool limitFlag = b.RdFlg == (byte)'0' || b.PhQual == (byte)'U';
        return limitFlag && b.Mag > -90f && b.Mag < 90f ? PointKind.UpperLimit : PointKind.NoValue;
    }

    /// <summary>The points of the light curve: members without a Julian date are left out and counted, as are values with nothing to draw.</summary>
    public static LightCurveData LightCurveOf(IReadOnlyList<MemberRecord> members)
    {
        var points = new List<LightCurvePoint>();
        int noTime = 0;
        var noValue = new int[Bands.Count];
        foreach (var m in members)
        {
            if (!double.IsFinite(m.JDate)) { noTime++; continue; }
            for (int b = 0; b < Bands.Count; b++)
            {
                var band = m[(Band)b];
                var kind = KindOf(band);
                if (kind == PointKind.NoValue) noValue[b]++;
                else points.Add(new LightCurvePoint(m.Cntr, (Band)b, m.JDate, band.Mag, band.Sig, kind));
            }
        }
        return new LightCurveData(points, noTime, noValue);
    }

    /// <summary>
    /// The light curve's axes: time padded by 5% of its span (half a day each side for one
    /// epoch), magnitude over the error bars and limits padded by 5% (half a magnitude for one
    /// value), each widened to whole ticks (<see cref="PlotGeometry.NiceRange"/>). Faint is
    /// down: the magnitude axis puts its low (bright) end at the top. Null when there is no point.
    /// </summary>
    public static (TickRange Time, TickRange Mag, PlotAxis X, PlotAxis Y)? LightCurveAxes(LightCurveData data, PlotFrame f)
    {
        if (data.Points.Count == 0) return null;
        double t0 = double.PositiveInfinity, t1 = double.NegativeInfinity, m0 = double.PositiveInfinity, m1 = double.NegativeInfinity;
        foreach (var p in data.Points)
        {
            t0 = Math.Min(t0, p.JDate); t1 = Math.Max(t1, p.JDate);
            double sig = p.Kind == PointKind.Detection && float.IsFinite(p.Sig) && p.Sig > 0 ? p.Sig : 0;
            m0 = Math.Min(m0, p.Mag - sig); m1 = Math.Max(m1, p.Mag + sig);
        }
        var (tLo, tHi) = PlotGeometry.Pad(t0, t1, 0.05, 0.5);
        var (mLo, mHi) = PlotGeometry.Pad(m0, m1, 0.05, 0.5);
        var time = PlotGeometry.NiceRange(tLo, tHi, TargetTicks);
        var mag = PlotGeometry.NiceRange(mLo, mHi, TargetTicks);
        return (time, mag, new PlotAxis(time.Lo, time.Hi, f.Left, f.Right), new PlotAxis(mag.Lo, mag.Hi, f.Top, f.Bottom));
    }

    /// <summary>
    /// A round number (a multiple of 1000 d) subtracted from the tick labels of Julian dates so
    /// they stay short ("1095.5", not "2451095.5"); 0 for times under 10,000 (already short).
    /// </summary>
    public static double JDateLabelOffset(double jdLo) => jdLo >= 10_000 ? Math.Floor(jdLo / 1000) * 1000 : 0;

    /// <summary>The light curve as an SVG document: J, H, K magnitude against Julian date.</summary>
    public static string LightCurveSvg(long gcntr, LightCurveData data)
    {
        var f = LightCurveFrame;
        var svg = new SvgWriter(f, $"Light curve of group {gcntr}: J, H and Ks magnitude against Julian date");
        var axes = LightCurveAxes(data, f);
        if (axes is null)
        {
            svg.Frame();
            svg.Text((f.Left + f.Right) / 2, (f.Top + f.Bottom) / 2, "no magnitude with a time to plot", "middle", "class=\"empty\"");
        }
        else
        {
            var (time, mag, x, y) = axes.Value;
            double offset = JDateLabelOffset(time.Lo);
            svg.Grid(time, x, mag, y, v => time.Label(v - offset), mag.Label);
            string timeLabel = offset == 0 ? "Julian date (d)" : $"Julian date \u2212 {Markup.Num(offset, 0)} (d)";
            svg.AxisLabels(timeLabel, "magnitude (mag), brighter up");
            foreach (var p in data.Points)
            {
                string colour = BandColours[(int)p.Band], band = Bands.Names[(int)p.Band], shown = BandLabels[(int)p.Band];
                double px = x.ToPixel(p.JDate), py = y.ToPixel(p.Mag);
                string tip = p.Kind == PointKind.Detection
                    ? $"cntr {p.Cntr}, {shown} = {Markup.Num(p.Mag, 3)}{(float.IsFinite(p.Sig) ? " \u00B1 " + Markup.Num(p.Sig, 3) : "")} mag at JD {Markup.Num(p.JDate, 5)}"
                    : $"cntr {p.Cntr}, {shown} fainter than {Markup.Num(p.Mag, 3)} mag (95% upper limit) at JD {Markup.Num(p.JDate, 5)}";
                if (p.Kind == PointKind.Detection)
                {
                    if (float.IsFinite(p.Sig) && p.Sig > 0)
                        svg.Raw($"<line class=\"err band-{band}\" x1=\"{Markup.Px(px)}\" y1=\"{Markup.Px(y.ToPixel(p.Mag - p.Sig))}\" x2=\"{Markup.Px(px)}\" y2=\"{Markup.Px(y.ToPixel(p.Mag + p.Sig))}\" stroke=\"{colour}\" stroke-width=\"1.2\"/>");
                    svg.Raw($"<circle class=\"det band-{band}\" data-cntr=\"{p.Cntr}\" cx=\"{Markup.Px(px)}\" cy=\"{Markup.Px(py)}\" r=\"{MarkerRadius}\" fill=\"{colour}\"><title>{Markup.Escape(tip)}</title></circle>");
                }
                else
                {
                    svg.Raw($"<polygon class=\"limit band-{band}\" data-cntr=\"{p.Cntr}\" points=\"{DownTriangle(px, py, LimitHalfSize)}\" fill=\"white\" stroke=\"{colour}\" stroke-width=\"1.5\"><title>{Markup.Escape(tip)}</title></polygon>");
                }
            }
        }
        LightCurveLegend(svg, f);
        string note = LightCurveNote(data);
        if (note.Length > 0) svg.Text(f.Left, f.Height - 8, note, "start", "class=\"note\" font-size=\"11\" fill=\"#555\"");
        return svg.Finish();
    }

    /// <summary>What the light curve leaves out, in one line ("" when nothing is).</summary>
    public static string LightCurveNote(LightCurveData data)
    {
        var parts = new List<string>();
        if (data.NoTime > 0) parts.Add($"{data.NoTime} member{(data.NoTime == 1 ? "" : "s")} without a time not shown");
        int noValue = data.NoValue.Sum();
        if (noValue > 0)
            parts.Add($"non-detections without a limit value not shown: J {data.NoValue[0]}, H {data.NoValue[1]}, Ks {data.NoValue[2]}");
        return string.Join("; ", parts);
    }

    /// <summary>
    /// A triangle pointing down (towards fainter on the inverted axis: the source is fainter than
    /// the limit) whose bounding box is centred on (x, y), 2 * half pixels wide and tall.
    /// </summary>
    public static string DownTriangle(double x, double y, double half) =>
        $"{Markup.Px(x - half)},{Markup.Px(y - half)} {Markup.Px(x + half)},{Markup.Px(y - half)} {Markup.Px(x)},{Markup.Px(y + half)}";

    private static void LightCurveLegend(SvgWriter svg, PlotFrame f)
    {
        double lx = f.Right + 18, ly = f.Top + 14;
        string[] labels = ["J (1.25 \u00B5m)", "H (1.65 \u00B5m)", "Ks (2.16 \u00B5m)"];
        for (int b = 0; b < Bands.Count; b++, ly += 20)
        {
            svg.Raw($"<circle class=\"legend\" cx=\"{Markup.Px(lx)}\" cy=\"{Markup.Px(ly)}\" r=\"{MarkerRadius}\" fill=\"{BandColours[b]}\"/>");
            svg.Text(lx + 10, ly + 4, labels[b], "start", "class=\"legend\"");
        }
        ly += 6;
        svg.Raw($"<polygon class=\"legend\" points=\"{DownTriangle(lx, ly, LimitHalfSize)}\" fill=\"white\" stroke=\"#333\" stroke-width=\"1.5\"/>");
        svg.Text(lx + 10, ly + 4, "upper limit (95%)", "start", "class=\"legend\"");
        ly += 20;
        svg.Raw($"<line class=\"legend\" x1=\"{Markup.Px(lx)}\" y1=\"{Markup.Px(ly - 6)}\" x2=\"{Markup.Px(lx)}\" y2=\"{Markup.Px(ly + 6)}\" stroke=\"#333\" stroke-width=\"1.2\"/>");
        svg.Text(lx + 10, ly + 4, "\u00B11\u03C3 error", "start", "class=\"legend\"");
    }

    // ---- sky ----

    /// <summary>
    /// The position the sky plot is centred on: the group's inverse-variance weighted mean
    /// (ra_w, dec_w; what separations in extractions.fb are measured from), or the unweighted
    /// mean when the weighted one is not finite (members without error ellipses).
    /// </summary>
    public static (double Ra, double Dec) CentreOf(GroupRecord g) =>
        double.IsFinite(g.RaW) && double.IsFinite(g.DecW) ? (g.RaW, g.DecW) : (g.Ra, g.Dec);

    /// <summary>Members' offsets from (ra0, dec0) on the tangent plane (arcsec); members without a finite offset are left out.</summary>
    public static IReadOnlyList<SkyOffset> SkyOffsetsOf(double ra0, double dec0, IReadOnlyList<MemberRecord> members)
    {
        var list = new List<SkyOffset>(members.Count);
        foreach (var m in members)
        {
            var (e, n) = PlotGeometry.TangentOffsetArcsec(ra0, dec0, m.Ra, m.Dec);
            if (double.IsFinite(e) && double.IsFinite(n)) list.Add(new SkyOffset(m.Cntr, e, n, m.ErrMaj, m.ErrMin, m.ErrAng));
        }
        return list;
    }

    /// <summary>How far the members reach from the centre on either axis (arcsec): the farthest offset plus its error semi-major axis.</summary>
    public static double MembersReach(IReadOnlyList<SkyOffset> offsets)
    {
        double r = 0;
        foreach (var o in offsets)
        {
            double err = float.IsFinite(o.ErrMaj) && o.ErrMaj > 0 ? o.ErrMaj : 0;
            r = Math.Max(r, Math.Max(Math.Abs(o.East), Math.Abs(o.North)) + err);
        }
        return r;
    }

    /// <summary>
    /// How far around a group the sky plot shows other groups (arcsec): twice the members' reach, at least 6"
    /// (three linking lengths: the groups confusion split off, and those just beyond the link) and at most 60".
    /// </summary>
    public static double NeighbourRadiusArcsec(IReadOnlyList<SkyOffset> offsets) => Math.Clamp(2 * MembersReach(offsets), 6.0, 60.0);

    /// <summary>Other groups' weighted means as offsets from (ra0, dec0) (arcsec), in the order given; those without a finite offset are left out.</summary>
    public static IReadOnlyList<NeighbourOffset> NeighbourOffsetsOf(double ra0, double dec0, long cgid, IReadOnlyList<ConeHit> neighbours)
    {
        var list = new List<NeighbourOffset>(neighbours.Count);
        foreach (var h in neighbours)
        {
            var (e, n) = PlotGeometry.TangentOffsetArcsec(ra0, dec0, h.Group.RaW, h.Group.DecW);
            if (double.IsFinite(e) && double.IsFinite(n)) list.Add(new NeighbourOffset(h.Group.Gcntr, e, n, h.SepArcsec, h.Group.Cgid == cgid));
        }
        return list;
    }

    /// <summary>
    /// The sky plot's axes: one symmetric range [-R, R] for both (R the members' reach, or the farthest
    /// neighbour's offset, times 1.1, at least 0.3"), widened to whole ticks, on the square data area: east
    /// (positive East) to the left, north up, equal arcsec per pixel.
    /// </summary>
    public static (TickRange Range, PlotAxis X, PlotAxis Y) SkyAxes(IReadOnlyList<SkyOffset> offsets, PlotFrame f,
        IReadOnlyList<NeighbourOffset>? neighbours = null)
    {
        double r = MembersReach(offsets);
        foreach (var o in neighbours ?? []) r = Math.Max(r, Math.Max(Math.Abs(o.East), Math.Abs(o.North)));
        r = Math.Max(1.1 * r, 0.3);
        var range = PlotGeometry.NiceRange(-r, r, TargetTicks);
        return (range, new PlotAxis(range.Lo, range.Hi, f.Right, f.Left), new PlotAxis(range.Lo, range.Hi, f.Bottom, f.Top));
    }

    /// <summary>
    /// The sky plot as an SVG document: members' offsets from the group mean, with their 1 sigma error ellipses, and the
    /// weighted means of the other groups nearby (<paramref name="neighbours"/>) as open squares, those split from the
    /// same candidate group by confusion in their own colour.
    /// </summary>
    public static string SkySvg(GroupRecord group, IReadOnlyList<SkyOffset> offsets, IReadOnlyList<NeighbourOffset>? neighbours = null)
    {
        var f = SkyFrame;
        neighbours ??= [];
        var svg = new SvgWriter(f, $"Sky plot of group {group.Gcntr}: members' offsets from the group mean, east left, north up");
        var (range, x, y) = SkyAxes(offsets, f, neighbours);
        svg.Grid(range, x, range, y, range.Label, range.Label);
        svg.AxisLabels("offset east, \u0394\u03B1 cos \u03B4 (arcsec; east to the left)", "offset north, \u0394\u03B4 (arcsec)");
        foreach (var o in neighbours)
        {
            double cx = x.ToPixel(o.East), cy = y.ToPixel(o.North);
            string tip = $"group {o.Gcntr}{(o.SameCandidate ? " (split from the same candidate group)" : "")}: {Markup.Num(o.SepArcsec, 3)}\u2033 away";
            svg.Raw($"<rect class=\"{(o.SameCandidate ? "sibling" : "neighbour")}\" data-gcntr=\"{o.Gcntr}\" x=\"{Markup.Px(cx - NeighbourHalfSize)}\" y=\"{Markup.Px(cy - NeighbourHalfSize)}\" width=\"{2 * NeighbourHalfSize}\" height=\"{2 * NeighbourHalfSize}\" fill=\"none\" stroke=\"{NeighbourColour(o.SameCandidate)}\" stroke-width=\"1.8\"><title>{Markup.Escape(tip)}</title></rect>");
        }
        foreach (var o in offsets)
        {
            if (!float.IsFinite(o.ErrMaj) || o.ErrMaj <= 0) continue;
            double minor = float.IsFinite(o.ErrMin) && o.ErrMin > 0 ? o.ErrMin : o.ErrMaj;
            double pa = float.IsFinite(o.ErrAng) ? o.ErrAng : 0;
            double cx = x.ToPixel(o.East), cy = y.ToPixel(o.North);
            svg.Raw($"<ellipse class=\"poserr\" data-cntr=\"{o.Cntr}\" cx=\"{Markup.Px(cx)}\" cy=\"{Markup.Px(cy)}\" rx=\"{Markup.Px(o.ErrMaj * x.Scale)}\" ry=\"{Markup.Px(minor * x.Scale)}\" transform=\"rotate({Markup.Px(PlotGeometry.EllipseRotation(pa))} {Markup.Px(cx)} {Markup.Px(cy)})\" fill=\"#0072B2\" fill-opacity=\"0.08\" stroke=\"#0072B2\" stroke-opacity=\"0.5\"/>");
        }
        foreach (var o in offsets)
        {
            string tip = $"cntr {o.Cntr}: {Markup.Num(o.East, 3)}\u2033 east, {Markup.Num(o.North, 3)}\u2033 north";
            svg.Raw($"<circle class=\"member\" data-cntr=\"{o.Cntr}\" cx=\"{Markup.Px(x.ToPixel(o.East))}\" cy=\"{Markup.Px(y.ToPixel(o.North))}\" r=\"{MarkerRadius}\" fill=\"#0072B2\"><title>{Markup.Escape(tip)}</title></circle>");
        }
        double mx = x.ToPixel(0), my = y.ToPixel(0);
        var (ra0, dec0) = CentreOf(group);
        string meanTip = $"group mean: RA {Markup.Num(ra0, 6)}\u00B0, Dec {Markup.Num(dec0, 6)}\u00B0";
        svg.Raw($"<path class=\"mean\" d=\"M{Markup.Px(mx - 9)},{Markup.Px(my)} H{Markup.Px(mx + 9)} M{Markup.Px(mx)},{Markup.Px(my - 9)} V{Markup.Px(my + 9)}\" stroke=\"#D55E00\" stroke-width=\"2\"><title>{Markup.Escape(meanTip)}</title></path>");
        SkyLegend(svg, f, neighbours.Any(o => !o.SameCandidate), neighbours.Any(o => o.SameCandidate));
        return svg.Finish();
    }

    private const int NeighbourHalfSize = 6;

    /// <summary>Other groups in grey; those confusion split from the same candidate group in Okabe and Ito's reddish purple.</summary>
    private static string NeighbourColour(bool sameCandidate) => sameCandidate ? "#CC79A7" : "#777777";

    /// <summary>A compass (N up, E left: the sky as seen, not a map) and the marker key, in the right margin.</summary>
    private static void SkyLegend(SvgWriter svg, PlotFrame f, bool neighbours, bool siblings)
    {
        double cx = f.Right + 70, cy = f.Top + 60, arm = 34;
        svg.Raw($"<path class=\"compass\" d=\"M{Markup.Px(cx)},{Markup.Px(cy)} V{Markup.Px(cy - arm)} M{Markup.Px(cx - 4)},{Markup.Px(cy - arm + 7)} L{Markup.Px(cx)},{Markup.Px(cy - arm)} L{Markup.Px(cx + 4)},{Markup.Px(cy - arm + 7)} M{Markup.Px(cx)},{Markup.Px(cy)} H{Markup.Px(cx - arm)} M{Markup.Px(cx - arm + 7)},{Markup.Px(cy - 4)} L{Markup.Px(cx - arm)},{Markup.Px(cy)} L{Markup.Px(cx - arm + 7)},{Markup.Px(cy + 4)}\" stroke=\"#333\" stroke-width=\"1.3\" fill=\"none\"/>");
        svg.Text(cx, cy - arm - 5, "N", "middle", "class=\"compass\"");
        svg.Text(cx - arm - 10, cy + 4, "E", "middle", "class=\"compass\"");
        double lx = f.Right + 18, ly = cy + 45;
        svg.Raw($"<circle class=\"legend\" cx=\"{Markup.Px(lx)}\" cy=\"{Markup.Px(ly)}\" r=\"{MarkerRadius}\" fill=\"#0072B2\"/>");
        svg.Text(lx + 10, ly + 4, "member", "start", "class=\"legend\"");
        ly += 20;
        svg.Raw($"<ellipse class=\"legend\" cx=\"{Markup.Px(lx)}\" cy=\"{Markup.Px(ly)}\" rx=\"7\" ry=\"4\" fill=\"#0072B2\" fill-opacity=\"0.08\" stroke=\"#0072B2\" stroke-opacity=\"0.5\"/>");
        svg.Text(lx + 10, ly + 4, "1\u03C3 error ellipse", "start", "class=\"legend\"");
        ly += 20;
        svg.Raw($"<path class=\"legend\" d=\"M{Markup.Px(lx - 6)},{Markup.Px(ly)} H{Markup.Px(lx + 6)} M{Markup.Px(lx)},{Markup.Px(ly - 6)} V{Markup.Px(ly + 6)}\" stroke=\"#D55E00\" stroke-width=\"2\"/>");
        svg.Text(lx + 10, ly + 4, "weighted mean", "start", "class=\"legend\"");
        foreach (var (shown, sameCandidate, label) in new[] { (neighbours, false, "another group"), (siblings, true, "split from it") })
        {
            if (!shown) continue;
            ly += 20;
            svg.Raw($"<rect class=\"legend\" x=\"{Markup.Px(lx - 5)}\" y=\"{Markup.Px(ly - 5)}\" width=\"10\" height=\"10\" fill=\"none\" stroke=\"{NeighbourColour(sameCandidate)}\" stroke-width=\"1.8\"/>");
            svg.Text(lx + 10, ly + 4, label, "start", "class=\"legend\"");
        }
    }
}

/// <summary>Builds one SVG document in a fixed frame: frame, grid, ticks and labels, then raw elements.</summary>
internal sealed class SvgWriter
{
    private readonly StringBuilder _sb = new();
    private readonly PlotFrame _f;

    public SvgWriter(PlotFrame f, string title)
    {
        _f = f;
        _sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Markup.Px(f.Width)}\" height=\"{Markup.Px(f.Height)}\" viewBox=\"0 0 {Markup.Px(f.Width)} {Markup.Px(f.Height)}\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\">\n");
        _sb.Append($"<title>{Markup.Escape(title)}</title>\n");
        _sb.Append($"<rect x=\"0\" y=\"0\" width=\"{Markup.Px(f.Width)}\" height=\"{Markup.Px(f.Height)}\" fill=\"white\"/>\n");
    }

    public void Raw(string element) => _sb.Append(element).Append('\n');

    public void Text(double x, double y, string text, string anchor, string extra = "") =>
        Raw($"<text x=\"{Markup.Px(x)}\" y=\"{Markup.Px(y)}\" text-anchor=\"{anchor}\"{(extra.Length > 0 ? " " + extra : "")}>{Markup.Escape(text)}</text>");

    /// <summary>The data area's border.</summary>
    public void Frame() =>
        Raw($"<rect class=\"frame\" x=\"{Markup.Px(_f.Left)}\" y=\"{Markup.Px(_f.Top)}\" width=\"{Markup.Px(_f.PlotWidth)}\" height=\"{Markup.Px(_f.PlotHeight)}\" fill=\"none\" stroke=\"#333\"/>");

    /// <summary>Light grid lines at every tick, tick marks and their labels outside the frame, and the frame.</summary>
    public void Grid(TickRange xr, PlotAxis x, TickRange yr, PlotAxis y, Func<double, string> xLabel, Func<double, string> yLabel)
    {
        foreach (double v in xr.Ticks())
        {
            string px = Markup.Px(x.ToPixel(v));
            Raw($"<line class=\"grid\" x1=\"{px}\" y1=\"{Markup.Px(_f.Top)}\" x2=\"{px}\" y2=\"{Markup.Px(_f.Bottom)}\" stroke=\"#e4e4e4\"/>");
            Raw($"<line class=\"tick\" x1=\"{px}\" y1=\"{Markup.Px(_f.Bottom)}\" x2=\"{px}\" y2=\"{Markup.Px(_f.Bottom + 5)}\" stroke=\"#333\"/>");
            Text(x.ToPixel(v), _f.Bottom + 18, xLabel(v), "middle", "class=\"xtick\"");
        }
        foreach (double v in yr.Ticks())
        {
            string py = Markup.Px(y.ToPixel(v));
            Raw($"<line class=\"grid\" x1=\"{Markup.Px(_f.Left)}\" y1=\"{py}\" x2=\"{Markup.Px(_f.Right)}\" y2=\"{py}\" stroke=\"#e4e4e4\"/>");
            Raw($"<line class=\"tick\" x1=\"{Markup.Px(_f.Left - 5)}\" y1=\"{py}\" x2=\"{Markup.Px(_f.Left)}\" y2=\"{py}\" stroke=\"#333\"/>");
            Text(_f.Left - 8, y.ToPixel(v) + 4, yLabel(v), "end", "class=\"ytick\"");
        }
        Frame();
    }

    public void AxisLabels(string x, string y)
    {
        Text((_f.Left + _f.Right) / 2, _f.Bottom + 40, x, "middle", "class=\"xlabel\"");
        double ly = (_f.Top + _f.Bottom) / 2;
        Text(18, ly, y, "middle", $"class=\"ylabel\" transform=\"rotate(-90 18 {Markup.Px(ly)})\"");
    }

    public string Finish() => _sb.Append("</svg>\n").ToString();
}
