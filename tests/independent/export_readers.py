#!/usr/bin/python3
"""Independent readers of wdb's exports, compared value by value with the CSV export.

SPEC §5 promises exports that TOPCAT, astropy and pandas read. Each mode reads one export with
one tool and compares every column with src/Wdb.IO/Export/COLUMNS.md (names, order, type, unit)
and every value with the CSV export of the same table, read with Python's csv module (the CSV's
agreement with what wdb holds is the Output tests' business):

    export_readers.py astropy --table T --csv T.csv --ipac T.ipac
        astropy.io.ascii's IPAC reader: columns, dtypes, units (parsed by astropy.units, no
        warning), masked exactly where the CSV is empty, values equal.
    export_readers.py pandas --table T --csv T.csv
        pandas.read_csv as a user calls it (defaults): numeric columns numeric, empty fields NaN
        and no other field NaN, text columns objects; then with the documented types
        (dtype=str for char and text, float_precision="round_trip") every value equal.
    export_readers.py stilts --table T --csv T.csv --votable T.vot
        STILTS's reading of the IPAC export, as it wrote it back out (`stilts tpipe in=T.ipac
        ifmt=ipac ofmt=votable-tabledata`): field datatypes and units, nulls, values equal.
    export_readers.py parquet --table T --csv T.csv --parquet T.parquet
        The Parquet export read by parquet_read.py (written from the Parquet specification:
        Debian packages no Parquet reader and its STILTS has no Parquet input): physical types,
        nullability, values equal; the VOParquet metadata parsed by astropy.io.votable (fields,
        datatypes, units understood without a warning) and the wdb.columns JSON.

T is groups, members, extractions, or cone (`wdb cone`: sep_arcsec, then the groups columns).
Float columns are compared as float32 (their stored precision), double columns exactly.
Exit 0 when everything agrees, 1 otherwise (the first disagreements on stderr), 2 on unusable
arguments or files. Only Debian's python3 with python3-numpy, python3-astropy (5.2) and
python3-pandas (1.5) is needed.
"""
import argparse
import csv
import io
import json
import math
import os
import re
import sys
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
COLUMNS_MD = os.path.join(HERE, "..", "..", "src", "Wdb.IO", "Export", "COLUMNS.md")
INTEGER_KINDS = ("int", "long", "bool")
REAL_KINDS = ("float", "double")
TEXT_KINDS = ("char", "text")
SHOW = 10


class Usage(Exception):
    pass


# ---------------------------------------------------------------- what the documents say

def documented_columns(table, path=COLUMNS_MD):
    """[(name, kind, unit)] of the table, from COLUMNS.md; the cone's are sep_arcsec then the groups'."""
    if table == "cone":
        # README / `wdb cone --help`: the separation, then every column of `wdb export --table groups`.
        return [("sep_arcsec", "double", "arcsec")] + documented_columns("groups", path)
    columns, inside = [], False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("## "):
                inside = line[3:].strip() == table
                continue
            if inside and line.startswith("| ") and not line.startswith("| column ") and not line.startswith("|---"):
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                columns.append((cells[0], cells[1], cells[2]))
    if not columns:
        raise Usage(f"no table '{table}' in {path}")
    return columns


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise Usage(f"{path} is empty")
    return rows[0], rows[1:]


# ---------------------------------------------------------------- comparison

class Report:
    def __init__(self, mode, table):
        self.mode, self.table = mode, table
        self.problems = []
        self.values = self.nulls = 0

    def fail(self, text):
        self.problems.append(text)

    def finish(self, extra=""):
        if self.problems:
            print(f"{self.mode} {self.table}: {len(self.problems)} disagreements", file=sys.stderr)
            for p in self.problems[:SHOW]:
                print("  " + p, file=sys.stderr)
            return 1
        print(f"{self.mode} {self.table}: {self.values} values equal, {self.nulls} of them null where the CSV field is empty{extra}")
        return 0


