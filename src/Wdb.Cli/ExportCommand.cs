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
        var output = new Option<string>("--out") { Description = "Output file (written atomically)", Required = true };
        var cmd = new Command("export", "Export one table of a merge output to CSV, IPAC Table or Parquet.") { dir, table, format, output };
        cmd.SetAction(p =>
        {
            return VerbEnd.Of("export", Exporter.Export(p.GetValue(dir)!, p.GetValue(table)!, p.GetValue(format)!, p.GetValue(output)!));
        });
        return cmd;
    }
}
