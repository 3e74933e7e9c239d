using System.CommandLine;
using Wdb.IO;

namespace Wdb.Cli;

/// <summary>`wdb export`: a merge output table as CSV, IPAC Table or Parquet, for TOPCAT, astropy and pandas.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "A directory written by 'wdb merge'" };
        var table = new Option<string>("--table") { Description = "groups (merged DB), members (group index with photometry), extractions (cntr -> cgid, gcntr)", Required = true };
        table.AcceptOnlyFromAmong("groups", "members", "extractions");
        var format = new Option<string>("--format") { Description = "csv, ipac (IPAC Table) or parquet (Apache Parquet; units and meanings in its key-value metadata)", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "ipac", "parquet");
        var output = new Option<string>("--out") { Description = "Output file (written atomically), or - for standard output (csv and ipac)", Required = true };
        var ra = new Option<string>("--ra") { Description = "With --dec and --radius: only the groups whose weighted mean lies in this cone, with their members and extractions. Degrees or 12:34:56.7" };
        var dec = new Option<string>("--dec") { Description = "The region's centre: declination, degrees or -12:34:56.7" };
        var radius = new Option<double?>("--radius") { Description = $"The region's radius (arcsec, at most {Exporter.MostRegionArcsec})" };
        var cmd = new Command("export", "Export one table of a merge output to CSV, IPAC Table or Parquet; the whole table, or the part of it in a region of the sky.")
        {
            dir, table, format, output, ra, dec, radius,
        };
        cmd.SetAction(p =>
        {
            string? raText = p.GetValue(ra), decText = p.GetValue(dec);
            double? r = p.GetValue(radius);
            SkyRegion? region = null;
            if (raText is not null || decText is not null || r is not null)
            {
                if (raText is null || decText is null || r is null) return VerbEnd.Of("export", new OutputError("a region needs --ra, --dec and --radius"));
                if (QueryCommands.Centre(raText, decText, out double raDeg, out double decDeg) is { } bad) return VerbEnd.Of("export", bad);
                region = new SkyRegion(raDeg, decDeg, r.Value);
            }
            return VerbEnd.Of("export", Exporter.Export(p.GetValue(dir)!, p.GetValue(table)!, p.GetValue(format)!, p.GetValue(output)!, region));
        });
        return cmd;
    }
}
