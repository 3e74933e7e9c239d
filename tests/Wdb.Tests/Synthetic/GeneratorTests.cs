using Wdb.Core;
using Wdb.IO;

namespace Wdb.Tests.Synthetic;

public class GeneratorTests
{
    private static readonly GeneratorOptions SmallTile = new(SkyKind.CalTile, 60, 7, Scans: 48);
    private static readonly GeneratorOptions SmallSurvey = new(SkyKind.Survey, 6000, 11);

    [Theory]
    [InlineData(SkyKind.CalTile)]
    [InlineData(SkyKind.Survey)]
    public void Same_seed_gives_identical_blocks_and_another_seed_differs(SkyKind kind)
    {
        var o = kind == SkyKind.CalTile ? SmallTile : SmallSurvey;
        var a = SyntheticSky.Generate(o);
        var b = SyntheticSky.Generate(o);
        var c = SyntheticSky.Generate(o with { Seed = o.Seed + 1 });
        Assert.True(BlockAssert.SameRows(a, b, out string why), why);
        Assert.False(BlockAssert.SameRows(a, c, out _));
    }

    [Fact]
    public void Chunks_concatenate_to_the_whole_sky()
    {
        var whole = SyntheticSky.GenerateWithTruth(SmallTile);
        var joined = new ExtractionBlock();
        var pm = new List<float>();
        foreach (var (block, truth) in SyntheticSky.GenerateChunks(SmallTile, chunkRows: 333))
        {
            joined.Append(block);
            for (int i = 0; i < block.Count; i++) pm.Add(truth.PmRa[i]);
        }
        Assert.True(BlockAssert.SameRows(whole.Block, joined, out string why), why);
        for (int i = 0; i < pm.Count; i++) Assert.Equal(whole.Truth.PmRa[i], pm[i]);
    }

    [Fact]
    public void CalTile_rows_are_sources_times_scans_plus_noise()
    {
        var o = new GeneratorOptions(SkyKind.CalTile, 200, 3, Scans: 60);
        var (b, t) = SyntheticSky.GenerateWithTruth(o);
        int real = 0, noise = 0;
        var scans = new HashSet<long>();
        var perSourceScan = new HashSet<(long, long)>();
        for (int i = 0; i < b.Count; i++)
        {
            scans.Add(b.ScanKey[i]);
            if (b.Truth[i] < 0) { noise++; Assert.True(double.IsNaN(t.Ra[i])); continue; }
            real++;
            Assert.InRange(b.Truth[i], 0, 199);
            // One extraction of a source per scan at most.
            Assert.True(perSourceScan.Add((b.Truth[i], b.ScanKey[i])));
        }
        Assert.Equal(60, scans.Count);
        // Edge sources leave some of the RA-stepped scans; faint ones are sometimes missed.
        Assert.InRange(real, (int)(0.93 * 200 * 60), 200 * 60);
        Assert.InRange(noise, (int)(0.08 * real), (int)(0.12 * real));
    }

    [Fact]
    public void CalTile_visits_are_six_consecutive_scans_spread_over_years()
    {
        var b = SyntheticSky.Generate(new GeneratorOptions(SkyKind.CalTile, 100, 5, Scans: 36));
        var jdByScan = new SortedDictionary<long, double>();
        for (int i = 0; i < b.Count; i++)
        {
            if (jdByScan.TryGetValue(b.ScanKey[i], out double jd)) Assert.Equal(jd, b.JDate[i]);
            else jdByScan[b.ScanKey[i]] = b.JDate[i];
        }
        var jds = jdByScan.Values.ToArray();   // in scan_key order
        Assert.Equal(36, jds.Length);
        for (int k = 1; k < jds.Length; k++)
        {
            Assert.True(jds[k] >= jds[k - 1], "scan_key ascends with time");
            if (k % 6 != 0) Assert.InRange(jds[k] - jds[k - 1], 60 / 86400.0, 100 / 86400.0);
        }
        Assert.True(jds[^1] - jds[0] > 365, "visits span more than a year");
        Assert.All(jds, jd => Assert.InRange(jd, 2450600, 2451900.01));
    }

