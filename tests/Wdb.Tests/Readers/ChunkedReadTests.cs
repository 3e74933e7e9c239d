using System.IO.Compression;
using System.Text;
using Wdb.Core;
using Wdb.IO;
using Wdb.IO.Readers;

namespace Wdb.Tests.Readers;

/// <summary>
/// The reader cuts its input at newlines into chunks and decodes chunks on workers (forks of
/// the format sink), joining them in file order. Whatever the chunk size and the number of
/// workers, a read must give exactly what a sequential read gives: rows, every column, line
/// numbers, rejects with their columns and texts, counts, the fatal error and the checksum.
/// The reference is a sequential read decoded row by row, so the same comparisons check the
/// column-by-column batches of the CSV, bulk and IPAC sinks (<see cref="RowDecoder.DecodeRows"/>) as well.
/// </summary>
public class ChunkedReadTests
{
    private static readonly ReaderTuning Sequential = new(1 << 30, 0, RowByRow: true);

    // Chunks of one byte (every read a chunk), of a few lines, and of many; one worker and several;
    // one pass decoded in column batches; chunks on workers decoded row by row.
    private static readonly ReaderTuning[] Chunked =
    [
        new(1 << 30, 0), new(1, 3), new(700, 1), new(700, 3), new(4096, 2), new(64 << 10, 4), new(4096, 2, RowByRow: true),
    ];

