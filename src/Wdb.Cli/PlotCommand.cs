using System.CommandLine;
using Wdb.IO;

namespace Wdb.Cli;

/// <summary>`wdb plot`: a group's light curve and sky plot (SVG) and a local web page showing them with its members.</summary>
internal static class PlotCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "A directory written by 'wdb merge'" };
        var gcntr = new Option<long>("--gcntr") { Description = "The group to plot (its gcntr: the smallest cntr of its members)", Required = true };
        var output = new Option<string>("--out") { Description = "Output directory for lightcurve.svg, sky.svg and index.html (written atomically)", Required = true };
        var cmd = new Command("plot", "Plot one group of a merge output: light curve, sky plot and a web page.") { dir, gcntr, output };
        cmd.SetAction(p =>
        {
            return VerbEnd.Of("plot", PlotWriter.Write(p.GetValue(dir)!, p.GetValue(gcntr), p.GetValue(output)!));
        });
        return cmd;
    }
}
