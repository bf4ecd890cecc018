// tests/api/web.test.mjs - the server's side of the web UI: static files from web_root with
// their MIME types, validators and cache policy, index.html for the UI's routes, the strict
// security headers, refusal of traversal and of symlinks leading out of the root, the JSON
// index kept for scripts, and GET /api/v1/schema generated from the declared types.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer } from './harness.mjs';

function webRoot() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opsledger-webroot-'));
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>ui</title><script type="module" src="/assets/app-Ab12.js"></script>');
    fs.writeFileSync(path.join(dir, 'assets', 'app-Ab12.js'), 'console.log(1)');
    fs.writeFileSync(path.join(dir, 'assets', 'app-Ab12.css'), 'body{}');
    fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    fs.writeFileSync(path.join(dir, '.hidden'), 'secret');
    fs.symlinkSync('/etc/passwd', path.join(dir, 'passwd.txt'));
    fs.symlinkSync('/etc', path.join(dir, 'etc'));
    fs.symlinkSync(path.join(dir, 'favicon.svg'), path.join(dir, 'inside.svg'));
    const big = fs.openSync(path.join(dir, 'big.bin'), 'w');
    fs.ftruncateSync(big, 17 * 1024 * 1024);
    fs.closeSync(big);
    return dir;
}

describe('web UI serving', () => {
    let srv, root, base;
    before(async () => {
        root = webRoot();
        srv = await startServer({ args: ['--web_root', root], users: [{ name: 'reader', roles: [] }] });
        base = srv.url.replace(/\/$/, '');
    });
    after(async () => {
        await srv?.stop();
        fs.rmSync(root, { recursive: true, force: true });
    });
    const get = (p, headers = {}) => fetch(base + p, { headers, redirect: 'manual' });

    test('web-1 "/" is the UI for browsers and the JSON index for scripts; /api/v1/ is the index', async () => {
        let r = await get('/', { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type'), /^text\/html/);
        assert.match(await r.text(), /<title>ui<\/title>/);
        r = await get('/', { Accept: 'application/json' });
        assert.equal((await r.json()).openapi, '/api/v1/openapi.json');
        r = await get('/api/v1/');
        assert.equal(r.status, 200);
        assert.ok((await r.json()).types.includes('articles'));
        const p = await srv.api('POST', '/api/v1/', { token: null, body: {} });
        assert.equal(p.status, 405);
    });

    test('web-2 UI routes get index.html (no-cache); hashed assets are immutable; headers are strict', async () => {
        for (const p of ['/records/articles', '/records/articles/KB-000001/edit', '/login']) {
            const r = await get(p, { Accept: 'text/html' });
            assert.equal(r.status, 200, p);
            assert.match(await r.text(), /<title>ui<\/title>/, p);
            assert.equal(r.headers.get('cache-control'), 'no-cache', p);
        }
        const js = await get('/assets/app-Ab12.js');
        assert.equal(js.status, 200);
        assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
        assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
        assert.equal((await get('/assets/app-Ab12.css')).headers.get('content-type'), 'text/css; charset=utf-8');
        assert.equal((await get('/favicon.svg')).headers.get('content-type'), 'image/svg+xml');
        const csp = js.headers.get('content-security-policy');
        assert.match(csp, /script-src 'self';/);
        assert.match(csp, /style-src 'self';/);
        assert.match(csp, /frame-ancestors 'none'/);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
        assert.equal(js.headers.get('x-content-type-options'), 'nosniff');
        assert.equal(js.headers.get('referrer-policy'), 'no-referrer');
        assert.equal(js.headers.get('x-frame-options'), 'DENY');
    });

    test('web-3 ETag and Last-Modified revalidate to 304; HEAD has the headers and no body', async () => {
        const r = await get('/assets/app-Ab12.js');
        const etag = r.headers.get('etag');
        assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+"$/);
        assert.ok(r.headers.get('last-modified'));
        let c = await get('/assets/app-Ab12.js', { 'If-None-Match': etag });
        assert.equal(c.status, 304);
        c = await get('/assets/app-Ab12.js', { 'If-Modified-Since': r.headers.get('last-modified') });
        assert.equal(c.status, 304);
        const h = await fetch(`${base}/index.html`, { method: 'HEAD' });
        assert.equal(h.status, 200);
        assert.equal(h.headers.get('content-length'), String(fs.statSync(path.join(root, 'index.html')).size));
        assert.equal(await h.text(), '');
    });

    test('web-4 traversal, hidden files, symlinks out of the root and oversized files are refused', async () => {
        const raw = async (p) => {
            // fetch() would normalise "..": send the request line as it is.
            const net = await import('node:net');
            const u = new URL(base);
            return new Promise((resolve, reject) => {
                const s = net.connect(Number(u.port), u.hostname, () => s.write(`GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
                let d = '';
                s.on('data', (b) => (d += b));
                s.on('end', () => resolve(d));
                s.on('error', reject);
            });
        };
        for (const p of ['/../../etc/passwd', '/assets/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fetc%2fpasswd', '/.hidden', '/passwd.txt', '/etc/passwd', '/etc/hostname', '/big.bin', '/assets/missing-XYZ.js', '/a\\b.js']) {
            const res = await raw(p);
            assert.doesNotMatch(res, /root:x:0:0/, p);
            assert.doesNotMatch(res, /secret/, p);
            if (/\.\w+$/.test(p) && !p.startsWith('/etc')) assert.match(res, /^HTTP\/1\.1 (404|400)/, `${p}: ${res.slice(0, 40)}`);
        }
        // a symlink that stays inside the root is served
        assert.equal((await get('/inside.svg')).status, 200);
    });

    test('web-5 POST to a UI path is not served; unknown API paths stay problem+json', async () => {
        const r = await srv.api('POST', '/records/articles', { token: null, body: {} });
        assert.equal(r.status, 404);
        const a = await get('/api/v1/nope/x/y', { Accept: 'text/html' });
        assert.equal(a.status, 401);
    });

    test('web-6 /api/v1/schema describes every type with labels, kinds, transitions and what the caller may do', async () => {
        let r = await srv.api('GET', '/api/v1/schema', { token: null });
        assert.equal(r.status, 401);
        r = await srv.api('GET', '/api/v1/schema');
        assert.equal(r.status, 200, r.text);
        const kb = r.json.types.find((t) => t.path === 'articles');
        assert.deepEqual(kb.label, { en: 'Knowledge article', 'zh-CN': '知识文章' });
        assert.deepEqual(kb.states, ['draft', 'in_review', 'published', 'retired']);
        const cat = kb.fields.find((f) => f.name === 'category');
        assert.equal(cat.kind, 'enum');
        assert.ok(cat.values.includes('faq'));
        assert.equal(cat.required, true);
        assert.equal(cat.default, 'how_to');
        assert.equal(kb.fields.find((f) => f.name === 'body').kind, 'text');
        const reject = kb.transitions.find((t) => t.name === 'reject');
        assert.equal(reject.reason_required, true);
        assert.deepEqual(reject.from, ['in_review']);
        assert.equal(reject.label['zh-CN'], '退回修改');
        assert.deepEqual(kb.transitions.find((t) => t.name === 'submit').requires, ['body']);
        assert.equal(reject.allowed, true); // admin
        assert.equal(kb.may.create, true);
        for (const t of r.json.types) assert.ok(t.fields.length && t.states.length && t.prefix, t.path);
        // a user without KB roles may read but not create or publish
        r = await srv.api('GET', '/api/v1/schema', { token: srv.tokens.reader });
        const kb2 = r.json.types.find((t) => t.path === 'articles');
        assert.equal(kb2.may.read, true);
        assert.equal(kb2.may.create, false);
        assert.equal(kb2.transitions.find((t) => t.name === 'publish').allowed, false);
        // S7: sensitive fields are marked, and who may reveal them is said
        const ct = r.json.types.find((t) => t.path === 'contacts');
        assert.equal(ct.fields.find((f) => f.name === 'phone').sensitive, true);
        assert.equal(ct.fields.find((f) => f.name === 'email').sensitive, undefined);
        assert.equal(ct.may.reveal, false);
        const adminCt = (await srv.api('GET', '/api/v1/schema')).json.types.find((t) => t.path === 'contacts');
        assert.equal(adminCt.may.reveal, true);
        assert.equal((await srv.api('POST', '/api/v1/schema', { body: {} })).status, 405);
    });
});

describe('preferences', () => {
    test('web-8 the UI language is remembered per user on the server, validated and audited', async () => {
        const srv = await startServer({ users: [{ name: 'lin', roles: [] }] });
        try {
            const as = { token: srv.tokens.lin };
            assert.deepEqual((await srv.api('GET', '/api/v1/me/preferences', as)).json, { locale: null });
            let r = await srv.api('PATCH', '/api/v1/me/preferences', { ...as, body: { locale: 'fr' } });
            assert.equal(r.status, 400, r.text);
            assert.deepEqual(r.json.errors.map((e) => `${e.field}:${e.code}`), ['locale:enum']);
            r = await srv.api('PATCH', '/api/v1/me/preferences', { ...as, body: { locale: 'zh-CN', theme: 'dark' } });
            assert.equal(r.status, 400, r.text);
            assert.equal((await srv.api('GET', '/api/v1/session', as)).json.locale, null, 'nothing changed');
            r = await srv.api('PATCH', '/api/v1/me/preferences', { ...as, body: { locale: 'zh-CN' } });
            assert.equal(r.status, 200, r.text);
            assert.equal((await srv.api('GET', '/api/v1/session', as)).json.locale, 'zh-CN');
            assert.equal((await srv.api('GET', '/api/v1/session')).json.locale, null, 'per user');
            r = await srv.api('PATCH', '/api/v1/me/preferences', { ...as, body: { locale: null } });
            assert.deepEqual(r.json, { locale: null });
            const audit = await srv.api('GET', '/api/v1/audit?action=user.preferences');
            assert.equal(audit.json.items.length, 2);
            assert.equal((await srv.api('DELETE', '/api/v1/me/preferences', as)).status, 405);
        } finally {
            await srv.stop();
        }
    });
});

describe('web_root configuration', () => {
    test('web-7 a web_root that is not a directory is refused at start', async () => {
        await assert.rejects(startServer({ args: ['--web_root', '/nonexistent/dir'] }), /web_root/);
    });
});
