#!/usr/bin/env python3
"""Derive rules/releases/tensorflow-other-pythons.tsv from the package index's JSON API.

For every CPython minor other than the ones TensorFlow 1.14.0 ships wheels for (2.7, 3.5,
3.6, 3.7) that any `tensorflow` or `tensorflow-gpu` wheel targets (cp33, cp34, cp38 ...),
list every version of each distribution with a CPython wheel for that minor, on any
platform and architecture. Yanked releases and pre-releases count (pip installs a yanked
release for an exact pin, and a pre-release when asked or when nothing else is left): the
list is meant to be generous, since depwindow's DW104 claims "no admitted release has a
wheel for this Python" only when none of these versions is admitted. A wheel's
Requires-Python is not consulted, for the same reason (none of them excludes its own tag
today; the script says so if one does).

Usage:
    python3 tools/tf_other_pythons.py [tensorflow.json tensorflow-gpu.json] > \
        rules/releases/tensorflow-other-pythons.tsv

Without arguments it fetches https://pypi.org/pypi/<name>/json. Not run by CI: the output is
committed, with its date, in rules/README.md. Needs `packaging` for version order.
"""

import json
import re
import sys
import urllib.request

from packaging.specifiers import SpecifierSet
from packaging.version import Version

DISTRIBUTIONS = ["tensorflow", "tensorflow-gpu"]
# The Pythons of rules/releases/tensorflow-by-python.tsv and tensorflow-by-platform.tsv.
TRIGGER_PYTHONS = {(2, 7), (3, 5), (3, 6), (3, 7)}
CPYTHON_TAG = re.compile(r"^cp(\d)(\d+)$")


def load(name, path):
    if path is None:
        with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json") as r:
            return json.load(r)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def wheel_pythons(filename):
    """The CPython (major, minor) pairs a wheel file name's Python tag names."""
    # name-version(-build)?-python-abi-platform.whl; compressed tag sets use '.'.
    parts = filename[: -len(".whl")].split("-")
    out = set()
    for tag in parts[-3].split("."):
        m = CPYTHON_TAG.match(tag)
        if m:
            out.add((int(m.group(1)), int(m.group(2))))
        elif tag.startswith("py") or tag.startswith("cp"):
            # A generic tag (py3, abi3-style cp3) would make the table wrong: stop.
            raise SystemExit(f"unexpected Python tag `{tag}` in {filename}")
    return out


def main(argv):
    paths = argv[1:] if len(argv) > 1 else [None] * len(DISTRIBUTIONS)
    if len(paths) != len(DISTRIBUTIONS):
        raise SystemExit("give one JSON file per distribution, or none to fetch them")
    table = {}  # (python, dist) -> set of version strings
    for dist, path in zip(DISTRIBUTIONS, paths):
        data = load(dist, path)
        for version, files in data["releases"].items():
            for f in files:
                if f["packagetype"] != "bdist_wheel":
                    continue
                for py in wheel_pythons(f["filename"]):
                    if py in TRIGGER_PYTHONS:
                        continue
                    rp = f.get("requires_python")
                    if rp and Version(f"{py[0]}.{py[1]}") not in SpecifierSet(rp):
                        print(f"note: {f['filename']} requires Python {rp}; kept",
                              file=sys.stderr)
                    table.setdefault(py, {}).setdefault(dist, set()).add(version)
    print("python\tdistribution\tversions_with_wheels")
    for py in sorted(table):
        for dist in DISTRIBUTIONS:
            versions = sorted(table[py].get(dist, ()), key=Version, reverse=True)
            print(f"{py[0]}.{py[1]}\t{dist}\t{','.join(versions)}")


if __name__ == "__main__":
    main(sys.argv)
