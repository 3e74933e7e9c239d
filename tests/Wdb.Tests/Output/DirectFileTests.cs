using Wdb.Core;
using Wdb.IO;

namespace Wdb.Tests.Output;

/// <summary>
/// Table files go to the disk with O_DIRECT where the file system takes it (DirectFile): whole
/// 4 KiB blocks from an aligned buffer, the last one padded and the file cut back. The file must
/// hold exactly the bytes appended, whatever their sizes relative to blocks and the buffer.
/// </summary>
public class DirectFileTests
{
    private static readonly int[] Sizes =
        [0, 1, 4095, 4096, 4097, 7, DirectFile.BufferBytes - 3, 5, DirectFile.BufferBytes, 3 * DirectFile.BufferBytes / 2 + 11, 100];

    [Fact]
    public void DirectWritesHoldExactlyTheAppendedBytes()
    {
        using var tmp = new TempDir();
        var rnd = new Random(3);
        for (int cut = 0; cut < Sizes.Length; cut++)
        {
            // Every prefix of the size list: files ending on and off block and buffer boundaries.
            string path = tmp[$"t{cut}.fb"];
            using var file = DirectFile.TryCreate(path);
            if (file is null)
            {
                Assert.False(OperatingSystem.IsLinux() && IsExt4(tmp.Path), "ext4 takes O_DIRECT: the direct path must be used");
                return;   // this file system has no O_DIRECT: ChunkFileWriter uses a FileStream (tested below)
            }
            var expected = new MemoryStream();
            foreach (int n in Sizes.Take(cut + 1))
            {
                var bytes = new byte[n];
                rnd.NextBytes(bytes);
                file.Append(bytes);
                expected.Write(bytes);
            }
            Assert.Equal(expected.Length, file.Finish());
            file.FlushToDisk();
            file.Dispose();
            Assert.Equal(expected.ToArray(), File.ReadAllBytes(path));
        }
    }

    [Fact]
    public void A_file_disposed_with_a_write_in_flight_closes_cleanly_and_can_be_removed()
    {
        // A failed run disposes the writer without Finish: the buffer being written must not be freed under the write.
        using var tmp = new TempDir();
        string path = tmp["abandoned.fb"];
        var file = DirectFile.TryCreate(path);
        if (file is null) return;   // no O_DIRECT here
        var bytes = new byte[DirectFile.BufferBytes * 2 + 100];
        new Random(6).NextBytes(bytes);
        file.Append(bytes);   // two full buffers handed over, the second still in flight
        file.Dispose();
        file.Dispose();       // twice is harmless
        File.Delete(path);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void TheFileMustNotExistYet()
    {
        using var tmp = new TempDir();
        File.WriteAllText(tmp["x.fb"], "old");
        Assert.Null(DirectFile.TryCreate(tmp["x.fb"]));
        Assert.Equal("old", File.ReadAllText(tmp["x.fb"]));   // left alone: the FileStream's CreateNew reports it
    }

    [Fact]
    public async Task WhereDirectWritesAreRefusedNoFileIsLeftAndTheStreamPathWrites()
    {
        // tmpfs refused O_DIRECT on older kernels (and may take it on newer ones): either way
        // the chunk writer must produce the same file.
        const string shm = "/dev/shm";
        if (!Directory.Exists(shm)) return;
        string dir = Path.Combine(shm, "wdb-direct-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "t.fb");
            using (var probe = DirectFile.TryCreate(path))
                if (probe is null) Assert.False(File.Exists(path), "a refused O_DIRECT open must not leave the file behind");
            if (File.Exists(path)) File.Delete(path);
            var bytes = new byte[10_000];
            new Random(5).NextBytes(bytes);
            string sha;
            using (var w = new ChunkFileWriter(path, "t", "k", ChecksumAlgorithm.Xxh128))
            {
                w.WriteChunks([new(new ArraySegment<byte>(bytes, 0, 6000), 1, 2, 3), new(new ArraySegment<byte>(bytes, 6000, 4000), 3, 4, 5)]);
                var (hash, synced) = w.Complete();
                await synced;
                sha = hash;
            }
            Assert.Equal(bytes, File.ReadAllBytes(path));
            Assert.Equal(ChecksumTests.Expected(ChecksumAlgorithm.Xxh128, bytes), sha);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(ChecksumAlgorithm.Xxh128)]   // hashed as each chunk is written
    [InlineData(ChecksumAlgorithm.Sha256)]   // hashed on another thread meanwhile
    public void Chunks_written_in_batches_give_the_file_hash_and_index_of_one_by_one(ChecksumAlgorithm algorithm)
    {
        // Batches as ParallelChunks hands them over.
        var rng = new Random(8);
        var chunks = Enumerable.Range(0, 40).Select(i =>
        {
            var b = new byte[rng.Next(1, 300_000)];
            rng.NextBytes(b);
            return new FinishedChunk(new ArraySegment<byte>(b), 10L * i, 10L * i + 9, i + 1);
        }).ToArray();
        string dir = Directory.CreateTempSubdirectory("wdb-batches-").FullName;
        try
        {
            (string Sha, byte[] Bytes, ChunkList List) Write(string name, Action<ChunkFileWriter> write)
            {
                string path = Path.Combine(dir, name);
                using var w = new ChunkFileWriter(path, "t", "k", algorithm);
                write(w);
                var (sha, synced) = w.Complete();
                synced.GetAwaiter().GetResult();
                return (sha, File.ReadAllBytes(path), w.Chunks);
            }
            var single = Write("single.fb", w => { foreach (var c in chunks) w.WriteChunks([c]); });
            var batched = Write("batched.fb", w => { w.WriteChunks(chunks[..7]); w.WriteChunks(chunks[7..8]); w.WriteChunks(chunks[8..]); });
            byte[] all = chunks.SelectMany(c => c.Bytes).ToArray();
            Assert.Equal(all, batched.Bytes);
            Assert.Equal(single.Bytes, batched.Bytes);
            Assert.Equal(ChecksumTests.Expected(algorithm, all), batched.Sha);
            Assert.Equal(single.Sha, batched.Sha);
            Assert.Equal(chunks.Length, batched.List.Count);
            Assert.Equal(single.List.Offset.Take(chunks.Length), batched.List.Offset.Take(chunks.Length));
            Assert.Equal(single.List.FirstKey.Take(chunks.Length), batched.List.FirstKey.Take(chunks.Length));
            Assert.Equal(chunks.Select(c => c.Records), batched.List.Records.Take(chunks.Length));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static bool IsExt4(string dir)
    {
        // /proc/mounts: the longest mount point that contains dir decides.
        string full = Path.GetFullPath(dir);
        string? type = null; int best = -1;
        foreach (var line in File.ReadLines("/proc/mounts"))
        {
            var f = line.Split(' ');
            if (f.Length < 3) continue;
            string mount = f[1];
            if ((full == mount || full.StartsWith(mount.TrimEnd('/') + "/")) && mount.Length > best) { best = mount.Length; type = f[2]; }
        }
        return type == "ext4";
    }
}
