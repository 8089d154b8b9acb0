"""The app's Flask subclass works out once what Flask works out on every request: the session
cookie's signer (per set of keys) and whether a hook is a coroutine. Both must stay correct."""

from __future__ import annotations

from tests.web import sign_in


def test_the_signer_is_built_once_per_key_and_a_new_key_still_logs_everyone_out(app, world):
    sessions = app.session_interface
    signer = sessions.get_signing_serializer(app)
    assert sessions.get_signing_serializer(app) is signer
    client = app.test_client()
    assert sign_in(client, "operator").status_code == 302
    assert client.get("/counter/").status_code == 200  # signed in, through the cached signer
    app.secret_key = "a new key, as after the secret_key file is replaced"
    assert sessions.get_signing_serializer(app) is not signer
    page = client.get("/counter/")
    assert page.status_code == 302 and "/login" in page.headers["Location"]  # old cookie refused


def test_a_hook_is_asked_once_whether_it_is_a_coroutine_and_stays_the_same_function(app):
    def hook() -> str:
        return "ran"

    assert app.ensure_sync(hook) is hook
    assert app.ensure_sync(hook) is hook
    assert hook in app._sync

    class Unhashable:
        __hash__ = None

        def __call__(self) -> str:
            return "ran"

    callable_object = Unhashable()
    assert app.ensure_sync(callable_object)() == "ran"  # not remembered, still called
