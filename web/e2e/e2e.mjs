// End-to-end test of the web page in headless Chromium (playwright-core, system chromium).
//
// Either starts `hybridrec serve` itself on a free loopback port:
//   node e2e/e2e.mjs --server-bin BIN --model DIR [--report DIR] [--web-root DIR] [--out DIR]
// or tests a server that is already running:
//   node e2e/e2e.mjs --base-url http://127.0.0.1:8080/ [--out DIR]
// Clicks through every flow of the page, asserts what appears, saves screenshots into --out
// (default $E2E_OUT or build/e2e) and exits non-zero with a message per failed flow.
// --docs DIR also writes the README screenshots (screenshot.png, screenshot-charts.png).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const argv = process.argv.slice(2);
function opt(name, def = undefined) {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : def;
}
const OUT = resolve(opt('out', process.env.E2E_OUT || 'build/e2e'));
const DOCS = opt('docs');
const CHROMIUM = opt('chromium', process.env.CHROMIUM || '/usr/bin/chromium');
const KNOWN_USER = opt('user', '1');
const STEP_MS = Number(opt('step-timeout-ms', '15000'));
mkdirSync(OUT, { recursive: true });

const t0 = Date.now();
const log = (...a) => console.log(`[e2e ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);

// ---------------------------------------------------------------- server
const servers = [];
let tmp = null;
// Starts a server (`extra`: more flags, `name`: its database and log file names); returns its URL.
async function startServer(extra = [], name = 'server') {
  const bin = opt('server-bin');
  const model = opt('model');
  if (!bin || !model) throw new Error('give --base-url, or --server-bin and --model');
  tmp ??= mkdtempSync(join(tmpdir(), 'hybridrec-e2e-'));
  const args = ['serve', '--model', model, '--host', '127.0.0.1', '--port', '0', '--db', join(tmp, `${name}.sqlite`)];
  if (opt('report')) args.push('--report', opt('report'));
  if (opt('web-root')) args.push('--web-root', opt('web-root'));
  args.push(...extra);
  log(`starting ${bin} ${args.join(' ')}`);
  const logFd = openSync(join(OUT, `${name}.log`), 'w');
  const server = spawn(bin, args, { stdio: ['ignore', 'pipe', logFd] });
  servers.push(server);
  return await new Promise((res, rej) => {
    let buf = '';
    const timer = setTimeout(() => rej(new Error(`server did not print its URL within 45 s (see ${OUT}/${name}.log)`)), 45000);
    server.stdout.on('data', (d) => {
      buf += d.toString();
      const m = buf.match(/listening on (http:\/\/[^\s]+)/);
      if (m) { clearTimeout(timer); res(m[1].endsWith('/') ? m[1] : m[1] + '/'); }
    });
    server.on('exit', (code, sig) => { clearTimeout(timer); rej(new Error(`server exited early (code ${code}, signal ${sig}); see ${OUT}/${name}.log`)); });
  });
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopServer(); process.exit(130); });
function stopServer() {
  for (const server of servers) if (server.exitCode === null) server.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}

// ---------------------------------------------------------------- helpers
function assert(cond, msg) { if (!cond) throw new Error(msg); }
const tid = (id) => `[data-testid="${id}"]`;
async function texts(page, sel) { return page.locator(sel).allInnerTexts(); }
async function attrs(page, sel, name) {
  return page.locator(sel).evaluateAll((els, n) => els.map((e) => e.getAttribute(n)), name);
}
/** Waits until the new-user status says the recommendations reflect `n` picks. */
async function waitPicks(page, n) {
  await page.locator(`${tid('newuser-status')}[data-picks="${n}"]`).waitFor({ timeout: STEP_MS });
  await page.locator(`${tid('newuser-recs')} ${tid('rec-item')}`).first().waitFor({ timeout: STEP_MS });
}
async function addFirstSearchHit(page, query, skipIds) {
  await page.fill(tid('newuser-search'), query);
  await page.click(tid('newuser-search-go'));
  await page.locator(tid('newuser-result')).first().waitFor({ timeout: STEP_MS });
  const ids = await attrs(page, tid('newuser-result'), 'data-item-id');
  const idx = ids.findIndex((id) => !skipIds.includes(id));
  assert(idx >= 0, `search '${query}' found nothing new to add`);
  await page.locator(tid('newuser-add')).nth(idx).click();
  return ids[idx];
}
// Opens the new-user view with "store picks as events" on; returns the generated user id.
async function startEventsUser(page, base) {
  await page.goto(`${base}#new`);
  await page.locator(tid('newuser-events-toggle')).check();
  await page.locator(tid('newuser-nopicks')).waitFor({ timeout: STEP_MS });
  const label = await page.locator('label.toggle').innerText();
  const user = (label.match(/user (web-[0-9a-f]+)/) || [])[1];
  assert(user, `no generated user id in '${label}'`);
  return user;
}
async function canvasIn(page, testid) {
  const c = page.locator(`${tid(testid)} canvas`).first();
  await c.waitFor({ timeout: STEP_MS });
  const box = await c.boundingBox();
  assert(box && box.width > 100 && box.height > 100, `${testid}: chart canvas is missing or tiny`);
}

