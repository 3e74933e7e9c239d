using Wdb.Core;

namespace Wdb.Merge.Link;

/// <summary>
/// Runs a link engine over a declination-sorted table in blocks of at most
/// <c>blockRows</c> rows, each extended by a margin: every following row whose dec is
/// within r of the block's last row. Any pair within r then lies together in at least one
/// window (the lower row's), so stitching the windows' components in one union-find gives
/// exactly the components of the whole table, whatever the block size. The engine (and a
/// GPU's memory) only ever sees one window.
/// </summary>
public static class BlockLinker
{
    /// <summary>
    /// How far in dec a pair within the radius can reach across a boundary: the radius,
    /// widened by a hair so that rounding never drops a boundary pair.
    /// </summary>
    public static double MarginDeg(double radiusArcsec) => radiusArcsec / 3600.0 * (1 + 1e-9) + 1e-12;

    /// <summary>Smallest block tried when a device runs out of memory; below it the failure stands.</summary>
    public const int MinBlockRows = 1 << 16;

    private const int RowsPerTask = 1 << 16;

    /// <summary>
    /// Labels (smallest row index of each component) for rows sorted by dec ascending. When
    /// the device runs out of memory, the whole link starts again with half the block size
    /// (the labels do not depend on it), down to <see cref="MinBlockRows"/>; each retry is
    /// logged. Other device failures propagate as <see cref="LinkDeviceException"/>.
    /// </summary>
    public static int[] Link(ILinkEngine engine, ReadOnlySpan<double> ra, ReadOnlySpan<double> dec, double radiusArcsec, int blockRows,
        Action<string>? log = null, int threads = 0)
    {
        if (blockRows <= 0) throw new ArgumentOutOfRangeException(nameof(blockRows));
        while (true)
        {
            try { return LinkInBlocks(engine, ra, dec, radiusArcsec, blockRows, threads, RowsPerTask); }
            catch (LinkDeviceException e) when (e.OutOfMemory && Math.Min(blockRows, ra.Length) > MinBlockRows)
            {
                blockRows = Math.Max(MinBlockRows, Math.Min(blockRows, ra.Length) / 2);
                log?.Invoke($"{e.Message}; linking again in blocks of {blockRows:N0} rows");
            }
        }
    }

    /// <summary>One try of <see cref="Link"/>, with the stitching's rows per parallel task given (tests make it small).</summary>
    internal static int[] LinkInBlocks(ILinkEngine engine, ReadOnlySpan<double> ra, ReadOnlySpan<double> dec, double radiusArcsec, int blockRows,
        int threads, int rowsPerTask)
    {
        int n = ra.Length;
        if (n <= blockRows) return engine.Link(ra, dec, radiusArcsec);
        for (int i = 1; i < n; i++)
            if (dec[i] < dec[i - 1]) throw new ArgumentException("rows must be sorted by dec for block linking");

        double marginDeg = MarginDeg(radiusArcsec);
        var parent = new int[n];
        Threads.ForRanges(n, rowsPerTask, threads, (from, to) => { for (int i = from; i < to; i++) parent[i] = i; });
        for (int start = 0; start < n; start += blockRows)
        {
            int end = Math.Min(n, start + blockRows);
            double limit = dec[end - 1] + marginDeg;
            int windowEnd = end;
            while (windowEnd < n && dec[windowEnd] <= limit) windowEnd++;
            var local = engine.Link(ra[start..windowEnd], dec[start..windowEnd], radiusArcsec);
            // The union-find is lock-free and its roots are the smallest row of each set, so the
            // windows' links may be stitched in any order.
            int first = start;
            Threads.ForRanges(local.Length, rowsPerTask, threads, (from, to) =>
            {
                for (int k = from; k < to; k++)
                    if (local[k] != k) UnionFind.Union(parent, first + local[k], first + k);
            });
        }
        var labels = new int[n];
        Threads.ForRanges(n, rowsPerTask, threads, (from, to) => { for (int i = from; i < to; i++) labels[i] = UnionFind.Find(parent, i); });
        return labels;
    }
}
