// tests/api/http.test.mjs - the HTTP layer: authentication, health and metrics, request limits
// answered with the right 4xx and nothing written, sessions with CSRF, the OpenAPI document.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { ADMIN_PASSWORD, backends, sleep, startServer } from './harness.mjs';

/** Sends raw bytes on a fresh connection; resolves with the status line's code (0 when the server
 * closed the connection without answering). halfClose: send FIN right after the request. */
function rawRequest(url, data, { timeoutMs = 10_000, halfClose = false } = {}) {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
        const sock = net.connect({ host: hostname, port: Number(port) });
        let got = '';
        const timer = setTimeout(() => {
            sock.destroy();
            reject(new Error('no answer in time'));
        }, timeoutMs);
        sock.on('connect', () => (halfClose ? sock.end(data) : sock.write(data)));
        sock.on('data', (d) => {
            got += d.toString('latin1');
            if (got.includes('\r\n\r\n')) sock.destroy(); // the status is all we need
        });
        sock.on('error', () => {
            /* a reset after the answer is fine */
        });
        sock.on('close', () => {
            clearTimeout(timer);
            const m = /^HTTP\/1\.[01] (\d{3})/.exec(got);
            resolve(m ? Number(m[1]) : 0);
        });
    });
}

for (const backend of backends()) {
    describe(`http [${backend}]`, () => {
        let srv;
        const api = (...a) => srv.api(...a);

        before(async () => {
            srv = await startServer({ backend });
        });
        after(async () => {
            await srv?.stop();
        });

        async function count() {
            const res = await api('GET', '/api/v1/articles?limit=200');
            assert.equal(res.status, 200, res.text);
            return res.json.items.length;
        }
        function assertProblem(res, status) {
            assert.equal(res.status, status, res.text);
            assert.match(res.headers.get('content-type'), /^application\/problem\+json/);
            assert.equal(res.json.status, status);
        }

        // ---- 1. authentication ----------------------------------------------------------

        test('http-1.1 unauthenticated reads answer 401 with WWW-Authenticate', async () => {
            for (const p of ['/api/v1/articles', '/api/v1/articles/KB-000001', '/api/v1/openapi.json', '/api/v1/search?q=x', '/api/v1/session']) {
                const res = await api('GET', p, { token: null });
                assertProblem(res, 401);
                assert.match(res.headers.get('www-authenticate') || '', /^Bearer/, p);
            }
        });

        test('http-1.2 unauthenticated and badly authenticated writes answer 401 and write nothing', async () => {
            const before = await count();
            let res = await api('POST', '/api/v1/articles', { body: { title: 'Anonymous article' }, token: null });
            assertProblem(res, 401);
            assert.ok(res.headers.get('www-authenticate'));
            res = await api('POST', '/api/v1/articles', { body: { title: 'Forged token' }, token: 'olt_not-a-real-token' });
            assertProblem(res, 401);
            res = await api('POST', '/api/v1/articles', {
                body: { title: 'Basic auth' },
                token: null,
                headers: { Authorization: 'Basic YWRtaW46cGFzcw==' },
            });
            assertProblem(res, 401);
            res = await api('POST', '/api/v1/articles', { body: { title: 'Bad cookie' }, token: null, headers: { Cookie: 'ol_session=forged' } });
            assertProblem(res, 401);
            assert.equal(await count(), before);
            const created = await api('POST', '/api/v1/articles', { body: { title: 'First real article' } });
            assert.equal(created.status, 201, created.text);
            assert.equal(created.json.number, 'KB-000001', 'refused writes did not use a number');
        });

        // ---- 2. health, readiness, metrics ------------------------------------------------

        test('http-2.1 /healthz and /readyz answer without authentication', async () => {
            let res = await api('GET', '/healthz', { token: null });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.status, 'up');
            res = await api('GET', '/readyz', { token: null });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.status, 'ready');
        });

        test('http-2.1.1 / lists the API entry points and the declared types; public routes are GET only', async () => {
            let res = await api('GET', '/', { token: null });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.openapi, '/api/v1/openapi.json');
            for (const t of ['articles', 'elevations']) assert.ok(res.json.types.includes(t), `type ${t} listed`);
            for (const path of ['/', '/healthz', '/readyz', '/metrics']) {
                res = await api('POST', path, { token: null, body: {} });
                assertProblem(res, 405);
                assert.equal(res.headers.get('allow'), 'GET, HEAD');
            }
        });

        test('http-2.2 /metrics is Prometheus text with requests, queue depth and commit latency', async () => {
            await api('GET', '/api/v1/articles/KB-000001');
            await api('PATCH', '/api/v1/articles/KB-000001', { body: { title: 'x' } }); // 428
            // A request is counted when libmicrohttpd reports it complete, which can come just
            // after the client has its answer (seen under ASan): ask again for up to 2 s.
            const patched = /^opsledger_http_requests_total\{method="PATCH",route="\/api\/v1\/\{type\}\/\{number\}",status="428"\} \d+$/m;
            let res = await api('GET', '/metrics', { token: null });
            for (let i = 0; i < 20 && !patched.test(res.text); i++) {
                await new Promise((r) => setTimeout(r, 100));
                res = await api('GET', '/metrics', { token: null });
            }
            assert.equal(res.status, 200, res.text);
            assert.match(res.headers.get('content-type'), /^text\/plain/);
            const t = res.text;
            assert.match(t, /^# TYPE opsledger_http_requests_total counter$/m);
            assert.match(t, /^opsledger_http_requests_total\{method="GET",route="\/api\/v1\/\{type\}\/\{number\}",status="200"\} \d+$/m);
            assert.match(t, /^opsledger_http_requests_total\{method="PATCH",route="\/api\/v1\/\{type\}\/\{number\}",status="428"\} \d+$/m);
            assert.match(t, /^opsledger_http_request_duration_seconds_bucket\{route="[^"]+",le="\+Inf"\} \d+$/m);
            assert.match(t, /^opsledger_db_writer_queue_depth \d+$/m);
            assert.match(t, /^# TYPE opsledger_db_commit_duration_seconds histogram$/m);
            assert.match(t, /^opsledger_db_commit_duration_seconds_bucket\{le="\+Inf"\} [1-9]\d*$/m);
            assert.match(t, /^opsledger_db_commit_duration_seconds_count [1-9]\d*$/m);
            assert.doesNotMatch(t, /[\x00-\x08]/, 'no binary garbage');
        });

        test('http-2.3 metrics count each method correctly across closed connections', async () => {
            for (let i = 0; i < 3; i++) {
                const status = await rawRequest(srv.url, `DELETE /healthz-${i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
                assert.equal(status, 404);
            }
            await rawRequest(srv.url, 'GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
            const res = await api('GET', '/metrics', { token: null });
            assert.match(res.text, /^opsledger_http_requests_total\{method="DELETE",route="unmatched",status="404"\} 3$/m);
        });

        // ---- 3. limits and malformed requests ---------------------------------------------

        test('http-3.1 a body over 1 MiB answers 413 and writes nothing', async () => {
            const before = await count();
            const res = await api('POST', '/api/v1/articles', {
                body: { title: 'Huge article', body: 'x'.repeat(1024 * 1024 + 10) },
            });
            assertProblem(res, 413);
            assert.equal(await count(), before);
        });

        test('http-3.2 JSON nested 40 deep answers 400 and writes nothing', async () => {
            const before = await count();
            const deep = `{"title":"Deep article","body":${'['.repeat(40)}${']'.repeat(40)}}`;
            const res = await api('POST', '/api/v1/articles', { body: deep, headers: { 'Content-Type': 'application/json' } });
            assertProblem(res, 400);
            assert.equal(res.json.errors, undefined, 'refused by the parser, before validation');
            // 30 levels parse; the unknown field is then refused by validation.
            const ok = `{"title":"Deep article","colour":${'['.repeat(30)}${']'.repeat(30)}}`;
            const v = await api('POST', '/api/v1/articles', { body: ok, headers: { 'Content-Type': 'application/json' } });
            assertProblem(v, 400);
            assert.deepEqual(v.json.errors.map((e) => e.field), ['colour']);
            const deepObj = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`;
            assertProblem(await api('POST', '/api/v1/articles', { body: deepObj, headers: { 'Content-Type': 'application/json' } }), 400);
            assert.equal(await count(), before);
        });

        test('http-3.3 invalid JSON answers 400 and writes nothing', async () => {
            const before = await count();
            for (const body of ['{"title": "x"', '{title: "Bare key"}', '', '{"title":"a"} trailing', '{"title":"\\ud800 lone surrogate"}']) {
                const res = await api('POST', '/api/v1/articles', { body, headers: { 'Content-Type': 'application/json' } });
                assertProblem(res, 400);
            }
            assert.equal(await count(), before);
        });

        test('http-3.4 a wrong content type answers 415 and writes nothing', async () => {
            const before = await count();
            let res = await api('POST', '/api/v1/articles', { body: '{"title":"Text plain"}', headers: { 'Content-Type': 'text/plain' } });
            assertProblem(res, 415);
            res = await api('POST', '/api/v1/articles', { body: 'title=Form', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
            assertProblem(res, 415);
            res = await api('POST', '/api/v1/articles', { body: '{"title":"No type"}' });
            assertProblem(res, 415);
            for (const ct of ['application/jsonp', 'application/json-patch+json', 'application/javascript']) {
                res = await api('POST', '/api/v1/articles', { body: '{"title":"Odd type"}', headers: { 'Content-Type': ct } });
                assertProblem(res, 415);
            }
            assert.equal(await count(), before);
            res = await api('POST', '/api/v1/articles', {
                body: '{"title":"With charset"}',
                headers: { 'Content-Type': 'application/json; charset=utf-8' },
            });
            assert.equal(res.status, 201, res.text);
        });

        test('http-3.5 an unknown type or path answers 404', async () => {
            assertProblem(await api('GET', '/api/v1/widgets'), 404);
            assertProblem(await api('POST', '/api/v1/widgets', { body: { title: 'Widget' } }), 404);
            assertProblem(await api('GET', '/api/v2/articles'), 404);
            assertProblem(await api('GET', '/nothing-here'), 404);
            assertProblem(await api('GET', '/api/v1/articles/KB-000001/nothing'), 404);
            assertProblem(await api('GET', '/api/v1/a/b/c/d/e/f/g/h/i'), 404);
        });

        test('http-3.6 a wrong method answers 405 with Allow', async () => {
            const cases = [
                ['DELETE', '/api/v1/articles', 'GET, POST'],
                ['PUT', '/api/v1/articles/KB-000001', 'GET, PATCH'],
                ['GET', '/api/v1/articles/KB-000001/transitions/submit', 'POST'],
                ['PUT', '/api/v1/articles/KB-000001/comments', 'GET, POST'],
                ['POST', '/api/v1/articles/KB-000001/history', 'GET'],
                ['GET', '/api/v1/articles/KB-000001/links/1', 'DELETE'],
                ['PUT', '/api/v1/session', 'GET, POST, DELETE'],
                ['PUT', '/api/v1/tokens', 'GET, POST'],
                ['GET', '/api/v1/tokens/1', 'DELETE'],
                ['DELETE', '/api/v1/users', 'GET, POST'], // S4: GET lists users
                ['POST', '/api/v1/openapi.json', 'GET'],
                ['PATCH', '/api/v1/search?q=x', 'GET'],
            ];
            for (const [method, p, allow] of cases) {
                const res = await api(method, p);
                assertProblem(res, 405);
                assert.equal(res.headers.get('allow'), allow, `${method} ${p}`);
            }
        });

        test('http-3.7 a 100 KB header is refused with a 4xx and the server keeps answering', async () => {
            const status = await rawRequest(
                srv.url,
                `GET /api/v1/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${srv.token}\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\nConnection: close\r\n\r\n`,
            );
            assert.ok(status >= 400 && status < 500, `status ${status}`);
            let threw = null;
            try {
                const res = await api('GET', '/api/v1/articles', { headers: { 'X-Big': 'a'.repeat(100 * 1024) } });
                assert.ok(res.status >= 400, `fetch status ${res.status}`);
            } catch (e) {
                threw = e; // the server may close the connection instead: acceptable, if it lives on
            }
            void threw;
            const res = await api('GET', '/healthz');
            assert.equal(res.status, 200);
            assert.equal((await api('GET', '/api/v1/articles/KB-000001')).status, 200);
        });

        test('http-3.8 a bad If-Match or a number of the wrong form is refused', async () => {
            assertProblem(
                await api('PATCH', '/api/v1/articles/KB-000001', { body: { title: 'Bad' }, headers: { 'If-Match': '"0"' } }),
                400,
            );
            assertProblem(
                await api('PATCH', '/api/v1/articles/KB-000001', { body: { title: 'Bad' }, headers: { 'If-Match': '"1x"' } }),
                400,
            );
            assertProblem(await api('GET', `/api/v1/articles/${'K'.repeat(300)}`), 404);
        });

        test('http-3.9 problem answers carry type, title, status, detail and instance', async () => {
            const res = await api('GET', '/api/v1/articles/KB-424242');
            assertProblem(res, 404);
            assert.equal(typeof res.json.type, 'string');
            assert.equal(res.json.title, 'Not Found');
            assert.equal(typeof res.json.detail, 'string');
            assert.equal(res.json.instance, '/api/v1/articles/KB-424242');
            assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
        });

        test('http-3.10 a chunked body over 1 MiB (no Content-Length) answers 413 and writes nothing', async () => {
            const before = await count();
            const json = JSON.stringify({ title: 'Chunked article', body: 'y'.repeat(1024 * 1024 + 100) });
            const chunks = [];
            for (let i = 0; i < json.length; i += 64 * 1024) {
                const part = json.slice(i, i + 64 * 1024);
                chunks.push(`${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`);
            }
            const status = await rawRequest(
                srv.url,
                `POST /api/v1/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${srv.token}\r\n` +
                    `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
                    `${chunks.join('')}0\r\n\r\n`,
            );
            assert.equal(status, 413);
            assert.equal(await count(), before);
            // A small chunked body is accepted.
            const small = JSON.stringify({ title: 'Small chunked' });
            const ok = await rawRequest(
                srv.url,
                `POST /api/v1/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${srv.token}\r\n` +
                    `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
                    `${Buffer.byteLength(small).toString(16)}\r\n${small}\r\n0\r\n\r\n`,
            );
            assert.equal(ok, 201);
            assert.equal(await count(), before + 1);
        });

        test('http-3.11 clients that hang up during a write leave the server consistent', async () => {
            const before = await count();
            const body = JSON.stringify({ title: 'Hung up article' });
            const req = `POST /api/v1/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${srv.token}\r\n` +
                `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
            const statuses = await Promise.all(Array.from({ length: 10 }, () => rawRequest(srv.url, req, { halfClose: true })));
            for (const st of statuses) assert.ok(st === 0 || st === 201, `status ${st}`);
            // Whether or not the answer reached them, each write committed exactly once.
            await sleep(200);
            assert.equal(await count(), before + 10);
            assert.equal((await api('GET', '/healthz')).status, 200);
        });

        // ---- 4. browser sessions and CSRF -------------------------------------------------

        let cookie;
        let csrf;
        test('http-4.1 login sets an HttpOnly SameSite=Strict cookie and returns csrf_token', async () => {
            const res = await api('POST', '/api/v1/session', {
                body: { username: 'admin', password: ADMIN_PASSWORD },
                token: null,
            });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.username, 'admin');
            assert.equal(typeof res.json.csrf_token, 'string');
            assert.ok(res.json.csrf_token.length >= 16);
            csrf = res.json.csrf_token;
            const sc = res.headers.get('set-cookie');
            assert.ok(sc, 'Set-Cookie');
            assert.match(sc, /^ol_session=[^;]+/);
            assert.match(sc, /;\s*HttpOnly/i);
            assert.match(sc, /;\s*SameSite=Strict/i);
            assert.match(sc, /;\s*Path=\//);
            assert.doesNotMatch(sc, /Secure/, 'no Secure without TLS');
            cookie = sc.split(';')[0];
        });

        test('http-4.2 wrong credentials are refused and set no cookie', async () => {
            for (const body of [
                { username: 'admin', password: 'wrong-password' },
                { username: 'nobody', password: ADMIN_PASSWORD },
            ]) {
                const res = await api('POST', '/api/v1/session', { body, token: null });
                assertProblem(res, 401);
                assert.equal(res.headers.get('set-cookie'), null);
            }
            const res = await api('POST', '/api/v1/session', { body: { username: 'admin' }, token: null });
            assertProblem(res, 400);
            assert.deepEqual(res.json.errors.map((e) => e.field), ['password']);
        });

        test('http-4.3 the cookie authenticates reads', async () => {
            const res = await api('GET', '/api/v1/session', { token: null, headers: { Cookie: cookie } });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.username, 'admin');
            assert.equal(res.json.via_session, true);
            assert.equal(res.json.csrf_token, csrf);
            assert.equal((await api('GET', '/api/v1/articles', { token: null, headers: { Cookie: cookie } })).status, 200);
        });

        test('http-4.4 a cookie write without X-CSRF-Token answers 403; with it 201', async () => {
            const before = await count();
            let res = await api('POST', '/api/v1/articles', { body: { title: 'Cookie article' }, token: null, headers: { Cookie: cookie } });
            assertProblem(res, 403);
            res = await api('POST', '/api/v1/articles', {
                body: { title: 'Cookie article' },
                token: null,
                headers: { Cookie: cookie, 'X-CSRF-Token': 'forged-token' },
            });
            assertProblem(res, 403);
            assert.equal(await count(), before);
            res = await api('POST', '/api/v1/articles', {
                body: { title: 'Cookie article' },
                token: null,
                headers: { Cookie: cookie, 'X-CSRF-Token': csrf },
            });
            assert.equal(res.status, 201, res.text);
            assert.equal(res.json.created_by, 'admin');
            assert.equal(await count(), before + 1);
        });

        test('http-4.5 logout needs the CSRF token, then invalidates the cookie', async () => {
            let res = await api('DELETE', '/api/v1/session', { token: null, headers: { Cookie: cookie } });
            assertProblem(res, 403);
            res = await api('GET', '/api/v1/session', { token: null, headers: { Cookie: cookie } });
            assert.equal(res.status, 200, 'a refused logout leaves the session alive');
            res = await api('DELETE', '/api/v1/session', {
                token: null,
                headers: { Cookie: cookie, 'X-CSRF-Token': csrf },
            });
            assert.equal(res.status, 204, res.text);
            assert.match(res.headers.get('set-cookie') || '', /Max-Age=0/);
            res = await api('GET', '/api/v1/articles', { token: null, headers: { Cookie: cookie } });
            assertProblem(res, 401);
            res = await api('POST', '/api/v1/articles', {
                body: { title: 'After logout' },
                token: null,
                headers: { Cookie: cookie, 'X-CSRF-Token': csrf },
            });
            assertProblem(res, 401);
            res = await api('DELETE', '/api/v1/session', {
                token: null,
                headers: { Cookie: cookie, 'X-CSRF-Token': csrf },
            });
            assertProblem(res, 401);
        });

        test('http-4.6 bearer tokens need no CSRF token', async () => {
            const res = await api('POST', '/api/v1/articles', { body: { title: 'Token article' } });
            assert.equal(res.status, 201, res.text);
        });

        test('http-4.7 administrators create users over the API; others may not', async () => {
            let res = await api('POST', '/api/v1/users', {
                body: { username: 'webauthor', password: 'W3b-Auth0r-pass', display_name: 'Web Author', roles: ['kb_author'] },
            });
            assert.equal(res.status, 201, res.text);
            // S4: the answer is the whole account (tests/api/accounts.test.mjs), never a hash.
            assert.deepEqual([res.json.username, res.json.roles], ['webauthor', ['kb_author']]);
            assert.equal(res.json.password_hash, undefined);
            res = await api('POST', '/api/v1/users', { body: { username: 'webreader', password: 'W3b-Reader-pass' } });
            assert.equal(res.status, 201, res.text);
            assert.deepEqual(res.json.roles, []);
            res = await api('POST', '/api/v1/users', { body: { username: 'webauthor', password: 'W3b-Auth0r-pass' } });
            assertProblem(res, 409);
            res = await api('POST', '/api/v1/users', { body: { username: 'weakling', password: 'short' } });
            assertProblem(res, 400);
            assert.ok(res.json.errors.some((e) => e.field === 'password'));
            res = await api('POST', '/api/v1/users', { body: { username: 'x y', password: 'W3b-Auth0r-pass', roles: 'admin', shoe: 1 } });
            assertProblem(res, 400);
            assert.deepEqual(res.json.errors.map((e) => e.field).sort(), ['roles', 'shoe']);
            res = await api('POST', '/api/v1/users', { body: { username: 'newadmin', password: 'Sh0rt-Pass!', roles: ['admin'] } });
            assertProblem(res, 400); // administrators need 12 characters
        });

        test('http-4.8 a user logs in, makes an API token and works with it', async () => {
            let res = await api('POST', '/api/v1/session', { body: { username: 'webauthor', password: 'W3b-Auth0r-pass' }, token: null });
            assert.equal(res.status, 200, res.text);
            const c = res.headers.get('set-cookie').split(';')[0];
            const x = res.json.csrf_token;
            res = await api('GET', '/api/v1/session', { token: null, headers: { Cookie: c } });
            assert.deepEqual(res.json.roles, ['kb_author']);
            res = await api('POST', '/api/v1/users', {
                body: { username: 'sneaky', password: 'Sn3aky-pass-word' },
                token: null,
                headers: { Cookie: c, 'X-CSRF-Token': x },
            });
            assertProblem(res, 403);
            res = await api('POST', '/api/v1/tokens', { body: { name: 'laptop', days: 30 }, token: null, headers: { Cookie: c } });
            assertProblem(res, 403); // a cookie write without the CSRF token
            res = await api('POST', '/api/v1/tokens', { body: { name: 'laptop', days: 30 }, token: null, headers: { Cookie: c, 'X-CSRF-Token': x } });
            assert.equal(res.status, 201, res.text);
            const tok = res.json.token;
            assert.equal(typeof tok, 'string');
            res = await api('POST', '/api/v1/articles', { body: { title: 'By the web author' }, token: tok });
            assert.equal(res.status, 201, res.text);
            assert.equal(res.json.created_by, 'webauthor');
            res = await api('POST', '/api/v1/tokens', { body: { name: '', days: 99999, extra: 1 }, token: tok });
            assertProblem(res, 400);
            assert.deepEqual(res.json.errors.map((e) => e.field).sort(), ['days', 'extra', 'name']);
            // S4: the user lists their tokens (never the secrets) and revokes one; it stops at once.
            res = await api('GET', '/api/v1/tokens', { token: tok });
            assert.equal(res.status, 200, res.text);
            assert.deepEqual(res.json.items.map((t) => [t.name, t.revoked]), [['laptop', false]]);
            assert.ok(!res.text.includes(tok) && !('token_hash' in res.json.items[0]));
            const id = res.json.items[0].id;
            assertProblem(await api('GET', '/api/v1/tokens?user=admin', { token: tok }), 403);
            assertProblem(await api('DELETE', `/api/v1/tokens/${id + 1000}`, { token: tok }), 404);
            res = await api('DELETE', `/api/v1/tokens/${id}`, { token: null, headers: { Cookie: c, 'X-CSRF-Token': x } });
            assert.equal(res.status, 204, res.text);
            assertProblem(await api('GET', '/api/v1/tokens', { token: tok }), 401);
            res = await api('GET', '/api/v1/tokens?user=webauthor');
            assert.deepEqual(res.json.items.map((t) => [t.name, t.revoked]), [['laptop', true]]);
            assertProblem(await api('DELETE', `/api/v1/tokens/${id}`), 404); // already revoked
            // The reader made over the API may read but not create.
            res = await api('POST', '/api/v1/session', { body: { username: 'webreader', password: 'W3b-Reader-pass' }, token: null });
            const rc = res.headers.get('set-cookie').split(';')[0];
            res = await api('POST', '/api/v1/articles', {
                body: { title: 'By the reader' },
                token: null,
                headers: { Cookie: rc, 'X-CSRF-Token': res.json.csrf_token },
            });
            assertProblem(res, 403);
        });

        // ---- 5. the OpenAPI document ------------------------------------------------------

        test('http-5.1 /api/v1/openapi.json describes the articles and their declared fields', async () => {
            const res = await api('GET', '/api/v1/openapi.json');
            assert.equal(res.status, 200, res.text);
            const doc = res.json;
            assert.match(doc.openapi, /^3\./);
            assert.ok(doc.paths['/api/v1/articles'].get);
            assert.ok(doc.paths['/api/v1/articles'].post);
            assert.ok(doc.paths['/api/v1/articles/{number}'].patch);
            for (const sub of ['transitions/{name}', 'comments', 'links', 'history'])
                assert.ok(doc.paths[`/api/v1/articles/{number}/${sub}`], sub);
            assert.ok(doc.paths['/api/v1/search']);
            const art = doc.components.schemas.article;
            assert.ok(art, 'components.schemas.article');
            for (const f of ['title', 'body', 'summary', 'category', 'tags', 'audience', 'owner', 'group', 'review_due'])
                assert.ok(art.properties[f], `field ${f}`);
            for (const f of ['number', 'state', 'version', 'created_at'])
                assert.equal(art.properties[f].readOnly, true, f);
            assert.equal(art.properties.title.maxLength, 200);
            assert.equal(art.properties.title.minLength, 3);
            assert.deepEqual(art.properties.category.enum, ['how_to', 'troubleshooting', 'known_error', 'faq', 'reference', 'policy']);
            assert.equal(art.properties.tags.type, 'array');
            assert.deepEqual(art.properties.state.enum, ['draft', 'in_review', 'published', 'retired']);
            assert.deepEqual(
                art['x-transitions'].map((t) => t.name),
                ['submit', 'publish', 'reject', 'retire', 'revise'],
            );
            const reject = art['x-transitions'].find((t) => t.name === 'reject');
            assert.equal(reject.reason_required, true);
            assert.deepEqual(reject.roles, ['kb_editor']);
            assert.deepEqual(art['x-transitions'].find((t) => t.name === 'submit').requires, ['body']);
            const listSchema = doc.paths['/api/v1/articles'].get.responses['200'].content['application/json'].schema;
            assert.equal(listSchema.properties.items.type, 'array');
            assert.equal(listSchema.properties.items.items.$ref, '#/components/schemas/article');
            assert.equal(doc.paths['/api/v1/articles'].post.requestBody.content['application/json'].schema.$ref, '#/components/schemas/articleInput');
            const input = doc.components.schemas.articleInput;
            assert.deepEqual(input.required, ['title']);
            assert.equal(input.additionalProperties, false);
            assert.ok(doc.components.schemas.Problem);
        });

        // ---- 6. afterwards ---------------------------------------------------------------

        test('http-6.1 after every refused request the store holds only the accepted writes', async () => {
            const res = await api('GET', '/api/v1/articles?limit=200&sort=number');
            const items = res.json.items.filter((r) => r.title !== 'Hung up article');
            assert.equal(res.json.items.length - items.length, 10);
            assert.deepEqual(
                items.map((r) => r.title),
                ['First real article', 'With charset', 'Small chunked', 'Cookie article', 'Token article', 'By the web author'],
            );
            const ns = res.json.items.map((r) => Number(r.number.slice(3)));
            assert.deepEqual(ns, ns.map((_, i) => i + 1), 'numbers without gaps: refused writes used none');
        });
    });
}
