using Wdb.Core;
using Wdb.IO;

namespace Wdb.Tests.Output;

public class AtomicWriteTests
{
    private static double RaOfFirstGroup(string dir)
    {
        using var reader = OutputReader.Open(dir);
        return reader.Groups().First().RaW;
    }

    private static string[] Siblings(TempDir tmp) =>
        Directory.GetFileSystemEntries(tmp.Path).Select(Path.GetFileName).Order().ToArray()!;

    [Fact]
    public void WritingOverAnOutputReplacesItWithACompleteNewOne()
    {
        using var tmp = new TempDir();
        var first = Synthetic.Make(salt: 0);
        var second = Synthetic.Make(salt: 1);
        Assert.Null(OutputWriter.Write(tmp["out"], first, 2));
        // A file the old output holds that wdb did not write would go with it: the output is not replaced, nor touched.
        File.WriteAllText(tmp["out/notes.txt"], "mine");
        Assert.Contains("holds files wdb did not write (notes.txt): not replacing it", OutputWriter.Write(tmp["out"], second, 3)?.Message);
        Assert.Equal(first.Groups!.RaW[0], RaOfFirstGroup(tmp["out"]));
        Assert.Equal("mine", File.ReadAllText(tmp["out/notes.txt"]));
        File.Delete(tmp["out/notes.txt"]);

        Assert.Null(OutputWriter.Write(tmp["out"], second, 3));
        Assert.Equal(second.Groups!.RaW[0], RaOfFirstGroup(tmp["out"]));
        using (var reader = OutputReader.Open(tmp["out"]))
            Assert.Equal(Synthetic.ExpectedMembers(second), reader.Members().ToList());
        Assert.Equal(["out"], Siblings(tmp));                            // old copy and temp dir gone
    }

