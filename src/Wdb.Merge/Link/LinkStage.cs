using Wdb.Core;

namespace Wdb.Merge.Link;

/// <summary>What the link stage gives back: labels and the engine that made them, or why there are none.</summary>
public sealed record LinkResult(int[]? Labels, string DeviceName, string? Error);

/// <summary>
/// The link stage of a merge: the engine over the blocks (<see cref="BlockLinker"/>), and what
/// happens when the device fails mid-run. With `--device auto` the rows are linked again by
/// the CPU engine, which gives the same labels, and the summary names both; a device asked
/// for by name fails the run with the device's own message instead, since the user chose it.
/// </summary>
public static class LinkStage
{
    public static LinkResult Run(ILinkEngine engine, bool fallBackToCpu, int threads,
        ReadOnlySpan<double> ra, ReadOnlySpan<double> dec, double radiusArcsec, int blockRows, Action<string>? log)
    {
        try
        {
            return new LinkResult(BlockLinker.Link(engine, ra, dec, radiusArcsec, blockRows, log, threads), engine.DeviceName, null);
        }
        catch (LinkDeviceException e) when (fallBackToCpu)
        {
            log?.Invoke($"{e.Message}; linking on the CPU instead");
            var cpu = new CpuLinkEngine(threads);
            return new LinkResult(BlockLinker.Link(cpu, ra, dec, radiusArcsec, blockRows, threads: threads), $"{cpu.DeviceName}, after {e.Message}", null);
        }
        catch (LinkDeviceException e)
        {
            return new LinkResult(null, engine.DeviceName, $"link stage failed on {e.Message}");
        }
    }
}
