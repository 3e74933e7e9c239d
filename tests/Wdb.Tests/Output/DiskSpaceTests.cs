using Wdb.IO;

namespace Wdb.Tests.Output;

/// <summary>The free-space look before a run: what it adds up, when it warns, and what it reads from the system.</summary>
public sealed class DiskSpaceTests
{
    private const long G = 1L << 30;
    private static readonly DiskSpace.Space Big = new(1000 * G, 50 * G), Small = new(100 * G, 3 * G);

    [Fact]
    public void Needs_that_fit_give_no_warning()
    {
        var needs = new[] { new DiskSpace.Need("/out", 10 * G, "the outputs"), new DiskSpace.Need("/scratch", 2 * G, "the spill") };
        Assert.Empty(DiskSpace.Shortfalls(needs, d => d == "/out" ? Big : Small));
    }

    [Fact]
    public void A_need_past_the_free_space_is_named_with_both_sizes()
    {
        var needs = new[] { new DiskSpace.Need("/out", 4 * G, "the outputs") };
        var warning = Assert.Single(DiskSpace.Shortfalls(needs, _ => Small));
        Assert.Equal("the outputs (about 4.0 GB in /out) may not fit: 3.0 GB free there", warning);
    }

    [Fact]
    public void Needs_on_one_file_system_add_up_and_others_do_not()
    {
        // 2 + 2 GB on the small file system (seen from two directories) is more than its 3 GB free.
        var needs = new[] { new DiskSpace.Need("/a", 2 * G, "the outputs"), new DiskSpace.Need("/b", 2 * G, "the spill") };
        var warning = Assert.Single(DiskSpace.Shortfalls(needs, _ => Small));
        Assert.Equal("the outputs (about 2.0 GB in /a) and the spill (about 2.0 GB in /b) may not fit: 3.0 GB free there", warning);
        // The same needs on two file systems fit, each on its own.
        Assert.Empty(DiskSpace.Shortfalls(needs, d => d == "/a" ? Small : Small with { TotalBytes = 200 * G }));
    }

    [Fact]
    public void Unknown_space_and_empty_needs_are_not_judged()
    {
        Assert.Empty(DiskSpace.Shortfalls([new DiskSpace.Need("/x", 1000 * G, "the outputs")], _ => null));
        Assert.Empty(DiskSpace.Shortfalls([new DiskSpace.Need("/x", 0, "the outputs")], _ => new DiskSpace.Space(1, 0)));
    }

    [Fact]
    public void The_space_of_a_directory_not_made_yet_is_its_nearest_parents()
    {
        string temp = Path.GetTempPath();
        var here = DiskSpace.Of(temp);
        Assert.NotNull(here);
        Assert.True(here.Value.FreeBytes > 0 && here.Value.TotalBytes >= here.Value.FreeBytes, here.ToString());
        var below = DiskSpace.Of(Path.Combine(temp, $"wdb-not-made-{Guid.NewGuid():N}", "deeper"));
        Assert.Equal(here.Value.TotalBytes, below?.TotalBytes);
    }
}
