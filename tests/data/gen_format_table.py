#!/usr/bin/env python3
"""Generates format_table.tsv: PEP 3118 format strings and their reference itemsize.

Run from anywhere:  python3 tests/data/gen_format_table.py
Needs numpy (pip install numpy).  x86_64 Linux native sizes are assumed (the Rust test checks
the table on such machines).

Reference for a valid row: struct.calcsize(fmt) when the struct module accepts the string, else
numpy._core._internal._dtype_from_pep3118(fmt).itemsize.  NumPy pads the *top level* of a native
format to its alignment, struct (and gpuarray) do not; a NumPy row where that padding is not zero
is refused, so every row is unambiguous.

Invalid rows must be rejected by both struct and NumPy, unless the entry says why gpuarray's
grammar rejects a string that one of them accepts.
"""

import os
import struct
import sys

import numpy as np

try:
    from numpy._core._internal import _dtype_from_pep3118
except ImportError:  # numpy < 2
    from numpy.core._internal import _dtype_from_pep3118

VALID = [
    # every code, native mode
    "x", "c", "b", "B", "?", "h", "H", "i", "I", "l", "L", "q", "Q", "n", "N", "e", "f", "d",
    "s", "p", "P", "@i", "@l",
    # every code, standard modes
    "<x", "=c", ">b", "!B", "<?", "<h", "=H", ">i", "!I", "<l", "=L", ">q", "<Q", "<e", "=f",
    "!d", "<s", ">p", "=q", "!l",
    # complex (NumPy only)
    "Zf", "Zd", "<Zf", ">Zd", "=Zf", "cZf", "cZd", "<cZd", "hZf:z:",
    # native alignment
    "ci", "ic", "c0i", "0i", "bd", "hq", "bh", "cq", "?e", "cl", "bP", "cN", "hn", "c0s", "<ci",
    ">hq", "=bd", "ec", "cxi",
    # repeat counts, strings, padding
    "3f", "10s", "0s", "4x", "3p", "0p", "1p", "2h3b", "b3i", "4xi", "x3d", "255s", "<3q", "0x",
    # whitespace between items
    "< i", "i i", " i", "3i 2h", " c  d ", "@ c i",
    # nested structs, names, alignment inside structs
    "T{}", "T{i}", "T{ic}", "cT{ic}", "T{b:a:d:b:}", "2T{ih}", "T{<ic}", "<T{ic}", "T{T{}}",
    "cT{}", "T{i:x:T{c:y:}:inner:d:z:}", "T{cT{cd}}", "hT{bT{hi}}", "T{ci}:s:", "T{T{c}}",
    "0T{d}", "3T{}",
    # sub-arrays, also inside structs and with prefixes after the shape
    "(2,3)f", "(2,3)10s", "(2)3i", "c(2)i", "(2,3)<f", "T{(2,2)d:m:c:k:}", "(3)T{ic}",
    "(0)f", "(2, 3)f", "(2)i:a:", "(4)>h", "T{(3)c}", "(1,1,1)d", "i(2)<Zd",
    # byte order changes in mid-string; a prefix inside T{} stays in force after '}'
    "i<c", "<c@i", "c<i", ">h<h", "T{<i}c", "T{<i}cd", "<cT{@i}", "cT{i<b}", "<c@T{bi}",
    "T{>i}=h", "<T{@c}i",
]