// ---------------------------------------------------------------- flows
const flows = [];
const flow = (name, fn) => flows.push({ name, fn });

flow('known user: history and explained recommendations', async (page, base) => {
  await page.goto(`${base}#user`);
  await page.fill(tid('user-input'), KNOWN_USER);
  await page.click(tid('user-load'));
  await page.locator(tid('rec-item')).first().waitFor({ timeout: STEP_MS });
  const recIds = await attrs(page, tid('rec-item'), 'data-item-id');
  assert(recIds.length === 10, `expected 10 recommendations, got ${recIds.length}`);
  const titles = await texts(page, tid('rec-title'));
  assert(titles.every((t) => t.trim().length > 0), 'a recommendation has no title');
  const path = await page.innerText(tid('rec-path'));
  assert(/path: (hybrid|collab|content|popularity)/.test(path), `path label missing: '${path}'`);
  assert(!/popularity/.test(path), `known user ${KNOWN_USER} got the popularity path`);
  const weight = await page.innerText(tid('rec-weight'));
  assert(/= (0|1)\.\d\d/.test(weight), `weight label missing: '${weight}'`);
  const comps = await texts(page, tid('rec-components'));
  assert(comps.every((c) => /collab/.test(c) && /content/.test(c)), 'component scores missing');
  assert(comps.some((c) => /collab -?\d/.test(c)) && comps.some((c) => /content -?\d/.test(c)), 'no numeric component score');
  const genres = await texts(page, `${tid('rec-item')} ${tid('genres')}`);
  assert(genres.some((g) => g.trim().length > 0), 'no genres shown');
  // history, then full history to check that seen items are excluded
  const nHist = await page.locator(tid('history-item')).count();
  assert(nHist > 0, 'history is empty');
  if (await page.locator(tid('history-toggle')).count()) await page.click(tid('history-toggle'));
  const histIds = new Set(await attrs(page, tid('history-item'), 'data-item-id'));
  assert(recIds.every((id) => !histIds.has(id)), 'a recommended item is already in the history (exclude_seen)');
  // explanations refer to watched items
  const expl = await texts(page, tid('explanation'));
  assert(expl.length > 0 && expl.every((e) => e.startsWith('Because you watched')), 'explanations missing');
  const becauseIds = await attrs(page, `${tid('because-item')} a`, 'data-item-id');
  assert(becauseIds.length > 0 && becauseIds.every((id) => histIds.has(id)), 'explanation names an item not in the history');
  if (await page.locator(tid('history-toggle')).count()) await page.click(tid('history-toggle'));
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(OUT, '01-user.png') });
  if (DOCS) await page.screenshot({ path: join(DOCS, 'screenshot.png') });
  log(`user ${KNOWN_USER}: ${path}, ${weight.replace(/\s+/g, ' ')}, ${nHist} history shown, first: ${titles[0]}`);
});

