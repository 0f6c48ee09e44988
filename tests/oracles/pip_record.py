#!/usr/bin/env python3
"""Record what real pip picks for generated requirements files (issue 11 §6).

This is the only part of the test suite that uses the network. It writes
`tests/oracles/recorded/pip-picks.json`; the offline checks
(`tests/oracles/check_recording.py`, and the Rust side later) read only that file.
See `tests/oracles/README.md` for how to re-record and for the oracle's limits.

Run it with Python >= 3.11 that has `packaging` (the host runs pip 26 for the
emulated Python and evaluates markers with `packaging`):

    python3 tests/oracles/pip_record.py            # bootstraps the pips, records, writes
    python3 tests/oracles/pip_record.py --dry-list # prints the generated files, no network
    python3 tests/oracles/pip_record.py --tensorflow-wheels  # recorded/tensorflow-wheels.json
    python3 tests/oracles/pip_record.py --legacy-27  # recorded/pip-27-legacy.json

Two kinds of question are asked:

* "pick": for each file, Python and covered package named in the file (all six
  when the file pins TensorFlow 1.14.0), pip is asked for that one package with
  `--no-deps`, the file's specifiers for it intersected (one requirement,
  comma-joined, because pip 20.3's legacy resolver refuses "Double requirement
  given"), plus TF 1.14.0's declared range for it when the file pins TF 1.14.0.
  Markers are evaluated here with `packaging` against `rules/environments.tsv`
  (linux row), not by pip (pip evaluates markers against the host, pypa/pip#11664).
  Real interpreters answer for 2.7 (pip 20.3.4: `pip download --no-deps`, it has no
  `--dry-run`), 3.6 (pip 21.3.1: the same) and 3.7 (pip 24.0:
  `install --dry-run --ignore-installed --no-deps --report`). 3.5 is emulated with
  pip 26 on the host: `--python-version 3.5 --no-deps` and the same `--report`.
* "resolve": a full resolve by pip 24.0 on the real 3.7, `install --dry-run
  --ignore-installed --report -r FILE`, for the files that either do not name
  TensorFlow or pin it to 1.14.0 (its 109 MB wheel has no PEP 658 metadata, so pip
  downloads it once into its cache; bare or ranged TensorFlow would download other
  multi-hundred-MB wheels, so those files get picks only).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests/oracles/recorded/pip-picks.json"
PYENV = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"
COVERED = ["numpy", "protobuf", "gast", "h5py", "wrapt", "astor"]

# The pips: the newest each real interpreter runs (2.7: 20.3.4, 3.6: 21.3.1, 3.7: 24.0),
# and the pip the project's packaging oracle matches for the emulated 3.5.
PIPS = {"2.7": "20.3.4", "3.6": "21.3.1", "3.7": "24.0", "3.5": "26.3"}
PACKAGING_FOR_ENV_CHECK = {"2.7": "20.9", "3.6": "21.3", "3.7": "24.0"}

TF_PIN = "tensorflow==1.14.0"

# name -> lines of requirements.txt. `tf` says how the file names TensorFlow:
# "pinned" (only 1.14.0 is admitted), "range", "bare" or None.
CASES: list[tuple[str, str | None, list[str]]] = [
    ("numpy-bare", None, ["numpy"]),
    ("numpy-window", None, ["numpy>=1.14.5,<1.17"]),
    ("numpy-lt-1.17", None, ["numpy<1.17"]),
    ("numpy-ge-1.16", None, ["numpy>=1.16"]),
    ("numpy-1.17-1.19", None, ["numpy>=1.17,<1.19"]),
    ("numpy-compatible-1.16", None, ["numpy~=1.16.0"]),
    ("numpy-pin-1.13.3", None, ["numpy==1.13.3"]),
    ("numpy-two-lines", None, ["numpy>=1.14.5", "numpy<1.19"]),
    ("numpy-python-marker", None, ['numpy<1.17; python_version < "3.7"', 'numpy>=1.20; python_version >= "3.7"']),
    ("protobuf-bare", None, ["protobuf"]),
    ("protobuf-ge-4", None, ["protobuf>=4"]),
    ("protobuf-pin-4.21.0-yanked", None, ["protobuf==4.21.0"]),
    ("protobuf-pin-3.18.0-yanked", None, ["protobuf==3.18.0"]),
    ("protobuf-pin-3.20.3", None, ["protobuf==3.20.3"]),
    ("protobuf-window", None, ["protobuf>=3.6.1,<4"]),
    ("protobuf-prerelease-named", None, ["protobuf>=4.21.0rc1,<=4.21.0rc2"]),
    # `<4.21.0` never admits 4.21.0's own pre-releases (PEP 440): nothing matches.
    ("protobuf-lt-final-of-prerelease", None, ["protobuf>=4.21.0rc1,<4.21.0"]),
    # On <3.7 the finals 3.20.x fail Requires-Python and 4.0.0rc1/rc2 are yanked.
    ("protobuf-between-3.19-and-4.21", None, ["protobuf>3.19.6,<4.21.0"]),
    ("gast-bare", None, ["gast"]),
    ("gast-window", None, ["gast>=0.2.0,<0.3"]),
    ("gast-ge-0.3", None, ["gast>=0.3"]),
    ("h5py-bare", None, ["h5py"]),
    ("h5py-lt-3", None, ["h5py<3"]),
    # No final matches, so pip falls back to the pre-release 2.9.0rc1.
    ("h5py-prerelease-fallback", None, ["h5py>2.8.0,!=2.9.0,<2.10"]),
    ("wrapt-bare", None, ["wrapt"]),
    ("wrapt-window", None, ["wrapt>=1.11.1,<1.15"]),
    ("wrapt-pin-1.13.0-yanked", None, ["wrapt==1.13.0"]),
    # Fallback to 1.16.0rc2 where its Requires-Python (>=3.6) admits the Python; none elsewhere.
    ("wrapt-prerelease-fallback", None, ["wrapt>1.15.0,!=1.16.0,<1.17"]),
    ("astor-bare", None, ["astor"]),
    ("astor-ge-0.7", None, ["astor>=0.7.0"]),
    ("tf-only", "pinned", [TF_PIN]),
    ("tf-numpy-window", "pinned", [TF_PIN, "numpy>=1.14.5,<1.17"]),
    ("tf-numpy-pin-1.13.3", "pinned", [TF_PIN, "numpy==1.13.3"]),
    ("tf-numpy-1.17-1.19", "pinned", [TF_PIN, "numpy>=1.17,<1.19"]),
    ("tf-protobuf-ge-4", "pinned", [TF_PIN, "protobuf>=4"]),
    ("tf-protobuf-pin-3.20.3", "pinned", [TF_PIN, "protobuf==3.20.3"]),
    ("tf-gast-ge-0.3", "pinned", [TF_PIN, "gast>=0.3"]),
    ("tf-all-windows", "pinned", [TF_PIN, "numpy>=1.14.5,<1.17", "protobuf>=3.6.1,<4",
                                  "gast>=0.2.0,<0.3", "h5py<3", "wrapt>=1.11.1,<1.15", "astor>=0.7.0"]),
    ("tf-numpy-python-marker", "pinned", [TF_PIN, 'numpy>=1.14.5,<1.17; python_version < "3.7"']),
    ("tf-range-numpy", "range", ["tensorflow>=1.13,<2", "numpy>=1.16"]),
    ("tf-bare-numpy-pin-1.13.3", "bare", ["tensorflow", "numpy==1.13.3"]),
]


def load_environments() -> dict[tuple[str, str], dict[str, str]]:
    rows = (ROOT / "rules/environments.tsv").read_text().splitlines()
    head = rows[0].split("\t")
    out = {}
    for row in rows[1:]:
        rec = dict(zip(head, row.split("\t")))
        out[(rec["python"], rec["platform"])] = rec
    return out


def marker_env(row: dict[str, str]) -> dict[str, str]:
    keys = ["python_version", "python_full_version", "os_name", "sys_platform", "platform_system",
            "platform_machine", "platform_python_implementation", "implementation_name",
            "implementation_version"]
    env = {k: row[k] for k in keys}
    # Not fixed by the environment; no generated file uses them.
    env["platform_release"] = ""
    env["platform_version"] = ""
    return env


def declared_by_tf() -> dict[str, str]:
    out = {}
    for path in sorted((ROOT / "rules").glob("tensorflow-1.14-*.toml")):
        for pkg in tomllib.loads(path.read_text())["package"]:
            out[pkg["name"]] = pkg.get("declared", "")
    return out


# ---------------------------------------------------------------------------- pips


class Pip:
    """One pip on one interpreter: `argv` runs `python -m pip`."""

    def __init__(self, python: str, argv: list[str], env: dict[str, str], emulate: str | None,
                 has_report: bool):
        self.python = python
        self.argv = argv
        self.env = env
        self.emulate = emulate
        self.has_report = has_report

    def run(self, args: list[str], timeout: int = 600) -> subprocess.CompletedProcess:
        return subprocess.run(self.argv + args, env=self.env, capture_output=True, text=True,
                              timeout=timeout)

    def version(self) -> str:
        return self.run(["--version"]).stdout.split()[1]


CACHE_DIR = ""  # set by main(): one pip cache under --work, shared by every pip


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PIP_") or k in ("PIP_CERT", "PIP_DEFAULT_TIMEOUT")}
    if CACHE_DIR:
        env["PIP_CACHE_DIR"] = CACHE_DIR
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_PYTHON_VERSION_WARNING"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env["PIP_CONFIG_FILE"] = os.devnull  # no find-links, no index from the machine's config
    env.update(extra or {})
    return env


def bootstrap(work: Path, host_python: str) -> dict[str, Pip]:
    """Install the pinned pips (and packaging, for marker_env.py) into private dirs under
    `work`; the pyenv interpreters themselves are not modified."""
    work.mkdir(parents=True, exist_ok=True)
    pips: dict[str, Pip] = {}
    py27 = str(PYENV / "2.7.18/bin/python")
    target = work / "py27-pip"
    if not (target / "pip").is_dir():
        subprocess.run([py27, "-m", "pip", "install", "-q", "--target", str(target),
                        f"pip=={PIPS['2.7']}", f"packaging=={PACKAGING_FOR_ENV_CHECK['2.7']}"],
                       env=clean_env(), check=True)
    pips["2.7"] = Pip("2.7", [py27, "-m", "pip"], clean_env({"PYTHONPATH": str(target)}), None,
                      False)
    for python, interp in (("3.6", "3.6.15"), ("3.7", "3.7.16")):
        venv = work / f"venv-{python}"
        if not venv.is_dir():
            subprocess.run([str(PYENV / interp / "bin/python"), "-m", "venv", str(venv)], check=True)
            subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "-q",
                            f"pip=={PIPS[python]}",
                            f"packaging=={PACKAGING_FOR_ENV_CHECK[python]}"],
                           env=clean_env(), check=True)
        pips[python] = Pip(python, [str(venv / "bin/python"), "-m", "pip"], clean_env(), None,
                           python == "3.7")
    venv = work / "venv-host"
    if not venv.is_dir():
        subprocess.run([host_python, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "-q",
                        f"pip=={PIPS['3.5']}"], env=clean_env(), check=True)
    pips["3.5"] = Pip("3.5", [str(venv / "bin/python"), "-m", "pip"], clean_env(), "3.5", True)
    for python, pip in pips.items():
        got = pip.version()
        if got != PIPS[python]:
            sys.exit(f"pip for {python} is {got}, wanted {PIPS[python]}")
    return pips


# ------------------------------------------------------------------------ outcomes

WHEEL_OR_SDIST = re.compile(r"^(?P<name>.+?)-(?P<version>[^-]+?)(?:-.*\.whl|\.tar\.gz|\.zip|\.tar\.bz2)$")


DOWNLOADED = re.compile(r"(?:Downloading|Using cached|File was already downloaded) (\S+)")


def classify(stderr: str, stdout: str) -> dict:
    """The error class pip reported, plus what it said about yanked releases."""
    text = stderr + "\n" + stdout
    out: dict = {}
    m = re.search(r"Ignored the following yanked versions: ([^\n]*)", text)
    if m:
        out["yanked_ignored"] = [v.strip() for v in m.group(1).split(",")]
    if "The candidate selected for download or install is a yanked version" in text:
        out["yanked_picked"] = True
        m = re.search(r"Reason for being yanked: ([^\n]*)", text)
        if m:
            out["yanked_reason"] = m.group(1).strip()
    chosen = [m.group("version") for m in
              (WHEEL_OR_SDIST.match(f.rsplit("/", 1)[-1]) for f in DOWNLOADED.findall(text)) if m]
    if chosen:
        # The file pip fetched to read its metadata: its choice, even when it then fails.
        out["chosen"] = normalized(chosen[-1])
    if re.search(r"require[s]? a different Python", text):
        out["error"] = "requires-python"
    elif "ResolutionImpossible" in text or "conflicting dependencies" in text:
        out["error"] = "conflict"
    elif "No matching distribution found" in text:
        out["error"] = "no-matching-distribution"
    elif "Double requirement given" in text:
        out["error"] = "double-requirement"
    elif "metadata-generation-failed" in text or "Command errored out" in text:
        out["error"] = "build-failed"
    return out


def messages(stderr: str) -> list[str]:
    """pip's ERROR/WARNING lines, each cut to 300 characters (the lists of versions are long)."""
    keep = []
    for line in stderr.splitlines():
        line = line.strip()
        if line.startswith(("ERROR", "WARNING", "Reason for being yanked")):
            if "DEPRECATION" in line or "pip version" in line:
                continue
            keep.append(line if len(line) <= 300 else line[:297] + "...")
    return keep


