#!/usr/bin/python3
"""An independent check of wdb's per-group statistics, written from the documentation
(README.md, src/Wdb.IO/Export/COLUMNS.md, docs/confusion.md "Statistics", SPEC.md §4), not from
the C# code.

    group_stats.py --input survey.csv [--input more.csv] --members members.csv --groups groups.csv
                   [--extractions extractions.csv] [--show 5]

The inputs are the CSV files the merge read (`wdb gen survey|caltile` output: cntr, scan_key or
hemis/date/scan, ra, dec, err_maj, err_min, err_ang, jdate, [jhk]_m, [jhk]_msigcom, ph_qual,
rd_flg, cc_flg); members.csv maps each cntr to its gcntr (`wdb export M --table members --format
csv`); groups.csv is `wdb export M --table groups --format csv`. Every statistic the docs define
is recomputed from the inputs and the membership alone, then compared column by column.
Exit 0 when every column agrees within its tolerance, 1 otherwise (the first disagreements are
printed with their group's members), 2 on unusable arguments or files.

Only Debian's python3 and python3-numpy (1.24) are needed.
"""
import argparse
import csv
import math
import sys

import numpy as np

ARCSEC_PER_RAD = 180.0 / math.pi * 3600.0
JULIAN_YEAR_DAYS = 365.25
BANDS = ("j", "h", "k")
# README: a magnitude at or beyond these is a placeholder (-99.99, 99.99, 1e30): a non-detection.
PLACEHOLDER = 90.0
# docs/confusion.md: a member with no error ellipse weighs as a 1" circle.
NOMINAL_SIGMA_ARCSEC = 1.0
# docs/confusion.md: no position sigma below this (a zero err_min must not dominate).
MIN_SIGMA_ARCSEC = 0.01
# docs/confusion.md: footprints are the scan's extractions' box plus this margin.
FOOTPRINT_MARGIN_ARCSEC = 2.0
# docs/confusion.md: no motion fit under these.
MIN_FIT_MEMBERS = 3
MIN_BASELINE_DAYS = 30.0
DEGENERATE_SPREAD = 1e-12


# ---------------------------------------------------------------- reading

def read_table(path):
    """A CSV file as {lower-case column name: list of strings}."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = csv.reader(line for line in f if not line.startswith("#"))
        header = [h.strip().lower() for h in next(rows)]
        cols = [[] for _ in header]
        for row in rows:
            if not row or all(not x.strip() for x in row):
                continue
            for i, x in enumerate(row):
                cols[i].append(x.strip())
    return dict(zip(header, cols))


def floats(values, dtype=np.float64):
    """Empty fields (and 'null') as NaN. Values are parsed as wdb stores them: COLUMNS.md gives
    magnitudes, their uncertainties and the error ellipse as float (float32), positions and times
    as double, so a float32 column is rounded to float32 before any arithmetic, as wdb's is."""
    out = np.array([float(v) if v not in ("", "null", "\\N") else math.nan for v in values], dtype=np.float64)
    return out.astype(dtype).astype(np.float64)


def band_flags(values):
    """Three-character flags as the README says wdb reads them: one or two digits are the number a tool made of three
    (rd_flg 022 written as 22), read with their leading zeros put back; any other value as it is."""
    return [v.rjust(3, "0") if 1 <= len(v) <= 2 and all(c in "0123456789" for c in v) else v for v in values]


def char_at(values, i):
    """Character i of each flag string ('' when the string is shorter)."""
    return np.array([v[i] if len(v) > i else "" for v in values])


