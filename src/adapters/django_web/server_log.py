"""gunicorn's log, with the address it listens at.

With SO_REUSEPORT (cli.py) every worker opens its own listening socket and the arbiter
opens none, so gunicorn's start-up line read ``Listening at:  (pid)``: nothing to say
where the shop is. This logger fills in the configured address, written as gunicorn
writes its own sockets.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

LISTENING = "Listening at:"


def addresses(cfg: Any) -> str:
    scheme = "https" if cfg.is_ssl else "http"
    out = []
    for address in cfg.address:
        if isinstance(address, tuple):
            host, port = address[0], address[1]
            host = f"[{host}]" if ":" in host else host
            out.append(f"{scheme}://{host}:{port}")
        elif isinstance(address, str):
            out.append(f"unix:{address}")
        else:
            out.append(f"fd://{address}")  # a descriptor handed over by systemd
    return ",".join(out)


class ShopLogger(Logger):  # type: ignore[misc]
    def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
        if isinstance(msg, str) and msg.startswith(LISTENING) and args and not args[0]:
            args = (addresses(self.cfg), *args[1:])
        super().info(msg, *args, **kwargs)
