"""Shared helpers of the book's command-line tools (not part of the `linearity` package)."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def cell_inputs(nb) -> list[tuple]:
    """What a twin and its notebook must agree on: cell type, source, tags and MyST-NB figure metadata."""
    return [(c.cell_type, c.source.strip(), tuple(sorted(c.metadata.get("tags", []))),
             repr(c.metadata.get("mystnb", {}))) for c in nb.cells]


def strip_run_noise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop what papermill and nbclient add that must never be stored (PITFALLS 4):
    timing metadata, the injected-parameters cell and papermill's notebook metadata."""
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("linearity", None)
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        for key in ("papermill", "execution"):
            cell.metadata.pop(key, None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
    return nb


def git_state() -> tuple[str, bool]:
    """(the commit checked out, whether tracked files differ from it): a commit one can check
    out, and a plain flag instead of git's '-dirty' suffix. ('unknown', False) without git."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                                 capture_output=True, text=True)
    except OSError:  # no git (a copy of the tree on another machine)
        return "unknown", False
    return (head.stdout.strip() or "unknown"), bool(changed.stdout.strip())


def commit_text(record: dict) -> str:
    """A stored run's commit as the report shows it: '`abc1234`', with '(plus uncommitted
    changes)' when the tree was not clean (old records carry git's '-dirty' suffix)."""
    commit = str(record.get("commit", "unknown"))
    dirty = record.get("dirty", False) or commit.endswith("-dirty")
    return f"`{commit.removesuffix('-dirty')}`" + (" (plus uncommitted changes)" if dirty else "")


def provenance() -> dict:
    """Where and with what a notebook's stored outputs were computed (shown in the report)."""
    import platform
    import subprocess
    from datetime import datetime, timezone
    from importlib.metadata import version

    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit, dirty = git_state()
    kernels = {k: os.environ[k] for k in ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "OPENBLAS_CORETYPE") if k in os.environ}
    return {"cpu": cpu, "simd": torch.backends.cpu.get_cpu_capability(), "kernel_settings": kernels,
            "os": platform.platform(), "python": platform.python_version(), "torch": version("torch"),
            "numpy": version("numpy"), "commit": commit, "dirty": dirty,
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def code_only(source: str) -> str:
    """`source` without comments, docstrings or layout (ast round trip), so that a stored run
    does not go stale when only its explanation changed (PITFALLS 26); the text itself when it
    is not plain Python (a cell magic)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source.strip()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def inputs_hash(notebook: Path) -> str:
    """A short hash of what a chapter's numbers depend on: the code of its code cells (from the
    .md twin) and of the package's shared modules and its own chapter module (`chNN_*.py` of
    another chapter is not run by it), without comments and docstrings. Prose edits leave it
    unchanged; a stored run whose hash differs from the current one is stale."""
    import hashlib

    import jupytext

    digest = hashlib.sha256()
    twin = notebook.with_suffix(".md")     # a notebook without a twin (a student version) hashes itself
    for cell in jupytext.read(twin if twin.exists() else notebook).cells:
        if cell.cell_type == "code":
            digest.update(code_only(cell.source).encode())
    for module in sorted((ROOT / "src" / "linearity").glob("*.py")):
        if re.fullmatch(r"ch\d\d_.*", module.stem) and module.stem[2:4] != notebook.stem[:2]:
            continue
        digest.update(module.name.encode() + code_only(module.read_text()).encode())
    return digest.hexdigest()[:12]


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children (the kernels)."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def write_atomically(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write a notebook to a temporary file beside `path`, then rename it over `path`:
    a kill or a full disk mid-write leaves the old notebook whole."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def execute(path: Path, out: Path | None = None, parameters: dict | None = None,
            timeout: int | None = 600, source: Path | None = None) -> tuple[Path, float, str | None]:
    """Run the notebook `source` (default `path`) with papermill, in the folder of `path`.

    With `out`, the executed copy goes there. Without it, the run refreshes `path`: only if
    every cell succeeded is `path` replaced, atomically, with run noise stripped and the
    provenance of the run in its metadata. Returns (path, seconds, error message or None)."""
    import tempfile

    import papermill as pm

    start, cpu_start = time.perf_counter(), cpu_seconds()
    with tempfile.TemporaryDirectory() as tmp:
        target = out or Path(tmp) / path.name
        try:
            pm.execute_notebook(str(source or path), str(target), parameters=parameters or {}, progress_bar=False,
                                cwd=str(path.parent), log_output=False, execution_timeout=timeout)
            error = None
        except Exception as exc:  # PapermillExecutionError carries the failing cell's error
            error = f"{type(exc).__name__}: {getattr(exc, 'evalue', exc)}"
        run = {"wall_seconds": round(time.perf_counter() - start, 1),
               "cpu_seconds": round(cpu_seconds() - cpu_start, 1), "inputs": inputs_hash(path)}
        if error is None and out is None:
            nb = strip_run_noise(nbformat.read(str(target), as_version=4))
            nb.metadata["linearity"] = {"provenance": provenance() | run}
            write_atomically(nb, path)
        elif out is not None and out.exists():   # an executed copy records its own cost
            nb = nbformat.read(str(out), as_version=4)
            nb.metadata.setdefault("linearity", {})["run"] = run
            nbformat.write(nb, str(out))
    return path, time.perf_counter() - start, error


def execute_many(jobs: list[tuple], workers: int | None = None) -> list[tuple[Path, float, str | None]]:
    """Run several `execute(*job)` at once (one torch thread each, so 2 on 2 cores; the
    environment variable BOOK_WORKERS sets another number, e.g. 1 beside other work)."""
    workers = workers or int(os.environ.get("BOOK_WORKERS", "2"))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_execute_job, jobs))


def _execute_job(job: tuple):
    return execute(*job)


def claims_of(nb_path: Path) -> list[dict]:
    """The claims table stored by a notebook's claims cell (`linearity.Claims.summary`)."""
    nb = nbformat.read(str(nb_path), as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "application/json" in data and "claims" in data["application/json"]:
                return list(data["application/json"]["claims"])
    return []


def verdicts_of(nb_path: Path) -> list[dict]:
    """The verdicts ({status, text}) stored by a notebook's claims cell (`Claims.verdict`)."""
    nb = nbformat.read(str(nb_path), as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get("application/json", {})
            if "verdicts" in data:
                return list(data["verdicts"])
    return []


def fail(message: str) -> None:
    print(message, file=sys.stderr)
    sys.exit(1)


def dump(obj) -> str:
    return json.dumps(obj, indent=2, sort_keys=True)
