"""Mutants of Python source: one small change at one place, made on its syntax tree.

A mutant is what a student's single slip would make of a correct module: a
sign flipped, a term dropped, the wrong axis, a transpose too many or too few,
the 1/N forgotten, the neighbouring layer's index, ``>=`` for ``>``. The check
audit (`checker.audit`) grades each mutant of the reference as a submission;
a mutant that earns full marks shows a place where the checks are weak, unless
it computes what the reference computes.

The operators, by the name `Mutant.operator` carries:

=====================  ==========================================================
``arithmetic``         ``+`` <-> ``-``, ``*`` <-> ``/``
``unary minus``        ``-x`` -> ``x``; and ``-(...)`` put around the value of a
                       ``return`` or of an assignment to a name or an item
``term dropped``       ``a + b`` -> ``a`` or ``b``; ``a - b`` -> ``a`` or ``-b``
``axis``               ``axis=0`` <-> ``axis=1``, ``axis=-1`` -> ``axis=0``
``transpose``          ``x.T`` -> ``x``; ``a @ b`` -> ``a.T @ b`` or ``a @ b.T``
``1/N removed``        ``x / N``, ``x / len(...)``, ``x / a.shape[i]``,
                       ``x / a.size`` -> ``x``; ``mean`` -> ``sum``
``off by one``         an index, a slice bound or an argument of ``range``:
                       ``k`` -> ``k - 1`` and ``k + 1`` (literals folded)
``comparison``         ``>`` <-> ``>=``, ``<`` <-> ``<=``
``maximum/minimum``    ``maximum`` <-> ``minimum``, ``max`` <-> ``min`` (as an
                       attribute: ``np.maximum``, ``z.max``)
``keepdims removed``   ``keepdims=True`` taken out of a call
``constant``           ``0.5`` -> ``1``, ``1`` -> ``0``, ``2`` -> ``1``
=====================  ==========================================================

Only code inside functions is mutated, and not all of it: docstrings,
annotations, decorators, f-strings, string concatenations and ``raise``
statements are left alone, since they only document or word an error, and a
constant that an index, a ``range`` or an ``axis`` holds is left to the
operators made for it. A mutant whose text does not compile is dropped, and
so is one whose text another mutant of the same module already has. A
mutant's module is its tree written out again by ``ast.unparse``, so its
comments are gone and its lines moved; the line a description names is the
original module's.

Known limit: the operators know nothing of types, so some mutants fail at
once (an index added to a name that holds a string, a minus before a tuple);
the checks kill those at no cost but the time.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

__all__ = ["Mutant", "OPERATORS", "mutants_of", "inline_package"]

#: The operators, in the order their mutants are made at each place.
OPERATORS = (
    "arithmetic",
    "unary minus",
    "term dropped",
    "axis",
    "transpose",
    "1/N removed",
    "off by one",
    "comparison",
    "maximum/minimum",
    "keepdims removed",
    "constant",
)

#: Longest code snippet a description shows before it is shortened.
_SNIPPET = 60


@dataclass(frozen=True)
class Mutant:
    """One change at one place of a module.

    Attributes
    ----------
    path : str
        The module, as the description shows it (``reference/softmax.py``).
    line : int
        The line of the original module where the change is.
    function : str
        The innermost function around the change.
    operator : str
        One of `OPERATORS`.
    before, after : str
        The code that was changed, and what it became.
    source : str
        The whole mutated module.
    column : int or None
        The column of the change, shown only when set.
    """

    path: str
    line: int
    function: str
    operator: str
    before: str
    after: str
    source: str
    column: int | None = None

    @property
    def description(self) -> str:
        """``path:line function: `before` -> `after```, in one line; the
        column follows the line when the rest would not tell two mutants
        apart."""
        where = f"{self.line}" if self.column is None else f"{self.line}:{self.column}"
        return (
            f"{self.path}:{where} {self.function}: "
            f"`{_shorten(self.before)}` -> `{_shorten(self.after)}`"
        )


def _shorten(code: str) -> str:
    code = " ".join(code.split())
    if len(code) <= _SNIPPET:
        return code
    half = (_SNIPPET - 5) // 2
    return f"{code[:half]} ... {code[-half:]}"


# --------------------------------------------------------------------------
# Walking the tree


@dataclass(frozen=True)
class _Place:
    """Where a node sits: its parent's field (and list index), the function
    around it, and whether it is inside an index, an argument of ``range`` or
    an ``axis=`` (where constants are left to the operators made for them)."""

    parent: ast.AST
    field: str
    index: int | None
    function: str
    guarded: bool


@dataclass(frozen=True)
class _Site:
    node: ast.AST
    place: _Place


#: Fields that only annotate or decorate: never mutated.
_SKIPPED_FIELDS = {"annotation", "returns", "decorator_list", "type_comment"}


def _is_docstring(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_text(node: ast.AST) -> bool:
    """True for a string, an f-string, or a sum of them."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, bytes))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_text(node.left) or _is_text(node.right)
    return False


