// tests/web/admin.test.mjs - the web UI's account and administration paths in chromium: a login
// that must enrol TOTP first (mfa_required = all), a step-up code asked for by a dialog when an
// API token is created (the test clock moves past step_up_minutes), an access review taken
// from creation through its items to completion (the refusals to complete early and to review
// one's own rights shown), org units, groups and role grants — with zero console errors.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, USER_PASSWORD, startServer } from '../api/harness.mjs';
import { assertClean, baseOf, launch, login, openPage, shot, totp } from './browser.mjs';

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

describe('mandatory TOTP at login', () => {
    let srv, base;
    const clock = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'opsledger-clock-')), 'offset');
    before(async () => {
        fs.writeFileSync(clock, '0');
        srv = await startServer({ args: ['--mfa_required', 'all'], users: [{ name: 'newbie', roles: ['kb_author'] }], env: { OPSLEDGER_TEST_CLOCK: clock } });
        base = baseOf(srv);
    });
    after(async () => {
        await srv?.stop();
        fs.rmSync(path.dirname(clock), { recursive: true, force: true });
    });

    test('adm-1 a user without TOTP enrols during the login, then logs in with a code', async () => {
        const page = await openPage(browser);
        await login(page, base, 'newbie', USER_PASSWORD);
        await page.getByText('must use two-factor authentication').waitFor();
        const secret = (await page.locator('[data-testid=totp-secret]').textContent()).trim();
        await page.getByLabel('Authentication code').fill('123456' === totp(secret) ? '654321' : '123456');
        await page.getByRole('button', { name: 'Turn on' }).click();
        await page.locator('#enrol-code-err').waitFor(); // a wrong code, shown beside the field
        await page.getByLabel('Authentication code').fill(totp(secret));
        await page.getByRole('button', { name: 'Turn on' }).click();
        await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
        assert.equal(await page.locator('.codes li').count(), 10);
        await shot(page, 'mfa-login-enrol');
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.getByRole('heading', { name: 'Welcome, newbie' }).waitFor();
        await page.getByRole('button', { name: 'Log out' }).click();
        await login(page, base, 'newbie', USER_PASSWORD);
        await page.getByLabel('Authentication code').fill(totp(secret, Date.now(), 1));
        await page.getByRole('button', { name: 'Verify' }).click();
        await page.getByRole('heading', { name: 'Welcome, newbie' }).waitFor();

        // Creating an API token needs a code proved within step_up_minutes (5): ten minutes
        // later, the dialog asks for one and the call is retried with it.
        const later = 600;
        fs.writeFileSync(clock, String(later));
        await page.getByRole('link', { name: 'API tokens' }).click();
        await page.getByLabel('Name').fill('laptop');
        await page.getByRole('button', { name: 'Create token' }).click();
        const dialog = page.getByRole('dialog', { name: 'Confirm with your code' });
        await dialog.waitFor();
        await dialog.getByLabel('Authentication code').fill(totp(secret, Date.now() + later * 1000));
        await dialog.getByRole('button', { name: 'Confirm' }).click();
        const token = page.locator('[data-testid=token-secret]');
        await token.waitFor();
        const tok = (await token.textContent()).trim();
        const me = await srv.api('GET', '/api/v1/session', { token: tok });
        assert.equal(me.json.username, 'newbie', 'the token shown works');
        // S4: the token is listed (never its secret) and revoked from the same screen, at once.
        const row = page.locator('table.tokens tr', { hasText: 'laptop' });
        await row.getByText('active').waitFor();
        await page.getByRole('button', { name: 'Revoke laptop' }).click();
        await row.getByText('revoked').waitFor();
        assert.equal((await srv.api('GET', '/api/v1/session', { token: tok })).status, 401);
        assertClean(assert, page, 'mandatory mfa');
        await page.context().close();
    });
});

