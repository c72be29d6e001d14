#!/usr/bin/env python3
"""Checks recorded HTTP exchanges against GitHub's OpenAPI description (api.github.com).

Input: a JSON array of exchanges as slipway-testkit's fake GitHub records them
(`Exchange::to_json`): host, method, path, query, request {content_type, length, json},
response {status, content_type, location, length, json}. For each one it finds the operation
(path template + method, on the host the description names: uploads for asset uploads, the API
for the rest) and checks:
  - path parameters and query parameters: declared, required ones present, values of the
    declared type (an undeclared query parameter is a finding);
  - the request body: allowed by the operation, of a declared media type, and valid against the
    body's schema;
  - the response: a documented status, a documented media type, and a body valid against the
    schema: property types, required properties, enums, formats (uri, date-time), and no
    property the schema does not declare.
Undocumented error statuses that GitHub may answer on any endpoint (401, 403, 404, 429, 5xx)
and documented error statuses without a schema are checked against GitHub's `basic-error`
(`validation-error` for 422). A custom media type the client asks for and the operation names
in its prose (the raw contents) has no schema: only its media type is checked.
Exchanges on the storage host, browser downloads and answers chosen by injected faults are not
GitHub API traffic and are skipped.

Usage: .venv/bin/python scripts/check-openapi.py [--spec FILE] [--expect OPERATION_ID[:STATUS]]... LOG.json
(the venv has jsonschema: scripts/setup-tools; crates/slipway-testkit/tests/openapi.rs runs it)
Prints one line per finding and a summary; exits 1 when there are findings or an expected
operation was not exercised, 2 when the description or the log cannot be read.
"""

import argparse
import json
import re
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from jsonschema import Draft202012Validator, FormatChecker

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT / "node_modules/@octokit/openapi/generated/api.github.com.json"
# Errors GitHub may answer on any endpoint, documented or not.
UNIVERSAL_ERRORS = {401, 403, 404, 429, 500, 502, 503, 504}
# Keywords of OpenAPI 3.0 schemas that are not JSON Schema validation keywords.
ANNOTATIONS = {"nullable", "discriminator", "example", "examples", "xml", "externalDocs",
               "readOnly", "writeOnly", "deprecated", "description", "title"}

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value):
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value):
        raise ValueError("not an RFC 3339 date-time")
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@FORMATS.checks("uri", raises=ValueError)
def _uri(value):
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    if not parts.scheme or not (parts.netloc or parts.scheme in ("mailto", "urn")):
        raise ValueError("not an absolute URI")
    if any(c.isspace() for c in value):
        raise ValueError("a URI has no white space")
    return True


class Description:
    """The OpenAPI document: operations by path template, and schemas converted to JSON Schema
    2020-12 (refs inlined, `nullable` as a null alternative, undeclared properties refused)."""

    def __init__(self, doc):
        self.doc = doc
        self.cache = {}
        self.templates = []
        for template, item in doc["paths"].items():
            regex, literal = self._template_regex(template, item)
            self.templates.append((regex, literal, template, item))
        # More literal text first: `/releases/latest` before `/releases/{release_id}`.
        self.templates.sort(key=lambda t: -t[1])

    def resolve(self, node):
        """Follows `$ref`s (local ones: the description has no others) to their target."""
        seen = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/") or ref in seen:
                raise ValueError(f"cannot resolve `{ref}`")
            seen.add(ref)
            node = self.doc
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def _template_regex(self, template, item):
        multi = set()
        for op in item.values():
            if isinstance(op, dict):
                for p in op.get("parameters", []):
                    p = self.resolve(p)
                    if p.get("in") == "path" and p.get("x-multi-segment"):
                        multi.add(p["name"])
        out, literal = "", 0
        for piece in re.split(r"(\{[^}]+\})", template):
            if piece.startswith("{") and piece.endswith("}"):
                name = piece[1:-1]
                out += f"(?P<{re.sub(r'[^A-Za-z0-9_]', '_', name)}>{'.+' if name in multi else '[^/]+'})"
            else:
                out += re.escape(piece)
                literal += len(piece)
        return re.compile(out + r"\Z"), literal

    def find(self, path):
        """The (template, path item, raw path parameters) matching a path, or None."""
        for regex, _, template, item in self.templates:
            m = regex.match(path)
            if m:
                return template, item, m.groupdict()
        return None

    def schema(self, node, strict=True):
        """A JSON Schema 2020-12 equivalent of an OpenAPI 3.0 schema."""
        return self._convert(node, strict, frozenset())

    def _convert(self, node, strict, seen):
        if isinstance(node, list):
            return [self._convert(n, strict, seen) for n in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            ref = node["$ref"]
            key = (ref, strict)
            if key in self.cache:
                return self.cache[key]
            if ref in seen:  # a recursive schema: its inner levels are not checked
                return {}
            out = self._convert(self.resolve(node), strict, seen | {ref})
            self.cache[key] = out
            return out
        out = {}
        for key, value in node.items():
            if key in ANNOTATIONS or key.startswith("x-"):
                continue
            if key in ("properties", "patternProperties"):
                out[key] = {k: self._convert(v, True, seen) for k, v in value.items()}
            elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
                out[key] = self._convert(value, True, seen)
            elif key in ("allOf", "anyOf", "oneOf"):
                # Members are checked as parts: the properties they declare together are known
                # to the enclosing schema's `unevaluatedProperties`.
                out[key] = [self._convert(v, False, seen) for v in value]
            else:
                out[key] = value
        shaped = any(k in out for k in ("properties", "allOf", "anyOf", "oneOf"))
        if strict and shaped and "additionalProperties" not in out:
            out["unevaluatedProperties"] = False
        if node.get("nullable"):
            out = {"anyOf": [out, {"type": "null"}]}
        return out


def validator(schema):
    return Draft202012Validator(schema, format_checker=FORMATS)


def causes(error):
    """The most specific errors behind one: for `oneOf`/`anyOf`, those of the branch the value
    came closest to (a branch of another type, such as `null` for a nullable schema, is the
    farthest)."""
    if not error.context:
        return [error]
    branches = {}
    for e in error.context:
        branches.setdefault(e.relative_schema_path[0], []).append(e)

    def other_type(errs):
        return any(e.validator == "type" and not e.relative_path for e in errs)

    candidates = [errs for errs in branches.values() if not other_type(errs)] or list(branches.values())
    return [c for e in min(candidates, key=len) for c in causes(e)]


def where(error, base):
    return base + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)


