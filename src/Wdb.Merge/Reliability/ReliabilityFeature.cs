using System.Globalization;

namespace Wdb.Merge;

/// <summary>The six features of the reliability model, in the model's (and the JSON's) order.</summary>
public enum ReliabilityFeatureKind
{
    Artifact = 0,
    FrameFraction = 1,
    BandsDetected = 2,
    Snr = 3,
    Confirmation = 4,
    /// <summary>The group's association with the external catalogues given to the merge (`--associate`).</summary>
    Association = 5,
}

/// <summary>
/// One feature of a <see cref="ReliabilityModel"/>: how its value is binned and the
/// log-odds weight of each bin. Bins are ordered worst to best; a numeric feature's
/// "unknown" bin, when it has one, comes first and is outside that order. Numeric bin k
/// (after the unknown bin) holds <c>Edges[k-1] &lt;= x &lt; Edges[k]</c>.
/// </summary>
public sealed class ReliabilityFeature
{
    internal readonly double[] EdgesArray;
    internal readonly double[] WeightsArray;

    public ReliabilityFeatureKind Kind { get; }
    public string Name => Names[(int)Kind];
    public string Description => Descriptions[(int)Kind];
    /// <summary>Whether bin 0 is "unknown" (value absent), outside the worst-to-best order.</summary>
    public bool HasUnknown => Kind is ReliabilityFeatureKind.FrameFraction or ReliabilityFeatureKind.Snr or ReliabilityFeatureKind.Confirmation
        or ReliabilityFeatureKind.Association;
    /// <summary>Bin edges of a numeric feature, strictly ascending; empty for a categorical one.</summary>
    public IReadOnlyList<double> Edges => EdgesArray;
    /// <summary>Log-odds weight of each bin.</summary>
    public IReadOnlyList<double> Weights => WeightsArray;
    public int BinCount => WeightsArray.Length;
    /// <summary>Index of the first bin in the worst-to-best order.</summary>
    public int FirstOrderedBin => HasUnknown ? 1 : 0;
    public bool IsCategorical => Kind is ReliabilityFeatureKind.Artifact or ReliabilityFeatureKind.BandsDetected;

    internal ReliabilityFeature(ReliabilityFeatureKind kind, double[] edges, double[] weights)
    {
        Kind = kind; EdgesArray = edges; WeightsArray = weights;
    }

    /// <summary>Bins a categorical feature must have; numeric ones have unknown + edges + 1.</summary>
    internal static int ExpectedBins(ReliabilityFeatureKind kind, int edges) => kind switch
    {
        ReliabilityFeatureKind.Artifact => 4,
        ReliabilityFeatureKind.BandsDetected => 4,
        _ => edges + 2,
    };

    public static readonly string[] Names = ["artifact", "frame_fraction", "bands_detected", "snr", "confirmation", "association"];

    private static readonly string[] Descriptions =
    [
        "Worst cc_flg class over J, H, Ks: artifact (an upper-case letter: the detection is itself a probable artifact), contaminated (lower-case p, d, s or other), confused (lower-case b or c only), clean (all '0').",
        "ndet: best band's fraction m/n of frames with a detection among the frames that saw the position; unknown when ndet is absent.",
        "Number of bands whose default magnitude is a detection (not null, not an upper limit).",
        "Largest SNR among the detected bands; unknown when no detected band has one.",
        "The group's sdet/spos (scans that detected it over scans that covered it), clamped to 1; unknown (unconfirmable) when spos < min_spos or the extraction is a known minor planet.",
        "1 when a row of the external catalogues given to the merge (--associate) lies within their radius of the group's weighted mean position, else 0; unknown when no catalogue was given, for a row in no group, and for a known minor planet.",
    ];

    /// <summary>Bin of a numeric value (NaN: the unknown bin).</summary>
    internal int BinOf(double x)
    {
        if (double.IsNaN(x)) return 0;   // every numeric feature has an unknown bin
        int k = 0;
        var e = EdgesArray;
        while (k < e.Length && x >= e[k]) k++;
        return k + 1;
    }

    /// <summary>Human-readable label of each bin (written to the JSON; regenerated, never read).</summary>
    public IReadOnlyList<string> Labels
    {
        get
        {
            var labels = new string[BinCount];
            switch (Kind)
            {
                case ReliabilityFeatureKind.Artifact:
                    labels[0] = "artifact"; labels[1] = "contaminated"; labels[2] = "confused"; labels[3] = "clean";
                    break;
                case ReliabilityFeatureKind.BandsDetected:
                    for (int k = 0; k < 4; k++) labels[k] = k.ToString(CultureInfo.InvariantCulture);
                    break;
                default:
                    labels[0] = Kind switch
                    {
                        ReliabilityFeatureKind.Confirmation => "unconfirmable",
                        ReliabilityFeatureKind.Association => "no catalogue",
                        _ => "unknown",
                    };
                    var e = EdgesArray;
                    for (int k = 0; k <= e.Length; k++)
                        labels[k + 1] = k == 0 ? "<" + F(e[0])
                            : k == e.Length ? ">=" + F(e[^1])
                            : "[" + F(e[k - 1]) + "," + F(e[k]) + ")";
                    break;
            }
            return labels;
        }
    }

    private static string F(double x) => x.ToString("R", CultureInfo.InvariantCulture);
}
