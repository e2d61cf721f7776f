"""Shrink a built one-folder bundle (Linux): strip symbol tables, stub unused libraries.

    python packaging/slim.py dist/rtprobe      # called by packaging/build.sh

1. `strip --strip-unneeded` on every shared library (dynamic symbols stay): ~10 MB of
   DWARF and static symbol tables nobody reads in a bundle.
2. Libraries that must load but are never used get a tiny stand-in with the same
   soname, built with the C compiler (skipped, with a note, if there is none):
   - ICU's data library (31 MB): Qt links ICU, but rtprobe (English UI, UTF-8 only) asks
     it for no collation, converter or locale data. The stand-in is an empty data
     package, like ICU's own "stubdata": ICU answers any request with a missing-resource
     error and Qt falls back to its own tables.
   - FFmpeg's x265 (HEVC) and SVT-AV1 encoders (27 MB): libavcodec links them, but
     rtprobe's WebRTC encodes VP8/H.264. Each function libavcodec imports from them
     returns failure, so opening those encoders would fail cleanly ("could not get API").
3. numpy's OpenBLAS (scipy-openblas64, 25 MB, and the 3 MB of libgfortran and
   libquadmath only it needs) gives way to packaging/miniblas.c, built here under its
   soname: naive loops for exactly the BLAS/LAPACK symbols numpy imports (checked: if
   numpy imports one it lacks, OpenBLAS is kept). rtprobe's numpy work never needs a
   fast BLAS; eig/eigh/lstsq/qr and complex SVD raise LinAlgError (see miniblas.c).
4. GnuTLS and what only it needs (nettle, hogweed, gmp, libunistring: 5.6 MB) give way
   to failing stubs: libavformat links it for tls:/https:/DTLS inputs rtprobe never
   opens through FFmpeg (see replace_gnutls).
   The bundle test (`make bundle-test`) runs the GUI, a realtime run and WebRTC with
   the sample video on the slimmed bundle, and checks numpy's answers on miniblas.

Every step prints what it saved. Only files inside the bundle are touched.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# library name pattern -> value every stub function returns (as a C long)
ENCODER_STUBS = {
    r"libx265(-[0-9a-f]+)?\.so": "0",  # x265_api_get_N(): NULL, "no API"
    r"libSvtAv1Enc(-[0-9a-f]+)?\.so": "0x80001000L",  # EB_ErrorInsufficientResources
}
ICU_DATA = r"libicudata\.so"
GNUTLS = r"libgnutls(-[0-9a-f]+)?\.so"
GNUTLS_E_INTERNAL_ERROR = -59
# what a GnuTLS function answers in the stand-in: everything else fails (an error code,
# or nothing for a void function), so FFmpeg's tls/https/DTLS opening fails in one line
GNUTLS_ANSWERS = {
    "gnutls_global_init": "0",  # avformat_network_init() calls it: success
    "gnutls_error_is_fatal": "1",
    "gnutls_strerror": '(long)"TLS (GnuTLS) is not in this bundle"',
    "gnutls_certificate_get_peers": "0",  # NULL
    "gnutls_certificate_type_get": "0",
    "gnutls_sec_param_to_pk_bits": "0",
    "gnutls_dtls_get_data_mtu": "0",
}

ICU_SOURCE = """
#include <stdint.h>
struct icu_data_header {
    uint16_t header_size; uint8_t magic1, magic2;
    uint16_t size, reserved_word;
    uint8_t is_big_endian, charset_family, sizeof_uchar, reserved_byte;
    uint8_t data_format[4], format_version[4], data_version[4];
    char padding[8]; uint32_t count, reserved;
    uint32_t toc[2]; int fake_name_and_data[4];
};
__attribute__((visibility("default"))) const struct icu_data_header %s = {
    32, 0xda, 0x27, 20, 0, 0, 0, 2, 0,
    {0x54, 0x6f, 0x43, 0x50}, {1, 0, 0, 0}, {0, 0, 0, 0},
    {0}, 0, 0, {0, 0}, {0, 0, 0, 0},
};
"""


def libraries(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*.so*") if p.is_file() and not p.is_symlink() and ".so" in p.name
    )


def readelf(*args: str) -> str:
    return subprocess.run(["readelf", *args], capture_output=True, text=True).stdout


def soname(lib: Path) -> str:
    m = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", readelf("-d", str(lib)))
    return m.group(1) if m else lib.name


def undefined_functions(libs: list[Path]) -> set[str]:
    names: set[str] = set()
    for lib in libs:
        for line in readelf("--dyn-syms", "-W", str(lib)).splitlines():
            f = line.split()
            if len(f) >= 8 and f[6] == "UND" and f[3] in ("FUNC", "NOTYPE"):
                names.add(f[7].split("@")[0])
    return names


def defined_functions(lib: Path) -> set[str]:
    names = set()
    for line in readelf("--dyn-syms", "-W", str(lib)).splitlines():
        f = line.split()
        if len(f) >= 8 and f[6] != "UND" and f[3] == "FUNC" and f[4] in ("GLOBAL", "WEAK"):
            names.add(f[7].split("@")[0])
    return names


def symbol_versions(users: list[Path]) -> dict[str, list[str]]:
    """Version node -> the names `users` import under it (`gnutls_init@GNUTLS_3_4`)."""
    nodes: dict[str, list[str]] = {}
    for lib in users:
        for line in readelf("--dyn-syms", "-W", str(lib)).splitlines():
            f = line.split()
            if len(f) >= 8 and f[6] == "UND" and "@" in f[7]:
                name, version = f[7].split("@")[:2]
                nodes.setdefault(version, []).append(name)
    return nodes


def compile_stub(
    cc: str, source: str, lib: Path, versions: dict[str, list[str]] | None = None
) -> int:
    """Replace `lib` with `source` built under the same soname (and, when its users
    import versioned names, the same version nodes, or the loader refuses it); the
    bytes saved."""
    before = lib.stat().st_size
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "stub.c", Path(tmp) / "stub.so"
        src.write_text(source)
        extra = []
        if versions:
            script = Path(tmp) / "stub.map"
            script.write_text(
                "".join(
                    f"{v} {{ global: {'; '.join(sorted(set(n)))}; }};\n"
                    for v, n in versions.items()
                )
            )
            extra = [f"-Wl,--version-script={script}"]
        subprocess.run(
            [cc, "-shared", "-fPIC", "-O2", "-s", f"-Wl,-soname,{soname(lib)}", *extra,
             "-o", str(out), str(src)],
            check=True,
        )  # fmt: skip
        shutil.copyfile(out, lib)
    return before - lib.stat().st_size


AUDITWHEEL = re.compile(r"-[0-9a-f]{8}(-[0-9a-f]{8})?\.so")


OPENBLAS = r"lib(scipy_)?openblas.*\.so"
MINIBLAS = Path(__file__).resolve().parent / "miniblas.c"


def needed(lib: Path) -> set[str]:
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", readelf("-d", str(lib))))


def all_needed(libs: list[Path]) -> set[str]:
    return set().union(*(needed(p) for p in libs if p.exists()))


def drop_orphans(root: Path, libs: list[Path], folder: Path, was_needed: set[str]) -> None:
    """Delete the libraries in `folder` that something needed (`was_needed`, sonames)
    and nothing needs now a stand-in took the place of their user, and the links to
    them; repeated, as one that goes may leave its own dependencies unneeded."""
    gone: list[Path] = []
    while True:
        left = [p for p in libs if p.exists()]
        now = all_needed(left)
        orphans = [
            p for p in left
            if p.parent == folder and soname(p) in was_needed and soname(p) not in now
        ]  # fmt: skip
        if not orphans:
            break
        for lib in orphans:
            lib.unlink()
            gone.append(lib)
    for link in root.rglob("*"):  # the links PyInstaller made beside _internal/
        if link.is_symlink() and link.resolve() in gone:
            link.unlink()


def replace_openblas(cc: str, root: Path, libs: list[Path]) -> None:
    """numpy's OpenBLAS -> miniblas.c under the same soname; then libraries nothing
    needs any more (libgfortran, libquadmath) go, with the links to them."""
    for lib in [p for p in libs if re.match(OPENBLAS, p.name)]:
        users = [p for p in libs if "numpy" in p.parts[:-1]]  # numpy/**/*.so
        wanted = defined_functions(lib) & undefined_functions(users)
        before = sum(p.stat().st_size for p in libs if p.exists())
        was_needed = all_needed(libs)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / lib.name
            subprocess.run(
                [cc, "-shared", "-fPIC", "-O2", "-s", f"-Wl,-soname,{soname(lib)}", "-o", str(out),
                 str(MINIBLAS), "-lm"],
                check=True,
            )  # fmt: skip
            missing = sorted(wanted - defined_functions(out))
            if missing:
                print(f"slim: {lib.name} kept: miniblas lacks {', '.join(missing[:5])} ...")
                continue
            shutil.copyfile(out, lib)
        drop_orphans(root, libs, lib.parent, was_needed)
        after = sum(p.stat().st_size for p in libs if p.exists())
        print(f"slim: {lib.name}: miniblas ({len(wanted)} symbols), saved {mb(before - after)}")


def replace_gnutls(cc: str, root: Path, libs: list[Path]) -> None:
    """GnuTLS (and nettle, hogweed, gmp, libunistring, which only it needs, 5.6 MB):
    libavformat links it for tls://, https:// and DTLS inputs, which rtprobe never
    opens through FFmpeg (aiortc's DTLS is OpenSSL's, httpx's TLS Python's). The
    stand-in fails every call but the global init (see GNUTLS_ANSWERS)."""
    for lib in [p for p in libs if re.match(GNUTLS, p.name)]:
        users = [p for p in libs if p.name.startswith("libavformat")]
        wanted = sorted(defined_functions(lib) & undefined_functions(users))
        before = sum(p.stat().st_size for p in libs if p.exists())
        was_needed = all_needed(libs)
        source = "".join(
            f'__attribute__((visibility("default"))) long {n}(void) '
            f"{{ return {GNUTLS_ANSWERS.get(n, str(GNUTLS_E_INTERNAL_ERROR))}; }}\n"
            for n in wanted
        )
        own = set(wanted)
        versions = {
            v: [n for n in names if n in own] for v, names in symbol_versions(users).items()
        }
        compile_stub(cc, source, lib, {v: n for v, n in versions.items() if n})
        drop_orphans(root, libs, lib.parent, was_needed)
        after = sum(p.stat().st_size for p in libs if p.exists())
        print(f"slim: {lib.name}: {len(wanted)} failing stubs, saved {mb(before - after)}")


def strip_all(libs: list[Path]) -> int:
    """Strip all but the libraries auditwheel renamed and patched with patchelf: strip
    rewrites their program headers and the loader then refuses them ("ELF load command
    address/offset not page-aligned", seen with numpy's OpenBLAS)."""
    libs = [p for p in libs if not AUDITWHEEL.search(p.name)]
    before = sum(p.stat().st_size for p in libs)
    for lib in libs:
        subprocess.run(["strip", "--strip-unneeded", str(lib)], capture_output=True)
    return before - sum(p.stat().st_size for p in libs)


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: slim.py BUNDLE_DIR", file=sys.stderr)
        return 2
    root = Path(argv[0]).resolve()
    if not sys.platform.startswith("linux") or not shutil.which("readelf"):
        print("slim: not Linux or no readelf: bundle left as built")
        return 0
    libs = libraries(root)
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        print("slim: no C compiler: unused libraries are kept as they are")
    else:
        for lib in libs:
            if re.match(ICU_DATA, lib.name):
                users = [p for p in libs if p.name.startswith(("libicuuc", "libicui18n"))]
                entry = next(
                    (n for n in undefined_functions(users) if re.fullmatch(r"icudt\d+_dat", n)),
                    None,
                ) or _icu_entry(users)
                if entry:
                    saved = compile_stub(cc, ICU_SOURCE % entry, lib)
                    print(f"slim: {lib.name}: empty ICU data ({entry}), saved {mb(saved)}")
            for pattern, result in ENCODER_STUBS.items():
                if re.match(pattern, lib.name):
                    users = [p for p in libs if p.name.startswith("libavcodec")]
                    wanted = sorted(defined_functions(lib) & undefined_functions(users))
                    source = "".join(
                        f'__attribute__((visibility("default"))) long {n}(void) '
                        f"{{ return {result}; }}\n"
                        for n in wanted
                    )
                    saved = compile_stub(cc, source, lib)
                    print(f"slim: {lib.name}: {len(wanted)} failing stubs, saved {mb(saved)}")
        replace_openblas(cc, root, libs)
        replace_gnutls(cc, root, libs)
        libs = [p for p in libs if p.exists()]
    print(f"slim: strip --strip-unneeded on {len(libs)} libraries, saved {mb(strip_all(libs))}")
    return 0


def _icu_entry(users: list[Path]) -> str | None:
    """The data symbol ICU imports (an OBJECT, so not among the functions)."""
    for lib in users:
        m = re.search(r"\b(icudt\d+_dat)\b", readelf("--dyn-syms", "-W", str(lib)))
        if m:
            return m.group(1)
    return None


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
