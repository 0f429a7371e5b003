"""PS3.15 Table E.1-1 (profile_table.json, built by scripts/build_deidentification_table.py):
which action the Basic Profile and each option give an attribute.

Options combine as the standard lets them: an option's action replaces the Basic Profile's for
the attributes it names, and where two chosen options name the same attribute, the one that
retains more wins (K over C over the rest). The compound codes are decided without looking
up the IOD, taking the choice that keeps the attribute valid whatever its type: Z/D, X/D and
X/Z/D act as D (a Type 1 attribute must have a value), X/Z as Z, and X/Z/U* (sequences of
references) keeps the sequence, whose UIDs the table replaces as U inside it.
"""

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydicom.tag import BaseTag

TABLE_PATH = Path(__file__).with_name("profile_table.json")
SAFE_PRIVATE_PATH = Path(__file__).with_name("safe_private_table.json")
PRIVATE_ROW = "private"

# "D", "Z", "X", "U", "K" (keep; sequences processed item by item) or "C" (clean)
COMPOUND_ACTIONS = {"Z/D": "D", "X/D": "D", "X/Z/D": "D", "X/Z": "Z", "X/Z/U*": "K"}
_RETAINING_ORDER = ("K", "C")
_TAG = re.compile(r"\(([0-9A-FX]{4}),([0-9A-FX]{4})\)")


@dataclass(frozen=True)
class ProfileRow:
    tag: str
    name: str
    actions: dict[str, str]  # "basic" and option name -> action code as the table gives it


@dataclass(frozen=True)
class ProfileTable:
    options: tuple[str, ...]
    exact: dict[int, ProfileRow]
    masked: tuple[tuple[int, int, ProfileRow], ...]  # (value, mask over the 32-bit tag, row)
    private: ProfileRow

    def row(self, tag: BaseTag) -> ProfileRow | None:
        if tag.is_private:
            return self.private
        if tag in self.exact:
            return self.exact[tag]
        for value, mask, row in self.masked:
            if tag & mask == value:
                return row
        return None

    def action(self, tag: BaseTag, options: frozenset[str]) -> str:
        """The action for `tag` under the Basic Profile with `options`: D, Z, X, U, K or C."""
        row = self.row(tag)
        if row is None:
            return "K"
        return resolve(row, options)


def resolve(row: ProfileRow, options: frozenset[str]) -> str:
    chosen = [row.actions[option] for option in options if option in row.actions]
    for action in _RETAINING_ORDER:
        if action in chosen:
            return action
    code = chosen[0] if chosen else row.actions["basic"]
    return COMPOUND_ACTIONS.get(code, code)


@lru_cache(maxsize=1)
def profile_table() -> ProfileTable:
    document = json.loads(TABLE_PATH.read_text())
    exact: dict[int, ProfileRow] = {}
    masked = []
    private = None
    for entry in document["attributes"]:
        row = ProfileRow(entry["tag"], entry["name"], {k: v for k, v in entry.items() if k not in ("tag", "name")})
        if row.tag == PRIVATE_ROW:
            private = row
            continue
        match = _TAG.fullmatch(row.tag)
        digits = match[1] + match[2]
        value = int(digits.replace("X", "0"), 16)
        mask = int("".join("0" if digit == "X" else "F" for digit in digits), 16)
        if mask == 0xFFFFFFFF:
            exact[value] = row
        else:
            masked.append((value, mask, row))
    return ProfileTable(tuple(document["options"]), exact, tuple(masked), private)


@lru_cache(maxsize=1)
def safe_private_attributes() -> frozenset[tuple[str, int, int]]:
    """PS3.15 Table E.3.10-1 (safe_private_table.json): (Private Creator, group, element within
    the block) of each private attribute the Retain Safe Private Option keeps."""
    rows = json.loads(SAFE_PRIVATE_PATH.read_text())["attributes"]
    return frozenset((row["creator"].strip(), int(row["tag"][1:5], 16), int(row["tag"][8:10], 16)) for row in rows)
