// tests/api/audit.test.mjs - the tamper-evident audit trail (REQUIREMENTS S8), black-box on both
// backends: records then verify; who may read the log and that reading it is audited; list
// filters and the cursor; 200 concurrent writers (on PostgreSQL from two server processes);
// JSON-lines and RFC 5424 export; retention purge with a moved clock and its checkpoint; and
// tampering directly in the database (an altered, a removed, two swapped entries), which
// `opsledger audit verify` must name exactly.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BIN, backends, cli, cliResult, pool, request, startServer } from './harness.mjs';
import { pgProgram, storeRows } from '../torture/lib.mjs';

const DAY = 86400;

/** Runs a statement that changes the store directly (the tampering of a test). */
function storeExec(srv, sql) {
    if (srv.backend === 'pg') {
        execFileSync(pgProgram('psql') || 'psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', srv.dbUrl, '-c', sql], {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
        });
    } else {
        execFileSync('sqlite3', ['-cmd', '.timeout 10000', path.join(srv.dataDir, 'opsledger.db'), sql], {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
        });
    }
}

/** Like storeExec, but returns the error message (or null when the statement passed). */
function storeExecError(srv, sql) {
    try {
        storeExec(srv, sql);
        return null;
    } catch (e) {
        return String(e.stderr || e.message);
    }
}

const dropTrigger = (srv, name) =>
    storeExec(srv, srv.backend === 'pg' ? `DROP TRIGGER ${name} ON audit_log` : `DROP TRIGGER ${name}`);

async function createArticles(srv, n, token = srv.token) {
    for (let i = 0; i < n; i++) {
        const res = await srv.api('POST', '/api/v1/articles', { body: { title: `Audit article ${i}` }, token });
        assert.equal(res.status, 201, res.text);
    }
}

/** `opsledger audit verify` on the server's store: {status, out, err}. */
function verifyCli(srv, env = {}) {
    const r = cliResult(['audit', 'verify', ...srv.dbArgs], { env });
    return { status: r.status, out: r.stdout, err: r.stderr };
}

function assertProblem(res, status, field) {
    assert.equal(res.status, status, res.text);
    assert.match(res.headers.get('content-type'), /^application\/problem\+json/);
    if (field) assert.ok(res.json.errors.some((e) => e.field === field), `${field} named: ${res.text}`);
}

/** Starts one more server process (a second node) on the same PostgreSQL database. */
function startNode(srv) {
    return new Promise((resolve, reject) => {
        const child = spawn(BIN, ['serve', ...srv.dbArgs, '--listen', '127.0.0.1:0'], {
            stdio: ['ignore', 'pipe', 'pipe'],
            env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OPSLEDGER_'))),
        });
        let out = '';
        let err = '';
        const timer = setTimeout(() => reject(new Error(`second node did not start: ${err}`)), 10_000);
        child.stderr.on('data', (d) => (err += d));
        child.stdout.on('data', (d) => {
            out += d;
            const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
            if (m) {
                clearTimeout(timer);
                resolve({ url: m[1], child });
            }
        });
        child.on('exit', (code) => reject(new Error(`second node exited ${code}: ${err}`)));
    });
}

