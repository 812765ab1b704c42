"""REDCap's branching logic and calculations (`show_if`, `calculation`): parsed once into a tree, then evaluated.

The syntax is REDCap's: `[field] = '1' and ([age] > 18 or [consent(2)] = '1')`, `round([weight]/(([height]/100)^2),1)`,
`datediff([dob], [visit], "y")`, `if([x] > 1, 1, 0)`. Values are those of one entry; a blank operand makes arithmetic
blank, as in REDCap. A tree is plain lists (`to_json`), so a browser evaluates the same tree the server does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from oncobank.dictionary.schema import Section

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>\d+(?:\.\d*)?|\.\d+)
    | (?P<str>'[^']*'|"[^"]*")
    | (?P<ref>\[[A-Za-z_][A-Za-z0-9_]*(?:\([^()\[\]]+\))?\])
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op><>|!=|<=|>=|==|[=<>+\-*/^(),])
    )""",
    re.VERBOSE,
)
_CHECKBOX = re.compile(r"\[([A-Za-z_][A-Za-z0-9_]*)(?:\(([^()\[\]]+)\))?\]")
_COMPARE = {"=", "==", "<>", "!=", "<", "<=", ">", ">="}
_BINDING = {"or": 1, "and": 2, **dict.fromkeys(_COMPARE, 4), "+": 5, "-": 5, "*": 6, "/": 6, "^": 8}
_DAYS = {"y": 365.2425, "M": 30.44, "d": 1.0, "h": 1 / 24, "m": 1 / 1440, "s": 1 / 86400}


class LogicError(ValueError):
    """Logic that cannot be read; the message says where."""


@dataclass(frozen=True)
class Logic:
    """One parsed expression: its tree and the fields it reads."""

    text: str
    tree: tuple[Any, ...]
    fields: frozenset[str]

    def evaluate(self, values: Mapping[str, Any]) -> Any:
        """The value for one entry's `values` (field → canonical value); None is blank."""
        return _eval(self.tree, values)

    def holds(self, values: Mapping[str, Any]) -> bool:
        """A condition's truth for one entry (a blank or an error is false, as REDCap hides the field)."""
        try:
            return _truth(self.evaluate(values))
        except (ArithmeticError, ValueError, TypeError):
            return False

    def to_json(self) -> Any:
        return _listed(self.tree)


@lru_cache(maxsize=1024)
def parse(text: str) -> Logic:
    """Parse REDCap logic; raise LogicError naming the place it stops making sense."""
    tokens = _tokens(text)
    parser = _Parser(text, tokens)
    tree = parser.expression(0)
    if parser.at < len(tokens):
        raise LogicError(f"unexpected {tokens[parser.at][1]!r} at character {tokens[parser.at][2] + 1}")
    return Logic(text, tree, frozenset(_refs(tree)))


def rename(text: str, names: Mapping[str, str]) -> str:
    """`text` with each `[field]` (and `[field(code)]`) renamed through `names`; others stay as written."""

    def one(m: re.Match[str]) -> str:
        name = names.get(m.group(1), m.group(1))
        return f"[{name}({m.group(2)})]" if m.group(2) is not None else f"[{name}]"

    return _CHECKBOX.sub(one, text)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    found: list[tuple[str, str, int]] = []
    at = 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        m = _TOKEN.match(text, at)
        if m is None or m.lastgroup is None:
            start = len(text) - len(text[at:].lstrip())
            raise LogicError(f"cannot read {text[start:start + 10]!r} at character {start + 1}")
        found.append((m.lastgroup, m.group(m.lastgroup), m.start(m.lastgroup)))
        at = m.end()
    if not found:
        raise LogicError("empty logic")
    return found


