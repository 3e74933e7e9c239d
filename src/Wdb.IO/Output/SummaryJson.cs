using System.Text.Json;
using Wdb.Core;

namespace Wdb.IO;

/// <summary>
/// summary.json, written field by field with a <see cref="Utf8JsonWriter"/>: the bytes System.Text.Json's
/// serializer writes for <see cref="RunSummary"/> (snake-case names, indented, NaN and infinities as strings),
/// which SummaryJsonTests compares on a summary holding every field, so a field added to RunSummary and
/// not here fails there. The serializer generated at build time still took ~10 ms at the end of every run
/// (its metadata built and its dictionary converters jitted on first use: bench/NOTES.md 74); the reflection
/// one 60-90 ms (NOTES 46).
/// </summary>
internal static class SummaryJson
{
    // Paths, warnings and labels as a reader of the file wrote them (8.5', "<3", Ångström/), not as \u0027 and \u00C5:
    // this text is a file read with jq or an editor, never HTML.
    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Write(RunSummary s)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(8192);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteString("tool", s.Tool);
            w.WriteString("version", s.Version);
            Accounting(w, s.RowsRead, s.RowsMerged, s.RowsRejected, s.RejectsByReason);
            w.WriteNumber("candidate_groups", s.CandidateGroups);
            w.WriteNumber("groups", s.Groups);
            w.WriteNumber("confused_candidate_groups", s.ConfusedCandidateGroups);
            w.WriteNumber("unresolved_candidate_groups", s.UnresolvedCandidateGroups);
            w.WriteString("device", s.Device);
            w.WriteStartObject("parameters");
            foreach (var (key, value) in s.Parameters)
            {
                w.WritePropertyName(key);
                switch (value)
                {
                    case double d: Number(w, d); break;
                    case int i: w.WriteNumberValue(i); break;
                    case long l: w.WriteNumberValue(l); break;
                    case bool b: w.WriteBooleanValue(b); break;
                    case string t: w.WriteStringValue(t); break;
                    case null: w.WriteNullValue(); break;
                    // Every type the merge puts there is above: another is a bug, reported as one.
                    default: throw new NotSupportedException($"summary.json parameter '{key}' has a value of type {value.GetType()}");
                }
            }
            w.WriteEndObject();
            w.WriteStartArray("warnings");
            foreach (string warning in s.Warnings) w.WriteStringValue(warning);
            w.WriteEndArray();
            Numbers(w, "stage_seconds", s.StageSeconds);
            Numbers(w, "stage_cpu_seconds", s.StageCpuSeconds);
            Numbers(w, "stage_system_cpu_seconds", s.StageSystemCpuSeconds);
            Counts(w, "stage_minor_faults", s.StageMinorFaults);
            Counts(w, "stage_voluntary_switches", s.StageVoluntarySwitches);
            Counts(w, "stage_involuntary_switches", s.StageInvoluntarySwitches);
            Numbers(w, "stage_allocated_mb", s.StageAllocatedMb);
            Numbers(w, "stage_heap_mb", s.StageHeapMb);
            w.WritePropertyName("peak_working_set_mb");
            Number(w, s.PeakWorkingSetMb);
            w.WriteStartObject("runtime");
            w.WriteString("build", s.Runtime.Build);
            w.WriteNumber("jit_methods", s.Runtime.JitMethods);
            w.WritePropertyName("jit_seconds");
            Number(w, s.Runtime.JitSeconds);
            w.WriteNumber("gc_collections", s.Runtime.GcCollections);
            w.WritePropertyName("gc_pause_seconds");
            Number(w, s.Runtime.GcPauseSeconds);
            w.WriteString("gc_mode", s.Runtime.GcMode);
            w.WriteNumber("processors", s.Runtime.Processors);
            w.WriteEndObject();
            w.WriteStartArray("inputs");
            foreach (var f in s.Inputs)
            {
                w.WriteStartObject();
                w.WriteString("path", f.Path);
                w.WriteString("format", f.Format);
                w.WriteString("profile", f.Profile);
                w.WriteNumber("bytes", f.Bytes);
                w.WriteString("checksum", f.Checksum);
                Accounting(w, f.RowsRead, f.RowsMerged, f.RowsRejected, f.RejectsByReason);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            Catalogues(w, "not_in", s.NotIn);
            Catalogues(w, "associate", s.Associate);
            w.WriteStartObject("outputs");
            foreach (var (name, checksum) in s.Outputs) w.WriteString(name, checksum);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void Catalogues(Utf8JsonWriter w, string name, List<CatalogueFileSummary> files)
    {
        w.WriteStartArray(name);
        foreach (var c in files)
        {
            w.WriteStartObject();
            w.WriteString("path", c.Path);
            w.WriteString("format", c.Format);
            w.WriteNumber("bytes", c.Bytes);
            w.WriteString("checksum", c.Checksum);
            w.WriteNumber("rows_read", c.RowsRead);
            w.WriteNumber("rows_rejected", c.RowsRejected);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>The run's or one input's row accounting: read = merged + rejected (+ filtered), rejects by reason.</summary>
    private static void Accounting(Utf8JsonWriter w, long read, long merged, long rejected, Dictionary<string, long> byReason)
    {
        w.WriteNumber("rows_read", read);
        w.WriteNumber("rows_merged", merged);
        w.WriteNumber("rows_rejected", rejected);
        w.WriteStartObject("rejects_by_reason");
        foreach (var (reason, count) in byReason) w.WriteNumber(reason, count);
        w.WriteEndObject();
    }

    private static void Numbers(Utf8JsonWriter w, string name, Dictionary<string, double> values)
    {
        w.WriteStartObject(name);
        foreach (var (key, value) in values)
        {
            w.WritePropertyName(key);
            Number(w, value);
        }
        w.WriteEndObject();
    }

    private static void Counts(Utf8JsonWriter w, string name, Dictionary<string, long> values)
    {
        w.WriteStartObject(name);
        foreach (var (key, value) in values) w.WriteNumber(key, value);
        w.WriteEndObject();
    }

    /// <summary>A number, or NaN and the infinities as the strings the serializer's named literals are.</summary>
    private static void Number(Utf8JsonWriter w, double value)
    {
        if (double.IsFinite(value)) w.WriteNumberValue(value);
        else w.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    }
}
