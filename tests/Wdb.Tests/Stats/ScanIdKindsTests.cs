using Wdb.Core;
using Wdb.Merge;

namespace Wdb.Tests.Stats;

public sealed class ScanIdKindsTests
{
    /// <summary>Inputs of one kind need no check at all: nothing is made, no row is looked at.</summary>
    [Fact]
    public void Inputs_of_one_kind_are_not_checked()
    {
        Assert.Null(ScanIdKinds.IfMixed([false, false, false]));
        Assert.Null(ScanIdKinds.IfMixed([true, true]));
        Assert.NotNull(ScanIdKinds.IfMixed([true, false]));
    }

    /// <summary>
    /// Every id of both kinds is found, and no other, each with its smallest (file, line) of each kind, whatever order
    /// the rows come in (held whole they are in file order, in zones in declination order) and however they are split
    /// into blocks; a skipped row (a duplicate cntr) counts for nothing.
    /// </summary>
    [Fact]
    public void Ids_of_both_kinds_are_found_with_their_first_rows_in_any_row_order()
    {
        long shared = ScanKeys.FromSurvey((byte)'s', 990612, 45), surveyOnly = ScanKeys.FromSurvey((byte)'n', 990612, 45);
        // File 0 survey ids, files 1 and 2 scan_key values: (file, line, id).
        var rows = new List<(int File, long Line, long Id)>
        {
            (0, 2, shared), (0, 3, shared), (0, 4, surveyOnly), (0, 5, shared), (0, 6, 7),
            (1, 2, 8), (1, 3, 8), (1, 4, shared), (1, 5, shared), (2, 2, shared), (2, 3, 7), (2, 4, surveyOnly + 1),
        };
        var skipped = new HashSet<(int, long)> { (2, 3) };   // the only scan_key row with id 7
        var random = new Random(5);
        for (int trial = 0; trial < 20; trial++)
        {
            var kinds = ScanIdKinds.IfMixed([true, false, false])!;
            var order = rows.OrderBy(_ => random.Next()).ToList();
            int cut = random.Next(order.Count + 1);
            foreach (var part in new[] { order.Take(cut), order.Skip(cut) })
            {
                var block = new ExtractionBlock(16);
                foreach (var (file, line, id) in part)
                {
                    int i = block.AddRow();
                    block.FileIndex[i] = file; block.Line[i] = line; block.ScanKey[i] = id;
                }
                kinds.Add(block, skipped);
            }
            Assert.Equal([(shared, (0, 2L), (1, 4L))], kinds.Shared().Select(s => (s.Id, s.Survey, s.ScanKey)));
        }
    }

    [Fact]
    public void A_survey_id_decodes_to_its_hemis_date_and_scan()
    {
        Assert.Equal(('s', 990612, 45), ScanKeys.ToSurvey(ScanKeys.FromSurvey((byte)'s', 990612, 45)));
        Assert.Equal(('n', 10203, 999_999), ScanKeys.ToSurvey(ScanKeys.FromSurvey((byte)'n', 10203, 999_999)));
    }
}
