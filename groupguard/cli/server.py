"""Run gunicorn in-process, so ``groupguard serve`` needs no separate config file."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _App(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from groupguard.wsgi import application

        return application


def run_gunicorn(*, bind: str, workers: int, threads: int) -> None:
    _App(
        {
            "bind": bind,
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread" if threads > 1 else "sync",
            "timeout": 60,
            "graceful_timeout": 10,
            "accesslog": "-",
            "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
            "forwarded_allow_ips": "127.0.0.1",
            # gunicorn's control socket lives in one per-user path shared by every server;
            # groupguard does not use it, and several servers on one machine must not collide.
            "control_socket_disable": True,
        }
    ).run()
