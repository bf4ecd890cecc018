// tests/api/mfa.test.mjs - S3 multi-factor authentication over HTTP: enrolment with an otpauth
// URI and a QR code, confirmation and recovery codes, logins that need a code, replayed and wrong
// codes, mandatory MFA for administrators, step-up for token creation, administrator reset.
// Codes are computed here (RFC 6238, HMAC-SHA1) for the server's moved clock.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ADMIN_PASSWORD, USER_PASSWORD, backends, cli, cliResult, fieldErrors, startServer } from './harness.mjs';

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) of a base32 secret at unix time t. */
function totp(secretB32, t) {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    const bytes = [];
    let bits = 0;
    let acc = 0;
    for (const ch of secretB32) {
        acc = (acc << 5) | alphabet.indexOf(ch);
        bits += 5;
        if (bits >= 8) {
            bytes.push((acc >>> (bits - 8)) & 0xff);
            bits -= 8;
            acc &= (1 << bits) - 1;
        }
    }
    const msg = Buffer.alloc(8);
    msg.writeBigUInt64BE(BigInt(Math.floor(t / 30)));
    const h = crypto.createHmac('sha1', Buffer.from(bytes)).update(msg).digest();
    const o = h[19] & 15;
    const n = (((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3]) % 1_000_000;
    return String(n).padStart(6, '0');
}

test('mfa-0.1 the test TOTP matches the RFC 6238 SHA-1 vectors', () => {
    const key = Buffer.from('12345678901234567890').toString('hex');
    const b32 = (() => {
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
        let bits = '';
        for (const b of Buffer.from(key, 'hex')) bits += b.toString(2).padStart(8, '0');
        let out = '';
        for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
        return out;
    })();
    assert.equal(b32, 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    assert.equal(totp(b32, 59), '287082');
    assert.equal(totp(b32, 1111111109), '081804');
    assert.equal(totp(b32, 2000000000), '279037');
});

for (const backend of backends()) {
    describe(`mfa [${backend}]`, () => {
        let srv;
        let tmp;
        let clockFile;
        let offset = 0;
        const api = (...a) => srv.api(...a);
        const now = () => Date.now() / 1000 + offset;
        function moveClock(seconds) {
            offset += seconds;
            fs.writeFileSync(clockFile, String(offset));
        }
        /** A code of a later 30-second step than any used before (codes are single-use). */
        function nextCode(secret) {
            moveClock(30);
            return totp(secret, now());
        }
        function assertProblem(res, status) {
            assert.equal(res.status, status, res.text);
            assert.match(res.headers.get('content-type'), /^application\/problem\+json/);
        }
        async function passwordLogin(username, password, extra = {}) {
            return api('POST', '/api/v1/session', { body: { username, password, ...extra }, token: null });
        }
        function sessionOf(res) {
            assert.equal(res.status, 200, res.text);
            const sc = res.headers.get('set-cookie');
            assert.ok(sc, 'a session cookie');
            return { Cookie: sc.split(';')[0], 'X-CSRF-Token': res.json.csrf_token };
        }
        const as = (headers) => ({ token: null, headers });

        before(async () => {
            tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opsledger-mfa-'));
            clockFile = path.join(tmp, 'clock');
            fs.writeFileSync(clockFile, '0');
            const args = ['--mfa_required', 'privileged', '--step_up_minutes', '5'];
            if (backend === 'pg') args.push('--mfa_key_file', path.join(tmp, 'mfa.key'));
            srv = await startServer({
                backend,
                users: [{ name: 'alice', roles: [] }],
                args,
                env: { OPSLEDGER_TEST_CLOCK: clockFile },
            });
        });
        after(async () => {
            await srv?.stop();
            if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        });

        let alice; // alice's browser session
        let secret; // alice's TOTP secret
        let recovery; // alice's recovery codes

        test('mfa-1.1 without MFA a non-privileged user logs in with a password', async () => {
            alice = sessionOf(await passwordLogin('alice', USER_PASSWORD));
            const res = await api('GET', '/api/v1/me/mfa', as(alice));
            assert.equal(res.status, 200, res.text);
            assert.deepEqual(res.json, { enabled: false, enrolling: false, required: false, recovery_codes_left: 0 });
        });

        test('mfa-1.2 enrolment returns a base32 secret, an otpauth URI and a QR code in SVG', async () => {
            let res = await api('POST', '/api/v1/me/mfa/enrol', { token: null, headers: { Cookie: alice.Cookie } });
            assertProblem(res, 403); // a cookie write without the CSRF token
            res = await api('POST', '/api/v1/me/mfa/enrol', as(alice));
            assert.equal(res.status, 200, res.text);
            secret = res.json.secret;
            assert.match(secret, /^[A-Z2-7]{32}$/);
            assert.equal(
                res.json.otpauth_uri,
                `otpauth://totp/opsledger:alice?secret=${secret}&issuer=opsledger&algorithm=SHA1&digits=6&period=30`,
            );
            assert.match(res.json.qr_svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 (\d+) \1"[^>]*>.*<path fill="#000" d="(M\d+ \d+h\d+v1h-\d+z)+"\/><\/svg>$/);
            assert.deepEqual([res.json.digits, res.json.period, res.json.algorithm], [6, 30, 'SHA1']);
            res = await api('GET', '/api/v1/me/mfa', as(alice));
            assert.equal(res.json.enrolling, true);
            assert.equal(res.json.enabled, false);
        });

        test('mfa-1.3 a wrong first code is refused; the right one turns MFA on with 10 recovery codes', async () => {
            let res = await api('POST', '/api/v1/me/mfa/confirm', { ...as(alice), body: { code: '000000' === totp(secret, now()) ? '111111' : '000000' } });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['code:mfa_code']);
            res = await api('POST', '/api/v1/me/mfa/confirm', { ...as(alice), body: {} });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['code:required']);
            res = await api('POST', '/api/v1/me/mfa/confirm', { ...as(alice), body: { code: nextCode(secret) } });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.enabled, true);
            recovery = res.json.recovery_codes;
            assert.equal(recovery.length, 10);
            assert.equal(new Set(recovery).size, 10);
            for (const c of recovery) assert.match(c, /^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$/);
            res = await api('GET', '/api/v1/me/mfa', as(alice));
            assert.deepEqual(res.json, { enabled: true, enrolling: false, required: false, recovery_codes_left: 10 });
            res = await api('POST', '/api/v1/me/mfa/enrol', as(alice));
            assertProblem(res, 409); // already on
        });

        test('mfa-1.4 the password alone gives a pending login; a wrong code is refused, the right one logs in, a replay is refused', async () => {
            let res = await passwordLogin('alice', USER_PASSWORD);
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.mfa_required, true);
            assert.match(res.json.mfa_token, /^olm_/);
            assert.equal(res.json.csrf_token, undefined);
            assert.equal(res.headers.get('set-cookie'), null);
            const token = res.json.mfa_token;
            const right = nextCode(secret);
            res = await api('POST', '/api/v1/session/mfa', { body: { mfa_token: token, code: right === '123456' ? '654321' : '123456' }, token: null });
            assertProblem(res, 401);
            assert.equal(res.headers.get('set-cookie'), null);
            res = await api('POST', '/api/v1/session/mfa', { body: { mfa_token: token, code: right }, token: null });
            const s = sessionOf(res);
            assert.equal(res.json.username, 'alice');
            assert.equal(res.json.password_warning, false); // S1: the password's expiry here too
            assert.ok(Date.parse(res.json.password_expires_at) > Date.now());
            res = await api('GET', '/api/v1/session', as(s));
            assert.equal(res.json.username, 'alice');
            // The token was single-use, and the code may not be used again with a new one.
            res = await api('POST', '/api/v1/session/mfa', { body: { mfa_token: token, code: right }, token: null });
            assertProblem(res, 401);
            res = await passwordLogin('alice', USER_PASSWORD);
            res = await api('POST', '/api/v1/session/mfa', { body: { mfa_token: res.json.mfa_token, code: right }, token: null });
            assertProblem(res, 401);
            assert.deepEqual(fieldErrors(res), ['code:mfa_code']);
        });

        test('mfa-1.5 a recovery code logs in once', async () => {
            let res = await passwordLogin('alice', USER_PASSWORD);
            res = await api('POST', '/api/v1/session/mfa', { body: { mfa_token: res.json.mfa_token, recovery_code: recovery[0].toUpperCase() }, token: null });
            sessionOf(res);
            res = await passwordLogin('alice', USER_PASSWORD);
            res = await api('POST', '/api/v1/session/mfa', { body: { mfa_token: res.json.mfa_token, recovery_code: recovery[0] }, token: null });
            assertProblem(res, 401);
            assert.deepEqual(fieldErrors(res), ['recovery_code:mfa_code']);
            res = await api('GET', '/api/v1/me/mfa', as(alice));
            assert.equal(res.json.recovery_codes_left, 9);
        });

        test('mfa-1.6 bad requests to /session/mfa name the field and change nothing', async () => {
            let res = await api('POST', '/api/v1/session/mfa', { body: {}, token: null });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['mfa_token:required']);
            res = await api('POST', '/api/v1/session/mfa', { body: { mfa_token: 'x', code: 5, shoe: 1 }, token: null });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res).sort(), ['code:type_string', 'shoe:unknown']);
            res = await api('POST', '/api/v1/session/mfa', { body: { mfa_token: 'x', code: '123456', recovery_code: 'abcd' }, token: null });
            assertProblem(res, 400);
            res = await api('POST', '/api/v1/session/mfa', { body: { mfa_token: 'olm_forged', code: '123456' }, token: null });
            assertProblem(res, 401);
            assert.deepEqual(fieldErrors(res), ['mfa_token:mfa_token']);
            res = await api('GET', '/api/v1/session/mfa', { token: null });
            assertProblem(res, 405);
        });

        test('mfa-1.7 password and code in one request; a wrong code there is refused', async () => {
            let res = await passwordLogin('alice', USER_PASSWORD, { code: '12345' });
            assertProblem(res, 401);
            assert.equal(res.headers.get('set-cookie'), null);
            res = await passwordLogin('alice', USER_PASSWORD, { code: nextCode(secret) });
            sessionOf(res);
            res = await passwordLogin('alice', 'wrong-password', { code: nextCode(secret) });
            assertProblem(res, 401);
        });

        test('mfa-1.8 wrong codes end a pending login and then lock codes for lockout_minutes', async () => {
            let res = await passwordLogin('alice', USER_PASSWORD);
            const token = res.json.mfa_token;
            for (let i = 0; i < 5; i++) {
                res = await api('POST', '/api/v1/session/mfa', { body: { mfa_token: token, code: 'abcdef' }, token: null });
                assertProblem(res, 401);
            }
            res = await api('POST', '/api/v1/session/mfa', { body: { mfa_token: token, code: nextCode(secret) }, token: null });
            assertProblem(res, 401);
            assert.deepEqual(fieldErrors(res), ['mfa_token:mfa_token']);
            // Five wrong codes in a row: even a right code waits lockout_minutes (15).
            res = await passwordLogin('alice', USER_PASSWORD);
            res = await api('POST', '/api/v1/session/mfa', { body: { mfa_token: res.json.mfa_token, code: nextCode(secret) }, token: null });
            assertProblem(res, 401);
            assert.match(res.json.detail, /too many wrong MFA codes/);
            moveClock(16 * 60);
            res = await passwordLogin('alice', USER_PASSWORD);
            res = await api('POST', '/api/v1/session/mfa', { body: { mfa_token: res.json.mfa_token, code: nextCode(secret) }, token: null });
            alice = sessionOf(res);
        });

        test('mfa-1.9 a pending login token lives 5 minutes', async () => {
            let res = await passwordLogin('alice', USER_PASSWORD);
            const token = res.json.mfa_token;
            assert.equal(res.json.expires_in_seconds, 300);
            moveClock(301);
            res = await api('POST', '/api/v1/session/mfa', { body: { mfa_token: token, code: nextCode(secret) }, token: null });
            assertProblem(res, 401);
            assert.deepEqual(fieldErrors(res), ['mfa_token:mfa_token']);
        });

        test('mfa-1.10 creating an API token needs a step-up within step_up_minutes', async () => {
            // A login with a code counts as a step-up.
            let res = await passwordLogin('alice', USER_PASSWORD, { code: nextCode(secret) });
            alice = sessionOf(res);
            res = await api('POST', '/api/v1/tokens', { ...as(alice), body: { name: 'fresh' } });
            assert.equal(res.status, 201, res.text);
            moveClock(6 * 60);
            res = await api('POST', '/api/v1/tokens', { ...as(alice), body: { name: 'stale' } });
            assertProblem(res, 403);
            assert.equal(res.json.type, '/problems/step-up-required');
            assert.match(res.json.detail, /step-up/);
            res = await api('POST', '/api/v1/tokens', { ...as(alice), body: { name: 'stale' }, headers: { ...alice, 'Accept-Language': 'zh-CN' } });
            assert.match(res.json.detail, /分钟/);
            res = await api('POST', '/api/v1/session/step-up', { ...as(alice), body: { code: '99999x' } });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['code:mfa_code']);
            res = await api('POST', '/api/v1/session/step-up', { ...as(alice), body: { code: nextCode(secret) } });
            assert.equal(res.status, 200, res.text);
            assert.deepEqual(res.json, { step_up: true, valid_minutes: 5 });
            res = await api('POST', '/api/v1/tokens', { ...as(alice), body: { name: 'stepped-up' } });
            assert.equal(res.status, 201, res.text);
            moveClock(5 * 60 + 31);
            res = await api('POST', '/api/v1/tokens', { ...as(alice), body: { name: 'expired' } });
            assertProblem(res, 403);
            assert.equal(res.json.type, '/problems/step-up-required');
        });

        test('mfa-1.11 API tokens cannot step up, so they cannot create tokens under mandatory MFA', async () => {
            let res = await api('POST', '/api/v1/tokens', { body: { name: 'by-token' }, token: srv.tokens.alice });
            assertProblem(res, 403);
            assert.equal(res.json.type, '/problems/step-up-required');
            res = await api('POST', '/api/v1/session/step-up', { body: { code: nextCode(secret) }, token: srv.tokens.alice });
            assertProblem(res, 400);
            // Bearer tokens still work for ordinary requests: they are machine credentials.
            res = await api('GET', '/api/v1/me/mfa', { token: srv.tokens.alice });
            assert.equal(res.status, 200, res.text);
        });

        let admin; // the administrator's session
        let adminSecret;
        test('mfa-1.12 an administrator without MFA must enrol before the login completes', async () => {
            let res = await passwordLogin('admin', ADMIN_PASSWORD);
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.mfa_enrolment_required, true);
            assert.equal(res.headers.get('set-cookie'), null);
            const token = res.json.mfa_token;
            // The token opens nothing else.
            res = await api('GET', '/api/v1/me/mfa', { token });
            assertProblem(res, 401);
            res = await api('POST', '/api/v1/session/mfa', { body: { mfa_token: token, code: '123456' }, token: null });
            assertProblem(res, 401);
            res = await api('POST', '/api/v1/session/mfa/enrol', { body: { mfa_token: token }, token: null });
            assert.equal(res.status, 200, res.text);
            adminSecret = res.json.secret;
            assert.match(res.json.otpauth_uri, /^otpauth:\/\/totp\/opsledger:admin\?/);
            res = await api('POST', '/api/v1/session/mfa/confirm', { body: { mfa_token: token }, token: null });
            assertProblem(res, 400);
            assert.deepEqual(fieldErrors(res), ['code:required']);
            res = await api('POST', '/api/v1/session/mfa/confirm', { body: { mfa_token: token, code: nextCode(adminSecret) }, token: null });
            admin = sessionOf(res);
            assert.equal(res.json.username, 'admin');
            assert.equal(res.json.recovery_codes.length, 10);
            res = await api('GET', '/api/v1/me/mfa', as(admin));
            assert.deepEqual(res.json, { enabled: true, enrolling: false, required: true, recovery_codes_left: 10 });
            // From now on the administrator's password alone is not enough.
            res = await passwordLogin('admin', ADMIN_PASSWORD);
            assert.equal(res.json.mfa_required, true);
        });

        test('mfa-1.13 mandatory MFA cannot be turned off; optional MFA can, with a code', async () => {
            let res = await api('DELETE', '/api/v1/me/mfa', { ...as(admin), body: { code: nextCode(adminSecret) } });
            assertProblem(res, 403);
            assert.match(res.json.detail, /mandatory/);
            res = await api('DELETE', '/api/v1/me/mfa', { ...as(alice), body: { code: '000000' === totp(secret, now()) ? '111111' : '000000' } });
            assertProblem(res, 400);
            res = await api('DELETE', '/api/v1/me/mfa', { ...as(alice), body: { code: nextCode(secret) } });
            assert.equal(res.status, 204, res.text);
            res = await passwordLogin('alice', USER_PASSWORD);
            sessionOf(res);
        });

        test('mfa-1.14 administrators reset another user\'s MFA (step-up, audited); others may not', async () => {
            // alice enrols again.
            let res = await api('POST', '/api/v1/me/mfa/enrol', as(alice));
            const s2 = res.json.secret;
            res = await api('POST', '/api/v1/me/mfa/confirm', { ...as(alice), body: { code: nextCode(s2) } });
            assert.equal(res.status, 200, res.text);
            res = await api('POST', '/api/v1/users/admin/mfa/reset', as(alice));
            assertProblem(res, 403);
            moveClock(6 * 60);
            res = await api('POST', '/api/v1/users/alice/mfa/reset', as(admin));
            assertProblem(res, 403);
            assert.equal(res.json.type, '/problems/step-up-required');
            res = await api('POST', '/api/v1/session/step-up', { ...as(admin), body: { code: nextCode(adminSecret) } });
            assert.equal(res.status, 200, res.text);
            res = await api('POST', '/api/v1/users/nobody/mfa/reset', as(admin));
            assertProblem(res, 404);
            res = await api('POST', '/api/v1/users/alice/mfa/reset', as(admin));
            assert.equal(res.status, 200, res.text);
            assert.deepEqual(res.json, { username: 'alice', enabled: false });
            res = await passwordLogin('alice', USER_PASSWORD);
            sessionOf(res); // alice is not privileged: no MFA any more
        });

        test('mfa-1.14b S3: permission changes (roles, groups, review decisions) need a step-up too', async () => {
            moveClock(6 * 60);
            let res = await api('PUT', '/api/v1/users/alice/access', { ...as(admin), body: { roles: ['tester'] } });
            assertProblem(res, 403);
            assert.equal(res.json.type, '/problems/step-up-required');
            res = await api('POST', '/api/v1/groups', { ...as(admin), body: { name: 'step-up-team' } });
            assertProblem(res, 403);
            // C6: a unit is made without a step-up, but naming its head (an approval right) needs one.
            res = await api('POST', '/api/v1/org_units', { ...as(admin), body: { name: 'step-up-unit' } });
            assert.equal(res.status, 201, res.text);
            res = await api('PATCH', '/api/v1/org_units/step-up-unit', { ...as(admin), body: { head: 'alice' } });
            assert.equal(res.json.type, '/problems/step-up-required', res.text);
            res = await api('POST', '/api/v1/org_units', { ...as(admin), body: { name: 'step-up-unit2', head: 'alice' } });
            assert.equal(res.json.type, '/problems/step-up-required', res.text);
            assert.equal((await api('GET', '/api/v1/org_units/step-up-unit', as(admin))).json.head, null);
            res = await api('PUT', '/api/v1/users/alice/access', { body: { roles: ['tester'] }, token: srv.token });
            assertProblem(res, 403); // an API token cannot step up
            assert.notDeepEqual((await api('GET', '/api/v1/users/alice/access', as(admin))).json.roles, ['tester']);
            res = await api('POST', '/api/v1/session/step-up', { ...as(admin), body: { code: nextCode(adminSecret) } });
            assert.equal(res.status, 200, res.text);
            res = await api('PUT', '/api/v1/users/alice/access', { ...as(admin), body: { roles: ['tester'] } });
            assert.equal(res.status, 200, res.text);
            assert.deepEqual(res.json.roles, ['tester']);
            res = await api('PATCH', '/api/v1/org_units/step-up-unit', { ...as(admin), body: { head: 'alice' } });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.head, 'alice');
        });

        test('mfa-1.14c S3: a bulk export needs a step-up too', async () => {
            moveClock(6 * 60);
            let res = await api('GET', '/api/v1/articles/export', as(admin));
            assertProblem(res, 403);
            assert.equal(res.json.type, '/problems/step-up-required');
            res = await api('GET', '/api/v1/articles/export', { token: srv.token });
            assertProblem(res, 403); // an API token cannot step up
            res = await api('POST', '/api/v1/session/step-up', { ...as(admin), body: { code: nextCode(adminSecret) } });
            assert.equal(res.status, 200, res.text);
            res = await api('GET', '/api/v1/articles/export?format=json', as(admin));
            assert.equal(res.status, 200, res.text);
            assert.ok(Array.isArray(res.json));
        });

        test('mfa-1.14d S3: approving a privilege elevation needs a step-up (a permission change)', async () => {
            let res = await api('POST', '/api/v1/elevations', {
                body: { title: 'Step-up elevation', user: 'alice', role: 'service_desk', reason: 'Needs testing rights for a day', days: 1 },
                token: srv.tokens.alice,
            });
            assert.equal(res.status, 201, res.text);
            const el = res.json.number;
            moveClock(6 * 60);
            res = await api('POST', `/api/v1/elevations/${el}/transitions/approve`, { ...as(admin), body: {} });
            assertProblem(res, 403);
            assert.equal(res.json.type, '/problems/step-up-required');
            assert.equal((await api('GET', `/api/v1/elevations/${el}`, as(admin))).json.state, 'requested');
            res = await api('POST', '/api/v1/session/step-up', { ...as(admin), body: { code: nextCode(adminSecret) } });
            assert.equal(res.status, 200, res.text);
            res = await api('POST', `/api/v1/elevations/${el}/transitions/approve`, { ...as(admin), body: {} });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.state, 'active');
        });

        test('mfa-1.15 `opsledger user mfa-reset NAME` recovers an administrator', async () => {
            const out = cli(['user', 'mfa-reset', 'admin', ...srv.dbArgs]);
            assert.match(out, /MFA of admin reset/);
            let res = await passwordLogin('admin', ADMIN_PASSWORD);
            assert.equal(res.json.mfa_enrolment_required, true);
            const r = cliResult(['user', 'mfa-reset', 'nobody', ...srv.dbArgs]);
            assert.equal(r.status, 1);
            assert.match(r.stderr, /no user 'nobody'/);
        });

        test('mfa-1.16 secrets are sealed at rest and every step is audited', { skip: backend !== 'sqlite' }, async () => {
            const res = await api('POST', '/api/v1/me/mfa/enrol', as(alice));
            assert.equal(res.status, 200, res.text);
            const db = path.join(srv.dataDir, 'opsledger.db');
            const q = (sql) => execFileSync('sqlite3', [db, sql], { encoding: 'utf8' }).trim();
            const sealed = q('SELECT secret_enc FROM user_mfa');
            // S7: sealed under the field-encryption keys, which `keys rotate` re-seals.
            assert.match(sealed, /^enc:v1:k1:[A-Za-z0-9+/=]+$/);
            assert.ok(!sealed.includes(res.json.secret));
            assert.equal(fs.statSync(srv.keyFile).mode & 0o777, 0o600);
            assert.equal(q('SELECT count(*) FROM mfa_recovery_codes'), '0', 'resets removed the recovery codes');
            const actions = new Set(q("SELECT action || ':' || result FROM audit_log WHERE action LIKE 'mfa.%' OR action = 'auth.login'").split('\n'));
            for (const a of ['mfa.enrol:ok', 'mfa.confirm:ok', 'mfa.disable:ok', 'mfa.reset:ok', 'mfa.recovery_used:ok', 'mfa.fail:denied', 'mfa.step_up:ok', 'mfa.disable:denied', 'mfa.reset:denied', 'auth.login:pending', 'auth.login:ok'])
                assert.ok(actions.has(a), `${a} in ${[...actions]}`);
            assert.ok(!q('SELECT group_concat(detail) FROM audit_log').includes(res.json.secret));
            // Rotation re-seals the secret under the new key; the enrolment still confirms.
            assert.match(cli(['keys', 'rotate', ...srv.dbArgs]), /done/);
            assert.match(q('SELECT secret_enc FROM user_mfa'), /^enc:v1:k2:/);
            const confirmed = await api('POST', '/api/v1/me/mfa/confirm', { ...as(alice), body: { code: nextCode(res.json.secret) } });
            assert.equal(confirmed.status, 200, confirmed.text);
        });
    });
}
