// bench/web.mjs - the web UI's speed in Debian's chromium over loopback (issue 5 targets):
//   1. first load: a fresh browser context (empty cache) opens /login until the form is usable,
//      and, logged in, a new tab opens a list until its 50 rows are shown;
//   2. a page of 50 rows: from pressing "Apply" on a list's filters to 50 rows in the DOM
//      (route change, the API call over loopback, and Vue's render; an upper bound of the render).
// Each figure is the median (and the max) of RUNS runs. Appends a dated section to
// bench/RESULTS.md (BENCH_RESULTS) with the command, the machine and the figures.
//   node bench/web.mjs            (make bench does not run it; it needs the built UI: make)
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_PASSWORD, startServer } from '../tests/api/harness.mjs';
import { ROOT, baseOf, launch, login, openPage, unexpectedProblems } from '../tests/web/browser.mjs';

const RUNS = Number(process.env.BENCH_RUNS || 15);
const RESULTS = process.env.BENCH_RESULTS || path.join(ROOT, 'bench', 'RESULTS.md');
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const max = (a) => Math.max(...a);
const ms = (a) => `${median(a).toFixed(1)} ms (max ${max(a).toFixed(1)})`;

const srv = await startServer({});
const base = baseOf(srv);
const browser = await launch();
try {
    // 120 articles: enough for full pages of 50 in both sort orders.
    for (let i = 0; i < 120; i++) {
        const r = await srv.api('POST', '/api/v1/articles', {
            body: { title: `基准文章 ${i} benchmark article`, body: '正文'.repeat(40), category: i % 2 ? 'faq' : 'how_to', tags: ['bench'] },
        });
        if (r.status !== 201) throw new Error(r.text);
    }

    // Wall time from goto() (includes the browser starting the tab's renderer) and the page's
    // own clock: from its navigation start to the form in the DOM (performance.now()).
    const cold = [];
    const coldPage = [];
    for (let i = 0; i < RUNS; i++) {
        const page = await openPage(browser);
        // bench-only probe: when the login form enters the DOM, on the page's clock
        await page.addInitScript(() => {
            const mo = new MutationObserver(() => {
                if (!document.getElementById('username')) return;
                window.__olFormAt = performance.now();
                mo.disconnect();
            });
            mo.observe(document, { childList: true, subtree: true });
        });
        const t0 = performance.now();
        await page.goto(`${base}/login`);
        await page.locator('#username').waitFor();
        cold.push(performance.now() - t0);
        coldPage.push(await page.evaluate(() => window.__olFormAt ?? performance.now()));
        await page.context().close();
    }

    const coldList = [];
    const coldListPage = [];
    for (let i = 0; i < RUNS; i++) {
        const page = await openPage(browser);
        await login(page, base, 'admin', ADMIN_PASSWORD);
        await page.getByRole('heading', { name: /Welcome/ }).waitFor();
        // a new tab with the session cookie: the app starts from nothing in memory
        const p2 = await page.context().newPage();
        await p2.addInitScript(() => {
            const mo = new MutationObserver(() => {
                if (document.querySelectorAll('table.list tbody tr').length !== 50) return;
                window.__olRowsAt = performance.now();
                mo.disconnect();
            });
            mo.observe(document, { childList: true, subtree: true });
        });
        const t0 = performance.now();
        await p2.goto(`${base}/records/articles`);
        await p2.waitForFunction(() => document.querySelectorAll('table.list tbody tr').length === 50);
        coldList.push(performance.now() - t0);
        coldListPage.push(await p2.evaluate(() => window.__olRowsAt ?? performance.now()));
        await page.context().close();
    }

    const page = await openPage(browser);
    await login(page, base, 'admin', ADMIN_PASSWORD);
    await page.getByRole('heading', { name: /Welcome/ }).waitFor();
    await page.goto(`${base}/records/articles`);
    await page.waitForFunction(() => document.querySelectorAll('table.list tbody tr').length === 50);
    const render = [];
    for (let i = 0; i < RUNS; i++) {
        await page.locator('#flt-sort').selectOption(i % 2 ? '-number' : 'number');
        const took = await page.evaluate(() => new Promise((resolve) => {
            const first = document.querySelector('table.list tbody tr td')?.textContent;
            const t0 = performance.now();
            const done = () => {
                const rows = document.querySelectorAll('table.list tbody tr');
                return rows.length === 50 && rows[0].querySelector('td')?.textContent !== first;
            };
            const mo = new MutationObserver(() => {
                if (!done()) return;
                mo.disconnect();
                resolve(performance.now() - t0);
            });
            mo.observe(document.querySelector('main'), { childList: true, subtree: true, characterData: true });
            document.querySelector('.filters button[type=submit]').click();
        }));
        render.push(took);
    }
    if (unexpectedProblems(page).length) throw new Error(`console errors: ${unexpectedProblems(page).join('\n')}`);

    const cpu = os.cpus()[0]?.model || 'unknown CPU';
    const chromium = execSync('/usr/bin/chromium --version').toString().trim();
    const section = [
        '',
        `## Web UI (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
        '',
        `Command: \`node bench/web.mjs\` (BENCH_RUNS=${RUNS}); machine: ${os.cpus().length} × ${cpu}, ` +
            `${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}; ${chromium}, headless, loopback; ` +
            `SQLite with 120 articles; load average at the end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} (the machine is shared). Median (max) of the runs.`,
        '',
        '| measure | result | target |',
        '|---|---|---|',
        `| first load of /login, empty cache: navigation start → form in the DOM (page clock) | ${ms(coldPage)} | < 1 s |`,
        `| the same, wall time from goto() (includes starting the tab's renderer) | ${ms(cold)} | |`,
        `| a list in a new tab (logged in): navigation start → 50 rows in the DOM (page clock) | ${ms(coldListPage)} | < 1 s |`,
        `| the same, wall time from goto() | ${ms(coldList)} | |`,
        `| a page of 50 rows: Apply → 50 new rows in the DOM (API call included) | ${ms(render)} | < 100 ms |`,
        '',
    ].join('\n');
    fs.appendFileSync(RESULTS, section);
    process.stdout.write(section);
} finally {
    await browser.close();
    await srv.stop();
}