    /// <summary>
    /// An output named through a link whose relative target goes up through another link (`z -&gt; r/../../out`, r two
    /// levels down) is written where the system finds it, not where the link's text would put it.
    /// </summary>
    [Fact]
    public void AnOutputNamedThroughALinkIsWrittenWhereTheLinkLeads()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp["a/b/deep/er"]);
        Directory.CreateSymbolicLink(tmp["a/b/r"], "deep/er");
        Directory.CreateSymbolicLink(tmp["a/b/z"], "r/../../out");
        Assert.Null(OutputWriter.Write(tmp["a/b/out"], Synthetic.Make(salt: 0)));
        var second = Synthetic.Make(salt: 1);
        Assert.Null(OutputWriter.Write(tmp["a/b/z"], second));
        Assert.Equal(second.Groups!.RaW[0], RaOfFirstGroup(tmp["a/b/out"]));
        Assert.Equal("r/../../out", new DirectoryInfo(tmp["a/b/z"]).LinkTarget);
        Assert.False(Directory.Exists(tmp["a/out"]));
        Assert.Equal(["deep", "out", "r", "z"], Directory.GetFileSystemEntries(tmp["a/b"]).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void TrailingSeparatorNamesTheSameDirectory()
    {
        using var tmp = new TempDir();
        Assert.Null(OutputWriter.Write(tmp["out"] + Path.DirectorySeparatorChar, Synthetic.Make()));
        Assert.Null(OutputWriter.Write(tmp["out"], Synthetic.Make(salt: 2)));
        Assert.Equal(["out"], Siblings(tmp));
    }

    [Fact]
    public void TheParentIsWhereTheTemporarySiblingGoes()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp["a/b"]);
        Assert.Equal(Path.GetFullPath(tmp["a"]), OutputWriter.ParentOf(tmp["a/b"]));
        Assert.Equal(Path.GetFullPath(tmp["a"]), OutputWriter.ParentOf(tmp["a/b"] + Path.DirectorySeparatorChar));
        Assert.Equal(Path.GetFullPath(tmp.Path), OutputWriter.ParentOf(tmp["a/../out"]));
        // A root has no parent: TargetOf refuses it, and asking for its parent anyway is a bug.
        Assert.Throws<ArgumentException>(() => OutputWriter.ParentOf(Path.GetPathRoot(tmp.Path)!));
    }

    private sealed class Exploding
    {
        public int Value => throw new InvalidOperationException("simulated crash while writing the summary");
    }

    [Fact]
    public void AFailedWriteLeavesThePreviousOutputIntact()
    {
        using var tmp = new TempDir();
        var good = Synthetic.Make(salt: 0);
        Assert.Null(OutputWriter.Write(tmp["out"], good));
        var bad = Synthetic.Make(salt: 1);
        bad.Summary.Parameters["boom"] = new Exploding();   // fails after every table was written

        Assert.ThrowsAny<Exception>(() => OutputWriter.Write(tmp["out"], bad));
        Assert.Equal(good.Groups!.RaW[0], RaOfFirstGroup(tmp["out"]));
        Assert.Equal(["out"], Siblings(tmp));
    }

    [Fact]
    public void LeftoversOfCrashedRunsAreRemoved()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp["out.tmp-0123456789ab"]);
        File.WriteAllText(tmp["out.tmp-0123456789ab/groups.fb"], "half written");
        Directory.CreateDirectory(tmp["out.old-ba9876543210"]);
        Directory.CreateDirectory(tmp["outer"]);                        // an unrelated sibling stays
        Assert.Null(OutputWriter.Write(tmp["out"], Synthetic.Make()));
        Assert.Equal(["out", "outer"], Siblings(tmp));
    }

    [Fact]
    public void ARunThatDiedBetweenRenamesGetsItsOldOutputBack()
    {
        // The non-Linux fallback renames out -> out.old-*, then tmp -> out. Should a run die
        // in between, the next run first restores out.old-* as out.
        using var tmp = new TempDir();
        var good = Synthetic.Make(salt: 0);
        Assert.Null(OutputWriter.Write(tmp["out"], good));
        Directory.Move(tmp["out"], tmp["out.old-00aa11bb22cc"]);
        var bad = Synthetic.Make(salt: 1);
        bad.Summary.Parameters["boom"] = new Exploding();
        Assert.ThrowsAny<Exception>(() => OutputWriter.Write(tmp["out"], bad));
        Assert.Equal(good.Groups!.RaW[0], RaOfFirstGroup(tmp["out"]));
        Assert.Equal(["out"], Siblings(tmp));
    }

    /// <summary>
    /// A signal between the swap and the old output's deletion (its handler deletes what <see cref="TemporaryPaths"/>
    /// holds): the old output, beside the new one under a temporary name, must be held there until it is deleted, or it
    /// is left beside --out, part-deleted.
    /// </summary>
    [Theory]
    [InlineData(true)]    // renameat2's exchange, where the file system has it
    [InlineData(false)]   // the fallback's two renames
    public void Between_the_swap_and_its_deletion_the_old_output_is_a_temporary_path(bool exchange)
    {
        using var tmp = new TempDir();
        var (target, fresh) = OldOutputAndNew(tmp);
        var beside = new List<(string Path, string Holds, bool Live)>();
        AtomicDirectory.Publish(fresh, target, swapped: () =>
        {
            foreach (string e in Directory.GetFileSystemEntries(tmp.Path).Where(e => e != target))
                beside.Add((e, File.ReadAllText(Path.Combine(e, "groups.fb")), TemporaryPaths.IsLive(e)));
        }, exchange);
        var (old, holds, live) = Assert.Single(beside);
        Assert.Equal("old", holds);
        Assert.True(live, $"{Path.GetFileName(old)} holds the old output and a signal now would leave it");
        Assert.False(TemporaryPaths.IsLive(old));   // deleted, and no longer held
        Assert.Equal(["out"], Siblings(tmp));
        Assert.Equal("new", File.ReadAllText(Path.Combine(target, "groups.fb")));
    }

    /// <summary>An output "out" in <paramref name="tmp"/> whose groups.fb says "old", and its temporary sibling saying "new".</summary>
    private static (string Target, string Fresh) OldOutputAndNew(TempDir tmp)
    {
        string target = Path.GetFullPath(tmp["out"]);
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "groups.fb"), "old");
        string fresh = AtomicDirectory.CreateTemp(target);
        File.WriteAllText(Path.Combine(fresh, "groups.fb"), "new");
        return (target, fresh);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_old_output_that_cannot_be_deleted_after_the_swap_is_a_warning_naming_where_it_was_left(bool exchange)
    {
        using var tmp = new TempDir();
        var (target, fresh) = OldOutputAndNew(tmp);
        // Over NFS, a file of the old output still open elsewhere (a cone search reading it) keeps its directory.
        string? left = AtomicDirectory.Publish(fresh, target, swapped: () => throw new IOException("Directory not empty"), exchange);

        Assert.Equal("new", File.ReadAllText(Path.Combine(target, "groups.fb")));
        Assert.NotNull(left);
        string old = Assert.Single(Siblings(tmp), n => n != "out");
        Assert.Contains($"left in '{Path.Combine(tmp.Path, old)}'", left);
        Assert.Contains("Directory not empty", left);
        Assert.Equal("old", File.ReadAllText(Path.Combine(tmp.Path, old, "groups.fb")));
        Assert.False(TemporaryPaths.IsLive(Path.Combine(tmp.Path, old)));   // left knowingly: a later signal does not chase it

        // The next run into the same output removes it first.
        AtomicDirectory.RemoveStale(target);
        Assert.Equal(["out"], Siblings(tmp));
    }

    [Fact]
    public void UnwritablePathsGiveAnErrorValue()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp["file"], "not a directory");

        // Parent is a regular file (root ignores permissions, so this is the portable case).
        var error = OutputWriter.Write(tmp["file/out"], Synthetic.Make());
        Assert.NotNull(error);
        Assert.Contains("file/out", error!.Message);
        Assert.DoesNotContain('\n', error.Message);

        // The output path itself is a regular file: it stays as it was.
        error = OutputWriter.Write(tmp["file"], Synthetic.Make());
        Assert.NotNull(error);
        Assert.Equal("not a directory", File.ReadAllText(tmp["file"]));
        Assert.Equal(["file"], Siblings(tmp));
    }

    [Fact]
    public void ADirectoryThatIsNotAnOutputIsNeverReplaced()
    {
        using var tmp = new TempDir();
        Directory.CreateDirectory(tmp["mine"]);
        File.WriteAllText(tmp["mine/thesis.tex"], "precious");
        var error = OutputWriter.Write(tmp["mine"], Synthetic.Make());
        Assert.NotNull(error);
        Assert.Contains("not a wdb output directory", error!.Message);
        Assert.Equal("precious", File.ReadAllText(tmp["mine/thesis.tex"]));
        Assert.Equal(["mine"], Siblings(tmp));

        Directory.CreateDirectory(tmp["empty"]);   // an empty directory is fine
        Assert.Null(OutputWriter.Write(tmp["empty"], Synthetic.Make()));
    }

    [Fact]
    public void InconsistentInputsAreBugsNotOutputErrors()
    {
        using var tmp = new TempDir();
        var o = Synthetic.Make();
        o.Groups!.Gcntr[1] = 21;
        Assert.Throws<ArgumentException>(() => OutputWriter.Write(tmp["out"], o));
        Assert.Empty(Siblings(tmp));
    }

    /// <summary>
    /// The three tables are written at once: one that fails (a full disk) while the others are
    /// still writing gives an error value, and leaves neither a temporary directory nor a file
    /// of the new run, whichever table fails, with the tables written at once or one at a time.
    /// </summary>
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    [InlineData(1, 1)]
    public void ATableThatFailsWhileTheOthersAreWrittenLeavesThePreviousOutput(int failing, int threads)
    {
        using var tmp = new TempDir();
        var good = Synthetic.Make(salt: 0);
        Assert.Null(OutputWriter.Write(tmp["out"], good));

        using var together = new Barrier(threads == 1 ? 1 : 3);
        Action<ChunkFileWriter> Table(int t) => file =>
        {
            file.WriteChunks([new FinishedChunk(new byte[5000], 1, 2, 1)]);
            together.SignalAndWait(TimeSpan.FromSeconds(10));   // every table has a file open and written to
            if (t == failing) throw new IOException("No space left on device");
            file.WriteChunks([new FinishedChunk(new byte[7000], 3, 4, 1)]);
        };
        var error = OutputWriter.Publish(tmp["out"], new RunSummary(), [], threads, ChecksumAlgorithm.Xxh128, new OutputWriter.TableWriters(Table(0), Table(1), Table(2)));

        Assert.NotNull(error);
        Assert.Contains("No space left on device", error!.Message);
        Assert.Equal(good.Groups!.RaW[0], RaOfFirstGroup(tmp["out"]));
        Assert.Equal(["out"], Siblings(tmp));
    }
    /// <summary>
    /// A disk that fills up while the output is written: the system's message names the file it failed on, inside the
    /// temporary sibling that is deleted before the user reads it. The error names the file in the output instead.
    /// </summary>
    [Fact]
    public void ADiskFullErrorNamesTheOutputNotItsTemporarySibling()
    {
        using var tmp = new TempDir();
        Assert.Null(OutputWriter.Write(tmp["out"], Synthetic.Make(salt: 0)));
        Action<ChunkFileWriter> table = _ =>
        {
            string sibling = Directory.GetDirectories(tmp.Path, "out.tmp-*").Single();
            // As .NET words ENOSPC from a write of a file it opened by name.
            throw new IOException($"No space left on device : '{Path.Combine(sibling, "members.fb")}'");
        };
        var error = OutputWriter.Publish(tmp["out"], new RunSummary(), [], 1, ChecksumAlgorithm.Xxh128, new OutputWriter.TableWriters(table, table, table));

        Assert.Equal($"cannot write output to '{tmp["out"]}': No space left on device : '{tmp["out/members.fb"]}'", error?.Message);
        Assert.Equal(["out"], Siblings(tmp));
    }
    /// <summary>
    /// A small file of a cluster's work directory (plan.json, an index) on a full disk: the error names the file, not its
    /// partial sibling, and the sibling goes, so that the space is given back. /dev/full stands in for the full disk.
    /// </summary>
    [Fact]
    public void AWholeFileOnAFullDiskNamesTheFileAndLeavesNoSibling()
    {
        if (!File.Exists("/dev/full")) Assert.Skip("needs /dev/full");
        using var tmp = new TempDir();
        string path = tmp["plan.json"];
        File.WriteAllText(path, "the previous plan");
        File.CreateSymbolicLink(path + ".partial", "/dev/full");

        var e = Assert.Throws<IOException>(() => WholeFile.Write(path, file => file.Write(new byte[100])));

        Assert.Contains("No space left on device", e.Message);
        Assert.Contains($"'{path}'", e.Message);
        Assert.DoesNotContain(".partial", e.Message);
        Assert.Equal(["plan.json"], Siblings(tmp));
        Assert.Equal("the previous plan", File.ReadAllText(path));
    }
}
