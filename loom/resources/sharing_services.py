"""Sharing resources and collections with clients, auto-share, and session homework.

A share is one row per (client, resource) or (client, collection) — the unique
constraints of ``Share`` — so sharing again updates the row (download permission,
expiry) instead of adding one, and two people sharing the same thing at the same
moment end with one row: the second insert meets the first one's unique index, waits
for it, fails inside its own savepoint and updates the row instead.

Only the coach's own resources and collections can be shared (a foreign id is a
``NotFound``, exactly like one that does not exist) and only with clients on the
coach's *active* roster; a single wrong client refuses the whole request and
nothing is written. Clients newly given access are told in Loom and by email
through the outbox (``loom.resources.emails``), after the commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from loom.accounts.models import CoachClient, Role, User
from loom.core.audit import audit_record
from loom.core.context import system_context
from loom.core.errors import DomainError, Forbidden, NotFound
from loom.core.ids import parse_object_id
from loom.resources import emails
from loom.resources.models import (
    Collection,
    CollectionItem,
    Resource,
    SessionHomework,
    Share,
    ShareSource,
)
from loom.resources.selectors import get_own_collection, get_own_resource

# Ids in one request; a coach's roster or a batch of resources is far below it.
MAX_IDS = 1000

Target = Resource | Collection


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _require_coach(user: User) -> None:
    if not user.is_authenticated or user.role != Role.COACH:
        raise Forbidden(_("Only coaches can share resources."), code="not_a_coach")


def _ids(values: Iterable[Any] | None) -> list[int]:
    """Distinct positive integer ids, in the order given; anything else is refused."""
    seen: dict[int, None] = {}
    for value in values or ():
        pk = parse_object_id(value)
        if pk is None:
            raise DomainError(
                _("“%(value)s” is not a valid choice.") % {"value": str(value)[:40]},
                code="invalid_id",
            )
        seen[pk] = None
    if len(seen) > MAX_IDS:
        raise DomainError(_("Too many items in one request."), code="too_many")
    return list(seen)


def active_clients_of(coach: User) -> list[User]:
    """Every client on ``coach``'s active roster, by name."""
    return list(
        User.objects.filter(
            coach_links__coach=coach, coach_links__status=CoachClient.Status.ACTIVE
        ).order_by("full_name", "email", "id")
    )


def _audience(coach: User, client_ids: Sequence[Any] | None, all_clients: bool) -> list[User]:
    if all_clients:
        clients = active_clients_of(coach)
        if not clients:
            raise DomainError(_("You have no current clients to share with."), code="no_clients")
        return clients
    ids = _ids(client_ids)
    if not ids:
        raise DomainError(_("Choose at least one client."), code="no_clients")
    clients = list(
        User.objects.filter(
            pk__in=ids,
            coach_links__coach=coach,
            coach_links__status=CoachClient.Status.ACTIVE,
        ).order_by("full_name", "email", "id")
    )
    if len(clients) != len(ids):
        raise DomainError(
            _("You can share only with your current clients. Nothing was shared."),
            code="not_your_client",
        )
    return clients


def _check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is None:
        return
    if timezone.is_naive(expires_at):
        raise DomainError(_("The end of access needs a time zone."), code="naive_expiry")
    if expires_at <= now:
        raise DomainError(_("Access must end in the future."), code="expiry_in_past")


def _is_live(share: Share, now: datetime) -> bool:
    return share.expires_at is None or share.expires_at > now


def _field(target: Target) -> str:
    return "resource" if isinstance(target, Resource) else "collection"


@dataclass
class _Written:
    shares: list[Share]
    # Per client: what they could not read before this action and can now.
    newly: dict[int, list[Target]]


def _write_shares(
    *,
    coach: User,
    targets: Sequence[Target],
    clients: Sequence[User],
    can_download: bool,
    expires_at: datetime | None,
    source: str,
    now: datetime,
) -> _Written:
    """Create or update one share per (target, client); report who gained access."""
    field = _field(targets[0])
    target_ids = [target.pk for target in targets]
    client_ids = [client.pk for client in clients]
    existing = {
        (getattr(share, f"{field}_id"), share.client_id): share
        for share in Share.objects.select_for_update()
        .filter(**{f"{field}_id__in": target_ids}, client_id__in=client_ids)
        .order_by("pk")
    }
    # A resource the client already reads through a live collection share is not new
    # to them, even when it gets a direct share of its own now.
    through_collection: set[tuple[int, int]] = set()
    if field == "resource":
        through_collection = {
            (resource_id, client_id)
            for resource_id, client_id in CollectionItem.objects.filter(
                Q(collection__shares__expires_at__isnull=True)
                | Q(collection__shares__expires_at__gt=now),
                resource_id__in=target_ids,
                collection__shares__client_id__in=client_ids,
            ).values_list("resource_id", "collection__shares__client_id")
        }
    written: list[Share] = []
    newly: dict[int, list[Target]] = {}
    for target in targets:
        for client in clients:
            share = existing.get((target.pk, client.pk))
            had_access = share is not None and _is_live(share, now)
            if share is None:
                share, created = _insert_or_lock(
                    coach=coach,
                    client=client,
                    field=field,
                    target=target,
                    can_download=can_download,
                    expires_at=expires_at,
                    source=source,
                    now=now,
                )
                if not created:
                    had_access = _is_live(share, now)
            if share.can_download != can_download or share.expires_at != expires_at:
                share.can_download = can_download
                share.expires_at = expires_at
                share.updated_at = now
                share.save(update_fields=["can_download", "expires_at", "updated_at"])
            written.append(share)
            if not had_access and (target.pk, client.pk) not in through_collection:
                newly.setdefault(client.pk, []).append(target)
    return _Written(shares=written, newly=newly)


