using Wdb.IO;

namespace Wdb.Tests.Readers;

public class InputFormatNameTests
{
    [Fact]
    public void Every_format_is_named_as_its_enum_member_in_lower_case()
    {
        // summary.json and `wdb validate` wrote Enum.ToString() in lower case before Name() replaced it.
        foreach (var format in Enum.GetValues<InputFormat>())
            Assert.Equal(format.ToString().ToLowerInvariant(), format.Name());
    }
}
