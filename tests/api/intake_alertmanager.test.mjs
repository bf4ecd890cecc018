// tests/api/intake_alertmanager.test.mjs - I1 end to end with the real Prometheus Alertmanager
// (Debian's prometheus-alertmanager, installed by scripts/install-deps.sh): Alertmanager runs on
// 127.0.0.1 with a webhook receiver pointing at the test server (bearer: an integration's
// token), alerts are posted to its /api/v2/alerts, and the incident must appear, stay one
// incident while Alertmanager repeats the notification, and be annotated when the alert is
// posted again with endsAt in the past (resolved). Skipped, saying why, when the binary is absent.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { backends, request, startServer } from './harness.mjs';

const AM_BIN = ['/usr/bin/prometheus-alertmanager', '/usr/bin/alertmanager'].find((p) => fs.existsSync(p));
const WAIT_MS = 30_000;

function freePort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls fn (async, returning a value or undefined) every 250 ms until it gives a value. */
async function until(what, fn, ms = WAIT_MS) {
    const end = Date.now() + ms;
    let last;
    while (Date.now() < end) {
        last = await fn();
        if (last !== undefined && last !== null && last !== false) return last;
        await sleep(250);
    }
    throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

for (const backend of backends()) {
    describe(`Alertmanager end to end [${backend}]`, { skip: AM_BIN ? false : 'prometheus-alertmanager is not installed (scripts/install-deps.sh installs it)' }, () => {
        let srv;
        let am;
        let amUrl;
        let amLog = '';
        let tmp;

        before(async () => {
            srv = await startServer({ backend });
            const res = await srv.api('POST', '/api/v1/integrations', { body: { name: 'prom', kind: 'alertmanager' } });
            assert.equal(res.status, 201, res.text);
            tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ol-am-'));
            const port = await freePort();
            amUrl = `http://127.0.0.1:${port}`;
            fs.writeFileSync(path.join(tmp, 'token'), res.json.token);
            fs.writeFileSync(path.join(tmp, 'am.yml'), [
                'route:',
                '  receiver: opsledger',
                "  group_by: ['alertname', 'instance']",
                '  group_wait: 1s',
                '  group_interval: 1s',
                '  repeat_interval: 2s',
                'receivers:',
                '- name: opsledger',
                '  webhook_configs:',
                `  - url: ${srv.url}/api/v1/integrations/alertmanager`,
                '    send_resolved: true',
                '    http_config:',
                '      authorization:',
                '        type: Bearer',
                `        credentials_file: ${path.join(tmp, 'token')}`,
                '',
            ].join('\n'));
            am = spawn(AM_BIN, [`--config.file=${path.join(tmp, 'am.yml')}`, `--storage.path=${path.join(tmp, 'data')}`,
                `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=info'], { stdio: ['ignore', 'pipe', 'pipe'] });
            am.stderr.setEncoding('utf8');
            am.stderr.on('data', (d) => { amLog += d; });
            am.stdout.resume();
            await until('Alertmanager to be ready', async () => {
                try {
                    return (await request(amUrl, 'GET', '/-/ready', { timeoutMs: 1000 })).status === 200;
                } catch {
                    return false;
                }
            });
        });
        after(async () => {
            if (am && am.exitCode === null) {
                am.kill('SIGTERM');
                await Promise.race([new Promise((r) => am.once('exit', r)), sleep(5000)]);
                if (am.exitCode === null && am.signalCode === null) am.kill('SIGKILL');
            }
            await srv?.stop();
            if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
        });

        const alert = (endsAt) => [{
            labels: { alertname: 'E2EDiskFull', instance: 'db9:9100', service: 'ledger', severity: 'critical' },
            annotations: { summary: 'Disk almost full on db9', description: 'Posted by the end-to-end test' },
            generatorURL: 'http://prometheus.test/graph',
            startsAt: new Date(Date.now() - 60_000).toISOString(),
            ...(endsAt ? { endsAt } : {}),
        }];

        async function incidents() {
            const res = await srv.api('GET', '/api/v1/incidents?service=ledger');
            assert.equal(res.status, 200, res.text);
            return res.json.items;
        }

        test('e2e-1 a firing alert opens one incident; repeats are deduplicated; resolve annotates', async () => {
            const posted = await request(amUrl, 'POST', '/api/v2/alerts', { body: alert() });
            assert.equal(posted.status, 200, posted.text);
            const inc = await until('the incident from Alertmanager', async () => (await incidents())[0]);
            assert.equal(inc.title, 'E2EDiskFull: Disk almost full on db9');
            assert.equal(inc.ci, 'db9:9100');
            assert.equal(inc.priority, 'high');
            assert.equal(inc.reporter, 'integration.prom');

            // Alertmanager repeats the notification (repeat_interval 2s): still one incident.
            const al = await until('a repeated notification', async () => {
                const r = await srv.api('GET', `/api/v1/incidents/${inc.number}/alerts`);
                return r.json.items[0]?.count >= 2 ? r.json : undefined;
            });
            assert.equal(al.total, 1);
            assert.equal(al.items[0].status, 'firing');
            assert.equal(al.items[0].integration, 'prom');
            assert.match(al.items[0].key, /^[0-9a-f]{16}$/); // Alertmanager's fingerprint
            assert.equal((await incidents()).length, 1);

            // Resolved: the same alert with endsAt in the past.
            const resolved = await request(amUrl, 'POST', '/api/v2/alerts', { body: alert(new Date(Date.now() - 1000).toISOString()) });
            assert.equal(resolved.status, 200, resolved.text);
            await until('the resolved notification', async () => {
                const r = await srv.api('GET', `/api/v1/incidents/${inc.number}/alerts`);
                return r.json.items[0].status === 'resolved' ? true : undefined;
            });
            const notes = await srv.api('GET', `/api/v1/incidents/${inc.number}/comments`);
            const items = notes.json.items || notes.json;
            assert.ok(items.some((n) => n.kind === 'work_note' && /Alert resolved \(prom\): E2EDiskFull/.test(n.body)), notes.text);
            assert.equal((await srv.api('GET', `/api/v1/incidents/${inc.number}`)).json.state, 'new');
            assert.equal((await incidents()).length, 1);
            assert.doesNotMatch(amLog, /level=error.*opsledger/i, amLog.slice(-2000));
        });
    });
}
