"""The sandbox every e-mail template is rendered in, shipped or edited by a coordinator.

A Django template `Engine` of its own, not the site's:

- its only loader holds the shipped e-mail templates (`templates/notifications/email/*` of each
  app), read once into memory, so `{% include %}` and `{% extends %}` reach nothing else;
- its built-in tags are a short list (no `debug`, `url`, `csrf_token`, `autoescape`), its
  filters Django's own less `safe`, `safeseq` and `pprint`, and `{% load %}` knows only `i18n`
  and `notification_tags`;
- HTML is rendered with autoescaping on, text and subjects with it off (a text part must not
  show `&quot;`);
- the context holds only what a row carries (`programme`, `data`, `dates`): no settings, no
  request, no model instances to walk into.

`check` reads a compiled template for what the engine alone would let through quietly: a
variable that is not a placeholder (`{{ settings }}` renders empty, it does not fail) and an
include of a template that is not a shipped one. Every problem names its line.
"""

from collections.abc import Iterator
from functools import cache
from pathlib import Path

from django.conf import settings
from django.template import (
    Context,
    Engine,
    Library,
    Node,
    NodeList,
    Template,
    defaultfilters,
    defaulttags,
    loader_tags,
)
from django.template.base import FilterExpression, TokenType, Variable
from django.template.smartif import TokenBase
from django.template.utils import get_app_template_dirs
from django.templatetags.i18n import BlockTranslateNode
from django.utils.translation import gettext as _

EMAIL_FOLDER = "notifications/email"
# What a row's context holds; everything else a template names must be bound inside it.
ROOTS = ("programme", "data", "dates")
# Names Django binds by itself inside loops and blocks.
IMPLICIT = {"forloop", "block"}

TAGS = {
    defaulttags: [
        "comment",
        "cycle",
        "filter",
        "firstof",
        "for",
        "if",
        "ifchanged",
        "load",
        "now",
        "regroup",
        "resetcycle",
        "spaceless",
        "templatetag",
        "verbatim",
        "widthratio",
        "with",
    ],
    loader_tags: ["block", "extends", "include"],
}
# Filters that would let a template print data unescaped into HTML, or dump objects.
DENIED_FILTERS = {"safe", "safeseq", "pprint"}
LIBRARIES = {
    "i18n": "django.templatetags.i18n",
    "notification_tags": "notifications.templatetags.notification_tags",
}

# The built-ins of the sandbox engine (it imports this module by name and reads `register`).
register = Library()
for module, names in TAGS.items():
    for name in names:
        register.tags[name] = module.register.tags[name]
for name, function in defaultfilters.register.filters.items():
    if name not in DENIED_FILTERS:
        register.filters[name] = function


class SandboxEngine(Engine):
    # Django's engine always adds every default tag and filter; this one takes only ours.
    default_builtins: list[str] = []


class TemplateProblem(Exception):
    """A template that does not compile, names what it may not, or fails to render."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(line, message)
        self.line = line
        self.message = message

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return _("Line %(line)d: %(message)s") % {"line": self.line, "message": self.message}


@cache
def shipped_sources() -> dict[str, str]:
    """Every shipped e-mail template by its name (`notifications/email/<file>`), as the
    site's loaders would find it: project folders first, then apps in INSTALLED_APPS order."""
    folders = [Path(folder) for folder in settings.TEMPLATES[0].get("DIRS", [])]
    folders += [Path(folder) for folder in get_app_template_dirs("templates")]
    sources: dict[str, str] = {}
    for folder in folders:
        email_folder = folder / EMAIL_FOLDER
        if not email_folder.is_dir():
            continue
        for path in sorted(email_folder.iterdir()):
            if path.is_file():
                sources.setdefault(f"{EMAIL_FOLDER}/{path.name}", path.read_text("utf-8"))
    return sources


@cache
def engine(*, html: bool) -> SandboxEngine:
    # debug=True records where each token sits, so a problem can name its line.
    return SandboxEngine(
        debug=True,
        loaders=[
            (
                "django.template.loaders.cached.Loader",
                [("django.template.loaders.locmem.Loader", shipped_sources())],
            )
        ],
        libraries=LIBRARIES,
        builtins=["notifications.sandbox"],
        autoescape=html,
    )


def _line(error: Exception) -> int | None:
    info = getattr(error, "template_debug", None)
    if info and info.get("line"):
        return info["line"]
    token = getattr(error, "token", None) or getattr(
        getattr(error, "_culprit_node", None), "token", None
    )
    return getattr(token, "lineno", None)


