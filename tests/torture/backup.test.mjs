// tests/torture/backup.test.mjs - `opsledger backup` while writes run (SQLite): each copy is
// accepted by `opsledger restore`, holds a consistent prefix of the history (numbers 1..N
// without gaps, every record with its history and audit rows, the counter right after N), holds
// everything acknowledged before the backup started and nothing newer than what was ever
// acknowledged, and a server started on it answers with the same data and tokens.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BIN, cliResult, request, sleep, startServer } from '../api/harness.mjs';
import { Ledger, runLoad, serveStore, sqlite3Missing, sqliteRows, sqliteText, storeInvariants } from './lib.mjs';

const TORTURE = process.env.OPSLEDGER_TORTURE === '1';
const BACKUPS = Number(process.env.OPSLEDGER_TORTURE_BACKUPS || 8);

function backupAsync(file, dbArgs) {
    return new Promise((resolve) => {
        execFile(BIN, ['backup', file, ...dbArgs], { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) =>
            resolve({ status: err ? (err.code ?? 1) : 0, stdout, stderr }),
        );
    });
}

describe('torture backup under write load [sqlite]', () => {
    let srv = null;
    let skip = TORTURE ? sqlite3Missing() : 'set OPSLEDGER_TORTURE=1 (make torture) to run the long tests';
    const ledger = new Ledger('Backup');
    const copies = []; // {file, before: Map(number -> version), ackedDuring}

    before(async () => {
        if (!skip) srv = await startServer();
    });
    after(async () => {
        await srv?.stop();
    });

    test('torture-backup-1 backups taken while six clients write', async (t) => {
        if (skip) return t.skip(skip);
        const load = runLoad(srv, ledger, { clients: 6, cap: 1_000_000 });
        try {
            await sleep(1500);
            for (let k = 1; k <= BACKUPS; k++) {
                const file = path.join(path.dirname(srv.dataDir), `backup-${k}.db`);
                const snapshot = new Map([...ledger.records].map(([n, r]) => [n, r.version]));
                const ackedBefore = Object.values(ledger.counts).reduce((a, b) => a + b, 0);
                const t0 = Date.now();
                const r = await backupAsync(file, srv.dbArgs);
                assert.equal(r.status, 0, r.stderr);
                assert.match(r.stdout, /backup written/);
                const ackedDuring = Object.values(ledger.counts).reduce((a, b) => a + b, 0) - ackedBefore;
                copies.push({ file, before: snapshot, ackedDuring, ms: Date.now() - t0 });
                await sleep(200 + Math.floor(Math.random() * 800));
            }
        } finally {
            load.stop();
            await load.done;
        }
        assert.deepEqual(load.errors, []);
        t.diagnostic(`${copies.length} backups; writes acknowledged while each ran: ${copies.map((c) => `${c.ackedDuring} in ${c.ms} ms`).join(', ')}; ` +
            `in all ${JSON.stringify(ledger.counts)}`);
        assert.ok(copies.some((c) => c.ackedDuring > 0), 'writes went on while a backup ran');
    });

    test('torture-backup-2 every copy restores, verified, and is a consistent prefix holding what was acknowledged before it', async (t) => {
        if (skip) return t.skip(skip);
        const final = ledger.records;
        for (const [k, c] of copies.entries()) {
            const dir = path.join(path.dirname(srv.dataDir), `restored-${k + 1}`);
            const r = cliResult(['restore', c.file, '--data', dir]);
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /restored and verified/);
            const db = path.join(dir, 'opsledger.db');
            assert.equal(sqliteText(db, 'PRAGMA integrity_check'), 'ok');
            const inv = storeInvariants((sql) => sqliteRows(db, sql));
            assert.deepEqual(inv.problems, [], `copy ${k + 1} is consistent`);
            const rows = new Map(sqliteRows(db, 'SELECT number, title, version, state FROM records').map((x) => [x.number, x]));
            for (const [n, v] of c.before) {
                const got = rows.get(n);
                assert.ok(got, `copy ${k + 1}: ${n}, acknowledged before the backup began, is missing`);
                assert.ok(Number(got.version) >= v, `copy ${k + 1}: ${n} at version ${got.version}, acknowledged ${v} before the backup`);
            }
            for (const [n, got] of rows) {
                const want = final.get(n);
                assert.ok(want, `copy ${k + 1}: ${n} was never acknowledged`);
                assert.ok(Number(got.version) <= want.version, `copy ${k + 1}: ${n} at version ${got.version}, newer than any acknowledged`);
                if (Number(got.version) === want.version) {
                    assert.equal(got.title, want.title, `copy ${k + 1}: ${n}`);
                    assert.equal(got.state, want.state, `copy ${k + 1}: ${n}`);
                }
            }
            t.diagnostic(`copy ${k + 1}: ${inv.count} records (${c.before.size} acknowledged before it began), consistent`);
        }
    });

    test('torture-backup-3 a server started on the last restored copy answers with its data', async (t) => {
        if (skip) return t.skip(skip);
        const dir = path.join(path.dirname(srv.dataDir), `restored-${copies.length}`);
        const db = path.join(dir, 'opsledger.db');
        const rows = sqliteRows(db, 'SELECT number, title, version FROM records ORDER BY id DESC LIMIT 50');
        const s = await serveStore(['--data', dir]);
        try {
            for (const row of rows) {
                const res = await request(s.url, 'GET', `/api/v1/articles/${row.number}`, { token: srv.token });
                assert.equal(res.status, 200, res.text);
                assert.equal(res.json.title, row.title);
                assert.equal(res.json.version, Number(row.version));
            }
            const res = await request(s.url, 'POST', '/api/v1/articles', { token: srv.token, body: { title: 'Written on the restored copy' } });
            assert.equal(res.status, 201, res.text);
            assert.equal(Number(res.json.number.slice(3)), Number(sqliteRows(db, 'SELECT count(*) AS n FROM records')[0].n));
        } finally {
            const end = await s.stop();
            assert.equal(end.code, 0, s.stderr());
        }
        fs.rmSync(dir, { recursive: true, force: true });
        t.diagnostic(`served ${rows.length} records from the restored copy`);
    });
});
