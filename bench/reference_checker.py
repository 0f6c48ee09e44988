#!/usr/bin/env python3
"""A straightforward Python checker, the baseline depwindow is compared against: walk the
tree, parse requirements.txt with `packaging` and pyproject.toml with `tomllib`, and for
every file that admits TensorFlow 1.14.0 test its NumPy range against every released NumPy
(from rules/releases/numpy.tsv): report the file when it admits a release outside
>=1.14.5,<1.17 (or leaves NumPy unconstrained). Prints the findings as JSON."""
import json, os, sys, tomllib
from packaging.requirements import Requirement, InvalidRequirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

root = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
releases = []
with open(os.path.join(here, "..", "rules", "releases", "numpy.tsv")) as f:
    for line in f.read().splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) == 4 and cols[3] == "final":
            try:
                releases.append(Version(cols[0]))
            except Exception:
                pass
window = SpecifierSet(">=1.14.5,<1.17")
TF = Version("1.14.0")

def judge(path, reqs):
    tf = [r for r in reqs if r.name.lower() in ("tensorflow", "tensorflow-gpu")]
    if not tf or not all(r.specifier.contains(TF) for r in tf):
        return None
    spec = SpecifierSet()
    for r in reqs:
        if r.name.lower() == "numpy":
            spec &= r.specifier
    outside = [str(v) for v in releases if spec.contains(v) and not window.contains(v)]
    if outside:
        return {"path": path, "outside": outside}
    return None

def requirements(path):
    reqs = []
    with open(path, encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        line = line.split(" --")[0].strip()
        try:
            reqs.append(Requirement(line))
        except InvalidRequirement:
            pass
    return reqs

def pyproject(path):
    with open(path, "rb") as f:
        data = tomllib.load(f)
    reqs = []
    for s in data.get("project", {}).get("dependencies", []):
        try:
            reqs.append(Requirement(s))
        except InvalidRequirement:
            pass
    return reqs

findings = []
for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    for name in sorted(filenames):
        path = os.path.join(dirpath, name)
        if name == "requirements.txt":
            r = judge(path, requirements(path))
        elif name == "pyproject.toml":
            r = judge(path, pyproject(path))
        else:
            continue
        if r:
            findings.append(r)
json.dump({"findings": findings}, sys.stdout)
print(file=sys.stderr, end=f"{len(findings)} findings\n")
