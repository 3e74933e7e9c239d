namespace Wdb.Merge;

/// <summary>
/// The default reliability model v2, verbatim as committed in docs/reliability-model-v2.json
/// (a test keeps the two identical and checks that this text is what <see cref="ReliabilityModel.ToJson"/>
/// writes). Its weights are set by hand, not fitted: see docs/reliability.md for the reasoning.
/// </summary>
internal static class DefaultModel
{
    public const string Json = """
{
  "format": "wdb-reliability-model/1",
  "version": "v2",
  "description": "Hand-set prior (not fitted). Weights are log-odds; bins run worst to best. v1 with the association feature (external catalogues given to the merge): without a catalogue every score is v1's. Replace with a model re-calibrated from a calibration-tile merge (ReliabilityCalibrator) when one is available.",
  "calibrated_from": "none",
  "score": "p = 1 / (1 + exp(-(intercept + sum over features of weights[bin]))); score = min(9, floor(10 p))",
  "intercept": 1,
  "features": [
    {
      "name": "artifact",
      "description": "Worst cc_flg class over J, H, Ks: artifact (an upper-case letter: the detection is itself a probable artifact), contaminated (lower-case p, d, s or other), confused (lower-case b or c only), clean (all '0').",
      "bins": [
        "artifact",
        "contaminated",
        "confused",
        "clean"
      ],
      "weights": [
        -3,
        -0.7,
        -0.3,
        0
      ]
    },
    {
      "name": "frame_fraction",
      "description": "ndet: best band's fraction m/n of frames with a detection among the frames that saw the position; unknown when ndet is absent.",
      "edges": [
        0.33,
        0.66,
        1
      ],
      "bins": [
        "unknown",
        "<0.33",
        "[0.33,0.66)",
        "[0.66,1)",
        ">=1"
      ],
      "weights": [
        0,
        -2,
        -0.5,
        0.3,
        0.8
      ]
    },
    {
      "name": "bands_detected",
      "description": "Number of bands whose default magnitude is a detection (not null, not an upper limit).",
      "bins": [
        "0",
        "1",
        "2",
        "3"
      ],
      "weights": [
        -3,
        -0.5,
        0.5,
        1
      ]
    },
    {
      "name": "snr",
      "description": "Largest SNR among the detected bands; unknown when no detected band has one.",
      "edges": [
        3,
        5,
        7,
        10,
        20
      ],
      "bins": [
        "unknown",
        "<3",
        "[3,5)",
        "[5,7)",
        "[7,10)",
        "[10,20)",
        ">=20"
      ],
      "weights": [
        -0.3,
        -2,
        -1,
        -0.3,
        0.2,
        0.6,
        1
      ]
    },
    {
      "name": "confirmation",
      "description": "The group's sdet/spos (scans that detected it over scans that covered it), clamped to 1; unknown (unconfirmable) when spos < min_spos or the extraction is a known minor planet.",
      "min_spos": 2,
      "edges": [
        0.25,
        0.51,
        0.8
      ],
      "bins": [
        "unconfirmable",
        "<0.25",
        "[0.25,0.51)",
        "[0.51,0.8)",
        ">=0.8"
      ],
      "weights": [
        0,
        -2.5,
        -0.8,
        0.8,
        1.5
      ]
    },
    {
      "name": "association",
      "description": "1 when a row of the external catalogues given to the merge (--associate) lies within their radius of the group's weighted mean position, else 0; unknown when no catalogue was given, for a row in no group, and for a known minor planet.",
      "edges": [
        0.5
      ],
      "bins": [
        "no catalogue",
        "<0.5",
        ">=0.5"
      ],
      "weights": [
        0,
        -0.3,
        1
      ]
    }
  ]
}

""";
}
