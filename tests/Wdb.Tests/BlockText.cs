using Wdb.Core;

namespace Wdb.Tests;

internal static class BlockText
{
    /// <summary>Row r of the block, every column, as text: rows compare equal only when all columns do.</summary>
    public static string Row(ExtractionBlock b, int r)
    {
        var s = $"{b.Cntr[r]} {b.ScanKey[r]} {b.Ra[r]:R} {b.Dec[r]:R} {b.ErrMaj[r]:R} {b.ErrMin[r]:R} {b.ErrAng[r]:R} {b.JDate[r]:R} "
            + $"{b.Ndet[r]} {b.Prox[r]:R} {b.MpFlg[r]} {b.GalContam[r]} {b.Truth[r]} {b.FileIndex[r]} {b.Line[r]}";
        foreach (var band in b.Bands)
            s += $" {band.Mag[r]:R} {band.Sig[r]:R} {band.Snr[r]:R} {band.PhQual[r]} {band.RdFlg[r]} {band.BlFlg[r]} {band.CcFlg[r]}";
        return s;
    }
}
