namespace Wdb.IO;

/// <summary>Which kind of 2MASS working database the generator imitates.</summary>
public enum SkyKind
{
    /// <summary>Survey WDB: sources scattered over an area, 1-6 epochs each (most 1-2).</summary>
    Survey,
    /// <summary>Calibration WDB: one 1 deg x 8.5' tile scanned many times (six scans per visit).</summary>
    CalTile,
}

/// <summary>
/// Parameters of a synthetic sky. <paramref name="Sources"/> counts true astrophysical
/// sources (close-pair companions included), not extractions. Survey: the area is chosen so
/// that the density is <see cref="SyntheticSky.SurveyDensityPerDeg2"/> sources per deg^2
/// (2MASS-like), a square-ish patch at the center. CalTile: a 1 deg (Dec) x 8.5' (RA) tile
/// centred at the center, <paramref name="Scans"/> scans (default 600). <paramref name="Set"/> moves the ids
/// (cntr, scan_key, truth) into a range of their own, so that sets generated apart (other seeds or fields) can be
/// merged together as one database, as the WDB's ids are unique across it; set 0 is the original range.
/// </summary>
public sealed record GeneratorOptions(SkyKind Kind, int Sources, int Seed, int? Scans = null,
    double CenterRaDeg = 180.0, double CenterDecDeg = 0.0, int Set = 0)
{
    /// <summary>Largest <see cref="Set"/>: its cntr and truth offsets (<see cref="CntrPerSet"/> apart) stay far within a long.</summary>
    public const int MostSets = 9_999;
    /// <summary>How far apart two sets' cntr and truth ids start: more than any set's rows (a tile has at most ~1.2e9).</summary>
    public const long CntrPerSet = 10_000_000_000L;
    /// <summary>How far apart two sets' scan_key start: more than any set's scans.</summary>
    public const long ScansPerSet = 1_000_000L;
}