def _insert_or_lock(
    *,
    coach: User,
    client: User,
    field: str,
    target: Target,
    can_download: bool,
    expires_at: datetime | None,
    source: str,
    now: datetime,
) -> tuple[Share, bool]:
    """Insert the share, or — when a concurrent action inserted it first — lock theirs."""
    try:
        with transaction.atomic():
            share = Share.objects.create(
                coach=coach,
                client=client,
                can_download=can_download,
                expires_at=expires_at,
                source=source,
                **{field: target},
            )
            return share, True
    except IntegrityError:
        share = Share.objects.select_for_update().get(client=client, **{field: target})
        return share, False


def _share(
    *,
    coach: User,
    targets: Sequence[Target],
    client_ids: Sequence[Any] | None,
    all_clients: bool,
    can_download: bool,
    expires_at: datetime | None,
    source: str,
    now: datetime,
) -> list[Share]:
    if source not in ShareSource.values:
        raise DomainError(_("Unknown way of sharing."), code="invalid_source")
    _check_expiry(expires_at, now)
    clients = _audience(coach, client_ids, all_clients)
    result = _write_shares(
        coach=coach,
        targets=targets,
        clients=clients,
        can_download=can_download,
        expires_at=expires_at,
        source=source,
        now=now,
    )
    field = _field(targets[0])
    audit_record(
        action=f"{field}.shared",
        actor=coach,
        target=targets[0],
        details={
            f"{field}_ids": [target.pk for target in targets],
            "client_ids": [client.pk for client in clients],
            "all_clients": all_clients,
            "can_download": can_download,
            "expires_at": expires_at.isoformat() if expires_at else None,
            "source": source,
        },
    )
    by_id = {client.pk: client for client in clients}
    for client_id, gained in result.newly.items():
        emails.shares_notify(
            coach=coach,
            client=by_id[client_id],
            targets=gained,
            shares=[s for s in result.shares if s.client_id == client_id],
            homework=source == ShareSource.HOMEWORK,
        )
    return result.shares


@transaction.atomic
def share_resources(
    *,
    coach: User,
    resource_ids: Sequence[Any],
    client_ids: Sequence[Any] | None = None,
    all_clients: bool = False,
    can_download: bool = True,
    expires_at: datetime | None = None,
    source: str = ShareSource.CHOSEN,
    now: datetime | None = None,
) -> list[Share]:
    """Share ``coach``'s resources with chosen clients, or with every current client.

    Returns the share rows (new and updated). Clients who could not read a resource
    before get one notice and one email listing what they gained.
    """
    _require_coach(coach)
    ids = _ids(resource_ids)
    if not ids:
        raise DomainError(_("Choose at least one resource."), code="no_resources")
    resources = {
        resource.pk: resource
        # Locked in id order, so two actions sharing overlapping sets cannot deadlock.
        for resource in Resource.objects.select_for_update()
        .filter(pk__in=ids, coach=coach)
        .order_by("pk")
    }
    if len(resources) != len(ids):
        raise NotFound(_("That resource does not exist."), code="resource_not_found")
    if all_clients and source == ShareSource.CHOSEN:
        source = ShareSource.ALL
    return _share(
        coach=coach,
        targets=[resources[pk] for pk in ids],
        client_ids=client_ids,
        all_clients=all_clients,
        can_download=can_download,
        expires_at=expires_at,
        source=source,
        now=_now(now),
    )


