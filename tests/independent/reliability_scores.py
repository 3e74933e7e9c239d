#!/usr/bin/python3
"""An independent check of wdb's per-extraction reliability score (SPEC §4), written from the documentation
(docs/reliability.md, the model files docs/reliability-model-v1.json and -v2.json, README.md,
src/Wdb.IO/Export/COLUMNS.md, 2MASS-NOTES.md), not from the C# code.

    reliability_scores.py --input survey.csv [--input more.csv] --extractions extractions.csv --groups groups.csv
                          [--model docs/reliability-model-v2.json] [--associate gaia.csv ...] [--associate-radius 2]
                          [--show 5]

The inputs are the CSV files the merge read (cntr, ra, dec, [jhk]_m, [jhk]_snr, ph_qual, rd_flg, cc_flg, ndet,
mp_flg; the missing ones count as absent); extractions.csv is `wdb export M --table extractions --format csv`
(cntr -> gcntr, reliability, reason), groups.csv `wdb export M --table groups --format csv` (sdet, spos, ra_w,
dec_w). --model is the model the merge used (default: the committed v2, as `wdb merge` without
--reliability-model); --associate and --associate-radius are the merge's own. Every exported row's score is
recomputed from its evidence and the model's tables and compared with wdb's `reliability`. Exit 0 on full
agreement, 1 otherwise (the first disagreements are printed with their evidence and bins), 2 on unusable
arguments or files.

What the docs say, as used here:
* logit p = intercept + the weight of the row's bin of each feature, in the model's order; p = 1/(1+exp(-logit));
  score = min(9, floor(10 p)). Numeric bin k (after "unknown", bin 0) holds edges[k-1] <= x < edges[k].
* artifact: the worst class over the J, H, Ks cc_flg characters: an upper-case letter is an artifact; only
  lower-case b or c, confused; `0` or absent (a flag shorter than three characters), clean; anything else
  (p, d, s, an unknown lower-case letter) contaminated.
* frame_fraction: ndet's digits mnmnmn; the best band's m/n; unknown when ndet is absent.
* bands_detected: a band is detected when its magnitude is not null, not a placeholder (<= -90, >= 90), its rd_flg
  digit is not 0 and its ph_qual is not U or X (README, COLUMNS.md j_ndet).
* snr: the largest [jhk]_snr of the detected bands; unknown when none has one. COLUMNS.md gives j_snr as a
  float: the value is rounded to float32 before it is binned (2.9999999 is 3 and bins as [3, 5)).
* confirmation: the group's sdet/spos clamped to 1; unconfirmable when spos < min_spos, for a row in no group and
  for a known minor planet (mp_flg = 1).
* association: "no catalogue" without --associate, for a row in no group and for a minor planet; else whether a
  catalogue row lies within the radius of the group's (ra_w, dec_w).
* A v1 model (five features) scores with association weights 0.
* Filtered rows (reason not none, gcntr -1) are not scored: 255. Input rows the extractions table lacks were
  rejected by the reader (rejects.csv) and are only counted.

Points the docs left open, settled by reading src/Wdb.Merge/Reliability/*.cs (and the reader), and now written
into docs/reliability.md where a user can meet them:
* ndet is read as the integer its digits spell: fewer than six digits are the low-order pairs ("500" is
  000500); a band with n = 0 frames is skipped, and ndet with n = 0 in every band is unknown; m above n counts as
  n (fraction 1). An empty field is absent; anything but one to six digits (as -1) is the row's reject.
* A cc_flg character that is not a letter and not 0 (a digit, '-') is contaminated, like an unknown lower-case
  letter; only the first three characters are read.
* sdet is clamped to [0, spos] before the division, in double precision; spos < max(min_spos, 1) is
  unconfirmable.
* mp_flg is read as an integer; 1 is a minor planet (no other value).
* The association radius is inclusive (as the merge radius).
* The log-odds are summed left to right in double precision, intercept first, then the features in the
  model's order; the score of a probability is clamp(floor(10 p), 0, 9).

Only Debian's python3 and python3-numpy (1.24) are needed.
"""
import argparse
import csv
import json
import math
import os
import sys

import numpy as np

