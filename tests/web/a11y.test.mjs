// tests/web/a11y.test.mjs - accessibility of the main screens, checked by axe-core (WCAG 2.x A
// and AA rules: labels, names, contrast, landmarks, ARIA) at laptop and tablet widths, and
// keyboard use: the skip link comes first and reaches the content, and a form can be filled and
// sent with the keyboard alone.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, USER_PASSWORD, request, startServer } from '../api/harness.mjs';
import { ROOT, assertClean, baseOf, launch, login, openPage } from './browser.mjs';

const AXE = fs.readFileSync(createRequire(path.join(ROOT, 'web', 'package.json')).resolve('axe-core/axe.min.js'), 'utf8');

async function axe(page, what) {
    // axe is injected by the test through the DevTools protocol (the page's CSP rightly forbids
    // inline scripts, and the UI itself never loads it).
    await page.evaluate(AXE);
    const r = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
    const v = r.violations.map((x) => `${x.id} (${x.impact}): ${x.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
    assert.deepEqual(v, [], `${what}: accessibility violations`);
}

describe('accessibility', () => {
    let srv, browser, base;
    before(async () => {
        srv = await startServer({ users: [{ name: 'req1', roles: [] }, { name: 'desk1', roles: ['service_desk'] }] });
        base = baseOf(srv);
        const r = await srv.api('POST', '/api/v1/articles', { body: { title: '无障碍检查 accessibility', body: '正文足够长，可以提交审核并发布出去。', tags: ['a11y'] } });
        assert.equal(r.status, 201, r.text);
        await srv.api('POST', '/api/v1/articles/KB-000001/comments', { body: { body: '评论', kind: 'work_note' } });
        browser = await launch();
    });
    after(async () => {
        await browser?.close();
        await srv?.stop();
    });

    for (const [width, height] of [[1280, 900], [820, 1180]]) {
        test(`a11y-1 the main screens pass axe at ${width} px`, async () => {
            const page = await openPage(browser, { width, height });
            await page.goto(`${base}/login`);
            await page.locator('#username').waitFor();
            await axe(page, 'login');
            await login(page, base, 'admin', ADMIN_PASSWORD);
            await page.getByRole('heading', { name: 'Welcome, admin' }).waitFor();
            await page.locator('[data-testid=count-mine]').first().waitFor();
            await axe(page, 'home');
            await page.goto(`${base}/records/articles`);
            await page.getByRole('link', { name: 'KB-000001' }).waitFor();
            await axe(page, 'list');
            await page.goto(`${base}/records/articles/KB-000001`);
            await page.locator('[data-testid=comment-body]').waitFor();
            await page.getByRole('button', { name: 'Submit for review' }).click();
            await axe(page, 'detail');
            await page.goto(`${base}/records/articles/new`);
            await page.getByRole('button', { name: 'Save' }).click();
            await page.locator('#f-title-err').waitFor();
            await axe(page, 'form with errors');
            await page.goto(`${base}/admin/users`);
            await page.locator('#acc-user').fill('admin');
            await page.getByRole('button', { name: 'Show' }).click();
            await page.locator('[data-testid=effective-roles]').waitFor();
            await axe(page, 'users');
            await page.goto(`${base}/account/mfa`);
            await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
            await page.locator('img.qr').waitFor();
            await axe(page, 'mfa');
            assertClean(assert, page, 'a11y');
            await page.context().close();
        });
    }

    test('a11y-2 keyboard: the skip link comes first, and a comment is posted with keys alone', async () => {
        const page = await openPage(browser);
        await login(page, base, 'admin', ADMIN_PASSWORD);
        await page.getByRole('heading', { name: 'Welcome, admin' }).waitFor();
        await page.goto(`${base}/records/articles/KB-000001`);
        await page.locator('[data-testid=comment-body]').waitFor();
        await page.keyboard.press('Tab');
        assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'Skip to content');
        await page.keyboard.press('Enter');
        assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
        // Tab through the content to the comment box, type, and send with the keyboard
        for (let i = 0; i < 40 && (await page.evaluate(() => document.activeElement.id)) !== 'cm-body'; i++) await page.keyboard.press('Tab');
        assert.equal(await page.evaluate(() => document.activeElement.id), 'cm-body');
        await page.keyboard.type('键盘发表的评论');
        await page.keyboard.press('Tab'); // kind
        await page.keyboard.press('Tab'); // Post
        await page.keyboard.press('Enter');
        await page.locator('[data-testid=comment-body]', { hasText: '键盘发表的评论' }).waitFor();
        assertClean(assert, page, 'keyboard');
        await page.context().close();
    });

    test('a11y-3 the portal, the request form, confirming with stars, the integrations screen and the alerts panel pass axe', async () => {
        const ok = (r) => assert.ok(r.status < 300, r.text);
        const svc = await srv.api('POST', '/api/v1/services', { body: { title: '笔记本电脑申领', kind: 'technical', owner: 'admin', service_version: '1.0', approval_required: false, service_level: '3 个工作日交付' } });
        ok(svc);
        ok(await srv.api('POST', `/api/v1/services/${svc.json.number}/transitions/publish`, { body: {} }));
        const req = await srv.api('POST', '/api/v1/requests', { token: srv.tokens.req1, body: { title: '新员工笔记本', service: svc.json.number } });
        ok(req);
        const n = req.json.number;
        ok(await srv.api('POST', `/api/v1/requests/${n}/transitions/start`, { token: srv.tokens.desk1, body: { fields: { owner: 'desk1' } } }));
        ok(await srv.api('POST', `/api/v1/requests/${n}/transitions/fulfil`, { token: srv.tokens.desk1, body: { fields: { resolution: '已交付' } } }));
        ok(await srv.api('POST', '/api/v1/surveys', { token: srv.tokens.desk1, body: { title: '季度满意度调查', kind: 'periodic', respondent: 'req1' } }));
        for (const [width, height] of [[1280, 900], [820, 1180]]) {
            const page = await openPage(browser, { width, height });
            await login(page, base, 'req1', USER_PASSWORD);
            await page.getByRole('heading', { name: 'Welcome, req1' }).waitFor(); // the portal is a requester's home
            await page.locator('[data-testid=catalog] article').first().waitFor();
            await page.locator('[data-survey]').first().waitFor();
            await axe(page, `portal ${width}`);
            await page.goto(`${base}/portal/services/${svc.json.number}`);
            await page.getByLabel('Title').fill('');
            await page.getByRole('button', { name: 'Submit request' }).click();
            await page.locator('#f-title-err').waitFor();
            await axe(page, `request form with errors ${width}`);
            await page.goto(`${base}/portal/requests/${n}`);
            await page.getByRole('button', { name: 'Confirm and rate' }).click();
            await page.locator('#cf-rating-err').waitFor();
            await page.getByRole('button', { name: 'Complain about this request' }).click();
            await axe(page, `confirm and complain ${width}`);
            assertClean(assert, page, 'a11y portal');
            await page.context().close();
        }
        const page = await openPage(browser);
        await login(page, base, 'admin', ADMIN_PASSWORD);
        await page.getByRole('heading', { name: 'Welcome, admin' }).waitFor();
        await page.goto(`${base}/admin/integrations`);
        await page.getByLabel('Name').fill('a11y-am');
        await page.getByRole('button', { name: 'Create integration' }).click();
        const token = await page.locator('#tok-value').inputValue();
        await axe(page, 'integrations with a new token');
        const r = await request(srv.url, 'POST', '/api/v1/integrations/alertmanager', { token, body: { alerts: [{ status: 'firing', fingerprint: 'a11y', labels: { alertname: 'DiskFull', instance: 'db1' }, generatorURL: 'http://prom.example/graph' }] } });
        ok(r);
        await page.goto(`${base}/records/incidents/${r.json.alerts[0].incident}`);
        await page.locator('[data-testid=alerts]').waitFor();
        await axe(page, 'incident with alerts');
        assertClean(assert, page, 'a11y integrations');
        await page.context().close();
    });
});
