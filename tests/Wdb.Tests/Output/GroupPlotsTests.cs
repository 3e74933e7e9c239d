using System.Globalization;
using System.Xml.Linq;
using Wdb.Core;
using Wdb.IO;

namespace Wdb.Tests.Output;

/// <summary>
/// `wdb plot`: the geometry by hand, the SVGs and the page as XML, and the verb end to end. Pixel
/// positions are worked out in the comments from the frames (GroupPlots.LightCurveFrame: data
/// area x 72..640, y 20..370; SkyFrame: x 70..490, y 20..440) and the documented range rules.
/// </summary>
public sealed class GroupPlotsTests : IDisposable
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private readonly Scratch _scratch = new();

    public void Dispose() => _scratch.Dispose();

    private static MemberBandRecord Det(float mag, float sig) => new(mag, sig, 20f, (byte)'A', (byte)'2', (byte)'0', true);
    private static MemberBandRecord Limit(float mag) => new(mag, float.NaN, float.NaN, (byte)'U', (byte)'0', (byte)'0', false);
    private static readonly MemberBandRecord Null = new(float.NaN, float.NaN, float.NaN, (byte)'U', (byte)'0', (byte)'0', false);

    private static MemberRecord Member(long cntr, double jd, MemberBandRecord j, MemberBandRecord? h = null, MemberBandRecord? k = null,
        double ra = 180, double dec = 0, float errMaj = float.NaN, float errMin = float.NaN, float errAng = float.NaN) =>
        new()
        {
            Gcntr = 1, Cntr = cntr, ScanKey = 1000 + cntr, JDate = jd, Ra = ra, Dec = dec,
            ErrMaj = errMaj, ErrMin = errMin, ErrAng = errAng, J = j, H = h ?? Null, K = k ?? Null, Reliability = 9,
        };

    private static GroupRecord Group(double ra = 180, double dec = 0, string designation = "") =>
        new() { Gcntr = 1, Cgid = 1, NMembers = 4, NScans = 4, RaW = ra, DecW = dec, Ra = ra, Dec = dec, Designation = designation };

    private static double Attr(XElement e, string name) => double.Parse(e.Attribute(name)!.Value, CultureInfo.InvariantCulture);

    private static IEnumerable<XElement> WithClass(XContainer doc, string element, string cls) =>
        doc.Descendants(Svg + element).Where(e => (e.Attribute("class")?.Value ?? "").Split(' ').Contains(cls));

    private static XElement ByCntr(IEnumerable<XElement> elements, long cntr) =>
        Assert.Single(elements, e => e.Attribute("data-cntr")?.Value == cntr.ToString(CultureInfo.InvariantCulture));

    /// <summary>The centre of a polygon's bounding box (a limit triangle is centred on its value).</summary>
    private static (double X, double Y) BoxCentre(XElement polygon)
    {
        var pts = polygon.Attribute("points")!.Value.Split(' ')
            .Select(p => p.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        return ((pts.Min(p => p[0]) + pts.Max(p => p[0])) / 2, (pts.Min(p => p[1]) + pts.Max(p => p[1])) / 2);
    }

    // ---- geometry ----

    [Fact]
    public void Nice_ranges_widen_to_whole_steps_of_one_two_or_five()
    {
        Assert.Equal(new TickRange(2451095, 2451125, 5), PlotGeometry.NiceRange(2451099, 2451121, 6));   // 22/6 = 3.7 -> 5
        var mag = PlotGeometry.NiceRange(13.805, 15.895, 6);                                           // 2.09/6 = 0.35 -> 0.5
        Assert.Equal((13.5, 16.0, 0.5), (mag.Lo, mag.Hi, mag.Step), new TupleTolerance(1e-12));
        Assert.Equal(new TickRange(-3, 3, 1), PlotGeometry.NiceRange(-2.42, 2.42, 6));               // 4.84/6 = 0.81 -> 1
        Assert.Equal(new TickRange(10, 20, 2), PlotGeometry.NiceRange(10, 20, 6));                   // bounds already ticks stay
        Assert.Equal([13.5, 14.0, 14.5, 15.0, 15.5, 16.0], mag.Ticks().ToArray());
        Assert.Equal(1, mag.Decimals);
        var arcsec = new TickRange(-1, 1, 0.5);
        Assert.Equal(["\u22121.0", "\u22120.5", "0.0", "0.5", "1.0"], arcsec.Ticks().Select(arcsec.Label).ToArray());
        Assert.Equal("0.0", arcsec.Label(-1e-17));   // never "-0.0"
        Assert.Throws<ArgumentException>(() => PlotGeometry.NiceRange(3, 3, 6));
        Assert.Equal((9.5, 10.5), PlotGeometry.Pad(10, 10, 0.05, 0.5));
        Assert.Equal((9.0, 31.0), PlotGeometry.Pad(10, 30, 0.05, 0.5));
    }

    private sealed class TupleTolerance(double tol) : IEqualityComparer<(double, double, double)>
    {
        public bool Equals((double, double, double) a, (double, double, double) b) =>
            Math.Abs(a.Item1 - b.Item1) <= tol && Math.Abs(a.Item2 - b.Item2) <= tol && Math.Abs(a.Item3 - b.Item3) <= tol;
        public int GetHashCode((double, double, double) obj) => 0;
    }

    [Fact]
    public void Tangent_offsets_point_east_and_north_at_any_ra_and_at_the_pole()
    {
        // One arcsec of RA at the equator is one arcsec east.
        var (e, n) = PlotGeometry.TangentOffsetArcsec(180, 0, 180 + 1 / 3600.0, 0);
        Assert.Equal(1.0, e, 1e-6); Assert.Equal(0.0, n, 1e-9);
        // At Dec 60 it takes 2" of RA to move 1" east (cos 60 = 1/2).
        (e, n) = PlotGeometry.TangentOffsetArcsec(10, 60, 10 + 2 / 3600.0, 60);
        Assert.Equal(1.0, e, 1e-6); Assert.Equal(0.0, n, 1e-4);
        // Across RA 0/360: 359.9998 -> 0.0001 is 0.0003 deg = 1.08" east, not 359.9997 deg west.
        (e, n) = PlotGeometry.TangentOffsetArcsec(359.9998, 0, 0.0001, 0);
        Assert.Equal(1.08, e, 1e-6); Assert.Equal(0.0, n, 1e-9);
        // Over the north pole: from (0, 89.9999) the point at RA 180 lies 0.72" further north.
        (e, n) = PlotGeometry.TangentOffsetArcsec(0, 89.9999, 180, 89.9999);
        Assert.Equal(0.0, e, 1e-9); Assert.Equal(0.72, n, 1e-6);
        // South: negative north.
        (e, n) = PlotGeometry.TangentOffsetArcsec(0, -30, 0, -30 - 2 / 3600.0);
        Assert.Equal(0.0, e, 1e-9); Assert.Equal(-2.0, n, 1e-6);
        Assert.True(double.IsNaN(PlotGeometry.TangentOffsetArcsec(0, 0, 180, 0).East));   // the far side has no projection
        Assert.Equal(90.0, PlotGeometry.EllipseRotation(0));    // PA 0: major axis north-south, vertical
        Assert.Equal(0.0, PlotGeometry.EllipseRotation(90));    // PA 90: east-west, horizontal
    }

    // ---- light curve ----

    /// <summary>
    /// J: 14.0 ± 0.1 at JD 2451100, 14.5 ± 0.1 at 2451110, an upper limit 15.8 at 2451120; a fourth
    /// member has no time. H and Ks are null everywhere.
    /// </summary>
    private static MemberRecord[] LightCurveMembers() =>
    [
        Member(11, 2451100, Det(14.0f, 0.1f)),
        Member(12, 2451110, Det(14.5f, 0.1f)),
        Member(13, 2451120, Limit(15.8f)),
        Member(14, double.NaN, Det(13.0f, 0.1f)),
    ];

    [Fact]
    public void Light_curve_markers_land_at_the_hand_computed_pixels_with_brighter_up()
    {
        var data = GroupPlots.LightCurveOf(LightCurveMembers());
        var doc = XDocument.Parse(GroupPlots.LightCurveSvg(1, data));

        // Time: 2451100..2451120 padded by 5% of 20 d -> 2451099..2451121 -> ticks of 5 d: 2451095..2451125
        // over x 72..640 (568 px). Magnitude: 13.9..15.8 (error bars and the limit) padded by 5% of 1.9
        // -> 13.805..15.895 -> ticks of 0.5: 13.5..16.0, bright (13.5) at the top y 20, faint at y 370.
        var det12 = ByCntr(WithClass(doc, "circle", "det"), 12);
        Assert.Equal(72 + 15.0 / 30 * 568, Attr(det12, "cx"), 0.01);      // 356
        Assert.Equal(20 + 1.0 / 2.5 * 350, Attr(det12, "cy"), 0.01);      // 160
        var det11 = ByCntr(WithClass(doc, "circle", "det"), 11);
        Assert.Equal(72 + 5.0 / 30 * 568, Attr(det11, "cx"), 0.01);       // 166.67
        Assert.Equal(20 + 0.5 / 2.5 * 350, Attr(det11, "cy"), 0.01);      // 90: 14.0 is brighter, so higher
        Assert.True(Attr(det11, "cy") < Attr(det12, "cy"));

        // The error bar of 12 spans 14.4..14.6: y 146..174.
        var bars = WithClass(doc, "line", "err").Where(l => Math.Abs(Attr(l, "x1") - 356) < 0.01).ToList();
        var bar = Assert.Single(bars);
        Assert.Equal(146, Math.Min(Attr(bar, "y1"), Attr(bar, "y2")), 0.01);
        Assert.Equal(174, Math.Max(Attr(bar, "y1"), Attr(bar, "y2")), 0.01);

        // The upper limit 15.8 at 2451120 is a triangle, not a circle, centred at x 545.33, y 342, pointing down.
        Assert.DoesNotContain(WithClass(doc, "circle", "det"), c => c.Attribute("data-cntr")!.Value == "13");
        var limit = ByCntr(WithClass(doc, "polygon", "limit"), 13);
        var (lx, ly) = BoxCentre(limit);
        Assert.Equal(72 + 25.0 / 30 * 568, lx, 0.01);
        Assert.Equal(20 + 2.3 / 2.5 * 350, ly, 0.01);
        var apex = limit.Attribute("points")!.Value.Split(' ')[2].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(lx, apex[0], 0.01);
        Assert.True(apex[1] > ly, "the limit triangle points down, towards fainter");

        // The member without a time is drawn nowhere and counted in the note, with the null H and Ks values.
        Assert.DoesNotContain(doc.Descendants(), e => e.Attribute("data-cntr")?.Value == "14");
        string note = Assert.Single(WithClass(doc, "text", "note")).Value;
        Assert.Contains("1 member without a time not shown", note);
        Assert.Contains("J 0, H 3, Ks 3", note);
        Assert.Equal(1, data.NoTime);

        // Ticks read as short numbers; the time axis says it is a Julian date and how much its labels leave out (the
        // thousands below the first tick, 2451095).
        Assert.Equal(["95", "100", "105", "110", "115", "120", "125"], WithClass(doc, "text", "xtick").Select(t => t.Value).ToArray());
        Assert.Equal(["13.5", "14.0", "14.5", "15.0", "15.5", "16.0"], WithClass(doc, "text", "ytick").Select(t => t.Value).ToArray());
        Assert.Equal("Julian date \u2212 2451000 (d)", Assert.Single(WithClass(doc, "text", "xlabel")).Value);
    }

    [Fact]
    public void Bands_have_their_own_colours_and_a_legend()
    {
        MemberRecord[] members =
        [
            Member(21, 2451000, Det(14f, 0.05f), Det(13.5f, 0.05f), Det(13.2f, 0.05f)),
            Member(22, 2451001, Det(14.1f, 0.05f), Limit(13.9f), Det(13.3f, 0.05f)),
        ];
        var doc = XDocument.Parse(GroupPlots.LightCurveSvg(1, GroupPlots.LightCurveOf(members)));
        for (int b = 0; b < 3; b++)
        {
            string band = Bands.Names[b];
            var fills = WithClass(doc, "circle", "band-" + band).Select(c => c.Attribute("fill")!.Value).Distinct();
            Assert.Equal([GroupPlots.BandColours[b]], fills);
        }
        Assert.Equal(3, GroupPlots.BandColours.Distinct().Count());
        var legend = WithClass(doc, "circle", "legend").Select(c => c.Attribute("fill")!.Value).ToArray();
        Assert.Equal(GroupPlots.BandColours, legend);
        var legendText = WithClass(doc, "text", "legend").Select(t => t.Value).ToArray();
        Assert.Contains(legendText, t => t.StartsWith("J "));
        Assert.Contains(legendText, t => t.StartsWith("upper limit"));
        Assert.Equal(GroupPlots.BandColours[1], ByCntr(WithClass(doc, "polygon", "limit"), 22).Attribute("stroke")!.Value);
        Assert.Empty(WithClass(doc, "text", "note"));   // nothing left out
    }

    [Fact]
    public void Upper_limits_are_told_from_detections_and_nulls_by_the_flags()
    {
        Assert.Equal(PointKind.Detection, GroupPlots.KindOf(Det(15f, 0.1f)));
        Assert.Equal(PointKind.UpperLimit, GroupPlots.KindOf(Limit(17.2f)));                                              // rd_flg 0, ph_qual U
        Assert.Equal(PointKind.UpperLimit, GroupPlots.KindOf(new(17.2f, float.NaN, float.NaN, 0, (byte)'0', 0, false)));  // rd_flg alone
        Assert.Equal(PointKind.UpperLimit, GroupPlots.KindOf(new(17.2f, float.NaN, float.NaN, (byte)'U', 0, 0, false)));  // ph_qual alone
        Assert.Equal(PointKind.NoValue, GroupPlots.KindOf(Null));                                                         // null magnitude
        Assert.Equal(PointKind.NoValue, GroupPlots.KindOf(new(-99.99f, float.NaN, float.NaN, (byte)'U', (byte)'0', 0, false)));  // sentinel
        Assert.Equal(PointKind.NoValue, GroupPlots.KindOf(new(12f, float.NaN, float.NaN, (byte)'X', (byte)'9', 0, false)));     // no valid brightness
    }

    [Fact]
    public void A_light_curve_with_nothing_to_draw_still_parses_and_says_so()
    {
        var data = GroupPlots.LightCurveOf([Member(31, double.NaN, Det(14f, 0.1f)), Member(32, 2451000, Null)]);
        var doc = XDocument.Parse(GroupPlots.LightCurveSvg(1, data));
        Assert.Single(WithClass(doc, "text", "empty"));
        Assert.Empty(WithClass(doc, "circle", "det"));
        Assert.Contains("1 member without a time", Assert.Single(WithClass(doc, "text", "note")).Value);
    }

    // ---- sky ----

    [Fact]
    public void Sky_markers_land_at_the_hand_computed_pixels_east_left_north_up()
    {
        // A: 1" east of the mean, B: 2" south of it, both with 0.2" errors. R = (2 + 0.2) * 1.1 = 2.42"
        // -> ticks of 1": -3..3 on both axes, over x 490 (-3, west) .. 70 (+3, east) and y 440 (-3) .. 20 (+3).
        var g = Group();
        MemberRecord[] members =
        [
            Member(41, 2451000, Det(14f, 0.1f), ra: 180 + 1 / 3600.0, dec: 0, errMaj: 0.2f, errMin: 0.1f, errAng: 0),
            Member(42, 2451001, Det(14f, 0.1f), ra: 180, dec: -2 / 3600.0, errMaj: 0.2f, errMin: 0.2f, errAng: 90),
        ];
        var (ra0, dec0) = GroupPlots.CentreOf(g);
        var offsets = GroupPlots.SkyOffsetsOf(ra0, dec0, members);
        var doc = XDocument.Parse(GroupPlots.SkySvg(g, offsets));

        var a = ByCntr(WithClass(doc, "circle", "member"), 41);
        var b = ByCntr(WithClass(doc, "circle", "member"), 42);
        Assert.Equal(490 - 4.0 / 6 * 420, Attr(a, "cx"), 0.01);   // 210
        Assert.Equal(230, Attr(a, "cy"), 0.01);
        Assert.Equal(280, Attr(b, "cx"), 0.01);
        Assert.Equal(440 - 1.0 / 6 * 420, Attr(b, "cy"), 0.01);   // 370
        // The mean's cross is at the centre (280, 230): east of it is left, south of it is down.
        var mean = Assert.Single(WithClass(doc, "path", "mean"));
        Assert.StartsWith("M271,230 H289 M280,221", mean.Attribute("d")!.Value);
        Assert.True(Attr(a, "cx") < 280, "a member east of the mean is left of the centre");
        Assert.True(Attr(b, "cy") > 230, "a member south of the mean is below the centre");

        // Equal scale: 70 px per arcsec on both axes; A's ellipse (PA 0) is 0.2" = 14 px along north-south.
        var (_, x, y) = GroupPlots.SkyAxes(offsets, GroupPlots.SkyFrame);
        Assert.Equal(x.Scale, y.Scale, 1e-12);
        var ellipse = ByCntr(WithClass(doc, "ellipse", "poserr"), 41);
        Assert.Equal(14, Attr(ellipse, "rx"), 0.01);
        Assert.Equal(7, Attr(ellipse, "ry"), 0.01);
        Assert.StartsWith("rotate(90 ", ellipse.Attribute("transform")!.Value);
        Assert.Equal(["\u22123", "\u22122", "\u22121", "0", "1", "2", "3"], WithClass(doc, "text", "ytick").Select(t => t.Value).ToArray());
        Assert.Equal(["\u22123", "\u22122", "\u22121", "0", "1", "2", "3"], WithClass(doc, "text", "xtick").OrderBy(t => Attr(t, "x")).Select(t => t.Value).Reverse().ToArray());
        Assert.Contains("east to the left", Assert.Single(WithClass(doc, "text", "xlabel")).Value);
    }

    [Fact]
    public void The_sky_plot_is_centred_on_the_weighted_mean_and_falls_back_to_the_unweighted_one()
    {
        var g = Group() with { RaW = 10.5, DecW = -20.25, Ra = 10.6, Dec = -20.3 };
        Assert.Equal((10.5, -20.25), GroupPlots.CentreOf(g));
        Assert.Equal((10.6, -20.3), GroupPlots.CentreOf(g with { RaW = double.NaN }));
        // The same 1" east offset at Dec 60 (2" of RA) lands where the equator's did.
        var g60 = Group(ra: 30, dec: 60);
        var offsets = GroupPlots.SkyOffsetsOf(30, 60, [Member(51, 2451000, Det(14f, 0.1f), ra: 30 + 2 / 3600.0, dec: 60), Member(52, 2451000, Null, ra: 30, dec: 60 - 2 / 3600.0)]);
        var doc = XDocument.Parse(GroupPlots.SkySvg(g60, offsets));
        Assert.Equal(210, Attr(ByCntr(WithClass(doc, "circle", "member"), 51), "cx"), 0.01);   // R 2.2" -> -3..3 as above
    }

    // ---- page ----

    [Fact]
    public void The_page_parses_as_xml_has_a_row_per_member_and_escapes_text()
    {
        string designation = "J<b>&\"'\u0001";
        var g = Group(designation: designation);
        var members = LightCurveMembers().Select(m => m with { J = m.J with { CcFlg = (byte)'<' }, K = m.K with { PhQual = (byte)'&' } }).ToArray();
        var files = PlotWriter.Render(g, members, "/data/merge <1> & 'b'");
        string html = files.IndexHtml;
        var doc = XDocument.Parse(html);

        var rows = doc.Descendants("tr").Where(r => r.Attribute("class")?.Value == "member").ToList();
        Assert.Equal(members.Length, rows.Count);
        Assert.Equal(members.Select(m => m.Cntr.ToString(CultureInfo.InvariantCulture)), rows.Select(r => r.Attribute("data-cntr")!.Value));
        // Columns: cntr, scan, time, ra, dec, sep, then J mag and error: the limit reads "> 15.8".
        var row13 = rows[2].Elements("td").Select(td => td.Value).ToArray();
        Assert.Equal(["13", "1013", "2451120.00000", "180.000000", "0.000000"], row13[..5]);
        Assert.Equal(">15.800", row13[6]);
        Assert.Equal("<00", row13[14]);    // cc_flg, one character per band J, H, Ks
        Assert.Equal("AU&", rows[0].Elements("td").ElementAt(12).Value);   // ph_qual

        // Text from the data comes back as itself (escaped in the file, not interpreted); the control
        // character, which XML cannot hold, becomes U+FFFD.
        Assert.Equal("J<b>&\"'\uFFFD", doc.Descendants("span").Single(s => s.Attribute("class")?.Value == "designation").Value);
        Assert.Contains("J&lt;b&gt;&amp;&quot;&#39;", html);
        Assert.DoesNotContain("<b>", html);
        Assert.Contains("/data/merge <1> & 'b'", doc.Descendants("p").Single(p => p.Attribute("class")?.Value == "source").Value);

        // Self-contained: both plots inline, no script, nothing fetched.
        Assert.Equal(2, doc.Descendants(Svg + "svg").Count());
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("src=", html);
        Assert.DoesNotContain("<link", html);
        Assert.Equal(html.Split("http").Length - 1, html.Split("http://www.w3.org/2000/svg").Length - 1);
        Assert.StartsWith("<!DOCTYPE html>", html);
        XDocument.Parse(files.LightCurveSvg);
        XDocument.Parse(files.SkySvg);
    }

    /// <summary>
    /// A value that is missing (NaN) reads as a dash, or the sentence says why ("no times", "no detections"): the page never
    /// shows a unit alone ("mean JD , baseline  d"). Here a group merged from rows without a time or a magnitude, and one
    /// detected once (a time, but no variability to measure).
    /// </summary>
    [Fact]
    public void The_page_says_what_is_missing_and_never_a_unit_alone()
    {
        static Dictionary<string, string> SummaryOf(GroupRecord g, MemberRecord[] members) =>
            XDocument.Parse(PlotWriter.Render(g, members, "m").IndexHtml).Descendants("table").Single(t => t.Attribute("class")?.Value == "summary")
                .Elements("tr").ToDictionary(r => r.Element("th")!.Value, r => r.Element("td")!.Value);
        var bare = Group() with
        {
            SigRaW = float.NaN, SigDecW = float.NaN, RmsSep = float.NaN, MeanJDate = double.NaN, BaselineDays = float.NaN,
            StetsonJ = float.NaN, StetsonK = float.NaN, SfAmp = float.NaN,
            J = GroupBandRecord.Empty, H = GroupBandRecord.Empty, K = GroupBandRecord.Empty,
        };
        var rows = SummaryOf(bare, [Member(11, double.NaN, Null), Member(12, double.NaN, Null)]);
        Assert.Equal("no times", rows["time"]);
        Assert.Equal("no detections", rows["variability"]);
        Assert.Equal("\u2014", rows["rms separation"]);
        Assert.Equal("RA 180.000000\u00B0, Dec 0.000000\u00B0", rows["position (weighted mean)"]);

        var once = bare with { MeanJDate = 2451000.5, BaselineDays = 0, J = GroupBandRecord.Empty with { NDet = 1, MagW = 14, Mag = 14, Min = 14, Max = 14 } };
        rows = SummaryOf(once, [Member(11, 2451000.5, Det(14, 0.05f))]);
        Assert.Equal("mean JD 2451000.50000, baseline 0.00 d", rows["time"]);
        Assert.Equal("Stetson J \u2014, Stetson K \u2014, structure-function amplitude \u2014", rows["variability"]);
    }

    // ---- the verb ----

    [Fact]
    public void Wdb_plot_writes_the_three_files_of_a_merged_group_and_refuses_an_unknown_one()
    {
        string data = _scratch.PathOf("survey.csv"), merged = _scratch.PathOf("merged"), plots = _scratch.PathOf("plots");
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "3000", "--seed", "6", "--out", data).Exit);
        var merge = WdbProcess.Run("merge", data, "--out", merged, "--device", "cpu");
        Assert.True(merge.Exit == 0, merge.Stderr);

        // The biggest group with an upper limit among its members (the generator writes some).
        GroupRecord group;
        IReadOnlyList<MemberRecord> members;
        using (var reader = OutputReader.Open(merged))
        {
            static bool HasLimit(MemberRecord m) => new[] { m.J, m.H, m.K }.Any(b => !b.Detected && b.RdFlg == (byte)'0' && float.IsFinite(b.Mag));
            group = reader.Groups().Where(g => reader.MembersOf(g.Gcntr).Any(HasLimit))
                .OrderByDescending(g => g.NMembers).ThenBy(g => g.Gcntr).First();
            members = reader.MembersOf(group.Gcntr);
        }
        Assert.True(members.Count >= 3, $"group {group.Gcntr} has {members.Count} members");

        var run = WdbProcess.Run("plot", merged, "--gcntr", group.Gcntr.ToString(CultureInfo.InvariantCulture), "--out", plots);
        Assert.True(run.Exit == 0, run.Stderr);
        Assert.Equal("", run.Stderr);
        Assert.Equal(["index.html", "lightcurve.svg", "sky.svg"], Directory.GetFiles(plots).Select(FileName).Order().ToArray());
        Assert.Equal(["merged", "plots", "survey.csv"], Directory.GetFileSystemEntries(_scratch.Dir).Select(FileName).Order().ToArray());

        // Every timed member's bands: detections as circles, limits as triangles, from the records themselves.
        var lc = XDocument.Parse(File.ReadAllText(Path.Combine(plots, "lightcurve.svg")));
        var timed = members.Where(m => !double.IsNaN(m.JDate)).SelectMany(m => new[] { m.J, m.H, m.K }).ToList();
        Assert.Equal(timed.Count(b => b.Detected), WithClass(lc, "circle", "det").Count());
        int limits = timed.Count(b => !b.Detected && (b.RdFlg == (byte)'0' || b.PhQual == (byte)'U') && float.IsFinite(b.Mag) && b.Mag > -90);
        Assert.True(limits > 0);
        Assert.Equal(limits, WithClass(lc, "polygon", "limit").Count());
        var sky = XDocument.Parse(File.ReadAllText(Path.Combine(plots, "sky.svg")));
        Assert.Equal(members.Select(m => m.Cntr).Order(), WithClass(sky, "circle", "member").Select(c => long.Parse(c.Attribute("data-cntr")!.Value, CultureInfo.InvariantCulture)).Order());
        var page = XDocument.Parse(File.ReadAllText(Path.Combine(plots, "index.html")));
        Assert.Equal(members.Count, page.Descendants("tr").Count(r => r.Attribute("class")?.Value == "member"));
        Assert.Contains(group.Designation, page.Descendants("h1").Single().Value);

        // Again over the previous plot: replaced whole, nothing left beside it.
        Assert.Equal(0, WdbProcess.Run("plot", merged, "--gcntr", group.Gcntr.ToString(CultureInfo.InvariantCulture), "--out", plots).Exit);
        Assert.Equal(["merged", "plots", "survey.csv"], Directory.GetFileSystemEntries(_scratch.Dir).Select(FileName).Order().ToArray());

        // A cntr that is not a gcntr (a member other than the smallest), and a directory that is no merge output.
        long notAGroup = members.Select(m => m.Cntr).Where(c => c != group.Gcntr).Max();
        var unknown = WdbProcess.Run("plot", merged, "--gcntr", notAGroup.ToString(CultureInfo.InvariantCulture), "--out", _scratch.PathOf("nope"));
        Assert.Equal(2, unknown.Exit);
        Assert.Equal($"wdb plot: {merged}: no group with gcntr {notAGroup}: {notAGroup} is the cntr of a member of group {group.Gcntr} (--gcntr {group.Gcntr} plots it)",
            unknown.Stderr.TrimEnd());
        var unreadable = WdbProcess.Run("plot", _scratch.PathOf("survey.csv"), "--gcntr", "1", "--out", _scratch.PathOf("nope"));
        Assert.Equal(2, unreadable.Exit);
        Assert.Single(unreadable.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("wdb plot: ", unreadable.Stderr);

        // A directory holding other things is not replaced.
        string keep = _scratch.Write("keep/notes.txt", "mine");
        var refused = WdbProcess.Run("plot", merged, "--gcntr", group.Gcntr.ToString(CultureInfo.InvariantCulture), "--out", _scratch.PathOf("keep"));
        Assert.Equal(3, refused.Exit);   // as merge's output that would replace a foreign directory
        Assert.Contains("not replacing it", refused.Stderr);
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(_scratch.PathOf("keep")).Select(FileName).ToArray());
        Assert.Equal(["keep", "merged", "plots", "survey.csv"], Directory.GetFileSystemEntries(_scratch.Dir).Select(FileName).Order().ToArray());
    }

    [Fact]
    public void The_sky_plot_and_page_show_the_other_groups_around_it_and_those_split_from_it()
    {
        // Scan 1 saw two sources 1" apart, scan 2 one of them: one candidate group, confused, split into {1, 3} and {2}.
        // Group 4 (scan 3) lies 4" east, beyond the link; group 5 (scan 3) 30" north, beyond the plot's 6".
        const double Ra = 150.0, Dec = 20.0, Arcsec = 1 / 3600.0;
        double east4 = Ra + 4 * Arcsec / Math.Cos(Dec * Sky.DegToRad);
        string csv = "cntr,scan_key,ra,dec,err_maj,err_min,err_ang\n" + string.Join("", new[]
        {
            (1, 1, Ra, Dec), (2, 1, Ra, Dec + Arcsec), (3, 2, Ra, Dec + 0.1 * Arcsec), (4, 3, east4, Dec), (5, 3, Ra, Dec + 30 * Arcsec),
            (6, 4, Ra, Dec - 100 * Arcsec), (7, 4, Ra, Dec - 100 * Arcsec),   // one scan twice at one place: two groups, one designation
        }.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Item1},{r.Item2},{r.Item3:R},{r.Item4:R},0.1,0.1,0\n")));
        string input = _scratch.Write("pair.csv", csv), merged = _scratch.PathOf("pair-merged");
        var merge = WdbProcess.Run("merge", input, "--out", merged, "--device", "cpu");
        Assert.True(merge.Exit == 0, merge.Stderr);

        var read = PlotWriter.Read(merged, 1, out var error);
        Assert.Null(error);
        var (group, members, around) = read!.Value;
        Assert.Equal([1L, 3L], members.Select(m => m.Cntr).Order());
        Assert.Equal(6.0, around.RadiusArcsec);   // members within 0.1": the least radius
        Assert.Equal([2L, 4L], around.Groups.Select(h => h.Group.Gcntr));   // nearest first; 5 is beyond 6"
        Assert.Equal(group.Cgid, around.Groups[0].Group.Cgid);
        Assert.NotEqual(group.Cgid, around.Groups[1].Group.Cgid);
        Assert.Equal(4.0, around.Groups[1].SepArcsec, 0.1);

        var files = PlotWriter.Render(group, members, merged, around);
        var sky = XDocument.Parse(files.SkySvg);
        var sibling = Assert.Single(WithClass(sky, "rect", "sibling"));
        var neighbour = Assert.Single(WithClass(sky, "rect", "neighbour"));
        Assert.Equal("2", sibling.Attribute("data-gcntr")!.Value);
        Assert.Equal("4", neighbour.Attribute("data-gcntr")!.Value);
        // The axes take in the neighbour 4" east: its square's centre lies left of the mean's, group 2's above it.
        var (range, x, y) = GroupPlots.SkyAxes(GroupPlots.SkyOffsetsOf(group.RaW, group.DecW, members), GroupPlots.SkyFrame,
            GroupPlots.NeighbourOffsetsOf(group.RaW, group.DecW, group.Cgid, around.Groups));
        Assert.True(range.Hi >= 4.4);
        double Centre(XElement r, string at, string size) => Attr(r, at) + Attr(r, size) / 2;
        Assert.True(Centre(neighbour, "x", "width") < x.ToPixel(0) - 4 * x.Scale + 1);
        Assert.True(Centre(sibling, "y", "height") < y.ToPixel(0));
        var page = XDocument.Parse(files.IndexHtml);
        var rows = page.Descendants("tr").Where(r => r.Attribute("class")?.Value == "neighbour").ToList();
        Assert.Equal(["2", "4"], rows.Select(r => r.Attribute("data-gcntr")!.Value));
        Assert.Contains("split by confusion", rows[0].Value);
        Assert.DoesNotContain("split by confusion", rows[1].Value);

        // From the command, the same page, by gcntr or by designation (wdb's form or the PSC's).
        var run = WdbProcess.Run("plot", merged, "--gcntr", "1", "--out", _scratch.PathOf("pair-plot"));
        Assert.True(run.Exit == 0, run.Stderr);
        Assert.Equal(files.IndexHtml, File.ReadAllText(_scratch.PathOf("pair-plot/index.html")));
        foreach (string name in new[] { group.Designation, "2MASS " + group.Designation.Replace(".", "") })
        {
            var named = WdbProcess.Run("plot", merged, "--designation", name, "--out", _scratch.PathOf("pair-named"));
            Assert.True(named.Exit == 0, named.Stderr);
            Assert.Equal(files.IndexHtml, File.ReadAllText(_scratch.PathOf("pair-named/index.html")));
        }
        // Two groups at one place share a designation: the plot asks which.
        var twins = PlotWriter.Read(merged, 6, out _)!.Value.Group;
        var ambiguous = WdbProcess.Run("plot", merged, "--designation", twins.Designation, "--out", _scratch.PathOf("twins"));
        Assert.Equal(2, ambiguous.Exit);
        Assert.Contains($"2 groups have designation {twins.Designation} (gcntr 6, 7): give --gcntr", ambiguous.Stderr);
        Assert.False(Directory.Exists(_scratch.PathOf("twins")));
        var neither = WdbProcess.Run("plot", merged, "--out", _scratch.PathOf("twins"));
        Assert.Equal(2, neither.Exit);
        Assert.Contains("give --gcntr or --designation", neither.Stderr);
        // wdb members lists both, by designation.
        var members2 = WdbProcess.Run("members", merged, "--designation", twins.Designation);
        Assert.True(members2.Exit == 0, members2.Stderr);
        Assert.Equal(["6", "7"], members2.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')[1]).Order());
        var nobody = WdbProcess.Run("members", merged, "--designation", "J000000.00+000000.0");
        Assert.Equal(2, nobody.Exit);
        Assert.Contains("no group with designation J000000.00+000000.0", nobody.Stderr);
    }

    [Fact]
    public void A_failed_publish_leaves_nothing_behind()
    {
        var files = PlotWriter.Render(Group(), LightCurveMembers(), "x");
        string blocker = _scratch.Write("a-file", "not a directory");
        var error = PlotWriter.Publish(Path.Combine(blocker, "plots"), files);   // its parent is a file
        Assert.NotNull(error);
        Assert.DoesNotContain('\n', error!.Message);
        Assert.Equal(["a-file"], Directory.GetFileSystemEntries(_scratch.Dir).Select(FileName).ToArray());
        Assert.NotNull(PlotWriter.Publish(blocker, files));   // the target itself a file
        Assert.Equal("not a directory", File.ReadAllText(blocker));
    }

    /// <summary>A path's file name (never null for the paths listed here).</summary>
    private static string FileName(string path) => Path.GetFileName(path);
}