from group_stats import band_flags, char_at, floats   # the documented value parsing, shared with the statistics check

BANDS = ("j", "h", "k")
PLACEHOLDER = 90.0                 # README: a magnitude at or beyond +-90 is a placeholder, a non-detection
FEATURES = ("artifact", "frame_fraction", "bands_detected", "snr", "confirmation", "association")
ARTIFACT, CONTAMINATED, CONFUSED, CLEAN = 0, 1, 2, 3
NOT_SCORED = 255
DEFAULT_MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "reliability-model-v2.json")


class Unusable(Exception):
    """An argument or file this script cannot use: exit 2."""


# ---------------------------------------------------------------- reading

def read_table(path):
    """A CSV file as {lower-case column name: list of strings}."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = csv.reader(line for line in f if not line.startswith("#"))
            header = [h.strip().lower() for h in next(rows)]
            cols = [[] for _ in header]
            for row in rows:
                if not row or all(not x.strip() for x in row):
                    continue
                for i, x in enumerate(row[:len(header)]):
                    cols[i].append(x.strip())
                for i in range(len(row), len(header)):
                    cols[i].append("")
    except (OSError, StopIteration, UnicodeDecodeError) as e:
        raise Unusable("%s: %s" % (path, e or "empty file"))
    return dict(zip(header, cols))


def require(table, path, *names):
    missing = [n for n in names if n not in table]
    if missing:
        raise Unusable("%s: no column %s" % (path, ", ".join(missing)))




class Model:
    """A `wdb-reliability-model/1` file: the intercept, and per feature its edges and weights."""

    def __init__(self, path):
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            raise Unusable("model %s: %s" % (path, e))
        if doc.get("format") != "wdb-reliability-model/1":
            raise Unusable("model %s: format %r, not wdb-reliability-model/1" % (path, doc.get("format")))
        names = [f.get("name") for f in doc["features"]]
        # docs/reliability.md: a model written before association (v1) lists the first five and scores as it did.
        if names == list(FEATURES[:5]):
            doc["features"].append({"name": "association", "edges": [0.5], "weights": [0.0, 0.0, 0.0]})
        elif names != list(FEATURES):
            raise Unusable("model %s: features %s, not %s" % (path, names, list(FEATURES)))
        self.version = doc.get("version", "?")
        self.intercept = float(doc["intercept"])
        self.features = {f["name"]: f for f in doc["features"]}
        self.weights = [np.array(self.features[n]["weights"], dtype=np.float64) for n in FEATURES]
        self.edges = {n: np.array(self.features[n].get("edges", []), dtype=np.float64) for n in FEATURES}
        self.min_spos = int(self.features["confirmation"].get("min_spos", 2))
        for n, w, count in zip(FEATURES, self.weights, (4, None, 4, None, None, None)):
            expect = count if count is not None else len(self.edges[n]) + 2
            if len(w) != expect:
                raise Unusable("model %s: %s has %d weights, expected %d" % (path, n, len(w), expect))

    def bin_of(self, name, x):
        """Bin 0 for NaN (unknown); else 1 + the number of edges <= x (bin k holds edges[k-1] <= x < edges[k])."""
        e = self.edges[name]
        k = 1 + np.sum(x[:, None] >= e[None, :], axis=1)
        return np.where(np.isnan(x), 0, k)

    def log_odds(self, bins):
        z = np.full(len(bins[0]), self.intercept)
        for w, b in zip(self.weights, bins):
            z = z + w[b]
        return z

    @staticmethod
    def score_of(z):
        p = 1.0 / (1.0 + np.exp(-z))
        return np.clip(np.floor(10.0 * p), 0, 9).astype(np.int64), p

    def reachable_scores(self, associate):
        """Scores of every bin combination real rows can fall in: no detected band means no SNR; without catalogues
        every row is in association's "no catalogue" bin."""
        axes = [np.arange(len(w)) for w in self.weights]
        grid = np.meshgrid(*axes, indexing="ij")
        bins = [g.ravel() for g in grid]
        possible = ~((bins[2] == 0) & (bins[3] != 0))
        if not associate:
            possible &= bins[5] == 0
        scores, _ = self.score_of(self.log_odds(bins))
        return sorted(set(scores[possible].tolist()))


