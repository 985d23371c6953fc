// Browser tests of vungxanh in headless Chromium (Debian's /usr/bin/chromium), driven by
// playwright-core. Run by scripts/browser-test, which starts `vungxanh demo` and sets
// VX_BASE (the server) and VX_ARTIFACTS (where screenshots and downloads go).
//
// Scenarios:
//  1. a district officer logs in, opens the dashboard, drills to a commune and a hamlet,
//     reads a level's reasons, downloads the daily report;
//  2. a commune officer imports a results file through the UI and sees the work list change;
//  3. a visitor opens the public pages and finds no personal data.

import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BASE = process.env.VX_BASE ?? 'http://127.0.0.1:18080';
const OUT = process.env.VX_ARTIFACTS ?? 'artifacts/browser';
const PASSWORD = 'vungxanh2021';
fs.mkdirSync(OUT, { recursive: true });

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** A fresh browser with an empty profile of its own. */
async function browser() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vx-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.VX_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    acceptDownloads: true,
    viewport: { width: 1100, height: 900 },
    locale: 'vi-VN',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  // Nothing may be loaded from outside the server.
  page.on('request', (r) => {
    if (!r.url().startsWith(BASE) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) {
      throw new Error(`request outside the server: ${r.url()}`);
    }
  });
  return { context, page, dir };
}

async function close(b) {
  await b.context.close();
  fs.rmSync(b.dir, { recursive: true, force: true });
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
}

async function login(page, username) {
  await page.goto(`${BASE}/login`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type="submit"]')]);
  assert.ok(!page.url().includes('/login'), `${username} is signed in (${page.url()})`);
}

