using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Wdb.IO;

namespace Wdb.Tests.Output;

/// <summary>
/// Decodes the first chunk of each output file with an independent FlatBuffers implementation:
/// Debian's flatc 2.0.8 (apt package flatbuffers-compiler; CI installs it). Without flatc on
/// PATH the test is reported as skipped.
/// </summary>
public class FlatcDecodeTests
{
    private static string SchemaDir()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "schema", "wdb.fbs"))) return Path.Combine(d.FullName, "schema");
        throw new InvalidOperationException("schema/wdb.fbs not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Runs the documented decode command; returns the root object of the JSON.</summary>
    private static JsonElement Decode(string flatc, string schema, string file, string outDir)
    {
        Directory.CreateDirectory(outDir);
        var psi = new ProcessStartInfo(flatc) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { "--json", "--strict-json", "--defaults-json", "--size-prefixed", "--raw-binary", "-o", outDir, schema, "--", file })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd() + p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), "flatc did not finish");
        Assert.True(p.ExitCode == 0, $"flatc failed on {file}: {err}");
        string json = File.ReadAllText(Path.Combine(outDir, Path.GetFileNameWithoutExtension(file) + ".json"));
        // flatc writes non-finite floats as bare nan / inf, which JSON has no words for.
        json = Regex.Replace(json, @"(?<=[:\[,]\s*)[-+]?(nan|inf)\b", "null");
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    [Fact]
    public void StockFlatcDecodesTheFirstChunkOfEveryFile()
    {
        string flatc = ExternalTools.Require("flatc", "flatbuffers-compiler");
        using var tmp = new TempDir();
        var o = Synthetic.Make();
        Assert.Null(OutputWriter.Write(tmp["out"], o, 4));
        string schema = SchemaDir();

        var groups = Decode(flatc, Path.Combine(schema, "groups.fbs"), tmp["out/groups.fb"], tmp["json-g"]).GetProperty("groups");
        Assert.Equal(4, groups.GetArrayLength());   // first chunk only
        var g0 = groups[0];
        Assert.Equal(10, g0.GetProperty("gcntr").GetInt64());
        Assert.Equal("J235957.60-893000.0", g0.GetProperty("designation").GetString());   // (359.99, -89.5) deg
        Assert.Equal(o.Groups!.RaW[0], g0.GetProperty("ra_w").GetDouble(), 1e-9);
        Assert.Equal(11.5, g0.GetProperty("h").GetProperty("magw").GetDouble(), 1e-6);
        Assert.Equal(2, g0.GetProperty("k").GetProperty("ndet").GetInt32());
        Assert.Equal("fitted", g0.GetProperty("pm_status").GetString());
        var g1 = groups[1];
        Assert.Equal("too_few_members", g1.GetProperty("pm_status").GetString());
        Assert.Equal(JsonValueKind.Null, g1.GetProperty("rms_sep").ValueKind);   // NaN
        Assert.True(groups[2].GetProperty("confused").GetBoolean());

        var members = Decode(flatc, Path.Combine(schema, "members.fbs"), tmp["out/members.fb"], tmp["json-m"]).GetProperty("members");
        Assert.Equal(4, members.GetArrayLength());  // groups 10 (3 members) and 20 (1)
        Assert.Equal([10L, 11L, 12L, 20L], members.EnumerateArray().Select(m => m.GetProperty("cntr").GetInt64()));
        var m12 = members[2];
        Assert.Equal(10, m12.GetProperty("gcntr").GetInt64());
        Assert.Equal('0', (char)m12.GetProperty("h").GetProperty("rd_flg").GetInt32());
        Assert.False(m12.GetProperty("h").GetProperty("detected").GetBoolean());
        Assert.Equal(JsonValueKind.Null, members[3].GetProperty("jdate").ValueKind);

        var x = Decode(flatc, Path.Combine(schema, "extractions.fbs"), tmp["out/extractions.fb"], tmp["json-x"]).GetProperty("extractions");
        Assert.Equal([10L, 11L, 12L, 15L], x.EnumerateArray().Select(e => e.GetProperty("cntr").GetInt64()));
        Assert.Equal("none", x[0].GetProperty("reason").GetString());
        Assert.Equal("filtered_artifact", x[3].GetProperty("reason").GetString());
        Assert.Equal(-1, x[3].GetProperty("gcntr").GetInt64());
        Assert.Equal(515, x[3].GetProperty("line").GetInt64());

        var index = Decode(flatc, Path.Combine(schema, "index.fbs"), tmp["out/groups.idx"], tmp["json-i"]);
        Assert.Equal("groups", index.GetProperty("table_name").GetString());
        Assert.Equal(5, index.GetProperty("records").GetInt64());
        var chunks = index.GetProperty("chunks");
        Assert.Equal(2, chunks.GetArrayLength());
        Assert.Equal((10L, 40L, 0L), (chunks[0].GetProperty("first_key").GetInt64(), chunks[0].GetProperty("last_key").GetInt64(), chunks[0].GetProperty("offset").GetInt64()));
        Assert.Equal(chunks[0].GetProperty("bytes").GetInt64(), chunks[1].GetProperty("offset").GetInt64());
        Assert.Equal(50, chunks[1].GetProperty("first_key").GetInt64());

        // sky.fb: every group's weighted mean position, by (band, RA); its first chunk holds 4 of the 5.
        var sky = Decode(flatc, Path.Combine(schema, "sky.fbs"), tmp["out/sky.fb"], tmp["json-s"]).GetProperty("entries");
        Assert.Equal(4, sky.GetArrayLength());
        var positions = Enumerable.Range(0, o.Groups.Count).ToDictionary(i => o.Groups.Gcntr[i], i => (o.Groups.RaW[i], o.Groups.DecW[i]));
        long previous = long.MinValue;
        foreach (var e in sky.EnumerateArray())
        {
            var (ra, dec) = positions[e.GetProperty("gcntr").GetInt64()];
            Assert.Equal(ra, e.GetProperty("ra").GetDouble(), 1e-9);   // flatc prints 12 significant digits
            Assert.Equal(dec, e.GetProperty("dec").GetDouble(), 1e-9);
            long key = SkyKeys.KeyOf(ra, dec);
            Assert.True(key >= previous);
            previous = key;
        }
        var skyIndex = Decode(flatc, Path.Combine(schema, "index.fbs"), tmp["out/sky.idx"], tmp["json-si"]);
        Assert.Equal(("sky", "zone_ra", 5L), (skyIndex.GetProperty("table_name").GetString(), skyIndex.GetProperty("key").GetString(),
            skyIndex.GetProperty("records").GetInt64()));
    }
}
