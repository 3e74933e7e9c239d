using Wdb.IO;

namespace Wdb.Cli;

/// <summary>
/// How a verb that reads or writes an output ends: exit 0, or its error as one line on stderr and exit 2. An output
/// written in full that left its predecessor behind is a warning and exit 0.
/// </summary>
internal static class VerbEnd
{
    public static int Of(string verb, OutputError? error)
    {
        if (error is null) return 0;
        if (error.Published)
        {
            Console.Error.WriteLine($"wdb {verb}: warning: {error.Message}");
            return 0;
        }
        Console.Error.WriteLine($"wdb {verb}: {error.Message}");
        return 2;
    }
}
