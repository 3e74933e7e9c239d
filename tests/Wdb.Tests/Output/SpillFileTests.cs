using Wdb.IO;

namespace Wdb.Tests.Output;

/// <summary>A spill file gives back what was appended, at any offset, whether written directly or not.</summary>
public sealed class SpillFileTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Reads_at_unaligned_offsets_return_the_appended_bytes(bool tryDirect)
    {
        var rng = new Random(tryDirect ? 1 : 2);
        var expected = new byte[3 * (4 << 20) + 12345];   // more than DirectFile's buffer, twice, and a ragged end
        rng.NextBytes(expected);
        using var file = new SpillFile(_s.PathOf($"spill-{tryDirect}.run"), tryDirect);
        if (!tryDirect) Assert.False(file.Direct);
        for (int at = 0; at < expected.Length;)
        {
            int n = Math.Min(expected.Length - at, rng.Next(1, 3 << 20));
            file.Append(expected.AsSpan(at, n));
            at += n;
        }
        Assert.Equal(expected.Length, file.Length);
        var buffer = SpillFile.DirectBuffer(1 << 20);
        foreach (var (offset, count) in new[] { (0L, 1), (1L, 4095), (4095L, 4097), (12288L, 1 << 20), ((long)expected.Length - 1, 1),
                     ((long)expected.Length - 5000, 5000), (4L << 20, 1 << 20), (rng.Next(1 << 20), 77) })
        {
            int start = file.ReadDirect(buffer, count, offset);
            Assert.True(expected.AsSpan((int)offset, count).SequenceEqual(buffer.AsSpan(start, count)), $"{offset} +{count}");
        }
        var plain = new byte[1000];
        file.Read(plain, 9999);
        Assert.True(expected.AsSpan(9999, 1000).SequenceEqual(plain));
        Assert.Throws<InvalidOperationException>(() => file.Append(new byte[1]));
        Assert.Throws<IOException>(() => file.ReadDirect(buffer, 10, expected.Length - 5));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Ended_durably_the_file_holds_its_bytes_for_this_process_and_any_other(bool tryDirect)
    {
        var expected = new byte[70_000];
        new Random(3).NextBytes(expected);
        string path = _s.PathOf($"durable-{tryDirect}.run");
        using (var file = new SpillFile(path, tryDirect))
        {
            file.Append(expected);
            file.EndWritesDurably();
            var back = new byte[expected.Length];
            file.Read(back, 0);
            Assert.Equal(expected, back);
        }
        Assert.Equal(expected, File.ReadAllBytes(path));
    }
}
