using Wdb.Core;
using Wdb.IO;
using Wdb.Merge;

namespace Wdb.Tests.Output;

/// <summary>
/// A hand-made merge result: groups of 3, 1, 4, 1 and 2 members (gcntr 10, 20, 30, 40, 50),
/// NaN dates, magnitudes and statistics, one upper limit, two filtered rows interleaved by
/// cntr, two unreadable rows. <paramref name="salt"/> shifts values so two outputs differ.
/// </summary>
internal static class Synthetic
{
    public static readonly long[] GroupCntrs = [10, 20, 30, 40, 50];
    public static readonly int[] GroupSizes = [3, 1, 4, 1, 2];

    public static MergeOutputs Make(double salt = 0)
    {
        var block = new ExtractionBlock();
        var gcntrOfRow = new List<long>();
        // Rows in an order unrelated to gcntr, so the writer must follow Membership.
        long[] rowCntr = [31, 10, 50, 12, 30, 20, 33, 11, 40, 51, 32];
        foreach (long cntr in rowCntr)
        {
            int i = block.AddRow();
            long g = cntr / 10 * 10;
            gcntrOfRow.Add(g);
            block.Cntr[i] = cntr;
            block.ScanKey[i] = 1000 + cntr % 10;
            block.Ra[i] = 359.999 + salt - cntr * 1e-7;
            block.Dec[i] = -89.5 + cntr * 1.0 / 3.0;
            block.ErrMaj[i] = 0.1f + cntr * 0.01f; block.ErrMin[i] = 0.08f; block.ErrAng[i] = cntr % 180;
            block.JDate[i] = cntr == 33 || cntr == 20 ? double.NaN : 2451000.5 + cntr * 0.123456789;
            block.FileIndex[i] = (int)(cntr % 2); block.Line[i] = 100 + cntr;
            for (int b = 0; b < Bands.Count; b++)
            {
                var band = block.Bands[b];
                band.Mag[i] = cntr == 11 && b == 2 ? float.NaN : 10f + b + cntr * 0.001f + (float)salt;
                band.Sig[i] = 0.02f * (b + 1);
                band.Snr[i] = 50f - cntr;
                band.PhQual[i] = (byte)"ABCU"[(int)(cntr + b) % 4];
                band.RdFlg[i] = cntr == 12 && b == 1 ? (byte)'0' : (byte)'2';
                band.CcFlg[i] = cntr == 40 ? (byte)'d' : (byte)'0';
            }
        }
        var membership = MembershipBuilder.Build(block, gcntrOfRow.ToArray());

        var results = ExtractionResults.Allocate(block.Count);
        for (int i = 0; i < block.Count; i++)
        {
            results.Gcntr[i] = gcntrOfRow[i];
            results.Cgid[i] = gcntrOfRow[i] == 40 ? 30 : gcntrOfRow[i];   // 30 and 40: one confused candidate
            results.SepArcsec[i] = block.Cntr[i] % 10 == 0 ? 0f : 0.25f * (block.Cntr[i] % 10);
            results.Reliability[i] = (byte)(block.Cntr[i] % 10);
        }

        var t = new GroupTable();
        int n = membership.GroupCount;
        t.Allocate(n);
        for (int g = 0; g < n; g++)
        {
            bool one = membership.Members(g).Length == 1;
            t.Gcntr[g] = membership.Gcntr[g];
            t.Cgid[g] = g is 2 or 3 ? 30 : membership.Gcntr[g];
            t.Confused[g] = g is 2 or 3;
            t.CandidateSize[g] = g is 2 or 3 ? 5 : membership.Members(g).Length;
            t.NMembers[g] = membership.Members(g).Length;
            t.NScans[g] = t.NMembers[g];
            t.Sdet[g] = t.NMembers[g] - (g == 0 ? 1 : 0);
            t.Spos[g] = t.NMembers[g] + g;
            t.RaW[g] = 359.99 + g * 1e-6 + salt; t.DecW[g] = -89.5 + g / 7.0;
            t.SigRaW[g] = 0.05f * (g + 1); t.SigDecW[g] = one ? float.NaN : 0.04f;
            t.Ra[g] = t.RaW[g] + 1e-9; t.Dec[g] = t.DecW[g] - 1e-9;
            t.RmsSep[g] = one ? float.NaN : 0.1f * g;
            for (int b = 0; b < Bands.Count; b++)
            {
                var s = t.Bands[b];
                s.NDet[g] = t.NMembers[g] - (b == 2 && g == 0 ? 1 : 0);
                s.NNonDet[g] = t.NMembers[g] - s.NDet[g];
                s.MagW[g] = 10.5f + b + g * 0.125f; s.MagWErr[g] = 0.01f;
                s.Mag[g] = s.MagW[g] + 0.001f;
                s.Rms[g] = one ? float.NaN : 0.03f; s.Chi2[g] = one ? 0f : 1.5f + g;
                s.RedChi2[g] = one ? float.NaN : s.Chi2[g] / (s.NDet[g] - 1);
                s.Min[g] = s.MagW[g] - 0.1f; s.Max[g] = s.MagW[g] + 0.1f;
            }
            t.StetsonJ[g] = one ? float.NaN : 0.5f - g; t.StetsonK[g] = one ? float.NaN : 0.8f;
            t.SfAmp[g] = one ? float.NaN : 0.02f * g;
            t.PmStatus[g] = one ? MotionStatus.TooFewMembers : g == 4 ? MotionStatus.BaselineTooShort : MotionStatus.Fitted;
            bool pm = t.PmStatus[g] == MotionStatus.Fitted;
            t.PmRa[g] = pm ? 12.5f * (g + 1) : float.NaN; t.PmDec[g] = pm ? -3.25f : float.NaN;
            t.PmRaErr[g] = pm ? 1.5f : float.NaN; t.PmDecErr[g] = pm ? 1.25f : float.NaN;
            t.PmChi2[g] = pm ? 0.75f : float.NaN;
            t.MeanJDate[g] = one && g == 1 ? double.NaN : 2451000.5 + g;
            t.BaselineDays[g] = one ? 0f : 3.5f * g;
            t.CcMask[g] = g == 3 ? CcFlags.Diffraction : 0;
            t.NFlagged[g] = g == 3 ? 1 : 0;
            t.MixedFlags[g] = false;
        }

        var filtered = new ExtractionBlock();
        foreach (long cntr in new long[] { 45, 15 })
        {
            int i = filtered.AddRow();
            filtered.Cntr[i] = cntr; filtered.Ra[i] = 1; filtered.Dec[i] = 2;
            filtered.FileIndex[i] = 1; filtered.Line[i] = 500 + cntr;
        }

        return new MergeOutputs
        {
            Block = block,
            Results = results,
            Groups = t,
            Membership = membership,
            Filtered = filtered,
            FilteredReasons = [RejectReason.FilteredLowSnr, RejectReason.FilteredArtifact],
            Rejects =
            [
                new RejectRecord("in/a.tbl", 7, 12, RejectReason.UnparsableNumber, "ra: \"1,5\" is not a number"),
                new RejectRecord("in/b.csv", 9, 0, RejectReason.WrongColumnCount, "3 columns, expected 5", 77),
            ],
            Summary = new RunSummary
            {
                Version = "test",
                RowsRead = 15, RowsMerged = 11, RowsRejected = 4,
                RejectsByReason = new() { ["unparsable_number"] = 1, ["wrong_column_count"] = 1, ["filtered_low_snr"] = 1, ["filtered_artifact"] = 1 },
                Groups = 5, CandidateGroups = 4, ConfusedCandidateGroups = 1,
                Device = "cpu",
                Parameters = new() { ["radius_arcsec"] = 2.0, ["salt"] = salt },
                StageSeconds = new() { ["link"] = 0.5 },
            },
        };
    }

