"""requirements.lock and environment.yml pin the same versions; the lock covers requirements.in."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_environment_yml_is_generated_from_the_lock():
    import importlib.util

    spec = importlib.util.spec_from_file_location("sync_environment", ROOT / "tools" / "sync_environment.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (ROOT / "environment.yml").read_text() == mod.render(), "run `make lock` (or tools/sync_environment.py)"


def test_every_top_level_package_is_pinned_identically():
    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            lock[name.strip().lower().replace("_", "-")] = version.strip()
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pinned = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and "=" in dep and not dep.startswith("python="):
            name, version = dep.split("=", 1)
            pinned[name.lower()] = version
        elif isinstance(dep, dict):
            for p in dep["pip"]:
                if "==" in p:
                    name, version = p.split("==", 1)
                    pinned[name.lower()] = version
    wanted = [line.split("#")[0].strip() for line in (ROOT / "requirements.in").read_text().splitlines()]
    wanted = [w.lower() for w in wanted if w]
    for name in wanted:
        assert name in lock, f"{name} is in requirements.in but not in requirements.lock"
        assert pinned.get(name) == lock[name], f"{name}: environment.yml {pinned.get(name)} vs lock {lock[name]}"


def test_named_packages_are_dependencies():
    for name in ("jupyterlab", "pandas", "seaborn", "statsmodels", "papermill", "nbconvert"):
        assert name in (ROOT / "requirements.in").read_text().split()
