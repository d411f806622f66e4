// The portal of `idp serve` in a real browser: sign-in, the environments, the catalog and its
// create form, an environment's life (create, active, its app, logs, extend, destroy), roles,
// CSRF, the error pages, accessibility (axe-core), the network and narrow screens.
//
// Run through `tests/browser/run.sh`, which starts the server on the local backend, seeds
// environments, tokens and a run, and passes them in IDP_PORTAL_* variables. The scenarios
// share one browser and run in order; a later one may build on an earlier one's environment.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import http from 'node:http';

import {
  ROOT, env, missingInputs, launch, firstPage, goto, visit, checkPage, screenshot,
  submitWith, forgePost, csrfOf, signIn, switchUser, redirectStatus, textOf, until,
  describeViolations, isLoopback, record, pathOf, formTo, linksTo,
} from './lib.mjs';

const skip = missingInputs() ?? false;
const T = { timeout: 120_000 };
const opts = { ...T, skip };

let browser;
let context;
let page;
/** What the create scenario made, for the ones after it. */
const made = { created: false, active: false, appUrl: null, statuses: [] };
const NEW = env.newName;
const TEMPLATE = env.template;
const seeded = env.seeded;

before(async () => {
  if (skip) return;
  browser = await launch();
  context = browser.context;
  page = await firstPage(context);
});

after(async () => {
  await browser?.close();
});

/** The expiry of the environment page as shown (the `datetime` of `#expires`, else its text). */
async function expiresOf(p) {
  const el = p.locator('#expires');
  assert.equal(await el.count(), 1, 'no #expires on the environment page');
  const time = el.locator('time[datetime]');
  if (await time.count()) return time.first().getAttribute('datetime');
  return (await el.getAttribute('datetime')) ?? (await el.textContent()).trim();
}

/** The rows of table#environments as { name, status, owner }. */
async function rows(p) {
  return p.locator('table#environments tbody tr[data-name], table#environments tr[data-name]').evaluateAll((trs) => {
    const seen = new Set();
    return trs.filter((tr) => !seen.has(tr) && seen.add(tr)).map((tr) => ({
      name: tr.dataset.name,
      status: tr.querySelector('[data-col="status"]')?.textContent.trim(),
      owner: tr.querySelector('[data-col="owner"]')?.textContent.trim(),
    }));
  });
}

/** GET `u` from here (not the browser); resolves to the status. */
function httpGet(u) {
  return new Promise((resolve, reject) => {
    http.get(u, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    }).on('error', reject);
  });
}

/** The visible text of `#logs` (lines hidden by the filter are not part of it). */
async function logsText(p) {
  return p.locator('#logs').evaluate((el) => el.innerText);
}

/** A link whose text is "Create" (its accessible name may say more, e.g. "Create from api-service"). */
function createLink(scope) {
  return scope.getByRole('link', { name: /^Create\b/ }).filter({ hasText: /^\s*Create\s*$/ });
}

/** The buttons and links a viewer must not be offered. */
async function actionControls(p) {
  const found = [];
  for (const name of ['Extend', 'Destroy', 'Create environment']) {
    if (await p.getByRole('button', { name, exact: true }).count()) found.push(`button "${name}"`);
  }
  if (await createLink(p).count()) found.push('link "Create"');
  if (await p.locator('form[action$="/extend"], form[action$="/destroy"]').count()) found.push('an extend or destroy form');
  return found;
}

// === signing in ===

test('signed out, a page redirects to the sign-in form', opts, async () => {
  const res = await goto(page, '/environments');
  const at = new URL(page.url());
  assert.equal(at.pathname, '/login');
  assert.equal(at.searchParams.get('next'), '/environments');
  assert.equal(await redirectStatus(res), 303);
  assert.equal(res.status(), 200);

  const form = page.locator('form[method="post"][action="/login/token"]');
  assert.equal(await form.count(), 1, 'no sign-in form posting to /login/token');
  const token = page.getByLabel('API token');
  assert.equal(await token.getAttribute('id'), 'token');
  assert.equal(await token.getAttribute('name'), 'token');
  assert.equal(await token.getAttribute('type'), 'password');
  assert.equal(await form.getByRole('button', { name: 'Sign in' }).count(), 1);
  // GitHub OAuth is not configured here.
  assert.equal(await page.getByRole('link', { name: 'Sign in with GitHub' }).count(), 0);
  await checkPage(page, 'login', { signedIn: false });
});

