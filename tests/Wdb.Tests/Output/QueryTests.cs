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

        var filtered = extractions.First(x => x.Gcntr < 0);
        foreach (var (gcntrs, cntrs, why) in new (long[], long[], string)[]
        {
            ([987_654_321], [], "no group with gcntr 987654321"),
            ([], [987_654_321], "no extraction with cntr 987654321"),
            ([], [filtered.Cntr], $"extraction {filtered.Cntr} is in no group: filtered_low_snr"),
            ([], [], "no group asked for"),
        })
        {
            var nothing = new StringWriter();
            Assert.Contains(why, Queries.Members(dir, gcntrs, cntrs, false, nothing)!.Message);
            Assert.Equal("", nothing.ToString());
        }
    }

    [Fact]
    public void From_the_command_line_members_and_cone_write_tables_or_one_line_and_exit_2()
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
    }
}
