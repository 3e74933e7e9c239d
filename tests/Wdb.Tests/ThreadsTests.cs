using Wdb.Core;

namespace Wdb.Tests;

public class ThreadsTests
{
    [Theory]
    [InlineData(0, 4, 3)]
    [InlineData(1, 4, 3)]
    [InlineData(3, 4, 3)]
    [InlineData(4, 4, 3)]
    [InlineData(5, 4, 3)]
    [InlineData(1000, 7, 1)]
    [InlineData(1000, 7, 4)]
    [InlineData(1000, 1, 16)]
    public void ForRanges_covers_every_item_once(int count, int chunk, int threads)
    {
        var hits = new int[count];
        var ranges = new System.Collections.Concurrent.ConcurrentBag<(int From, int To)>();
        Threads.ForRanges(count, chunk, threads, (from, to) =>
        {
            ranges.Add((from, to));
            for (int i = from; i < to; i++) Interlocked.Increment(ref hits[i]);
        });
        Assert.All(hits, h => Assert.Equal(1, h));
        // Ranges of the chunk size, the last one short; one thread or one chunk: a single call.
        int expected = threads == 1 ? (count > 0 ? 1 : 0) : (count + chunk - 1) / chunk;
        Assert.Equal(expected, ranges.Count);
        if (threads > 1) Assert.All(ranges, r => Assert.True(r.To - r.From == chunk || r.To == count, $"{r}"));
    }

    [Fact]
    public void ForRanges_refuses_an_empty_chunk() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Threads.ForRanges(10, 0, 2, (_, _) => { }));
}
