namespace Wdb.Core;

/// <summary>
/// Finds friends-of-friends components: rows i and j are linked when their angular
/// separation is &lt;= the radius (inclusive, exact on the sphere via
/// <see cref="Sky.ChordSquared"/> and <see cref="Sky.Within"/>). Implementations differ in
/// device and algorithm, never in result.
/// </summary>
public interface ILinkEngine : IDisposable
{
    /// <summary>Human-readable device, e.g. "cpu (2 threads)" or "cuda: NVIDIA H100".</summary>
    string DeviceName { get; }

    /// <summary>
    /// Component label of every row: the smallest row index in its component (so labels
    /// do not depend on the engine). Rows are expected sorted by declination, which engines
    /// may exploit but must not rely on for correctness.
    /// </summary>
    int[] Link(ReadOnlySpan<double> raDeg, ReadOnlySpan<double> decDeg, double radiusArcsec);
}

/// <summary>
/// A device failed while linking: out of its memory, or a driver or launch error. Not a bug
/// and not bad data, so the run can go on: the link stage catches it where it calls the
/// engine and turns it into smaller blocks, the CPU engine (`--device auto`) or a clear
/// error (see <c>LinkStage</c>). Engines throw it instead of their runtime's own exceptions,
/// so callers need not know ILGPU.
/// </summary>
public sealed class LinkDeviceException(string message, bool outOfMemory, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The device ran out of memory: the same rows in smaller blocks may fit.</summary>
    public bool OutOfMemory { get; } = outOfMemory;
}
