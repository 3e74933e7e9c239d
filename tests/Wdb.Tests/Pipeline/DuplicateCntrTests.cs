using Wdb.Core;
using Wdb.Merge;

namespace Wdb.Tests.Pipeline;

public class DuplicateCntrTests
{
    /// <summary>Brute force: a row is a duplicate when an earlier row by (file, line) has its cntr.</summary>
    private static List<int> Expected(ExtractionBlock b)
    {
        var dups = new List<int>();
        for (int i = 0; i < b.Count; i++)
            for (int j = 0; j < b.Count; j++)
                if (j != i && b.Cntr[j] == b.Cntr[i] && (b.FileIndex[j], b.Line[j]).CompareTo((b.FileIndex[i], b.Line[i])) < 0)
                {
                    dups.Add(i);
                    break;
                }
        return dups;
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    [InlineData(4, true)]
    public void AgreesWithBruteForceInReadOrderAndShuffled(int seed, bool shuffled)
    {
        var rnd = new Random(seed);
        var rows = new List<(int File, long Line, long Cntr)>();
        for (int f = 0; f < 3; f++)
            for (int line = 2; line < 400; line++)
                rows.Add((f, line, rnd.Next(900)));   // ~1,200 rows over 900 values: many duplicates, some triples
        if (shuffled) rows = rows.OrderBy(_ => rnd.Next()).ToList();
        var b = new ExtractionBlock();
        foreach (var (file, line, cntr) in rows)
        {
            int i = b.AddRow();
            b.FileIndex[i] = file; b.Line[i] = line; b.Cntr[i] = cntr;
        }
        var expected = Expected(b);
        Assert.True(expected.Count > 200, $"{expected.Count} duplicates");
        Assert.Equal(expected, DuplicateCntr.Find(b));
    }
}
