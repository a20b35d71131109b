"""The acting-user context outside PostgreSQL: middleware, sign-in, consumers, migrations.

These run on every database; what PostgreSQL does with the value is in test_rls.py.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.core.management import call_command
from django.db.models.signals import post_migrate, pre_migrate
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from loom.accounts.models import User
from loom.core.context import (
    SYSTEM,
    ActingUserConsumerMixin,
    acting_as,
    acting_user_value,
    acting_user_var,
    system_context,
)
from loom.core.rls import RowLevelSecurityMiddleware
from tests.world import World


def _run(request: HttpRequest, during: Any = None) -> list[str]:
    seen: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(acting_user_var.get())
        if during is not None:
            during(request)
            seen.append(acting_user_var.get())
        return HttpResponse()

    RowLevelSecurityMiddleware(view)(request)
    return seen


def test_request_acts_as_the_signed_in_user_and_restores_afterwards(
    world: World, rf: RequestFactory
) -> None:
    request = rf.get("/")
    request.user = world.avi
    assert _run(request) == [str(world.avi.pk)]
    request.user = AnonymousUser()
    assert _run(request) == [""]
    assert acting_user_var.get() == ""


def test_sign_in_and_out_during_a_request_switch_the_acting_user(
    world: World, rf: RequestFactory
) -> None:
    request = rf.post("/accounts/login/")
    request.user = AnonymousUser()

    def sign_in(request: HttpRequest) -> None:
        user_logged_in.send(sender=User, request=request, user=world.maya)

    assert _run(request, sign_in) == ["", str(world.maya.pk)]
    request.user = world.maya

    def sign_out(request: HttpRequest) -> None:
        user_logged_out.send(sender=User, request=request, user=world.maya)

    assert _run(request, sign_out) == [str(world.maya.pk), ""]
    assert acting_user_var.get() == ""


def test_sign_in_outside_a_request_leaves_the_context_alone(world: World) -> None:
    user_logged_in.send(sender=User, request=None, user=world.maya)
    assert acting_user_var.get() == ""


def test_acting_as_and_system_context_nest_and_restore() -> None:
    with acting_as(3):
        assert acting_user_var.get() == "3"
        with system_context():
            assert acting_user_var.get() == SYSTEM
            with acting_as(None):
                assert acting_user_var.get() == ""
        assert acting_user_var.get() == "3"
    assert acting_user_var.get() == ""


@pytest.mark.parametrize("value", ["system", "0", "-4", "4.0", "١٢", 0, "1;x"])
def test_acting_as_refuses_anything_but_a_user_id(value: object) -> None:
    with pytest.raises(ValueError, match="Not a user id"):
        acting_user_value(value)  # type: ignore[arg-type]


def test_system_context_works_as_a_decorator() -> None:
    @system_context()
    def job() -> str:
        return acting_user_var.get()

    assert job() == SYSTEM
    assert acting_user_var.get() == ""


def test_migrations_run_as_the_system_and_restore_the_context(db: None) -> None:
    seen: list[tuple[str, str]] = []

    def before(**kwargs: Any) -> None:
        seen.append(("pre", acting_user_var.get()))

    def after(**kwargs: Any) -> None:
        seen.append(("post", acting_user_var.get()))

    pre_migrate.connect(before, dispatch_uid="test-before")
    post_migrate.connect(after, dispatch_uid="test-after")
    try:
        call_command("migrate", verbosity=0, interactive=False)
    finally:
        pre_migrate.disconnect(dispatch_uid="test-before")
        post_migrate.disconnect(dispatch_uid="test-after")
    assert {value for phase, value in seen if phase == "pre"} == {SYSTEM}
    assert {value for phase, value in seen if phase == "post"} == {""}
    assert acting_user_var.get() == ""


class _Recorder(ActingUserConsumerMixin, AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()
        await self.send_json({"acting": acting_user_var.get()})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await self.send_json({"acting": acting_user_var.get()})


class _FakeUser:
    def __init__(self, pk: int | None, authenticated: bool) -> None:
        self.pk = pk
        self.is_authenticated = authenticated


@pytest.mark.parametrize(
    ("user", "expected"), [(_FakeUser(12, True), "12"), (_FakeUser(None, False), "")]
)
def test_consumers_handle_every_message_as_the_sockets_user(user: _FakeUser, expected: str) -> None:
    scope = {
        "type": "websocket",
        "path": "/ws/test/",
        "headers": [],
        "subprotocols": [],
        "user": user,
    }

    async def talk() -> list[Any]:
        communicator = ApplicationCommunicator(_Recorder.as_asgi(), scope)
        await communicator.send_input({"type": "websocket.connect"})
        replies = [await communicator.receive_output(1), await communicator.receive_output(1)]
        await communicator.send_input(
            {"type": "websocket.receive", "text": json.dumps({"type": "ping"})}
        )
        replies.append(await communicator.receive_output(1))
        await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
        await communicator.wait(1)
        return replies

    accepted, *messages = asyncio.run(talk())
    assert accepted["type"] == "websocket.accept"
    assert [json.loads(message["text"]) for message in messages] == [{"acting": expected}] * 2
    assert acting_user_var.get() == ""
