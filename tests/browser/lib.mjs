// Shared helpers of the portal's browser tests: the browser (Debian's Chromium, driven by
// playwright-core), page checks run on every page visited (navigation, CSRF fields, axe-core,
// a full-page screenshot), and the record of every request the browser made.

import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const AXE_PATH = path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');

/** The suite's inputs, from `tests/browser/run.sh`. */
export const env = {
  base: (process.env.IDP_PORTAL_URL ?? '').replace(/\/$/, ''),
  admin: process.env.IDP_PORTAL_TOKEN_ADMIN ?? '',
  viewer: process.env.IDP_PORTAL_TOKEN_VIEWER ?? '',
  developer: process.env.IDP_PORTAL_TOKEN_DEVELOPER ?? '',
  // NAME=OWNER pairs, comma-separated.
  seeded: (process.env.IDP_PORTAL_SEEDED ?? '').split(',').map((s) => s.trim()).filter(Boolean)
    .map((pair) => {
      const [name, owner = ''] = pair.split('=');
      return { name, owner };
    }),
  newName: process.env.IDP_PORTAL_NEW_NAME || 'web-delta',
  template: process.env.IDP_PORTAL_TEMPLATE || 'api-service',
  runId: process.env.IDP_PORTAL_RUN_ID ?? '',
  runOrders: (process.env.IDP_PORTAL_RUN_ORDERS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  shots: process.env.IDP_PORTAL_SHOTS_DIR
    || path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target'), 'portal-screenshots'),
  readmeShots: process.env.IDP_PORTAL_README_SHOTS === '1',
};

/** Why the suite cannot run here, or null. */
export function missingInputs() {
  const missing = ['IDP_PORTAL_URL', 'IDP_PORTAL_TOKEN_ADMIN', 'IDP_PORTAL_TOKEN_VIEWER']
    .filter((k) => !process.env[k]);
  return missing.length ? `run through tests/browser/run.sh (missing ${missing.join(', ')})` : null;
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** What every page visit leaves behind, for the checks that look at all of them at the end. */
export const record = {
  /** Every URL the browser requested. */
  requests: [],
  /** axe-core results by page: { page, url, violations }. */
  axe: [],
  /** Uncaught exceptions of the portal's script: { page, message }. */
  pageErrors: [],
  /** Content-Security-Policy violations seen by an enforcing context. */
  csp: [],
  /** Pages visited, in order (screenshot names). */
  visited: [],
  /** Links, form actions and page URLs that percent-encode an unreserved character (`%2D`). */
  encoded: [],
};

/** Percent-encoded unreserved characters (RFC 3986 §2.3): letters, digits, `-`, `.`, `_`, `~`. */
const ENCODED_UNRESERVED = /%(2[dDeE]|5[fF]|7[eE]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA])/;

/** Records the page's own URL and its links and form actions that encode unreserved characters. */
export async function checkPlainUrls(page, name) {
  const urls = await page.evaluate(() => [
    ...[...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
    ...[...document.querySelectorAll('form[action]')].map((f) => f.getAttribute('action')),
  ]);
  for (const u of [new URL(page.url()).pathname, ...urls]) {
    if (ENCODED_UNRESERVED.test(u)) record.encoded.push(`${name}: ${u}`);
  }
}

/**
 * A fresh Chromium with its own empty profile (a new temporary user-data dir). `bypassCSP`
 * lets axe-core be injected with `page.addScriptTag` into pages whose CSP allows only the
 * portal's own script; a context without it enforces the portal's CSP as a browser would.
 */
export async function launch({ bypassCSP = true, viewport = { width: 1280, height: 800 } } = {}) {
  const profile = await mkdtemp(path.join(tmpdir(), 'idp-portal-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.IDP_CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    viewport,
    bypassCSP,
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  context.on('request', (req) => record.requests.push(req.url()));
  context.on('page', (page) => watchPage(page));
  for (const page of context.pages()) watchPage(page);
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
}

function watchPage(page) {
  page.on('pageerror', (err) => {
    record.pageErrors.push({ page: page.url(), message: String(err?.stack || err) });
  });
}

/** The context's one page (a persistent context opens with one). */
export async function firstPage(context) {
  return context.pages()[0] ?? context.newPage();
}

export function url(p) {
  return p.startsWith('http') ? p : env.base + p;
}

/** The status of the redirect that led to `response` (e.g. 303), or null when there was none. */
export async function redirectStatus(response) {
  const from = response?.request().redirectedFrom();
  if (!from) return null;
  const res = await from.response();
  return res ? res.status() : null;
}

/** Navigates to `p` and returns the main response. */
export async function goto(page, p) {
  const response = await page.goto(url(p), { waitUntil: 'load' });
  assert.ok(response, `no response for ${p}`);
  return response;
}

/** Clicks `locator` (a submit button) and returns the response of the page it leads to. */
export async function submitWith(page, locator) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    locator.click(),
  ]);
  assert.ok(response, 'the form led to no page');
  return response;
}

/**
 * Submits a form built in the page: `action` and `fields` as given (a forged request, as
 * another site or a crafted page would send it). Returns the response of the resulting page.
 */
export async function forgePost(page, action, fields) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.evaluate(({ action, fields }) => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = action;
      for (const [name, value] of Object.entries(fields)) {
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        form.append(input);
      }
      document.body.append(form);
      form.submit();
    }, { action, fields }),
  ]);
  assert.ok(response, `the forged POST to ${action} led to no page`);
  return response;
}

