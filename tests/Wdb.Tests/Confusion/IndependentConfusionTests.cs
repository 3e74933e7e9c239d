using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Wdb.Tests.Confusion;

/// <summary>
/// A second implementation of the confusion split: tests/independent/confusion_split.py (Debian's python3 and
/// numpy) decides again, from docs/confusion.md ("What is confused", "The split", "Limits") and not from
/// ConfusionResolver, which of wdb's candidate groups are confused and how each splits, and compares every row's
/// gcntr and its group's confused and unresolved flags with wdb's exported tables. The samples are where confusion
/// is frequent: a 600-scan calibration tile, a crowded tile (many sources, 40 scans), a survey, and two hand-made
/// dense spots either side of ConfusionResolver.MaxSplitWork. Skipped without the tools.
/// </summary>
public class IndependentConfusionTests(IndependentConfusionTests.Samples samples) : IClassFixture<IndependentConfusionTests.Samples>
{
    /// <summary>A sample, and what its coverage line must reach so that agreement is not vacuous.</summary>
    [Theory]
    [InlineData("tile", 100, 50, 0)]
    [InlineData("crowded", 1000, 300, 0)]
    [InlineData("survey", 100, 1, 0)]
    [InlineData("dense", 2, 1, 1)]
    public void EverySplitAgreesWithTheIndependentScript(string name, int minConfused, int minThreeOrMore, int unresolved)
    {
        string python = ExternalTools.RequireDebianPython("numpy", "python3-numpy");
        var files = samples.Of(name);

        var (exit, stdout, stderr) = Script(python, files.Input, files.Extractions, files.Groups);

        Assert.True(exit == 0, $"confusion_split.py exit {exit}\n{stdout}\n{stderr}");
        Assert.Contains("disagreeing candidate groups 0 (rows with another gcntr 0)", stdout);
        Assert.Contains("a final group of wdb holds one scan twice: 0", stdout);
        var reach = Coverage(stdout);
        Assert.True(reach.Confused >= minConfused && reach.ThreeOrMore >= minThreeOrMore, stdout);
        Assert.Equal(reach.Confused, reach.Split + reach.Unresolved);
        Assert.Equal(unresolved, reach.Unresolved);
        if (name == "dense") Assert.Equal(Samples.RescuedGridSide * Samples.RescuedGridSide, reach.MostFinalGroups);
    }

    [Fact]
    public void TheScriptFailsWhenOneRowIsInAnotherGroup()
    {
        string python = ExternalTools.RequireDebianPython("numpy", "python3-numpy");
        var files = samples.Of("tile");
        string broken = samples.Scratch.PathOf("extractions-broken.csv");
        long cgid = MoveOneSplitRow(files.Extractions, broken);

        var (exit, stdout, stderr) = Script(python, files.Input, broken, files.Groups);

        Assert.True(exit == 1, $"confusion_split.py exit {exit} for a moved row\n{stdout}\n{stderr}");
        Assert.Contains("disagreeing candidate groups 1 (rows with another gcntr 1)", stdout);
        Assert.Contains($"candidate group {cgid} (", stderr);
        Assert.Contains("<- differs", stderr);
    }

    private sealed record Reach(int Confused, int Split, int ThreeOrMore, int MostFinalGroups, int Unresolved);

