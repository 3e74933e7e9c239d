using System.Globalization;
using System.Text;

namespace Wdb.Tests.Stats;

/// <summary>
/// A second implementation of the group statistics: tests/independent/group_stats.py (Debian's python3 and numpy)
/// recomputes every statistic docs/confusion.md and COLUMNS.md define from the input and the exported members
/// table, written from those documents and not from GroupStatistics, and compares wdb's exported groups table
/// column by column. The input mixes a survey across RA 0/360, one near the north pole, a calibration tile,
/// the input edge cases the README names (no ellipse, no sigma, placeholders, upper limits, ph_qual X, no date)
/// and hand-made groups on the seam and at both poles and for each motion status. Skipped without the tools.
/// </summary>
public class IndependentStatisticsTests(IndependentStatisticsTests.Sample sample) : IClassFixture<IndependentStatisticsTests.Sample>
{
    [Fact]
    public void EveryDocumentedStatisticAgreesWithTheIndependentScript()
    {
        string python = ExternalTools.RequireDebianPython("numpy", "python3-numpy");
        var files = sample.Files;

        var (exit, stdout, stderr) = Script(python, files.Input, files.Members, files.Groups, files.Extractions);

        Assert.True(exit == 0, $"group_stats.py exit {exit}\n{stdout}\n{stderr}");
        Assert.Contains("not recomputed (no precise definition in the docs): none", stdout);
        // The sample reaches what it is for: every motion status, the RA seam, both poles, confused and large groups.
        var reach = System.Text.RegularExpressions.Regex.Match(stdout,
            @"coverage: pm_status 0:(\d+) 1:(\d+) 2:(\d+) 3:(\d+) 4:(\d+); across RA 0/360 (\d+); within 0.1 deg of a pole (\d+); confused (\d+); of one member (\d+); largest (\d+)");
        Assert.True(reach.Success, stdout);
        int[] n = reach.Groups.Values.Skip(1).Select(g => int.Parse(g.Value, CultureInfo.InvariantCulture)).ToArray();
        Assert.All(n[..5], count => Assert.True(count > 0, stdout));
        Assert.True(n[5] >= 1 && n[6] >= 2 && n[7] > 0 && n[8] > 0 && n[9] >= 50, stdout);
    }

    [Theory]
    [InlineData("h_magw", 1e-4)]        // a float column, moved by 100 times its tolerance
    [InlineData("spos", 1.0)]           // a count, off by one
    [InlineData("pm_ra", 0.01)]         // a motion, off by 10 uas/yr
    public void TheScriptFailsWhenOneStatisticIsWrong(string column, double shift)
    {
        string python = ExternalTools.RequireDebianPython("numpy", "python3-numpy");
        var files = sample.Files;
        string broken = sample.Scratch.PathOf($"groups-broken-{column}.csv");
        long gcntr = BreakFirstValue(files.Groups, broken, column, shift);

        var (exit, stdout, stderr) = Script(python, files.Input, files.Members, broken, null);

        Assert.True(exit == 1, $"group_stats.py exit {exit} for a broken {column}\n{stdout}\n{stderr}");
        Assert.Contains($"{column}: 1 groups disagree", stderr);
        Assert.Contains($"gcntr {gcntr}:", stderr);
        Assert.Contains($"members of group {gcntr}:", stderr);
    }

    private static (int Exit, string Stdout, string Stderr) Script(string python, string input, string members, string groups,
                                                                 string? extractions)
    {
        var args = new List<string> { IndependentScripts.PathOf("group_stats.py"), "--input", input, "--members", members, "--groups", groups };
        if (extractions is not null) args.AddRange(["--extractions", extractions]);
        return IndependentScripts.Run(python, args);
    }