def normalized(version: str | None) -> str | None:
    """PEP 440 normal form: wheel names escape (`4.21.0_rc_2`) and METADATA may spell a
    version as uploaded (`4.21.0-rc-2`); both are 4.21.0rc2."""
    return None if version is None else str(Version(version))


def ask_pick(pip: Pip, requirement: str) -> dict:
    """pip's pick for one requirement, dependencies not followed."""
    with tempfile.TemporaryDirectory() as tmp:
        if pip.has_report:
            report = Path(tmp) / "report.json"
            args = ["install", "--dry-run", "--ignore-installed", "--no-deps", "--report",
                    str(report)]
            if pip.emulate:
                args += ["--python-version", pip.emulate]
            proc = pip.run(args + [requirement])
            rec = classify(proc.stderr, proc.stdout)
            if proc.returncode == 0 and report.is_file():
                items = json.loads(report.read_text())["install"]
                if len(items) == 1:
                    rec["version"] = items[0]["metadata"]["version"]
                    if items[0].get("is_yanked"):
                        rec["yanked_picked"] = True
        else:
            proc = pip.run(["download", "--no-deps", "-d", tmp, requirement])
            rec = classify(proc.stderr, proc.stdout)
            files = [p.name for p in Path(tmp).iterdir()]
            if proc.returncode == 0 and len(files) == 1:
                m = WHEEL_OR_SDIST.match(files[0])
                if m:
                    rec["version"] = m.group("version")
                    rec["downloaded"] = files[0]
    if "version" not in rec and "error" not in rec:
        rec["error"] = "other"
    rec["version"] = normalized(rec.get("version"))
    rec["exit"] = proc.returncode
    msgs = messages(proc.stderr)
    if msgs:
        rec["messages"] = msgs
    return rec


