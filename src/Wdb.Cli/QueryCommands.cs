using Wdb.Core;
using System.CommandLine;
using Wdb.IO;

namespace Wdb.Cli;

/// <summary>`wdb members` and `wdb cone`: a merge output's look-ups (SPEC §5) as tables on standard output.</summary>
internal static class QueryCommands
{
    private static Argument<string> Dir() => new("dir") { Description = "A directory written by 'wdb merge' (or 'wdb cluster stitch')" };

    private static Option<string> Format()
    {
        var format = new Option<string>("--format") { Description = "csv, or ipac (IPAC Table: TOPCAT and astropy read it with units)", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "ipac");
        return format;
    }

    public static Command Members()
    {
        var dir = Dir();
        var gcntrs = new Argument<long[]>("gcntr")
        {
            Description = "Groups to list (gcntr values)", Arity = ArgumentArity.ZeroOrMore,
            CustomParser = r => WholeNumbers(r, "", "a gcntr (a whole number, the smallest cntr of a group)"),
        };
        var cntrs = new Option<long[]>("--cntr")
        {
            Description = "Also list the group of each of these extractions (cntr values)", AllowMultipleArgumentsPerToken = true,
            CustomParser = r => WholeNumbers(r, "--cntr: ", "a cntr (a whole number)"),
        };
        var designations = new Option<string[]>("--designation")
        {
            Description = "Also list the group(s) each of these 2MASS designations names (J120000.07-000015.5, or \"2MASS J12000007-0000155\")",
            AllowMultipleArgumentsPerToken = true,
        };
        var format = Format();
        var cmd = new Command("members", "List groups' members in time order, with scan, time, position and photometry per band: a light curve as a table (the columns of `wdb export --table members`).")
        {
            dir, gcntrs, cntrs, designations, format,
        };
        cmd.SetAction(p => VerbEnd.Of("members", Queries.Members(p.GetValue(dir)!, p.GetValue(gcntrs) ?? [], p.GetValue(cntrs) ?? [],
            p.GetValue(format) == "ipac", StandardOutput.Buffered(), p.GetValue(designations) ?? [])));
        return cmd;
    }

    /// <summary>
    /// The tokens as whole numbers, or the first that is not one named in the parse's error: after <paramref name="where"/>,
    /// "is not" <paramref name="what"/>.
    /// Typed as long[], a word among the gcntr arguments was left unmatched: "Unrecognized command or argument 'abc'".
    /// </summary>
    private static long[] WholeNumbers(System.CommandLine.Parsing.ArgumentResult result, string where, string what)
    {
        var values = new long[result.Tokens.Count];
        for (int i = 0; i < values.Length; i++)
        {
            string token = result.Tokens[i].Value;
            if (!long.TryParse(token, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out values[i]))
            {
                result.AddError($"{where}'{token}' is not {what}");
                return [];
            }
        }
        return values;
    }

    public static Command Cone()
    {
        var dir = Dir();
        var ra = new Option<string>("--ra") { Description = "Cone centre: right ascension (ICRS), in degrees or as hours, minutes, seconds: 12:34:56.7, \"12 34 56.7\" or 12h34m56.7s" };
        var dec = new Option<string>("--dec") { Description = "Cone centre: declination, in degrees or as degrees, arcminutes, arcseconds: -12:34:56.7, \"-12 34 56.7\" or -12d34m56.7s" };
        var designation = new Option<string>("--designation")
        {
            Description = "Instead of --ra and --dec: the group a 2MASS designation names (J120000.07-000015.5 as wdb writes it, or \"2MASS J12000007-0000155\" as the PSC does)",
        };
        var targets = new Option<string[]>("--targets")
        {
            Description = "Instead of --ra and --dec: a list of positions in any format merge reads (ra and dec required), each a cone: its file, line and position, then its groups",
            AllowMultipleArgumentsPerToken = true,
        };
        var radius = new Option<double>("--radius") { Description = $"Cone radius (arcsec, at most {Queries.MostConeArcsec})", DefaultValueFactory = _ => 10.0 };
        var limit = new Option<int>("--limit") { Description = "At most this many groups a cone, nearest first (0: all)" };
        var quiet = new Option<bool>("--quiet") { Description = "With --targets: print only errors, and the target rows left out (a line a file: the count, the first's file:line:column and reason)" };
        var format = Format();
        var cmd = new Command("cone", "The groups whose weighted mean position lies within --radius of (--ra, --dec), nearest first, with their separation and every column of `wdb export --table groups`; or of each position of a list (--targets); or the group a designation names.")
        {
            dir, ra, dec, designation, targets, radius, limit, format, quiet,
        };
        cmd.SetAction(p =>
        {
            if (p.GetValue(targets) is { Length: > 0 } lists)
            {
                if (p.GetValue(ra) is not null || p.GetValue(dec) is not null || p.GetValue(designation) is not null)
                    return VerbEnd.Of("cone", new OutputError("give --targets, or --ra and --dec, or --designation: one of them"));
                var (log, leftOut) = Said("cone", p.GetValue(quiet));
                return VerbEnd.Of("cone", Queries.Targets(p.GetValue(dir)!, lists, p.GetValue(radius), p.GetValue(limit), p.GetValue(format) == "ipac",
                    StandardOutput.Buffered(), log, leftOut));
            }
            return VerbEnd.Of("cone", ConeOf(p.GetValue(dir)!, p.GetValue(ra), p.GetValue(dec), p.GetValue(designation), p.GetValue(radius),
                p.GetValue(limit), p.GetValue(format) == "ipac"));
        });
        return cmd;
    }

