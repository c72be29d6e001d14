"""Valid wheels and plain files with random (incompressible) payloads, generated on disk.

A wheel here is what a build backend would write: the package, a `.dist-info` directory with
METADATA (1.2 core metadata), WHEEL (tags matching the file name) and RECORD (urlsafe-base64
SHA-256 and size of every other file). The payload is stored uncompressed: random bytes would not
shrink, and deflating them would only make generation slower.
"""

import base64
import hashlib
import os
import zipfile

CHUNK = 1024 * 1024
VERSION = "1.0.0"

# 5 interpreters x 4 platforms: the 20 wheels a compiled project attaches to one release.
PYTHONS = ["cp39", "cp310", "cp311", "cp312", "cp313"]
PLATFORMS = [
    "manylinux_2_17_x86_64",
    "manylinux_2_17_aarch64",
    "musllinux_1_2_x86_64",
    "macosx_11_0_arm64",
]


def _record_hash(digest):
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _write_random(zf, arcname, size, record):
    """Writes `size` random bytes as a stored entry, adding its RECORD line."""
    h = hashlib.sha256()
    info = zipfile.ZipInfo(arcname, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    with zf.open(info, "w", force_zip64=size > 0x7FFFFFFF) as entry:
        left = size
        while left > 0:
            block = os.urandom(min(CHUNK, left))
            h.update(block)
            entry.write(block)
            left -= len(block)
    record.append(f"{arcname},{_record_hash(h.digest())},{size}")


def _write_text(zf, arcname, text, record):
    data = text.encode()
    info = zipfile.ZipInfo(arcname, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)
    record.append(f"{arcname},{_record_hash(hashlib.sha256(data).digest())},{len(data)}")


def write_wheel(directory, project, tag, payload_size):
    """Writes `<project>-1.0.0-<tag>.whl` with a random payload of `payload_size` bytes; returns its path."""
    module = project.replace("-", "_")
    dist_info = f"{module}-{VERSION}.dist-info"
    path = os.path.join(directory, f"{module}-{VERSION}-{tag}.whl")
    python, abi, platform = tag.split("-")
    purelib = "true" if platform == "any" else "false"
    record = []
    with zipfile.ZipFile(path, "w", allowZip64=True) as zf:
        _write_text(zf, f"{module}/__init__.py", f'__version__ = "{VERSION}"\n', record)
        _write_random(zf, f"{module}/payload.bin", payload_size, record)
        _write_text(
            zf,
            f"{dist_info}/METADATA",
            "Metadata-Version: 2.1\n"
            f"Name: {project}\n"
            f"Version: {VERSION}\n"
            "Summary: A generated package for slipway's benchmark\n"
            "License: MIT\n"
            "Requires-Python: >=3.9\n",
            record,
        )
        _write_text(
            zf,
            f"{dist_info}/WHEEL",
            "Wheel-Version: 1.0\n"
            "Generator: slipway-bench\n"
            f"Root-Is-Purelib: {purelib}\n"
            f"Tag: {python}-{abi}-{platform}\n",
            record,
        )
        record.append(f"{dist_info}/RECORD,,")
        zf.writestr(
            zipfile.ZipInfo(f"{dist_info}/RECORD", date_time=(2024, 1, 1, 0, 0, 0)),
            "\n".join(record) + "\n",
        )
    return path


def release_wheels(directory, small_size, small_count, big_size):
    """The publishing set: `small_count` platform wheels of `small_size` and one pure wheel of `big_size`."""
    os.makedirs(directory, exist_ok=True)
    tags = [f"{py}-{py}-{plat}" for py in PYTHONS for plat in PLATFORMS][:small_count]
    paths = [write_wheel(directory, "slipway-bench", tag, small_size) for tag in tags]
    paths.append(write_wheel(directory, "slipway-bench", "py3-none-any", big_size))
    return paths


def random_file(path, size):
    """Writes `size` random bytes to `path` and returns the path."""
    with open(path, "wb") as f:
        left = size
        while left > 0:
            block = os.urandom(min(CHUNK, left))
            f.write(block)
            left -= len(block)
    return path


def asset_files(directory, small_size, small_count, big_size):
    """The release-asset set: `small_count` files of `small_size` and one of `big_size`."""
    os.makedirs(directory, exist_ok=True)
    paths = [
        random_file(os.path.join(directory, f"asset-{i:02}.bin"), small_size)
        for i in range(small_count)
    ]
    paths.append(random_file(os.path.join(directory, "asset-big.bin"), big_size))
    return paths


def total_size(paths):
    """The sum of the files' sizes in bytes."""
    return sum(os.path.getsize(p) for p in paths)


# With Windows and more Linux/macOS targets: 5 x 8 = 40 wheels, a big compiled release.
MORE_PLATFORMS = PLATFORMS + [
    "musllinux_1_2_aarch64",
    "macosx_10_12_x86_64",
    "win_amd64",
    "win_arm64",
]


def many_wheels(directory, count, size):
    """`count` (at most 40) platform wheels of `size` bytes each, as one version of a compiled
    project ships them."""
    os.makedirs(directory, exist_ok=True)
    tags = [f"{py}-{py}-{plat}" for py in PYTHONS for plat in MORE_PLATFORMS][:count]
    return [write_wheel(directory, "slipway-bench", tag, size) for tag in tags]
