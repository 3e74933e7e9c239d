#!/usr/bin/python3
"""An independent check of wdb's confusion resolution (the split of confused candidate groups),
written from docs/confusion.md ("What is confused", "The split" steps 1-7, "Limits"), SPEC.md §4,
README.md and src/Wdb.IO/Export/COLUMNS.md, not from the C# code.

    confusion_split.py --input tile.csv [--input more.csv] --extractions extractions.csv --groups groups.csv
                       [--radius 2.0] [--show 3]

The inputs are the CSV files the merge read (`wdb gen survey|caltile` output); extractions.csv is
`wdb export M --table extractions --format csv` (cntr -> cgid, gcntr; -1 for a filtered row) and
groups.csv is `wdb export M --table groups --format csv` (gcntr -> confused, unresolved: the
extractions table has no confusion flag). wdb's cgid are taken as the candidate groups (the
friends-of-friends components are checked by fof_components.py); for every
candidate group this script decides again whether it is confused and, if so, splits it, and
compares each row's gcntr and its group's confused and unresolved flags with wdb's.
Exit 0 on full agreement, 1 otherwise (the first disagreeing candidate groups are printed with
their members), 2 on unusable arguments or files. Only Debian's python3 and python3-numpy.

Points the documentation left open when this was written, settled by reading
src/Wdb.Merge/Confusion/ConfusionResolver.cs (docs/confusion.md now states each of them):
  * the distance d is the chord between unit vectors (radians); "within r" is a chord of at most
    2 sin(r/2) (the link's own inclusive test); v is in rad^2, sum d^2 the summed squared chords
    of the members from their (normalised) centre;
  * the brightness is the magnitude as wdb stores it (float32) of the bands detected as the
    "Statistics" section defines a detection;
  * a seed and a centre started in a pass count as one member with no spread, and a pass uses
    the costs of the centres as they were at its start (a centre's n and v change only in step 4);
  * cost ties go to the earlier centre: seeds in the order of step 1, centres started in a pass
    after them in the order started, that order kept when centres are dropped or merged;
  * the merge: every centre in that order, not yet merged this round, merges with its nearest
    unmerged other centre within r that qualifies (ties: the earlier); a centre takes part in at
    most one merge a round; the merged centre is the normalised size-weighted sum of the two
    centres, it takes the earlier centre's place, n and v are recomputed about it;
  * the rounds: 8 assignments at most, with steps 4-5 between them; this script runs them all,
    stopping early only at a fixed point (an assignment equal to the one before), which wdb's
    shortcut for cycles must agree with;
  * "too dense" (Limits): the work estimate is members x seeds plus the scan bookkeeping, sum
    over scans of floor(c^2 / 2) (c a scan's members); where that is over 10^7, the bookkeeping
    alone is not and the group has 128+ members within 0.5 deg of their mean, wdb's grid counts
    instead the seeds in each member's 3 x 3 cells (side 1.001 r, in the tangent plane at the
    normalised mean of the members); over 10^7 the group is left whole (unresolved).
Arithmetic chosen to match wdb's so that near-ties break alike (the algorithm is not changed):
costs are compared as exp(cost) = (1 + d^2 / (4 v))^3 v / n; sums run over members in the order of
step 1; after a merge every centre is normalised again (wdb renormalises all of them).
"""
import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from group_stats import Extractions, read_table   # the documented input reading, shared with the statistics check

ARCSEC_TO_RAD = math.pi / (180.0 * 3600.0)
DEG_TO_RAD = math.pi / 180.0
# docs/confusion.md, "The split"
MAX_ROUNDS = 8
PRIOR_SIGMA_ARCSEC = 0.5       # the prior worth one member
MIN_SIGMA_ARCSEC = 0.05        # the floor of a centre's per-axis scatter
TAIL_NU = 4.0                  # Student-t degrees of freedom; (nu + 2) / 2 = 3 is the exponent
MERGE_OVERLAP = 0.1            # share at most 10 % of the smaller centre's scans
MERGE_SIGMAS = 2.0             # or centres within 2 sqrt(v_a + v_b)
# docs/confusion.md, "Limits"
MAX_SPLIT_WORK = 10_000_000
GRID_MIN_MEMBERS = 128
GRID_MAX_EXTENT_DEG = 0.5