# (format, why gpuarray rejects it although struct or NumPy accepts it, or None)
INVALID = [
    ("y", None),
    ("3i4y", None),
    ("u", None),
    ("t", None),
    ("&", None),
    ("g", "long double ('g') is not supported by gpuarray (NumPy accepts it)"),
    ("O", "Python objects ('O') are not supported (NumPy accepts it)"),
    ("w", "UCS-4 strings ('w') are not supported (NumPy accepts it)"),
    ("^i", "'^' (native order, no alignment) is not supported (NumPy accepts it)"),
    ("Zg", "long double complex is not supported (NumPy accepts it)"),
    ("Z", None),
    ("Zi", None),
    ("T{i", "unterminated 'T{' (NumPy silently closes it at the end)"),
    ("T{iT{c}", "unterminated 'T{' (NumPy silently closes it at the end)"),
    ("T{i<}", None),
    ("(2,3", None),
    ("(2,3f", None),
    ("3", None),
    ("3 i", None),
    ("2(3)f", None),
    ("i:abc", None),
    ("i::", "empty field names are rejected (NumPy accepts them)"),
    ("i:a:i:a:", None),
    ("<n", None),
    ("<P", None),
    (">N", None),
    ("=n", None),
    ("(2,)f", None),
    ("()f", None),
    ("(2)", None),
    ("}", "unmatched '}' (NumPy ignores a '}' at the top level)"),
    ("i}", "unmatched '}' (NumPy stops parsing at a top-level '}')"),
    (":a:", None),
    ("T", None),
    ("{i}", None),
    ("<>i", None),
    ("99999999999999999999i", None),
    ("(4611686018427387904)d", None),
]


def struct_size(fmt):
    try:
        return struct.calcsize(fmt)
    except struct.error:
        return None


def numpy_size(fmt):
    try:
        return _dtype_from_pep3118(fmt).itemsize
    except Exception:  # NumPy raises ValueError, NotImplementedError, RuntimeError, ...
        return None


def numpy_unpadded_end(fmt):
    """Where the last item of fmt ends in NumPy's layout, before top-level trailing padding.

    Appending '=B' puts a 1-byte item right at that end (a standard-mode item is not aligned) and
    leaves '=' in force at the end, which turns NumPy's final padding off."""
    return _dtype_from_pep3118(fmt + "=B").itemsize - 1


def self_test():
    # The padding check must catch the cases where NumPy and struct semantics differ.
    assert numpy_size("Zfc") == 12 and numpy_unpadded_end("Zfc") == 9
    assert numpy_size("T{i}c") == 8 and numpy_unpadded_end("T{i}c") == 5
    assert numpy_size("cT{ic}") == numpy_unpadded_end("cT{ic}") == 12


def main():
    self_test()
    rows = []
    for fmt in VALID:
        assert "\t" not in fmt and "\n" not in fmt, fmt
        size = struct_size(fmt)
        if size is not None:
            rows.append((fmt, str(size), "struct"))
            continue
        size = numpy_size(fmt)
        if size is None:
            raise SystemExit(f"valid row {fmt!r}: neither struct nor NumPy accepts it")
        end = numpy_unpadded_end(fmt)
        if end != size:
            raise SystemExit(
                f"valid row {fmt!r}: NumPy pads the top level ({end} -> {size}); "
                "struct semantics differ, choose another row"
            )
        rows.append((fmt, str(size), "numpy"))
    for fmt, why in INVALID:
        assert "\t" not in fmt and "\n" not in fmt, fmt
        accepted = [
            name
            for name, size in (("struct", struct_size(fmt)), ("numpy", numpy_size(fmt)))
            if size is not None
        ]
        if accepted and not why:
            raise SystemExit(f"invalid row {fmt!r}: {' and '.join(accepted)} accept(s) it")
        if not accepted and why:
            raise SystemExit(f"invalid row {fmt!r}: both reject it, drop the explanation")
        rows.append((fmt, "error", f"gpuarray ({why})" if why else "struct,numpy"))
    if len(set(r[0] for r in rows)) != len(rows):
        raise SystemExit("duplicate rows")

    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "format_table.tsv")
    with open(out, "w", newline="\n") as f:
        f.write("# Generated by gen_format_table.py; do not edit.\n")
        f.write(f"# numpy {np.__version__}, python {sys.version.split()[0]}\n")
        f.write("# format\titemsize or error\tsource\n")
        for row in rows:
            f.write("\t".join(row) + "\n")
    valid = sum(r[1] != "error" for r in rows)
    print(f"wrote {out}: {valid} valid, {len(rows) - valid} invalid rows")


if __name__ == "__main__":
    main()
