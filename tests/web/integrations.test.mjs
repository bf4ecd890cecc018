// tests/web/integrations.test.mjs - the administration of notifications (P7: a webhook channel
// created, a test notice delivered to a real receiver on 127.0.0.1, the outbox shown) and the
// read-only policies page, for administrators and auditors.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, USER_PASSWORD, startServer } from '../api/harness.mjs';
import { assertClean, baseOf, launch, login, openPage, shot } from './browser.mjs';

describe('integrations and policies in the web UI', () => {
    let srv, browser, page, base, receiver;
    const received = [];

    before(async () => {
        receiver = http.createServer((req, res) => {
            let body = '';
            req.on('data', (d) => (body += d));
            req.on('end', () => {
                received.push({ headers: req.headers, body: JSON.parse(body || '{}') });
                res.end('{}');
            });
        });
        await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
        srv = await startServer({ users: [{ name: 'aud', roles: ['auditor'] }], args: ['--lockout_threshold', '6'] });
        base = baseOf(srv);
        browser = await launch();
        page = await openPage(browser);
        await login(page, base, 'admin', ADMIN_PASSWORD);
        await page.getByRole('heading', { name: 'Welcome, admin' }).waitFor();
    });
    after(async () => {
        await browser?.close();
        await srv?.stop();
        receiver?.close();
    });

    test('int-1 a webhook channel is created and its test notice delivered; the outbox shows it sent', async () => {
        await page.getByRole('link', { name: 'Notifications' }).click();
        await page.getByRole('heading', { name: 'Notifications' }).waitFor();
        await page.locator('#ch-name').fill('ops-room');
        await page.locator('#ch-url').fill(`http://127.0.0.1:${receiver.address().port}/hook`);
        await page.locator('#ch-lang').selectOption('zh-CN');
        await page.getByRole('button', { name: 'Create channel' }).click();
        await page.getByText('Channel ops-room created.').waitFor();
        await page.getByRole('button', { name: 'Send test ops-room' }).click();
        await page.getByText('A test notice to ops-room is queued.').waitFor();
        for (let i = 0; i < 100 && !received.length; i++) await new Promise((r) => setTimeout(r, 100));
        assert.equal(received.length, 1, 'the receiver got the notice');
        assert.ok(received[0].headers['x-opsledger-notice']);
        assert.equal(received[0].body.channel, 'ops-room');
        await page.reload();
        await page.locator('table.outbox tr', { hasText: 'ops-room' }).getByRole('cell', { name: 'sent', exact: true }).waitFor();
        await shot(page, 'notifications');
        assertClean(assert, page, 'notifications');
    });

    test('int-1b a per-team rule is added (a bad one refused beside its field) and removed', async () => {
        assert.equal((await srv.api('POST', '/api/v1/groups', { body: { name: 'dba' } })).status, 201);
        await page.locator('#rule-event').fill('SLA!');
        await page.locator('#rule-channel').selectOption('ops-room');
        await page.getByRole('button', { name: 'Add rule' }).click();
        await page.locator('.field-error', { hasText: 'family' }).waitFor();
        await page.locator('#rule-event').fill('sla.*');
        await page.locator('#rule-group').fill('dba');
        await page.getByRole('button', { name: 'Add rule' }).click();
        await page.getByText('Rule added.').waitFor();
        const row = page.locator('table.rules tr', { hasText: 'dba' });
        await row.waitFor();
        assert.match(await row.textContent(), /sla\.\*.*dba.*ops-room/);
        assert.deepEqual((await srv.api('GET', '/api/v1/notification_rules')).json.items.map((r) => [r.event, r.group, r.channel]), [['sla.*', 'dba', 'ops-room']]);
        await row.getByRole('button', { name: /Remove/ }).click();
        await page.getByText('Rule removed.').waitFor();
        assert.deepEqual((await srv.api('GET', '/api/v1/notification_rules')).json.items, []);
        assertClean(assert, page, 'rules');
    });

    test('int-2 the policies page shows each setting with its default; auditors see it too, read-only', async () => {
        await page.getByRole('link', { name: 'Policies' }).click();
        const row = page.locator('tr[data-key=lockout_threshold]');
        await row.waitFor();
        assert.match(await row.textContent(), /6\s*changed.*5/s);
        await page.getByLabel('Filter').fill('password_history');
        assert.equal(await page.locator('tr[data-key]').count(), 1);
        await shot(page, 'policies');
        assertClean(assert, page, 'policies');
        const other = await openPage(browser);
        await login(other, base, 'aud', USER_PASSWORD);
        await other.getByRole('link', { name: 'Policies' }).click();
        await other.locator('tr[data-key=review_days]').waitFor();
        assert.equal(await other.getByRole('link', { name: 'Notifications' }).count(), 0, 'auditors do not administer channels');
        assertClean(assert, other, 'policies as auditor');
        await other.context().close();
    });
});
