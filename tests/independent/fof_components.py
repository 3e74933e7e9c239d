#!/usr/bin/python3
"""An independent check of wdb's candidate groups (friends-of-friends components), written from
SPEC.md §4, README.md ("Semantics in one paragraph"), ARCHITECTURE.md ("Semantics of a link") and
docs/filters.md, not from the C# code; scipy's k-d tree finds the neighbours.

    fof_components.py --input a.csv [--input b.csv] --extractions extractions.csv [--radius 2.0] [--show 3]

The inputs are the CSV files the merge read, in the order it read them (summary.json `inputs`; the
extractions table's file_index counts them), plain or gzipped; extractions.csv is
`wdb export M --table extractions --format csv` (cntr -> cgid, reason, file_index, line). Each
extraction is joined to its input row by (file_index, line), so a duplicate cntr's rejected row
never stands in for the row that was read.

What is checked, as the documents define it:
  * two extractions are linked when their angular separation is <= r, inclusive, on the sphere,
    with no special case at RA 0/360 or the poles: their unit vectors (cos d cos a, cos d sin a,
    sin d) lie at a chord of at most 2 sin(r/2) (ARCHITECTURE.md: squared chord <= the radius's);
  * candidate groups are the connected components of those links, and cgid is the smallest cntr
    of each component;
  * a filtered extraction (any reason but `none`: --min-snr, --exclude-artifacts,
    --exclude-likely-artifacts, --not-in) "takes no part in the merge" (docs/filters.md): it links
    nothing, not even as a bridge between two others, and has cgid -1; rows rejected as unreadable
    and a duplicate cntr's later rows (README: the first by file and line is read) are in
    rejects.csv, not in the extractions table, and take no part either.
So the script recomputes the components from the rows whose reason is `none` and compares the
partition row for row with wdb's cgid.

Rounding: the separation is computed from double-precision unit vectors, and this script's sine
and cosine (libm, through Python's math) need not give the same last bits as wdb's own, so a chord
within EPS_CHORD (1e-14 rad, ~2e-9") of the radius's chord is decided by rounding alone (a chord
of ~1e-5 carries ~1e-15 of rounding from each of its vectors' components). Such a pair is
accepted either way: the check passes when wdb's partition is the components of the pairs surely
within r plus some of those at the radius, and says how many there were and how wdb took them.
Pairs 1e-9 deg (3.6e-6") or more from the radius are far outside that band and decided strictly.

Exit 0 when wdb's cgid is that partition with the smallest cntr as id, 1 otherwise (the first
differing components are printed on stderr: the pair within r that wdb left in two candidate
groups, or the candidate group whose rows no chain of links joins, with its parts), 2 on unusable
arguments or files. Only Debian's python3, python3-numpy and python3-scipy.
"""
import argparse
import csv
import gzip
import math
import sys

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from confusion_split import unit_vectors   # libm per value, as the split check takes them

ARCSEC_TO_RAD = math.pi / (180.0 * 3600.0)
EPS_CHORD = 1e-14          # chords this close to the radius's are decided by rounding (docstring)
NEAR_ARCSEC = 1e-5         # "beside the radius" in the coverage counts: hand-made pairs 1e-9 deg either side
CHUNK = 4096               # rows whose neighbours are found at once: a 600-scan tile has ~600 each


class Usage(Exception):
    """An argument or file the script cannot use: exit 2."""


def open_bytes(path):
    """The file as a byte stream, gunzipped when it starts with gzip's signature (whatever its name, as README says)."""
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else open(path, "rb")


def read_lines(path):
    """The file's lines (1-based line n is lines[n - 1]), without their LF or CRLF ends."""
    with open_bytes(path) as f:
        data = f.read()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return [line[:-1] if line.endswith("\r") else line for line in data.decode("utf-8", errors="replace").split("\n")]