class _Parser:
    """Precedence climbing over the tokens; `at` is the next token."""

    def __init__(self, text: str, tokens: list[tuple[str, str, int]]):
        self.text, self.tokens, self.at = text, tokens, 0

    def _peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _next(self) -> tuple[str, str, int]:
        token = self._peek()
        if token is None:
            raise LogicError("the logic ends too early")
        self.at += 1
        return token

    def _expect(self, op: str) -> None:
        _, value, where = self._next()
        if value != op:
            raise LogicError(f"expected {op!r} at character {where + 1}, found {value!r}")

    def expression(self, floor: int) -> tuple[Any, ...]:
        left = self._prefix()
        while (token := self._peek()) is not None:
            op = token[1].lower() if token[0] == "word" else token[1]
            power = _BINDING.get(op) if token[0] in ("op", "word") else None
            if power is None or power <= floor:
                break
            self.at += 1
            right = self.expression(power - 1 if op == "^" else power)  # ^ binds to the right
            left = ("op", op, left, right)
        return left

    def _prefix(self) -> tuple[Any, ...]:
        kind, value, where = self._next()
        if kind == "num":
            return ("num", float(value))
        if kind == "str":
            return ("str", value[1:-1])
        if kind == "ref":
            m = _CHECKBOX.fullmatch(value)
            assert m is not None
            return ("chk", m.group(1), m.group(2)) if m.group(2) is not None else ("ref", m.group(1))
        if value == "(":
            inner = self.expression(0)
            self._expect(")")
            return inner
        if value == "-":
            return ("neg", self.expression(7))
        if kind == "word" and value.lower() == "not":
            return ("not", self.expression(3))
        if kind == "word" and value.lower() in ("true", "false"):
            return ("num", 1.0 if value.lower() == "true" else 0.0)
        if kind == "word":
            name = value.lower()
            if name not in _FUNCTIONS:
                raise LogicError(f"unknown function {value!r} at character {where + 1}")
            self._expect("(")
            args: list[tuple[Any, ...]] = []
            if self._peek() is not None and self._peek()[1] == ")":  # type: ignore[index]
                self.at += 1
            else:
                while True:
                    args.append(self.expression(0))
                    sep = self._next()
                    if sep[1] == ")":
                        break
                    if sep[1] != ",":
                        raise LogicError(f"expected ',' or ')' at character {sep[2] + 1}, found {sep[1]!r}")
            return ("call", name, tuple(args))
        raise LogicError(f"unexpected {value!r} at character {where + 1}")


def _refs(tree: tuple[Any, ...]) -> set[str]:
    kind = tree[0]
    if kind in ("ref", "chk"):
        return {tree[1]}
    if kind == "op":
        return _refs(tree[2]) | _refs(tree[3])
    if kind in ("neg", "not"):
        return _refs(tree[1])
    if kind == "call":
        return set().union(*(_refs(a) for a in tree[2])) if tree[2] else set()
    return set()


def _listed(tree: Any) -> Any:
    return [_listed(t) for t in tree] if isinstance(tree, tuple) else tree