test('a wrong token shows the sign-in form again with an error (401)', opts, async () => {
  const res = await signIn(page, 'idp_000000000000_not-a-token');
  assert.equal(res.status(), 401);
  const alert = page.getByRole('alert');
  assert.ok(await alert.count() >= 1, 'no role="alert" message');
  assert.ok((await alert.first().textContent()).trim().length > 0, 'the alert is empty');
  assert.equal(await page.getByLabel('API token').count(), 1, 'the sign-in form is gone');
  await checkPage(page, 'login-error', { signedIn: false });
});

test('signing in with the admin token leads to the environments (303)', opts, async () => {
  const res = await signIn(page, env.admin);
  assert.equal(await redirectStatus(res), 303);
  assert.equal(new URL(page.url()).pathname, '/environments');
  assert.equal(res.status(), 200);
  await checkPage(page, 'environments-after-sign-in');
});

// === the environments ===

test('the environments page lists the seeded environments', opts, async () => {
  await visit(page, 'environments', '/environments');
  const table = page.locator('table#environments');
  assert.equal(await table.count(), 1, 'no table#environments');
  assert.ok(seeded.length >= 2, 'run.sh seeds at least two environments');
  for (const { name, owner } of seeded) {
    const row = table.locator(`tr[data-name="${name}"]`);
    assert.equal(await row.count(), 1, `no row for ${name}`);
    for (const col of ['name', 'status', 'template', 'owner', 'branch', 'url', 'expires', 'cost']) {
      assert.equal(await row.locator(`td[data-col="${col}"]`).count(), 1, `${name}: no ${col} cell`);
    }
    const link = row.locator('td[data-col="name"] a');
    assert.equal(decodeURIComponent(await link.getAttribute('href')), `/environments/${name}`);
    assert.equal((await row.locator('td[data-col="status"]').textContent()).trim(), 'active', `${name} is not active`);
    assert.match(await row.locator('td[data-col="template"]').textContent(), new RegExp(TEMPLATE));
    if (owner) assert.match(await row.locator('td[data-col="owner"]').textContent(), new RegExp(owner));
    assert.match(await row.locator('td[data-col="url"]').textContent(), /http:\/\/127\.0\.0\.1:\d+/);
    assert.match(await row.locator('td[data-col="cost"]').textContent(), /\$\s?\d/);
  }

  const filter = page.locator('form[method="get"]').filter({ has: page.getByRole('button', { name: 'Filter' }) });
  assert.equal(await filter.count(), 1, 'no GET filter form with a "Filter" button');
  for (const [label, name, tag] of [['Search', 'q', 'INPUT'], ['Owner', 'owner', null], ['Status', 'status', 'SELECT'], ['Template', 'template', 'SELECT']]) {
    const control = filter.getByLabel(label, { exact: true });
    assert.equal(await control.count(), 1, `no control labelled "${label}"`);
    assert.equal(await control.getAttribute('name'), name, `"${label}" is not named ${name}`);
    if (tag) assert.equal(await control.evaluate((el) => el.tagName), tag, `"${label}" is not a ${tag.toLowerCase()}`);
  }
  for (const col of ['name', 'status']) {
    assert.ok(await table.locator(`thead a[href*="sort=${col}"]`).count() >= 1, `the ${col} column header does not sort`);
  }
});