class Input:
    """One input CSV: its header's columns (found case-insensitively, as README says) and its lines."""

    def __init__(self, path):
        self.path = path
        try:
            self.lines = read_lines(path)
        except OSError as e:
            raise Usage("%s: %s" % (path, e.strerror or e))
        header = next((i for i, l in enumerate(self.lines) if l.strip() and not l.startswith("#")), None)
        if header is None:
            raise Usage("%s: no header row" % path)
        names = [h.strip().lower() for h in next(csv.reader([self.lines[header]]))]
        missing = [c for c in ("cntr", "ra", "dec") if c not in names]
        if missing:
            raise Usage("%s: no column %s (this script reads CSV inputs with a header)" % (path, ", ".join(missing)))
        self.header_line = header + 1
        self.columns = [names.index(c) for c in ("cntr", "ra", "dec")]

    def row(self, line):
        """(cntr, ra, dec) of 1-based line `line`, or None where it is no such row."""
        if not self.header_line < line <= len(self.lines):
            return None
        fields = next(csv.reader([self.lines[line - 1]]), [])
        try:
            c, r, d = (fields[i].strip() for i in self.columns)
            return int(c), float(r), float(d)
        except (IndexError, ValueError):
            return None

    def data_lines(self):
        """How many lines hold a row (not blank, not a `#` line, after the header)."""
        return sum(1 for l in self.lines[self.header_line:] if l.strip() and not l.startswith("#"))


