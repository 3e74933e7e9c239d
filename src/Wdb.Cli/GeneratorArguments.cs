using System.CommandLine;
using Wdb.IO;

namespace Wdb.Cli;

/// <summary>The synthetic-sky arguments shared by `wdb gen` and `wdb evaluate`.</summary>
internal sealed class GeneratorArguments
{
    private readonly Argument<string> _kind = new("kind") { Description = "survey (sparse sky, 1-6 epochs) or caltile (a 1 deg x 8.5' calibration tile scanned many times)" };
    private readonly Option<int> _sources = new("--sources") { Description = "Number of true sources", DefaultValueFactory = _ => 20000 };
    private readonly Option<int?> _scans = new("--scans") { Description = "caltile only: number of scans (default 600)" };
    private readonly Option<int> _seed = new("--seed") { Description = "Random seed; the same seed gives the same data", DefaultValueFactory = _ => 1 };
    private readonly Option<double?> _ra = new("--ra") { Description = "Centre RA (deg); default 180" };
    private readonly Option<double?> _dec = new("--dec") { Description = "Centre Dec (deg), |dec| <= 85; default 0 (survey), -30 (caltile)" };

    public GeneratorArguments() => _kind.AcceptOnlyFromAmong("survey", "caltile");

    public void AddTo(Command command)
    {
        command.Arguments.Add(_kind);
        foreach (var option in new Option[] { _sources, _scans, _seed, _ra, _dec }) command.Options.Add(option);
    }

    public GeneratorOptions Read(ParseResult p)
    {
        var kind = p.GetValue(_kind) == "caltile" ? SkyKind.CalTile : SkyKind.Survey;
        return new GeneratorOptions(kind, p.GetValue(_sources), p.GetValue(_seed), p.GetValue(_scans),
            p.GetValue(_ra) ?? 180.0, p.GetValue(_dec) ?? (kind == SkyKind.CalTile ? -30.0 : 0.0));
    }
}
