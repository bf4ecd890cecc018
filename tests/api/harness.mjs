// tests/api/harness.mjs - start a real opsledger server on 127.0.0.1 with an ephemeral port and a
// throw-away store (SQLite in a temp directory, or a fresh database in the PostgreSQL test
// cluster named by OPSLEDGER_TEST_PG_CLUSTER), then drive it over HTTP (STYLE.md §6 Tests).
//
// Every server process is tracked by PID: stop() ends it, and whatever a failing test leaves
// behind is killed when the test process exits. Each server's stderr is kept; stop() fails when
// it holds a sanitizer report (ASan/UBSan/LSan builds, `make check`).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.OPSLEDGER_BIN || path.join(ROOT, 'opsledger');
const PG_SCRIPT = path.join(ROOT, 'scripts', 'pg-test-cluster.sh');

export const ADMIN_PASSWORD = 'Adm1n-Passw0rd!';
export const USER_PASSWORD = 'Us3r-Passw0rd-long!';
const STARTUP_MS = 10_000;
const STOP_MS = 10_000;
const REQUEST_MS = 20_000;

const SANITIZER_RE = /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:/;

/** The backends to run every test file against: SQLite always, PostgreSQL when a cluster is set. */
export function backends() {
    // OPSLEDGER_TEST_BACKENDS=pg runs only the PostgreSQL half (scripts/test-all.sh's second pass).
    const only = process.env.OPSLEDGER_TEST_BACKENDS;
    if (only)
        return only.split(',').filter((b) => b !== 'pg' || process.env.OPSLEDGER_TEST_PG_CLUSTER);
    return process.env.OPSLEDGER_TEST_PG_CLUSTER ? ['sqlite', 'pg'] : ['sqlite'];
}

// ---- process bookkeeping -------------------------------------------------------------------

const live = new Map(); // pid -> ChildProcess

function killAllSync() {
    for (const pid of live.keys()) {
        try {
            process.kill(pid, 'SIGKILL');
        } catch {
            /* already gone */
        }
    }
    live.clear();
}
process.on('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
        killAllSync();
        process.exit(130);
    });
}

/** The environment for the binary: ours, minus any OPSLEDGER_* setting that would change it. */
function childEnv(extra = {}) {
    const env = {};
    for (const [k, v] of Object.entries(process.env))
        if (!k.startsWith('OPSLEDGER_')) env[k] = v;
    return { ...env, ...extra };
}

function sanitizerReport(text) {
    const m = SANITIZER_RE.exec(text);
    if (!m) return null;
    return text.slice(Math.max(0, m.index - 200), m.index + 4000);
}

/** Runs `opsledger ARGS` to completion; returns {status, signal, stdout, stderr} whatever the
 * exit status (for commands expected to fail). Throws only on a sanitizer report. */
