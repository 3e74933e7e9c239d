using System.CommandLine;
using Wdb.Core;
using Wdb.IO;

namespace Wdb.Cli;

/// <summary>The input-table arguments `wdb merge` and `wdb validate` share: one description each, read the same way.</summary>
internal static class InputArguments
{
    public static Argument<string[]> Files() =>
        new("inputs") { Description = "WDB files: IPAC .tbl, CSV with header, IRSA bulk .bulk/.psv/.txt (optionally .gz); - for standard input (once)", Arity = ArgumentArity.OneOrMore };

    public static Option<int> FilesAtOnce() =>
        new("--files-at-once") { Description = "Input files read at once, each on its own thread; rows are still taken in file order, so results do not depend on it. Default (0): for gzipped inputs one file per two cores (at least 2), else one per eight cores" };

    public static Option<string?> Profile() =>
        new("--profile") { Description = $"Column profile for headerless bulk files: {string.Join(", ", SchemaProfiles.Names)} (default: chosen by column count)" };

    public static Option<string> Checksum() =>
        new("--checksum")
        {
            Description = "Checksum of every input (and output) file in the report and summary.json: xxh128 (check with xxh128sum, " +
                "Debian package xxhash) or sha256 (sha256sum; costs 10-15 % more CPU). Results do not depend on it",
            DefaultValueFactory = _ => ChecksumAlgorithm.Xxh128.Name(),
        };

    /// <summary>The algorithm <see cref="Checksum"/> names; false, with the message written for the user, for anything else.</summary>
    public static bool TryChecksum(ParseResult p, Option<string> option, string command, out ChecksumAlgorithm algorithm)
    {
        string given = p.GetValue(option)!;
        if (Checksums.TryParse(given, out algorithm)) return true;
        Console.Error.WriteLine($"wdb {command}: --checksum: expected one of {string.Join(", ", Checksums.Names)}, got '{given}'");
        return false;
    }

    /// <summary>--memory's size in bytes (merge, associate), or false with the one line that refuses it said.</summary>
    public static bool TryMemory(string size, string command, out long bytes)
    {
        if (ByteSize.TryParse(size, out bytes)) return true;
        Console.Error.WriteLine($"wdb {command}: --memory: expected a size such as 8G, 512M or 1.5T (K, M, G, T: powers of 1024), got '{size}'");
        return false;
    }
}
