using Wdb.IO;

namespace Wdb.Cli;

/// <summary>How a verb that reads or writes an output ends: exit 0, or its error as one line on stderr and exit 2.</summary>
internal static class VerbEnd
{
    public static int Of(string verb, OutputError? error)
    {
        if (error is null) return 0;
        Console.Error.WriteLine($"wdb {verb}: {error.Message}");
        return 2;
    }
}
