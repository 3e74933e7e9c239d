using System.Text;

namespace Wdb.Tests;

/// <summary>A scratch directory for one test class; removed on dispose.</summary>
public sealed class Scratch : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("wdb-test-").FullName;

    public string PathOf(string name) => Path.Combine(Dir, name);

    public string Write(string name, string text) => Write(name, Encoding.UTF8.GetBytes(text));

    public string Write(string name, byte[] bytes)
    {
        string path = PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