def ask_resolve(pip: Pip, lines: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp) / "requirements.txt"
        req.write_text("\n".join(lines) + "\n")
        report = Path(tmp) / "report.json"
        proc = pip.run(["install", "--dry-run", "--ignore-installed", "--report", str(report),
                        "-r", str(req)], timeout=1200)
        rec = classify(proc.stderr, proc.stdout)
        if proc.returncode == 0 and report.is_file():
            installed = {}
            for item in json.loads(report.read_text())["install"]:
                name = canonicalize_name(item["metadata"]["name"])
                if name in COVERED or name in ("tensorflow", "tensorflow-gpu"):
                    installed[name] = normalized(item["metadata"]["version"])
            rec["installed"] = dict(sorted(installed.items()))
        elif "error" not in rec:
            rec["error"] = "other"
    rec["exit"] = proc.returncode
    msgs = messages(proc.stderr)
    if msgs:
        rec["messages"] = msgs
    return rec


# --------------------------------------------------------------------- questions


def pick_questions(environments, declared):
    """(file, python, package, requirement or None, dropped-by-marker) for every pick asked."""
    out = []
    for name, tf, lines in CASES:
        reqs = [Requirement(line) for line in lines]
        named = {canonicalize_name(r.name) for r in reqs} & set(COVERED)
        packages = COVERED if tf == "pinned" else [p for p in COVERED if p in named]
        for python in ("2.7", "3.5", "3.6", "3.7"):
            env = marker_env(environments[(python, "linux")])
            for package in packages:
                specs = []
                applies = False
                for r in reqs:
                    if canonicalize_name(r.name) != package:
                        continue
                    if r.marker is not None and not Marker(str(r.marker)).evaluate(env):
                        continue
                    applies = True
                    if str(r.specifier):
                        specs.append(str(r.specifier))
                if tf == "pinned":
                    applies = True
                    if declared.get(package):
                        specs.append(declared[package])
                if not applies:
                    out.append((name, python, package, None))
                    continue
                out.append((name, python, package, package + ",".join(specs)))
    return out


