using System.Text;
using System.Globalization;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Tests.Output;

/// <summary>
/// `wdb members` and `wdb cone` (SPEC §5's look-ups) against brute force over the whole output: the cone's
/// groups are exactly those within the radius by the separation computed here, nearest first; a group's
/// members are every member the members table holds for it, in time order.
/// </summary>
public sealed class QueryTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    /// <summary>A survey field merged with a filter (so some extractions are in no group).</summary>
    private string Merged()
    {
        var sky = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 4000, 21, CenterRaDeg: 0.2, CenterDecDeg: 30));
        string input = _s.PathOf("field.csv"), outDir = _s.PathOf("merged");
        TableTextWriter.Write(sky, input);
        var outcome = MergeJob.Run(new MergeOptions
        {
            Inputs = [input], OutDir = outDir, Device = "cpu", Filters = new FilterOptions(MinSnr: 7),
        });
        Assert.Null(outcome.Error);
        return outDir;
    }

    /// <summary>Rows of a CSV table whose fields hold no commas (the columns read here never do).</summary>
    private static List<Dictionary<string, string>> Csv(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        return lines.Skip(1).Select(l =>
        {
            var f = l.Split(',');
            Assert.Equal(header.Length, f.Length);
            return header.Zip(f).ToDictionary(p => p.First, p => p.Second);
        }).ToList();
    }

    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    [Fact]
    public void A_cone_holds_exactly_the_groups_within_its_radius_nearest_first()
    {
        string dir = Merged();
        List<GroupRecord> all;
        using (var reader = OutputReader.Open(dir)) all = reader.Groups().ToList();
        Assert.True(all.Count > 3000);
        var rnd = new Random(4);
        // Around RA 0/360 (the field straddles it), at a group's own position, and empty sky.
        var cones = new List<(double Ra, double Dec, double R)> { (0.0, 30.0, 120), (359.95, 30.05, 200), (0.3, 29.9, 45), (100, -40, 60) };
        for (int k = 0; k < 4; k++)
        {
            var g = all[rnd.Next(all.Count)];
            cones.Add((g.RaW, g.DecW, 5 + 50 * rnd.NextDouble()));
        }
        int nonEmpty = 0;
        foreach (var (ra, dec, r) in cones)
        {
            var expected = all.Select(g => (Sep: Sky.SeparationArcsec(ra, dec, g.RaW, g.DecW), g.Gcntr))
                .Where(h => h.Sep <= r).OrderBy(h => h.Sep).ThenBy(h => h.Gcntr).ToList();
            var text = new StringWriter();
            Assert.Null(Queries.Cone(dir, ra, dec, r, 0, ipac: false, text));
            var rows = Csv(text.ToString());
            Assert.Equal(expected.Select(h => h.Gcntr), rows.Select(row => long.Parse(row["gcntr"])));
            for (int i = 0; i < rows.Count; i++) Assert.Equal(expected[i].Sep, D(rows[i]["sep_arcsec"]), 9);
            if (rows.Count > 1) nonEmpty++;
            // The rest of each row is the groups table's.
            foreach (var row in rows.Take(3))
            {
                var g = all.Single(x => x.Gcntr == long.Parse(row["gcntr"]));
                Assert.Equal(g.NMembers, int.Parse(row["n_members"]));
                Assert.Equal(g.Designation, row["designation"]);
            }
            // --limit keeps the nearest.
            var limited = new StringWriter();
            Assert.Null(Queries.Cone(dir, ra, dec, r, 2, ipac: false, limited));
            Assert.Equal(rows.Take(2).Select(row => row["gcntr"]), Csv(limited.ToString()).Select(row => row["gcntr"]));
        }
        Assert.True(nonEmpty >= 3, $"{nonEmpty} cones held more than one group");

        // IPAC: the header rows name the separation with its unit, then the data rows.
        var ipac = new StringWriter();
        Assert.Null(Queries.Cone(dir, 0.0, 30.0, 120, 0, ipac: true, ipac));
        Assert.Contains("|sep_arcsec", ipac.ToString());
        Assert.Contains("\\ sep_arcsec: separation", ipac.ToString());

        foreach (var (ra, dec, r, why) in new[] { (360.0, 0.0, 10.0, "--ra"), (10.0, 91.0, 10.0, "--dec"), (10.0, 0.0, 0.0, "--radius"), (10.0, 0.0, 4000.0, "--radius") })
        {
            var nothing = new StringWriter();
            Assert.Contains(why, Queries.Cone(dir, ra, dec, r, 0, false, nothing)!.Message);
            Assert.Equal("", nothing.ToString());
        }
    }

    [Fact]
    public void Members_lists_every_member_of_the_groups_asked_for_in_time_order()
    {
        string dir = Merged();
        List<MemberRecord> members;
        List<ExtractionRecord> extractions;
        using (var reader = OutputReader.Open(dir))
        {
            members = reader.Members().ToList();
            extractions = reader.Extractions().ToList();
        }
        var byGroup = members.GroupBy(m => m.Gcntr).Where(g => g.Count() >= 3).Take(3).ToList();
        Assert.Equal(3, byGroup.Count);
        // Two groups by gcntr, the third by the cntr of its last member.
        long viaCntr = byGroup[2].Last().Cntr;
        var text = new StringWriter();
        Assert.Null(Queries.Members(dir, [byGroup[0].Key, byGroup[1].Key], [viaCntr], ipac: false, text));
        var rows = Csv(text.ToString());
        var expected = byGroup.SelectMany(g => g).ToList();
        Assert.Equal(expected.Select(m => (m.Gcntr, m.Cntr)), rows.Select(r => (long.Parse(r["gcntr"]), long.Parse(r["cntr"]))));
        foreach (var g in byGroup)
        {
            var times = rows.Where(r => long.Parse(r["gcntr"]) == g.Key).Select(r => r["jdate"].Length == 0 ? double.NaN : D(r["jdate"])).ToList();
            Assert.Equal(times.Where(t => !double.IsNaN(t)).Order(), times.Where(t => !double.IsNaN(t)));
        }
        // A group named again (by gcntr, or by another member's cntr) is listed once, where first named.
        var again = new StringWriter();
        Assert.Null(Queries.Members(dir, [byGroup[0].Key, byGroup[1].Key, byGroup[0].Key], [viaCntr, byGroup[2].First().Cntr, byGroup[1].Last().Cntr],
            ipac: false, again));
        Assert.Equal(text.ToString(), again.ToString());

        var filtered = extractions.First(x => x.Gcntr < 0);
        // A member's cntr given as a gcntr (the smallest cntr is the group's) names no group: the line says whose it is.
        long member = byGroup[0].First(m => m.Cntr != m.Gcntr).Cntr;
        foreach (var (gcntrs, cntrs, why) in new (long[], long[], string)[]
        {
            ([987_654_321], [], $"no group with gcntr 987654321 in '{dir}'"),
            ([member], [], $"no group with gcntr {member} in '{dir}': {member} is the cntr of a member of group {byGroup[0].Key} (--cntr {member} lists it)"),
            ([filtered.Cntr], [], $"no group with gcntr {filtered.Cntr} in '{dir}': extraction {filtered.Cntr} is in no group (filtered_low_snr)"),
            ([], [987_654_321], "no extraction with cntr 987654321"),
            ([], [filtered.Cntr], $"extraction {filtered.Cntr} is in no group: filtered_low_snr"),
            ([], [], "no group asked for"),
        })
        {
            var nothing = new StringWriter();
            string message = Queries.Members(dir, gcntrs, cntrs, false, nothing)!.Message;
            if (why.StartsWith("no group with gcntr", StringComparison.Ordinal)) Assert.Equal(why, message);
            else Assert.Contains(why, message);
            Assert.Equal("", nothing.ToString());
        }
    }

    /// <summary>
    /// `wdb associate` against brute force: for a field across RA 0/360 and one at the pole, catalogue rows near
    /// groups, between them and anywhere, in two files (one with a cntr column, one without, one bad row); every
    /// group's candidate count and nearest row (file and line between equal separations) as computed here.
    /// </summary>
    [Theory]
    [InlineData(0.2, 30.0, 2.0)]
    [InlineData(0.2, 30.0, 7.5)]
    [InlineData(40.0, 89.93, 3.0)]
    public void Associations_are_every_candidate_within_the_radius_and_the_nearest(double ra0, double dec0, double radius)
    {
        // The generator keeps |dec| <= 85: a polar field is an equatorial one turned about the axis through RA
        // ra0 + 90 on the equator (separations kept), so that (ra0, 0) lands on (ra0, dec0).
        var sky = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 1500, 31, CenterRaDeg: ra0, CenterDecDeg: dec0 > 80 ? 0 : dec0));
        if (dec0 > 80) for (int i = 0; i < sky.Count; i++) (sky.Ra[i], sky.Dec[i]) = TurnedNorth(sky.Ra[i], sky.Dec[i], ra0, dec0);
        string input = _s.PathOf("field.csv"), dir = _s.PathOf("merged");
        TableTextWriter.Write(sky, input);
        Assert.Null(MergeJob.Run(new MergeOptions { Inputs = [input], OutDir = dir, Device = "cpu" }).Error);
        List<GroupRecord> groups;
        using (var reader = OutputReader.Open(dir)) groups = reader.Groups().ToList();
        // The polar field covers the pole: its groups lie at every RA.
        if (dec0 > 80) Assert.True(groups.Max(g => g.DecW) > 89.99 && groups.Max(g => g.RaW) - groups.Min(g => g.RaW) > 300);

        var rnd = new Random(9);
        var rows = new List<(int File, long Line, long Cntr, double Ra, double Dec)>();
        var files = new[] { new List<string> { "id,ra,dec" }, new List<string> { "cntr,ra,decl,mag" } };
        for (int k = 0; k < 3000; k++)
        {
            int f = k % 2;
            var g = groups[rnd.Next(groups.Count)];
            // Near a group (within and just beyond the radius), or anywhere around the field.
            double offset = k % 3 == 0 ? 3 * radius : radius * rnd.NextDouble() * 1.2;
            double angle = 2 * Math.PI * rnd.NextDouble();
            var (ra, dec) = Wdb.Tests.Stats.TestBlocks.Offset(g.RaW, g.DecW, offset * Math.Sin(angle), offset * Math.Cos(angle));
            if (k % 7 == 0) (ra, dec) = (g.RaW, g.DecW);   // exactly on a group: two files may tie at 0"
            long cntr = f == 1 ? 5_000_000 + k : 0;
            string position = string.Create(CultureInfo.InvariantCulture, $"{ra:R},{dec:R}");
            files[f].Add(f == 0 ? $"row{k},{position}" : $"{cntr},{position},14.2");
            rows.Add((f, files[f].Count, cntr, ra, dec));
        }
        files[0].Add("bad,x,12");   // left out and said, not fatal
        string[] paths = [_s.PathOf("ext-a.csv"), _s.PathOf("ext-b.csv")];
        for (int f = 0; f < 2; f++) File.WriteAllLines(paths[f], files[f]);

        var said = new List<string>();
        var text = new StringWriter();
        Assert.Null(Associations.Write(dir, paths, radius, all: true, ipac: false, text, said.Add));
        Assert.Contains(said, l => l.Contains($"ext-a.csv: 1 of 1,501 rows left out, the first: {paths[0]}:1502:"));
        var got = Csv(text.ToString());
        Assert.Equal(groups.Select(g => g.Gcntr), got.Select(r => long.Parse(r["gcntr"])));
        int matched = 0;
        for (int i = 0; i < groups.Count; i++)
        {
            var g = groups[i];
            var candidates = rows.Select(c => (c, Sep: Sky.SeparationArcsec(g.RaW, g.DecW, c.Ra, c.Dec))).Where(x => x.Sep <= radius)
                .OrderBy(x => x.Sep).ThenBy(x => x.c.File).ThenBy(x => x.c.Line).ToList();
            var row = got[i];
            Assert.Equal(candidates.Count, int.Parse(row["n_candidates"]));
            if (candidates.Count == 0)
            {
                Assert.Equal("-1", row["ext_line"]);
                continue;
            }
            matched++;
            var (c, sep) = candidates[0];
            Assert.Equal(paths[c.File], row["ext_file"]);
            Assert.Equal(c.Line, long.Parse(row["ext_line"]));
            Assert.Equal(c.Cntr, long.Parse(row["ext_cntr"]));
            Assert.Equal(sep, D(row["sep_arcsec"]), 9);
        }
        Assert.True(matched > groups.Count / 5, $"{matched} of {groups.Count} groups matched");

        // Without --all, only the groups with a candidate, the same rows.
        var some = new StringWriter();
        Assert.Null(Associations.Write(dir, paths, radius, all: false, ipac: false, some));
        Assert.Equal(got.Where(r => r["n_candidates"] != "0").Select(r => r["gcntr"]), Csv(some.ToString()).Select(r => r["gcntr"]));

        // Zone by zone (a catalogue too large to hold): the same bytes, ties between the two files included, in CSV and
        // IPAC, with --all and without, in a few zones and in the most.
        foreach (long memory in new long[] { 2 * 3000 * Associations.CatalogueBytesPerRow / 3 + 2, 1 })
            foreach (bool all in new[] { true, false })
                foreach (bool ipac in new[] { false, true })
                {
                    var held = new StringWriter();
                    var zoned = new StringWriter();
                    var zonedSaid = new List<string>();
                    Assert.Null(Associations.Write(dir, paths, radius, all, ipac, held));
                    Assert.Null(Associations.Write(dir, paths, radius, all, ipac, zoned, zonedSaid.Add, budget: new(memory, 3000)));
                    int zones = zonedSaid.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"matched in (\d+) declination zones"))
                        .Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value)).Single();
                    Assert.True(memory == 1 ? zones > 20 : zones is >= 2 and < 20, $"{zones} zones");
                    Assert.Equal(held.ToString(), zoned.ToString());
                }

        // Around each row through sky.fb (what a catalogue far smaller than the merge takes): the same groups, counts and
        // nearest rows as measured from every group, rows on the groups and just beyond the radius included.
        var (catalogue, readError) = Associations.ExternalCatalogue.Read(paths, radius);
        Assert.Null(readError);
        using var merged = OutputReader.Open(dir);
        var around = Associations.AroundRows(merged, catalogue!, radius);
        var scanned = merged.FindGroups((ra, dec) => catalogue!.Nearest(ra, dec, radius) is { Candidates: > 0 } n ? n : (Associations.Nearest?)null);
        Assert.Equal(scanned.Select(f => (f.Group.Gcntr, f.Found)), around.Select(f => (f.Group.Gcntr, f.Found)));
        Assert.Equal(scanned.Select(f => f.Group), around.Select(f => f.Group));
        Assert.Equal(matched, around.Count);
    }

    /// <summary>
    /// Groups found a batch of chunks at a time (as `wdb associate` writes them, never holding them all) are those found
    /// at once, in the same order with the same values, whatever the batch: one chunk, two, three, all of them.
    /// </summary>
    [Fact]
    public void Groups_found_a_batch_of_chunks_at_a_time_are_those_found_at_once()
    {
        using var reader = OutputReader.Open(Merged());
        Assert.True(reader.GroupCount > 3 * 1024, $"{reader.GroupCount} groups: too few chunks to batch");
        double? Probe(double ra, double dec) => dec > 30.0 ? ra + dec : null;
        var once = reader.FindGroups<double>(Probe);
        Assert.InRange(once.Count, reader.GroupCount / 4, reader.GroupCount * 3 / 4);
        foreach (int batch in new[] { 1, 2, 3, 1000 })
        {
            var batched = reader.FindGroupsEach<double>(Probe, batch).ToList();
            Assert.Equal(once.Select(f => (f.Group.Gcntr, f.Found)), batched.Select(f => (f.Group.Gcntr, f.Found)));
            Assert.Equal(once.Select(f => f.Group), batched.Select(f => f.Group));
        }
    }

    /// <summary>
    /// A catalogue larger than sky.fb keeps only its rows near some group (the merge of a field against a catalogue of
    /// the sky): for a field across RA 0/360 and one over the pole, rows near groups (within and just beyond the radius)
    /// among many more spread over ~15 deg around the field, the table is the same text the whole catalogue gives, with
    /// --all and without, while only a small part of the rows is held.
    /// </summary>
    [Theory]
    [InlineData(0.2, 30.0, 2.0)]
    [InlineData(40.0, 89.93, 600.0)]
    public void A_large_catalogue_keeps_only_its_rows_near_the_groups_and_gives_the_same_table(double ra0, double dec0, double radius)
    {
        var sky = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 1500, 41, CenterRaDeg: ra0, CenterDecDeg: dec0 > 80 ? 0 : dec0));
        if (dec0 > 80) for (int i = 0; i < sky.Count; i++) (sky.Ra[i], sky.Dec[i]) = TurnedNorth(sky.Ra[i], sky.Dec[i], ra0, dec0);
        string input = _s.PathOf("field.csv"), dir = _s.PathOf("merged"), catalogue = _s.PathOf("sky.csv");
        TableTextWriter.Write(sky, input);
        Assert.Null(MergeJob.Run(new MergeOptions { Inputs = [input], OutDir = dir, Device = "cpu" }).Error);
        List<GroupRecord> groups;
        using (var reader = OutputReader.Open(dir)) groups = reader.Groups().ToList();

        var rnd = new Random(17);
        var lines = new List<string> { "ra,dec" };
        for (int k = 0; k < 60_000; k++)
        {
            double ra, dec;
            if (k % 20 == 0)
            {
                var g = groups[rnd.Next(groups.Count)];
                double offset = radius * 1.2 * rnd.NextDouble(), angle = 2 * Math.PI * rnd.NextDouble();
                (ra, dec) = Wdb.Tests.Stats.TestBlocks.Offset(g.RaW, g.DecW, offset * Math.Sin(angle), offset * Math.Cos(angle));
            }
            else
            {
                // Uniform on the sphere within 15 deg of the field's centre (the polar one: a cap around the pole).
                double z0 = Math.Cos(15 * Math.PI / 180), z = z0 + (1 - z0) * rnd.NextDouble(), phi = 2 * Math.PI * rnd.NextDouble();
                (ra, dec) = TurnedFrom(phi, z, ra0, dec0);
            }
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{ra:R},{dec:R}"));
        }
        File.WriteAllLines(catalogue, lines);

        foreach (bool all in new[] { true, false })
        {
            var whole = new StringWriter();
            var near = new StringWriter();
            var said = new List<string>();
            Assert.Null(Associations.Write(dir, [catalogue], radius, all, ipac: false, whole, coverage: false));
            Assert.Null(Associations.Write(dir, [catalogue], radius, all, ipac: false, near, said.Add));
            Assert.Equal(whole.ToString(), near.ToString());
            // Zone by zone, the coverage's rows filed by declination: the same table.
            var zoned = new StringWriter();
            var zonedSaid = new List<string>();
            Assert.Null(Associations.Write(dir, [catalogue], radius, all, ipac: false, zoned, zonedSaid.Add, budget: new(64 << 10, 60_000)));
            Assert.Contains(zonedSaid, l => l.Contains(" declination zones"));
            Assert.Equal(whole.ToString(), zoned.ToString());
            Assert.True(Csv(near.ToString()).Count(r => r["n_candidates"] != "0") > groups.Count / 50, "too few groups matched to tell");
            var kept = said.Single(l => l.StartsWith("kept the ", StringComparison.Ordinal));
            long held = long.Parse(kept.Split(' ')[2], NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
            Assert.Contains("of 60,000 catalogue rows", kept);
            Assert.InRange(held, 2_000, 4_000);   // the rows placed near groups (2/3 of them within the radius), few of the rest
        }
    }

    /// <summary>
    /// The point at colatitude acos(<paramref name="z"/>) and azimuth <paramref name="phi"/> about the pole, with the pole
    /// then moved to (<paramref name="ra0"/>, <paramref name="dec0"/>).
    /// </summary>
    private static (double Ra, double Dec) TurnedFrom(double phi, double z, double ra0, double dec0)
    {
        // A cap about the north pole, turned down to the equator at ra0 (dec0 = 0), then back up north to dec0.
        double rxy = Math.Sqrt(1 - z * z);
        double x = rxy * Math.Cos(phi), y = rxy * Math.Sin(phi);
        // The pole (0, 0, 1) to (1, 0, 0): a turn by 90 deg about the y axis; then about the z axis to ra0.
        double ex = z, ey = y, ez = -x;
        double a = ra0 * Math.PI / 180;
        var (ra, dec) = Sky.ToRaDec(ex * Math.Cos(a) - ey * Math.Sin(a), ex * Math.Sin(a) + ey * Math.Cos(a), ez);
        return TurnedNorth(ra, dec, ra0, dec0);
    }

    /// <summary>
    /// `wdb associate` against an independent tool where it is installed: STILTS `tmatch2 matcher=sky` (find=best1 for the
    /// nearest row of each group, find=all for the candidates' count) on the groups as `wdb export` writes them, for a
    /// field across RA 0/360 and catalogue rows up to 3" from groups (radius 2"), through sky.fb and by the scan.
    /// Without STILTS on PATH the test is reported as skipped (the brute-force comparison above does not need it).
    /// </summary>
    [Fact]
    public void Associations_agree_with_stilts_tmatch2()
    {
        string stilts = ExternalTools.Require("stilts", "stilts");
        string dir = Merged(), groupsCsv = _s.PathOf("groups.csv");
        Assert.Null(Exporter.Export(dir, "groups", "csv", groupsCsv));
        var groups = Csv(File.ReadAllText(groupsCsv));
        var rnd = new Random(12);
        var lines = new List<string> { "ra,dec" };
        for (int k = 0; k < 1500; k++)
        {
            var g = groups[rnd.Next(groups.Count)];
            double offset = 3.0 * rnd.NextDouble(), angle = 2 * Math.PI * rnd.NextDouble();
            var (ra, dec) = Wdb.Tests.Stats.TestBlocks.Offset(D(g["ra_w"]), D(g["dec_w"]), offset * Math.Sin(angle), offset * Math.Cos(angle));
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{ra:R},{dec:R}"));
        }
        string catalogue = _s.PathOf("cat.csv");
        File.WriteAllLines(catalogue, lines);
        var positions = lines.Skip(1).Select(l => l.Split(',')).Select(f => (Ra: D(f[0]), Dec: D(f[1]))).ToList();
        // STILTS writes the position back in its own digits: the line is that of the row at that position.
        long LineOf(double ra, double dec) =>
            2 + Enumerable.Range(0, positions.Count).MinBy(i => Math.Abs(positions[i].Ra - ra) + Math.Abs(positions[i].Dec - dec));

        List<Dictionary<string, string>> Stilts(string find)
        {
            string outFile = _s.PathOf($"stilts-{find}.csv");
            var psi = new System.Diagnostics.ProcessStartInfo(stilts) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "tmatch2", $"in1={groupsCsv}", "ifmt1=csv", $"in2={catalogue}", "ifmt2=csv", "matcher=sky",
                         "values1=ra_w dec_w", "values2=ra dec", "params=2", $"find={find}", "join=1and2", $"out={outFile}", "ofmt=csv" })
                psi.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            Assert.True(p.WaitForExit(120_000), "stilts tmatch2 did not finish");
            Assert.True(p.ExitCode == 0, stderr.Result);
            return Csv(File.ReadAllText(outFile));
        }
        var best = Stilts("best1");
        var counts = Stilts("all").GroupBy(r => r["gcntr"]).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(best.Count > 500, $"{best.Count} groups matched");

        using var reader = OutputReader.Open(dir);
        var (cat, readError) = Associations.ExternalCatalogue.Read([catalogue], 2.0);
        Assert.Null(readError);
        var scanned = reader.FindGroups((ra, dec) => cat!.Nearest(ra, dec, 2.0) is { Candidates: > 0 } n ? n : (Associations.Nearest?)null);
        Assert.Equal(scanned.Select(f => f.Group.Gcntr), Associations.AroundRows(reader, cat!, 2.0).Select(f => f.Group.Gcntr));
        var ours = scanned.Select(f => cat!.Describe(f.Group, f.Found)).ToDictionary(a => a.Group.Gcntr.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(best.Select(r => r["gcntr"]).Order(), ours.Keys.Order());
        foreach (var r in best)
        {
            var a = ours[r["gcntr"]];
            Assert.Equal(LineOf(D(r["ra_2"]), D(r["dec_2"])), a.ExtLine);
            Assert.Equal(D(r["Separation"]), a.SepArcsec, 6);
            Assert.Equal(counts[r["gcntr"]], a.Candidates);
        }
    }

    /// <summary>(ra, dec) turned about the equatorial axis at RA <paramref name="ra0"/> + 90 by <paramref name="dec0"/> degrees, northwards.</summary>
    private static (double Ra, double Dec) TurnedNorth(double ra, double dec, double ra0, double dec0)
    {
        var (x, y, z) = Sky.UnitVector(ra, dec);
        double a = (ra0 + 90) * Math.PI / 180, kx = Math.Cos(a), ky = Math.Sin(a), t = -dec0 * Math.PI / 180;
        double c = Math.Cos(t), s = Math.Sin(t), dot = kx * x + ky * y;
        // Rodrigues: v cos t + (k x v) sin t + k (k . v)(1 - cos t), with k = (kx, ky, 0).
        double nx = x * c + ky * z * s + kx * dot * (1 - c);
        double ny = y * c - kx * z * s + ky * dot * (1 - c);
        double nz = z * c + (kx * y - ky * x) * s;
        return Sky.ToRaDec(nx, ny, nz);
    }

    [Fact]
    public void A_catalogue_without_positions_or_a_bad_radius_is_refused_and_nothing_is_written()
    {
        string dir = Merged();
        string noDec = _s.Write("no-dec.csv", "id,ra\n1,0.1\n");
        foreach (var (paths, radius, why) in new (string[], double, string)[]
        {
            ([noDec], 2, "missing required column 'dec'"),
            ([_s.PathOf("absent.csv")], 2, "absent.csv"),
            ([noDec], 0, "--radius"),
            ([noDec], 601, "--radius"),
            ([], 2, "no external catalogue"),
        })
        {
            var nothing = new StringWriter();
            Assert.Contains(why, Associations.Write(dir, paths, radius, false, false, nothing)!.Message);
            Assert.Equal("", nothing.ToString());
        }
    }

    [Fact]
    public void From_the_command_line_members_cone_and_associate_write_tables_or_one_line_and_exit_2()
    {
        string dir = Merged();
        long gcntr;
        using (var reader = OutputReader.Open(dir)) gcntr = reader.Members().GroupBy(m => m.Gcntr).First(g => g.Count() >= 2).Key;
        var members = WdbProcess.Run("members", dir, gcntr.ToString());
        Assert.True(members.Exit == 0, members.Stderr);
        var rows = Csv(members.Stdout);
        Assert.True(rows.Count >= 2);
        Assert.All(rows, r => Assert.Equal(gcntr, long.Parse(r["gcntr"])));
        var cone = WdbProcess.Run("cone", dir, "--ra", "0.1", "--dec", "30", "--radius", "90", "--format", "ipac");
        Assert.True(cone.Exit == 0, cone.Stderr);
        Assert.Contains("|sep_arcsec", cone.Stdout);
        var missing = WdbProcess.Run("members", dir, "987654321");
        Assert.Equal(2, missing.Exit);
        Assert.Equal("", missing.Stdout);
        Assert.Contains("wdb members: no group with gcntr 987654321", missing.Stderr);
        var notOutput = WdbProcess.Run("cone", _s.PathOf("nowhere"), "--ra", "1", "--dec", "1");
        Assert.Equal(2, notOutput.Exit);
        string catalogue = _s.Write("cat.csv", "ra,dec\n0.1,30\n0.2,30.01\n");
        var associated = WdbProcess.Run("associate", dir, catalogue, "--radius", "60", "--all");
        Assert.True(associated.Exit == 0, associated.Stderr);
        Assert.StartsWith("gcntr,ra_w,dec_w,n_members,n_candidates,sep_arcsec,ext_file", associated.Stdout);
        Assert.Contains("groups have a counterpart within 60\" among 2 catalogue rows", associated.Stderr);
        // --memory: a catalogue too large for it is matched zone by zone, the same table; a size that is not one is refused.
        var zoned = WdbProcess.Run("associate", dir, catalogue, "--radius", "60", "--all", "--memory", "1");
        Assert.True(zoned.Exit == 0, zoned.Stderr);
        Assert.Contains("declination zones", zoned.Stderr);
        Assert.Equal(associated.Stdout, zoned.Stdout);
        // What an interrupted zoned run left under TMPDIR (its process gone) goes at the next one; a live run's stays.
        string stale = Path.Combine(Path.GetTempPath(), $"wdb-associate-{int.MaxValue - 7}-test{Environment.ProcessId}");
        string live = Path.Combine(Path.GetTempPath(), $"wdb-associate-{Environment.ProcessId}-test");
        foreach (string d in new[] { stale, live }) File.WriteAllText(Path.Combine(Directory.CreateDirectory(d).FullName, "rows"), "x");
        var said = new List<string>();
        Associations.RemoveStaleSpills(said.Add);
        Assert.False(Directory.Exists(stale));
        Assert.True(Directory.Exists(live));
        Assert.Contains(said, l => l.Contains(stale) && l.Contains("left by an interrupted run"));
        Directory.Delete(live, recursive: true);
        var badMemory = WdbProcess.Run("associate", dir, catalogue, "--memory", "lots");
        Assert.Equal(2, badMemory.Exit);
        Assert.Contains("--memory: expected a size such as 8G", badMemory.Stderr);
    }

    /// <summary>
    /// `wdb cone --targets`: each target's rows are what `wdb cone` at its position gives (groups, separations, order),
    /// targets in the order read, from sky.fb and, without it, by the scan; a bad row is left out and said.
    /// </summary>
    [Fact]
    public void A_list_of_targets_gives_each_target_s_cone()
    {
        string dir = Merged();
        List<GroupRecord> groups;
        using (var reader = OutputReader.Open(dir)) groups = reader.Groups().ToList();
        var rnd = new Random(8);
        var targets = new List<(double Ra, double Dec)> { (0.0, 30.0), (359.99, 30.02), (100, -40) };   // across RA 0; empty sky
        for (int k = 0; k < 37; k++)
        {
            var g = groups[rnd.Next(groups.Count)];
            targets.Add((g.RaW, g.DecW));
        }
        var text = new StringBuilder("name,ra,dec\n");
        foreach (var (ra, dec) in targets) text.Append(CultureInfo.InvariantCulture, $"t{text.Length},{ra:R},{dec:R}\n");
        text.Append("bad,x,1\n");
        string list = _s.Write("targets.csv", text.ToString());

        foreach (int limit in new[] { 0, 2 })
        {
            var said = new List<string>();
            var output = new StringWriter();
            Assert.Null(Queries.Targets(dir, [list], 40, limit, ipac: false, output, said.Add));
            Assert.Contains(said, l => l.Contains("1 of 41 rows left out"));
            var rows = Csv(output.ToString());
            var expected = new List<(long Line, long Gcntr, double Sep)>();
            for (int t = 0; t < targets.Count; t++)
            {
                var cone = new StringWriter();
                Assert.Null(Queries.Cone(dir, targets[t].Ra, targets[t].Dec, 40, limit, ipac: false, cone));
                expected.AddRange(Csv(cone.ToString()).Select(r => ((long)t + 2, long.Parse(r["gcntr"]), D(r["sep_arcsec"]))));
            }
            Assert.Equal(expected, rows.Select(r => (long.Parse(r["target_line"]), long.Parse(r["gcntr"]), D(r["sep_arcsec"]))));
            Assert.All(rows, r => Assert.Equal(list, r["target_file"]));
            Assert.True(rows.Select(r => r["target_line"]).Distinct().Count() > 30);

            // As an IPAC table: the file column is as wide as the list's path (longer than a text column's 24
            // characters here), each data line's first two fields the file and the line of the CSV's rows.
            Assert.True(list.Length > 24, list);
            var ipac = new StringWriter();
            Assert.Null(Queries.Targets(dir, [list], 40, limit, ipac: true, ipac));
            var lines = ipac.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var header = lines.First(l => l.StartsWith('|'));
            Assert.Equal("target_file", header.Split('|', StringSplitOptions.RemoveEmptyEntries)[0].Trim());
            Assert.True(header.IndexOf('|', 1) - 1 >= list.Length, header);
            var data = lines.Where(l => !l.StartsWith('|') && !l.StartsWith('\\')).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
            Assert.Equal(rows.Select(r => (list, r["target_line"])), data.Select(f => (f[0], f[1])));
        }

        // A path with a blank cannot fill an IPAC column: refused in one line, not a crash.
        string blank = _s.Write("my targets.csv", text.ToString());
        Assert.Contains("cannot hold a path with a blank", Queries.Targets(dir, [blank], 40, 0, ipac: true, new StringWriter())!.Message);

        // Without sky.fb (an output from before it), by reading every group: the same table.
        var indexed = WdbProcess.Run("cone", dir, "--targets", list, "--radius", "40", "--quiet");
        Assert.True(indexed.Exit == 0, indexed.Stderr);
        foreach (string f in new[] { "sky.fb", "sky.idx" }) File.Delete(Path.Combine(dir, f));
        var scanned = WdbProcess.Run("cone", dir, "--targets", list, "--radius", "40", "--quiet");
        Assert.True(scanned.Exit == 0, scanned.Stderr);
        Assert.Equal(indexed.Stdout, scanned.Stdout);
        var both = WdbProcess.Run("cone", dir, "--targets", list, "--ra", "1", "--dec", "1");
        Assert.Equal(2, both.Exit);
        Assert.Contains("one of them", both.Stderr);
    }

    [Fact]
    public void A_cone_centre_may_be_sexagesimal_and_a_designation_finds_its_group()
    {
        string dir = Merged();
        // 0h00m24s = 0.1 deg, +30:00:00 = 30 deg exactly: the same cone, the same bytes.
        var degrees = WdbProcess.Run("cone", dir, "--ra", "0.1", "--dec", "30", "--radius", "90");
        Assert.True(degrees.Exit == 0, degrees.Stderr);
        Assert.True(Csv(degrees.Stdout).Count > 3);
        foreach (var (ra, dec) in new[] { ("00:00:24", "+30:00:00"), ("0h0m24s", "30d00m00s"), ("00 00 24", "30 00 00") })
        {
            var typed = WdbProcess.Run("cone", dir, "--ra", ra, "--dec", dec, "--radius", "90");
            Assert.True(typed.Exit == 0, typed.Stderr);
            Assert.Equal(degrees.Stdout, typed.Stdout);
        }

        // Every group of the field found by its designation, in wdb's form and the PSC's, and nothing else.
        List<GroupRecord> groups;
        using (var reader = OutputReader.Open(dir)) groups = reader.Groups().Where(g => g.Designation.Length > 0).Take(40).ToList();
        foreach (var g in groups.Take(5))
            foreach (string name in new[] { g.Designation, "2MASS " + g.Designation.Replace(".", "") })
            {
                var found = WdbProcess.Run("cone", dir, "--designation", name);
                Assert.True(found.Exit == 0, found.Stderr);
                var rows = Csv(found.Stdout);
                Assert.Contains(rows, r => long.Parse(r["gcntr"]) == g.Gcntr);
                Assert.All(rows, r => Assert.Equal(g.Designation, r["designation"]));
                Assert.Equal(groups.Count(o => o.Designation == g.Designation), rows.Count(r => groups.Any(o => o.Gcntr == long.Parse(r["gcntr"]))));
            }
        // In process for the rest (a process each would be slow): each group is among those its designation names.
        foreach (var g in groups)
        {
            var text = new StringWriter();
            Assert.Null(Queries.ByDesignation(dir, g.Designation, ipac: false, text));
            Assert.Contains(Csv(text.ToString()), r => long.Parse(r["gcntr"]) == g.Gcntr);
        }

        foreach (var (args, why) in new (string[], string)[]
        {
            (["--ra", "24:00:00", "--dec", "0"], "--ra: right ascension '24:00:00' is out of range"),
            (["--ra", "1", "--dec", "-91"], "--dec: declination -91 is not in [-90, 90] deg"),
            (["--ra", "1"], "give --ra and --dec"),
            (["--designation", groups[0].Designation, "--ra", "1", "--dec", "2"], "not both"),
            (["--designation", "J1234"], "is not a 2MASS designation"),
        })
        {
            var bad = WdbProcess.Run(["cone", dir, .. args]);
            Assert.Equal(2, bad.Exit);
            Assert.Equal("", bad.Stdout);
            Assert.Contains(why, bad.Stderr);
        }
    }
}
