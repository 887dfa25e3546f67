"""E-mails from outbox rows: the texts coordinators edit, the shipped files they fall back to,
and what the admin shows beside the editor (placeholders, a preview, the shipped text).

A row names its template (`payload["template"]`) and carries its language, programme and data.
`render_email` renders the coordinator's `EmailTemplate` for that template and language when
there is one, the shipped files (`templates/notifications/email/<template>.subject.txt`, `.txt`,
`.html`) otherwise, always in the sandbox (`notifications.sandbox`) and in the row's language:
the programme's and the round's names are translated where the catalogues know them.
"""

import copy
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.template import TemplateSyntaxError
from django.template.base import Lexer, Token, TokenType
from django.templatetags.i18n import BlockTranslateNode
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.html import escape
from django.utils.translation import gettext, ngettext, pgettext

from .enums import NotificationChannel
from .models import EmailTemplate, Notification
from .sandbox import (
    EMAIL_FOLDER,
    ROOTS,
    TemplateProblem,
    check,
    checked_template,
    compile_template,
    engine,
    node_variables,
    nodes,
    render,
    shipped_sources,
    shipped_template,
)
from .sealing import SEALED_KEY, unseal

logger = logging.getLogger(__name__)

# Payload keys holding ISO 8601 moments: `dates.<key>` is the same moment as a datetime.
DATE_KEYS = {"due_at", "submitted_at", "since", "until", "expires_at"}
# The parts of an e-mail: the shipped file's suffix and whether it is HTML.
PARTS = {"subject": (".subject.txt", False), "text": (".txt", False), "html": (".html", True)}
# Made from the text body when an edited e-mail has no HTML body of its own.
TEXT_AS_HTML = "_text.html"


def template_names() -> list[str]:
    """The e-mails there are: every shipped `<name>.subject.txt` (partials start with `_`)."""
    suffix = PARTS["subject"][0]
    names = {
        path.removeprefix(f"{EMAIL_FOLDER}/").removesuffix(suffix)
        for path in shipped_sources()
        if path.endswith(suffix)
    }
    return sorted(name for name in names if not name.startswith("_"))


def shipped_source(name: str, part: str) -> str:
    return shipped_sources().get(f"{EMAIL_FOLDER}/{name}{PARTS[part][0]}", "")


# --- The context of a row ----------------------------------------------------------------------


def _translated(value: object) -> object:
    # gettext("") would return the catalogue's header: only names are looked up.
    return gettext(value) if isinstance(value, str) and value.strip() else value


def _upgraded(data: dict) -> dict:
    """Rows written by the previous release: a start-up's name in `startup`, and one
    assignment per reviewer e-mail."""
    objects = [data, data.get("startup"), *(data.get("startups") or [])]
    for item in objects:
        if (
            isinstance(item, dict)
            and isinstance(item.get("startup"), str)
            and "startup_name" not in item
        ):
            item["startup_name"] = item["startup"]
    if "assignment" in data and "assignments" not in data:
        keys = ("assignment", "application", "project_name", "round", "due_at")
        data["assignments"] = [{key: data.get(key) for key in keys}]
        data.setdefault("count", 1)
    return data


def email_context(*, programme: str, data: dict, open_seals: bool = False) -> dict:
    """What a template sees, and nothing else: `programme`, `data` and `dates`. Call it in the
    row's language (the names are translated into the active one). Sealed values (a one-time
    link) are opened only for sending (`open_seals`); a preview shows "…" in their place."""
    data = _upgraded(copy.deepcopy(data) if isinstance(data, dict) else {})
    sealed = data.pop(SEALED_KEY, None)
    if isinstance(sealed, dict):
        for key, value in sealed.items():
            data[key] = unseal(value) if open_seals and isinstance(value, str) else "…"
    for item in [data, *(x for value in data.values() if isinstance(value, list) for x in value)]:
        if isinstance(item, dict) and "round" in item:
            item["round"] = _translated(item["round"])
    dates = {
        key: parse_datetime(value)
        for key, value in data.items()
        if key in DATE_KEYS and isinstance(value, str)
    }
    return {"programme": _translated(programme or ""), "data": data, "dates": dates}


# --- Rendering ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str

    def parts(self) -> tuple[str, str, str]:
        return self.subject, self.text, self.html