export function cliResult(args, { env = {}, input, timeoutMs = 60_000 } = {}) {
    const r = spawnSync(BIN, args, {
        env: childEnv(env),
        input: input ?? '',
        timeout: timeoutMs,
        encoding: 'utf8',
    });
    if (r.error) throw new Error(`opsledger ${args[0]}: ${r.error.message}`);
    const report = sanitizerReport(r.stderr);
    if (report) throw new Error(`opsledger ${args.join(' ')}: sanitizer report:\n${report}`);
    return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `opsledger ARGS` to completion; returns stdout (trimmed). Throws with stderr on failure
 * or on a sanitizer report. */
export function cli(args, { env = {}, input } = {}) {
    const r = spawnSync(BIN, args, {
        env: childEnv(env),
        input: input ?? '',
        timeout: 60_000,
        encoding: 'utf8',
    });
    if (r.error) throw new Error(`opsledger ${args[0]}: ${r.error.message}`);
    const report = sanitizerReport(r.stderr);
    if (report) throw new Error(`opsledger ${args.join(' ')}: sanitizer report:\n${report}`);
    if (r.status !== 0)
        throw new Error(`opsledger ${args.join(' ')} failed (status ${r.status ?? r.signal}): ${r.stderr}`);
    return r.stdout.trim();
}

function pgCreateDb() {
    const dir = process.env.OPSLEDGER_TEST_PG_CLUSTER;
    const name = `ol_t_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
    return execFileSync(PG_SCRIPT, ['createdb', dir, name], {
        encoding: 'utf8',
        timeout: 60_000,
        stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
}

// ---- HTTP --------------------------------------------------------------------------------

/**
 * One HTTP request. body: an object is sent as JSON (Content-Type application/json unless the
 * headers say otherwise); a string or Buffer is sent as it is. token: a bearer token, or null for
 * none. Returns {status, headers, json, text}; json is null when the body is not JSON.
 */
export async function request(baseUrl, method, p, { body, headers = {}, token = null, timeoutMs = REQUEST_MS, ca } = {}) {
    if (ca) return httpsRequest(baseUrl, method, p, { body, headers, token, timeoutMs, ca });
    const h = { ...headers };
    let payload;
    if (body !== undefined) {
        if (typeof body === 'string' || Buffer.isBuffer(body)) {
            payload = body;
        } else {
            payload = JSON.stringify(body);
            if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type'))
                h['Content-Type'] = 'application/json';
        }
    }
    if (token) h.Authorization = `Bearer ${token}`;
    const res = await fetch(new URL(p, baseUrl), {
        method,
        headers: h,
        body: payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
    });
    // Decoded by hand: res.text() would drop a byte-order mark the server sent.
    const text = Buffer.from(await res.arrayBuffer()).toString('utf8');
    let json = null;
    try {
        json = text ? JSON.parse(text) : null;
    } catch {
        json = null;
    }
    return { status: res.status, headers: res.headers, json, text };
}

/** request() over HTTPS, trusting the PEM certificate(s) ca (fetch cannot be given a CA). */
function httpsRequest(baseUrl, method, p, { body, headers, token, timeoutMs, ca }) {
    const h = { ...headers };
    let payload;
    if (body !== undefined) {
        payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
        if (typeof body === 'object' && !Buffer.isBuffer(body) &&
            !Object.keys(h).some((k) => k.toLowerCase() === 'content-type'))
            h['Content-Type'] = 'application/json';
    }
    if (token) h.Authorization = `Bearer ${token}`;
    return new Promise((resolve, reject) => {
        const req = https.request(new URL(p, baseUrl), { method, headers: h, ca, timeout: timeoutMs }, (res) => {
            const chunks = [];
            res.on('data', (d) => chunks.push(d));
            res.on('end', () => {
                const text = Buffer.concat(chunks).toString('utf8');
                const hs = new Headers();
                for (const [k, v] of Object.entries(res.headers))
                    for (const one of [].concat(v)) hs.append(k, one);
                let json = null;
                try {
                    json = text ? JSON.parse(text) : null;
                } catch {
                    json = null;
                }
                resolve({ status: res.statusCode, headers: hs, json, text });
            });
        });
        req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on('error', reject);
        req.end(payload);
    });
}

// ---- the server ----------------------------------------------------------------------------

function waitForListening(child, stderrOf) {
    return new Promise((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => {
            cleanup();
            reject(new Error(`the server did not start within ${STARTUP_MS} ms; stderr:\n${stderrOf()}`));
        }, STARTUP_MS);
        const onData = (d) => {
            out += d;
            const m = /listening on (https?:\/\/127\.0\.0\.1:(\d+)\/)/.exec(out);
            if (m) {
                cleanup();
                resolve({ url: m[1], port: Number(m[2]) });
            }
        };
        const onExit = (code, sig) => {
            cleanup();
            reject(new Error(`the server exited (${code ?? sig}) before listening; stderr:\n${stderrOf()}`));
        };
        function cleanup() {
            clearTimeout(timer);
            child.stdout.off('data', onData);
            child.off('exit', onExit);
        }
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', onData);
        child.on('exit', onExit);
    });
}

function waitForExit(child, ms) {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
    return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        child.once('exit', () => {
            clearTimeout(timer);
            resolve(true);
        });
    });
}

/**
 * Starts a server. backend: 'sqlite' or 'pg'. users: [{name, roles: [...]}] created before the
 * server starts, each with its own API token (in tokens[name]); admin's token is `token`.
 * args: extra `serve` flags (e.g. ['--request_timeout', '5']); env: extra environment for the
 * server; tmpRoot: the directory the SQLite store's temporary directory is made in (default the
 * system's, e.g. a small tmpfs to fill). tls: {cert, key, ca} file paths: serve native HTTPS
 * with that certificate and key, and have api() trust the PEM file ca.
 * Returns {url, token, tokens, backend, dataDir | dbUrl, dbArgs, keyFile (S7), pid, api, stop, kill9, terminate,
 * restart, stderr}.
 */
export async function startServer({ backend = 'sqlite', users = [], args = [], env = {}, tmpRoot = os.tmpdir(), tls = null } = {}) {
    if (tls) args = [...args, '--tls_cert', tls.cert, '--tls_key', tls.key];
    const ca = tls ? fs.readFileSync(tls.ca) : undefined;
    let dbArgs;
    let dataDir = null;
    let dbUrl = null;
    let tmp = null;
    if (backend === 'sqlite') {
        tmp = fs.mkdtempSync(path.join(tmpRoot, 'opsledger-test-'));
        dataDir = path.join(tmp, 'data');
        dbArgs = ['--data', dataDir];
    } else if (backend === 'pg') {
        if (!process.env.OPSLEDGER_TEST_PG_CLUSTER)
            throw new Error('backend pg needs OPSLEDGER_TEST_PG_CLUSTER (scripts/pg-test-cluster.sh start DIR)');
        dbUrl = pgCreateDb();
        // S7: PostgreSQL nodes need a shared field-encryption key file (made by init).
        tmp = fs.mkdtempSync(path.join(tmpRoot, 'opsledger-test-'));
        dbArgs = ['--db', dbUrl, '--key_file', path.join(tmp, 'field.keys')];
    } else {
        throw new Error(`unknown backend ${backend}`);
    }

    const tokens = {};
    try {
        cli(['init', ...dbArgs], { env: { OPSLEDGER_ADMIN_PASSWORD: ADMIN_PASSWORD } });
        tokens.admin = cli(['token', 'create', ...dbArgs, '--user', 'admin']);
        for (const u of users) {
            const roleArgs = (u.roles || []).flatMap((r) => ['--role', r]);
            cli(['user', 'add', u.name, ...roleArgs, ...dbArgs], {
                env: { OPSLEDGER_USER_PASSWORD: u.password || USER_PASSWORD },
            });
            tokens[u.name] = cli(['token', 'create', ...dbArgs, '--user', u.name]);
        }
    } catch (e) {
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        throw e;
    }

    let stderr = '';
    let child = null;
    let died = null; // set when the server exits without being asked to
    const srv = {
        backend,
        dataDir,
        dbUrl,
        dbArgs,
        keyFile: dataDir ? path.join(dataDir, 'keys', 'field.keys') : path.join(tmp, 'field.keys'),
        tokens,
        token: tokens.admin,
        url: null,
        pid: null,
        stderr: () => stderr,
    };

    async function spawnServer() {
        // S3: MFA is off unless a test asks for it (args come later and win), so tests can log
        // the harness's administrator in with a password; tests/api/mfa.test.mjs turns it on.
        child = spawn(BIN, ['serve', ...dbArgs, '--listen', '127.0.0.1:0', '--mfa_required', 'none', ...args], {
            env: childEnv(env),
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        if (child.pid) live.set(child.pid, child);
        const c = child;
        c.on('exit', (code, sig) => {
            live.delete(c.pid);
            if (!c.expectExit && srv.pid === c.pid) {
                died = `the server (pid ${c.pid}) died unexpectedly (${sig || `exit ${code}`})`;
                process.stderr.write(`\n==== ${died}; its stderr: ====\n${stderr.slice(-8000)}\n`);
            }
        });
        c.stderr.setEncoding('utf8');
        c.stderr.on('data', (d) => {
            stderr += d;
        });
        try {
            const { url } = await waitForListening(c, () => stderr);
            srv.url = url;
            srv.pid = c.pid;
            // Drain stdout so the pipe never fills.
            c.stdout.resume();
        } catch (e) {
            await signalAndWait(c, 'SIGKILL');
            throw e;
        }
    }

    /** Signals c and waits for it to exit (SIGKILL after STOP_MS). Returns a complaint about
     * how a SIGTERM'd server ended, or null when it exited with status 0. */
    async function signalAndWait(c, sig) {
        if (!c || c.exitCode !== null || c.signalCode !== null) return null;
        c.expectExit = true;
        try {
            process.kill(c.pid, sig);
        } catch {
            /* already gone */
        }
        if (await waitForExit(c, STOP_MS)) {
            if (sig === 'SIGTERM' && c.exitCode !== 0)
                return `the server (pid ${c.pid}) ended with ${c.signalCode || `exit status ${c.exitCode}`} on SIGTERM`;
            return null;
        }
        try {
            process.kill(c.pid, 'SIGKILL');
        } catch {
            /* already gone */
        }
        await waitForExit(c, STOP_MS);
        return `the server (pid ${c.pid}) did not stop within ${STOP_MS} ms of ${sig}`;
    }

    function checkSanitizers(complaint = null) {
        if (complaint && !died) died = complaint;
        if (died) {
            const msg = died;
            died = null;
            throw new Error(`${msg}; stderr:\n${stderr.slice(-8000)}`);
        }
        const report = sanitizerReport(stderr);
        if (report) {
            process.stderr.write(`\n==== sanitizer report from opsledger (${backend}) ====\n${report}\n`);
            throw new Error(`the server's stderr holds a sanitizer report:\n${report}`);
        }
    }

    /** api(method, path, {body, headers, token}): token defaults to admin's; null sends none. */
    srv.api = (method, p, opts = {}) =>
        request(srv.url, method, p, { ...opts, token: 'token' in opts ? opts.token : srv.token, ca });

    /** Kills the server with SIGKILL (a crash); restart() brings it back on the same store. */
    srv.kill9 = async () => {
        await signalAndWait(child, 'SIGKILL');
    };

    /** Stops the server with SIGTERM (a clean stop) and keeps its store; restart() starts it
     * again. Fails on an unclean exit or a sanitizer report. */
    srv.terminate = async () => {
        checkSanitizers(await signalAndWait(child, 'SIGTERM'));
    };

    /** Stops the running server (if any) with SIGTERM and starts it again on the same store. */
    srv.restart = async () => {
        checkSanitizers(await signalAndWait(child, 'SIGTERM'));
        await spawnServer();
    };

    let stopped = false;
    /** Stops the server, removes its store and fails on a sanitizer report. Idempotent. */
    srv.stop = async () => {
        if (stopped) return;
        stopped = true;
        const complaint = await signalAndWait(child, 'SIGTERM');
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        checkSanitizers(complaint);
    };

    try {
        await spawnServer();
    } catch (e) {
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        throw e;
    }
    return srv;
}

// ---- helpers for the tests ------------------------------------------------------------------

/** The `errors` array of a problem+json answer as "field:code" strings. */
export function fieldErrors(res) {
    return (res.json?.errors || []).map((e) => `${e.field}:${e.code}`);
}

/** Runs fn over items with at most n at a time; returns the results in order. */
export async function pool(items, n, fn) {
    const out = new Array(items.length);
    let next = 0;
    async function worker() {
        while (next < items.length) {
            const i = next++;
            out[i] = await fn(items[i], i);
        }
    }
    await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
    return out;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
