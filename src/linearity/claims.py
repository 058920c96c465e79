"""The claims cell, and every number a chapter's prose cites, glued at a precision that holds.

    claims = lin.claims.Claims()
    claims.check("expr_odd_part_error", err, lt=1e-10, tiny=True, paper="f(x) − f(−x) = (1+α) W₂W₁x")
    claims.check("expr_two_layer_min_over_ols", m, ge=1 - 1e-9, digits=7, paper="...")
    claims.check("lowrank_ratio", trained, lt=0.12, null=(at_init, "at initialisation"))
    claims.verdict("partly reproduced", "what reproduces, what does not, and the numbers that say so")
    claims.summary()

    lin.claims.glue(ols_loss=ols, n_steps=600)   # numbers the prose cites, one call per cell

Precision is part of the contract (DESIGN, "Determinism"). Stored outputs are compared
digit for digit on other CPUs, whose SIMD kernels round differently in the last bits, so a
number is glued and printed only to the digits it is stable to:

- `significant(v, digits)` rounds to `digits` significant digits (4 unless a claim says more);
- a rounding-level quantity (an error that is zero in exact arithmetic) is glued as the
  power-of-ten bound `below(v)` above it, at least 1e-12, and printed as `bound_text(v)`
  ("< 1e-12"); its own digits differ between machines.

Every claim is falsifiable on the page. Either it carries a **null**: the same quantity measured
where the statement predicts the opposite (at initialisation, on a baseline such as least
squares or a random direction, in the regime the result excludes), given as
`null=(value, label)`; the claim holds only if its value meets the bound *and the null does not*.
Or it declares **premises** whose controls (`make controls`) make it fail; an exact identity has
no natural null and must rest on a premise. `tests/test_falsifiers.py` checks the book for both.

`glue` and `Claims.check` store plain Python floats (ints stay ints) under their names
(`myst_nb.glue`), so the text and tools read them from the executed notebook. `summary()`
shows a table (HTML for the book, text for nbval, JSON for the reproducibility report) and
raises `AssertionError` listing every claim that failed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

FLOOR = 1e-12   # rounding-level quantities are reported as "< 1e-12" (float64 rounding is ~1e-16)


def significant(value: float, digits: int = 4) -> float:
    """`value` rounded to `digits` significant digits (nan and inf unchanged)."""
    value = float(value)
    return float(f"{value:.{digits}g}") if math.isfinite(value) else value


def below(value: float, floor: float = FLOOR) -> float:
    """The smallest power of ten ≥ |value| and ≥ `floor`: a stable bound on a rounding-level number."""
    value = abs(float(value))
    if math.isnan(value):
        return value
    return max(floor, 10.0 ** math.ceil(math.log10(value))) if value > 0 else floor


def bound_text(value: float, floor: float = FLOOR) -> str:
    """A rounding-level number as text: '< 1e-12' (the bound `below(value)`)."""
    return f"< {below(value, floor):.0e}"


def _plain(value: Any, digits: int) -> float | int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real) or hasattr(value, "__float__"):
        return significant(float(value), digits)
    raise ValueError(f"glue values must be numbers, got {value!r}")


def glue(digits: int = 4, **values: Any) -> None:
    """Glue each keyword as a plain number: ints as ints, floats to `digits` significant digits."""
    from myst_nb import glue as _glue

    for name, value in values.items():
        _glue(name, _plain(value, digits), display=False)


@dataclass
class Claim:
    name: str
    value: float
    shown: str
    expected: str
    paper: str
    premises: tuple[str, ...]
    passed: bool
    value_holds: bool = True
    null: dict | None = None    # {"value": shown null, "label": what it is, "holds": null meets the bound}


def _fmt_bound(v: float) -> str:
    """Bounds are shown exactly enough to be read (1 − 1e-9 is not '1')."""
    return f"{v:.10g}"


def _bounds(*, lt=None, le=None, gt=None, ge=None, approx=None):
    """(test, texts): `test(v)` is True when v meets every given bound (never for nan)."""
    tests, text = [], []
    if approx is not None:
        target, tol = approx
        tests.append(lambda v: abs(v - target) <= tol)
        text.append(f"{_fmt_bound(target)} ± {tol:.0e}")
    for op, bound, ok in (("<", lt, lambda v, b: v < b), ("≤", le, lambda v, b: v <= b),
                          (">", gt, lambda v, b: v > b), ("≥", ge, lambda v, b: v >= b)):
        if bound is not None:
            tests.append(lambda v, ok=ok, b=bound: ok(v, b))
            text.append(f"{op} {_fmt_bound(bound)}")
    return (lambda v: not math.isnan(v) and all(t(v) for t in tests)), text


VERDICTS = ("reproduced", "partly reproduced", "not reproduced at this scale")


@dataclass
class Claims:
    """Collects a chapter's claims; see the module docstring."""

    rows: list[Claim] = field(default_factory=list)
    verdicts: list[tuple[str, str]] = field(default_factory=list)

    def verdict(self, status: str, text: str) -> None:
        """The chapter's verdict on its paper: `status` is one of VERDICTS, `text` its evidence.

        Shown under the claims table and in the reproducibility report. A chapter may give one
        verdict per part of the paper it covers; it is judged from the chapter's own numbers, so
        compute `status` from them where it can change with the parameters.
        """
        if status not in VERDICTS:
            raise ValueError(f"verdict status must be one of {VERDICTS}, got {status!r}")
        if not text.strip():
            raise ValueError("a verdict needs its evidence (text)")
        self.verdicts.append((status, text.strip()))

    def check(self, name: str, value: float, *, lt: float | None = None, le: float | None = None,
              gt: float | None = None, ge: float | None = None, approx: tuple[float, float] | None = None,
              paper: str = "", digits: int = 4, tiny: bool = False, premises: tuple[str, ...] | list[str] = (),
              null: tuple[float, str] | None = None) -> float:
        """Record `value` under `name`, glue it, and test it against the given bounds.

        `approx=(target, tol)` means |value − target| ≤ tol. The bounds are tested on the
        exact value; the glued and shown value is rounded to `digits` significant digits,
        or, with `tiny=True` (a rounding-level error), is the bound `below(value)`.
        `premises` names the chapter parameters the claim rests on. `null=(value, label)` is the
        same quantity where the statement predicts the opposite; the claim holds only if the null
        misses the bound (a nan null holds nothing and fails the claim). The null is glued as
        `<name>_null`, to `digits` significant digits. Returns the value.
        """
        from myst_nb import glue as _glue

        value = float(value)
        meets, text = _bounds(lt=lt, le=le, gt=gt, ge=ge, approx=approx)
        if not text:
            raise ValueError(f"claim {name!r} needs a bound (lt, le, gt, ge or approx)")
        value_holds = meets(value)
        passed = value_holds
        null_row = None
        if null is not None:
            if not (isinstance(null, tuple) and len(null) == 2 and isinstance(null[1], str) and null[1].strip()):
                raise ValueError(f"claim {name!r}: null must be (value, label), got {null!r}")
            null_value = float(null[0])
            null_holds = meets(null_value) if math.isfinite(null_value) else True  # nan falsifies nothing
            null_stored = significant(null_value, digits)
            null_row = {"value": f"{null_stored:.{digits}g}", "label": null[1].strip(), "holds": null_holds}
            passed = passed and not null_holds
            _glue(f"{name}_null", null_stored, display=False)
        stored = below(value) if tiny else significant(value, digits)
        shown = bound_text(value) if tiny else f"{stored:.{digits}g}"
        _glue(name, stored, display=False)
        self.rows.append(Claim(name, stored, shown, " and ".join(text), paper, tuple(premises), passed,
                               value_holds, null_row))
        return value

    def summary(self) -> None:
        """Display the table of claims and raise `AssertionError` if any failed."""
        from html import escape

        from IPython.display import display

        def null_text(c: Claim) -> str:
            return f"{c.null['value']} ({c.null['label']})" if c.null else "—"

        width = max(len(c.name) for c in self.rows)
        lines = [f"{'claim':<{width}}  {'value':>12}  {'expected':<24} ok   null"]
        lines += [f"{c.name:<{width}}  {c.shown:>12}  {c.expected:<24} {'yes' if c.passed else 'NO ':<4} {null_text(c)}"
                  for c in self.rows]

        def wrap(name: str) -> str:   # long names break after an underscore, not mid-word
            return escape(name).replace("_", "_<wbr>")

        html = ['<table class="claims-table"><thead><tr><th>claim (what the paper says)</th><th>value</th>'
                "<th>expected</th><th>null: the same quantity where it should fail</th><th>premises</th>"
                "<th>holds</th></tr></thead><tbody>"]
        html += [f"<tr><td><code>{wrap(c.name)}</code><br><small>{escape(c.paper)}</small></td>"
                 f"<td>{escape(c.shown)}</td><td>{escape(c.expected)}</td>"
                 f"<td>{escape(null_text(c))}</td>"
                 f"<td>{', '.join(f'<code>{wrap(p)}</code>' for p in c.premises) or '—'}</td>"
                 f"<td>{'✔' if c.passed else '✘'}</td></tr>" for c in self.rows]
        html.append("</tbody></table>")
        lines += [f"verdict: {status}. {text}" for status, text in self.verdicts]
        html += [f'<div class="verdict"><p><strong>Verdict: {escape(status)}.</strong> {escape(text)}</p></div>'
                 for status, text in self.verdicts]
        payload = [{"name": c.name, "value": c.shown, "expected": c.expected, "paper": c.paper,
                    "premises": list(c.premises), "passed": c.passed, "value_holds": c.value_holds,
                    "null": c.null} for c in self.rows]
        verdicts = [{"status": status, "text": text} for status, text in self.verdicts]
        display({"text/plain": "\n".join(lines), "text/html": "".join(html),
                 "application/json": {"claims": payload, "verdicts": verdicts}}, raw=True)
        failed = [f"{c.name} = {c.shown} (expected {c.expected}"
                  + (f"; its null {null_text(c)} {'also meets the bound' if c.null['holds'] else 'does not'}"
                     if c.null else "") + ")" for c in self.rows if not c.passed]
        if failed:
            raise AssertionError("claims that do not hold: " + "; ".join(failed))
