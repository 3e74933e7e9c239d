using Wdb.Core;
using Wdb.Merge;
using Wdb.Merge.Link;

namespace Wdb.Tests.Link;

/// <summary>
/// `wdb check-device` without a GPU: the four cases run with the CPU engine standing in for
/// the device, and a device that gets one row wrong, or a different row each run, is caught.
/// </summary>
public class DeviceCheckTests
{
    /// <summary>The CPU engine with the label of one row changed, the same row each run or a new one each run.</summary>
    private sealed class OffByOne(bool sameRowEachRun) : ILinkEngine
    {
        private readonly CpuLinkEngine inner = new(2);
        private int runs;
        public string DeviceName => "off by one";
        public void Dispose() { }

        public int[] Link(ReadOnlySpan<double> raDeg, ReadOnlySpan<double> decDeg, double radiusArcsec)
        {
            int[] labels = inner.Link(raDeg, decDeg, radiusArcsec);
            if (labels.Length < 1000) return labels; // the warm-up slice stays right
            int row = labels.Length - 1 - (sameRowEachRun ? 0 : runs++);
            labels[row] = row == labels[row] ? 0 : row;
            return labels;
        }
    }

    [Fact]
    public void The_cpu_engine_as_device_is_identical_on_every_case()
    {
        var results = DeviceCheck.Run(new CpuLinkEngine(2), 2, 1).ToList();
        Assert.Equal(["survey, RA 0/360", "north polar cap", "calibration tile (dense)", "survey, extended radius 5\""],
            results.Select(r => r.Case));
        Assert.All(results, r =>
        {
            Assert.True(r.Identical, r.Case);
            Assert.Empty(r.Diagnosis);
            Assert.Empty(r.DeviceStages); // stages are traced for ILGPU engines only
            Assert.InRange(r.Rows, 5_000, 100_000);
        });
    }

    [Theory]
    [InlineData(true, "the device's three runs gave the same labels")]
    [InlineData(false, "the device's three runs gave different labels")]
    public void A_wrong_device_is_caught_and_its_repeatability_reported(bool sameRowEachRun, string repeatability)
    {
        var results = DeviceCheck.Run(new OffByOne(sameRowEachRun), 2, 1).ToList();
        Assert.All(results, r =>
        {
            Assert.False(r.Identical, r.Case);
            Assert.Equal([repeatability], r.Diagnosis);
        });
    }
}
