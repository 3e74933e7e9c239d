using Wdb.Core;

namespace Wdb.Merge;

/// <summary>
/// The sky area each scan covered, for `spos` (SPEC §4: scans whose footprint covers a
/// group's mean position). 2MASS scans are thin strips aligned with declination (a survey
/// tile is 6 deg x 8.5', a calibration tile 1 deg x 8.5'; 2MASS-NOTES.md), so a footprint
/// is a box in the scan's own tangent plane: centre = normalised mean unit vector of the
/// scan's extractions, axes east (xi) and north (eta) at that centre, gnomonic projection.
/// The box spans the extractions' xi/eta extremes plus <see cref="MarginArcsec"/>. In the
/// tangent frame RA 0/360 is no boundary and the poles need no special case.
/// Lookup: declination zones of <see cref="ZoneDeg"/>; each scan is listed in every zone
/// its bounding cap touches, with its centre RA; a query visits only the scans of its zone
/// whose centre RA lies within the widest RA half-extent of that zone, then tests the box.
/// </summary>
public sealed class ScanFootprints
{
    /// <summary>
    /// Margin added around the extractions' extent (arcsec): a group's mean can lie a
    /// little outside the outermost extraction of a scan that detected it (up to the 2"
    /// matching radius), and a scan still covers the position when it does.
    /// </summary>
    public const double MarginArcsec = 2.0;
    public const double ZoneDeg = 0.25;

    private readonly long[] _scanKey;
    // Per scan: tangent frame (centre, east, north) and the box in radians of the plane.
    private readonly double[] _cx, _cy, _cz, _ex, _ey, _nx, _ny, _nz;
    private readonly double[] _xiMin, _xiMax, _etaMin, _etaMax;
    // Zones: entries [ZoneStart[z], ZoneStart[z+1]) sorted by centre RA.
    private readonly int[] _zoneStart;
    private int[] _entryScan;
    private double[] _entryRa;
    private readonly double[] _zoneHalfRa;   // deg; 180 means "every RA"

    public int ScanCount => _scanKey.Length;

    private ScanFootprints(int scans)
    {
        _scanKey = new long[scans];
        _cx = new double[scans]; _cy = new double[scans]; _cz = new double[scans];
        _ex = new double[scans]; _ey = new double[scans];
        _nx = new double[scans]; _ny = new double[scans]; _nz = new double[scans];
        _xiMin = new double[scans]; _xiMax = new double[scans]; _etaMin = new double[scans]; _etaMax = new double[scans];
        int zones = (int)Math.Ceiling(180.0 / ZoneDeg);
        _zoneStart = new int[zones + 1];
        _zoneHalfRa = new double[zones];
        _entryScan = []; _entryRa = [];
    }

