// tests/api/robustness.test.mjs - the fast robustness checks (make test; the long runs are in
// tests/torture/): a full disk (SQLite on a small tmpfs), a damaged database (flipped page bytes,
// a write-ahead log truncated or damaged after kill -9) refused at start and brought back by
// `opsledger restore`, malformed and hostile HTTP (garbage, bad chunking, invalid UTF-8, huge
// headers, deep JSON), slow clients, 2,000 concurrent connections, and three kill -9 rounds
// under a mixed write load.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { backends, cli, cliResult, sleep, startServer } from './harness.mjs';
import {
    Ledger,
    fdCount,
    openConnections,
    slowClient,
    killRound,
    openFileLimit,
    percentile,
    rssKb,
    sanitized,
    sqlite3Missing,
    sqliteRows,
    sqliteText,
    storeInvariants,
} from '../torture/lib.mjs';

const NO_SQLITE3 = sqlite3Missing();

/**
 * Sends raw bytes on a new connection and collects the answer for up to waitMs. Resolves
 * {status, closed, text}: status 0 when no status line came, closed when the server closed the
 * connection. halfClose: send FIN after the data; untilClose: wait for the server to close the
 * connection (up to waitMs) rather than only for a whole answer.
 */
function rawExchange(url, data, { waitMs = 3000, halfClose = false, untilClose = false } = {}) {
    const { port } = new URL(url);
    return new Promise((resolve) => {
        const sock = net.connect({ host: '127.0.0.1', port: Number(port) });
        let got = Buffer.alloc(0);
        let closed = false;
        const finish = () => {
            clearTimeout(timer);
            sock.destroy();
            const text = got.toString('latin1');
            const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
            resolve({ status: m ? Number(m[1]) : 0, closed, text });
        };
        const timer = setTimeout(finish, waitMs);
        sock.on('connect', () => (halfClose ? sock.end(data) : sock.write(data)));
        sock.on('data', (d) => {
            got = Buffer.concat([got, d]);
            const text = got.toString('latin1');
            const head = text.indexOf('\r\n\r\n');
            const cl = /\r\ncontent-length: (\d+)/i.exec(text);
            if (!untilClose && head >= 0 && cl && got.length >= head + 4 + Number(cl[1])) finish();
        });
        sock.on('error', () => {});
        sock.on('close', () => {
            closed = true;
            finish();
        });
    });
}

/** The JSON body of a raw answer, or null. */
function rawJson(text) {
    const i = text.indexOf('\r\n\r\n');
    try {
        return JSON.parse(text.slice(i + 4));
    } catch {
        return null;
    }
}

function assertProblem(res, statuses, what = '') {
    const list = [statuses].flat();
    assert.ok(list.includes(res.status), `${what}: status ${res.status}, expected ${list.join('/')}: ${res.text?.slice(0, 300)}`);
    assert.match(res.headers.get('content-type'), /^application\/problem\+json/, what);
    assert.equal(res.json.status, res.status, what);
    assert.equal(typeof res.json.detail, 'string', what);
}

async function count(srv) {
    const res = await srv.api('GET', '/api/v1/articles?limit=200');
    assert.equal(res.status, 200, res.text);
    return res.json.items.length;
}

function dbFile(srv) {
    return path.join(srv.dataDir, 'opsledger.db');
}

function auditCount(srv) {
    return Number(sqliteRows(dbFile(srv), 'SELECT count(*) AS n FROM audit_log')[0].n);
}

function invariantsOk(file) {
    const { problems } = storeInvariants((sql) => sqliteRows(file, sql));
    assert.deepEqual(problems, [], 'the store is consistent');
}

// ---- 1. disk full -----------------------------------------------------------------------------