for (const backend of backends()) {
    describe(`audit trail (${backend})`, () => {
        let srv;
        let clockFile;
        let tmp;
        before(async () => {
            tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opsledger-audit-'));
            clockFile = path.join(tmp, 'clock');
            fs.writeFileSync(clockFile, '0');
            srv = await startServer({
                backend,
                users: [
                    { name: 'aud', roles: ['auditor'] },
                    { name: 'bob', roles: ['kb_author'] },
                ],
                env: { OPSLEDGER_TEST_CLOCK: clockFile },
            });
        });
        after(async () => {
            await srv?.stop();
            fs.rmSync(tmp, { recursive: true, force: true });
        });

        test('audit-1.1 records, then the chain verifies through the API and the CLI', async () => {
            await createArticles(srv, 5);
            const res = await srv.api('GET', '/api/v1/audit/verify');
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.ok, true, res.text);
            assert.equal(res.json.first_bad, null);
            assert.ok(res.json.entries >= 5 + 3, `entries: ${res.json.entries}`); // users, tokens, creates
            assert.match(res.json.head.hash, /^[0-9a-f]{64}$/);
            const v = verifyCli(srv);
            assert.equal(v.status, 0, v.err);
            assert.match(v.out, /^audit trail intact: \d+ entries/);
            // Every entry carries seq, prev_hash and hash in the store.
            const rows = storeRows(srv, {
                sqlite: 'SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq',
                pg: 'SELECT seq, prev_hash, hash FROM audit_log ORDER BY seq',
            });
            rows.forEach((r, i) => {
                assert.equal(Number(r.seq), i + 1);
                assert.equal(r.prev_hash, i ? rows[i - 1].hash : '0'.repeat(64));
            });
        });

        test('audit-1.2 only admin and auditor read the log; every read, even refused, is audited', async () => {
            for (const p of ['/api/v1/audit', '/api/v1/audit/verify']) {
                const res = await srv.api('GET', p, { token: srv.tokens.bob });
                assertProblem(res, 403);
                assert.match(res.json.detail, /administrators and auditors/);
            }
            const zh = await srv.api('GET', '/api/v1/audit', { token: srv.tokens.bob, headers: { 'Accept-Language': 'zh-CN' } });
            assertProblem(zh, 403);
            assert.match(zh.json.detail, /审计日志/);
            const res = await srv.api('GET', '/api/v1/audit?action=record.create&limit=3', { token: srv.tokens.aud });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.items.length, 3);
            for (const e of res.json.items) {
                assert.equal(e.action, 'record.create');
                assert.equal(e.actor, 'admin');
                assert.match(e.hash, /^[0-9a-f]{64}$/);
                assert.equal(e.severity, 'info');
            }
            assert.ok(res.json.items[0].seq > res.json.items[1].seq, 'newest first');

            const reads = await srv.api('GET', '/api/v1/audit?action=audit.read');
            const byWho = reads.json.items.map((e) => `${e.actor}:${e.result}`);
            assert.ok(byWho.includes('aud:ok'), byWho.join());
            assert.ok(byWho.includes('bob:denied'), byWho.join());
            const audRead = reads.json.items.find((e) => e.actor === 'aud');
            assert.deepEqual(audRead.detail.query, { action: 'record.create', limit: '3' });
            assert.equal(audRead.detail.returned, 3);
            assert.equal(audRead.target, 'audit_log');
            assert.equal(audRead.ip, '127.0.0.1');
            const verifies = await srv.api('GET', '/api/v1/audit?action=audit.verify&actor=bob');
            assert.equal(verifies.json.items[0].result, 'denied');
            // Writes to the log are not a route.
            assert.equal((await srv.api('POST', '/api/v1/audit', { body: {} })).status, 405);
            assert.equal((await srv.api('DELETE', '/api/v1/audit')).status, 405);
            assert.equal((await srv.api('GET', '/api/v1/audit/nothing')).status, 404);
        });

        test('audit-1.3 filters, keyset cursor, and clear errors for bad arguments', async () => {
            const seen = [];
            let cursor = null;
            for (let page = 0; page < 10; page++) {
                const q = `/api/v1/audit?actor=admin&action=record.create&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
                const res = await srv.api('GET', q);
                assert.equal(res.status, 200, res.text);
                seen.push(...res.json.items.map((e) => e.seq));
                cursor = res.json.next_cursor;
                if (!cursor) break;
            }
            assert.equal(seen.length, 5);
            assert.deepEqual([...seen].sort((a, b) => b - a), seen);
            assert.equal(new Set(seen).size, 5);

            const one = (await srv.api('GET', '/api/v1/audit?target=KB-000003&result=ok')).json.items;
            assert.equal(one.length, 1);
            assert.equal(one[0].target, 'KB-000003');
            const future = await srv.api('GET', '/api/v1/audit?since=2999-01-01');
            assert.deepEqual(future.json.items, []);
            const past = await srv.api('GET', '/api/v1/audit?until=2000-01-01T00:00:00Z');
            assert.deepEqual(past.json.items, []);
            const now = await srv.api('GET', `/api/v1/audit?since=${new Date(Date.now() - 3600e3).toISOString()}&limit=200`);
            assert.ok(now.json.items.length >= 5);
            assert.equal((await srv.api('GET', '/api/v1/audit?severity=high')).json.items.length, 0);

            assertProblem(await srv.api('GET', '/api/v1/audit?limit=0'), 400, 'limit');
            assertProblem(await srv.api('GET', '/api/v1/audit?limit=201'), 400, 'limit');
            assertProblem(await srv.api('GET', '/api/v1/audit?since=yesterday'), 400, 'since');
            assertProblem(await srv.api('GET', '/api/v1/audit?severity=urgent'), 400, 'severity');
            assertProblem(await srv.api('GET', '/api/v1/audit?cursor=bm9wZQ'), 400, 'cursor');
            assertProblem(await srv.api('GET', '/api/v1/audit?id=1'), 400, 'id');
        });

        test('audit-1.4 200 concurrent writers leave a gapless, valid chain', async () => {
            const nodes = [srv.url];
            let second = null;
            if (backend === 'pg') {
                second = await startNode(srv);
                nodes.push(second.url);
            }
            try {
                const results = await pool(Array.from({ length: 200 }, (_, i) => i), 50, (i) =>
                    request(nodes[i % nodes.length], 'POST', '/api/v1/articles', {
                        body: { title: `Concurrent ${i}` },
                        token: srv.token,
                    }),
                );
                for (const r of results) assert.equal(r.status, 201, r.text);
            } finally {
                if (second) second.child.kill('SIGTERM');
            }
            const res = await srv.api('GET', '/api/v1/audit/verify');
            assert.equal(res.json.ok, true, res.text);
            const rows = storeRows(srv, {
                sqlite: "SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM audit_log WHERE action = 'record.create'",
                pg: "SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM audit_log WHERE action = 'record.create'",
            });
            assert.equal(Number(rows[0].n), 205);
            const head = storeRows(srv, { sqlite: 'SELECT seq FROM audit_chain_head', pg: 'SELECT seq FROM audit_chain_head' });
            const count = storeRows(srv, { sqlite: 'SELECT count(*) AS n FROM audit_log', pg: 'SELECT count(*) AS n FROM audit_log' });
            assert.equal(Number(head[0].seq), Number(count[0].n), 'seq 1..n without gaps');
        });

        test('audit-1.5 export as JSON lines and RFC 5424 syslog; the export is audited', async () => {
            const out = path.join(tmp, 'audit.jsonl');
            cli(['audit', 'export', ...srv.dbArgs, '--out', out]);
            assert.equal(fs.statSync(out).mode & 0o777, 0o600);
            const lines = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
            assert.ok(lines.length > 200);
            lines.forEach((e, i) => {
                assert.equal(e.seq, i + 1);
                assert.equal(e.prev_hash, i ? lines[i - 1].hash : '0'.repeat(64));
                for (const k of ['at', 'actor', 'action', 'result', 'severity', 'hash']) assert.ok(k in e, k);
            });
            const syslog = cli(['audit', 'export', ...srv.dbArgs, '--format', 'syslog']).split('\n');
            assert.equal(syslog.length, lines.length + 1, 'the JSON export was audited in between');
            const re = /^<(\d+)>1 (\S+) (\S+) opsledger - (\S+) \[opsledger@32473 actor="([^"]*)" target="([^"]*)" ip="([^"]*)" result="([^"]*)" severity="(info|high)" seq="(\d+)" hash="([0-9a-f]{64})"\]( .*)?$/;
            syslog.forEach((l, i) => {
                const m = re.exec(l);
                assert.ok(m, l);
                assert.equal(Number(m[10]), i + 1);
                assert.equal(m[2], i < lines.length ? lines[i].at : m[2]);
            });
            assert.equal(re.exec(syslog[0])[1], '110'); // facility 13 (log audit), informational
            const denied = syslog.find((l) => / audit\.read .*actor="bob"/.test(l));
            assert.equal(re.exec(denied)[1], '108'); // warning: result denied
            const last = syslog.at(-1);
            assert.match(last, / audit\.export \[/);
            assert.match(last, /"format":"jsonl"/);

            const since = cli(['audit', 'export', ...srv.dbArgs, '--since', '2999-01-01']);
            assert.equal(since, '');
            const bad = cliResult(['audit', 'export', ...srv.dbArgs, '--format', 'xml']);
            assert.equal(bad.status, 2);
            assert.match(bad.stderr, /--format must be jsonl or syslog/);
        });

        test('audit-1.6 purge past retention (moved clock) leaves a checkpoint and the chain verifies', async () => {
            const clockEnv = { OPSLEDGER_TEST_CLOCK: clockFile };
            const tooShort = cliResult(['audit', 'purge', ...srv.dbArgs, '--audit_retention_days', '90'], { env: clockEnv });
            assert.equal(tooShort.status, 2);
            assert.match(tooShort.stderr, /audit_retention_days/);

            const nothing = cli(['audit', 'purge', ...srv.dbArgs], { env: clockEnv });
            assert.match(nothing, /nothing to purge/);
            const before = storeRows(srv, { sqlite: 'SELECT max(seq) AS hi FROM audit_log', pg: 'SELECT max(seq) AS hi FROM audit_log' });
            const oldHi = Number(before[0].hi);

            fs.writeFileSync(clockFile, String(200 * DAY));
            await createArticles(srv, 2); // written "200 days later"
            const purge = cli(['audit', 'purge', ...srv.dbArgs], { env: clockEnv });
            const m = /purged (\d+) audit entries .* checkpoint at entry (\d+), hash ([0-9a-f]{64})/.exec(purge);
            assert.ok(m, purge);
            assert.equal(Number(m[2]), oldHi, 'everything before the clock moved, nothing after');
            assert.equal(Number(m[1]), oldHi);

            const cps = storeRows(srv, {
                sqlite: 'SELECT seq, hash, actor, purged FROM audit_checkpoints',
                pg: 'SELECT seq, hash, actor, purged FROM audit_checkpoints',
            });
            assert.equal(cps.length, 1);
            assert.equal(Number(cps[0].seq), oldHi);
            assert.equal(cps[0].hash, m[3]);
            assert.match(cps[0].actor, /^cli:/);
            const first = storeRows(srv, { sqlite: 'SELECT min(seq) AS lo FROM audit_log', pg: 'SELECT min(seq) AS lo FROM audit_log' });
            assert.equal(Number(first[0].lo), oldHi + 1);

            const res = await srv.api('GET', '/api/v1/audit/verify');
            assert.equal(res.json.ok, true, res.text);
            assert.equal(res.json.checkpoint.seq, oldHi);
            assert.equal(verifyCli(srv, clockEnv).status, 0);
            const purges = await srv.api('GET', '/api/v1/audit?action=audit.purge');
            const done = purges.json.items.find((e) => e.detail.purged > 0);
            assert.equal(done.detail.through_seq, oldHi);
            assert.equal(done.detail.checkpoint_hash, m[3]);

            // Only the purge may delete: a plain DELETE (or UPDATE) is still refused.
            assert.match(storeExecError(srv, `DELETE FROM audit_log WHERE seq = ${oldHi + 1}`) || '', /append-only/);
            assert.match(storeExecError(srv, `UPDATE audit_log SET actor = 'x' WHERE seq = ${oldHi + 1}`) || '', /append-only/);
            assert.match(storeExecError(srv, 'DELETE FROM audit_checkpoints') || '', /append-only/);
            fs.writeFileSync(clockFile, '0');
        });
    });

    // ---- tampering: each case on a store of its own --------------------------------------------

    describe(`audit tampering (${backend})`, () => {
        const cases = [
            {
                name: 'audit-2.1 an altered entry is named',
                trigger: 'audit_log_no_update',
                sql: (k) => `UPDATE audit_log SET result = 'failed' WHERE seq = ${k}`,
                expect: (k) => [k, 'altered', `audit entry ${k} was altered (hash mismatch)`],
            },
            {
                name: 'audit-2.2 a removed entry is named',
                trigger: 'audit_log_no_delete',
                sql: (k) => `DELETE FROM audit_log WHERE seq = ${k}`,
                expect: (k) => [k, 'removed', `audit entry ${k} was removed`],
            },
            {
                name: 'audit-2.3 two swapped entries are named as reordered',
                trigger: 'audit_log_no_update',
                sql: (k) =>
                    'UPDATE audit_log SET (at, actor, action, target, ip, result, severity, detail) = ' +
                    '(SELECT b.at, b.actor, b.action, b.target, b.ip, b.result, b.severity, b.detail FROM audit_log b ' +
                    `WHERE b.seq = CASE WHEN audit_log.seq = ${k} THEN ${k + 2} ELSE ${k} END) WHERE seq IN (${k}, ${k + 2})`,
                expect: (k) => [k, 'reordered', `audit entry ${k} was reordered`],
            },
            {
                name: 'audit-2.4 the last entry removed is named',
                trigger: 'audit_log_no_delete',
                sql: () => 'DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)',
                expect: (k, hi) => [hi, 'removed', `audit entry ${hi} was removed`],
            },
        ];
        test('audit-2.5 purge refuses to remove entries that fail verification, and says so in the log', async () => {
            const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opsledger-audit-'));
            const clockFile = path.join(tmp, 'clock');
            fs.writeFileSync(clockFile, '0');
            const s = await startServer({ backend, env: { OPSLEDGER_TEST_CLOCK: clockFile } });
            try {
                await createArticles(s, 3);
                dropTrigger(s, 'audit_log_no_update');
                storeExec(s, "UPDATE audit_log SET actor = 'nobody' WHERE seq = 2");
                fs.writeFileSync(clockFile, String(200 * DAY));
                const count = () => Number(storeRows(s, { sqlite: 'SELECT count(*) AS n FROM audit_log', pg: 'SELECT count(*) AS n FROM audit_log' })[0].n);
                const before = count();
                const r = cliResult(['audit', 'purge', ...s.dbArgs], { env: { OPSLEDGER_TEST_CLOCK: clockFile } });
                assert.equal(r.status, 1, r.stdout);
                assert.match(r.stderr, /refusing to purge entries that fail verification: audit entry 2 was altered/);
                assert.equal(count(), before + 1, 'nothing removed; the refusal was audited');
                const last = storeRows(s, {
                    sqlite: 'SELECT action, result FROM audit_log ORDER BY seq DESC LIMIT 1',
                    pg: 'SELECT action, result FROM audit_log ORDER BY seq DESC LIMIT 1',
                })[0];
                assert.deepEqual({ ...last }, { action: 'audit.purge', result: 'refused' });
                assert.equal(storeRows(s, { sqlite: 'SELECT count(*) AS n FROM audit_checkpoints', pg: 'SELECT count(*) AS n FROM audit_checkpoints' })[0].n, 0);
            } finally {
                await s.stop();
                fs.rmSync(tmp, { recursive: true, force: true });
            }
        });

        for (const c of cases) {
            test(c.name, async () => {
                const s = await startServer({ backend });
                try {
                    await createArticles(s, 6);
                    const hiRows = storeRows(s, { sqlite: 'SELECT max(seq) AS hi FROM audit_log', pg: 'SELECT max(seq) AS hi FROM audit_log' });
                    const hi = Number(hiRows[0].hi);
                    const k = hi - 4;
                    assert.equal(verifyCli(s).status, 0);
                    dropTrigger(s, c.trigger);
                    storeExec(s, c.sql(k));
                    const [seq, reason, message] = c.expect(k, hi + 1); // +1: verify audited itself
                    const v = verifyCli(s);
                    assert.equal(v.status, 1, v.out + v.err);
                    assert.ok(v.err.includes(message), v.err);
                    const res = await s.api('GET', '/api/v1/audit/verify');
                    assert.equal(res.status, 200);
                    assert.equal(res.json.ok, false);
                    assert.equal(res.json.first_bad.seq, seq);
                    assert.equal(res.json.first_bad.reason, reason);
                } finally {
                    await s.stop();
                }
            });
        }
    });
}
