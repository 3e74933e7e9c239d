using System.Text.Json;

namespace Wdb.Merge;

/// <summary>
/// Where each value of a JSON text starts, by its path (<c>features[3].edges[1]</c>; the root is ""), as a 1-based line
/// and column counted in characters, as an editor shows them. <see cref="JsonDocument"/> keeps no positions, and a
/// reliability model is edited by hand: its mistakes are reported where the edit made them.
/// </summary>
internal sealed class JsonPositions
{
    private readonly Dictionary<string, (int Line, int Column)> _at = new(StringComparer.Ordinal);

    private JsonPositions() { }

    /// <summary>Where the value at <paramref name="path"/> starts (the text's start for a path it does not hold).</summary>
    public (int Line, int Column) Of(string path) => _at.TryGetValue(path, out var p) ? p : (1, 1);

    public static string Property(string parent, string name) => parent.Length == 0 ? name : parent + "." + name;

    public static string Element(string parent, int index) => $"{parent}[{index}]";

    /// <summary>
    /// The positions of <paramref name="utf8"/>'s values; null with <paramref name="problem"/> (its line, column and
    /// reason) when the text is not JSON, or an object names a property twice (the last would silently win).
    /// </summary>
    public static JsonPositions? TryIndex(byte[] utf8, JsonReaderOptions options, out (int Line, int Column, string Message)? problem)
    {
        problem = null;
        var positions = new JsonPositions();
        var cursor = new LineCursor(utf8);
        var open = new Stack<(string Path, bool IsArray, int Next, HashSet<string> Names)>();
        string pending = "";
        var reader = new Utf8JsonReader(utf8, options);
        try
        {
            while (reader.Read())
            {
                var at = cursor.At(reader.TokenStartIndex);
                if (reader.TokenType == JsonTokenType.PropertyName)
                {
                    string name = reader.GetString()!;
                    var (path, _, _, names) = open.Peek();
                    if (!names.Add(name))
                    {
                        problem = (at.Line, at.Column, $"\"{name}\" is given twice in one object");
                        return null;
                    }
                    pending = Property(path, name);
                    continue;
                }
                if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    open.Pop();
                    continue;
                }
                string here = pending;
                if (open.Count > 0 && open.Peek().IsArray)
                {
                    var top = open.Pop();
                    here = Element(top.Path, top.Next);
                    open.Push(top with { Next = top.Next + 1 });
                }
                positions._at[here] = at;
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    open.Push((here, reader.TokenType == JsonTokenType.StartArray, 0, new HashSet<string>(StringComparer.Ordinal)));
            }
        }
        catch (JsonException e)
        {
            problem = ((int)(e.LineNumber ?? 0) + 1, cursor.ColumnOf((int)(e.LineNumber ?? 0), (int)(e.BytePositionInLine ?? 0)),
                "not valid JSON: " + WithoutPosition(e.Message));
            return null;
        }
        return positions;
    }

    /// <summary>The reader's message without the 0-based " LineNumber: 6 | BytePositionInLine: 15." it appends.</summary>
    private static string WithoutPosition(string message)
    {
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return cut < 0 ? message : message[..cut];
    }

    /// <summary>Byte offsets to lines and character columns, moving forward only (token starts only increase).</summary>
    private sealed class LineCursor(byte[] utf8)
    {
        private int _offset, _line = 1, _column = 1;

        public (int Line, int Column) At(long offset)
        {
            for (; _offset < offset; _offset++)
            {
                byte b = utf8[_offset];
                if (b == (byte)'\n') { _line++; _column = 1; }
                else if ((b & 0xC0) != 0x80) _column++;   // a UTF-8 continuation byte is part of the character before
            }
            return (_line, _column);
        }

        /// <summary>The 1-based character column of byte <paramref name="bytes"/> of 0-based line <paramref name="line0"/>.</summary>
        public int ColumnOf(int line0, int bytes)
        {
            int start = 0;
            for (int l = 0; l < line0 && start < utf8.Length; start++)
                if (utf8[start] == (byte)'\n') l++;
            int column = 1;
            for (int i = start; i < Math.Min(utf8.Length, start + bytes); i++)
                if ((utf8[i] & 0xC0) != 0x80) column++;
            return column;
        }
    }
}