describe('robustness disk full [sqlite]', () => {
    let mnt = null;
    let srv = null;
    let skip = NO_SQLITE3;
    let filler = null;
    const records = new Map(); // number -> title

    before(async () => {
        if (skip) return;
        mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'opsledger-full-'));
        const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', mnt], { encoding: 'utf8' });
        if (r.status !== 0) {
            skip = `cannot mount a small tmpfs to fill (${(r.stderr || r.error?.message || '').trim()}); run as root`;
            fs.rmSync(mnt, { recursive: true, force: true });
            mnt = null;
            return;
        }
        srv = await startServer({ tmpRoot: mnt });
    });
    after(async () => {
        try {
            await srv?.stop();
        } finally {
            if (mnt) {
                spawnSync('umount', [mnt]);
                fs.rmSync(mnt, { recursive: true, force: true });
            }
        }
    });

    /** Fills the file system with one file, down to the last byte. */
    function fill() {
        filler = path.join(mnt, 'filler');
        const fd = fs.openSync(filler, 'w');
        try {
            for (const size of [1 << 20, 4096, 1]) {
                const chunk = Buffer.alloc(size, 0x55);
                for (let i = 0; i < 16384; i++) {
                    try {
                        fs.writeSync(fd, chunk);
                    } catch (e) {
                        if (e.code !== 'ENOSPC') throw e;
                        break;
                    }
                }
            }
        } finally {
            fs.closeSync(fd);
        }
    }

    test('robustness-1.1 on a full disk every write answers 507 problem+json naming the problem, and writes nothing', async (t) => {
        if (skip) return t.skip(skip);
        for (let i = 0; i < 3; i++) {
            const title = `Before the disk filled ${i}`;
            const res = await srv.api('POST', '/api/v1/articles', { body: { title, body: `Body ${i} `.repeat(20) } });
            assert.equal(res.status, 201, res.text);
            records.set(res.json.number, title);
        }
        const first = [...records.keys()][0];
        assert.equal((await srv.api('POST', `/api/v1/articles/${first}/comments`, { body: { body: 'a comment' } })).status, 201);
        const audits = auditCount(srv);
        fill();
        const writes = [
            ['POST', '/api/v1/articles', { title: 'On a full disk', body: 'x'.repeat(20000) }, {}],
            ['POST', '/api/v1/articles', { title: 'On a full disk again', body: 'y'.repeat(3000) }, {}],
            ['POST', `/api/v1/articles/${first}/comments`, { body: 'z'.repeat(20000) }, {}],
            ['PATCH', `/api/v1/articles/${first}`, { title: 'Renamed on a full disk', body: 'w'.repeat(20000) }, { 'If-Match': '"1"' }],
            ['POST', `/api/v1/articles/${first}/transitions/submit`, { reason: 'r'.repeat(1500) }, { 'If-Match': '"1"' }],
        ];
        for (const [method, p, body, headers] of writes) {
            const res = await srv.api(method, p, { body, headers });
            assertProblem(res, [507, 503], `${method} ${p}`);
            assert.match(res.json.detail, /disk.*full/i, `${method} ${p} names the problem`);
        }
        assert.equal(await count(srv), records.size, 'nothing was written');
        assert.equal(auditCount(srv), audits, 'no audit entry for a refused write');
    });

    test('robustness-1.2 on a full disk reads keep working', async (t) => {
        if (skip) return t.skip(skip);
        for (const [number, title] of records) {
            const res = await srv.api('GET', `/api/v1/articles/${number}`);
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.title, title);
            assert.equal(res.json.version, 1);
        }
        assert.equal((await srv.api('GET', '/api/v1/articles?q=disk')).status, 200);
        assert.equal((await srv.api('GET', '/api/v1/search?q=Before')).json.items.length, records.size);
        assert.equal((await srv.api('GET', `/api/v1/articles/${[...records.keys()][0]}/comments`)).json.items.length, 1);
        assert.equal((await srv.api('GET', '/readyz', { token: null })).status, 200);
    });

    test('robustness-1.3 on a full disk the database stays intact', async (t) => {
        if (skip) return t.skip(skip);
        assert.equal(sqliteText(dbFile(srv), 'PRAGMA integrity_check'), 'ok');
        invariantsOk(dbFile(srv));
    });

    test('robustness-1.4 writes resume when space returns, numbering without gaps', async (t) => {
        if (skip) return t.skip(skip);
        fs.unlinkSync(filler);
        const res = await srv.api('POST', '/api/v1/articles', { body: { title: 'After space returned', body: 'x'.repeat(20000) } });
        assert.equal(res.status, 201, res.text);
        assert.equal(res.json.number, `KB-${String(records.size + 1).padStart(6, '0')}`, 'the refused writes used no number');
        const first = [...records.keys()][0];
        const patch = await srv.api('PATCH', `/api/v1/articles/${first}`, { body: { title: 'Renamed after' }, headers: { 'If-Match': '"1"' } });
        assert.equal(patch.status, 200, patch.text);
        await srv.restart();
        assert.equal((await srv.api('GET', `/api/v1/articles/${first}`)).json.title, 'Renamed after');
        assert.equal(await count(srv), records.size + 1);
        assert.equal(sqliteText(dbFile(srv), 'PRAGMA integrity_check'), 'ok');
        invariantsOk(dbFile(srv));
    });
});

// ---- 2. damaged database --------------------------------------------------------------------

