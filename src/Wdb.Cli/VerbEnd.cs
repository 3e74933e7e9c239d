using Wdb.IO;

namespace Wdb.Cli;

/// <summary>
/// How a verb that reads or writes an output ends: exit 0, or its error as one line on stderr and exit 2 (3 when
/// another run holds the output, as for `wdb merge`). An output written in full that left its predecessor behind is a
/// warning and exit 0.
/// </summary>
internal static class VerbEnd
{
    /// <summary>Exit code of a run refused because another holds its --out (MergeJob.OutputErrorExit).</summary>
    public const int BusyExit = 3;

    public static int Of(string verb, OutputError? error)
    {
        if (error is null) return 0;
        if (error.Published)
        {
            Console.Error.WriteLine($"wdb {verb}: warning: {error.Message}");
            return 0;
        }
        Console.Error.WriteLine($"wdb {verb}: {error.Message}");
        return error.Busy ? BusyExit : 2;
    }
}
