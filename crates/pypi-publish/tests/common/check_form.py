"""Checks one captured upload form against Python's own reading of the dist's metadata.

stdin: JSON {"form": [[name, value], ...], "text": "<METADATA or PKG-INFO>"}
stdout: JSON {"invalid": [...], "lost": [...], "altered": [...], "added": [...], "omitted": [...]}

- The form is turned into packaging's RawMetadata the way PyPI's upload code does
  (warehouse.forklift.metadata.parse_form_metadata) and validated with
  packaging.metadata.Metadata.from_raw(raw, validate=True): "invalid" lists the errors.
- packaging.metadata.parse_email reads the dist's own metadata; every field it finds must be in
  the form with the same value ("lost"/"altered"), except fields newer than the declared
  Metadata-Version per packaging's own field table ("omitted"), and the form must hold nothing
  else ("added"). Continuation lines are compared after the core-metadata unescaping (7 spaces
  and `|`, or 8 spaces, removed; lines joined with `\n`); empty values count as absent, as PyPI
  counts them.
"""

import email.parser
import email.policy
import json
import re
import sys

from packaging import metadata as pm

data = json.load(sys.stdin)
form, text = data["form"], data["text"]

override = {
    "platforms": "platform",
    "supported_platforms": "supported_platform",
    "license_files": "license_file",
    "import_names": "import_name",
    "import_namespaces": "import_namespace",
}
form_to_raw = {override.get(k, k): k for k in pm._RAW_TO_EMAIL_MAPPING}

# The form as PyPI reads it.
values = {}
for name, value in form:
    values.setdefault(name, []).append(value)
raw, invalid = {}, []
for name, value in values.items():
    key = form_to_raw.get(name)
    if key is None or value == [""]:
        continue
    if key in pm._STRING_FIELDS and len(value) == 1:
        raw[key] = value[0]
    elif key in pm._LIST_FIELDS:
        raw[key] = value
    elif key == "keywords" and len(value) == 1:
        raw[key] = pm._parse_keywords(value[0])
    elif key == "project_urls":
        try:
            raw[key] = pm._parse_project_urls(value)
        except KeyError:
            invalid.append(f"{name}: duplicate labels")
    else:
        invalid.append(f"{name}: cannot be parsed ({value!r})")
try:
    pm.Metadata.from_raw(dict(raw), validate=True)
except Exception as group:  # an ExceptionGroup of InvalidMetadata
    for exc in getattr(group, "exceptions", [group]):
        invalid.append(f"{getattr(exc, 'field', '?')}: {exc}")


def unescape(value):
    lines = re.split(r"\r\n|\r|\n", value)
    out = [lines[0]]
    for line in lines[1:]:
        if line.startswith("       |") or line.startswith(" " * 8):
            out.append(line[8:])
        else:
            out.append(line.lstrip(" \t"))
    return "\n".join(out)


# The dist's own metadata as packaging reads it.
expected, unparsed = pm.parse_email(text)
message = email.parser.Parser(policy=email.policy.compat32).parsestr(text)
body = message.get_payload()
declared = expected.get("metadata_version", "")
try:
    age = pm._VALID_METADATA_VERSIONS.index(declared)
except ValueError:
    age = len(pm._VALID_METADATA_VERSIONS)
omitted, lost, altered, added = [], [], [], []
for key, want in expected.items():
    added_in = pm.Metadata.__dict__[key].added
    if pm._VALID_METADATA_VERSIONS.index(added_in) > age:
        omitted.append(key)
        if key in raw:
            added.append(f"{key}: newer than Metadata-Version {declared} but sent")
        continue
    if key == "description" and body:
        pass  # the body, as written
    elif key == "keywords":
        want = [unescape(k) for k in want]
    elif key == "project_urls":
        want = {unescape(k): unescape(v) for k, v in want.items()}
    elif isinstance(want, list):
        want = [unescape(v) for v in want]
    else:
        want = unescape(want)
    if want in ("", [""]):
        want = None
    have = raw.get(key)
    if have is None and want is not None:
        lost.append(key)
    elif have != want:
        altered.append(f"{key}: sent {have!r}, the dist says {want!r}")
for key in raw:
    if key not in expected:
        added.append(f"{key}: not in the dist's metadata")
print(json.dumps({
    "invalid": invalid,
    "lost": lost,
    "altered": altered,
    "added": added,
    "omitted": omitted,
    "unparsed": sorted(unparsed),
}))