class Inputs:
    """The rows the merge read, by cntr (the first row of a cntr: README, a duplicate's row is rejected)."""

    def __init__(self, paths):
        parts = []
        for p in paths:
            t = read_table(p)
            require(t, p, "cntr")
            parts.append(t)
        col = lambda name: sum((t.get(name, [""] * len(t["cntr"])) for t in parts), [])
        cntr = np.array([int(v) for v in col("cntr")], dtype=np.int64)
        order = np.argsort(cntr, kind="stable")
        first = np.ones(len(order), dtype=bool)
        first[1:] = cntr[order][1:] != cntr[order][:-1]
        keep = order[first]
        self.cntr = cntr[keep]
        pick = lambda values: [values[i] for i in keep]
        self.cc_flg = pick(band_flags(col("cc_flg")))
        self.ndet = pick(col("ndet"))
        self.mp_flg = pick(col("mp_flg"))
        self.ph_qual, self.rd_flg = pick(band_flags(col("ph_qual"))), pick(band_flags(col("rd_flg")))
        self.mag = {b: floats(pick(col(b + "_m")), np.float32) for b in BANDS}
        self.snr = {b: floats(pick(col(b + "_snr")), np.float32) for b in BANDS}

    def rows_of(self, cntr):
        i = np.searchsorted(self.cntr, cntr)
        i = np.minimum(i, len(self.cntr) - 1)
        missing = self.cntr[i] != cntr
        if missing.any():
            raise Unusable("cntr %d of the extractions table is in no input" % cntr[missing][0])
        return i


# ---------------------------------------------------------------- evidence

def artifact_class(flag):
    """Worst class over the first three cc_flg characters (docs/reliability.md, artifact)."""
    worst = CLEAN
    for ch in flag[:3]:
        if ch == "0":
            c = CLEAN
        elif "A" <= ch <= "Z":
            c = ARTIFACT
        elif ch in "bc":
            c = CONFUSED
        else:
            c = CONTAMINATED
        worst = min(worst, c)
    return worst


def frame_fraction(ndet):
    """The best band's m/n from ndet's mnmnmn (docs/reliability.md); NaN when absent or no band saw it."""
    if ndet == "":
        return math.nan
    digits = ndet.zfill(6)
    best = math.nan
    for b in range(3):
        m, n = int(digits[2 * b]), int(digits[2 * b + 1])
        if n == 0:
            continue
        f = min(m, n) / n
        if math.isnan(best) or f > best:
            best = f
    return best


def is_detection(mag, rd_flg, ph_qual):
    return np.isfinite(mag) & (np.abs(mag) < PLACEHOLDER) & (rd_flg != "0") & (ph_qual != "U") & (ph_qual != "X")


def minor_planet(values):
    out = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values):
        if v not in ("", "null", "\\N"):
            out[i] = int(v) == 1
    return out


def unit(ra_deg, dec_deg):
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)


def counterparts(ra_w, dec_w, paths, radius_arcsec):
    """Per group: a catalogue row within radius_arcsec (inclusive) of (ra_w, dec_w); the exact angle by atan2.
    Also the smallest distance of any separation from the radius, so that a tie at the edge is seen."""
    cats = []
    for p in paths:
        t = read_table(p)
        require(t, p, "ra", "dec")
        cats.append(unit(floats(t["ra"]), floats(t["dec"])))
    c = np.concatenate(cats) if cats else np.zeros((0, 3))
    g = unit(ra_w, dec_w)
    found = np.zeros(len(g), dtype=bool)
    closest_to_edge = math.inf
    # Catalogue rows sorted by z: a group only looks at rows whose z lies within the radius of its own.
    order = np.argsort(c[:, 2])
    cz = c[order, 2]
    r = math.radians(radius_arcsec / 3600.0) * 1.001
    for gi in range(len(g)):
        lo, hi = np.searchsorted(cz, g[gi, 2] - r), np.searchsorted(cz, g[gi, 2] + r, side="right")
        if lo == hi:
            continue
        v = c[order[lo:hi]]
        sep = np.degrees(np.arctan2(np.linalg.norm(np.cross(v, g[gi]), axis=1), v @ g[gi])) * 3600.0
        found[gi] = bool(np.any(sep <= radius_arcsec))
        closest_to_edge = min(closest_to_edge, float(np.min(np.abs(sep - radius_arcsec))))
    return found, closest_to_edge


