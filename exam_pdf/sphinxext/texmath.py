"""A strict grammar for the math a report may pass to TeX.

TeX runs what it is given: a formula that leaves math mode (``\\)``, ``$``), opens an
environment it never closes, or asks for 999999 array columns can stop the build
with an error or keep the engine busy until its timeout. A report's formula is
therefore passed to TeX only when it parses here, token by token:

- control words from an allowlist of math commands, each given the arguments it needs;
- braces balanced and nested at most :data:`MAX_DEPTH` deep;
- no mode switches (``\\(`` ``\\)`` ``\\[`` ``\\]`` ``$``), no ``#``, ``%`` or ``^^``;
- ``\\begin``/``\\end`` only for a few environments, properly nested, an array's
  column specification short and plain (``*{N}`` repetition at most :data:`MAX_COLUMNS`);
- ``&`` and ``\\\\`` only where an alignment takes them, no double superscript or subscript;
- at most :data:`MAX_MATH` characters.

:func:`refusal` says why a formula is refused; the LaTeX writer prints such a
formula as code, with a ``math-as-code`` finding.
"""

from __future__ import annotations

import dataclasses
import re

MAX_MATH = 2000
MAX_DEPTH = 40
MAX_COLUMNS = 20

_GREEK = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi rho "
    "varrho sigma varsigma tau upsilon phi varphi chi psi omega "
    "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega"
)
_SYMBOLS = (
    "sum prod coprod int iint iiint oint lim limsup liminf sup inf max min arg log ln exp sin cos tan cot sec csc "
    "arcsin arccos arctan sinh cosh tanh det dim ker deg gcd Pr cdot cdots ldots dots vdots ddots times div pm mp "
    "leq geq le ge neq ne approx sim simeq cong equiv propto infty partial nabla forall exists nexists in notin ni "
    "subset subseteq supset supseteq cup cap bigcup bigcap setminus emptyset varnothing to rightarrow leftarrow "
    "Rightarrow Leftarrow leftrightarrow Leftrightarrow longrightarrow Longrightarrow mapsto implies iff gets "
    "uparrow downarrow quad qquad top bot intercal circ star ast bullet oplus otimes odot bigoplus bigotimes "
    "langle rangle lceil rceil lfloor rfloor vert Vert lvert rvert lVert rVert mid parallel perp angle prime ell "
    "hbar Re Im aleph lbrace rbrace backslash colon neg lnot land lor wedge vee ll gg prec succ preceq succeq "
    "displaystyle textstyle scriptstyle scriptscriptstyle limits nolimits not dagger triangleq doteq models vdash "
    "checkmark therefore because"
)
#: Commands that take that many mandatory arguments.
_ARGUMENTS = {
    **dict.fromkeys("frac dfrac tfrac binom dbinom tbinom overset underset stackrel".split(), 2),
    **dict.fromkeys(
        "sqrt mathbb mathbf mathrm mathcal mathit mathsf mathtt mathfrak boldsymbol text textbf textit textrm "
        "texttt operatorname hat bar tilde vec dot ddot check breve acute grave overline underline widehat "
        "widetilde overbrace underbrace overrightarrow overleftarrow boxed phantom".split(),
        1,
    ),
}
#: Commands whose argument is text, and what may be in it besides plain characters.
_TEXT = frozenset("text textbf textit textrm texttt".split())
_IN_TEXT = frozenset({"\\{", "\\}", "\\_", "\\&", "\\%", "\\$", "\\#", "\\,", "\\ "})
_NOT_IN_TEXT = frozenset("^_&#%$~")
#: Commands that size the delimiter after them.
_SIZED = frozenset("big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr bigm Bigm".split())
COMMANDS = frozenset((_GREEK + " " + _SYMBOLS).split()) | frozenset(_ARGUMENTS) | _SIZED | {"left", "right", "middle"}
#: Environments and how many columns each may have (array: from its column specification).
ENVIRONMENTS = {
    "matrix": 10,
    "pmatrix": 10,
    "bmatrix": 10,
    "Bmatrix": 10,
    "vmatrix": 10,
    "Vmatrix": 10,
    "smallmatrix": 10,
    "cases": 2,
    "aligned": MAX_COLUMNS,
    "gathered": 1,
    "array": 0,
}
#: Control symbols that print something (a brace, a space, a bar) and switch nothing.
_SYMBOL_OK = set("{}_&$%,;:! |>#")
_DELIMITERS = set("()[]|./<>") | {
    "\\{",
    "\\}",
    "\\|",
    "\\langle",
    "\\rangle",
    "\\lfloor",
    "\\rfloor",
    "\\lceil",
    "\\rceil",
    "\\vert",
    "\\Vert",
    "\\lvert",
    "\\rvert",
    "\\lVert",
    "\\rVert",
    "\\uparrow",
    "\\downarrow",
    "\\backslash",
}
_TOKEN = re.compile(r"\\[a-zA-Z]+|\\.|\\$|.", re.S)
_COLUMN_SPEC = re.compile(r"(?:[lcr|]|\*\{(\d{1,3})\}\{([lcr|]{1,5})\})+")


