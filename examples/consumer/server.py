"""The example consumer's app: answers `/` with the environment's name and `/health` with `ok`.

It listens on 0.0.0.0:$PORT (3000 by default), as a container behind a load balancer must.
"""

import html
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ENVIRONMENT = os.environ.get("IDP_ENVIRONMENT", "unknown")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            body, kind = "ok\n", "text/plain; charset=utf-8"
        else:
            body = f"<!doctype html><title>{html.escape(ENVIRONMENT)}</title><h1>{html.escape(ENVIRONMENT)}</h1>\n"
            kind = "text/html; charset=utf-8"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "3000"))), Handler).serve_forever()
