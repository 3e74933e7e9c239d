using Wdb.Core;
using Wdb.Merge.Link;

namespace Wdb.Tests.Link;

/// <summary>
/// A device that fails during the link: out of memory must shrink the blocks and give the
/// same labels, `auto` must fall back to the CPU engine, and a device asked for by name must
/// fail with its message.
/// </summary>
public class LinkStageTests
{
    /// <summary>A CPU engine that behaves like a device with room for <c>capacity</c> rows, or that always fails.</summary>
    private sealed class FlakyDevice(int capacity, bool outOfMemory) : ILinkEngine
    {
        private readonly CpuLinkEngine inner = new(1);
        public List<int> Calls { get; } = [];
        public string DeviceName => "flaky gpu";
        public void Dispose() { }

        public int[] Link(ReadOnlySpan<double> raDeg, ReadOnlySpan<double> decDeg, double radiusArcsec)
        {
            Calls.Add(raDeg.Length);
            if (raDeg.Length > capacity)
                throw new LinkDeviceException(outOfMemory ? "flaky gpu: out of memory" : "flaky gpu: launch failed", outOfMemory);
            return inner.Link(raDeg, decDeg, radiusArcsec);
        }
    }

    private static (double[] Ra, double[] Dec) SortedByDec(int count)
    {
        var (ra, dec) = Kernels.LinkTestData.Clustered(41, count, count / 20, 30.0, 10.0, 0.3, 1.5);
        int[] order = Enumerable.Range(0, count).OrderBy(i => dec[i]).ToArray();
        return (order.Select(i => ra[i]).ToArray(), order.Select(i => dec[i]).ToArray());
    }

    [Fact]
    public void Out_of_memory_halves_the_blocks_until_they_fit_and_gives_the_same_labels()
    {
        var (ra, dec) = SortedByDec(300_000);
        int[] expected = new CpuLinkEngine(2).Link(ra, dec, 2.0);
        var device = new FlakyDevice(capacity: 100_000, outOfMemory: true);
        var log = new List<string>();
        var result = LinkStage.Run(device, fallBackToCpu: false, 2, ra, dec, 2.0, 1 << 23, log.Add);
        Assert.Null(result.Error);
        Assert.Equal(expected, result.Labels);
        Assert.Equal("flaky gpu", result.DeviceName);
        // 300,000 rows: fails whole, then at 150,000-row blocks, then fits at 75,000 (plus margins).
        Assert.Equal(["flaky gpu: out of memory; linking again in blocks of 150,000 rows",
                      "flaky gpu: out of memory; linking again in blocks of 75,000 rows"], log);
        Assert.All(device.Calls.Skip(2), rows => Assert.InRange(rows, 75_000, 100_000));
    }

    [Fact]
    public void Out_of_memory_below_the_smallest_block_is_a_failure()
    {
        var (ra, dec) = SortedByDec(3_000);
        var device = new FlakyDevice(capacity: 10, outOfMemory: true);
        var result = LinkStage.Run(device, fallBackToCpu: false, 2, ra, dec, 2.0, 1 << 23, null);
        Assert.Null(result.Labels);
        Assert.Equal("link stage failed on flaky gpu: out of memory", result.Error);
        Assert.Equal([3_000], device.Calls); // 3,000 rows is already below the smallest block: no retry
    }

    [Fact]
    public void Auto_links_on_the_cpu_when_the_device_fails()
    {
        var (ra, dec) = SortedByDec(20_000);
        var log = new List<string>();
        var result = LinkStage.Run(new FlakyDevice(0, outOfMemory: false), fallBackToCpu: true, 2, ra, dec, 2.0, 1 << 23, log.Add);
        Assert.Equal(new CpuLinkEngine(2).Link(ra, dec, 2.0), result.Labels);
        Assert.Equal("cpu (2 threads), after flaky gpu: launch failed", result.DeviceName);
        Assert.Equal(["flaky gpu: launch failed; linking on the CPU instead"], log);
    }

    [Fact]
    public void A_device_asked_for_by_name_fails_with_its_message()
    {
        var (ra, dec) = SortedByDec(2_000);
        var result = LinkStage.Run(new FlakyDevice(0, outOfMemory: false), fallBackToCpu: false, 2, ra, dec, 2.0, 1 << 23, null);
        Assert.Null(result.Labels);
        Assert.Equal("link stage failed on flaky gpu: launch failed", result.Error);
    }
}
