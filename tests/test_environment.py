"""The pins live in pyproject.toml; environment.yml must list exactly the same ones."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"]) + [r for extra in project["optional-dependencies"].values() for r in extra]
    return dict(r.split("==") for r in reqs)


def environment_pins() -> dict[str, str]:
    text = (ROOT / "environment.yml").read_text()
    return dict(re.findall(r"^\s+- ([A-Za-z0-9_.-]+)==(\S+)\s*$", text, flags=re.M))


def test_every_dependency_is_pinned_exactly():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"]) + [r for extra in project["optional-dependencies"].values() for r in extra]
    assert all("==" in r for r in reqs), [r for r in reqs if "==" not in r]


def test_environment_yml_mirrors_pyproject():
    assert environment_pins() == pyproject_pins()


def test_installed_versions_are_the_pinned_ones():
    """What is installed, not what is written: a looser install (a CUDA torch, Jupyter Book 2) fails here."""
    import platform
    from importlib.metadata import version

    assert platform.python_version_tuple()[:2] == ("3", "11")
    assert pyproject_pins()["torch"] == "2.13.0" and pyproject_pins()["jupyter-book"] == "1.0.4.post1"
    assert "python=3.11" in (ROOT / "environment.yml").read_text()
    # torch's CPU build carries the local label "+cpu"; any other label (a CUDA build) is wrong
    wrong = {name: (pin, version(name)) for name, pin in pyproject_pins().items()
             if version(name).removesuffix("+cpu") != pin}
    assert wrong == {}, wrong