/** The session's CSRF token, from the Sign out form every signed-in page has. */
export async function csrfOf(page) {
  const value = await page.locator('form[action="/logout"] input[name="csrf"]').first().getAttribute('value');
  assert.ok(value, 'no CSRF token in the Sign out form');
  return value;
}

/** Signs in with `token` on /login; returns the response of the page the form led to. */
export async function signIn(page, token) {
  await goto(page, '/login');
  await page.getByLabel('API token').fill(token);
  return submitWith(page, page.getByRole('button', { name: 'Sign in' }));
}

/** Signs in as `token` in a context that may hold another session. */
export async function switchUser(context, page, token) {
  await context.clearCookies();
  const res = await signIn(page, token);
  assert.equal(new URL(page.url()).pathname, '/environments', `sign-in ended at ${page.url()}`);
  return res;
}

// === checks of every page ===

/** Full-page screenshot to `<shots>/<name>.png`. */
export async function screenshot(page, name) {
  await mkdir(env.shots, { recursive: true });
  await page.screenshot({ path: path.join(env.shots, `${name}.png`), fullPage: true });
  record.visited.push(name);
}

/** Runs axe-core on the page and records its violations; returns the serious and critical ones. */
export async function runAxe(page, name) {
  await page.addScriptTag({ path: AXE_PATH });
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      targets: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    }));
  });
  record.axe.push({ page: name, url: page.url(), violations });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** axe-core violations as readable lines. */
export function describeViolations(entries) {
  const lines = [];
  for (const { page, url: at, violations } of entries) {
    for (const v of violations) {
      lines.push(`${page} (${at}): [${v.impact}] ${v.id}: ${v.help}`);
      for (const n of v.targets) lines.push(`    ${n.target}${n.summary ? `\n      ${n.summary.replace(/\n/g, '\n      ')}` : ''}`);
    }
  }
  return lines.join('\n');
}

/** The navigation every page has, with Sign out when signed in. */
export async function checkChrome(page, { signedIn }) {
  const nav = page.locator('nav');
  assert.ok(await nav.count() >= 1, 'the page has no <nav>');
  for (const [text, href] of [['Environments', '/environments'], ['Catalog', '/catalog'], ['Runs', '/runs']]) {
    const link = nav.getByRole('link', { name: text, exact: true });
    assert.equal(await link.count(), 1, `the navigation has no single link "${text}"`);
    assert.equal(await link.getAttribute('href'), href, `the "${text}" link goes elsewhere`);
  }
  const logout = page.locator('form[method="post"][action="/logout"]');
  if (signedIn) {
    assert.equal(await logout.count(), 1, 'a signed-in page has no Sign out form');
    assert.equal(await logout.getByRole('button', { name: 'Sign out' }).count(), 1, 'no "Sign out" button');
  } else {
    assert.equal(await logout.count(), 0, 'a signed-out page has a Sign out form');
  }
}

