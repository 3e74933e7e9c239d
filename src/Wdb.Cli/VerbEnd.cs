using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Cli;

/// <summary>
/// How a verb that reads or writes an output ends: exit 0, or its error as one line on stderr and the README's exit
/// code: 2 for a bad request or input, 3 when the output could not be written or another run holds it (as for
/// `wdb merge`). An output written in full that left its predecessor behind is a warning and exit 0.
/// </summary>
internal static class VerbEnd
{
    /// <summary>Exit code of an output that could not be written, or that another run holds (MergeJob.OutputErrorExit).</summary>
    public const int OutputExit = MergeJob.OutputErrorExit;

    public static int Of(string verb, OutputError? error)
    {
        if (error is null) return 0;
        if (error.Published)
        {
            Console.Error.WriteLine($"wdb {verb}: warning: {error.Message}");
            return 0;
        }
        Console.Error.WriteLine($"wdb {verb}: {error.Message}");
        return MergeJob.ExitOf(error);
    }
}
