using Wdb.Core;
using Wdb.IO.Synthetic;

namespace Wdb.IO;

/// <summary>
/// Synthetic 2MASS-like working databases with known truth, for tests and benchmarks.
/// A run is planned once (sources, scans, and the shuffled list of (source, scan) entries,
/// each with its `cntr`); every row is then drawn from its own random stream seeded by
/// (seed, cntr), so the rows do not depend on chunking, and the same seed gives the same
/// bytes. See <see cref="SkyPlan"/> for the model and its numbers.
/// </summary>
public static class SyntheticSky
{
    /// <summary>Survey source density, per deg^2: 0.65 M extractions cover ~30 deg^2 (2MASS at mid latitudes).</summary>
    public const double SurveyDensityPerDeg2 = SkyPlan.SurveyDensity;
    public const int DefaultCalTileScans = SkyPlan.DefaultCalScans;

    /// <summary>All rows of the sky in one block, in random (shuffled) order, `truth` set.</summary>
    public static ExtractionBlock Generate(GeneratorOptions o) => GenerateWithTruth(o).Block;

    /// <summary>All rows and, per row, the injected truth (proper motion, variability, true position).</summary>
    public static (ExtractionBlock Block, SyntheticTruth Truth) GenerateWithTruth(GeneratorOptions o)
    {
        var plan = SkyPlan.Build(o);
        return plan.Rows(0, plan.EntryCount);
    }

    /// <summary>
    /// The same rows as <see cref="GenerateWithTruth"/>, in the same order, in blocks of at most
    /// <paramref name="chunkRows"/> rows, so a large sky is generated and written in bounded memory.
    /// </summary>
    public static IEnumerable<(ExtractionBlock Block, SyntheticTruth Truth)> GenerateChunks(GeneratorOptions o, int chunkRows = 1 << 20)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkRows, 1);
        var plan = SkyPlan.Build(o);
        for (int start = 0; start < plan.EntryCount; start += chunkRows)
            yield return plan.Rows(start, Math.Min(plan.EntryCount, start + chunkRows));
    }

    /// <summary>
    /// Generates the sky straight into a text table (format by extension, see
    /// <see cref="TableTextWriter"/>), chunk by chunk, the next chunk generated on another
    /// thread while the current one is written; truth columns go into CSV/IPAC when
    /// <paramref name="truthColumns"/>. Memory: the plan (~12 bytes per row, ~50 per source) and
    /// two chunks, whatever the size: use this, not Generate + Write, for millions of rows.
    /// Returns the number of rows written.
    /// </summary>
    /// <exception cref="IOException">The table could not be written.</exception>
    public static long GenerateToFile(GeneratorOptions o, string path, bool truthColumns = true, int chunkRows = 1 << 19) =>
        GenerateToFile(o, path, out long rows, truthColumns, chunkRows) is { } error ? throw new IOException(error.Message) : rows;

    /// <summary>
    /// <see cref="GenerateToFile(GeneratorOptions, string, bool, int)"/>, its error returned (null when written), the
    /// number of rows in <paramref name="rows"/>.
    /// </summary>
    public static OutputError? GenerateToFile(GeneratorOptions o, string path, out long rows, bool truthColumns = true,
        int chunkRows = 1 << 19)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkRows, 1);
        var plan = SkyPlan.Build(o);
        long written = 0;
        var error = TableTextWriter.WriteFile(Prefetched(), path);
        rows = written;
        return error;

        // Two buffer sets alternate: one being written while the next chunk is generated into
        // the other, so memory stays at the plan plus two chunks and no garbage piles up.
        IEnumerable<(ExtractionBlock, SyntheticTruth?)> Prefetched()
        {
            int n = plan.EntryCount;
            if (n == 0) yield break;
            int size = Math.Min(n, chunkRows);
            var blocks = new[] { new ExtractionBlock(size), new ExtractionBlock(size) };
            var truths = new[] { new SyntheticTruth(Math.Max(size, 16)), new SyntheticTruth(Math.Max(size, 16)) };
            Task<(ExtractionBlock Block, SyntheticTruth Truth)>? next =
                Task.Run(() => plan.Rows(0, size, blocks[0], truths[0]));
            for (int start = 0, slot = 0; next != null; start += chunkRows, slot ^= 1)
            {
                var (block, truth) = next.Result;
                int s2 = start + chunkRows, other = slot ^ 1;
                next = s2 < n ? Task.Run(() => plan.Rows(s2, Math.Min(n, s2 + chunkRows), blocks[other], truths[other])) : null;
                written += block.Count;
                yield return (block, truthColumns ? truth : null);
            }
        }
    }
}
