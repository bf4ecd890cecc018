// tests/web/major.test.mjs - the major-incident view in the browser (I5, I6; issue 6 "the
// major-incident view" and "regulatory timers"): with the server's clock moved past the first
// level rise, a core incident at level 2 shows its regulatory report timers counting down from
// the server's clock; declared major with its groups, it shows the next 30-minute update; an
// update added through the timeline form appears on the timeline and restarts the countdown.
// In zh-CN too, with zero console errors.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, startServer } from '../api/harness.mjs';
import { assertClean, baseOf, launch, login, openPage, shot } from './browser.mjs';

describe('major incidents in the browser', () => {
    let srv, browser, page, base, clockFile, number;

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

    test('major-ui-1 the report timers of a level 2 incident count down', async () => {
        const r = await srv.api('POST', '/api/v1/incidents', { body: { title: '核心支付中断 core payments down', reporter: 'admin', importance: 'core', impact: 'high', urgency: 'high' } });
        assert.equal(r.status, 201, r.text);
        number = r.json.number;
        fs.writeFileSync(clockFile, String(31 * 60)); // past the first rise: level 3 -> 2
        let inc = r.json;
        for (let k = 0; k < 40 && inc.level !== 2; k++) {
            await new Promise((res) => setTimeout(res, 500));
            inc = (await srv.api('GET', `/api/v1/incidents/${number}`)).json;
        }
        assert.equal(inc.level, 2);
        await login(page, base, 'admin', ADMIN_PASSWORD);
        await page.waitForURL((u) => !String(u).includes('/login'));
        await page.goto(`${base}/records/incidents/${number}`);
        await page.getByRole('heading', { name: 'Regulatory reports' }).first().waitFor();
        const timers = await page.locator('[data-testid=report-timer]').allTextContents();
        assert.equal(timers.length, 2);
        assert.match(timers[0], /^(59|1 h|1 h 0) ?.*left$|^\d+ min left$|^1 h left$/, timers.join(' | '));
        assert.match(timers[1], /^1[12] h .*left$/, timers.join(' | '));
        await shot(page, 'incident-report-timers');
        assertClean(assert, page, 'report timers');
    });

    test('major-ui-2 declared major: groups, next update, timeline form', async () => {
        const cur = (await srv.api('GET', `/api/v1/incidents/${number}`)).json;
        const res = await srv.api('PATCH', `/api/v1/incidents/${number}`, { body: { major: true, command_group: ['admin'], handling_group: ['ops1', 'ops2'] }, headers: { 'If-Match': `"${cur.version}"` } });
        assert.equal(res.status, 200, res.text);
        await page.goto(`${base}/records/incidents/${number}`);
        await page.getByRole('heading', { name: 'Major incident' }).waitFor();
        assert.equal(await page.locator('[data-testid=major-handling]').textContent(), 'ops1, ops2');
        assert.match(await page.locator('[data-testid=major-update]').textContent(), /^(29|30) min left$/);
        await page.locator('#mj-kind').selectOption('decision');
        await page.locator('#mj-text').fill('切换到灾备中心 fail over to the standby site');
        await page.getByRole('button', { name: 'Add to the timeline' }).click();
        await page.locator('[data-testid=major-timeline] li', { hasText: 'fail over' }).waitFor();
        assert.match(await page.locator('[data-testid=major-timeline] li').first().textContent(), /Decision/);
        await shot(page, 'major-incident');
        assertClean(assert, page, 'major incident');
    });

    test('major-ui-3 in Chinese', async () => {
        await page.locator('#lang').selectOption('zh-CN');
        await page.getByRole('heading', { name: '重大事件' }).waitFor();
        assert.match(await page.locator('[data-testid=major-update]').textContent(), /^剩余 (29|30) 分钟$/);
        assert.match(await page.locator('[data-testid=major-timeline] li').first().textContent(), /决策/);
        await page.locator('#lang').selectOption('en');
        assertClean(assert, page, 'zh-CN');
    });
});