def _plain(value: str) -> str:
    """A rendered text part as a plain string: Django marks whatever a template renders as
    safe HTML, which a text part (with the data in it unescaped) is not."""
    return str.__str__(value)


def _finish(subject: str, text: str, html: str) -> Rendered:
    return Rendered(_plain(" ".join(subject.split())), _plain(text.strip() + "\n"), html)


def render_sources(*, subject: str, text_body: str, html_body: str, context: dict) -> Rendered:
    """An edited e-mail's three parts (raises TemplateProblem)."""
    subject = render(checked_template(subject, html=False), context, html=False)
    text = _plain(render(checked_template(text_body, html=False), context, html=False))
    if html_body.strip():
        html = render(checked_template(html_body, html=True), context, html=True)
    else:
        frame = shipped_template(TEXT_AS_HTML, html=True)
        html = render(frame, {**context, "text": text}, html=True)
    return _finish(subject, text, html)


def render_shipped(name: str, context: dict) -> Rendered:
    subject, text, html = (
        render(shipped_template(f"{name}{suffix}", html=is_html), context, html=is_html)
        for suffix, is_html in PARTS.values()
    )
    return _finish(subject, text, html)


def template_key(notification: Notification) -> tuple[str, str]:
    """The (template name, language) an e-mail row is rendered with."""
    payload = notification.payload or {}
    name = payload.get("template") or notification.event.replace(".", "_")
    return name, notification.language or "en"


class BatchRenderer:
    """Renders the e-mails of one chunk: the coordinators' texts for them loaded in one query,
    and each distinct message rendered once. A fan-out writes the same payload to every
    provider, and what an e-mail says depends only on its template, language and payload (the
    recipient is not in the context), so a chunk's provider e-mails share one rendering."""

    def __init__(self, rows: Iterable[Notification]) -> None:
        keys = {template_key(row) for row in rows}
        self.edited_texts: dict[tuple[str, str], EmailTemplate] = {}
        if keys:
            found = EmailTemplate.objects.filter(
                name__in={name for name, _ in keys},
                language__in={language for _, language in keys},
            )
            self.edited_texts = {(text.name, text.language): text for text in found}
        self._rendered: dict[tuple[str, str, str], Rendered] = {}

    def render(self, notification: Notification) -> Rendered:
        name, language = template_key(notification)
        payload = json.dumps(notification.payload or {}, sort_keys=True, default=str)
        key = (name, language, payload)
        if key not in self._rendered:
            self._rendered[key] = render_row(notification, edited_texts=self.edited_texts)
        return self._rendered[key]


def render_row(
    notification: Notification,
    *,
    edited_texts: Mapping[tuple[str, str], EmailTemplate] | None = None,
) -> Rendered:
    """Subject, text and HTML of an e-mail row, in its language: the coordinators' text of
    its template when there is one (an edited text that fails on this row's data is logged and
    the shipped one is used: the message still goes), the shipped files otherwise.

    `edited_texts`: the edited templates already loaded for a batch (`edited_templates`);
    without it the row's own is looked up."""
    payload = notification.payload or {}
    name, language = template_key(notification)
    with translation.override(language):
        context = email_context(
            programme=payload.get("programme", ""), data=payload.get("data"), open_seals=True
        )
        if edited_texts is None:
            edited = EmailTemplate.objects.filter(name=name, language=language).first()
        else:
            edited = edited_texts.get((name, language))
        if edited is not None:
            try:
                return render_sources(
                    subject=edited.subject,
                    text_body=edited.text_body,
                    html_body=edited.html_body,
                    context=context,
                )
            except TemplateProblem as problem:
                logger.warning(
                    "edited e-mail %s (%s) fails on notification %s, shipped text used: %s",
                    name,
                    language,
                    notification.pk,
                    problem,
                )
        return render_shipped(name, context)


# --- What the admin shows beside the editor ----------------------------------------------------


def recent_row(*, name: str, language: str) -> Notification | None:
    """The latest e-mail row of the template, in the language if there is one."""
    rows = Notification.objects.filter(
        channel=NotificationChannel.EMAIL, payload__template=name
    ).order_by("-pk")
    return rows.filter(language=language).first() or rows.first()


def row_context(row: Notification, language: str) -> dict:
    payload = row.payload or {}
    with translation.override(language):
        return email_context(programme=payload.get("programme", ""), data=payload.get("data"))


