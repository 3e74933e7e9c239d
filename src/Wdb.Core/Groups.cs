using System.Runtime.CompilerServices;

namespace Wdb.Core;

/// <summary>
/// Final groups and their membership, as produced by the merge stages for one block of
/// extractions. Groups are ordered by <see cref="Gcntr"/> ascending; each group's member
/// rows (indices into the block) are ordered by (jdate, cntr), NaN dates last, so that a
/// light curve reads in time order.
/// </summary>
public sealed class Membership
{
    /// <summary>gcntr of each group (= smallest member cntr), ascending.</summary>
    public long[] Gcntr = [];
    /// <summary>Members of group g are MemberRows[Offsets[g] .. Offsets[g+1]).</summary>
    public int[] Offsets = [0];
    public int[] MemberRows = [];
    public int GroupCount => Gcntr.Length;

    public ReadOnlySpan<int> Members(int g) => MemberRows.AsSpan(Offsets[g], Offsets[g + 1] - Offsets[g]);
}

/// <summary>Why a proper-motion fit is absent.</summary>
public enum MotionStatus : byte
{
    Fitted = 0,
    TooFewMembers = 1,
    BaselineTooShort = 2,
    NoTimes = 3,
    Degenerate = 4,
}

/// <summary>Per-band group photometry (struct-of-arrays over groups). Magnitudes are NaN when NDet = 0.</summary>
public sealed class BandStats
{
    public int[] NDet = [];          // members detected in this band
    public int[] NNonDet = [];       // members with an upper limit or null (never averaged)
    public float[] MagW = [];        // inverse-variance weighted mean (mag)
    public float[] MagWErr = [];     // its uncertainty (mag)
    public float[] Mag = [];         // unweighted mean (mag)
    public float[] Rms = [];         // rms about the unweighted mean (mag)
    public float[] Chi2 = [];        // chi^2 about the weighted mean
    public float[] RedChi2 = [];     // chi^2 / (NDet - 1)
    public float[] Min = [], Max = [];

    public void Allocate(int n)
    {
        NDet = new int[n]; NNonDet = new int[n];
        MagW = new float[n]; MagWErr = new float[n]; Mag = new float[n]; Rms = new float[n];
        Chi2 = new float[n]; RedChi2 = new float[n]; Min = new float[n]; Max = new float[n];
    }
}

/// <summary>
/// The merged database: one record per final group (SPEC §4), struct-of-arrays, in the
/// same order as <see cref="Membership.Gcntr"/>. Floating columns hold NaN where a value
/// does not exist (e.g. a motion fit on one member).
/// </summary>
public sealed class GroupTable
{
    public int Count;
    public long[] Gcntr = [];
    public long[] Cgid = [];             // candidate group (friends-of-friends component) id
    public bool[] Confused = [];         // the candidate group was confused and split
    public int[] CandidateSize = [];     // members of the candidate group
    public int[] NMembers = [];
    public int[] NScans = [];            // distinct scans among members
    public int[] Sdet = [];              // scans that detected the source (>= 1 band)
    public int[] Spos = [];              // scans whose footprint covers the mean position
    public double[] RaW = [], DecW = []; // inverse-variance weighted mean position (deg)
    public float[] SigRaW = [], SigDecW = []; // uncertainty of the weighted mean (arcsec)
    public double[] Ra = [], Dec = [];   // unweighted mean position (deg)
    public float[] RmsSep = [];          // rms separation of members from (RaW, DecW), arcsec
    /// <summary>IAU-style Jhhmmss.ss+ddmmss.s of group g, made from (RaW, DecW) when asked for: the writer puts it into the tables as bytes.</summary>
    public string Designation(int g) => Designations.Iau(RaW[g], DecW[g]);
    public readonly BandStats[] Bands = [new(), new(), new()];
    // Variability
    public float[] StetsonJ = [], StetsonK = [];
    public float[] SfAmp = [];           // structure-function amplitude (mag)
    // Motion (weighted linear fit against time)
    public MotionStatus[] PmStatus = [];
    public float[] PmRa = [], PmDec = [], PmRaErr = [], PmDecErr = []; // mas/yr, RA one is RA*cos(dec)
    public float[] PmChi2 = [];
    public double[] MeanJDate = [];
    public float[] BaselineDays = [];
    // Flags
    public int[] CcMask = [];            // OR of member artifact flags, see CcFlags
    public int[] NFlagged = [];          // members with any artifact flag
    public bool[] MixedFlags = [];       // some members flagged, some clean
    public bool[] Unresolved = [];       // confused but too dense to split (ConfusionResolver.MaxSplitWork): kept whole

    public void Allocate(int n)
    {
        Count = n;
        Gcntr = new long[n]; Cgid = new long[n]; Confused = new bool[n]; CandidateSize = new int[n];
        NMembers = new int[n]; NScans = new int[n]; Sdet = new int[n]; Spos = new int[n];
        RaW = new double[n]; DecW = new double[n]; SigRaW = new float[n]; SigDecW = new float[n];
        Ra = new double[n]; Dec = new double[n]; RmsSep = new float[n];
        foreach (var b in Bands) b.Allocate(n);
        StetsonJ = new float[n]; StetsonK = new float[n]; SfAmp = new float[n];
        PmStatus = new MotionStatus[n]; PmRa = new float[n]; PmDec = new float[n];
        PmRaErr = new float[n]; PmDecErr = new float[n]; PmChi2 = new float[n];
        MeanJDate = new double[n]; BaselineDays = new float[n];
        CcMask = new int[n]; NFlagged = new int[n]; MixedFlags = new bool[n]; Unresolved = new bool[n];
    }
}

/// <summary>
/// Per-extraction results, indexed like the block's rows: the candidate group, the final
/// group, the separation from the group's mean and the reliability score.
/// </summary>
public sealed class ExtractionResults
{
    public long[] Cgid = [];
    public long[] Gcntr = [];
    public float[] SepArcsec = [];     // from the group's weighted mean position
    public byte[] Reliability = [];    // 0 worst .. 9 best; 255 when not scored

    public static ExtractionResults Allocate(int n) => new()
    {
        Cgid = new long[n], Gcntr = new long[n], SepArcsec = new float[n], Reliability = new byte[n],
    };
}

/// <summary>Bits of <see cref="GroupTable.CcMask"/>: one per 2MASS `cc_flg` letter, any band.</summary>
public static class CcFlags
{
    public const int Persistence = 1 << 0;   // p / P
    public const int Diffraction = 1 << 1;   // d / D
    public const int Stripe = 1 << 2;        // s / S
    public const int BandMerge = 1 << 3;     // b / B
    public const int Confusion = 1 << 4;     // c / C
    public const int Other = 1 << 5;         // any other non-'0' letter
    public const int Certain = 1 << 6;       // an upper-case (more certain) letter was seen

    /// <summary>Mask bits of one `cc_flg` character; 0 for '0' or absent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]   // called per member and band in the statistics
    public static int Of(byte c) => c switch
    {
        0 or (byte)'0' => 0,
        (byte)'p' => Persistence, (byte)'P' => Persistence | Certain,
        (byte)'d' => Diffraction, (byte)'D' => Diffraction | Certain,
        (byte)'s' => Stripe, (byte)'S' => Stripe | Certain,
        (byte)'b' => BandMerge, (byte)'B' => BandMerge | Certain,
        (byte)'c' => Confusion, (byte)'C' => Confusion | Certain,
        _ => Other,
    };
}
