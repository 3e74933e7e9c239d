using System.Text.Json;
using System.Text.Json.Serialization;
using Wdb.Core;
using Wdb.IO;

namespace Wdb.Tests.Output;

/// <summary>
/// summary.json is written field by field (SummaryJson); its bytes must be those the
/// reflection-based serializer writes with the same options (snake case, indented, NaN as a
/// string), for every kind of value a merge puts in the summary.
/// </summary>
public class SummaryJsonTests
{
    private static readonly JsonSerializerOptions Reflection = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static RunSummary Example()
    {
        var s = new RunSummary
        {
            Version = "1.0.0+abc", RowsRead = 1_677_635, RowsMerged = 1_677_600, RowsRejected = 35, CandidateGroups = 1_000_001,
            Groups = 1_000_123, ConfusedCandidateGroups = 77, UnresolvedCandidateGroups = 0, Device = "ilgpu cuda: NVIDIA H200",
            PeakWorkingSetMb = 1308.7,
            Runtime = new RuntimeSummary { Build = "composite ReadyToRun", JitMethods = 65, JitSeconds = 0.0352, GcCollections = 26, GcPauseSeconds = 0.0157, GcMode = "workstation", Processors = 2 },
        };
        s.RejectsByReason["bad_number"] = 30;
        s.RejectsByReason["ra_range"] = 5;
        s.Parameters["radius_arcsec"] = 2.0;
        s.Parameters["profile"] = "auto";
        s.Parameters["strict"] = false;
        s.Parameters["block_rows"] = 1 << 23;
        s.Parameters["zones"] = 11L;
        s.Parameters["min_snr"] = 0.1;
        s.Warnings.Add("1 scan footprint spans more than 10 deg (a 2MASS scan covers 6 deg by 8.5'): scan id 5 (0.0 x 30.0 deg)");
        s.Warnings.Add("a \"quoted\" path and a line\nbreak");
        s.StageSeconds["read"] = 0.4119;
        s.StageSeconds["link"] = double.NaN;
        s.StageSeconds["write"] = double.PositiveInfinity;
        s.SetStage("sort", 0.0312, new ProcessCounters(0.05, 0.0123, 4_321, 17, 3), 12.3);
        s.StageHeapMb["read"] = 772.2;
        s.StageHeapMb["write"] = double.NegativeInfinity;
        s.Inputs.Add(new InputFileSummary { Path = "/data/a \"quoted\" name.csv", Format = "csv", Bytes = 95_347_918, Checksum = "xxh128:94bb", RowsRead = 10 });
        s.Inputs[0].RejectsByReason["bad_number"] = 30;
        s.Inputs.Add(new InputFileSummary { Path = "Ångström/b.tbl", Format = "ipac", Profile = "wdb-psc" });
        s.Associate.Add(new CatalogueFileSummary { Path = "gaia.csv", Format = "csv", Bytes = 12, Checksum = "xxh128:11", RowsRead = 3 });
        s.NotIn.Add(new CatalogueFileSummary { Path = "psc_aaa.gz", Format = "bulk", Bytes = 7_000_000_123, Checksum = "xxh128:77aa", RowsRead = 470_992_970, RowsRejected = 2 });
        s.Outputs["groups.fb"] = "xxh128:0123abcd";
        return s;
    }

    [Fact]
    public void Summary_json_is_written_as_the_reflection_serializer_writes_it()
    {
        var summary = Example();
        byte[] generated = SummaryJson.Write(summary);
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(summary, Reflection), generated);
        using var doc = JsonDocument.Parse(generated);
        Assert.Equal("NaN", doc.RootElement.GetProperty("stage_seconds").GetProperty("link").GetString());
        Assert.Equal(8388608, doc.RootElement.GetProperty("parameters").GetProperty("block_rows").GetInt32());
        Assert.Equal("wdb-psc", doc.RootElement.GetProperty("inputs")[1].GetProperty("profile").GetString());
        // Readable as text: an apostrophe and a letter outside ASCII as they are, a quote and a line break escaped.
        string text = System.Text.Encoding.UTF8.GetString(generated);
        Assert.Contains("by 8.5'): scan id 5", text);
        Assert.Contains("\"path\": \"Ångström/b.tbl\"", text);
        Assert.Contains("a \\\"quoted\\\" path and a line\\nbreak", text);
    }

    [Fact]
    public void A_parameter_of_a_type_the_serializer_was_not_built_for_is_a_bug_not_a_silent_value()
    {
        var summary = Example();
        summary.Parameters["when"] = new DateTime(2026, 11, 26);
        Assert.Throws<NotSupportedException>(() => SummaryJson.Write(summary));
    }
}