    private static Reach Coverage(string stdout)
    {
        var m = Regex.Match(stdout, @"confused (\d+); split into 2\+ final groups (\d+); into 3\+ (\d+); most final groups (\d+);.*unresolved (\d+)");
        Assert.True(m.Success, stdout);
        int At(int i) => int.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture);
        return new Reach(At(1), At(2), At(3), At(4), At(5));
    }

    private static (int Exit, string Stdout, string Stderr) Script(string python, string input, string extractions, string groups)
    {
        return IndependentScripts.Run(python, [IndependentScripts.PathOf("confusion_split.py"), "--input", input, "--extractions", extractions, "--groups", groups]);
    }


    /// <summary>
    /// Copies the extractions CSV with the first row that confusion split off its candidate group (gcntr != cgid) put
    /// back into the group gcntr = cgid: a plausible wrong split. Returns that candidate group's cgid.
    /// </summary>
    private static long MoveOneSplitRow(string extractions, string to)
    {
        string[] lines = File.ReadAllLines(extractions);
        string[] header = lines[0].Split(',');
        int cg = Array.IndexOf(header, "cgid"), gc = Array.IndexOf(header, "gcntr");
        for (int i = 1; i < lines.Length; i++)
        {
            string[] f = lines[i].Split(',');
            if (f[cg] == f[gc]) continue;
            f[gc] = f[cg];
            lines[i] = string.Join(',', f);
            File.WriteAllLines(to, lines);
            return long.Parse(f[cg], CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException("no row was split off its candidate group");
    }

    /// <summary>The merged samples, each made once for the class on first use (generation, a merge, two exports).</summary>
    public sealed class Samples : IDisposable
    {
        /// <summary>Side of the hand-made grid the work estimate's grid count lets through (3249 members of one scan).</summary>
        public const int RescuedGridSide = 57;
        /// <summary>Side of the hand-made grid over MaxSplitWork (4489 members of one scan: 10.07 M of bookkeeping alone).</summary>
        private const int UnresolvedGridSide = 67;

        public Scratch Scratch { get; } = new();
        private readonly Dictionary<string, Lazy<SampleFiles>> _samples;

        public Samples() => _samples = new()
        {
            ["tile"] = new(() => Merged("tile", Generate("caltile", "tile.csv", "--sources", "150", "--scans", "600", "--seed", "13"))),
            ["crowded"] = new(() => Merged("crowded", Generate("caltile", "crowded.csv", "--sources", "3000", "--scans", "40", "--seed", "4"))),
            ["survey"] = new(() => Merged("survey", Generate("survey", "survey.csv", "--sources", "20000", "--seed", "2"))),
            ["dense"] = new(() => Merged("dense", Scratch.Write("dense.csv", DenseSpots()))),
        };

        /// <summary>Made on first use, so a class whose tests are skipped never runs wdb.</summary>
        public SampleFiles Of(string name)
        {
            lock (_samples) return _samples[name].Value;
        }

        public void Dispose() => Scratch.Dispose();

        /// <summary>
        /// Two square grids of one scan each, 1.5" apart (one chained component each): one whose scan bookkeeping
        /// alone is over the cap (left whole, unresolved), one under it whose members x seeds is over it but whose
        /// grid count (the seeds in each member's 3 x 3 cells) is not (split, every member alone).
        /// </summary>
        private static string DenseSpots()
        {
            var sb = new StringBuilder("cntr,scan_key,ra,dec\n");
            long cntr = 1;
            void Grid(int side, double ra0, double dec0, int scan)
            {
                for (int i = 0; i < side; i++)
                    for (int j = 0; j < side; j++)
                    {
                        double ra = ra0 + i * 1.5 / 3600 / Math.Cos(dec0 * Math.PI / 180), dec = dec0 + j * 1.5 / 3600;
                        sb.Append(CultureInfo.InvariantCulture, $"{cntr++},{scan},{ra:F8},{dec:F8}\n");
                    }
            }
            Grid(UnresolvedGridSide, 10.0, 20.0, 1);
            Grid(RescuedGridSide, 30.0, 20.0, 2);
            return sb.ToString();
        }

        private SampleFiles Merged(string name, string input)
        {
            string merged = Scratch.PathOf(name + "-merged");
            var (exit, _, err) = WdbProcess.Run("merge", input, "--out", merged);
            Assert.True(exit == 0, "wdb merge: " + err);
            return new SampleFiles(input, Export(merged, name, "extractions"), Export(merged, name, "groups"));
        }

        private string Generate(string kind, string name, params string[] options) =>
            IndependentScripts.Generated(Scratch, kind, name, options);

        private string Export(string merged, string name, string table) =>
            IndependentScripts.ExportedCsv(Scratch, merged, table, $"{name}-{table}.csv");
    }

    public sealed record SampleFiles(string Input, string Extractions, string Groups);
}