def same(kind, text, value):
    """Whether a tool's value (None for null) is the CSV field's text."""
    if text == "":
        return value is None
    if value is None:
        return False
    if kind in INTEGER_KINDS:
        if isinstance(value, (float, np.floating)) and not float(value).is_integer():
            return False
        return int(text) == int(value) and (kind != "bool" or int(value) in (0, 1))
    if kind == "float":
        return not math.isnan(float(value)) and np.float32(float(text)) == np.float32(float(value))
    if kind == "double":
        return float(text) == float(value)
    return text == str(value)


def compare_values(report, columns, csv_header, csv_rows, read_value, nrows):
    """read_value(name, i): the tool's value of column name in row i, None for null."""
    if csv_header != [c[0] for c in columns]:
        report.fail(f"the CSV header is not COLUMNS.md's: {csv_header}")
        return
    if nrows != len(csv_rows):
        report.fail(f"{nrows} rows, the CSV has {len(csv_rows)}")
        return
    key = csv_header[0]
    for j, (name, kind, _) in enumerate(columns):
        for i, row in enumerate(csv_rows):
            value = read_value(name, i)
            if same(kind, row[j], value):
                report.values += 1
                report.nulls += row[j] == ""
            else:
                report.fail(f"row {i + 1} ({key} {row[0]}) column {name} ({kind}): CSV '{row[j]}', {report.mode} {value!r}")


def null_if_nan(v):
    return None if isinstance(v, (float, np.floating)) and math.isnan(v) else v


# ---------------------------------------------------------------- astropy, IPAC

def check_astropy(args, columns, header, rows):
    from astropy import units as u
    from astropy.table import Table

    report = Report("astropy", args.table)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = Table.read(args.ipac, format="ipac")
    for w in caught:
        report.fail(f"reading {args.ipac} warned: {w.category.__name__}: {w.message}")
    if t.colnames != [c[0] for c in columns]:
        report.fail(f"columns {t.colnames}, COLUMNS.md has {[c[0] for c in columns]}")
        return report.finish()
    want_kind = {"int": "i", "long": "i", "bool": "i", "float": "f", "double": "f", "char": "U", "text": "U"}
    for name, kind, unit in columns:
        col = t[name]
        if col.dtype.kind != want_kind[kind]:
            report.fail(f"{name} ({kind}) read as dtype {col.dtype}")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            expected = u.Unit(unit) if unit else None
        if (col.unit is None) != (expected is None) or (expected is not None and col.unit != expected):
            report.fail(f"{name}: unit {col.unit!r}, COLUMNS.md says '{unit}'")
    if report.problems:
        return report.finish()

    masks = {name: np.ma.getmaskarray(t[name]) for name, _, _ in columns}
    data = {name: np.ma.getdata(t[name]) for name, _, _ in columns}

    def value(name, i):
        if masks[name][i]:
            return None
        v = data[name][i]
        return v.item() if hasattr(v, "item") else v

    compare_values(report, columns, header, rows, value, len(t))
    units = sorted({str(t[c].unit) for c in t.colnames if t[c].unit is not None})
    return report.finish(f"; units {', '.join(units) or 'none'}")


# ---------------------------------------------------------------- pandas, CSV

