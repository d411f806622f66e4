"""A tiny web app for trying idp's local backend.

It uses only the Python 3 standard library. It listens on 127.0.0.1:$PORT, answers `/` with a
page naming the environment ($IDP_ENVIRONMENT) and `/health` with `ok`, and logs one line per
request to stdout, each starting with an RFC 3339 timestamp so that `idp logs` shows every
request as its own event.
"""

import html
import os
import sys
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ENVIRONMENT = os.environ.get("IDP_ENVIRONMENT", "unknown")


def log(message: str) -> None:
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    print(f"{now} {message}", flush=True)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            self.reply(200, "text/plain; charset=utf-8", "ok\n")
        elif self.path == "/":
            name = html.escape(ENVIRONMENT)
            page = (
                "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
                f"<title>{name}</title></head>\n"
                f"<body><h1>Hello from {name}</h1><p>Served by idp's local runtime.</p></body></html>\n"
            )
            self.reply(200, "text/html; charset=utf-8", page)
        else:
            self.reply(404, "text/plain; charset=utf-8", "not found\n")

    def reply(self, status: int, content_type: str, body: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        log(f"{self.command} {self.path} {status}")

    def log_message(self, format: str, *args: object) -> None:
        # Requests are logged by `reply`; the default access log would go to stderr untimestamped.
        pass


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    log(f"environment {ENVIRONMENT} listening on http://127.0.0.1:{port}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
