using System.Globalization;
using System.Text.RegularExpressions;
using Wdb.Tests.Stats;
using CsvTable = Wdb.Tests.Stats.IndependentStatisticsTests.CsvTable;

namespace Wdb.Tests.Reliability;

/// <summary>
/// A second implementation of the reliability score: tests/independent/reliability_scores.py (Debian's python3 and
/// numpy) recomputes every extraction's score from docs/reliability.md and the committed model file, not from
/// ReliabilityModel, and compares wdb's exported extractions table row by row. The input is a generated survey and
/// calibration tile with edge rows put in (each cc_flg class, ndet absent, short, n = 0 and unreadable, no detected
/// band, SNR at each bin edge and beside it as float32 reads it, NaN SNR, minor planets) and hand-made groups at the
/// confirmation extremes (sdet 0, sdet/spos on the edges 0.25, 0.51 and 0.8, spos 1). Merged plainly, and with
/// --associate and --exclude-likely-artifacts (association evidence, filtered rows). Skipped without the tools.
/// </summary>
public class IndependentReliabilityTests(IndependentReliabilityTests.Sample sample) : IClassFixture<IndependentReliabilityTests.Sample>
{
    private static readonly string[] OrderedFeatures = ["artifact", "frame_fraction", "bands_detected", "snr", "confirmation"];

    [Fact]
    public void EveryScoreAgreesWithTheIndependentScript()
    {
        string python = ExternalTools.RequireDebianPython("numpy", "python3-numpy");
        var run = sample.Files.Plain;

        var (exit, stdout, stderr) = Script(python, sample.Files.Input, run.Extractions, run.Groups);

        Assert.True(exit == 0, $"reliability_scores.py exit {exit}\n{stdout}\n{stderr}");
        var coverage = Coverage(stdout);
        // Every bin of every feature is reached, so no bin's weight or edge goes unchecked.
        foreach (string feature in OrderedFeatures)
            Assert.True(coverage[feature].All(n => n > 0), $"{feature} misses a bin\n{stdout}");
        Assert.True(coverage["association"][0] > 0 && coverage["association"][1..].All(n => n == 0), stdout);
        AssertEveryScoreTheModelGives(stdout, coverage);
        Assert.True(coverage["minor planets"][0] > 0, stdout);
        // Values exactly on an edge, where "edges[k-1] <= x" decides: every SNR and confirmation edge (5/5 = 0.8 and
        // 51/100 = 0.51 too); of frame_fraction's only 1, since no m/n with n <= 9 is 0.33 or 0.66.
        Assert.Contains("values on a bin edge: frame_fraction 1 of 3 (1); snr 5 of 5 (3 5 7 10 20); confirmation 3 of 3 (0.25 0.51 0.8)", stdout);
        // The unreadable ndet (-1) rows are the reader's rejects, not scored rows.
        Assert.Matches(@"0 filtered \(255\); [1-9]\d* input rows not in the extractions table", stdout);
    }

    [Fact]
    public void WithAssociationsAndFilteredRows_EveryScoreAgrees()
    {
        string python = ExternalTools.RequireDebianPython("numpy", "python3-numpy");
        var run = sample.Files.Associated;

        var (exit, stdout, stderr) = Script(python, sample.Files.Input, run.Extractions, run.Groups, "--associate", sample.Files.Catalogue);

        Assert.True(exit == 0, $"reliability_scores.py exit {exit}\n{stdout}\n{stderr}");
        var coverage = Coverage(stdout);
        foreach (string feature in OrderedFeatures.Append("association"))
            Assert.True(coverage[feature].All(n => n > 0), $"{feature} misses a bin\n{stdout}");
        AssertEveryScoreTheModelGives(stdout, coverage);
        Assert.Matches(@"[1-9]\d* filtered \(255\)", stdout);
        // No group mean lies so near the radius that rounding could decide its counterpart.
        var edge = Regex.Match(stdout, @"closest separation to the association radius: (\S+) arcsec");
        Assert.True(edge.Success && double.Parse(edge.Groups[1].Value, CultureInfo.InvariantCulture) > 1e-6, stdout);
    }