class _Refused(Exception):
    pass


def refusal(tex: str, display: bool = False) -> str | None:
    """Why ``tex`` may not be passed to TeX, or None when it may.

    ``display``: a displayed formula, which the LaTeX writer wraps in an alignment
    (``split``) of one ``&`` per line.
    """
    if len(tex) > MAX_MATH:
        return f"longer than {MAX_MATH} characters"
    if "^^" in tex:
        return "'^^' (a TeX character code)"
    try:
        _Parser(_TOKEN.findall(tex), display).run()
    except _Refused as exc:
        return str(exc)
    return None


@dataclasses.dataclass
class _Level:
    """An open group or environment."""

    kind: str  # "top", "{" (a group), "arg" (a command's braced argument) or an environment
    columns: int  # columns an alignment row may have (0: no '&' or '\\\\' here)
    tabs: int = 0  # '&' in the current row
    lefts: int = 0  # \\left not yet closed by \\right
    scripts: str = ""  # '^' and '_' given to the current atom


class _Parser:
    """One pass over the tokens, with a stack of open groups and environments."""

    def __init__(self, tokens: list[str], display: bool) -> None:
        self.tokens = tokens
        self.at = 0
        self.stack = [_Level("top", 2 if display else 0)]

    def next(self) -> str | None:
        while self.at < len(self.tokens) and self.tokens[self.at].isspace():
            self.at += 1
        if self.at >= len(self.tokens):
            return None
        self.at += 1
        return self.tokens[self.at - 1]

    def peek(self) -> str | None:
        at = self.at
        token = self.next()
        self.at = at
        return token

    def run(self) -> None:
        while (token := self.next()) is not None:
            self.token(token)
        if len(self.stack) > 1:
            kind = self.stack[-1].kind
            raise _Refused("an unclosed '{'" if kind in ("{", "arg") else f"\\begin{{{kind}}} without \\end")
        if self.stack[0].lefts:
            raise _Refused("\\left without \\right")

    def token(self, token: str) -> None:
        level = self.stack[-1]
        if token == "{":
            self.open("{")
        elif token == "}":
            self.close("{")
        elif token in ("^", "_"):
            if token in level.scripts:
                raise _Refused(f"a double {'superscript' if token == '^' else 'subscript'}")
            level.scripts += token
            self.argument()
        elif token == "'":
            if "^" in level.scripts:
                raise _Refused("a double superscript")
        elif token == "&":
            level.tabs += 1
            if level.tabs >= level.columns:
                raise _Refused("'&' outside an alignment, or more columns than it has")
            level.scripts = ""
        elif token in ("#", "%", "$"):
            raise _Refused(f"'{token}'")
        elif token.startswith("\\"):
            self.command(token)
        else:
            level.scripts = ""

    def command(self, token: str) -> None:
        name = token[1:]
        level = self.stack[-1]
        if token == "\\\\":
            if not level.columns:
                raise _Refused("'\\\\' outside an alignment")
            level.tabs, level.scripts = 0, ""
            if self.peek() == "[":  # an optional skip, \\\\[2pt]
                self.bracket()
            return
        if len(name) == 1 and not name.isalpha():
            if name not in _SYMBOL_OK:
                raise _Refused(f"'{token}'")
            level.scripts = ""
        elif name == "begin":
            self.begin()
        elif name == "end":
            self.end()
        elif name in ("left", "right", "middle"):
            self.delimiter(token)
            level.lefts += {"left": 1, "right": -1, "middle": 0}[name]
            if level.lefts < 0 or (name == "middle" and not level.lefts):
                raise _Refused(f"\\{name} without \\left")
            level.scripts = ""
        elif name in _SIZED:
            self.delimiter(token)
            level.scripts = ""
        elif name in _TEXT:
            self.text(token)
            level.scripts = ""
        elif name in _ARGUMENTS:
            if name == "sqrt" and self.peek() == "[":
                self.bracket()
            for _ in range(_ARGUMENTS[name]):
                self.argument()
            level.scripts = ""
        elif name in COMMANDS:
            if name not in ("limits", "nolimits"):
                level.scripts = ""
        else:
            raise _Refused(f"'{token}' is not an allowed math command")

    def argument(self) -> None:
        """A command's or script's argument: one token, or a braced group read to its end."""
        token = self.next()
        if token is None or token in ("}", "&", "^", "_", "'", "\\\\", "\\begin", "\\end", "\\left", "\\right"):
            raise _Refused("a command without its argument")
        if token == "{":
            depth = len(self.stack)
            self.open("arg")
            while len(self.stack) > depth:
                inner = self.next()
                if inner is None:
                    raise _Refused("an unclosed '{'")
                self.token(inner)
        elif token.startswith("\\") and token[1:] in _ARGUMENTS:
            raise _Refused("a command as another command's argument, without braces")
        elif token.startswith("\\"):
            self.command(token)
        elif token in ("#", "%", "$", "~"):
            raise _Refused(f"'{token}'")

    def open(self, kind: str, columns: int = 0) -> None:
        if len(self.stack) > MAX_DEPTH:
            raise _Refused(f"nested more than {MAX_DEPTH} deep")
        # A group of an alignment's cell takes no '&' of its own: TeX stops at one.
        self.stack.append(_Level(kind, columns))

    def close(self, kind: str) -> None:
        level = self.stack[-1]
        if len(self.stack) == 1:
            raise _Refused("a '}' without its '{'")
        if (level.kind in ("{", "arg")) != (kind == "{") or (kind != "{" and level.kind != kind):
            raise _Refused(
                f"\\begin{{{level.kind}}} closed by '}}'" if kind == "{" else f"\\end{{{kind}}} out of order"
            )
        if level.lefts:
            raise _Refused("\\left without \\right")
        self.stack.pop()
        if level.kind != "arg":  # a group or environment is a new atom; an argument is not
            self.stack[-1].scripts = ""

    def name(self) -> str:
        if self.next() != "{":
            raise _Refused("\\begin or \\end without an environment's name")
        name = ""
        token = self.next()
        while token is not None and token != "}" and len(name) <= 20:
            name += token
            token = self.next()
        if token != "}":
            raise _Refused("an environment's name not closed")
        return name

    def begin(self) -> None:
        name = self.name()
        if name not in ENVIRONMENTS:
            raise _Refused(f"environment '{name}' is not allowed")
        self.open(name, self.column_spec() if name == "array" else ENVIRONMENTS[name])

    def end(self) -> None:
        name = self.name()
        if self.stack[-1].kind != name:
            raise _Refused(f"\\end{{{name}}} without its \\begin")
        self.close(name)

    def column_spec(self) -> int:
        """An array's columns: l, c, r and | only, ``*{N}{...}`` at most :data:`MAX_COLUMNS` in all."""
        if self.next() != "{":
            raise _Refused("an array without its column specification")
        spec, depth = "", 1
        while depth and len(spec) <= 40:
            token = self.next()
            if token is None:
                raise _Refused("an array's column specification not closed")
            depth += {"{": 1, "}": -1}.get(token, 0)
            spec += token if depth else ""
        if depth or not _COLUMN_SPEC.fullmatch(spec):
            raise _Refused(f"array columns '{spec[:40]}' (only l, c, r, | and *{{N}}{{...}})")
        repeated = re.findall(r"\*\{(\d+)\}\{([lcr|]+)\}", spec)
        columns = sum(int(n) * sum(c in "lcr" for c in cols) for n, cols in repeated)
        columns += sum(c in "lcr" for c in re.sub(r"\*\{\d+\}\{[lcr|]+\}", "", spec))
        if not 0 < columns <= MAX_COLUMNS:
            raise _Refused(f"an array of {columns} columns (at most {MAX_COLUMNS})")
        return columns

    def text(self, command: str) -> None:
        """The argument of ``\\text`` and its kind: text, not math (``^``, ``_``, ``&`` stop TeX there)."""
        if self.next() != "{":
            raise _Refused(f"{command} without braces")
        depth = 1
        while depth:
            token = self.next()
            if token is None:
                raise _Refused("an unclosed '{'")
            depth += {"{": 1, "}": -1}.get(token, 0)
            if depth > MAX_DEPTH:
                raise _Refused(f"nested more than {MAX_DEPTH} deep")
            if token in _NOT_IN_TEXT or (token.startswith("\\") and token not in _IN_TEXT):
                raise _Refused(f"'{token}' in {command}{{...}}")

    def bracket(self) -> None:
        """An optional argument ``[...]``: a plain length or number."""
        self.next()
        text = ""
        while (token := self.next()) != "]":
            if token is None or len(text) > 20 or not re.fullmatch(r"[\w.+-]", token):
                raise _Refused("an optional argument '[...]' that is not a plain length")
            text += token

    def delimiter(self, command: str) -> None:
        if self.next() not in _DELIMITERS:
            raise _Refused(f"{command} without a delimiter")
