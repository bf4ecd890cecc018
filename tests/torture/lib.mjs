// tests/torture/lib.mjs - shared by the torture runs (tests/torture/*.test.mjs) and the short
// rounds in tests/api/robustness.test.mjs: a write load whose every acknowledged answer is logged
// (creates, comments, updates, transitions), kill -9 at a random moment, and the checks after a
// restart: every acknowledged write is there as acknowledged (through the API and in the
// database), and the database's own invariants hold (one record.create audit row per record, one
// audit row per version step and per comment, history for every version, numbers without gaps).
// The database is read directly (the sqlite3 CLI, or psql); the audit hash chain is verified
// through GET /api/v1/audit/verify.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { BIN, pool, request, sleep } from '../api/harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PG_SCRIPT = path.join(ROOT, 'scripts', 'pg-test-cluster.sh');
const MAX_OUTPUT = 512 * 1024 * 1024;

// ---- tools ---------------------------------------------------------------------------------

/** The path of a PostgreSQL client or server program (psql, initdb), or null. */
export function pgProgram(name) {
    let dirs = [];
    try {
        dirs = fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    } catch {
        /* not installed */
    }
    for (const d of dirs) {
        const p = `/usr/lib/postgresql/${d}/bin/${name}`;
        if (fs.existsSync(p)) return p;
    }
    return null;
}

/** Why the sqlite3 CLI cannot be used, or null when it can. */
export function sqlite3Missing() {
    const r = spawnSync('sqlite3', ['-version'], { encoding: 'utf8' });
    return r.status === 0 ? null : 'the sqlite3 CLI is not installed (apt-get install sqlite3)';
}

/** Rows of a query on a SQLite file, read-only (the server may be running). */
export function sqliteRows(dbFile, sql) {
    const out = execFileSync('sqlite3', ['-readonly', '-json', dbFile, sql], {
        encoding: 'utf8',
        maxBuffer: MAX_OUTPUT,
        timeout: 120_000,
    });
    return out.trim() ? JSON.parse(out) : [];
}

/** One text value from a query on a SQLite file (e.g. PRAGMA integrity_check). */
export function sqliteText(dbFile, sql) {
    return execFileSync('sqlite3', ['-readonly', dbFile, sql], { encoding: 'utf8', timeout: 120_000 }).trim();
}

/** Rows of a query on a PostgreSQL database (URL), as JSON objects. */
export function pgRows(url, sql) {
    const psql = pgProgram('psql') || 'psql';
    const out = execFileSync(psql, ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c',
        `SELECT coalesce(json_agg(t), '[]') FROM (${sql}) t`], {
        encoding: 'utf8',
        maxBuffer: MAX_OUTPUT,
        timeout: 120_000,
    });
    return JSON.parse(out);
}

/** Rows of a query on a test server's store. sql is given per backend: {sqlite, pg}. */
export function storeRows(srv, sql) {
    if (srv.backend === 'pg') return pgRows(srv.dbUrl, sql.pg);
    return sqliteRows(path.join(srv.dataDir, 'opsledger.db'), sql.sqlite);
}

/** Resident set size of a process in KiB, from /proc/PID/status. */
export function rssKb(pid) {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
}

/** True when a process runs with AddressSanitizer, whose allocator keeps freed memory
 * (quarantine) so that RSS says nothing about leaks. */
export function sanitized(pid) {
    return fs.readFileSync(`/proc/${pid}/maps`, 'utf8').includes('libasan');
}