    [Theory]
    [InlineData(false)]   // a scored row, one score up (or down from 9)
    [InlineData(true)]    // a filtered row given a score instead of 255
    public void TheScriptFailsWhenOneScoreIsWrong(bool filtered)
    {
        string python = ExternalTools.RequireDebianPython("numpy", "python3-numpy");
        var run = filtered ? sample.Files.Associated : sample.Files.Plain;
        string broken = sample.Scratch.PathOf($"extractions-broken-{filtered}.csv");
        long cntr = BreakOneScore(run.Extractions, broken, filtered);
        string[] associate = filtered ? ["--associate", sample.Files.Catalogue] : [];

        var (exit, stdout, stderr) = Script(python, sample.Files.Input, broken, run.Groups, associate);

        Assert.True(exit == 1, $"reliability_scores.py exit {exit} for a changed score\n{stdout}\n{stderr}");
        Assert.Contains("1 rows disagree", stderr);
        Assert.Contains($"cntr {cntr} ", stderr);
    }

    [Fact]
    public void TheScriptRefusesFilesItCannotUse()
    {
        string python = ExternalTools.RequireDebianPython("numpy", "python3-numpy");
        var run = sample.Files.Plain;

        var (exit, _, stderr) = Script(python, sample.Files.Input, run.Extractions, sample.Scratch.PathOf("no-such-groups.csv"));

        Assert.True(exit == 2, $"exit {exit}: {stderr}");
        Assert.StartsWith("reliability_scores: ", stderr);
    }

    private static void AssertEveryScoreTheModelGives(string stdout, Dictionary<string, int[]> coverage)
    {
        var can = Regex.Match(stdout, @"model can give scores: ([\d ]+)");
        Assert.True(can.Success, stdout);
        int[] scores = can.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        Assert.Equal(Enumerable.Range(0, 10), scores);   // v2 can give every score: the sample must show each
        Assert.All(scores, s => Assert.True(coverage["scores"][s] > 0, $"no row scores {s}\n{stdout}"));
    }

    /// <summary>The script's coverage line as counts per bin: "coverage: artifact 0:3 1:5 ...; scores 0:1 ...; minor planets 4".</summary>
    private static Dictionary<string, int[]> Coverage(string stdout)
    {
        var line = stdout.Split('\n').FirstOrDefault(l => l.StartsWith("coverage: ", StringComparison.Ordinal));
        Assert.True(line is not null, stdout);
        var result = new Dictionary<string, int[]>();
        foreach (string part in line!["coverage: ".Length..].Split("; "))
        {
            var m = Regex.Match(part, @"^([a-z_ ]+?) ((?:\d+:)?\d+(?: \d+:\d+)*)$");
            Assert.True(m.Success, part);
            result[m.Groups[1].Value] = m.Groups[2].Value.Split(' ').Select(kv => int.Parse(kv.Split(':')[^1], CultureInfo.InvariantCulture)).ToArray();
        }
        return result;
    }