describe('administration screens', () => {
    let srv, base, page;
    before(async () => {
        srv = await startServer({ users: [{ name: 'auditee', roles: ['kb_editor'] }, { name: 'admin2', roles: ['admin'] }] });
        base = baseOf(srv);
        page = await openPage(browser);
        await login(page, base, 'admin', ADMIN_PASSWORD);
        await page.getByRole('heading', { name: 'Welcome, admin' }).waitFor();
    });
    after(async () => {
        await page?.context().close();
        await srv?.stop();
    });

    test('adm-1b accounts (S4): a contractor with an expiry, phone masked; disable a leaver, enable, reset a password', async () => {
        await page.goto(`${base}/admin/users`);
        await page.locator('#nu-username').fill('connie');
        await page.getByLabel('Display name').fill('Connie Contractor');
        await page.getByLabel('Initial password').fill('Cn7#pQw2-Zx8v');
        await page.getByLabel('Phone').fill('13912345678');
        await page.locator('#nu-kind').selectOption('contractor');
        await page.getByRole('button', { name: 'Create user' }).click();
        await page.getByText('User connie created.').waitFor();
        const row = page.locator('tr[data-user=connie]');
        await row.getByRole('cell', { name: 'Contractor', exact: true }).waitFor();
        await row.getByText('139****5678').waitFor();
        assert.notEqual((await row.locator('td').nth(3).textContent()).trim(), '—', 'an expiry was set');
        await page.locator('#why-connie').fill('left the project');
        await page.getByRole('button', { name: 'Disable connie' }).click();
        await row.getByText('Disabled (left the project)').waitFor();
        assert.equal((await srv.api('GET', '/api/v1/users/connie')).json.disabled, true);
        await page.getByRole('button', { name: 'Enable connie' }).click();
        await row.getByRole('cell', { name: 'Enabled', exact: true }).waitFor();
        await page.locator('#pw-connie').fill('Rz5%tYu8-Mn3k');
        await page.getByRole('button', { name: 'Reset password connie' }).click();
        await page.getByText('Password of connie reset').waitFor();
        assert.equal((await srv.api('GET', '/api/v1/users/connie')).json.must_change_password, true);
        await page.locator('#ul-kind').selectOption('contractor');
        await page.locator('tr[data-user]').first().waitFor();
        assert.deepEqual(await page.locator('tr[data-user]').evaluateAll((rs) => rs.map((r) => r.dataset.user)), ['connie']);
        await shot(page, 'users');
        assertClean(assert, page, 'accounts');
    });

    test('adm-1c S7: a contact\'s phone is masked; an administrator reveals it, and the reveal is audited', async () => {
        const ct = await srv.api('POST', '/api/v1/contacts', { body: { title: '张三', phone: '13512348888' } });
        assert.equal(ct.status, 201, ct.text);
        await page.goto(`${base}/records/contacts/${ct.json.number}`);
        const phone = page.locator('dd[data-field=phone]');
        await phone.getByText('135****8888').waitFor();
        await page.getByRole('button', { name: /^Reveal Phone/ }).click();
        await phone.getByText('13512348888').waitFor();
        await page.getByText('the reveal is recorded in the audit trail').waitFor();
        const audit = await srv.api('GET', `/api/v1/audit?action=record.reveal&target=${ct.json.number}`);
        assert.equal(audit.json.items.length, 1, audit.text);
        await shot(page, 'reveal');
        assertClean(assert, page, 'reveal');
    });

    test('adm-2 an access review: create, start, attest every item, complete', async () => {
        await page.getByRole('link', { name: 'Access review' }).first().click();
        await page.getByRole('link', { name: 'New' }).click();
        await page.getByLabel('Title').fill('2026 Q4 权限复核');
        await page.getByLabel('Rights reviewed').selectOption('all');
        await page.getByRole('button', { name: 'Save' }).click();
        await page.locator('[data-testid=record-state]').waitFor();
        await page.getByRole('button', { name: 'Start', exact: true }).click();
        await page.getByRole('button', { name: 'Confirm' }).click();
        await page.locator('#ri-h + table, #ri-h ~ table').first().waitFor();
        const rows = page.locator('#ri-h ~ table tbody tr');
        const n = await rows.count();
        assert.ok(n >= 2, `items for admin and auditee: ${n}`);
        // completing with open items is refused by the server, and the reason is shown
        await page.getByRole('button', { name: 'Complete', exact: true }).click();
        await page.getByRole('button', { name: 'Confirm' }).click();
        const alert = page.locator('form.transition [role=alert]');
        await alert.waitFor();
        assert.match(await alert.textContent(), /still to be attested/);
        await page.getByRole('button', { name: 'Cancel' }).click();
        const number = (await page.locator('.num').textContent()).trim();
        let own = null;
        for (let i = 0; i < n; i++) {
            const user = (await rows.nth(i).locator('td').first().textContent()).trim();
            await rows.nth(i).getByRole('button', { name: 'Attest' }).click();
            if (user === 'admin') {
                // S6: nobody reviews their own rights; the refusal is shown
                const refusal = page.locator('#ri-h ~ [role=alert]');
                await refusal.waitFor();
                assert.match(await refusal.textContent(), /nobody reviews their own rights/);
                own = i;
            } else {
                await rows.nth(i).getByText('Attested').waitFor();
            }
        }
        assert.notEqual(own, null, 'admin has an item');
        // another administrator decides admin's own item
        const items = await srv.api('GET', `/api/v1/access_reviews/${number}/items`);
        const mine = items.json.items.find((it) => it.username === 'admin');
        const d = await srv.api('POST', `/api/v1/access_reviews/${number}/items/${mine.id}`, { token: srv.tokens.admin2, body: { decision: 'attest' } });
        assert.equal(d.status, 200, d.text);
        await page.reload();
        await page.locator('#ri-h ~ table tbody tr').first().waitFor();
        assert.equal(await page.locator('#ri-h ~ table tbody tr', { hasText: 'Attested' }).count(), n);
        await shot(page, 'access-review');
        await page.getByRole('button', { name: 'Complete', exact: true }).click();
        await page.getByRole('button', { name: 'Confirm' }).click();
        await page.locator('[data-testid=record-state]', { hasText: 'Completed' }).waitFor();
        assertClean(assert, page, 'access review');
    });

    test('adm-3 org units, groups (member, roles) and role grants', async () => {
        await page.goto(`${base}/admin/org-units`);
        await page.getByLabel('Name', { exact: true }).fill('it_ops');
        await page.getByLabel('Label', { exact: true }).fill('运维部');
        await page.getByRole('button', { name: 'Create org unit' }).click();
        await page.getByRole('cell', { name: '运维部' }).waitFor();
        // C6: the unit's head, who approves its members' emergency changes.
        await page.locator('#sh-unit').selectOption('it_ops');
        await page.locator('#sh-head').fill('nobody-here');
        await page.getByRole('button', { name: 'Set head' }).click();
        await page.locator('#sh-head-err').waitFor();
        await page.locator('#sh-head').fill('auditee');
        await page.getByRole('button', { name: 'Set head' }).click();
        await page.locator('[data-testid=unit-head]', { hasText: 'auditee' }).waitFor();
        assert.equal((await srv.api('GET', '/api/v1/org_units/it_ops')).json.head, 'auditee');
        await page.goto(`${base}/admin/groups`);
        await page.getByLabel('Name', { exact: true }).fill('kb_team');
        await page.getByLabel('Label', { exact: true }).fill('知识库小组');
        await page.getByLabel('Org unit', { exact: true }).fill('it_ops');
        await page.getByRole('button', { name: 'Create group' }).click();
        await page.getByRole('button', { name: 'kb_team' }).click();
        await page.locator('#gm-user').fill('auditee');
        await page.getByRole('button', { name: 'Add member' }).click();
        await page.locator('.card li', { hasText: 'auditee' }).waitFor();
        await page.locator('#g-roles').fill('kb_author');
        await page.getByRole('button', { name: 'Save' }).click();
        let access;
        for (let i = 0; i < 50; i++) {
            access = await srv.api('GET', '/api/v1/users/auditee/access');
            if (JSON.stringify(access.json.group_roles).includes('kb_author')) break;
            await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(access.json.groups.includes('kb_team'), access.text);
        assert.ok(JSON.stringify(access.json.group_roles).includes('kb_author'), access.text);
        // a grant added to a role, shown, and removed again
        await page.goto(`${base}/admin/roles`);
        await page.locator('#g-role').selectOption('service_desk');
        await page.locator('#g-res').fill('article');
        await page.locator('#g-act').fill('update');
        await page.getByRole('button', { name: 'Add grant' }).click();
        const row = page.locator('tr', { has: page.locator('code', { hasText: /^service_desk$/ }) });
        await row.getByText('article: update').waitFor();
        let roles = await srv.api('GET', '/api/v1/roles');
        assert.deepEqual(roles.json.items.find((r) => r.name === 'service_desk').grants.map((g) => `${g.resource}:${g.action}`), ['article:update']);
        await row.getByRole('button', { name: 'Remove grant article:update' }).click();
        await row.getByText('article: update').waitFor({ state: 'detached' });
        roles = await srv.api('GET', '/api/v1/roles');
        assert.deepEqual(roles.json.items.find((r) => r.name === 'service_desk').grants, []);
        await page.goto(`${base}/admin/groups`);
        // a group name the server refuses: its reason is shown beside the field
        await page.getByLabel('Name', { exact: true }).fill('bad name!');
        await page.getByLabel('Label', { exact: true }).fill('x');
        await page.getByRole('button', { name: 'Create group' }).click();
        await page.getByRole('alert').waitFor();
        assertClean(assert, page, 'groups');
    });
});
