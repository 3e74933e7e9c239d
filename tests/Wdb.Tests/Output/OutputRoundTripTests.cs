using System.Text.Json;
using Google.FlatBuffers;
using Wdb.Core;
using Wdb.IO;

namespace Wdb.Tests.Output;

public class OutputRoundTripTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(65536)]
    public void EveryFieldSurvivesWriteAndRead(int chunkRecords)
    {
        using var tmp = new TempDir();
        var o = Synthetic.Make();
        string dir = tmp["out"];
        Assert.Null(OutputWriter.Write(dir, o, chunkRecords));

        using var reader = OutputReader.Open(dir);
        Assert.Equal(Synthetic.ExpectedGroups(o), reader.Groups().ToList());
        Assert.Equal(Synthetic.ExpectedMembers(o), reader.Members().ToList());
        Assert.Equal(Synthetic.ExpectedExtractions(o), reader.Extractions().ToList());
        Assert.Equal(5, reader.GroupCount);
        Assert.Equal(11, reader.MemberCount);
        Assert.Equal(13, reader.ExtractionCount);
    }

    [Fact]
    public void RecordsKeepNaNsFlagsAndOrder()
    {
        using var tmp = new TempDir();
        var o = Synthetic.Make();
        Assert.Null(OutputWriter.Write(tmp["out"], o, 4));
        using var reader = OutputReader.Open(tmp["out"]);

        // Group 20 has one member: NaN statistics and no motion fit.
        var one = reader.FindGroup(20)!;
        Assert.True(float.IsNaN(one.RmsSep) && float.IsNaN(one.PmRa) && double.IsNaN(one.MeanJDate));
        Assert.Equal(MotionStatus.TooFewMembers, one.PmStatus);
        // Made from (RaW, DecW) = (359.990001, -89.5 + 1/7) deg: 23h59m57.6002s, -89d21'25.71".
        Assert.Equal("J235957.60-892125.7", one.Designation);

        // Members of 30 in time order, NaN date (cntr 33) last.
        Assert.Equal(new long[] { 30, 31, 32, 33 }, reader.MembersOf(30).Select(m => m.Cntr));
        var m12 = reader.Members().Single(m => m.Cntr == 12);
        Assert.False(m12.H.Detected);            // rd_flg '0': an upper limit
        Assert.True(m12.J.Detected);
        Assert.Equal((byte)'0', m12.H.RdFlg);
        var m11 = reader.Members().Single(m => m.Cntr == 11);
        Assert.True(float.IsNaN(m11.K.Mag));
        Assert.False(m11.K.Detected);
        Assert.Equal((byte)'d', reader.MembersOf(40)[0].J.CcFlg);

        // Filtered rows: no group, their reason; merged rows: reason none.
        var x15 = reader.FindExtraction(15)!;
        Assert.Equal(new ExtractionRecord(15, -1, -1, float.NaN, 255, RejectReason.FilteredArtifact, 1, 515), x15);
        Assert.Equal(RejectReason.None, reader.FindExtraction(31)!.Reason);
        Assert.Equal(30, reader.FindExtraction(40)!.Cgid);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(100)]
    public void IndexFindsEveryGroupAndMembersAcrossChunks(int chunkRecords)
    {
        using var tmp = new TempDir();
        var o = Synthetic.Make();
        Assert.Null(OutputWriter.Write(tmp["out"], o, chunkRecords));
        using var reader = OutputReader.Open(tmp["out"]);
        var groups = Synthetic.ExpectedGroups(o);
        var members = Synthetic.ExpectedMembers(o);
        foreach (var g in groups)
        {
            Assert.Equal(g, reader.FindGroup(g.Gcntr));
            Assert.Equal(members.Where(m => m.Gcntr == g.Gcntr), reader.MembersOf(g.Gcntr));
            Assert.Null(reader.FindGroup(g.Gcntr + 1));
            Assert.Null(reader.FindGroup(g.Gcntr - 1));
            Assert.Empty(reader.MembersOf(g.Gcntr + 1));
        }
        Assert.Null(reader.FindGroup(long.MinValue));
        Assert.Null(reader.FindGroup(long.MaxValue));
        Assert.Empty(reader.MembersOf(0));
        Assert.Empty(reader.MembersOf(1000));
        foreach (var x in Synthetic.ExpectedExtractions(o))
            Assert.Equal(x, reader.FindExtraction(x.Cntr));
        Assert.Null(reader.FindExtraction(14));
        Assert.Null(reader.FindExtraction(99));
    }

    [Fact]
    public void MemberChunksEndAtGroupBoundariesUnlessAGroupIsTooBig()
    {
        // Group sizes 3,1,4,1,2 with 3 per chunk: [10x3] [20] [30x3] [30,40] [50x2]:
        // only group 30, bigger than a chunk, is split.
        using var tmp = new TempDir();
        Assert.Null(OutputWriter.Write(tmp["out"], Synthetic.Make(), 3));
        var index = ReadIndex(tmp["out/members.idx"]);
        Assert.Equal("members", index.TableName);
        Assert.Equal("gcntr", index.Key);
        Assert.Equal(11, index.Records);
        var got = new List<(long, long, int)>();
        long offset = 0;
        for (int c = 0; c < index.ChunksLength; c++)
        {
            var e = index.Chunks(c)!.Value;
            got.Add((e.FirstKey, e.LastKey, e.Records));
            Assert.Equal(offset, e.Offset);
            offset += e.Bytes;
        }
        Assert.Equal([(10L, 10L, 3), (20L, 20L, 1), (30L, 30L, 3), (30L, 40L, 2), (50L, 50L, 2)], got);
        Assert.Equal(new FileInfo(tmp["out/members.fb"]).Length, offset);
        Assert.Equal(offset, index.FileBytes);
    }

    [Fact]
    public void EmptyRunWritesReadableEmptyTables()
    {
        using var tmp = new TempDir();
        var block = new ExtractionBlock();
        var groups = new GroupTable();
        groups.Allocate(0);
        var o = new MergeOutputs
        {
            Block = block, Results = ExtractionResults.Allocate(0), Groups = groups,
            Membership = new Membership(), Summary = new RunSummary(),
        };
        Assert.Null(OutputWriter.Write(tmp["out"], o));
        using var reader = OutputReader.Open(tmp["out"]);
        Assert.Empty(reader.Groups());
        Assert.Empty(reader.Members());
        Assert.Empty(reader.Extractions());
        Assert.Null(reader.FindGroup(0));
        Assert.Empty(reader.MembersOf(0));
        Assert.True(new FileInfo(tmp["out/groups.fb"]).Length > 0);   // one empty chunk, decodable by flatc
    }

    [Fact]
    public void SummaryHasTopLevelCountsAndChecksumsOfEveryFile()
    {
        using var tmp = new TempDir();
        Assert.Null(OutputWriter.Write(tmp["out"], Synthetic.Make()));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(tmp["out/summary.json"]));
        var root = doc.RootElement;
        Assert.Equal(15, root.GetProperty("rows_read").GetInt64());
        Assert.Equal(11, root.GetProperty("rows_merged").GetInt64());
        Assert.Equal(4, root.GetProperty("rows_rejected").GetInt64());
        Assert.Equal(1, root.GetProperty("rejects_by_reason").GetProperty("filtered_low_snr").GetInt64());
        Assert.Equal(0.5, root.GetProperty("stage_seconds").GetProperty("link").GetDouble());
        var outputs = root.GetProperty("outputs");
        string[] files = [.. OutputWriter.FileNames];
        Assert.Equal(files.Order(), outputs.EnumerateObject().Select(p => p.Name).Order());
        foreach (string f in files)
            Assert.Equal(ChecksumTests.Expected(ChecksumAlgorithm.Xxh128, File.ReadAllBytes(Path.Combine(tmp["out"], f))),
                outputs.GetProperty(f).GetString());
        Assert.Contains("\n  \"rows_read\"", File.ReadAllText(tmp["out/summary.json"]));   // indented
    }

    [Fact]
    public void RejectsCsvListsUnreadableRowsWithQuoting()
    {
        using var tmp = new TempDir();
        Assert.Null(OutputWriter.Write(tmp["out"], Synthetic.Make()));
        string[] lines = File.ReadAllLines(tmp["out/rejects.csv"]);
        Assert.Equal("file,line,column,reason,cntr,detail", lines[0]);
        Assert.Equal("in/a.tbl,7,12,unparsable_number,,\"ra: \"\"1,5\"\" is not a number\"", lines[1]);
        Assert.Equal("in/b.csv,9,0,wrong_column_count,77,\"3 columns, expected 5\"", lines[2]);
        Assert.Equal(3, lines.Length);
    }

    [Fact]
    public void SchemaEnumsMatchCoreEnums()
    {
        foreach (RejectReason r in Enum.GetValues<RejectReason>())
            Assert.Equal(RejectReasons.Name(r), Enum.GetName((Fbs.Reason)(byte)r));
        foreach (MotionStatus s in Enum.GetValues<MotionStatus>())
            Assert.Equal(s.ToString(), Enum.GetName((Fbs.MotionStatus)(byte)s)!.Replace("_", ""), ignoreCase: true);
    }

    [Fact]
    public void CorruptOrTruncatedFilesAreReportedNotMisread()
    {
        using var tmp = new TempDir();
        Assert.Null(OutputWriter.Write(tmp["out"], Synthetic.Make(), 2));
        // Truncated table file: the index no longer matches.
        var bytes = File.ReadAllBytes(tmp["out/members.fb"]);
        File.WriteAllBytes(tmp["out/members.fb"], bytes[..^10]);
        Assert.Null(OutputReader.TryOpen(tmp["out"], out var error));
        Assert.Contains("members.fb", error!.Message);
        // Same length, garbage inside a chunk: the verifier rejects it on read.
        var garbled = (byte[])bytes.Clone();
        for (int i = 4; i < 12; i++) garbled[i] = 0xff;
        File.WriteAllBytes(tmp["out/members.fb"], garbled);
        using var reader = OutputReader.Open(tmp["out"]);
        Assert.Throws<InvalidDataException>(() => reader.MembersOf(10));
        Assert.Null(OutputReader.TryOpen(tmp["missing"], out error));
        Assert.Contains("not a wdb output directory", error!.Message);
    }

    /// <summary>n one-member groups with gcntr 0, 2, 4, ...: chunks of many kilobytes.</summary>
    internal static MergeOutputs Large(int n)
    {
        var block = new ExtractionBlock(n);
        var results = ExtractionResults.Allocate(n);
        var m = new Membership { Gcntr = new long[n], Offsets = new int[n + 1], MemberRows = new int[n] };
        var t = new GroupTable();
        t.Allocate(n);
        for (int i = 0; i < n; i++)
        {
            int r = block.AddRow();
            block.Cntr[r] = 2L * i; block.Ra[r] = i * 1e-3; block.Dec[r] = -i * 1e-3; block.JDate[r] = 2451000 + i;
            results.Gcntr[r] = results.Cgid[r] = 2L * i; results.Reliability[r] = (byte)(i % 10);
            m.Gcntr[i] = 2L * i; m.Offsets[i + 1] = i + 1; m.MemberRows[i] = i;
            t.Gcntr[i] = t.Cgid[i] = 2L * i; t.NMembers[i] = 1; t.RaW[i] = i * 1e-3; t.DecW[i] = -i * 1e-3;
            t.SigRaW[i] = i % 3 == 0 ? float.NaN : i;
        }
        return new MergeOutputs { Block = block, Results = results, Groups = t, Membership = m, Summary = new RunSummary() };
    }

    [Fact]
    public void ChunksLargerThan32KiBReadBack()
    {
        // Google.FlatBuffers' own Verifier fails on tables past byte 32767 of a buffer; the
        // reader must not depend on it.
        using var tmp = new TempDir();
        var o = Large(5000);
        Assert.Null(OutputWriter.Write(tmp["out"], o));
        // ~300 bytes a group: groups chunks hold GroupChunkRecords groups, well past 32 KiB.
        var index = ReadIndex(tmp["out/groups.idx"]);
        Assert.True(index.ChunksLength >= 2, $"{index.ChunksLength} chunks");
        for (int c = 0; c < index.ChunksLength; c++)
        {
            var e = index.Chunks(c)!.Value;
            Assert.InRange(e.Records, 1, TableEncoders.GroupChunkRecords);
            Assert.InRange(e.Bytes, 32768, 400 * e.Records + 64);
        }
        using var reader = OutputReader.Open(tmp["out"]);
        Assert.Equal(Synthetic.ExpectedGroups(o), reader.Groups().ToList());
        Assert.Equal(Synthetic.ExpectedMembers(o), reader.Members().ToList());
        Assert.Equal(4999 * 2L, reader.FindGroup(4999 * 2L)!.Gcntr);
        // (4.097, -4.097) deg: 0h16m23.28s, -4d05'49.2".
        Assert.Equal("J001623.28-040549.2", reader.FindGroup(4097 * 2L)!.Designation);
        Assert.Null(reader.FindGroup(4097 * 2L + 1));
        Assert.Single(reader.MembersOf(4096 * 2L));
    }

    [Fact]
    public void GarbledGroupChunkIsReportedAsCorrupt()
    {
        using var tmp = new TempDir();
        Assert.Null(OutputWriter.Write(tmp["out"], Large(50)));
        var bytes = File.ReadAllBytes(tmp["out/groups.fb"]);
        // Overwrite the vector's element offsets (right after the root table) with garbage.
        for (int i = 40; i < 120; i++) bytes[i] = 0x7f;
        File.WriteAllBytes(tmp["out/groups.fb"], bytes);
        using var reader = OutputReader.Open(tmp["out"]);
        Assert.Throws<InvalidDataException>(() => reader.Groups().ToList());
        Assert.Throws<InvalidDataException>(() => reader.FindGroup(10));
    }

    internal static Fbs.ChunkIndex ReadIndex(string path)
    {
        var bb = new ByteBuffer(File.ReadAllBytes(path)) { Position = 4 };
        return Fbs.ChunkIndex.GetRootAsChunkIndex(bb);
    }
}