    /// <summary>Derives every scan's footprint from the extractions it holds in <paramref name="block"/>.</summary>
    public static ScanFootprints DeriveFromExtractions(ExtractionBlock block)
    {
        int n = block.Count;
        var index = new Dictionary<long, int>();
        var scanOf = new int[n];
        for (int i = 0; i < n; i++)
        {
            long key = block.ScanKey[i];
            if (!index.TryGetValue(key, out int s)) { s = index.Count; index.Add(key, s); }
            scanOf[i] = s;
        }
        int scans = index.Count;
        var f = new ScanFootprints(scans);
        foreach (var (key, s) in index) f._scanKey[s] = key;

        // Centre: mean unit vector.
        for (int i = 0; i < n; i++)
        {
            var (x, y, z) = Sky.UnitVector(block.Ra[i], block.Dec[i]);
            int s = scanOf[i];
            f._cx[s] += x; f._cy[s] += y; f._cz[s] += z;
        }
        for (int s = 0; s < scans; s++)
        {
            double norm = Math.Sqrt(f._cx[s] * f._cx[s] + f._cy[s] * f._cy[s] + f._cz[s] * f._cz[s]);
            if (norm == 0) { f._cz[s] = 1; norm = 1; }  // antipodal extractions only: not a real scan
            f._cx[s] /= norm; f._cy[s] /= norm; f._cz[s] /= norm;
            // East = z x c normalised; at a pole any east will do (x axis).
            double ex = -f._cy[s], ey = f._cx[s];
            double en = Math.Sqrt(ex * ex + ey * ey);
            if (en < 1e-15) { ex = 1; ey = 0; en = 1; }
            f._ex[s] = ex / en; f._ey[s] = ey / en;
            // North = c x east.
            f._nx[s] = -f._cz[s] * f._ey[s];
            f._ny[s] = f._cz[s] * f._ex[s];
            f._nz[s] = f._cx[s] * f._ey[s] - f._cy[s] * f._ex[s];
            f._xiMin[s] = f._etaMin[s] = double.MaxValue;
            f._xiMax[s] = f._etaMax[s] = double.MinValue;
        }
        for (int i = 0; i < n; i++)
        {
            var (x, y, z) = Sky.UnitVector(block.Ra[i], block.Dec[i]);
            int s = scanOf[i];
            if (!f.Project(s, x, y, z, out double xi, out double eta)) continue; // > 90 deg away: ignored
            if (xi < f._xiMin[s]) f._xiMin[s] = xi;
            if (xi > f._xiMax[s]) f._xiMax[s] = xi;
            if (eta < f._etaMin[s]) f._etaMin[s] = eta;
            if (eta > f._etaMax[s]) f._etaMax[s] = eta;
        }
        double margin = MarginArcsec * Sky.ArcsecToRad;
        for (int s = 0; s < scans; s++)
        {
            f._xiMin[s] -= margin; f._xiMax[s] += margin;
            f._etaMin[s] -= margin; f._etaMax[s] += margin;
        }
        f.BuildZones();
        return f;
    }

    /// <summary>Gnomonic projection onto scan s's tangent plane (radians); false beyond 90 deg.</summary>
    private bool Project(int s, double x, double y, double z, out double xi, out double eta)
    {
        double d = x * _cx[s] + y * _cy[s] + z * _cz[s];
        if (d <= 0) { xi = eta = 0; return false; }
        xi = (x * _ex[s] + y * _ey[s]) / d;
        eta = (x * _nx[s] + y * _ny[s] + z * _nz[s]) / d;
        return true;
    }

    /// <summary>
    /// Lists each scan in the zones its bounding cap touches. Cap radius = angle of the
    /// farthest box corner (atan of the corner's plane distance). Within a zone at
    /// |dec| &lt;= d, a cap of radius rho centred at RA ra0 spans RA ra0 +- asin(sin rho / cos d)
    /// (everything when the cap reaches the pole).
    /// </summary>
    private void BuildZones()
    {
        int scans = _scanKey.Length, zones = _zoneHalfRa.Length;
        var counts = new int[zones];
        var lists = new List<(int Zone, int Scan, double Ra)>();
        for (int s = 0; s < scans; s++)
        {
            double cornerX = Math.Max(Math.Abs(_xiMin[s]), Math.Abs(_xiMax[s]));
            double cornerY = Math.Max(Math.Abs(_etaMin[s]), Math.Abs(_etaMax[s]));
            double rho = Math.Atan(Math.Sqrt(cornerX * cornerX + cornerY * cornerY));
            var (ra0, dec0) = Sky.ToRaDec(_cx[s], _cy[s], _cz[s]);
            double rhoDeg = rho / Sky.DegToRad;
            double lo = Math.Max(-90, dec0 - rhoDeg), hi = Math.Min(90, dec0 + rhoDeg);
            int z0 = ZoneOf(lo), z1 = ZoneOf(hi);
            for (int z = z0; z <= z1; z++)
            {
                double zLo = -90 + z * ZoneDeg, zHi = Math.Min(90, zLo + ZoneDeg);
                double maxAbsDec = Math.Max(Math.Abs(zLo), Math.Abs(zHi));
                double half;
                if (hi >= 90 || lo <= -90 || maxAbsDec >= 90) half = 180;
                else
                {
                    double sinHalf = Math.Sin(rho) / Math.Cos(maxAbsDec * Sky.DegToRad);
                    half = sinHalf >= 1 ? 180 : Math.Asin(sinHalf) / Sky.DegToRad;
                }
                if (half > _zoneHalfRa[z]) _zoneHalfRa[z] = half;
                lists.Add((z, s, ra0));
                counts[z]++;
            }
        }
        lists.Sort((a, b) => a.Zone != b.Zone ? a.Zone.CompareTo(b.Zone) : a.Ra != b.Ra ? a.Ra.CompareTo(b.Ra) : a.Scan.CompareTo(b.Scan));
        _entryScan = new int[lists.Count];
        _entryRa = new double[lists.Count];
        for (int k = 0; k < lists.Count; k++) { _entryScan[k] = lists[k].Scan; _entryRa[k] = lists[k].Ra; }
        for (int z = 0; z < zones; z++) _zoneStart[z + 1] = _zoneStart[z] + counts[z];
    }