    /// <summary>The groups as records, straight from the GroupTable (independent of the reader).</summary>
    public static List<GroupRecord> ExpectedGroups(MergeOutputs o)
    {
        var t = o.Groups!;
        var list = new List<GroupRecord>();
        for (int g = 0; g < t.Count; g++)
        {
            GroupBandRecord B(int b)
            {
                var s = t.Bands[b];
                return new(s.NDet[g], s.NNonDet[g], s.MagW[g], s.MagWErr[g], s.Mag[g], s.Rms[g], s.Chi2[g], s.RedChi2[g], s.Min[g], s.Max[g]);
            }
            list.Add(new GroupRecord
            {
                Gcntr = t.Gcntr[g], Cgid = t.Cgid[g], Confused = t.Confused[g], CandidateSize = t.CandidateSize[g],
                NMembers = t.NMembers[g], NScans = t.NScans[g], Sdet = t.Sdet[g], Spos = t.Spos[g],
                RaW = t.RaW[g], DecW = t.DecW[g], SigRaW = t.SigRaW[g], SigDecW = t.SigDecW[g],
                Ra = t.Ra[g], Dec = t.Dec[g], RmsSep = t.RmsSep[g], Designation = t.Designation(g),
                J = B(0), H = B(1), K = B(2),
                StetsonJ = t.StetsonJ[g], StetsonK = t.StetsonK[g], SfAmp = t.SfAmp[g], PmStatus = t.PmStatus[g],
                PmRa = t.PmRa[g], PmDec = t.PmDec[g], PmRaErr = t.PmRaErr[g], PmDecErr = t.PmDecErr[g], PmChi2 = t.PmChi2[g],
                MeanJDate = t.MeanJDate[g], BaselineDays = t.BaselineDays[g],
                CcMask = t.CcMask[g], NFlagged = t.NFlagged[g], MixedFlags = t.MixedFlags[g],
            });
        }
        return list;
    }

