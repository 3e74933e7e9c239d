using System.Diagnostics;
using System.Globalization;
using Wdb.IO;

namespace Wdb.Tests.Output;

/// <summary>
/// The claim a run holds on its --out (<see cref="OutputClaim"/>, <see cref="DirectoryLock"/>): its lock is on a regular
/// file opened for writing, what an exclusive lock needs where flock(2) is carried as a byte-range lock (NFS, some FUSE
/// and CIFS mounts), not on the directory, whose read-only descriptor failed there and left the run unguarded. A real
/// run's claim is left alone while it runs and removed as stale once it is killed; of two runs that start in the same
/// instant, one goes on.
/// </summary>
public sealed class OutputClaimTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    private string[] Siblings(string prefix) =>
        [.. Directory.GetFileSystemEntries(_s.Dir, prefix + "*").Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    /// <summary>A descriptor of this process that holds a lock: what it is open on, its open flags, its lock lines.</summary>
    private sealed record LockedDescriptor(string Target, int Flags, string Locks);

    /// <summary>
    /// This process's descriptors open on <paramref name="dir"/> or on something in it that hold a lock, as
    /// /proc/self/fdinfo shows them ("flags:" in octal, a "lock:" line per lock).
    /// </summary>
    private static List<LockedDescriptor> LockedDescriptorsOn(string dir)
    {
        var found = new List<LockedDescriptor>();
        // Entries, not files: a descriptor open on a directory is a link to one.
        foreach (string fd in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is not string target || (target != dir && !target.StartsWith(dir + "/", StringComparison.Ordinal))) continue;
                var info = File.ReadAllLines(Path.Combine("/proc/self/fdinfo", Path.GetFileName(fd)));
                string locks = string.Join("\n", info.Where(l => l.StartsWith("lock:", StringComparison.Ordinal)));
                if (locks.Length == 0) continue;
                int flags = Convert.ToInt32(info.Single(l => l.StartsWith("flags:", StringComparison.Ordinal))["flags:".Length..].Trim(), 8);
                found.Add(new LockedDescriptor(target, flags, locks));
            }
            catch (IOException) { }   // a descriptor another test closed meanwhile
        }
        return found;
    }

    [Fact]
    public void The_lock_is_held_on_a_regular_file_in_the_directory_opened_for_writing()
    {
        if (!DirectoryLock.Tells) Assert.Skip("flock(2) locks tell a live run's directory only on Linux");
        string dir = _s.PathOf("out.tmp-0123456789ab");
        Directory.CreateDirectory(dir);
        using (DirectoryLock.Take(dir)!)
        {
            var held = Assert.Single(LockedDescriptorsOn(dir));
            Assert.Equal(Path.Combine(dir, DirectoryLock.FileName), held.Target);
            Assert.True(File.Exists(held.Target), $"the lock is on '{held.Target}', not a regular file");
            // O_ACCMODE: O_WRONLY (1) or O_RDWR (2), as an exclusive byte-range lock needs; a directory opens O_RDONLY (0).
            Assert.Contains(held.Flags & 3, new[] { 1, 2 });
            Assert.Contains("FLOCK", held.Locks);
            Assert.Contains("WRITE", held.Locks);
            Assert.True(DirectoryLock.IsHeld(dir));
        }
        // The lock's file goes with it: the directory is as its owner left it.
        Assert.Empty(Directory.GetFileSystemEntries(dir));
        Assert.False(DirectoryLock.IsHeld(dir));
    }

    /// <summary>
    /// A stop (SIGTERM, Ctrl-C) removes the claim's directory while the run may be between making it and locking it: the
    /// lock must then fail, not make the directory again, which the exiting process would leave behind with its lock file
    /// (seen as a leftover `out.tmp-*/run.lock` beside a run signalled as it started).
    /// </summary>
    [Fact]
    public void A_lock_on_a_directory_that_is_gone_fails_and_does_not_make_it_again()
    {
        if (!DirectoryLock.Tells) Assert.Skip("the lock's file is made only where locks tell a live run's directory (Linux)");
        string gone = _s.PathOf("out.tmp-0123456789ab");
        Assert.ThrowsAny<IOException>(() => DirectoryLock.Take(gone));
        Assert.False(Directory.Exists(gone));
    }

    [Fact]
    public void A_claim_leaves_nothing_beside_the_output_once_let_go()
    {
        string outDir = _s.PathOf("out");
        using (var claim = OutputClaim.Take(outDir, out var error))
        {
            Assert.Null(error);
            Assert.NotNull(claim);
            Assert.Single(Siblings("out"));
        }
        Assert.Empty(Siblings("out"));
    }

    /// <summary>
    /// A real run, in its own process, holds its claim while it waits for rows on standard input: another run's stale
    /// removal leaves it, and another run to its --out is refused. Killed with SIGKILL, it leaves its claim and the lock
    /// file in it, unlocked; the next run's stale removal takes both.
    /// </summary>
    [Fact]
    public void A_killed_runs_claim_is_removed_as_stale_and_a_live_runs_is_not()
    {
        if (!DirectoryLock.Tells) Assert.Skip("flock(2) locks tell a live run's directory only on Linux");
        string outDir = _s.PathOf("out");
        using var run = WdbProcess.StartReading("merge", "-", "--out", outDir, "--device", "cpu", "--quiet");
        string claim = WaitForHeldClaim(run, outDir);

        AtomicDirectory.RemoveStale(outDir);
        Assert.True(DirectoryLock.IsHeld(claim));
        Assert.Null(OutputClaim.Take(outDir, out var busy));
        Assert.True(busy!.Busy, busy.Message);
        Assert.Contains($"(it holds '{claim}')", busy.Message);
        Assert.Equal([Path.GetFileName(claim)], Siblings("out"));

        run.Kill(entireProcessTree: true);
        run.WaitForExit();
        Assert.Equal([DirectoryLock.FileName], Directory.GetFileSystemEntries(claim).Select(Path.GetFileName));
        Assert.False(DirectoryLock.IsHeld(claim));
        AtomicDirectory.RemoveStale(outDir);
        Assert.Empty(Siblings("out"));
    }

    /// <summary>
    /// The claim <paramref name="run"/> holds on <paramref name="outDir"/>, once it holds it and has looked for rivals. A run
    /// holds its claim a moment before it looks; a claim made in that moment is a rival starting with it, and one of the two
    /// yields (the one whose name sorts after), so a test's claim made then could win against the run. The look is a few
    /// milliseconds; the run is given a second (a loaded CI machine) and must still be there.
    /// </summary>
    private static string WaitForHeldClaim(Process run, string outDir)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            Assert.False(run.HasExited, "the run ended before it held its claim: " + (run.HasExited ? run.StandardError.ReadToEnd() : ""));
            var held = Directory.GetDirectories(Path.GetDirectoryName(outDir)!, Path.GetFileName(outDir) + ".tmp-*").Where(DirectoryLock.IsHeld).ToList();
            if (held.Count > 0)
            {
                string claim = Assert.Single(held);
                Thread.Sleep(TimeSpan.FromSeconds(1));
                Assert.False(run.HasExited, "the run ended after it held its claim: " + (run.HasExited ? run.StandardError.ReadToEnd() : ""));
                Assert.True(DirectoryLock.IsHeld(claim));
                return claim;
            }
            Thread.Sleep(10);
        }
        throw new TimeoutException($"no claim on '{outDir}' after {watch.Elapsed.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
    }

    /// <summary>
    /// A run that finds the claim of a run starting in the same instant, one whose name sorts after its own, waits for it
    /// to let go (as that run, seeing this one's, does) and goes on; before, it was refused at once, and the other too.
    /// </summary>
    [Fact]
    public async Task A_run_waits_for_a_claim_that_sorts_after_its_own_to_let_go_and_goes_on()
    {
        if (!DirectoryLock.Tells) Assert.Skip("flock(2) locks tell a live run's directory only on Linux");
        string outDir = _s.PathOf("out"), starting = outDir + ".tmp-ffffffffffff";   // after any claim's twelve hex digits
        Directory.CreateDirectory(starting);
        var rival = DirectoryLock.Take(starting)!;
        var letsGo = Task.Delay(300, TestContext.Current.CancellationToken).ContinueWith(_ =>
        {
            rival.Dispose();
            Directory.Delete(starting);
        }, TestContext.Current.CancellationToken);

        using (var claim = OutputClaim.Take(outDir, out var error))
        {
            Assert.Null(error);
            Assert.NotNull(claim);
            await letsGo;
        }
        Assert.Empty(Siblings("out"));
    }

    /// <summary>
    /// Two runs that each lock their claim before either looks for the other's: each sees the other's, and before both
    /// were refused. The one whose claim sorts first goes on; the other is refused, naming it.
    /// </summary>
    [Fact]
    public async Task Of_two_runs_that_start_in_the_same_instant_one_goes_on()
    {
        if (!DirectoryLock.Tells) Assert.Skip("flock(2) locks tell a live run's directory only on Linux");
        string outDir = _s.PathOf("out");
        using var bothLocked = new Barrier(2);
        var starts = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var claim = OutputClaim.Take(outDir, made: null, locked: () => Assert.True(bothLocked.SignalAndWait(TimeSpan.FromSeconds(30))), out var error);
            return (Claim: claim, Error: error);
        }, TestContext.Current.CancellationToken));
        var runs = await Task.WhenAll(starts);

        var goes = Assert.Single(runs, r => r.Claim is not null);
        var refused = Assert.Single(runs, r => r.Claim is null);
        Assert.True(refused.Error!.Busy, refused.Error.Message);
        string held = Assert.Single(Directory.GetDirectories(_s.Dir, "out.tmp-*"));
        Assert.Contains($"(it holds '{held}')", refused.Error.Message);
        goes.Claim!.Dispose();
        Assert.Empty(Siblings("out"));
    }
    /// <summary>
    /// A live run removing killed runs' leftovers sees a claim made but not yet locked as one of them, and may delete it.
    /// The run whose claim that was makes another and is refused as busy, the live run being its rival, where it ended on
    /// "cannot write output" (the new directory gone under its lock).
    /// </summary>
    [Fact]
    public void A_claim_removed_before_it_is_locked_is_made_again_and_the_live_run_refuses_it()
    {
        if (!DirectoryLock.Tells) Assert.Skip("flock(2) locks tell a live run's directory only on Linux");
        string outDir = _s.PathOf("out");
        using var live = OutputClaim.Take(outDir, out var error);
        Assert.NotNull(live);
        var removedBeforeLocking = new List<string>();
        void RemovedByTheLiveRun(string claim)
        {
            if (removedBeforeLocking.Count > 0) return;
            AtomicDirectory.RemoveStale(outDir);
            Assert.False(Directory.Exists(claim));
            removedBeforeLocking.Add(claim);
        }

        Assert.Null(OutputClaim.Take(outDir, RemovedByTheLiveRun, locked: null, out var busy));
        Assert.Single(removedBeforeLocking);
        Assert.True(busy!.Busy, busy.Message);
        Assert.Single(Siblings("out"));
    }

    /// <summary>
    /// The lock's file deleted just after it is locked (a remover's delete after its look found the claim unheld): the
    /// lock is then on a file nobody else can see, so the run makes another claim rather than go on unguarded.
    /// </summary>
    [Fact]
    public void A_claim_whose_lock_file_goes_as_it_is_locked_is_made_again()
    {
        if (!DirectoryLock.Tells) Assert.Skip("flock(2) locks tell a live run's directory only on Linux");
        string outDir = _s.PathOf("out");
        var claims = new List<string>();
        void LockFileGoes()
        {
            string claim = _s.PathOf(Assert.Single(Siblings("out")));
            claims.Add(claim);
            if (claims.Count == 1) File.Delete(Path.Combine(claim, DirectoryLock.FileName));
        }

        using (var claim = OutputClaim.Take(outDir, made: null, LockFileGoes, out var error))
        {
            Assert.True(claim is not null, error?.Message);
            Assert.Equal(2, claims.Count);
            Assert.NotEqual(claims[0], claims[1]);
            Assert.True(DirectoryLock.IsHeld(claims[1]));
            Assert.Equal([Path.GetFileName(claims[1])], Siblings("out"));
        }
        Assert.Empty(Siblings("out"));
    }

    /// <summary>A claim removed before it is locked every time: after its last attempt the run stops in one line, nothing left.</summary>
    [Fact]
    public void A_claim_removed_on_every_attempt_is_an_error_that_leaves_nothing()
    {
        if (!DirectoryLock.Tells) Assert.Skip("flock(2) locks tell a live run's directory only on Linux");
        string outDir = _s.PathOf("sub/out");
        int attempts = 0;
        Assert.Null(OutputClaim.Take(outDir, claim => { attempts++; Directory.Delete(claim); }, locked: null, out var error));
        Assert.Equal(3, attempts);
        Assert.False(error!.Busy);
        Assert.True(error.Unwritable);
        Assert.StartsWith($"cannot write output to '{outDir}': ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.False(Directory.Exists(_s.PathOf("sub")));
    }
}