const results = [];
async function scenario(name, fn) {
  const t = Date.now();
  try {
    const note = await fn();
    results.push({ name, ok: true, note });
    console.log(`ok   ${name} (${Date.now() - t} ms)${note ? ` — ${note}` : ''}`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e.stack ?? e}`);
  }
}

// ---------------------------------------------------------------------------------------

await scenario('district officer: dashboard, drill-down, reasons, daily report', async () => {
  const b = await browser();
  const { page } = b;
  try {
    await login(page, 'huyen.chauthanh');
    await page.goto(`${BASE}/units/831/dashboard?date=2021-09-10`);
    await page.waitForSelector('#level .lvbadge');
    assert.match(await page.title(), /Tình hình dịch/);
    assert.ok(await page.locator('#map svg, #map .tiles').count() > 0, 'a level map');
    assert.ok(await page.locator('#curve figure.chart > svg').count() === 1, 'an epidemic curve');
    assert.ok(await page.locator('#timeline figure.chart > svg').count() === 1, 'a level timeline');
    await shot(page, '01-district-dashboard-2021-09-10');

    // the date control (a GET form)
    await page.fill('input[name="date"]', '2021-09-21');
    await Promise.all([page.waitForNavigation(), page.click('form[action="/units/831/dashboard"] button')]);
    assert.ok(page.url().includes('date=2021-09-21'));
    await shot(page, '02-district-dashboard-2021-09-21');

    // sort the children by cases in 7 days, server-side
    await Promise.all([page.waitForNavigation(), page.click('#children th a[href*="sort=c7"]')]);
    assert.ok(page.url().includes('sort=c7'));

    // drill down: the commune, then a hamlet
    await Promise.all([page.waitForNavigation(), page.click('#children a[href^="/units/28846/dashboard"]')]);
    assert.match(await page.locator('h1').innerText(), /Phước Thạnh/);
    await shot(page, '03-commune-dashboard');
    await Promise.all([page.waitForNavigation(), page.click('#children a[href^="/units/2884601/dashboard"]')]);
    assert.match(await page.locator('h1').innerText(), /Ấp 1/);
    await shot(page, '04-hamlet-dashboard');

    // a level's reasons
    const reasons = await page.locator('#reasons li').allInnerTexts();
    assert.ok(reasons.length > 0 && reasons.every((r) => r.trim().length > 5), 'reasons are written out');

    // the daily report of the district, downloaded as XLSX
    await page.goto(`${BASE}/units/831/dashboard?date=2021-09-21`);
    await Promise.all([page.waitForNavigation(), page.click('a[href^="/units/831/report?"]')]);
    await shot(page, '05-daily-report');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('a[href^="/units/831/report.xlsx"]'),
    ]);
    const file = path.join(OUT, download.suggestedFilename());
    await download.saveAs(file);
    const bytes = fs.readFileSync(file);
    assert.ok(bytes.length > 1000 && bytes.subarray(0, 2).toString() === 'PK', 'an XLSX file');
    return `${download.suggestedFilename()} ${bytes.length} bytes; reasons: ${reasons.length}`;
  } finally {
    await close(b);
  }
});

await scenario('commune officer: results file through the UI, the work list changes', async () => {
  const b = await browser();
  const { page } = b;
  try {
    await login(page, 'xa.phuocthanh');
    const day = '2021-09-12';
    const retests = async () => {
      await page.goto(`${BASE}/units/28846/worklists?date=${day}`);
      const cell = page.locator('#work-counts tbody tr').first().locator('td').nth(4);
      return Number((await cell.innerText()).replace(/\D/g, '') || '0');
    };
    const before = await retests();
    await shot(page, '06-commune-worklists-before');
    // The demo leaves the last round's negative pools of Ấp 1 at the laboratory; its file
    // arrives now and one pool is positive: its members get retest orders.
    const upload = `${BASE}/results/upload?unit=28846`;
    const r = await page.goto(upload);
    assert.equal(r.status(), 200, `${upload} answers`);
    const csv = path.join(OUT, 'ket-qua-xet-nghiem.csv');
    fs.writeFileSync(csv, 'sample_code,result,ct,tested_at\nS10-2884601-0001,positive,24.5,2021-09-29T15:00:00+07:00\nS10-2884601-0002,negative,,2021-09-29T15:00:00+07:00\n');
    const lab = page.locator('#lab');
    if (!(await lab.getAttribute('readonly'))) await lab.fill('TTYT huyện Châu Thành');
    await page.setInputFiles('input[type="file"]', csv);
    await Promise.all([page.waitForNavigation(), page.click('form[enctype="multipart/form-data"] button[type="submit"]')]);
    const answer = await page.locator('main').innerText();
    assert.ok(!/S10-2884601-0001[^\n]*(refused|từ chối)/i.test(answer), `the upload was refused: ${answer.slice(0, 400)}`);
    await shot(page, '07-commune-results-imported');
    const after = await retests();
    await shot(page, '08-commune-worklists-after');
    assert.ok(after > before, `retests ${before} → ${after}`);
    return `retests of positive pools ${before} → ${after}`;
  } finally {
    await close(b);
  }
});

await scenario('visitor: public pages without login, no personal data', async () => {
  // Names of the demo registry as the commune officer sees them (households of Ấp 1).
  const staff = await browser();
  let names = [];
  let codes = [];
  try {
    await login(staff.page, 'xa.phuocthanh');
    await staff.page.goto(`${BASE}/units/2884601/households`);
    names = (await staff.page.locator('tbody tr td:nth-child(2)').allInnerTexts()).map((s) => s.trim()).filter(Boolean);
    codes = (await staff.page.locator('tbody tr td:nth-child(1)').allInnerTexts()).map((s) => s.trim()).filter(Boolean);
    assert.ok(names.length > 5, 'the registry has names to look for');
  } finally {
    await close(staff);
  }
  const b = await browser();
  const { page } = b;
  try {
    await page.goto(`${BASE}/public`);
    await shot(page, '09-public-index');
    const pages = [
      '/public/units/831?date=2021-09-21',
      '/public/units/28846?date=2021-09-21',
      '/public/units/2884601?date=2021-09-21',
      '/public/units/831/feed.atom?date=2021-09-21',
      '/public/units/831/levels.csv?to=2021-09-21',
      '/public/units/831/levels.json?to=2021-09-21',
    ];
    for (const p of pages) {
      const r = await page.request.get(`${BASE}${p}`);
      assert.equal(r.status(), 200, p);
      const text = await r.text();
      for (const n of names) assert.ok(!text.includes(n), `${n} appears on ${p}`);
      for (const c of codes) assert.ok(!text.includes(c), `household ${c} appears on ${p}`);
      assert.ok(!/(?:\+84|\b0)[1-9]\d{8}\b/.test(text), `a phone number appears on ${p}`);
      if (!/\.(csv|json)/.test(p)) assert.ok(text.length < 100_000, `${p} is under 100 KB`);
      // ETag: asked again with it, 304
      const etag = r.headers()['etag'];
      assert.ok(etag, `${p} has an ETag`);
      const again = await page.request.get(`${BASE}${p}`, { headers: { 'If-None-Match': etag } });
      assert.equal(again.status(), 304, `${p} revalidates`);
    }
    await page.goto(`${BASE}${pages[0]}`);
    assert.ok(await page.locator('.lvbadge').count() > 0, 'the level is shown');
    await shot(page, '10-public-district');
    await page.goto(`${BASE}${pages[2]}`);
    await shot(page, '11-public-hamlet');
    return `${names.length} names and ${codes.length} household codes checked on ${pages.length} public resources`;
  } finally {
    await close(b);
  }
});

const failed = results.filter((r) => !r.ok);
console.log(`${results.length - failed.length}/${results.length} browser scenarios passed; screenshots in ${OUT}`);
process.exit(failed.length ? 1 : 0);
