using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Wdb.Tests.Link;

/// <summary>
/// A second implementation of the candidate groups: tests/independent/fof_components.py (Debian's python3, numpy and
/// scipy) recomputes the friends-of-friends components from the inputs with scipy's k-d tree, as SPEC §4, README and
/// docs/filters.md define them (a chord of at most 2 sin(r/2) between unit vectors, inclusive; filtered rows take no
/// part), and compares the partition and cgid = smallest cntr row for row with wdb's exported extractions table. The
/// samples: a survey strip across RA 0/360 with survey fields turned onto both celestial poles, merged held whole at
/// the default radius and at 3.6" with --min-snr; a 600-scan calibration tile; chains across many declination zones
/// and RA 0/360 merged in 400-row zones and 150-row link blocks; a small one on --device ilgpu-cpu. Each has hand-made
/// pairs exactly at the radius and 1e-9 deg inside and outside it. Skipped without the tools.
/// </summary>
public class IndependentComponentsTests(IndependentComponentsTests.Samples samples) : IClassFixture<IndependentComponentsTests.Samples>
{
    /// <summary>
    /// A sample, and what its coverage lines must reach so that agreement is not vacuous; roundThePoles: components round
    /// the north pole (1) or both (2), each a rosette of rows all round it in RA.
    /// </summary>
    [Theory]
    [InlineData("sky", 2000, 1, 2)]
    [InlineData("radius", 1500, 1, 1)]
    [InlineData("tile", 35, 600, 0)]
    [InlineData("zones", 2000, 1000, 0)]
    [InlineData("ilgpu", 100, 1, 2)]
    public void EveryCandidateGroupAgreesWithTheIndependentScript(string name, int minMulti, int minLargest, int roundThePoles)
    {
        string python = ExternalTools.RequireDebianPython("scipy", "python3-scipy");
        var sample = samples.Of(name);

        var (exit, stdout, stderr) = Script(python, sample, sample.Extractions);

        Assert.True(exit == 0, $"fof_components.py exit {exit}\n{stdout}\n{stderr}");
        Assert.Contains("differences: pairs within r in two candidate groups 0; candidate groups not one component 0; " +
                        "cgid not the smallest cntr 0; filtered rows with a cgid or merged rows without 0", stdout);
        var reach = Coverage(stdout);
        Assert.True(reach.Multi >= minMulti && reach.Largest >= minLargest, stdout);
        Assert.True(reach.Inside >= sample.HandInside && reach.Outside >= sample.HandOutside, stdout);
        if (sample.HandInside > 0) Assert.True(reach.Seam >= HandMade.SeamClusters, stdout);
        Assert.True((reach.North >= 1) == (roundThePoles >= 1) && (reach.South >= 1) == (roundThePoles >= 2), stdout);
        if (name == "radius")
        {
            Assert.True(reach.Filtered > 1000, stdout);
            Assert.True(reach.AtRadius >= 4, stdout);   // the decimal-exact pairs: meridians, equator, through the south pole
        }
    }

    [Fact]
    public void TheSamplesRanOnTheirDevicesAndInZones()
    {
        ExternalTools.RequireDebianPython("scipy", "python3-scipy");
        Assert.Contains("\"device\": \"ilgpu cpu", File.ReadAllText(Path.Combine(samples.Of("ilgpu").Merged, "summary.json")));
        Assert.Matches("\"zones\": *[1-9][0-9]", File.ReadAllText(Path.Combine(samples.Of("zones").Merged, "summary.json")));
    }

    /// <summary>Each edit of one candidate group's cgid in a copy of the table, and what the script must say of it.</summary>
    [Theory]
    [InlineData("split", "but wdb puts them in candidate groups")]       // one row of a group given its own cgid
    [InlineData("relabel", "its smallest cntr is")]                       // a whole group's cgid another member's cntr
    [InlineData("join", "that no chain of links within 2\" joins")]       // two groups given one cgid
    public void TheScriptFailsWhenOneCgidIsChanged(string edit, string said)
    {
        string python = ExternalTools.RequireDebianPython("scipy", "python3-scipy");
        var sample = samples.Of("sky");
        string broken = samples.Scratch.PathOf($"extractions-{edit}.csv");
        long cgid = Break(sample.Extractions, broken, edit);

        var (exit, stdout, stderr) = Script(python, sample, broken);

        Assert.True(exit == 1, $"fof_components.py exit {exit} for a changed cgid ({edit})\n{stdout}\n{stderr}");
        Assert.Contains(said, stderr);
        Assert.Contains(cgid.ToString(CultureInfo.InvariantCulture), stderr);
    }