class Evidence:
    """Each exported row's raw evidence and its bins."""

    def __init__(self, x, rows, gcntr, groups, model, associate, radius):
        self.artifact = np.array([artifact_class(x.cc_flg[i]) for i in rows], dtype=np.int64)
        self.frames = np.array([frame_fraction(x.ndet[i]) for i in rows])
        det = {b: is_detection(x.mag[b][rows], char_at([x.rd_flg[i] for i in rows], k), char_at([x.ph_qual[i] for i in rows], k))
               for k, b in enumerate(BANDS)}
        self.bands = sum(det[b].astype(np.int64) for b in BANDS)
        snr = np.full(len(rows), math.nan)
        for b in BANDS:
            s = np.where(det[b], x.snr[b][rows], math.nan)
            snr = np.fmax(snr, s)
        self.snr = snr
        self.minor_planet = minor_planet([x.mp_flg[i] for i in rows])

        g_index = {int(c): k for k, c in enumerate(groups["gcntr"])}
        in_group = gcntr >= 0
        gi = np.array([g_index.get(int(c), -1) if c >= 0 else -1 for c in gcntr])
        if np.any(in_group & (gi < 0)):
            raise Unusable("gcntr %d of the extractions table is not in the groups table" % gcntr[in_group & (gi < 0)][0])
        sdet = np.array([int(v) for v in groups["sdet"]], dtype=np.int64)
        spos = np.array([int(v) for v in groups["spos"]], dtype=np.int64)
        self.sdet = np.where(in_group, sdet[gi], -1)
        self.spos = np.where(in_group, spos[gi], -1)
        confirmable = in_group & (self.spos >= max(model.min_spos, 1)) & ~self.minor_planet
        ratio = np.clip(self.sdet, 0, np.maximum(self.spos, 0)) / np.where(confirmable, self.spos, 1)
        self.confirmation = np.where(confirmable, ratio, math.nan)

        self.closest_to_radius = math.inf
        if associate:
            has, self.closest_to_radius = counterparts(floats(groups["ra_w"]), floats(groups["dec_w"]), associate, radius)
            assoc = np.where(in_group, has[gi].astype(np.float64), math.nan)
            self.association = np.where(self.minor_planet, math.nan, assoc)
        else:
            self.association = np.full(len(rows), math.nan)

        self.bins = [self.artifact, model.bin_of("frame_fraction", self.frames), self.bands,
                     model.bin_of("snr", self.snr), model.bin_of("confirmation", self.confirmation),
                     model.bin_of("association", self.association)]


# ---------------------------------------------------------------- report

def describe(ev, x, rows, k):
    i = rows[k]
    return ("cc_flg %r ndet %r mp_flg %r ph_qual %r rd_flg %r mag %s snr %s | sdet/spos %d/%d | evidence: artifact %d, "
            "frames %.4g, bands %d, snr %.7g, confirmation %.4g, association %.4g | bins %s"
            % (x.cc_flg[i], x.ndet[i], x.mp_flg[i], x.ph_qual[i], x.rd_flg[i],
               "/".join("%g" % x.mag[b][i] for b in BANDS), "/".join("%g" % x.snr[b][i] for b in BANDS),
               ev.sdet[k], ev.spos[k], ev.artifact[k], ev.frames[k], ev.bands[k], ev.snr[k], ev.confirmation[k],
               ev.association[k], [int(b[k]) for b in ev.bins]))


def coverage(model, ev, scored, mine):
    parts = []
    for name, b, w in zip(FEATURES, ev.bins, model.weights):
        counts = np.bincount(b[scored], minlength=len(w))
        parts.append("%s %s" % (name, " ".join("%d:%d" % (k, n) for k, n in enumerate(counts))))
    scores = np.bincount(mine[scored], minlength=10)
    return ("coverage: %s; scores %s; minor planets %d"
            % ("; ".join(parts), " ".join("%d:%d" % (k, n) for k, n in enumerate(scores)),
               int(np.sum(ev.minor_planet[scored]))))


