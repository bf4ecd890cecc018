// tests/api/cluster.test.mjs - several `serve` processes on one PostgreSQL database: exactly one
// leads (holds the lease: an advisory lock on a session of its own) and runs the periodic
// sweeps; the standby runs none, so a sweep's effect (here the S4 access review that falls due,
// a check-then-create sweep) happens once; an alert storm sent to both nodes at once gets one
// parent incident; and when the leader is killed (SIGKILL of the PID
// started here) the other node leads within a bounded time and its sweeps take over. On SQLite
// (one node) the server always leads. Time moves through OPSLEDGER_TEST_CLOCK.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BIN, backends, cli, request, sleep, startServer } from './harness.mjs';

const DAY = 86400;
const TAKEOVER_MS = 5_000; // the lease is taken at the standby's next tick (every second)

/** Polls fn (every 200 ms) until it returns a truthy value or ms pass; returns the value. */
async function within(ms, what, fn) {
    const end = Date.now() + ms;
    for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
        await sleep(200);
    }
}

/** Starts one more `serve` on srv's database; returns {pid, url, stop, kill9, stderr}. */
async function startPeer(srv, env) {
    const childEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OPSLEDGER_')) childEnv[k] = v;
    const child = spawn(BIN, ['serve', ...srv.dbArgs, '--listen', '127.0.0.1:0', '--mfa_required', 'none'], {
        env: { ...childEnv, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => (stderr += d));
    const killNow = () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');
    process.on('exit', killNow);
    const exited = new Promise((r) => child.once('exit', r));
    const url = await new Promise((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`the second node did not start; stderr:\n${stderr}`)), 10_000);
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (d) => {
            out += d;
            const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
            if (m) {
                clearTimeout(timer);
                resolve(m[1]);
            }
        });
        child.once('exit', (code, sig) => {
            clearTimeout(timer);
            reject(new Error(`the second node exited (${code ?? sig}); stderr:\n${stderr}`));
        });
    });
    child.stdout.resume();
    const end = async (sig) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(sig);
        await Promise.race([exited, sleep(10_000)]);
        killNow();
    };
    return { pid: child.pid, url, stderr: () => stderr, stop: () => end('SIGTERM'), kill9: () => end('SIGKILL') };
}

