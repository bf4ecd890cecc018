// tests/web/change.test.mjs - C3/C4 in a browser: while a new change's category and planned
// times are edited, the form checks the schedule (the dry run) and shows the refusal with the
// rule named before anything is saved - a network-device restart in business hours, a start
// inside the lead time - and says when the schedule meets the rules, with the recommended-window
// warning; the Chinese UI names the rule in Chinese. Zero console errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, startServer } from '../api/harness.mjs';
import { assertClean, baseOf, launch, login, openPage, shot } from './browser.mjs';

/** The local (Asia/Shanghai, the pages' zone) date `days` ahead, as YYYY-MM-DD. */
function dayAhead(days) {
    const d = new Date(Date.now() + 8 * 3600e3 + days * 86400e3);
    return d.toISOString().slice(0, 10);
}

describe('the change form checks the schedule before submitting', () => {
    let srv, browser, page, base;

    before(async () => {
        srv = await startServer({});
        base = baseOf(srv);
        browser = await launch();
        page = await openPage(browser);
    });
    after(async () => {
        await browser?.close();
        await srv?.stop();
    });

    test('change-ui-1 a business-hours refusal and a lead-time refusal are shown with the rule named', async () => {
        await login(page, base, 'admin', ADMIN_PASSWORD);
        await page.getByRole('heading', { name: 'Welcome, admin' }).waitFor();
        await page.goto(`${base}/records/changes/new`);
        await page.getByRole('heading', { name: 'New Change' }).waitFor();
        await page.getByLabel('Title').fill('Restart core switch SW-01');
        await page.locator('#f-change_type').selectOption('infrastructure');
        await page.getByLabel('Category').selectOption('network_device_restart');
        const day = dayAhead(30);
        await page.getByLabel('Planned start').fill(`${day}T14:00`);
        await page.getByLabel('Planned end').fill(`${day}T15:00`);
        const box = page.locator('[data-test=change-check]');
        const refused = box.locator('[data-test=change-check-refused]');
        await refused.waitFor();
        assert.match(await refused.textContent(), /business-hours window rule.*network_device_restart.*09:00-22:00/);
        await shot(page, 'change-check-business-hours');

        // 03:00-04:00 is allowed and inside the recommended window.
        await page.getByLabel('Planned start').fill(`${day}T03:00`);
        await page.getByLabel('Planned end').fill(`${day}T04:00`);
        await box.locator('[data-test=change-check-ok]').waitFor();
        assert.equal(await box.locator('[data-test=change-check-warning]').count(), 0);

        // Tomorrow night breaks the lead time (3 working days for infrastructure changes).
        const soon = dayAhead(1);
        await page.getByLabel('Planned start').fill(`${soon}T03:00`);
        await page.getByLabel('Planned end').fill(`${soon}T04:00`);
        await refused.waitFor();
        assert.match(await refused.textContent(), /lead-time rule.*3 working days/);
        await shot(page, 'change-check-lead-time');

        // An emergency is exempt; 23:00 is allowed but outside the recommended window.
        await page.getByLabel('Planned start').fill(`${day}T23:00`);
        await page.getByLabel('Planned end').fill(`${day}T23:30`);
        await box.locator('[data-test=change-check-warning]').waitFor();
        await box.locator('[data-test=change-check-ok]').waitFor();
        assert.match(await box.locator('[data-test=change-check-warning]').textContent(), /02:00-06:00/);
        assertClean(assert, page, 'change form check');
    });

    test('change-ui-2 the Chinese UI names the rule in Chinese', async () => {
        const zh = await openPage(browser, { locale: 'zh-CN' });
        await login(zh, base, 'admin', ADMIN_PASSWORD);
        await zh.waitForURL((u) => !u.pathname.startsWith('/login'));
        await zh.goto(`${base}/records/changes/new`);
        await zh.getByLabel('变更类别').selectOption('network_device_restart');
        const day = dayAhead(30);
        await zh.getByLabel('计划开始时间').fill(`${day}T10:00`);
        await zh.getByLabel('计划结束时间').fill(`${day}T11:00`);
        const refused = zh.locator('[data-test=change-check-refused]');
        await refused.waitFor();
        assert.match(await refused.textContent(), /违反营业时间禁止变更规则/);
        assertClean(assert, zh, 'change form check zh');
        await zh.context().close();
    });
});
