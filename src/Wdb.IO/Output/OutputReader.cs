using Google.FlatBuffers;
using Microsoft.Win32.SafeHandles;
using Wdb.Core;
using Wdb.Fbs;

namespace Wdb.IO;

/// <summary>
/// Reads a directory written by <see cref="OutputWriter"/>. Sequential scans read chunk by
/// chunk. <see cref="FindGroup"/>, <see cref="MembersOf"/> and <see cref="FindExtraction"/>
/// binary-search the <c>.idx</c> (loaded at open) for the chunk, then the chunk: a group
/// lookup reads its chunk (1024 groups, ~300 KB); member and extraction lookups read only the
/// probed fixed-size records (a group split across chunks reads the next ones too). Chunks
/// are checked (<see cref="ChunkCheck"/>) and every read is bounds-checked, so a
/// structurally corrupt file gives <see cref="InvalidDataException"/>. Reads use positional
/// I/O and no shared buffers, so one reader may serve several threads.
/// </summary>
public sealed class OutputReader : IDisposable
{
    private readonly TableFile _groups, _members, _extractions;
    // sky.fb: absent from outputs written before it was (their cone searches read every group).
    private readonly TableFile? _sky;

    /// <summary>The output directory, as given to <see cref="Open"/>.</summary>
    public string OutputDirectory { get; }
    public long GroupCount => _groups.Chunks.TotalRecords;
    public long MemberCount => _members.Chunks.TotalRecords;
    public long ExtractionCount => _extractions.Chunks.TotalRecords;

    /// <summary>Whether the output has sky.fb, which <see cref="Cone"/> then reads instead of every group.</summary>
    public bool HasSkyIndex => _sky is not null;

    private OutputReader(string dir, TableFile groups, TableFile members, TableFile extractions, TableFile? sky)
    {
        OutputDirectory = dir; _groups = groups; _members = members; _extractions = extractions; _sky = sky;
    }

    /// <summary>Opens an output directory; throws <see cref="InvalidDataException"/> (with <see cref="TryOpen"/>'s message) when it cannot.</summary>
    public static OutputReader Open(string dir) =>
        TryOpen(dir, out var error) ?? throw new InvalidDataException(error!.Message);

    /// <summary>Opens an output directory, or returns null and a one-line error.</summary>
    public static OutputReader? TryOpen(string dir, out OutputError? error)
    {
        var opened = new List<TableFile>();
        try
        {
            foreach (string name in OutputWriter.TableNames)
            {
                var t = TableFile.Open(dir, name, out string? problem);
                if (t is null)
                {
                    foreach (var o in opened) o.Dispose();
                    error = new OutputError(problem!);
                    return null;
                }
                opened.Add(t);
            }
            bool skyFb = File.Exists(Path.Combine(dir, "sky.fb")), skyIdx = File.Exists(Path.Combine(dir, "sky.idx"));
            if (skyFb != skyIdx)
            {
                foreach (var o in opened) o.Dispose();
                error = new OutputError($"{dir}: {(skyFb ? "sky.fb without sky.idx" : "sky.idx without sky.fb")} (a partial copy of the output?)");
                return null;
            }
            if (skyFb)
            {
                var sky = TableFile.Open(dir, "sky", out string? problem);
                if (sky is null)
                {
                    foreach (var o in opened) o.Dispose();
                    error = new OutputError(problem!);
                    return null;
                }
                opened.Add(sky);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var o in opened) o.Dispose();
            error = new OutputError($"cannot read output '{Shown.Path(dir)}': {e.Message.ReplaceLineEndings(" ")}");
            return null;
        }
        error = null;
        return new OutputReader(dir, opened[0], opened[1], opened[2], opened.Count > 3 ? opened[3] : null);
    }

    /// <summary>Every group, in gcntr order.</summary>
    public IEnumerable<GroupRecord> Groups()
    {
        for (int c = 0; c < _groups.Chunks.Count; c++)
            foreach (var r in _groups.Decode(c, () =>
            {
                var chunk = GroupsChunkAt(c);
                var list = new GroupRecord[chunk.GroupsLength];
                for (int i = 0; i < list.Length; i++) list[i] = ToRecord(chunk.Groups(i)!.Value);
                return list;
            }))
                yield return r;
    }