flow('unknown user gets the cold-start path', async (page, base) => {
  await page.goto(`${base}#user=e2e-nobody-${Date.now()}`);
  await page.locator(tid('rec-item')).first().waitFor({ timeout: STEP_MS });
  await page.locator(tid('history-empty')).waitFor({ timeout: STEP_MS });
  const path = await page.innerText(tid('rec-path'));
  assert(/popularity/.test(path), `unknown user: expected the popularity path, got '${path}'`);
});

flow('new user: recommendations change with each pick (POST /v1/recommendations)', async (page, base) => {
  await page.goto(`${base}#new`);
  await page.locator(tid('newuser-nopicks')).waitFor({ timeout: STEP_MS });
  const picks = [];
  const lists = [];
  for (const [i, q] of ['star trek', 'godfather', 'batman'].entries()) {
    picks.push(await addFirstSearchHit(page, q, picks));
    await waitPicks(page, i + 1);
    const ids = await attrs(page, `${tid('newuser-recs')} ${tid('rec-item')}`, 'data-item-id');
    assert(ids.length > 0, `no recommendations after pick ${i + 1}`);
    assert(ids.every((id) => !picks.includes(id)), `pick ${i + 1}: a picked film is recommended back`);
    const hs = await page.innerText(`${tid('newuser-recs')} ${tid('rec-history-size')}`);
    assert(hs.includes(`history: ${i + 1}`), `pick ${i + 1}: history size shows '${hs}'`);
    if (i > 0) assert(ids.join() !== lists[i - 1].join(), `recommendations did not change after pick ${i + 1}`);
    lists.push(ids);
  }
  assert((await page.locator(tid('newuser-pick')).count()) === 3, 'picked list does not show 3 films');
  assert((await page.locator(`${tid('newuser-recs')} ${tid('explanation')}`).count()) > 0, 'no explanations for the new user');
  await page.screenshot({ path: join(OUT, '02-new-user.png') });
  // removing a pick recomputes too
  await page.locator(tid('newuser-remove')).last().click();
  await waitPicks(page, 2);
  log(`new user picks ${picks.join(',')} → first recs ${lists.map((l) => l[0]).join(' / ')}`);
});

flow('new user through /v1/events: becomes a known user', async (page, base) => {
  const user = await startEventsUser(page, base);
  const picks = [];
  picks.push(await addFirstSearchHit(page, 'star trek', picks));
  await waitPicks(page, 1);
  const first = await attrs(page, `${tid('newuser-recs')} ${tid('rec-item')}`, 'data-item-id');
  picks.push(await addFirstSearchHit(page, 'batman', picks));
  await waitPicks(page, 2);
  const second = await attrs(page, `${tid('newuser-recs')} ${tid('rec-item')}`, 'data-item-id');
  assert(first.join() !== second.join(), 'recommendations did not change after the second event');
  assert(second.every((id) => !picks.includes(id)), 'an item sent as an event is recommended back');
  await page.goto(`${base}#user=${user}`);
  await page.locator(tid('history-item')).first().waitFor({ timeout: STEP_MS });
  const hist = await attrs(page, tid('history-item'), 'data-item-id');
  assert(hist.length === 2 && picks.every((p) => hist.includes(p)), `history of ${user} is [${hist}] not the 2 events [${picks}]`);
  assert((await page.locator(tid('history-event')).count()) === 2, 'history entries are not marked as events');
  const path = await page.innerText(tid('rec-path'));
  assert(!/popularity/.test(path), `user ${user} with 2 events still gets '${path}'`);
  log(`events user ${user}: history ${hist.join(',')}, ${path}`);
});

