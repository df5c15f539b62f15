#!/usr/bin/env python3
"""Writes the channel schemas of openapi.json, and the tables of kinds in
docs/channels.md and README.md, from the channel registry.

The registry (core/src/channels) is the one list of channel kinds and their
fields; tests/openapi_doc.rs checks that openapi.json holds exactly the
schemas it generates. After adding or changing a kind, run this script: it
asks the test to dump the generated schemas, then puts them into
openapi.json in place (other schemas keep their order; schemas of kinds that
no longer exist are removed), formatted as the file already is.
"""
import json
import os
import pathlib
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
dump = root / "target" / "openapi-channel-schemas.json"
env = dict(os.environ, EDGEBEAT_DUMP_CHANNEL_SCHEMAS=str(dump))
subprocess.run(
    ["cargo", "test", "-q", "--test", "openapi_doc", "channel_schemas_are_the_registrys"],
    cwd=root, env=env, check=False,
)
if not dump.exists():
    sys.exit(f"the test did not write {dump}")
generated = json.loads(dump.read_text())
path = root / "openapi.json"
doc = json.loads(path.read_text())
schemas = doc["components"]["schemas"]
stale = [name for name in schemas if name.endswith("ChannelSpec") and name not in generated]
for name in stale:
    del schemas[name]
rebuilt = {}
for name, schema in schemas.items():
    if name == "ChannelSpec":
        # The kinds' own schemas go just before the union of them.
        for new_name, new_schema in generated.items():
            if new_name.endswith("ChannelSpec") and new_name != "ChannelSpec" and new_name not in schemas:
                rebuilt[new_name] = new_schema
    rebuilt[name] = generated.get(name, schema)
for name, schema in generated.items():
    rebuilt.setdefault(name, schema)
doc["components"]["schemas"] = rebuilt
path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
print(f"openapi.json: {len(generated)} channel schemas written, {len(stale)} removed")

# docs/channels.md: the table of kinds between its two markers.
table = pathlib.Path(str(dump) + ".md").read_text()
docs = root / "docs" / "channels.md"
text = docs.read_text()
start = "<!-- channel kinds: generated from the registry, do not edit by hand -->\n"
end = "<!-- end of channel kinds -->"
before, rest = text.split(start, 1)
_, after = rest.split(end, 1)
docs.write_text(before + start + table + end + after)
print("docs/channels.md: the table of kinds written")

# README.md: the short table of kinds between the same markers.
table = pathlib.Path(str(dump) + ".readme.md").read_text()
readme = root / "README.md"
text = readme.read_text()
before, rest = text.split(start, 1)
_, after = rest.split(end, 1)
readme.write_text(before + start + table + end + after)
print("README.md: the table of kinds written")