    /// <summary>Every member, in gcntr order and, within a group, in (jdate, cntr) order.</summary>
    public IEnumerable<MemberRecord> Members()
    {
        for (int c = 0; c < _members.Chunks.Count; c++)
            foreach (var r in _members.Decode(c, () =>
            {
                var chunk = MembersChunkAt(c);
                var list = new MemberRecord[chunk.MembersLength];
                for (int i = 0; i < list.Length; i++) list[i] = ToRecord(chunk.Members(i)!.Value);
                return list;
            }))
                yield return r;
    }

    /// <summary>Every merged or filtered extraction, in cntr order.</summary>
    public IEnumerable<ExtractionRecord> Extractions()
    {
        for (int c = 0; c < _extractions.Chunks.Count; c++)
            foreach (var r in _extractions.Decode(c, () =>
            {
                var chunk = ExtractionsChunkAt(c);
                var list = new ExtractionRecord[chunk.ExtractionsLength];
                for (int i = 0; i < list.Length; i++) list[i] = ToRecord(chunk.Extractions(i)!.Value);
                return list;
            }))
                yield return r;
    }

    /// <summary>The group with this gcntr; null when there is none.</summary>
    public GroupRecord? FindGroup(long gcntr)
    {
        var chunks = _groups.Chunks;
        int c = chunks.LowerBound(gcntr);
        if (c == chunks.Count || chunks.FirstKey[c] > gcntr) return null;
        return _groups.Decode(c, () => FindGroupIn(c, gcntr));
    }

