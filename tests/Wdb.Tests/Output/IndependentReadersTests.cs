using System.Globalization;
using System.Text;
using Wdb.Tests.Stats;

namespace Wdb.Tests.Output;

/// <summary>
/// SPEC §5: exports that TOPCAT, astropy and pandas read. Tools other than wdb read its exports and
/// tests/independent/export_readers.py compares what they read, column by column (COLUMNS.md's names, types and units)
/// and value by value, with the CSV export: astropy's IPAC reader (the exports and `wdb cone --format ipac`), pandas'
/// read_csv, STILTS's IPAC reader, and for Parquet, which Debian's STILTS cannot read (its build has no Parquet
/// handler) and for which Debian packages no reader, parquet_read.py, written from the Parquet specification, with
/// the VOParquet metadata parsed by astropy.io.votable. The sample is a merge of a survey across RA 0/360, a calibration
/// tile, the input edge cases of IndependentStatisticsTests (absent and placeholder magnitudes, upper limits, ph_qual
/// X, no date) and a grid too dense to split, with artifacts filtered out. Skipped without the tools.
/// </summary>
public class IndependentReadersTests(IndependentReadersTests.Sample sample) : IClassFixture<IndependentReadersTests.Sample>
{
    [Theory]
    [InlineData("groups")]
    [InlineData("members")]
    [InlineData("extractions")]
    [InlineData("cone")]
    public void AstropyReadsTheIpacExports(string table)
    {
        string python = ExternalTools.RequireDebianPython("astropy", "python3-astropy");
        var (exit, stdout, stderr) = Script(python, "astropy", table, sample.Files.Csv(table), "--ipac", sample.Files.Ipac(table));
        Assert.True(exit == 0, $"export_readers.py astropy {table}: exit {exit}\n{stdout}\n{stderr}");
        Assert.Matches(@$"astropy {table}: \d+ values equal, [1-9]\d* of them null", stdout);
    }

    [Theory]
    [InlineData("groups")]
    [InlineData("members")]
    [InlineData("extractions")]
    [InlineData("cone")]
    public void PandasReadsTheCsvExports(string table)
    {
        string python = ExternalTools.RequireDebianPython("pandas", "python3-pandas");
        var (exit, stdout, stderr) = Script(python, "pandas", table, sample.Files.Csv(table));
        Assert.True(exit == 0, $"export_readers.py pandas {table}: exit {exit}\n{stdout}\n{stderr}");
    }

    [Theory]
    [InlineData("groups")]
    [InlineData("members")]
    [InlineData("extractions")]
    [InlineData("cone")]
    public void StiltsReadsTheIpacExports(string table)
    {
        string stilts = ExternalTools.Require("stilts", "stilts");
        string python = ExternalTools.RequireDebianPython("numpy", "python3-numpy");
        string votable = sample.Scratch.PathOf($"{table}.stilts.vot");
        Run(stilts, ["tpipe", $"in={sample.Files.Ipac(table)}", "ifmt=ipac", "ofmt=votable-tabledata", $"out={votable}"]);
        var (exit, stdout, stderr) = Script(python, "stilts", table, sample.Files.Csv(table), "--votable", votable);
        Assert.True(exit == 0, $"export_readers.py stilts {table}: exit {exit}\n{stdout}\n{stderr}");
    }

    [Theory]
    [InlineData("groups")]
    [InlineData("members")]
    [InlineData("extractions")]
    public void TheParquetExportsReadFromTheSpecificationAgree(string table)
    {
        string python = ExternalTools.RequireDebianPython("astropy", "python3-astropy");
        var (exit, stdout, stderr) = Script(python, "parquet", table, sample.Files.Csv(table), "--parquet", sample.Files.Parquet(table));
        Assert.True(exit == 0, $"export_readers.py parquet {table}: exit {exit}\n{stdout}\n{stderr}");
    }

    /// <summary>The sample holds what the comparisons are about; else they prove little.</summary>
    [Fact]
    public void TheSampleReachesTheEdgeCases()
    {
        var groups = Table.Read(sample.Files.Csv("groups"));
        var members = Table.Read(sample.Files.Csv("members"));
        var extractions = Table.Read(sample.Files.Csv("extractions"));
        var cone = Table.Read(sample.Files.Csv("cone"));
        Assert.Contains(groups.Rows, r => groups.Get(r, "confused") == "1" && groups.Get(r, "unresolved") == "0");
        Assert.Contains(groups.Rows, r => groups.Get(r, "unresolved") == "1");
        Assert.Contains(groups.Rows, r => groups.Get(r, "n_members") == "1");
        Assert.Contains(groups.Rows, r => groups.Number(r, "ra_w") > 359.9);
        Assert.Contains(groups.Rows, r => groups.Number(r, "ra_w") < 0.1);
        Assert.Contains(groups.Rows, r => groups.Get(r, "j_magw") == "" && groups.Get(r, "pm_ra") == "");
        Assert.Contains(members.Rows, r => members.Get(r, "j_mag") == "" && members.Get(r, "j_ph_qual") == "");
        Assert.Contains(members.Rows, r => members.Get(r, "h_rd_flg") == "0");     // an upper limit
        Assert.Contains(members.Rows, r => members.Get(r, "h_ph_qual") == "X");
        Assert.Contains(extractions.Rows, r => extractions.Get(r, "gcntr") == "-1" && extractions.Get(r, "reliability") == "255"
                                               && extractions.Get(r, "reason") == "filtered_artifact");
        Assert.Contains(cone.Rows, r => cone.Number(r, "ra_w") > 359.9);
        Assert.Contains(cone.Rows, r => cone.Number(r, "ra_w") < 0.1);
    }

