using System.Text.Json;
using Wdb.Core;
using Wdb.IO;

namespace Wdb.Tests.Synthetic;

/// <summary>
/// `wdb gen --set N`: sets generated apart (other seeds, other fields) carry ids of their own, as the WDB's cntr and
/// scan ids are unique across the database, so they merge together; set 0 is the original data, byte for byte.
/// </summary>
public sealed class GeneratorSetsTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    [Theory]
    [InlineData(SkyKind.Survey)]
    [InlineData(SkyKind.CalTile)]
    public void A_set_moves_the_ids_and_nothing_else(SkyKind kind)
    {
        var o = new GeneratorOptions(kind, 300, 5, Scans: kind == SkyKind.CalTile ? 20 : null);
        var set0 = SyntheticSky.Generate(o);
        var set3 = SyntheticSky.Generate(o with { Set = 3 });
        Assert.Equal(set0.Count, set3.Count);
        for (int i = 0; i < set0.Count; i++)
        {
            Assert.Equal(set0.Cntr[i] + 3 * 10_000_000_000L, set3.Cntr[i]);
            Assert.Equal(set0.ScanKey[i] + 3 * 1_000_000L, set3.ScanKey[i]);
            Assert.Equal(set0.Truth[i] < 0 ? -1 : set0.Truth[i] + 3 * 10_000_000_000L, set3.Truth[i]);
            // Everything else, positions and photometry included, is the same row.
            set3.Cntr[i] = set0.Cntr[i]; set3.ScanKey[i] = set0.ScanKey[i]; set3.Truth[i] = set0.Truth[i];
            Assert.Equal(BlockText.Row(set0, i), BlockText.Row(set3, i));
        }
    }

    [Fact]
    public void Two_seeds_in_different_sets_merge_without_duplicates_and_the_same_set_does_not()
    {
        string a = _s.PathOf("a.csv"), b = _s.PathOf("b.csv"), c = _s.PathOf("c.csv");
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "400", "--seed", "1", "--out", a).Exit);
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "400", "--seed", "2", "--set", "1", "--out", b).Exit);
        Assert.Equal(0, WdbProcess.Run("gen", "survey", "--sources", "400", "--seed", "2", "--out", c).Exit);

        var apart = Summary(_s.PathOf("apart"), a, b);
        Assert.Equal(0, apart.GetProperty("rows_rejected").GetInt64());
        Assert.Equal(Rows(a) + Rows(b), apart.GetProperty("rows_merged").GetInt64());

        // Without --set the second seed reuses cntr 1, 2, ...: its rows are rejected as duplicates of the first's.
        var clash = Summary(_s.PathOf("clash"), a, c);
        Assert.True(clash.GetProperty("rejects_by_reason").GetProperty("duplicate_cntr").GetInt64() > 0);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("10000")]
    public void A_set_out_of_range_is_refused(string set)
    {
        var (exit, _, err) = WdbProcess.Run("gen", "survey", "--sources", "10", "--set", set, "--out", _s.PathOf("x.csv"));
        Assert.Equal(2, exit);
        Assert.Contains("--set must be in [0, 9,999]", err);
        Assert.False(File.Exists(_s.PathOf("x.csv")));
    }

    private static long Rows(string csv) => File.ReadLines(csv).LongCount() - 1;

    private static JsonElement Summary(string outDir, params string[] inputs)
    {
        var (exit, _, err) = WdbProcess.Run(["merge", .. inputs, "--out", outDir, "--quiet"]);
        Assert.True(exit == 0, err);
        return JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json"))).RootElement;
    }
}
