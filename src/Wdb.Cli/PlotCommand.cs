using System.CommandLine;
using Wdb.IO;

namespace Wdb.Cli;

/// <summary>`wdb plot`: a group's light curve and sky plot (SVG) and a local web page showing them with its members.</summary>
internal static class PlotCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "A directory written by 'wdb merge'" };
        var gcntr = new Option<long?>("--gcntr") { Description = "The group to plot (its gcntr: the smallest cntr of its members)" };
        var designation = new Option<string>("--designation") { Description = "Instead of --gcntr: the group a 2MASS designation names (J120000.07-000015.5, or \"2MASS J12000007-0000155\")" };
        var output = new Option<string>("--out") { Description = "Output directory for lightcurve.svg, sky.svg and index.html (written atomically)", Required = true };
        var cmd = new Command("plot", "Plot one group of a merge output: light curve, sky plot and a web page.") { dir, gcntr, designation, output };
        cmd.SetAction(p =>
        {
            string d = p.GetValue(dir)!;
            long? id = p.GetValue(gcntr);
            string? name = p.GetValue(designation);
            if ((id is null) == (name is null)) return VerbEnd.Of("plot", new OutputError("give --gcntr or --designation (one of them)"));
            if (PlotWriter.OutProblem(p.GetValue(output)!) is { } badOut) return VerbEnd.Of("plot", badOut);
            if (name is not null)
            {
                var (named, error) = PlotWriter.GcntrNamed(d, name);
                if (error is not null) return VerbEnd.Of("plot", error);
                id = named;
            }
            return VerbEnd.Of("plot", PlotWriter.Write(d, id!.Value, p.GetValue(output)!));
        });
        return cmd;
    }
}
