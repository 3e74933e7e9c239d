using System.Globalization;
using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Tests.Output;

/// <summary>
/// --quiet on the look-ups that read a file of the user's (`wdb cone --targets`, `wdb associate`): their counts go, the
/// rows they leave out of the table do not. Those rows have no rejects.csv to go to, as the merge's have, so a quiet
/// run that dropped the line would lose them without a word.
/// </summary>
public sealed class QuietLookupsTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    private string Merged()
    {
        var sky = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 1500, 4, CenterRaDeg: 10, CenterDecDeg: -5));
        string input = _s.PathOf("field.csv"), outDir = _s.PathOf("merged");
        TableTextWriter.Write(sky, input);
        Assert.Null(MergeJob.Run(new MergeOptions { Inputs = [input], OutDir = outDir, Device = "cpu" }).Error);
        return outDir;
    }

    /// <summary>A list of positions: one on a group, one in empty sky, and two bad rows (lines 3 and 5).</summary>
    private string Targets(string dir)
    {
        using var reader = OutputReader.Open(dir);
        var g = reader.Groups().First();
        return _s.Write("targets.csv", string.Create(CultureInfo.InvariantCulture,
            $"name,ra,dec\non,{g.RaW:R},{g.DecW:R}\nbad,x,1\nempty,100,40\nworse,2,y\n"));
    }

    /// <summary>The command lines, DIR and LIST standing for the merge output and the list.</summary>
    public static TheoryData<string[]> LookUps => new()
    {
        { ["cone", "DIR", "--targets", "LIST"] },
        { ["associate", "DIR", "LIST"] },
        { ["associate", "DIR", "LIST", "--all", "--memory", "1"] },   // matched zone by zone: the catalogue read another way
    };

    [Theory]
    [MemberData(nameof(LookUps))]
    public void A_quiet_look_up_still_says_the_rows_it_leaves_out_in_one_line(string[] command)
    {
        string dir = Merged(), list = Targets(dir);
        string[] args = [.. command.Select(a => a == "DIR" ? dir : a == "LIST" ? list : a)];
        string said = $"wdb {command[0]}: {list}: 2 of 4 rows left out, the first: {list}:3:5: unparsable_number: expected a number in column 'ra', got 'x'";

        var loud = WdbProcess.Run(args);
        Assert.True(loud.Exit == 0, loud.Stderr);
        var loudLines = loud.Stderr.TrimEnd().Split('\n');
        Assert.Contains(said, loudLines);
        Assert.True(loudLines.Length > 1, loud.Stderr);   // and its counts

        var quiet = WdbProcess.Run([.. args, "--quiet"]);
        Assert.True(quiet.Exit == 0, quiet.Stderr);
        Assert.Equal(said, quiet.Stderr.TrimEnd());
        Assert.Equal(loud.Stdout, quiet.Stdout);
        Assert.Contains(list, quiet.Stdout);   // the good rows' table, the group on the first target in it
    }

    /// <summary>Two IPAC tables of positions joined with `cat`: the second's header among the rows (lines 5-6).</summary>
    private string JoinedTables(string dir)
    {
        using var reader = OutputReader.Open(dir);
        var g = reader.Groups().First();
        string table = string.Create(CultureInfo.InvariantCulture,
            $"|name |ra                   |dec                  |\n|char |double               |double               |\n" +
            $" on    {g.RaW,-21:F9} {g.DecW,-21:F9}\n empty 100.000000000         40.000000000         \n");
        return _s.Write("joined.tbl", table + table);
    }

    [Theory]
    [MemberData(nameof(LookUps))]
    public void A_look_up_says_it_read_tables_joined_with_cat_as_one_as_the_merge_does(string[] command)
    {
        string dir = Merged(), list = JoinedTables(dir);
        string[] args = [.. command.Select(a => a == "DIR" ? dir : a == "LIST" ? list : a)];
        var run = WdbProcess.Run([.. args, "--quiet"]);
        Assert.True(run.Exit == 0, run.Stderr);
        Assert.Equal($"wdb {command[0]}: {list}: 1 more IPAC header among the rows, the first on line 5, the same as the header on line 1 " +
                     "(tables joined with cat): skipped, and their rows read as the first table's", run.Stderr.TrimEnd());
    }
}
