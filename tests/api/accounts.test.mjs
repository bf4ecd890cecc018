// tests/api/accounts.test.mjs - S1 password policy, S2 lockout and the high-risk alert, S4 account
// lifecycle and user administration, on every backend. Time moves with the injectable clock
// (OPSLEDGER_TEST_CLOCK), never with sleeps: the tests run in order and the offset only grows.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ADMIN_PASSWORD, USER_PASSWORD, backends, cliResult, fieldErrors, startServer } from './harness.mjs';
import { BASE, SVC_DN, slapdMissing, startSlapd } from './ldap-server.mjs';
import { storeRows } from '../torture/lib.mjs';

const DAY = 86400;
const NEW_PASSWORD = 'Kq7#mVx9-Tz'; // meets every rule for a non-privileged account

for (const backend of backends()) {
    describe(`accounts [${backend}]`, () => {
        let srv;
        let tmp;
        let clockFile;
        let offset = 0;
        const api = (...a) => srv.api(...a);
        const now = () => Date.now() / 1000 + offset;
        const iso = (t) => new Date(t * 1000).toISOString();
        function moveClock(seconds) {
            offset += seconds;
            fs.writeFileSync(clockFile, String(offset));
        }
        function assertProblem(res, status, type) {
            assert.equal(res.status, status, res.text);
            assert.match(res.headers.get('content-type'), /^application\/problem\+json/);
            if (type) assert.equal(res.json.type, `/problems/${type}`, res.text);
        }
        const login = (username, password, headers = {}) =>
            api('POST', '/api/v1/session', { body: { username, password }, token: null, headers });
        function sessionOf(res) {
            assert.equal(res.status, 200, res.text);
            return { Cookie: res.headers.get('set-cookie').split(';')[0], 'X-CSRF-Token': res.json.csrf_token };
        }
        const as = (headers) => ({ token: null, headers });
        const changePassword = (username, old_password, new_password, headers = {}) =>
            api('POST', '/api/v1/session/password', {
                body: { username, old_password, new_password },
                token: null,
                headers,
            });
        async function auditOf(action, target) {
            const res = await api('GET', `/api/v1/audit?action=${action}&target=${target}&limit=50`);
            assert.equal(res.status, 200, res.text);
            return res.json.items;
        }
        async function user(name) {
            const res = await api('GET', `/api/v1/users/${name}`);
            assert.equal(res.status, 200, res.text);
            return res.json;
        }

        before(async () => {
            tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opsledger-accounts-'));
            clockFile = path.join(tmp, 'clock');
            fs.writeFileSync(clockFile, '0');
            srv = await startServer({
                backend,
                users: ['alice', 'bob', 'carol', 'ewan', 'henry', 'lena', 'leo', 'rita'].map((name) => ({ name })),
                args: ['--account_sweep_seconds', '1', '--security_alert_channel', 'secops'],
                env: { OPSLEDGER_TEST_CLOCK: clockFile },
            });
        });
        after(async () => {
            await srv?.stop();
            if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        });

        test('acc-1.1 bad input is refused field by field and creates nothing', async () => {
            let res = await api('POST', '/api/v1/users', {
                body: {
                    username: 'x',
                    password: 'short',
                    kind: 'intern',
                    email: 'not-an-address',
                    phone: 'call me',
                },
            });
            assertProblem(res, 400);
            const errs = fieldErrors(res);
            for (const e of ['username:username', 'password:pw_length', 'kind:user_kind', 'email:email', 'phone:phone'])
                assert.ok(errs.includes(e), `${e} in ${errs}`);
            res = await api('POST', '/api/v1/users', { body: { username: 'newbie', password: NEW_PASSWORD, colour: 'blue' } });
            assert.deepEqual(fieldErrors(res), ['colour:unknown']);
            // Each password rule is named, in the caller's language.
            const cases = [
                ['kdjrmwpzht', 'pw_classes'],
                ['Kdjaaaa7t!', 'pw_repeat'],
                ['Kd4321jt!x', 'pw_sequence'],
                ['P@ssw0rd!', 'pw_common'],
                ['Xx-Newbie-42', 'pw_username'],
                ['Kq-Nakamura!8', 'pw_name'],
                ['Kq!13800138000', 'pw_phone'],
            ];
            for (const [password, code] of cases) {
                res = await api('POST', '/api/v1/users', {
                    body: { username: 'newbie', password, display_name: 'Ken Nakamura', phone: '+86 138 0013 8000' },
                });
                assertProblem(res, 400);
                assert.deepEqual(fieldErrors(res), [`password:${code}`], password);
            }
            res = await api('POST', '/api/v1/users', {
                body: { username: 'newbie', password: 'Tq7#mVx9', roles: ['admin'] },
                headers: { 'Accept-Language': 'zh-CN' },
            });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['password:pw_length_privileged']);
            assert.match(res.json.errors[0].message, /特权角色账号的密码长度不能少于 12 个字符/);
            // Temporary accounts live at most temp_account_max_days (7).
            res = await api('POST', '/api/v1/users', {
                body: { username: 'newbie', password: NEW_PASSWORD, kind: 'contractor', expires_at: iso(now() + 8 * DAY) },
            });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['expires_at:expires_max']);
            res = await api('POST', '/api/v1/users', {
                body: { username: 'newbie', password: NEW_PASSWORD, kind: 'temporary', expires_at: 'tomorrow' },
            });
            assert.deepEqual(fieldErrors(res), ['expires_at:datetime']);
            assertProblem(await api('GET', '/api/v1/users/newbie'), 404);
            res = await api('PATCH', '/api/v1/users/alice', { body: { phone: 12, roles: ['admin'] } });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res).sort(), ['phone:type_string', 'roles:unknown']);
            res = await api('PATCH', '/api/v1/users/alice', { body: { email: 'a@b', display_name: 'Alice' } });
            assert.deepEqual(fieldErrors(res), ['email:email']);
            const alice = await user('alice');
            assert.equal(alice.email, null);
            assert.equal(alice.display_name, 'alice');
            assert.deepEqual(alice.roles, []);
        });

        test('acc-1.2 administrators create, show, list and change accounts', async () => {
            let res = await api('POST', '/api/v1/users', {
                body: { username: 'tina', password: NEW_PASSWORD, display_name: 'Tina Temp', kind: 'temporary', email: 'tina@example.com', phone: '+86 139 1234 5678' },
            });
            assert.equal(res.status, 201, res.text);
            assert.equal(res.json.kind, 'temporary');
            // No expiry given: the longest life allowed.
            const exp = Date.parse(res.json.expires_at) / 1000;
            assert.ok(Math.abs(exp - (now() + 7 * DAY)) < 60, res.json.expires_at);
            // S7: shown masked, sealed at rest.
            assert.equal(res.json.phone, '+86**********5678');
            const stored = await storeRows(srv, {
                sqlite: "SELECT phone FROM users WHERE username = 'tina'",
                pg: "SELECT phone FROM users WHERE username = 'tina'",
            });
            assert.match(stored[0].phone, /^enc:v1:/);
            assert.ok(!stored[0].phone.includes('1234'));
            assert.equal(res.json.password_hash, undefined);
            assert.equal(res.json.auth_source, 'local');
            res = await api('GET', '/api/v1/users?kind=temporary');
            assert.deepEqual(res.json.items.map((u) => u.username), ['tina']);
            res = await api('GET', '/api/v1/users?disabled=maybe');
            assert.deepEqual(fieldErrors(res), ['disabled:type_bool']);
            res = await api('PATCH', '/api/v1/users/tina', { body: { kind: 'regular', phone: null, display_name: 'Tina Tan' } });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.kind, 'regular');
            assert.equal(res.json.phone, null);
            assert.equal(res.json.display_name, 'Tina Tan');
            const audit = await auditOf('user.update', 'tina');
            assert.deepEqual(audit[0].detail.fields, ['display_name', 'phone', 'kind', 'expires_at']);
            res = await api('PATCH', '/api/v1/users/tina', { body: { kind: 'contractor' } });
            assert.equal(res.status, 200, res.text);
            assert.ok(res.json.expires_at, 'a contractor gets an expiry');
        });

        test('acc-1.3 user administration is for administrators only and changes nothing else', async () => {
            const alice = srv.tokens.alice;
            assertProblem(await api('GET', '/api/v1/users', { token: alice }), 403);
            assertProblem(await api('GET', '/api/v1/users/bob', { token: alice }), 403);
            assertProblem(await api('POST', '/api/v1/users', { token: alice, body: { username: 'sneaky', password: NEW_PASSWORD } }), 403);
            assertProblem(await api('PATCH', '/api/v1/users/bob', { token: alice, body: { email: 'x@example.com' } }), 403);
            assertProblem(await api('POST', '/api/v1/users/bob/disable', { token: alice, body: { reason: 'x' } }), 403);
            assertProblem(await api('POST', '/api/v1/users/bob/password', { token: alice, body: { password: NEW_PASSWORD } }), 403);
            const bob = await user('bob');
            assert.equal(bob.disabled, false);
            assert.equal(bob.email, null);
            assert.equal(bob.must_change_password, false);
            assertProblem(await api('GET', '/api/v1/users/sneaky'), 404);
            // The role routes of main stay where they are.
            assert.equal((await api('GET', '/api/v1/users/bob/access')).status, 200);
            assert.equal((await api('POST', '/api/v1/users/bob/nothing', { body: {} })).status, 404);
            // Methods are matched whole: "OS" is not "POST".
            let res = await api('OS', '/api/v1/users', { body: { username: 'oddity', password: NEW_PASSWORD } });
            assert.equal(res.status, 405, res.text);
            assert.equal(res.headers.get('allow'), 'GET, POST');
            res = await api('PUT', '/api/v1/users/bob', { body: {} });
            assert.equal(res.headers.get('allow'), 'GET, PATCH');
            assertProblem(await api('GET', '/api/v1/users/bob/disable'), 405);
            assertProblem(await api('GET', '/api/v1/users/oddity'), 404);
        });

        test('acc-2.1 five wrong passwords lock the account for 15 minutes, even for the right one', async () => {
            for (let i = 1; i <= 4; i++) assertProblem(await login('lena', `wrong-${i}`), 401);
            let res = await login('lena', 'wrong-5');
            assertProblem(res, 403, 'account-locked');
            const unlocks = Date.parse(res.json.unlocks_at) / 1000;
            assert.ok(Math.abs(unlocks - (now() + 900)) < 60, res.json.unlocks_at);
            res = await login('lena', USER_PASSWORD, { 'Accept-Language': 'zh-CN' });
            assertProblem(res, 403, 'account-locked');
            assert.match(res.json.detail, /登录失败次数过多,账号已锁定至 /);
            assert.equal((await auditOf('auth.lockout', 'lena')).length, 1);
            moveClock(14 * 60);
            assertProblem(await login('lena', USER_PASSWORD), 403, 'account-locked');
            moveClock(61);
            sessionOf(await login('lena', USER_PASSWORD));
            // A success resets the count: 4 + 4 failures around it do not lock.
            for (let i = 0; i < 4; i++) assertProblem(await login('leo', 'nope'), 401);
            sessionOf(await login('leo', USER_PASSWORD));
            for (let i = 0; i < 4; i++) assertProblem(await login('leo', 'nope'), 401);
            sessionOf(await login('leo', USER_PASSWORD));
        });

        test('acc-2.2 more than 10 failures in a day raise one high-risk alert', async () => {
            const metric = async () => {
                const m = (await api('GET', '/metrics')).text.match(/opsledger_security_alerts_total\{kind="login_failures"\} (\d+)/);
                return m ? Number(m[1]) : 0;
            };
            const before = await metric();
            for (let i = 1; i <= 10; i++) await login('rita', `bad-${i}`);
            assert.equal((await auditOf('security.alert', 'rita')).length, 0);
            await login('rita', 'bad-11');
            await login('rita', 'bad-12');
            const alerts = await auditOf('security.alert', 'rita');
            assert.equal(alerts.length, 1);
            assert.equal(alerts[0].severity, 'high');
            assert.equal(alerts[0].detail.severity, 'high');
            assert.equal(alerts[0].detail.kind, 'login_failures');
            assert.equal(alerts[0].detail.failures, 11);
            assert.equal(await metric(), before + 1);
            assert.match(srv.stderr(), /security alert \(high\): 11 failed logins today for account 'rita'/);
            assert.doesNotMatch(srv.stderr(), /bad-11/);
            // P7: the security team's channel is told through the outbox, once.
            const notices = await storeRows(srv, {
                sqlite: "SELECT channel, event, subject_en, subject_zh FROM outbox WHERE event = 'security.alert'",
                pg: "SELECT channel, event, subject_en, subject_zh FROM outbox WHERE event = 'security.alert'",
            });
            assert.equal(notices.length, 1);
            assert.equal(notices[0].channel, 'secops');
            assert.match(notices[0].subject_en, /11 failed logins of rita/);
            assert.match(notices[0].subject_zh, /rita/);
        });

        test('acc-2.3 unknown users get the same answer as wrong passwords, and are audited', async () => {
            const unknown = await login('nobody-here', 'Whatever-1');
            const wrong = await login('alice', 'Whatever-1');
            assertProblem(unknown, 401);
            assertProblem(wrong, 401);
            assert.equal(unknown.json.detail, wrong.json.detail);
            const rows = await auditOf('auth.login', 'nobody-here');
            assert.equal(rows[0].result, 'denied');
        });

        test('acc-4.1 disabling a leaver revokes the live session and token at once', async () => {
            const session = sessionOf(await login('carol', USER_PASSWORD));
            assert.equal((await api('GET', '/api/v1/session', as(session))).status, 200);
            assert.equal((await api('GET', '/api/v1/session', { token: srv.tokens.carol })).status, 200);
            let res = await api('POST', '/api/v1/users/carol/disable', { body: {} });
            assert.deepEqual(fieldErrors(res), ['reason:required']);
            assert.equal((await api('GET', '/api/v1/session', { token: srv.tokens.carol })).status, 200);
            res = await api('POST', '/api/v1/users/carol/disable', { body: { reason: 'left the company' } });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.disabled, true);
            assert.equal(res.json.disabled_reason, 'left the company');
            assertProblem(await api('GET', '/api/v1/session', as(session)), 401);
            assertProblem(await api('GET', '/api/v1/session', { token: srv.tokens.carol }), 401);
            assertProblem(await login('carol', USER_PASSWORD), 403, 'account-disabled');
            const audit = await auditOf('user.disable', 'carol');
            assert.equal(audit[0].detail.sessions_revoked, 1);
            assert.equal(audit[0].detail.tokens_revoked, 1);
            res = await api('POST', '/api/v1/users/carol/enable', { body: {} });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.disabled, false);
            sessionOf(await login('carol', USER_PASSWORD));
            assertProblem(await api('GET', '/api/v1/session', { token: srv.tokens.carol }), 401); // stays revoked
            assert.equal((await auditOf('user.enable', 'carol')).length, 1);
        });

        test('acc-1.4 an administrator reset makes the user change the password at the next login', async () => {
            const session = sessionOf(await login('bob', USER_PASSWORD));
            let res = await api('POST', '/api/v1/users/bob/password', { body: { password: 'Bob' } });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['password:pw_length']);
            res = await api('POST', '/api/v1/users/bob/password', { body: { password: NEW_PASSWORD } });
            assert.equal(res.status, 204, res.text);
            assertProblem(await api('GET', '/api/v1/session', as(session)), 401); // sessions ended
            assert.equal((await user('bob')).must_change_password, true);
            assertProblem(await login('bob', NEW_PASSWORD), 403, 'password-expired');
            res = await changePassword('bob', NEW_PASSWORD, NEW_PASSWORD);
            assert.deepEqual(fieldErrors(res), ['new_password:pw_history']);
            res = await changePassword('bob', 'not-it', 'Zr8!pLm-Qw4n');
            assertProblem(res, 401);
            res = await changePassword('bob', NEW_PASSWORD, 'Zr8!pLm-Qw4n');
            assert.equal(res.status, 204, res.text);
            sessionOf(await login('bob', 'Zr8!pLm-Qw4n'));
            assert.equal((await user('bob')).must_change_password, false);
            const audit = (await auditOf('user.password_reset', 'bob'))[0];
            assert.equal(JSON.stringify(audit).includes(NEW_PASSWORD), false);
        });

        test('acc-1.5 the last 10 passwords cannot be used again', async () => {
            const pw = (i) => `Rq${i}#tmVx9pL`;
            let current = USER_PASSWORD;
            for (let i = 1; i <= 9; i++) {
                const res = await changePassword('henry', current, pw(i));
                assert.equal(res.status, 204, `change ${i}: ${res.text}`);
                current = pw(i);
            }
            // The history holds the first password and the 9 since: all 10 refused.
            let res = await changePassword('henry', current, USER_PASSWORD, { 'Accept-Language': 'zh-CN' });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['new_password:pw_history']);
            assert.match(res.json.errors[0].message, /不能与最近 10 次使用过的密码相同/);
            res = await changePassword('henry', current, pw(10));
            assert.equal(res.status, 204, res.text);
            assert.deepEqual(fieldErrors(await changePassword('henry', pw(10), pw(1))), ['new_password:pw_history']);
            // Eleven changes back, the first one is allowed again.
            res = await changePassword('henry', pw(10), USER_PASSWORD);
            assert.equal(res.status, 204, res.text);
            sessionOf(await login('henry', USER_PASSWORD));
        });

        test('acc-4.2 a temporary account stops working when it expires, and the sweep disables it', async () => {
            let res = await api('POST', '/api/v1/users', {
                body: { username: 'tempo', password: NEW_PASSWORD, kind: 'temporary', expires_at: iso(now() + DAY) },
            });
            assert.equal(res.status, 201, res.text);
            const session = sessionOf(await login('tempo', NEW_PASSWORD));
            res = await api('POST', '/api/v1/tokens', { ...as(session), body: { name: 'script' } });
            assert.equal(res.status, 201, res.text);
            const token = res.json.token;
            assert.equal((await api('GET', '/api/v1/session', { token })).status, 200);
            moveClock(DAY + 5);
            // At once, before any sweep could run.
            assertProblem(await api('GET', '/api/v1/session', { token }), 401);
            assertProblem(await login('tempo', NEW_PASSWORD), 403);
            let u;
            for (let i = 0; i < 50; i++) {
                u = await user('tempo');
                if (u.disabled) break;
                await new Promise((r) => setTimeout(r, 200)); // the sweep runs every second
            }
            assert.equal(u.disabled, true);
            assert.equal(u.disabled_reason, 'expired');
            assertProblem(await login('tempo', NEW_PASSWORD), 403, 'account-disabled');
            assert.equal((await auditOf('user.expire', 'tempo')).length, 1);
        });

        test('acc-1.6 expiry: a warning in the last 15 days, then only a password change works', async () => {
            const changed = Math.floor(Date.parse((await user('ewan')).password_changed_at) / 1000);
            const expires = changed + 90 * DAY;
            moveClock(changed + 74 * DAY - now());
            let res = await login('ewan', USER_PASSWORD);
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.password_warning, false);
            assert.equal(Date.parse(res.json.password_expires_at) / 1000, expires);
            moveClock(2 * DAY);
            res = await login('ewan', USER_PASSWORD);
            assert.equal(res.json.password_warning, true);
            // Privileged accounts expire after 60 days: the administrator's already has.
            assertProblem(await login('admin', ADMIN_PASSWORD), 403, 'password-expired');
            moveClock(15 * DAY);
            res = await login('ewan', USER_PASSWORD);
            assertProblem(res, 403, 'password-expired');
            assert.equal(Date.parse(res.json.password_expired_at) / 1000, expires);
            res = await changePassword('ewan', USER_PASSWORD, 'ewan-Is-Back-7');
            assert.deepEqual(fieldErrors(res), ['new_password:pw_username']);
            res = await changePassword('ewan', USER_PASSWORD, NEW_PASSWORD);
            assert.equal(res.status, 204, res.text);
            res = await login('ewan', NEW_PASSWORD);
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.password_warning, false);
        });

        test('acc-5.1 the CLI mirrors the API', async () => {
            const pwFile = path.join(tmp, 'pw');
            fs.writeFileSync(pwFile, `${NEW_PASSWORD}\n`);
            const run = (...args) => cliResult(['user', ...args, ...srv.dbArgs], { env: { OPSLEDGER_USER_PASSWORD: NEW_PASSWORD } });
            // (The CLI runs on the real clock, the server 91 days ahead: a regular account.)
            let r = run('add', 'cli-user', '--email', 'cli@example.com', '--display-name', 'Cli User');
            assert.equal(r.status, 0, r.stderr);
            r = run('show', 'cli-user');
            assert.equal(r.status, 0, r.stderr);
            assert.equal(JSON.parse(r.stdout).email, 'cli@example.com');
            r = run('list', '--kind', 'regular');
            assert.match(r.stdout, /^cli-user\s+regular\s+active/m);
            r = run('set', 'cli-user', '--email', 'nope');
            assert.equal(r.status, 1);
            assert.match(r.stderr, /email: must be an e-mail address/);
            r = run('disable', 'cli-user');
            assert.equal(r.status, 1);
            assert.match(r.stderr, /reason: /);
            r = run('disable', 'cli-user', '--reason', 'contract ended');
            assert.equal(r.status, 0, r.stderr);
            assert.equal((await user('cli-user')).disabled, true);
            r = run('enable', 'cli-user');
            assert.equal(r.status, 0, r.stderr);
            r = cliResult(['user', 'passwd', 'cli-user', '--password-file', pwFile, ...srv.dbArgs]);
            assert.equal(r.status, 1); // the same password again: history
            assert.match(r.stderr, /password: must differ from the last 10 passwords/);
            fs.writeFileSync(pwFile, 'Zr8!pLm-Qw4n\n');
            r = cliResult(['user', 'passwd', 'cli-user', '--password-file', pwFile, ...srv.dbArgs]);
            assert.equal(r.status, 0, r.stderr);
            assert.equal((await user('cli-user')).must_change_password, true);
            assert.equal(run('add', 'x').status, 1);
        });
    });

    describe(`accounts step-up [${backend}]`, () => {
        let srv;
        before(async () => {
            srv = await startServer({ backend, users: [{ name: 'dora' }], args: ['--mfa_required', 'privileged'] });
        });
        after(async () => srv?.stop());

        test('acc-4.3 disable, enable and password resets need an MFA step-up', async () => {
            for (const [p, body] of [
                ['/api/v1/users/dora/disable', { reason: 'x' }],
                ['/api/v1/users/dora/enable', {}],
                ['/api/v1/users/dora/password', { password: NEW_PASSWORD }],
            ]) {
                const res = await srv.api('POST', p, { body });
                assert.equal(res.status, 403, res.text);
                assert.equal(res.json.type, '/problems/step-up-required');
            }
            const dora = (await srv.api('GET', '/api/v1/users/dora')).json;
            assert.equal(dora.disabled, false);
            assert.equal(dora.must_change_password, false);
        });
    });
    describe(`accounts of the directory [${backend}]`, { skip: slapdMissing() ?? false }, () => {
        let dir, srv, tmp, clockFile;
        const login = (username, password) =>
            srv.api('POST', '/api/v1/session', { body: { username, password }, token: null });
        before(async () => {
            tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opsledger-accounts-dir-'));
            clockFile = path.join(tmp, 'clock');
            fs.writeFileSync(clockFile, '0');
            dir = await startSlapd({
                people: [{ uid: 'dina', cn: 'Dina Directory', password: 'dina-Dir-pw1' }],
                groups: [{ cn: 'ops', members: ['dina'] }],
            });
            srv = await startServer({
                backend,
                args: ['--ldap_url', dir.url, '--ldap_bind_dn', SVC_DN, '--ldap_bind_password_file',
                    dir.svcPasswordFile, '--ldap_base_dn', BASE, '--ldap_role_map',
                    `cn=ops,ou=groups,${BASE}=ops_engineer`, '--ldap_timeout', '3'],
                env: { OPSLEDGER_TEST_CLOCK: clockFile },
            });
        });
        after(async () => {
            await srv?.stop();
            await dir?.stop();
            if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        });

        test('acc-6.1 directory passwords do not expire here, but wrong ones lock the account', async () => {
            let res = await login('dina', 'dina-Dir-pw1');
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.password_expires_at, undefined);
            const dina = (await srv.api('GET', '/api/v1/users/dina')).json;
            assert.equal(dina.auth_source, 'ldap');
            assert.equal(dina.password_expires_at, null);
            fs.writeFileSync(clockFile, String(200 * DAY)); // far past any password age
            res = await login('dina', 'dina-Dir-pw1');
            assert.equal(res.status, 200, res.text);
            // The directory owns the password: no reset here.
            res = await srv.api('POST', '/api/v1/users/dina/password', { body: { password: NEW_PASSWORD } });
            assert.equal(res.status, 409, res.text);
            for (let i = 1; i <= 4; i++) assert.equal((await login('dina', `wrong-${i}`)).status, 401);
            res = await login('dina', 'wrong-5');
            assert.equal(res.status, 403, res.text);
            assert.equal(res.json.type, '/problems/account-locked');
            res = await login('dina', 'dina-Dir-pw1');
            assert.equal(res.json.type, '/problems/account-locked');
            fs.writeFileSync(clockFile, String(200 * DAY + 901));
            assert.equal((await login('dina', 'dina-Dir-pw1')).status, 200);
        });
    });
}
