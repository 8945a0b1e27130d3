"""The witnesses a log submits its checkpoints to: a TOML file of the operator's::

    [[witness]]
    name = "审计局"                                       # what readers are told (policy name)
    url = "https://witness.qhx-sjj.gov.cn"                # POST <url>/add-checkpoint
    key = "witness.qhx-sjj.gov.cn+1a2b3c4d+BHx..."        # its verifier key (type 0x04)

and the witness policy the log serves to its readers: the operator's policy file, or one
made from this list that requires every witness.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Final

from pydantic import AfterValidator, Field

from ledger.config_files import ConfigModel, TomlFile, checked
from ledger.domain.toml_text import ConfigFileError
from ledger.log.cosignature import CosignatureVerifier, parse_cosignature_key
from ledger.log.note import NoteError
from ledger.log.policy import Policy, parse_policy, policy_for

_NAME: Final = r"^[^\s#]{1,64}$"


class WitnessFileError(ConfigFileError):
    """A malformed witnesses file or witness policy."""


def _vkey(value: str) -> str:
    try:
        parse_cosignature_key(value)
    except NoteError as exc:
        raise ValueError(str(exc)) from None
    return value


def _url(value: str) -> str:
    if not value.startswith(("http://", "https://")) or len(value.split("/")) < 3:
        raise ValueError("must be an http:// or https:// URL")
    return value.rstrip("/")


class _Witness(ConfigModel):
    name: Annotated[str, Field(pattern=_NAME, description="a name without spaces or '#'")]
    url: Annotated[str, AfterValidator(_url), Field(description="the witness's http(s) URL")]
    key: Annotated[str, AfterValidator(_vkey), Field(description="a C2SP verifier key")]


class _WitnessFile(ConfigModel):
    witness: Annotated[list[_Witness], Field(min_length=1, description="[[witness]] tables")]


@dataclass(frozen=True)
class WitnessEndpoint:
    name: str  # the policy's name for it
    url: str  # its submission prefix
    verifier: CosignatureVerifier


@dataclass(frozen=True)
class Witnesses:
    endpoints: tuple[WitnessEndpoint, ...]
    policy: Policy  # what the log serves at /log/witness-policy


def load_witnesses(path: Path, policy_path: Path | None = None) -> Witnesses:
    file = TomlFile.read(path, WitnessFileError, "witnesses file")
    data = checked(_WitnessFile, file.data, WitnessFileError, file)
    endpoints = tuple(
        WitnessEndpoint(w.name, w.url, parse_cosignature_key(w.key)) for w in data.witness
    )
    names = [e.name for e in endpoints]
    if len(set(names)) != len(names):
        raise WitnessFileError(str(path), None, "a witness name is listed twice")
    keys = [e.verifier.key_id for e in endpoints]
    if len(set(keys)) != len(keys):
        raise WitnessFileError(str(path), None, "a witness key is listed twice")
    if policy_path is None:
        text = policy_for([(e.name, e.verifier.vkey, e.url) for e in endpoints])
    else:
        try:
            text = policy_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise WitnessFileError(str(policy_path), None, str(exc)) from None
    try:
        policy = parse_policy(text)
    except ValueError as exc:
        raise WitnessFileError(str(policy_path or path), None, str(exc)) from None
    return Witnesses(endpoints, policy)