@transaction.atomic
def share_collection(
    *,
    coach: User,
    collection_id: Any,
    client_ids: Sequence[Any] | None = None,
    all_clients: bool = False,
    can_download: bool = True,
    expires_at: datetime | None = None,
    source: str = ShareSource.CHOSEN,
    now: datetime | None = None,
) -> list[Share]:
    """Share one of ``coach``'s collections (and so every resource in it)."""
    _require_coach(coach)
    collection = _own_collection(coach, collection_id, for_update=True)
    if all_clients and source == ShareSource.CHOSEN:
        source = ShareSource.ALL
    return _share(
        coach=coach,
        targets=[collection],
        client_ids=client_ids,
        all_clients=all_clients,
        can_download=can_download,
        expires_at=expires_at,
        source=source,
        now=_now(now),
    )


def _own_resource(coach: User, resource_id: Any, *, for_update: bool = False) -> Resource:
    try:
        return get_own_resource(coach, resource_id, for_update=for_update)
    except Http404:
        raise NotFound(_("That resource does not exist."), code="resource_not_found") from None


def _own_collection(coach: User, collection_id: Any, *, for_update: bool = False) -> Collection:
    try:
        return get_own_collection(coach, collection_id, for_update=for_update)
    except Http404:
        raise NotFound(_("That collection does not exist."), code="collection_not_found") from None


def get_own_share(coach: User, share_id: Any) -> Share:
    """One share of ``coach``'s, with its client and target, or ``NotFound``."""
    ids = _ids([share_id]) if share_id is not None else []
    share = (
        Share.objects.select_related("client", "resource", "collection")
        .filter(pk__in=ids, coach=coach)
        .first()
        if coach.is_authenticated
        else None
    )
    if share is None:
        raise NotFound(_("That share does not exist."), code="share_not_found")
    return share


def _audit_unshare(coach: User, share: Share, target: Model) -> None:
    audit_record(
        action=f"{target._meta.model_name}.unshared",
        actor=coach,
        target=target,
        details={"client_id": share.client_id, "share_id": share.pk, "source": share.source},
    )


@transaction.atomic
def unshare(*, coach: User, share_id: Any) -> Share:
    """Remove a share: the client loses access at once. Returns the removed row."""
    _require_coach(coach)
    try:
        share = get_own_share(coach, share_id)
    except DomainError:
        raise NotFound(_("That share does not exist."), code="share_not_found") from None
    target = share.resource or share.collection
    assert target is not None  # the check constraint: exactly one of the two
    _audit_unshare(coach, share, target)
    removed_pk = share.pk
    share.delete()
    share.pk = removed_pk
    return share


@transaction.atomic
def unshare_client(
    *,
    coach: User,
    client_id: Any,
    resource_id: Any = None,
    collection_id: Any = None,
) -> Share:
    """Remove one client's share of a resource or of a collection."""
    _require_coach(coach)
    if (resource_id is None) == (collection_id is None):
        raise DomainError(_("Name a resource or a collection."), code="invalid_target")
    target: Target = (
        _own_resource(coach, resource_id)
        if resource_id is not None
        else _own_collection(coach, collection_id)
    )
    [client_pk] = _ids([client_id])
    share = Share.objects.filter(
        coach=coach, client_id=client_pk, **{_field(target): target}
    ).first()
    if share is None:
        raise NotFound(_("That client does not have it."), code="share_not_found")
    _audit_unshare(coach, share, target)
    removed_pk = share.pk
    share.delete()
    share.pk = removed_pk
    return share


@transaction.atomic
def set_auto_share(
    *, coach: User, resource_id: Any = None, collection_id: Any = None, enabled: bool
) -> Target:
    """Mark a resource or collection to be shared with every client who joins from now on.

    Clients already on the roster are not affected (share "with all my current
    clients" for them).
    """
    _require_coach(coach)
    if (resource_id is None) == (collection_id is None):
        raise DomainError(_("Name a resource or a collection."), code="invalid_target")
    target: Target = (
        _own_resource(coach, resource_id, for_update=True)
        if resource_id is not None
        else _own_collection(coach, collection_id, for_update=True)
    )
    if target.auto_share != enabled:
        target.auto_share = enabled
        target.save(update_fields=["auto_share", "updated_at"])
        audit_record(
            action=f"{target._meta.model_name}.auto_share_{'on' if enabled else 'off'}",
            actor=coach,
            target=target,
        )
    return target


