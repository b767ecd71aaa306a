"""Shared CRUD plumbing for the simulator's Admin API stand-ins (PingFederate and PingOne).

Both stand-ins serve id-keyed resources with the same five routes and the same steps (guard,
parse the body, lock, look the item up, 404, validate, store, ``state.touch()``, answer a copy);
only the wording differs. A :class:`Dialect` holds what one API family says (its guard, body
parser, error shapes and collection envelope); a :class:`Collection` holds what one resource
needs (where its documents live, its validator, how a write is stamped, who references it);
:func:`collection_routes` builds the routes from the pair.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Iterable, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .state import SimulatorState

__all__ = ["Collection", "Dialect", "DictItems", "Errors", "Items", "ListItems", "collection_routes", "json_object",
           "now_iso"]

Json = dict[str, Any]
Handler = Callable[[Request], Awaitable[Response]]


def now_iso() -> str:
    """Current UTC time in the millisecond ``...Z`` form both Ping APIs answer."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def json_object(request: Request) -> Json | str:
    """The request body as a JSON object, or what is wrong with it (a message for the 400)."""
    try:
        data = await request.json()
    except (ValueError, UnicodeDecodeError):
        return "The request body is not valid JSON."
    if not isinstance(data, dict):
        return "The request body must be a JSON object."
    return data


class Errors(Protocol):
    """A validation collector (PingFederate ``ApiValidation`` or PingOne details)."""

    def response(self) -> Response | None:
        """The error answer when anything was recorded, else None."""


class Items(Protocol):
    """The documents of one collection, keyed by id, as the generic handlers see them."""

    def get(self, ident: str) -> Json | None:
        """The stored document with id ``ident``, or None."""

    def values(self) -> Iterable[Json]:
        """All stored documents, in stored order."""

    def add(self, ident: str, doc: Json) -> None:
        """Store a newly created document."""

    def replace(self, ident: str, doc: Json) -> None:
        """Store ``doc`` in place of the existing document ``ident``."""

    def remove(self, ident: str) -> None:
        """Delete the existing document ``ident``."""


class DictItems:
    """:class:`Items` over a ``dict`` id -> document (most resources)."""

    def __init__(self, docs: dict[str, Json]) -> None:
        self.docs = docs

    def get(self, ident: str) -> Json | None:
        """See :class:`Items`."""
        return self.docs.get(ident)

    def values(self) -> Iterable[Json]:
        """See :class:`Items`."""
        return self.docs.values()

    def add(self, ident: str, doc: Json) -> None:
        """See :class:`Items` (an existing id is overwritten, as a dict assignment does)."""
        self.docs[ident] = doc

    replace = add

    def remove(self, ident: str) -> None:
        """See :class:`Items`."""
        del self.docs[ident]


class ListItems:
    """:class:`Items` over a list of documents carrying ``"id"`` (devices, actions, template contents).

    Args:
        read: the current list, or an empty stand-in when the owner has none yet (reads must not
            create it: a GET on a missing parent leaves the state untouched).
        write: the list to append to, created on first use.
    """

    def __init__(self, read: Callable[[], list[Json]], write: Callable[[], list[Json]]) -> None:
        self._read, self._write = read, write

    def _index(self, ident: str) -> int | None:
        # First match, as a linear scan of the list always answered.
        for i, doc in enumerate(self._read()):
            if doc.get("id") == ident:
                return i
        return None

    def get(self, ident: str) -> Json | None:
        """See :class:`Items`."""
        i = self._index(ident)
        return None if i is None else self._read()[i]

    def values(self) -> Iterable[Json]:
        """See :class:`Items`."""
        return self._read()

    def add(self, ident: str, doc: Json) -> None:
        """See :class:`Items` (appends, even when a caller-chosen id repeats)."""
        self._write().append(doc)

    def replace(self, ident: str, doc: Json) -> None:
        """See :class:`Items`."""
        i = self._index(ident)
        assert i is not None, "replace() is only called after a successful get()"
        self._read()[i] = doc

    def remove(self, ident: str) -> None:
        """See :class:`Items`."""
        i = self._index(ident)
        assert i is not None, "remove() is only called after a successful get()"
        del self._read()[i]


@dataclass(frozen=True)
class Dialect:
    """How one API family answers: shared by all of its collections.

    Attributes:
        state: the configuration store (its lock guards every handler; writes call ``touch()``).
        guard: wraps every handler (authentication, environment checks).
        body_of: parses a request body into a JSON object, or answers the 400 itself.
        errors: makes an empty validation collector for one request.
        not_found: ``(label, ident) -> 404`` in the family's error shape.
        in_use: ``(label, ident, users) -> error`` refusing to delete a referenced document.
        listing: ``(request, name, items) -> collection answer`` (envelope; ``name`` is the
            collection's :attr:`Collection.name`).
    """

    state: SimulatorState
    guard: Callable[[Handler], Handler]
    body_of: Callable[[Request], Awaitable[Json | Response]]
    errors: Callable[[], Errors]
    not_found: Callable[[str, str], Response]
    in_use: Callable[[str, str, list[str]], Response]
    listing: Callable[[Request, str, list[Json]], Response]