    /// <summary>The cone's centre from --ra/--dec (degrees or sexagesimal), or the designation's group; one line for what is wrong.</summary>
    private static OutputError? ConeOf(string dir, string? ra, string? dec, string? designation, double radius, int limit, bool ipac)
    {
        if (designation is not null)
            return ra is null && dec is null
                ? Queries.ByDesignation(dir, designation, ipac, StandardOutput.Buffered())
                : new OutputError("give --ra and --dec, or --designation, not both");
        if (ra is null || dec is null) return new OutputError("give --ra and --dec (or --designation)");
        if (Centre(ra, dec, out double raDeg, out double decDeg) is { } bad) return bad;
        return Queries.Cone(dir, raDeg, decDeg, radius, limit, ipac, StandardOutput.Buffered());
    }

    /// <summary>--ra and --dec (degrees or sexagesimal) in degrees; null, or the option and why it was refused.</summary>
    internal static OutputError? Centre(string ra, string dec, out double raDeg, out double decDeg)
    {
        decDeg = 0;
        if (Coordinates.ParseRa(ra, out string? badRa) is not double r)
        {
            raDeg = 0;
            return new OutputError("--ra: " + badRa);
        }
        raDeg = r;
        if (Coordinates.ParseDec(dec, out string? badDec) is not double d) return new OutputError("--dec: " + badDec);
        decDeg = d;
        return null;
    }

    public static Command Associate()
    {
        var dir = Dir();
        var catalogues = new Argument<string[]>("catalogue") { Description = "External catalogue files, in any format merge reads (IPAC, CSV with header, bulk with --profile; .gz): only ra and dec (or decl) are required, cntr is kept when present", Arity = ArgumentArity.OneOrMore };
        var radius = new Option<double>("--radius") { Description = $"Association radius (arcsec, inclusive; at most {Associations.MostRadiusArcsec})", DefaultValueFactory = _ => 2.0 };
        var all = new Option<bool>("--all") { Description = "List every group, those with no candidate too (n_candidates 0)" };
        var quiet = new Option<bool>("--quiet") { Description = "Print only errors, and the catalogue rows left out (a line a file: the count, the first's file:line:column and reason)" };
        var memory = new Option<string?>("--memory") { Description = $"Memory the run may plan for, e.g. 8G or 512M: a catalogue whose rows (about {Associations.CatalogueBytesPerRow} bytes a row at their peak, estimated from the files' sizes) and matches would take over half of it is matched zone by zone by declination: its rows filed under the temporary directory (TMPDIR), each zone's held in turn against the groups sky.fb files there. Default: half of this machine's (or container's) memory, now {ByteSize.Format(Wdb.Merge.Streaming.ZoneMerge.DefaultMemoryBytes())}. The table does not depend on it" };
        var format = Format();
        var cmd = new Command("associate", "Cross-match the merged groups against an external catalogue: for each group, the catalogue rows within --radius of its weighted mean position, and the nearest with its separation (SPEC: external associations). CSV or IPAC on standard output, written as the groups are read. A catalogue larger than the merge's sky.fb keeps only its rows near some group: a field against a catalogue of the whole sky holds the field's share; one whose rows near the groups would not fit --memory is matched zone by zone.")
        {
            dir, catalogues, radius, all, format, memory, quiet,
        };
        cmd.SetAction(p =>
        {
            var (log, leftOut) = Said("associate", p.GetValue(quiet));
            long memoryBytes = Wdb.Merge.Streaming.ZoneMerge.DefaultMemoryBytes();
            if (p.GetValue(memory) is string size && !InputArguments.TryMemory(size, "associate", out memoryBytes)) return 2;
            var files = p.GetValue(catalogues)!;
            var budget = new Associations.AssociateBudget(memoryBytes, files.Sum(Wdb.Merge.RowEstimate.Of));
            return VerbEnd.Of("associate", Associations.Write(p.GetValue(dir)!, files, p.GetValue(radius), p.GetValue(all),
                p.GetValue(format) == "ipac", StandardOutput.Buffered(), log, budget: budget, leftOut: leftOut));
        });
        return cmd;
    }

    /// <summary>
    /// Where a look-up's lines go on stderr: its counts and progress (none under --quiet), and the input rows it left out.
    /// Those are said under --quiet too: the table on stdout cannot show a row that is not in it, and unlike the merge's
    /// rejects.csv there is no file to put them in, so silencing them would lose them without a word.
    /// </summary>
    private static (Action<string>? Log, Action<string> LeftOut) Said(string verb, bool quiet)
    {
        Action<string> stderr = line => Console.Error.WriteLine($"wdb {verb}: {line}");
        return (quiet ? null : stderr, stderr);
    }
}
