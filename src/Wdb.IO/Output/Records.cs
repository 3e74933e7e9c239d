using Wdb.Core;

namespace Wdb.IO;

/// <summary>Per-band photometry of a group (see <see cref="BandStats"/>); magnitudes in mag, NaN when NDet = 0.</summary>
public readonly record struct GroupBandRecord(
    int NDet, int NNonDet, float MagW, float MagWErr, float Mag, float Rms, float Chi2, float RedChi2, float Min, float Max)
{
    /// <summary>The band of a group with no data (what a reader returns for an absent struct).</summary>
    public static readonly GroupBandRecord Empty = new(0, 0, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN, float.NaN);
}

/// <summary>
/// One record of groups.fb: a final group (see <see cref="GroupTable"/> for the meaning and
/// units of each field). Record equality treats NaN as equal to NaN.
/// </summary>
public sealed record GroupRecord
{
    public long Gcntr { get; init; }
    public long Cgid { get; init; }
    public bool Confused { get; init; }
    public int CandidateSize { get; init; }
    public int NMembers { get; init; }
    public int NScans { get; init; }
    public int Sdet { get; init; }
    public int Spos { get; init; }
    /// <summary>Weighted mean position (deg) and its uncertainty (arcsec).</summary>
    public double RaW { get; init; }
    public double DecW { get; init; }
    public float SigRaW { get; init; }
    public float SigDecW { get; init; }
    /// <summary>Unweighted mean position (deg).</summary>
    public double Ra { get; init; }
    public double Dec { get; init; }
    public float RmsSep { get; init; }
    /// <summary>IAU-style designation; "" when the merge did not set one.</summary>
    public string Designation { get; init; } = "";
    public GroupBandRecord J { get; init; } = GroupBandRecord.Empty;
    public GroupBandRecord H { get; init; } = GroupBandRecord.Empty;
    public GroupBandRecord K { get; init; } = GroupBandRecord.Empty;
    public float StetsonJ { get; init; }
    public float StetsonK { get; init; }
    public float SfAmp { get; init; }
    public MotionStatus PmStatus { get; init; }
    /// <summary>Proper motion (mas/yr; RA one is mu_ra * cos(dec)), errors and fit chi^2.</summary>
    public float PmRa { get; init; }
    public float PmDec { get; init; }
    public float PmRaErr { get; init; }
    public float PmDecErr { get; init; }
    public float PmChi2 { get; init; }
    public double MeanJDate { get; init; }
    public float BaselineDays { get; init; }
    public int CcMask { get; init; }
    public int NFlagged { get; init; }
    public bool MixedFlags { get; init; }
    /// <summary>Confused, but too dense to split: kept whole, so it may hold two or more extractions of one scan.</summary>
    public bool Unresolved { get; init; }

    public GroupBandRecord this[Band b] => b switch { Band.J => J, Band.H => H, _ => K };
}

/// <summary>One band of one member: magnitude and uncertainty (mag), SNR, flag characters (0 when absent), detection.</summary>
public readonly record struct MemberBandRecord(float Mag, float Sig, float Snr, byte PhQual, byte RdFlg, byte CcFlg, bool Detected);

/// <summary>One record of members.fb: one extraction of a group, enough for a light curve.</summary>
public sealed record MemberRecord
{
    public long Gcntr { get; init; }
    public long Cntr { get; init; }
    public long ScanKey { get; init; }
    /// <summary>Julian date; NaN when absent.</summary>
    public double JDate { get; init; }
    /// <summary>Position (deg).</summary>
    public double Ra { get; init; }
    public double Dec { get; init; }
    /// <summary>Error ellipse: semi-axes (arcsec), position angle (deg E of N).</summary>
    public float ErrMaj { get; init; }
    public float ErrMin { get; init; }
    public float ErrAng { get; init; }
    public MemberBandRecord J { get; init; }
    public MemberBandRecord H { get; init; }
    public MemberBandRecord K { get; init; }
    /// <summary>0 worst .. 9 best; 255 when not scored.</summary>
    public byte Reliability { get; init; }

    public MemberBandRecord this[Band b] => b switch { Band.J => J, Band.H => H, _ => K };
}

/// <summary>
/// One record of extractions.fb: an input extraction, its groups, or why it was left out
/// (<see cref="RejectReason.None"/> for merged rows; filtered rows have Cgid = Gcntr = -1,
/// SepArcsec NaN, Reliability 255).
/// </summary>
public sealed record ExtractionRecord(
    long Cntr, long Cgid, long Gcntr, float SepArcsec, byte Reliability, RejectReason Reason, int FileIndex, long Line);