    [Fact]
    public void Survey_sources_have_one_to_six_epochs_mostly_one_or_two()
    {
        var b = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 20000, 11));   // ~60 coverage cells
        var perSource = new Dictionary<long, HashSet<long>>();
        int noise = 0;
        for (int i = 0; i < b.Count; i++)
        {
            if (b.Truth[i] < 0) { noise++; continue; }
            if (!perSource.TryGetValue(b.Truth[i], out var set)) perSource[b.Truth[i]] = set = [];
            Assert.True(set.Add(b.ScanKey[i]), $"source {b.Truth[i]} twice in scan {b.ScanKey[i]}");
        }
        int oneOrTwo = perSource.Values.Count(s => s.Count <= 2);
        Assert.All(perSource.Values, s => Assert.InRange(s.Count, 1, 6));
        Assert.True(oneOrTwo > 0.6 * perSource.Count, $"{oneOrTwo} of {perSource.Count} with 1-2 epochs");
        Assert.Contains(perSource.Values, s => s.Count >= 3);
        Assert.InRange(noise, 0.04 * b.Count, 0.11 * b.Count);
        Assert.All(b.JDate.AsSpan(0, b.Count).ToArray(), jd => Assert.InRange(jd, 2450600, 2451900));
    }

    [Theory]
    [InlineData(SkyKind.CalTile)]
    [InlineData(SkyKind.Survey)]
    public void Extractions_lie_within_a_few_sigma_of_the_true_position(SkyKind kind)
    {
        var o = kind == SkyKind.CalTile ? SmallTile : SmallSurvey;
        var (b, t) = SyntheticSky.GenerateWithTruth(o);
        int checkedRows = 0;
        for (int i = 0; i < b.Count; i++)
        {
            if (b.Truth[i] < 0) continue;
            double sep = Sky.SeparationArcsec(b.Ra[i], b.Dec[i], t.Ra[i], t.Dec[i]);
            // 2-D Gaussian: beyond 5.5 sigma along the major axis has probability ~3e-7 per row;
            // 0.005" covers the 1e-6 deg rounding of the printed positions.
            Assert.True(sep <= 5.5 * b.ErrMaj[i] + 0.005, $"row {i}: {sep}\" with err_maj {b.ErrMaj[i]}");
            Assert.InRange(b.ErrMaj[i], 0.05f, 0.9f);   // sqrt(0.07^2 + (2.2/3)^2) * 1.2 at SNR 3
            Assert.True(b.ErrMin[i] <= b.ErrMaj[i] && b.ErrMin[i] > 0);
            Assert.InRange(b.ErrAng[i], 0f, 179f);
            checkedRows++;
        }
        Assert.True(checkedRows > 1000);
    }

    [Fact]
    public void Bright_extractions_are_tight_and_faint_ones_loose()
    {
        var (b, t) = SyntheticSky.GenerateWithTruth(SmallTile);
        double brightSum = 0, faintSum = 0; int nb = 0, nf = 0;
        for (int i = 0; i < b.Count; i++)
        {
            if (b.Truth[i] < 0) continue;
            float snr = MaxSnr(b, i);
            double sep = Sky.SeparationArcsec(b.Ra[i], b.Dec[i], t.Ra[i], t.Dec[i]);
            if (snr > 100) { brightSum += sep * sep; nb++; }
            else if (snr < 7) { faintSum += sep * sep; nf++; }
        }
        // Radial RMS of a circular 2-D Gaussian is sigma * sqrt(2): 0.07" bright, ~0.4" faint.
        Assert.InRange(Math.Sqrt(brightSum / nb / 2), 0.05, 0.11);
        Assert.InRange(Math.Sqrt(faintSum / nf / 2), 0.3, 0.6);
    }

    [Fact]
    public void Non_detections_come_as_null_magnitudes_and_as_upper_limits()
    {
        var b = SyntheticSky.Generate(SmallTile);
        int nullMag = 0, upperLimit = 0;
        for (int i = 0; i < b.Count; i++)
        {
            int detected = 0;
            for (int band = 0; band < 3; band++)
            {
                var c = b.Bands[band];
                if (c.IsDetection(i))
                {
                    detected++;
                    Assert.False(float.IsNaN(c.Sig[i]) || float.IsNaN(c.Snr[i]));
                    Assert.True(c.Snr[i] >= 3f);
                    Assert.NotEqual((byte)'0', c.BlFlg[i]);
                    // ph_qual grades follow SNR (E marks a poor fit at any SNR).
                    if (c.PhQual[i] == 'A') Assert.True(c.Snr[i] >= 10f);
                    if (c.PhQual[i] == 'B') Assert.InRange(c.Snr[i], 7f, 10f);
                    continue;
                }
                Assert.Equal((byte)'0', c.RdFlg[i]);
                Assert.Equal((byte)'U', c.PhQual[i]);
                Assert.True(float.IsNaN(c.Snr[i]));
                if (float.IsNaN(c.Mag[i])) nullMag++; else upperLimit++;
            }
            Assert.True(detected > 0, "a row is written only when some band is detected");
        }
        Assert.True(nullMag > 20 && upperLimit > 20, $"{nullMag} null, {upperLimit} upper limits");
    }

    [Fact]
    public void Cntr_is_unique_and_ndet_has_six_digits()
    {
        var b = SyntheticSky.Generate(SmallSurvey);
        var seen = new HashSet<long>();
        for (int i = 0; i < b.Count; i++)
        {
            Assert.True(seen.Add(b.Cntr[i]), $"duplicate cntr {b.Cntr[i]}");
            int nd = b.Ndet[i];
            Assert.InRange(nd, 0, 666666);
            for (int band = 0; band < 3; band++)
            {
                int pair = nd / (int)Math.Pow(100, 2 - band) % 100;
                Assert.Equal(6, pair % 10);                 // frames seen
                Assert.InRange(pair / 10, 0, 6);            // frames with a detection
            }
        }
    }

    [Fact]
    public void Rows_are_shuffled_not_grouped_by_scan()
    {
        var b = SyntheticSky.Generate(SmallTile);
        int sameAsPrevious = 0;
        for (int i = 1; i < b.Count; i++) if (b.ScanKey[i] == b.ScanKey[i - 1]) sameAsPrevious++;
        // 48 scans: a random order repeats the previous scan ~1/48 of the time.
        Assert.True(sameAsPrevious < 0.05 * b.Count, $"{sameAsPrevious} of {b.Count}");
    }

    [Fact]
    public void Movers_variables_pairs_and_artifacts_are_injected()
    {
        var o = new GeneratorOptions(SkyKind.Survey, 20000, 2);
        var (b, t) = SyntheticSky.GenerateWithTruth(o);
        var movers = new HashSet<long>(); var variables = new HashSet<long>(); var sources = new HashSet<long>();
        int artifacts = 0, blended = 0;
        for (int i = 0; i < b.Count; i++)
        {
            if (b.CcFlg(i)) artifacts++;
            if (b.Truth[i] < 0) continue;
            sources.Add(b.Truth[i]);
            double mu = Math.Sqrt(t.PmRa[i] * t.PmRa[i] + t.PmDec[i] * t.PmDec[i]);
            if (mu > 0) { Assert.InRange(mu, 49.9, 500.1); movers.Add(b.Truth[i]); }
            if (t.VarAmp[i] > 0) { Assert.InRange(t.VarAmp[i], 0.05f, 0.5f); variables.Add(b.Truth[i]); }
            if (b.Bands[2].BlFlg[i] == '2') blended++;
        }
        Assert.InRange(movers.Count, 0.01 * sources.Count, 0.03 * sources.Count);
        Assert.InRange(variables.Count, 0.035 * sources.Count, 0.065 * sources.Count);
        Assert.InRange(artifacts, 0.01 * b.Count, 0.15 * b.Count);
        Assert.True(blended > 0.005 * b.Count, $"{blended} blended rows");
    }

    private static float MaxSnr(ExtractionBlock b, int i)
    {
        float m = 0;
        for (int band = 0; band < 3; band++)
            if (b.Bands[band].IsDetection(i)) m = Math.Max(m, b.Bands[band].Snr[i]);
        return m;
    }
}