def check_pandas(args, columns, header, rows):
    import pandas as pd

    report = Report("pandas", args.table)
    plain = pd.read_csv(args.csv)
    if list(plain.columns) != [c[0] for c in columns]:
        report.fail(f"columns {list(plain.columns)}, COLUMNS.md has {[c[0] for c in columns]}")
        return report.finish()
    numeric_flags, integral_reals = [], []
    for j, (name, kind, _) in enumerate(columns):
        dtype = plain[name].dtype
        empty = sum(1 for r in rows if r[j] == "")
        nan = int(plain[name].isna().sum())
        if nan != empty:
            report.fail(f"{name}: pandas reads {nan} NaN by default, the CSV has {empty} empty fields")
        if kind in INTEGER_KINDS and dtype != np.int64:
            report.fail(f"{name} ({kind}) read as {dtype} by default")
        elif kind in REAL_KINDS and dtype != np.float64:
            if dtype == np.int64 and empty == 0:
                integral_reals.append(name)      # every value a whole number: pandas cannot tell
            else:
                report.fail(f"{name} ({kind}) read as {dtype} by default")
        elif kind == "text" and dtype != object:
            report.fail(f"{name} ({kind}) read as {dtype} by default")
        elif kind == "char" and dtype != object:
            numeric_flags.append(f"{name} as {dtype}")   # a flag of digits only (rd_flg '2'): CSV has no types

    typed = pd.read_csv(args.csv, dtype={n: str for n, k, _ in columns if k in TEXT_KINDS}, float_precision="round_trip")
    cols = {name: typed[name].to_numpy() for name, _, _ in columns}
    compare_values(report, columns, header, rows, lambda name, i: null_if_nan(cols[name][i]), len(typed))

    # pandas' default float parser is not correctly rounded: it reads at most about 17 digits after the point
    # (0.0004888063102927382 as 0.0004888063102927); the round-trip one above is exact. How far the default
    # strays, failing beyond 1e-14 relative or 1e-16 absolute (a small ra_w by the RA seam).
    strayed, worst = 0, 0.0
    for name, kind, _ in columns:
        if kind not in REAL_KINDS or plain[name].dtype != np.float64:
            continue
        a, b = plain[name].to_numpy(), typed[name].to_numpy()
        off = ~(np.isnan(b) | (a == b))
        strayed += int(off.sum())
        if off.any():
            diff = np.abs(a[off] - b[off])
            worst = max(worst, float(diff.max()))
            for i in np.nonzero(off)[0][diff > np.maximum(1e-14 * np.abs(b[off]), 1e-16)][:SHOW]:
                report.fail(f"row {i + 1} column {name}: pandas' default parser reads {a[i]!r} for '{rows[i][header.index(name)]}'")
    return report.finish(f"; by default: char columns read as numbers {numeric_flags or 'none'}, float columns of whole numbers"
                         f" read as int64 {integral_reals or 'none'}, {strayed} values off in the last digits (by {worst:.1e} at most)")


# ---------------------------------------------------------------- STILTS, IPAC (through its VOTable output)

def check_stilts(args, columns, header, rows):
    import xml.etree.ElementTree as ET

    report = Report("stilts", args.table)
    root = ET.parse(args.votable).getroot()
    ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    fields = root.findall(f".//{ns}FIELD")
    names = [f.get("name") for f in fields]
    if names != [c[0] for c in columns]:
        report.fail(f"fields {names}, COLUMNS.md has {[c[0] for c in columns]}")
        return report.finish()
    want = {"int": ("int",), "long": ("long",), "bool": ("int",), "float": ("float",), "double": ("double",),
            "char": ("char", "unicodeChar"), "text": ("char", "unicodeChar")}
    for f, (name, kind, unit) in zip(fields, columns):
        if f.get("datatype") not in want[kind]:
            report.fail(f"{name} ({kind}): STILTS datatype {f.get('datatype')}")
        if (f.get("unit") or "") != unit:
            report.fail(f"{name}: STILTS unit '{f.get('unit')}', COLUMNS.md says '{unit}'")
    table = [[td.text or "" for td in tr.findall(f"{ns}TD")] for tr in root.iter(f"{ns}TR")]
    real = {name for name, kind, _ in columns if kind in REAL_KINDS}

    def value(name, i):
        text = table[i][names.index(name)]
        if text == "" or (name in real and text == "NaN"):
            return None
        return text if name not in real and dict((c[0], c[1]) for c in columns)[name] in TEXT_KINDS else float(text)

    compare_values(report, columns, header, rows, value, len(table))
    return report.finish()


# ---------------------------------------------------------------- Parquet

def check_parquet(args, columns, header, rows):
    sys.path.insert(0, HERE)
    import parquet_read

    report = Report("parquet", args.table)
    pq = parquet_read.ParquetFile(args.parquet)
    physical = {"int": "INT32", "long": "INT64", "bool": "BOOLEAN", "float": "FLOAT", "double": "DOUBLE",
                "char": "BYTE_ARRAY", "text": "BYTE_ARRAY"}
    if [c["name"] for c in pq.columns] != [c[0] for c in columns]:
        report.fail(f"columns {[c['name'] for c in pq.columns]}, COLUMNS.md has {[c[0] for c in columns]}")
        return report.finish()
    for c, (name, kind, _) in zip(pq.columns, columns):
        if c["physical"] != physical[kind]:
            report.fail(f"{name} ({kind}) stored as {c['physical']}")
        if c["optional"] != (kind in ("float", "double", "char")):
            report.fail(f"{name} ({kind}) is {'optional' if c['optional'] else 'required'}")
        if kind in TEXT_KINDS and c["converted"] != 0:      # ConvertedType UTF8
            report.fail(f"{name} ({kind}) is not marked UTF8 (converted type {c['converted']})")
    data = {name: pq.column(name) for name, _, _ in columns}
    compare_values(report, columns, header, rows, lambda name, i: data[name][i], pq.rows)
    check_vo_metadata(report, pq.metadata, columns)
    return report.finish("; VOParquet metadata read by astropy.io.votable")


