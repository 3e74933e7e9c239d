using System.IO.Compression;
using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Tests.Pipeline;

/// <summary>Row estimates (progress ETA, the zone merge's choice) for plain and gzipped inputs, against the true count.</summary>
public sealed class RowEstimateTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    private string Gzip(string plain, CompressionLevel level)
    {
        string gz = plain + $".{level}.gz";
        using var from = File.OpenRead(plain);
        using var to = new GZipStream(File.Create(gz), level);
        from.CopyTo(to);
        return gz;
    }

    [Fact]
    public void A_gzipped_table_is_estimated_from_its_head_like_the_plain_one()
    {
        // ~12 MB of text: the estimate samples its first MiB; well inside 10 % of the true count.
        var block = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 50_000, 31));
        string plain = _s.PathOf("survey.csv");
        TableTextWriter.Write(block, plain);
        long rows = File.ReadLines(plain).LongCount() - 1;   // one header line
        Assert.True(new FileInfo(plain).Length > 8 << 20);
        Assert.InRange(RowEstimate.Of(plain), rows * 0.9, rows * 1.1);
        // A gzipped one may err high, not low by more than the 2 % the in-memory merge reserves beyond it.
        foreach (var level in new[] { CompressionLevel.Fastest, CompressionLevel.SmallestSize })
            Assert.InRange(RowEstimate.Of(Gzip(plain, level)), rows * 0.98, rows * 1.1);

        // Shorter than the sample: counted (the header line too); not gzip data: unknown.
        string small = _s.Write("small.csv", "cntr,ra,dec\n1,2,3\n4,5,6\n");
        Assert.Equal(3, RowEstimate.Of(Gzip(small, CompressionLevel.Optimal)));
        Assert.Equal(0, RowEstimate.Of(_s.Write("fake.csv.gz", "not gzip at all\n")));
        Assert.Equal(0, RowEstimate.Of(_s.PathOf("missing.csv.gz")));
    }
}
