namespace Wdb.Core;

/// <summary>
/// How many threads a stage computes on: `wdb merge --threads N` is passed down to every
/// stage that runs in parallel (0, the default, means every core). Parallel loops take it as
/// their degree of parallelism; work split into slices takes it as the slice count.
/// </summary>
public static class Threads
{
    /// <summary>The thread count to use: <paramref name="threads"/> when positive, else the core count.</summary>
    public static int Resolve(int threads) => threads > 0 ? threads : Environment.ProcessorCount;

    /// <summary>Options for a parallel loop on at most <see cref="Resolve"/>(<paramref name="threads"/>) threads.</summary>
    public static ParallelOptions Options(int threads) => new() { MaxDegreeOfParallelism = Resolve(threads) };
}
