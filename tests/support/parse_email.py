"""Parses an email with Python's `email` package (the standard library's
strict policy) and prints what the tests check, as JSON: the headers as
decoded, the structure, and each text part decoded."""
import email
import email.policy
import json
import sys

message = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.strict)
# Read again as older mail readers do (compat32 decodes no RFC 2047 in
# parameters): the parts they find, so that a test sees a boundary only a
# modern reader can follow.
legacy = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.compat32)
legacy_parts = [p.get_content_type() for p in legacy.walk() if not p.is_multipart()]
parts = []
for part in message.walk():
    if part.is_multipart():
        continue
    parts.append({"type": part.get_content_type(), "charset": part.get_content_charset(), "content": part.get_content()})
print(json.dumps({
    "subject": str(message["Subject"]),
    "from": str(message["From"]),
    "to": str(message["To"]),
    "date": str(message["Date"]),
    "message_id": str(message["Message-ID"]),
    "in_reply_to": message["In-Reply-To"] and str(message["In-Reply-To"]),
    "references": message["References"] and str(message["References"]),
    "content_type": message.get_content_type(),
    "defects": [str(d) for d in message.defects] + [str(d) for p in message.walk() for d in p.defects],
    "parts": parts,
    "legacy_parts": legacy_parts,
    "legacy_defects": [type(d).__name__ for p in legacy.walk() for d in p.defects],
}))