    /// <summary>Number of scans whose footprint box contains (ra, dec) (degrees), edges inclusive.</summary>
    public int CountCovering(double raDeg, double decDeg)
    {
        if (_entryScan.Length == 0) return 0;
        int zone = ZoneOf(decDeg);
        int s0 = _zoneStart[zone], s1 = _zoneStart[zone + 1];
        if (s0 == s1) return 0;
        var (x, y, z) = Sky.UnitVector(raDeg, decDeg);
        double half = _zoneHalfRa[zone];
        if (half >= 180) return CountRange(s0, s1, x, y, z);
        // Entries with centre RA in [ra - half, ra + half], wrapping at 0/360.
        double lo = raDeg - half, hi = raDeg + half;
        int count = CountRange(Lower(s0, s1, Math.Max(lo, 0)), Upper(s0, s1, Math.Min(hi, 360)), x, y, z);
        if (lo < 0) count += CountRange(Lower(s0, s1, lo + 360), s1, x, y, z);
        if (hi >= 360) count += CountRange(s0, Upper(s0, s1, hi - 360), x, y, z);
        return count;
    }

    /// <summary>The same count by testing every scan: the reference for the zone index (tests).</summary>
    internal int CountCoveringAllScans(double raDeg, double decDeg)
    {
        var (x, y, z) = Sky.UnitVector(raDeg, decDeg);
        int count = 0;
        for (int s = 0; s < _scanKey.Length; s++)
        {
            if (!Project(s, x, y, z, out double xi, out double eta)) continue;
            if (xi >= _xiMin[s] && xi <= _xiMax[s] && eta >= _etaMin[s] && eta <= _etaMax[s]) count++;
        }
        return count;
    }

    private int CountRange(int from, int to, double x, double y, double z)
    {
        int count = 0;
        for (int e = from; e < to; e++)
        {
            int s = _entryScan[e];
            if (!Project(s, x, y, z, out double xi, out double eta)) continue;
            if (xi >= _xiMin[s] && xi <= _xiMax[s] && eta >= _etaMin[s] && eta <= _etaMax[s]) count++;
        }
        return count;
    }

    /// <summary>First entry in [s0, s1) with centre RA &gt;= ra.</summary>
    private int Lower(int s0, int s1, double ra)
    {
        int lo = s0, hi = s1;
        while (lo < hi) { int mid = (lo + hi) >>> 1; if (_entryRa[mid] < ra) lo = mid + 1; else hi = mid; }
        return lo;
    }

    /// <summary>First entry in [s0, s1) with centre RA &gt; ra.</summary>
    private int Upper(int s0, int s1, double ra)
    {
        int lo = s0, hi = s1;
        while (lo < hi) { int mid = (lo + hi) >>> 1; if (_entryRa[mid] <= ra) lo = mid + 1; else hi = mid; }
        return lo;
    }

    private static int ZoneOf(double dec) => Math.Clamp((int)Math.Floor((dec + 90) / ZoneDeg), 0, (int)Math.Ceiling(180.0 / ZoneDeg) - 1);
}