    /// <summary>Members group by group in Membership order.</summary>
    public static List<MemberRecord> ExpectedMembers(MergeOutputs o)
    {
        var x = o.Block;
        var list = new List<MemberRecord>();
        for (int g = 0; g < o.Membership.GroupCount; g++)
            foreach (int r in o.Membership.Members(g))
            {
                MemberBandRecord B(int b)
                {
                    var c = x.Bands[b];
                    return new(c.Mag[r], c.Sig[r], c.Snr[r], c.PhQual[r], c.RdFlg[r], c.CcFlg[r], Bands.IsDetection(c.Mag[r], c.RdFlg[r], c.PhQual[r]));
                }
                list.Add(new MemberRecord
                {
                    Gcntr = o.Membership.Gcntr[g], Cntr = x.Cntr[r], ScanKey = x.ScanKey[r], JDate = x.JDate[r],
                    Ra = x.Ra[r], Dec = x.Dec[r], ErrMaj = x.ErrMaj[r], ErrMin = x.ErrMin[r], ErrAng = x.ErrAng[r],
                    J = B(0), H = B(1), K = B(2), Reliability = o.Results.Reliability[r],
                });
            }
        return list;
    }

    /// <summary>Merged and filtered rows, by cntr.</summary>
    public static List<ExtractionRecord> ExpectedExtractions(MergeOutputs o)
    {
        var list = new List<ExtractionRecord>();
        for (int r = 0; r < o.Block.Count; r++)
            list.Add(new(o.Block.Cntr[r], o.Results.Cgid[r], o.Results.Gcntr[r], o.Results.SepArcsec[r],
                o.Results.Reliability[r], RejectReason.None, o.Block.FileIndex[r], o.Block.Line[r]));
        for (int r = 0; r < o.Filtered!.Count; r++)
            list.Add(new(o.Filtered.Cntr[r], -1, -1, float.NaN, 255, o.FilteredReasons![r], o.Filtered.FileIndex[r], o.Filtered.Line[r]));
        list.Sort((a, b) => a.Cntr.CompareTo(b.Cntr));
        return list;
    }
}

/// <summary>A fresh directory under the system temp folder, deleted at the end of a test.</summary>
internal sealed class TempDir : IDisposable
{
    public readonly string Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "wdb-out-" + Guid.NewGuid().ToString("N")[..12]);
    public TempDir() => Directory.CreateDirectory(Path);
    public string this[string name] => System.IO.Path.Combine(Path, name);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
