"""Re-encrypting every stored secret under the current key (``loom rotate_encryption_keys``).

Two kinds of places hold ``loom.core.crypto`` ciphertext:

* every ``EncryptedTextField`` of every installed model — found through the app
  registry, so fields added by later apps are covered without any registration;
* files of ``FileField`` columns whose content is ``encrypt_bytes`` output (journal audio
  notes), declared with ``encrypted_file_register``. Each is re-encrypted into a NEW
  file, the row is pointed at it inside the batch's transaction, and the old file is
  deleted only after that commits — a crash or a rollback never leaves a row pointing
  at a half-written or deleted file (at worst an orphan old file stays behind);
* values inside JSON columns that an app encrypts itself (allauth's MFA secrets, which
  ``loom.accounts`` encrypts through its MFA adapter). The app that writes them
  declares them with ``encrypted_json_register`` in its ``AppConfig.ready()``.

Rows are read and rewritten in primary-key batches, each in its own transaction with
the batch's rows locked (``SELECT … FOR UPDATE`` where the database has row locks), so
a concurrent save of the same row waits instead of being overwritten with an old value.
Values already under the first key are left alone, which makes a second run a no-op.
The caller states the system context: the rows belong to every user.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from loom.core.crypto import (
    FILE_PREFIX,
    PREFIX,
    DecryptionError,
    is_current,
    rotate_bytes,
    rotate_text,
)
from loom.core.fields import EncryptedTextField

# How many unreadable row ids a report keeps per place (the count is always exact).
_MAX_LISTED = 20


@dataclass(frozen=True)
class EncryptedJsonKeys:
    """Top-level keys of a JSON column whose string values are ``encrypt_text`` output."""

    model: str  # "app_label.ModelName"
    field: str
    keys: tuple[str, ...]


_JSON_LOCATIONS: dict[tuple[str, str], EncryptedJsonKeys] = {}


def encrypted_json_register(*, model: str, field: str, keys: Iterable[str]) -> None:
    """Declare that ``model.field[key]`` holds ciphertext for each of ``keys``.

    Call from an ``AppConfig.ready()``. Values in those keys that do not start with
    ``enc1:`` (written before encryption was switched on) are left as they are.
    """
    _JSON_LOCATIONS[(model, field)] = EncryptedJsonKeys(model=model, field=field, keys=tuple(keys))


_FILE_LOCATIONS: set[tuple[str, str]] = set()


def encrypted_file_register(*, model: str, field: str) -> None:
    """Declare that the files of ``model.field`` (a FileField) hold ``encrypt_bytes`` output.

    Call from an ``AppConfig.ready()``; ``encryption_keys_rotate`` re-encrypts them.
    """
    _FILE_LOCATIONS.add((model, field))


def encrypted_file_locations() -> list[tuple[str, str]]:
    return sorted(_FILE_LOCATIONS)


@dataclass
class LocationReport:
    """The outcome for one place (a column, or some keys of a JSON column)."""

    label: str
    rotated: int = 0
    current: int = 0
    unreadable: int = 0
    unreadable_ids: list[Any] = field(default_factory=list)

    def _unreadable(self, pk: Any) -> None:
        self.unreadable += 1
        if len(self.unreadable_ids) < _MAX_LISTED:
            self.unreadable_ids.append(pk)


def encrypted_text_fields() -> list[EncryptedTextField]:
    """Every ``EncryptedTextField`` column of every installed model, each once."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        # local_ fields: a multi-table child would otherwise repeat its parent's column.
        for model_field in model._meta.local_concrete_fields:
            if isinstance(model_field, EncryptedTextField):
                found.append(model_field)
    return sorted(found, key=lambda f: (f.model._meta.label, f.name))


def encrypted_json_locations() -> list[EncryptedJsonKeys]:
    return sorted(_JSON_LOCATIONS.values(), key=lambda loc: (loc.model, loc.field))


