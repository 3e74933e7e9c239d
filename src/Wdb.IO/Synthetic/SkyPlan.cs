using Wdb.Core;

namespace Wdb.IO.Synthetic;

/// <summary>
/// The model behind <see cref="SyntheticSky"/>: sources, scans, and the shuffled entries
/// (source or noise, scan, cntr) that become rows.
///
/// Photometry: Ks drawn from a rising number-count law dN/dm ~ 10^(0.32 m) over 8-16.5 mag,
/// colours J-H and H-K from three populations (main sequence/giants, red, blue). Signal-to-noise
/// scales with flux, SNR = 10 at J 16.6 / H 15.9 / Ks 15.75, times a per-scan depth factor
/// (seeing, background), so the faint limit Ks 16.5 sits near SNR 5. A band with observed
/// SNR &lt; 3 is a non-detection, written half the time as a 95% upper limit (rd_flg '0',
/// ph_qual 'U') and half as a null magnitude (same flags); a row with no detected band is
/// not written (the scan missed the source). Astrometry: per-extraction noise
/// sigma = sqrt(0.07^2 + (2.2/SNR)^2) arcsec (0.07" bright, ~0.45" at SNR 5), drawn from the
/// row's own error ellipse (err_maj, err_min, err_ang). Flags after the 2MASS Explanatory
/// Supplement (see shared/2MASS-NOTES.md). Values are rounded as the WDBs print them
/// (positions 1e-6 deg, magnitudes 1e-3, SNR 0.1, errors 0.01", err_ang whole degrees).
/// </summary>
internal sealed class SkyPlan
{
    public const double SurveyDensity = 13_000;     // sources / deg^2
    public const int DefaultCalScans = 600;
    private const double D2R = Math.PI / 180.0;
    private const double TileWidthDeg = 8.5 / 60.0;  // one 2MASS frame across the scan
    private const double CellHeightDeg = 0.5;        // survey: repeat coverage comes in 8.5' x 0.5 deg cells
    private const double CalTileHeightDeg = 1.0;
    private const double JdMin = 2450600, JdMax = 2451900;  // 1997-2001
    private const double JdRef = 2451545.0;                 // J2000: positions are at this epoch
    private const double VisitScanSpacingDays = 80.0 / 86400.0;
    private const double VisitRaStepArcsec = 5.0;
    private const double PairFraction = 0.02, MoverFraction = 0.02, VariableFraction = 0.05;
    private const double SurveyNoiseFraction = 0.07, CalNoiseFraction = 0.10, CalNoiseNearSource = 0.4;
    private const ulong SaltPlan = 0x5EED_0001, SaltRow = 0x5EED_0002;

    private static readonly double[] M10 = [16.6, 15.9, 15.75];   // mag at SNR 10 (J, H, Ks)
    private static readonly double[] Saturation = [9.0, 8.5, 8.0]; // brighter: Read-1 photometry, rd_flg '1'
    private static readonly double[] EpochCdf = [0.62, 0.88, 0.94, 0.97, 0.99, 1.0];

    private readonly int _seed;
    private readonly SkyKind _kind;
    /// <summary>Added to cntr and truth ids, and to scan_key, as written (<see cref="GeneratorOptions.Set"/>); the rows' random streams do not see it.</summary>
    private readonly long _idBase, _scanBase;

    // Sources: reference position (deg, RA unwrapped), mean magnitudes, motion, variability.
    private double[] _srcRa = [], _srcDec = [];
    private readonly float[][] _srcMag = [[], [], []];
    private float[] _pmRa = [], _pmDec = [], _varAmp = [], _varPeriod = [], _varPhase = [];
    private bool[] _blended = [];

    // Scans: key, time, depth factor (multiplies SNR), zero-point offset (mag), footprint.
    private long[] _scanKey = [];
    private double[] _scanJd = [];
    private float[] _scanDepth = [], _scanZp = [];
    private double[] _fpRaLo = [], _fpRaHi = [], _fpDecLo = [], _fpDecHi = [];

    // Entries, shuffled: source index (>= 0), -1 noise anywhere in the scan, -2 - s noise near source s.
    private int[] _eSrc = [], _eScan = [], _eCntr = [];

    public int EntryCount => _eSrc.Length;

    private SkyPlan(int seed, SkyKind kind, int set)
    {
        _seed = seed;
        _kind = kind;
        _idBase = set * GeneratorOptions.CntrPerSet;
        _scanBase = set * GeneratorOptions.ScansPerSet;
    }

