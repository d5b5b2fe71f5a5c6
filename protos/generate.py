"""Regenerate the Python code for every .proto file under protos/.

Run from the repository root: ``python -m protos.generate``. Proto files import
each other as ``protos/<package>/v1/<file>.proto`` so that the generated modules
import as ``protos.<package>.v1.<file>_pb2`` with the repository root on the path
and nothing else. ``google/api`` and ``google/rpc`` come from
googleapis-common-protos, ``google/protobuf`` from grpcio-tools.

Beside the modules it writes :data:`DESCRIPTOR_SET`: every file's descriptor with its
source info (the comments), which the gateway reads at start for its OpenAPI document's
summaries and descriptions (the generated modules carry no comments, and nothing runs
protoc at run time).
"""

from __future__ import annotations

import importlib.resources
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = REPO_ROOT / "protos"
DESCRIPTOR_SET = PROTO_ROOT / "descriptor_set.binpb"


def _include_dirs() -> list[Path]:
    import google.api  # shipped by googleapis-common-protos, with its .proto sources

    googleapis_root = Path(next(iter(google.api.__path__))).parent.parent
    well_known = Path(str(importlib.resources.files("grpc_tools") / "_proto"))
    return [REPO_ROOT, googleapis_root, well_known]


def proto_files() -> list[Path]:
    return sorted(PROTO_ROOT.rglob("*.proto"))


def remove_generated() -> None:
    """Modules of a .proto that was split or removed must not outlive it."""
    for pattern in ("*_pb2.py", "*_pb2.pyi", "*_pb2_grpc.py"):
        for stale in PROTO_ROOT.rglob(pattern):
            stale.unlink()
    DESCRIPTOR_SET.unlink(missing_ok=True)


def generate() -> int:
    from grpc_tools import protoc

    files = proto_files()
    remove_generated()
    args = ["grpc_tools.protoc"]
    args += [f"--proto_path={d}" for d in _include_dirs()]
    args += [f"--python_out={REPO_ROOT}", f"--pyi_out={REPO_ROOT}", f"--grpc_python_out={REPO_ROOT}"]
    args += [f"--descriptor_set_out={DESCRIPTOR_SET}", "--include_source_info"]
    args += [str(f.relative_to(REPO_ROOT)) for f in files]
    code = protoc.main(args)
    if code != 0:
        return code
    for package_dir in {f.parent for f in files} | {f.parent.parent for f in files}:
        init = package_dir / "__init__.py"
        if not init.exists():
            init.write_text("")
    print(f"generated Python for {len(files)} proto files")
    return 0


if __name__ == "__main__":
    sys.exit(generate())