    private GroupRecord? FindGroupIn(int c, long gcntr)
    {
        // Only the vector is checked: a lookup touches a dozen tables, whose reads ByteBuffer bounds-checks.
        var chunk = GroupsChunk.GetRootAsGroupsChunk(_groups.Read(c, 4, tables: false));
        int lo = 0, hi = chunk.GroupsLength;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (chunk.Groups(mid)!.Value.Gcntr < gcntr) lo = mid + 1; else hi = mid;
        }
        if (lo == chunk.GroupsLength) return null;
        var g = chunk.Groups(lo)!.Value;
        return g.Gcntr == gcntr ? ToRecord(g) : null;
    }

    /// <summary>
    /// The groups whose weighted mean position lies within <paramref name="radiusArcsec"/> of (ra, dec), nearest
    /// first, gcntr between equal separations. groups.fb is ordered by gcntr, not position: sky.fb files the groups by
    /// declination band and RA, so only the records in the cone's key ranges (<see cref="SkyKeys.Ranges"/>) are read
    /// and measured, then the chunks of groups.fb that hold the groups found. An output without sky.fb is read whole
    /// (<see cref="ConeByScan"/>), with the same result.
    /// </summary>
    public List<ConeHit> Cone(double raDeg, double decDeg, double radiusArcsec) => ConeEach(1, _ => (raDeg, decDeg), radiusArcsec)[0];

    /// <summary>
    /// <see cref="Cone"/> around each of <paramref name="count"/> positions (a list of targets): from sky.fb, every
    /// position's records read on every core and the groups found read once, however many positions share them; without
    /// sky.fb, every group read once a position.
    /// </summary>
    public List<ConeHit>[] ConeEach(int count, Func<int, (double Ra, double Dec)> positionOf, double radiusArcsec)
    {
        var cones = new List<ConeHit>[count];
        if (SkyWithinEach(count, positionOf, radiusArcsec) is not { } found)
        {
            for (int i = 0; i < count; i++)
            {
                var (ra, dec) = positionOf(i);
                cones[i] = Nearest(ConeByScan(ra, dec, radiusArcsec).Select(f => new ConeHit(f.Found, f.Group)));
            }
            return cones;
        }
        var filed = found.SelectMany(hits => hits).DistinctBy(h => h.Gcntr).ToDictionary(h => h.Gcntr, h => (h.Ra, h.Dec));
        var groups = GroupsFiledAt([.. filed.Keys.Order()], g => filed[g]).ToDictionary(g => g.Gcntr);
        for (int i = 0; i < count; i++) cones[i] = Nearest(found[i].Select(h => new ConeHit(h.SepArcsec, groups[h.Gcntr])));
        return cones;
    }

    /// <summary>A cone's order: nearest first, gcntr between equal separations.</summary>
    private static List<ConeHit> Nearest(IEnumerable<ConeHit> hits) => [.. hits.OrderBy(h => h.SepArcsec).ThenBy(h => h.Group.Gcntr)];

    /// <summary>The cone from every group, measuring only those within the cone's declination band.</summary>
    internal List<(GroupRecord Group, double Found)> ConeByScan(double raDeg, double decDeg, double radiusArcsec)
    {
        double decReach = radiusArcsec / 3600.0;
        return FindGroups<double>((ra, dec) =>
        {
            if (Math.Abs(dec - decDeg) > decReach) return null;
            double sep = Sky.SeparationArcsec(raDeg, decDeg, ra, dec);
            return sep <= radiusArcsec ? sep : null;
        });
    }

    /// <summary>A group sky.fb files within a radius: its gcntr, the position filed (its ra_w, dec_w) and the separation.</summary>
    public readonly record struct SkyHit(long Gcntr, double Ra, double Dec, double SepArcsec);

    /// <summary>
    /// The groups sky.fb files within <paramref name="radiusArcsec"/> (inclusive) of each of <paramref name="count"/>
    /// positions, each position's in file order, read from sky.fb alone, the positions on every core: a list of positions
    /// against a large merge. A position that is not finite has no hits. Null without sky.fb.
    /// </summary>
    public List<SkyHit>[]? SkyWithinEach(int count, Func<int, (double Ra, double Dec)> positionOf, double radiusArcsec) =>
        SkyWithinEach(count, positionOf, radiusArcsec, byChunk: _sky is { } sky && count > PositionsPerChunkRead * (long)sky.Chunks.Count);

    /// <summary>
    /// Positions a sky.fb chunk (1 MB) above which every chunk is read once, whole, for all of them: ~2 ms a chunk read and
    /// decoded against ~40 us a position's look-up on two cores (the 10 M survey's 149 chunks: 3,000 targets 0.30 s one by
    /// one, 0.53 s by chunk; 100,000 targets 4.6-5.4 s against 4.1-4.3 s, most of either reading the groups found).
    /// </summary>
    public const int PositionsPerChunkRead = 64;

    /// <summary>
    /// <see cref="SkyWithinEach(int, Func{int, ValueTuple{double, double}}, double)"/>, each position's records read by
    /// binary search in the file, or, <paramref name="byChunk"/>, every chunk the positions reach read once, whole, for
    /// all of them.
    /// </summary>
    internal List<SkyHit>[]? SkyWithinEach(int count, Func<int, (double Ra, double Dec)> positionOf, double radiusArcsec, bool byChunk)
    {
        if (_sky is not { } sky) return null;
        if (byChunk) return SkyWithinByChunk(sky, count, positionOf, radiusArcsec);
        var found = new List<SkyHit>[count];
        // A corrupt chunk's InvalidDataException comes out as itself, for the callers' one line.
        Threads.For(0, count, new ParallelOptions(), i =>
        {
            var (ra, dec) = positionOf(i);
            found[i] = SkyKeys.Filed(ra, dec) ? SkyWithin(sky, ra, dec, radiusArcsec) : [];
        });
        return found;
    }

    /// <summary>
    /// Each position's key ranges met chunk by chunk: every chunk some range reaches read once, whole, on every core, its
    /// entries searched for each range there. A position's hits come range by range, chunk by chunk, in file order within
    /// a chunk: as <see cref="SkyWithin"/> finds them.
    /// </summary>
    private static List<SkyHit>[] SkyWithinByChunk(TableFile sky, int count, Func<int, (double Ra, double Dec)> positionOf, double radiusArcsec)
    {
        var chunks = sky.Chunks;
        var ranges = new List<(long Lo, long Hi)>?[count];
        var positions = new (double Ra, double Dec)[count];
        Threads.For(0, count, new ParallelOptions(), i =>
        {
            positions[i] = positionOf(i);
            if (SkyKeys.Filed(positions[i].Ra, positions[i].Dec)) ranges[i] = SkyKeys.Ranges(positions[i].Ra, positions[i].Dec, radiusArcsec);
        });
        // The visits of each chunk, in position order, then range order.
        var visits = new List<(int Position, int Range, long Lo, long Hi)>?[chunks.Count];
        for (int i = 0; i < count; i++)
            for (int r = 0; ranges[i] is { } mine && r < mine.Count; r++)
            {
                var (lo, hi) = mine[r];
                for (int c = chunks.LowerBound(lo); c < chunks.Count && chunks.Records[c] > 0 && chunks.FirstKey[c] <= hi; c++)
                    (visits[c] ??= []).Add((i, r, lo, hi));
            }
        var hitsOf = new List<(int Position, int Range, SkyHit Hit)>?[chunks.Count];
        Threads.For(0, chunks.Count, new ParallelOptions(), c =>
        {
            if (visits[c] is not { } here) return;
            hitsOf[c] = sky.Decode(c, () =>
            {
                var chunk = SkyChunkAt(sky, c);
                int n = chunk.EntriesLength;
                var keys = new long[n];
                var entries = new SkyEntry[n];
                for (int k = 0; k < n; k++)
                {
                    entries[k] = chunk.Entries(k)!.Value;
                    keys[k] = SkyKeys.KeyOf(entries[k].Ra, entries[k].Dec);
                }
                var hits = new List<(int, int, SkyHit)>();
                foreach (var (i, r, lo, hi) in here)
                {
                    var (ra, dec) = positions[i];
                    int at = Array.BinarySearch(keys, lo);
                    if (at < 0) at = ~at;
                    else while (at > 0 && keys[at - 1] == lo) at--;
                    for (; at < n && keys[at] <= hi; at++)
                    {
                        double sep = Sky.SeparationArcsec(ra, dec, entries[at].Ra, entries[at].Dec);
                        if (sep <= radiusArcsec) hits.Add((i, r, new SkyHit(entries[at].Gcntr, entries[at].Ra, entries[at].Dec, sep)));
                    }
                }
                return hits;
            });
        });
        var byPosition = new List<(int Range, SkyHit Hit)>[count];
        for (int i = 0; i < count; i++) byPosition[i] = [];
        for (int c = 0; c < chunks.Count; c++)
            foreach (var (i, r, hit) in hitsOf[c] ?? []) byPosition[i].Add((r, hit));
        // Chunk order within each range already; ranges in their own order (a stable sort).
        return [.. byPosition.Select(hits => hits.OrderBy(h => h.Range).Select(h => h.Hit).ToList())];
    }

    private static List<SkyHit> SkyWithin(TableFile sky, double raDeg, double decDeg, double radiusArcsec)
    {
        const int size = SkyEntryStruct.Bytes;
        var hits = new List<SkyHit>();
        var chunks = sky.Chunks;
        foreach (var (lo, hi) in SkyKeys.Ranges(raDeg, decDeg, radiusArcsec))
            for (int c = chunks.LowerBound(lo); c < chunks.Count && chunks.Records[c] > 0 && chunks.FirstKey[c] <= hi; c++)
                sky.Decode(c, () =>
                {
                    var (first, count) = sky.RecordVector(c, size);
                    var entry = new SkyEntry();
                    // A cone's records lie together: read in growing batches from the first key in range.
                    for (int at = sky.LowerBound(c, first, count, size, lo, size, SkyKeyOf), batch = 64; at < count; batch *= 2)
                    {
                        int k = Math.Min(batch, count - at);
                        var bb = sky.ReadRange(c, first + (long)at * size, k * size);
                        for (int i = 0; i < k; i++)
                        {
                            entry.__assign(i * size, bb);
                            if (SkyKeys.KeyOf(entry.Ra, entry.Dec) > hi) return true;
                            double sep = Sky.SeparationArcsec(raDeg, decDeg, entry.Ra, entry.Dec);
                            if (sep <= radiusArcsec) hits.Add(new SkyHit(entry.Gcntr, entry.Ra, entry.Dec, sep));
                        }
                        at += k;
                    }
                    return true;
                });
        return hits;
    }

    /// <summary>
    /// Every position sky.fb files (each group's ra_w, dec_w; 24 bytes a group, a fraction of groups.fb), in file order,
    /// chunk by chunk on the calling thread; false without sky.fb.
    /// </summary>
    public bool ForEachSkyPosition(Action<double, double> visit)
    {
        if (_sky is not { } sky) return false;
        for (int c = 0; c < sky.Chunks.Count; c++)
        {
            if (sky.Chunks.Records[c] == 0) continue;
            var chunk = SkyChunkAt(sky, c);
            sky.Decode(c, () =>
            {
                for (int i = 0, n = chunk.EntriesLength; i < n; i++)
                {
                    var entry = chunk.Entries(i)!.Value;
                    visit(entry.Ra, entry.Dec);
                }
                return true;
            });
        }
        return true;
    }

    /// <summary>
    /// What <paramref name="probe"/> gives for each group sky.fb files with a declination in [<paramref name="decLo"/>,
    /// <paramref name="decHi"/>) (its gcntr, ra_w, dec_w): only the chunks of those declination bands read, on every core,
    /// one result list a chunk, in file order. Null without sky.fb.
    /// </summary>
    internal List<T>[]? ProbeSkyIn<T>(double decLo, double decHi, Func<long, double, double, T?> probe) where T : struct
    {
        if (_sky is not { } sky) return null;
        var chunks = sky.Chunks;
        long lo = (long)SkyKeys.BandOf(decLo) << SkyKeys.RaBits, hi = ((long)SkyKeys.BandOf(decHi) + 1 << SkyKeys.RaBits) - 1;
        int first = chunks.LowerBound(lo), end = first;
        while (end < chunks.Count && chunks.Records[end] > 0 && chunks.FirstKey[end] <= hi) end++;
        var found = new List<T>[end - first];
        Threads.For(first, end, new ParallelOptions(), c => found[c - first] = sky.Decode(c, () =>
        {
            var chunk = SkyChunkAt(sky, c);
            var kept = new List<T>();
            for (int i = 0, n = chunk.EntriesLength; i < n; i++)
            {
                var e = chunk.Entries(i)!.Value;
                if (e.Dec >= decLo && e.Dec < decHi && probe(e.Gcntr, e.Ra, e.Dec) is T t) kept.Add(t);
            }
            return kept;
        }));
        return found;
    }

    /// <summary>
    /// The groups of <paramref name="gcntrs"/> (ascending, distinct), in that order, each checked to lie where sky.fb
    /// filed it (<paramref name="filedAt"/>). Each groups.fb chunk is read once for the groups it holds, the chunks on
    /// every core (when the groups lie in most chunks, this reads what a scan would).
    /// </summary>
    public List<GroupRecord> GroupsFiledAt(long[] gcntrs, Func<long, (double Ra, double Dec)> filedAt)
    {
        var groupChunks = _groups.Chunks;
        var spans = new List<(int Chunk, int From, int End)>();
        for (int h = 0; h < gcntrs.Length;)
        {
            int c = groupChunks.LowerBound(gcntrs[h]);
            int end = h;
            while (end < gcntrs.Length && c < groupChunks.Count && gcntrs[end] <= groupChunks.LastKey[c]) end++;
            if (end == h) throw SkyDisagrees(gcntrs[h]);
            spans.Add((c, h, end));
            h = end;
        }
        var perSpan = new List<GroupRecord>[spans.Count];
        Threads.For(0, spans.Count, new ParallelOptions(), s => perSpan[s] = _groups.Decode(spans[s].Chunk, () =>
        {
            var (c, from, end) = spans[s];
            var chunk = GroupsChunkAt(c);
            var kept = new List<GroupRecord>(end - from);
            for (int i = 0, j = from; i < chunk.GroupsLength && j < end; i++)
            {
                var g = chunk.Groups(i)!.Value;
                if (g.Gcntr < gcntrs[j]) continue;
                var (ra, dec) = filedAt(gcntrs[j]);
                if (g.Gcntr != gcntrs[j] || g.RaW != ra || g.DecW != dec) throw SkyDisagrees(gcntrs[j]);
                kept.Add(ToRecord(g));
                j++;
            }
            if (kept.Count != end - from) throw SkyDisagrees(gcntrs[from + kept.Count]);
            return kept;
        }));
        return perSpan.SelectMany(k => k).ToList();
    }

    /// <summary>A sky.fb record's key, from its position (bytes 8-24: ra, dec).</summary>
    private static long SkyKeyOf(ReadOnlySpan<byte> record) =>
        SkyKeys.KeyOf(System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(record[8..]),
            System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(record[16..]));

    private InvalidDataException SkyDisagrees(long gcntr) =>
        new($"{Path.Combine(OutputDirectory, "sky.fb")}: group {gcntr} is not in groups.fb at the position filed (mixed-up output)");

    /// <summary>
    /// Every group for which <paramref name="probe"/> (its weighted mean ra, dec in deg) gives a value, with that
    /// value, in gcntr order. Chunks are read and probed on every core; only the groups kept are decoded whole.
    /// </summary>
    public List<(GroupRecord Group, T Found)> FindGroups<T>(Func<double, double, T?> probe) where T : struct => [.. FindGroupsEach(probe)];

    /// <summary>
    /// <see cref="FindGroups{T}"/> as it goes: the chunks read and probed on every core a batch at a time (16 a core,
    /// ~16 K groups), each batch's groups given in gcntr order before the next is read. Memory is the batch's, not the
    /// groups found: `wdb associate --all` lists a full-sky merge's groups as it reads them.
    /// </summary>
    public IEnumerable<(GroupRecord Group, T Found)> FindGroupsEach<T>(Func<double, double, T?> probe) where T : struct =>
        FindGroupsEach(probe, 16 * Environment.ProcessorCount);

    /// <summary><see cref="FindGroupsEach{T}(Func{double, double, T?})"/> <paramref name="batch"/> chunks at a time (tests).</summary>
    internal IEnumerable<(GroupRecord Group, T Found)> FindGroupsEach<T>(Func<double, double, T?> probe, int batch) where T : struct
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        int chunks = _groups.Chunks.Count;
        var perChunk = new List<(GroupRecord, T)>[Math.Min(batch, chunks)];
        for (int from = 0; from < chunks; from += batch)
        {
            int n = Math.Min(batch, chunks - from);
            // Threads.For: a corrupt chunk's InvalidDataException comes out as itself (the callers' one line), not wrapped.
            Threads.For(0, n, new ParallelOptions(), k => perChunk[k] = _groups.Decode(from + k, () =>
            {
                var chunk = GroupsChunkAt(from + k);
                var kept = new List<(GroupRecord, T)>();
                for (int i = 0; i < chunk.GroupsLength; i++)
                {
                    var g = chunk.Groups(i)!.Value;
                    if (probe(g.RaW, g.DecW) is T found) kept.Add((ToRecord(g), found));
                }
                return kept;
            }));
            for (int k = 0; k < n; k++)
                foreach (var kept in perChunk[k]) yield return kept;
        }
    }

    /// <summary>The members of group <paramref name="gcntr"/> in time order; empty when there is no such group.</summary>
    public IReadOnlyList<MemberRecord> MembersOf(long gcntr)
    {
        var result = new List<MemberRecord>();
        var chunks = _members.Chunks;
        for (int c = chunks.LowerBound(gcntr); c < chunks.Count && chunks.Records[c] > 0 && chunks.FirstKey[c] <= gcntr; c++)
            _members.Decode(c, () => AddMembersIn(c, gcntr, result));
        return result;
    }

    /// <summary>
    /// Members are fixed-size structs: binary search reads 8-byte keys, then the group's
    /// records are read in growing batches; the rest of the chunk is never read.
    /// </summary>
    private bool AddMembersIn(int c, long gcntr, List<MemberRecord> result)
    {
        const int size = TableEncoders.MemberBytes;
        var (first, count) = _members.RecordVector(c, size);
        int at = _members.LowerBound(c, first, count, size, gcntr);
        var member = new Member();
        for (int batch = 8; at < count; batch *= 2)
        {
            int k = Math.Min(batch, count - at);
            var bb = _members.ReadRange(c, first + (long)at * size, k * size);
            for (int i = 0; i < k; i++)
            {
                member.__assign(i * size, bb);
                if (member.Gcntr != gcntr) return true;
                result.Add(ToRecord(member));
            }
            at += k;
        }
        return true;
    }

    /// <summary>The extraction with this cntr (the first, should an input repeat one); null when there is none.</summary>
    public ExtractionRecord? FindExtraction(long cntr)
    {
        var chunks = _extractions.Chunks;
        int c = chunks.LowerBound(cntr);
        if (c == chunks.Count || chunks.FirstKey[c] > cntr) return null;
        return _extractions.Decode(c, () => FindExtractionIn(c, cntr));
    }

    private ExtractionRecord? FindExtractionIn(int c, long cntr)
    {
        const int size = TableEncoders.ExtractionBytes;
        var (first, count) = _extractions.RecordVector(c, size);
        int at = _extractions.LowerBound(c, first, count, size, cntr);
        if (at == count) return null;
        var x = new Extraction();
        x.__assign(0, _extractions.ReadRange(c, first + (long)at * size, size));
        return x.Cntr == cntr ? ToRecord(x) : null;
    }

    // Record sizes: 4-byte offsets to Group tables; Member and Extraction structs (schema/wdb.fbs).
    private static SkyChunk SkyChunkAt(TableFile sky, int c) =>
        SkyChunk.GetRootAsSkyChunk(sky.Read(c, SkyEntryStruct.Bytes, tables: false));

    private GroupsChunk GroupsChunkAt(int c) =>
        GroupsChunk.GetRootAsGroupsChunk(_groups.Read(c, 4, tables: true));

    private MembersChunk MembersChunkAt(int c) =>
        MembersChunk.GetRootAsMembersChunk(_members.Read(c, TableEncoders.MemberBytes, tables: false));

    private ExtractionsChunk ExtractionsChunkAt(int c) =>
        ExtractionsChunk.GetRootAsExtractionsChunk(_extractions.Read(c, TableEncoders.ExtractionBytes, tables: false));

    internal static GroupRecord ToRecord(Group g) => new()
    {
        Gcntr = g.Gcntr, Cgid = g.Cgid, Confused = g.Confused, CandidateSize = g.CandidateSize,
        NMembers = g.NMembers, NScans = g.NScans, Sdet = g.Sdet, Spos = g.Spos,
        RaW = g.RaW, DecW = g.DecW, SigRaW = g.SigRaW, SigDecW = g.SigDecW,
        Ra = g.Ra, Dec = g.Dec, RmsSep = g.RmsSep, Designation = g.Designation ?? "",
        J = ToRecord(g.J), H = ToRecord(g.H), K = ToRecord(g.K),
        StetsonJ = g.StetsonJ, StetsonK = g.StetsonK, SfAmp = g.SfAmp,
        PmStatus = (Core.MotionStatus)(byte)g.PmStatus,
        PmRa = g.PmRa, PmDec = g.PmDec, PmRaErr = g.PmRaErr, PmDecErr = g.PmDecErr, PmChi2 = g.PmChi2,
        MeanJDate = g.MeanJdate, BaselineDays = g.BaselineDays,
        CcMask = g.CcMask, NFlagged = g.NFlagged, MixedFlags = g.MixedFlags, Unresolved = g.Unresolved,
    };

    private static GroupBandRecord ToRecord(GroupBand? band) => band is GroupBand s
        ? new(s.Ndet, s.Nnondet, s.Magw, s.MagwErr, s.Mag, s.Rms, s.Chi2, s.RedChi2, s.Min, s.Max)
        : GroupBandRecord.Empty;

    internal static MemberRecord ToRecord(Member m) => new()
    {
        Gcntr = m.Gcntr, Cntr = m.Cntr, ScanKey = m.ScanKey, JDate = m.Jdate, Ra = m.Ra, Dec = m.Dec,
        ErrMaj = m.ErrMaj, ErrMin = m.ErrMin, ErrAng = m.ErrAng,
        J = ToRecord(m.J), H = ToRecord(m.H), K = ToRecord(m.K), Reliability = m.Reliability,
    };

    private static MemberBandRecord ToRecord(MemberBand b) =>
        new(b.Mag, b.Sig, b.Snr, b.PhQual, b.RdFlg, b.CcFlg, b.Detected);

    internal static ExtractionRecord ToRecord(Extraction x) =>
        new(x.Cntr, x.Cgid, x.Gcntr, x.SepArcsec, x.Reliability, (RejectReason)(byte)x.Reason, x.FileIndex, x.Line);

    public void Dispose()
    {
        _groups.Dispose(); _members.Dispose(); _extractions.Dispose(); _sky?.Dispose();
    }
}

