using System.Globalization;
using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Tests.Output;

public class ExportTests
{
    /// <summary>Splits one CSV line (RFC 4180 quoting) into fields.</summary>
    private static List<string> SplitCsv(string line)
    {
        var fields = new List<string>();
        var cur = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cur.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cur.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(cur.ToString()); cur.Clear(); }
            else cur.Append(c);
        }
        fields.Add(cur.ToString());
        return fields;
    }

    private static List<Dictionary<string, string>> ReadCsv(string path)
    {
        string[] lines = File.ReadAllLines(path);
        var header = SplitCsv(lines[0]);
        var rows = new List<Dictionary<string, string>>();
        foreach (string line in lines.Skip(1))
        {
            var f = SplitCsv(line);
            Assert.Equal(header.Count, f.Count);
            rows.Add(header.Zip(f).ToDictionary(p => p.First, p => p.Second));
        }
        return rows;
    }

    private static double D(string s) => s.Length == 0 ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture);
    private static float F(string s) => s.Length == 0 ? float.NaN : float.Parse(s, CultureInfo.InvariantCulture);

    private static (TempDir Tmp, MergeOutputs O) Written()
    {
        var tmp = new TempDir();
        var o = Synthetic.Make(salt: 1.0 / 3.0);   // positions with 17 significant digits
        Assert.Null(OutputWriter.Write(tmp["out"], o, 2));
        return (tmp, o);
    }

    [Fact]
    public void GroupsCsvParsesBackToTheSameValues()
    {
        var (tmp, o) = Written();
        using var _ = tmp;
        Assert.Null(Exporter.Export(tmp["out"], "groups", "csv", tmp["groups.csv"]));
        Assert.Equal(string.Join(',', TableColumns.Groups.Select(c => c.Name)), File.ReadLines(tmp["groups.csv"]).First());
        var rows = ReadCsv(tmp["groups.csv"]);
        var expected = Synthetic.ExpectedGroups(o);
        Assert.Equal(expected.Count, rows.Count);
        for (int g = 0; g < rows.Count; g++)
        {
            var r = rows[g];
            var e = expected[g];
            Assert.Equal(e.Gcntr, long.Parse(r["gcntr"], CultureInfo.InvariantCulture));
            Assert.Equal(e.RaW, D(r["ra_w"]));                 // exact: round-trip formatting
            Assert.Equal(e.DecW, D(r["dec_w"]));
            Assert.Equal(e.SigDecW, F(r["sig_dec_w"]));        // NaN <-> empty field
            Assert.Equal(e.RmsSep, F(r["rms_sep"]));
            Assert.Equal(e.Designation, r["designation"]);
            Assert.Equal(e.H.MagW, F(r["h_magw"]));
            Assert.Equal(e.K.RedChi2, F(r["k_red_chi2"]));
            Assert.Equal(e.PmRa, F(r["pm_ra"]));
            Assert.Equal(e.MeanJDate, D(r["mean_jdate"]));
            Assert.Equal((int)e.PmStatus, int.Parse(r["pm_status"], CultureInfo.InvariantCulture));
            Assert.Equal(e.Confused ? "1" : "0", r["confused"]);
            Assert.Equal(e.CcMask.ToString(CultureInfo.InvariantCulture), r["cc_mask"]);
        }
        Assert.Equal("", rows[1]["sig_dec_w"]);   // one-member group
    }

    [Fact]
    public void MembersAndExtractionsCsv()
    {
        var (tmp, o) = Written();
        using var _ = tmp;
        Assert.Null(Exporter.Export(tmp["out"], "members", "csv", tmp["members.csv"]));
        var members = ReadCsv(tmp["members.csv"]);
        var expected = Synthetic.ExpectedMembers(o);
        Assert.Equal(expected.Select(m => m.Cntr.ToString(CultureInfo.InvariantCulture)), members.Select(m => m["cntr"]));
        for (int i = 0; i < members.Count; i++)
        {
            Assert.Equal(expected[i].JDate, D(members[i]["jdate"]));
            Assert.Equal(expected[i].Ra, D(members[i]["ra"]));
            Assert.Equal(expected[i].K.Mag, F(members[i]["k_mag"]));
            Assert.Equal(((char)expected[i].J.PhQual).ToString(), members[i]["j_ph_qual"]);
            Assert.Equal(expected[i].H.Detected ? "1" : "0", members[i]["h_detected"]);
        }

        Assert.Null(Exporter.Export(tmp["out"], "extractions", "csv", tmp["x.csv"]));
        Assert.StartsWith("cntr,cgid,gcntr,", File.ReadLines(tmp["x.csv"]).First());
        var x = ReadCsv(tmp["x.csv"]);
        Assert.Equal(["10", "11", "12", "15", "20", "30", "31", "32", "33", "40", "45", "50", "51"], x.Select(r => r["cntr"]));
        var x15 = x[3];
        Assert.Equal(("-1", "-1", "", "filtered_artifact", "255"), (x15["cgid"], x15["gcntr"], x15["sep_arcsec"], x15["reason"], x15["reliability"]));
        Assert.Equal(("30", "40", "none", "0.25"), (x[10 - 1]["cgid"], x[9]["gcntr"], x[9]["reason"], x[6]["sep_arcsec"]));
    }

    [Fact]
    public void IpacTableHasAlignedHeaderAndFixedWidthRows()
    {
        var (tmp, o) = Written();
        using var _ = tmp;
        Assert.Null(Exporter.Export(tmp["out"], "groups", "ipac", tmp["groups.tbl"]));
        string[] lines = File.ReadAllLines(tmp["groups.tbl"]);
        var comments = lines.TakeWhile(l => l.StartsWith('\\')).ToList();
        var header = lines.Skip(comments.Count).TakeWhile(l => l.StartsWith('|')).ToList();
        var data = lines.Skip(comments.Count + header.Count).ToList();
        Assert.Equal(4, header.Count);   // name, type, unit, null
        Assert.Equal(o.Groups!.Count, data.Count);

        int[] pipes = Enumerable.Range(0, header[0].Length).Where(i => header[0][i] == '|').ToArray();
        Assert.Equal(TableColumns.Groups.Count + 1, pipes.Length);
        foreach (string h in header)
        {
            Assert.Equal(header[0].Length, h.Length);
            Assert.Equal(pipes, Enumerable.Range(0, h.Length).Where(i => h[i] == '|'));
        }
        string Cell(string line, int c) => line[(pipes[c] + 1)..pipes[c + 1]].Trim();
        Assert.Equal(TableColumns.Groups.Select(c => c.Name), Enumerable.Range(0, pipes.Length - 1).Select(c => Cell(header[0], c)));
        int raW = TableColumns.Groups.ToList().FindIndex(c => c.Name == "ra_w");
        int sigDecW = TableColumns.Groups.ToList().FindIndex(c => c.Name == "sig_dec_w");
        Assert.Equal("double", Cell(header[1], raW));
        Assert.Equal("deg", Cell(header[2], raW));
        Assert.Equal("null", Cell(header[3], raW));
        for (int g = 0; g < data.Count; g++)
        {
            string line = data[g];
            Assert.Equal(header[0].Length, line.Length);
            Assert.All(pipes, p => Assert.Equal(' ', line[p]));     // nothing under a delimiter
            Assert.Equal(o.Groups!.RaW[g], double.Parse(Cell(line, raW), CultureInfo.InvariantCulture));
            Assert.Equal(o.Groups!.Designation(g), Cell(line, TableColumns.Groups.ToList().FindIndex(c => c.Name == "designation")));
        }
        Assert.Equal("null", Cell(data[1], sigDecW));
    }

    [Fact]
    public void IpacMembersWriteNullForAbsentFlagsAndNaN()
    {
        var (tmp, _) = Written();
        using var __ = tmp;
        Assert.Null(Exporter.Export(tmp["out"], "members", "IPAC", tmp["m.tbl"]));
        string[] lines = File.ReadAllLines(tmp["m.tbl"]).Where(l => !l.StartsWith('\\')).ToArray();
        int[] pipes = Enumerable.Range(0, lines[0].Length).Where(i => lines[0][i] == '|').ToArray();
        int kMag = TableColumns.Members.ToList().FindIndex(c => c.Name == "k_mag");
        string row11 = lines.Skip(4).Single(l => l[(pipes[1] + 1)..pipes[2]].Trim() == "11");
        Assert.Equal("null", row11[(pipes[kMag] + 1)..pipes[kMag + 1]].Trim());
        Assert.Equal("char", lines[1][(pipes[12] + 1)..pipes[13]].Trim());   // j_ph_qual
    }

    [Fact]
    public void ExportErrorsAreValuesAndExportReplacesFilesAtomically()
    {
        var (tmp, _) = Written();
        using var __ = tmp;
        Assert.Contains("unknown table", Exporter.Export(tmp["out"], "stars", "csv", tmp["a.csv"])!.Message);
        Assert.Contains("unknown export format", Exporter.Export(tmp["out"], "groups", "fits", tmp["a.csv"])!.Message);
        Assert.Contains("not a wdb output", Exporter.Export(tmp["nowhere"], "groups", "csv", tmp["a.csv"])!.Message);
        Directory.CreateDirectory(tmp["folder"]);
        Assert.Equal($"--out {tmp["folder"]} is a directory: name a file (in it, or elsewhere)", Exporter.Export(tmp["out"], "groups", "csv", tmp["folder"])?.Message);
        Assert.Empty(Directory.GetFileSystemEntries(tmp["folder"]));
        Assert.Equal("--out is empty: name a file, or - for standard output (csv and ipac)", Exporter.Export(tmp["out"], "groups", "csv", "")!.Message);
        File.WriteAllText(tmp["file"], "x");
        Assert.NotNull(Exporter.Export(tmp["out"], "groups", "csv", tmp["file/a.csv"]));

        File.WriteAllText(tmp["g.csv"], "stale");
        Assert.Null(Exporter.Export(tmp["out"], "groups", "csv", tmp["g.csv"]));
        Assert.StartsWith("gcntr,", File.ReadAllText(tmp["g.csv"]));
        Assert.Empty(Directory.GetFiles(tmp.Path, "g.csv.tmp-*"));
        Assert.False(File.Exists(tmp["a.csv"]));
    }

    /// <summary>
    /// An --out that is one of the merge output's own files, by any name (through a link to its directory, with a "."), is
    /// refused before anything is written, and the file is left as it was; another file in that directory is written.
    /// </summary>
    [Fact]
    public void An_export_over_a_file_of_the_merge_it_reads_is_refused()
    {
        var (tmp, _) = Written();
        using var __ = tmp;
        string dir = tmp["out"], link = tmp["link"];
        Directory.CreateSymbolicLink(link, dir);
        foreach (string name in OutputWriter.FileNames.Append("summary.json"))
        {
            byte[] before = File.ReadAllBytes(Path.Combine(dir, name));
            foreach (var (read, over) in new[] { (dir, Path.Combine(dir, name)), (link, Path.Combine(dir, name)), (dir, Path.Combine(link, ".", name)) })
                Assert.Equal($"--out {over} is {name} of the merge output '{read}' being read: choose another path",
                    Exporter.Export(read, "members", "csv", over)?.Message);
            Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir, name)));
        }
        Assert.Empty(Directory.GetFiles(dir, "*.tmp-*"));
        Assert.Null(Exporter.Export(link, "groups", "csv", Path.Combine(dir, "groups.csv")));
        Assert.StartsWith("gcntr,", File.ReadAllText(Path.Combine(dir, "groups.csv")));
    }

    /// <summary>
    /// An --out that is a link to a file (`latest.csv -&gt; runs/7/groups.csv`) is written through, as the merge writes
    /// through a link to its output: the file it names gets the table and the link stays a link (it was replaced by a
    /// plain file). A dangling link's target is where the file goes; a loop of links is one line.
    /// </summary>
    [Fact]
    public void An_export_to_a_link_writes_the_file_it_names()
    {
        var (tmp, _) = Written();
        using var __ = tmp;
        Directory.CreateDirectory(tmp["runs/7"]);
        File.WriteAllText(tmp["runs/7/groups.csv"], "old");
        File.CreateSymbolicLink(tmp["latest.csv"], "runs/7/groups.csv");
        File.CreateSymbolicLink(tmp["chain.csv"], "latest.csv");
        foreach (string over in new[] { tmp["latest.csv"], tmp["chain.csv"] })
        {
            File.WriteAllText(tmp["runs/7/groups.csv"], "old");
            Assert.Null(Exporter.Export(tmp["out"], "groups", "csv", over));
            Assert.StartsWith("gcntr,", File.ReadAllText(tmp["runs/7/groups.csv"]));
            Assert.Equal("runs/7/groups.csv", new FileInfo(tmp["latest.csv"]).LinkTarget);
            Assert.Equal("latest.csv", new FileInfo(tmp["chain.csv"]).LinkTarget);
        }
        File.CreateSymbolicLink(tmp["next.csv"], "runs/8.csv");
        Assert.Null(Exporter.Export(tmp["out"], "groups", "csv", tmp["next.csv"]));
        Assert.StartsWith("gcntr,", File.ReadAllText(tmp["runs/8.csv"]));
        Assert.Equal("runs/8.csv", new FileInfo(tmp["next.csv"]).LinkTarget);
        File.CreateSymbolicLink(tmp["loop-a.csv"], "loop-b.csv");
        File.CreateSymbolicLink(tmp["loop-b.csv"], "loop-a.csv");
        Assert.StartsWith($"cannot write '{tmp["loop-a.csv"]}'", Exporter.Export(tmp["out"], "groups", "csv", tmp["loop-a.csv"])?.Message);
        Assert.Empty(Directory.GetFiles(tmp.Path, "*.tmp-*", SearchOption.AllDirectories));
    }

    /// <summary>
    /// An --out that names a file the merge read (an input, a --not-in or --associate catalogue, as summary.json records
    /// it), by its path, through a link or by a hard link, is refused and the file left as it was: the export replaced
    /// the raw extractions the merge came from. A file of the same name elsewhere, and standard input, are not inputs.
    /// </summary>
    [Fact]
    public void An_export_over_a_file_the_merge_read_is_refused()
    {
        var (tmp, _) = Written();
        using var __ = tmp;
        string dir = tmp["out"];
        File.WriteAllText(tmp["survey.csv"], "cntr,ra,dec\n1,10,20\n");
        File.WriteAllText(tmp["psc.csv"], "ra,dec\n10,20\n");
        File.WriteAllText(tmp["gaia.csv"], "ra,dec\n10,20\n");
        File.CreateSymbolicLink(tmp["survey-link.csv"], tmp["survey.csv"]);
        using (var ln = System.Diagnostics.Process.Start("ln", [tmp["psc.csv"], tmp["psc-hard.csv"]])) ln.WaitForExit();
        Assert.True(File.Exists(tmp["psc-hard.csv"]));
        var summary = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))!.AsObject();
        summary["inputs"] = new System.Text.Json.Nodes.JsonArray(Entry("-"), Entry(tmp["survey.csv"]));
        summary["not_in"] = new System.Text.Json.Nodes.JsonArray(Entry(tmp["psc.csv"]));
        summary["associate"] = new System.Text.Json.Nodes.JsonArray(Entry(tmp["gaia.csv"]));
        File.WriteAllText(Path.Combine(dir, "summary.json"), summary.ToJsonString());
        foreach (var (over, recorded) in new[]
                 {
                     (tmp["survey.csv"], tmp["survey.csv"]), (tmp["survey-link.csv"], tmp["survey.csv"]),
                     (tmp["psc-hard.csv"], tmp["psc.csv"]), (tmp["gaia.csv"], tmp["gaia.csv"]),
                 })
        {
            byte[] before = File.ReadAllBytes(over);
            Assert.Equal($"--out {over} is {recorded}, which the merge '{dir}' read (its summary.json lists it): choose another path",
                Exporter.Export(dir, "groups", "parquet", over)?.Message);
            Assert.Equal(before, File.ReadAllBytes(over));
        }
        Directory.CreateDirectory(tmp["elsewhere"]);
        File.WriteAllText(tmp["elsewhere/survey.csv"], "old");
        Assert.Null(Exporter.Export(dir, "groups", "csv", tmp["elsewhere/survey.csv"]));
        Assert.StartsWith("gcntr,", File.ReadAllText(tmp["elsewhere/survey.csv"]));
        Assert.Empty(Directory.GetFiles(tmp.Path, "*.tmp-*"));

        static System.Text.Json.Nodes.JsonObject Entry(string path) => new() { ["path"] = path, ["checksum"] = "xxh128:00" };
    }

    /// <summary>
    /// Directory links in the middle of --out, or of the merge's path: a link to the output, a link to a parent of it, and
    /// one whose relative target goes up through another link (`z -&gt; r/../../../../out`, r a link two levels down: the
    /// system takes each `..` from where r leads, not from the link's name). Each is refused, the file left as it was.
    /// </summary>
    [Fact]
    public void An_export_over_a_file_of_the_merge_through_links_in_the_middle_is_refused()
    {
        var (tmp, _) = Written();
        using var __ = tmp;
        string dir = tmp["out"];
        Directory.CreateSymbolicLink(tmp["alias"], "out");
        Directory.CreateDirectory(tmp["sub"]);
        Directory.CreateSymbolicLink(tmp["sub/up"], "..");
        Directory.CreateDirectory(tmp["x/y/deep/er"]);
        Directory.CreateSymbolicLink(tmp["x/y/r"], "deep/er");
        Directory.CreateSymbolicLink(tmp["x/y/z"], "r/../../../../out");
        byte[] before = File.ReadAllBytes(Path.Combine(dir, "groups.fb"));
        foreach (var (read, over) in new[]
                 {
                     (dir, tmp["alias/groups.fb"]), (dir, tmp["sub/up/out/groups.fb"]), (dir, tmp["x/y/z/groups.fb"]),
                     (tmp["x/y/z"], Path.Combine(dir, "groups.fb")), (tmp["sub/up/alias"], tmp["x/y/z/groups.fb"]),
                 })
            Assert.Equal($"--out {over} is groups.fb of the merge output '{read}' being read: choose another path",
                Exporter.Export(read, "members", "csv", over)?.Message);
        // A cycle of links is no place to write to: the writer's error, not an endless walk.
        Directory.CreateSymbolicLink(tmp["loop1"], "loop2");
        Directory.CreateSymbolicLink(tmp["loop2"], "loop1");
        Assert.StartsWith($"cannot write '{tmp["loop1/groups.fb"]}'", Exporter.Export(dir, "members", "csv", tmp["loop1/groups.fb"])?.Message);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir, "groups.fb")));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp-*"));
    }

    /// <summary>
    /// `--out -` writes csv and ipac to standard output, the bytes the file would hold (a region's rows go the same way); Parquet
    /// asks for a file (one line, exit 2), and no file named "-" is left anywhere.
    /// </summary>
    [Fact]
    public void An_export_to_dash_goes_to_standard_output()
    {
        var (tmp, _) = Written();
        using var __ = tmp;
        foreach (string format in new[] { "csv", "ipac" })
        {
            string file = tmp[$"t.{format}"];
            var toFile = WdbProcess.Run("export", tmp["out"], "--table", "members", "--format", format, "--out", file);
            Assert.True(toFile.Exit == 0, toFile.Stderr);
            var toStdout = WdbProcess.Run("export", tmp["out"], "--table", "members", "--format", format, "--out", "-");
            Assert.True(toStdout.Exit == 0, toStdout.Stderr);
            Assert.Equal(File.ReadAllText(file), toStdout.Stdout);
            Assert.Contains("\n", toStdout.Stdout.TrimEnd());   // a header and rows
        }
        var parquet = WdbProcess.Run("export", tmp["out"], "--table", "groups", "--format", "parquet", "--out", "-");
        Assert.Equal(2, parquet.Exit);
        Assert.Equal("", parquet.Stdout);
        Assert.Single(parquet.Stderr.TrimEnd().Split('\n'));
        Assert.Contains("Parquet is written to a file", parquet.Stderr);
        Assert.False(File.Exists(Path.Combine(Environment.CurrentDirectory, "-")));
    }

    /// <summary>
    /// Standard output a pipe whose reader has gone (`| head -1` once it has its line): the export, a cone and a light
    /// curve stop at the first failed write with one line and exit 3 (an output that cannot be written). Before, .NET's console stream dropped the writes:
    /// the whole table went nowhere and the exit code was 0, so `set -o pipefail` could not tell.
    /// </summary>
    [Fact]
    public void A_standard_output_whose_reader_has_gone_is_one_line_and_exit_3()
    {
        var (tmp, _) = Written();
        using var __ = tmp;
        string[][] verbs =
        [
            ["export", tmp["out"], "--table", "members", "--format", "ipac", "--out", "-"],
            ["cone", tmp["out"], "--ra", "0", "--dec", "0", "--radius", "3600"],
            ["members", tmp["out"], "10"],
        ];
        foreach (var args in verbs)
        {
            var run = WdbProcess.RunWithStdoutUnread(args);
            Assert.True(run.Exit == 3, $"{args[0]}: exit {run.Exit}: {run.Stderr}");
            Assert.Equal($"wdb {args[0]}: cannot write to standard output: Broken pipe", run.Stderr.Trim());
        }
    }

    /// <summary>
    /// An --out that is a stream, not a file: a FIFO, which `cat` reads, and an anonymous pipe named by its /proc/self/fd
    /// path (what `&gt;(gzip &gt; g.gz)` passes). Each gets the bytes the file export holds, Parquet too, and the FIFO is
    /// still a FIFO. Before, the temporary sibling was renamed over the FIFO (as root over /dev/null itself, had the user
    /// named it), and the descriptor's sibling could not be made in /proc.
    /// </summary>
    [Fact]
    public async Task An_export_to_a_fifo_or_a_descriptor_is_written_into_it()
    {
        if (!OperatingSystem.IsLinux()) return;   // mkfifo and /proc/self/fd
        var (tmp, _) = Written();
        using var __ = tmp;
        string fifo = tmp["fifo"];
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        foreach (string format in new[] { "csv", "ipac", "parquet" })
        {
            Assert.Null(Exporter.Export(tmp["out"], "groups", format, tmp["file." + format]));
            byte[] expected = File.ReadAllBytes(tmp["file." + format]);

            using var cat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sh")
            {
                ArgumentList = { "-c", "exec cat \"$1\" > \"$2\"", "sh", fifo, tmp["read." + format] },
            })!;
            Assert.Null(Exporter.Export(tmp["out"], "groups", format, fifo));
            bool done = cat.WaitForExit(20_000);
            if (!done) cat.Kill(entireProcessTree: true);
            Assert.True(done, $"{format}: the reader of the FIFO never saw a writer");
            Assert.Equal(expected, File.ReadAllBytes(tmp["read." + format]));
            Assert.True(AtomicFile.IsStream(fifo), $"{format}: the FIFO was replaced");

            using var pipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.In);
            string descriptor = $"/proc/self/fd/{pipe.ClientSafePipeHandle.DangerousGetHandle()}";
            var read = Task.Run(() =>
            {
                using var all = new MemoryStream();
                pipe.CopyTo(all);
                return all.ToArray();
            });
            var error = Exporter.Export(tmp["out"], "groups", format, descriptor);
            pipe.DisposeLocalCopyOfClientHandle();   // the export's own descriptor is closed: the reader sees the end
            Assert.Null(error);
            Assert.Equal(expected, await read);
        }
        // A descriptor of a plain file (`--out /dev/stdout > g.csv`), named relatively: written into that file, not renamed over in /proc.
        using (var held = new FileStream(tmp["held.csv"], FileMode.Create, FileAccess.ReadWrite))
        {
            string relative = Path.GetRelativePath(Environment.CurrentDirectory, $"/proc/self/fd/{held.SafeFileHandle.DangerousGetHandle()}");
            Assert.Null(Exporter.Export(tmp["out"], "groups", "csv", relative));
        }
        Assert.Equal(File.ReadAllBytes(tmp["file.csv"]), File.ReadAllBytes(tmp["held.csv"]));
        Assert.Empty(Directory.GetFiles(tmp.Path, "*.tmp-*"));
    }

    /// <summary>
    /// An index whose size agrees with its table but whose chunks do not lie end to end (a damaged .idx): the line names
    /// the index, not the table with its size twice ("666360 bytes, its index describes 666360", as it was).
    /// </summary>
    [Fact]
    public void A_damaged_index_whose_size_agrees_is_named_as_the_damaged_file()
    {
        var (tmp, _) = Written();
        using var __ = tmp;
        string idx = tmp["out/groups.idx"];
        var chunks = ChunkList.Decode(File.ReadAllBytes(idx))!;
        chunks.Offset[0] += 8;
        File.WriteAllBytes(idx, chunks.Encode(new Google.FlatBuffers.FlatBufferBuilder(1024)).ToArray());
        long size = new FileInfo(tmp["out/groups.fb"]).Length;
        Assert.Equal($"{idx}: its chunks do not lie end to end over the {size} bytes of groups.fb (a damaged index)",
            Exporter.Export(tmp["out"], "groups", "csv", tmp["g.csv"])?.Message);
        Assert.False(File.Exists(tmp["g.csv"]));
    }

    /// <summary>A directory that is not there: the message names the --out given, not the temporary sibling the system was asked for.</summary>
    [Fact]
    public void An_export_into_a_missing_directory_names_the_out_given()
    {
        var (tmp, _) = Written();
        using var __ = tmp;
        string target = tmp["nowhere/g.csv"];
        var error = Exporter.Export(tmp["out"], "groups", "csv", target)?.Message;
        Assert.NotNull(error);
        Assert.StartsWith($"cannot write '{target}': ", error);
        Assert.DoesNotContain(".tmp-", error);
        Assert.False(Directory.Exists(tmp["nowhere"]));
    }

    /// <summary>
    /// A region's export is the whole table's rows for the groups within the cone, computed here by brute force from the
    /// whole groups export: the same lines, in the same order, for each table; its Parquet file holds as many rows.
    /// </summary>
    [Fact]
    public async Task A_region_exports_the_whole_table_s_rows_of_its_groups()
    {
        using var tmp = new TempDir();
        var sky = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 3000, 17, CenterRaDeg: 0.1, CenterDecDeg: -20));
        string input = tmp["field.csv"], dir = tmp["merged"];
        TableTextWriter.Write(sky, input);
        Assert.Null(MergeJob.Run(new MergeOptions { Inputs = [input], OutDir = dir, Device = "cpu" }).Error);
        var whole = new Dictionary<string, string[]>();
        foreach (string table in new[] { "groups", "members", "extractions" })
        {
            Assert.Null(Exporter.Export(dir, table, "csv", tmp[table + ".csv"]));
            whole[table] = File.ReadAllLines(tmp[table + ".csv"]);
        }
        // Across RA 0/360: the centre at 359.95, the radius 6'.
        var region = new SkyRegion(359.95, -20.02, 360);
        var groups = ReadCsv(tmp["groups.csv"]);
        var inside = groups.Where(g => Sky.SeparationArcsec(region.RaDeg, region.DecDeg, D(g["ra_w"]), D(g["dec_w"])) <= region.RadiusArcsec)
            .Select(g => g["gcntr"]).ToHashSet();
        Assert.InRange(inside.Count, 50, groups.Count - 50);
        foreach (var (table, gcntrColumn) in new[] { ("groups", 0), ("members", 0), ("extractions", 2) })
        {
            Assert.Null(Exporter.Export(dir, table, "csv", tmp[table + "-region.csv"], region));
            var lines = File.ReadAllLines(tmp[table + "-region.csv"]);
            var expected = whole[table].Skip(1).Where(l => inside.Contains(SplitCsv(l)[gcntrColumn])).ToList();
            Assert.Equal(whole[table][0], lines[0]);
            Assert.Equal(expected, lines.Skip(1));
            Assert.NotEmpty(expected);
        }
        Assert.Null(Exporter.Export(dir, "members", "parquet", tmp["members-region.parquet"], region));
        long parquetRows = 0;
        await using (var parquet = await Parquet.ParquetReader.CreateAsync(tmp["members-region.parquet"], cancellationToken: TestContext.Current.CancellationToken))
            for (int g = 0; g < parquet.RowGroupCount; g++)
                using (var group = parquet.OpenRowGroupReader(g)) parquetRows += group.RowCount;
        Assert.Equal(File.ReadAllLines(tmp["members-region.csv"]).Length - 1, parquetRows);

        var bad = Exporter.Export(dir, "groups", "csv", tmp["no.csv"], new SkyRegion(10, 95, 10));
        Assert.Contains("a region needs", bad!.Message);
        Assert.False(File.Exists(tmp["no.csv"]));
    }
}

public class ColumnDocsTests
{
    [Fact]
    public void ColumnsMarkdownIsUpToDate()
    {
        string? root = null;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null && root is null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "schema", "wdb.fbs"))) root = d.FullName;
        Assert.NotNull(root);
        string path = Path.Combine(root!, "src", "Wdb.IO", "Export", "COLUMNS.md");
        string expected = TableColumns.Markdown();
        if (Environment.GetEnvironmentVariable("WDB_UPDATE_DOCS") == "1") File.WriteAllText(path, expected);
        Assert.True(File.Exists(path) && File.ReadAllText(path) == expected,
            "src/Wdb.IO/Export/COLUMNS.md is out of date: run the Output tests with WDB_UPDATE_DOCS=1");
        Assert.Equal(TableColumns.Groups.Count, TableColumns.Groups.Select(c => c.Name).Distinct().Count());
        Assert.Equal(TableColumns.Members.Count, TableColumns.Members.Select(c => c.Name).Distinct().Count());
    }
}
