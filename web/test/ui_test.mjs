// Drives Strata's web UI in a real headless Chromium (Debian's /usr/bin/chromium, through
// playwright-core) against a running stack (scripts/demo.py --check --ui starts one):
//   node test/ui_test.mjs --query URL --prefixed URL --compact URL --store URL
//                         --endpoints a,b,c --shots DIR
// --prefixed is a querier started with --web.route-prefix and --web.external-prefix (its URL
// includes the prefix). Exits non-zero, naming the failed check, when anything is off.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const k of ['query', 'prefixed', 'compact', 'store', 'endpoints', 'shots']) {
  if (!args[k]) { console.error(`ui_test: --${k} is required`); process.exit(2); }
}
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(chromiumPath)) {
  console.error(`ui_test: no Chromium at ${chromiumPath} (apt-get install chromium)`);
  process.exit(2);
}
fs.mkdirSync(args.shots, { recursive: true });

const check = (cond, what) => {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log(`ok: ${what}`);
};

const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu'] });
const errors = [];
async function newPage() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(20000);
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  // The browser logs the 400 of the deliberately malformed query below; anything else counts.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('status of 400')) errors.push(`${page.url()}: console: ${m.text()}`);
  });
  return page;
}
const rows = (page, panel = 0) => page.locator('.panel').nth(panel).locator('.result-table tr').count();
const waitRows = (page, n, panel = 0) => page.waitForFunction(([n, panel]) =>
  document.querySelectorAll('.panel')[panel]?.querySelectorAll('.result-table tr').length === n, [n, panel]);
async function setExpr(page, expr, panel = 0) {
  await page.locator('.panel').nth(panel).locator('.cm-content').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(expr);
  await page.keyboard.press('Escape'); // closes the autocomplete list, if open
}

