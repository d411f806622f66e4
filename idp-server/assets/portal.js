// idp portal: progressive enhancement only. Every page and form works without this script;
// with it, statuses, times and logs stay current without a reload. It talks only to this
// server's REST API (same origin, the session cookie), never to any other host.
"use strict";

(function () {
  const units = [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
  ];

  function humanize(seconds) {
    seconds = Math.abs(Math.round(seconds));
    if (seconds < 60) return "<1m";
    const parts = [];
    for (const [unit, size] of units) {
      const n = Math.floor(seconds / size);
      if (n > 0 && parts.length < 2) {
        parts.push(n + unit);
        seconds -= n * size;
      }
    }
    return parts.join(" ");
  }

  // Times: relative text kept current; the absolute time stays in the title.
  function refreshTimes(root) {
    const now = Date.now();
    for (const el of (root || document).querySelectorAll("time[datetime]")) {
      const at = Date.parse(el.getAttribute("datetime"));
      if (Number.isNaN(at)) continue;
      const delta = (at - now) / 1000;
      el.textContent = delta > 0 ? "in " + humanize(delta) : humanize(delta) + " ago";
    }
  }

  function statusSpan(el, status) {
    el.textContent = status;
    el.className = "status status-" + status;
  }

  async function getJson(url) {
    const res = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!res.ok) {
      const err = new Error("HTTP " + res.status);
      err.status = res.status;
      throw err;
    }
    return res.json();
  }

  // The environments table: refetch this same page (same filters and sort) and swap the table.
  function liveTable() {
    const holder = document.querySelector("[data-live-table]");
    if (!holder) return;
    const count = document.getElementById("count");
    async function tick() {
      if (document.hidden) return;
      try {
        const res = await fetch(location.href, { credentials: "same-origin" });
        if (!res.ok) return;
        const doc = new DOMParser().parseFromString(await res.text(), "text/html");
        const fresh = doc.querySelector("[data-live-table]");
        const freshCount = doc.getElementById("count");
        if (fresh && fresh.innerHTML !== holder.innerHTML) {
          holder.innerHTML = fresh.innerHTML;
          refreshTimes(holder);
        }
        if (count && freshCount && freshCount.textContent !== count.textContent) {
          count.textContent = freshCount.textContent;
        }
      } catch (_) {
        /* the next tick tries again */
      }
    }
    setInterval(tick, 2000);
  }

  // An environment's page: follow its operation (create, destroy) and its record.
  function liveEnvironment() {
    const live = document.getElementById("live");
    if (!live || !live.dataset.environment) return;
    const name = live.dataset.environment;
    const operation = live.dataset.operation;
    const status = document.getElementById("status");
    const progress = document.getElementById("progress");
    const notice = document.getElementById("notice");
    let seen = 0;
    let finished = !operation;

    async function tick() {
      if (document.hidden) return;
      if (operation && !finished) {
        try {
          const op = await getJson("/v1/operations/" + encodeURIComponent(operation));
          const lines = op.progress || [];
          for (; seen < lines.length; seen++) {
            const li = document.createElement("li");
            li.textContent = lines[seen];
            progress.appendChild(li);
          }
          if (op.status === "failed") {
            finished = true;
            notice.textContent = "Failed: " + ((op.error && op.error.detail) || "see the server's log");
            notice.setAttribute("role", "alert");
          } else if (op.status === "succeeded") {
            finished = true;
          }
        } catch (_) {
          /* an operation of a restarted server is gone: keep following the record */
        }
      }
      try {
        const env = await getJson("/v1/environments/" + encodeURIComponent(name));
        if (live.dataset.reloadWhenFound) {
          location.replace(location.pathname + "?done=created&operation=" + encodeURIComponent(operation || ""));
          return;
        }
        statusSpan(status, env.status);
        const expires = document.querySelector("#expires time");
        if (expires && env.expires_at) expires.setAttribute("datetime", env.expires_at);
        if (env.endpoint && !document.getElementById("url")) {
          const pending = document.getElementById("url-pending");
          if (pending && /^https?:\/\//.test(env.endpoint)) {
            const a = document.createElement("a");
            a.id = "url";
            a.href = env.endpoint;
            a.rel = "noopener noreferrer";
            a.textContent = env.endpoint;
            pending.replaceWith(a);
          }
        }
        if (finished && ["active", "failed", "destroyed"].includes(env.status)) {
          if (env.status === "active" && notice.textContent.startsWith("Create started")) {
            notice.textContent = "The environment is active.";
          }
          if (env.status === "destroyed") notice.textContent = "The environment is destroyed.";
          return "done";
        }
      } catch (err) {
        if (err.status === 404 && finished && operation && !live.dataset.reloadWhenFound) {
          statusSpan(status, "destroyed");
          notice.textContent = "The environment is gone.";
          return "done";
        }
      }
      refreshTimes();
    }
    const timer = setInterval(async () => {
      if ((await tick()) === "done") clearInterval(timer);
    }, 1500);
    tick();
  }

  // Live logs over Server-Sent Events, with pause/resume and a filter.
  function liveLogs() {
    const pre = document.getElementById("logs");
    if (!pre || !pre.dataset.src || typeof EventSource === "undefined") return;
    const pause = document.getElementById("log-pause");
    const filter = document.getElementById("log-filter");
    const lines = [];
    let paused = false;
    function render() {
      const f = (filter && filter.value.toLowerCase()) || "";
      const shown = lines.filter((l) => !f || l.toLowerCase().includes(f));
      pre.textContent = shown.length ? shown.join("\n") : lines.length ? "(no line matches the filter)" : "(no log lines yet)";
      pre.scrollTop = pre.scrollHeight;
    }
    pre.textContent = "(no log lines yet)";
    const source = new EventSource(pre.dataset.src);
    source.addEventListener("log", (e) => {
      try {
        const entry = JSON.parse(e.data);
        lines.push(entry.timestamp.slice(11, 19) + "  " + entry.message);
        if (lines.length > 2000) lines.splice(0, lines.length - 2000);
        if (!paused) render();
      } catch (_) {
        /* a line that is not JSON is skipped */
      }
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) pre.dataset.closed = "1";
    });
    if (pause) {
      pause.addEventListener("click", () => {
        paused = !paused;
        pause.textContent = paused ? "Resume" : "Pause";
        pause.setAttribute("aria-pressed", String(paused));
        if (!paused) render();
      });
    }
    if (filter) filter.addEventListener("input", render);
  }

  // A page that asks to be refreshed while something runs (a run's page).
  function refreshWhileRunning() {
    const marker = document.querySelector("[data-refresh]");
    if (!marker) return;
    const seconds = Number(marker.dataset.refresh) || 3;
    setTimeout(() => {
      if (!document.hidden) location.reload();
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    refreshTimes();
    setInterval(refreshTimes, 30000);
    liveTable();
    liveEnvironment();
    liveLogs();
    refreshWhileRunning();
  });
})();