def _children(node: ast.AST) -> Iterator[tuple[str, int | None, ast.AST]]:
    for field, value in ast.iter_fields(node):
        if field in _SKIPPED_FIELDS:
            continue
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, ast.AST):
                    yield field, index, item
        elif isinstance(value, ast.AST):
            yield field, None, value


def _sites(tree: ast.Module) -> list[_Site]:
    """Every node inside a function that an operator may change, in a fixed
    order (depth first, fields in their grammar order)."""
    found: list[_Site] = []

    def visit(node: ast.AST, place: _Place | None, function: str | None) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function = node.name
        elif isinstance(node, (ast.Raise, ast.JoinedStr)) or _is_text(node):
            return
        if function is not None and place is not None:
            found.append(_Site(node, place))
        guarded = place is not None and place.guarded
        for field, index, child in _children(node):
            if field == "body" and index == 0 and _is_docstring(child):
                continue
            child_guarded = (
                guarded
                or (isinstance(node, ast.Subscript) and field == "slice")
                or (_call_name(node) == "range" and field == "args")
                or (isinstance(node, ast.keyword) and node.arg == "axis")
            )
            child_place = _Place(node, field, index, function or "", child_guarded)
            visit(child, child_place, function)

    visit(tree, None, None)
    return found


def _replace(place: _Place, new: ast.AST) -> ast.AST:
    """Put ``new`` where the place's node is; return the node taken out."""
    if place.index is None:
        old = getattr(place.parent, place.field)
        setattr(place.parent, place.field, new)
    else:
        items = getattr(place.parent, place.field)
        old = items[place.index]
        items[place.index] = new
    return old


# --------------------------------------------------------------------------
# Small builders


def _copy(node: ast.AST) -> ast.AST:
    return ast.parse(ast.unparse(node), mode="eval").body