test('the environments can be searched, filtered by owner and sorted', opts, async () => {
  const [first] = seeded;
  // Search for the part of the name no other seeded environment has.
  const unique = first.name.split('-').find((part) => seeded.filter((s) => s.name.includes(part)).length === 1) ?? first.name;
  await goto(page, '/environments');
  await page.getByLabel('Search', { exact: true }).fill(unique);
  const res = await submitWith(page, page.getByRole('button', { name: 'Filter' }));
  assert.equal(res.status(), 200);
  assert.equal(new URL(page.url()).searchParams.get('q'), unique);
  assert.deepEqual((await rows(page)).map((r) => r.name), [first.name]);
  await checkPage(page, 'environments-search');

  const owners = [...new Set(seeded.map((s) => s.owner).filter(Boolean))];
  if (owners.length > 1) {
    const owner = owners[owners.length - 1];
    await goto(page, '/environments');
    await page.getByLabel('Owner', { exact: true }).selectOption(owner).catch(async () => {
      await page.getByLabel('Owner', { exact: true }).fill(owner);
    });
    await submitWith(page, page.getByRole('button', { name: 'Filter' }));
    const listed = await rows(page);
    assert.deepEqual(listed.map((r) => r.name).sort(), seeded.filter((s) => s.owner === owner).map((s) => s.name).sort());
    await checkPage(page, 'environments-owner');
  }

  await goto(page, '/environments');
  const header = page.locator('table#environments thead a[href*="sort=name"]').first();
  await submitWith(page, header);
  const sorted = new URL(page.url()).searchParams;
  assert.equal(sorted.get('sort'), 'name');
  assert.ok(['asc', 'desc'].includes(sorted.get('dir')), `dir=${sorted.get('dir')}`);

  for (const dir of ['asc', 'desc']) {
    await goto(page, `/environments?sort=name&dir=${dir}`);
    const names = (await rows(page)).map((r) => r.name);
    const want = [...names].sort();
    if (dir === 'desc') want.reverse();
    assert.deepEqual(names, want, `not sorted by name ${dir}`);
    assert.ok(names.length >= seeded.length);
  }
  await checkPage(page, 'environments-sorted');
});

// === the catalog and creating an environment ===

test('the catalog lists the templates with cost, inputs and a Create link', opts, async () => {
  await visit(page, 'catalog', '/catalog');
  const articles = page.locator('article[data-template]');
  assert.ok(await articles.count() >= 1, 'no article[data-template]');
  const article = page.locator(`article[data-template="${TEMPLATE}"]`);
  assert.equal(await article.count(), 1, `no article for ${TEMPLATE}`);
  const text = await article.innerText();
  assert.match(text, /\$\s?\d/, 'no cost in the template\'s article');
  assert.match(text, /hour|\/\s?h\b/i, 'the cost is not per hour');
  assert.ok(text.length > 40, 'the article says next to nothing');
  const create = createLink(article);
  assert.equal(await create.count(), 1, 'no "Create" link');
  assert.equal(decodeURIComponent(await create.getAttribute('href')), `/catalog/${TEMPLATE}/new`);
});

test('README screenshots: the environments page and the catalog at 1000×700', { ...opts, skip: skip || (!env.readmeShots && 'IDP_PORTAL_README_SHOTS is not 1') }, async () => {
  const dir = path.join(ROOT, 'docs', 'screenshots');
  await mkdir(dir, { recursive: true });
  await page.setViewportSize({ width: 1000, height: 700 });
  try {
    await goto(page, '/environments');
    await page.screenshot({ path: path.join(dir, 'environments.png'), fullPage: false });
    await goto(page, '/catalog');
    await page.screenshot({ path: path.join(dir, 'catalog.png'), fullPage: false });
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }
});