def check_value(desc, schema, value, base, findings, strict=True):
    errors = list(validator(desc.schema(schema, strict)).iter_errors(value))
    # A failed `oneOf`/`anyOf` evaluates no property, so `unevaluatedProperties` then repeats
    # every property of that object: the failure itself says more.
    composed = {tuple(e.absolute_path) for e in errors if e.validator in ("oneOf", "anyOf", "allOf")}
    lines = []
    for error in errors:
        if error.validator == "unevaluatedProperties" and tuple(error.absolute_path) in composed:
            continue
        for cause in causes(error):
            line = f"{where(cause, base)}: {cause.message}"
            if line not in lines:
                lines.append(line)
    findings.extend(sorted(lines))


def coerce(text, schema):
    """A path or query value (text) as the type its schema declares."""
    kind = schema.get("type")
    if kind == "integer":
        return int(text) if re.fullmatch(r"-?\d+", text) else text
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if kind == "array":
        return text.split(",")
    return text


def media(content_type):
    return (content_type or "").split(";")[0].strip().lower()


def check_exchange(desc, ex):
    """Findings for one exchange, and the operation id it matched (None when unmatched)."""
    findings = []
    method = ex["method"].lower()
    found = desc.find(ex["path"])
    if not found:
        return [f"no path of the description matches `{ex['path']}`"], None
    template, item, raw_params = found
    op = item.get(method)
    if not isinstance(op, dict):
        methods = sorted(k.upper() for k, v in item.items() if isinstance(v, dict) and k != "parameters")
        return [f"`{ex['method']}` is not an operation of `{template}` (documented: {', '.join(methods)})"], None
    op_id = op.get("operationId", f"{method} {template}")
    servers = [urlsplit(s["url"]).hostname for s in op.get("servers", desc.doc.get("servers", []))]
    host = {"api": "api.github.com", "uploads": "uploads.github.com"}.get(ex["host"], ex["host"])
    if servers and host not in servers:
        findings.append(f"sent to the {ex['host']} host; the description serves it on {', '.join(servers)}")

    params = [desc.resolve(p) for p in item.get("parameters", []) + op.get("parameters", [])]
    by_place = {}
    for p in params:
        by_place.setdefault(p["in"], {})[p["name"]] = p
    for name, p in by_place.get("path", {}).items():
        text = unquote(raw_params.get(re.sub(r"[^A-Za-z0-9_]", "_", name), ""))
        check_value(desc, p.get("schema", {}), coerce(text, desc.resolve(p.get("schema", {}))),
                    f"path parameter `{name}`", findings)
    query = parse_qsl(ex.get("query") or "", keep_blank_values=True)
    declared = by_place.get("query", {})
    for name, text in query:
        p = declared.get(name)
        if p is None:
            findings.append(f"query parameter `{name}` is not declared (declared: {', '.join(sorted(declared)) or 'none'})")
            continue
        schema = p.get("schema", {})
        check_value(desc, schema, coerce(text, desc.resolve(schema)), f"query parameter `{name}`", findings)
    sent = {name for name, _ in query}
    for name, p in declared.items():
        if p.get("required") and name not in sent:
            findings.append(f"required query parameter `{name}` is missing")

    check_request(desc, op, ex["request"], findings)
    check_response(desc, op, ex, findings)
    return findings, op_id


