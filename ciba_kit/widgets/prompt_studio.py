"""Prompt widgets: a studio to edit and lint a push prompt live, a locale x variant grid, a phone view.

The logic lives in pure functions (config -> HTML) so it is tested without a browser; the widgets
only wire controls to them with ``observe(..., names="value")``. Drive them from code through
their controls' ``.value`` (``studio.controls["title"].value = "..."``) or ``studio.values = {...}``.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import ipywidgets as W

from ..prompts.html import grid_html, phone_html
from ..prompts.model import PromptContext, PromptPreview, PromptTemplate, PushCategory, ScopeInfo
from ..prompts.render import render_prompt
from ..protocol.errors import InputError

__all__ = [
    "PromptStudio",
    "LocaleGrid",
    "PhoneView",
    "parse_pairs",
    "format_pairs",
    "parse_scopes",
    "format_scopes",
    "content_label",
    "grid_previews",
    "studio_render",
]


def parse_pairs(text: str, *, field: str = "pairs") -> dict[str, str]:
    """``name = value`` lines -> dict (first ``=`` splits; blank lines and ``#`` comments skipped).

    Raises:
        InputError: a line has no ``=`` (the line number is named).
    """
    out: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise InputError(f"{field} line {n}", f"{line.strip()!r} is not 'name = value'",
                             "write one name = value per line")
        out[name.strip()] = value.strip()
    return out


def format_pairs(values: Mapping[str, Any]) -> str:
    """Inverse of :func:`parse_pairs`."""
    return "\n".join(f"{k} = {v}" for k, v in values.items())


def parse_scopes(text: str) -> list[ScopeInfo]:
    """One scope per line, optionally ``name = description``; a single line may list names by spaces."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) == 1 and "=" not in lines[0]:
        return [ScopeInfo(s) for s in lines[0].split()]
    out = []
    for line in lines:
        name, _, descr = line.partition("=")
        out.append(ScopeInfo(name.strip(), descr.strip()))
    return out


def format_scopes(scopes: Iterable[ScopeInfo]) -> str:
    """Inverse of :func:`parse_scopes`."""
    return "\n".join(f"{s.name} = {s.description}" if s.description else s.name for s in scopes)


def content_label(t: PromptTemplate) -> str:
    """``transaction · fr · ciba-purchase`` (the studio's content picker label)."""
    return " · ".join([t.template_name, t.locale, t.variant or "default"])


def studio_render(templates: Sequence[PromptTemplate], context: PromptContext, **render_kw: Any) -> tuple[str, PromptPreview]:
    """Render + lint, and the phone HTML with findings (the studio's pure core)."""
    pv = render_prompt(list(templates), context, **render_kw)
    return phone_html(pv), pv


def grid_previews(templates: Sequence[PromptTemplate], context: PromptContext | None, *,
                  locales: Sequence[str] | None = None, variants: Sequence[str | None] | None = None,
                  **render_kw: Any) -> list[tuple[str, str | None, PromptPreview]]:
    """The same request rendered for every (variant, locale): ``[(locale, variant, preview), ...]``.

    Defaults: every locale and every variant (plus the default) present in ``templates``.
    """
    base = context or PromptContext()
    locs = list(locales) if locales else sorted({t.locale for t in templates})
    vars_ = list(variants) if variants is not None else [None] + sorted({t.variant for t in templates if t.variant})
    out = []
    for variant in vars_:
        for loc in locs:
            ctx = PromptContext(**{**base.__dict__, "locale": loc})
            out.append((loc, variant, render_prompt(list(templates), ctx, variant=variant, **render_kw)))
    return out


def _templates(templates: PromptTemplate | Iterable[PromptTemplate] | None) -> list[PromptTemplate]:
    if templates is None:
        return [PromptTemplate(title="${requestingApplicationName} is requesting approval",
                               body="Message from ${requestingApplicationName}:\n${authUserBindingMessage}")]
    return [templates] if isinstance(templates, PromptTemplate) else list(templates)


class PromptStudio(W.VBox):
    """Edit a prompt's title, body, variables and the sample request; the phone re-renders and lints live.

    Args:
        templates: the contents to edit (every locale/variant of the template); a default
            bank-teller-like content when omitted.
        context: the sample request.
        variables: PingOne Template Variables (name -> Velocity source).
        variant: the authenticator's PingOne Template Variant.
        **render_kw: passed to :func:`~ciba_kit.prompts.render_prompt` (``language_pack``,
            ``extended_contract``, ``fulfilled_attributes``, ``default_language``...).

    Attributes:
        controls: name -> control widget (``content``, ``title``, ``body``, ``category``, ``variables``,
            ``app_name``, ``binding_message``, ``scopes``, ``locale``, ``user_locale``, ``variant``,
            ``attributes``).
        phone: the HTML widget with the mockup and findings.
        preview: the latest :class:`PromptPreview` (None after a bad-input render).
        error: the latest bad-input message ("" when fine).
    """

    def __init__(self, templates: PromptTemplate | Iterable[PromptTemplate] | None = None,
                 context: PromptContext | None = None, *, variables: Mapping[str, str] | None = None,
                 variant: str | None = None, **render_kw: Any) -> None:
        self.templates = _templates(templates)
        ctx = context or PromptContext(client_name="TrustNow Banking", binding_message="TX-58213",
                                       scopes=[ScopeInfo("openid")])
        self._base_context = ctx
        self._render_kw = render_kw
        self._loading = False
        self.preview: PromptPreview | None = None
        self.error = ""
        lay = W.Layout(width="100%")
        c = {
            "content": W.Dropdown(options=[(content_label(t), i) for i, t in enumerate(self.templates)], value=0,
                                  description="Content", layout=lay),
            "title": W.Text(description="Title", layout=lay),
            "body": W.Textarea(description="Body", rows=4, layout=lay),
            "category": W.Dropdown(options=[p.value for p in PushCategory], description="Category", layout=lay),
            "variables": W.Textarea(value=format_pairs(variables or {}), description="Variables", rows=3,
                                    placeholder="name = Velocity source", layout=lay),
            "app_name": W.Text(value=ctx.client_name, description="App name", layout=lay),
            "binding_message": W.Text(value=ctx.binding_message or "", description="Binding msg", layout=lay),
            "scopes": W.Textarea(value=format_scopes(ctx.scopes), description="Scopes", rows=2, layout=lay),
            "locale": W.Text(value=ctx.locale or "", description="Locale", layout=lay),
            "user_locale": W.Text(value=ctx.user_locale or "", description="User lang", layout=lay),
            "variant": W.Text(value=variant or "", description="Variant", layout=lay),
            "attributes": W.Textarea(value=format_pairs(ctx.contract_attributes), description="Contract attrs",
                                     rows=2, placeholder="name = value", layout=lay),
        }
        self.controls: dict[str, W.ValueWidget] = c
        self.phone = W.HTML()
        self._load_content(0)
        for name, w in c.items():
            w.observe(self._on_change, names="value")
        editor = W.VBox(list(c.values()), layout=W.Layout(width="380px"))
        super().__init__([W.HBox([editor, self.phone])])
        self.render()

    # -- state ---------------------------------------------------------------------------------
    @property
    def values(self) -> dict[str, Any]:
        """Every control's value."""
        return {k: w.value for k, w in self.controls.items()}

    @values.setter
    def values(self, new: Mapping[str, Any]) -> None:
        unknown = set(new) - set(self.controls)
        if unknown:
            raise InputError("values", f"unknown control(s) {sorted(unknown)}", f"use {sorted(self.controls)}")
        self._loading = True
        try:
            if "content" in new:
                self.controls["content"].value = new["content"]
                self._load_content(new["content"])
            for k, v in new.items():
                if k != "content":
                    self.controls[k].value = v
        finally:
            self._loading = False
        self._store_content()
        self.render()

    @property
    def variables(self) -> dict[str, str]:
        """The variables table as edited (raises InputError on a bad line)."""
        return parse_pairs(self.controls["variables"].value, field="variables")

    @property
    def context(self) -> PromptContext:
        """The sample request as edited."""
        v = self.values
        return PromptContext(
            client_id=self._base_context.client_id, client_name=v["app_name"], logo_url=self._base_context.logo_url,
            scopes=parse_scopes(v["scopes"]), binding_message=v["binding_message"] or None,
            locale=v["locale"].strip() or None, user_locale=v["user_locale"].strip() or None,
            user_attributes=dict(self._base_context.user_attributes),
            contract_attributes=parse_pairs(v["attributes"], field="contract attributes"))

    # -- wiring --------------------------------------------------------------------------------
    def _load_content(self, index: int) -> None:
        t = self.templates[index]
        was = self._loading
        self._loading = True
        try:
            self.controls["title"].value = t.title
            self.controls["body"].value = t.body
            self.controls["category"].value = t.category.value
        finally:
            self._loading = was

    def _store_content(self) -> None:
        i = self.controls["content"].value
        t = self.templates[i]
        try:
            self.templates[i] = t.with_changes(title=self.controls["title"].value, body=self.controls["body"].value,
                                               category=PushCategory(self.controls["category"].value))
        except InputError:
            pass  # keep the last valid content; render() reports the problem

    def _on_change(self, change: dict[str, Any]) -> None:
        if self._loading:
            return
        owner = change["owner"]
        if owner is self.controls["content"]:
            self._load_content(change["new"])
        elif owner in (self.controls["title"], self.controls["body"], self.controls["category"]):
            self._store_content()
        self.render()

    def render(self) -> str:
        """Re-render and lint; returns the phone HTML (also set on ``self.phone``)."""
        try:
            variant = self.controls["variant"].value.strip() or None
            html, pv = studio_render(self.templates, self.context, variables=self.variables, variant=variant,
                                     **self._render_kw)
            self.preview, self.error = pv, ""
        except InputError as exc:
            self.preview, self.error = None, str(exc)
            html = ('<div class="ciba-error" style="color:#b3261e;font-family:sans-serif;font-size:13px">'
                    f"Cannot render: {_escape(str(exc))}</div>")
        self.phone.value = html
        return html

    def __repr__(self) -> str:
        shown = f"{self.preview.title!r}" if self.preview else f"error {self.error!r}"
        return f"PromptStudio({len(self.templates)} content(s), {shown})"


def _escape(text: str) -> str:
    import html as _html

    return _html.escape(text, quote=True)


class LocaleGrid(W.VBox):
    """The same prompt in every locale and variant, side by side (lock-screen banners).

    Args:
        templates: every content of the template.
        context: the sample request (its locale is replaced per column).
        locales: columns (default: every content locale); edit them in the ``locales`` control.
        variants: rows (default: the default content plus every variant); ``-`` means default.
        **render_kw: passed to :func:`~ciba_kit.prompts.render_prompt` (``variables``,
            ``language_pack``...).

    Attributes:
        previews: ``{(locale, variant): PromptPreview}`` of the latest render.
        error: the latest bad-input message ("" when fine).
    """

    def __init__(self, templates: Iterable[PromptTemplate], context: PromptContext | None = None, *,
                 locales: Sequence[str] | None = None, variants: Sequence[str | None] | None = None,
                 **render_kw: Any) -> None:
        self.templates = list(templates)
        self.context_base = context or PromptContext()
        self._render_kw = render_kw
        locs = list(locales) if locales else sorted({t.locale for t in self.templates})
        vars_ = list(variants) if variants is not None else [None] + sorted(
            {t.variant for t in self.templates if t.variant})
        self.controls: dict[str, W.ValueWidget] = {
            "locales": W.Text(value=", ".join(locs), description="Locales"),
            "variants": W.Text(value=", ".join(v or "-" for v in vars_), description="Variants"),
        }
        self.grid = W.HTML()
        self.previews: dict[tuple[str, str | None], PromptPreview] = {}
        self.error = ""
        for w in self.controls.values():
            w.observe(lambda _change: self.render(), names="value")
        super().__init__([W.HBox(list(self.controls.values())), self.grid])
        self.render()

    @property
    def values(self) -> dict[str, Any]:
        """Every control's value."""
        return {k: w.value for k, w in self.controls.items()}

    def _split(self, name: str) -> list[str]:
        return [p.strip() for p in self.controls[name].value.split(",") if p.strip()]

    def render(self) -> str:
        """Re-render every cell; returns the grid HTML (also set on ``self.grid``)."""
        locales = self._split("locales")
        variants = [None if v in ("-", "default") else v for v in self._split("variants")] or [None]
        try:
            rows = grid_previews(self.templates, self.context_base, locales=locales or None, variants=variants,
                                 **self._render_kw)
        except InputError as exc:
            self.previews, self.error = {}, str(exc)
            html = ('<div class="ciba-error" style="color:#b3261e;font-family:sans-serif;font-size:13px">'
                    f"Cannot render: {_escape(str(exc))}</div>")
            self.grid.value = html
            return html
        self.error = ""
        self.previews = {(loc, var): pv for loc, var, pv in rows}
        html = grid_html([(f"{loc} · {var or 'default'}", pv) for loc, var, pv in rows])
        self.grid.value = html
        return html

    def __repr__(self) -> str:
        return f"LocaleGrid({len(self.previews)} cell(s))"


class PhoneView(W.VBox):
    """A phone showing one prompt (a PromptPreview or the simulator's pending prompt).

    With ``devices`` (the simulator's ``sim.devices``), Approve and Deny buttons decide the shown
    pending prompt through the device API. A prompt with a ``number_challenge`` (number matching)
    shows one button per number instead of Approve (``number_buttons``); tapping one approves
    with that number, as the PingOne app does.
    """

    def __init__(self, prompt: Any = None, *, devices: Any = None, view: str = "both") -> None:
        self.html = W.HTML()
        self.devices = devices
        self.view = view
        self.prompt: Any = None
        self.status = W.HTML()
        self.number_buttons: list[W.Button] = []
        children: list[W.Widget] = [self.html]
        if devices is not None:
            self.approve_button = W.Button(description="Approve", button_style="success")
            self.deny_button = W.Button(description="Deny", button_style="danger")
            self.approve_button.on_click(lambda _b: self._decide("approve"))
            self.deny_button.on_click(lambda _b: self._decide("deny"))
            self.actions = W.HBox([self.deny_button, self.approve_button, self.status])
            children.append(self.actions)
        super().__init__(children)
        self.show(prompt)

    def show(self, prompt: Any) -> str:
        """Show ``prompt`` (None clears the phone); returns the HTML."""
        self.prompt = prompt
        self.html.value = phone_html(prompt, view=self.view) if prompt is not None else (
            '<div class="ciba-phone-empty" style="font-family:sans-serif;color:#666">No prompt</div>')
        if self.devices is not None:
            numbers = list(getattr(prompt, "number_challenge", None) or [])
            self.number_buttons = [self._number_button(n) for n in numbers]
            self.actions.children = [self.deny_button, *(self.number_buttons or [self.approve_button]), self.status]
        return self.html.value

    def _number_button(self, number: int) -> W.Button:
        b = W.Button(description=str(number), button_style="info", layout=W.Layout(width="56px"))
        b.on_click(lambda _b: self._decide("approve", number=number))
        return b

    def _decide(self, action: str, *, number: int | None = None) -> None:
        if self.prompt is None or self.devices is None:
            self.status.value = "no prompt"
            return
        key = getattr(self.prompt, "id", self.prompt)
        try:
            if number is None:
                getattr(self.devices, action)(key)
            else:
                self.devices.approve(key, number=number)
        except InputError as exc:  # e.g. already decided, or number matching without a number
            self.status.value = _escape(exc.problem)
            return
        self.status.value = f"{action}d" if number is None else f"picked {number}"

    def __repr__(self) -> str:
        return f"PhoneView({getattr(self.prompt, 'title', None)!r})"
