using Wdb.IO;

namespace Wdb.Tests.Output;

public class DirectoryTreeTests
{
    [Fact]
    public void Removes_a_nested_tree_and_nothing_a_link_in_it_points_to()
    {
        using var tmp = new TempDir();
        string tree = tmp["tree"], outside = tmp["outside"];
        Directory.CreateDirectory(Path.Combine(tree, "a", "b", "c"));
        Directory.CreateDirectory(Path.Combine(tree, "empty"));
        File.WriteAllText(Path.Combine(tree, "top.txt"), "1");
        File.WriteAllText(Path.Combine(tree, "a", "mid.txt"), "2");
        File.WriteAllText(Path.Combine(tree, "a", "b", "c", "deep.txt"), "3");
        File.WriteAllText(Path.Combine(tree, ".hidden"), "4");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "keep.txt"), "kept");
        // Links to a directory and to a file outside the tree, and one whose target is gone.
        Directory.CreateSymbolicLink(Path.Combine(tree, "a", "dir-link"), outside);
        File.CreateSymbolicLink(Path.Combine(tree, "file-link"), Path.Combine(outside, "keep.txt"));
        File.CreateSymbolicLink(Path.Combine(tree, "dangling"), Path.Combine(outside, "gone"));

        DirectoryTree.Delete(tree);

        Assert.False(Directory.Exists(tree));
        Assert.Equal("kept", File.ReadAllText(Path.Combine(outside, "keep.txt")));
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(outside).Select(e => Path.GetFileName(e)!).ToArray());
    }

    [Fact]
    public void A_missing_directory_is_an_error_as_with_the_runtimes_delete()
    {
        using var tmp = new TempDir();
        Assert.Throws<DirectoryNotFoundException>(() => DirectoryTree.Delete(tmp["nothing-here"]));
        Assert.Throws<DirectoryNotFoundException>(() => Directory.Delete(tmp["nothing-here"], recursive: true));
    }
}
