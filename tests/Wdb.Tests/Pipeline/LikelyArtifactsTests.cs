using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;
using Wdb.Merge.Streaming;
using static Wdb.Tests.Robustness.RobustSupport;

namespace Wdb.Tests.Pipeline;

/// <summary>
/// `--exclude-likely-artifacts` (SPEC §4, known high-probability artifacts): the two rules on hand-made rows at and
/// beside their thresholds, the columns the filters read, and the same bytes held whole, in zones and on a cluster.
/// </summary>
public sealed class LikelyArtifactsTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    /// <summary>One row: per band (J, H, Ks) an SNR (NaN: not detected), `rd_flg` and `ndet` as the table writes them.</summary>
    private static ExtractionBlock Row(float j, float h, float k, string rdFlg, string ndet)
    {
        var block = new ExtractionBlock(16);
        int i = block.AddRow();
        float[] snr = [j, h, k];
        for (int b = 0; b < 3; b++)
        {
            var band = block.Bands[b];
            bool detected = !float.IsNaN(snr[b]);
            band.Mag[i] = detected ? 14f : float.NaN;
            band.Snr[i] = snr[b];
            band.RdFlg[i] = (byte)rdFlg[b];
            band.PhQual[i] = detected ? (byte)'A' : (byte)'U';
        }
        block.Ndet[i] = ndet.Length == 0 ? -1 : int.Parse(ndet);
        return block;
    }

    [Theory]
    // One-frame transients: bright, and every bright band on under 40 % of its frames.
    [InlineData(50f, 45f, 40f, "222", "161616", LikelyArtifact.FewFrames)]
    [InlineData(50f, float.NaN, float.NaN, "200", "260606", LikelyArtifact.FewFrames)]   // 2/6 = 0.33
    [InlineData(50f, float.NaN, float.NaN, "200", "250505", LikelyArtifact.None)]        // 2/5 = 0.4: seen enough
    [InlineData(50f, 30f, float.NaN, "220", "661606", LikelyArtifact.None)]              // J on every frame
    [InlineData(50f, 30f, float.NaN, "120", "061606", LikelyArtifact.None)]              // J from Read 1: saturated, exempt
    [InlineData(20f, 20f, 20f, "222", "161616", LikelyArtifact.None)]                    // SNR 20 is not above 20
    [InlineData(50f, 45f, 40f, "222", "", LikelyArtifact.None)]                          // no ndet, no verdict
    [InlineData(50f, 45f, 40f, "222", "101010", LikelyArtifact.None)]                    // n = 0: no frame measured it
    // Hot pixels: one band, SNR >= 10, on none of >= 3 frames.
    [InlineData(float.NaN, 10.5f, float.NaN, "010", "000500", LikelyArtifact.HotPixel)]  // IPAC's V3 H-only case
    [InlineData(float.NaN, 10.5f, float.NaN, "020", "000500", LikelyArtifact.HotPixel)]
    [InlineData(float.NaN, 9.9f, float.NaN, "020", "000500", LikelyArtifact.None)]
    [InlineData(float.NaN, 12f, float.NaN, "020", "000200", LikelyArtifact.None)]        // two frames: too few to say
    [InlineData(float.NaN, 12f, float.NaN, "020", "001500", LikelyArtifact.None)]        // seen on one frame
    [InlineData(12f, 12f, float.NaN, "220", "050500", LikelyArtifact.None)]              // two bands
    [InlineData(float.NaN, 25f, float.NaN, "020", "000600", LikelyArtifact.FewFrames)]   // bright: the first rule's
    public void Each_rule_holds_at_its_threshold_and_not_beside_it(float j, float h, float k, string rdFlg, string ndet, LikelyArtifact expected)
    {
        Assert.Equal(expected, LikelyArtifacts.Of(Row(j, h, k, rdFlg, ndet), 0));
    }

    [Fact]
    public void Ndet_pairs_are_read_band_by_band()
    {
        Assert.Equal((1, 6), Bands.FramesOf(160506, 0));
        Assert.Equal((0, 5), Bands.FramesOf(160506, 1));
        Assert.Equal((0, 6), Bands.FramesOf(160506, 2));
    }

    /// <summary>Every 50th row made a one-frame transient and every 70th a hot pixel (the generator makes neither).</summary>
    private static int InjectArtifacts(ExtractionBlock rows)
    {
        int made = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            if (i % 50 == 0)
            {
                rows.Ndet[i] = 161616;
                foreach (var band in rows.Bands) { band.Mag[i] = 12f; band.Snr[i] = 40f; band.RdFlg[i] = (byte)'2'; band.PhQual[i] = (byte)'A'; }
            }
            else if (i % 70 == 0)
            {
                rows.Ndet[i] = 60606;   // "060606": seen by six frames in each band, detected on none
                for (int b = 0; b < 3; b++)
                {
                    var band = rows.Bands[b];
                    (band.Mag[i], band.Snr[i], band.RdFlg[i], band.PhQual[i]) = b == 1 ? (15f, 11f, (byte)'2', (byte)'A') : (float.NaN, float.NaN, (byte)'0', (byte)'U');
                }
            }
            else continue;
            made++;
        }
        return made;
    }

    [Fact]
    public void Held_whole_in_zones_and_on_a_cluster_the_same_rows_go_and_the_same_bytes_are_written()
    {
        string[] inputs = ZoneMergeTests.MixedInputs(_s);
        // The artifacts written into the inputs themselves, so every path reads them.
        int injected = 0;
        for (int f = 0; f < inputs.Length; f++)
        {
            var rows = new ExtractionBlock(1 << 12);
            var read = ExtractionReader.Read(inputs[f], f, new ReadOptions(), rows);
            Assert.Null(read.Error);
            injected += InjectArtifacts(rows);
            File.Delete(inputs[f]);
            TableTextWriter.Write(rows, inputs[f]);
        }
        var filters = new FilterOptions(ExcludeLikelyArtifacts: true);
        MergeOptions Options(string outDir, int? zoneRows) => new()
        {
            Inputs = inputs, OutDir = outDir, Device = "cpu", Threads = 2, Filters = filters, ZoneRows = zoneRows,
        };
        string reference = _s.PathOf("whole");
        Assert.Null(MergeJob.Run(Options(reference, 0)).Error);
        var whole = Summary(reference);
        Assert.True(whole.GetProperty("parameters").GetProperty("exclude_likely_artifacts").GetBoolean());
        long filtered = whole.GetProperty("rejects_by_reason").GetProperty("filtered_likely_artifact").GetInt64();
        // Every injected row and no other (the generator makes neither kind; up to 3 injected rows are duplicates,
        // which go as such).
        Assert.True(filtered >= injected - 3 && filtered <= injected, $"{filtered} filtered of {injected} injected");
        Assert.Null(MergeJob.Run(Options(_s.PathOf("unfiltered"), 0) with { Filters = new FilterOptions() }).Error);
        Assert.Equal(whole.GetProperty("rows_merged").GetInt64() + filtered, Summary(_s.PathOf("unfiltered")).GetProperty("rows_merged").GetInt64());

        ZoneMergeTests.AssertZonesAndClusterMatch(_s, Options(reference, 0), reference, [37]);
    }
}