test('create from the catalog: validation errors first, then the environment', opts, async () => {
  await goto(page, '/catalog');
  await submitWith(page, createLink(page.locator(`article[data-template="${TEMPLATE}"]`)));
  assert.equal(pathOf(page), `/catalog/${TEMPLATE}/new`);
  await checkPage(page, 'catalog-new');

  const form = await formTo(page, `/catalog/${TEMPLATE}`);
  assert.equal(await form.getAttribute('method'), 'post');
  const nameField = form.getByLabel('Name', { exact: true });
  const ttlField = form.getByLabel('TTL', { exact: true });
  assert.equal(await nameField.getAttribute('name'), 'name');
  assert.equal(await ttlField.getAttribute('name'), 'ttl');
  const port = form.locator('[name="container_port"]');
  const health = form.locator('[name="health_check_path"]');
  const command = form.locator('[name="local.command"]');
  for (const [key, field] of [['container_port', port], ['health_check_path', health], ['local.command', command]]) {
    assert.equal(await field.count(), 1, `no input named ${key}`);
    const labelled = await field.evaluate((el) => (el.labels?.length ?? 0) > 0 || !!el.getAttribute('aria-label') || !!el.getAttribute('aria-labelledby'));
    assert.ok(labelled, `the ${key} input has no label`);
  }
  // Prefilled with the server's configuration (examples/app/.idp/config.yml).
  assert.equal(await health.inputValue(), '/health');
  assert.equal(await command.inputValue(), 'python3 examples/app/server.py');
  const goodPort = await port.inputValue();
  assert.match(goodPort, /^\d+$/, 'container_port is not prefilled with a number');

  // 1. A port out of range.
  await nameField.fill(NEW);
  await ttlField.fill('2h');
  await port.fill('99999');
  let res = await submitWith(page, form.getByRole('button', { name: 'Create environment' }));
  assert.equal(res.status(), 422, 'an invalid container_port is not a 422');
  await checkFieldError(page, 'container_port', '99999');
  assert.equal(await page.locator('[name="name"]').inputValue(), NEW, 'the entered name was lost');
  assert.equal(await page.locator('[name="ttl"]').inputValue(), '2h', 'the entered TTL was lost');
  await checkPage(page, 'catalog-new-invalid-port');

  // 2. An invalid name.
  await page.locator('[name="name"]').fill('Bad Name!');
  await page.locator('[name="container_port"]').fill(goodPort);
  res = await submitWith(page, page.getByRole('button', { name: 'Create environment' }));
  assert.equal(res.status(), 422, 'an invalid name is not a 422');
  await checkFieldError(page, 'name', 'Bad Name!');
  assert.equal(await page.locator('[name="container_port"]').inputValue(), goodPort);
  await checkPage(page, 'catalog-new-invalid-name');

  // 3. Valid.
  await page.locator('[name="name"]').fill(NEW);
  res = await submitWith(page, page.getByRole('button', { name: 'Create environment' }));
  assert.equal(await redirectStatus(res), 303, 'the create is not a 303');
  assert.equal(pathOf(page), `/environments/${NEW}`);
  made.created = true;
  assert.match(await page.locator('h1').first().textContent(), new RegExp(NEW));
  made.statuses.push(await textOf(page, '#status'));
  await checkPage(page, 'environment-creating');
});

/** A re-rendered form's error on `key`: aria-invalid, the entered value, p.field-error#error-KEY. */
async function checkFieldError(p, key, entered) {
  const field = p.locator(`[name="${key}"]`);
  assert.equal(await field.count(), 1, `the re-rendered form has no ${key}`);
  assert.equal(await field.inputValue(), entered, `the entered ${key} was not kept`);
  assert.equal(await field.getAttribute('aria-invalid'), 'true', `${key} is not aria-invalid`);
  const id = `error-${key}`;
  const message = p.locator(`[id="${id}"]`);
  assert.equal(await message.count(), 1, `no #${id}`);
  assert.equal(await message.evaluate((el) => el.tagName), 'P');
  assert.ok(await message.evaluate((el) => el.classList.contains('field-error')), `#${id} is not p.field-error`);
  assert.ok((await message.textContent()).trim().length > 0, `#${id} is empty`);
  const describedBy = (await field.getAttribute('aria-describedby')) ?? '';
  assert.ok(describedBy.split(/\s+/).includes(id), `${key}'s aria-describedby (${describedBy}) does not name ${id}`);
}

test('the new environment\'s page follows the create until it is active', opts, async () => {
  assert.ok(made.created, 'the create scenario did not create the environment');
  const status = await until(async () => {
    const s = await textOf(page, '#status');
    if (s && made.statuses[made.statuses.length - 1] !== s) made.statuses.push(s);
    if (s === 'failed') throw new Error('the environment failed');
    return s === 'active' && (await page.locator('a#url').count()) === 1 ? s : null;
  }, { timeout: 90_000, what: '#status to become active and #url to be a link' });
  assert.equal(status, 'active');
  const href = await page.locator('a#url').getAttribute('href');
  assert.match(href, /^http:\/\/127\.0\.0\.1:\d+/);
  made.appUrl = href;
  made.active = true;
  // On the page as reloaded, too.
  await goto(page, `/environments/${NEW}`);
  assert.equal(await textOf(page, '#status'), 'active');
  assert.equal(await page.locator('a#url').getAttribute('href'), href);
  await checkPage(page, 'environment-active');
});