    /// <summary>Copies the extractions CSV with one row's reliability changed: the first scored row, or the first filtered one; its cntr.</summary>
    private static long BreakOneScore(string extractions, string to, bool filtered)
    {
        string[] lines = File.ReadAllLines(extractions);
        string[] header = lines[0].Split(',');
        int rel = Array.IndexOf(header, "reliability"), reason = Array.IndexOf(header, "reason");
        for (int i = 1; i < lines.Length; i++)
        {
            string[] f = lines[i].Split(',');
            if ((f[reason] != "none") != filtered) continue;
            int score = int.Parse(f[rel], CultureInfo.InvariantCulture);
            f[rel] = filtered ? "0" : (score == 9 ? 8 : score + 1).ToString(CultureInfo.InvariantCulture);
            lines[i] = string.Join(',', f);
            File.WriteAllLines(to, lines);
            return long.Parse(f[0], CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException(filtered ? "no filtered row" : "no scored row");
    }

    private static (int Exit, string Stdout, string Stderr) Script(string python, string input, string extractions, string groups,
                                                                 params string[] more)
    {
        return IndependentScripts.Run(python, new[] { IndependentScripts.PathOf("reliability_scores.py"), "--input", input, "--extractions", extractions, "--groups", groups }.Concat(more));
    }


    /// <summary>The input, its catalogue and two merges with their exports, made once for the class.</summary>
    public sealed class Sample : OnceSample<SampleFiles>
    {
        protected override SampleFiles Make()
        {
            string survey = Generate("survey", "survey.csv", "--sources", "2500", "--seed", "31");
            string tile = Generate("caltile", "tile.csv", "--sources", "120", "--scans", "60", "--seed", "32");
            var table = WithColumn(IndependentStatisticsTests.EdgeCases.Combine([survey, tile]), "mp_flg");
            EdgeRows.Apply(table);
            EdgeRows.AddConfirmationGroups(table);
            string input = Scratch.Write("input.csv", table.ToCsv());
            string catalogue = Scratch.Write("catalogue.csv", EdgeRows.Catalogue(table));

            var plain = Merge("plain", input);
            var associated = Merge("associated", input, "--associate", catalogue, "--exclude-likely-artifacts");
            return new SampleFiles(input, catalogue, plain, associated);
        }

        private MergeRun Merge(string name, string input, params string[] options)
        {
            string merged = Scratch.PathOf(name);
            var (exit, _, err) = WdbProcess.Run(["merge", input, "--out", merged, "--quiet", .. options]);
            Assert.True(exit == 0, "wdb merge: " + err);
            return new MergeRun(Export(merged, name, "extractions"), Export(merged, name, "groups"));
        }

        private string Generate(string kind, string name, params string[] options) =>
            IndependentScripts.Generated(Scratch, kind, name, options);

        private string Export(string merged, string name, string table) =>
            IndependentScripts.ExportedCsv(Scratch, merged, table, $"{name}-{table}.csv");

        private static CsvTable WithColumn(CsvTable from, string column)
        {
            var t = new CsvTable([.. from.Header, column]);
            foreach (var row in from.Rows) t.Rows.Add([.. row, ""]);
            return t;
        }
    }

    public sealed record MergeRun(string Extractions, string Groups);

    public sealed record SampleFiles(string Input, string Catalogue, MergeRun Plain, MergeRun Associated);

    /// <summary>The evidence the generator never writes, put into every 89th row in turn, and groups at the confirmation extremes.</summary>
    internal static class EdgeRows
    {
        private static readonly string[] Bands = ["j", "h", "k"];

        private static Action<CsvTable, string[]> Snr(string value) =>
            (t, r) => { foreach (string b in Bands) t.Set(r, b + "_snr", value); };

        private static readonly Action<CsvTable, string[]>[] Edits =
        [
            (t, r) => t.Set(r, "cc_flg", "P00"),          // artifact
            (t, r) => t.Set(r, "cc_flg", "0D0"),
            (t, r) => t.Set(r, "cc_flg", "00X"),          // an upper-case letter 2MASS does not use: artifact still
            (t, r) => t.Set(r, "cc_flg", "0x0"),          // an unknown lower-case letter: contaminated
            (t, r) => t.Set(r, "cc_flg", "0-0"),          // neither a letter nor 0: contaminated
            (t, r) => t.Set(r, "cc_flg", "b0c"),          // confused
            (t, r) => t.Set(r, "cc_flg", "p0b"),          // contaminated outranks confused
            (t, r) => t.Set(r, "cc_flg", "0"),            // short: the absent bands are clean
            (t, r) => t.Set(r, "cc_flg", ""),
            (t, r) => t.Set(r, "ndet", ""),               // absent: unknown
            (t, r) => t.Set(r, "ndet", "000000"),         // no band saw it: unknown
            (t, r) => t.Set(r, "ndet", "000500"),         // 0 of 5 (n = 0 elsewhere)
            (t, r) => t.Set(r, "ndet", "500"),            // the integer 000500 spells
            (t, r) => t.Set(r, "ndet", "262606"),         // 2/6: [0.33, 0.66)
            (t, r) => t.Set(r, "ndet", "464646"),         // 4/6: [0.66, 1)
            (t, r) => t.Set(r, "ndet", "766666"),         // m > n counts as n
            (t, r) => t.Set(r, "ndet", "13"),             // Ks 1 of 3
            (t, r) => t.Set(r, "ndet", "-1"),             // not digits: the row's reject
            (t, r) => { foreach (string b in Bands) t.Set(r, b + "_m", ""); },   // no band detected
            (t, r) => t.Set(r, "ph_qual", "UUU"),
            (t, r) => t.Set(r, "rd_flg", "000"),
            (t, r) => t.Set(r, "ph_qual", "XXX"),
            (t, r) => { t.Set(r, "j_m", "99.99"); t.Set(r, "h_m", "-99.99"); t.Set(r, "k_m", "1e30"); },
            Snr("3"), Snr("5"), Snr("7"), Snr("10"), Snr("20"),          // each edge, in the bin above it
            Snr("2.9999999"), Snr("9.9999999"),                          // float32 rounds these to the edge
            Snr("19.999998"), Snr("-1"), Snr("NaN"), Snr(""),            // just under, negative, not known
            (t, r) => { t.Set(r, "ph_qual", "U" + t.Get(r, "ph_qual")[1..]); t.Set(r, "j_snr", "50"); },   // an upper limit's SNR is ignored
            (t, r) => t.Set(r, "mp_flg", "1"),            // a minor planet: unconfirmable, no catalogue
            (t, r) => t.Set(r, "mp_flg", "49"),           // not 1 (49 is the character '1'): no minor planet
            (t, r) => t.Set(r, "mp_flg", "0"),
            (t, r) => { t.Set(r, "j_m", ""); t.Set(r, "h_m", ""); t.Set(r, "k_snr", "12"); t.Set(r, "ndet", "000005"); },
                                                          // a hot pixel: filtered by --exclude-likely-artifacts
        ];

        private const int Period = 89;

        public static void Apply(CsvTable t)
        {
            for (int i = 0; i < t.Rows.Count; i++)
                if (i % Period is var k && k < Edits.Length) Edits[k](t, t.Rows[i]);
        }

        /// <summary>
        /// Groups at (200 + 0.1 i, +40) of spos scans, sdet of which detect it: each scan has two detected rows 20" NE
        /// and SW of the centre, so that its footprint covers the centre, and a row at the centre, detected or not. The
        /// ratios sit on the confirmation edges (1/4, 51/100, 4/5), beside them (50/100), at 0 and 1, and under
        /// min_spos; one group's centre row of one scan is a minor planet.
        /// </summary>
        public static void AddConfirmationGroups(CsvTable t)
        {
            long cntr = 95_000_000, scan = 9_500_000;
            (int Spos, int Sdet, bool MinorPlanet)[] groups =
                [(4, 0, false), (4, 1, false), (100, 50, false), (100, 51, false), (5, 4, false), (1, 1, false), (2, 2, false), (3, 3, true)];
            for (int g = 0; g < groups.Length; g++)
            {
                var (spos, sdet, mp) = groups[g];
                double ra = 200 + 0.1 * g, dec = 40;
                scan += 1000;
                for (int s = 0; s < spos; s++)
                {
                    Row(t, cntr++, scan + s, ra, dec, 20, 20, true, false);
                    Row(t, cntr++, scan + s, ra, dec, -20, -20, true, false);
                    Row(t, cntr++, scan + s, ra, dec, 0.01 * (s % 7), 0.01 * (s % 5), s < sdet, mp && s == 0);
                }
            }
        }

        private static void Row(CsvTable t, long cntr, long scan, double ra, double dec, double east, double north, bool detected, bool minorPlanet)
        {
            string[] row = Enumerable.Repeat("", t.Header.Length).ToArray();
            t.Set(row, "cntr", cntr.ToString(CultureInfo.InvariantCulture));
            t.Set(row, "scan_key", scan.ToString(CultureInfo.InvariantCulture));
            t.Set(row, "ra", (ra + east / 3600 / Math.Cos(dec * Math.PI / 180)).ToString("0.0000000", CultureInfo.InvariantCulture));
            t.Set(row, "dec", (dec + north / 3600).ToString("0.0000000", CultureInfo.InvariantCulture));
            t.Set(row, "err_maj", "0.2"); t.Set(row, "err_min", "0.15"); t.Set(row, "err_ang", "30");
            foreach (string b in Bands)
            {
                t.Set(row, b + "_m", detected ? "14.000" : "");
                t.Set(row, b + "_snr", detected ? "30" : "");
            }
            t.Set(row, "ph_qual", detected ? "AAA" : "UUU");
            t.Set(row, "rd_flg", detected ? "222" : "000");
            t.Set(row, "cc_flg", "000");
            t.Set(row, "ndet", "666666");
            t.Set(row, "mp_flg", minorPlanet ? "1" : "0");
            t.Rows.Add(row);
        }

        /// <summary>
        /// An external catalogue (ra, dec) of every third input row moved 0-3" east: some groups have a counterpart
        /// within 2", some only one beyond it, most none.
        /// </summary>
        public static string Catalogue(CsvTable t)
        {
            var sb = new System.Text.StringBuilder("ra,dec\n");
            for (int i = 0; i < t.Rows.Count; i += 3)
            {
                double ra = double.Parse(t.Get(t.Rows[i], "ra"), CultureInfo.InvariantCulture);
                double dec = double.Parse(t.Get(t.Rows[i], "dec"), CultureInfo.InvariantCulture);
                double east = 0.37 * (i / 3 % 9);
                sb.Append((ra + east / 3600 / Math.Cos(dec * Math.PI / 180)).ToString("0.0000000", CultureInfo.InvariantCulture))
                  .Append(',').Append(dec.ToString("0.0000000", CultureInfo.InvariantCulture)).Append('\n');
            }
            return sb.ToString();
        }
    }
}
