namespace Wdb.IO;

/// <summary>
/// A small file another process reads (a cluster's plan.json, the runs' indexes: docs/cluster.md), written whole
/// under a sibling name, flushed to disk, then renamed over its name: a reader finds the old file, the new one,
/// or none, never part of one.
/// </summary>
public static class WholeFile
{
    /// <exception cref="IOException">The write or the rename failed, naming <paramref name="path"/>; the sibling is removed.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        string partial = path + ".partial";
        try
        {
            using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(file);
                file.Flush(flushToDisk: true);
            }
            File.Move(partial, path, overwrite: true);
        }
        catch (IOException e)
        {
            // A full disk: the sibling holds space the user needs back, and its name is not one they know.
            try { File.Delete(partial); } catch (Exception d) when (d is IOException or UnauthorizedAccessException) { }
            if (!e.Message.Contains(partial, StringComparison.Ordinal)) throw;
            throw new IOException(e.Message.Replace(partial, path), e);
        }
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

    /// <summary>Where <see cref="WriteChecked"/> keeps a file's checksum: beside it, its name and <c>.xxh3</c>.</summary>
    public static string ChecksumPath(string path) => path + ".xxh3";

    /// <summary>
    /// <see cref="Write"/> for a file people and tools read as text (a cluster's plan.json, a task's summary.json), so not
    /// sealed: its XxHash3 goes in <see cref="ChecksumPath"/> as the line <c>xxhsum -H3</c> writes (<c>XXH3 (NAME) = HEX</c>,
    /// xxhsum 0.8.1's form, <c>--tag</c> in later ones), so <c>xxhsum -c</c> checks it too. The checksum is written first: a
    /// file never stands without one (a write killed between the two leaves a file that reads as changed, or none).
    /// </summary>
    public static void WriteChecked(string path, Action<Stream> write)
    {
        var content = new MemoryStream();
        write(content);
        var bytes = content.GetBuffer().AsMemory(0, (int)content.Length);
        string line = ChecksumLine(path, bytes.Span);
        Write(ChecksumPath(path), file => file.Write(System.Text.Encoding.UTF8.GetBytes(line)));
        Write(path, file => file.Write(bytes.Span));
    }

    /// <summary>The bytes of a file <see cref="WriteChecked"/> wrote, once they match the checksum beside them.</summary>
    /// <exception cref="IOException">The file or its checksum is missing, or its bytes are not the ones written.</exception>
    public static byte[] ReadChecked(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        string sidecar = ChecksumPath(path);
        if (!File.Exists(sidecar))
            throw new IOException($"'{path}' cannot be checked: its checksum file '{sidecar}' is missing (an older wdb wrote it, or the checksum was removed)");
        // The whole line is compared: a changed byte of the checksum file is a change too.
        if (File.ReadAllText(sidecar) != ChecksumLine(path, bytes))
            throw new IOException($"'{path}' was corrupted or changed since it was written: its bytes do not match their checksum in '{sidecar}'");
        return bytes;
    }

    /// <summary>xxhsum's line for the bytes (the hash as 16 hex digits, most significant first), naming the file as it lies beside it.</summary>
    private static string ChecksumLine(string path, ReadOnlySpan<byte> bytes) =>
        $"XXH3 ({Path.GetFileName(path)}) = {System.IO.Hashing.XxHash3.HashToUInt64(bytes):x16}\n";

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