test('the environment\'s URL answers with the example app\'s page', opts, async () => {
  assert.ok(made.appUrl, 'no URL: the environment did not become active');
  const res = await goto(page, made.appUrl);
  assert.equal(res.status(), 200);
  assert.match(await page.locator('h1').textContent(), new RegExp(`Hello from ${NEW}`));
  // Not a portal page: a screenshot, not its accessibility.
  await screenshot(page, 'app');
});

test('the live logs show the app\'s requests, and can be filtered and paused', opts, async () => {
  assert.ok(made.appUrl, 'no URL: the environment did not become active');
  await goto(page, `/environments/${NEW}`);
  assert.equal(await page.locator('pre#logs').count(), 1, 'no pre#logs');
  const pause = page.getByRole('button', { name: 'Pause', exact: true });
  assert.equal(await pause.count(), 1, 'no "Pause" button');
  const filter = page.getByLabel('Filter logs');
  assert.equal(await filter.count(), 1, 'no input labelled "Filter logs"');

  const probe = (n) => `/log-probe-${n}-${process.pid}`;
  assert.equal(await httpGet(made.appUrl.replace(/\/$/, '') + probe(1)), 404);
  await until(async () => (await logsText(page)).includes(probe(1)), { timeout: 30_000, what: `${probe(1)} in #logs` });

  await filter.fill('no-line-has-this-text');
  await until(async () => !(await logsText(page)).includes(probe(1)), { timeout: 5_000, what: 'the filter to hide the line' });
  await filter.fill(probe(1));
  await until(async () => (await logsText(page)).includes(probe(1)), { timeout: 5_000, what: 'the filter to show the matching line' });
  await filter.fill('');
  await until(async () => (await logsText(page)).includes(probe(1)), { timeout: 5_000, what: 'the cleared filter to show the line' });

  const button = await pause.elementHandle();
  await button.click();
  const pressed = await button.evaluate((el) => ({ pressed: el.getAttribute('aria-pressed'), text: el.textContent.trim() }));
  assert.ok(pressed.pressed === 'true' || pressed.text !== 'Pause', `pausing does not show on the button (${JSON.stringify(pressed)})`);
  await httpGet(made.appUrl.replace(/\/$/, '') + probe(2));
  await new Promise((r) => setTimeout(r, 6_000));
  assert.ok(!(await logsText(page)).includes(probe(2)), 'a line arrived while the logs were paused');
  await checkPage(page, 'environment-logs-paused');

  await button.click();
  await httpGet(made.appUrl.replace(/\/$/, '') + probe(3));
  await until(async () => (await logsText(page)).includes(probe(3)), { timeout: 30_000, what: `${probe(3)} in #logs after resuming` });
  await checkPage(page, 'environment-logs');
});

test('extend: the expiry changes and the page says so', opts, async () => {
  assert.ok(made.active, 'the environment did not become active');
  await goto(page, `/environments/${NEW}`);
  const before = await expiresOf(page);
  const form = await formTo(page, `/environments/${NEW}/extend`);
  const ttl = form.getByLabel('Extend by');
  assert.equal(await ttl.getAttribute('name'), 'ttl');
  assert.equal(await ttl.evaluate((el) => el.tagName), 'SELECT');
  const values = await ttl.locator('option').evaluateAll((os) => os.map((o) => o.value));
  assert.ok(values.length >= 1, 'no TTL to extend by');
  await ttl.selectOption(values.includes('3d') ? '3d' : values[values.length - 1]);
  const res = await submitWith(page, form.getByRole('button', { name: 'Extend', exact: true }));
  assert.equal(await redirectStatus(res), 303);
  assert.equal(pathOf(page), `/environments/${NEW}`);
  const notice = page.getByRole('status');
  const said = (await notice.allTextContents()).map((t) => t.trim()).filter(Boolean);
  assert.ok(said.length >= 1, 'no role="status" message after extending');
  const after = await expiresOf(page);
  assert.notEqual(after, before, '#expires did not change');
  if (!Number.isNaN(Date.parse(after)) && !Number.isNaN(Date.parse(before))) {
    assert.ok(Date.parse(after) > Date.parse(before), `the expiry moved back (${before} → ${after})`);
  }
  await checkPage(page, 'environment-extended');
});

