#!/usr/bin/env python3
"""Independent check of wdb's groups against the scipy friends-of-friends peer.

Inputs: wdb's per-extraction export (CSV with cntr, cgid, gcntr), the peer's `cntr,comp`
file, and optionally the generated data CSV (cntr, scan_key). Checks, row for row:
  1. both hold exactly the same cntr values;
  2. wdb's candidate groups (cgid) are exactly the peer's connected components: the pairing
     cgid <-> comp is one-to-one;
  3. final groups nest inside candidate groups, and gcntr is the smallest cntr of its group;
  4. with the data: no final group holds two extractions of one scan (confusion resolved).
Prints PASS or FAIL per check; exit status 0 only when all pass.
"""
import argparse
import sys

import numpy as np


def read_cols(path, names):
    with open(path) as f:
        header = [h.strip().lower() for h in f.readline().strip().split(",")]
    missing = [n for n in names if n not in header]
    if missing:
        raise SystemExit(f"{path}: missing column(s) {missing}; header is {header}")
    cols = [header.index(n) for n in names]
    a = np.loadtxt(path, delimiter=",", skiprows=1, usecols=cols, dtype=np.int64, ndmin=2)
    return [a[:, k] for k in range(len(names))]


def distinct(*cols):
    return len(np.unique(np.column_stack(cols), axis=0)) if len(cols) > 1 else len(np.unique(cols[0]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wdb", required=True)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--data")
    a = ap.parse_args()

    ok = True

    def report(name, passed, detail=""):
        nonlocal ok
        ok &= passed
        print(f"{'PASS' if passed else 'FAIL'} {name}{': ' + detail if detail else ''}")

    w_cntr, w_cg, w_g = read_cols(a.wdb, ["cntr", "cgid", "gcntr"])
    p_cntr, p_comp = read_cols(a.peer, ["cntr", "comp"])
    wo, po = np.argsort(w_cntr, kind="stable"), np.argsort(p_cntr, kind="stable")
    w_cntr, w_cg, w_g = w_cntr[wo], w_cg[wo], w_g[wo]
    p_cntr, p_comp = p_cntr[po], p_comp[po]

    same_rows = len(w_cntr) == len(p_cntr) and bool(np.array_equal(w_cntr, p_cntr))
    report("same extractions", same_rows, f"wdb {len(w_cntr)} rows, peer {len(p_cntr)} rows")
    if not same_rows:
        return 1

    n_cg, n_comp, n_both = distinct(w_cg), distinct(p_comp), distinct(w_cg, p_comp)
    report("candidate groups == peer components", n_cg == n_comp == n_both,
           f"{n_cg} candidate groups, {n_comp} components, {n_both} distinct pairings")

    n_g = distinct(w_g)
    nest = distinct(w_g, w_cg) == n_g
    gmin = np.full(len(w_cntr), np.iinfo(np.int64).max)
    _, inv = np.unique(w_g, return_inverse=True)
    np.minimum.at(gmin, inv, w_cntr)
    smallest = bool(np.array_equal(gmin[inv], w_g))
    report("final groups nest in candidate groups, gcntr = smallest cntr", nest and smallest,
           f"{n_g} final groups")

    if a.data:
        d_cntr, d_scan = read_cols(a.data, ["cntr", "scan_key"])
        do = np.argsort(d_cntr, kind="stable")
        d_cntr, d_scan = d_cntr[do], d_scan[do]
        if np.array_equal(d_cntr, w_cntr):
            report("no final group holds two extractions of one scan", distinct(w_g, d_scan) == len(w_g))
        else:
            report("no final group holds two extractions of one scan", False, "data rows differ from export rows")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