    /// <summary>A copy of the CSV with one position moved by 1e-9 deg: every reader that compares with it must fail.</summary>
    [Theory]
    [InlineData("astropy")]
    [InlineData("stilts")]
    [InlineData("parquet")]
    public void OneChangedValueFailsTheComparison(string mode)
    {
        string python = mode == "stilts"
            ? ExternalTools.RequireDebianPython("numpy", "python3-numpy")
            : ExternalTools.RequireDebianPython("astropy", "python3-astropy");
        if (mode == "stilts") ExternalTools.Require("stilts", "stilts");
        string broken = sample.Scratch.PathOf($"groups-broken-{mode}.csv");
        long gcntr = ChangeFirst(sample.Files.Csv("groups"), broken, "dec_w", v => (double.Parse(v, CultureInfo.InvariantCulture) + 1e-9).ToString("R", CultureInfo.InvariantCulture));
        string[] file = mode switch
        {
            "astropy" => ["--ipac", sample.Files.Ipac("groups")],
            "parquet" => ["--parquet", sample.Files.Parquet("groups")],
            _ => ["--votable", StiltsVotable("groups")],
        };

        var (exit, stdout, stderr) = Script(python, mode, "groups", broken, file);

        Assert.True(exit == 1, $"export_readers.py {mode} on a changed value: exit {exit}\n{stdout}\n{stderr}");
        Assert.Contains($"{mode} groups: 1 disagreements", stderr);
        Assert.Contains($"(gcntr {gcntr}) column dec_w (double)", stderr);
    }

    /// <summary>A null the IPAC export wrote as a value (0 where it wrote null) fails astropy's comparison.</summary>
    [Fact]
    public void AnIpacNullWrittenAsAValueFailsTheComparison()
    {
        string python = ExternalTools.RequireDebianPython("astropy", "python3-astropy");
        string[] lines = File.ReadAllLines(sample.Files.Ipac("members"));
        int row = Array.FindIndex(lines, l => !l.StartsWith('\\') && !l.StartsWith('|') && l.Contains(" null "));
        int at = lines[row].IndexOf(" null ", StringComparison.Ordinal);
        lines[row] = lines[row][..at] + "    0 " + lines[row][(at + 6)..];
        string broken = sample.Scratch.Write("members-broken.ipac", string.Join('\n', lines) + "\n");

        var (exit, stdout, stderr) = Script(python, "astropy", "members", sample.Files.Csv("members"), "--ipac", broken);

        Assert.True(exit == 1, $"export_readers.py astropy on a null written as 0: exit {exit}\n{stdout}\n{stderr}");
        Assert.Contains("astropy members: 1 disagreements", stderr);
        Assert.Matches(@"column \w+ \((float|double|char)\): CSV '', astropy '?0", stderr);
    }

    /// <summary>
    /// pandas reads the CSV itself, so its failure is a field it reads otherwise than the text: a designation
    /// "NA" (one of pandas' default null markers) read as NaN.
    /// </summary>
    [Fact]
    public void AFieldPandasTakesForANullFailsTheComparison()
    {
        string python = ExternalTools.RequireDebianPython("pandas", "python3-pandas");
        string broken = sample.Scratch.PathOf("groups-broken-pandas.csv");
        ChangeFirst(sample.Files.Csv("groups"), broken, "designation", _ => "NA");

        var (exit, stdout, stderr) = Script(python, "pandas", "groups", broken);

        Assert.True(exit == 1, $"export_readers.py pandas on a designation NA: exit {exit}\n{stdout}\n{stderr}");
        Assert.Contains("designation: pandas reads 1 NaN by default, the CSV has 0 empty fields", stderr);
    }

    private string StiltsVotable(string table)
    {
        string votable = sample.Scratch.PathOf($"{table}.stilts.vot");
        if (!File.Exists(votable))
            Run(ExternalTools.Require("stilts", "stilts"), ["tpipe", $"in={sample.Files.Ipac(table)}", "ifmt=ipac", "ofmt=votable-tabledata", $"out={votable}"]);
        return votable;
    }

