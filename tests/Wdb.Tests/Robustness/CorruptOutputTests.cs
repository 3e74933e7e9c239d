using CsCheck;
using Wdb.IO;
using static Wdb.Tests.Robustness.RobustSupport;

namespace Wdb.Tests.Robustness;

/// <summary>
/// A damaged output directory (bit rot, a half-copied file) is read the way an archive
/// reader must: records come back, or <see cref="OutputReader"/> reports the damage with
/// <see cref="InvalidDataException"/> (or TryOpen's error) — never another exception.
/// </summary>
public sealed class CorruptOutputTests : IDisposable
{
    private readonly Scratch _s = new();

    public void Dispose() => _s.Dispose();

    private static void ReadEverything(string dir)
    {
        using var reader = OutputReader.TryOpen(dir, out var error);
        if (reader is null)
        {
            Assert.False(string.IsNullOrWhiteSpace(error!.Message));
            return;
        }
        long groups = 0;
        foreach (var g in reader.Groups())
        {
            groups++;
            reader.MembersOf(g.Gcntr);
            reader.FindGroup(g.Gcntr);
        }
        foreach (var m in reader.Members()) reader.FindExtraction(m.Cntr);
        foreach (var e in reader.Extractions()) { }
        reader.FindGroup(-5);
        reader.FindExtraction(long.MaxValue);
    }

    [Fact]
    public void Flipped_and_cut_bytes_in_any_output_file_are_reported_not_thrown_as_bugs()
    {
        var block = SyntheticSky.Generate(new GeneratorOptions(SkyKind.CalTile, 30, 3, Scans: 12));
        string input = _s.Write("tile.csv", Csv(block));
        string good = _s.PathOf("good");
        Assert.Null(RunMerge([input], good).Error);
        string[] files = ["groups.fb", "groups.idx", "members.fb", "members.idx", "extractions.fb", "extractions.idx"];
        var original = files.ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(good, f)));
        string bad = _s.PathOf("bad");
        Directory.CreateDirectory(bad);

        Gen.Select(Gen.Int[0, files.Length - 1], Gen.Int[1, 4], Gen.Long).Sample((which, edits, seed) =>
        {
            var rnd = new Random((int)seed);
            foreach (var f in files) File.WriteAllBytes(Path.Combine(bad, f), original[f]);
            var bytes = original[files[which]].ToArray();
            if (rnd.Next(5) == 0) bytes = bytes[..rnd.Next(bytes.Length)];
            for (int k = 0; k < edits && bytes.Length > 0; k++)
            {
                int at = rnd.Next(bytes.Length);
                bytes[at] = rnd.Next(3) switch { 0 => (byte)(bytes[at] ^ (1 << rnd.Next(8))), 1 => 0xFF, _ => 0 };
            }
            File.WriteAllBytes(Path.Combine(bad, files[which]), bytes);
            try { ReadEverything(bad); }
            catch (InvalidDataException) { }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"{files[which]} damaged (seed {seed}): {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }, iter: 200, threads: 1);
    }
}
