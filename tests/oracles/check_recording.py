#!/usr/bin/env python3
"""Offline checks of the recorded oracles against the project's rule data.

1. `rules/environments.tsv`: its linux rows agree with the marker environments
   recorded from the real interpreters (`recorded/marker-env-*-linux.json`), and its
   TensorFlow columns agree with `rules/releases/tensorflow-by-platform.tsv`.
2. `recorded/pip-picks.json` against `rules/releases/*.tsv`:
   - every version pip picked is a release in our data, and is installable there
     (its Requires-Python admits that Python, its status is not `absent`);
   - every version pip called yanked (picked with a yanked warning, or listed in
     "Ignored the following yanked versions") is `yanked` in our data;
   - the pick that the recording pip's candidate selection gives on our data
     (`model_pick`: the index's Requires-Python, then the specifier with that pip's
     pre-release rule, then its yanked rule; see `pip_generation`) equals the recorded
     pick, for every Python. Where an old pip chose a release and its wheel metadata then
     refused the Python, the choice is compared (and listed as a note).
3. pip 26's lists of the versions it set aside for Requires-Python, and of those it could
   choose from, on (emulated) 2.7 and 3.5, against the Requires-Python and status columns.
4. `recorded/tensorflow-wheels.json` (which TF versions pip 26 finds a wheel for, per
   Python and OS) against `rules/releases/tensorflow-by-platform.tsv`.
5. Full resolves (3.7, and pip 20.3.4's legacy resolver on 2.7 when recorded): every covered package pip installed is a known release, and
   where the file pins TF 1.14.0 it equals the per-package pick.

A discrepancy that is known and explained is listed in KNOWN below with its reason;
any other discrepancy fails, and so does a KNOWN entry that no longer occurs (so
the list cannot go stale). Exit status 0 when everything agrees.

Needs `packaging` (any version >= 22). Run: python3 tests/oracles/check_recording.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "tests/oracles/recorded"
# The recording to check: the committed one, or the path given as the first argument.
PICKS = Path(sys.argv[1]) if len(sys.argv) > 1 else RECORDED / "pip-picks.json"

# (kind, package, version) -> why it is known. Each one is a data question for the lead.
KNOWN: dict[tuple[str, str, str], str] = {
    ("tf-wheel-not-on-index", "tensorflow-gpu", "2.12.0"): (
        "listed on purpose for every platform (../shared/releases/README.md): a placeholder "
        "sdist whose build fails, with no wheel; never a pick, never a newer TF."),
}


# Release lists that start at a version by design: `numpy-releases.tsv` "lists every NumPy
# version from 1.9.0" (../shared/FACTS.md, "NumPy releases"); older ones are out of scope.
SCOPE_FLOOR = {"numpy": Version("1.9.0")}


def read_tsv(path: Path) -> list[dict[str, str]]:
    rows = path.read_text().splitlines()
    head = rows[0].split("\t")
    return [dict(zip(head, r.split("\t"))) for r in rows[1:] if r]


def releases(package: str) -> dict[Version, dict[str, str]]:
    out = {}
    for row in read_tsv(ROOT / "rules/releases" / f"{package}.tsv"):
        try:
            out[Version(row["version"])] = row
        except InvalidVersion:
            continue  # rules/README.md: rows that are not PEP 440 are skipped
    return out


def check_environments(problems: list[str]) -> int:
    table = {(r["python"], r["platform"]): r for r in read_tsv(ROOT / "rules/environments.tsv")}
    checked = 0
    for path in sorted(RECORDED.glob("marker-env-*-linux.json")):
        rec = json.loads(path.read_text())
        env = rec["environment"]
        if rec.get("agrees") is False:
            problems.append(f"{path.name}: packaging's default_environment differs from marker_env.py")
        row = table[(env["python_version"], "linux")]
        for key, value in env.items():
            if key in ("platform_release", "platform_version"):
                continue  # not fixed by the environment: the table leaves them out
            want = row[key]
            if key in ("python_full_version", "implementation_version") and value not in ("", "0"):
                # The table names the newest patch; the interpreter here may be older. Its
                # version must lie in [oldest, newest] of the same minor version.
                lo, hi = Version(row["python_full_version_oldest"]), Version(want)
                ok = lo <= Version(value) <= hi and value.startswith(row["python_version"] + ".")
                if not ok:
                    problems.append(f"{path.name}: {key} {value} outside {lo}..{hi}")
                checked += 1
                continue
            if value != want:
                problems.append(f"{path.name}: {key} is {value!r}, environments.tsv says {want!r}")
            checked += 1
    by_platform = {(r["python"], r["distribution"], r["sys_platform"]): r["versions_with_wheels"]
                   for r in read_tsv(ROOT / "rules/releases/tensorflow-by-platform.tsv")}
    for (python, platform), row in table.items():
        for dist, col in (("tensorflow", "tensorflow_1_14_0"), ("tensorflow-gpu", "tensorflow_gpu_1_14_0")):
            has = "1.14.0" in by_platform[(python, dist, platform)].split(",")
            if (row[col] == "yes") != has:
                problems.append(f"environments.tsv {python}/{platform} {col}={row[col]}, "
                                f"tensorflow-by-platform.tsv says {has}")
            checked += 1
        # Marker values evaluate as the interpreter's would: a smoke test of the row.
        env = {k: row[k] for k in ("python_version", "python_full_version", "os_name",
                                   "sys_platform", "platform_system", "platform_machine",
                                   "platform_python_implementation", "implementation_name",
                                   "implementation_version")}
        env.update(platform_release="", platform_version="")
        if not Marker(f'python_version == "{python}"').evaluate(env):
            problems.append(f"environments.tsv {python}/{platform}: python_version marker fails")
    return checked


def pip_generation(pip: Version) -> dict[str, bool]:
    """How a pip version selects candidates, from its source.

    - `yanked_needs_pin`: pip >= 22 (`resolution/resolvelib/factory.py`, PEP 592 as
      amended) uses a yanked release only when every applicable candidate is yanked *and*
      the specifier pins with `==`/`===` (not `==X.*`); pip 20.3 and 21.3 only need every
      applicable candidate to be yanked.
    - `fallback_with_specifier`: packaging >= 26.0 (vendored by pip 26) falls back to
      pre-releases when no final release matches any specifier set; packaging <= 25
      (vendored by pip 20.3: 20.8, pip 21.3: 21.0, pip 24.0: 21.3) does so only for an
      empty specifier (a bare name): `SpecifierSet.filter` passes `prereleases=False` to
      each specifier otherwise.
    """
    return {
        "yanked_needs_pin": pip >= Version("22"),
        "fallback_with_specifier": pip >= Version("26"),
    }


def model_pick(rel: dict[Version, dict[str, str]], requirement: str, python_full: str,
               pip: Version):
    """Our reading of the pip's candidate selection, on our release data: Requires-Python
    (the index's), then the specifier with the pre-release rule, then yanked releases."""
    gen = pip_generation(pip)
    spec = Requirement(requirement).specifier
    py = Version(python_full)
    installable = [v for v, row in rel.items()
                   if row["status"] != "absent"
                   and (not row["requires_python"] or py in SpecifierSet(row["requires_python"]))]
    if spec.prereleases:  # the specifier names a pre-release
        applicable = [v for v in installable if spec.contains(v, prereleases=True)]
    else:
        applicable = [v for v in installable if spec.contains(v, prereleases=False)]
        if not applicable and (gen["fallback_with_specifier"] or not str(spec)):
            applicable = [v for v in installable if spec.contains(v, prereleases=True)]
    pinned = any(s.operator == "===" or (s.operator == "==" and not s.version.endswith(".*"))
                 for s in spec)
    all_yanked = bool(applicable) and all(rel[v]["status"] == "yanked" for v in applicable)
    if all_yanked and (pinned or not gen["yanked_needs_pin"]):
        return max(applicable)
    usable = [v for v in applicable if rel[v]["status"] != "yanked"]
    return max(usable) if usable else None


def check_picks(problems: list[str], notes: list[str], seen_known: set) -> int:
    doc = json.loads(PICKS.read_text())
    envs = {r["python"]: r for r in read_tsv(ROOT / "rules/environments.tsv") if r["platform"] == "linux"}
    pips = {py: Version(info["pip"]) for py, info in doc["pythons"].items()}
    cache: dict[str, dict] = {}
    checked = 0
    for row in doc["picks"]:
        if row["requirement"] is None:
            continue
        package, python = row["package"], row["python"]
        rel = cache.setdefault(package, releases(package))
        where = f"{row['file']} py{python} `{row['requirement']}`"
        full = envs[python]["python_full_version"]
        for v in row.get("yanked_ignored", []):
            status = rel.get(Version(v), {}).get("status")
            if status != "yanked":
                key = ("yanked-not-in-data", package, str(Version(v)))
                if key in KNOWN:
                    seen_known.add(key)
                else:
                    problems.append(f"{where}: pip ignored {package} {v} as yanked; our data: {status}")
        picked = row.get("version")
        if picked is not None:
            v = Version(picked)
            data = rel.get(v)
            if data is None:
                problems.append(f"{where}: pip picked {package} {picked}, missing from rules/releases")
            else:
                if data["status"] == "absent":
                    problems.append(f"{where}: pip picked {picked}, our data says absent")
                if row.get("yanked_picked") and data["status"] != "yanked":
                    problems.append(f"{where}: pip picked {picked} as yanked, our data: {data['status']}")
                rp = data["requires_python"]
                if rp and Version(full) not in SpecifierSet(rp):
                    problems.append(f"{where}: pip picked {picked}; our Requires-Python {rp} excludes {full}")
        ours = model_pick(rel, row["requirement"], full, pips[python])
        theirs = Version(picked) if picked is not None else None
        if theirs is None and row.get("error") == "requires-python":
            # pip chose a release whose index entry has no Requires-Python, then its wheel
            # metadata refused this Python (protobuf 4.21.0: "Required python version not
            # configured correctly"). The choice is what the model predicts.
            # `chosen` is the last release whose file pip fetched: the model's pick, or (pip 26
            # backtracks) an older applicable one that also lacks an index Requires-Python.
            chosen = Version(row["chosen"]) if row.get("chosen") else None
            spec = Requirement(row["requirement"]).specifier
            if (chosen is not None and ours is not None and chosen <= ours
                    and spec.contains(chosen, prereleases=True)
                    and not rel[ours]["requires_python"] and not rel[chosen]["requires_python"]):
                notes.append(f"{where}: pip {pips[python]} chose {ours} (no Requires-Python on the "
                             f"index), its wheel metadata refused Python {python}; last tried {chosen}")
                checked += 1
                continue
        if ours != theirs and ours is not None and ("model-pick", package, str(ours)) in KNOWN:
            seen_known.add(("model-pick", package, str(ours)))
            checked += 1
            continue
        if ours != theirs:
            problems.append(f"{where}: pip {pips[python]} -> {picked or row.get('error')}; "
                            f"model of pip {pips[python]} on our data -> {ours}")
        checked += 1
    return checked


def check_resolves(problems: list[str]) -> int:
    """Full resolves (3.7): every covered package pip installed is a known release, and
    where the file pins TF 1.14.0 the resolution agrees with the per-package picks (which
    assume TF's declared ranges, and h5py through keras-applications)."""
    doc = json.loads(PICKS.read_text())
    files = {f["name"]: f for f in doc["files"]}
    picks = {(r["file"], r["python"], r["package"]): r for r in doc["picks"]}
    checked = 0
    for row in doc["resolves"]:
        installed = row.get("installed")
        if installed is None:
            continue
        for package, version in installed.items():
            if package.startswith("tensorflow"):
                continue
            if Version(version) not in releases(package):
                problems.append(f"resolve {row['file']}: {package} {version} missing from rules/releases")
            pick = picks.get((row["file"], row["python"], package))
            if files[row["file"]]["tensorflow"] == "pinned" and pick is not None:
                if pick.get("version") != version:
                    problems.append(f"resolve {row['file']} py{row['python']}: {package} {version}, "
                                    f"per-package pick {pick.get('version') or pick.get('error')}")
            checked += 1
    return checked


def check_requires_python(problems: list[str], notes: list[str], seen_known: set) -> int:
    """pip 26's own lists (`requires_python_excluded`, emulated 2.7 and 3.5): every version
    it set aside for its Requires-Python has that Requires-Python in our data, every version
    our data excludes there was set aside, and every version it could choose from is in our
    data (not absent, not yanked)."""
    doc = json.loads(PICKS.read_text())
    envs = {r["python"]: r for r in read_tsv(ROOT / "rules/environments.tsv") if r["platform"] == "linux"}
    checked = 0
    for row in doc.get("requires_python_excluded", []):
        package, python = row["package"], row["python"]
        rel = releases(package)
        full = Version(envs[python]["python_full_version"])
        excluded = {Version(v): spec for v, spec in row["excluded"].items()}
        for v, spec in excluded.items():
            data = rel.get(v)
            if data is None:
                problems.append(f"{package} {v}: pip excludes it on {python} (Requires-Python {spec}); "
                                f"missing from rules/releases")
            elif SpecifierSet(data["requires_python"]) != SpecifierSet(spec):
                problems.append(f"{package} {v}: index Requires-Python {spec!r}, our data "
                                f"{data['requires_python']!r}")
            checked += 1
        available = set(map(Version, row["available"]))
        for v, data in rel.items():
            rp = data["requires_python"]
            if data["status"] == "absent" or not rp or full in SpecifierSet(rp):
                continue
            # pip checks a file's tags before its Requires-Python, so a release with no file
            # for the target (protobuf 4.22.0rc1: abi3 wheels for cp37+ only, no sdist) is
            # neither set aside nor available: that is not a disagreement.
            if v in available:
                problems.append(f"{package} {v}: our Requires-Python {rp!r} excludes {python}, "
                                f"pip can install it there")
            checked += 1
        for v in sorted(available):
            if v < SCOPE_FLOOR.get(package, Version("0")):
                continue
            data = rel.get(v)
            if data is None:
                problems.append(f"{package} {v}: pip can install it on {python}; missing from rules/releases")
            elif data["status"] in ("absent", "yanked"):
                key = ("available-but-" + data["status"], package, str(v))
                if key in KNOWN:
                    seen_known.add(key)
                else:
                    problems.append(f"{package} {v}: pip can install it on {python}; our data: {data['status']}")
            checked += 1
    return checked


def check_tensorflow_wheels(problems: list[str], notes: list[str], seen_known: set) -> int:
    """`recorded/tensorflow-wheels.json` (pip 26's "from versions" with --only-binary) against
    `rules/releases/tensorflow-by-platform.tsv`, row by row."""
    path = RECORDED / "tensorflow-wheels.json"
    doc = json.loads(path.read_text())
    table = {(r["python"], r["distribution"], r["sys_platform"]): r["versions_with_wheels"]
             for r in read_tsv(ROOT / "rules/releases/tensorflow-by-platform.tsv")}
    checked = 0
    for row in doc["rows"]:
        key = (row["python"], row["distribution"], row["sys_platform"])
        ours = {Version(v) for v in table[key].split(",") if v}
        pips = {Version(v) for v in row["versions"]}
        where = f"tensorflow-by-platform.tsv {' '.join(key)}"
        for v in sorted(ours - pips):
            k = ("tf-wheel-not-on-index", row["distribution"], str(v))
            if k in KNOWN:
                seen_known.add(k)
            else:
                problems.append(f"{where}: lists {v}; pip 26 finds no wheel for it there")
        lacking = sorted(pips - ours)
        for v in lacking:
            if not v.is_prerelease:
                problems.append(f"{where}: lacks {v}; pip 26 finds a wheel for it there")
        pre = [str(v) for v in lacking if v.is_prerelease]
        if pre:
            # The list holds final releases only (every row: no pre-release at all).
            notes.append(f"{where}: pre-releases with wheels, not in the list: {', '.join(pre)}")
        checked += len(ours | pips)
    return checked


def check_legacy_27(problems: list[str], notes: list[str]) -> int:
    """`recorded/pip-27-legacy.json`: what pip 20.3.4's legacy resolver really installed on
    2.7. Every covered version is a known release; a version outside TF 1.14.0's declared
    range is a note (the legacy resolver installs it with a warning; pip 26 refuses)."""
    path = RECORDED / "pip-27-legacy.json"
    if not path.is_file():
        return 0
    # TF 1.14.0's declared ranges, as pip_record.py read them from rules/tensorflow-1.14-*.toml.
    declared = json.loads(PICKS.read_text())["tensorflow_declared"]
    checked = 0
    for row in json.loads(path.read_text())["rows"]:
        for package, version in row["installed"].items():
            if package.startswith("tensorflow"):
                continue
            if Version(version) not in releases(package):
                problems.append(f"legacy 2.7 {row['file']}: {package} {version} missing from rules/releases")
            spec = declared.get(package)
            if spec and Version(version) not in SpecifierSet(spec):
                notes.append(f"legacy 2.7 {row['file']}: pip {row['pip']} installed {package} "
                             f"{version}, outside TF 1.14.0's {spec} (exit {row['exit']})")
            checked += 1
    return checked


def main() -> int:
    problems: list[str] = []
    notes: list[str] = []
    seen_known: set = set()
    n_env = check_environments(problems)
    n_pick = check_picks(problems, notes, seen_known)
    n_resolve = check_resolves(problems) + check_legacy_27(problems, notes)
    n_rp = check_requires_python(problems, notes, seen_known)
    n_rp += check_tensorflow_wheels(problems, notes, seen_known)
    for key in sorted(set(KNOWN) - seen_known):
        problems.append(f"KNOWN entry no longer occurs, remove it: {key}")
    for key in sorted(seen_known):
        print(f"known: {key[0]} {key[1]} {key[2]}: {KNOWN[key]}")
    for n in notes:
        print(f"note: {n}")
    for p in problems:
        print(f"MISMATCH: {p}")
    print(f"checked {n_env} environment values, {n_pick} recorded picks, {n_rp} index facts and "
          f"{n_resolve} resolved versions: {len(problems)} mismatches, {len(notes)} notes, "
          f"{len(seen_known)} known")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
