"""Bibliography labels that match the author–year citations in the text.

The text cites as "Zhang et al. (2025)" and "(Zhang et al., 2025)": round brackets, as the
claims tables' plain text writes them (`bibtex_reference_style: author_year_round`, registered
here; sphinxcontrib-bibtex's `author_year` uses square ones). pybtex's default label style
prints keys like "[ZSL25]" in the bibliography, which a reader cannot match to the text. This style labels each entry "Zhang et al. 2025" and sorts by author and
year; arXiv identifiers (`eprint`) become links (pybtex's `unsrt` formatting does that).
"""

import dataclasses

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting.author_year_title import SortingStyle
from sphinxcontrib.bibtex.plugin import register_plugin as register_bibtex_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle


def _last(person) -> str:
    return " ".join(person.rich_last_names and [str(n) for n in person.rich_last_names] or person.last_names)


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            names = [_last(p).replace("{", "").replace("}", "") for p in entry.persons.get("author", [])]
            who = (names[0] if len(names) == 1 else " & ".join(names) if len(names) == 2
                   else f"{names[0]} et al." if names else entry.key)
            yield f"{who} {entry.fields.get('year', '')}".strip()


class AuthorYearStyle(UnsrtStyle):
    default_label_style = AuthorYearLabels
    default_sorting_style = SortingStyle


def _round() -> BracketStyle:
    return BracketStyle(left="(", right=")")


@dataclasses.dataclass
class RoundAuthorYear(AuthorYearReferenceStyle):
    bracket_parenthetical: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_textual: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_author: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_label: BracketStyle = dataclasses.field(default_factory=_round)
    bracket_year: BracketStyle = dataclasses.field(default_factory=_round)


def setup(app):
    register_bibtex_plugin("sphinxcontrib.bibtex.style.referencing", "author_year_round", RoundAuthorYear)
    register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabels)
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