def validate_sources(
    *, name: str, language: str, subject: str, text_body: str, html_body: str
) -> dict[str, list[str]]:
    """Every problem of an edited e-mail, by field, each naming its line: it must compile,
    name only placeholders and shipped templates, and render with a recent row's data."""
    row = recent_row(name=name, language=language)
    context = row_context(row, language) if row is not None else None
    errors: dict[str, list[str]] = {}
    fields = [("subject", subject, False), ("text_body", text_body, False)]
    if html_body.strip():
        fields.append(("html_body", html_body, True))
    # Messages in the coordinator's language; only the rendering is in the e-mail's.
    for field, source, html in fields:
        try:
            template = compile_template(source, html=html)
        except TemplateProblem as problem:
            errors[field] = [str(problem)]
            continue
        problems = check(template)
        if not problems and context is not None:
            try:
                with translation.override(language):
                    render(template, context, html=html)
            except TemplateProblem as problem:
                problems = [problem]
        if problems:
            errors[field] = [str(problem) for problem in problems]
    return errors


def preview(
    *,
    name: str,
    language: str,
    row: Notification,
    subject: str | None = None,
    text_body: str = "",
    html_body: str = "",
) -> Rendered:
    """The e-mail as the row's recipient would get it in `language`: with the given texts,
    or (`subject` None) with what is in force now, the edited text or the shipped one
    (raises TemplateProblem)."""
    context = row_context(row, language)
    with translation.override(language):
        if subject is not None:
            return render_sources(
                subject=subject, text_body=text_body, html_body=html_body, context=context
            )
        edited = EmailTemplate.objects.filter(name=name, language=language).first()
        if edited is not None:
            return render_sources(
                subject=edited.subject,
                text_body=edited.text_body,
                html_body=edited.html_body,
                context=context,
            )
        return render_shipped(name, context)


@dataclass(frozen=True)
class Placeholder:
    path: str
    example: str


def _paths_of(template, aliases: dict[str, str], seen: set[str]) -> set[str]:
    """The placeholder paths a shipped template reads, following its includes and loops
    (`{% for s in data.startups %}{{ s.project_name }}` reads `data.startups[].project_name`)."""
    found: set[str] = set()
    for node in nodes(template):
        for variable in node_variables(node):
            root, *rest = variable.lookups
            base = aliases.get(root, root)
            if base.split(".")[0].split("[")[0] in ROOTS:
                found.add(".".join([base, *rest]))
        sequence = getattr(node, "sequence", None)
        loopvars = getattr(node, "loopvars", None)
        if sequence is not None and loopvars and len(loopvars) == 1:
            aliases[loopvars[0]] = _expression_path(sequence, aliases) + "[]"
        extra = getattr(node, "extra_context", None)
        if isinstance(extra, dict):
            for key, expression in extra.items():
                aliases[key] = _expression_path(expression, aliases)
        included = getattr(node, "template", None)
        name = getattr(included, "var", None) if not getattr(included, "is_var", True) else None
        if isinstance(name, str) and name in shipped_sources() and name not in seen:
            seen.add(name)
            found |= _paths_of(engine(html=False).get_template(name), aliases, seen)
    return found


def _expression_path(expression, aliases: dict[str, str]) -> str:
    variable = getattr(expression, "var", None)
    lookups = getattr(variable, "lookups", None)
    if not lookups:
        return ""
    root, *rest = lookups
    return ".".join([aliases.get(root, root), *rest])


def _flatten(prefix: str, value: object, into: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}.{key}", item, into)
    elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        into[prefix] = ngettext(
            "a list of %(count)d item", "a list of %(count)d items", len(value)
        ) % {"count": len(value)}
        _flatten(f"{prefix}[]", value[0], into)
    else:
        text = "" if value is None else str(value)
        into[prefix] = text if len(text) <= 80 else text[:79] + "…"


def placeholders(*, name: str, row: Notification | None, language: str) -> list[Placeholder]:
    """What the template's rows carry: the paths the shipped texts read and the keys of a
    recent row's data, with that row's values as examples."""
    paths: set[str] = set()
    for part, (suffix, is_html) in PARTS.items():
        if shipped_source(name, part):
            template = shipped_template(f"{name}{suffix}", html=is_html)
            paths |= _paths_of(template, {}, set())
    examples: dict[str, str] = {}
    if row is not None:
        context = row_context(row, language)
        _flatten("programme", context["programme"], examples)
        _flatten("data", context["data"], examples)
        for key, moment in context["dates"].items():
            examples[f"dates.{key}"] = moment.isoformat() if moment else ""
    paths |= set(examples)
    return [Placeholder(path, examples.get(path, "")) for path in sorted(paths)]


