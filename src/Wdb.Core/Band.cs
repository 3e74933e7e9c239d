using System.Runtime.CompilerServices;

namespace Wdb.Core;

/// <summary>The three 2MASS bands, in table order.</summary>
public enum Band { J = 0, H = 1, K = 2 }

public static class Bands
{
    public const int Count = 3;
    public static readonly string[] Names = ["j", "h", "k"];

    /// <summary>
    /// Whether a band's default magnitude is a detection. A null (NaN) magnitude, a
    /// sentinel placeholder (&lt;= -90, e.g. -99.99 in old releases; or &gt;= 90, as 99.99 or 1e30 "no data" in other
    /// tables: no source is fainter than ~25 mag in the near infrared), an `rd_flg` digit of
    /// '0' (95% upper limit), or a `ph_qual` of 'U' (upper limit) or 'X' (no valid
    /// brightness) is a non-detection, never an error and never a zero. Flags given as 0
    /// mean "column absent" and do not veto. See 2MASS-NOTES.md.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]   // called per member and band in the statistics
    public static bool IsDetection(float mag, byte rdFlg, byte phQual)
    {
        if (float.IsNaN(mag) || mag <= -90f || mag >= 90f) return false;
        if (rdFlg == (byte)'0') return false;
        if (phQual == (byte)'U' || phQual == (byte)'X') return false;
        return true;
    }

    /// <summary>
    /// Band <paramref name="band"/>'s frames from `ndet` (six digits mnmnmn for J, H, Ks, kept as the integer they spell):
    /// m frames with a detection of the n that saw the position.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]   // in the scoring's per-row loop, with a constant band: its divisors fold
    public static (int M, int N) FramesOf(int ndet, int band)
    {
        int pair = band switch { 0 => ndet / 10000 % 100, 1 => ndet / 100 % 100, _ => ndet % 100 };
        return (pair / 10, pair % 10);
    }
}