V0 = PRIOR_SIGMA_ARCSEC * PRIOR_SIGMA_ARCSEC * ARCSEC_TO_RAD * ARCSEC_TO_RAD
V_MIN = MIN_SIGMA_ARCSEC * MIN_SIGMA_ARCSEC * ARCSEC_TO_RAD * ARCSEC_TO_RAD


def chord_squared(radius_arcsec):
    s = 2.0 * math.sin(0.5 * radius_arcsec * ARCSEC_TO_RAD)
    return s * s


def unit_vectors(ra_deg, dec_deg):
    """(m, 3) unit vectors; math's sin and cos per value (libm), not numpy's vector kernels."""
    out = np.empty((len(ra_deg), 3))
    for i, (ra, dec) in enumerate(zip(ra_deg, dec_deg)):
        a, d = ra * DEG_TO_RAD, dec * DEG_TO_RAD
        cd = math.cos(d)
        out[i] = (cd * math.cos(a), cd * math.sin(a), math.sin(d))
    return out


def brightness(x, rows):
    """Step 1: the smallest detected magnitude over J, H, Ks; +inf (last) with no detection."""
    b = np.full(len(rows), np.inf)
    for band in ("j", "h", "k"):
        m = np.where(x.detected[band][rows], x.mag[band][rows], np.inf)
        b = np.minimum(b, m)
    return b


def squared_chords(p, centres):
    d = p[None, :] - centres if p.ndim == 1 else p[:, None, :] - centres[None, :, :]
    return d[..., 0] * d[..., 0] + d[..., 1] * d[..., 1] + d[..., 2] * d[..., 2]


class Centres:
    """Positions (unit vectors), member counts n and per-axis variances v, in centre order."""

    def __init__(self, pos, n, spread):
        self.pos = pos
        self.n = n
        self.v = np.maximum(V_MIN, (0.5 * spread + V0) / (n + 1))

    @classmethod
    def single(cls, pos):
        """Seeds, and centres started in a pass: one member, no spread."""
        pos = np.atleast_2d(pos)
        return cls(pos, np.ones(len(pos)), np.zeros(len(pos)))

    def scale(self):
        return self.v / np.maximum(1.0, self.n)

    def cost_factor(self, d2):
        """exp of the documented cost 3 ln(1 + d^2/(4v)) + ln v - ln n: the same order."""
        q = 1.0 + d2 * (1.0 / (TAIL_NU * self.v))
        return q * q * q * self.scale()


def assign(u, scan, centres, chord2):
    """Step 3: one pass in priority order; returns labels and the centres including those started."""
    m = len(u)
    inv = 1.0 / (TAIL_NU * centres.v)
    scale = centres.scale()
    d2 = squared_chords(u, centres.pos)
    q = 1.0 + d2 * inv
    cost = np.where(d2 > chord2, np.inf, q * q * q * scale)
    new_pos, new_cost_scale = [], Centres.single(np.zeros(3))
    taken = {}
    labels = np.empty(m, dtype=np.int64)
    c0 = len(centres.n)
    for k in range(m):
        row = cost[k].copy()
        if new_pos:
            nd2 = squared_chords(u[k], np.array(new_pos))
            nq = 1.0 + nd2 * (1.0 / (TAIL_NU * new_cost_scale.v[0]))
            row = np.concatenate([row, np.where(nd2 > chord2, np.inf, nq * nq * nq * new_cost_scale.scale()[0])])
        slots = taken.setdefault(scan[k], [])
        row[slots] = np.inf
        best = int(np.argmin(row)) if len(row) else -1
        if best < 0 or not np.isfinite(row[best]):
            best = c0 + len(new_pos)
            new_pos.append(u[k])
        labels[k] = best
        slots.append(best)
    pos = np.vstack([centres.pos] + ([np.array(new_pos)] if new_pos else []))
    return labels, pos


def normalise(p):
    norm = np.sqrt(p[:, 0] * p[:, 0] + p[:, 1] * p[:, 1] + p[:, 2] * p[:, 2])
    return p / norm[:, None]


def relabel(labels, count):
    """Drops empty centres, keeping order: (new labels, kept old indices)."""
    sizes = np.bincount(labels, minlength=count)
    kept = np.flatnonzero(sizes > 0)
    remap = np.full(count, -1)
    remap[kept] = np.arange(len(kept))
    return remap[labels], kept


