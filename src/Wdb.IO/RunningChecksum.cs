using System.IO.Hashing;
using System.Security.Cryptography;
using Wdb.Core;

namespace Wdb.IO;

/// <summary>
/// The checksum of a byte stream taken as it passes (nothing is read twice), in the form
/// summary.json gives (<see cref="Checksums.Format"/>). Not thread-safe: one writer appends.
/// </summary>
public sealed class RunningChecksum : IDisposable
{
    // One of the two, by algorithm: the framework's SHA-256 and System.IO.Hashing's XXH128 share no interface.
    private readonly XxHash128? _xxh;
    private readonly IncrementalHash? _sha;

    public ChecksumAlgorithm Algorithm { get; }

    public RunningChecksum(ChecksumAlgorithm algorithm)
    {
        Algorithm = algorithm;
        if (algorithm == ChecksumAlgorithm.Sha256) _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        else _xxh = new XxHash128();
        _ = algorithm.Name();   // an unknown value fails here, not at the end of a long run
    }

    /// <summary>
    /// Whether the hash keeps pace with the copy that would hand it to another thread: XXH128 runs at
    /// memory speed and is taken where the bytes are; SHA-256 (~1.5-2 GB/s) is worth a thread of its own.
    /// </summary>
    public bool Fast => _xxh is not null;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_xxh is not null) _xxh.Append(bytes);
        else _sha!.AppendData(bytes);
    }

    /// <summary>The checksum of everything appended (<c>NAME:HEX</c>); the stream starts again empty.</summary>
    public string Finish() => Algorithm.Format(_xxh is not null ? _xxh.GetHashAndReset() : _sha!.GetHashAndReset());

    /// <summary>The checksum of <paramref name="bytes"/> at once (<c>NAME:HEX</c>).</summary>
    public static string Of(ChecksumAlgorithm algorithm, ReadOnlySpan<byte> bytes) => algorithm switch
    {
        ChecksumAlgorithm.Xxh128 => algorithm.Format(XxHash128.Hash(bytes)),
        ChecksumAlgorithm.Sha256 => algorithm.Format(SHA256.HashData(bytes)),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, null),
    };

    public void Dispose() => _sha?.Dispose();
}