test('destroy: a wrong confirmation is refused (422), the right one destroys it', opts, async () => {
  assert.ok(made.active, 'the environment did not become active');
  // A second tab on the list, to see its status change without a reload.
  const list = await context.newPage();
  try {
    await goto(list, '/environments');
    assert.equal((await rows(list)).find((r) => r.name === NEW)?.status, 'active');
    await list.evaluate(() => { window.__stillThisPage = true; });
    const polled = [];
    // The live table polls (the JSON API, or the page itself with its filters and sort).
    const onRequest = (req) => { if (['fetch', 'xhr'].includes(req.resourceType())) polled.push({ at: Date.now(), url: req.url() }); };
    list.on('request', onRequest);

    await goto(page, `/environments/${NEW}`);
    const form = await formTo(page, `/environments/${NEW}/destroy`);
    const confirm = form.getByLabel(`Type ${NEW} to confirm`);
    assert.equal(await confirm.getAttribute('name'), 'confirm');
    await confirm.fill('not-the-name');
    let res = await submitWith(page, form.getByRole('button', { name: 'Destroy', exact: true }));
    assert.equal(res.status(), 422, 'a wrong confirmation is not a 422');
    const errors = (await page.locator('.field-error, [role="alert"]').allTextContents()).map((t) => t.trim()).filter(Boolean);
    assert.ok(errors.length >= 1, 'no error shown for the wrong confirmation');
    assert.equal(await textOf(page, '#status'), 'active', 'the environment changed although the confirmation was wrong');
    await checkPage(page, 'environment-destroy-refused');

    const again = await formTo(page, `/environments/${NEW}/destroy`);
    await again.locator('[name="confirm"]').fill(NEW);
    res = await submitWith(page, again.getByRole('button', { name: 'Destroy', exact: true }));
    assert.equal(await redirectStatus(res), 303);
    assert.equal(pathOf(page), `/environments/${NEW}`);
    const seen = [];
    const end = await until(async () => {
      const s = await textOf(page, '#status');
      if (s && seen[seen.length - 1] !== s) seen.push(s);
      if (s === 'destroyed') return s;
      const h1 = (await textOf(page, 'h1')) ?? '';
      const body = await page.locator('body').innerText();
      return /not found/i.test(h1) || /\bgone\b/i.test(body) ? 'gone' : null;
    }, { timeout: 60_000, what: '#status to become destroyed' });
    made.destroyStatuses = seen;
    await checkPage(page, 'environment-destroyed');
    assert.ok(['destroyed', 'gone'].includes(end));

    // The list's status changed by itself.
    await until(async () => {
      const row = (await rows(list)).find((r) => r.name === NEW);
      return !row || row.status !== 'active';
    }, { timeout: 30_000, what: `the list's status of ${NEW} to change without a reload` });
    assert.equal(await list.evaluate(() => window.__stillThisPage), true, 'the list page reloaded');
    assert.ok(polled.length >= 1, 'the list page made no request in the background');
    made.polls = polled;
    await checkPage(list, 'environments-live');
    list.off('request', onRequest);
  } finally {
    await list.close();
  }
});

// === roles ===

test('a developer may create but not change another owner\'s environment', { ...opts, skip: skip || (!env.developer && 'no developer token') }, async () => {
  await switchUser(context, page, env.developer);
  await visit(page, 'catalog-developer', '/catalog');
  assert.equal(await createLink(page.locator(`article[data-template="${TEMPLATE}"]`)).count(), 1, 'a developer is not offered "Create"');
  const other = seeded.find((s) => s.owner && s.owner !== 'dana');
  if (other) {
    await visit(page, 'environment-developer', `/environments/${other.name}`);
    assert.equal(await page.getByRole('button', { name: 'Destroy', exact: true }).count(), 0, `a developer is offered to destroy ${other.owner}'s environment`);
  }
});

