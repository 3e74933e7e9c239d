using System.Diagnostics;
using Wdb.Merge;

namespace Wdb.Cli;

/// <summary>
/// A one-line progress display on stderr: stage, rows, rows/s and ETA, redrawn four times a
/// second. Only used on a terminal (or with --progress), so logs and pipes stay clean.
/// </summary>
internal sealed class ProgressDisplay : IMergeProgress, IDisposable
{
    private readonly object _gate = new();
    private readonly Stopwatch _total = Stopwatch.StartNew();
    private readonly Timer _timer;
    private Stopwatch _stageWatch = Stopwatch.StartNew();
    private string _stage = "";
    private Func<long>? _rows;
    private long _expected;
    private int _lastWidth;

    public ProgressDisplay() => _timer = new Timer(_ => Draw(), null, 250, 250);

    public void Stage(string name, Func<long>? rowsDone, long rowsExpected)
    {
        lock (_gate)
        {
            _stage = name; _rows = rowsDone; _expected = rowsExpected;
            _stageWatch = Stopwatch.StartNew();
        }
        Draw();
    }

    public void Done()
    {
        _timer.Dispose();
        lock (_gate)
        {
            if (_lastWidth > 0) Console.Error.Write("\r" + new string(' ', _lastWidth) + "\r");
            _lastWidth = 0;
            _stage = "";
        }
    }

    public void Dispose() => Done();

    /// <summary>Writes a log line above the progress line.</summary>
    public void WriteLine(string text)
    {
        lock (_gate)
        {
            Console.Error.Write("\r" + new string(' ', _lastWidth) + "\r");
            _lastWidth = 0;
            Console.Error.WriteLine(text);
        }
    }

    private void Draw()
    {
        lock (_gate)
        {
            if (_stage.Length == 0) return;
            string line = $"wdb merge [{ProgressClock.Of(_total.Elapsed)}] {_stage}";
            if (_rows is not null)
            {
                long done = _rows();
                double seconds = Math.Max(_stageWatch.Elapsed.TotalSeconds, 1e-3);
                double rate = done / seconds;
                line += $": {done:N0} rows, {rate / 1e6:F2} M rows/s";
                if (_expected > 0 && rate > 0 && done < _expected)
                    line += $", ETA {ProgressClock.Of((_expected - done) / rate)}";
            }
            int pad = Math.Max(0, _lastWidth - line.Length);
            Console.Error.Write("\r" + line + new string(' ', pad));
            _lastWidth = line.Length;
        }
    }
}
