// tests/web/cmdb.test.mjs - the CMDB in a browser (issue 7 "the CMDB relationship graph with the
// impact of a CI highlighted"; REQUIREMENTS K2, K4): CIs and relationships made through the API;
// a business service's impact down and a server's impact up drawn as a graph (the chosen CI
// highlighted, nodes by depth, business services marked) with every CI in the table; a click on
// a node opens that CI; a relationship added (target found by its unique ID) and removed in the
// UI; a large answer drawn capped with the table complete; a sampled audit's findings recorded
// in the UI with the accuracy report; a CI title carrying markup stays text; in Chinese too.
// Zero console errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, USER_PASSWORD, backends, startServer } from '../api/harness.mjs';
import { assertClean, baseOf, launch, login, openPage, shot } from './browser.mjs';

const XSS = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>';

for (const backend of backends()) {
    describe(`the CMDB in the browser [${backend}]`, () => {
        let srv, browser, page, base;
        const snap = (p, name) => shot(p, backend === 'sqlite' ? name : `${name}-${backend}`);
        const ci = {}; // name -> record

        async function mk(name, fields) {
            const r = await srv.api('POST', '/api/v1/cis', { body: { business_impact: 'medium', ...fields } });
            assert.equal(r.status, 201, r.text);
            ci[name] = r.json;
            return r.json;
        }
        async function relate(a, type, b) {
            const r = await srv.api('POST', `/api/v1/cis/${ci[a].number}/relations`, { body: { type, target: ci[b].number } });
            assert.equal(r.status, 201, r.text);
        }
        // the impact table's rows as "depth number"
        const tableRows = async () =>
            (await page.locator('[data-testid=impact-table] tbody tr').evaluateAll((trs) =>
                trs.map((tr) => `${tr.cells[0].textContent.replace(/\D+$/, '').trim()} ${tr.cells[1].textContent.trim()}`)));

        before(async () => {
            srv = await startServer({ backend, users: [{ name: 'desk', roles: ['service_desk'] }, { name: 'scoped', roles: ['service_desk'] }] });
            base = baseOf(srv);
            await mk('bs', { title: 'CRM 客户关系管理 (Shanghai)', ci_id: 'CRM-Prod-Shanghai', class: 'business_service', business_impact: 'high' });
            await mk('app', { title: 'CRM application', ci_id: 'CRM-APP-01', class: 'application' });
            await mk('db', { title: 'Oracle for APP01', ci_id: 'Oracle-19c-APP01', class: 'database', business_impact: 'high' });
            await mk('srvA', { title: 'App server A', ci_id: 'CSW-SRV-A', class: 'server' });
            await mk('srvB', { title: 'DB server B', ci_id: 'CSW-SRV-B', class: 'server' });
            await mk('sw', { title: 'Core switch', ci_id: 'CSW-210231A3TQB194000005', class: 'network_device', location: 'DC1 row 3' });
            await mk('xss', { title: XSS, ci_id: 'XSS-APP', class: 'application' });
            await mk('backup', { title: 'Backup appliance', ci_id: 'BKP-01', class: 'storage' });
            await relate('bs', 'uses', 'app');
            await relate('bs', 'contains', 'xss');
            await relate('srvA', 'hosts', 'app');
            await relate('app', 'depends_on', 'db');
            await relate('db', 'runs_on', 'srvB');
            await relate('srvB', 'connects_to', 'sw');
            browser = await launch();
            page = await openPage(browser);
            await login(page, base, 'admin', ADMIN_PASSWORD);
            await page.getByRole('heading', { name: 'Welcome, admin' }).waitFor();
        });
        after(async () => {
            await browser?.close();
            await srv?.stop();
        });

        test('cmdb-ui-1 a business service: impact down, drawn and tabled, the service highlighted', async () => {
            await page.goto(`${base}/records/cis/${ci.bs.number}`);
            await page.getByRole('heading', { name: 'Impact analysis' }).waitFor();
            assert.equal(await page.locator('#im-dir').inputValue(), 'down', 'a business service is analysed for what it depends on');
            await page.locator('[data-testid=impact-table] tbody tr').nth(6).waitFor();
            const rows = await tableRows();
            assert.equal(rows[0], `0 ${ci.bs.number}`, 'the chosen CI first');
            assert.deepEqual(rows.slice(1).sort(), [`1 ${ci.app.number}`, `1 ${ci.xss.number}`, `2 ${ci.db.number}`, `2 ${ci.srvA.number}`,
                `3 ${ci.srvB.number}`, `4 ${ci.sw.number}`].sort());
            const root = page.locator('[data-testid=impact-table] tr[aria-current=true]');
            assert.match(await root.textContent(), new RegExp(`chosen CI${ci.bs.number}`));
            const swRow = page.locator('[data-testid=impact-table] tbody tr', { hasText: ci.sw.number });
            assert.match(await swRow.textContent(), new RegExp(`connects to · ${ci.srvB.number}`));
            assert.match(await swRow.textContent(), new RegExp(`${ci.bs.number} → ${ci.app.number} → ${ci.db.number} → ${ci.srvB.number} → ${ci.sw.number}`));
            assert.match(await page.locator('[data-testid=impact-summary]').textContent(), /^This CI depends on 6 CIs within depth 5\. Highest business impact: High\.$/);
            // the graph: every CI drawn (labels are SVG text), the chosen one in the accent colour
            const fig = page.locator('figure.impact-graph');
            assert.equal(await fig.getAttribute('data-root'), ci.bs.number);
            assert.equal(await fig.getAttribute('data-drawn'), '6');
            const svg = fig.locator('svg');
            await svg.locator('text', { hasText: ci.sw.number }).first().waitFor();
            const labels = await svg.locator('text').allTextContents();
            for (const k of ['bs', 'app', 'db', 'srvA', 'srvB', 'sw', 'xss'])
                assert.ok(labels.some((l) => l.includes(ci[k].number)), `${k} drawn: ${labels.join(' | ')}`);
            for (const rel of ['uses', 'contains', 'hosts', 'depends on', 'runs on', 'connects to'])
                assert.ok(labels.includes(rel), `edge labelled ${rel}`);
            const fills = await svg.locator('path').evaluateAll((ps) => ps.map((p) => (p.getAttribute('fill') || '').toLowerCase()));
            assert.ok(fills.some((f) => f === '#1f4e79' || f === 'rgb(31,78,121)'), `the chosen CI highlighted: ${[...new Set(fills)].join(' ')}`);
            assert.ok(fills.some((f) => f === '#b3261e' || f === 'rgb(179,38,30)'), 'depth 1 coloured');
            assert.match(await fig.locator('.impact-legend').textContent(), /chosen CI.*depth 1.*depth 4.*business service/s);
            // the XSS payload in a CI title is text in the table and in the graph
            await page.waitForTimeout(300);
            assert.equal(await page.evaluate(() => window.__xss), undefined);
            assert.equal(await page.locator('main img[src=x], main script').count(), 0);
            assert.equal(await page.locator('[data-testid=impact-table] td', { hasText: XSS }).count(), 1);
            await fig.locator('svg text', { hasText: ci.xss.number }).first().hover();
            await fig.locator('div', { hasText: '<img src=x onerror=' }).last().waitFor(); // the tooltip, as text
            await page.waitForTimeout(300);
            assert.equal(await page.evaluate(() => window.__xss), undefined);
            assert.equal(await page.locator('main img[src=x], main script').count(), 0);
            await snap(page, 'cmdb-impact-down');
            assertClean(assert, page, 'impact down');
        });

        test('cmdb-ui-2 a server: impact up reaches the business service; a click on a node opens that CI', async () => {
            await page.goto(`${base}/records/cis/${ci.srvB.number}`);
            await page.getByRole('heading', { name: 'Relationships' }).waitFor();
            assert.equal(await page.locator('#im-dir').inputValue(), 'up');
            await page.locator('[data-testid=impact-table] tbody tr').nth(3).waitFor();
            assert.deepEqual(await tableRows(), [`0 ${ci.srvB.number}`, `1 ${ci.db.number}`, `2 ${ci.app.number}`, `3 ${ci.bs.number}`]);
            assert.match(await page.locator('[data-testid=impact-table] tr', { hasText: ci.bs.number }).textContent(), /business service/);
            assert.match(await page.locator('[data-testid=impact-summary]').textContent(), new RegExp(`An outage reaches 3 CIs within depth 5\\. Business services: ${ci.bs.number}\\.`));
            // the relationships of the server, both ways
            const rels = await page.locator('[data-testid=relations] tbody tr').allTextContents();
            assert.equal(rels.length, 2, rels.join(' | '));
            assert.ok(rels.some((r) => r.includes('To this CI') && r.includes('← runs on this CI') && r.includes(ci.db.number)), rels.join(' | '));
            assert.ok(rels.some((r) => r.includes('From this CI') && r.includes('this CI connects to →') && r.includes(ci.sw.number)), rels.join(' | '));
            // depth 1 only: the service is beyond
            await page.locator('#im-depth').selectOption('1');
            await page.getByRole('button', { name: 'Analyse' }).click();
            await page.locator('[data-testid=impact-summary]', { hasText: 'reaches 1 CIs within depth 1' }).waitFor();
            assert.deepEqual(await tableRows(), [`0 ${ci.srvB.number}`, `1 ${ci.db.number}`]);
            await page.locator('#im-depth').selectOption('5');
            await page.getByRole('button', { name: 'Analyse' }).click();
            await page.locator('[data-testid=impact-table] tbody tr').nth(3).waitFor();
            await snap(page, 'cmdb-impact-up');
            // a click on the application's node opens it
            await page.locator('figure.impact-graph svg text', { hasText: ci.app.number }).first().click();
            await page.waitForURL(`${base}/records/cis/${ci.app.number}`);
            await page.locator('[data-testid=record-title]', { hasText: 'CRM application' }).waitFor();
            // and a number in the table opens its CI
            await page.locator('[data-testid=impact-table]').getByRole('link', { name: ci.bs.number }).click();
            await page.waitForURL(`${base}/records/cis/${ci.bs.number}`);
            assertClean(assert, page, 'impact up');
        });

        test('cmdb-ui-3 a relationship added by unique ID and removed in the UI; the impact follows', async () => {
            await page.goto(`${base}/records/cis/${ci.srvA.number}`);
            await page.getByRole('heading', { name: 'Relationships' }).waitFor();
            await page.locator('[data-testid=impact-summary]').waitFor();
            // a target nothing matches is named beside the field
            await page.locator('#rel-type').selectOption('backs_up');
            await page.locator('#rel-target').fill('NO-SUCH-CI-ZZZ');
            await page.getByRole('button', { name: 'Add relationship' }).click();
            await page.locator('#rel-target-err', { hasText: 'No CI matches “NO-SUCH-CI-ZZZ”' }).waitFor();
            assert.equal(await page.locator('#rel-target').getAttribute('aria-invalid'), 'true');
            // the backup appliance backs up this server: added from this side, target found by ci_id
            await page.locator('#rel-target').fill('BKP-01');
            await page.getByRole('button', { name: 'Add relationship' }).click();
            await page.getByRole('status').filter({ hasText: `Relationship added: ${ci.srvA.number} backs up ${ci.backup.number}.` }).waitFor();
            const row = page.locator('[data-testid=relations] tbody tr', { hasText: ci.backup.number });
            assert.match(await row.textContent(), /From this CI.*this CI backs up →.*Backup appliance/);
            // backs_up: the target depends on the source, so the backup is reached going up
            await page.locator('[data-testid=impact-table] tr', { hasText: ci.backup.number }).waitFor();
            const hist = await page.locator('section[aria-labelledby=hi-h] tbody tr').allTextContents();
            assert.ok(hist.some((h) => h.includes(ci.backup.number)), `history shows the relation: ${hist.join(' | ')}`);
            const api = await srv.api('GET', `/api/v1/cis/${ci.backup.number}/relations`);
            assert.deepEqual(api.json.items.map((i) => [i.direction, i.type, i.source]), [['incoming', 'backs_up', ci.srvA.number]]);
            await snap(page, 'cmdb-relations');
            // removed from the other end
            await page.goto(`${base}/records/cis/${ci.backup.number}`);
            await page.getByRole('button', { name: `Remove the relationship “← backs up this CI” ${ci.srvA.number}` }).click();
            await page.getByRole('status').filter({ hasText: `Relationship removed: ${ci.srvA.number} backs up ${ci.backup.number}.` }).waitFor();
            await page.getByText('No relationships yet.').waitFor();
            assert.equal((await srv.api('GET', `/api/v1/cis/${ci.backup.number}/relations`)).json.items.length, 0);
            const audit = (await srv.api('GET', '/api/v1/audit?limit=50')).json.items.map((e) => e.action);
            assert.ok(audit.includes('ci.relate') && audit.includes('ci.unrelate'));
            assertClean(assert, page, 'relations');
        });

        test('cmdb-ui-4 a reader sees relationships and impact but no write controls', async () => {
            const p = await openPage(browser);
            await login(p, base, 'desk', USER_PASSWORD);
            await p.getByRole('heading', { name: 'Welcome, desk' }).waitFor();
            await p.goto(`${base}/records/cis/${ci.db.number}`);
            await p.locator('[data-testid=relations] tbody tr').nth(1).waitFor();
            await p.locator('[data-testid=impact-table] tbody tr').nth(1).waitFor();
            assert.equal(await p.locator('#rel-target').count(), 0);
            assert.equal(await p.locator('[data-testid=relations] button').count(), 0);
            assertClean(assert, p, 'reader');
            await p.context().close();
        });

        test('cmdb-ui-5 hundreds of CIs: 150 drawn, the rest counted, the table complete', async () => {
            await mk('hub', { title: 'Blade chassis', ci_id: 'HUB-1', class: 'server' });
            const items = Array.from({ length: 200 }, (_, k) => ({ ci_id: `VM-${k}`, title: `Virtual machine ${k}`, class: 'server', business_impact: 'low' }));
            const d = await srv.api('POST', '/api/v1/cis/discovery', { body: { items } });
            assert.equal(d.status, 200, d.text);
            assert.equal(d.json.created, 200);
            for (const it of d.json.report) {
                const r = await srv.api('POST', `/api/v1/cis/${ci.hub.number}/relations`, { body: { type: 'hosts', target: it.number } });
                assert.equal(r.status, 201, r.text);
            }
            await page.goto(`${base}/records/cis/${ci.hub.number}`);
            await page.locator('[data-testid=impact-capped]').waitFor();
            assert.equal(await page.locator('[data-testid=impact-capped]').textContent(), '150 of 200 CIs are drawn; 50 more are left out of the graph. The table lists them all.');
            assert.equal(await page.locator('[data-testid=impact-table] tbody tr').count(), 201);
            assert.equal(await page.locator('figure.impact-graph').getAttribute('data-drawn'), '150');
            await page.locator('figure.impact-graph svg').waitFor();
            await snap(page, 'cmdb-impact-capped');
            assertClean(assert, page, 'capped');
        });

        test('cmdb-ui-6 a sampled audit: findings recorded in the UI, a correction, the accuracy report', async () => {
            await mk('sw2', { title: 'Access switch', ci_id: 'CSW-ACCESS-2', class: 'network_device', location: 'DC1 row 4', group: 'net-team' });
            const a = await srv.api('POST', '/api/v1/ci_audits', { body: { title: 'Network devices Q4', classes: ['network_device'], sample_percent: 100 } });
            assert.equal(a.status, 201, a.text);
            const n = a.json.number;
            await page.goto(`${base}/records/ci_audits/${n}`);
            await page.getByText('No items (the sample is drawn when the audit starts).').waitFor();
            await page.getByRole('button', { name: 'Start' }).click();
            await page.locator('.transition').getByRole('button', { name: 'Confirm' }).click();
            const items = page.locator('[data-testid=audit-items] tbody tr');
            await items.nth(1).waitFor();
            assert.equal(await items.count(), 2);
            assert.match(await page.locator('[data-testid=audit-accuracy]').textContent(), /No CI checked yet/);
            // the core switch is where the CMDB says
            await page.getByLabel(`Note on ${ci.sw.number}`).fill('seen on site');
            await page.getByRole('button', { name: `${ci.sw.number}: Matched` }).click();
            await page.getByRole('status').filter({ hasText: `${ci.sw.number}: Matched recorded.` }).waitFor();
            // the access switch moved: a malformed correction is refused beside its field, then fixed
            await page.getByLabel(`Corrections to ${ci.sw2.number} (field=value; …)`).fill('DC2 row 9');
            await page.getByRole('button', { name: `${ci.sw2.number}: Mismatched` }).click();
            await page.getByText('“DC2 row 9” is not field=value.').waitFor();
            // a field CIs do not have: refused by the server, nothing recorded
            await page.getByLabel(`Corrections to ${ci.sw2.number} (field=value; …)`).fill('colour=red');
            await page.getByRole('button', { name: `${ci.sw2.number}: Mismatched` }).click();
            await page.locator('.alert').waitFor();
            assert.match(await items.filter({ hasText: ci.sw2.number }).locator('[data-testid=item-status]').textContent(), /^Unaudited$/);
            await page.getByLabel(`Corrections to ${ci.sw2.number} (field=value; …)`).fill('location=DC2 row 9');
            await page.getByRole('button', { name: `${ci.sw2.number}: Mismatched` }).click();
            await page.getByRole('status').filter({ hasText: `${ci.sw2.number}: Mismatched recorded.` }).waitFor();
            assert.match(await items.filter({ hasText: ci.sw.number }).locator('[data-testid=item-status]').textContent(), /Matched \(admin, /);
            assert.match(await items.filter({ hasText: ci.sw2.number }).locator('[data-testid=item-status]').textContent(), /Mismatched.*corrected/);
            assert.match(await page.locator('[data-testid=audit-accuracy]').textContent(), /Accuracy 50 % \(target 98 %\):\s*below the target/);
            assert.equal(await page.locator('[data-count=matched]').textContent(), '1');
            assert.equal(await page.locator('[data-count=corrected]').textContent(), '1');
            assert.equal((await srv.api('GET', `/api/v1/cis/${ci.sw2.number}`)).json.location, 'DC2 row 9');
            const it = (await srv.api('GET', `/api/v1/ci_audits/${n}/items`)).json.items.find((i) => i.ci.number === ci.sw.number);
            assert.equal(it.status, 'matched');
            assert.equal(it.note, 'seen on site');
            await snap(page, 'cmdb-audit');
            assertClean(assert, page, 'audit');
        });

        test('cmdb-ui-7 in Chinese', async () => {
            await page.goto(`${base}/records/cis/${ci.srvB.number}`);
            await page.locator('#lang').selectOption('zh-CN');
            await page.getByRole('heading', { name: '影响分析' }).waitFor();
            await page.getByRole('heading', { name: '关系' }).waitFor();
            await page.locator('[data-testid=impact-summary]', { hasText: '故障在 5 层内波及 3 个配置项。' }).waitFor();
            assert.match(await page.locator('figure.impact-graph figcaption').textContent(), new RegExp(`${ci.srvB.number} 故障的影响范围`));
            await page.locator('figure.impact-graph svg text', { hasText: '运行于' }).first().waitFor();
            await snap(page, 'cmdb-impact-zh');
            await page.locator('#lang').selectOption('en');
            assertClean(assert, page, 'zh-CN');
        });

        test('cmdb-ui-8 a reader with a data scope: a CI outside it is a row and a grey node without its details (S5)', async () => {
            assert.equal((await srv.api('POST', '/api/v1/groups', { body: { name: 'ui-in' } })).status, 201);
            assert.equal((await srv.api('POST', '/api/v1/groups/ui-in/members', { body: { username: 'scoped' } })).status, 200);
            assert.equal((await srv.api('PUT', '/api/v1/users/scoped/access', { body: { data_scope: 'group' } })).status, 200);
            await mk('inSw', { title: 'Scoped switch', ci_id: 'UI-IN-SW', class: 'network_device', group: 'ui-in' });
            await mk('outHost', { title: 'Host they may not see', ci_id: 'UI-OUT-HOST', class: 'server' });
            await mk('inApp', { title: 'Scoped application', ci_id: 'UI-IN-APP', class: 'application', group: 'ui-in' });
            await relate('outHost', 'connects_to', 'inSw');
            await relate('inApp', 'runs_on', 'outHost');
            const p = await openPage(browser);
            await login(p, base, 'scoped', USER_PASSWORD);
            await p.getByRole('heading', { name: 'Welcome, scoped' }).waitFor();
            await p.goto(`${base}/records/cis/${ci.inSw.number}`);
            await p.locator('[data-testid=impact-table] tbody tr').nth(2).waitFor();
            assert.equal(await p.locator('[data-testid=impact-hidden]').textContent(),
                'CIs outside your data scope, shown without their details: 1.');
            const hiddenRow = p.locator('[data-testid=impact-table] tbody tr').nth(1);
            assert.match(await hiddenRow.textContent(), /CI outside your data scope \(hidden-1\)/);
            const appRow = p.locator('[data-testid=impact-table] tbody tr', { hasText: ci.inApp.number });
            assert.match(await appRow.textContent(), new RegExp(`runs on · hidden-1.*${ci.inSw.number} → hidden-1 → ${ci.inApp.number}`));
            await p.locator('figure.impact-graph svg text', { hasText: ci.inApp.number }).first().waitFor();
            // (the CI's own history still names what was related to it, as its relations did)
            const body = (await p.locator('section[aria-labelledby=im-h]').textContent()) +
                (await p.getByRole('region', { name: 'Relationships' }).count() ? await p.locator('[data-testid=relations]').textContent() : '');
            assert.equal(await p.locator('[data-testid=relations-hidden]').textContent(), 'Relationships to CIs outside your data scope, not shown: 1.');
            const labels = (await p.locator('figure.impact-graph svg text').allTextContents()).join(' ');
            for (const secret of [ci.outHost.number, 'Host they may not see', 'UI-OUT-HOST'])
                assert.ok(!body.includes(secret) && !labels.includes(secret), `${secret} shown`);
            assertClean(assert, p, 'scoped reader');
            await p.context().close();
        });
    });
}