# --- The shipped text in one language, to start editing from ------------------------------------

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _token_source(token: Token) -> str:
    if token.token_type == TokenType.VAR:
        return "{{ " + token.contents + " }}"
    if token.token_type == TokenType.BLOCK:
        return "{% " + token.contents + " %}"
    if token.token_type == TokenType.COMMENT:
        return "{# " + token.contents + " #}"
    return token.contents


def _message_body(message: str, expressions: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        return "{{ " + expressions.get(match[1], match[1]) + " }}"

    body = _PLACEHOLDER.sub(value, message)
    return body.replace("%%", "%")


def _localized_block(tokens: list[Token]) -> str:
    source = "".join(_token_source(token) for token in tokens)
    try:
        compiled = engine(html=False).from_string("{% load i18n notification_tags %}" + source)
    except TemplateSyntaxError:
        return source  # left as written: the coordinator's check will say what is wrong
    node = next(iter(compiled.nodelist.get_nodes_by_type(BlockTranslateNode)), None)
    if node is None or node.asvar or (node.message_context and node.message_context.is_var):
        return source
    context = node.message_context.var if node.message_context else None
    singular, _names = node.render_token_list(node.singular)
    expressions = {key: value.token for key, value in node.extra_context.items()}
    if not node.plural:
        message = pgettext(context, singular) if context else gettext(singular)
        return _message_body(message, expressions)
    # A plural keeps its tag, holding the translated forms (a text not in the catalogues is
    # shown as written, in the plural form the count asks for).
    plural, _names = node.render_token_list(node.plural)
    one, many = (ngettext(singular, plural, count) for count in (1, 2))
    extra = "".join(f" {key}={value}" for key, value in expressions.items())
    opening = f"{{% blocktranslate trimmed count {node.countervar}={node.counter.token}"
    opening += f" with{extra} %}}" if extra else " %}"
    keep = {key: key for key in [*expressions, node.countervar]}
    return (
        opening
        + _message_body(one, keep)
        + "{% plural %}"
        + _message_body(many, keep)
        + "{% endblocktranslate %}"
    )


def localized_source(source: str, language: str, *, html: bool) -> str:
    """A shipped template with its `{% translate %}` and `{% blocktranslate %}` written out in
    the language: what a coordinator edits, with `{{ data.… }}` where the values go."""
    tokens = Lexer(source).tokenize()
    out: list[str] = []
    index = 0
    with translation.override(language):
        while index < len(tokens):
            token = tokens[index]
            words = token.split_contents() if token.token_type == TokenType.BLOCK else []
            if words and words[0] in {"blocktranslate", "blocktrans"}:
                end = index
                while not (
                    tokens[end].token_type == TokenType.BLOCK
                    and tokens[end].contents.split()[0] in {"endblocktranslate", "endblocktrans"}
                ):
                    end += 1
                out.append(_localized_block(tokens[index : end + 1]))
                index = end + 1
                continue
            if (
                len(words) == 2
                and words[0] in {"translate", "trans"}
                and words[1][0] == words[1][-1]
                and words[1][0] in "\"'"
            ):
                text = gettext(words[1][1:-1])
                out.append(escape(text) if html else text)
            else:
                out.append(_token_source(token))
            index += 1
    return _without_unused_i18n("".join(out))


_I18N_TAGS = re.compile(r"\{%\s*(translate|trans|blocktranslate|blocktrans|get_\w+|language)\b")
_LOAD = re.compile(r"\{%\s*load\s+([^%]*?)\s*%\}")


def _without_unused_i18n(source: str) -> str:
    """Drop `i18n` from `{% load %}` when nothing left in the text needs it."""
    if _I18N_TAGS.search(source):
        return source

    def load(match: re.Match) -> str:
        libraries = [name for name in match[1].split() if name != "i18n"]
        return "{% load " + " ".join(libraries) + " %}" if libraries else ""

    return _LOAD.sub(load, source)
