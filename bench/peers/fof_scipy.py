#!/usr/bin/env python3
"""Friends-of-friends peer: scipy cKDTree pairs on unit vectors + connected components.

Reads a CSV with a header holding cntr, ra, dec (deg); links two rows when their chord on
the unit sphere is <= the chord of the radius (arcsec), inclusive, exactly as wdb's sky
predicate (no RA wrap or pole special case is needed on unit vectors); groups are the
connected components. Writes one line per row, `cntr,comp` in input order, where comp is
the smallest cntr of the row's component (so labels compare across tools), and prints a
one-line JSON summary with stage timings to stdout.

Note: query_pairs materialises every pair: on dense calibration tiles (600 apparitions
of each source) that is ~n^2/2 pairs per group and exhausts memory; the harness runs this
peer under a timeout and a memory cap and records what happened.
"""
import argparse
import json
import math
import sys
import time

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree


def read_columns(path):
    with open(path, "r") as f:
        header = f.readline().strip().split(",")
    idx = [header.index(c) for c in ("cntr", "ra", "dec")]
    try:
        import pandas as pd  # faster when present
        df = pd.read_csv(path, usecols=idx, dtype={header[idx[0]]: np.int64, header[idx[1]]: np.float64, header[idx[2]]: np.float64})
        return (df[header[idx[0]]].to_numpy(), df[header[idx[1]]].to_numpy(), df[header[idx[2]]].to_numpy())
    except ImportError:
        cntr = np.loadtxt(path, delimiter=",", skiprows=1, usecols=(idx[0],), dtype=np.int64)
        radec = np.loadtxt(path, delimiter=",", skiprows=1, usecols=(idx[1], idx[2]), dtype=np.float64, ndmin=2)
        return cntr, radec[:, 0], radec[:, 1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--radius", type=float, default=2.0, help="arcsec, inclusive")
    ap.add_argument("--out", help="write cntr,comp per row here")
    a = ap.parse_args()

    t0 = time.perf_counter()
    cntr, ra, dec = read_columns(a.csv)
    t1 = time.perf_counter()
    r, d = np.radians(ra), np.radians(dec)
    cd = np.cos(d)
    xyz = np.column_stack((cd * np.cos(r), cd * np.sin(r), np.sin(d)))
    chord = 2.0 * math.sin(0.5 * math.radians(a.radius / 3600.0))
    tree = cKDTree(xyz)
    t2 = time.perf_counter()
    # query_pairs uses <= r; widen by one ulp-scale step, then filter with the exact squared
    # chord, the same inclusive predicate as wdb (dx^2 + dy^2 + dz^2 <= chord^2).
    pairs = tree.query_pairs(chord * (1 + 1e-12), output_type="ndarray")
    keep = np.empty(len(pairs), dtype=bool)
    step = 1 << 24   # filter in slices: dense tiles give 10^8 pairs
    for s in range(0, len(pairs), step):
        p = pairs[s:s + step]
        dv = xyz[p[:, 0]] - xyz[p[:, 1]]
        keep[s:s + step] = np.einsum("ij,ij->i", dv, dv) <= chord * chord
    if not keep.all():
        pairs = pairs[keep]
    t3 = time.perf_counter()
    n = len(cntr)
    g = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n)) if len(pairs) else coo_matrix((n, n), dtype=np.int8)
    ncomp, labels = connected_components(g, directed=False)
    # Label each component by its smallest cntr.
    smallest = np.full(ncomp, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(smallest, labels, cntr)
    comp = smallest[labels]
    t4 = time.perf_counter()
    if a.out:
        np.savetxt(a.out, np.column_stack((cntr, comp)), fmt="%d", delimiter=",", header="cntr,comp", comments="")
    t5 = time.perf_counter()
    sizes = np.bincount(labels)
    print(json.dumps({
        "peer": "scipy-ckdtree", "rows": int(n), "pairs": int(len(pairs)), "groups": int(ncomp),
        "largest_group": int(sizes.max()) if n else 0,
        "seconds": {"read": round(t1 - t0, 3), "tree": round(t2 - t1, 3), "pairs": round(t3 - t2, 3),
                    "components": round(t4 - t3, 3), "write": round(t5 - t4, 3), "total": round(t5 - t0, 3)},
    }))


if __name__ == "__main__":
    sys.exit(main())
