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

    /// <summary>Largest --sources: ~85 M survey rows, far past any benchmark set (10 M rows is 5.85 M sources).</summary>
    public const int MostSources = 50_000_000;
    /// <summary>Largest --scans (the real calibration tiles were scanned up to ~3,700 times), and rows of a tile (sources x scans).</summary>
    public const int MostScans = 10_000;
    public const long MostTileRows = 1_000_000_000;

    /// <summary>What is wrong with the values asked for, in the options' words; null when they can be generated.</summary>
    public static string? Problem(GeneratorOptions o)
    {
        if (o.Sources < 1 || o.Sources > MostSources) return $"--sources must be in [1, {MostSources:N0}], got {o.Sources:N0}";
        // A survey's scans follow from its sources and sky area: --scans was dropped unsaid, as if it had been used.
        if (o.Kind == SkyKind.Survey && o.Scans is not null) return "--scans is for caltile (the tile's scans); a survey's scans follow from --sources";
        if (o.Scans is int s && (s < 1 || s > MostScans)) return $"--scans must be in [1, {MostScans:N0}], got {s:N0}";
        if (o.Kind == SkyKind.CalTile && (long)o.Sources * (o.Scans ?? 600) > MostTileRows)
            return $"--sources x --scans must be at most {MostTileRows:N0} (a tile's extractions), got {(long)o.Sources * (o.Scans ?? 600):N0}";
        if (!(o.CenterRaDeg >= 0 && o.CenterRaDeg < 360)) return $"--ra must be in [0, 360) deg, got {o.CenterRaDeg}";
        if (!(Math.Abs(o.CenterDecDeg) <= 85)) return $"--dec must be within [-85, 85] deg, got {o.CenterDecDeg}";
        return null;
    }

    /// <summary>An argument exception's message without the runtime's " (Parameter 'path')" after it.</summary>
    public static string Said(ArgumentException e) =>
        (e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "")).ReplaceLineEndings(" ");

    public GeneratorOptions Read(ParseResult p)
    {
        var kind = p.GetValue(_kind) == "caltile" ? SkyKind.CalTile : SkyKind.Survey;
        return new GeneratorOptions(kind, p.GetValue(_sources), p.GetValue(_seed), p.GetValue(_scans),
            p.GetValue(_ra) ?? 180.0, p.GetValue(_dec) ?? (kind == SkyKind.CalTile ? -30.0 : 0.0));
    }
}