TF_WHEELS_OUT = ROOT / "tests/oracles/recorded/tensorflow-wheels.json"
# What `tensorflow-by-platform.tsv` means by each sys_platform (../shared/releases/README.md):
# manylinux x86_64, macOS x86_64 10.9 to 11.0 (pip expands a macOS tag down to 10.0), win_amd64.
TF_PLATFORMS = {
    "linux": ["manylinux_2_35_x86_64", "manylinux2014_x86_64", "manylinux2010_x86_64",
              "manylinux1_x86_64"],
    "darwin": ["macosx_11_0_x86_64"],
    "win32": ["win_amd64"],
}


def ask_tensorflow_wheels(pip: Pip, python: str, platform: str, dist: str) -> dict:
    """The versions of `dist` with a CPython wheel for `python` on `platform`, as pip 26 lists
    them ("from versions") for `DIST==0!0` with `--only-binary=:all:` (nothing is downloaded).
    pip leaves out yanked versions and those whose Requires-Python excludes the Python."""
    digits = python.replace(".", "")
    abis = ["cp27mu", "cp27m"] if python == "2.7" else [f"cp{digits}m"]
    args = ["install", "--dry-run", "--ignore-installed", "--no-deps", "--only-binary=:all:",
            "--implementation", "cp", "--python-version", python]
    for abi in abis:
        args += ["--abi", abi]
    for tag in TF_PLATFORMS[platform]:
        args += ["--platform", tag]
    proc = pip.run(args + [f"{dist}==0!0"])
    m = re.search(r"\(from versions: ([^)]*)\)", proc.stderr)
    versions = [v.strip() for v in m.group(1).split(",")] if m and m.group(1) != "none" else []
    return {"python": python, "distribution": dist, "sys_platform": platform,
            "abis": abis, "platforms": TF_PLATFORMS[platform], "versions": versions,
            "exit": proc.returncode}


