using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Reflection.PortableExecutable;
using Wdb.Core;

namespace Wdb.Merge;

/// <summary>What summary.json says of the runtime (<see cref="RuntimeSummary"/>): the build that ran, the JIT's and the GC's costs so far.</summary>
internal static class RuntimeFacts
{
    public static RuntimeSummary Now() => new()
    {
        Build = BuildOf(typeof(RuntimeFacts).Assembly),
        JitMethods = System.Runtime.JitInfo.GetCompiledMethodCount(),
        JitSeconds = Math.Round(System.Runtime.JitInfo.GetCompilationTime().TotalSeconds, 4),
        // A collection of any generation also collects generation 0.
        GcCollections = GC.CollectionCount(0),
        GcPauseSeconds = Math.Round(GC.GetTotalPauseDuration().TotalSeconds, 4),
        GcMode = System.Runtime.GCSettings.IsServerGC ? "server" : "workstation",
        Processors = Environment.ProcessorCount,
    };

    private const uint ReadyToRunSignature = 0x00525452;   // "RTR"
    private const uint ComponentOfComposite = 0x20;         // READYTORUN_FLAG_COMPONENT: the code is in a composite image

    /// <summary>
    /// How the assembly was compiled (<see cref="RuntimeSummary.Build"/>), from its ReadyToRun header (its
    /// CLI header's managed native header); unknown when it has no file (a single-file publish, a
    /// dynamic assembly) or its file cannot be read.
    /// </summary>
    // In a single-file publish Location is empty (the assembly has no file of its own): that is the
    // "unknown" case below, not a mistake the analyzer's IL3000 warns of.
    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An empty Location is handled: unknown.")]
    public static string BuildOf(Assembly assembly)
    {
        if (string.IsNullOrEmpty(assembly.Location)) return RuntimeSummary.Unknown;
        try
        {
            using var pe = new PEReader(File.OpenRead(assembly.Location));
            var header = pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory;
            if (header is not { Size: >= 12 } native) return RuntimeSummary.Jitted;
            var reader = pe.GetSectionData(native.RelativeVirtualAddress).GetReader();
            if (reader.Length < 12 || reader.ReadUInt32() != ReadyToRunSignature) return RuntimeSummary.Jitted;
            reader.ReadUInt16();   // major version
            reader.ReadUInt16();   // minor version
            return (reader.ReadUInt32() & ComponentOfComposite) != 0 ? RuntimeSummary.CompositeReadyToRun : RuntimeSummary.ReadyToRun;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BadImageFormatException)
        {
            return RuntimeSummary.Unknown;
        }
    }
}