def centres_about(u, labels, pos):
    """n and v of each centre from its members' squared chords to it (summed in priority order)."""
    n = np.bincount(labels, minlength=len(pos)).astype(np.float64)
    d = u - pos[labels]
    spread = np.bincount(labels, weights=d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1] + d[:, 2] * d[:, 2], minlength=len(pos))
    return Centres(pos, n, spread)


def recompute(u, labels, count):
    """Step 4: normalised mean unit vector of each centre's members; empty centres dropped."""
    labels, kept = relabel(labels, count)
    sums = np.stack([np.bincount(labels, weights=u[:, a], minlength=len(kept)) for a in range(3)], axis=1)
    pos = normalise(sums)
    return labels, centres_about(u, labels, pos)


def merge(u, scan, labels, centres, chord2):
    """Step 5: pairs of centres within r that are one source cut in two."""
    count = len(centres.n)
    if count < 2:
        return labels, centres, False
    scans_of = [set(scan[labels == c]) for c in range(count)]
    merged = np.zeros(count, dtype=bool)
    into = np.arange(count)
    pos = centres.pos.copy()
    n = centres.n.copy()
    any_merge = False
    for a in range(count):
        if merged[a]:
            continue
        d2 = squared_chords(centres.pos[a], centres.pos)
        partner, partner_d2 = -1, math.inf
        for b in np.argsort(d2, kind="stable"):   # nearest first, ties to the earlier centre
            if d2[b] > chord2:
                break
            if b == a or merged[b]:
                continue
            same_place = d2[b] <= MERGE_SIGMAS * MERGE_SIGMAS * (centres.v[a] + centres.v[b])
            shared = len(scans_of[a] & scans_of[b])
            if same_place or shared <= MERGE_OVERLAP * min(n[a], n[b]):
                partner, partner_d2 = b, d2[b]
                break
        if partner < 0:
            continue
        first, second = min(a, partner), max(a, partner)
        pos[first] = n[first] * centres.pos[first] + n[second] * centres.pos[second]
        n[first] += n[second]
        n[second] = 0
        into[second] = first
        merged[a] = merged[partner] = True
        any_merge = True
    if not any_merge:
        return labels, centres, False
    labels = into[labels]
    labels, kept = relabel(labels, count)
    return labels, centres_about(u, labels, normalise(pos[kept])), True


