"""`oncobank central`: the multi-centre platform's keys, its trusted nodes, and the import of their bundles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from oncobank.cli.common import JsonOption, LangOption, console, emit_json, err, friendly

app = typer.Typer(no_args_is_help=True, help="The central platform: keys, trusted nodes, import of signed bundles.")

WORDS: dict[str, tuple[str, str]] = {
    "keygen": ("New {kind} key pair. Private key (keep it, mode 0600): {private}. Public key: {public}. "
               "Fingerprint: {fingerprint}.",
               "Новая пара ключей ({kind}). Закрытый ключ (хранить, права 0600): {private}. Открытый ключ: "
               "{public}. Отпечаток: {fingerprint}."),
    "recipient": ("recipient (X25519, for the central platform)", "получателя (X25519, для центральной платформы)"),
    "signing": ("signing (Ed25519, for a hospital node)", "подписи (Ed25519, для узла больницы)"),
    "importing": ("Verifying and importing the bundle", "Проверка и импорт пакета"),
    "trusted": ("Centre {centre} trusted: its bundles must be signed with key {fingerprint}.",
                "Центру {centre} доверено: его пакеты должны быть подписаны ключом {fingerprint}."),
}


def word(key: str, lang: str, **values: str) -> str:
    en, ru = WORDS[key]
    return (ru if lang == "ru" else en).format(**values)


@app.command("keygen")
@friendly()
def keygen_command(
    signing: Annotated[bool, typer.Option(
        "--signing", help="A node's Ed25519 signing pair (default: the central platform's X25519 recipient pair).")]
        = False,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Private key file; the public key goes beside it as FILE.pub (default: recipient.key or "
                      "signing.key in the central folder, ONCOBANK_CENTRAL).", show_default=False)] = None,
    lang: LangOption = "en",
    as_json: JsonOption = False,
) -> None:
    """Make a key pair: the central platform's recipient key, or (--signing) a hospital node's signing key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    from oncobank.deid.bundle_keys import central_folder, fingerprint, generate, load_public

    kind = "signing" if signing else "recipient"
    private = out or central_folder() / f"{kind}.key"
    public = generate(kind, private)
    key = load_public(public, Ed25519PublicKey if signing else X25519PublicKey)
    result = {"kind": kind, "private_key": str(private), "public_key": str(public), "fingerprint": fingerprint(key)}
    if as_json:
        emit_json(result)
        return
    console.print(word("keygen", lang, kind=word(kind, lang), private=str(private), public=str(public),
                       fingerprint=result["fingerprint"]), highlight=False, markup=False)


@app.command("trust")
@friendly()
def trust_command(
    centre: Annotated[str, typer.Argument(help="The node's centre code, as its bundles name it.")],
    public_key: Annotated[Path, typer.Argument(help="The node's Ed25519 public key (PEM), from its keygen --signing.")],
    lang: LangOption = "en",
    as_json: JsonOption = False,
) -> None:
    """Trust a node: bundles of CENTRE are imported only when signed with this key (it replaces an earlier one)."""
    from oncobank.deid.bundle_keys import trust

    fp = trust(centre, public_key)
    if as_json:
        emit_json({"centre": centre, "fingerprint": fp})
        return
    console.print(word("trusted", lang, centre=centre, fingerprint=fp), highlight=False, markup=False)


@app.command("import")
@friendly()
def import_command(
    bundle: Annotated[Path, typer.Argument(help="A bundle written by `oncobank publish --bundle`.")],
    to: Annotated[str | None, typer.Option(
        "--to", help="The multi-centre analysis store URL (default: ONCOBANK_ANALYSIS, else analysis.duckdb in the "
                     "data home).", show_default=False)] = None,
    key: Annotated[Path | None, typer.Option(
        "--key", help="This platform's X25519 private key (default: recipient.key in the central folder).",
        show_default=False)] = None,
    lang: LangOption = "en",
    as_json: JsonOption = False,
) -> None:
    """Verify a node's bundle and replace that centre's data in the multi-centre analysis store.

    Refused, with nothing imported, when the bundle was changed, is signed by a key not trusted for its centre, is
    addressed to another platform, or is older than the centre's last import; the same bundle again changes nothing.
    """
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from oncobank.deid.bundle_keys import RECIPIENT_KEY, central_folder, load_private, trusted
    from oncobank.deid.central import import_bundle
    from oncobank.reports.terminal import progress

    recipient = load_private(key or central_folder() / RECIPIENT_KEY, X25519PrivateKey)
    with progress(err) as bar:
        bar.add_task(word("importing", lang), total=None)
        result = import_bundle(bundle, recipient=recipient, trusted=trusted(), url=to)  # type: ignore[arg-type]
    if as_json:
        emit_json(result.to_dict())
        return
    console.print(result.table(lang))
