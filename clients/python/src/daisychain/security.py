"""TLS and bearer tokens for daisychain clients (proto/daisychain/v1/README.md).

The token goes as per-call metadata ``authorization: Bearer <token>`` rather
than as call credentials: gRPC refuses call credentials on a plaintext
channel, and a token over plaintext loopback is a supported set-up; one way
for both keeps the Python and TypeScript clients alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # grpcio is the control plane's; a worker's Work stream needs only token_metadata, so it does not load it.
    import grpc

Metadata = Sequence[tuple[str, str]]


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        raise ValueError(f"cannot read the {what} {path}: {error}") from None


def make_channel(
    target: str,
    options: Sequence[tuple[str, object]],
    tls_ca: str | None = None,
    tls_cert: str | None = None,
    tls_key: str | None = None,
) -> grpc.Channel:
    """A TLS channel trusting ``tls_ca`` (PEM path; with a client certificate and key under mTLS), plaintext without a CA."""
    import grpc

    if tls_ca is None:
        if tls_cert is not None or tls_key is not None:
            raise ValueError("a client certificate needs the CA of the server too (tls_ca)")
        return grpc.insecure_channel(target, options=options)
    if (tls_cert is None) != (tls_key is None):
        raise ValueError("a client certificate needs its key, and a key its certificate")
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_read(tls_ca, "TLS CA file"),
        private_key=None if tls_key is None else _read(tls_key, "TLS client key"),
        certificate_chain=None if tls_cert is None else _read(tls_cert, "TLS client certificate"),
    )
    return grpc.secure_channel(target, credentials, options=options)


def token_metadata(token: str | None) -> Metadata:
    """The token as call metadata; none without a token. A secret: never logged."""
    return [("authorization", f"Bearer {token}")] if token else []


def channel_from_context(
    target: str, options: Sequence[tuple[str, object]], context: Mapping[str, str]
) -> grpc.Channel:
    """A worker's channel from its DAISY_CONTEXT entries ``tls_ca``, ``tls_cert``, ``tls_key``."""
    return make_channel(target, options, context.get("tls_ca"), context.get("tls_cert"), context.get("tls_key"))
