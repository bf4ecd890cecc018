// tests/web/ui.test.mjs - the web UI in Debian's chromium against a real opsledger server:
// log in, an expired session sending the user back to the login and then to where they were,
// an edit and a concurrent change reported (412) rather than overwritten,
// a validation error beside its field, a knowledge article created and moved through its
// states, a search in Chinese, a refused incompatible role, switching the language, and TOTP
// enrolment followed by a login with a code — with zero console errors; screenshots go to
// tests/web/out/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, startServer } from '../api/harness.mjs';
import { assertClean, baseOf, launch, login, openPage, shot, totp } from './browser.mjs';

describe('web UI in a browser', () => {
    let srv, browser, page, base;
    const title = `VPN 证书过期处理 ${Date.now().toString(36)}`;
    let number;

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

    test('ui-1 log in with a password; the home page shows counts', async () => {
        await login(page, base, 'admin', ADMIN_PASSWORD);
        await page.getByRole('heading', { name: 'Welcome, admin' }).waitFor();
        await page.getByRole('link', { name: 'Knowledge article' }).first().waitFor();
        await page.locator('[data-testid=count-mine]').first().waitFor();
        await shot(page, 'home');
        assertClean(assert, page, 'home');
    });

    test('ui-2 an expired session goes back to the login and then to the page asked for', async () => {
        await page.context().clearCookies();
        await page.goto(`${base}/records/articles?state=draft`);
        await page.getByRole('heading', { name: 'Log in' }).waitFor();
        assert.match(page.url(), /\/login\?next=/);
        await page.getByLabel('User name').fill('admin');
        await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.getByRole('heading', { name: 'Knowledge article' }).waitFor();
        assert.equal(new URL(page.url()).pathname, '/records/articles');
        assert.equal(await page.locator('#flt-state').inputValue(), 'draft');
        assertClean(assert, page, 'expired session');
    });

    test('ui-3 a validation error is shown beside its field', async () => {
        await page.goto(`${base}/records/articles/new`);
        await page.getByLabel('Title').fill('ab');
        await page.getByRole('button', { name: 'Save' }).click();
        const err = page.locator('#f-title-err');
        await err.waitFor();
        assert.match(await err.textContent(), /3/);
        assert.equal(await page.getByLabel('Title').getAttribute('aria-invalid'), 'true');
        await page.getByRole('alert').waitFor();
        await shot(page, 'validation-error');
        assertClean(assert, page, 'validation');
    });

    test('ui-4 create a knowledge article and move it through its states', async () => {
        await page.getByLabel('Title').fill(title);
        await page.getByLabel('Body').fill('检查客户端证书有效期，重新导入证书后重启 VPN 客户端即可恢复连接。');
        await page.getByLabel('Category').selectOption('troubleshooting');
        await page.getByLabel('Tags').fill('vpn, 证书');
        await page.getByRole('button', { name: 'Save' }).click();
        await page.locator('[data-testid=record-title]').waitFor();
        number = (await page.locator('.num').textContent()).trim();
        assert.match(number, /^KB-\d{6}$/);
        assert.equal(await page.locator('[data-testid=record-title]').textContent(), title);
        const state = page.locator('[data-testid=record-state]');
        assert.equal(await state.textContent(), 'Draft');

        const take = async (button, to, reason) => {
            await page.getByRole('button', { name: button, exact: true }).click();
            if (reason) await page.getByLabel(/^Reason/).fill(reason);
            await page.getByRole('button', { name: 'Confirm' }).click();
            await page.locator('[data-testid=record-state]', { hasText: to }).waitFor();
        };
        await take('Submit for review', 'In review');
        // "Send back" needs a reason: the browser asks for it before anything is sent
        await page.getByRole('button', { name: 'Send back', exact: true }).click();
        assert.equal(await page.getByLabel(/^Reason/).getAttribute('required'), '');
        await page.getByRole('button', { name: 'Cancel' }).click();
        await take('Send back', 'Draft', '补充截图');
        await take('Submit for review', 'In review');
        await take('Publish', 'Published');
        await shot(page, 'article-published');
        await take('Retire', 'Retired', '已被新版替代');
        await take('Revise', 'Draft');
        // the history lists each move, with the reasons given
        const history = await page.locator('#hi-h + table').textContent();
        assert.match(history, /补充截图/);
        assert.match(history, /已被新版替代/);
        // a comment and a work note
        await page.getByLabel('Add a comment').fill('已验证：重新导入证书有效。');
        await page.getByRole('button', { name: 'Post' }).click();
        await page.locator('[data-testid=comment-body]', { hasText: '已验证' }).waitFor();
        // administrators see the record's audit trail (S8)
        await page.reload();
        await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
        assert.match(await page.locator('#au-h + table').textContent(), /record\.create/);
        assertClean(assert, page, 'article lifecycle');
    });

    test('ui-4b edit a record; a concurrent change is reported, not overwritten', async () => {
        await page.goto(`${base}/records/articles/${number}`);
        await page.getByRole('link', { name: 'Edit' }).click();
        await page.waitForFunction(() => document.querySelector('#f-title')?.value);
        await page.getByLabel('Summary').fill('证书过期时的处理步骤');
        await page.getByRole('button', { name: 'Save' }).click();
        await page.locator('dd[data-field=summary]', { hasText: '证书过期时的处理步骤' }).waitFor();
        // someone else changes the record while the form is open
        await page.getByRole('link', { name: 'Edit' }).click();
        await page.waitForFunction(() => document.querySelector('#f-title')?.value);
        const cur = await srv.api('GET', `/api/v1/articles/${number}`);
        const other = await srv.api('PATCH', `/api/v1/articles/${number}`, { body: { summary: '别人的修改' }, headers: { 'If-Match': `"${cur.json.version}"` } });
        assert.equal(other.status, 200, other.text);
        await page.getByLabel('Summary').fill('我的修改');
        await page.getByRole('button', { name: 'Save' }).click();
        const alert = page.getByRole('alert');
        await alert.waitFor();
        assert.match(await alert.textContent(), /Someone changed this record meanwhile/);
        assert.equal((await srv.api('GET', `/api/v1/articles/${number}`)).json.summary, '别人的修改');
        assertClean(assert, page, 'edit');
    });

    test('ui-5 global search finds the article in Chinese', async () => {
        await page.getByLabel('Search all records').fill('证书过期');
        await page.getByLabel('Search all records').press('Enter');
        await page.getByRole('link', { name: number }).waitFor();
        await shot(page, 'search-zh');
        assertClean(assert, page, 'search');
    });

    test('ui-6 the list shows the article; columns can be chosen', async () => {
        await page.goto(`${base}/records/articles?q=${encodeURIComponent('证书')}`);
        await page.getByRole('link', { name: number }).waitFor();
        await page.locator('summary', { hasText: 'Columns' }).click();
        await page.locator('.columns label', { hasText: 'Created by' }).locator('input').check();
        await page.getByRole('columnheader', { name: 'Created by' }).waitFor();
        await shot(page, 'list');
        // CSV of the rows on screen, in the chosen columns
        const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'CSV of this page' }).click()]);
        const csv = fs.readFileSync(await download.path(), 'utf8');
        assert.ok(csv.startsWith('\ufeffNumber,'), csv.slice(0, 40));
        assert.ok(csv.includes(`${number},${title}`), csv);
        // every matching record from the server's export (audited), with the list's search
        const [all] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export all (CSV)' }).click()]);
        const full = fs.readFileSync(await all.path(), 'utf8');
        assert.ok(full.startsWith('\ufeffnumber,title,state,'), full.slice(0, 40));
        assert.equal(full.trim().split('\r\n').length, 2, full); // the header and the one match
        assert.ok(full.includes(number), full);
        const audit = await srv.api('GET', '/api/v1/audit?action=record.export');
        assert.equal(audit.json.items.length, 1, audit.text);
        // a saved view brings the filters back
        await page.getByLabel('View name').fill('证书文章');
        await page.getByRole('button', { name: 'Save view' }).click();
        await page.getByText('View "证书文章" saved').waitFor();
        const views = await srv.api('GET', '/api/v1/views?type=articles');
        assert.deepEqual(views.json.items.map((v) => [v.name, v.query.q, v.columns.includes('created_by')]), [['证书文章', '证书', true]]);
        await page.goto(`${base}/records/articles`);
        await page.getByLabel('Saved views').selectOption({ label: '证书文章' });
        await page.waitForURL(/q=/);
        assert.equal(await page.locator('#flt-q').inputValue(), '证书');
        assertClean(assert, page, 'list');
    });

    test('ui-6b home: counts from the server, charts, and a count opens its filtered list', async () => {
        await page.goto(`${base}/`);
        const card = page.locator('article.card[data-type=articles]');
        await card.locator('[data-testid=count-unassigned]').filter({ hasText: /^\d+$/ }).waitFor();
        const unassigned = Number(await card.locator('[data-testid=count-unassigned]').textContent());
        const open = (await srv.api('GET', '/api/v1/articles?owner[empty]=true&state[in]=draft,in_review,published&limit=200')).json.items.length;
        assert.equal(unassigned, open);
        await page.locator('figure.chart', { hasText: 'Open records by type' }).locator('canvas').waitFor();
        await page.locator('figure.chart', { hasText: 'Records created per day' }).locator('canvas').waitFor();
        await shot(page, 'home-charts');
        await card.getByRole('link', { name: 'Unassigned' }).click();
        await page.waitForURL(/owner%5Bempty%5D=true|owner\[empty\]=true/);
        await page.locator('.chips li', { hasText: 'not set' }).waitFor();
        const rows = await page.locator('table.list tbody tr').filter({ has: page.locator('a') }).count();
        assert.equal(rows, open);
        // dropping the chip widens the list again
        await page.getByRole('button', { name: /Remove the filter Owner/ }).click();
        await page.waitForURL((u) => !u.search.includes('owner'));
        assertClean(assert, page, 'home');
    });

    test('ui-7 an incompatible pair of roles is refused, and the refusal is shown', async () => {
        await page.goto(`${base}/admin/users`);
        await page.getByLabel('User name', { exact: true }).nth(1).fill('opsuser');
        await page.getByLabel('Display name').fill('运维 用户');
        await page.getByLabel('Initial password').fill('Ops-Us3r-Passw0rd!');
        await page.getByRole('button', { name: 'Create user' }).click();
        await page.getByText('User opsuser created.').waitFor();
        await page.locator('#acc-user').fill('opsuser');
        await page.getByRole('button', { name: 'Show' }).click();
        // roles of different incompatible sets (incompatible_roles, S6)
        await page.locator('label', { hasText: 'ops_engineer' }).locator('input').check();
        await page.locator('label', { hasText: 'developer' }).locator('input').first().check();
        await page.getByRole('button', { name: 'Save' }).first().click();
        const alert = page.getByRole('alert');
        await alert.waitFor();
        const text = await alert.textContent();
        assert.match(text, /Refused \(conflict\)/);
        assert.match(text, /incompatible/i);
        assert.match(text, /ops_engineer/);
        // nothing changed
        assert.equal(await page.locator('[data-testid=effective-roles]').textContent(), '');
        await shot(page, 'incompatible-roles');
        assertClean(assert, page, 'incompatible roles');
    });

    test('ui-8 switching to Chinese changes the UI and is remembered', async () => {
        await page.goto(`${base}/records/articles/${number}`);
        await page.locator('#lang').selectOption('zh-CN');
        await page.getByRole('link', { name: '首页' }).waitFor();
        await page.getByRole('heading', { name: '变更历史' }).waitFor();
        assert.equal(await page.locator('[data-testid=record-state]').textContent(), '草稿');
        await page.reload();
        await page.getByRole('link', { name: '首页' }).waitFor();
        assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
        await shot(page, 'article-zh');
        // remembered per user on the server: another browser (empty storage, English) logs in in Chinese
        const other = await openPage(browser);
        await login(other, base, 'admin', ADMIN_PASSWORD);
        await other.getByRole('link', { name: '首页' }).waitFor();
        assert.equal((await srv.api('GET', '/api/v1/me/preferences')).json.locale, 'zh-CN');
        assertClean(assert, other, 'language in another browser');
        await other.context().close();
        await page.locator('#lang').selectOption('en');
        await page.getByRole('link', { name: 'Home' }).waitFor();
        assertClean(assert, page, 'language');
    });

    test('ui-9 enrol TOTP with the QR code, then log in with a code', async () => {
        await page.goto(`${base}/account/mfa`);
        await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
        const qr = page.getByRole('img', { name: 'QR code to scan with an authenticator app' });
        await qr.waitFor();
        assert.match(await qr.getAttribute('src'), /^data:image\/svg\+xml;base64,/);
        assert.ok((await qr.evaluate((img) => img.naturalWidth)) > 0, 'the QR SVG renders');
        const secret = (await page.locator('[data-testid=totp-secret]').textContent()).trim();
        await shot(page, 'mfa-enrol');
        await page.getByLabel('Authentication code').fill(totp(secret));
        await page.getByRole('button', { name: 'Turn on' }).click();
        await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
        assert.equal(await page.locator('.codes li').count(), 10);
        assert.match(await page.locator('[data-testid=mfa-status]').textContent(), /is on/);

        await page.getByRole('button', { name: 'Log out' }).click();
        await page.getByRole('heading', { name: 'Log in' }).waitFor();
        await login(page, base, 'admin', ADMIN_PASSWORD);
        await page.getByText('Enter the 6-digit code').waitFor();
        await page.getByLabel('Authentication code').fill('000000' === totp(secret, Date.now(), 1) ? '111111' : '000000');
        await page.getByRole('button', { name: 'Verify' }).click();
        await page.getByRole('alert').waitFor(); // a wrong code is refused
        // the next step's code is valid (totp_window = 1) and has not been used yet
        await page.getByLabel('Authentication code').fill(totp(secret, Date.now(), 1));
        await page.getByRole('button', { name: 'Verify' }).click();
        await page.getByRole('heading', { name: 'Welcome, admin' }).waitFor();
        assertClean(assert, page, 'mfa');
    });
});
