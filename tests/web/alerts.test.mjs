// tests/web/alerts.test.mjs - monitoring in a browser (I1, issue 5 admin screens, issue 6 "alerts
// shown on the incident they were merged into"): an administrator creates an Alertmanager
// integration in the Integrations screen, sees its token once with the configuration snippet,
// and copies it; alerts posted with that token through the intake API appear on the incident's
// alerts panel (name, firing/resolved, count, first/last seen, labels, source link only for
// http(s) URLs) and the storm the parent incident leads; a payload in a label renders inert;
// revoking the integration in the screen stops its token. Zero console errors; screenshots.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, backends, request, startServer } from '../api/harness.mjs';
import { assertClean, baseOf, launch, login, openPage, shot } from './browser.mjs';

const PAYLOAD = '<img src=x onerror="window.__xss=1;alert(1)">';

// On SQLite, and on PostgreSQL when a test cluster is set (OPSLEDGER_TEST_PG_CLUSTER).
for (const backend of backends()) {
    describe(`integrations and alerts in the web UI (${backend})`, () => {
        let srv, browser, page, base, token, single, parent;

        const webhook = (alerts) => request(srv.url, 'POST', '/api/v1/integrations/alertmanager', {
            token,
            body: { version: '4', status: 'firing', receiver: 'opsledger', groupKey: '{}:{alertname="x"}', alerts },
        });

        before(async () => {
            srv = await startServer({ backend, args: ['--intake_storm_threshold', '2'] });
            base = baseOf(srv);
            browser = await launch();
            page = await openPage(browser);
            await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
            await login(page, base, 'admin', ADMIN_PASSWORD);
            await page.getByRole('heading', { name: 'Welcome, admin' }).waitFor();
        });
        after(async () => {
            await browser?.close();
            await srv?.stop();
        });

        test('alerts-ui-1 an integration is created; its token is shown once with the snippet and copied', async () => {
            await page.getByRole('link', { name: 'Integrations' }).click();
            await page.getByRole('heading', { name: 'Monitoring integrations' }).waitFor();
            await page.getByText('No integration yet.').waitFor();
            await page.getByLabel('Name').fill('Bad Name');
            await page.getByRole('button', { name: 'Create integration' }).click();
            await page.locator('.field.invalid #in-name').waitFor(); // the server names the field
            await page.getByLabel('Name').fill('prom-prod');
            await page.getByLabel('Kind').selectOption('alertmanager');
            await page.getByLabel('Assignment group').fill('基础运维');
            await page.getByRole('button', { name: 'Create integration' }).click();
            await page.getByText('Integration prom-prod is created.').waitFor();
            token = await page.locator('#tok-value').inputValue();
            assert.match(token, /^oli_[A-Za-z0-9_-]{43}$/);
            const snippet = await page.locator('[data-testid=snippet]').textContent();
            assert.ok(snippet.includes(`url: ${base}/api/v1/integrations/alertmanager`), snippet);
            assert.match(snippet, /send_resolved: true/);
            await page.getByRole('button', { name: 'Copy token' }).click();
            await page.getByText(/^(Copied\.|Copying failed: select the token and copy it\.)$/).waitFor();
            const clip = await page.evaluate(() => navigator.clipboard.readText().catch(() => null));
            if (clip !== null) assert.equal(clip, token);
            await shot(page, 'integration-token');
            await page.getByRole('button', { name: 'Done: hide the token' }).click();
            assert.equal(await page.locator('#tok-value').count(), 0);
            const row = page.locator('[data-integration=prom-prod]');
            assert.match(await row.textContent(), /alertmanager.*基础运维.*never.*Active/s);
            assert.ok(!(await page.locator('main').textContent()).includes(token), 'the token is gone from the page');
            assertClean(assert, page, 'integrations');
        });

        test('alerts-ui-2 alerts posted with the token show on their incident, labels inert, links only for http(s)', async () => {
            const alert = {
                status: 'firing', fingerprint: 'fp-disk-1',
                labels: { alertname: 'DiskFull', instance: 'db1:9100', severity: 'critical', note: PAYLOAD },
                annotations: { summary: '磁盘使用率 95%' },
                startsAt: '2026-12-06T01:00:00Z', generatorURL: 'http://prometheus.example:9090/graph?g0.expr=disk',
            };
            let r = await webhook([alert]);
            assert.equal(r.status, 200, r.text);
            single = r.json.alerts[0].incident;
            r = await webhook([alert]); // repeated: counted on the same alert
            assert.equal(r.json.alerts[0].incident, single);
            r = await webhook([{ status: 'firing', fingerprint: 'fp-js', labels: { alertname: 'Odd', instance: 'x1' }, generatorURL: 'javascript:window.__xss=2' }]);
            const odd = r.json.alerts[0].incident;

            await page.goto(`${base}/records/incidents/${single}`);
            const panel = page.locator('[data-testid=alerts]');
            await panel.getByRole('heading', { name: 'Monitoring alerts' }).waitFor();
            const row = panel.locator('tr[data-alert=fp-disk-1]');
            assert.match(await row.textContent(), /DiskFull.*Firing/s);
            assert.equal((await row.locator('td').nth(2).textContent()).trim(), '2');
            assert.match(await panel.textContent(), /1 alerts, 2 notifications in all\./);
            const labels = await row.locator('[data-testid=alert-label]').allTextContents();
            assert.ok(labels.includes(`note=${PAYLOAD}`), labels.join(' | '));
            assert.ok(labels.includes('instance=db1:9100'));
            const link = row.locator('a[data-testid=alert-source]');
            assert.equal(await link.getAttribute('href'), 'http://prometheus.example:9090/graph?g0.expr=disk');
            assert.equal(await link.getAttribute('rel'), 'noopener noreferrer nofollow');
            await shot(page, 'incident-alerts');
            await page.waitForTimeout(200);
            assert.equal(await page.evaluate(() => window.__xss), undefined);
            assert.equal(await page.locator('main img').count(), 0);
            assertClean(assert, page, 'alerts panel');

            await page.goto(`${base}/records/incidents/${odd}`);
            await page.locator('[data-testid=alerts]').waitFor();
            assert.equal(await page.locator('a[data-testid=alert-source]').count(), 0, 'no link for javascript:');
            assert.equal(await page.locator('[data-testid=alert-source-text]').textContent(), 'javascript:window.__xss=2');
            assert.equal(await page.locator('a[href^="javascript"]').count(), 0);

            // resolved: the panel says so
            r = await webhook([{ ...alert, status: 'resolved', endsAt: '2026-12-06T02:00:00Z' }]);
            assert.equal(r.status, 200, r.text);
            await page.goto(`${base}/records/incidents/${single}`);
            await page.locator('tr[data-alert=fp-disk-1]', { hasText: 'Resolved' }).waitFor();
            assertClean(assert, page, 'resolved alert');
        });

        test('alerts-ui-3 a storm: the parent incident shows the storm it leads and its alerts', async () => {
            const alerts = Array.from({ length: 3 }, (_, i) => ({ status: 'firing', fingerprint: `st-${i}`, labels: { alertname: 'PodCrash', pod: `p${i}`, service: 'checkout' } }));
            const r = await webhook(alerts);
            assert.equal(r.status, 200, r.text);
            parent = r.json.alerts[0].incident;
            assert.ok(r.json.alerts.every((a) => a.incident === parent), r.text);
            await page.goto(`${base}/records/incidents/${parent}`);
            const storm = page.locator('[data-testid=storm]');
            await storm.waitFor();
            assert.match(await storm.textContent(), /this incident leads 3 alerts of service:checkout/);
            assert.equal(await page.locator('[data-testid=alerts] tbody tr').count(), 3);
            await shot(page, 'incident-storm');
            await page.locator('#lang').selectOption('zh-CN');
            await page.getByRole('heading', { name: '监控告警' }).waitFor();
            assert.match(await storm.textContent(), /告警风暴/);
            await page.locator('#lang').selectOption('en');
            assertClean(assert, page, 'storm');
        });

        test('alerts-ui-4 revoking the integration in the screen stops its token', async () => {
            await page.goto(`${base}/admin/integrations`);
            const row = page.locator('[data-integration=prom-prod]');
            await row.waitFor();
            assert.doesNotMatch(await row.textContent(), /never/, 'last used is shown');
            await page.getByRole('button', { name: 'Revoke prom-prod' }).click();
            await page.getByText('Integration prom-prod is revoked: its token no longer works.').waitFor();
            await row.getByText(/Revoked/).waitFor();
            assert.equal(await page.getByRole('button', { name: 'Revoke prom-prod' }).count(), 0);
            await shot(page, 'integration-revoked');
            const r = await webhook([{ status: 'firing', fingerprint: 'after', labels: { alertname: 'After' } }]);
            assert.equal(r.status, 401, r.text);
            assertClean(assert, page, 'revoke');
        });
    });
}
