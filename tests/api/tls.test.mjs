// tests/api/tls.test.mjs - S9 transport: native HTTPS (TLS >= 1.2 only), HSTS on every answer,
// Secure cookies, refusal to start with a bad or exposed key, HSTS/Secure behind a TLS proxy
// (tls=on), and the client address taken from X-Forwarded-For only from trusted proxies.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';

import { ADMIN_PASSWORD, cli, cliResult, request, startServer } from './harness.mjs';

function makeCert(dir, name) {
    const cert = path.join(dir, `${name}.crt`), key = path.join(dir, `${name}.key`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
        '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    fs.chmodSync(key, 0o600);
    return { cert, key, ca: cert };
}

/** Connects with a TLS client limited to [minVersion, maxVersion]; resolves the protocol or
 * the error. SECLEVEL=0 lets the client itself offer the old versions. */
function handshake(port, ca, minVersion, maxVersion) {
    return new Promise((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port, ca, minVersion, maxVersion,
            ciphers: 'DEFAULT@SECLEVEL=0', servername: undefined }, () => {
            const p = s.getProtocol();
            s.end();
            resolve({ protocol: p });
        });
        s.on('error', (e) => resolve({ error: e }));
        s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    });
}

const login = (srv, headers = {}) =>
    srv.api('POST', '/api/v1/session', { body: { username: 'admin', password: ADMIN_PASSWORD }, token: null, headers });

describe('tls', () => {
    let dir, pair, srv;
    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsledger-tls-'));
        pair = makeCert(dir, 'server');
        srv = await startServer({ tls: pair });
    });
    after(async () => {
        await srv?.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    test('tls-1.1 HTTPS answers with HSTS on every response', async () => {
        assert.match(srv.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
        const ok = await srv.api('GET', '/healthz', { token: null });
        assert.equal(ok.status, 200);
        assert.equal(ok.headers.get('strict-transport-security'), 'max-age=31536000');
        const denied = await srv.api('GET', '/api/v1/session', { token: null });
        assert.equal(denied.status, 401);
        assert.equal(denied.headers.get('strict-transport-security'), 'max-age=31536000');
    });

    test('tls-1.2 the session cookie is Secure, HttpOnly and SameSite over HTTPS', async () => {
        const res = await login(srv);
        assert.equal(res.status, 200, res.text);
        const cookie = res.headers.get('set-cookie');
        assert.match(cookie, /; Secure/);
        assert.match(cookie, /; HttpOnly/);
        assert.match(cookie, /; SameSite=Strict/);
    });

    test('tls-1.3 a TLS 1.1 client is refused while a TLS 1.2 client connects', async () => {
        const port = Number(new URL(srv.url).port);
        const ca = fs.readFileSync(pair.ca);
        const v12 = await handshake(port, ca, 'TLSv1.2', 'TLSv1.2');
        assert.equal(v12.protocol, 'TLSv1.2', String(v12.error));
        const v11 = await handshake(port, ca, 'TLSv1', 'TLSv1.1');
        assert.ok(v11.error, `a TLS 1.1 handshake succeeded (${v11.protocol})`);
        assert.notEqual(v11.error.code, 'ERR_SSL_NO_PROTOCOLS_AVAILABLE', 'the client offered TLS 1.1');
    });

    test('tls-1.4 plain HTTP to the HTTPS port gets no answer', async () => {
        const plain = srv.url.replace('https:', 'http:');
        await assert.rejects(request(plain, 'GET', '/healthz', { timeoutMs: 5000 }));
    });

    test('tls-1.5 the CLI client talks HTTPS, trusting the CA given with --cacert', () => {
        const env = { OPSLEDGER_TOKEN: srv.token };
        const ok = cliResult(['records', 'list', 'articles', '--url', srv.url, '--cacert', pair.ca, '--json'], { env });
        assert.equal(ok.status, 0, ok.stderr);
        assert.ok(Array.isArray(JSON.parse(ok.stdout).items), ok.stdout);
        const untrusted = cliResult(['records', 'list', 'articles', '--url', srv.url], { env });
        assert.equal(untrusted.status, 3);
        assert.match(untrusted.stderr, /cannot reach the server at https:.*certificate/i);
        const missing = cliResult(['records', 'list', 'articles', '--url', srv.url, '--cacert', '/nonexistent.pem'], { env });
        assert.equal(missing.status, 2);
        assert.match(missing.stderr, /--cacert \/nonexistent.pem cannot be read/);
    });
});

describe('tls refusals', () => {
    let dir, dataDir;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsledger-tls-'));
        dataDir = path.join(dir, 'data');
        cli(['init', '--data', dataDir], { env: { OPSLEDGER_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const serve = (cert, key) =>
        cliResult(['serve', '--data', dataDir, '--listen', '127.0.0.1:0', '--tls_cert', cert, '--tls_key', key],
            { timeoutMs: 15_000 });

    test('tls-2.1 a key file readable by group or others is refused at start', () => {
        const p = makeCert(dir, 'exposed');
        fs.chmodSync(p.key, 0o644);
        const r = serve(p.cert, p.key);
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, /refusing to start: tls_key .* may be read by its group or others \(mode 0644\): run chmod 600/);
    });

    test('tls-2.2 a missing, invalid or mismatched certificate is refused at start', () => {
        const a = makeCert(dir, 'a'), b = makeCert(dir, 'b');
        let r = serve(path.join(dir, 'nope.crt'), a.key);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /tls_cert .*nope\.crt cannot be read: No such file/);
        const junk = path.join(dir, 'junk.crt');
        fs.writeFileSync(junk, 'not a certificate\n');
        r = serve(junk, a.key);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /are not a usable PEM certificate/);
        r = serve(a.cert, b.key);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /are not a usable PEM certificate and unencrypted private key that belong together/);
        r = cliResult(['serve', '--data', dataDir, '--listen', '127.0.0.1:0', '--tls_cert', a.cert], { timeoutMs: 15_000 });
        assert.equal(r.status, 2);
        assert.match(r.stderr, /set both tls_cert and tls_key/);
    });
});

