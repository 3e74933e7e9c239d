namespace Wdb.Core;

/// <summary>Per-input-file accounting: rows read = rows merged + rows rejected (+ filtered).</summary>
public sealed class InputFileSummary
{
    public string Path { get; set; } = "";
    public string Format { get; set; } = "";
    public string? Profile { get; set; }
    public long Bytes { get; set; }
    /// <summary>The file's checksum as stored, <c>NAME:HEX</c> (<see cref="Checksums.Format"/>).</summary>
    public string Checksum { get; set; } = "";
    public long RowsRead { get; set; }
    public long RowsMerged { get; set; }
    public long RowsRejected { get; set; }
    public Dictionary<string, long> RejectsByReason { get; set; } = new();
}

/// <summary>One released catalogue of the reject-file mode (`--not-in`) as read: rows left out keep their extractions in the merge.</summary>
public sealed class CatalogueFileSummary
{
    public string Path { get; set; } = "";
    public string Format { get; set; } = "";
    public long Bytes { get; set; }
    /// <summary>The file's checksum as stored, <c>NAME:HEX</c> (<see cref="Checksums.Format"/>).</summary>
    public string Checksum { get; set; } = "";
    public long RowsRead { get; set; }
    public long RowsRejected { get; set; }
}

/// <summary>The content of summary.json (serialized with snake_case names).</summary>
public sealed class RunSummary
{
    public string Tool { get; set; } = "wdb";
    public string Version { get; set; } = "";
    public long RowsRead { get; set; }
    public long RowsMerged { get; set; }
    public long RowsRejected { get; set; }
    public Dictionary<string, long> RejectsByReason { get; set; } = new();
    public long CandidateGroups { get; set; }
    public long Groups { get; set; }
    public long ConfusedCandidateGroups { get; set; }
    /// <summary>Confused candidate groups too large to split (ConfusionResolver.MaxSplitWork), left whole and flagged confused.</summary>
    public long UnresolvedCandidateGroups { get; set; }
    public string Device { get; set; } = "";
    public Dictionary<string, object> Parameters { get; set; } = new();
    /// <summary>
    /// What the run warned of, in the order said (each as its log line says it, less "warning: "): kept here for the runs
    /// whose log nobody reads (--quiet, a batch job). A cluster's stitch keeps its plan's and its tasks' too.
    /// </summary>
    public List<string> Warnings { get; set; } = new();
    public Dictionary<string, double> StageSeconds { get; set; } = new();
    /// <summary>
    /// CPU seconds the whole process spent during each stage (every thread: the stage's own, the
    /// runtime's JIT and GC); over <see cref="StageSeconds"/> it says how many cores a stage kept busy.
    /// </summary>
    public Dictionary<string, double> StageCpuSeconds { get; set; } = new();
    /// <summary>
    /// The part of <see cref="StageCpuSeconds"/> spent in the kernel (page faults, I/O, waking threads), and the
    /// process's minor page faults and context switches, voluntary (waits) and involuntary (preemptions), during
    /// each stage (<see cref="ProcessCounters"/>; the counts are 0 where the system does not give them).
    /// </summary>
    public Dictionary<string, double> StageSystemCpuSeconds { get; set; } = new();
    public Dictionary<string, long> StageMinorFaults { get; set; } = new();
    public Dictionary<string, long> StageVoluntarySwitches { get; set; } = new();
    public Dictionary<string, long> StageInvoluntarySwitches { get; set; } = new();
    /// <summary>
    /// Managed memory allocated during each stage (MB, every thread): new memory, which the runtime
    /// zeroes and the kernel faults in page by page, a cost of its own on some machines (bench/NOTES.md 58).
    /// </summary>
    public Dictionary<string, double> StageAllocatedMb { get; set; } = new();
    /// <summary>Managed heap in use (MB) at the end of each stage, and the process's peak working set (MB).</summary>
    public Dictionary<string, double> StageHeapMb { get; set; } = new();
    public double PeakWorkingSetMb { get; set; }
    /// <summary>How wdb's code ran and what the runtime itself spent, to read the timings by (up to the write).</summary>
    public RuntimeSummary Runtime { get; set; } = new();
    public List<InputFileSummary> Inputs { get; set; } = new();
    /// <summary>The catalogues of `--not-in` (SPEC §4, the reject-file mode); empty without it.</summary>
    public List<CatalogueFileSummary> NotIn { get; set; } = new();
    /// <summary>The catalogues of `--associate` (reliability evidence, SPEC §4); empty without it.</summary>
    public List<CatalogueFileSummary> Associate { get; set; } = new();
    /// <summary>
    /// One stage's costs as measured, replacing what the summary had for it (a stage run once per zone
    /// arrives already added up).
    /// </summary>
    public void SetStage(string stage, double seconds, ProcessCounters spent, double allocatedMb)
    {
        StageSeconds[stage] = Math.Round(seconds, 4);
        StageCpuSeconds[stage] = Math.Round(spent.CpuSeconds, 4);
        StageSystemCpuSeconds[stage] = Math.Round(spent.SystemSeconds, 4);
        StageMinorFaults[stage] = spent.MinorFaults;
        StageVoluntarySwitches[stage] = spent.VoluntarySwitches;
        StageInvoluntarySwitches[stage] = spent.InvoluntarySwitches;
        StageAllocatedMb[stage] = Math.Round(allocatedMb, 1);
    }

    /// <summary>Every file written but summary.json itself -> its checksum, <c>NAME:HEX</c> (<see cref="Checksums.Format"/>).</summary>
    public Dictionary<string, string> Outputs { get; set; } = new();
}

/// <summary>
/// The build that ran and the runtime's own costs: a jitted build (`dotnet run`) spends a tenth of a
/// second or more compiling at start that the published one does not (bench/NOTES.md 63), which the
/// stage timings alone would not explain.
/// </summary>
public sealed class RuntimeSummary
{
    /// <summary>The values of <see cref="Build"/>.</summary>
    public const string CompositeReadyToRun = "composite ReadyToRun", ReadyToRun = "ReadyToRun", Jitted = "jitted", Unknown = "unknown";

    /// <summary><see cref="CompositeReadyToRun"/>, <see cref="ReadyToRun"/>, <see cref="Jitted"/> or <see cref="Unknown"/>: how wdb's own code was compiled.</summary>
    public string Build { get; set; } = "";
    /// <summary>Methods the JIT compiled, and the time it took on every thread (seconds).</summary>
    public long JitMethods { get; set; }
    public double JitSeconds { get; set; }
    /// <summary>Garbage collections of every generation, and the time the program was paused for them (seconds).</summary>
    public int GcCollections { get; set; }
    public double GcPauseSeconds { get; set; }
    /// <summary>"workstation" or "server" garbage collection (DOTNET_gcServer), and the processors the runtime saw.</summary>
    public string GcMode { get; set; } = "";
    public int Processors { get; set; }
}
