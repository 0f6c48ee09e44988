#!/usr/bin/env python3
"""Rebuild the seed corpus under fuzz/corpus/<target>/ from the fixtures (small files only)
plus a few hand-written edge cases. Run from the repository root."""
import hashlib, os, pathlib, re

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "corpus"
MAX = 16 * 1024
# Format order of depwindow::formats::Format::ALL (the pipeline target's first byte).
ALL = ["requirements", "pyproject", "pipfile", "pipfile_lock", "setup_cfg", "setup_py",
       "conda", "poetry_lock", "uv_lock", "pdm_lock", "pylock"]

def target_of(name):
    n = name.lower()
    if n == "pyproject.toml": return "pyproject"
    if n == "pipfile": return "pipfile"
    if n == "pipfile.lock": return "pipfile_lock"
    if n == "setup.cfg": return "setup_cfg"
    if n == "setup.py": return "setup_py"
    if n in ("environment.yml", "environment.yaml"): return "conda"
    if n == "poetry.lock": return "poetry_lock"
    if n == "uv.lock": return "uv_lock"
    if n == "pdm.lock": return "pdm_lock"
    if n.startswith("pylock") and n.endswith(".toml"): return "pylock"
    if n.endswith((".txt", ".in")): return "requirements"
    return None

def put(target, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)

EXTRA = {
    "requirements": [b"tensorflow==1.14.0\nnumpy>=1.16\n", b"-r other.txt\n-c c.txt\n--pre\n",
                     b"numpy ; (python_version < '3.8' and extra == 'a') or sys_platform == 'win32'\n",
                     b"a. >=1\nb[c-]\nnumpy===1.16.4\nnumpy @ https://x/y.whl\n-e .\n",
                     b"numpy>=1.16 \\\n  ,<1.17 --hash=sha256:00\n\xef\xbb\xbfnumpy\n"],
    "poetry_constraint": [b"^1.2.3", b"~1.2", b">=1.16,<1.17 || ^2", b"1.14.*", b"*", b"^0.0.3",
                          b">=1 <2 | 3.0.0", b"!=1.17", b"~=1.16", b"==1.16.4"],
}

def main():
    for p in sorted((ROOT / "fixtures").rglob("*")):
        if not p.is_file() or p.name.startswith("expected") or p.name == "cmd":
            continue
        t = target_of(p.name)
        data = p.read_bytes()
        if t is None or len(data) > MAX:
            continue
        put(t, data)
        put("pipeline", bytes([ALL.index(t)]) + data)
        if t in ("pyproject",) or p.parent.parent.name == "poetry":
            for m in re.finditer(rb'=\s*"([~^<>=!*0-9][^"\n]{0,40})"', data):
                put("poetry_constraint", m.group(1))
    for t, items in EXTRA.items():
        for data in items:
            put(t, data)
            if t in ALL:
                put("pipeline", bytes([ALL.index(t)]) + data)

main()