    public static SkyPlan Build(GeneratorOptions o)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(o.Sources);
        if (o.Scans is { } s) ArgumentOutOfRangeException.ThrowIfLessThan(s, 1);
        if (!double.IsFinite(o.CenterRaDeg) || !double.IsFinite(o.CenterDecDeg) || Math.Abs(o.CenterDecDeg) > 85)
            throw new ArgumentOutOfRangeException(nameof(o), "center must be finite with |dec| <= 85 deg");
        if (o.Set < 0 || o.Set > GeneratorOptions.MostSets)
            throw new ArgumentOutOfRangeException(nameof(o), $"set must be in [0, {GeneratorOptions.MostSets}]");
        var plan = new SkyPlan(o.Seed, o.Kind, o.Set);
        var rng = SplitMix.For(o.Seed, 0, SaltPlan);
        if (o.Kind == SkyKind.Survey) plan.BuildSurvey(o, ref rng);
        else plan.BuildCalTile(o, ref rng);
        plan.Shuffle(ref rng);
        return plan;
    }

    // ---------------------------------------------------------------- survey

    private void BuildSurvey(GeneratorOptions o, ref SplitMix rng)
    {
        double area = Math.Max(o.Sources, 1) / SurveyDensity;
        double side = Math.Sqrt(area);
        double decLo = Math.Max(-89.0, o.CenterDecDeg - side / 2), decHi = Math.Min(89.0, o.CenterDecDeg + side / 2);
        double sinLo = Math.Sin(decLo * D2R), sinHi = Math.Sin(decHi * D2R);
        double raWidth = Math.Min(359.0, area / ((sinHi - sinLo) / D2R));
        double raLo = o.CenterRaDeg - raWidth / 2;
        double stripW = Math.Min(raWidth, TileWidthDeg / Math.Cos(o.CenterDecDeg * D2R));
        int nStrips = Math.Max(1, (int)Math.Ceiling(raWidth / stripW - 1e-9));
        int nRows = Math.Max(1, (int)Math.Ceiling((decHi - decLo) / CellHeightDeg - 1e-9));
        int cells = nStrips * nRows;

        // Each cell is covered by 1-6 scans; each scan covers exactly one cell.
        var cellFirst = new int[cells + 1];
        for (int c = 0; c < cells; c++)
        {
            double u = rng.Uniform();
            int e = 1;
            while (u >= EpochCdf[e - 1]) e++;
            cellFirst[c + 1] = cellFirst[c] + e;
        }
        int nScans = cellFirst[cells];
        AllocScans(nScans);
        for (int c = 0; c < cells; c++)
        {
            int strip = c % nStrips, row = c / nStrips;
            for (int k = cellFirst[c]; k < cellFirst[c + 1]; k++)
            {
                _scanJd[k] = Math.Round(rng.Uniform(JdMin, JdMax), 5);
                DrawConditions(ref rng, k);
                _fpRaLo[k] = raLo + strip * stripW; _fpRaHi[k] = Math.Min(raLo + raWidth, _fpRaLo[k] + stripW);
                _fpDecLo[k] = decLo + row * CellHeightDeg; _fpDecHi[k] = Math.Min(decHi, _fpDecLo[k] + CellHeightDeg);
            }
        }
        KeyScansByTime();

        DrawSources(o.Sources, ref rng, (ref SplitMix r) =>
            (raLo + r.Uniform() * raWidth, Math.Asin(r.Uniform(sinLo, sinHi)) / D2R));

        var cellOf = new int[o.Sources];
        long candidates = 0;
        for (int s = 0; s < o.Sources; s++)
        {
            int strip = Math.Clamp((int)Math.Floor((_srcRa[s] - raLo) / stripW), 0, nStrips - 1);
            int row = Math.Clamp((int)Math.Floor((_srcDec[s] - decLo) / CellHeightDeg), 0, nRows - 1);
            int c = row * nStrips + strip;
            cellOf[s] = c;
            candidates += cellFirst[c + 1] - cellFirst[c];
        }
        int nNoise = (int)Math.Round(SurveyNoiseFraction * candidates);
        AllocEntries(checked((int)candidates + nNoise));
        int n = 0;
        for (int s = 0; s < o.Sources; s++)
            for (int k = cellFirst[cellOf[s]]; k < cellFirst[cellOf[s] + 1]; k++) { _eSrc[n] = s; _eScan[n++] = k; }
        for (int j = 0; j < nNoise; j++) { _eSrc[n] = -1; _eScan[n++] = rng.Below(nScans); }
    }

    // ---------------------------------------------------------------- calibration tile

    private void BuildCalTile(GeneratorOptions o, ref SplitMix rng)
    {
        int nScans = o.Scans ?? DefaultCalScans;
        double cosd = Math.Cos(o.CenterDecDeg * D2R);
        double raW = TileWidthDeg / cosd;
        double raLo = o.CenterRaDeg - raW / 2;
        double decLo = o.CenterDecDeg - CalTileHeightDeg / 2, decHi = o.CenterDecDeg + CalTileHeightDeg / 2;
        double sinLo = Math.Sin(decLo * D2R), sinHi = Math.Sin(decHi * D2R);

        // Visits spread over the survey years; six consecutive scans per visit, stepped ~5" in RA.
        int nVisits = (nScans + 5) / 6;
        var visitJd = new double[nVisits];
        for (int v = 0; v < nVisits; v++) visitJd[v] = rng.Uniform(JdMin, JdMax);
        Array.Sort(visitJd);
        AllocScans(nScans);
        for (int k = 0; k < nScans; k++)
        {
            int step = k % 6;
            _scanJd[k] = Math.Round(visitJd[k / 6] + step * VisitScanSpacingDays, 5);
            DrawConditions(ref rng, k);
            double off = (step - 2.5) * VisitRaStepArcsec / 3600.0 / cosd;
            _fpRaLo[k] = raLo + off; _fpRaHi[k] = raLo + raW + off;
            _fpDecLo[k] = decLo; _fpDecHi[k] = decHi;
        }
        KeyScansByTime();

        DrawSources(o.Sources, ref rng, (ref SplitMix r) =>
            (raLo + r.Uniform() * raW, Math.Asin(r.Uniform(sinLo, sinHi)) / D2R));

        long candidates = 0;
        for (int k = 0; k < nScans; k++)
            for (int s = 0; s < o.Sources; s++)
                if (InFootprint(k, s)) candidates++;
        int nNoise = (int)Math.Round(CalNoiseFraction * candidates);
        AllocEntries(checked((int)candidates + nNoise));
        int n = 0;
        for (int k = 0; k < nScans; k++)
            for (int s = 0; s < o.Sources; s++)
                if (InFootprint(k, s)) { _eSrc[n] = s; _eScan[n++] = k; }
        for (int j = 0; j < nNoise; j++)
        {
            int k = rng.Below(nScans);
            int src = -1;
            if (o.Sources > 0 && rng.Chance(CalNoiseNearSource))
            {
                // Artifacts cluster around bright stars (spikes, persistence): the brighter of two picks.
                int a = rng.Below(o.Sources), b = rng.Below(o.Sources);
                src = -2 - (_srcMag[2][a] <= _srcMag[2][b] ? a : b);
            }
            _eSrc[n] = src; _eScan[n++] = k;
        }
    }

    private bool InFootprint(int scan, int s) => _srcRa[s] >= _fpRaLo[scan] && _srcRa[s] < _fpRaHi[scan];

    // ---------------------------------------------------------------- shared planning steps

    private void AllocScans(int n)
    {
        _scanKey = new long[n]; _scanJd = new double[n]; _scanDepth = new float[n]; _scanZp = new float[n];
        _fpRaLo = new double[n]; _fpRaHi = new double[n]; _fpDecLo = new double[n]; _fpDecHi = new double[n];
    }

    private void DrawConditions(ref SplitMix rng, int k)
    {
        _scanDepth[k] = (float)Math.Clamp(Math.Exp(0.12 * rng.Gauss()), 0.6, 1.4);
        _scanZp[k] = (float)(0.01 * rng.Gauss());
    }

    /// <summary>scan_key ascends with time, as the WDB assigns it; ties keep scan order.</summary>
    private void KeyScansByTime()
    {
        int n = _scanJd.Length;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Array.Sort(order, (a, b) => _scanJd[a] != _scanJd[b] ? _scanJd[a].CompareTo(_scanJd[b]) : a.CompareTo(b));
        if (n >= GeneratorOptions.ScansPerSet - 10_000) throw new ArgumentOutOfRangeException(nameof(n), "too many scans for one set's scan_key range");
        for (int rank = 0; rank < n; rank++) _scanKey[order[rank]] = _scanBase + 10_000 + rank;
    }

    private delegate (double Ra, double Dec) PositionDraw(ref SplitMix rng);

    private void DrawSources(int n, ref SplitMix rng, PositionDraw uniform)
    {
        _srcRa = new double[n]; _srcDec = new double[n];
        for (int b = 0; b < 3; b++) _srcMag[b] = new float[n];
        _pmRa = new float[n]; _pmDec = new float[n]; _varAmp = new float[n];
        _varPeriod = new float[n]; _varPhase = new float[n]; _blended = new bool[n];
        for (int s = 0; s < n; s++)
        {
            if (s > 0 && rng.Chance(PairFraction))
            {
                // Close pair: a companion 1.5-4" from an earlier source; below 3" the two blend.
                int p = rng.Below(s);
                double sep = rng.Uniform(1.5, 4.0), pa = rng.Uniform(0, 2 * Math.PI);
                _srcDec[s] = _srcDec[p] + sep * Math.Cos(pa) / 3600.0;
                _srcRa[s] = _srcRa[p] + sep * Math.Sin(pa) / 3600.0 / Math.Cos(_srcDec[p] * D2R);
                if (sep < 3.0) _blended[s] = _blended[p] = true;
            }
            else (_srcRa[s], _srcDec[s]) = uniform(ref rng);

            // Ks from dN/dm ~ 10^(a m) on [8, 16.5] by inverse CDF.
            const double a = 0.32, lo = 8.0, hi = 16.5;
            double flo = Math.Pow(10, a * lo), fhi = Math.Pow(10, a * hi);
            double k = Math.Log10(flo + rng.Uniform() * (fhi - flo)) / a;
            double pop = rng.Uniform(), jh, hk;
            if (pop < 0.85) { jh = 0.60 + 0.12 * rng.Gauss(); hk = 0.15 + 0.06 * rng.Gauss(); }
            else if (pop < 0.95) { jh = 0.95 + 0.15 * rng.Gauss(); hk = 0.45 + 0.12 * rng.Gauss(); }
            else { jh = 0.10 + 0.08 * rng.Gauss(); hk = 0.02 + 0.04 * rng.Gauss(); }
            _srcMag[2][s] = (float)k; _srcMag[1][s] = (float)(k + hk); _srcMag[0][s] = (float)(k + hk + jh);

            if (rng.Chance(MoverFraction))
            {
                double mu = 50.0 * Math.Pow(10, rng.Uniform());   // 50-500 mas/yr, log-uniform
                double pa = rng.Uniform(0, 2 * Math.PI);
                _pmRa[s] = (float)(mu * Math.Sin(pa)); _pmDec[s] = (float)(mu * Math.Cos(pa));
            }
            if (rng.Chance(VariableFraction))
            {
                _varAmp[s] = (float)rng.Uniform(0.05, 0.5);
                _varPeriod[s] = (float)(0.2 * Math.Pow(1000, rng.Uniform()));   // 0.2-200 d
                _varPhase[s] = (float)rng.Uniform();
            }
        }
    }

    private void AllocEntries(int n) { _eSrc = new int[n]; _eScan = new int[n]; _eCntr = new int[n]; }

    /// <summary>cntr follows planning order (scan by scan for tiles), then rows are shuffled.</summary>
    private void Shuffle(ref SplitMix rng)
    {
        int n = _eSrc.Length;
        for (int i = 0; i < n; i++) _eCntr[i] = i + 1;
        for (int i = n - 1; i > 0; i--)
        {
            int j = rng.Below(i + 1);
            (_eSrc[i], _eSrc[j]) = (_eSrc[j], _eSrc[i]);
            (_eScan[i], _eScan[j]) = (_eScan[j], _eScan[i]);
            (_eCntr[i], _eCntr[j]) = (_eCntr[j], _eCntr[i]);
        }
    }

    // ---------------------------------------------------------------- rows

    /// <summary>Rows of entries [start, end); entries whose source the scan missed produce no row.</summary>
    public (ExtractionBlock Block, SyntheticTruth Truth) Rows(int start, int end) =>
        Rows(start, end, new ExtractionBlock(end - start), new SyntheticTruth(Math.Max(end - start, 16)));

    /// <summary>Rows of entries [start, end) into recycled buffers (emptied first), which must hold end - start rows.</summary>
    public (ExtractionBlock Block, SyntheticTruth Truth) Rows(int start, int end, ExtractionBlock block, SyntheticTruth truth)
    {
        block.Clear();
        truth.Clear();
        block.Reserve(end - start);
        if (truth.PmRa.Length < end - start) throw new ArgumentException("truth buffer too small", nameof(truth));
        for (int e = start; e < end; e++)
        {
            var rng = SplitMix.For(_seed, _eCntr[e], SaltRow);
            if (_eSrc[e] >= 0) RealRow(block, truth, e, ref rng);
            else NoiseRow(block, truth, e, ref rng);
        }
        return (block, truth);
    }

    private void RealRow(ExtractionBlock block, SyntheticTruth truth, int e, ref SplitMix rng)
    {
        int s = _eSrc[e], k = _eScan[e];
        double jd = _scanJd[k];
        double years = (jd - JdRef) / 365.25;
        double decT = _srcDec[s] + _pmDec[s] * years / 3.6e6;
        double cosd = Math.Cos(decT * D2R);
        double raT = _srcRa[s] + _pmRa[s] * years / 3.6e6 / cosd;
        double dm = _scanZp[k];
        if (_varAmp[s] > 0) dm += _varAmp[s] * Math.Sin(2 * Math.PI * (jd / _varPeriod[s] + _varPhase[s]));

        Span<double> snr = stackalloc double[3];
        Span<double> mag = stackalloc double[3];
        double best = 0;
        for (int b = 0; b < 3; b++)
        {
            double m = _srcMag[b][s] + dm;
            double snrTrue = 10.0 * _scanDepth[k] * Math.Pow(10, -0.4 * (m - M10[b]));
            double obs = snrTrue + rng.Gauss();          // flux noise: 1 in SNR units
            snr[b] = obs;
            // Observed flux -> magnitude, plus a 0.01 mag flat-field term.
            mag[b] = obs > 0 ? m - 2.5 * Math.Log10(obs / snrTrue) + 0.01 * rng.Gauss() : double.NaN;
            if (obs >= 3) best = Math.Max(best, obs);
        }
        if (best == 0) return;   // missed in this scan

        int i = block.AddRow();
        block.Cntr[i] = _idBase + _eCntr[e];
        block.ScanKey[i] = _scanKey[k];
        block.JDate[i] = jd;
        block.Truth[i] = _idBase + s;
        int ndet = 0;
        for (int b = 0; b < 3; b++)
        {
            int m;
            if (snr[b] >= 3) m = WriteDetection(block.Bands[b], i, b, mag[b], snr[b], _blended[s], artifactRate: 0.015, ref rng);
            else m = WriteNonDetection(block.Bands[b], i, b, k, ref rng);
            ndet = ndet * 100 + m * 10 + 6;
        }
        block.Ndet[i] = ndet;
        WritePosition(block, i, raT, decT, best, ref rng);
        truth.Set(i, _pmRa[s], _pmDec[s], _varAmp[s], WrapRa(raT), decT);
    }

    private void NoiseRow(ExtractionBlock block, SyntheticTruth truth, int e, ref SplitMix rng)
    {
        int k = _eScan[e], src = _eSrc[e];
        double ra, dec;
        if (src == -1)
        {
            ra = rng.Uniform(_fpRaLo[k], _fpRaHi[k]);
            double sinLo = Math.Sin(_fpDecLo[k] * D2R), sinHi = Math.Sin(_fpDecHi[k] * D2R);
            dec = Math.Asin(rng.Uniform(sinLo, sinHi)) / D2R;
        }
        else
        {
            // Chance-coincident with a real source: 0.5-4" away, often inside the 2" match radius.
            int s = -2 - src;
            double sep = rng.Uniform(0.5, 4.0), pa = rng.Uniform(0, 2 * Math.PI);
            dec = _srcDec[s] + sep * Math.Cos(pa) / 3600.0;
            ra = _srcRa[s] + sep * Math.Sin(pa) / 3600.0 / Math.Cos(dec * D2R);
        }

        int i = block.AddRow();
        block.Cntr[i] = _idBase + _eCntr[e];
        block.ScanKey[i] = _scanKey[k];
        block.JDate[i] = _scanJd[k];
        block.Truth[i] = -1;
        // Noise is faint and usually seen in one band only.
        int first = rng.Below(3);
        int second = rng.Chance(0.2) ? (first + 1 + rng.Below(2)) % 3 : -1;
        double best = 0;
        int ndet = 0;
        for (int b = 0; b < 3; b++)
        {
            int m;
            if (b == first || b == second)
            {
                double snr = rng.Uniform(3.0, 7.0);
                best = Math.Max(best, snr);
                double mg = M10[b] + 2.5 * Math.Log10(10.0 * _scanDepth[k] / snr);
                m = WriteDetection(block.Bands[b], i, b, mg, snr, false, artifactRate: 0.3, ref rng);
                m = Math.Min(m, 1 + rng.Below(3));
            }
            else m = WriteNonDetection(block.Bands[b], i, b, k, ref rng);
            ndet = ndet * 100 + m * 10 + 6;
        }
        block.Ndet[i] = ndet;
        WritePosition(block, i, ra, dec, best, ref rng);
        truth.Set(i, float.NaN, float.NaN, float.NaN, double.NaN, double.NaN);
    }

    /// <summary>Fills one detected band; returns the frames (of 6) with a detection for `ndet`.</summary>
    private static int WriteDetection(BandColumns c, int i, int b, double mag, double snr, bool blended, double artifactRate, ref SplitMix rng)
    {
        c.Mag[i] = (float)Math.Round(mag, 3);
        c.Sig[i] = (float)Math.Round(Math.Sqrt(Math.Pow(1.0857 / snr, 2) + 0.015 * 0.015), 3);
        c.Snr[i] = (float)Math.Round(snr, 1);
        c.PhQual[i] = rng.Chance(0.003) ? (byte)'E' : snr >= 10 ? (byte)'A' : snr >= 7 ? (byte)'B' : snr >= 5 ? (byte)'C' : (byte)'D';
        c.RdFlg[i] = mag < Saturation[b] ? (byte)'1' : rng.Chance(0.005) ? (byte)'4' : (byte)'2';
        c.BlFlg[i] = blended ? (byte)'2' : (byte)'1';
        c.CcFlg[i] = rng.Chance(artifactRate) ? (byte)"pdsbc"[rng.Below(artifactRate > 0.1 ? 3 : 5)] : (byte)'0';
        double pFrame = Math.Clamp((snr - 1.5) / 6.0, 0.15, 1.0);
        int frames = 0;
        for (int f = 0; f < 6; f++) if (rng.Uniform() < pFrame) frames++;
        return Math.Max(frames, 1);
    }

    /// <summary>A non-detection: half 95% upper limits, half null magnitudes; returns frames detected (0 or 1).</summary>
    private int WriteNonDetection(BandColumns c, int i, int b, int scan, ref SplitMix rng)
    {
        if (rng.Chance(0.5))
            c.Mag[i] = (float)Math.Round(M10[b] + 2.5 * Math.Log10(10.0 * _scanDepth[scan] / 2.0) + 0.05 * rng.Gauss(), 3);
        c.PhQual[i] = (byte)'U'; c.RdFlg[i] = (byte)'0'; c.BlFlg[i] = (byte)'0'; c.CcFlg[i] = (byte)'0';
        return rng.Chance(0.1) ? 1 : 0;
    }

    /// <summary>Draws the measured position from the row's own error ellipse around (ra, dec).</summary>
    private static void WritePosition(ExtractionBlock block, int i, double ra, double dec, double snr, ref SplitMix rng)
    {
        double sigma = Math.Sqrt(0.07 * 0.07 + Math.Pow(2.2 / snr, 2));   // arcsec
        double maj = Math.Max(0.01, Math.Round(sigma * rng.Uniform(1.0, 1.2), 2));
        double min = Math.Clamp(Math.Round(sigma * rng.Uniform(0.8, 1.0), 2), 0.01, maj);
        int ang = rng.Below(180);
        double theta = ang * D2R;
        double a = maj * rng.Gauss(), bm = min * rng.Gauss();
        double east = a * Math.Sin(theta) + bm * Math.Cos(theta);
        double north = a * Math.Cos(theta) - bm * Math.Sin(theta);
        double d = Math.Clamp(Math.Round(dec + north / 3600.0, 6), -90.0, 90.0);
        double r = Math.Round(WrapRa(ra + east / 3600.0 / Math.Cos(dec * D2R)), 6);
        if (r >= 360.0) r -= 360.0;
        block.Ra[i] = r; block.Dec[i] = d;
        block.ErrMaj[i] = (float)maj; block.ErrMin[i] = (float)min; block.ErrAng[i] = ang;
    }

    private static double WrapRa(double ra)
    {
        ra %= 360.0;
        return ra < 0 ? ra + 360.0 : ra;
    }
}