try {
  // --- Graph page: autocomplete, table, dedup toggle, graph, URL state.
  const page = await newPage();
  const queries = [];
  page.on('request', (r) => { if (r.url().includes('/api/v1/query')) queries.push(new URL(r.url())); });
  await page.goto(`${args.query}/`);
  await page.waitForSelector('.cm-content');
  check(new URL(page.url()).pathname === '/graph', '/ goes to /graph');
  await page.locator('.cm-content').click();
  await page.keyboard.type('http_req');
  await page.waitForSelector('.cm-tooltip-autocomplete');
  const options = await page.locator('.cm-tooltip-autocomplete li').allTextContents();
  check(options.some((o) => o.includes('http_requests_total')), `autocomplete offers http_requests_total (${options.slice(0, 5).join(', ')})`);
  await page.keyboard.press('Escape');
  await setExpr(page, 'sum by (job) (rate(http_requests_total{code="200"}[5m]))');
  const styled = await page.locator('.cm-content .cm-line span').evaluateAll((els) =>
    new Set(els.map((e) => getComputedStyle(e).color)).size);
  check(styled >= 3, `the expression is highlighted (${styled} token colours)`);

  await setExpr(page, 'up');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.result-table tr');
  const deduped = await rows(page);
  check(deduped > 0, `table shows ${deduped} deduplicated series of up`);
  check(!(await page.locator('.result-table td.series').allTextContents()).some((s) => s.includes('replica=')),
    'deduplicated series carry no replica label');
  await page.screenshot({ path: path.join(args.shots, 'query-table.png') });
  await page.locator('.dedup input').uncheck();
  await waitRows(page, deduped * 2);
  check(await rows(page) === deduped * 2, `without deduplication the table shows both replicas: ${deduped * 2} series`);
  const last = queries[queries.length - 1];
  check(last.searchParams.get('dedup') === 'false' && last.searchParams.get('partial_response') === 'false',
    'the request carries dedup=false and partial_response=false');
  check(new URL(page.url()).searchParams.get('g0.deduplicate') === '0', 'the URL holds g0.deduplicate=0');
  await page.locator('.dedup input').check();
  await waitRows(page, deduped);

  await page.locator('.max-source-resolution').selectOption('5m');
  await page.waitForFunction(() => document.querySelector('.panel-stats')?.textContent.includes('Result series'));
  check(queries[queries.length - 1].searchParams.get('max_source_resolution') === '5m', 'max source resolution 5m is sent');
  await page.locator('.max-source-resolution').selectOption('0s');

  await page.click('.tab-graph');
  await page.waitForSelector('.uplot canvas');
  await page.waitForFunction((n) => document.querySelectorAll('.legend-item').length === n, deduped);
  check(await page.locator('.legend-item').count() === deduped, `graph legend lists ${deduped} series`);
  check(queries[queries.length - 1].pathname.endsWith('/api/v1/query_range'), 'the graph asks query_range');
  await page.locator('.stacked input').check();
  await page.waitForSelector('.uplot canvas');
  const shared = page.url();
  check(new URL(shared).searchParams.get('g0.tab') === '0' && new URL(shared).searchParams.get('g0.stacked') === '1',
    'the URL holds g0.tab=0 and g0.stacked=1');
  await page.locator('.stacked input').uncheck();

  // The demo's generated history, a day wide: the screenshot README shows.
  await setExpr(page, 'sum by (code) (rate(http_requests_total[5m]))');
  await page.locator('.range-input').fill('1d');
  await page.locator('.range-input').press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('.legend-item').length >= 2);
  check(new URL(page.url()).searchParams.get('g0.range_input') === '1d', 'the range input is in the URL');
  await page.screenshot({ path: path.join(args.shots, 'query-graph.png') });

  // A shared link restores the panel and runs it.
  const again = await newPage();
  await again.goto(shared);
  await again.waitForFunction((n) => document.querySelectorAll('.legend-item').length === n, deduped);
  check(await again.locator('.tab-graph.active').count() === 1, 'a shared link opens the graph tab with the chart');
  await again.close();

  // Several panels, each in the URL.
  await page.click('.add-panel');
  await page.waitForFunction(() => document.querySelectorAll('.panel').length === 2);
  await setExpr(page, 'count(up)', 1);
  await page.keyboard.press('Enter');
  await waitRows(page, 1, 1);
  check(new URL(page.url()).searchParams.get('g1.expr') === 'count(up)', 'a second panel is in the URL as g1.expr');

  // Bad input: a clear error in the panel, nothing else breaks.
  await setExpr(page, 'up + on(', 1);
  await page.keyboard.press('Enter');
  await page.waitForSelector('.panel:nth-child(2) .alert-danger');
  const err = await page.locator('.panel').nth(1).locator('.alert-danger').textContent();
  check(/Error executing query: .*(bad_data|parse)/i.test(err), `a malformed query shows the querier's error: ${err}`);

  // Warnings of an answer are shown (the querier's real answer, with a warning added on the way,
  // since the demo's endpoints are all healthy).
  await page.route('**/api/v1/query?*', async (route) => {
    const res = await route.fetch();
    const body = await res.json();
    body.warnings = ['endpoint 10.0.0.1:10901 timed out: partial response'];
    await route.fulfill({ response: res, json: body });
  });
  await setExpr(page, 'up', 1);
  await page.keyboard.press('Enter');
  await page.waitForSelector('.panel:nth-child(2) .alert-warning');
  check((await page.locator('.panel').nth(1).locator('.alert-warning').textContent()).includes('partial response'), 'warnings are shown above the result');
  await page.unroute('**/api/v1/query?*');

  // --- Stores, Status, Flags.
  await page.goto(`${args.query}/stores`);
  await page.waitForSelector('.store-row');
  const listed = await page.locator('.store-row .endpoint').allTextContents();
  for (const e of args.endpoints.split(',')) check(listed.includes(e), `stores page lists ${e}`);
  check(await page.locator('.store-row .badge-up').count() === listed.length, 'every endpoint is UP');
  check((await page.locator('.labelset').allTextContents()).some((l) => l.includes('replica="1"')), 'label sets are shown');
  await page.screenshot({ path: path.join(args.shots, 'stores.png') });
  await page.goto(`${args.query}/status`);
  await page.waitForSelector('.build-info');
  check((await page.locator('.runtime-info').textContent()).includes('startTime'), 'status page shows runtime information');
  check((await page.locator('.build-info').textContent()).includes('version'), 'status page shows build information');
  await page.goto(`${args.query}/flags`);
  await page.waitForSelector('.flags-table');
  check((await page.locator('.flags-table').textContent()).includes('query.replica-label'), 'flags page lists the flags');

  // --- A querier under a route prefix: assets and API calls carry the prefix.
  await page.goto(`${args.prefixed}/graph?g0.expr=up&g0.tab=1`);
  await page.waitForSelector('.result-table tr');
  check(await rows(page) === deduped, `under ${new URL(args.prefixed).pathname} the page loads and queries (${deduped} series)`);
  check((await page.getAttribute('.nav-link.active', 'href')).startsWith(new URL(args.prefixed).pathname), 'links carry the prefix');

  // --- Block viewers: the compactor's bucket and the store gateway's loaded blocks.
  await page.goto(`${args.compact}/`);
  await page.waitForSelector('.block');
  check(new URL(page.url()).pathname === '/blocks', "the compactor's / goes to /blocks");
  const nblocks = await page.locator('.block').count();
  check(nblocks > 0 && (await page.locator('.block-group').count()) === 2, `the compactor shows ${nblocks} blocks in the two replicas' groups`);
  await page.locator('.block').first().click(); // the first, shortest block: on top of its neighbour
  await page.waitForSelector('.block-table');
  check(/^[0-9A-Z]{26}$/.test(await page.locator('.block-details h3').textContent()), 'clicking a block shows its ULID and meta');
  await page.screenshot({ path: path.join(args.shots, 'blocks.png'), fullPage: true });
  await page.goto(`${args.store}/`);
  await page.waitForSelector('.block');
  check(new URL(page.url()).pathname === '/loaded', "the store gateway's / goes to /loaded");
  check(await page.locator('.block').count() > 0, 'the store gateway shows its loaded blocks');

  check(errors.length === 0, `no script errors in any page${errors.length ? ': ' + errors.join('; ') : ''}`);
  console.log(`ui_test: all checks passed; screenshots in ${args.shots}`);
} catch (e) {
  console.error(`ui_test: ${e.message}`);
  if (errors.length) console.error(`page errors: ${errors.join('; ')}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