def record_tensorflow_wheels(pips: dict[str, Pip], jobs: int) -> int:
    started = datetime.datetime.now(datetime.timezone.utc)
    questions = [(py, plat, dist) for py in ("2.7", "3.5", "3.6", "3.7")
                 for dist in ("tensorflow", "tensorflow-gpu") for plat in TF_PLATFORMS]
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        rows = list(pool.map(lambda q: ask_tensorflow_wheels(pips["3.5"], *q), questions))
    doc = {
        "about": "Recorded by tests/oracles/pip_record.py --tensorflow-wheels; see tests/oracles/README.md",
        "recorded": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "index": "https://pypi.org/simple",
        "pip": pips["3.5"].version(),
        "rows": rows,
    }
    TF_WHEELS_OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {TF_WHEELS_OUT}: {len(rows)} rows", file=sys.stderr)
    return 0


LEGACY_OUT = ROOT / "tests/oracles/recorded/pip-27-legacy.json"
LEGACY_FILES = {
    "tf-numpy-pin-1.13.3": [TF_PIN, "numpy==1.13.3"],
}


def record_legacy_27(pips: dict[str, Pip], work: Path) -> int:
    """pip 20.3.4 on 2.7 with its default (legacy) resolver, installing for real into a
    throw-away `--target` (it has no --dry-run): does it install numpy 1.13.3 next to TF
    1.14.0? Downloads TF's cp27 wheel and its dependencies (about 150 MB)."""
    started = datetime.datetime.now(datetime.timezone.utc)
    rows = []
    for name, lines in LEGACY_FILES.items():
        with tempfile.TemporaryDirectory(dir=work) as tmp:
            req = Path(tmp) / "requirements.txt"
            req.write_text("\n".join(lines) + "\n")
            target = Path(tmp) / "target"
            # grpcio's newest release for 2.7 is an sdist whose build compiles C++ for a long
            # time; its wheels are older. It is not a covered package, so take a wheel.
            proc = pips["2.7"].run(["install", "--only-binary=grpcio", "--target", str(target),
                                    "-r", str(req)], timeout=1800)
            installed = {}
            # `name-version.dist-info` for wheels, `name-version-py2.7.egg-info` for sdists
            # installed by setup.py (gast, termcolor).
            for info in [*target.glob("*.dist-info"), *target.glob("*.egg-info")]:
                dist, version = info.name.rsplit(".", 1)[0].split("-")[:2]
                dist = canonicalize_name(dist)
                if dist in COVERED or dist.startswith("tensorflow"):
                    installed[dist] = normalized(version)
            rec = {"file": name, "lines": lines, "python": "2.7", "pip": pips["2.7"].version(),
                   "resolver": "legacy (pip 20.3's default on Python 2)", "exit": proc.returncode,
                   "installed": dict(sorted(installed.items())),
                   "messages": messages(proc.stderr) + [
                       line.strip() for line in proc.stderr.splitlines()
                       if "which is incompatible" in line]}
            rows.append(rec)
    doc = {
        "about": "Recorded by tests/oracles/pip_record.py --legacy-27; see tests/oracles/README.md",
        "recorded": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "index": "https://pypi.org/simple",
        "rows": rows,
    }
    LEGACY_OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {LEGACY_OUT}", file=sys.stderr)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "depwindow-pip-oracle"),
                    help="where the pinned pips are installed (reused across runs)")
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--dry-list", action="store_true", help="print the questions and exit")
    ap.add_argument("--tensorflow-wheels", action="store_true",
                    help="record only which TF versions have wheels where (pip 26), to "
                         "recorded/tensorflow-wheels.json")
    ap.add_argument("--legacy-27", action="store_true",
                    help="record only pip 20.3.4's legacy resolver on 2.7, installing into a "
                         "throw-away --target, to recorded/pip-27-legacy.json (about 150 MB)")
    args = ap.parse_args()

    environments = load_environments()
    declared = declared_by_tf()
    picks = pick_questions(environments, declared)
    resolves = [(n, lines) for n, tf, lines in CASES if tf in (None, "pinned")]
    if args.dry_list:
        for q in picks:
            print("\t".join(x or "-" for x in q))
        for n, _ in resolves:
            print(f"{n}\t3.7\t(full resolve)")
        return 0

    global CACHE_DIR
    CACHE_DIR = str(Path(args.work).resolve() / "pip-cache")
    pips = bootstrap(Path(args.work), sys.executable)
    if args.tensorflow_wheels:
        return record_tensorflow_wheels(pips, args.jobs)
    if args.legacy_27:
        return record_legacy_27(pips, Path(args.work))
    started = datetime.datetime.now(datetime.timezone.utc)
    results = {}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futs = {}
        for q in picks:
            if q[3] is not None:
                futs[pool.submit(ask_pick, pips[q[1]], q[3])] = ("pick", q)
        for n, lines in resolves:
            futs[pool.submit(ask_resolve, pips["3.7"], lines)] = ("resolve", (n,))
        # The placeholder sdist: ask for wheels only, so nothing is built (it fails on purpose).
        for python in ("3.7", "3.5"):
            futs[pool.submit(ask_pick_only_binary, pips[python], "tensorflow-gpu==2.12.0")] = (
                "placeholder", (python,))
        # Requires-Python as the index states it, for every version it excludes on 2.7 / 3.5.
        rp_pips = {"2.7": Pip("2.7", pips["3.5"].argv, pips["3.5"].env, "2.7", True), "3.5": pips["3.5"]}
        for python, rp_pip in rp_pips.items():
            for package in COVERED:
                futs[pool.submit(ask_requires_python, rp_pip, package)] = (
                    "requires-python", (python, package))
        for fut in concurrent.futures.as_completed(futs):
            kind, q = futs[fut]
            results[(kind,) + tuple(q)] = fut.result()
            print(kind, *[x for x in q if x], "->", fut.result().get("version")
                  or fut.result().get("installed") or fut.result().get("error"), file=sys.stderr)

    pick_rows = []
    for q in picks:
        name, python, package, requirement = q
        row = {"file": name, "python": python, "platform": "linux", "package": package,
               "requirement": requirement}
        if requirement is None:
            row["not_required"] = "no line for it applies on this Python (markers evaluated with packaging)"
        else:
            row.update(results[("pick",) + q])
        pick_rows.append(row)
    resolve_rows = []
    for n, _ in resolves:
        row = {"file": n, "python": "3.7", "platform": "linux"}
        row.update(results[("resolve", n)])
        resolve_rows.append(row)
    placeholder = []
    for python in ("3.7", "3.5"):
        row = {"python": python, "requirement": "tensorflow-gpu==2.12.0", "only_binary": True}
        row.update(results[("placeholder", python)])
        placeholder.append(row)

    requires_python = []
    for python in ("2.7", "3.5"):
        for package in COVERED:
            row = {"python": python, "package": package, "pip": pips["3.5"].version()}
            row.update(results[("requires-python", python, package)])
            requires_python.append(row)

    doc = {
        "about": "Recorded by tests/oracles/pip_record.py; see tests/oracles/README.md",
        "recorded": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "index": "https://pypi.org/simple",
        "pythons": {
            "2.7": {"interpreter": "CPython 2.7.18 (pyenv)", "pip": pips["2.7"].version(),
                    "how": "pip download --no-deps -d TMP REQ (pip 20.3 has no --dry-run/--report)"},
            "3.5": {"interpreter": f"CPython {sys.version.split()[0]} (host) emulating 3.5",
                    "pip": pips["3.5"].version(),
                    "how": "pip install --dry-run --ignore-installed --no-deps --python-version 3.5 --report"},
            "3.6": {"interpreter": "CPython 3.6.15 (pyenv)", "pip": pips["3.6"].version(),
                    "how": "pip download --no-deps -d TMP REQ (pip 21.3 has no --dry-run/--report)"},
            "3.7": {"interpreter": "CPython 3.7.16 (pyenv)", "pip": pips["3.7"].version(),
                    "how": "pip install --dry-run --ignore-installed [--no-deps] --report"},
        },
        "tensorflow_declared": declared,
        "files": [{"name": n, "tensorflow": tf, "lines": lines} for n, tf, lines in CASES],
        "picks": pick_rows,
        "resolves": resolve_rows,
        "placeholder": placeholder,
        "requires_python_excluded": requires_python,
    }
    Path(args.out).write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")
    print(f"wrote {args.out}: {sum(1 for r in pick_rows if r['requirement'])} picks, "
          f"{len(resolve_rows)} resolves", file=sys.stderr)
    return 0