class Extractions:
    """The input rows, sorted by cntr; one array per quantity."""

    def __init__(self, paths):
        parts = [read_table(p) for p in paths]
        col = lambda name: sum((p.get(name, [""] * len(next(iter(p.values())))) for p in parts), [])
        self.cntr = np.array([int(v) for v in col("cntr")], dtype=np.int64)
        if all("scan_key" in p for p in parts):
            scan = col("scan_key")
        else:   # survey WDB: a scan is (hemis, date, scan) (2MASS-NOTES)
            scan = ["%s|%s|%s" % t for t in zip(col("hemis"), col("date"), col("scan"))]
        _, self.scan = np.unique(np.array(scan), return_inverse=True)
        self.ra = floats(col("ra"))
        self.dec = floats(col("dec"))
        self.err_maj = floats(col("err_maj"), np.float32)
        self.err_min = floats(col("err_min"), np.float32)
        self.err_ang = floats(col("err_ang"), np.float32)
        self.jdate = floats(col("jdate"))
        self.raw = {name: band_flags(col(name)) for name in ("ph_qual", "rd_flg", "cc_flg")}
        self.mag, self.sig, self.detected = {}, {}, {}
        for i, b in enumerate(BANDS):
            mag = floats(col(b + "_m"), np.float32)
            # README: the total uncertainty (msigcom), or cmsig where msigcom is absent or null
            sig = floats(col(b + "_msigcom"), np.float32)
            sig = np.where(np.isnan(sig), floats(col(b + "_cmsig"), np.float32), sig)
            self.mag[b], self.sig[b] = mag, sig
            self.detected[b] = is_detection(mag, char_at(self.raw["rd_flg"], i), char_at(self.raw["ph_qual"], i))
        self.keep_first_of_each_cntr()

    def keep_first_of_each_cntr(self):
        """README: a duplicate cntr's row is rejected, so the first row of each cntr is the one read."""
        order = np.argsort(self.cntr, kind="stable")
        first = np.ones(len(order), dtype=bool)
        first[1:] = self.cntr[order][1:] != self.cntr[order][:-1]
        keep = order[first]
        for name, value in list(vars(self).items()):
            if isinstance(value, np.ndarray):
                setattr(self, name, value[keep])
            elif isinstance(value, dict):
                setattr(self, name, {k: (v[keep] if isinstance(v, np.ndarray) else [v[i] for i in keep]) for k, v in value.items()})

    def rows_of(self, cntr):
        i = np.searchsorted(self.cntr, cntr)
        bad = (i >= len(self.cntr)) | (self.cntr[np.minimum(i, len(self.cntr) - 1)] != cntr)
        if bad.any():
            raise SystemExit("group_stats: cntr %d of the members table is not in the inputs" % cntr[bad][0])
        return i


def is_detection(mag, rd_flg, ph_qual):
    """README / 2MASS-NOTES: a null magnitude, a placeholder (<= -90 or >= 90), an upper limit
    (rd_flg digit 0, or ph_qual U) or ph_qual X (no valid brightness) is a non-detection."""
    return np.isfinite(mag) & (np.abs(mag) < PLACEHOLDER) & (rd_flg != "0") & (ph_qual != "U") & (ph_qual != "X")


# ---------------------------------------------------------------- sky geometry

def unit(ra_deg, dec_deg):
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)


def radec(v):
    """Unit (or any non-zero) vectors to (ra in [0, 360), dec) in degrees; exact at the poles and at RA 0/360."""
    ra = np.degrees(np.arctan2(v[..., 1], v[..., 0])) % 360.0
    ra = np.where(ra >= 360.0, 0.0, ra)   # -1e-17 % 360 is 360.0
    dec = np.degrees(np.arctan2(v[..., 2], np.hypot(v[..., 0], v[..., 1])))
    return ra, dec


def tangent_frame(v):
    """Centre, east and north unit vectors of the tangent plane at each non-zero vector v: east along
    increasing RA (z x centre), the x axis at an exact pole (docs/confusion.md), north = centre x east."""
    centre = v / np.linalg.norm(v, axis=-1, keepdims=True)
    east = np.stack([-centre[..., 1], centre[..., 0], np.zeros_like(centre[..., 0])], axis=-1)
    length = np.linalg.norm(east, axis=-1, keepdims=True)
    at_pole = length < 1e-15
    east = np.where(at_pole, np.array([1.0, 0.0, 0.0]), east / np.where(at_pole, 1.0, length))
    return centre, east, np.cross(centre, east)


def gnomonic(v, frame):
    """Standard coordinates (xi east, eta north) in arcsec of vectors v in a tangent frame; the
    frame's axes have no RA seam, so groups across RA 0/360 or near a pole need no special case."""
    c, e, n = frame
    w = np.sum(v * c, axis=-1)
    return np.sum(v * e, axis=-1) / w * ARCSEC_PER_RAD, np.sum(v * n, axis=-1) / w * ARCSEC_PER_RAD


def from_gnomonic(xi, eta, frame):
    c, e, n = frame
    p = c + (xi / ARCSEC_PER_RAD)[..., None] * e + (eta / ARCSEC_PER_RAD)[..., None] * n
    return radec(p / np.linalg.norm(p, axis=-1, keepdims=True))


def separation_arcsec(u, v):
    """Exact angle between unit vectors (atan2 of cross and dot: no loss at small angles)."""
    return np.degrees(np.arctan2(np.linalg.norm(np.cross(u, v), axis=-1), np.sum(u * v, axis=-1))) * 3600.0


# ---------------------------------------------------------------- per-group sums