/// <summary>One table file and its index, read with positional I/O.</summary>
internal sealed class TableFile : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly string _path;
    public readonly ChunkList Chunks;

    private TableFile(SafeFileHandle handle, string path, ChunkList chunks)
    {
        _handle = handle; _path = path; Chunks = chunks;
    }

    /// <summary>Opens <c>name.fb</c> with <c>name.idx</c>; null and a one-line problem when they do not match.</summary>
    public static TableFile? Open(string dir, string name, out string? problem)
    {
        string fb = Path.Combine(dir, name + ".fb"), idx = Path.Combine(dir, name + ".idx");
        if (!File.Exists(fb) || !File.Exists(idx))
        {
            problem = $"{Shown.Path(dir)}: not a wdb output directory (no {name}.fb / {name}.idx)";
            return null;
        }
        var chunks = ChunkList.Decode(File.ReadAllBytes(idx));
        if (chunks is null || chunks.TableName != name)
        {
            problem = $"{idx}: not a valid chunk index";
            return null;
        }
        var handle = File.OpenHandle(fb, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = RandomAccess.GetLength(handle);
        long expected = 0;
        for (int c = 0; c < chunks.Count; c++)
        {
            if (chunks.Offset[c] != expected || chunks.Bytes[c] < 8) { expected = -1; break; }
            expected += chunks.Bytes[c];
        }
        if (length != chunks.FileBytes || expected != length)
        {
            handle.Dispose();
            // The sizes agree when the index's chunk list is what is wrong: naming the table and its size twice said nothing.
            problem = length != chunks.FileBytes
                ? $"{fb}: {length} bytes, its index describes {chunks.FileBytes} (truncated or mixed-up output)"
                : $"{idx}: its chunks do not lie end to end over the {length} bytes of {name}.fb (a damaged index)";
            return null;
        }
        problem = null;
        return new TableFile(handle, fb, chunks);
    }

    /// <summary>Chunk <paramref name="c"/>, checked (<see cref="ChunkCheck"/>), as a ByteBuffer positioned at its root (after the size prefix).</summary>
    public ByteBuffer Read(int c, int recordSize, bool tables)
    {
        var bb = ReadRange(c, 0, Chunks.Bytes[c]);
        if (!ChunkCheck.RecordVector(bb, recordSize, tables)) throw Corrupt(c);
        bb.Position = 4;
        return bb;
    }

    /// <summary>Bytes [start, start + length) of chunk <paramref name="c"/>.</summary>
    public ByteBuffer ReadRange(int c, long start, int length)
    {
        if (start < 0 || start + length > Chunks.Bytes[c]) throw Corrupt(c);
        var bytes = new byte[length];
        int got = 0;
        while (got < length)
        {
            int n = RandomAccess.Read(_handle, bytes.AsSpan(got), Chunks.Offset[c] + start + got);
            if (n <= 0) throw new InvalidDataException($"{_path}: chunk {c} is truncated");
            got += n;
        }
        return new ByteBuffer(bytes);
    }

    /// <summary>
    /// Where the records of a struct-vector chunk start (byte offset in the chunk) and how
    /// many there are, from the chunk's first bytes (the root table precedes the vector).
    /// </summary>
    public (int First, int Count) RecordVector(int c, int recordSize)
    {
        var head = ReadRange(c, 0, Math.Min(Chunks.Bytes[c], 256));
        var found = ChunkCheck.VectorHeader(head, Chunks.Bytes[c], recordSize, out int first, out int count);
        if (found == ChunkCheck.Header.BeyondBytes)
            found = ChunkCheck.VectorHeader(ReadRange(c, 0, Chunks.Bytes[c]), Chunks.Bytes[c], recordSize, out first, out count);
        if (found != ChunkCheck.Header.Ok) throw Corrupt(c);
        return (first, count);
    }

    /// <summary>First record whose leading 8-byte key is &gt;= <paramref name="key"/> (records sorted by it); reads one key a step.</summary>
    public int LowerBound(int c, int first, int count, int recordSize, long key) =>
        LowerBound(c, first, count, recordSize, key, 8, static k => System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(k));

    /// <summary>
    /// First record whose key, <paramref name="keyOf"/> its first <paramref name="keyBytes"/> bytes, is &gt;=
    /// <paramref name="key"/> (records sorted by it); reads those bytes of one record a step.
    /// </summary>
    public int LowerBound(int c, int first, int count, int recordSize, long key, int keyBytes, KeyOfBytes keyOf)
    {
        Span<byte> k = stackalloc byte[keyBytes];
        int lo = 0, hi = count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            long at = Chunks.Offset[c] + first + (long)mid * recordSize;
            if (RandomAccess.Read(_handle, k, at) != keyBytes) throw Corrupt(c);
            if (keyOf(k) < key) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>A record's sort key from its leading bytes.</summary>
    public delegate long KeyOfBytes(ReadOnlySpan<byte> record);

    /// <summary>Runs a decoder over chunk <paramref name="c"/>; a read outside the buffer means a corrupt chunk.</summary>
    public T Decode<T>(int c, Func<T> decode)
    {
        try
        {
            return decode();
        }
        catch (ArgumentOutOfRangeException)
        {
            throw Corrupt(c);
        }
    }

    private InvalidDataException Corrupt(int c) => new($"{_path}: chunk {c} (offset {Chunks.Offset[c]}) is corrupt");

    public void Dispose() => _handle.Dispose();
}