    public static TheoryData<string> Formats => new() { "csv", "tbl", "bulk" };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Generated_tables_read_the_same_in_chunks_as_in_one_pass(string extension)
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Dir, "sky." + extension);
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, 1500, Seed: 5), path);
        AssertSameAsSequential(path, new ReadOptions(Profile: extension == "bulk" ? "wdb" : null));
        AssertSameAsSequential(Gzip(path), new ReadOptions(Profile: extension == "bulk" ? "wdb" : null));
    }

    [Fact]
    public void A_messy_csv_reads_the_same_in_chunks_as_in_one_pass()
    {
        using var dir = new TempDir();
        string path = dir.Write("messy.csv", Messy(seed: 11, withQuotes: true));
        var (result, _) = AssertSameAsSequential(path, new ReadOptions());
        // The file really has every kind of trouble the fork/join must keep in order.
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.UnparsableNumber);
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.WrongColumnCount);
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.InvalidUtf8);
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.TruncatedLine);
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.UnterminatedQuote);
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.CommentLine);
        AssertSameAsSequential(Gzip(path), new ReadOptions());
    }

    [Fact]
    public void A_csv_quoted_throughout_reads_the_same_in_chunks()
    {
        // Every row quotes a field; some leave a quoted field open at the line's end (rejected, the
        // next line read as a row), one of them behind a literal quote in an unquoted field (an even
        // count of quotes on the line hides the open field). Chunks with quotes are forked too.
        using var dir = new TempDir();
        string path = dir.Write("quoted.csv", Messy(seed: 13, withQuotes: true, quoteAll: true));
        var text = File.ReadAllText(path);
        Assert.Contains("a\"b,\"x\n", text);
        var (result, block) = AssertSameAsSequential(path, new ReadOptions());
        Assert.True(block.Count > 1000);
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.UnparsableNumber);
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.UnterminatedQuote);
    }

    [Fact]
    public void Strict_mode_stops_at_the_same_row_in_chunks()
    {
        using var dir = new TempDir();
        string path = dir.Write("strict.csv", Messy(seed: 12, withQuotes: false));
        var (result, block) = AssertSameAsSequential(path, new ReadOptions(Strict: true));
        Assert.NotNull(result.Error);
        Assert.True(block.Count > 100, "the first bad row comes after many good ones");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Odd_values_in_every_column_read_the_same_column_by_column_as_row_by_row(bool strict)
    {
        // Each odd value makes the column loops hand its row to the row decoder, which takes it
        // (nulls, blanks, exponents, signs, long mantissas) or rejects it (out of range, bad,
        // a required column empty); the rows between stay in the column batches.
        using var dir = new TempDir();
        string path = dir.Write("odd.csv", OddValues(seed: 21));
        var (result, block) = AssertSameAsSequential(path, new ReadOptions(Strict: strict));
        if (strict) { Assert.NotNull(result.Error); return; }
        Assert.True(block.Count > 2000, $"{block.Count} rows accepted");
        Assert.Contains(Enumerable.Range(0, block.Count), r => block.MpFlg[r] == 2 && block.GalContam[r] == 2);
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.RaOutOfRange);
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.DecOutOfRange);
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.MissingRequiredValue);
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.UnparsableNumber);
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.NonFiniteCoordinate);
        // Values the column loops leave to the row decoder, taken there.
        Assert.Contains(Enumerable.Range(0, block.Count), r => block.Dec[r] == 2.5e-5);
        Assert.Contains(Enumerable.Range(0, block.Count), r => float.IsNaN(block.Bands[0].Mag[r]) && block.Bands[0].PhQual[r] == (byte)'U');
        Assert.Contains(Enumerable.Range(0, block.Count), r => block.Bands[1].Snr[r] == 123456789f);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Odd_values_in_a_survey_bulk_file_read_the_same_column_by_column_as_row_by_row(bool strict)
    {
        // The survey WDB layout: scan ids from hemis, date and scan; cmsig where msigcom is null;
        // some lines end with a '|'.
        using var dir = new TempDir();
        string path = dir.Write("odd.bulk", OddValues(seed: 22, bulk: true));
        var (result, block) = AssertSameAsSequential(path, new ReadOptions(Profile: "survey-pswdb", Strict: strict));
        if (strict) { Assert.NotNull(result.Error); return; }
        Assert.True(block.Count > 4000, $"{block.Count} rows accepted");
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.UnparsableNumber && r.Detail.Contains("'date'"));
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.UnparsableNumber && r.Detail.Contains("'hemis'"));
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.WrongColumnCount);
        Assert.Contains(Enumerable.Range(0, block.Count), r => block.ScanKey[r] == ScanKeys.FromSurvey((byte)'s', 990203, 17));
        Assert.Contains(Enumerable.Range(0, block.Count), r => block.Bands[2].Sig[r] == 0.25f);   // cmsig taken for a null msigcom
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Odd_values_and_odd_lines_in_an_ipac_table_read_the_same_column_by_column_as_row_by_row(bool strict)
    {
        // The CSV's odd values, right- or left-aligned in fixed-width columns, and lines the column
        // batches must leave to the IPAC sink: misaligned values, text after the last column, tabs,
        // non-ASCII and invalid UTF-8, '\' lines, blank lines, short lines, CRLF, a cut last line.
        using var dir = new TempDir();
        string path = dir.Write("odd.tbl", Ipac(OddValues(seed: 23), seed: 23));
        var (result, block) = AssertSameAsSequential(path, new ReadOptions(Strict: strict));
        if (strict) { Assert.NotNull(result.Error); return; }
        Assert.True(block.Count > 2000, $"{block.Count} rows accepted");
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.WrongColumnCount && r.Detail.Contains("crosses"));
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.WrongColumnCount && r.Detail.Contains("after the last column"));
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.InvalidUtf8);
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.MissingRequiredValue);
        Assert.Contains(result.Rejects, r => r.Reason == RejectReason.RaOutOfRange);
        Assert.Contains(Enumerable.Range(0, block.Count), r => block.Dec[r] == 2.5e-5);
        Assert.Contains(Enumerable.Range(0, block.Count), r => block.Bands[1].Snr[r] == 123456789f);
    }

    /// <summary>
    /// The CSV as an IPAC table (header of names, types and "null"), each value right-aligned in
    /// its column, or left-aligned, or sitting under the column's closing '|'; one line in ten of
    /// the data made odd in one of the ways the column batches do not take.
    /// </summary>
    private static byte[] Ipac(byte[] csv, int seed)
    {
        var rows = Encoding.UTF8.GetString(csv).TrimEnd('\n').Split('\n').Select(l => l.Split(',')).ToArray();
        int n = rows[0].Length;
        var width = Enumerable.Range(0, n).Select(c => rows.Max(r => r[c].Length) + 2).ToArray();
        var rnd = new Random(seed);
        var sb = new StringBuilder("\\fixlen = T\n");
        string Header(Func<int, string> cell) => "|" + string.Concat(Enumerable.Range(0, n).Select(c => cell(c).PadRight(width[c]) + "|"));
        sb.Append(Header(c => rows[0][c])).Append('\n');
        sb.Append(Header(c => "char")).Append('\n');
        sb.Append(Header(c => "")).Append('\n');
        sb.Append(Header(c => "null")).Append('\n');
        for (int i = 1; i < rows.Length; i++)
        {
            var line = new StringBuilder(" ");
            for (int c = 0; c < n; c++)
            {
                string v = rows[i][c];
                line.Append(rnd.Next(8) switch
                {
                    0 => (" " + v).PadRight(width[c] + 1),                  // left-aligned
                    1 => v.PadLeft(width[c] + 1),                           // under the closing '|'
                    _ => (v + " ").PadLeft(width[c] + 1),
                });
            }
            string text = line.ToString();
            string end = "\n";
            if (i > 40 && i % 10 == 0)
            {
                int at = rnd.Next(1, text.Length - 1);
                switch (rnd.Next(10))
                {
                    case 0:                                                                                  // a value across a '|'
                        int pipe = width.Take(rnd.Next(1, n)).Sum(w => w + 1);
                        text = text[..pipe] + "77" + text[(pipe + 2)..];
                        break;
                    case 1: text += "  x"; break;                                                            // text after the last column
                    case 2: text = text[..at] + "\t" + text[(at + 1)..]; break;                             // a tab for a blank
                    case 3: text = text[..at] + "\u00e9" + text[(at + 1)..]; break;                         // non-ASCII
                    case 4: text = text[..at] + "\u0001" + text[(at + 1)..]; break;                         // invalid UTF-8 (0x01 -> 0xFF)
                    case 5: sb.Append("\\ a comment among the data\n   \n"); break;                     // '\' line, blank line
                    case 6: text = text[..rnd.Next(text.Length / 2, text.Length - width[n - 1] - 1)]; break; // ends before the last column
                    case 7: end = "\r\n"; break;
                    case 8: text = rnd.Next(2) == 0 ? text.TrimEnd() : text + "   "; break;                  // trailing blanks cut or added
                    default: text = rnd.Next(2) == 0 ? " " + text : text[1..] + "  "; break;                 // shifted right or left
                }
            }
            sb.Append(text).Append(end);
        }
        sb.Length -= 30;   // the last line cut short, no newline
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        for (int i = 0; i < bytes.Length; i++) if (bytes[i] == 0x01) bytes[i] = 0xFF;
        return bytes;
    }

    /// <summary>
    /// A generated survey table in which every odd value is put, once, in every column, on every
    /// other row: values the column loops do not take, nulls of every spelling, blanks, exponents,
    /// signs, long mantissas, out-of-range coordinates, flags of other lengths, bad digits and
    /// dates. CSV: the generator's columns with mp_flg and gal_contam added. Bulk: the
    /// survey-pswdb profile, its columns taken from the generated rows or made up.
    /// </summary>
    private static byte[] OddValues(int seed, bool bulk = false)
    {
        using var dir = new TempDir();
        string clean = Path.Combine(dir.Dir, "clean.csv");
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, bulk ? 6000 : 3000, Seed: seed), clean);
        var lines = File.ReadAllLines(clean);
        var generated = lines[0].Split(',');
        var header = bulk ? SchemaProfiles.Columns("survey-pswdb")!.ToArray() : generated.Concat(["mp_flg", "gal_contam"]).ToArray();
        string[] odd =
        [
            "", " ", "\\N", "null", "NULL", "nan", "NaN", "1e3", "2.5E-05", "+12", "+1.5", "-0", "-0.0", "123456789",
            "0.123456789", "16.12345678", "1.2.3", "x", "-", ".5", "5.", " 7 ", "12 ", "999", "256", "-1", "360", "-90.0001", "90",
            "Infinity", "-inf", "AB", "ABCD", " AB", "AB ", "A B", "1234567", "0000000000000000000001", "99999999999999999999",
            "n", "S", "ns", "991301", "1999-02-03", "99-1-1", "000000",
        ];
        Assert.True(2 * header.Length * odd.Length + 60 < lines.Length, $"{lines.Length} rows: too few for every value in every column");
        var rnd = new Random(seed);
        char sep = bulk ? '|' : ',';
        var sb = new StringBuilder();
        if (!bulk) sb.Append(string.Join(',', header)).Append('\n');
        for (int i = 1; i < lines.Length; i++)
        {
            var g = lines[i].Split(',');
            var f = header.Select(name => Array.IndexOf(generated, name) is var at and >= 0 ? g[at] : name switch
            {
                "mp_flg" or "gal_contam" => rnd.Next(3).ToString(),
                "hemis" => rnd.Next(2) == 0 ? "n" : "s",
                "date" => rnd.Next(2) == 0 ? "990203" : "1999-02-04",
                "scan" => rnd.Next(1, 200).ToString(),
                "j_cmsig" or "h_cmsig" or "k_cmsig" => rnd.Next(4) == 0 ? "" : "0.25",
                _ => "1.5",
            }).ToArray();
            if (bulk && rnd.Next(3) == 0) f[Array.IndexOf(header, "k_msigcom")] = "";
            int pair = i / 2 - 30;   // the first rows, and every other row, stay plain
            if (i % 2 == 0 && pair >= 0 && pair < header.Length * odd.Length) f[pair % header.Length] = odd[pair / header.Length];
            if (i == 11) f[Array.IndexOf(header, "dec")] = "2.5E-05";
            if (i == 13) { f[Array.IndexOf(header, "j_m")] = ""; f[Array.IndexOf(header, "ph_qual")] = "UAA"; }
            if (i == 15) f[Array.IndexOf(header, "h_snr")] = "123456789";
            if (bulk && i == 17) { f[Array.IndexOf(header, "hemis")] = "s"; f[Array.IndexOf(header, "date")] = "990203"; f[Array.IndexOf(header, "scan")] = "17"; }
            if (i % 97 == 0) sb.Append('#').Append(string.Join(sep, f)).Append('\n');   // a row commented out: the field count of a data line
            sb.Append(string.Join(sep, f));
            if (bulk) sb.Append(rnd.Next(14) switch { 0 or 1 => "|", 2 => "|x", _ => "" });   // tolerated; a field too many
            sb.Append('\n');
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>A survey CSV with blank and comment lines, CRLF, bad rows, quotes and a cut last line.</summary>
    [Fact]
    public void Blocks_are_handed_over_only_when_there_are_rows_and_a_bad_file_still_reports_its_error()
    {
        using var dir = new TempDir();
        int calls = 0;
        string empty = dir.Write("empty.csv", "cntr,scan_key,ra,dec\n");
        var result = ExtractionReader.ReadBlocks(empty, 0, new ReadOptions(), 10, _ => calls++, TestContext.Current.CancellationToken);
        Assert.Null(result.Error);
        Assert.Equal(0, result.RowsRead);
        string bad = dir.Write("bad.csv", "cntr,scan_key,ra,dec\n1,1,10,20\n2,1,10,x\n");
        result = ExtractionReader.ReadBlocks(bad, 0, new ReadOptions(Strict: true), 1, _ => calls++, TestContext.Current.CancellationToken);
        Assert.NotNull(result.Error);
        Assert.StartsWith($"{bad}:3:", result.Error!.ToString());
        Assert.Equal(1, calls);   // row 1 was read and handed over before the bad row stopped the read
        Assert.Throws<ArgumentOutOfRangeException>(() => ExtractionReader.ReadBlocks(empty, 0, new ReadOptions(), 0, _ => { }, TestContext.Current.CancellationToken));
    }

    /// <summary>
    /// The joins (and with them the hand-over of blocks) run on the workers: a hand-over that fails there surfaces
    /// from the read as it did on the reading thread, after every chunk in flight has ended, whatever the tuning.
    /// An I/O failure becomes the file's error; anything else (a bug) is thrown.
    /// </summary>
    [Fact]
    public void A_hand_over_that_fails_on_a_worker_ends_the_read_with_that_failure()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Dir, "survey.csv");
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, 3000, Seed: 5), path);
        foreach (var tuning in new[] { new ReaderTuning(700, 3), new ReaderTuning(4096, 2), new ReaderTuning(1 << 30, 0) })
        {
            int calls = 0;
            var result = ExtractionReader.ReadBlocks(path, 0, new ReadOptions(), 50, _ =>
            {
                if (++calls == 3) throw new IOException("disk full while spilling");
            }, tuning, TestContext.Current.CancellationToken);
            // No join hands a block over after the failure; the read's end still hands over what the block holds
            // (as it does after a bad row in strict mode): the fourth call.
            Assert.Equal(4, calls);
            Assert.NotNull(result.Error);
            Assert.Contains("disk full while spilling", result.Error!.ToString());

            calls = 0;
            var bug = Assert.Throws<InvalidOperationException>(() => ExtractionReader.ReadBlocks(path, 0, new ReadOptions(), 50, _ =>
            {
                if (++calls == 2) throw new InvalidOperationException("a bug in the hand-over");
            }, tuning, TestContext.Current.CancellationToken));
            Assert.Equal("a bug in the hand-over", bug.Message);
            Assert.Equal(2, calls);
        }
    }

    private static byte[] Messy(int seed, bool withQuotes, bool quoteAll = false)
    {
        using var dir = new TempDir();
        string clean = Path.Combine(dir.Dir, "clean.csv");
        SyntheticSky.GenerateToFile(new GeneratorOptions(SkyKind.Survey, 800, Seed: seed), clean);
        var lines = File.ReadAllLines(clean);
        var rnd = new Random(seed);
        var sb = new StringBuilder("\uFEFF").Append(lines[0]).Append('\n');
        for (int i = 1; i < lines.Length; i++)
        {
            string line = lines[i];
            var f = line.Split(',');
            if (quoteAll) { f[17] = "\"" + f[17] + "\""; line = string.Join(',', f); }
            switch (rnd.Next(60))
            {
                case 0: sb.Append('\n'); break;
                case 1 when i > 200: sb.Append("# a comment, with a comma\n"); break;   // a rejected row (no comments among rows)
                case 2: line += "\r"; break;
                case 3 when i > 200: f[4] = "1.2.3"; line = string.Join(',', f); break;
                case 4 when i > 200: line += ",extra"; break;
                case 5 when i > 200: line = line[..(line.Length / 2)]; break;
                case 6: f[3] = " " + f[3] + " "; line = string.Join(',', f); break;
                case 7 when i > 200: f[8] = "\u00e9"; line = string.Join(',', f); break;
                case 8 when i > 200: line = "\u0001" + line; break;   // 0x01 becomes 0xFF: not UTF-8
                case 9 when withQuotes: f[17] = "\"" + f[17] + "\""; line = string.Join(',', f); break;
                case 10 when withQuotes: f[17] = "\"A\nB\""; line = string.Join(',', f); break;   // a quote left open: two rejected lines
                case 11 when quoteAll: f[23] = "a\"b"; f[24] = "\"x\ny\""; line = string.Join(',', f); break;   // the same, hidden
            }
            sb.Append(line);
            if (i < lines.Length - 1) sb.Append('\n');
        }
        sb.Length -= 20;   // the last line cut short, no newline
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        for (int i = 0; i < bytes.Length; i++) if (bytes[i] == 0x01) bytes[i] = 0xFF;
        return bytes;
    }

    private static (FileReadResult, ExtractionBlock) AssertSameAsSequential(string path, ReadOptions options)
    {
        var expected = Read(path, options, Sequential);
        foreach (var tuning in Chunked)
        {
            var actual = Read(path, options, tuning);
            string what = $"{Path.GetFileName(path)} with {tuning}";
            Assert.True(expected.Result.RowsRead > 0, what);
            Assert.Equal((expected.Result.RowsRead, expected.Result.RowsAccepted, expected.Result.Format, expected.Result.Profile),
                (actual.Result.RowsRead, actual.Result.RowsAccepted, actual.Result.Format, actual.Result.Profile));
            Assert.Equal(expected.Result.Error, actual.Result.Error);
            Assert.Equal((expected.Result.Checksum, expected.Result.Bytes), (actual.Result.Checksum, actual.Result.Bytes));
            Assert.Equal(expected.Result.Rejects, actual.Result.Rejects);
            Assert.Equal(expected.Block.Count, actual.Block.Count);
            for (int r = 0; r < expected.Block.Count; r++)
                if (BlockText.Row(expected.Block, r) != BlockText.Row(actual.Block, r))
                    Assert.Fail($"{what}: row {r} differs:\n{BlockText.Row(expected.Block, r)}\n{BlockText.Row(actual.Block, r)}");
            AssertSameInBlocks(path, options, tuning, expected);
        }
        AssertSameInBlocks(path, options, Sequential, expected);
        return expected;
    }

    /// <summary>
    /// ReadBlocks (the streaming reader): the blocks handed over, one after another, are the
    /// rows of one read, each block but the last at least the size asked for.
    /// </summary>
    private static void AssertSameInBlocks(string path, ReadOptions options, ReaderTuning tuning, (FileReadResult Result, ExtractionBlock Block) expected)
    {
        foreach (int rows in new[] { 1, 37, 5000 })
        {
            var handed = new List<string>();
            var sizes = new List<int>();
            var result = ExtractionReader.ReadBlocks(path, 2, options, rows, b =>
            {
                sizes.Add(b.Count);
                for (int r = 0; r < b.Count; r++) handed.Add(BlockText.Row(b, r));
            }, tuning);
            string what = $"{Path.GetFileName(path)} in blocks of {rows} with {tuning}";
            Assert.Equal((expected.Result.RowsRead, expected.Result.RowsAccepted), (result.RowsRead, result.RowsAccepted));
            Assert.Equal(expected.Result.Error, result.Error);
            Assert.Equal(expected.Result.Checksum, result.Checksum);
            Assert.Equal(expected.Result.Rejects, result.Rejects);
            Assert.True(Enumerable.Range(0, expected.Block.Count).Select(r => BlockText.Row(expected.Block, r)).SequenceEqual(handed), what);
            Assert.All(sizes.Take(sizes.Count - 1), n => Assert.True(n >= rows, what));
            Assert.DoesNotContain(0, sizes);
        }
    }

    private static (FileReadResult Result, ExtractionBlock Block) Read(string path, ReadOptions options, ReaderTuning tuning)
    {
        var block = new ExtractionBlock(16);
        var result = ExtractionReader.Read(path, 2, options, block, tuning);
        Assert.Equal(result.RowsRead, result.RowsAccepted + result.Rejects.Count);
        Assert.Equal(result.RowsAccepted, block.Count);
        return (result, block);
    }

    /// <summary>A real gzip file (its own bytes and checksum) beside the plain one.</summary>
    private static string Gzip(string path)
    {
        string gz = path + ".gz";
        using (var input = File.OpenRead(path))
        using (var output = new GZipStream(File.Create(gz), CompressionLevel.Fastest))
            input.CopyTo(output);
        return gz;
    }

}