test('a viewer sees no action buttons and a forged extend is refused (403)', opts, async () => {
  await switchUser(context, page, env.viewer);
  const [target] = seeded;
  await visit(page, 'environments-viewer', '/environments');
  assert.deepEqual(await actionControls(page), [], 'the environments page offers a viewer actions');
  await visit(page, 'catalog-viewer', '/catalog');
  assert.deepEqual(await actionControls(page), [], 'the catalog offers a viewer actions');
  await visit(page, 'environment-viewer', `/environments/${target.name}`);
  assert.deepEqual(await actionControls(page), [], 'the environment page offers a viewer actions');
  const before = await expiresOf(page);

  const csrf = await csrfOf(page);
  const res = await forgePost(page, `/environments/${target.name}/extend`, { csrf, ttl: '1d' });
  assert.equal(res.status(), 403);
  assert.match(await page.locator('h1').first().textContent(), /Forbidden/);
  await checkPage(page, 'forbidden-viewer');

  await goto(page, `/environments/${target.name}`);
  assert.equal(await expiresOf(page), before, 'the forged extend changed the expiry');
});

// === CSRF ===

test('a POST without the CSRF token, or with a wrong one, is refused (403)', opts, async () => {
  await switchUser(context, page, env.admin);
  const [target] = seeded;
  await goto(page, `/environments/${target.name}`);
  const before = await expiresOf(page);

  const forged = [
    ['extend-no-csrf', `/environments/${target.name}/extend`, { ttl: '1d' }],
    ['destroy-wrong-csrf', `/environments/${target.name}/destroy`, { csrf: 'not-the-token', confirm: target.name }],
    ['create-no-csrf', `/catalog/${TEMPLATE}`, { name: 'csrf-probe', ttl: '1h' }],
  ];
  for (const [name, action, fields] of forged) {
    const res = await forgePost(page, action, fields);
    assert.equal(res.status(), 403, `${name}: ${res.status()}`);
    assert.match(await page.locator('h1').first().textContent(), /Forbidden/, `${name}: no Forbidden heading`);
    assert.match(await page.locator('body').innerText(), /CSRF/, `${name}: the page does not mention CSRF`);
    await checkPage(page, `forbidden-csrf-${name}`);
  }

  await goto(page, `/environments/${target.name}`);
  assert.equal(await textOf(page, '#status'), 'active', 'a forged destroy changed the environment');
  assert.equal(await expiresOf(page), before, 'a forged extend changed the expiry');
  const missing = await goto(page, '/environments/csrf-probe');
  assert.equal(missing.status(), 404, 'a forged create made an environment');
});

// === runs ===

test('the runs page lists the seeded run and its page lists the orders', opts, async () => {
  await visit(page, 'runs', '/runs');
  const table = page.locator('table#runs');
  if (!env.runId) {
    const empty = await page.locator('main').innerText();
    assert.ok(await table.count() === 1 || /no run/i.test(empty), 'neither table#runs nor an empty state');
    return;
  }
  assert.equal(await table.count(), 1, 'no table#runs');
  const [link] = await linksTo(table, `/runs/${env.runId}`);
  assert.ok(link, `no link to /runs/${env.runId}`);
  await submitWith(page, link);
  assert.equal(pathOf(page), `/runs/${env.runId}`);
  await checkPage(page, 'run');
  const text = await page.locator('main').innerText();
  for (const order of env.runOrders) assert.match(text, new RegExp(`\\b${order}\\b`), `the run page does not list order ${order}`);
});

// === errors, narrow screens, signing out ===

test('an unknown page is a 404 page with links back', opts, async () => {
  await visit(page, 'not-found', '/nope', { status: 404 });
  assert.match(await page.locator('h1').first().textContent(), /Not found/);
  const main = page.locator('main');
  const scope = (await main.count()) ? main : page.locator('body');
  assert.ok(await scope.locator('a[href="/environments"]').count() >= 1, 'no link back to the environments');
});

test('the environments page is readable 320 px wide (no horizontal scroll)', opts, async () => {
  await page.setViewportSize({ width: 320, height: 700 });
  try {
    await goto(page, '/environments');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    await screenshot(page, 'environments-320px');
    assert.ok(width <= 320, `the page is ${width} px wide at a 320 px viewport`);
  } finally {
    await page.setViewportSize({ width: 1280, height: 800 });
  }
});

