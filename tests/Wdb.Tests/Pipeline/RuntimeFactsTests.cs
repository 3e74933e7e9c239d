using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using Wdb.Core;
using Wdb.Merge;

namespace Wdb.Tests.Pipeline;

/// <summary>summary.json's `runtime`: the build read from an assembly's ReadyToRun header, and the JIT's and GC's counts.</summary>
public sealed class RuntimeFactsTests : IDisposable
{
    private readonly Scratch _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public void The_build_is_read_from_the_assemblys_header()
    {
        // The shared framework ships precompiled, one image per assembly (in the GPU package, which runs these
        // tests on wdb's self-contained publish, one composite image with ours).
        Assert.Equal(BuildByPEReader(typeof(object).Assembly), Precompiled(RuntimeFacts.BuildOf(typeof(object).Assembly)));
        Assert.Equal("ReadyToRun", BuildByPEReader(typeof(object).Assembly));
        // The test build of wdb is IL only; the GPU package's is precompiled.
        Assert.Equal(BuildByPEReader(typeof(MergeJob).Assembly), Precompiled(RuntimeFacts.BuildOf(typeof(MergeJob).Assembly)));
        // An assembly with no file behind it.
        var dynamic = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("wdb-dynamic"), AssemblyBuilderAccess.Run);
        Assert.Equal("unknown", RuntimeFacts.BuildOf(dynamic));
    }

    [Fact]
    public void A_merge_writes_the_runtimes_counts_as_they_stood_before_its_write()
    {
        string outDir = Path.Combine(_scratch.Dir, "out");
        long jitBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
        int gcBefore = GC.CollectionCount(0);
        var golden = Path.Combine(AppContext.BaseDirectory, "data", "golden", "tiny.csv");
        var outcome = MergeJob.Run(new MergeOptions { Inputs = [golden], OutDir = outDir, Device = "cpu" });
        Assert.Null(outcome.Error);

        var runtime = outcome.Summary!.Runtime;
        Assert.Equal(BuildByPEReader(typeof(RuntimeFacts).Assembly), Precompiled(runtime.Build));
        // Counters of the whole process (other tests run beside this one): never below what they were before.
        Assert.True(runtime.JitMethods >= jitBefore, $"{runtime.JitMethods} < {jitBefore}");
        Assert.True(runtime.JitSeconds > 0);
        Assert.True(runtime.GcCollections >= gcBefore, $"{runtime.GcCollections} < {gcBefore}");
        Assert.True(runtime.GcPauseSeconds >= 0);

        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outDir, "summary.json")));
        var json = doc.RootElement.GetProperty("runtime");
        Assert.Equal(runtime.Build, json.GetProperty("build").GetString());
        Assert.Equal(runtime.JitMethods, json.GetProperty("jit_methods").GetInt64());
        Assert.Equal(runtime.JitSeconds, json.GetProperty("jit_seconds").GetDouble());
        Assert.Equal(runtime.GcCollections, json.GetProperty("gc_collections").GetInt32());
        Assert.Equal(runtime.GcPauseSeconds, json.GetProperty("gc_pause_seconds").GetDouble());
        // The test host runs the workstation collector, as wdb does unless DOTNET_gcServer says otherwise.
        Assert.Equal(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation", json.GetProperty("gc_mode").GetString());
        Assert.Equal(Environment.ProcessorCount, json.GetProperty("processors").GetInt32());
    }

    /// <summary>Composite or one image per assembly, both precompiled: the PE reader sees no difference.</summary>
    private static string Precompiled(string build) => build == RuntimeSummary.CompositeReadyToRun ? RuntimeSummary.ReadyToRun : build;

    /// <summary>The build as System.Reflection.Metadata reads the file: precompiled code has a managed native
    /// header (the ReadyToRun header) in the CLI header, IL alone has none.</summary>
    private static string BuildByPEReader(Assembly assembly)
    {
        using var pe = new PEReader(File.OpenRead(assembly.Location));
        return pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0 ? "ReadyToRun" : "jitted";
    }
}
