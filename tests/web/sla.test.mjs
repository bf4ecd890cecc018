// tests/web/sla.test.mjs - SLA countdowns in the browser (I4, issue 5 "breaching soon", issue 6
// "the incident queue with SLA countdowns and breach colours"): with the server's clock moved,
// a high-priority incident past its 10-minute response target is on the home page's "Breaching
// soon" list, red and "late"; the incident queue shows each open incident's countdown; the
// detail lists the timers. In zh-CN too, with zero console errors.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, startServer } from '../api/harness.mjs';
import { assertClean, baseOf, launch, login, openPage, shot } from './browser.mjs';

describe('SLA in the browser', () => {
    let srv, browser, page, base, clockFile;
    let late, calm;

    before(async () => {
        clockFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ol-clock-')), 'offset');
        fs.writeFileSync(clockFile, '0');
        srv = await startServer({ env: { OPSLEDGER_TEST_CLOCK: clockFile } });
        base = baseOf(srv);
        browser = await launch();
        page = await openPage(browser);
    });
    after(async () => {
        await browser?.close();
        await srv?.stop();
    });

    test('sla-ui-1 a late incident is on the home page, red, and counted late', async () => {
        const mk = async (title, impact, urgency) => {
            const r = await srv.api('POST', '/api/v1/incidents', { body: { title, reporter: 'admin', category: 'outage', impact, urgency } });
            assert.equal(r.status, 201, r.text);
            return r.json.number;
        };
        late = await mk('支付网关无响应 payment gateway down', 'high', 'high');
        calm = await mk('Printer on floor 3 jams', 'low', 'low');
        fs.writeFileSync(clockFile, String(11 * 60)); // 11 minutes on: past the 10-minute response target
        await login(page, base, 'admin', ADMIN_PASSWORD);
        const row = page.locator('.breaching tr', { hasText: late }).filter({ hasText: 'Response' });
        await row.waitFor();
        assert.match(await page.locator('.breaching tr', { hasText: late }).filter({ hasText: 'Resolution' }).textContent(), /left/);
        const cell = row.locator('[data-testid=sla-due]');
        assert.match(await cell.getAttribute('class'), /sla-breached/);
        assert.match(await cell.textContent(), /Response: 1 min late/);
        assert.equal(await page.locator('.breaching tr', { hasText: calm }).count(), 0, 'the low one is not due within 2 hours');
        await shot(page, 'home-breaching');
        assertClean(assert, page, 'home');
    });

    test('sla-ui-2 the incident queue shows each countdown; the detail lists the timers', async () => {
        await page.goto(`${base}/records/incidents`);
        const lateCells = page.locator('tr', { hasText: late }).locator('[data-testid=sla-cell]');
        await lateCells.first().waitFor();
        const texts = await lateCells.allTextContents();
        assert.ok(texts.some((x) => /Response: 1 min late/.test(x)), texts.join(' | '));
        assert.ok(texts.some((x) => /Resolution: 1 h 4[89] min left/.test(x)), texts.join(' | '));
        const calmCells = await page.locator('tr', { hasText: calm }).locator('[data-testid=sla-cell]').allTextContents();
        assert.ok(calmCells.some((x) => /^Response: .* left$/.test(x)), calmCells.join(' | '));
        await shot(page, 'incident-queue-sla');
        await page.getByRole('link', { name: late }).click();
        await page.getByRole('heading', { name: 'Service level (SLA)' }).waitFor();
        const timers = await page.locator('[data-testid=sla-timer]').allTextContents();
        assert.deepEqual(timers.map((x) => x.split(':')[0]).sort(), ['Resolution', 'Response']);
        assertClean(assert, page, 'incident detail');
    });

    test('sla-ui-3 in Chinese', async () => {
        await page.locator('#lang').selectOption('zh-CN');
        await page.getByRole('heading', { name: '服务级别(SLA)' }).waitFor();
        const timers = await page.locator('[data-testid=sla-timer]').allTextContents();
        assert.ok(timers.some((x) => /^响应: 超时 1 分钟$/.test(x)), timers.join(' | '));
        await page.locator('#lang').selectOption('en');
        assertClean(assert, page, 'zh-CN');
    });
});