class Segments:
    """Rows sorted by group; sums, counts, minima and maxima per group."""

    def __init__(self, group_of_row, n_groups):
        self.g = group_of_row
        self.n = n_groups
        self.starts = np.searchsorted(group_of_row, np.arange(n_groups))

    def sum(self, x, where=None):
        x = np.where(where, x, 0.0) if where is not None else x
        return np.bincount(self.g, weights=x, minlength=self.n)

    def count(self, where):
        return np.bincount(self.g, weights=where.astype(np.float64), minlength=self.n).astype(np.int64)

    def min(self, x, where):
        return np.fmin.reduceat(np.where(where, x, np.nan), self.starts)

    def max(self, x, where):
        return np.fmax.reduceat(np.where(where, x, np.nan), self.starts)

    def per_row(self, per_group):
        return per_group[self.g]


def div(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b != 0, a / np.where(b != 0, b, 1.0), np.nan)


# ---------------------------------------------------------------- the statistics

def axis_sigmas(x):
    """Per-axis position variances (arcsec^2) from the error ellipse, docs/confusion.md:
    sigma_E^2 = a^2 sin^2 PA + b^2 cos^2 PA, sigma_N^2 = a^2 cos^2 PA + b^2 sin^2 PA (PA east of north);
    no err_min: a circle of radius err_maj; no err_ang: a circle of radius max(a, b); no err_maj
    (null or not positive): a 1" circle; each sigma at least 0.01"."""
    a = x.err_maj
    has_a = np.isfinite(a) & (a > 0)
    b = np.where(np.isfinite(x.err_min) & (x.err_min > 0), x.err_min, a)
    has_pa = np.isfinite(x.err_ang)
    a, b = np.where(has_pa, a, np.fmax(a, b)), np.where(has_pa, b, np.fmax(a, b))
    pa = np.radians(np.where(has_pa, x.err_ang, 0.0))
    s, c = np.sin(pa), np.cos(pa)
    sig_e = np.maximum(MIN_SIGMA_ARCSEC, np.sqrt(a * a * s * s + b * b * c * c))
    sig_n = np.maximum(MIN_SIGMA_ARCSEC, np.sqrt(a * a * c * c + b * b * s * s))
    sig_e, sig_n = np.where(has_a, sig_e, NOMINAL_SIGMA_ARCSEC), np.where(has_a, sig_n, NOMINAL_SIGMA_ARCSEC)
    return sig_e * sig_e, sig_n * sig_n


def positions(seg, u, var_e, var_n, ra_read, dec_read):
    out = {}
    mean = np.stack([seg.sum(u[:, k]) for k in range(3)], axis=-1)
    out["ra"], out["dec"] = radec(mean)
    frame = tangent_frame(mean)
    row_frame = tuple(f[seg.g] for f in frame)
    xi, eta = gnomonic(u, row_frame)
    w_e, w_n = 1.0 / var_e, 1.0 / var_n
    xi_w, eta_w = div(seg.sum(w_e * xi), seg.sum(w_e)), div(seg.sum(w_n * eta), seg.sum(w_n))
    out["ra_w"], out["dec_w"] = from_gnomonic(xi_w, eta_w, frame)
    out["sig_ra_w"], out["sig_dec_w"] = 1.0 / np.sqrt(seg.sum(w_e)), 1.0 / np.sqrt(seg.sum(w_n))
    n = seg.count(np.ones(len(u), dtype=bool))
    # docs/confusion.md: a group of one is its member, its position as read (no unit-vector round trip)
    single = n == 1
    for name, read in (("ra", ra_read), ("dec", dec_read)):
        as_read = read[seg.starts]
        out[name] = np.where(single, as_read, out[name])
        out[name + "_w"] = np.where(single, as_read, out[name + "_w"])
    centre_w = unit(out["ra_w"], out["dec_w"])
    sep = np.where(seg.per_row(single), 0.0, separation_arcsec(u, centre_w[seg.g]))
    out["rms_sep"] = np.sqrt(div(seg.sum(sep * sep), n))
    return out, sep, row_frame


