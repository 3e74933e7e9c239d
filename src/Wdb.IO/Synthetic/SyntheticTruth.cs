namespace Wdb.IO;

/// <summary>
/// Injected truth per generated row, indexed like the <see cref="Wdb.Core.ExtractionBlock"/>
/// it came with. Noise rows (truth id -1) hold NaN everywhere. The text writers add
/// `truth_pm_ra`, `truth_pm_dec` and `truth_var_amp` columns to CSV and IPAC output.
/// </summary>
public sealed class SyntheticTruth
{
    public int Count { get; private set; }
    /// <summary>Proper motion of the true source, mas/yr (RA component is mu_alpha* = mu_alpha cos dec); 0 when static.</summary>
    public float[] PmRa, PmDec;
    /// <summary>Semi-amplitude of the sinusoidal variability, mag (all bands); 0 when constant.</summary>
    public float[] VarAmp;
    /// <summary>Noiseless position of the true source at the row's epoch, degrees.</summary>
    public double[] Ra, Dec;

    public SyntheticTruth(int capacity)
    {
        PmRa = new float[capacity]; PmDec = new float[capacity]; VarAmp = new float[capacity];
        Ra = new double[capacity]; Dec = new double[capacity];
    }

    internal void Clear() => Count = 0;

    internal void Set(int i, float pmRa, float pmDec, float varAmp, double ra, double dec)
    {
        PmRa[i] = pmRa; PmDec[i] = pmDec; VarAmp[i] = varAmp; Ra[i] = ra; Dec[i] = dec;
        if (i >= Count) Count = i + 1;
    }
}