/// <summary>The line pump itself: forks take whole lines, numbered as in the file, and are joined in order.</summary>
public class LinePumpForkTests
{
    /// <summary>Records lines; forks any chunk without an 'x' (chunks with one come to the main sink).</summary>
    private sealed class Recorder(bool main) : LineSink
    {
        public readonly List<string> Lines = new();
        public int Forks, Joins;
        private readonly int _thread = Environment.CurrentManagedThreadId;

        public override bool OnLine(ReadOnlySpan<byte> line, long lineNo, bool terminated)
        {
            if (main && Environment.CurrentManagedThreadId != _thread) throw new InvalidOperationException("main sink used off its thread");
            Lines.Add($"{lineNo}:{Encoding.UTF8.GetString(line)}:{terminated}");
            return !line.SequenceEqual("STOP"u8);
        }

        public override LineSink? Fork(ReadOnlySpan<byte> chunk)
        {
            if (chunk.Contains((byte)'x')) return null;
            Forks++;
            return new Recorder(false);
        }

        public override void Join(LineSink fork)
        {
            Joins++;
            Lines.AddRange(((Recorder)fork).Lines);
        }
    }

    private static List<string> Expected(string text)
    {
        var parts = text.Split('\n');
        var result = new List<string>();
        for (int i = 0; i < parts.Length; i++)
        {
            bool last = i == parts.Length - 1;
            if (last && parts[i].Length == 0) break;
            result.Add($"{i + 1}:{parts[i].TrimEnd('\r')}:{!last}");
        }
        return result;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 2)]
    [InlineData(64, 3)]
    [InlineData(100000, 2)]
    public async Task Lines_come_out_in_file_order_whoever_split_them(int chunkBytes, int workers)
    {
        var rnd = new Random(chunkBytes);
        var sb = new StringBuilder();
        for (int i = 0; i < 3000; i++)
        {
            sb.Append(rnd.Next(50) == 0 ? "x" : "").Append(new string('a', rnd.Next(0, 40))).Append(i);
            sb.Append(rnd.Next(10) == 0 ? "\r\n" : "\n");
        }
        sb.Append("tail");
        string text = sb.ToString();
        var sink = new Recorder(true);
        var pump = new LinePump(sink, chunkBytes, workers);
        await pump.RunAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), CancellationToken.None);
        Assert.Null(pump.Failure);
        Assert.True(pump.ReachedEnd);
        Assert.Equal(text.Length, pump.TotalBytes);
        Assert.Equal(Expected(text), sink.Lines);
        if (chunkBytes < 100000) Assert.True(sink.Forks > 10, $"only {sink.Forks} chunks were forked");
        Assert.Equal(sink.Forks, sink.Joins);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public async Task A_stop_in_a_fork_drops_every_later_line(int workers)
    {
        var lines = Enumerable.Range(1, 5000).Select(i => i == 2345 ? "STOP" : $"line {i}").ToList();
        string text = string.Join('\n', lines) + "\n";
        var sink = new Recorder(true);
        var pump = new LinePump(sink, 300, workers);
        await pump.RunAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), CancellationToken.None);
        Assert.False(pump.ReachedEnd);
        Assert.Equal(Expected(text).Take(2345), sink.Lines);
        if (workers > 0) Assert.True(sink.Forks > 10);
    }
}