for (const backend of backends()) {
    if (backend === 'sqlite') {
        describe('cluster [sqlite]', () => {
            let srv;
            before(async () => {
                srv = await startServer({ backend });
            });
            after(async () => {
                await srv?.stop();
            });

            test('cluster-0 a single SQLite node always leads: /readyz, /metrics and opsledger status say so', async () => {
                const ready = await srv.api('GET', '/readyz', { token: null });
                assert.equal(ready.status, 200, ready.text);
                assert.equal(ready.json.leader, true);
                assert.match(ready.json.node, new RegExp(`:\\d+/${srv.pid}$`));
                const metrics = await srv.api('GET', '/metrics', { token: null });
                assert.match(metrics.text, /^opsledger_leader 1$/m);
                const status = JSON.parse(cli(['status', '--json', ...srv.dbArgs]));
                assert.equal(status.database, 'sqlite');
                assert.deepEqual(status.nodes, []);
                assert.match(cli(['status', ...srv.dbArgs]), /one \(SQLite\)/);
            });
        });
        continue;
    }

    describe(`cluster: two serve nodes on one database [${backend}]`, () => {
        let srv;
        let peer;
        let clockFile;
        const nodes = () => [
            { url: srv.url, pid: srv.pid, kill9: () => srv.kill9() },
            { url: peer.url, pid: peer.pid, kill9: () => peer.kill9() },
        ];
        const ready = async (url) => (await request(url, 'GET', '/readyz')).json;
        const moveClock = (days) => fs.writeFileSync(clockFile, String(days * DAY));
        const reviews = async (url) => {
            const res = await request(url, 'GET', '/api/v1/access_reviews?scope=privileged&limit=50', { token: srv.token });
            assert.equal(res.status, 200, res.text);
            return res.json.items;
        };
        /** The node that leads now (and the other one), once exactly one says so. */
        async function leaderNow(candidates = nodes()) {
            return within(TAKEOVER_MS, 'exactly one leader', async () => {
                const states = await Promise.all(candidates.map(async (n) => ({ ...n, ...(await ready(n.url)) })));
                const leaders = states.filter((s) => s.leader === true);
                return leaders.length === 1 ? { leader: leaders[0], others: states.filter((s) => !s.leader) } : null;
            });
        }

        before(async () => {
            clockFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ol-cluster-')), 'offset');
            fs.writeFileSync(clockFile, '0');
            srv = await startServer({ backend, env: { OPSLEDGER_TEST_CLOCK: clockFile } });
            peer = await startPeer(srv, { OPSLEDGER_TEST_CLOCK: clockFile });
        });
        after(async () => {
            await peer?.stop();
            // The harness checks the first node's stderr; this one is checked here (`make check`).
            assert.doesNotMatch(peer?.stderr() ?? '', /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:/);
            await srv?.stop();
            if (clockFile) fs.rmSync(path.dirname(clockFile), { recursive: true, force: true });
        });

        test('cluster-1 exactly one node leads; both serve; opsledger status names the same leader', async () => {
            const { leader, others } = await leaderNow();
            assert.equal(others.length, 1);
            assert.equal(others[0].leader, false);
            assert.match(leader.node, new RegExp(`/${leader.pid}$`));
            // Both nodes serve the API on the one database.
            for (const n of nodes())
                assert.equal((await request(n.url, 'GET', '/api/v1/access_reviews', { token: srv.token })).status, 200);
            const status = JSON.parse(cli(['status', '--json', ...srv.dbArgs]));
            assert.equal(status.database, 'postgresql');
            assert.deepEqual(status.nodes.map((n) => n.node).sort(), [leader.node, others[0].node].sort());
            assert.deepEqual(status.nodes.filter((n) => n.leader).map((n) => n.node), [leader.node]);
            const metrics = async (url) => (await request(url, 'GET', '/metrics')).text.match(/^opsledger_leader (\d)$/m)[1];
            assert.equal(await metrics(leader.url), '1');
            assert.equal(await metrics(others[0].url), '0');
            assert.match(cli(['status', ...srv.dbArgs]), new RegExp(`${leader.node.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+leader`));
        });

        test('cluster-2 the standby runs no sweep, and a sweep effect (the access review due) happens once', async () => {
            const { leader, others } = await leaderNow();
            assert.equal((await reviews(others[0].url)).length, 0);
            // Paused, the leader keeps the lease (its session lives) but sweeps nothing: the
            // review that falls due 31 days on must not be made by the standby meanwhile.
            process.kill(leader.pid, 'SIGSTOP');
            try {
                moveClock(31);
                await sleep(6_500); // more than the standby's sweep period (5 s)
                assert.equal((await reviews(others[0].url)).length, 0, 'the standby swept');
                assert.equal((await ready(others[0].url)).leader, false);
            } finally {
                process.kill(leader.pid, 'SIGCONT');
            }
            const made = await within(15_000, 'the review', async () => {
                const items = await reviews(others[0].url);
                return items.length && items[0].state === 'in_progress' ? items : null;
            });
            await sleep(6_000); // both nodes had another sweep round
            const again = await reviews(leader.url);
            assert.equal(again.length, 1, JSON.stringify(again));
            assert.equal(again[0].number, made[0].number);
        });

        test('cluster-3 an alert storm sent to both nodes at once converges into one parent incident', async () => {
            const integ = await srv.api('POST', '/api/v1/integrations', { body: { name: 'ev', kind: 'generic' } });
            assert.equal(integ.status, 201, integ.text);
            // 30 webhooks of one alert each for one CI, 15 per node, all at once; the storm
            // threshold is 10 new alerts in the window.
            const sends = Array.from({ length: 30 }, (_, i) => request(nodes()[i % 2].url, 'POST', '/api/v1/events', {
                body: { dedupe_key: `cl-storm-${i}`, summary: `Port ${i} down`, ci: 'core-switch-1', severity: 'warning' },
                token: integ.json.token,
            }));
            const answers = await Promise.all(sends);
            for (const a of answers) assert.equal(a.status, 200, a.text);
            const placed = answers.map((a) => a.json.alerts[0]);
            const created = placed.filter((p) => p.action === 'created');
            const joined = placed.filter((p) => p.action === 'joined_storm');
            assert.equal(created.length, 10, JSON.stringify(placed));
            assert.equal(joined.length, 20, JSON.stringify(placed));
            assert.equal(new Set(joined.map((p) => p.incident)).size, 1, 'one storm parent');
            const storm = await srv.api('GET', `/api/v1/incidents/${joined[0].incident}/alerts`);
            assert.equal(storm.status, 200, storm.text);
            assert.equal(storm.json.storm.alerts, 30, storm.text); // all of them: the 10 before it too
        });

        test('cluster-4 the leader killed (SIGKILL), the other node leads within seconds and its sweeps run', async () => {
            const { leader, others } = await leaderNow();
            const t0 = Date.now();
            await leader.kill9();
            const next = await within(TAKEOVER_MS, 'the standby to lead', async () => ((await ready(others[0].url)).leader ? others[0] : null));
            const took = Date.now() - t0;
            assert.ok(took <= TAKEOVER_MS, `took ${took} ms`);
            const status = JSON.parse(cli(['status', '--json', ...srv.dbArgs]));
            assert.deepEqual(status.nodes.map((n) => [n.node, n.leader]), [[next.node, true]]);
            // The next privileged review falls due 30 days after the first: the new leader makes it, once.
            moveClock(62);
            await within(15_000, 'the second review', async () => {
                const items = await reviews(next.url);
                return items.length === 2 && items.every((r) => r.state === 'in_progress');
            });
            await sleep(6_000);
            assert.equal((await reviews(next.url)).length, 2);
        });
    });
}
