// tests/api/outbox.test.mjs - P7 notifications end to end: channels over the API, the outbox,
// and the delivery worker sending to a real local webhook receiver (node http on 127.0.0.1) and
// a minimal SMTP receiver written here (EHLO, MAIL, RCPT, DATA, QUIT). Time moves through
// OPSLEDGER_TEST_CLOCK (the offset only grows); real waits are short polls with a bound.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { BIN, backends, cli, cliResult, startServer } from './harness.mjs';

const WAIT_MS = 15_000;

async function waitFor(what, fn) {
    const end = Date.now() + WAIT_MS;
    for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

/** A webhook receiver: answers per path from a script of statuses (default 200), or 'hang'. */
function webhookReceiver() {
    const rcv = { requests: [], script: {}, hanging: [], delay: {} };
    rcv.server = http.createServer((req, res) => {
        const chunks = [];
        req.on('data', (d) => chunks.push(d));
        req.on('end', () => {
            const u = new URL(req.url, 'http://x');
            const entry = { path: u.pathname, query: u.searchParams, headers: req.headers,
                body: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
            const plan = rcv.script[u.pathname] || [];
            const status = plan.length > 1 ? plan.shift() : plan[0] ?? 200;
            entry.status = status;
            rcv.requests.push(entry);
            if (status === 'hang') {
                rcv.hanging.push(res);
                return;
            }
            setTimeout(() => {
                res.writeHead(status, { 'Content-Type': 'application/json' });
                res.end(status === 200 ? '{"errcode":0,"errmsg":"ok"}' : '{"error":"try later"}');
            }, rcv.delay[u.pathname] || 0);
        });
    });
    rcv.url = (p) => `http://127.0.0.1:${rcv.server.address().port}${p}`;
    rcv.at = (p) => rcv.requests.filter((r) => r.path === p && r.status === 200);
    return new Promise((resolve) => rcv.server.listen(0, '127.0.0.1', () => resolve(rcv)));
}

/** Just enough SMTP to take mail from libcurl. */
function smtpReceiver() {
    const rcv = { mails: [] };
    rcv.server = net.createServer((sock) => {
        let buf = '';
        let mail = null;
        let inData = false;
        sock.write('220 localhost test SMTP\r\n');
        sock.on('data', (d) => {
            buf += d.toString('utf8');
            for (;;) {
                if (inData) {
                    const end = buf.indexOf('\r\n.\r\n');
                    if (end < 0) return;
                    mail.data = buf.slice(0, end);
                    buf = buf.slice(end + 5);
                    inData = false;
                    rcv.mails.push(mail);
                    sock.write('250 OK queued\r\n');
                    continue;
                }
                const nl = buf.indexOf('\r\n');
                if (nl < 0) return;
                const line = buf.slice(0, nl);
                buf = buf.slice(nl + 2);
                const verb = line.slice(0, 4).toUpperCase();
                if (verb === 'EHLO' || verb === 'HELO') sock.write('250 localhost\r\n');
                else if (verb === 'MAIL') {
                    mail = { from: line.slice(10), to: [] };
                    sock.write('250 OK\r\n');
                } else if (verb === 'RCPT') {
                    mail.to.push(line.slice(8));
                    sock.write('250 OK\r\n');
                } else if (verb === 'DATA') {
                    inData = true;
                    sock.write('354 go ahead\r\n');
                } else if (verb === 'QUIT') {
                    sock.end('221 bye\r\n');
                    return;
                } else sock.write('250 OK\r\n');
            }
        });
        sock.on('error', () => {});
    });
    return new Promise((resolve) => rcv.server.listen(0, '127.0.0.1', () => resolve(rcv)));
}

function hmacB64(key, msg) {
    return crypto.createHmac('sha256', key).update(msg).digest('base64');
}

for (const backend of backends()) {
    describe(`notifications P7 [${backend}]`, () => {
        let srv, hook, smtp, tmp, clockFile;
        let offset = 0;
        const advance = (s) => {
            offset += s;
            fs.writeFileSync(clockFile, String(offset));
        };
        const notice = async (id) => {
            const r = await srv.api('GET', '/api/v1/outbox?limit=200');
            return r.json.items.find((n) => n.id === id);
        };
        const channel = async (body) => {
            const r = await srv.api('POST', '/api/v1/notification_channels', { body });
            assert.equal(r.status, 201, r.text);
            return r.json;
        };
        const testNotice = async (name) => {
            const r = await srv.api('POST', `/api/v1/notification_channels/${name}/test`);
            assert.equal(r.status, 202, r.text);
            return r.json.notice_id;
        };

        before(async () => {
            hook = await webhookReceiver();
            smtp = await smtpReceiver();
            tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opsledger-outbox-'));
            clockFile = path.join(tmp, 'clock');
            fs.writeFileSync(clockFile, '0');
            srv = await startServer({
                backend,
                users: [{ name: 'eng', roles: ['ops_engineer'] }],
                args: ['--outbox_max_attempts', '3'],
                env: { OPSLEDGER_TEST_CLOCK: clockFile },
            });
        });
        after(async () => {
            for (const res of hook?.hanging || []) res.destroy();
            await srv?.stop();
            hook?.server.close();
            smtp?.server.close();
            if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        });

        test('each webhook format is delivered in its documented shape, signed when it has a secret', async () => {
            const secret = 'SEC-test-secret-value';
            await channel({ name: 'gen', kind: 'webhook', format: 'generic', url: hook.url('/generic') });
            await channel({ name: 'slk', kind: 'webhook', format: 'slack', url: hook.url('/slack') });
            await channel({ name: 'wcm', kind: 'webhook', format: 'wecom', url: hook.url('/wecom?key=k1') });
            const ding = await channel({ name: 'ding', kind: 'webhook', format: 'dingtalk',
                url: hook.url('/ding?access_token=tok'), secret });
            await channel({ name: 'fei', kind: 'webhook', format: 'feishu', url: hook.url('/feishu'),
                secret, lang: 'zh-CN' });
            assert.equal(ding.has_secret, true);
            assert.equal(ding.url.includes('tok'), false, 'the URL query (an access token) is not shown');
            const all = await srv.api('GET', '/api/v1/notification_channels');
            assert.equal(all.status, 200);
            assert.equal(all.json.items.length, 5);
            assert.equal(all.text.includes(secret), false, 'a secret is never returned');

            const ids = {};
            for (const name of ['gen', 'slk', 'wcm', 'ding', 'fei']) ids[name] = await testNotice(name);
            await waitFor('five deliveries', () => ['/generic', '/slack', '/wecom', '/ding', '/feishu']
                .every((p) => hook.at(p).length === 1));

            const gen = hook.at('/generic')[0];
            assert.equal(gen.headers['x-opsledger-notice'], String(ids.gen));
            assert.equal(gen.body.id, ids.gen);
            assert.equal(gen.body.event, 'channel.test');
            assert.equal(gen.body.channel, 'gen');
            assert.equal(gen.body.subject, 'opsledger: test notification');
            assert.match(gen.body.key, /^test:gen:/);

            assert.match(hook.at('/slack')[0].body.text, /^opsledger: test notification\n\n/);
            const wecom = hook.at('/wecom')[0];
            assert.equal(wecom.body.msgtype, 'text');
            assert.match(wecom.body.text.content, /test notification/);
            assert.equal(wecom.query.get('key'), 'k1');

            const dt = hook.at('/ding')[0];
            assert.equal(dt.body.msgtype, 'text');
            assert.equal(dt.query.get('access_token'), 'tok');
            const ts = dt.query.get('timestamp');
            assert.match(ts, /^\d{13}$/);
            assert.equal(dt.query.get('sign'), hmacB64(secret, `${ts}\n${secret}`));

            const fs1 = hook.at('/feishu')[0];
            assert.equal(fs1.body.msg_type, 'text');
            assert.match(fs1.body.content.text, /^opsledger:测试通知/, 'zh-CN channel gets the zh-CN text');
            assert.match(fs1.body.timestamp, /^\d{10}$/);
            assert.equal(fs1.body.sign, hmacB64(`${fs1.body.timestamp}\n${secret}`, ''));

            for (const id of Object.values(ids)) {
                const n = await waitFor(`notice ${id} sent`, async () => {
                    const x = await notice(id);
                    return x?.state === 'sent' && x;
                });
                assert.equal(n.attempts, 1);
                assert.ok(n.sent_at);
            }
            assert.equal(srv.stderr().includes(secret), false, 'a secret is never logged');
            const audit = await srv.api('GET', '/api/v1/audit?action=notification_channel.create&limit=50');
            assert.equal(audit.json.items.length, 5);
            assert.equal(audit.text.includes(secret), false);
        });

        test('e-mail over SMTP: RFC 2047 subject, Message-ID with the notice id, every recipient', async () => {
            await channel({ name: 'mail', kind: 'email', url: `smtp://127.0.0.1:${smtp.server.address().port}`,
                from: 'ops@example.com', to: ['a@example.com', 'b@example.com'], lang: 'zh-CN' });
            const id = await testNotice('mail');
            const m = await waitFor('a mail', () => smtp.mails[0]);
            assert.equal(m.from, '<ops@example.com>');
            assert.deepEqual(m.to, ['<a@example.com>', '<b@example.com>']);
            const subject = /\r\nSubject: (.*?)\r\n(?! )/s.exec(m.data)[1];
            const decoded = [...subject.matchAll(/=\?UTF-8\?B\?([^?]*)\?=/g)]
                .map((x) => Buffer.from(x[1], 'base64')).reduce((a, b) => Buffer.concat([a, b]));
            assert.equal(decoded.toString('utf8'), 'opsledger:测试通知');
            assert.match(m.data, new RegExp(`\\r\\nMessage-ID: <notice-${id}@example\\.com>\\r\\n`));
            assert.match(m.data, /\r\nTo: a@example.com, b@example.com\r\n/);
            assert.match(m.data, /^Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n/);
            const body = Buffer.from(m.data.split('\r\n\r\n')[1].replace(/\r\n/g, ''), 'base64').toString('utf8');
            assert.equal(body, '这是一条通过通道 mail 发送的测试通知。');
            await waitFor('the mail notice sent', async () => (await notice(id))?.state === 'sent');
        });

        test('a receiver answering 500 gets the notice again after the backoff, then it is sent', async () => {
            hook.script['/flaky'] = [500, 200];
            await channel({ name: 'flaky', kind: 'webhook', url: hook.url('/flaky') });
            const id = await testNotice('flaky');
            const n1 = await waitFor('a failed attempt', async () => {
                const x = await notice(id);
                return x?.attempts === 1 && x.state === 'pending' && x;
            });
            assert.equal(n1.last_error, 'HTTP 500');
            assert.ok(Date.parse(n1.next_attempt_at) > Date.now() + 10_000, 'retried later, not at once');
            advance(31); // past the first backoff (at most outbox_backoff_seconds = 30)
            const n2 = await waitFor('the retry sent', async () => {
                const x = await notice(id);
                return x?.state === 'sent' && x;
            });
            assert.equal(n2.attempts, 2);
            assert.equal(n2.last_error, null);
            assert.equal(hook.requests.filter((r) => r.path === '/flaky').length, 2);
        });

        test('after outbox_max_attempts the notice is dead, audited high, counted; an admin retries it', async () => {
            hook.script['/down'] = [500];
            await channel({ name: 'down', kind: 'webhook', url: hook.url('/down') });
            const id = await testNotice('down');
            for (let attempt = 1; attempt <= 3; attempt++) {
                await waitFor(`attempt ${attempt}`, async () => (await notice(id))?.attempts === attempt &&
                    (await notice(id)).state !== 'sending');
                if (attempt < 3) advance(120); // past the second backoff (at most 60 s)
            }
            const dead = await waitFor('dead', async () => {
                const x = await notice(id);
                return x?.state === 'dead' && x;
            });
            assert.equal(dead.next_attempt_at, null);
            const listed = await srv.api('GET', '/api/v1/outbox?state=dead');
            assert.deepEqual(listed.json.items.map((n) => n.id), [id]);
            const audit = await srv.api('GET', `/api/v1/audit?action=outbox.dead&target=notice:${id}`);
            assert.equal(audit.json.items.length, 1);
            assert.equal(audit.json.items[0].severity, 'high');
            const metrics = await srv.api('GET', '/metrics', { token: null });
            assert.match(metrics.text, /opsledger_outbox_deliveries_total\{result="dead"\} 1\n/);
            assert.match(metrics.text, /opsledger_outbox_deliveries_total\{result="sent"\} \d+/);

            const again = await srv.api('POST', `/api/v1/outbox/${id}/retry`);
            assert.equal(again.status, 200, again.text);
            assert.equal(again.json.state, 'pending');
            assert.equal(again.json.attempts, 0);
            const twice = await srv.api('POST', `/api/v1/outbox/${id}/retry`);
            assert.ok(twice.status === 409 || twice.status === 200, 'pending or already re-sent');
            hook.script['/down'] = [200];
            await waitFor('sent after the retry', async () => (await notice(id))?.state === 'sent');
            const conflict = await srv.api('POST', `/api/v1/outbox/${id}/retry`);
            assert.equal(conflict.status, 409);
            assert.equal((await srv.api('POST', '/api/v1/outbox/999999/retry')).status, 404);
            const retried = await srv.api('GET', `/api/v1/audit?action=outbox.retry&target=notice:${id}`);
            assert.equal(retried.json.items.length, 1);
        });

        test('non-administrators are refused with 403 and change nothing', async () => {
            const t = srv.tokens.eng;
            const before1 = await srv.api('GET', '/api/v1/notification_channels');
            const calls = [
                ['GET', '/api/v1/notification_channels'],
                ['POST', '/api/v1/notification_channels', { name: 'sneaky', kind: 'webhook', url: hook.url('/x') }],
                ['GET', '/api/v1/notification_channels/gen'],
                ['PATCH', '/api/v1/notification_channels/gen', { url: hook.url('/stolen') }],
                ['DELETE', '/api/v1/notification_channels/gen'],
                ['POST', '/api/v1/notification_channels/gen/test'],
                ['GET', '/api/v1/outbox'],
                ['POST', '/api/v1/outbox/1/retry'],
            ];
            for (const [m, p, body] of calls) {
                const r = await srv.api(m, p, { token: t, body });
                assert.equal(r.status, 403, `${m} ${p}`);
            }
            const after1 = await srv.api('GET', '/api/v1/notification_channels');
            assert.deepEqual(after1.json, before1.json);
        });

        test('bad input gets per-field errors and creates nothing', async () => {
            const r = await srv.api('POST', '/api/v1/notification_channels', { body: {
                name: 'Bad Name', kind: 'webhook', format: 'telegram', url: 'ftp://x', colour: 'red' } });
            assert.equal(r.status, 400);
            assert.deepEqual(r.json.errors.map((e) => e.field).sort(), ['colour']);
            const r2 = await srv.api('POST', '/api/v1/notification_channels', { body: {
                name: 'Bad Name', kind: 'webhook', format: 'telegram', url: 'ftp://x' } });
            assert.equal(r2.status, 400);
            assert.deepEqual(r2.json.errors.map((e) => e.field).sort(), ['format', 'name', 'url']);
            const r3 = await srv.api('POST', '/api/v1/notification_channels', { body: {
                name: 'slack2', kind: 'webhook', format: 'slack', url: hook.url('/s'), secret: 'x', to: ['a@b.c'] } });
            assert.deepEqual(r3.json.errors.map((e) => e.field).sort(), ['secret', 'to']);
            const r4 = await srv.api('POST', '/api/v1/notification_channels', { body: {
                name: 'mail2', kind: 'email', url: 'smtp://h', from: 'nobody', to: ['ok@example.com', 'bad'] } });
            assert.deepEqual(r4.json.errors.map((e) => e.field).sort(), ['from', 'to']);
            const r5 = await srv.api('POST', '/api/v1/notification_channels', { body: { name: 'x', kind: 'pager' } },
            );
            assert.deepEqual(r5.json.errors.map((e) => e.field), ['kind']);
            const zh = await srv.api('POST', '/api/v1/notification_channels', {
                body: { name: 'y', kind: 'webhook', url: 'nope' }, headers: { 'Accept-Language': 'zh-CN' } });
            assert.match(zh.json.errors[0].message, /必须是 http/);
            const dup = await srv.api('POST', '/api/v1/notification_channels', { body: { name: 'gen', kind: 'webhook', url: hook.url('/g') } });
            assert.equal(dup.status, 409);
            const bad = await srv.api('PATCH', '/api/v1/notification_channels/gen', { body: { url: 'smtp://x' } });
            assert.deepEqual(bad.json.errors.map((e) => e.field), ['url']);
            assert.equal((await srv.api('GET', '/api/v1/outbox?state=lost')).json.errors[0].field, 'state');
            assert.equal((await srv.api('GET', '/api/v1/outbox?limit=0')).json.errors[0].field, 'limit');
            assert.equal((await srv.api('GET', '/api/v1/notification_channels/none')).status, 404);
            const list = await srv.api('GET', '/api/v1/notification_channels');
            assert.equal(list.json.items.some((c) => ['slack2', 'mail2', 'x', 'y'].includes(c.name)), false);
        });

        test('PATCH changes and disables a channel; a disabled channel takes no test notice', async () => {
            const p = await srv.api('PATCH', '/api/v1/notification_channels/slk', { body: { lang: 'zh-CN' } });
            assert.equal(p.status, 200, p.text);
            assert.equal(p.json.lang, 'zh-CN');
            const d = await srv.api('DELETE', '/api/v1/notification_channels/slk');
            assert.equal(d.json.disabled, true);
            assert.equal((await srv.api('POST', '/api/v1/notification_channels/slk/test')).status, 409);
            const audit = await srv.api('GET', '/api/v1/audit?action=notification_channel.disable&target=channel:slk');
            assert.equal(audit.json.items.length, 1);
        });

        test('the outbox lists with a cursor', async () => {
            const page1 = await srv.api('GET', '/api/v1/outbox?limit=2');
            assert.equal(page1.json.items.length, 2);
            assert.ok(page1.json.next_cursor);
            const page2 = await srv.api('GET', `/api/v1/outbox?limit=2&cursor=${page1.json.next_cursor}`);
            assert.ok(page2.json.items[0].id < page1.json.items[1].id);
        });

        test('an e-mail channel with STARTTLS never sends in clear to a server without it', async () => {
            const before1 = smtp.mails.length;
            await channel({ name: 'tls', kind: 'email', url: `smtp://127.0.0.1:${smtp.server.address().port}`,
                starttls: true, from: 'ops@example.com', to: ['a@example.com'] });
            const id = await testNotice('tls');
            const n = await waitFor('the refused attempt', async () => {
                const x = await notice(id);
                return x?.attempts === 1 && x.state === 'pending' && x;
            });
            assert.match(n.last_error, /SSL|TLS/i);
            assert.equal(smtp.mails.length, before1);
            await srv.api('DELETE', '/api/v1/notification_channels/tls');
        });

        test('the CLI adds, lists, tests and disables channels; the running server delivers', async () => {
            const secret = 'CLI-secret-never-shown';
            const add = cli(['channel', 'add', 'clich', '--kind', 'webhook', '--format', 'feishu',
                '--url', hook.url('/cli'), '--lang', 'zh-CN', ...srv.dbArgs],
            { env: { OPSLEDGER_CHANNEL_SECRET: secret } });
            assert.match(add, /channel clich created/);
            const list = cli(['channel', 'list', ...srv.dbArgs]);
            assert.match(list, /clich\s+webhook\s+feishu\s+zh-CN\s+enabled/);
            assert.equal(list.includes(secret), false);
            const bad = cliResult(['channel', 'add', 'clibad', '--kind', 'email', '--url', 'http://x', ...srv.dbArgs]);
            assert.equal(bad.status, 1);
            assert.match(bad.stderr, /url: must be an smtp/);
            assert.match(bad.stderr, /from: is required/);
            assert.match(cli(['channel', 'test', 'clich', ...srv.dbArgs]), /test notice \d+ queued/);
            const got = await waitFor('the CLI test notice', () => hook.at('/cli')[0]);
            assert.equal(got.body.sign, hmacB64(`${got.body.timestamp}\n${secret}`, ''));
            assert.match(cli(['channel', 'disable', 'clich', ...srv.dbArgs]), /disabled/);
            const ch = await srv.api('GET', '/api/v1/notification_channels/clich');
            assert.equal(ch.json.disabled, true);
            assert.equal(ch.json.has_secret, true);
            const audit = await srv.api('GET', '/api/v1/audit?target=channel:clich&limit=10');
            assert.deepEqual(audit.json.items.map((e) => e.action).sort(), ['notification_channel.create',
                'notification_channel.disable', 'notification_channel.test']);
        });

        test('kill -9 while notices are being sent: after a restart every one is delivered', async () => {
            hook.script['/crash'] = ['hang'];
            await channel({ name: 'crash', kind: 'webhook', url: hook.url('/crash') });
            const ids = [];
            for (let i = 0; i < 3; i++) ids.push(await testNotice('crash'));
            await waitFor('a send in progress', () => hook.requests.some((r) => r.path === '/crash'));
            await srv.kill9();
            for (const res of hook.hanging.splice(0)) res.destroy();
            hook.script['/crash'] = [200];
            await srv.restart();
            advance(200); // past the lease (outbox_lease_seconds = 120) of the dead node's claim
            await waitFor('every notice delivered', async () => {
                const states = await Promise.all(ids.map(notice));
                return states.every((n) => n.state === 'sent');
            });
            const got = new Set(hook.at('/crash').map((r) => Number(r.headers['x-opsledger-notice'])));
            for (const id of ids) assert.ok(got.has(id), `notice ${id} reached the receiver`);
        });

        test('SIGTERM during a send that hangs stops at once and gives the claim back', async () => {
            hook.script['/term'] = ['hang'];
            await channel({ name: 'term', kind: 'webhook', url: hook.url('/term') });
            const id = await testNotice('term');
            await waitFor('a send in progress', () => hook.requests.some((r) => r.path === '/term'));
            const t0 = Date.now();
            await srv.terminate(); // fails unless the server exits 0 (the send timeout is 30 s)
            assert.ok(Date.now() - t0 < 8000, 'the hanging send did not hold the stop');
            for (const res of hook.hanging.splice(0)) res.destroy();
            hook.script['/term'] = [200];
            await srv.restart();
            const n = await waitFor('sent after the restart', async () => {
                const x = await notice(id);
                return x?.state === 'sent' && x;
            });
            assert.equal(n.attempts, 1, 'the interrupted attempt was given back, not counted');
        });

        if (backend === 'pg') {
            test('two nodes on one database never send a notice twice (FOR UPDATE SKIP LOCKED)', async () => {
                const second = spawn(BIN, ['serve', ...srv.dbArgs, '--listen', '127.0.0.1:0',
                    '--mfa_required', 'none', '--outbox_batch', '2'], {
                    env: { ...process.env, OPSLEDGER_TEST_CLOCK: clockFile }, stdio: ['ignore', 'pipe', 'pipe'] });
                try {
                    await new Promise((resolve, reject) => {
                        let out = '';
                        second.stdout.on('data', (d) => {
                            out += d;
                            if (out.includes('listening')) resolve();
                        });
                        second.on('exit', (code) => reject(new Error(`second node exited ${code}`)));
                    });
                    second.stderr.resume();
                    hook.delay['/multi'] = 30; // sends overlap between the nodes
                    await channel({ name: 'multi', kind: 'webhook', url: hook.url('/multi') });
                    const ids = [];
                    for (let i = 0; i < 24; i++) ids.push(await testNotice('multi'));
                    await waitFor('all sent', async () => {
                        const r = await srv.api('GET', '/api/v1/outbox?channel=multi&limit=200');
                        return r.json.items.length === 24 && r.json.items.every((n) => n.state === 'sent');
                    });
                    const seen = hook.at('/multi').map((r) => Number(r.headers['x-opsledger-notice']));
                    assert.deepEqual([...seen].sort((a, b) => a - b), [...ids].sort((a, b) => a - b),
                        'each notice reached the receiver exactly once');
                } finally {
                    second.kill('SIGTERM');
                    await new Promise((r) => (second.exitCode !== null ? r() : second.on('exit', r)));
                }
            });
        }
    });
}