def photometry(seg, x, rows):
    out, residuals = {}, {}
    for b in BANDS:
        m, s, det = x.mag[b][rows], x.sig[b][rows], x.detected[b][rows]
        weighted = det & np.isfinite(s) & (s > 0)   # README: no positive uncertainty, unweighted only
        n, nw = seg.count(det), seg.count(weighted)
        out[b + "_ndet"], out[b + "_nnondet"] = n, seg.count(~det)
        mean = div(seg.sum(m, det), n)
        out[b + "_mag"] = mean
        out[b + "_rms"] = np.sqrt(div(seg.sum((m - seg.per_row(mean)) ** 2, det), n))
        out[b + "_min"], out[b + "_max"] = seg.min(m, det), seg.max(m, det)
        w = np.where(weighted, 1.0 / np.where(weighted, s * s, 1.0), 0.0)
        magw = div(seg.sum(w * np.where(weighted, m, 0.0)), seg.sum(w))
        out[b + "_magw"] = magw
        out[b + "_magw_err"] = div(1.0, np.sqrt(seg.sum(w)))
        chi2 = seg.sum(w * (np.where(weighted, m, 0.0) - seg.per_row(magw)) ** 2, weighted)
        out[b + "_chi2"] = np.where(nw > 0, chi2, np.nan)
        out[b + "_red_chi2"] = np.where(nw > 1, div(chi2, nw - 1.0), np.nan)
        # Stetson (1996, PASP 108, 851) eq. 1: delta = sqrt(n/(n-1)) (m - mean)/sigma, n the band's weighted count.
        nwr = seg.per_row(nw).astype(np.float64)
        has = weighted & (nwr > 1)
        delta = np.sqrt(div(nwr, nwr - 1.0)) * (m - seg.per_row(magw)) / np.where(weighted, s, 1.0)
        residuals[b] = (has, np.where(has, delta, 0.0))
    return out, residuals


def stetson(seg, residuals):
    """J from each member's simultaneous J/H/Ks residuals (one scan's): three bands give the three
    pairs of weight 2/3, two bands the one pair of weight 1, one band delta^2 - 1 with weight 1;
    K over all residuals pooled."""
    (hj, dj), (hh, dh), (hk, dk) = (residuals[b] for b in BANDS)
    count = hj.astype(int) + hh.astype(int) + hk.astype(int)
    pair_sum = dj * dh * (hj & hh) + dj * dk * (hj & hk) + dh * dk * (hh & hk)
    single = dj * dj * hj + dh * dh * hh + dk * dk * hk - 1.0
    term = lambda p: np.sign(p) * np.sqrt(np.abs(p))
    three = count == 3
    jsum = np.where(three, (2.0 / 3.0) * (term(dj * dh) + term(dj * dk) + term(dh * dk)), 0.0)
    jsum = np.where(count == 2, term(pair_sum), jsum)
    jsum = np.where(count == 1, term(single), jsum)
    wsum = np.select([three, count == 2, count == 1], [2.0, 1.0, 1.0], 0.0)
    stetson_j = div(seg.sum(jsum), seg.sum(wsum))
    n = seg.sum(count.astype(np.float64))
    abs_sum = seg.sum(np.abs(dj) * hj + np.abs(dh) * hh + np.abs(dk) * hk)
    sq_sum = seg.sum(dj * dj * hj + dh * dh * hh + dk * dk * hk)
    stetson_k = div(div(abs_sum, n), np.sqrt(div(sq_sum, n)))
    return {"stetson_j": stetson_j, "stetson_k": stetson_k}


def structure_function(seg, x, rows):
    """Median |dm| over pairs (i, i + 2^q) of one band's detections in time order (the members
    table's order: jdate, NaN last, then cntr), pooled over the bands."""
    amp = np.full(seg.n, np.nan)
    ends = np.append(seg.starts[1:], len(seg.g))
    for gi in range(seg.n):
        diffs = []
        for b in BANDS:
            r = rows[seg.starts[gi]:ends[gi]]
            m = x.mag[b][r][x.detected[b][r]]
            q = 1
            while q < len(m):
                diffs.append(np.abs(m[q:] - m[:-q]))
                q *= 2
        if diffs:
            amp[gi] = np.median(np.concatenate(diffs))
    return {"sf_amp": amp}