def check_vo_metadata(report, metadata, columns):
    from astropy import units as u
    from astropy.io import votable

    if metadata.get("IVOA.VOTable-Parquet.version") != "1.0":
        report.fail(f"IVOA.VOTable-Parquet.version is {metadata.get('IVOA.VOTable-Parquet.version')!r}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        content = metadata["IVOA.VOTable-Parquet.content"]
        vot = votable.parse(io.BytesIO(content.encode("utf-8")), verify="warn")
        fields = vot.get_first_table().fields
    char_fields = {name for name, kind, _ in columns if kind == "char"}
    for w in caught:
        # W47 ("missing arraysize indicates length 1") on a one-character flag: the form VOTable 1.3 Erratum 3 asks
        # for (arraysize="1" is deprecated, and STILTS votlint warns on it); astropy 5.2 still remarks on it.
        where = str(w.message).split(":")
        if "W47" in str(w.message) and field_lines(content).get(int(where[1])) in char_fields:
            continue
        report.fail(f"astropy.io.votable warned on the VOParquet metadata: {w.message}")
    datatype = {"int": "int", "long": "long", "bool": "boolean", "float": "float", "double": "double", "char": "char", "text": "char"}
    if [f.name for f in fields] != [c[0] for c in columns]:
        report.fail(f"VOParquet fields {[f.name for f in fields]}")
        return
    for f, (name, kind, unit) in zip(fields, columns):
        if f.datatype != datatype[kind]:
            report.fail(f"VOParquet {name} ({kind}) datatype {f.datatype}")
        if (f.unit is None) != (unit == "") or (unit and f.unit != u.Unit(unit)):
            report.fail(f"VOParquet {name} unit {f.unit!r}, COLUMNS.md says '{unit}'")
    for f, (name, kind, _) in zip(fields, columns):
        if kind == "char" and f.arraysize not in (None, "1"):
            report.fail(f"VOParquet {name} (char) arraysize {f.arraysize}")
    described = [(c["name"], c["kind"], c["unit"]) for c in json.loads(metadata["wdb.columns"])]
    if described != columns:
        report.fail(f"wdb.columns {described} is not COLUMNS.md's")


def field_lines(xml):
    """{line number: FIELD name} of a VOTable's text (astropy's warnings say where, not which field)."""
    return {n: m.group(1) for n, line in enumerate(xml.split("\n"), 1) if (m := re.search(r'<FIELD name="([^"]*)"', line))}


# ---------------------------------------------------------------- main

CHECKS = {"astropy": check_astropy, "pandas": check_pandas, "stilts": check_stilts, "parquet": check_parquet}


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=sorted(CHECKS))
    p.add_argument("--table", required=True, choices=["groups", "members", "extractions", "cone"])
    p.add_argument("--csv", required=True, help="the CSV export of the table: the values every reader is compared with")
    p.add_argument("--ipac")
    p.add_argument("--votable")
    p.add_argument("--parquet")
    p.add_argument("--columns", default=COLUMNS_MD, help="COLUMNS.md")
    args = p.parse_args(argv)
    needs = {"astropy": "ipac", "stilts": "votable", "parquet": "parquet"}.get(args.mode)
    try:
        if needs and not getattr(args, needs):
            raise Usage(f"{args.mode} needs --{needs}")
        columns = documented_columns(args.table, args.columns)
        header, rows = read_csv(args.csv)
        return CHECKS[args.mode](args, columns, header, rows)
    except (Usage, OSError) as e:
        print(f"export_readers.py: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