    /// <summary>Copies the groups CSV with <paramref name="column"/> of the first group where it has a value shifted; that group's gcntr.</summary>
    private static long BreakFirstValue(string groups, string to, string column, double shift)
    {
        string[] lines = File.ReadAllLines(groups);
        int c = Array.IndexOf(lines[0].Split(','), column);
        Assert.True(c >= 0, $"no column {column} in {groups}");
        for (int i = 1; i < lines.Length; i++)
        {
            string[] f = lines[i].Split(',');
            if (f[c].Length == 0) continue;
            f[c] = (double.Parse(f[c], CultureInfo.InvariantCulture) + shift).ToString("R", CultureInfo.InvariantCulture);
            lines[i] = string.Join(',', f);
            File.WriteAllLines(to, lines);
            return long.Parse(f[0], CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"{column} is empty in every group");
    }

    /// <summary>The merged sample, made once for the class (generation, one merge and three exports: ~10 s).</summary>
    public sealed class Sample : OnceSample<SampleFiles>
    {
        protected override SampleFiles Make()
        {
            string seam = Generate("survey", "seam.csv", "--sources", "2500", "--seed", "11", "--ra", "0", "--dec", "10");
            string polar = Generate("survey", "polar.csv", "--sources", "1000", "--seed", "12", "--ra", "100", "--dec", "85");
            string tile = Generate("caltile", "tile.csv", "--sources", "150", "--scans", "60", "--seed", "13");
            var table = EdgeCases.Combine([seam, polar, tile]);
            EdgeCases.Apply(table);
            EdgeCases.AddHandMadeGroups(table);
            string input = Scratch.Write("input.csv", table.ToCsv());

            string merged = Scratch.PathOf("merged");
            var (exit, _, err) = WdbProcess.Run("merge", input, "--out", merged);
            Assert.True(exit == 0, "wdb merge: " + err);
            var files = new SampleFiles(input, Export(merged, "members"), Export(merged, "groups"), Export(merged, "extractions"));
            return files;
        }

        private string Generate(string kind, string name, params string[] options) =>
            IndependentScripts.Generated(Scratch, kind, name, options);

        private string Export(string merged, string table) => IndependentScripts.ExportedCsv(Scratch, merged, table, table + ".csv");
    }

    public sealed record SampleFiles(string Input, string Members, string Groups, string Extractions);

    /// <summary>A generated CSV held as fields (`wdb gen` writes no quotes or commas inside fields).</summary>
    internal sealed class CsvTable(string[] header)
    {
        public readonly string[] Header = header;
        public readonly List<string[]> Rows = new();

        public int Column(string name) => Array.IndexOf(Header, name) is var i and >= 0 ? i : throw new ArgumentException(name);

        public string Get(string[] row, string name) => row[Column(name)];

        public void Set(string[] row, string name, string value) => row[Column(name)] = value;

        public string ToCsv()
        {
            var sb = new StringBuilder().Append(string.Join(',', Header)).Append('\n');
            foreach (var r in Rows) sb.Append(string.Join(',', r)).Append('\n');
            return sb.ToString();
        }
    }

    /// <summary>
    /// What the generator never writes but the README says an input may hold, put into every 47th row in turn, and
    /// hand-made groups where the geometry is hardest.
    /// </summary>
    internal static class EdgeCases
    {
        private static readonly string[] Bands = ["j", "h", "k"];

        /// <summary>
        /// The files as one table, each file's cntr and scan_key moved into a range of its own (each generated file
        /// starts both at the same numbers), with a cmsig column beside each msigcom (90 % of it), the fallback
        /// where msigcom is null.
        /// </summary>
        public static CsvTable Combine(string[] paths)
        {
            CsvTable? table = null;
            for (int f = 0; f < paths.Length; f++)
            {
                string[] lines = File.ReadAllLines(paths[f]);
                string[] header = lines[0].Split(',');
                table ??= new CsvTable([.. header, .. Bands.Select(b => b + "_cmsig")]);
                Assert.Equal(header, table.Header[..header.Length]);
                foreach (string line in lines.Skip(1))
                {
                    string[] row = [.. line.Split(','), "", "", ""];
                    table.Set(row, "cntr", Offset(table.Get(row, "cntr"), f * 10_000_000L));
                    table.Set(row, "scan_key", Offset(table.Get(row, "scan_key"), f * 1_000_000L));
                    foreach (string b in Bands)
                        if (table.Get(row, b + "_msigcom") is { Length: > 0 } s)
                            table.Set(row, b + "_cmsig", (0.9 * Number(s)).ToString("0.000", CultureInfo.InvariantCulture));
                    table.Rows.Add(row);
                }
            }
            return table!;
        }

        private static readonly Action<CsvTable, string[]>[] Edits =
        [
            (t, r) => { t.Set(r, "err_maj", ""); t.Set(r, "err_min", ""); t.Set(r, "err_ang", ""); },   // no ellipse: 1"
            (t, r) => t.Set(r, "err_ang", ""),                       // no angle: a circle of the larger axis
            (t, r) => t.Set(r, "err_min", ""),                       // no minor axis: a circle of err_maj
            (t, r) => t.Set(r, "err_min", "0"),
            (t, r) => { t.Set(r, "err_maj", "0.001"); t.Set(r, "err_min", "0.001"); },   // under the 0.01" floor
            (t, r) => t.Set(r, "err_ang", "-30"),
            (t, r) => t.Set(r, "err_ang", "45.5"),
            (t, r) => t.Set(r, "err_maj", "0"),
            (t, r) => t.Set(r, "j_msigcom", "0"),                    // unweighted only
            (t, r) => t.Set(r, "h_msigcom", "-0.1"),
            (t, r) => { t.Set(r, "k_msigcom", ""); t.Set(r, "k_cmsig", ""); },
            (t, r) => t.Set(r, "j_msigcom", ""),                     // cmsig instead
            (t, r) => t.Set(r, "j_m", "-99.99"),                     // placeholders
            (t, r) => t.Set(r, "h_m", "99.99"),
            (t, r) => t.Set(r, "k_m", "1e30"),
            (t, r) => SetFlag(t, r, "ph_qual", 0, 'U'),              // an upper limit whatever rd_flg says
            (t, r) => SetFlag(t, r, "ph_qual", 1, 'X'),              // no valid brightness
            (t, r) => t.Set(r, "jdate", ""),
            (t, r) => t.Set(r, "cc_flg", "P0x"),
            (t, r) => t.Set(r, "cc_flg", "0I0"),
            (t, r) => t.Set(r, "cc_flg", ""),
            (t, r) => t.Set(r, "rd_flg", "2"),                       // written as a number: 002, J and H not detected
        ];

        private const int Period = 47;

        public static void Apply(CsvTable t)
        {
            for (int i = 0; i < t.Rows.Count; i++)
                if (i % Period is var k && k < Edits.Length) Edits[k](t, t.Rows[i]);
        }

        private static void SetFlag(CsvTable t, string[] row, string column, int band, char value)
        {
            char[] flag = t.Get(row, column).ToCharArray();
            if (flag.Length > band) flag[band] = value;
            t.Set(row, column, new string(flag));
        }

        /// <summary>
        /// Groups, each of scans of its own (a scan's footprint is the box of its rows: one scan at both poles would
        /// cover half the sky), of up to six members 0.4" round a centre: one straddling RA 0/360, one 0.18" from the north pole
        /// and one 0.25" from the south pole (members all round them in RA), and one per motion status: a 20-day
        /// baseline, two members of four with a date, none with a date, and a fit whose times carry no weight
        /// spread (two precise members at one epoch, the third at another with a 10^7" ellipse).
        /// </summary>
        public static void AddHandMadeGroups(CsvTable t)
        {
            long cntr = 90_000_000;
            long scan = 9_000_000;
            double[] epochs = [2451000.5, 2451040.5, 2451200.5, 2451400.5, 2451700.5, 2452000.5];
            void Group(double ra, double dec, int members, Func<int, double?> jdate, Func<int, string>? errMaj = null)
            {
                scan += 10;
                for (int k = 0; k < members; k++)
                {
                    double angle = 2 * Math.PI * k / members;
                    var (mra, mdec) = Offset(ra, dec, 0.4 * Math.Sin(angle), 0.4 * Math.Cos(angle));
                    string[] row = Enumerable.Repeat("", t.Header.Length).ToArray();
                    t.Set(row, "cntr", (cntr++).ToString(CultureInfo.InvariantCulture));
                    t.Set(row, "scan_key", (scan + k).ToString(CultureInfo.InvariantCulture));
                    t.Set(row, "ra", mra.ToString("0.0000000", CultureInfo.InvariantCulture));
                    t.Set(row, "dec", mdec.ToString("0.0000000", CultureInfo.InvariantCulture));
                    t.Set(row, "err_maj", errMaj?.Invoke(k) ?? "0.2");
                    t.Set(row, "err_min", "0.15");
                    t.Set(row, "err_ang", (17 * k + 5).ToString(CultureInfo.InvariantCulture));
                    t.Set(row, "jdate", jdate(k)?.ToString("0.00000", CultureInfo.InvariantCulture) ?? "");
                    for (int b = 0; b < 3; b++)
                    {
                        double mag = 14 - 0.4 * b + 0.05 * ((k * (b + 3)) % 5);
                        t.Set(row, Bands[b] + "_m", mag.ToString("0.000", CultureInfo.InvariantCulture));
                        t.Set(row, Bands[b] + "_msigcom", (0.03 + 0.01 * b).ToString("0.000", CultureInfo.InvariantCulture));
                    }
                    t.Set(row, "ph_qual", "AAA");
                    t.Set(row, "rd_flg", "222");
                    t.Set(row, "bl_flg", "111");
                    t.Set(row, "cc_flg", "000");
                    t.Set(row, "ndet", "666666");
                    t.Rows.Add(row);
                }
            }
            Group(0.0, -45.0, 6, k => epochs[k]);
            Group(0.0, 89.99995, 6, k => epochs[k]);
            Group(123.0, -89.99993, 6, k => epochs[k]);
            Group(200.0, 40.0, 4, k => 2451000.5 + 5 * k + (k == 3 ? 5 : 0));          // baseline 20 d: status 2
            Group(200.01, 40.0, 4, k => k < 2 ? epochs[k] : null);                      // two timed: status 1
            Group(200.02, 40.0, 3, _ => null);                                            // none timed: status 3
            Group(200.03, 40.0, 3, k => k < 2 ? epochs[0] : epochs[3], k => k < 2 ? "0.005" : "1e7");   // status 4
        }

        /// <summary>The position (deg) at offsets east and north (arcsec) from (ra, dec), on the sphere.</summary>
        private static (double Ra, double Dec) Offset(double ra, double dec, double east, double north)
        {
            double a = ra * Math.PI / 180, d = dec * Math.PI / 180, x = east * Math.PI / 648000, y = north * Math.PI / 648000;
            double[] c = [Math.Cos(d) * Math.Cos(a), Math.Cos(d) * Math.Sin(a), Math.Sin(d)];
            double[] e = [-Math.Sin(a), Math.Cos(a), 0];
            double[] n = [-Math.Sin(d) * Math.Cos(a), -Math.Sin(d) * Math.Sin(a), Math.Cos(d)];
            double[] p = [c[0] + x * e[0] + y * n[0], c[1] + x * e[1] + y * n[1], c[2] + x * e[2] + y * n[2]];
            double len = Math.Sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
            double pra = Math.Atan2(p[1], p[0]) * 180 / Math.PI;
            return (pra < 0 ? pra + 360 : pra, Math.Asin(p[2] / len) * 180 / Math.PI);
        }

        private static string Offset(string value, long by) => (long.Parse(value, CultureInfo.InvariantCulture) + by).ToString(CultureInfo.InvariantCulture);

        private static double Number(string s) => double.Parse(s, CultureInfo.InvariantCulture);
    }
}
