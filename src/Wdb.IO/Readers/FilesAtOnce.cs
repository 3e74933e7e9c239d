using Wdb.Core;

namespace Wdb.IO;

/// <summary>
/// Several input files read at once, their results taken in file order. Why: one gzipped file
/// inflates at ~280 MB/s on the one thread that reads it (bench/NOTES.md 52), and IRSA serves its
/// tables as dozens of .gz files; a workstation's cores can inflate many of them at once. What a
/// consumer sees stays what a one-file-at-a-time read gives: each file is read by itself (its own
/// blocks, lines, rejects, checksum) and handed on after every file before it.
/// </summary>
public static class FilesAtOnce
{
    /// <summary>
    /// The default: one file at a time for a single input or a single thread; for gzipped inputs
    /// (by name) one file per two cores, at least two (a file keeps one core inflating and about
    /// one decoding); for plain text one per eight cores (one file's decoding workers use up to
    /// eight, <see cref="Readers.LinePump.MaxDefaultWorkers"/>). Never more than the inputs.
    /// </summary>
    public static int Auto(IReadOnlyList<string> paths, int threads)
    {
        int cores = Threads.Resolve(threads);
        if (paths.Count <= 1 || cores <= 1) return 1;
        bool gzipped = paths.Any(p => { ExtractionReader.FromExtension(p, out bool gz); return gz; });
        int atOnce = gzipped ? Math.Max(2, cores / 2) : cores / 8;
        return Math.Clamp(atOnce, 1, paths.Count);
    }

    /// <summary>
    /// Files at once for a run: <paramref name="requested"/> when positive (bounded by the inputs),
    /// else <see cref="Auto"/>; always one under <c>--threads 1</c>, which asks for one busy thread.
    /// </summary>
    public static int Resolve(int requested, IReadOnlyList<string> paths, int threads)
    {
        if (threads == 1 || paths.Count <= 1) return 1;
        return requested > 0 ? Math.Min(requested, paths.Count) : Auto(paths, threads);
    }

    /// <summary>
    /// The read options of each file when <paramref name="atOnce"/> files are read together: the
    /// cores shared out, so that files read at once do not each start a full set of decoding workers.
    /// </summary>
    public static ReadOptions PerFile(ReadOptions options, int atOnce) =>
        atOnce <= 1 ? options : options with { Threads = Math.Max(1, Threads.Resolve(options.Threads) / atOnce) };

    /// <summary>
    /// Runs <paramref name="read"/> for files 0 .. <paramref name="files"/> - 1 and hands each result to
    /// <paramref name="done"/> on the calling thread, in file order. With <paramref name="atOnce"/> above
    /// one, each read runs on a thread of its own, and besides the file being handed on at most
    /// <paramref name="atOnce"/> files are being read or waiting to be handed on (what waits is held
    /// in memory): the next file is begun as soon as a read's turn comes, before it is handed on.
    /// <paramref name="done"/> returning false stops: no later file is handed on or begun, and the reads
    /// still running are cancelled through their token and waited for. With one at once, each file is
    /// read on the calling thread after the one before it has been handed on, as a plain loop would.
    /// </summary>
    public static void Run<T>(int files, int atOnce, Func<int, CancellationToken, T> read, Func<int, T, bool> done)
    {
        if (atOnce <= 1 || files <= 1)
        {
            for (int f = 0; f < files; f++)
                if (!done(f, read(f, CancellationToken.None))) return;
            return;
        }
        using var cancel = new CancellationTokenSource();
        var reads = new Task<T>[files];
        int begun = 0;
        void Begin()
        {
            int f = begun++;
            // A thread per file: a read blocks on its own decoding workers, which must not wait behind it in the pool.
            reads[f] = Task.Factory.StartNew(() => read(f, cancel.Token), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        try
        {
            while (begun < Math.Min(files, atOnce)) Begin();
            for (int f = 0; f < files; f++)
            {
                T result = reads[f].GetAwaiter().GetResult();   // a bug in a read surfaces here
                if (begun < files) Begin();
                if (!done(f, result)) return;
            }
        }
        finally
        {
            cancel.Cancel();
            // Nothing a read holds (its file, its workers' chunks) may outlive this call.
            for (int f = 0; f < begun; f++)
                try { reads[f].Wait(CancellationToken.None); } catch (AggregateException) { }
        }
    }
}