IGNORED_RP = re.compile(r"Ignored the following versions that require a different python "
                        r"version: ([^\n]*)")


def ask_requires_python(pip: Pip, package: str) -> dict:
    """pip 26's list of the versions whose Requires-Python (as the index states it) excludes
    the emulated Python: `name==0!0` matches nothing, so pip reports every version it set
    aside, each with its Requires-Python (`excluded`), and the versions it could have
    chosen from (`available`: not yanked, Requires-Python admits, a file for the target)."""
    proc = pip.run(["install", "--dry-run", "--ignore-installed", "--no-deps", "--python-version",
                    pip.emulate or "", f"{package}==0!0"])
    out: dict = {"exit": proc.returncode}
    m = IGNORED_RP.search(proc.stderr)
    excluded = {}
    if m:
        for item in m.group(1).split("; "):
            version, _, spec = item.partition(" Requires-Python ")
            excluded[version.strip()] = spec.strip()
    out["excluded"] = excluded
    m = re.search(r"\(from versions: ([^)]*)\)", proc.stderr)
    out["available"] = [v.strip() for v in m.group(1).split(",")] if m and m.group(1) != "none" else []
    return out


def ask_pick_only_binary(pip: Pip, requirement: str) -> dict:
    args = ["install", "--dry-run", "--ignore-installed", "--no-deps", "--only-binary=:all:"]
    if pip.emulate:
        args += ["--python-version", pip.emulate]
    proc = pip.run(args + [requirement])
    rec = classify(proc.stderr, proc.stdout)
    rec["exit"] = proc.returncode
    rec["messages"] = messages(proc.stderr)
    return rec


if __name__ == "__main__":
    sys.exit(main())
