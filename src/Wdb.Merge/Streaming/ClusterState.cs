using System.Text.Json;
using System.Text.Json.Serialization;
using Wdb.Core;
using Wdb.IO;

namespace Wdb.Merge.Streaming;

/// <summary>
/// What a cluster's plan leaves for its tasks and its stitch (docs/cluster.md), in <c>plan.json</c>: the merge's
/// settings, the zones, the plan's own account of the rows (its summary and rejects) and the duplicate rows
/// every task leaves out. The runs, the footprints and the tasks' outputs are files of their own beside it.
/// </summary>
internal sealed class ClusterState
{
    /// <summary>The layout of the work directory; a plan of another layout is refused, not misread. 2: the catalogues'
    /// rows filed by zone in the work directory (ZoneCatalogue), not read again by every task. 3: every run (rows, open
    /// rows, output runs) and each zone's filed catalogue rows carry checksums of their bytes in their indexes. 4: plan.json
    /// and each task's summary.json have their XxHash3 beside them (NAME.xxh3).</summary>
    public const int CurrentLayout = 4;

    public int Layout { get; set; } = CurrentLayout;
    public List<string> Inputs { get; set; } = new();
    public string OutDir { get; set; } = "";
    public double RadiusArcsec { get; set; }
    public string? Profile { get; set; }
    public InputFormat Format { get; set; }
    public bool Strict { get; set; }
    public string Device { get; set; } = "auto";
    public int BlockRows { get; set; }
    public double? MinSnr { get; set; }
    public bool ExcludeArtifacts { get; set; }
    public bool ExcludeLikelyArtifacts { get; set; }
    /// <summary>The --not-in catalogues (full paths, as the plan read them; their checksums are in <see cref="Summary"/>,
    /// their rows filed by zone in the work directory).</summary>
    public List<string> NotIn { get; set; } = new();
    public double NotInRadiusArcsec { get; set; }
    public bool NotInAnyScan { get; set; }
    /// <summary>The --associate catalogues (full paths; their checksums are in <see cref="Summary"/>).</summary>
    public List<string> Associate { get; set; } = new();
    public double AssociateRadiusArcsec { get; set; }
    /// <summary>The model given to the plan, whole (the file it came from may be gone by the stitch); null for the built-in one.</summary>
    public string? ReliabilityModelJson { get; set; }
    public string Checksum { get; set; } = "";
    public long Rows { get; set; }
    public int ZoneRows { get; set; }
    public int Zones { get; set; }
    public RunSummary Summary { get; set; } = new();
    public List<RejectRecord> Rejects { get; set; } = new();
    public List<long[]> Duplicates { get; set; } = new();