flow('free-text search and open an item', async (page, base) => {
  await page.goto(`${base}#search`);
  await page.fill(tid('search-input'), 'star trek');
  await page.click(tid('search-go'));
  await page.locator(tid('search-result')).first().waitFor({ timeout: STEP_MS });
  const titles = await texts(page, `${tid('search-result')} ${tid('item-link')}`);
  assert(titles.length > 0, 'no search results');
  assert(titles.slice(0, 10).some((t) => /star trek/i.test(t)), `no 'Star Trek' film among the results: ${titles.slice(0, 5).join(' | ')}`);
  await page.screenshot({ path: join(OUT, '03-search.png') });
  await page.locator(`${tid('search-result')} ${tid('item-link')}`).first().click();
  await page.locator(tid('item-title')).waitFor({ timeout: STEP_MS });
  const t = await page.innerText(tid('item-title'));
  assert(t === titles[0], `opened item shows '${t}', expected '${titles[0]}'`);
  log(`search 'star trek': ${titles.slice(0, 3).join(' | ')}`);
});

flow('similar items in the three modes', async (page, base) => {
  await page.goto(`${base}#item=50`);
  await page.locator(tid('item-title')).waitFor({ timeout: STEP_MS });
  const lists = {};
  for (const mode of ['content', 'collab', 'hybrid']) {
    await page.click(tid(`similar-tab-${mode}`));
    const list = page.locator(`${tid('similar-list')}[data-mode="${mode}"]`);
    await list.waitFor({ timeout: STEP_MS });
    const ids = await attrs(page, `${tid('similar-list')}[data-mode="${mode}"] ${tid('similar-item')}`, 'data-item-id');
    assert(ids.length >= 5, `${mode}: only ${ids.length} similar items`);
    assert(!ids.includes('50'), `${mode}: the item is listed as similar to itself`);
    lists[mode] = ids;
    if (mode === 'collab') await page.screenshot({ path: join(OUT, '04-similar.png') });
  }
  assert(lists.content.join() !== lists.collab.join(), 'content and collab similar lists are identical');
  log(`similar to 50: content ${lists.content[0]}, collab ${lists.collab[0]}, hybrid ${lists.hybrid[0]}`);
});

flow('errors are shown with the API message', async (page, base) => {
  await page.goto(`${base}#item=e2e-no-such-item`);
  const err = page.locator(tid('error'));
  await err.waitFor({ timeout: STEP_MS });
  const text = await err.innerText();
  assert(/404/.test(text) && /not_found/.test(text), `error box does not show the 404: '${text}'`);
});

flow('evaluation charts', async (page, base) => {
  await page.goto(`${base}#eval`);
  await page.locator(`${tid('view-eval')} ${tid('eval-meta')}, ${tid('view-eval')} ${tid('error')}`).first().waitFor({ timeout: STEP_MS });
  const err = await page.locator(tid('error')).count();
  assert(!err, `report not available: ${err ? await page.innerText(tid('error')) : ''}`);
  for (const c of ['chart-metrics', 'chart-weight', 'chart-loss']) await canvasIn(page, c);
  const rows = await texts(page, `${tid('metrics-table')} tbody th`);
  for (const m of ['collab', 'hybrid']) assert(rows.includes(m), `metrics table lacks model '${m}' (has ${rows.join(',')})`);
  const ks = await page.locator(`${tid('eval-k')} button`).count();
  if (ks > 1) await page.locator(`${tid('eval-k')} button`).nth(1).click();
  await page.waitForTimeout(400);  // chart animation
  await page.screenshot({ path: join(OUT, '05-eval.png'), fullPage: true });
  if (DOCS) await page.screenshot({ path: join(DOCS, 'screenshot-charts.png'), fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 1180 } });
});

