using System.Globalization;
using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Tests.Output;

/// <summary>
/// Where `wdb plot` may write, against `wdb export`: a missing parent is refused in the same one line (neither makes
/// directories), a write error names the user's --out and never the temporary sibling, and a second run to an --out
/// another run holds is refused with exit 3, as a merge is. Each failure leaves nothing behind.
/// </summary>
public sealed class PlotOutputTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    /// <summary>A small merge output and the gcntr of one of its groups.</summary>
    private (string Dir, string Gcntr) Merged()
    {
        var sky = SyntheticSky.Generate(new GeneratorOptions(SkyKind.Survey, 600, 9));
        string input = _s.PathOf("field.csv"), outDir = _s.PathOf("merged");
        TableTextWriter.Write(sky, input);
        Assert.Null(MergeJob.Run(new MergeOptions { Inputs = [input], OutDir = outDir, Device = "cpu" }).Error);
        using var reader = OutputReader.Open(outDir);
        return (outDir, reader.Groups().First().Gcntr.ToString(CultureInfo.InvariantCulture));
    }

    private string[] Entries() => [.. Directory.GetFileSystemEntries(_s.Dir).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Fact]
    public void A_plot_into_a_missing_directory_is_refused_in_the_line_an_export_gets()
    {
        var (dir, gcntr) = Merged();
        string file = _s.Write("a-file", "mine");
        var before = Entries();

        foreach (var (parent, why) in new[]
        {
            (_s.PathOf("no/such"), $"its directory '{_s.PathOf("no/such")}' does not exist: make it first, or choose another path"),
            (file, $"'{file}' is a file, not a directory"),
        })
        {
            string plots = Path.Combine(parent, "plots"), table = Path.Combine(parent, "groups.csv");
            var plot = WdbProcess.Run("plot", dir, "--gcntr", gcntr, "--out", plots);
            Assert.Equal(3, plot.Exit);   // an output that cannot be written, as merge's
            Assert.Equal($"wdb plot: cannot write '{plots}': {why}", plot.Stderr.TrimEnd());
            var export = WdbProcess.Run("export", dir, "--table", "groups", "--out", table);
            Assert.Equal(3, export.Exit);
            Assert.Equal($"wdb export: cannot write '{table}': {why}", export.Stderr.TrimEnd());
            Assert.Equal(before, Entries());
            Assert.Equal("mine", File.ReadAllText(file));
        }

        // A relative --out is named as given; with a trailing slash, its parent is still the one above it.
        string missing = $"wdb-test-missing-{Guid.NewGuid():N}";
        Assert.Equal($"cannot write '{missing}/y/plots/': its directory '{missing}/y' does not exist: make it first, or choose another path",
            PlotWriter.OutProblem($"{missing}/y/plots/")?.Message);
        Assert.False(Directory.Exists(missing));
    }

    /// <summary>
    /// An --out in /proc, where no directory can be made, as root too, fails where the temporary sibling is made: the
    /// surest way to a write error here. (A 250-byte name was, until siblings of long names were cut to fit NAME_MAX.)
    /// </summary>
    [Fact]
    public void A_plot_write_error_names_the_users_out_not_the_temporary_directory()
    {
        if (!Directory.Exists("/proc/self")) Assert.Skip("no /proc (Linux only)");
        var (dir, gcntr) = Merged();
        var before = Entries();
        string plots = $"/proc/wdb-plots-{Guid.NewGuid():N}";

        var run = WdbProcess.Run("plot", dir, "--gcntr", gcntr, "--out", plots);
        Assert.DoesNotContain(".tmp-", run.Stderr);
        Assert.Equal(3, run.Exit);
        Assert.Single(run.Stderr.TrimEnd().Split('\n'));
        Assert.Matches($"^wdb plot: cannot write (output|plots) to '{System.Text.RegularExpressions.Regex.Escape(plots)}': ", run.Stderr);
        Assert.Equal(before, Entries());

        // The publish itself, as the claim did not stop it: its error names the plots' directory too.
        GroupPlotFiles files;
        using (var reader = OutputReader.Open(dir)) files = PlotWriter.Render(reader.Groups().First(), [], dir);
        var error = PlotWriter.Publish(plots, files);
        Assert.NotNull(error);
        Assert.DoesNotContain(".tmp-", error!.Message);
        Assert.StartsWith($"cannot write plots to '{plots}': ", error.Message);
        Assert.Contains($"'{plots}'", error.Message[$"cannot write plots to '{plots}': ".Length..]);
        Assert.Equal(before, Entries());
    }

    [Fact]
    public void A_plot_into_a_directory_another_run_is_writing_is_refused_with_exit_3()
    {
        if (!DirectoryLock.Tells) Assert.Skip("flock(2) locks tell a live run's directory only on Linux");
        var (dir, gcntr) = Merged();
        string plots = _s.PathOf("plots"), live = plots + ".tmp-live00000000";
        Directory.CreateDirectory(live);
        File.WriteAllText(Path.Combine(live, "index.html"), "being written");
        using (DirectoryLock.Take(live)!)
        {
            var busy = WdbProcess.Run("plot", dir, "--gcntr", gcntr, "--out", plots);
            Assert.Equal(3, busy.Exit);
            Assert.Equal($"wdb plot: another wdb run is writing '{plots}' (it holds '{live}'): wait for it or choose another --out", busy.Stderr.TrimEnd());
            Assert.Equal("being written", File.ReadAllText(Path.Combine(live, "index.html")));
            Assert.Equal([Path.GetFileName(live)], Directory.GetFileSystemEntries(_s.Dir, "plots*").Select(Path.GetFileName));
        }
        // Its holder gone (a run killed with -9 holds no lock), it is a leftover: the next run removes it.
        var next = WdbProcess.Run("plot", dir, "--gcntr", gcntr, "--out", plots);
        Assert.True(next.Exit == 0, next.Stderr);
        Assert.Equal(["plots"], Directory.GetFileSystemEntries(_s.Dir, "plots*").Select(Path.GetFileName));
        Assert.Equal(["index.html", "lightcurve.svg", "sky.svg"], Directory.GetFiles(plots).Select(Path.GetFileName).Order());
    }
}