def _no_check(request: Request, doc: Json, errors: Any, ident: str | None) -> None:
    return None


@dataclass(frozen=True)
class Collection:
    """One resource: ``GET|POST path`` and ``GET|PUT|DELETE path/{param}``.

    Hooks run under ``state.lock``. ``ident`` is None on create, the path id on update.

    Attributes:
        path: the collection's route path (may hold parent path parameters).
        label: the resource's name in not-found and in-use messages.
        items: the documents for a request (the request gives the parent's path parameters).
        save: ``(request, doc, ident, old, extra) -> id``: stamp a validated document before it is
            stored (ids, timestamps, write-only secrets); ``old`` is the stored document on update
            (None on create), ``extra`` what ``check`` returned. Returns the id to store under.
        param: path parameter naming one item.
        name: the collection's name inside the listing envelope (PingOne ``_embedded`` key).
        check: ``(request, doc, errors, ident) -> extra``: validate (and default) ``doc`` into
            ``errors``; a non-empty collector aborts the write with its response.
        out: the answered form of a stored document (a deep copy; may hide fields).
        select: ``(request, docs) -> docs | error``: query filtering/paging of a listing.
        parent: ``request -> 404 | None``: a missing parent for list/create (items routes treat
            a missing parent as a missing item).
        precheck: like ``parent`` but before the body is read and without the lock.
        users_of: ``ident -> referrers``: a non-empty answer refuses the delete (``in_use``).
        forget: ``ident -> None``: drop what belongs to a deleted document (secrets, devices).
        updatable: serve ``PUT path/{param}``.
    """

    path: str
    label: str
    items: Callable[[Request], Items]
    save: Callable[[Request, Json, str | None, Json | None, Any], str]
    param: str = "id"
    name: str = ""
    check: Callable[[Request, Json, Any, str | None], Any] = _no_check
    out: Callable[[Json], Json] = copy.deepcopy
    select: Callable[[Request, list[Json]], list[Json] | Response] | None = None
    parent: Callable[[Request], Response | None] | None = None
    precheck: Callable[[Request], Response | None] | None = None
    users_of: Callable[[str], list[str]] | None = None
    forget: Callable[[str], None] | None = None
    updatable: bool = True


def collection_routes(api: Dialect, col: Collection) -> list[Route]:
    """The guarded routes of ``col`` (list, create, get, put, delete, in that order).

    The order matters to Starlette: on a method mismatch the first route with a matching path
    answers the 405 and its ``Allow`` header.
    """
    state = api.state
    item_path = f"{col.path}/{{{col.param}}}"

    async def list_(request: Request) -> Response:
        if col.precheck is not None and (r := col.precheck(request)) is not None:
            return r
        with state.lock:
            if col.parent is not None and (r := col.parent(request)) is not None:
                return r
            docs = list(col.items(request).values())
            if col.select is not None:
                picked = col.select(request, docs)
                if isinstance(picked, Response):
                    return picked
                docs = picked
            items = [col.out(d) for d in docs]
        return api.listing(request, col.name, items)

    async def create(request: Request) -> Response:
        if col.precheck is not None and (r := col.precheck(request)) is not None:
            return r
        doc = await api.body_of(request)
        if isinstance(doc, Response):
            return doc
        with state.lock:
            if col.parent is not None and (r := col.parent(request)) is not None:
                return r
            errors = api.errors()
            extra = col.check(request, doc, errors, None)
            if (r := errors.response()) is not None:
                return r
            ident = col.save(request, doc, None, None, extra)
            col.items(request).add(ident, doc)
            state.touch()
            return JSONResponse(col.out(doc), status_code=201)

    async def get(request: Request) -> Response:
        ident = request.path_params[col.param]
        with state.lock:
            doc = col.items(request).get(ident)
            if doc is None:
                return api.not_found(col.label, ident)
            return JSONResponse(col.out(doc))

    async def put(request: Request) -> Response:
        ident = request.path_params[col.param]
        doc = await api.body_of(request)
        if isinstance(doc, Response):
            return doc
        with state.lock:
            items = col.items(request)
            old = items.get(ident)
            if old is None:
                return api.not_found(col.label, ident)
            errors = api.errors()
            extra = col.check(request, doc, errors, ident)
            if (r := errors.response()) is not None:
                return r
            col.save(request, doc, ident, old, extra)
            items.replace(ident, doc)
            state.touch()
            return JSONResponse(col.out(doc))

    async def delete(request: Request) -> Response:
        ident = request.path_params[col.param]
        with state.lock:
            items = col.items(request)
            if items.get(ident) is None:
                return api.not_found(col.label, ident)
            if col.users_of is not None and (users := col.users_of(ident)):
                return api.in_use(col.label, ident, users)
            items.remove(ident)
            if col.forget is not None:
                col.forget(ident)
            state.touch()
            return Response(status_code=204)

    g = api.guard
    routes = [Route(col.path, g(list_), methods=["GET"]), Route(col.path, g(create), methods=["POST"]),
              Route(item_path, g(get), methods=["GET"])]
    if col.updatable:
        routes.append(Route(item_path, g(put), methods=["PUT"]))
    routes.append(Route(item_path, g(delete), methods=["DELETE"]))
    return routes