def _plain(value: Any) -> Any:
    """A stored value as REDCap logic sees it: blank "", booleans "1"/"0", dates ISO text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict) and "value" in value:  # a lab value with its qualifier or range
        return _plain(value["value"])
    if isinstance(value, dict):  # a missing-data code counts as blank
        return ""
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value.strip():
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _truth(value: Any) -> bool:
    if value is None or value == "":
        return False
    number = _number(value)
    return number != 0 if number is not None else bool(value)


def _compare(op: str, a: Any, b: Any) -> bool:
    x, y = _number(a), _number(b)
    if x is None or y is None:  # text, or a blank: compared as written
        x, y = str(a), str(b)  # type: ignore[assignment]
    return {
        "=": x == y, "==": x == y, "<>": x != y, "!=": x != y,
        "<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y,  # type: ignore[operator]
    }[op]


def _arithmetic(op: str, a: Any, b: Any) -> float | None:
    x, y = _number(a), _number(b)
    if x is None or y is None:
        return None
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "/":
        return x / y if y else None  # REDCap leaves a division by zero blank
    return x**y


def _eval(tree: tuple[Any, ...], values: Mapping[str, Any]) -> Any:
    kind = tree[0]
    if kind in ("num", "str"):
        return tree[1]
    if kind == "ref":
        return _plain(values.get(tree[1]))
    if kind == "chk":
        held = values.get(tree[1])
        codes = held if isinstance(held, list) else [] if held is None else [held]
        return "1" if tree[2] in {str(c) for c in codes} else "0"
    if kind == "neg":
        inner = _number(_eval(tree[1], values))
        return None if inner is None else -inner
    if kind == "not":
        return not _truth(_eval(tree[1], values))
    if kind == "op":
        op = tree[1]
        if op == "or":
            return _truth(_eval(tree[2], values)) or _truth(_eval(tree[3], values))
        if op == "and":
            return _truth(_eval(tree[2], values)) and _truth(_eval(tree[3], values))
        a, b = _eval(tree[2], values), _eval(tree[3], values)
        return _compare(op, a, b) if op in _COMPARE else _arithmetic(op, a, b)
    assert kind == "call"
    return _FUNCTIONS[tree[1]](values, tree[2])


def _numbers(values: Mapping[str, Any], args: tuple[Any, ...]) -> list[float | None]:
    return [_number(_eval(a, values)) for a in args]


def _rounding(how: Callable[[float], float]) -> Callable[[Mapping[str, Any], tuple[Any, ...]], float | None]:
    def go(values: Mapping[str, Any], args: tuple[Any, ...]) -> float | None:
        x, *rest = _numbers(values, args)
        places = int(rest[0] or 0) if rest else 0
        return None if x is None else how(x * 10**places) / 10**places

    return go


def _half_up(x: float) -> float:
    return math.floor(abs(x) + 0.5) * (1 if x >= 0 else -1)  # REDCap rounds halves away from zero


def _over(reduce: Callable[[list[float]], float]) -> Callable[[Mapping[str, Any], tuple[Any, ...]], float | None]:
    def go(values: Mapping[str, Any], args: tuple[Any, ...]) -> float | None:
        present = [x for x in _numbers(values, args) if x is not None]
        return reduce(present) if present else None

    return go


def _if(values: Mapping[str, Any], args: tuple[Any, ...]) -> Any:
    if len(args) != 3:
        raise ValueError("if() takes a condition and two values")
    return _eval(args[1] if _truth(_eval(args[0], values)) else args[2], values)


def _datediff(values: Mapping[str, Any], args: tuple[Any, ...]) -> float | None:
    if len(args) < 3:
        raise ValueError('datediff() takes two dates and a unit ("y", "M", "d", "h", "m", "s")')
    first, second = (_date(_eval(a, values)) for a in args[:2])
    unit = str(_eval(args[2], values))
    last = _eval(args[-1], values)
    signed = len(args) > 3 and last not in ("ymd", "mdy", "dmy") and _truth(last)  # the optional last argument
    if first is None or second is None or unit not in _DAYS:
        return None
    days = (second - first).total_seconds() / 86400
    return (days if signed else abs(days)) / _DAYS[unit]


def _date(value: Any) -> datetime | None:
    if value == "today":
        return datetime.combine(date.today(), datetime.min.time())
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


_FUNCTIONS: dict[str, Callable[[Mapping[str, Any], tuple[Any, ...]], Any]] = {
    "round": _rounding(_half_up),
    "roundup": _rounding(lambda x: float(math.ceil(x)) if x >= 0 else float(math.floor(x))),
    "rounddown": _rounding(lambda x: float(math.floor(x)) if x >= 0 else float(math.ceil(x))),
    "abs": lambda v, a: None if (x := _numbers(v, a)[0]) is None else abs(x),
    "sqrt": lambda v, a: None if (x := _numbers(v, a)[0]) is None or x < 0 else math.sqrt(x),
    "min": _over(min),
    "max": _over(max),
    "sum": _over(sum),
    "mean": _over(lambda xs: sum(xs) / len(xs)),
    "if": _if,
    "datediff": _datediff,
    "isnumber": lambda v, a: _number(_eval(a[0], v)) is not None,
}


@dataclass(frozen=True)
class SectionLogic:
    """What one section's fields say about each other: when a field is shown, and which fields are computed.

    Only logic that reads fields of the same section applies (one entry holds them); `skipped` lists the rest as
    (field, "show_if" or "calculation", why), so an importer can say what it kept without applying.
    """

    shown_if: dict[str, Logic]
    calculated: dict[str, Logic]
    skipped: list[tuple[str, str, str]]

    def hidden(self, name: str, values: Mapping[str, Any]) -> bool:
        logic = self.shown_if.get(name)
        return logic is not None and not logic.holds(values)

    def compute(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The calculated fields' values for one entry (blank ones left out), each from the values before it."""
        out: dict[str, Any] = {}
        for name, logic in self.calculated.items():
            try:
                value = logic.evaluate({**values, **out})
            except (ArithmeticError, ValueError, TypeError):
                value = None
            if value is not None and value != "":
                out[name] = value
        return out


def section_logic(section: Section) -> SectionLogic:
    """Parse the `show_if` and `calculation` texts of a section's fields."""
    known = {f.name for f in section.fields}
    parsed: dict[str, dict[str, Logic]] = {"show_if": {}, "calculation": {}}
    skipped: list[tuple[str, str, str]] = []
    for kind, what in (("show_if", "branching logic"), ("calculation", "calculation")):
        texts = {f.name: getattr(f, kind) for f in section.fields if getattr(f, kind)}
        for name, text in texts.items():
            try:
                logic = parse(text)
            except LogicError as exc:
                skipped.append((name, kind, f"{what} {text!r} cannot be read ({exc})"))
                continue
            outside = sorted(logic.fields - known)
            if outside:
                skipped.append((name, kind, f"{what} {text!r} reads fields outside its form: {', '.join(outside)}"))
                continue
            parsed[kind][name] = logic
    return SectionLogic(parsed["show_if"], parsed["calculation"], skipped)