def edges_hit(model, ev, scored):
    """Per numeric feature, which of its edges some scored row's value equals exactly: the inclusive side is tested there."""
    values = {"frame_fraction": ev.frames, "snr": ev.snr, "confirmation": ev.confirmation, "association": ev.association}
    parts = []
    for name, v in values.items():
        e = model.edges[name]
        hit = [bool(np.any(v[scored] == edge)) for edge in e]
        parts.append("%s %d of %d (%s)" % (name, sum(hit), len(e), " ".join("%g" % edge for edge, h in zip(e, hit) if h)))
    return "values on a bin edge: " + "; ".join(parts)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", action="append", required=True, help="an input CSV the merge read (repeat for several)")
    ap.add_argument("--extractions", required=True, help="wdb export M --table extractions --format csv")
    ap.add_argument("--groups", required=True, help="wdb export M --table groups --format csv")
    ap.add_argument("--model", default=DEFAULT_MODEL, help="the merge's --reliability-model (default: docs' v2)")
    ap.add_argument("--associate", action="append", default=[], help="the merge's --associate catalogues (CSV)")
    ap.add_argument("--associate-radius", type=float, default=2.0, help="the merge's --associate-radius (arcsec)")
    ap.add_argument("--show", type=int, default=5, help="disagreements printed")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 0 if e.code == 0 else 2

    try:
        model = Model(args.model)
        x = Inputs(args.input)
        ex = read_table(args.extractions)
        require(ex, args.extractions, "cntr", "gcntr", "reliability", "reason")
        groups = read_table(args.groups)
        require(groups, args.groups, "gcntr", "sdet", "spos", *(("ra_w", "dec_w") if args.associate else ()))
        cntr = np.array([int(v) for v in ex["cntr"]], dtype=np.int64)
        gcntr = np.array([int(v) for v in ex["gcntr"]], dtype=np.int64)
        theirs = np.array([int(v) for v in ex["reliability"]], dtype=np.int64)
        rows = x.rows_of(cntr)
        ev = Evidence(x, rows, gcntr, groups, model, args.associate, args.associate_radius)
    except (Unusable, KeyError, ValueError) as e:
        print("reliability_scores: %s" % e, file=sys.stderr)
        return 2

    filtered = np.array([r != "none" for r in ex["reason"]])
    scored = ~filtered
    z = model.log_odds(ev.bins)
    mine, p = model.score_of(z)
    mine = np.where(scored, mine, NOT_SCORED)
    bad = np.flatnonzero(mine != theirs)
    # How near a decile edge any scored row's 10 p lies: a tie there could honestly go either way.
    frac = np.abs(10.0 * p[scored] - np.round(10.0 * p[scored]))
    margin = float(np.min(frac[frac > 0])) if np.any(frac > 0) else math.nan

    print("model %s: %d rows, %d scored, %d filtered (255); %d input rows not in the extractions table (rejected)"
          % (model.version, len(cntr), int(scored.sum()), int(filtered.sum()), len(x.cntr) - len(cntr)))
    print("agree %d, disagree %d" % (len(cntr) - len(bad), len(bad)))
    print(coverage(model, ev, scored, mine))
    print(edges_hit(model, ev, scored))
    print("model can give scores: %s" % " ".join(str(s) for s in model.reachable_scores(bool(args.associate))))
    print("closest 10p to a decile edge (but exactly on one): %.3g; exactly on one: %d; closest separation to the "
          "association radius: %.3g arcsec" % (margin, int(np.sum(frac == 0)), ev.closest_to_radius))
    if len(bad):
        print("\n%d rows disagree; the first %d:" % (len(bad), min(len(bad), args.show)), file=sys.stderr)
        for k in bad[:args.show]:
            print("  cntr %d (gcntr %d, %s): recomputed %d (p %.6f), wdb %d\n    %s"
                  % (cntr[k], gcntr[k], ex["reason"][k], mine[k], p[k], theirs[k], describe(ev, x, rows, k)),
                  file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
