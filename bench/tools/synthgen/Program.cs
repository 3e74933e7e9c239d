using System.Diagnostics;
using Wdb.IO;

// synthgen survey|caltile --sources N [--scans M] [--seed S] [--ra DEG] [--dec DEG] --out FILE
// The bench harness uses it only when `wdb gen` is not available; the options mirror that verb.
if (args.Length < 1 || args[0] is not ("survey" or "caltile"))
{
    Console.Error.WriteLine("usage: synthgen survey|caltile --sources N [--scans M] [--seed S] [--ra DEG] [--dec DEG] --out FILE");
    return 2;
}
var kind = args[0] == "survey" ? SkyKind.Survey : SkyKind.CalTile;
int sources = 1000, seed = 1;
int? scans = null;
double ra = 180, dec = 0;
string? outPath = null;
for (int i = 1; i + 1 < args.Length; i += 2)
{
    string v = args[i + 1];
    switch (args[i])
    {
        case "--sources": sources = int.Parse(v); break;
        case "--scans": scans = int.Parse(v); break;
        case "--seed": seed = int.Parse(v); break;
        case "--ra": ra = double.Parse(v, System.Globalization.CultureInfo.InvariantCulture); break;
        case "--dec": dec = double.Parse(v, System.Globalization.CultureInfo.InvariantCulture); break;
        case "--out": outPath = v; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
if (outPath == null) { Console.Error.WriteLine("--out FILE is required"); return 2; }
var sw = Stopwatch.StartNew();
long rows = SyntheticSky.GenerateToFile(new GeneratorOptions(kind, sources, seed, scans, ra, dec), outPath);
Console.Error.WriteLine($"{rows} rows -> {outPath} in {sw.Elapsed.TotalSeconds:F2} s");
return 0;