flow('embedding map coloured by genre with hover titles', async (page, base) => {
  await page.goto(`${base}#map`);
  await canvasIn(page, 'chart-embedding');
  const count = await page.innerText(tid('map-count'));
  assert(Number(count.split(' ')[0]) >= 100, `map has few points: '${count}'`);
  await page.waitForTimeout(300);
  const target = await page.evaluate(() => {
    const c = window.__hybridrec.charts.embedding;
    const opt = c.getOption();
    const s = opt.series[0];
    const p = s.data[Math.floor(s.data.length / 2)];
    const [x, y] = c.convertToPixel({ seriesIndex: 0 }, p.value);
    const r = c.getDom().getBoundingClientRect();
    const titles = opt.series.flatMap((q) => q.data.map((d) => d.title));
    return { x: r.left + x, y: r.top + y, title: p.title, series: opt.series.length, titles };
  });
  assert(target.series >= 3, `map has only ${target.series} genre series`);
  await page.mouse.move(target.x + 30, target.y + 30);
  await page.mouse.move(target.x, target.y, { steps: 4 });
  const tip = page.locator('.map-tooltip');
  await tip.waitFor({ state: 'visible', timeout: STEP_MS });
  const tipText = await tip.innerText();
  // points of other genres may lie on top of the target: the tooltip must name some item's title
  const tipTitle = tipText.split('\n')[0].trim();
  assert(target.titles.includes(tipTitle), `hover tooltip '${tipText}' does not name an item of the map`);
  log(`map: ${count}, ${target.series} genres, hovered '${tipText.replace(/\n/g, ' / ')}' (target ${target.title})`);
  await page.screenshot({ path: join(OUT, '06-map.png') });
});

