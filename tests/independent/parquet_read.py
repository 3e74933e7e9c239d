#!/usr/bin/python3
"""A small Apache Parquet reader written from the format's specification (parquet-format:
Thrift compact protocol footer, data pages v1 and v2, PLAIN and dictionary encodings, the
RLE/bit-packing hybrid, DELTA_BINARY_PACKED, Snappy), not from the library wdb writes with.

Debian 12 packages no Parquet reader (no pyarrow, fastparquet or duckdb; its STILTS build has no
Parquet input handler), so this is the independent reader of wdb's Parquet exports. It reads flat
schemas only (what `wdb export --format parquet` writes) and fails loudly on anything else.

    parquet_read.py FILE      prints the schema, the key-value metadata keys and the row count

Only Debian's python3 is needed.
"""
import struct
import sys

# parquet-format's enums (parquet.thrift).
PHYSICAL = {0: "BOOLEAN", 1: "INT32", 2: "INT64", 3: "INT96", 4: "FLOAT", 5: "DOUBLE", 6: "BYTE_ARRAY", 7: "FIXED_LEN_BYTE_ARRAY"}
REQUIRED, OPTIONAL = 0, 1
PLAIN, PLAIN_DICTIONARY, RLE, DELTA_BINARY_PACKED, RLE_DICTIONARY = 0, 2, 3, 5, 8
UNCOMPRESSED, SNAPPY = 0, 1
DATA_PAGE, DICTIONARY_PAGE, DATA_PAGE_V2 = 0, 2, 3


class ParquetError(Exception):
    pass


# ---------------------------------------------------------------- Thrift compact protocol

class Compact:
    """Decodes Thrift compact-protocol structs into {field id: value} dicts."""

    def __init__(self, data, pos=0):
        self.data = data
        self.pos = pos

    def byte(self):
        b = self.data[self.pos]
        self.pos += 1
        return b

    def varint(self):
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7

    def zigzag(self):
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, kind):
        if kind in (1, 2):            # a boolean field carries its value in the type
            return kind == 1
        if kind == 3:
            return struct.unpack_from("<b", self.data, self.advance(1))[0]
        if kind in (4, 5, 6):
            return self.zigzag()
        if kind == 7:
            return struct.unpack_from("<d", self.data, self.advance(8))[0]
        if kind == 8:
            n = self.varint()
            return bytes(self.data[self.advance(n):self.pos])
        if kind in (9, 10):
            head = self.byte()
            size, elem = head >> 4, head & 0x0F
            if size == 15:
                size = self.varint()
            if elem in (1, 2):        # booleans in a list are one byte each
                return [self.byte() == 1 for _ in range(size)]
            return [self.value(elem) for _ in range(size)]
        if kind == 11:
            size = self.varint()
            if size == 0:
                return {}
            kinds = self.byte()
            return {self.value(kinds >> 4): self.value(kinds & 0x0F) for _ in range(size)}
        if kind == 12:
            return self.struct()
        raise ParquetError(f"unknown Thrift compact type {kind} at byte {self.pos}")

    def advance(self, n):
        start = self.pos
        self.pos += n
        if self.pos > len(self.data):
            raise ParquetError("Thrift struct runs past its buffer")
        return start

    def struct(self):
        fields = {}
        last = 0
        while True:
            head = self.byte()
            if head == 0:
                return fields
            delta, kind = head >> 4, head & 0x0F
            fid = last + delta if delta else self.zigzag()
            fields[fid] = self.value(kind)
            last = fid


# ---------------------------------------------------------------- Snappy