def motion(seg, x, rows, u, row_frame, var_e, var_n):
    """Weighted straight line of tangent-plane offsets against time, per axis (docs/confusion.md);
    the plane the weighted mean was taken in; mas per Julian year; formal errors; chi^2 of both axes."""
    t = x.jdate[rows]
    timed = np.isfinite(t)
    n, n_timed = seg.count(np.ones(len(t), dtype=bool)), seg.count(timed)
    first, last = seg.min(t, timed), seg.max(t, timed)
    baseline = last - first
    xi, eta = gnomonic(u, row_frame)
    ty = np.where(timed, (t - seg.per_row(np.where(np.isfinite(first), first, 0.0))) / JULIAN_YEAR_DAYS, 0.0)
    out = {"mean_jdate": div(seg.sum(t, timed), n_timed), "baseline_days": baseline}
    fit = {}
    for axis, y, var in (("ra", xi, var_e), ("dec", eta, var_n)):
        w = np.where(timed, 1.0 / var, 0.0)
        sw = seg.sum(w)
        tm = div(seg.sum(w * ty), sw)
        ym = div(seg.sum(w * y), sw)
        dt = ty - seg.per_row(tm)
        stt = seg.sum(w * dt * dt)
        slope = div(seg.sum(w * dt * (y - seg.per_row(ym))), stt)
        resid = y - seg.per_row(ym) - seg.per_row(slope) * dt
        fit[axis] = (slope * 1000.0, div(1.0, np.sqrt(stt)) * 1000.0, seg.sum(w * resid * resid), stt, sw)
    status = np.zeros(seg.n, dtype=np.int64)
    # docs/confusion.md: degenerate when the weighted spread of times is round-off against the baseline
    base_years = baseline / JULIAN_YEAR_DAYS
    floor = lambda axis: DEGENERATE_SPREAD * fit[axis][4] * base_years * base_years
    degenerate = ~(fit["ra"][3] > floor("ra")) | ~(fit["dec"][3] > floor("dec"))
    status[degenerate] = 4
    status[baseline < MIN_BASELINE_DAYS] = 2
    status[n_timed < MIN_FIT_MEMBERS] = 1
    status[n_timed == 0] = 3
    status[n < MIN_FIT_MEMBERS] = 1
    fitted = status == 0
    out["pm_status"] = status
    out["pm_ra"], out["pm_ra_err"] = (np.where(fitted, v, np.nan) for v in fit["ra"][:2])
    out["pm_dec"], out["pm_dec_err"] = (np.where(fitted, v, np.nan) for v in fit["dec"][:2])
    out["pm_chi2"] = np.where(fitted, fit["ra"][2] + fit["dec"][2], np.nan)
    return out


CC_BITS = {"p": 1, "d": 2, "s": 4, "b": 8, "c": 16}
CC_OTHER, CC_UPPER = 32, 64


def cc_bits(flag):
    """COLUMNS.md: bits 1 p, 2 d, 4 s, 8 b, 16 c, 32 any other character, 64 an upper-case P, D,
    S, B or C (the more certain artifact); '0' or an absent character is clean."""
    bits = 0
    for ch in flag[:3]:
        if ch == "0":
            continue
        if ch.lower() in CC_BITS:
            bits |= CC_BITS[ch.lower()] | (CC_UPPER if ch.isupper() else 0)
        else:
            bits |= CC_OTHER
    return bits


def flags(seg, x, rows):
    member_bits = np.array([cc_bits(x.raw["cc_flg"][r]) for r in rows], dtype=np.int64)
    mask = np.bitwise_or.reduceat(member_bits, seg.starts)
    flagged = seg.count(member_bits != 0)
    n = seg.count(np.ones(len(rows), dtype=bool))
    return {"cc_mask": mask, "n_flagged": flagged, "mixed_flags": ((flagged > 0) & (flagged < n)).astype(np.int64)}


