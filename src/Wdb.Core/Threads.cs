using System.Runtime.ExceptionServices;

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

    /// <summary>
    /// <paramref name="body"/>(from, to) over [0, <paramref name="count"/>) cut into ranges of
    /// <paramref name="chunk"/> items, on at most <see cref="Resolve"/>(<paramref name="threads"/>) threads; on
    /// the calling thread alone when there is one range. For loops whose items are independent, or
    /// whose shared writes are order-free (an atomic minimum, a lock-free union).
    /// </summary>
    public static void ForRanges(int count, int chunk, int threads, Action<int, int> body)
    {
        if (chunk <= 0) throw new ArgumentOutOfRangeException(nameof(chunk));
        int ranges = (int)(((long)count + chunk - 1) / chunk);
        if (ranges <= 1 || Resolve(threads) == 1)
        {
            if (count > 0) body(0, count);
            return;
        }
        Parallel.For(0, ranges, Options(threads), r => body(r * chunk, (int)Math.Min(count, (long)(r + 1) * chunk)));
    }

    /// <summary>
    /// <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/> whose failure comes out as one of
    /// its exceptions itself, an IOException first, not wrapped in an AggregateException: the callers turn
    /// an I/O error (a full disk, which fails every iteration alike) into one error line.
    /// </summary>
    public static void For(int fromInclusive, int toExclusive, ParallelOptions options, Action<int> body)
    {
        try
        {
            Parallel.For(fromInclusive, toExclusive, options, body);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions.FirstOrDefault(x => x is IOException) ?? e.InnerExceptions[0]).Throw();
        }
    }
}