def snappy_decompress(src):
    """The Snappy raw format (google/snappy format_description.txt)."""
    c = Compact(src)
    length = c.varint()
    out = bytearray()
    pos = c.pos
    while pos < len(src):
        tag = src[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:
            n = tag >> 2
            if n >= 60:
                extra = n - 59
                n = int.from_bytes(src[pos:pos + extra], "little")
                pos += extra
            n += 1
            out += src[pos:pos + n]
            pos += n
            continue
        if kind == 1:
            n = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | src[pos]
            pos += 1
        elif kind == 2:
            n = (tag >> 2) + 1
            offset = int.from_bytes(src[pos:pos + 2], "little")
            pos += 2
        else:
            n = (tag >> 2) + 1
            offset = int.from_bytes(src[pos:pos + 4], "little")
            pos += 4
        if offset == 0 or offset > len(out):
            raise ParquetError("Snappy copy before the start of the output")
        for _ in range(n):            # copies may overlap their own output
            out.append(out[-offset])
    if len(out) != length:
        raise ParquetError(f"Snappy block decoded to {len(out)} bytes, its header says {length}")
    return bytes(out)


# ---------------------------------------------------------------- encodings

def rle_hybrid(data, bit_width, count):
    """The RLE/bit-packing hybrid (levels and dictionary indices): count values."""
    c = Compact(data)
    out = []
    width_bytes = (bit_width + 7) // 8
    mask = (1 << bit_width) - 1
    while len(out) < count:
        header = c.varint()
        if header & 1:
            groups = header >> 1
            nbytes = groups * bit_width
            bits = int.from_bytes(data[c.advance(nbytes):c.pos], "little")
            for i in range(groups * 8):
                out.append((bits >> (i * bit_width)) & mask)
        else:
            run = header >> 1
            value = int.from_bytes(data[c.advance(width_bytes):c.pos], "little")
            out.extend([value] * run)
    return out[:count], c.pos


def delta_binary_packed(data, signed_bits):
    """DELTA_BINARY_PACKED: the values and the bytes used."""
    c = Compact(data)
    block_size, miniblocks, total = c.varint(), c.varint(), c.varint()
    first = c.zigzag()
    out = [first] if total else []
    per_mini = block_size // miniblocks
    while len(out) < total:
        min_delta = c.zigzag()
        widths = [c.byte() for _ in range(miniblocks)]
        for w in widths:
            if len(out) >= total:
                break
            nbytes = per_mini * w // 8
            bits = int.from_bytes(data[c.advance(nbytes):c.pos], "little")
            for i in range(per_mini):
                if len(out) >= total:
                    break
                delta = (bits >> (i * w)) & ((1 << w) - 1) if w else 0
                out.append(wrap(out[-1] + min_delta + delta, signed_bits))
    return out, c.pos


def wrap(v, bits):
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def plain(data, physical, count):
    if physical == "BOOLEAN":
        bits = int.from_bytes(data[:(count + 7) // 8], "little")
        return [bool((bits >> i) & 1) for i in range(count)]
    fmt = {"INT32": "<i", "INT64": "<q", "FLOAT": "<f", "DOUBLE": "<d"}.get(physical)
    if fmt:
        size = struct.calcsize(fmt)
        return [v[0] for v in struct.iter_unpack(fmt, data[:size * count])]
    if physical == "BYTE_ARRAY":
        out, pos = [], 0
        for _ in range(count):
            n = struct.unpack_from("<I", data, pos)[0]
            out.append(bytes(data[pos + 4:pos + 4 + n]))
            pos += 4 + n
        return out
    raise ParquetError(f"PLAIN {physical} is not read here")


def values(data, encoding, physical, count, dictionary):
    if count == 0:
        return []
    if encoding == PLAIN:
        return plain(data, physical, count)
    if encoding in (PLAIN_DICTIONARY, RLE_DICTIONARY):
        if dictionary is None:
            raise ParquetError("a dictionary-encoded page without a dictionary page")
        indices, _ = rle_hybrid(data[1:], data[0], count)
        return [dictionary[i] for i in indices]
    if encoding == DELTA_BINARY_PACKED and physical in ("INT32", "INT64"):
        return delta_binary_packed(data, 32 if physical == "INT32" else 64)[0]
    if encoding == RLE and physical == "BOOLEAN":
        n = struct.unpack_from("<I", data, 0)[0]
        return [bool(v) for v in rle_hybrid(data[4:4 + n], 1, count)[0]]
    raise ParquetError(f"encoding {encoding} of {physical} is not read here")


# ---------------------------------------------------------------- the file

def decompress(data, codec, size):
    if codec == UNCOMPRESSED:
        return data
    if codec == SNAPPY:
        return snappy_decompress(data)
    raise ParquetError(f"compression codec {codec} is not read here")


def read_column_chunk(buf, meta, column):
    """The chunk's values, None where the definition level says null."""
    physical, optional = column["physical"], column["optional"]
    codec = meta[4]
    remaining = meta[5]
    pos = meta.get(11) or meta[9]
    if 11 in meta and meta[11] > 0:
        pos = min(meta[11], meta[9])
    dictionary = None
    out = []
    while remaining > 0:
        c = Compact(buf, pos)
        header = c.struct()
        body = buf[c.pos:c.pos + header[3]]
        pos = c.pos + header[3]
        kind = header[1]
        if kind == DICTIONARY_PAGE:
            d = header[7]
            dictionary = plain(decompress(body, codec, header[2]), physical, d[1])
            continue
        if kind == DATA_PAGE:
            h = header[5]
            n = h[1]
            page = decompress(body, codec, header[2])
            start = 0
            if optional:
                length = struct.unpack_from("<I", page, 0)[0]
                levels, _ = rle_hybrid(page[4:4 + length], 1, n)
                start = 4 + length
            else:
                levels = [1] * n
            data = page[start:]
            encoding = h[2]
        elif kind == DATA_PAGE_V2:
            h = header[8]
            n, def_len, rep_len = h[1], h[5], h[6]
            if rep_len:
                raise ParquetError("repetition levels: a nested column")
            levels = rle_hybrid(body[:def_len], 1, n)[0] if optional else [1] * n
            rest = body[def_len:]
            data = decompress(rest, codec, header[2] - def_len) if h.get(7, True) else rest
            encoding = h[4]
        else:
            raise ParquetError(f"page type {kind} is not read here")
        present = values(data, encoding, physical, sum(levels), dictionary)
        it = iter(present)
        out.extend(next(it) if lv else None for lv in levels)
        remaining -= n
    return out


class ParquetFile:
    def __init__(self, path):
        with open(path, "rb") as f:
            buf = f.read()
        if buf[:4] != b"PAR1" or buf[-4:] != b"PAR1":
            raise ParquetError(f"{path}: not a Parquet file (no PAR1 at both ends)")
        footer_len = struct.unpack_from("<I", buf, len(buf) - 8)[0]
        meta = Compact(buf, len(buf) - 8 - footer_len).struct()
        self.rows = meta[3]
        self.metadata = {kv[1].decode("utf-8"): kv.get(2, b"").decode("utf-8") for kv in meta.get(5, [])}
        schema = meta[2]
        if schema[0].get(5, 0) != len(schema) - 1 or any(5 in s for s in schema[1:]):
            raise ParquetError(f"{path}: not a flat schema")
        self.columns = [{"name": s[4].decode("utf-8"), "physical": PHYSICAL[s[1]], "optional": s.get(3, REQUIRED) == OPTIONAL,
                         "converted": s.get(6)} for s in schema[1:]]
        self._buf = buf
        self._row_groups = meta.get(4, [])

    def column(self, name):
        """Every value of the column, row group after row group; None for null, str for UTF-8 strings."""
        i = next(i for i, c in enumerate(self.columns) if c["name"] == name)
        col = self.columns[i]
        out = []
        for rg in self._row_groups:
            chunk = rg[1][i][3]
            if [p.decode("utf-8") for p in chunk[3]] != [name]:
                raise ParquetError(f"row group column {i} is {chunk[3]}, not {name}")
            out.extend(read_column_chunk(self._buf, chunk, col))
        if col["physical"] == "BYTE_ARRAY":
            out = [v.decode("utf-8") if v is not None else None for v in out]
        if len(out) != self.rows:
            raise ParquetError(f"{name}: {len(out)} values for {self.rows} rows")
        return out


def main():
    f = ParquetFile(sys.argv[1])
    print(f"{f.rows} rows; metadata keys {sorted(f.metadata)}")
    for c in f.columns:
        v = f.column(c["name"])
        print(c["name"], c["physical"], "optional" if c["optional"] else "required", v[:3])


if __name__ == "__main__":
    main()