def read_extractions(path):
    """The exported extractions table as numpy columns (cntr, cgid, file_index, line) and reasons."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = csv.reader(f)
            header = [h.strip().lower() for h in next(rows)]
            want = ("cntr", "cgid", "file_index", "line", "reason")
            missing = [c for c in want if c not in header]
            if missing:
                raise Usage("%s: no column %s (wdb export M --table extractions --format csv)" % (path, ", ".join(missing)))
            idx = [header.index(c) for c in want]
            cols = [[] for _ in want]
            for row in rows:
                if row:
                    for k, i in enumerate(idx):
                        cols[k].append(row[i])
    except OSError as e:
        raise Usage("%s: %s" % (path, e.strerror or e))
    except StopIteration:
        raise Usage("%s: empty" % path)
    try:
        ints = [np.array([int(v) for v in cols[k]], dtype=np.int64) for k in range(4)]
    except ValueError as e:
        raise Usage("%s: %s" % (path, e))
    return ints[0], ints[1], ints[2], ints[3], np.array(cols[4], dtype=str)


def radius_chord(radius_arcsec):
    return 2.0 * math.sin(0.5 * radius_arcsec * ARCSEC_TO_RAD)


def chord_arcsec(chord):
    """The angle (arcsec) of a chord of the unit sphere."""
    return 2.0 * np.arcsin(np.minimum(chord * 0.5, 1.0)) / ARCSEC_TO_RAD


class Pairs:
    """Every pair within the radius (and beside it), found chunk by chunk so a dense tile's ~n^2/2 pairs of a
    source are never all held: the pairs surely within r are folded at once into `sure` (component labels), the
    few decided by rounding alone are kept, and so are the first sure pairs that wdb put in two candidate groups."""

    def __init__(self, xyz, cgid, radius_arcsec, show):
        self.n = len(xyz)
        chord = radius_chord(radius_arcsec)
        reach = 2.0 * math.sin(0.5 * (radius_arcsec + 2 * NEAR_ARCSEC) * ARCSEC_TO_RAD)
        self.rounding = []            # (i, j, arcsec) within EPS_CHORD of the radius
        self.split = []               # (i, j, arcsec) surely within r, wdb's cgid differ
        self.counts = dict(sure=0, inside=0, outside=0, outside_joined=0, rounding_joined=0, rounding_strict=0, split=0)
        rep = np.arange(self.n)       # each row's component representative so far (a row of it)
        tree = cKDTree(xyz)
        for start in range(0, self.n, CHUNK):
            stop = min(self.n, start + CHUNK)
            found = cKDTree(xyz[start:stop]).sparse_distance_matrix(tree, reach, output_type="ndarray")
            i, j = found["i"].astype(np.int64) + start, found["j"].astype(np.int64)
            keep = i < j
            i, j = i[keep], j[keep]
            d = xyz[i] - xyz[j]
            c = np.sqrt((d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]) + d[:, 2] * d[:, 2])
            sure = c < chord - EPS_CHORD
            at = np.abs(c - chord) <= EPS_CHORD
            out = c > chord + EPS_CHORD
            sep = chord_arcsec(c)
            self.counts["sure"] += int(sure.sum())
            self.counts["inside"] += int((sure & (sep > radius_arcsec - NEAR_ARCSEC)).sum())
            beside = out & (sep < radius_arcsec + NEAR_ARCSEC)
            self.counts["outside"] += int(beside.sum())
            self.counts["outside_joined"] += int((beside & (cgid[i] == cgid[j])).sum())
            self.rounding += zip(i[at].tolist(), j[at].tolist(), sep[at].tolist())
            self.counts["rounding_joined"] += int((at & (cgid[i] == cgid[j])).sum())
            self.counts["rounding_strict"] += int((at & (c * c <= chord * chord)).sum())
            apart = sure & (cgid[i] != cgid[j])
            self.counts["split"] += int(apart.sum())
            if len(self.split) < show:
                self.split += list(zip(i[apart].tolist(), j[apart].tolist(), sep[apart].tolist()))[:show - len(self.split)]
            rep = self.fold(rep, i[sure], j[sure])
        self.sure = rep

    def fold(self, rep, i, j):
        """Representatives of the components of (the components so far) + these pairs: each its smallest row."""
        rows = np.arange(self.n)
        a = np.concatenate((rows, i))
        b = np.concatenate((rep, j))
        graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(self.n, self.n))
        _, labels = connected_components(graph, directed=False)
        smallest = np.full(labels.max() + 1 if self.n else 0, self.n, dtype=np.int64)
        np.minimum.at(smallest, labels, rows)
        return smallest[labels]


def check(xyz, cntr, cgid, radius_arcsec, show):
    """The differences (text lines, first `show` of each kind) and the counts for the coverage line."""
    pairs = Pairs(xyz, cgid, radius_arcsec, show)
    n = len(cntr)
    problems = []
    for i, j, sep in pairs.split:
        problems.append("cntr %d and %d are %.9f\" apart (within %g\"), but wdb puts them in candidate groups %d and %d"
                        % (cntr[i], cntr[j], sep, radius_arcsec, cgid[i], cgid[j]))
    # The components with the rounding pairs wdb took (both rows in one of its candidate groups): wdb's partition
    # must be exactly these, or some candidate group holds rows that no chain of links joins.
    took = [(i, j) for i, j, _ in pairs.rounding if cgid[i] == cgid[j]]
    a = np.concatenate((np.arange(n), np.array([p[0] for p in took], dtype=np.int64)))
    b = np.concatenate((pairs.sure, np.array([p[1] for p in took], dtype=np.int64)))
    _, comp = connected_components(coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n)), directed=False)
    _, group = np.unique(cgid, return_inverse=True)
    joined = np.unique(np.column_stack((group, comp)), axis=0)
    many = np.flatnonzero(np.bincount(joined[:, 0], minlength=group.max(initial=-1) + 1) > 1)
    for g in many[:show]:
        rows = np.flatnonzero(group == g)
        parts = [rows[comp[rows] == c] for c in np.unique(comp[rows])]
        problems.append("candidate group %d holds %d rows that no chain of links within %g\" joins: %s%s" % (
            cgid[rows[0]], len(rows), radius_arcsec, "; ".join(describe(cntr, p) for p in parts[:4]),
            nearest(xyz, cntr, parts[0], np.concatenate(parts[1:]))))
    # cgid = the smallest cntr of its component (SPEC §4, README).
    smallest = np.full(group.max(initial=-1) + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(smallest, group, cntr)
    wrong_id = np.flatnonzero(smallest != np.unique(cgid))
    for g in wrong_id[:show]:
        problems.append("candidate group %d: its smallest cntr is %d" % (np.unique(cgid)[g], smallest[g]))
    wrong = dict(split=pairs.counts["split"], unjoined=len(many), ids=len(wrong_id))
    return problems, wrong, pairs, comp


def describe(cntr, rows):
    shown = ", ".join(str(c) for c in np.sort(cntr[rows])[:6])
    return "{%s%s} (%d rows)" % (shown, ", ..." if len(rows) > 6 else "", len(rows))


def nearest(xyz, cntr, part, rest):
    """The closest pair between a candidate group's first part and the others (brute force on a few rows)."""
    part, rest = part[:2000], rest[:2000]
    d = xyz[part][:, None, :] - xyz[rest][None, :, :]
    c = np.sqrt((d * d).sum(axis=2))
    k = np.unravel_index(np.argmin(c), c.shape)
    return "; nearest across: cntr %d and %d, %.9f\" apart" % (cntr[part[k[0]]], cntr[rest[k[1]]], chord_arcsec(c[k]))


