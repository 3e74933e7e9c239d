using Wdb.Core;
using Wdb.Merge;

namespace Wdb.Tests.Reliability;

/// <summary>Hand-built blocks, memberships and group tables for the reliability tests.</summary>
internal sealed class ReliabilityTestData
{
    public readonly ExtractionBlock Block = new();
    private readonly List<long> _gcntr = [];
    private readonly List<(long Gcntr, int Sdet, int Spos)> _groups = [];

    /// <summary>
    /// Adds one extraction. <paramref name="snr"/> gives J, H, Ks: null = not detected
    /// (NaN magnitude), NaN = detected with no SNR. <paramref name="cc"/> is the 3-char cc_flg.
    /// </summary>
    public int Add(long gcntr, string cc, int ndet, float?[] snr, byte mpFlg = 0, long truth = -1)
    {
        int i = Block.AddRow();
        Block.Cntr[i] = 1000 + i;
        Block.ScanKey[i] = i;
        Block.Ra[i] = 10; Block.Dec[i] = 20;
        Block.Ndet[i] = ndet;
        Block.MpFlg[i] = mpFlg;
        Block.Truth[i] = truth;
        for (int b = 0; b < 3; b++)
        {
            var col = Block.Bands[b];
            col.CcFlg[i] = (byte)cc[b];
            if (snr[b] is float s) { col.Mag[i] = 14 + b; col.Snr[i] = s; col.RdFlg[i] = (byte)'2'; col.PhQual[i] = (byte)'A'; }
            else { col.Mag[i] = float.NaN; col.RdFlg[i] = (byte)'0'; col.PhQual[i] = (byte)'U'; }
        }
        _gcntr.Add(gcntr);
        return i;
    }

    /// <summary>Sets a group's confirmation counts (gcntr as passed to <see cref="Add"/>).</summary>
    public void Group(long gcntr, int sdet, int spos) => _groups.Add((gcntr, sdet, spos));

    /// <summary>Membership from the gcntr of each row; rows whose gcntr is negative belong to no group.</summary>
    public (Membership Membership, GroupTable Groups) Build()
    {
        var counts = new Dictionary<long, (int Sdet, int Spos)>();
        foreach (var (gc, sdet, spos) in _groups) counts[gc] = (sdet, spos);
        var rows = Enumerable.Range(0, _gcntr.Count).Where(i => _gcntr[i] >= 0).OrderBy(i => _gcntr[i]).ThenBy(i => i).ToArray();
        var ids = new List<long>();
        var offsets = new List<int> { 0 };
        for (int k = 0; k < rows.Length; k++)
        {
            if (k > 0 && _gcntr[rows[k]] != _gcntr[rows[k - 1]]) offsets.Add(k);
            if (k == 0 || _gcntr[rows[k]] != _gcntr[rows[k - 1]]) ids.Add(_gcntr[rows[k]]);
        }
        if (rows.Length > 0) offsets.Add(rows.Length);
        var membership = new Membership { Gcntr = ids.ToArray(), Offsets = offsets.ToArray(), MemberRows = rows };
        var groups = new GroupTable();
        groups.Allocate(ids.Count);
        for (int g = 0; g < ids.Count; g++)
        {
            groups.Gcntr[g] = ids[g];
            (groups.Sdet[g], groups.Spos[g]) = counts.TryGetValue(ids[g], out var c) ? c : (1, 1);
        }
        return (membership, groups);
    }

    public byte[] Score(ReliabilityModel model)
    {
        var (m, g) = Build();
        var results = ExtractionResults.Allocate(Block.Count);
        model.Score(Block, m, g, results);
        return results.Reliability[..Block.Count];
    }

    /// <summary>cc_flg giving each artifact class (worst to best).</summary>
    public static readonly string[] CcOfClass = ["P00", "d00", "c00", "000"];
    /// <summary>ndet giving each frame-fraction bin of the default edges: unknown, 1/6, 2/6, 4/6, 6/6 (J only seen).</summary>
    public static readonly int[] NdetOfBin = [-1, 160000, 260000, 460000, 660000];
    /// <summary>(sdet, spos) for each default confirmation bin: unconfirmable, 1/10, 3/10, 6/10, 9/10.</summary>
    public static readonly (int Sdet, int Spos)[] ConfirmationOfBin = [(1, 1), (1, 10), (3, 10), (6, 10), (9, 10)];
    /// <summary>SNR for each default SNR bin (unknown = detected with no SNR).</summary>
    public static readonly float[] SnrOfBin = [float.NaN, 2, 4, 6, 8, 15, 30];

    /// <summary>Adds a row (its own group) that falls in the given default-model bins; bands = 0 forces SNR unknown.</summary>
    public int AddInBins(int artifact, int frames, int bands, int snr, int confirmation, long truth = -1)
    {
        var s = new float?[3];
        for (int b = 0; b < bands; b++) s[b] = SnrOfBin[snr];
        long gcntr = 1000 + Block.Count;
        int row = Add(gcntr, CcOfClass[artifact], NdetOfBin[frames], s, truth: truth);
        var (sdet, spos) = ConfirmationOfBin[confirmation];
        Group(gcntr, sdet, spos);
        return row;
    }
}