def _batches(
    queryset: models.QuerySet[Any], columns: tuple[str, ...], batch_size: int
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows of ``queryset`` in primary-key order, one locked batch per transaction.

    Yields inside the batch's transaction, so the caller's writes share its locks.
    """
    last_pk: Any = None
    while True:
        with transaction.atomic():
            page = queryset.select_for_update().order_by("pk")
            if last_pk is not None:
                page = page.filter(pk__gt=last_pk)
            rows = list(page.values_list("pk", *columns)[:batch_size])
            if not rows:
                return
            yield rows
        last_pk = rows[-1][0]


def _rotate_text_field(
    model_field: EncryptedTextField, *, batch_size: int, dry_run: bool
) -> LocationReport:
    model = model_field.model
    report = LocationReport(label=f"{model._meta.label}.{model_field.name}")
    # The stored text, past the field's decryption: a plain text column of the same name.
    stored = Cast(model_field.name, output_field=models.TextField())
    queryset = (
        model._base_manager.annotate(_loom_stored=stored)
        .exclude(_loom_stored__isnull=True)
        .exclude(_loom_stored="")
    )
    for rows in _batches(queryset, ("_loom_stored",), batch_size):
        for pk, value in rows:
            try:
                if is_current(value):
                    report.current += 1
                    continue
                rotated = rotate_text(value)
            except DecryptionError:
                report._unreadable(pk)
                continue
            report.rotated += 1
            if not dry_run:
                # A Value with a plain text output field is written as is; assigning the
                # string to the field would encrypt the ciphertext a second time.
                model._base_manager.filter(pk=pk).update(
                    **{model_field.name: models.Value(rotated, output_field=models.TextField())}
                )
    return report


def _rotate_json(location: EncryptedJsonKeys, *, batch_size: int, dry_run: bool) -> LocationReport:
    try:
        model = apps.get_model(location.model)
    except LookupError:
        # The app that declared it is installed but the model's app is not: nothing stored.
        return LocationReport(label=f"{location.model}.{location.field} (not installed)")
    keys = ", ".join(location.keys)
    report = LocationReport(label=f"{model._meta.label}.{location.field}[{keys}]")
    queryset = model._base_manager.all()
    for rows in _batches(queryset, (location.field,), batch_size):
        for pk, data in rows:
            if not isinstance(data, dict):
                continue
            changed = dict(data)
            for key in location.keys:
                value = data.get(key)
                if not (isinstance(value, str) and value.startswith(PREFIX)):
                    continue
                try:
                    if is_current(value):
                        report.current += 1
                        continue
                    changed[key] = rotate_text(value)
                except DecryptionError:
                    report._unreadable(pk)
                    continue
                report.rotated += 1
            if changed != data and not dry_run:
                model._base_manager.filter(pk=pk).update(**{location.field: changed})
    return report


def _file_is_current(stored: bytes) -> bool:
    # A file's token is the same Fernet token a text value holds, so the text check
    # (does the first key open it?) answers for files too.
    try:
        token = stored[len(FILE_PREFIX) :].decode("ascii")
    except UnicodeDecodeError as exc:
        raise DecryptionError("Stored file is not a valid encrypted Loom file.") from exc
    return is_current(PREFIX + token)


def _delete_after_commit(storage: Any, name: str) -> None:
    transaction.on_commit(lambda: storage.delete(name))


def _rotated_name(old: str) -> str:
    import posixpath
    import uuid

    folder, base = posixpath.split(old)
    suffix = posixpath.splitext(base)[1]
    return posixpath.join(folder, f"{uuid.uuid4().hex}{suffix}")


def _rotate_files(
    model_label: str, field_name: str, *, batch_size: int, dry_run: bool
) -> LocationReport:
    try:
        model = apps.get_model(model_label)
    except LookupError:
        return LocationReport(label=f"{model_label}.{field_name} (not installed)")
    report = LocationReport(label=f"{model._meta.label}.{field_name} (files)")
    storage = model._meta.get_field(field_name).storage
    queryset = model._base_manager.exclude(**{field_name: ""}).exclude(
        **{f"{field_name}__isnull": True}
    )
    for rows in _batches(queryset, (field_name,), batch_size):
        for pk, name in rows:
            try:
                with storage.open(name, "rb") as handle:
                    stored = handle.read()
                if not stored.startswith(FILE_PREFIX):
                    raise DecryptionError("not an encrypted Loom file")
                if _file_is_current(stored):
                    report.current += 1
                    continue
                rotated = rotate_bytes(stored)
            except (DecryptionError, OSError):
                # Missing or unreadable: listed, left untouched.
                report._unreadable(pk)
                continue
            report.rotated += 1
            if dry_run:
                continue
            from django.core.files.base import ContentFile

            new_name = storage.save(_rotated_name(name), ContentFile(rotated))
            model._base_manager.filter(pk=pk).update(**{field_name: new_name})
            _delete_after_commit(storage, name)
    return report


def encryption_keys_rotate(*, batch_size: int = 500, dry_run: bool = False) -> list[LocationReport]:
    """Re-encrypt every stored value under the first key of ``FIELD_ENCRYPTION_KEYS``.

    Idempotent: values already under the first key are counted as current and not
    rewritten. Values no configured key can open are counted as unreadable and left
    untouched. With ``dry_run`` nothing is written; the counts say what would change.
    Run it in ``system_context()``.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    reports = [
        _rotate_text_field(model_field, batch_size=batch_size, dry_run=dry_run)
        for model_field in encrypted_text_fields()
    ]
    reports += [
        _rotate_json(location, batch_size=batch_size, dry_run=dry_run)
        for location in encrypted_json_locations()
    ]
    reports += [
        _rotate_files(model_label, field_name, batch_size=batch_size, dry_run=dry_run)
        for model_label, field_name in encrypted_file_locations()
    ]
    return reports
