using System.Runtime.InteropServices;
using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Tests.Readers;

/// <summary>
/// One file named twice among the inputs would be read twice: every row a duplicate cntr of itself, and rejects that
/// cannot say which copy. It is refused before anything is read, however the two arguments spell it.
/// </summary>
public sealed partial class DuplicateInputTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    private const string Table = "cntr,scan_key,ra,dec\n1,1,10,20\n2,2,10.1,20\n";

    [Fact]
    public void The_same_file_listed_twice_is_refused_naming_both_arguments()
    {
        string a = _s.Write("a.csv", Table), b = _s.Write("b.csv", Table);
        Assert.Equal($"{a} is listed twice (arguments 1 and 2)", InputPaths.Problem([a, a]));
        Assert.Equal($"{a} is listed twice (arguments 1 and 3)", InputPaths.Problem([a, b, a]));
        // A copy is another file, however alike.
        Assert.Null(InputPaths.Problem([a, b]));

        // Other spellings of one path, and a link to it.
        string dotted = Path.Combine(_s.Dir, ".", "sub", "..", "a.csv");
        Directory.CreateDirectory(_s.PathOf("sub"));
        string link = _s.PathOf("link.csv");
        File.CreateSymbolicLink(link, a);
        string linkedDir = _s.PathOf("dir-link");
        Directory.CreateSymbolicLink(linkedDir, _s.Dir);
        string throughDir = Path.Combine(linkedDir, "a.csv");
        foreach (string other in new[] { dotted, Path.GetRelativePath(Environment.CurrentDirectory, a), link, throughDir })
            Assert.Equal($"{a} and {other} are the same file (arguments 2 and 3)", InputPaths.Problem([b, a, other]));
    }

    [Fact]
    public void A_hard_link_is_the_same_file()
    {
        if (!OperatingSystem.IsLinux()) return;
        string a = _s.Write("a.csv", Table), hard = _s.PathOf("hard.csv");
        Assert.Equal(0, link(a, hard));
        Assert.Equal($"{a} and {hard} are the same file (arguments 1 and 2)", InputPaths.Problem([a, hard]));
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string existing, string created);

    [Fact]
    public void Merge_and_validate_refuse_it_with_one_line_and_exit_2_before_reading()
    {
        string a = _s.Write("a.csv", Table), outDir = _s.PathOf("out");
        var (exit, _, stderr) = WdbProcess.Run("merge", a, a, "--out", outDir, "--device", "cpu");
        Assert.Equal(MergeJob.InputErrorExit, exit);
        Assert.EndsWith($"{a} is listed twice (arguments 1 and 2)", stderr.Trim());
        Assert.DoesNotContain('\n', stderr.Trim());
        Assert.False(Directory.Exists(outDir));

        var (vexit, _, verr) = WdbProcess.Run("validate", a, a);
        Assert.Equal(MergeJob.InputErrorExit, vexit);
        Assert.Contains($"{a} is listed twice (arguments 1 and 2)", verr);
    }
}