describe('robustness damaged database [sqlite]', () => {
    let srv;
    let backup;
    const inBackup = new Map(); // number -> title
    const afterBackup = [];

    before(async () => {
        if (NO_SQLITE3) return;
        srv = await startServer();
        backup = path.join(path.dirname(srv.dataDir), 'good-backup.db');
    });
    after(async () => {
        await srv?.stop();
    });

    /** `serve` on the store must refuse to start; returns its stderr. */
    function assertRefuses(problem) {
        const r = cliResult(['serve', ...srv.dbArgs, '--listen', '127.0.0.1:0'], { timeoutMs: 20_000 });
        assert.equal(r.status, 1, `serve must refuse to start (status ${r.status ?? r.signal}); stdout ${r.stdout} stderr ${r.stderr}`);
        assert.doesNotMatch(r.stdout, /listening/);
        assert.match(r.stderr, problem, 'the message names the problem');
        assert.match(r.stderr, /opsledger restore/, 'the message says how to restore a backup');
        return r.stderr;
    }

    /** Restores the good backup over the damaged store, restarts and checks what it holds. */
    async function restoreAndCheck(t) {
        const r = cliResult(['restore', backup, ...srv.dbArgs, '--force']);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /restored and verified/);
        assert.match(r.stderr, /checksum, integrity and schema .* verified/);
        assert.ok(fs.readdirSync(srv.dataDir).some((f) => f.startsWith('opsledger.db.before-restore-')), 'the damaged file is kept');
        await srv.restart();
        for (const [number, title] of inBackup) {
            const res = await srv.api('GET', `/api/v1/articles/${number}`);
            assert.equal(res.status, 200, `${number}: ${res.text}`);
            assert.equal(res.json.title, title);
        }
        for (const number of afterBackup)
            assert.equal((await srv.api('GET', `/api/v1/articles/${number}`)).status, 404, `${number} is newer than the backup`);
        afterBackup.length = 0; // gone with the damaged store: their numbers are free again
        assert.equal(sqliteText(dbFile(srv), 'PRAGMA integrity_check'), 'ok');
        invariantsOk(dbFile(srv));
        t.diagnostic(`restored ${inBackup.size} records from the backup`);
    }

    /** Creates n records that are not in the backup; returns their numbers. */
    async function createMore(n, label) {
        for (let i = 0; i < n; i++) {
            const res = await srv.api('POST', '/api/v1/articles', { body: { title: `${label} ${i}`, body: 'x'.repeat(500) } });
            assert.equal(res.status, 201, res.text);
            afterBackup.push(res.json.number);
        }
    }

    /** The committed frame count and page size from the -shm index a crashed server left. */
    function walIndex() {
        const shm = fs.readFileSync(`${dbFile(srv)}-shm`).subarray(0, 136);
        assert.equal(shm.readUInt32LE(0), 3007000, 'a WAL index header (little-endian host)');
        const sz = shm.readUInt16LE(14);
        return { mxFrame: shm.readUInt32LE(16), pageSize: (sz & 0xfe00) + ((sz & 1) << 16) };
    }

    test('robustness-2.1 a backup taken while the server runs', async (t) => {
        if (NO_SQLITE3) return t.skip(NO_SQLITE3);
        for (let i = 0; i < 20; i++) {
            const title = `Kept by the backup ${i}`;
            const res = await srv.api('POST', '/api/v1/articles', { body: { title, body: `The body of article ${i}. `.repeat(10) } });
            assert.equal(res.status, 201, res.text);
            inBackup.set(res.json.number, title);
            if (i % 4 === 0) assert.equal((await srv.api('POST', `/api/v1/articles/${res.json.number}/comments`, { body: { body: `note ${i}` } })).status, 201);
        }
        const out = cli(['backup', backup, ...srv.dbArgs]);
        assert.match(out, /backup written/);
        await createMore(5, 'Newer than the backup');
    });

    test('robustness-2.2 flipped bytes in b-tree pages: serve refuses to start, naming the damage and the restore', async (t) => {
        if (NO_SQLITE3) return t.skip(NO_SQLITE3);
        await srv.terminate(); // a clean stop folds the write-ahead log into the file
        assert.ok(!fs.existsSync(`${dbFile(srv)}-wal`), 'no write-ahead log after a clean stop');
        const pageSize = Number(sqliteText(dbFile(srv), 'PRAGMA page_size'));
        const roots = sqliteRows(dbFile(srv), "SELECT name, rootpage FROM sqlite_master WHERE name IN ('records', 'audit_log', 'records_type_state')");
        assert.equal(roots.length, 3);
        const fd = fs.openSync(dbFile(srv), 'r+');
        for (const { rootpage } of roots) {
            const off = (rootpage - 1) * pageSize;
            const hdr = Buffer.alloc(8);
            fs.readSync(fd, hdr, 0, 8, off);
            hdr[0] ^= 0xff; // the page type
            hdr[3] ^= 0x5a; // the cell count
            hdr[5] ^= 0xa5; // the start of the cell content area
            fs.writeSync(fd, hdr, 0, 8, off);
        }
        fs.closeSync(fd);
        const msg = assertRefuses(/damaged|malformed|integrity/i);
        t.diagnostic(msg.trim());
    });

    test('robustness-2.3 opsledger restore of a good backup brings it back, verified; the server then starts', async (t) => {
        if (NO_SQLITE3) return t.skip(NO_SQLITE3);
        await restoreAndCheck(t);
        const res = await srv.api('POST', '/api/v1/articles', { body: { title: 'After the restore' } });
        assert.equal(res.status, 201, res.text);
        assert.equal(res.json.number, `KB-${String(inBackup.size + 1).padStart(6, '0')}`);
        inBackup.set(res.json.number, 'After the restore');
        cli(['backup', backup, ...srv.dbArgs, '--force']); // the new good backup
    });

    test('robustness-2.4 a write-ahead log truncated after kill -9 (committed frames cut off): serve refuses; restore brings it back', async (t) => {
        if (NO_SQLITE3) return t.skip(NO_SQLITE3);
        await srv.restart(); // a fresh log
        await createMore(15, 'Only in the write-ahead log');
        await srv.kill9();
        const { mxFrame, pageSize } = walIndex();
        assert.ok(mxFrame >= 4, `the log holds ${mxFrame} committed frames`);
        const keep = 32 + Math.floor(mxFrame / 2) * (24 + pageSize);
        fs.truncateSync(`${dbFile(srv)}-wal`, keep);
        const msg = assertRefuses(/write-ahead log .* truncated/);
        t.diagnostic(msg.trim());
        await restoreAndCheck(t);
    });

    test('robustness-2.5 a byte flipped inside the committed write-ahead log after kill -9: serve refuses; restore brings it back', async (t) => {
        if (NO_SQLITE3) return t.skip(NO_SQLITE3);
        await createMore(10, 'Also only in the log');
        await srv.kill9();
        const { mxFrame, pageSize } = walIndex();
        assert.ok(mxFrame >= 2);
        const frame = Math.ceil(mxFrame / 2);
        const off = 32 + (frame - 1) * (24 + pageSize) + 24 + 100;
        const fd = fs.openSync(`${dbFile(srv)}-wal`, 'r+');
        const b = Buffer.alloc(1);
        fs.readSync(fd, b, 0, 1, off);
        b[0] ^= 0x01;
        fs.writeSync(fd, b, 0, 1, off);
        fs.closeSync(fd);
        assertRefuses(new RegExp(`write-ahead log .* damaged at frame ${frame} `));
        await restoreAndCheck(t);
    });

    test('robustness-2.6 an overwritten file header: serve refuses (not a database); restore brings it back', async (t) => {
        if (NO_SQLITE3) return t.skip(NO_SQLITE3);
        await srv.terminate();
        const fd = fs.openSync(dbFile(srv), 'r+');
        fs.writeSync(fd, Buffer.from('this is not SQLite'), 0, 16, 0);
        fs.closeSync(fd);
        assertRefuses(/not a database|damaged/i);
        await restoreAndCheck(t);
    });

    test('robustness-2.7 two restores within one second both succeed and keep both previous files', async (t) => {
        if (NO_SQLITE3) return t.skip(NO_SQLITE3);
        await srv.terminate();
        const kept = () => fs.readdirSync(srv.dataDir).filter((f) => f.startsWith('opsledger.db.before-restore-'));
        const n = kept().length;
        for (let i = 0; i < 2; i++) {
            const r = cliResult(['restore', backup, ...srv.dbArgs, '--force']);
            assert.equal(r.status, 0, r.stderr);
        }
        assert.equal(kept().length, n + 2, kept().join(' '));
        await srv.restart();
    });

    test('robustness-2.8 kill -9 alone (an intact log) is not mistaken for damage', async (t) => {
        if (NO_SQLITE3) return t.skip(NO_SQLITE3);
        const res = await srv.api('POST', '/api/v1/articles', { body: { title: 'Survives a plain crash' } });
        assert.equal(res.status, 201);
        await srv.kill9();
        assert.ok(walIndex().mxFrame > 0, 'the crash left committed frames in the log');
        await srv.restart();
        assert.equal((await srv.api('GET', `/api/v1/articles/${res.json.number}`)).json.title, 'Survives a plain crash');
    });
});