    [Fact]
    public void TheScriptRefusesInputsThatAreNotTheMergesWithExitTwo()
    {
        string python = ExternalTools.RequireDebianPython("scipy", "python3-scipy");
        var sample = samples.Of("sky");

        var (exit, _, stderr) = Script(python, sample with { Inputs = sample.Inputs[..1] }, sample.Extractions);

        Assert.True(exit == 2, stderr);
        Assert.Contains("give every input the merge read", stderr);
    }

    private sealed record Reach(int Filtered, int Multi, int Largest, int Seam, int North, int South, int Inside, int Outside, int AtRadius);

    private static Reach Coverage(string stdout)
    {
        var m = Regex.Match(stdout, @"filtered (\d+),.*of 2\+ rows (\d+), largest (\d+); across RA 0/360 (\d+); round the north pole (\d+), the south pole (\d+)\n" +
                                    @".*inside r (\d+); .*outside r (\d+) .*at r to rounding (\d+)");
        Assert.True(m.Success, stdout);
        int At(int i) => int.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture);
        return new Reach(At(1), At(2), At(3), At(4), At(5), At(6), At(7), At(8), At(9));
    }

    private static (int Exit, string Stdout, string Stderr) Script(string python, Sample sample, string extractions)
    {
        var args = new List<string> { IndependentScripts.PathOf("fof_components.py"), "--extractions", extractions, "--radius", sample.Radius };
        foreach (string input in sample.Inputs) args.AddRange(["--input", input]);
        return IndependentScripts.Run(python, args);
    }


    /// <summary>
    /// Copies the extractions table with one candidate group of 3+ rows changed: its last row given its own cntr as cgid
    /// (split), every row given the group's largest cntr (relabel), or the next such group given this one's cgid (join).
    /// Returns the cgid the script must name.
    /// </summary>
    private static long Break(string extractions, string to, string edit)
    {
        string[] lines = File.ReadAllLines(extractions);
        string[] header = lines[0].Split(',');
        int cn = Array.IndexOf(header, "cntr"), cg = Array.IndexOf(header, "cgid");
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        var groups = rows.Where(f => f[cg] != "-1").GroupBy(f => f[cg]).Where(g => g.Count() >= 3).Take(2).ToArray();
        Assert.True(groups.Length == 2, "the sample has no two candidate groups of 3+ rows");
        string[][] first = groups[0].ToArray();
        long result;
        switch (edit)
        {
            case "split":
                var last = first.MaxBy(f => long.Parse(f[cn], CultureInfo.InvariantCulture))!;
                last[cg] = last[cn];
                result = long.Parse(last[cn], CultureInfo.InvariantCulture);
                break;
            case "relabel":
                string largest = first.Select(f => long.Parse(f[cn], CultureInfo.InvariantCulture)).Max().ToString(CultureInfo.InvariantCulture);
                foreach (var f in first) f[cg] = largest;
                result = long.Parse(largest, CultureInfo.InvariantCulture);
                break;
            default:
                string id = first[0][cg];
                foreach (var f in groups[1]) f[cg] = id;
                result = long.Parse(id, CultureInfo.InvariantCulture);
                break;
        }
        File.WriteAllLines(to, [lines[0], .. rows.Select(f => string.Join(',', f))]);
        return result;
    }

    /// <summary>A merge: its inputs in order, radius, output directory, exported extractions, and the hand-made pairs it holds.</summary>
    public sealed record Sample(string[] Inputs, string Radius, string Merged, string Extractions, int HandInside, int HandOutside);

    /// <summary>The merged samples, each made once for the class on first use (generation, a merge, an export).</summary>
    public sealed class Samples : IDisposable
    {
        public Scratch Scratch { get; } = new();
        private readonly Dictionary<string, Lazy<Sample>> _samples;

        public Samples() => _samples = new()
        {
            ["sky"] = new(() => Sky("sky", "2", pairThroughSouthPole: false)),
            ["radius"] = new(() => Sky("radius", "3.6", pairThroughSouthPole: true, "--min-snr", "8")),
            ["tile"] = new(() => Merged("tile", "2", 0, 0, [Generate("caltile", "tile.csv", "--sources", "40", "--scans", "600", "--seed", "21")])),
            ["zones"] = new(() => Zones()),
            ["ilgpu"] = new(() => Small()),
        };

        public Sample Of(string name)
        {
            lock (_samples) return _samples[name].Value;
        }

        public void Dispose() => Scratch.Dispose();

        /// <summary>
        /// The strip across RA 0/360, fields turned onto the north and south poles, and the hand-made rows.
        /// </summary>
        private Sample Sky(string name, string radius, bool pairThroughSouthPole, params string[] options)
        {
            var hand = new HandMade();
            hand.BoundaryPairs(decimal.Parse(radius, CultureInfo.InvariantCulture), pairThroughSouthPole);
            string[] inputs =
            [
                Generate("survey", "strip.csv", "--sources", "6000", "--seed", "31", "--ra", "0", "--dec", "0"),
                Turned(Generate("survey", "north-field.csv", "--sources", "3000", "--seed", "32", "--ra", "0", "--dec", "0"), "north.csv", north: true, 1),
                Turned(Generate("survey", "south-field.csv", "--sources", "3000", "--seed", "33", "--ra", "0", "--dec", "0"), "south.csv", north: false, 2),
                Scratch.Write($"{name}-hand.csv", hand.ToCsv()),
            ];
            return Merged(name, radius, hand.Inside, hand.Outside, inputs, options);
        }

        /// <summary>Chains 1.7" a step along a meridian across the strip's declinations and along a parallel across RA 0/360.</summary>
        private Sample Zones()
        {
            var hand = new HandMade();
            hand.Chain(0.05, -0.25, 0.0, 1.7 / 3600, 1060);
            hand.Chain(359.85, 0.1, 1.7 / 3600, 0.0, 640);
            string strip = Generate("survey", "strip.csv", "--sources", "6000", "--seed", "31", "--ra", "0", "--dec", "0");
            return Merged("zones", "2", 0, 0, [strip, Scratch.Write("chains.csv", hand.ToCsv())], "--zone-rows", "400", "--block-rows", "150");
        }

        /// <summary>A small field at the north pole and the hand-made pairs, linked by ILGPU's CPU accelerator.</summary>
        private Sample Small()
        {
            var hand = new HandMade();
            hand.BoundaryPairs(2m, pairThroughSouthPole: false);
            string field = Turned(Generate("survey", "small-field.csv", "--sources", "400", "--seed", "34", "--ra", "0", "--dec", "0"), "small-north.csv", north: true, 1);
            return Merged("ilgpu", "2", hand.Inside, hand.Outside, [field, Scratch.Write("ilgpu-hand.csv", hand.ToCsv())], "--device", "ilgpu-cpu");
        }

        private Sample Merged(string name, string radius, int inside, int outside, string[] inputs, params string[] options)
        {
            string merged = Scratch.PathOf(name + "-merged");
            var (exit, _, err) = WdbProcess.Run(["merge", .. inputs, "--out", merged, "--radius", radius, .. options]);
            Assert.True(exit == 0, "wdb merge: " + err);
            string extractions = IndependentScripts.ExportedCsv(Scratch, merged, "extractions", name + "-extractions.csv");
            return new Sample(inputs, radius, merged, extractions, inside, outside);
        }

        private string Generate(string kind, string name, params string[] options) =>
            IndependentScripts.Generated(Scratch, kind, name, options);

        /// <summary>
        /// A generated field centred on (0, 0) turned rigidly onto a pole (separations kept), its cntr and scan_key moved
        /// into a range of their own (file <paramref name="file"/>), and the rows within 2' of the pole left out: the
        /// hand-made rows hold it.
        /// </summary>
        private string Turned(string path, string name, bool north, int file)
        {
            string to = Scratch.PathOf(name);
            if (File.Exists(to)) return to;
            string[] lines = File.ReadAllLines(path);
            string[] header = lines[0].Split(',');
            int cn = Array.IndexOf(header, "cntr"), sk = Array.IndexOf(header, "scan_key");
            int ra = Array.IndexOf(header, "ra"), dec = Array.IndexOf(header, "dec");
            var sb = new StringBuilder(lines[0]).Append('\n');
            foreach (string line in lines.Skip(1))
            {
                string[] f = line.Split(',');
                var (r, d) = OntoPole(Number(f[ra]), Number(f[dec]), north);
                if (90 - Math.Abs(d) < 120.0 / 3600) continue;
                f[ra] = HandMade.Ra(r);
                f[dec] = d.ToString("F9", CultureInfo.InvariantCulture);
                f[cn] = (long.Parse(f[cn], CultureInfo.InvariantCulture) + file * 10_000_000L).ToString(CultureInfo.InvariantCulture);
                f[sk] = (long.Parse(f[sk], CultureInfo.InvariantCulture) + file * 1_000_000L).ToString(CultureInfo.InvariantCulture);
                sb.Append(string.Join(',', f)).Append('\n');
            }
            return Scratch.Write(name, sb.ToString());
        }

        /// <summary>(ra, dec) after the rotation that takes (0, 0) to the pole: (x, y, z) -> (-z, y, x) north, (z, y, -x) south.</summary>
        private static (double Ra, double Dec) OntoPole(double raDeg, double decDeg, bool north)
        {
            double a = raDeg * Math.PI / 180, d = decDeg * Math.PI / 180;
            double x = Math.Cos(d) * Math.Cos(a), y = Math.Cos(d) * Math.Sin(a), z = Math.Sin(d);
            (x, y, z) = north ? (-z, y, x) : (z, y, -x);
            double ra = Math.Atan2(y, x) * 180 / Math.PI;
            return (ra < 0 ? ra + 360 : ra, Math.Atan2(z, Math.Sqrt(x * x + y * y)) * 180 / Math.PI);
        }

        private static double Number(string s) => double.Parse(s, CultureInfo.InvariantCulture);
    }

    /// <summary>Hand-made rows (cntr, scan_key, ra, dec), each of a scan of its own, far from the generated fields.</summary>
    internal sealed class HandMade
    {
        /// <summary>Clusters of rows on both sides of RA 0/360 in <see cref="BoundaryPairs"/>.</summary>
        public const int SeamClusters = 10;

        private readonly StringBuilder _csv = new("cntr,scan_key,ra,dec\n");
        private long _cntr = 90_000_000, _scan = 9_000_000;

        /// <summary>Pairs 1e-9 deg inside the radius (linked) and outside it (not), where the test can count them.</summary>
        public int Inside { get; private set; }
        public int Outside { get; private set; }

        public string ToCsv() => _csv.ToString();

        public void Row(string ra, string dec) =>
            _csv.Append(CultureInfo.InvariantCulture, $"{_cntr++},{_scan++},{ra},{dec}\n");

        /// <summary>
        /// For each separation, the radius and 1e-9 deg less and more: pairs along a meridian (at the equator, 45.1,
        /// -60.2 and 36" from each pole) and along the equator, where decimal degrees give the separation exactly;
        /// across RA 0/360 at dec 30 and along a great circle at bearing 37 deg, placed in doubles (to ~1e-13 deg). Round
        /// the north pole a rosette (7 rows 0.9" from it), round the south pole another or one pair through it at exactly
        /// the radius (each pole has room for one), and <see cref="SeamClusters"/> rosettes (5 rows 0.8" round a point of
        /// RA 0) across RA 0/360.
        /// </summary>
        public void BoundaryPairs(decimal radiusArcsec, bool pairThroughSouthPole)
        {
            decimal r = decimal.Round(radiusArcsec / 3600m, 15);
            decimal[] separations = [r, r - 0.000000001m, r + 0.000000001m];
            for (int k = 0; k < 3; k++)
            {
                decimal s = separations[k];
                foreach (decimal d0 in new[] { 0m, 45.1m, -60.2m })
                    Pair(100m + 0.01m * k, d0, 100m + 0.01m * k, d0 + s, k);
                Pair(30m + 60m * k, 89.99m, 30m + 60m * k, 89.99m + s, k);
                Pair(30m + 60m * k, -89.99m - s, 30m + 60m * k, -89.99m, k);
                Pair(150m + 0.01m * k, 0m, 150m + 0.01m * k + s, 0m, k);
                double sep = (double)s * Math.PI / 180;
                double dec = 30 + 0.01 * k;
                double half = Math.Asin(Math.Sin(sep / 2) / Math.Cos(dec * Math.PI / 180)) * 180 / Math.PI;
                Pair(Ra(360 - half), Deg(dec), Ra(half), Deg(dec), k);
                var (ra1, dec1) = Along(200 + 0.01 * k, 30, 37, -sep / 2);
                var (ra2, dec2) = Along(200 + 0.01 * k, 30, 37, sep / 2);
                Pair(Ra(ra1), Deg(dec1), Ra(ra2), Deg(dec2), k);
            }
            PoleRosette(1);
            if (!pairThroughSouthPole) PoleRosette(-1);
            else
            {
                string dec = (r / 2 - 90m).ToString(CultureInfo.InvariantCulture);
                Row("10", dec);
                Row("190", dec);
            }
            for (int k = 0; k < SeamClusters; k++) Rosette(0, 20 + 0.01 * k, 5, 0.8);
        }

        /// <summary>7 rows 0.9" from the pole (sign 1 north, -1 south), evenly in RA: neighbours 0.78" apart, opposite ones 1.8".</summary>
        private void PoleRosette(int sign)
        {
            for (int m = 0; m < 7; m++) Row(Ra(10 + 360.0 * m / 7), Deg(sign * (90 - 0.9 / 3600)));
        }

        /// <summary><paramref name="n"/> rows <paramref name="arcsec"/> round (ra, dec), evenly in position angle (not at a pole).</summary>
        private void Rosette(double ra, double dec, int n, double arcsec)
        {
            for (int m = 0; m < n; m++)
            {
                var (a, d) = Along(ra, dec, 10 + 360.0 * m / n, arcsec * Math.PI / 648000);
                Row(Ra(a), Deg(d));
            }
        }

        /// <summary><paramref name="n"/> rows from (ra0, dec0), each (dra, ddec) deg from the last, zigzagging 0.3" across.</summary>
        public void Chain(double ra0, double dec0, double dra, double ddec, int n)
        {
            for (int i = 0; i < n; i++)
            {
                double wiggle = (i % 2 == 0 ? 0.3 : -0.3) / 3600;
                double ra = ra0 + i * dra + (ddec != 0 ? wiggle : 0), dec = dec0 + i * ddec + (dra != 0 ? wiggle : 0);
                Row(Ra(ra), Deg(dec));
            }
        }

        private void Pair(decimal ra1, decimal dec1, decimal ra2, decimal dec2, int k) =>
            Pair(ra1.ToString(CultureInfo.InvariantCulture), dec1.ToString(CultureInfo.InvariantCulture),
                 ra2.ToString(CultureInfo.InvariantCulture), dec2.ToString(CultureInfo.InvariantCulture), k);

        private void Pair(string ra1, string dec1, string ra2, string dec2, int k)
        {
            Row(ra1, dec1);
            Row(ra2, dec2);
            if (k == 1) Inside++;
            if (k == 2) Outside++;
        }

        /// <summary>RA in [0, 360) with 13 decimals (a value that would print as 360 is 0).</summary>
        public static string Ra(double ra)
        {
            ra = ra - 360 * Math.Floor(ra / 360);
            string s = ra.ToString("F13", CultureInfo.InvariantCulture);
            return s.StartsWith("360", StringComparison.Ordinal) ? "0" : s;
        }

        private static string Deg(double dec) => dec.ToString("F13", CultureInfo.InvariantCulture);

        /// <summary>The point <paramref name="angle"/> (radians) along the great circle from (ra, dec) at a bearing (deg east of north).</summary>
        private static (double Ra, double Dec) Along(double raDeg, double decDeg, double bearingDeg, double angle)
        {
            double a = raDeg * Math.PI / 180, d = decDeg * Math.PI / 180, b = bearingDeg * Math.PI / 180;
            double dec = Math.Asin(Math.Sin(d) * Math.Cos(angle) + Math.Cos(d) * Math.Sin(angle) * Math.Cos(b));
            double ra = a + Math.Atan2(Math.Sin(b) * Math.Sin(angle) * Math.Cos(d), Math.Cos(angle) - Math.Sin(d) * Math.Sin(dec));
            return (ra * 180 / Math.PI, dec * 180 / Math.PI);
        }
    }
}
