using Wdb.IO;
using static Wdb.Tests.Robustness.RobustSupport;

namespace Wdb.Tests.Robustness;

/// <summary>
/// The outputs do not depend on input order, on how rows are spread over files, on the
/// link block size, on the thread count or on the device: groups.fb and members.fb are
/// byte-identical and extractions.fb is identical once the provenance (file, line) is set aside.
/// </summary>
public sealed class DeterminismTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    [Fact]
    public void Same_tables_for_permuted_inputs_split_files_block_sizes_threads_and_devices()
    {
        // A calibration tile (many scans, confused groups) and a survey patch across RA 0/360.
        var tile = SyntheticSky.Generate(new GeneratorOptions(SkyKind.CalTile, 60, 5, Scans: 24));
        var patch = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 600, 9, CenterRaDeg: 0.0, CenterDecDeg: -30.0));
        foreach (var block in new[] { tile, patch })
        {
            string tag = block == tile ? "tile" : "patch";
            int n = block.Count;
            var rng = new Random(17);
            var perm = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
            var reversed = Enumerable.Range(0, n).Reverse().ToArray();
            string a = _s.Write($"{tag}-a.csv", Csv(block));
            string b = _s.Write($"{tag}-b.csv", Csv(block, perm));
            // The same rows over three files, interleaved.
            string c1 = _s.Write($"{tag}-c1.csv", Csv(block, reversed.Where(i => i % 3 == 0)));
            string c2 = _s.Write($"{tag}-c2.csv", Csv(block, perm.Where(i => i % 3 == 1)));
            string c3 = _s.Write($"{tag}-c3.csv", Csv(block, Enumerable.Range(0, n).Where(i => i % 3 == 2)));

            var runs = new (string[] Inputs, string Device, int Threads, int BlockRows)[]
            {
                ([a], "cpu", 1, 1 << 23),
                ([b], "cpu", 2, 1 << 23),
                ([c3, c1, c2], "cpu", 1, 1 << 23),
                ([b], "cpu", 2, 37),
                ([a], "cpu", 1, 500),
                ([c2, c3, c1], "ilgpu-cpu", 2, 1 << 23),
                ([b], "ilgpu-cpu", 1, 211),
                // The CPU engine here; CUDA on a GPU machine (bench/gpu.sh runs this suite there).
                ([c1, c2, c3], "auto", 2, 1 << 23),
                ([a], "auto", 2, 97),
            };
            (string, string, string)? first = null;
            for (int r = 0; r < runs.Length; r++)
            {
                var (inputs, device, threads, blockRows) = runs[r];
                string outDir = _s.PathOf($"{tag}-out{r}");
                var outcome = RunMerge(inputs, outDir, device: device, threads: threads, blockRows: blockRows);
                Assert.Null(outcome.Error);
                var summary = Summary(outDir);
                AssertAccounting(summary);
                Assert.Equal(n, summary.GetProperty("rows_merged").GetInt64());
                var hashes = CanonicalHashes(outDir);
                first ??= hashes;
                Assert.True(first.Value.Item1 == hashes.Groups, $"{tag} run {r}: groups.fb differs");
                Assert.True(first.Value.Item2 == hashes.Members, $"{tag} run {r}: members.fb differs");
                Assert.True(first.Value.Item3 == hashes.Extractions, $"{tag} run {r}: extractions differ");
            }
            if (block == tile)
            {
                // The tile must exercise confusion, or the comparison above proves little about it.
                Assert.True(Summary(_s.PathOf("tile-out0")).GetProperty("confused_candidate_groups").GetInt64() > 0);
            }
        }
    }
}

public sealed class EdgeValueTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    [Theory]
    [InlineData("cpu")]
    [InlineData("ilgpu-cpu")]
    [InlineData("auto")] // CUDA where present
    public void Extreme_valid_coordinates_link_across_the_seam_and_at_the_poles(string device)
    {
        double ra360 = Math.BitDecrement(360.0);
        string input = _s.Write($"edge-{device}.csv", string.Create(Inv,
            $"cntr,scan_key,ra,dec\n1,1,{ra360:R},0\n2,2,0,0\n3,3,-0,0.0001\n4,4,{ra360:R},90\n5,5,123.4,{Math.BitDecrement(90.0):R}\n" +
            $"6,6,0,-90\n7,7,{ra360:R},-89.9999999\n8,8,180,-0.0\n"));
        string outDir = _s.PathOf($"out-{device}");
        var outcome = RunMerge([input], outDir, device: device);
        Assert.Null(outcome.Error);
        using var reader = Wdb.IO.OutputReader.Open(outDir);
        var cgid = reader.Extractions().ToDictionary(e => e.Cntr, e => e.Cgid);
        // 1, 2, 3 within 0.36" across RA 0/360; 4 and 5 at the north pole (1e-14" apart);
        // 6 and 7 at the south pole (0.00036"); 8 alone.
        Assert.Equal([1L, 1, 1, 4, 4, 6, 6, 8], Enumerable.Range(1, 8).Select(c => cgid[c]).ToArray());
        var m3 = reader.MembersOf(1).Single(m => m.Cntr == 3);
        Assert.True(double.IsNegative(m3.Ra) && m3.Ra == 0);     // -0 is kept as written
    }
}

public sealed class TiedDeclinationTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    [Fact]
    public void Rows_with_equal_dec_give_identical_tables_in_any_input_order()
    {
        // 200 sources x 7 scans on the equator (every dec equal, below the 2,048 rows where
        // the radix sort switches from Array.Sort), positions jittered in ra by up to 0.5":
        // group means are sums in zone-sort order, so that order must not depend on the input's.
        var b = new Wdb.Core.ExtractionBlock(1400);
        var rnd = new Random(5);
        for (int s = 0; s < 200; s++)
            for (int k = 0; k < 7; k++)
            {
                int r = b.AddRow();
                b.Cntr[r] = 1 + s * 7 + k;
                b.ScanKey[r] = k;
                b.Ra[r] = 10 + s * 0.01 + (rnd.NextDouble() - 0.5) / 3600;
                b.Dec[r] = 0.0;
                b[Wdb.Core.Band.J].Mag[r] = (float)(12 + rnd.NextDouble());
                b[Wdb.Core.Band.J].Sig[r] = 0.05f;
                b.JDate[r] = 2451000.5 + k + rnd.NextDouble();
            }
        (string, string, string)? first = null;
        for (int run = 0; run < 4; run++)
        {
            var order = Enumerable.Range(0, b.Count).OrderBy(_ => rnd.Next()).ToArray();
            string input = _s.Write($"tied{run}.csv", Csv(b, order));
            string outDir = _s.PathOf($"out{run}");
            Assert.Null(RunMerge([input], outDir).Error);
            var h = CanonicalHashes(outDir);
            first ??= h;
            Assert.Equal(first, h);
        }
    }
}