def work_estimate(scan, m, seeds, u, chord2):
    """Limits: members x seeds plus the scan bookkeeping, sum over scans of floor(c^2 / 2); where that
    is over the cap, the group has 128+ members and they lie within 0.5 deg of their mean, the seeds
    within each member's 3 x 3 cells (side 1.001 r) of the tangent plane at that mean instead of
    members x seeds."""
    counts = np.bincount(scan).astype(np.int64)
    bookkeeping = int(np.sum(counts * counts // 2))
    bound = bookkeeping + m * seeds
    if bound <= MAX_SPLIT_WORK or bookkeeping > MAX_SPLIT_WORK or m < GRID_MIN_MEMBERS:
        return bound
    total = u.sum(axis=0)
    centre = total / math.sqrt(total @ total)
    if (u @ centre).min() < math.cos(GRID_MAX_EXTENT_DEG * DEG_TO_RAD):
        return bound
    east = np.array([-centre[1], centre[0], 0.0])
    east = east / np.linalg.norm(east) if np.linalg.norm(east) >= 1e-15 else np.array([1.0, 0.0, 0.0])
    north = np.cross(centre, east)
    side = 1.001 * 2.0 * math.asin(0.5 * math.sqrt(chord2))
    w = u @ centre
    cx, cy = np.floor((u @ east) / w / side).astype(np.int64), np.floor((u @ north) / w / side).astype(np.int64)
    seed_cells = {}
    seeds = scan == scan_of_seeds(scan)
    for c in zip(cx[seeds], cy[seeds]):
        seed_cells[c] = seed_cells.get(c, 0) + 1
    near = sum(seed_cells.get((a + i, b + j), 0) for a, b in zip(cx, cy) for i in (-1, 0, 1) for j in (-1, 0, 1))
    return bookkeeping + near


def scan_of_seeds(scan):
    """Step 2: the scan contributing most members; ties: the one holding the brightest member."""
    counts = np.bincount(scan)
    return scan[np.flatnonzero(counts[scan] == counts.max())[0]]


def split(x, rows, chord2):
    """docs/confusion.md steps 1-7 for one confused candidate group: (gcntr per row of rows in the
    given order, status 'split' | 'unresolved', final group count)."""
    bright = brightness(x, rows)
    ra, dec, cntr = x.ra[rows], x.dec[rows], x.cntr[rows]
    order = np.lexsort((cntr, dec, ra, bright))            # step 1
    ra, dec, cntr = ra[order], dec[order], cntr[order]
    _, scan = np.unique(x.scan[rows][order], return_inverse=True)
    u = unit_vectors(ra, dec)
    m = len(order)

    seeds = np.flatnonzero(scan == scan_of_seeds(scan))      # step 2
    centres = Centres.single(u[seeds])

    if work_estimate(scan, m, len(seeds), u, chord2) > MAX_SPLIT_WORK:   # Limits: left whole
        return np.full(m, cntr.min()), "unresolved", 1

    previous = None
    for round_ in range(MAX_ROUNDS):                        # step 6
        labels, pos = assign(u, scan, centres, chord2)      # step 3
        if round_ == MAX_ROUNDS - 1 or (previous is not None and np.array_equal(labels, previous)):
            break
        previous = labels
        new_labels, centres = recompute(u, labels, len(pos))   # step 4
        _, centres, _ = merge(u, scan, new_labels, centres, chord2)   # step 5 (its labels are re-made by the next pass)
    gcntr = np.full(labels.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(gcntr, labels, cntr)                      # step 7
    out = gcntr[labels]
    return out[np.argsort(order)], "split", len(np.unique(labels))


# ---------------------------------------------------------------- comparison

class Verdict:
    """One candidate group: its rows (input order), my gcntr per row, and wdb's."""

    def __init__(self, cgid, rows, mine, theirs, confused, status, groups, wdb_confused, wdb_unresolved):
        self.cgid, self.rows, self.mine, self.theirs = cgid, rows, mine, theirs
        self.confused, self.status, self.groups = confused, status, groups
        self.wdb_confused, self.wdb_unresolved = wdb_confused, wdb_unresolved

    def holds_a_scan_twice(self, x):
        """SPEC §4: no final group of wdb holds two extractions of one scan (an unresolved group apart)."""
        if self.wdb_unresolved.all():
            return False
        pairs = np.unique(np.stack([self.theirs, x.scan[self.rows]], axis=1), axis=0)
        return len(pairs) < len(self.rows)

    def agrees(self):
        unresolved = self.status == "unresolved"
        return (np.array_equal(self.mine, self.theirs) and bool((self.wdb_confused == self.confused).all())
                and bool((self.wdb_unresolved == unresolved).all()))


def group_flags(groups):
    gcntr = np.array([int(v) for v in groups["gcntr"]], dtype=np.int64)
    flag = lambda name: np.array([v in ("1", "true", "True") for v in groups[name]])
    return gcntr, flag("confused"), flag("unresolved")


def check(x, extractions, groups, chord2):
    cntr = np.array([int(v) for v in extractions["cntr"]], dtype=np.int64)
    cgid = np.array([int(v) for v in extractions["cgid"]], dtype=np.int64)
    gcntr = np.array([int(v) for v in extractions["gcntr"]], dtype=np.int64)
    merged = cgid >= 0
    cntr, cgid, gcntr = cntr[merged], cgid[merged], gcntr[merged]
    rows = x.rows_of(cntr)
    g_id, g_confused, g_unresolved = group_flags(groups)
    at = np.searchsorted(g_id, gcntr)
    if (at >= len(g_id)).any() or (g_id[np.minimum(at, len(g_id) - 1)] != gcntr).any():
        raise SystemExit("confusion_split: a gcntr of the extractions table is not in the groups table")
    order = np.argsort(cgid, kind="stable")
    starts = np.flatnonzero(np.r_[True, cgid[order][1:] != cgid[order][:-1]])
    ends = np.r_[starts[1:], len(order)]
    verdicts = []
    for s, e in zip(starts, ends):
        idx = order[s:e]
        r = rows[idx]
        scans = x.scan[r]
        confused = len(np.unique(scans)) < len(scans)       # "What is confused"
        if cntr[idx].min() != cgid[idx[0]]:
            raise SystemExit("confusion_split: cgid %d is not the smallest cntr of its candidate group" % cgid[idx[0]])
        if confused:
            mine, status, n_groups = split(x, r, chord2)
        else:
            mine, status, n_groups = np.full(len(idx), cgid[idx[0]]), "whole", 1
        verdicts.append(Verdict(cgid[idx[0]], r, mine, gcntr[idx], confused, status, n_groups,
                                g_confused[at[idx]], g_unresolved[at[idx]]))
    return verdicts


def print_group(x, v, stream):
    print("  candidate group %d (%d members, %s): recomputed %d final groups, wdb %d" % (
        v.cgid, len(v.rows), v.status, len(np.unique(v.mine)), len(np.unique(v.theirs))), file=stream)
    if v.confused != v.wdb_confused[0] or v.wdb_unresolved[0] != (v.status == "unresolved"):
        print("    confused: recomputed %d, wdb %d; unresolved: recomputed %d, wdb %d" % (
            v.confused, v.wdb_confused[0], v.status == "unresolved", v.wdb_unresolved[0]), file=stream)
    print("    cntr scan ra dec brightness | recomputed gcntr, wdb gcntr", file=stream)
    bright = brightness(x, v.rows)
    for k in np.lexsort((x.cntr[v.rows], x.dec[v.rows], x.ra[v.rows], bright)):
        r = v.rows[k]
        mark = "" if v.mine[k] == v.theirs[k] else "   <- differs"
        print("    %d %d %.7f %.7f %g | %d %d%s" % (x.cntr[r], x.scan[r], x.ra[r], x.dec[r], bright[k],
                                                 v.mine[k], v.theirs[k], mark), file=stream)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", action="append", required=True, help="an input CSV the merge read (repeat for several)")
    ap.add_argument("--extractions", required=True, help="wdb export M --table extractions --format csv")
    ap.add_argument("--groups", required=True, help="wdb export M --table groups --format csv")
    ap.add_argument("--radius", type=float, default=2.0, help="the merge's --radius (arcsec)")
    ap.add_argument("--show", type=int, default=3, help="disagreeing candidate groups printed")
    args = ap.parse_args(argv)
    if not args.radius > 0:
        ap.error("--radius must be positive")

    try:
        x = Extractions(args.input)
        extractions = read_table(args.extractions)
        groups = read_table(args.groups)
        for table, names in ((extractions, ("cntr", "cgid", "gcntr")), (groups, ("gcntr", "confused", "unresolved"))):
            for name in names:
                if name not in table:
                    raise KeyError("no column %s" % name)
    except (OSError, KeyError, ValueError, StopIteration) as e:
        print("confusion_split: %s" % e, file=sys.stderr)
        return 2

    verdicts = check(x, extractions, groups, chord_squared(args.radius))
    bad = [v for v in verdicts if not v.agrees()]
    confused = [v for v in verdicts if v.confused]
    split_groups = np.array([v.groups for v in confused if v.status == "split"], dtype=np.int64)
    rows = sum(len(v.rows) for v in verdicts)
    print("candidate groups %d; rows %d; confused %d; split into 2+ final groups %d; into 3+ %d; most final groups %d; "
          "largest confused %d members; unresolved %d" % (
              len(verdicts), rows, len(confused), int((split_groups >= 2).sum()), int((split_groups >= 3).sum()),
              split_groups.max(initial=0), max((len(v.rows) for v in confused), default=0),
              sum(v.status == "unresolved" for v in verdicts)))
    twice = [v.cgid for v in verdicts if v.holds_a_scan_twice(x)]
    print("candidate groups of which a final group of wdb holds one scan twice: %d%s" % (
        len(twice), "".join(" %d" % c for c in twice[:args.show])))
    rows_bad = sum(int((v.mine != v.theirs).sum()) for v in bad)
    print("disagreeing candidate groups %d (rows with another gcntr %d)" % (len(bad), rows_bad))
    if bad and args.show > 0:
        print("\nfirst %d disagreeing candidate groups:" % min(args.show, len(bad)), file=sys.stderr)
        for v in bad[:args.show]:
            print_group(x, v, sys.stderr)
    return 1 if bad or twice else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