def share_auto_for_new_client(*, coach: User, client: User, now: datetime) -> list[Share]:
    """Give a newly joined client everything ``coach`` marked "share with every new client".

    Runs inside the joining transaction (``client_joined``), in the system context:
    the person accepting an invitation is not acting as the coach. When something
    was shared, the client gets one welcome notice and email listing it.
    """
    with system_context():
        resources = list(Resource.objects.filter(coach=coach, auto_share=True))
        collections = list(Collection.objects.filter(coach=coach, auto_share=True))
        rows = [
            Share(coach=coach, client=client, resource=resource, source=ShareSource.AUTO)
            for resource in resources
        ] + [
            Share(coach=coach, client=client, collection=collection, source=ShareSource.AUTO)
            for collection in collections
        ]
        for row in rows:
            row.created_at = now
        # A share the client already has (re-joining) stays as it is.
        Share.objects.bulk_create(rows, ignore_conflicts=True)
        created = list(
            Share.objects.select_related("resource", "collection").filter(
                coach=coach, client=client, source=ShareSource.AUTO, created_at=now
            )
        )
        if created:
            targets: list[Target] = [
                share.resource or share.collection  # type: ignore[misc]
                for share in created
            ]
            emails.shares_notify(
                coach=coach, client=client, targets=targets, shares=created, welcome=True
            )
            audit_record(
                action="resources.auto_shared",
                actor=None,
                target=client,
                details={"coach_id": coach.pk, "share_ids": [share.pk for share in created]},
            )
        return created


# --- Session homework ----------------------------------------------------------------------


def _session_model() -> Any:
    # The scheduling app's Session, reached through our own relation: the two domain
    # apps may not import each other (import-linter), the database links them.
    return SessionHomework._meta.get_field("session").related_model


def get_coach_session(coach: User, session_id: Any) -> Any:
    """One of ``coach``'s sessions with one client, or ``NotFound`` / a refusal for groups."""
    try:
        [pk] = _ids([session_id])
    except (DomainError, ValueError):
        raise NotFound(_("That session does not exist."), code="session_not_found") from None
    session = (
        _session_model().objects.select_related("client").filter(pk=pk, coach=coach).first()
        if coach.is_authenticated
        else None
    )
    if session is None:
        raise NotFound(_("That session does not exist."), code="session_not_found")
    if session.client_id is None:
        raise DomainError(
            _(
                "Homework is for one-to-one sessions. Share the resource with the group's clients instead."
            ),
            code="group_session",
        )
    return session


@transaction.atomic
def homework_add(
    *, coach: User, session_id: Any, resource_id: Any, now: datetime | None = None
) -> SessionHomework:
    """Give a resource as homework for a one-to-one session: it is shared with the
    session's client (source ``homework``) unless they can already read it directly.

    Adding the same resource to the same session again returns the existing row.
    """
    _require_coach(coach)
    now = _now(now)
    session = get_coach_session(coach, session_id)
    resource = _own_resource(coach, resource_id, for_update=True)
    existing = SessionHomework.objects.filter(session=session, resource=resource).first()
    if existing is not None:
        return existing
    client = session.client
    direct = Share.objects.filter(client=client, resource=resource).first()
    if direct is None or not _is_live(direct, now):
        # A new share, or an expired one opened again; its download permission and
        # any expiry the coach set on a live share are left as they are.
        _share(
            coach=coach,
            targets=[resource],
            client_ids=[client.pk],
            all_clients=False,
            can_download=direct.can_download if direct is not None else True,
            expires_at=None,
            source=ShareSource.HOMEWORK,
            now=now,
        )
    try:
        with transaction.atomic():
            homework = SessionHomework.objects.create(
                coach=coach, client=client, session=session, resource=resource
            )
    except IntegrityError:
        return SessionHomework.objects.get(session=session, resource=resource)
    audit_record(
        action="resource.homework_added",
        actor=coach,
        target=resource,
        details={"session_id": session.pk, "client_id": client.pk},
    )
    return homework


@transaction.atomic
def homework_remove(*, coach: User, session_id: Any, homework_id: Any) -> SessionHomework:
    """Take a resource off a session's homework.

    The share goes too only when homework created it (source ``homework``) and no
    other session of this client has the same resource as homework; a share the
    coach made on purpose stays.
    """
    _require_coach(coach)
    session = get_coach_session(coach, session_id)
    [pk] = _homework_ids(homework_id)
    homework = (
        SessionHomework.objects.select_related("resource")
        .filter(pk=pk, session=session, coach=coach)
        .first()
    )
    if homework is None:
        raise NotFound(_("That homework does not exist."), code="homework_not_found")
    removed_pk = homework.pk
    homework.delete()
    homework.pk = removed_pk
    still_homework = SessionHomework.objects.filter(
        client_id=homework.client_id, resource_id=homework.resource_id
    ).exists()
    if not still_homework:
        share = Share.objects.filter(
            client_id=homework.client_id,
            resource_id=homework.resource_id,
            source=ShareSource.HOMEWORK,
        ).first()
        if share is not None:
            _audit_unshare(coach, share, homework.resource)
            share.delete()
    audit_record(
        action="resource.homework_removed",
        actor=coach,
        target=homework.resource,
        details={"session_id": session.pk, "client_id": homework.client_id},
    )
    return homework


def _homework_ids(value: Any) -> list[int]:
    try:
        ids = _ids([value])
    except DomainError:
        raise NotFound(_("That homework does not exist."), code="homework_not_found") from None
    return ids