flow('fresh items: an added item reaches served lists', async (page, base) => {
  const call = async (method, path, body) => {
    const r = await fetch(new URL(path, base), {
      method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const j = await r.json();
    assert(r.ok, `${method} ${path}: ${r.status} ${JSON.stringify(j)}`);
    return j;
  };
  const stamp = Date.now().toString(36);
  const idle = `e2e-idle-${stamp}`;
  const id = `e2e-fresh-${stamp}`;
  const user = `e2e-fresh-user-${stamp}`;
  await call('POST', '/v1/items', { id: idle, title: 'Quiet Lighthouse (e2e, never recommended)', genres: ['Documentary'],
    description: 'A lighthouse keeper on a remote island.' });
  await call('POST', '/v1/items', { id, title: 'Star Trek: The Next Voyage (e2e)', genres: ['Action', 'Sci-Fi'],
    tags: ['space'], description: 'The crew of the starship Enterprise explores a distant galaxy.' });
  // A known user whose one event is the new item, and an anonymous list built on it.
  await call('POST', '/v1/events', { user, item: id, strength: 5 });
  const served = [
    await call('GET', `/v1/users/${user}/recommendations?k=20&exclude_seen=false`),
    await call('POST', '/v1/recommendations', { items: [{ id, strength: 5 }], k: 20, exclude_seen: false }),
  ];
  const ranks = served.map((r) => r.items.find((x) => x.item.id === id)?.rank).filter((r) => r !== undefined);
  assert(ranks.length >= 1, `the new item ${id} is in none of the ${served.length} lists requested for it`);

  await page.goto(`${base}#fresh`);
  const row = page.locator(`${tid('fresh-row')}[data-item-id="${id}"]`);
  await row.waitFor({ timeout: STEP_MS });
  const value = async (r, cell) => r.locator(tid(cell)).getAttribute('data-value');
  const lists = Number(await value(row, 'fresh-lists'));
  const users = Number(await value(row, 'fresh-users'));
  const best = Number(await value(row, 'fresh-best-rank'));
  assert(lists >= 1, `fresh view: ${id} shows lists = ${lists}`);
  assert(lists === ranks.length, `fresh view: ${id} shows lists = ${lists}, served in ${ranks.length}`);
  assert(best === Math.min(...ranks), `fresh view: best rank ${best}, served at ranks ${ranks}`);
  if (served[0].items.some((x) => x.item.id === id)) assert(users === 1, `fresh view: users = ${users}, expected 1 (${user})`);
  const order = await attrs(page, tid('fresh-row'), 'data-item-id');
  assert(order[0] === id && order[1] === idle, `fresh view is not newest first: ${order.slice(0, 3)}`);
  const idleRow = page.locator(`${tid('fresh-row')}[data-item-id="${idle}"]`);
  assert(Number(await value(idleRow, 'fresh-lists')) === 0, `the never-recommended item ${idle} shows lists > 0`);
  assert(/not served yet/.test(await idleRow.innerText()), 'the never-recommended item is not marked "not served yet"');
  const summary = await page.innerText(tid('fresh-summary'));
  assert(/\d+ items? added/.test(summary) && /lists? served/.test(summary), `summary reads '${summary}'`);
  await page.screenshot({ path: join(OUT, '07-fresh.png') });
  // Refresh shows a list served after the view was opened.
  const more = await call('POST', '/v1/recommendations', { items: [{ id, strength: 5 }], k: 20, exclude_seen: false });
  const inMore = more.items.some((x) => x.item.id === id) ? 1 : 0;
  await page.click(tid('fresh-refresh'));
  await page.locator(`${tid('fresh-row')}[data-item-id="${id}"] ${tid('fresh-lists')}[data-value="${lists + inMore}"]`)
    .waitFor({ timeout: STEP_MS });
  log(`fresh: ${id} served at ranks ${ranks.join(',')} → lists ${lists}, users ${users}, best #${best}; ${summary}`);
});

flow('experiments: arms, differences and charts of a running A/B test', async (page, base) => {
  await page.goto(`${base}#experiments`);
  await page.locator(tid('exp-none')).waitFor({ timeout: STEP_MS });
  const bin = opt('server-bin');
  if (!bin) { log('skipped the A/B part: needs --server-bin (a second server with --experiments)'); return; }
  tmp ??= mkdtempSync(join(tmpdir(), 'hybridrec-e2e-'));
  const file = join(tmp, 'experiment.json');
  writeFileSync(file, JSON.stringify({ name: 'e2e-ab', salt: 'e2e', ctr_k: 10, arms: [
    { name: 'A', share: 0.5, ranker: { popularity_mix: 1, popularity_T: 100000 } }, { name: 'B', share: 0.5 }] }));
  const xbase = await startServer(['--experiments', file, '--exposure-flush-ms', '20'], 'server-experiments');
  const arms = { A: 0, B: 0 };
  for (let u = 1; u <= 60; u++) {
    const r = await (await fetch(new URL(`/v1/users/${u}/recommendations?k=10`, xbase))).json();
    assert(r.experiment && r.experiment.name === 'e2e-ab', `user ${u}: no experiment in ${JSON.stringify(r).slice(0, 200)}`);
    assert(/^[0-9a-f]{32}$/.test(r.request_id), `user ${u}: request_id '${r.request_id}'`);
    arms[r.experiment.arm]++;
    // Arm B users click one or two shown items, arm A users one item every third user.
    const n = r.experiment.arm === 'B' ? 1 + (u % 2) : (u % 3 === 0 ? 1 : 0);
    const events = r.items.slice(0, n).map((x) => ({ user: String(u), item: x.item.id, request_id: r.request_id }));
    if (events.length) {
      const p = await fetch(new URL('/v1/events', xbase), { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ events }) });
      assert(p.ok, `events of user ${u}: ${p.status}`);
    }
  }
  await page.goto(`${xbase}#experiments`);
  await page.locator(tid('exp-arm')).first().waitFor({ timeout: STEP_MS });
  const names = await attrs(page, tid('exp-arm'), 'data-arm');
  assert(names.join() === 'A,B', `arms shown: ${names}`);
  const users = (await attrs(page, tid('exp-users'), 'data-value')).map(Number);
  assert(users[0] === arms.A && users[1] === arms.B, `users per arm shown ${users}, served ${arms.A}/${arms.B}`);
  const ctr = (await attrs(page, tid('exp-ctr'), 'data-value')).map(Number);
  assert(ctr[1] > ctr[0], `CTR of B (${ctr[1]}) not above A (${ctr[0]})`);
  const diffs = await attrs(page, tid('exp-diff'), 'data-metric');
  assert(diffs.includes('ctr_at_k') && diffs.includes('conversions_per_user'), `differences shown: ${diffs}`);
  const charts = await page.evaluate(() => Object.fromEntries(Object.entries(window.__hybridrec.charts)
    .map(([k, c]) => [k, (c.getOption().series || []).length])));
  for (const name of ['exp-ctr_at_k', 'exp-conversions_per_user', 'exp-diff'])
    assert(charts[name] >= 2, `chart ${name} has ${charts[name]} series (${JSON.stringify(charts)})`);
  log(`experiments: ${arms.A}/${arms.B} users, CTR ${ctr.map((c) => c.toFixed(3))}, charts ${JSON.stringify(charts)}`);
  await page.screenshot({ path: join(OUT, '08-experiments.png'), fullPage: true });
});