def coverage(ra, dec, comp):
    """Components of 2+ rows, the largest, those with rows either side of RA 0/360, those round each pole."""
    sizes = np.bincount(comp)
    multi = np.flatnonzero(sizes > 1)
    members = {c: [] for c in multi}
    for k, c in enumerate(comp):
        if sizes[c] > 1:
            members[c].append(k)
    seam = north = south = 0
    for rows in members.values():
        r, d = ra[rows], dec[rows]
        seam += bool((r < 1.0).any() and (r > 359.0).any())
        # round a pole: every row within a degree of it, in three or more quadrants of RA
        quadrants = len(np.unique(np.floor(r / 90.0)))
        north += bool((d > 89.0).all() and quadrants >= 3)
        south += bool((d < -89.0).all() and quadrants >= 3)
    return len(sizes), len(multi), int(sizes.max(initial=0)), seam, north, south


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", action="append", required=True, help="an input CSV the merge read, in its order (repeat)")
    ap.add_argument("--extractions", required=True, help="wdb export M --table extractions --format csv")
    ap.add_argument("--radius", type=float, default=2.0, help="the merge's --radius (arcsec, inclusive)")
    ap.add_argument("--show", type=int, default=3, help="differing components printed of each kind")
    args = ap.parse_args(argv)
    if not (math.isfinite(args.radius) and args.radius > 0):
        ap.error("--radius must be a positive number of arcsec")

    try:
        inputs = [Input(p) for p in args.input]
        cntr, cgid, file_index, line, reason = read_extractions(args.extractions)
        if len(file_index) and (file_index.min() < 0 or file_index.max() >= len(inputs)):
            raise Usage("%s: file_index %d, but %d --input given (give every input the merge read, in its order)"
                        % (args.extractions, file_index.max(), len(inputs)))
    except Usage as e:
        print("fof_components: %s" % e, file=sys.stderr)
        return 2

    problems = []
    linked = reason == "none"
    for k in np.flatnonzero(linked != (cgid != -1))[:args.show]:
        problems.append("cntr %d: reason %s but cgid %d (a filtered row takes no part, docs/filters.md)" % (cntr[k], reason[k], cgid[k]))
    bad_rows = int((linked != (cgid != -1)).sum())

    rows = np.flatnonzero(linked)
    ra, dec = np.empty(len(rows)), np.empty(len(rows))
    for k, r in enumerate(rows):
        got = inputs[file_index[r]].row(int(line[r]))
        if got is None or got[0] != cntr[r]:
            print("fof_components: %s line %d is not the row of cntr %d the extractions table names"
                  % (inputs[file_index[r]].path, line[r], cntr[r]), file=sys.stderr)
            return 2
        ra[k], dec[k] = got[1], got[2]

    xyz = unit_vectors(ra, dec)
    found, wrong, pairs, comp = check(xyz, cntr[rows], cgid[rows], args.radius, args.show)
    problems += found
    n_comp, n_multi, largest, seam, north, south = coverage(ra, dec, comp)
    c = pairs.counts
    read = sum(i.data_lines() for i in inputs)
    print("rows %d (linked %d, filtered %d, not in the table %d); components %d, of 2+ rows %d, largest %d; "
          "across RA 0/360 %d; round the north pole %d, the south pole %d" % (
              read, len(rows), len(cntr) - len(rows), read - len(cntr), n_comp, n_multi, largest, seam, north, south))
    print("pairs within r %d; within %g\" inside r %d; within %g\" outside r %d (of them in one candidate group %d); "
          "at r to rounding %d (in one candidate group %d; within r by this script's own vectors %d)" % (
              c["sure"], NEAR_ARCSEC, c["inside"], NEAR_ARCSEC, c["outside"], c["outside_joined"],
              len(pairs.rounding), c["rounding_joined"], c["rounding_strict"]))
    print("differences: pairs within r in two candidate groups %d; candidate groups not one component %d; "
          "cgid not the smallest cntr %d; filtered rows with a cgid or merged rows without %d" % (
              wrong["split"], wrong["unjoined"], wrong["ids"], bad_rows))
    if any(wrong.values()) or bad_rows:
        print("\nfirst differences:", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