/** Open descriptors of a process. */
export function fdCount(pid) {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/** This process's soft limit on open files (via the shell: node has no getrlimit). */
export function openFileLimit() {
    const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
    const n = Number(r.stdout.trim());
    return Number.isFinite(n) ? n : Infinity;
}

/** Percentile p (0-100) of numbers. */
export function percentile(xs, p) {
    if (!xs.length) return NaN;
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

// ---- many and slow connections ----------------------------------------------------------------

/** Opens n keep-alive connections, each answered once (GET /healthz) within timeoutMs, and keeps
 * them open. Resolves {socks, failed (not answered in time), close()}. */
export async function openConnections(url, n, { batch = 250, timeoutMs = 20_000 } = {}) {
    const { port } = new URL(url);
    const socks = [];
    let failed = 0;
    for (let i = 0; i < n; i += batch) {
        await Promise.all(
            Array.from({ length: Math.min(batch, n - i) }, () =>
                new Promise((resolve) => {
                    const s = net.connect({ host: '127.0.0.1', port: Number(port) });
                    let got = '';
                    const timer = setTimeout(() => {
                        failed++;
                        resolve();
                    }, timeoutMs);
                    s.on('connect', () => s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
                    s.on('data', (d) => {
                        got += d;
                        if (got.includes('{"status":"up"}')) {
                            clearTimeout(timer);
                            resolve();
                        }
                    });
                    s.on('error', () => {});
                    s.on('close', () => {
                        clearTimeout(timer);
                        if (!got.includes('{"status":"up"}')) failed++;
                        resolve();
                    });
                    socks.push(s);
                }),
            ),
        );
    }
    return { socks, failed, close: () => socks.forEach((s) => s.destroy()) };
}

/** A slowloris: sends a request one byte every intervalMs (headers, or a body when body is set);
 * stop() ends it. */
export function slowClient(url, { intervalMs = 200, token, body = null }) {
    const { port } = new URL(url);
    const sock = net.connect({ host: '127.0.0.1', port: Number(port) });
    let text;
    if (body === null) {
        text = `GET /api/v1/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n${'X-Slow: abcdefghijklmnopqrstuvwxyz\r\n'.repeat(40)}\r\n`;
    } else {
        // Headers at once, then a body that never finishes.
        sock.write(`POST /api/v1/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 1000}\r\n\r\n`);
        text = body;
    }
    let i = 0;
    let closedByServer = false;
    sock.on('error', () => {});
    sock.on('close', () => (closedByServer = true));
    const timer = setInterval(() => {
        if (i < text.length && !sock.destroyed) sock.write(text[i++]);
    }, intervalMs);
    return {
        closedByServer: () => closedByServer,
        stop: () => {
            clearInterval(timer);
            sock.destroy();
        },
    };
}

// ---- a PostgreSQL cluster for the torture runs -----------------------------------------------

/**
 * Makes sure OPSLEDGER_TEST_PG_CLUSTER names a running cluster: the caller's, or one started
 * here with scripts/pg-test-cluster.sh (stopped by the returned function). Returns
 * {stop, reason}: reason is why PostgreSQL cannot be used (then skip), or null.
 */
export function ensurePgCluster() {
    if (process.env.OPSLEDGER_TEST_PG_CLUSTER) return { stop: () => {}, reason: null };
    if (!pgProgram('initdb')) return { stop: () => {}, reason: 'PostgreSQL is not installed (scripts/install-deps.sh)' };
    const dir = path.join(os.tmpdir(), `opsledger-torture-pg-${process.pid}`);
    try {
        execFileSync('bash', [PG_SCRIPT, 'start', dir], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
        return { stop: () => {}, reason: `could not start a PostgreSQL test cluster: ${e.stderr || e.message}` };
    }
    process.env.OPSLEDGER_TEST_PG_CLUSTER = dir;
    const stop = () => {
        delete process.env.OPSLEDGER_TEST_PG_CLUSTER;
        spawnSync('bash', [PG_SCRIPT, 'stop', dir], { timeout: 120_000 });
    };
    process.on('exit', stop);
    return { stop, reason: null };
}

// ---- a server on an existing store (a restored backup) --------------------------------------

/** Starts `opsledger serve ARGS --listen 127.0.0.1:0`; resolves {url, pid, stop()}. */
export function serveStore(args, { timeoutMs = 15_000 } = {}) {
    const child = spawn(BIN, ['serve', ...args, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => (stderr += d));
    const kill = () => {
        try {
            process.kill(child.pid, 'SIGKILL');
        } catch {
            /* gone */
        }
    };
    process.on('exit', kill);
    return new Promise((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => {
            kill();
            reject(new Error(`serve did not start: ${stderr}`));
        }, timeoutMs);
        child.on('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`serve exited (${code}) before listening: ${stderr}`));
        });
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (d) => {
            out += d;
            const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
            if (!m) return;
            clearTimeout(timer);
            child.removeAllListeners('exit');
            resolve({
                url: m[1],
                pid: child.pid,
                stderr: () => stderr,
                stop: () =>
                    new Promise((res) => {
                        child.once('exit', (code, sig) => res({ code, sig }));
                        child.kill('SIGTERM');
                    }),
            });
        });
    });
}

// ---- the ledger of acknowledged writes -------------------------------------------------------

/**
 * What the server acknowledged, per record: {title, body, version, state, comments[]}. A write
 * under way when the server died may or may not have committed: it is kept in `maybe` (the
 * record as it would be after it) or `maybeComment`, and resolved by what the restart shows.
 */
export class Ledger {
    constructor(tag) {
        this.tag = tag;
        this.records = new Map(); // number -> acknowledged state
        this.owner = new Map(); // number -> client index
        this.maybe = new Map(); // number -> the state after an unanswered update or transition
        this.maybeComment = new Map(); // number -> body of an unanswered comment
        this.maybeCreate = new Map(); // title -> {client, body}: an unanswered create
        this.counts = { create: 0, comment: 0, update: 0, transition: 0 };
        this.roundNumbers = new Set(); // records acknowledged or changed in the current round
        this.seq = 0;
    }

    mine(c) {
        const out = [];
        for (const [n, o] of this.owner) if (o === c) out.push(n);
        return out;
    }
}

const NEXT_TRANSITION = { draft: 'submit', in_review: 'publish', published: 'revise' };
const AFTER_TRANSITION = { submit: 'in_review', publish: 'published', revise: 'draft' };

/**
 * Runs `clients` writers against srv until stop() is called, each client at most `cap`
 * operations. Each acknowledged answer goes into the ledger. Returns {done, stop, errors}:
 * done resolves when every client has ended; errors lists answers that were neither a success
 * nor a dropped connection.
 */
export function runLoad(srv, ledger, { clients = 8, cap = 5000, mix = { create: 0.45, comment: 0.2, update: 0.17 } } = {}) {
    let stopped = false;
    const errors = [];
    const url = srv.url;
    const token = srv.token;
    const api = (method, p, opts) => request(url, method, p, { ...opts, token, timeoutMs: 30_000 });

    async function client(c) {
        for (let i = 0; i < cap && !stopped; i++) {
            const mine = ledger.mine(c);
            const r = Math.random();
            let op = 'transition';
            if (!mine.length || r < mix.create) op = 'create';
            else if (r < mix.create + mix.comment) op = 'comment';
            else if (r < mix.create + mix.comment + mix.update) op = 'update';
            // Work mostly on a client's recent records, sometimes on old ones.
            const number = mine.length ? mine[Math.random() < 0.8 ? mine.length - 1 - Math.floor(Math.random() * Math.min(5, mine.length)) : Math.floor(Math.random() * mine.length)] : null;
            const seq = ++ledger.seq;
            let res;
            try {
                if (op === 'create') {
                    const title = `${ledger.tag} c${c} #${seq}`;
                    const body = `Body of ${title}: ${'lorem ipsum '.repeat(Math.floor(Math.random() * 30))}end`;
                    ledger.maybeCreate.set(title, { client: c, body });
                    res = await api('POST', '/api/v1/articles', { body: { title, body } });
                    if (res.status === 201) {
                        ledger.maybeCreate.delete(title);
                        const n = res.json.number;
                        if (ledger.records.has(n)) errors.push(`${n} acknowledged twice`);
                        if (res.json.title !== title || res.json.body !== body || res.json.version !== 1)
                            errors.push(`${n}: the create's answer does not echo the input`);
                        ledger.records.set(n, { title, body, version: 1, state: res.json.state, comments: [] });
                        ledger.owner.set(n, c);
                        ledger.roundNumbers.add(n);
                        ledger.counts.create++;
                        continue;
                    }
                } else if (op === 'comment') {
                    const text = `Comment ${seq} on ${number} by c${c}`;
                    ledger.maybeComment.set(number, text);
                    res = await api('POST', `/api/v1/articles/${number}/comments`, { body: { body: text } });
                    if (res.status === 201) {
                        ledger.maybeComment.delete(number);
                        ledger.records.get(number).comments.push(text);
                        ledger.roundNumbers.add(number);
                        ledger.counts.comment++;
                        continue;
                    }
                } else {
                    const cur = ledger.records.get(number);
                    let p;
                    let body;
                    let after;
                    if (op === 'update') {
                        const title = `${ledger.tag} c${c} #${seq} (edited)`;
                        p = `/api/v1/articles/${number}`;
                        body = { title };
                        after = { ...cur, title, version: cur.version + 1, comments: cur.comments };
                    } else {
                        const name = NEXT_TRANSITION[cur.state];
                        p = `/api/v1/articles/${number}/transitions/${name}`;
                        body = {};
                        after = { ...cur, state: AFTER_TRANSITION[name], version: cur.version + 1, comments: cur.comments };
                    }
                    ledger.maybe.set(number, after);
                    res = await api(op === 'update' ? 'PATCH' : 'POST', p, {
                        body,
                        headers: { 'If-Match': `"${cur.version}"` },
                    });
                    if (res.status === 200) {
                        ledger.maybe.delete(number);
                        if (res.json.version !== after.version || res.json.title !== after.title || res.json.state !== after.state)
                            errors.push(`${number}: ${op} answered ${res.json.title}/${res.json.state}/v${res.json.version}`);
                        ledger.records.set(number, { ...after });
                        ledger.roundNumbers.add(number);
                        ledger.counts[op]++;
                        continue;
                    }
                }
            } catch {
                return; // the server is gone: the write under way stays "maybe"
            }
            errors.push(`${op}${number ? ` ${number}` : ''}: ${res.status} ${res.text.slice(0, 300)}`);
            return;
        }
    }

    const done = Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
    return {
        done,
        errors,
        stop: () => {
            stopped = true;
        },
    };
}

// ---- checks after a restart ----------------------------------------------------------------

const SQL_RECORDS = {
    sqlite: `SELECT number, title, version, state, json_extract(data, '$.body') AS body FROM records WHERE type = 'article'`,
    pg: `SELECT number, title, version, state, data->>'body' AS body FROM records WHERE type = 'article'`,
};
const SQL_COMMENTS = {
    sqlite: `SELECT r.number AS number, c.body AS body FROM comments c JOIN records r ON r.id = c.record_id ORDER BY c.id`,
    pg: `SELECT r.number AS number, c.body AS body FROM comments c JOIN records r ON r.id = c.record_id ORDER BY c.id`,
};
// Per record: its audit rows by kind, its comments and the versions its history covers.
const INVARIANTS = `SELECT r.number AS number, r.version AS version,
    (SELECT count(*) FROM audit_log a WHERE a.target = r.number AND a.action = 'record.create') AS creates,
    (SELECT count(*) FROM audit_log a WHERE a.target = r.number
        AND (a.action = 'record.update' OR a.action LIKE 'record.transition.%')) AS changes,
    (SELECT count(*) FROM audit_log a WHERE a.target = r.number AND a.action = 'record.comment') AS comment_audits,
    (SELECT count(*) FROM comments c WHERE c.record_id = r.id) AS comments,
    (SELECT count(DISTINCT h.version) FROM record_history h WHERE h.record_id = r.id) AS history_versions,
    (SELECT max(h.version) FROM record_history h WHERE h.record_id = r.id) AS history_max
  FROM records r`;
const ORPHAN_AUDIT = `SELECT count(*) AS n FROM audit_log a WHERE a.action LIKE 'record.%'
    AND NOT EXISTS (SELECT 1 FROM records r WHERE r.number = a.target)`;
const COUNTER = `SELECT next FROM counters WHERE type = 'article'`;

/**
 * Checks the invariants of a store read with rows(sql) (either backend: the SQL is shared).
 * Returns a list of problems (empty when consistent) and the record count.
 */
export function storeInvariants(rows) {
    const problems = [];
    const inv = rows(INVARIANTS);
    for (const r of inv) {
        const n = r.number;
        if (Number(r.creates) !== 1) problems.push(`${n}: ${r.creates} record.create audit rows`);
        if (Number(r.changes) !== Number(r.version) - 1) problems.push(`${n}: version ${r.version} but ${r.changes} update/transition audit rows`);
        if (Number(r.comment_audits) !== Number(r.comments)) problems.push(`${n}: ${r.comments} comments but ${r.comment_audits} record.comment audit rows`);
        if (Number(r.history_versions) !== Number(r.version) || Number(r.history_max) !== Number(r.version))
            problems.push(`${n}: version ${r.version} but history covers ${r.history_versions} versions up to ${r.history_max}`);
    }
    const orphans = Number(rows(ORPHAN_AUDIT)[0].n);
    if (orphans) problems.push(`${orphans} record audit rows name no record`);
    const numbers = inv.map((r) => Number(r.number.slice(3))).sort((a, b) => a - b);
    for (let i = 0; i < numbers.length; i++)
        if (numbers[i] !== i + 1) {
            problems.push(`record numbers are not 1..${numbers.length} without gaps (at ${i + 1}: ${numbers[i]})`);
            break;
        }
    const counter = rows(COUNTER);
    const next = counter.length ? Number(counter[0].next) : 1;
    if (next !== numbers.length + 1) problems.push(`the counter says next ${next} with ${numbers.length} records`);
    return { problems, count: inv.length };
}

function same(a, b) {
    return a && b && a.title === b.title && a.body === b.body && Number(a.version) === Number(b.version) && a.state === b.state;
}

/**
 * After a restart: every acknowledged write must be in the store as acknowledged (a write
 * that was under way may have committed or not: the ledger then follows the store), through
 * the database and through the API (the records of the current round, at most apiSample of
 * them), and the store's invariants must hold. Returns a summary; throws with the first
 * problems found.
 */
export async function verifyAfterRestart(srv, ledger, { apiSample = 300 } = {}) {
    const rowsOf = (sql) => storeRows(srv, typeof sql === 'string' ? { sqlite: sql, pg: sql } : sql);
    const problems = [];
    const actual = new Map(rowsOf(SQL_RECORDS).map((r) => [r.number, r]));
    const comments = new Map();
    for (const c of rowsOf(SQL_COMMENTS)) {
        if (!comments.has(c.number)) comments.set(c.number, []);
        comments.get(c.number).push(c.body);
    }
    let resolvedMaybe = 0;
    for (const [n, want] of ledger.records) {
        const got = actual.get(n);
        if (!got) {
            problems.push(`${n} was acknowledged but is missing`);
            continue;
        }
        const alt = ledger.maybe.get(n);
        if (same(got, want)) {
            /* as acknowledged */
        } else if (alt && same(got, alt)) {
            ledger.records.set(n, { ...alt, comments: want.comments });
            resolvedMaybe++;
        } else {
            problems.push(`${n} is ${got.title}/${got.state}/v${got.version}, acknowledged ${want.title}/${want.state}/v${want.version}`);
        }
        const have = comments.get(n) || [];
        const extra = [...have];
        for (const body of want.comments) {
            const i = extra.indexOf(body);
            if (i < 0) problems.push(`${n}: acknowledged comment "${body}" is missing`);
            else extra.splice(i, 1);
        }
        const maybeC = ledger.maybeComment.get(n);
        if (extra.length === 1 && extra[0] === maybeC) {
            ledger.records.get(n).comments.push(maybeC);
            resolvedMaybe++;
        } else if (extra.length) {
            problems.push(`${n}: comments nobody was told about: ${extra.slice(0, 3).join(' | ')}`);
        }
    }
    ledger.maybe.clear();
    ledger.maybeComment.clear();
    // A create under way that committed: adopt its record, so later rounds check it too.
    const byTitle = new Map();
    for (const r of actual.values()) byTitle.set(r.title, r);
    let adopted = 0;
    for (const [title, { client, body }] of ledger.maybeCreate) {
        const r = byTitle.get(title);
        if (!r || ledger.records.has(r.number)) continue;
        if (r.body !== body || Number(r.version) !== 1) problems.push(`${r.number}: unacknowledged create stored wrongly`);
        ledger.records.set(r.number, { title, body, version: 1, state: r.state, comments: [] });
        ledger.owner.set(r.number, client);
        adopted++;
    }
    ledger.maybeCreate.clear();
    // Records nobody was told about can only be such creates (titles carry the run's tag).
    for (const r of actual.values())
        if (r.title.startsWith(`${ledger.tag} `) && !ledger.records.has(r.number)) problems.push(`${r.number} (${r.title}) was never acknowledged`);

    const inv = storeInvariants(rowsOf);
    problems.push(...inv.problems);
    // S8: the audit hash chain survived the crash intact (gapless, every hash matches).
    const chain = await srv.api('GET', '/api/v1/audit/verify');
    if (chain.status !== 200 || !chain.json.ok) problems.push(`audit chain: ${chain.json?.first_bad?.message ?? chain.text}`);

    // Through the API, the records this round touched.
    const sample = [...ledger.roundNumbers].slice(-apiSample);
    const apiProblems = (
        await pool(sample, 8, async (n) => {
            const res = await srv.api('GET', `/api/v1/articles/${n}`);
            if (res.status !== 200) return `${n}: GET answered ${res.status}`;
            const want = ledger.records.get(n);
            return same(res.json, want) ? null : `${n}: the API shows ${res.json.title}/v${res.json.version}, acknowledged ${want.title}/v${want.version}`;
        })
    ).filter(Boolean);
    problems.push(...apiProblems);
    ledger.roundNumbers.clear();
    if (problems.length) throw new Error(`${problems.length} problems after the restart:\n  ${problems.slice(0, 15).join('\n  ')}`);
    return { records: inv.count, acknowledged: ledger.records.size, resolvedMaybe, adopted, apiChecked: sample.length };
}

/**
 * One kill -9 round: load with `clients` writers, SIGKILL after a random delay in
 * [minMs, maxMs], restart, verify. Returns a summary for t.diagnostic().
 */
export async function killRound(srv, ledger, { clients = 8, minMs = 100, maxMs = 1500, cap = 5000 } = {}) {
    const before = { ...ledger.counts };
    const load = runLoad(srv, ledger, { clients, cap });
    // The kill comes a random time after the first acknowledged create, not after the start: a
    // server slowed by sanitizers or a busy machine must still have done work in the round.
    for (let i = 0; i < 200 && ledger.counts.create === before.create; i++) await sleep(50);
    const delay = minMs + Math.floor(Math.random() * (maxMs - minMs));
    await sleep(delay);
    await srv.kill9();
    load.stop();
    await load.done;
    if (load.errors.length) throw new Error(`unexpected answers under load: ${load.errors.slice(0, 5).join('; ')}`);
    const inFlight = ledger.maybe.size + ledger.maybeComment.size + ledger.maybeCreate.size;
    await srv.restart();
    const v = await verifyAfterRestart(srv, ledger);
    const acked = Object.fromEntries(Object.entries(ledger.counts).map(([k, x]) => [k, x - before[k]]));
    return { delay, acked, inFlight, ...v };
}