internal static class BlockAssert
{
    public static bool CcFlg(this ExtractionBlock b, int i)
    {
        for (int band = 0; band < 3; band++) if (b.Bands[band].CcFlg[i] is not ((byte)'0' or 0)) return true;
        return false;
    }

    /// <summary>Every written column equal, doubles and floats bit for bit.</summary>
    public static bool SameRows(ExtractionBlock a, ExtractionBlock b, out string why)
    {
        why = "";
        if (a.Count != b.Count) { why = $"count {a.Count} vs {b.Count}"; return false; }
        for (int i = 0; i < a.Count; i++)
        {
            bool same = a.Cntr[i] == b.Cntr[i] && a.ScanKey[i] == b.ScanKey[i] && a.Truth[i] == b.Truth[i]
                && a.Ndet[i] == b.Ndet[i]
                && Bits(a.Ra[i]) == Bits(b.Ra[i]) && Bits(a.Dec[i]) == Bits(b.Dec[i]) && Bits(a.JDate[i]) == Bits(b.JDate[i])
                && Bits(a.ErrMaj[i]) == Bits(b.ErrMaj[i]) && Bits(a.ErrMin[i]) == Bits(b.ErrMin[i]) && Bits(a.ErrAng[i]) == Bits(b.ErrAng[i]);
            for (int band = 0; band < 3 && same; band++)
            {
                BandColumns x = a.Bands[band], y = b.Bands[band];
                same = Bits(x.Mag[i]) == Bits(y.Mag[i]) && Bits(x.Sig[i]) == Bits(y.Sig[i]) && Bits(x.Snr[i]) == Bits(y.Snr[i])
                    && x.PhQual[i] == y.PhQual[i] && x.RdFlg[i] == y.RdFlg[i] && x.BlFlg[i] == y.BlFlg[i] && x.CcFlg[i] == y.CcFlg[i];
            }
            if (!same) { why = $"row {i} (cntr {a.Cntr[i]} vs {b.Cntr[i]}) differs"; return false; }
        }
        return true;
    }

    public static long Bits(double v) => BitConverter.DoubleToInt64Bits(v);
    public static int Bits(float v) => BitConverter.SingleToInt32Bits(v);
}
