using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Tests.Output;

/// <summary>Random group sizes and chunk sizes: every lookup agrees with a brute-force scan of the input.</summary>
public class RandomRoundTripTests
{
    private static MergeOutputs Random(int seed)
    {
        var rnd = new Random(seed);
        int nGroups = rnd.Next(1, 40);
        var block = new ExtractionBlock();
        var gcntr = new List<long>();
        long next = rnd.Next(0, 5);
        for (int g = 0; g < nGroups; g++)
        {
            int size = rnd.Next(0, 10) == 0 ? rnd.Next(10, 30) : rnd.Next(1, 5);
            long first = next;
            for (int k = 0; k < size; k++)
            {
                int r = block.AddRow();
                block.Cntr[r] = next; next += rnd.Next(1, 4);
                gcntr.Add(first);
                block.Ra[r] = rnd.NextDouble() * 360; block.Dec[r] = rnd.NextDouble() * 180 - 90;
                block.JDate[r] = rnd.Next(5) == 0 ? double.NaN : 2451000 + rnd.NextDouble() * 1000;
                block.ScanKey[r] = rnd.Next(100);
                for (int b = 0; b < Bands.Count; b++)
                {
                    block.Bands[b].Mag[r] = rnd.Next(4) == 0 ? float.NaN : (float)(8 + rnd.NextDouble() * 8);
                    block.Bands[b].RdFlg[r] = (byte)"0123"[rnd.Next(4)];
                }
            }
        }
        // Shuffle rows: the writer must follow Membership, not row order.
        var order = Enumerable.Range(0, block.Count).OrderBy(_ => rnd.Next()).ToArray();
        block = block.Select(order);
        var g2 = order.Select(i => gcntr[i]).ToArray();
        var membership = MembershipBuilder.Build(block, g2);
        var results = ExtractionResults.Allocate(block.Count);
        for (int i = 0; i < block.Count; i++)
        {
            results.Gcntr[i] = results.Cgid[i] = g2[i];
            results.SepArcsec[i] = (float)rnd.NextDouble();
            results.Reliability[i] = (byte)rnd.Next(10);
        }
        var t = new GroupTable();
        t.Allocate(membership.GroupCount);
        for (int g = 0; g < t.Count; g++)
        {
            t.Gcntr[g] = t.Cgid[g] = membership.Gcntr[g];
            t.NMembers[g] = membership.Members(g).Length;
            t.RaW[g] = rnd.NextDouble() * 360;
            t.PmRa[g] = rnd.Next(2) == 0 ? float.NaN : (float)rnd.NextDouble();
        }
        return new MergeOutputs { Block = block, Results = results, Groups = t, Membership = membership, Summary = new RunSummary() };
    }

    [Fact]
    public void LookupsAgreeWithBruteForce()
    {
        for (int seed = 0; seed < 25; seed++)
        {
            var o = Random(seed);
            int chunk = new Random(seed).Next(1, 12);
            using var tmp = new TempDir();
            Assert.Null(OutputWriter.Write(tmp["out"], o, chunk));
            using var reader = OutputReader.Open(tmp["out"]);
            var groups = Synthetic.ExpectedGroups(o);
            var members = Synthetic.ExpectedMembers(o);
            Assert.Equal(groups, reader.Groups().ToList());
            Assert.Equal(members, reader.Members().ToList());
            long max = o.Block.Cntr.Take(o.Block.Count).Max();
            for (long key = -1; key <= max + 1; key++)
            {
                Assert.Equal(groups.SingleOrDefault(g => g.Gcntr == key), reader.FindGroup(key));
                Assert.Equal(members.Where(m => m.Gcntr == key), reader.MembersOf(key));
                int row = Array.IndexOf(o.Block.Cntr, key, 0, o.Block.Count);
                Assert.Equal(row >= 0, reader.FindExtraction(key) is not null);
                if (row >= 0) Assert.Equal(o.Results.Gcntr[row], reader.FindExtraction(key)!.Gcntr);
            }
        }
    }
}