    public const string FileName = "plan.json";
    public const string FootprintsName = "footprints.bin";
    public const string RowsName = "rows";
    public const string TasksName = "tasks";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
    };

    public static ClusterState Of(MergeOptions options, RunSummary summary, IEnumerable<RejectRecord> rejects,
        IEnumerable<(int File, long Line)> duplicates, long rows, int zoneRows, int zones) => new()
    {
        Inputs = options.Inputs.Select(Path.GetFullPath).ToList(),
        OutDir = Path.GetFullPath(options.OutDir),
        RadiusArcsec = options.RadiusArcsec, Profile = options.Profile, Format = options.Format, Strict = options.Strict,
        Device = options.Device, BlockRows = options.BlockRows,
        MinSnr = options.Filters.MinSnr, ExcludeArtifacts = options.Filters.ExcludeArtifacts,
        ExcludeLikelyArtifacts = options.Filters.ExcludeLikelyArtifacts,
        NotIn = options.Filters.NotIn?.Paths.Select(Path.GetFullPath).ToList() ?? [],
        NotInRadiusArcsec = options.Filters.NotIn?.RadiusArcsec ?? 0, NotInAnyScan = options.Filters.NotIn?.AnyScan ?? false,
        Associate = options.Associate?.Paths.Select(Path.GetFullPath).ToList() ?? [],
        AssociateRadiusArcsec = options.Associate?.RadiusArcsec ?? 0,
        ReliabilityModelJson = options.Reliability?.ToJson(),
        Checksum = options.Checksum.Name(),
        Rows = rows, ZoneRows = zoneRows, Zones = zones,
        Summary = summary, Rejects = rejects.ToList(),
        Duplicates = duplicates.OrderBy(d => d.File).ThenBy(d => d.Line).Select(d => new[] { d.File, d.Line }).ToList(),
    };

    /// <summary>The merge's options as the plan had them; a task or the stitch may choose its own threads, device and progress display.</summary>
    public MergeOptions Options(int threads, string? device, IMergeProgress? progress)
    {
        Checksums.TryParse(Checksum, out var checksum);
        return new MergeOptions
        {
            Inputs = Inputs, OutDir = OutDir, RadiusArcsec = RadiusArcsec, Profile = Profile, Format = Format, Strict = Strict,
            Device = device ?? Device, Threads = threads, BlockRows = BlockRows,
            Filters = new FilterOptions(MinSnr, ExcludeArtifacts,
                NotIn.Count == 0 ? null : new NotInCatalogues(NotIn, NotInRadiusArcsec, NotInAnyScan), ExcludeLikelyArtifacts),
            Reliability = ReliabilityModelJson is null ? null : ReliabilityModel.Load(ReliabilityModelJson),
            Associate = Associate.Count == 0 ? null : new AssociateCatalogues(Associate, AssociateRadiusArcsec),
            ZoneRows = ZoneRows, Checksum = checksum, Progress = progress,
        };
    }

    public IEnumerable<(int File, long Line)> DuplicateKeys => Duplicates.Select(d => ((int)d[0], d[1]));

    /// <summary>Written whole, then renamed: a work directory with a plan.json holds a complete plan.</summary>
    public void Save(string work) => WriteJson(Path.Combine(work, FileName), this);

    /// <summary>
    /// The plan in <paramref name="work"/>, or why there is none to use: none there, or of another layout (exit 2); a
    /// plan.json that cannot be read or was changed since the plan wrote it (exit 3, as a changed run).
    /// </summary>
    public static (ClusterState? State, MergeOutcome? Refused) Load(string work)
    {
        string path = Path.Combine(work, FileName);
        if (File.Exists(work))
            return (null, MergeOutcome.Fail(MergeJob.InputErrorExit,
                $"'{Shown.Path(work)}' is a file, not a cluster work directory: give the --work directory `wdb cluster plan` made"));
        if (!File.Exists(path))
            return (null, MergeOutcome.Fail(MergeJob.InputErrorExit, Directory.Exists(work) && Directory.EnumerateFileSystemEntries(work).Any()
                ? $"'{Shown.Path(work)}' holds no finished cluster plan ({FileName}): its plan stopped before its end; remove the directory and plan again"
                : $"'{Shown.Path(work)}' holds no cluster plan ({FileName}): make one with `wdb cluster plan --work {Shown.Path(work)} ...` and let it finish"));
        ClusterState? state;
        try { state = ReadJson<ClusterState>(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (UncheckedLayout(path) is int older and not CurrentLayout) return (null, OtherLayout(path, older));
            // Its bytes changed, cut short, or its checksum gone: only a new plan mends it (a permission is the user's to fix).
            string next = e is IOException ? $": remove '{Shown.Path(work)}' and plan again" : "";
            return (null, MergeOutcome.Fail(MergeJob.OutputErrorExit, $"cannot read the plan: {e.Message.ReplaceLineEndings(" ").TrimEnd('.', ' ')}{next}"));
        }
        if (state is null || state.Layout != CurrentLayout) return (null, OtherLayout(path, state?.Layout));
        PlainParameters(state.Summary);
        return (state, null);
    }

    private static MergeOutcome OtherLayout(string path, int? layout) => MergeOutcome.Fail(MergeJob.InputErrorExit,
        $"{path}: a plan of layout {layout} where this wdb reads layout {CurrentLayout}: plan again with this version");

    /// <summary>
    /// The layout a plan.json says it has, read without its checksum, or null: a plan of a layout before 4 has no checksum
    /// file, and is told to plan again rather than that its checksum is missing.
    /// </summary>
    private static int? UncheckedLayout(string path)
    {
        if (File.Exists(WholeFile.ChecksumPath(path))) return null;
        try { return JsonSerializer.Deserialize<LayoutOnly>(File.ReadAllBytes(path), Json)?.Layout; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException) { return null; }
    }

    private sealed record LayoutOnly(int? Layout);

    /// <summary>An output directory's summary.json as <see cref="RunSummary"/>, its parameters as plain values.</summary>
    /// <exception cref="IOException">It cannot be read, or it is not what wdb wrote.</exception>
    public static RunSummary ReadSummary(string path)
    {
        var summary = Parse<RunSummary>(File.ReadAllBytes(path), path) ?? throw new IOException($"'{Shown.Path(path)}' is empty");
        PlainParameters(summary);
        return summary;
    }

    private static void PlainParameters(RunSummary summary) =>
        summary.Parameters = summary.Parameters.ToDictionary(kv => kv.Key, kv => Plain(kv.Value));

    /// <summary>Written whole, with its checksum beside it (<see cref="WholeFile.WriteChecked"/>): the JSON stays plain for people and tools.</summary>
    public static void WriteJson<T>(string path, T value) =>
        WholeFile.WriteChecked(path, file => JsonSerializer.Serialize(file, value, Json));

    /// <summary>A file <see cref="WriteJson{T}"/> wrote, once its checksum matches: a count changed on the way is an I/O error naming the file, not a sum gone wrong.</summary>
    public static T? ReadJson<T>(string path) => Parse<T>(WholeFile.ReadChecked(path), path);

    /// <summary>JSON wdb wrote; bytes that are not such JSON are an I/O error naming the file.</summary>
    private static T? Parse<T>(byte[] bytes, string path)
    {
        try { return JsonSerializer.Deserialize<T>(bytes, Json); }
        catch (JsonException e) { throw new IOException($"'{Shown.Path(path)}' is not what wdb wrote: {e.Message}", e); }
    }

    /// <summary>A parameter read back as the plain value summary.json writes (numbers it wrote as integers come back as such).</summary>
    private static object Plain(object value) => value is not JsonElement e ? value : e.ValueKind switch
    {
        JsonValueKind.Null => null!,
        JsonValueKind.String => e.GetString()!,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number when e.TryGetInt64(out long l) => l,
        JsonValueKind.Number => e.GetDouble(),
        _ => e.ToString(),
    };
}
