using System.Text;
using Wdb.Core;
using Wdb.IO;

namespace Wdb.Tests.Readers;

/// <summary>Temporary directory for files a test writes; removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("wdb-readers-").FullName;

    public string Write(string name, string text) => Write(name, Encoding.UTF8.GetBytes(text));

    public string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(Dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

internal static class ReaderTestSupport
{
    public static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "data", "readers", name);

    public static (FileReadResult Result, ExtractionBlock Block) Read(string path, ReadOptions? options = null, int fileIndex = 3)
    {
        var block = new ExtractionBlock(16);
        var result = ExtractionReader.Read(path, fileIndex, options ?? new ReadOptions(), block);
        Assert.Equal(result.RowsRead, result.RowsAccepted + result.Rejects.Count);
        Assert.Equal(result.RowsAccepted, block.Count);
        return (result, block);
    }

    public static int RowWithCntr(ExtractionBlock b, long cntr)
    {
        for (int i = 0; i < b.Count; i++) if (b.Cntr[i] == cntr) return i;
        throw new Xunit.Sdk.XunitException($"no row with cntr {cntr}");
    }
}