describe('tls behind a proxy', () => {
    const auditIps = (srv) =>
        execFileSync('sqlite3', [path.join(srv.dataDir, 'opsledger.db'),
            "SELECT ip FROM audit_log WHERE action = 'auth.login' AND result = 'denied' ORDER BY id"],
        { encoding: 'utf8' }).trim().split('\n');
    const badLogin = (srv, xff) =>
        srv.api('POST', '/api/v1/session', { body: { username: 'admin', password: 'wrong' }, token: null,
            headers: xff ? { 'X-Forwarded-For': xff } : {} });

    test('tls-3.1 tls=on (TLS at a proxy): HSTS and Secure cookies over the proxied HTTP; hsts_max_age=0 sends none', async () => {
        const srv = await startServer({ args: ['--tls', 'on', '--hsts_max_age', '600'] });
        try {
            const res = await login(srv);
            assert.equal(res.headers.get('strict-transport-security'), 'max-age=600');
            assert.match(res.headers.get('set-cookie'), /; Secure/);
        } finally {
            await srv.stop();
        }
        const off = await startServer({ args: ['--tls', 'on', '--hsts_max_age', '0'] });
        try {
            const res = await login(off);
            assert.equal(res.headers.get('strict-transport-security'), null);
            assert.match(res.headers.get('set-cookie'), /; Secure/);
        } finally {
            await off.stop();
        }
        const plain = await startServer();
        try {
            const res = await login(plain);
            assert.equal(res.headers.get('strict-transport-security'), null);
            assert.doesNotMatch(res.headers.get('set-cookie'), /Secure/);
        } finally {
            await plain.stop();
        }
    });

    test('tls-3.2 X-Forwarded-For names the audited client only when the peer is a trusted proxy', async () => {
        const trusting = await startServer({ args: ['--trusted_proxies', '10.0.0.0/8, 127.0.0.1'] });
        try {
            await badLogin(trusting, '203.0.113.9');
            // A client's own forged entry is left of what the proxies appended: not believed.
            await badLogin(trusting, '192.0.2.66, 203.0.113.10, 10.1.2.3');
            await badLogin(trusting, 'garbage');
            await badLogin(trusting, null);
            assert.deepEqual(auditIps(trusting), ['203.0.113.9', '203.0.113.10', '127.0.0.1', '127.0.0.1']);
        } finally {
            await trusting.stop();
        }
        const untrusting = await startServer({ args: ['--trusted_proxies', '10.0.0.1'] });
        try {
            await badLogin(untrusting, '203.0.113.9');
            assert.deepEqual(auditIps(untrusting), ['127.0.0.1']);
        } finally {
            await untrusting.stop();
        }
        const r = cliResult(['config', 'check', '--trusted_proxies', '10.0.0.0/33']);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /trusted_proxies: '10.0.0.0\/33' is not an IP address or CIDR block/);
    });
});