def compile_template(source: str, *, html: bool) -> Template:
    """The compiled template, or a TemplateProblem naming the line (see also `check`)."""
    try:
        return engine(html=html).from_string(source)
    except Exception as error:  # a coordinator's text: every failure is reported, not raised
        raise TemplateProblem(_line(error), str(error)) from error


def checked_template(source: str, *, html: bool) -> Template:
    """Compiled and checked: the first problem is raised."""
    template = compile_template(source, html=html)
    problems = check(template)
    if problems:
        raise problems[0]
    return template


def shipped_template(name: str, *, html: bool) -> Template:
    return engine(html=html).get_template(f"{EMAIL_FOLDER}/{name}")


def render(template: Template, context: dict, *, html: bool) -> str:
    try:
        return template.render(Context(context, autoescape=html))
    except Exception as error:  # a filter may raise anything on unexpected data
        raise TemplateProblem(_line(error), f"{type(error).__name__}: {error}") from error


# --- Reading a compiled template ---------------------------------------------------------------


def _variables(value: object) -> Iterator[Variable]:
    """The variables an expression of a node reads (filters' arguments included)."""
    if isinstance(value, Node | NodeList):
        return  # walked as nodes, not as expressions
    if isinstance(value, Variable):
        if value.lookups is not None:
            yield value
    elif isinstance(value, FilterExpression):
        yield from _variables(value.var)
        for _function, arguments in value.filters:
            for is_lookup, argument in arguments:
                if is_lookup:
                    yield from _variables(argument)
    elif isinstance(value, TokenBase):  # a condition of {% if %}: operators and literals
        yield from _variables(getattr(value, "value", None))
        yield from _variables(value.first)
        yield from _variables(value.second)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _variables(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _variables(item)


def node_variables(node: Node) -> Iterator[Variable]:
    """The variables a node's own expressions read (not those of the nodes inside it)."""
    for key, value in vars(node).items():
        if key not in {"token", "origin"}:
            yield from _variables(value)


def _bound_names(node: Node) -> set[str]:
    """Names a node binds for the template ({% for x in %}, {% with x=… %}, `as x`…)."""
    names: set[str] = set(getattr(node, "loopvars", None) or ())
    extra = getattr(node, "extra_context", None)
    if isinstance(extra, dict):
        names.update(extra)
    for attribute in ("asvar", "variable", "var_name", "variable_name", "countervar"):
        value = getattr(node, attribute, None)
        if isinstance(value, str):
            names.add(value)
    return names


def _blocktranslate_names(node: BlockTranslateNode) -> set[str]:
    tokens = [*node.singular, *(node.plural or [])]
    return {token.contents for token in tokens if token.token_type == TokenType.VAR}


def _template_name(expression: object) -> str | None:
    """The quoted name of an {% include %} / {% extends %}, or None when it is computed."""
    if isinstance(expression, FilterExpression) and not expression.is_var:
        return str(expression.var) if isinstance(expression.var, str) else None
    return None


def nodes(template: Template) -> list[Node]:
    return template.nodelist.get_nodes_by_type(Node)


def check(template: Template) -> list[TemplateProblem]:
    """What the template names that it may not, each with its line."""
    found = nodes(template)
    bound = set(ROOTS) | IMPLICIT
    for node in found:
        bound |= _bound_names(node)
    problems: list[TemplateProblem] = []
    sources = shipped_sources()
    for node in found:
        line = getattr(getattr(node, "token", None), "lineno", None)
        expression = None
        if isinstance(node, loader_tags.IncludeNode):
            expression = node.template
        elif isinstance(node, loader_tags.ExtendsNode):
            expression = node.parent_name
        if expression is not None:
            name = _template_name(expression)
            if name is None:
                problems.append(TemplateProblem(line, _("Name the included template in quotes.")))
            elif name not in sources:
                problems.append(
                    TemplateProblem(
                        line,
                        _(
                            "“%(name)s” is not a shipped e-mail template: only %(folder)s/… "
                            "can be included or extended."
                        )
                        % {"name": name, "folder": EMAIL_FOLDER},
                    )
                )
        names = {variable.lookups[0] for variable in node_variables(node)}
        if isinstance(node, BlockTranslateNode):
            names |= _blocktranslate_names(node)
        for name in sorted(names - bound):
            problems.append(
                TemplateProblem(
                    line,
                    _(
                        "“%(name)s” is not a placeholder of this e-mail: use programme, "
                        "data.… or dates.… (see the list of placeholders)."
                    )
                    % {"name": name},
                )
            )
    return sorted(problems, key=lambda problem: problem.line or 0)
