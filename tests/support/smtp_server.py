"""A real SMTP server on 127.0.0.1 for the email tests (aiosmtpd, installed by
scripts/setup.sh). It requires AUTH (PLAIN or LOGIN) with the user and
password given, accepts any recipient but those starting with "gone", which
it refuses for good (550), and writes each message it accepts to the
directory given, as <n>.eml with its envelope in <n>.json.

Usage: smtp_server.py PORT DIR USER PASSWORD  (prints READY when listening)
"""
import json
import os
import pathlib
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, directory, user, password = int(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3], sys.argv[4]


class Handler:
    count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("gone"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        Handler.count += 1
        n = Handler.count
        (directory / f"{n}.eml").write_bytes(envelope.original_content)
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos, "authenticated": session.authenticated}
        # The envelope last: its file says the message is complete. Written
        # aside and renamed, so that a reader never finds it half written.
        partial = directory / f"{n}.json.partial"
        partial.write_text(json.dumps(meta))
        os.replace(partial, directory / f"{n}.json")
        return "250 2.0.0 Ok: queued"


def authenticate(server, session, envelope, mechanism, auth_data):
    if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password:
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


controller = Controller(
    Handler(),
    hostname="127.0.0.1",
    port=port,
    authenticator=authenticate,
    auth_required=True,
    auth_require_tls=False,
    decode_data=False,
)
controller.start()
print("READY", flush=True)
try:
    while True:
        time.sleep(1)
finally:
    controller.stop()
