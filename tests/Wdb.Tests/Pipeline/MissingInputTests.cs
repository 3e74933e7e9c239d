using Wdb.Merge;

namespace Wdb.Tests.Pipeline;

/// <summary>An input that is not there stops the merge before anything is read, however many inputs come before it.</summary>
public sealed class MissingInputTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    private (MergeOutcome Outcome, List<string> Said, string OutDir) Merge(params string[] inputs)
    {
        string outDir = _s.PathOf("out-" + Guid.NewGuid().ToString("N"));
        var said = new List<string>();
        var outcome = MergeJob.Run(new MergeOptions { Inputs = inputs, OutDir = outDir, Device = "cpu", Threads = 1 }, said.Add);
        return (outcome, said, outDir);
    }

    [Fact]
    public void A_missing_last_input_stops_the_run_before_the_first_is_read()
    {
        // A typo in the last of many large inputs used to surface only once every input before it had been read.
        string good = _s.Write("good.csv", "cntr,scan_key,ra,dec\n1,1,10.0,20.0\n");
        string missing = _s.PathOf("no-such.csv");
        var (outcome, said, outDir) = Merge(good, missing);
        Assert.Equal(MergeJob.InputErrorExit, outcome.ExitCode);
        Assert.Equal($"{missing}: cannot open: no such file", outcome.Error);
        Assert.Empty(said);   // no "read good.csv" line: nothing was read
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void An_option_the_verb_lacks_is_said_to_be_none()
    {
        // `wdb merge a.csv --out m --rejects r.csv`: the parser hands the unknown option over as an input path.
        string good = _s.Write("good.csv", "cntr,scan_key,ra,dec\n1,1,10.0,20.0\n");
        var (outcome, said, _) = Merge(good, "--rejects", "r.csv");
        Assert.Equal(MergeJob.InputErrorExit, outcome.ExitCode);
        Assert.Equal("--rejects: cannot open: no such file (nor an option of this command: see --help)", outcome.Error);
        Assert.Empty(said);
    }
}