test('signing out, then a page redirects to the sign-in form', opts, async () => {
  await goto(page, '/environments');
  const res = await submitWith(page, page.locator('form[action="/logout"]').getByRole('button', { name: 'Sign out' }));
  assert.equal(await redirectStatus(res), 303);
  assert.equal(new URL(page.url()).pathname, '/login');
  await checkPage(page, 'signed-out', { signedIn: false });
  const again = await goto(page, '/catalog');
  assert.equal(await redirectStatus(again), 303);
  const at = new URL(page.url());
  assert.equal(at.pathname, '/login');
  assert.equal(at.searchParams.get('next'), '/catalog');
});

// === with the portal's CSP enforced ===

test('the pages work with their Content-Security-Policy enforced', opts, async () => {
  const strict = await launch({ bypassCSP: false });
  try {
    const p = await firstPage(strict.context);
    await p.addInitScript(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    const messages = [];
    p.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) messages.push(m.text()); });
    await signIn(p, env.admin);
    const pages = ['/environments', `/environments/${seeded[0].name}`, '/catalog', `/catalog/${TEMPLATE}/new`, '/runs', '/nope'];
    if (env.runId) pages.push(`/runs/${env.runId}`);
    for (const at of pages) {
      await goto(p, at);
      // Long enough for the live status to poll.
      await p.waitForTimeout(2_500);
      const violations = await p.evaluate(() => window.__csp);
      for (const v of violations) record.csp.push(`${at}: ${v}`);
    }
    for (const m of messages) record.csp.push(m);
    assert.deepEqual(record.csp, [], `CSP violations:\n${record.csp.join('\n')}`);
  } finally {
    await strict.close();
  }
});

// === over every page visited ===

test('axe-core: no serious or critical violation on any page visited', opts, async (t) => {
  assert.ok(record.axe.length >= 10, `only ${record.axe.length} pages were checked`);
  const minor = record.axe.map((e) => ({ ...e, violations: e.violations.filter((v) => !['serious', 'critical'].includes(v.impact)) }))
    .filter((e) => e.violations.length);
  if (minor.length) t.diagnostic(`minor and moderate findings:\n${describeViolations(minor)}`);
  const bad = record.axe.map((e) => ({ ...e, violations: e.violations.filter((v) => ['serious', 'critical'].includes(v.impact)) }))
    .filter((e) => e.violations.length);
  assert.equal(bad.length, 0, `serious or critical violations:\n${describeViolations(bad)}`);
  t.diagnostic(`axe-core checked ${record.axe.length} pages: ${record.axe.map((e) => e.page).join(', ')}`);
});

test('links, form actions and redirects spell names plainly (no %2D for "-")', opts, async () => {
  const found = [...new Set(record.encoded)];
  assert.deepEqual(found, [], `percent-encoded unreserved characters:\n${found.join('\n')}`);
});

test('no request left 127.0.0.1', opts, async (t) => {
  assert.ok(record.requests.length > 0);
  const away = [...new Set(record.requests.filter((u) => !isLoopback(u)))];
  assert.deepEqual(away, [], `requests to other hosts:\n${away.join('\n')}`);
  t.diagnostic(`${record.requests.length} requests, all to loopback`);
});

test('the portal\'s script raised no uncaught exception', opts, async () => {
  const errors = record.pageErrors.map((e) => `${e.page}: ${e.message}`);
  assert.deepEqual(errors, [], errors.join('\n'));
});

test('summary', opts, async (t) => {
  t.diagnostic(`statuses seen while creating: ${made.statuses.join(' → ') || '(none)'}`);
  t.diagnostic(`statuses seen while destroying: ${(made.destroyStatuses ?? []).join(' → ') || '(none)'}`);
  const polls = made.polls ?? [];
  if (polls.length > 1) {
    const every = (polls[polls.length - 1].at - polls[0].at) / (polls.length - 1);
    t.diagnostic(`the environments list polled ${polls.length} times, every ${(every / 1000).toFixed(1)} s: ${[...new Set(polls.map((p) => new URL(p.url).pathname))].join(', ')}`);
  }
  t.diagnostic(`${record.visited.length} screenshots in ${env.shots}`);
});
