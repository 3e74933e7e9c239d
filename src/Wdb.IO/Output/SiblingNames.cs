using System.IO.Hashing;
using System.Text;

namespace Wdb.IO;

/// <summary>
/// The names of what a run makes beside an output before it is in place: <c>&lt;base&gt;&lt;tag&gt;&lt;random&gt;</c>
/// (<c>.tmp-</c>, <c>.old-</c>, <c>.spill-</c>). A name may be NAME_MAX (255 bytes) long, and the system refuses a
/// sibling that adds a tag to one that long, so the base is the name only while there is room after it; beyond that it is
/// the name's first bytes and a hash of the whole: still recognisable, and two long names that begin alike keep their
/// leftovers apart (a run removes its output's leftovers by the base, <see cref="AtomicDirectory.RemoveStale"/>).
/// </summary>
public static class SiblingNames
{
    private const int NameMax = 255;

    /// <summary>
    /// The most a sibling adds after the base: a spill's tag and random part (18 bytes), and the ".removing-" and twelve
    /// hex digits that a stop adds when it renames a directory before deleting it (<see cref="TemporaryPaths.DeleteAll"/>).
    /// </summary>
    private const int Room = 40;

    /// <summary>The part of every sibling's name that stands for the file name <paramref name="name"/>.</summary>
    public static string Base(string name)
    {
        if (Encoding.UTF8.GetByteCount(name) <= NameMax - Room) return name;
        string hash = "~" + XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(name)).ToString("x16")[..8];
        return Head(name, NameMax - Room - hash.Length) + hash;
    }

    /// <summary><paramref name="target"/> (a path) with its file name replaced by the <see cref="Base"/> of it.</summary>
    public static string BasePath(string target)
    {
        string name = Path.GetFileName(target);
        return target[..^name.Length] + Base(name);
    }

    /// <summary>A new sibling of <paramref name="target"/>: its base, <paramref name="tag"/> and twelve random hex digits.</summary>
    public static string Of(string target, string tag) => BasePath(target) + tag + AtomicDirectory.UniqueTag();

    // The longest start of the name within the bytes, cut between characters: half a character would be no name at all.
    private static string Head(string name, int bytes)
    {
        int used = 0, at = 0;
        while (at < name.Length)
        {
            Rune.DecodeFromUtf16(name.AsSpan(at), out Rune rune, out int chars);
            if (used + rune.Utf8SequenceLength > bytes) break;
            used += rune.Utf8SequenceLength;
            at += chars;
        }
        return name[..at];
    }
}
