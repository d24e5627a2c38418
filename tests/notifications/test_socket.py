"""Who may open /ws/notifications/ and what it sends, through the project's ASGI application
(Origin check, session and token auth, consumer) in this process. The cross-process tests with
real uvicorn processes and Redis are in test_live.py."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from config.asgi import application
from inspections.services import do_save_survey
from lib.demo_survey import full_survey
from notifications.consumers import NotificationConsumer
from notifications.models import Notification
from notifications.serializers import payload_for
from workflows.services import do_transition

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PATH = "/ws/notifications/"
OUR_PAGE = (b"origin", b"http://localhost:8000")


def session_cookie(user) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


def token_of(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def opens(path=PATH, headers=()) -> bool:
    async def attempt():
        communicator = WebsocketCommunicator(application, path, headers=list(headers))
        connected, _ = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected

    return async_to_sync(attempt)()


def test_it_refuses_a_socket_without_login(xunyang_officer):
    assert not opens(headers=[OUR_PAGE])
    assert not opens()


def test_it_accepts_a_page_logged_in_by_its_session(xunyang_officer):
    assert opens(headers=[OUR_PAGE, session_cookie(xunyang_officer)])


def test_it_refuses_a_page_of_another_site_even_with_the_officers_cookie(xunyang_officer):
    evil = (b"origin", b"https://evil.example")
    assert not opens(headers=[evil, session_cookie(xunyang_officer)])
    assert not opens(
        headers=[evil, (b"authorization", f"Token {token_of(xunyang_officer)}".encode())]
    )
    assert not opens(headers=[(b"origin", b"null"), session_cookie(xunyang_officer)])


def test_it_accepts_a_client_without_origin_that_presents_a_token(xunyang_officer):
    key = token_of(xunyang_officer)

    assert opens(headers=[(b"authorization", f"Token {key}".encode())])
    assert opens(path=f"{PATH}?token={key}")


def test_it_ignores_the_cookie_of_a_client_without_origin(xunyang_officer):
    # Without an Origin the client is no browser: it must log in with a token.
    assert not opens(headers=[session_cookie(xunyang_officer)])


def test_it_refuses_a_wrong_token_without_falling_back_to_the_session(xunyang_officer):
    assert not opens(
        headers=[OUR_PAGE, session_cookie(xunyang_officer), (b"authorization", b"Token nope")]
    )
    assert not opens(path=f"{PATH}?token=nope")


def test_it_refuses_a_deactivated_users_token(xunyang_officer):
    key = token_of(xunyang_officer)
    xunyang_officer.is_active = False
    xunyang_officer.save(update_fields=["is_active"])

    assert not opens(path=f"{PATH}?token={key}")


def test_it_pushes_a_committed_notification_to_its_recipients_socket_only(
    case, reporter, xunyang_officer, wuning_officer
):
    do_save_survey(case, full_survey(on=timezone.localdate()), actor=reporter)

    async def scenario():
        xunyang = WebsocketCommunicator(
            application, f"{PATH}?token={await sync_to_async(token_of)(xunyang_officer)}"
        )
        wuning = WebsocketCommunicator(
            application, f"{PATH}?token={await sync_to_async(token_of)(wuning_officer)}"
        )
        assert (await xunyang.connect())[0] and (await wuning.connect())[0]
        await sync_to_async(do_transition)(case.pk, "submit_survey", actor=reporter)
        pushed = await xunyang.receive_json_from(timeout=5)
        assert await wuning.receive_nothing(timeout=0.5)
        await xunyang.disconnect()
        await wuning.disconnect()
        return pushed

    pushed = async_to_sync(scenario)()

    row = Notification.objects.get(recipient=xunyang_officer, kind="submit_survey")
    assert pushed == payload_for(row, "zh-hans")
    assert set(pushed) >= {"id", "kind", "text", "case", "created_at", "read"}


@pytest.fixture
def quick_refresh(monkeypatch):
    monkeypatch.setattr(NotificationConsumer, "refresh_seconds", 0.2)


def test_it_closes_the_socket_when_the_session_logs_out(xunyang_officer, quick_refresh):
    client = Client()
    client.force_login(xunyang_officer)
    cookie = (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())

    async def scenario():
        communicator = WebsocketCommunicator(application, PATH, headers=[OUR_PAGE, cookie])
        assert (await communicator.connect())[0]
        assert await communicator.receive_nothing(timeout=0.5)  # still logged in: stays open
        await sync_to_async(client.logout)()
        closed = await communicator.receive_output(timeout=3)
        await communicator.wait()
        return closed

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4401}


def test_it_closes_the_socket_when_its_token_is_deleted(xunyang_officer, quick_refresh):
    key = token_of(xunyang_officer)

    async def scenario():
        communicator = WebsocketCommunicator(application, f"{PATH}?token={key}")
        assert (await communicator.connect())[0]
        assert await communicator.receive_nothing(timeout=0.5)
        await sync_to_async(Token.objects.filter(key=key).delete)()
        closed = await communicator.receive_output(timeout=3)
        await communicator.wait()
        return closed

    assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4401}


def test_it_ignores_what_a_client_sends(xunyang_officer):
    key = token_of(xunyang_officer)

    async def scenario():
        communicator = WebsocketCommunicator(application, f"{PATH}?token={key}")
        assert (await communicator.connect())[0]
        await communicator.send_to(text_data="not json {")
        await communicator.send_to(bytes_data=b"\x00\x01")
        quiet = await communicator.receive_nothing(timeout=0.5)  # no answer, not closed
        await communicator.disconnect()
        return quiet

    assert async_to_sync(scenario)()