def designation(ra_deg, dec_deg):
    """Jhhmmss.ss+ddmmss.s, truncated (not rounded) as 2MASS designations are; a value within 1e-13
    (relative) below a digit's boundary counts as on it, so 12.34 s held as 12.3399999... keeps its digit."""
    out = []
    for ra, dec in zip(ra_deg, dec_deg):
        cs = math.floor((ra % 360.0) * (360000.0 / 15.0) * (1 + 1e-13))   # hundredths of a second of time
        h, rest = divmod(cs, 360000)
        mi, rest = divmod(rest, 6000)
        ds = min(math.floor(min(abs(dec), 90.0) * 36000.0 * (1 + 1e-13)), 90 * 36000)   # tenths of an arcsecond
        d, drest = divmod(ds, 36000)
        dm, drest = divmod(drest, 600)
        sign = "-" if math.copysign(1.0, dec) < 0 else "+"
        out.append("J%02d%02d%02d.%02d%s%02d%02d%02d.%d" % (h % 24, mi, rest // 100, rest % 100, sign, d, dm, drest // 10, drest % 10))
    return np.array(out)


def counts(seg, x, rows):
    scans = x.scan[rows]
    det_any = x.detected["j"][rows] | x.detected["h"][rows] | x.detected["k"][rows]
    pairs = np.unique(np.stack([seg.g, scans], axis=1), axis=0)
    det_pairs = np.unique(np.stack([seg.g[det_any], scans[det_any]], axis=1), axis=0)
    return {
        "n_members": seg.count(np.ones(len(rows), dtype=bool)),
        "n_scans": np.bincount(pairs[:, 0], minlength=seg.n),
        "sdet": np.bincount(det_pairs[:, 0], minlength=seg.n),
    }, det_pairs


def spos(x, ra_w, dec_w, det_pairs):
    """Scans whose footprint covers the weighted mean, and any scan that detected the group
    (README: spos >= sdet). A footprint is the box of every row the scan read, in the tangent plane
    (east/north axes) at the normalised midpoint of the per-axis extremes of those rows' unit
    vectors, rows over 90 deg from it left out, widened by 2" (docs/confusion.md)."""
    u_all = unit(x.ra, x.dec)
    target = unit(ra_w, dec_w)
    covered = np.zeros((len(ra_w), x.scan.max() + 1), dtype=bool)
    for s in range(x.scan.max() + 1):
        v = u_all[x.scan == s]
        if len(v) == 0:
            continue
        m = 0.5 * (v.min(axis=0) + v.max(axis=0))
        frame = tangent_frame(m)
        v = v[np.sum(v * frame[0], axis=-1) > 0]
        xi, eta = gnomonic(v, frame)
        txi, teta = gnomonic(target, frame)
        front = np.sum(target * frame[0], axis=-1) > 0
        covered[:, s] = front & (txi >= xi.min() - FOOTPRINT_MARGIN_ARCSEC) & (txi <= xi.max() + FOOTPRINT_MARGIN_ARCSEC) \
            & (teta >= eta.min() - FOOTPRINT_MARGIN_ARCSEC) & (teta <= eta.max() + FOOTPRINT_MARGIN_ARCSEC)
    covered[det_pairs[:, 0], det_pairs[:, 1]] = True
    return {"spos": covered.sum(axis=1)}


def membership(groups_gcntr, cgid, scans_of_group):
    """gcntr is the smallest member cntr (SPEC §4); candidate_size sums a candidate's groups;
    cgid is the smallest cntr of the candidate group; confused when one scan gives it two members."""
    out = {}
    _, cand = np.unique(cgid, return_inverse=True)
    n = np.array([len(s) for s in scans_of_group])
    out["candidate_size"] = np.bincount(cand, weights=n).astype(np.int64)[cand]
    out["cgid"] = np.minimum.reduceat(groups_gcntr[np.argsort(cand, kind="stable")],
                                      np.searchsorted(np.sort(cand), np.arange(cand.max() + 1)))[cand]
    dup = np.zeros(cand.max() + 1, dtype=bool)
    for c in range(cand.max() + 1):
        s = np.concatenate([scans_of_group[i] for i in np.flatnonzero(cand == c)])
        dup[c] = len(np.unique(s)) < len(s)
    out["confused"] = dup[cand].astype(np.int64)
    return out


def compute(x, members):
    """Every documented statistic, keyed by the groups table's column names, in gcntr order."""
    gcntr = np.array([int(v) for v in members["gcntr"]], dtype=np.int64)
    cntr = np.array([int(v) for v in members["cntr"]], dtype=np.int64)
    rows = x.rows_of(cntr)
    group_ids, g = np.unique(gcntr, return_inverse=True)
    # time order inside each group: jdate (NaN last), then cntr, as the members table documents
    t = x.jdate[rows]
    order = np.lexsort((cntr, np.where(np.isfinite(t), t, np.inf), np.isnan(t), g))
    g, rows, cntr = g[order], rows[order], cntr[order]
    seg = Segments(g, len(group_ids))
    u = unit(x.ra[rows], x.dec[rows])
    var_e, var_n = axis_sigmas(x)
    var_e, var_n = var_e[rows], var_n[rows]
    out = {"gcntr": group_ids, "min_cntr": np.minimum.reduceat(cntr, seg.starts)}
    pos, sep, row_frame = positions(seg, u, var_e, var_n, x.ra[rows], x.dec[rows])
    out.update(pos)
    out["designation"] = designation(out["ra_w"], out["dec_w"])
    c, det_pairs = counts(seg, x, rows)
    out.update(c)
    out.update(spos(x, out["ra_w"], out["dec_w"], det_pairs))
    phot, residuals = photometry(seg, x, rows)
    out.update(phot)
    out.update(stetson(seg, residuals))
    out.update(structure_function(seg, x, rows))
    out.update(motion(seg, x, rows, u, row_frame, var_e, var_n))
    out.update(flags(seg, x, rows))
    ends = np.append(seg.starts[1:], len(rows))
    out["_scans"] = [x.scan[rows[a:b]] for a, b in zip(seg.starts, ends)]
    out["_rows"] = [rows[a:b] for a, b in zip(seg.starts, ends)]
    out["_sep"] = dict(zip(cntr, sep))
    return out


# ---------------------------------------------------------------- comparison

# Tolerances, from the stored types (COLUMNS.md):
# * positions are doubles; both sides sum a few unit vectors or tangent-plane offsets, whose
#   rounding is ~1e-16 of a radian; 1e-9 deg (3.6 micro-arcsec) is far above that and far below
#   any astrometric meaning, so it tells a different formula from a different summation order.
# * float columns are float32 (24-bit mantissa, 6e-8 relative rounding). The inputs are rounded to
#   float32 here too (see floats()), so the two sides differ by the final rounding and by
#   double-precision differences in the order of operations: relative 1e-6 (about 16 float32 ulps)
#   covers both (the largest seen is 1.1e-7) and still catches a changed definition (a Stetson
#   weight of 0.5 instead of 1 moves J by up to 0.5 relative). A value that is 0 on one side can be
#   a double round-off residue on the other: those columns get the absolute floors below.
# * mean_jdate is a double too: a mean of at most thousands of dates near 2.45e6 d carries
#   ~1e-9 d of rounding; 1e-8 d (under a millisecond) separates that from a different mean.
# * counts, flags and the designation are exact.
DOUBLE_DEG = 1e-9
DOUBLE_JD = 1e-8
FLOAT_REL = 1e-6
ABS_FLOOR = {
    # a separation from differences of unit vectors is good to ~1e-16 rad (2e-11") absolute, so a
    # member within micro-arcseconds of the mean has no relative precision left
    "rms_sep": 1e-8, "sep_arcsec": 1e-8,   # arcsec
    # a signed square root of a product of residuals near zero magnifies double round-off
    "stetson_j": 1e-9,
}
for _b in BANDS:
    # chi^2 of one magnitude or of equal magnitudes: 0 against a (1e-15 mag / sigma)^2 residue
    ABS_FLOOR.update({_b + "_chi2": 1e-12, _b + "_red_chi2": 1e-12})

DOUBLE_POSITION = ("ra_w", "dec_w", "ra", "dec")
EXACT = ("n_members", "n_scans", "sdet", "spos", "designation", "pm_status", "cc_mask", "n_flagged", "mixed_flags",
         "cgid", "candidate_size", "confused") + tuple(b + s for b in BANDS for s in ("_ndet", "_nnondet"))


def column_kind(name):
    if name in DOUBLE_POSITION:
        return "deg"
    if name == "mean_jdate":
        return "jd"
    if name in EXACT:
        return "exact"
    return "float"


def compare_column(name, mine, theirs, dec):
    """(compared rows, max abs, max rel, boolean array of rows outside tolerance)."""
    kind = column_kind(name)
    if kind == "exact":
        bad = np.array([str(a) != str(b) for a, b in zip(mine, theirs)])
        return len(mine), math.nan, math.nan, bad
    a, b = np.asarray(mine, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    nan_mismatch = np.isnan(a) != np.isnan(b)
    both = np.isfinite(a) & np.isfinite(b)
    diff = np.where(both, np.abs(a - b), 0.0)
    if name.startswith("ra"):
        diff = np.minimum(diff, 360.0 - diff)   # RA wraps at 0/360
    rel = np.where(both, diff / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300), 0.0)
    if kind == "jd":
        limit = np.full(len(a), DOUBLE_JD)
    elif kind == "deg":
        limit = np.full(len(a), DOUBLE_DEG)
        if name.startswith("ra"):
            # an RA difference is a sky distance times 1/cos(dec): allow the same distance near the poles
            limit = DOUBLE_DEG / np.maximum(np.cos(np.radians(dec)), 1e-12)
    else:
        limit = FLOAT_REL * np.maximum(np.abs(a), np.abs(b)) + ABS_FLOOR.get(name, 0.0)
    bad = nan_mismatch | (both & (diff > limit))
    return len(a), diff.max(initial=0.0), rel.max(initial=0.0), bad


def coverage(x, mine):
    """What the comparison reached: a check that saw no group on the RA seam or at a pole proves nothing there."""
    status = np.bincount(mine["pm_status"], minlength=5)
    seam = sum(1 for r in mine["_rows"] if (x.ra[r] < 1).any() and (x.ra[r] > 359).any())
    polar = int((np.abs(mine["dec_w"]) > 89.9).sum())
    sizes = np.array([len(r) for r in mine["_rows"]])
    return ("coverage: pm_status %s; across RA 0/360 %d; within 0.1 deg of a pole %d; confused %d; "
            "of one member %d; largest %d" % (" ".join("%d:%d" % (i, n) for i, n in enumerate(status)), seam, polar,
                                              int(np.sum(mine["confused"])), int((sizes == 1).sum()), sizes.max()))


def parse_theirs(name, values):
    if column_kind(name) == "exact":
        return np.array(values)
    return floats(values)


def print_group(x, mine, gi, stream):
    rows = mine["_rows"][gi]
    print("    members of group %d:" % mine["gcntr"][gi], file=stream)
    print("      cntr scan jdate ra dec err_maj err_min err_ang | j_m j_sig det | h_m h_sig det | k_m k_sig det | ph_qual rd_flg cc_flg", file=stream)
    for r in rows:
        band = " | ".join("%g %g %d" % (x.mag[b][r], x.sig[b][r], x.detected[b][r]) for b in BANDS)
        print("      %d %d %.5f %.7f %.7f %g %g %g | %s | %s %s %s" % (
            x.cntr[r], x.scan[r], x.jdate[r], x.ra[r], x.dec[r], x.err_maj[r], x.err_min[r], x.err_ang[r], band,
            x.raw["ph_qual"][r], x.raw["rd_flg"][r], x.raw["cc_flg"][r]), file=stream)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", action="append", required=True, help="an input CSV the merge read (repeat for several)")
    ap.add_argument("--members", required=True, help="wdb export M --table members --format csv")
    ap.add_argument("--groups", required=True, help="wdb export M --table groups --format csv")
    ap.add_argument("--extractions", help="wdb export M --table extractions --format csv (checks sep_arcsec)")
    ap.add_argument("--show", type=int, default=5, help="disagreements printed per column")
    args = ap.parse_args(argv)

    try:
        x = Extractions(args.input)
        members = read_table(args.members)
        groups = read_table(args.groups)
        extractions = read_table(args.extractions) if args.extractions else None
    except (OSError, KeyError, ValueError, StopIteration) as e:
        print("group_stats: %s" % e, file=sys.stderr)
        return 2

    mine = compute(x, members)
    theirs_gcntr = np.array([int(v) for v in groups["gcntr"]], dtype=np.int64)
    if not np.array_equal(theirs_gcntr, mine["gcntr"]):
        print("group_stats: the groups table's gcntr differ from the members table's groups", file=sys.stderr)
        return 1

    decs = floats(groups["dec_w"])
    # The candidate groups come from the link, which is not recomputed here: wdb's cgid says which
    # groups form one candidate; what is checked is its size, its id and whether it was confused.
    mine.update(membership(mine["gcntr"], np.array([int(v) for v in groups["cgid"]], dtype=np.int64), mine["_scans"]))

    failed = False
    print("%-16s %8s %14s %12s %8s" % ("column", "rows", "max abs diff", "max rel", "outside"))
    checks = [("gcntr=min(cntr)", mine["min_cntr"], theirs_gcntr)]
    checks += [(name, mine[name], parse_theirs(name, groups[name])) for name in groups if name in mine and name != "gcntr"]
    reports = []
    for name, a, b in checks:
        n, dabs, drel, bad = compare_column(name, a, b, decs)
        print("%-16s %8d %14s %12s %8d" % (name, n, "-" if math.isnan(dabs) else "%.3g" % dabs,
                                           "-" if math.isnan(drel) else "%.3g" % drel, bad.sum()))
        if bad.any():
            failed = True
            reports.append((name, a, b, np.flatnonzero(bad)))
    if extractions is not None:
        sep_theirs = {int(c): float(s) if s else math.nan for c, s in zip(extractions["cntr"], extractions["sep_arcsec"])}
        keys = np.array(sorted(mine["_sep"]))
        a = np.array([mine["_sep"][k] for k in keys])
        b = np.array([sep_theirs.get(int(k), math.nan) for k in keys])
        n, dabs, drel, bad = compare_column("sep_arcsec", a, b, np.zeros(len(a)))
        print("%-16s %8d %14.3g %12.3g %8d" % ("x.sep_arcsec", n, dabs, drel, bad.sum()))
        if bad.any():
            failed = True
            print("sep_arcsec differs for cntr %s" % ", ".join(str(k) for k in keys[bad][:args.show]))
    print(coverage(x, mine))
    missing = [name for name in groups if name not in mine and name not in ("gcntr", "unresolved")]
    print("not recomputed (no precise definition in the docs): %s" % (", ".join(missing) or "none"))

    for name, a, b, bad in reports:
        print("\n%s: %d groups disagree; the first %d:" % (name, len(bad), min(len(bad), args.show)), file=sys.stderr)
        for gi in bad[:args.show]:
            print("  gcntr %d: recomputed %r, wdb %r" % (mine["gcntr"][gi], a[gi], b[gi]), file=sys.stderr)
            print_group(x, mine, gi, sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
