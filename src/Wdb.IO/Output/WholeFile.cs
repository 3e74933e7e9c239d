namespace Wdb.IO;

/// <summary>
/// A small file another process reads (a cluster's plan.json, the runs' indexes: docs/cluster.md), written whole
/// under a sibling name, flushed to disk, then renamed over its name: a reader finds the old file, the new one,
/// or none, never part of one.
/// </summary>
public static class WholeFile
{
    /// <exception cref="IOException">The write or the rename failed (the sibling may be left; the next write replaces it).</exception>
    public static void Write(string path, Action<Stream> write)
    {
        string partial = path + ".partial";
        using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            write(file);
            file.Flush(flushToDisk: true);
        }
        File.Move(partial, path, overwrite: true);
    }

    // "WDBSEAL1", then the XxHash3 of the bytes before it.
    private const ulong SealTag = 0x314c414553424457;

    /// <summary>
    /// <see cref="Write"/>, with an XxHash3 of the bytes after them: a small file other processes read back (an index, the
    /// scan footprints of a cluster's work directory), so that a byte changed on the way (NFS, a failing disk) stops the
    /// reader with the file's name instead of steering it.
    /// </summary>
    public static void WriteSealed(string path, Action<Stream> write)
    {
        var content = new MemoryStream();
        write(content);
        ulong sum = System.IO.Hashing.XxHash3.HashToUInt64(content.GetBuffer().AsSpan(0, (int)content.Length));
        Write(path, file =>
        {
            file.Write(content.GetBuffer(), 0, (int)content.Length);
            Span<byte> seal = stackalloc byte[16];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(seal, SealTag);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(seal[8..], sum);
            file.Write(seal);
        });
    }

    /// <summary>The bytes <see cref="WriteSealed"/> wrote, once their hash matches.</summary>
    /// <exception cref="IOException">The file is missing, cut short, or its bytes are not the ones written.</exception>
    public static MemoryStream ReadSealed(string path)
    {
        byte[] all = File.ReadAllBytes(path);
        int n = all.Length - 16;
        if (n < 0 || System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(all.AsSpan(n)) != SealTag
            || System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(all.AsSpan(n + 8)) != System.IO.Hashing.XxHash3.HashToUInt64(all.AsSpan(0, n)))
            throw new IOException($"'{path}' was corrupted or changed since it was written: its bytes do not match their checksum");
        return new MemoryStream(all, 0, n, writable: false);
    }
}