def check_request(desc, op, req, findings):
    body = desc.resolve(op.get("requestBody")) if op.get("requestBody") else None
    if body is None:
        if req["length"]:
            findings.append(f"request has a {req['length']}-byte body; the operation takes none")
        return
    if not req["length"]:
        if body.get("required"):
            findings.append("request body is required and was not sent")
        return
    content = body.get("content", {})
    kind = media(req["content_type"])
    if kind in content:
        entry = content[kind]
    elif len(content) == 1 and desc.resolve(next(iter(content.values())).get("schema", {})).get("format") == "binary":
        return  # raw bytes of the media type the client names (asset uploads)
    else:
        findings.append(f"request body is `{kind or 'untyped'}`; the description lists {', '.join(sorted(content))}")
        return
    if "json" in kind:
        if req["json"] is None or (isinstance(req["json"], dict) and "unparsable" in req["json"] and len(req["json"]) == 1):
            findings.append("request body is not valid JSON")
            return
        check_value(desc, entry.get("schema", {}), req["json"], "request body $", findings)


def check_response(desc, op, ex, findings):
    resp = ex["response"]
    status = resp["status"]
    documented = {str(k): v for k, v in op.get("responses", {}).items()}
    doc = documented.get(str(status), documented.get("default"))
    universal = False
    if doc is None:
        if status not in UNIVERSAL_ERRORS:
            findings.append(f"status {status} is not documented (documented: {', '.join(sorted(documented))})")
            return
        universal = True
    doc = desc.resolve(doc) if doc is not None else {}
    content = doc.get("content") or {}
    kind = media(resp["content_type"])
    if status in (301, 302, 303, 307, 308) and not resp.get("location"):
        findings.append(f"status {status} without a `Location` header")
    if not content:
        if status >= 400 and resp["length"]:
            # GitHub's errors carry a JSON body even where the description shows none.
            if "json" not in kind:
                findings.append(f"error body is `{kind or 'untyped'}`, not JSON")
            else:
                shape = "validation-error" if status == 422 else "basic-error"
                check_value(desc, {"$ref": f"#/components/schemas/{shape}"}, resp["json"],
                            f"status {status} body $" + (" (undocumented status)" if universal else ""), findings)
        elif resp["length"]:
            findings.append(f"status {status} documents no body; {resp['length']} bytes were sent")
        return
    if kind not in content:
        # A custom media type the operation names in its prose (raw contents, …), asked for
        # by the client: its body has no schema.
        accept = media((ex["request"].get("accept") or "").split(",")[0])
        plain = accept.removesuffix("+json")
        if plain.startswith("application/vnd.github.") and kind.removesuffix("+json") == plain \
                and accept in op.get("description", ""):
            return
        findings.append(f"response body is `{kind or 'untyped'}`; the description lists {', '.join(sorted(content))}")
        return
    schema = content[kind].get("schema")
    if schema is None:
        return
    if resp["json"] is None:
        findings.append(f"status {status}: a `{kind}` body was expected, got {resp['length']} bytes")
        return
    check_value(desc, schema, resp["json"], f"status {status} body $", findings)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    parser.add_argument("--expect", action="append", default=[], metavar="OPERATION_ID[:STATUS]",
                        help="fail unless an exchange exercised this operation (answered with STATUS)")
    parser.add_argument("log", type=Path)
    args = parser.parse_args()
    try:
        doc = json.loads(args.spec.read_text())
    except OSError as e:
        print(f"check-openapi: cannot read GitHub's API description `{args.spec}`: {e.strerror}\n"
              "hint: run scripts/setup-tools (it installs @octokit/openapi into node_modules)", file=sys.stderr)
        return 2
    try:
        log = json.loads(args.log.read_text())
    except (OSError, ValueError) as e:
        print(f"check-openapi: cannot read the exchange log `{args.log}`: {e}", file=sys.stderr)
        return 2
    desc = Description(doc)
    total, skipped, seen, bad = 0, 0, {}, 0
    for ex in log:
        if ex["host"] == "storage" or ex["route"] in ("BrowserDownload", "Admin") or ex["injected"] or ex["response"]["status"] == 0:
            skipped += 1
            continue
        total += 1
        findings, op_id = check_exchange(desc, ex)
        if op_id:
            seen.setdefault(op_id, set()).add(ex["response"]["status"])
        query = f"?{ex['query']}" if ex.get("query") else ""
        for f in findings:
            bad += 1
            print(f"FAIL {ex['method']} {ex['path']}{query} → {ex['response']['status']} ({op_id or 'no operation'}): {f}")
    def exercised(expect):
        op, _, status = expect.partition(":")
        return op in seen and (not status or int(status) in seen[op])
    missing = [op for op in args.expect if not exercised(op)]
    for op in missing:
        print(f"FAIL `{op}` was expected but no exchange exercised it")
    version = doc.get("info", {}).get("version", "?")
    print(f"check-openapi: {total} exchanges checked against api.github.com ({version}), "
          f"{skipped} skipped (storage, browser downloads, injected faults); "
          f"{len(seen)} operations: " + ", ".join(f"{k} {sorted(v)}" for k, v in sorted(seen.items())))
    print(f"check-openapi: {bad} findings, {len(missing)} operations not exercised")
    return 1 if bad or missing else 0


if __name__ == "__main__":
    sys.exit(main())
