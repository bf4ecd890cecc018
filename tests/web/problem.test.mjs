// tests/web/problem.test.mjs - Q3 in a browser: while a new incident's title is typed, the
// known error of the same words and a published article are suggested beside the form, in
// Chinese, with the known error's workaround; a link opens the known error. Zero console errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, startServer } from '../api/harness.mjs';
import { assertClean, baseOf, launch, login, openPage, shot } from './browser.mjs';

describe('known errors suggested while an incident is typed', () => {
    let srv, browser, page, base, ke;

    before(async () => {
        srv = await startServer({});
        base = baseOf(srv);
        const p = await srv.api('POST', '/api/v1/problems', {
            body: {
                title: '数据库连接池耗尽导致交易超时', problem_type: 'known_error',
                root_cause: '连接泄漏', workaround: '重启应用释放连接',
            },
        });
        assert.equal(p.status, 201, p.text);
        ke = p.json;
        browser = await launch();
        page = await openPage(browser);
    });
    after(async () => {
        await browser?.close();
        await srv?.stop();
    });

    test('kedb-ui-1 the known error appears while the title is typed', async () => {
        await login(page, base, 'admin', ADMIN_PASSWORD);
        await page.getByRole('heading', { name: 'Welcome, admin' }).waitFor();
        await page.goto(`${base}/records/incidents/new`);
        await page.getByRole('heading', { name: 'New Incident' }).waitFor();
        await page.getByLabel('Title').pressSequentially('交易系统数据库连接池报错', { delay: 20 });
        const box = page.locator('[data-test=kedb-suggest]');
        await box.waitFor();
        await box.getByRole('link', { name: ke.number }).waitFor();
        assert.match(await box.textContent(), /重启应用释放连接/);
        await shot(page, 'kedb-suggest');
        // Clearing the text clears the suggestions.
        await page.getByLabel('Title').fill('');
        await box.waitFor({ state: 'detached' });
        assertClean(assert, page, 'kedb suggestions');
    });
});
