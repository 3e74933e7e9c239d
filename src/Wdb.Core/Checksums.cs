namespace Wdb.Core;

/// <summary>
/// The checksum taken of every input and output file (summary.json), written as
/// <c>NAME:HEX</c> so that the value says how to check it: <c>xxh128:…</c> is what
/// <c>xxh128sum</c> (Debian package xxhash) prints, <c>sha256:…</c> what <c>sha256sum</c> prints.
/// </summary>
/// <remarks>
/// XXH128 by default: the checksums are there to tell a corrupted or different file from the
/// one a run read or wrote, not to resist forgery, and SHA-256 cost 10-15 % of a run's CPU at
/// this scale (~1.5-2 GB/s a core even with SHA instructions, against tens of GB/s), serially
/// per file (bench/NOTES.md 72). SHA-256 is there for whoever keeps cryptographic digests.
/// </remarks>
public enum ChecksumAlgorithm
{
    Xxh128,
    Sha256,
}

public static class Checksums
{
    /// <summary>Every algorithm's name, as options take them.</summary>
    public static IReadOnlyList<string> Names { get; } = Enum.GetValues<ChecksumAlgorithm>().Select(a => a.Name()).ToArray();

    public static string Name(this ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.Xxh128 => "xxh128",
        ChecksumAlgorithm.Sha256 => "sha256",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, null),
    };

    /// <summary>The algorithm a user names (<see cref="Names"/>, any case); false for anything else.</summary>
    public static bool TryParse(string? text, out ChecksumAlgorithm algorithm)
    {
        foreach (var known in Enum.GetValues<ChecksumAlgorithm>())
        {
            if (!known.Name().Equals(text?.Trim(), StringComparison.OrdinalIgnoreCase)) continue;
            algorithm = known;
            return true;
        }
        algorithm = default;
        return false;
    }

    /// <summary>A digest as summary.json gives it: <c>NAME:</c> and the digest in lower-case hex, as the tools print it.</summary>
    public static string Format(this ChecksumAlgorithm algorithm, ReadOnlySpan<byte> digest) =>
        algorithm.Name() + ":" + Convert.ToHexStringLower(digest);

    /// <summary>
    /// A recorded checksum split into its algorithm and lower-case hex digest: <c>NAME:HEX</c> as
    /// <see cref="Format"/> writes it, or bare hex of SHA-256's length, as summaries written before the
    /// algorithm was named hold. False for anything else.
    /// </summary>
    public static bool TryParseValue(string? value, out ChecksumAlgorithm algorithm, out string hex)
    {
        algorithm = default;
        hex = "";
        if (string.IsNullOrEmpty(value)) return false;
        int colon = value.IndexOf(':');
        if (colon < 0)
        {
            algorithm = ChecksumAlgorithm.Sha256;
            hex = value;
        }
        else if (!TryParse(value[..colon], out algorithm)) return false;
        else hex = value[(colon + 1)..];
        int bytes = algorithm == ChecksumAlgorithm.Sha256 ? 32 : 16;
        return hex.Length == 2 * bytes && hex.All(char.IsAsciiHexDigitLower);
    }
}
