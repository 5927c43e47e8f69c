"""Specification files and repository archives written by the tests themselves, in the formats the
real repositories use (EIP/ERC Markdown with YAML front matter, BIP MediaWiki and Markdown with a
preamble, BOLT Markdown), and archives shaped like GitHub's (one top folder per repository)."""

from __future__ import annotations

import io
import tarfile
import zipfile


def eip(number: int, *, kind: str = "eip", title: str = "", status: str = "Final", created: str = "2021-03-04",
        requires: str = "", body: str = "", description: str = "") -> str:
    title = title or f"Gas accounting rule number {number}"
    lines = [
        "---", f"eip: {number}", f"title: {title}",
        f"description: {description or f'Changes how the gas cost of operation {number} is charged'}",
        "author: Alice Example (@alice-example), Bob Sample <bob@example.org>, @carol",
        f"discussions-to: https://ethereum-magicians.org/t/{kind}-{number}-discussion/{number}",
        f"status: {status}", "type: Standards Track", f"category: {'ERC' if kind == 'erc' else 'Core'}",
        f"created: {created}",
    ]
    if requires:
        lines.append(f"requires: {requires}")
    lines.append("---")
    body = body or (
        f"## Abstract\n\nProposal {number} changes the gas charged for a storage write so that a refund\n"
        f"cannot exceed one fifth of the transaction's gas. Marker word eipmarker{number}.\n\n"
        "## Specification\n\nThe key words MUST and SHOULD are to be read as in RFC 2119.\n\n"
        "| Parameter | Value |\n| --- | --- |\n| `MAX_REFUND_QUOTIENT` | 5 |\n\n"
        "- Clients **MUST** cap the refund.\n- Wallets *SHOULD* show the [capped refund](./eip-3529.md).\n\n"
        "```solidity\nfunction refundOf(address account) external view returns (uint256);\n```\n\n"
        "## Rationale\n\nA smaller refund removes the incentive to store junk while gas is cheap.\n"
    )
    return "\n".join(lines) + "\n\n" + body


def bip_mediawiki(number: int, *, title: str = "", status: str = "Draft", body: str = "") -> str:
    title = title or f"Wallet descriptor rule {number}"
    body = body or (
        f"==Abstract==\n\nThis document specifies descriptor rule {number} for wallets, so that\n"
        f"different clients derive the same addresses. Marker word bipmarker{number}.\n\n"
        "==Specification==\n\n===Derivation===\n\n"
        "* Wallets derive keys with '''hardened''' steps.<ref>Hardened steps stop a leaked child key "
        "from exposing its parent.</ref>\n* Each step is written ''m/purpose'/coin'''.\n\n"
        "{| class=\"wikitable\"\n! Purpose !! Meaning\n|-\n| 84 || native segwit\n|-\n| 86 || taproot\n|}\n\n"
        "==Footnotes==\n\n<references />\n"
    )
    return (
        "<pre>\n"
        f"  BIP: {number}\n  Layer: Applications\n  Title: {title}\n"
        "  Authors: Dana Example <dana@example.org>\n          Erin Sample <erin@example.org>\n"
        f"  Status: {status}\n  Type: Specification\n  Assigned: 2019-07-01\n  License: BSD-2-Clause\n"
        "  Requires: 32, 340\n"
        "</pre>\n\n" + body
    )


def bip_markdown(number: int, *, title: str = "") -> str:
    title = title or f"Process rule {number}"
    return (
        "```\n"
        f"  BIP: {number}\n  Title: {title}\n  Authors: Frank Example <frank@example.org>\n"
        "  Status: Complete\n  Type: Process\n  Assigned: 2024-11-02\n  License: BSD-3-Clause\n"
        "  Discussion: https://example.org/list/1\n              https://example.org/list/2\n"
        "```\n\n"
        f"## Abstract\n\nThis process rule {number} explains how proposals are numbered and reviewed.\n"
        f"Marker word bipmarker{number}.\n\n## Motivation\n\nReview is slow when nobody owns it.\n"
    )


def bolt(number: int, *, title: str = "") -> str:
    title = title or f"Channel rule {number}"
    return (
        f"# BOLT #{number}: {title}\n\n"
        f"This BOLT describes rule {number} of payment channel operation. Marker word boltmarker{number}.\n\n"
        "# Table of Contents\n\n  * [Requirements](#requirements)\n  * [Rationale](#rationale)\n\n"
        "# Requirements\n\nA sending node:\n  - MUST set `channel_id`.\n  - if it is the funder:\n"
        "    - MUST check the balance.\n\n# Rationale\n\nNodes need the channel id to route an HTLC.\n"
    )


def tar_gz(files: dict[str, bytes | str], *, top: str = "repo-master", links: dict[str, str] | None = None,
           raw_names: dict[str, bytes] | None = None) -> bytes:
    """A .tar.gz like GitHub's: `top/` first, then the files under it; `links` adds symbolic links,
    `raw_names` adds members whose names are used exactly as given (e.g. ../../escape.md)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        folder = tarfile.TarInfo(top)
        folder.type = tarfile.DIRTYPE
        archive.addfile(folder)
        for path, data in files.items():
            data = data.encode() if isinstance(data, str) else data
            info = tarfile.TarInfo(f"{top}/{path}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for path, target in (links or {}).items():
            info = tarfile.TarInfo(f"{top}/{path}")
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
        for name, data in (raw_names or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def zip_bytes(files: dict[str, bytes | str], *, top: str = "repo-main", links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(f"{top}/{path}", data)
        for path, target in (links or {}).items():
            info = zipfile.ZipInfo(f"{top}/{path}")
            info.external_attr = (0o120777 << 16)
            archive.writestr(info, target)
    return buffer.getvalue()