// ---- 3. malformed and hostile HTTP --------------------------------------------------------------

describe('robustness malformed HTTP [sqlite]', () => {
    let srv;
    let auth;
    before(async () => {
        srv = await startServer();
        auth = `Authorization: Bearer ${srv.token}\r\n`;
        const res = await srv.api('POST', '/api/v1/articles', { body: { title: 'The one article', body: 'Body of the one article, long enough.' } });
        assert.equal(res.status, 201, res.text);
    });
    after(async () => {
        await srv?.stop();
    });

    /** Runs fn, then checks that nothing was written and the server still answers. */
    async function nothingWritten(fn) {
        const records = await count(srv);
        const audits = NO_SQLITE3 ? null : auditCount(srv);
        await fn();
        assert.equal(await count(srv), records, 'no record was written');
        if (audits !== null) assert.equal(auditCount(srv), audits, 'no audit entry was written');
        assert.equal((await srv.api('GET', '/healthz')).status, 200, 'the server still answers');
    }

    function post(p, body, extra = '') {
        const b = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
        return Buffer.concat([
            Buffer.from(`POST ${p} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\n${extra}Content-Length: ${b.length}\r\nConnection: close\r\n\r\n`, 'latin1'),
            b,
        ]);
    }

    test('robustness-3.1 garbage request lines get 400 or a closed connection, never a 2xx', async () => {
        const garbage = [
            'GARBAGE\r\n\r\n',
            'GET\r\n\r\n',
            ' / HTTP/1.1\r\n\r\n',
            'GET / HTTP/1.1 trailing\r\nHost: x\r\n\r\n',
            'GET / FTP/1.1\r\nHost: x\r\n\r\n',
            'G\xffT / HTTP/1.1\r\nHost: x\r\n\r\n',
            'GET / HTTP/1.1\r\nHost x\r\n\r\n',
            'GET / HTTP/1.1\r\nHo\x00st: x\r\n\r\n',
            '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n', // a TLS hello
            Buffer.from([0, 1, 2, 3, 255, 254, 13, 10, 13, 10]),
        ];
        await nothingWritten(async () => {
            for (const g of garbage) {
                const res = await rawExchange(srv.url, Buffer.isBuffer(g) ? g : Buffer.from(g, 'latin1'), { waitMs: 1500 });
                assert.ok(res.status === 0 || (res.status >= 400 && res.status < 500) || res.status === 505,
                    `${JSON.stringify(g.toString())}: ${res.status} ${res.text.slice(0, 120)}`);
            }
        });
    });

    test('robustness-3.2 bad chunked encoding answers 400 and writes nothing', async () => {
        const head = `POST /api/v1/articles HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n`;
        const json = '{"title":"Chunked badly"}';
        const cases = [
            `${head}\r\nzz\r\n${json}\r\n0\r\n\r\n`, // not a size
            `${head}\r\n5\r\n${json}\r\n0\r\n\r\n`, // the size does not match
            `${head}\r\nffffffffffffffffffff\r\n${json}\r\n0\r\n\r\n`, // an overflowing size
            `${head}\r\n-19\r\n${json}\r\n0\r\n\r\n`, // a negative size
        ];
        await nothingWritten(async () => {
            for (const c of cases) {
                const res = await rawExchange(srv.url, Buffer.from(c, 'latin1'));
                // 413 for a chunk size beyond any limit.
                assert.ok(res.status === 400 || res.status === 413 || (res.status === 0 && res.closed), `${JSON.stringify(c.slice(head.length))}: ${res.status} ${res.text.slice(0, 200)}`);
            }
            // Ambiguous framing, which a proxy in front may read differently (request smuggling),
            // is refused before the body is read, and the connection closed: a request hidden in
            // the body is never run.
            const smuggled = `POST /api/v1/articles HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 26\r\n\r\n{"title":"Smuggled in"}`;
            const post1 = `POST /api/v1/articles HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\n`;
            const framings = [
                [`${post1}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n19\r\n${json}\r\n0\r\n\r\n${smuggled}`, 400],
                [`${post1}Transfer-Encoding: chunked\r\nContent-Length: ${json.length}\r\n\r\n${json}${smuggled}`, 400],
                [`${post1}Content-Length: ${json.length}\r\nContent-Length: 3\r\n\r\n${json}${smuggled}`, 400],
                [`${post1}Transfer-Encoding: gzip\r\n\r\n${json}`, 501],
                [`${post1}Transfer-Encoding: gzip, chunked\r\n\r\n19\r\n${json}\r\n0\r\n\r\n`, 501],
            ];
            for (const [req, status] of framings) {
                const res = await rawExchange(srv.url, Buffer.from(req, 'latin1'), { waitMs: 2000, untilClose: true });
                assert.equal(res.status, status, `${JSON.stringify(req.slice(post1.length, post1.length + 60))}: ${res.text.slice(0, 200)}`);
                assert.ok(res.closed, 'the connection is closed after the refusal');
                assert.equal(res.text.match(/HTTP\/1\.1 /g).length, 1, 'one answer only');
            }
            // A body cut short by the client's hang-up is never processed.
            const res = await rawExchange(srv.url, Buffer.from(`${head}\r\n19\r\n{"title":"Cut sh`, 'latin1'), { halfClose: true });
            assert.ok(res.status === 0 || res.status === 400, `cut short: ${res.status}`);
            const cl = await rawExchange(srv.url, post('/api/v1/articles', '{"title":"Shorter than said"}').subarray(0, -5), { halfClose: true });
            assert.ok(cl.status === 0 || cl.status === 400, `Content-Length longer than the body: ${cl.status}`);
            for (const bad of ['abc', '-1', '1e3', '99999999999999999999999']) {
                const r = await rawExchange(srv.url, Buffer.from(
                    `POST /api/v1/articles HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: ${bad}\r\nConnection: close\r\n\r\n{"title":"x"}`, 'latin1'));
                assert.ok(r.status === 400 || r.status === 413 || (r.status === 0 && r.closed), `Content-Length ${bad}: ${r.status}`);
            }
        });
    });

    test('robustness-3.3 invalid UTF-8 in JSON strings answers 400 and writes nothing', async () => {
        const bad = [
            Buffer.from([0xff]),
            Buffer.from([0xc0, 0xaf]), // an overlong '/'
            Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate
            Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]), // five bytes
            Buffer.from([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
            Buffer.from([0xe4, 0xb8]), // cut short
            Buffer.from([0x80]), // a lone continuation byte
        ];
        const wrap = (pre, b, post_) => Buffer.concat([Buffer.from(pre), b, Buffer.from(post_)]);
        await nothingWritten(async () => {
            for (const b of bad) {
                const bodies = [
                    ['/api/v1/articles', wrap('{"title":"Bad ', b, ' title"}')],
                    ['/api/v1/articles', wrap('{"title":"Good title","body":"', b, '"}')],
                    ['/api/v1/articles', wrap('{"title":"Good title","tags":["', b, '"]}')],
                    ['/api/v1/articles', wrap('{"ti', b, 'tle":"Bad key"}')],
                    ['/api/v1/articles/KB-000001/comments', wrap('{"body":"', b, '"}')],
                ];
                for (const [p, body] of bodies) {
                    const res = await rawExchange(srv.url, post(p, body));
                    assert.equal(res.status, 400, `${p} ${body.toString('hex')}: ${res.text.slice(0, 300)}`);
                    assert.equal(rawJson(res.text)?.status, 400, 'a problem+json answer');
                }
                const patch = await rawExchange(srv.url, Buffer.concat([
                    Buffer.from(`PATCH /api/v1/articles/KB-000001 HTTP/1.1\r\nHost: x\r\n${auth}If-Match: "1"\r\nContent-Type: application/json\r\nContent-Length: ${b.length + 12}\r\nConnection: close\r\n\r\n{"title":"`, 'latin1'), b, Buffer.from('"}')]));
                assert.equal(patch.status, 400, patch.text.slice(0, 300));
            }
            for (const esc of ['\\ud800', '\\udc00x', '\\ud800\\u0041']) {
                const res = await srv.api('POST', '/api/v1/articles', { body: `{"title":"Lone ${esc} surrogate"}`, headers: { 'Content-Type': 'application/json' } });
                assertProblem(res, 400, esc);
            }
        });
        assert.equal((await srv.api('GET', '/api/v1/articles/KB-000001')).json.version, 1, 'the record was not changed');
    });

    test('robustness-3.4 invalid UTF-8 in the URL path or query answers 400 problem+json', async () => {
        const paths = [
            '/api/v1/articles/KB-%ff%fe',
            '/api/v1/art%ffcles',
            '/api/v1/articles/KB-000001/comments%c0%af',
            '/api/v1/articles?state=%ff',
            '/api/v1/articles?title=%ed%a0%80',
            '/api/v1/articles?%ff=1',
            '/api/v1/articles?q=%e4%b8',
            '/api/v1/search?q=%ff%fe%fdabc',
            '/api/v1/articles?sort=%ff',
            '/api/v1/articles?cursor=%80%80',
        ];
        await nothingWritten(async () => {
            for (const p of paths) {
                const res = await srv.api('GET', p);
                assertProblem(res, 400, p);
            }
            // Raw bytes too, not only %XX.
            for (const p of ['/api/v1/articles/KB-\xff', '/api/v1/articles?state=\xff\xfe']) {
                const res = await rawExchange(srv.url, Buffer.from(`GET ${p} HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`, 'latin1'));
                assert.equal(res.status, 400, `${JSON.stringify(p)}: ${res.text.slice(0, 300)}`);
                assert.equal(rawJson(res.text)?.status, 400, 'valid problem+json');
            }
            const res = await rawExchange(srv.url, post('/api/v1/articles/KB-%ff/comments', '{"body":"on a bad path"}'));
            assert.equal(res.status, 400);
        });
        // Valid UTF-8 (Chinese) still works in paths and queries.
        assert.equal((await srv.api('GET', `/api/v1/articles?q=${encodeURIComponent('连接超时')}`)).status, 200);
        assert.equal((await srv.api('GET', `/api/v1/articles/${encodeURIComponent('知识-1')}`)).status, 404);
    });

    test('robustness-3.5 oversized headers and request lines get 431 / 414 and the server keeps answering', async () => {
        await nothingWritten(async () => {
            let res = await rawExchange(srv.url, Buffer.from(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\nConnection: close\r\n\r\n`));
            assert.ok(res.status === 431 || (res.status >= 400 && res.status < 500), `one 100 KB header: ${res.status}`);
            res = await rawExchange(srv.url, Buffer.from(`GET /healthz HTTP/1.1\r\nHost: x\r\n${'X-Many: b\r\n'.repeat(5000)}Connection: close\r\n\r\n`));
            assert.equal(res.status, 431, 'five thousand headers');
            res = await rawExchange(srv.url, Buffer.from(`GET /api/v1/articles?q=${'a'.repeat(200_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
            assert.equal(res.status, 414, 'a 200 KB request line');
            res = await rawExchange(srv.url, post('/api/v1/articles', '{"title":"Big header write"}', `X-Big: ${'b'.repeat(100_000)}\r\n`));
            assert.ok(res.status >= 400 && res.status < 500, `a write with a 100 KB header: ${res.status}`);
            // Under the limit is fine.
            const ok = await srv.api('GET', '/api/v1/articles/KB-000001', { headers: { 'X-Medium': 'm'.repeat(8000) } });
            assert.equal(ok.status, 200);
        });
    });

    test('robustness-3.6 JSON nested 100,000 deep (arrays, objects, unbalanced) answers 400 without a crash', async () => {
        await nothingWritten(async () => {
            const bodies = [
                `{"title":"Deep","tags":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
                `{"title":"Deep","body":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`,
                '['.repeat(500_000),
                `{"title":"Unbalanced","body":${'{"a":['.repeat(60_000)}`,
            ];
            for (const body of bodies) {
                const res = await srv.api('POST', '/api/v1/articles', { body, headers: { 'Content-Type': 'application/json' } });
                assertProblem(res, 400, `${body.slice(0, 30)}... (${body.length} bytes)`);
            }
        });
    });
});

// ---- 4. slow clients ---------------------------------------------------------------------------

describe('robustness slow clients [sqlite]', () => {
    let srv;
    before(async () => {
        srv = await startServer();
    });
    after(async () => {
        await srv?.stop();
    });

    test('robustness-4.1 20 slowloris clients and 5 slow bodies do not delay other clients', async (t) => {
        const slow = [
            ...Array.from({ length: 20 }, () => slowClient(srv.url, { token: srv.token })),
            ...Array.from({ length: 5 }, (_, i) => slowClient(srv.url, { token: srv.token, body: `{"title":"Slow body ${i}","body":"${'s'.repeat(200)}"}` })),
        ];
        try {
            await sleep(300);
            const lat = [];
            const deadline = Date.now() + 3000;
            let created = 0;
            while (Date.now() < deadline) {
                const t0 = performance.now();
                const res = created % 2 ? await srv.api('GET', '/api/v1/articles/KB-000001') : await srv.api('POST', '/api/v1/articles', { body: { title: `Prompt ${created}` } });
                lat.push(performance.now() - t0);
                assert.ok(res.status === 200 || res.status === 201, res.text);
                created++;
            }
            const p50 = percentile(lat, 50);
            const p99 = percentile(lat, 99);
            t.diagnostic(`${lat.length} requests beside 25 slow clients: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);
            assert.ok(p99 < 1000, `p99 ${p99} ms`);
            assert.ok(slow.every((s) => !s.closedByServer()), 'slow but active clients are kept');
        } finally {
            for (const s of slow) s.stop();
        }
        await sleep(200);
        const res = await srv.api('GET', '/api/v1/articles?q=Slow');
        assert.equal(res.json.items.length, 0, 'no slow body was ever processed');
    });

    test('robustness-4.2 a client that stops sending is disconnected after request_timeout', async (t) => {
        const quick = await startServer({ args: ['--request_timeout', '2'] });
        try {
            const { port } = new URL(quick.url);
            const t0 = Date.now();
            const closed = await Promise.all(
                ['', 'GET /healthz HTTP/1.1\r\nHost: x\r\n', `POST /api/v1/articles HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"ti`].map(
                    (data) =>
                        new Promise((resolve) => {
                            const s = net.connect({ host: '127.0.0.1', port: Number(port) }, () => data && s.write(data));
                            const timer = setTimeout(() => {
                                s.destroy();
                                resolve(null);
                            }, 8000);
                            s.on('error', () => {});
                            s.on('close', () => {
                                clearTimeout(timer);
                                resolve(Date.now() - t0);
                            });
                        }),
                ),
            );
            t.diagnostic(`closed after ${closed.join(', ')} ms`);
            for (const ms of closed) assert.ok(ms !== null && ms >= 1500 && ms < 6000, `closed after ${ms} ms`);
            assert.equal((await quick.api('GET', '/healthz')).status, 200);
        } finally {
            await quick.stop();
        }
    });
});

// ---- 5. many connections --------------------------------------------------------------------

describe('robustness many connections [sqlite]', () => {
    let srv;
    before(async () => {
        srv = await startServer();
    });
    after(async () => {
        await srv?.stop();
    });

    test('robustness-5.1 2,000 concurrent connections: each answered, others still answered promptly, nothing leaks', async (t) => {
        const n = Math.min(2000, openFileLimit() - 300);
        const fd0 = fdCount(srv.pid);
        const rss0 = rssKb(srv.pid);
        // Each within 5 s: with epoll, libmicrohttpd 0.9.75 left 128 of a burst waiting for request_timeout.
        const conns = await openConnections(srv.url, n, { batch: 500, timeoutMs: 5000 });
        try {
            assert.equal(conns.failed, 0, `${conns.failed} of ${n} connections were not answered within 5 s`);
            assert.ok(fdCount(srv.pid) >= fd0 + n * 0.95, 'the server holds them all');
            const lat = [];
            for (let i = 0; i < 30; i++) {
                const t0 = performance.now();
                const res = await srv.api(i % 3 ? 'GET' : 'POST', '/api/v1/articles', i % 3 ? {} : { body: { title: `Beside many ${i}` } });
                lat.push(performance.now() - t0);
                assert.ok(res.status === 200 || res.status === 201, res.text);
            }
            const p99 = percentile(lat, 99);
            t.diagnostic(`${n} connections open: RSS ${rss0} -> ${rssKb(srv.pid)} KiB; other clients p99 ${p99.toFixed(1)} ms`);
            assert.ok(p99 < 1000, `p99 ${p99} ms`);
        } finally {
            conns.close();
        }
        let fd = fdCount(srv.pid);
        for (let i = 0; i < 50 && fd > fd0 + 10; i++) {
            await sleep(100);
            fd = fdCount(srv.pid);
        }
        assert.ok(fd <= fd0 + 10, `descriptors back to ${fd} (were ${fd0})`);
        // Each connection's buffer (max_header, 32 KiB) goes back to the system when it closes.
        const rss = rssKb(srv.pid);
        t.diagnostic(`after they closed: RSS ${rss} KiB, ${fd} descriptors`);
        if (!sanitized(srv.pid)) assert.ok(rss < rss0 + 16 * 1024, `RSS ${rss} KiB after the connections closed, ${rss0} KiB before`);
        assert.equal((await srv.api('GET', '/healthz')).status, 200);
    });

    test('robustness-5.2 max_connections counts over all threads: exactly that many are served, one more is refused', async (t) => {
        const small = await startServer({ args: ['--max_connections', '16', '--threads', '4'] });
        try {
            const held = await openConnections(small.url, 16, { batch: 1 });
            try {
                assert.equal(held.failed, 0, 'the 16 connections allowed are all answered, whichever thread took them');
                const extra = await openConnections(small.url, 1);
                extra.close();
                assert.equal(extra.failed, 1, 'a 17th connection is refused');
            } finally {
                held.close();
            }
            let again;
            for (let i = 0; i < 50; i++) {
                again = await openConnections(small.url, 1);
                again.close();
                if (!again.failed) break;
                await sleep(100);
            }
            assert.equal(again.failed, 0, 'connections are served again once others closed');
            t.diagnostic('16 of 16 served, the 17th refused, served again after they closed');
        } finally {
            await small.stop();
        }
    });
});

// ---- 6. kill -9 under a mixed write load --------------------------------------------------------

for (const backend of backends()) {
    describe(`robustness kill -9 [${backend}]`, () => {
        let srv;
        const ledger = new Ledger(`Robust-${backend}`);
        const skip = backend === 'sqlite' ? NO_SQLITE3 : null;
        before(async () => {
            if (!skip) srv = await startServer({ backend });
        });
        after(async () => {
            await srv?.stop();
        });

        for (let round = 1; round <= 3; round++) {
            test(`robustness-6.${round} kill -9 during creates, comments, updates and transitions loses nothing acknowledged; audit rows match`, async (t) => {
                if (skip) return t.skip(skip);
                const r = await killRound(srv, ledger, { clients: 6, minMs: 150, maxMs: 700 });
                t.diagnostic(JSON.stringify(r));
                assert.ok(r.acked.create > 0, 'the round acknowledged creates');
            });
        }
    });
}