    /// <summary>Copies a CSV with <paramref name="column"/> of the first row where it has a value changed; that row's first field.</summary>
    private static long ChangeFirst(string from, string to, string column, Func<string, string> change)
    {
        string[] lines = File.ReadAllLines(from);
        int c = Array.IndexOf(lines[0].Split(','), column);
        Assert.True(c >= 0, $"no column {column} in {from}");
        for (int i = 1; i < lines.Length; i++)
        {
            string[] f = lines[i].Split(',');
            if (f[c].Length == 0) continue;
            f[c] = change(f[c]);
            lines[i] = string.Join(',', f);
            File.WriteAllText(to, string.Join('\n', lines) + "\n");
            return long.Parse(f[0], CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"{column} is empty in every row of {from}");
    }

    private static (int Exit, string Stdout, string Stderr) Script(string python, string mode, string table, string csv, params string[] more)
    {
        var (exit, stdout, stderr) = Run(python, [IndependentScripts.PathOf("export_readers.py"), mode, "--table", table, "--csv", csv, .. more], check: false);
        return (exit, stdout, stderr);
    }

    private static (int Exit, string Stdout, string Stderr) Run(string exe, string[] args, bool check = true)
    {
        var (exit, stdout, stderr) = IndependentScripts.Run(exe, args);
        if (check) Assert.True(exit == 0, $"{exe} {string.Join(' ', args)}: exit {exit}\n{stderr}");
        return (exit, stdout, stderr);
    }


    /// <summary>A CSV export as fields (the sample's flags and texts hold no comma or quote).</summary>
    private sealed class Table
    {
        private readonly string[] _header;
        public List<string[]> Rows { get; } = new();

        private Table(string[] header) => _header = header;

        public static Table Read(string path)
        {
            string[] lines = File.ReadAllLines(path);
            var t = new Table(lines[0].Split(','));
            t.Rows.AddRange(lines.Skip(1).Select(l => l.Split(',')));
            return t;
        }

        public string Get(string[] row, string column) => row[Array.IndexOf(_header, column)];

        public double Number(string[] row, string column) =>
            Get(row, column) is { Length: > 0 } s ? double.Parse(s, CultureInfo.InvariantCulture) : double.NaN;
    }

    /// <summary>The merged sample and its exports, made once for the class on first use (~15 s).</summary>
    public sealed class Sample : OnceSample<SampleFiles>
    {
        /// <summary>Side of a one-scan grid 1.5" apart too dense to split (IndependentConfusionTests: 4489 members).</summary>
        private const int UnresolvedGridSide = 67;

        protected override SampleFiles Make()
        {
            string seam = Generate("survey", "seam.csv", "--sources", "1500", "--seed", "31", "--ra", "0", "--dec", "10");
            string tile = Generate("caltile", "tile.csv", "--sources", "150", "--scans", "40", "--seed", "32");
            var table = IndependentStatisticsTests.EdgeCases.Combine([seam, tile]);
            IndependentStatisticsTests.EdgeCases.Apply(table);
            IndependentStatisticsTests.EdgeCases.AddHandMadeGroups(table);
            AddDenseGrid(table);
            string input = Scratch.Write("input.csv", table.ToCsv());

            string merged = Scratch.PathOf("merged");
            var (exit, _, err) = WdbProcess.Run("merge", input, "--out", merged, "--exclude-artifacts");
            Assert.True(exit == 0, "wdb merge: " + err);
            foreach (string t in new[] { "groups", "members", "extractions" })
                foreach (string format in new[] { "csv", "ipac", "parquet" })
                {
                    var (e, _, why) = WdbProcess.Run("export", merged, "--table", t, "--format", format, "--out", Scratch.PathOf($"{t}.{format}"));
                    Assert.True(e == 0, "wdb export: " + why);
                }
            // A cone across RA 0/360 (the survey's centre), to the query's largest radius.
            foreach (string format in new[] { "csv", "ipac" })
            {
                var (e, stdout, why) = WdbProcess.Run("cone", merged, "--ra", "0", "--dec", "10", "--radius", "3600", "--format", format);
                Assert.True(e == 0, "wdb cone: " + why);
                File.WriteAllText(Scratch.PathOf($"cone.{format}"), stdout);
            }
            return new SampleFiles(Scratch.Dir);
        }

        /// <summary>One scan's rows 1.5" apart on a square, only position columns given: left whole, unresolved.</summary>
        private static void AddDenseGrid(IndependentStatisticsTests.CsvTable t)
        {
            long cntr = 95_000_000;
            for (int i = 0; i < UnresolvedGridSide; i++)
                for (int j = 0; j < UnresolvedGridSide; j++)
                {
                    string[] row = Enumerable.Repeat("", t.Header.Length).ToArray();
                    t.Set(row, "cntr", (cntr++).ToString(CultureInfo.InvariantCulture));
                    t.Set(row, "scan_key", "9500000");
                    t.Set(row, "ra", (250.0 + i * 1.5 / 3600 / Math.Cos(20.0 * Math.PI / 180)).ToString("F8", CultureInfo.InvariantCulture));
                    t.Set(row, "dec", (20.0 + j * 1.5 / 3600).ToString("F8", CultureInfo.InvariantCulture));
                    t.Rows.Add(row);
                }
        }

        private string Generate(string kind, string name, params string[] options) =>
            IndependentScripts.Generated(Scratch, kind, name, options);
    }

    public sealed record SampleFiles(string Dir)
    {
        public string Csv(string table) => Path.Combine(Dir, table + ".csv");
        public string Ipac(string table) => Path.Combine(Dir, table + ".ipac");
        public string Parquet(string table) => Path.Combine(Dir, table + ".parquet");
    }
}