flow('with --auth: the page asks for a token before storing events', async (page) => {
  const bin = opt('server-bin');
  if (!bin) { log('skipped: needs --server-bin (a second server with --auth)'); return; }
  const [token, line] = execFileSync(bin, ['token', '--role', 'write', '--name', 'e2e'], { encoding: 'utf8' })
    .split('\n').filter((l) => l && !l.startsWith('#'));
  tmp ??= mkdtempSync(join(tmpdir(), 'hybridrec-e2e-'));
  const file = join(tmp, 'tokens.txt');
  writeFileSync(file, `${line}\n`);
  const base = await startServer(['--auth', file], 'server-auth');
  const prompts = [];
  const onDialog = (d) => { prompts.push(d.message()); d.accept(token); };
  page.on('dialog', onDialog);
  try {
    const user = await startEventsUser(page, base);
    const pick = await addFirstSearchHit(page, 'star trek', []);
    await waitPicks(page, 1);
    assert(prompts.length === 1, `asked ${prompts.length} times for a token`);
    assert(/401 unauthorized/.test(prompts[0]) && /'write'/.test(prompts[0]), `the prompt reads '${prompts[0]}'`);
    // The token is kept for the tab: the second event is sent without asking again.
    await addFirstSearchHit(page, 'batman', [pick]);
    await waitPicks(page, 2);
    assert(prompts.length === 1, 'asked again for the token');
    await page.goto(`${base}#user=${user}`);
    await page.locator(tid('history-item')).first().waitFor({ timeout: STEP_MS });
    const hist = await attrs(page, tid('history-item'), 'data-item-id');
    assert(hist.length === 2 && hist.includes(pick), `history of ${user} is [${hist}]`);
    log(`auth: one prompt, then ${hist.length} events stored for ${user}`);
  } finally {
    page.off('dialog', onDialog);
  }
});

// ---------------------------------------------------------------- main
let browser = null;
let failures = 0;
try {
  const base = opt('base-url') || (await startServer());
  log(`page at ${base}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 40[134]/.test(m.text())) pageErrors.push(m.text()); });
  for (const { name, fn } of flows) {
    const start = Date.now();
    pageErrors.length = 0;
    try {
      await fn(page, base);
      assert(!pageErrors.length, `errors in the page: ${pageErrors.join(' | ')}`);
      log(`ok   ${name} (${Date.now() - start} ms)`);
    } catch (e) {
      failures++;
      log(`FAIL ${name}: ${e.message.split('\n')[0]}`);
      await page.screenshot({ path: join(OUT, `fail-${flows.findIndex((f) => f.name === name)}.png`) }).catch(() => {});
    }
  }
} catch (e) {
  failures++;
  log(`FAIL setup: ${e.message}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  stopServer();
}
log(failures ? `${failures} of ${flows.length} flows FAILED; screenshots in ${OUT}` : `all ${flows.length} flows passed; screenshots in ${OUT}`);
process.exit(failures ? 1 : 0);
