using System.CommandLine;

namespace Wdb.Cli;

/// <summary>
/// The `wdb` command tree: every verb with its options, as the program parses them. One place, so that what the docs
/// say a user can type is checked against what the program accepts (tests/Wdb.Tests/Cli/DocumentedCommandsTests.cs).
/// </summary>
internal static class WdbCommandLine
{
    public static RootCommand Create()
    {
        var root = new RootCommand(
            "Wdb: merge the 2MASS Survey and Calibration Working Databases. Groups every apparition of a source\n" +
            "(friends-of-friends within a radius, confusion resolved), derives group statistics, and writes\n" +
            "FlatBuffers outputs. Start with: wdb gen survey --sources 20000 --out example/survey.csv\n" +
            "                                 wdb merge example/survey.csv --out example/merged");
        root.Subcommands.Add(GenCommand.Create());
        root.Subcommands.Add(MergeCommand.Create());
        root.Subcommands.Add(ClusterCommand.Create());
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(QueryCommands.Members());
        root.Subcommands.Add(QueryCommands.Cone());
        root.Subcommands.Add(QueryCommands.Associate());
        root.Subcommands.Add(PlotCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(CalibrateCommand.Create());
        root.Subcommands.Add(CheckDeviceCommand.Create());
        return root;
    }
}
