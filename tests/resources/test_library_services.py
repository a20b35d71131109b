"""Library services: tags, links, categories, deleting (loom/resources/library_services.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from loom.core.errors import NotFound
from loom.resources.library_services import (
    category_create,
    category_delete,
    category_move,
    category_rename,
    clean_line,
    link_create,
    parse_tag_names,
    resource_delete,
    resource_update,
    tags_for,
)
from loom.resources.models import Category, Resource, ResourceTag, Tag
from tests.resources.factories import make_resource, share

pytestmark = pytest.mark.django_db


def test_tags_are_normalised_and_matched_ignoring_case(world):
    first = tags_for(world.dana, ["  Deep   Sleep ", "deep sleep", "Evening"])
    assert [tag.name for tag in first] == ["Deep Sleep", "Evening"]
    again = tags_for(world.dana, ["DEEP SLEEP", "נשימה"])
    assert again[0].pk == first[0].pk
    assert Tag.objects.filter(coach=world.dana).count() == 3
    # Another coach's tag of the same name is their own.
    assert tags_for(world.eli, ["deep sleep"])[0].pk != first[0].pk
    assert tags_for(world.dana, ["", "  ", "\u202e"]) == []


def test_tag_limits(world):
    with pytest.raises(ValidationError) as too_long:
        tags_for(world.dana, ["x" * 41])
    assert "tags" in too_long.value.message_dict
    with pytest.raises(ValidationError):
        tags_for(world.dana, [f"tag {n}" for n in range(13)])
    assert len(tags_for(world.dana, [f"tag {n}" for n in range(12)])) == 12
    assert parse_tag_names("a, b,,  c ") == ["a", " b", "  c "]


def test_bidi_overrides_and_controls_are_removed_from_titles(world):
    assert clean_line("ab\u202ecd\x00e\u2066f") == "abcdef"
    resource = link_create(
        coach=world.dana, url="https://example.com", title="Safe\u202e title\x07"
    )
    assert resource.title == "Safe title"


def test_link_errors_are_reported_together_and_nothing_is_written(world):
    foreign = Category.objects.create(coach=world.eli, name="Eli")
    with pytest.raises(ValidationError) as refused:
        link_create(
            coach=world.dana,
            url="javascript:alert(1)",
            title="",
            category=foreign.pk,
            tags=["x" * 41],
        )
    assert set(refused.value.message_dict) == {"url", "title", "category", "tags"}
    assert not Resource.objects.exists()
    assert not Tag.objects.exists()


def test_resource_tags_carry_the_coach(world):
    resource = link_create(coach=world.dana, url="https://example.com", title="T", tags=["a", "b"])
    assert set(ResourceTag.objects.filter(resource=resource).values_list("coach", flat=True)) == {
        world.dana.pk
    }
    resource_update(
        coach=world.dana,
        resource_id=resource.pk,
        title="T",
        description="",
        category_id=None,
        tags=["b", "c"],
    )
    assert sorted(resource.tags.values_list("name", flat=True)) == ["b", "c"]


def test_a_link_address_can_change_but_a_file_gets_no_address(world):
    link = link_create(coach=world.dana, url="https://example.com/a", title="L")
    resource_update(
        coach=world.dana,
        resource_id=link.pk,
        title="L",
        description="",
        category_id=None,
        tags=[],
        url="https://example.com/b",
    )
    link.refresh_from_db()
    assert link.url == "https://example.com/b"
    pdf = make_resource(world.dana)
    resource_update(
        coach=world.dana,
        resource_id=pdf.pk,
        title="P",
        description="",
        category_id=None,
        tags=[],
        url="https://example.com/c",
    )
    pdf.refresh_from_db()
    assert pdf.url == ""


def test_services_refuse_another_coachs_objects(world):
    resource = make_resource(world.eli)
    category = Category.objects.create(coach=world.eli, name="Eli")
    with pytest.raises(NotFound):
        resource_update(
            coach=world.dana,
            resource_id=resource.pk,
            title="x",
            description="",
            category_id=None,
            tags=[],
        )
    with pytest.raises(NotFound):
        resource_delete(coach=world.dana, resource_id=resource.pk)
    with pytest.raises(NotFound):
        resource_delete(coach=world.dana, resource_id="1; DROP TABLE")
    with pytest.raises(NotFound):
        category_rename(coach=world.dana, category_id=category.pk, name="Mine")
    with pytest.raises(NotFound):
        category_delete(coach=world.dana, category_id=category.pk)
    with pytest.raises(NotFound):
        category_move(coach=world.dana, category_id=category.pk, direction="up")
    with pytest.raises(ValidationError):
        resource_update(
            coach=world.eli,
            resource_id=resource.pk,
            title="x",
            description="",
            category_id=Category.objects.create(coach=world.dana, name="Dana").pk,
            tags=[],
        )


def test_category_names_are_unique_ignoring_case_and_positions_stay_dense(world):
    a = category_create(coach=world.dana, name="Worksheets")
    b = category_create(coach=world.dana, name="Audio")
    c = category_create(coach=world.dana, name="Video")
    with pytest.raises(ValidationError) as duplicate:
        category_create(coach=world.dana, name="  worksheets")
    assert "already have a category" in duplicate.value.message_dict["name"][0]
    assert category_create(coach=world.eli, name="Worksheets")  # another coach's list
    with pytest.raises(ValidationError):
        category_create(coach=world.dana, name="x" * 61)
    with pytest.raises(ValidationError):
        category_rename(coach=world.dana, category_id=b.pk, name="VIDEO")
    category_rename(coach=world.dana, category_id=b.pk, name="audio")  # its own name, new case
    category_move(coach=world.dana, category_id=c.pk, direction="up")
    category_move(coach=world.dana, category_id=c.pk, direction="up")
    category_move(coach=world.dana, category_id=c.pk, direction="up")  # already first
    names = list(
        Category.objects.filter(coach=world.dana)
        .order_by("position")
        .values_list("name", "position")
    )
    assert names == [("Video", 0), ("Worksheets", 1), ("audio", 2)]
    category_delete(coach=world.dana, category_id=a.pk)
    assert list(
        Category.objects.filter(coach=world.dana)
        .order_by("position")
        .values_list("position", flat=True)
    ) == [0, 1]
    with pytest.raises(ValidationError):
        category_move(coach=world.dana, category_id=c.pk, direction="sideways")


def test_deleting_removes_the_file_captions_and_versions_after_commit(
    world, django_capture_on_commit_callbacks
):
    resource = make_resource(world.dana)
    resource.captions.save("c.vtt", ContentFile(b"WEBVTT\n"), save=True)
    version = resource.versions.create(
        coach=world.dana,
        version=1,
        file_kind="pdf",
        content_type="application/pdf",
        size_bytes=3,
        original_name="old.pdf",
    )
    version.file.save("old", ContentFile(b"old"), save=True)
    share(resource, world.avi)
    names = [resource.file.name, resource.captions.name, version.file.name]
    storage = resource.file.storage
    assert all(storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        assert resource_delete(coach=world.dana, resource_id=resource.pk) == resource.title
    assert not any(storage.exists(name) for name in names)
    assert not Resource.objects.filter(pk=resource.pk).exists()