def _int_literal(node: ast.AST) -> int | None:
    """The value of an integer literal (``3`` or ``-1``), else None."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) is int
    ):
        return -node.operand.value
    return None


def _literal(value: int | float) -> ast.AST:
    if value < 0:
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)


def _shifted(node: ast.AST) -> list[ast.AST]:
    """``node - 1`` and ``node + 1``, folded when ``node`` is a literal."""
    value = _int_literal(node)
    if value is not None:
        return [_literal(value - 1), _literal(value + 1)]
    return [
        ast.BinOp(_copy(node), ast.Sub(), ast.Constant(1)),
        ast.BinOp(_copy(node), ast.Add(), ast.Constant(1)),
    ]


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def _call_name(node: ast.AST) -> str | None:
    """``f`` for a call ``f(...)`` or ``x.f(...)``."""
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return node.func.id
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
    return None


# --------------------------------------------------------------------------
# The operators: each yields (operator, replacement) for one site


Replacements = Iterator[tuple[str, ast.AST]]

_SWAPPED_OPERATORS: dict[type, type] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
}


def _arithmetic(node: ast.AST, place: _Place) -> Replacements:
    if isinstance(node, ast.BinOp) and type(node.op) in _SWAPPED_OPERATORS:
        swapped = _SWAPPED_OPERATORS[type(node.op)]()
        yield "arithmetic", ast.BinOp(_copy(node.left), swapped, _copy(node.right))


#: Calls whose value is never a number or an array: no minus before them.
_NOT_NUMERIC = {
    "len",
    "range",
    "zip",
    "enumerate",
    "list",
    "tuple",
    "dict",
    "set",
    "sorted",
    "isinstance",
    "type",
    "str",
    "repr",
    "join",
    "format",
}
_NEGATABLE = (ast.BinOp, ast.Call, ast.Name, ast.Attribute, ast.Subscript)


def _unary_minus(node: ast.AST, place: _Place) -> Replacements:
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and _int_literal(node) is None
        and not _is_number(node.operand)
    ):
        yield "unary minus", _copy(node.operand)
    holder = place.parent
    is_value = place.field == "value" and (
        isinstance(holder, ast.Return)
        or (
            isinstance(holder, ast.Assign)
            and len(holder.targets) == 1
            and isinstance(holder.targets[0], (ast.Name, ast.Subscript))
        )
    )
    if (
        is_value
        and isinstance(node, _NEGATABLE)
        and _call_name(node) not in _NOT_NUMERIC
    ):
        yield "unary minus", ast.UnaryOp(ast.USub(), _copy(node))


def _term_dropped(node: ast.AST, place: _Place) -> Replacements:
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        yield "term dropped", _copy(node.left)
        if isinstance(node.op, ast.Add):
            yield "term dropped", _copy(node.right)
        else:
            yield "term dropped", ast.UnaryOp(ast.USub(), _copy(node.right))


_AXES = {0: (1,), 1: (0,), -1: (0,)}


def _axis(node: ast.AST, place: _Place) -> Replacements:
    if isinstance(node, ast.keyword) and node.arg == "axis":
        for axis in _AXES.get(_int_literal(node.value), ()):
            yield "axis", ast.keyword("axis", _literal(axis))


def _transpose(node: ast.AST, place: _Place) -> Replacements:
    if isinstance(node, ast.Attribute) and node.attr == "T":
        yield "transpose", _copy(node.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        for side in ("left", "right"):
            operand = getattr(node, side)
            if isinstance(operand, ast.Attribute) and operand.attr == "T":
                continue
            parts = {"left": _copy(node.left), "right": _copy(node.right)}
            parts[side] = ast.Attribute(parts[side], "T", ast.Load())
            yield "transpose", ast.BinOp(parts["left"], ast.MatMult(), parts["right"])


def _is_count(node: ast.AST) -> bool:
    """``N``, ``n``, ``len(...)``, ``a.shape[i]`` or ``a.size``."""
    if isinstance(node, ast.Name):
        return node.id in ("N", "n")
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id == "len"
    if isinstance(node, ast.Subscript):
        value = node.value
        return isinstance(value, ast.Attribute) and value.attr == "shape"
    return isinstance(node, ast.Attribute) and node.attr == "size"


def _mean_removed(node: ast.AST, place: _Place) -> Replacements:
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Div)
        and _is_count(node.right)
    ):
        yield "1/N removed", _copy(node.left)
    if isinstance(node, ast.Call) and _call_name(node) == "mean":
        call = _copy(node)
        if isinstance(call.func, ast.Name):
            call.func.id = "sum"
        else:
            call.func.attr = "sum"
        yield "1/N removed", call


def _is_index(node: ast.AST) -> bool:
    """An index an off-by-one can hit: a name, an integer, or arithmetic of
    them."""
    if isinstance(node, ast.Name) or _int_literal(node) is not None:
        return True
    return (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, (ast.Add, ast.Sub))
        and _is_index(node.left)
        and _is_index(node.right)
    )


def _off_by_one(node: ast.AST, place: _Place) -> Replacements:
    if isinstance(node, ast.Subscript) and _is_index(node.slice):
        for index in _shifted(node.slice):
            yield "off by one", ast.Subscript(_copy(node.value), index, node.ctx)
    if isinstance(node, ast.Slice):
        for bound in ("lower", "upper"):
            value = getattr(node, bound)
            if value is not None and _is_index(value):
                for shifted in _shifted(value):
                    parts = {
                        "lower": node.lower and _copy(node.lower),
                        "upper": node.upper and _copy(node.upper),
                        "step": node.step and _copy(node.step),
                    }
                    parts[bound] = shifted
                    yield "off by one", ast.Slice(**parts)
    if _call_name(node) == "range" and isinstance(node.func, ast.Name):
        for position, argument in enumerate(node.args):
            if _is_index(argument):
                for shifted in _shifted(argument):
                    call = _copy(node)
                    call.args[position] = shifted
                    yield "off by one", call


_FLIPPED_COMPARISONS: dict[type, type] = {
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
}


def _comparison(node: ast.AST, place: _Place) -> Replacements:
    if isinstance(node, ast.Compare):
        for position, op in enumerate(node.ops):
            if type(op) in _FLIPPED_COMPARISONS:
                compare = _copy(node)
                compare.ops[position] = _FLIPPED_COMPARISONS[type(op)]()
                yield "comparison", compare


_EXTREMES = {"maximum": "minimum", "minimum": "maximum", "max": "min", "min": "max"}


def _maximum_minimum(node: ast.AST, place: _Place) -> Replacements:
    if isinstance(node, ast.Attribute) and node.attr in _EXTREMES:
        yield (
            "maximum/minimum",
            ast.Attribute(_copy(node.value), _EXTREMES[node.attr], ast.Load()),
        )


def _keepdims_removed(node: ast.AST, place: _Place) -> Replacements:
    if isinstance(node, ast.Call):
        for position, keyword in enumerate(node.keywords):
            value = keyword.value
            if (
                keyword.arg == "keepdims"
                and isinstance(value, ast.Constant)
                and value.value is True
            ):
                call = _copy(node)
                del call.keywords[position]
                yield "keepdims removed", call


_CONSTANTS = {0.5: 1, 1: 0, 2: 1}


def _constant(node: ast.AST, place: _Place) -> Replacements:
    if place.guarded:
        return
    if _is_number(node) and node.value in _CONSTANTS:
        new = _CONSTANTS[node.value]
        yield "constant", ast.Constant(float(new) if type(node.value) is float else new)


_OPERATOR_FUNCTIONS: tuple[Callable[[ast.AST, _Place], Replacements], ...] = (
    _arithmetic,
    _unary_minus,
    _term_dropped,
    _axis,
    _transpose,
    _mean_removed,
    _off_by_one,
    _comparison,
    _maximum_minimum,
    _keepdims_removed,
    _constant,
)


# --------------------------------------------------------------------------
# Mutants


def mutants_of(
    source: str, path: str, operators: tuple[str, ...] = OPERATORS
) -> list[Mutant]:
    """Every mutant of a module's source, one change each.

    Parameters
    ----------
    source : str
        The module's text.
    path : str
        How descriptions name the module, e.g. ``"reference/softmax.py"``.
    operators : tuple of str, optional
        The operators to apply (all of `OPERATORS` by default).

    Returns
    -------
    list of Mutant
        In the order of the places in the module, then of `OPERATORS`; each
        compiles, and no two have the same text.

    Raises
    ------
    ValueError
        For an operator name that is not in `OPERATORS`.
    SyntaxError
        When ``source`` itself does not compile.
    """
    unknown = sorted(set(operators) - set(OPERATORS))
    if unknown:
        raise ValueError(
            f"unknown mutation operator(s) {', '.join(unknown)}; known: "
            f"{', '.join(OPERATORS)}"
        )
    tree = ast.parse(source, filename=path)
    original = ast.unparse(tree)
    seen = {original}
    mutants = []
    for site in _sites(tree):
        for make in _OPERATOR_FUNCTIONS:
            for operator, new in make(site.node, site.place):
                if operator not in operators:
                    continue
                ast.copy_location(new, site.node)
                ast.fix_missing_locations(new)
                shown = _shown(site, operator)
                before = ast.unparse(shown)
                old = _replace(site.place, new)
                try:
                    text = ast.unparse(tree)
                    after = ast.unparse(new if shown is site.node else shown)
                finally:
                    _replace(site.place, old)
                if text in seen or not _compiles(text, path):
                    continue
                seen.add(text)
                mutants.append(
                    Mutant(
                        path=path,
                        line=site.node.lineno,
                        function=site.place.function,
                        operator=operator,
                        before=before,
                        after=after,
                        source=text,
                        column=site.node.col_offset + 1,
                    )
                )
    return _columns_where_needed(mutants)


def _shown(site: _Site, operator: str) -> ast.AST:
    """The code a description shows: the changed node, or the expression
    around it when the node alone (``1``, ``np.maximum``) says too little."""
    if operator in ("constant", "maximum/minimum") and isinstance(
        site.place.parent, ast.expr
    ):
        return site.place.parent
    return site.node


def _columns_where_needed(mutants: list[Mutant]) -> list[Mutant]:
    """Keep the column only in descriptions that would otherwise repeat."""
    plain = [replace(m, column=None) for m in mutants]
    counts = Counter(m.description for m in plain)
    return [
        mutant if counts[bare.description] > 1 else bare
        for mutant, bare in zip(mutants, plain)
    ]


def _compiles(text: str, path: str) -> bool:
    try:
        compile(text, path, "exec")
    except (SyntaxError, ValueError):
        return False
    return True


# --------------------------------------------------------------------------
# One file from a package


#: Stand-ins for what typing-only modules provide. A confined worker imports
#: only the modules preloaded for it, and numpy.typing is not one of them;
#: with ``from __future__ import annotations`` its names are needed only by
#: module-level type aliases such as ``NDArray[np.float64]``, which
#: ``np.ndarray[...]`` serves as well.
_TYPING_STAND_INS = {"numpy.typing": "np.ndarray"}


def inline_package(package: str | Path, replaced: dict[str, str] | None = None) -> str:
    """Join a package's modules into the text of one module.

    The modules (every ``.py`` file of the folder but ``__init__.py``) come
    in an order where each follows the modules it imports; imports of the
    package's own modules are removed, since their names now live in the
    same file, and the other imports are gathered at the top. The package's
    ``__all__`` (from ``__init__.py``) ends the file.

    Parameters
    ----------
    package : path-like
        The package's folder; its name is the package's name.
    replaced : dict of str to str, optional
        Texts to use in place of some modules, by file name
        (``{"softmax.py": "..."}``): a mutant's.

    Returns
    -------
    str
        A module that needs only what the package imports from outside.

    Raises
    ------
    ValueError
        When two modules define the same top-level name differently (one file
        cannot hold both), or import each other.
    """
    folder = Path(package)
    name = folder.name
    replaced = replaced or {}
    texts = {
        path.name: replaced.get(path.name, path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.py"))
        if path.name != "__init__.py"
    }
    trees = {file: ast.parse(text, filename=file) for file, text in texts.items()}

    imports: list[str] = []
    stand_ins: list[str] = []
    bodies: dict[str, list[str]] = {}
    needs: dict[str, set[str]] = {}
    for file, tree in trees.items():
        needs[file] = set()
        body = []
        for statement in tree.body:
            own = _own_module(statement, name)
            if own is not None:
                needs[file].add(f"{own}.py")
            elif isinstance(statement, ast.ImportFrom) and (
                statement.module in _TYPING_STAND_INS
            ):
                stand_in = _TYPING_STAND_INS[statement.module]
                stand_ins += [
                    f"{alias.asname or alias.name} = {stand_in}"
                    for alias in statement.names
                ]
            elif isinstance(statement, (ast.Import, ast.ImportFrom)):
                imports.append(ast.unparse(statement))
            elif not _is_docstring(statement) or statement is not tree.body[0]:
                body.append(statement)
        bodies[file] = body

    lines = ["from __future__ import annotations", ""]
    lines += dict.fromkeys(line for line in imports if "__future__" not in line)
    lines += dict.fromkeys(stand_ins)
    defined: dict[str, str] = {}
    for file in _dependency_order(needs):
        lines += ["", f"# ---- {name}/{file}", ""]
        for statement in bodies[file]:
            text = ast.unparse(statement)
            for target in _defined_names(statement):
                if target == "__all__":
                    continue
                if defined.setdefault(target, text) != text:
                    raise ValueError(
                        f"{name}: {target} is defined differently in two modules; "
                        "they cannot share one file"
                    )
            lines += [text, ""]
    exported = _exports(folder / "__init__.py")
    lines += ["", f"__all__ = {exported!r}", ""]
    return "\n".join(lines)


def _own_module(statement: ast.AST, package: str) -> str | None:
    """The package module an import statement takes names from, else None."""
    if not isinstance(statement, ast.ImportFrom):
        return None
    module = statement.module or ""
    if statement.level == 1:
        return module or None
    if module.startswith(f"{package}."):
        return module.split(".", 1)[1]
    return None


def _defined_names(statement: ast.AST) -> list[str]:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    if isinstance(statement, ast.Assign):
        return [t.id for t in statement.targets if isinstance(t, ast.Name)]
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return [statement.target.id]
    return []


def _dependency_order(needs: dict[str, set[str]]) -> list[str]:
    order: list[str] = []
    visiting: set[str] = set()

    def visit(file: str) -> None:
        if file in order:
            return
        if file in visiting:
            raise ValueError(f"{file} imports a module that imports it back")
        visiting.add(file)
        for needed in sorted(needs.get(file, ())):
            if needed in needs:
                visit(needed)
        visiting.discard(file)
        order.append(file)

    for file in sorted(needs):
        visit(file)
    return order


def _exports(init: Path) -> list[str]:
    """The ``__all__`` list of a package's ``__init__.py``."""
    tree = ast.parse(init.read_text(encoding="utf-8"), filename=str(init))
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in statement.targets
        ):
            return list(ast.literal_eval(statement.value))
    raise ValueError(f"{init} has no __all__ to say what the package exports")
