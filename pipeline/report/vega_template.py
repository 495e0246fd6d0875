"""An offline page template for `dvc plots show --html-template`: vega, vega-lite and vega-embed inlined.

DVC's default page loads the three libraries from a CDN through its `{scripts}` placeholder; this template
has no such placeholder (so DVC adds no CDN tags) and carries the libraries itself, at the versions the
installed dvc-render asks for. Regenerate from `npm pack` tarballs unpacked into folders:

    python -m pipeline.report.vega_template --package vega=DIR vega-lite=DIR vega-embed=DIR --out-dir DIR
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

TEMPLATE = "dvc_plots.html"
MANIFEST = "vendor.json"
ORDER = ("vega", "vega-lite", "vega-embed")  # load order: vega-lite needs vega, vega-embed needs both
SOURCE_MAP = re.compile(r"\n//# sourceMappingURL=[^\n]*\s*$")
SCRIPT = re.compile(r"<script data-package=\"([^\"]+)\" data-version=\"([^\"]+)\">(.*?)</script>", re.DOTALL)
DVC_PLACEHOLDERS = ("{plot_divs}", "{scripts}", "{refresh_tag}")

PAGE = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
{refresh_tag}
<title>DVC plots</title>
<!-- Offline: {credits} are inlined below (BSD-3-Clause; licences in the LICENSE-* files next to this
     template, versions and checksums in vendor.json). No scripts placeholder, so DVC adds no CDN tags. -->
%SCRIPTS%
<style>
body { font-family: system-ui, sans-serif; margin: 1rem; }
table { border-spacing: 15px; }
</style>
</head>
<body>
{plot_divs}
</body>
</html>
"""


@dataclass(frozen=True)
class Vendored:
    """One library to inline: npm name, version, licence id and its minified build."""

    name: str
    version: str
    licence: str
    js: str


def strip_source_map(js: str) -> str:
    """The script without its trailing sourceMappingURL comment (the .map file is not shipped)."""
    return SOURCE_MAP.sub("\n", js)


def build_template(libs: Sequence[Vendored]) -> str:
    """The page template with each library in its own inline <script>, in load order."""
    for lib in libs:
        bad = [s for s in ("</script", "<!--", *DVC_PLACEHOLDERS) if s in lib.js.lower()]
        if bad:
            raise ValueError(f"{lib.name}@{lib.version}: cannot be inlined, contains {bad}")
    scripts = "\n".join(f'<script data-package="{lib.name}" data-version="{lib.version}">{lib.js}</script>'
                        for lib in libs)
    credits = ", ".join(f"{lib.name} {lib.version}" for lib in libs)
    return PAGE.replace("{credits}", credits).replace("%SCRIPTS%", scripts)


def manifest(libs: Sequence[Vendored], integrity: dict[str, str]) -> dict[str, object]:
    """vendor.json: per library its version, licence, npm tarball integrity and sha256 of the inlined text."""
    return {"source": "npm registry tarballs (npm pack NAME@VERSION), build/NAME.min.js without its "
                      "sourceMappingURL comment",
            "packages": [{"name": lib.name, "version": lib.version, "licence": lib.licence,
                          "npm_integrity": integrity.get(lib.name),
                          "sha256": hashlib.sha256(lib.js.encode("utf-8")).hexdigest()} for lib in libs]}


def inlined(template: str) -> dict[str, tuple[str, str]]:
    """{package: (version, inlined script text)} of a built template."""
    return {name: (version, js) for name, version, js in SCRIPT.findall(template)}


def dvc_render_versions() -> dict[str, str]:
    """{package: version} of the CDN scripts the installed dvc-render's vega renderer would load."""
    from dvc_render.vega import VegaRenderer

    return dict(re.findall(r"npm/([a-z-]+)@([0-9.]+)", VegaRenderer.SCRIPTS))


def read_package(folder: Path) -> tuple[Vendored, str]:
    """An unpacked npm package folder (its package.json, build/<name>.min.js and LICENSE) and its licence text."""
    meta = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    js = (folder / "build" / f"{meta['name']}.min.js").read_text(encoding="utf-8")
    return Vendored(meta["name"], meta["version"], meta.get("license", ""), strip_source_map(js)), \
        (folder / "LICENSE").read_text(encoding="utf-8")


def main(argv: list[str]) -> int:
    """CLI edge: read the unpacked packages, write the template, their licences and vendor.json."""
    ap = argparse.ArgumentParser(prog="python -m pipeline.report.vega_template", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", nargs="+", required=True, help="NAME=DIR of each unpacked npm package")
    ap.add_argument("--integrity", nargs="*", default=[], help="NAME=sha512-... (npm view NAME@V dist.integrity)")
    ap.add_argument("--out-dir", type=Path, required=True)
    args = ap.parse_args(argv)
    folders = dict(spec.split("=", 1) for spec in args.package)
    missing = [n for n in ORDER if n not in folders]
    if missing:
        sys.stderr.write(f"vega_template: --package lacks {missing}\n")
        return 1
    read = {n: read_package(Path(folders[n])) for n in ORDER}
    libs = [read[n][0] for n in ORDER]
    expected = dvc_render_versions()
    off = {lib.name: (lib.version, expected.get(lib.name)) for lib in libs if expected.get(lib.name) != lib.version}
    if off:
        sys.stderr.write(f"vega_template: versions differ from dvc-render's {off}\n")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / TEMPLATE).write_text(build_template(libs), encoding="utf-8")
    for n in ORDER:
        (args.out_dir / f"LICENSE-{n}").write_text(read[n][1], encoding="utf-8")
    integrity = dict(spec.split("=", 1) for spec in args.integrity)
    (args.out_dir / MANIFEST).write_text(json.dumps(manifest(libs, integrity), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
