// tests/web/calendar.test.mjs - the operations calendar and release stages in Debian's chromium
// (REQUIREMENTS P5, R2): the month and week views with entries, conflicts marked and listed,
// freeze windows shaded (when the change module's freeze type is registered), moving between
// periods, an iCalendar feed made, read and revoked from the page; the release detail's stages
// panel: a gate reading, widening to the next stage, and the circuit breaker rolling back on a
// failing reading - with zero console errors; screenshots in tests/web/out/.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { USER_PASSWORD, request, startServer } from '../api/harness.mjs';
import { assertClean, baseOf, launch, login, openPage, shot } from './browser.mjs';

describe('operations calendar and release stages in a browser', () => {
    let srv, browser, page, base, rel, ev;

    before(async () => {
        srv = await startServer({
            users: [
                { name: 'dev', roles: ['developer'] },
                { name: 'ca', roles: ['change_assessor'] },
                { name: 'rm', roles: ['release_manager'] },
                { name: 'eng', roles: ['ops_engineer'] },
                { name: 'mgr', roles: ['ops_manager'] },
            ],
        });
        base = baseOf(srv);
        const api = (m, p, body, who) => srv.api(m, p, { body, token: srv.tokens[who] });
        const r = await api('POST', '/api/v1/releases', {
            title: 'Payments 2.5', release_version: '2.5.0', runbook: 'deploy', backout_plan: 'redeploy 2.4',
            planned_start: '2026-12-16T10:00:00Z', planned_end: '2026-12-16T12:00:00Z', cis: ['db-01'], stages: '20%,100%',
        }, 'dev');
        assert.equal(r.status, 201, r.text);
        rel = r.json.number;
        for (const [name, who, body] of [['submit', 'dev', {}], ['assess', 'ca', { fields: { completeness_ok: true, dependencies_deployed: true, time_ok: true, risk: 'low', assessment: 'ok' } }],
            ['approve', 'rm', {}], ['start', 'eng', {}]])
            assert.equal((await api('POST', `/api/v1/releases/${rel}/transitions/${name}`, body, who)).status, 200);
        const e = await api('POST', '/api/v1/ops_events', { title: 'DB patching', kind: 'maintenance', start: '2026-12-16T11:00:00Z', end: '2026-12-16T14:00:00Z', cis: ['db-01'] }, 'mgr');
        assert.equal(e.status, 201, e.text);
        ev = e.json.number;
        await api('POST', '/api/v1/ops_events', { title: 'DR drill', kind: 'drill', start: '2026-12-18T01:00:00Z', end: '2026-12-18T03:00:00Z', cis: ['dc-2'] }, 'mgr');
        const schema = (await srv.api('GET', '/api/v1/schema')).json;
        if (JSON.stringify(schema).includes('"freezes"'))
            await srv.api('POST', '/api/v1/freezes', { body: { title: 'Year-end freeze', start: '2026-12-28T00:00:00Z', end: '2026-12-31T16:00:00Z', reason: 'year end' } });
        browser = await launch();
        page = await openPage(browser);
        await login(page, base, 'eng', USER_PASSWORD);
        await page.getByRole('link', { name: 'Calendar' }).waitFor();
    });
    after(async () => {
        await browser?.close();
        await srv?.stop();
    });

    test('cal-ui-1 the month view: entries, conflicts marked and listed, freeze shading', async () => {
        await page.getByRole('link', { name: 'Calendar' }).click();
        await page.getByRole('heading', { name: 'Operations calendar' }).waitFor();
        await page.goto(`${base}/calendar?view=month&date=2026-12-16`);
        await page.locator('[data-testid=cal-period]', { hasText: 'December 2026' }).waitFor();
        const day = page.locator('td[data-day="2026-12-16"]');
        await day.locator(`li[data-number="${rel}"]`).waitFor();
        assert.match(await day.locator(`li[data-number="${rel}"]`).getAttribute('class'), /conflict/);
        assert.match(await day.locator(`li[data-number="${ev}"]`).getAttribute('class'), /conflict/);
        assert.equal(await day.getByRole('img', { name: 'Conflict' }).count(), 2);
        const drill = page.locator('td[data-day="2026-12-18"] li.entry');
        assert.doesNotMatch(await drill.getAttribute('class'), /conflict/);
        assert.match(await drill.textContent(), /Drill/);
        const list = await page.locator('[data-testid=cal-conflicts]').textContent();
        assert.match(list, /Same CI db-01 at overlapping times/);
        assert.match(list, new RegExp(`${rel}.*${ev}|${ev}.*${rel}`));
        if ((await srv.api('GET', '/api/v1/calendar?month=2026-12')).json.items.some((x) => x.freeze)) {
            assert.equal(await page.locator('td[data-day="2026-12-29"]').getAttribute('data-frozen'), 'true');
            assert.equal(await page.locator('td[data-day="2026-12-16"]').getAttribute('data-frozen'), null);
        }
        await shot(page, 'calendar-month');
        // an entry leads to its record
        await day.locator(`li[data-number="${ev}"] a`).click();
        await page.locator('[data-testid=record-title]', { hasText: 'DB patching' }).waitFor();
        assertClean(assert, page, 'calendar month');
    });

    test('cal-ui-2 the week view and moving between periods', async () => {
        await page.goto(`${base}/calendar?view=month&date=2026-12-16`);
        await page.locator('[data-testid=cal-period]', { hasText: 'December 2026' }).waitFor();
        await page.getByRole('button', { name: 'Week' }).click();
        await page.locator('[data-testid=cal-period]', { hasText: 'Dec 14, 2026' }).waitFor();
        assert.equal(await page.getByRole('button', { name: 'Week' }).getAttribute('aria-pressed'), 'true');
        assert.equal(await page.locator('table.cal-grid tbody tr').count(), 1);
        const entry = page.locator(`td[data-day="2026-12-16"] li[data-number="${rel}"]`);
        await entry.waitFor();
        assert.match(await entry.textContent(), /18:00–20:00/, 'times in the browser\'s zone (Asia/Shanghai)');
        await shot(page, 'calendar-week');
        await page.getByRole('button', { name: 'Next' }).click();
        await page.locator('[data-testid=cal-period]', { hasText: 'Dec 21, 2026' }).waitFor();
        assert.equal(await page.locator(`li[data-number="${rel}"]`).count(), 0);
        await page.getByRole('button', { name: 'Previous' }).click();
        await page.locator(`td[data-day="2026-12-16"] li[data-number="${rel}"]`).waitFor();
        await page.getByRole('button', { name: 'Month' }).click();
        await page.locator('[data-testid=cal-period]', { hasText: 'December 2026' }).waitFor();
        assert.match(page.url(), /view=month/);
        assertClean(assert, page, 'calendar week');
    });

    test('cal-ui-3 an iCalendar feed made, read by a client and revoked from the page', async () => {
        await page.goto(`${base}/calendar?view=month&date=2026-12-16`);
        await page.getByLabel('Feed name').fill('My phone');
        await page.getByLabel(/^Team/).fill('nobody-team');
        await page.getByRole('button', { name: 'Create feed' }).click();
        await page.locator('#fd-team-err').waitFor();
        await page.getByLabel(/^Team/).fill('');
        await page.getByRole('button', { name: 'Create feed' }).click();
        const url = (await page.locator('[data-testid=feed-url]').textContent()).trim();
        assert.match(url, /\/ical\/olcal_[\w-]+\.ics$/);
        const feed = await request(srv.url, 'GET', new URL(url).pathname);
        assert.equal(feed.status, 200);
        assert.match(feed.text, /BEGIN:VCALENDAR\r\n/);
        assert.match(feed.text, new RegExp(`UID:${rel}@opsledger`));
        await page.locator('[data-testid=feeds]', { hasText: 'My phone' }).waitFor();
        await shot(page, 'calendar-feeds');
        await page.getByRole('button', { name: 'Revoke My phone' }).click();
        await page.locator('[data-testid=feeds] td', { hasText: 'Revoked' }).waitFor();
        assert.equal((await request(srv.url, 'GET', new URL(url).pathname)).status, 404);
        assertClean(assert, page, 'calendar feeds');
    });

    test('rel-ui-1 the release stages panel: a reading, the next stage, the circuit breaker', async () => {
        await page.goto(`${base}/records/releases/${rel}`);
        await page.getByRole('heading', { name: 'Gray release stages' }).waitFor();
        const stages = page.locator('[data-testid=stages] li');
        assert.equal(await stages.count(), 2);
        assert.equal(await stages.nth(0).getAttribute('data-status'), 'active');
        assert.equal(await stages.nth(0).getAttribute('aria-current'), 'step');
        assert.match(await stages.nth(0).textContent(), /20%/);
        await page.getByLabel(/^error_rate/).fill('0.3');
        await page.getByLabel(/^latency_ms/).fill('150');
        await page.getByRole('button', { name: 'Record reading' }).click();
        await page.locator('[data-testid=gate-status]', { hasText: 'Passed' }).waitFor();
        // widen to 100%
        await page.getByRole('button', { name: 'Widen to the next stage', exact: true }).click();
        await page.getByRole('button', { name: 'Confirm' }).click();
        await page.locator('[data-testid=stages] li[data-status=active]', { hasText: '100%' }).waitFor();
        assert.equal(await stages.nth(0).getAttribute('data-status'), 'passed');
        await shot(page, 'release-stages');
        // a failing reading trips the circuit breaker
        await page.getByLabel(/^error_rate/).fill('7.5');
        await page.getByLabel(/^latency_ms/).fill('150');
        await page.getByRole('button', { name: 'Record reading' }).click();
        await page.locator('[data-testid=record-state]', { hasText: 'Rolled back' }).waitFor();
        await page.locator('[data-testid=breaker]').waitFor();
        assert.equal(await page.locator('[data-testid=stages] li[data-status=rolled_back]').count(), 1);
        const log = await page.locator('[data-testid=rollout-log]').textContent();
        assert.match(log, /error_rate 7\.5 > 1/);
        assert.match(await page.locator('#hi-h + table').textContent(), /circuit breaker/);
        await shot(page, 'release-circuit-breaker');
        assertClean(assert, page, 'release stages');
    });
});