/** Every state-changing form (all but the sign-in form) carries a non-empty hidden `csrf`. */
export async function checkCsrfFields(page) {
  const forms = await page.locator('form').evaluateAll((all) => all.map((f) => ({
    action: f.getAttribute('action'),
    method: (f.getAttribute('method') || 'get').toLowerCase(),
    csrf: [...f.querySelectorAll('input[name="csrf"]')].map((i) => ({ type: i.type, value: i.value })),
  })));
  for (const f of forms) {
    if (f.method !== 'post' || f.action === '/login/token') continue;
    assert.equal(f.csrf.length, 1, `the form to ${f.action} has no csrf field`);
    assert.equal(f.csrf[0].type, 'hidden', `the csrf field of ${f.action} is not hidden`);
    assert.ok(f.csrf[0].value.length >= 16, `the csrf field of ${f.action} is empty or short`);
  }
}

/**
 * The checks of every portal page: the navigation, CSRF fields, a full-page screenshot and
 * axe-core. axe-core's findings are recorded, not thrown, so that a scenario reports what it
 * is about; the accessibility test fails on every serious or critical one of every page.
 */
export async function checkPage(page, name, { signedIn = true } = {}) {
  await checkChrome(page, { signedIn });
  await checkCsrfFields(page);
  await checkPlainUrls(page, name);
  await screenshot(page, name);
  await runAxe(page, name);
}

/** Visits `p`, expects `status`, and runs the checks of every page. */
export async function visit(page, name, p, { status = 200, signedIn = true } = {}) {
  const response = await goto(page, p);
  assert.equal(response.status(), status, `GET ${p} answered ${response.status()}, wanted ${status}`);
  await checkPage(page, name, { signedIn });
  return response;
}

/** The text of `selector`, trimmed, or null when it is not on the page. */
export async function textOf(page, selector) {
  const loc = page.locator(selector).first();
  if (await loc.count() === 0) return null;
  return (await loc.textContent())?.trim() ?? null;
}

/** Polls `fn` until it returns a truthy value; returns it. */
export async function until(fn, { timeout = 30_000, interval = 250, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Whether a URL's host is loopback (or the URL goes nowhere: data:, blob:, about:). */
export function isLoopback(u) {
  let parsed;
  try {
    parsed = new URL(u);
  } catch {
    return false;
  }
  if (['data:', 'blob:', 'about:'].includes(parsed.protocol)) return true;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname) || /^127\./.test(parsed.hostname);
}

/** The page's path, percent-decoded (`/environments/web%2Dalpha` is `/environments/web-alpha`). */
export function pathOf(page) {
  return decodeURIComponent(new URL(page.url()).pathname);
}

/** The form of `p` whose action is `action` once percent-decoded (the first when several). */
export async function formTo(p, action) {
  const actions = await p.locator('form').evaluateAll((fs) => fs.map((f) => f.getAttribute('action') ?? ''));
  const i = actions.findIndex((a) => {
    try {
      return decodeURIComponent(a) === action;
    } catch {
      return false;
    }
  });
  assert.ok(i >= 0, `no form with action ${action} (forms: ${actions.join(', ') || 'none'})`);
  return p.locator('form').nth(i);
}

/** The links of `scope` whose href is `href` once percent-decoded. */
export async function linksTo(scope, href) {
  const hrefs = await scope.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  const out = [];
  hrefs.forEach((h, i) => {
    try {
      if (decodeURIComponent(h) === href) out.push(scope.locator('a[href]').nth(i));
    } catch { /* not a percent-encoded path */ }
  });
  return out;
}
