using Wdb.Core;
using Wdb.IO;
using static Wdb.Tests.Robustness.RobustSupport;

namespace Wdb.Tests.Pipeline;

/// <summary>
/// `--threads N` reaches every stage: the reader's decoding workers follow it, the summary
/// records it, and the tables do not depend on it.
/// </summary>
public sealed class ThreadsOptionTests : IDisposable
{
    private readonly Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    [Theory]
    [InlineData(0, null)]   // default: one per core, up to 8
    [InlineData(1, 0)]      // the reading thread alone
    [InlineData(3, 3)]
    [InlineData(40, 8)]
    public void The_reader_decodes_on_as_many_workers_as_threads_allow(int threads, int? workers)
    {
        Assert.Equal(workers, ReaderTuning.For(new ReadOptions(Threads: threads)).Workers);
    }

    [Fact]
    public void Threads_resolve_to_the_core_count_unless_given()
    {
        Assert.Equal(Environment.ProcessorCount, Threads.Resolve(0));
        Assert.Equal(3, Threads.Resolve(3));
        Assert.Equal(3, Threads.Options(3).MaxDegreeOfParallelism);
    }

    [Fact]
    public void One_thread_gives_the_tables_of_every_core_and_is_recorded()
    {
        var block = SyntheticSky.Generate(new GeneratorOptions(SkyKind.CalTile, 80, 6, Scans: 30));
        string input = scratch.Write("tile.csv", Csv(block));
        Assert.Null(RunMerge([input], scratch.PathOf("one"), device: "cpu", threads: 1).Error);
        Assert.Null(RunMerge([input], scratch.PathOf("all"), device: "cpu", threads: 0).Error);
        Assert.Equal(CanonicalHashes(scratch.PathOf("all")), CanonicalHashes(scratch.PathOf("one")));
        Assert.Equal(1, Summary(scratch.PathOf("one")).GetProperty("parameters").GetProperty("threads").GetInt32());
        Assert.Equal(Environment.ProcessorCount, Summary(scratch.PathOf("all")).GetProperty("parameters").GetProperty("threads").GetInt32());
    }
}
