// tests/api/sla.test.mjs - the SLA engine (REQUIREMENTS I4) on incidents, with a moved clock:
// timers start with the record and carry the I4 targets; the warning at 80 % escalates to the
// second line (work note, notice, audit) and the breach is recorded (report, notice, audit) by
// serve's sweep without anyone touching the record; time awaiting the user does not count;
// priority changes adjust the target; 5x8 targets skip the 2026 National Day holiday; a timer
// due while the server is down fires after a restart; the due list, the monthly report (JSON,
// CSV, CLI) and who may read them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { backends, cliResult, fieldErrors, sleep, startServer } from './harness.mjs';

const MIN = 60;

for (const backend of backends()) {
    describe(`sla [${backend}]`, () => {
        let srv;
        let clockFile;
        let offset = 0;
        const api = (...a) => srv.api(...a);
        const tok = (u) => srv.tokens[u];
        /** Moves the server's clock forward by seconds (never back: timers stay consistent). */
        const advance = (seconds) => {
            offset += seconds;
            fs.writeFileSync(clockFile, String(offset));
        };
        /** Sets the server's clock to an absolute time (for calendar dates). */
        const setNow = (iso) => {
            offset = Math.round((Date.parse(iso) - Date.now()) / 1000);
            fs.writeFileSync(clockFile, String(offset));
        };

        before(async () => {
            clockFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ol-clock-')), 'offset');
            fs.writeFileSync(clockFile, '0');
            srv = await startServer({
                backend,
                users: [
                    { name: 'desk', roles: ['service_desk'] },
                    { name: 'eng', roles: ['ops_engineer'] },
                    { name: 'mgr', roles: ['ops_manager'] },
                    { name: 'user1', roles: [] },
                ],
                env: { OPSLEDGER_TEST_CLOCK: clockFile },
            });
        });
        after(async () => {
            await srv?.stop();
        });

        async function create(fields) {
            const res = await api('POST', '/api/v1/incidents', { body: { reporter: 'user1', ...fields }, token: tok('desk') });
            assert.equal(res.status, 201, res.text);
            return res.json;
        }
        async function sla(number, who) {
            const res = await api('GET', `/api/v1/incidents/${number}/sla`, who ? { token: tok(who) } : {});
            assert.equal(res.status, 200, res.text);
            const by = {};
            for (const t of res.json.timers) by[t.kind] = t;
            return by;
        }
        async function move(number, name, who, body = {}) {
            const res = await api('POST', `/api/v1/incidents/${number}/transitions/${name}`, { body, token: tok(who) });
            assert.equal(res.status, 200, res.text);
            return res.json;
        }
        /** Waits (bounded) until pred(await get()) holds; returns the last value. */
        async function until(get, pred, what) {
            let v;
            for (let k = 0; k < 40; k++) {
                v = await get();
                if (pred(v)) return v;
                await sleep(250);
            }
            assert.fail(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
        }

        test('sla-1 timers start with the incident and carry the I4 targets', async () => {
            const r = await create({ title: 'Payment gateway down', category: 'outage', impact: 'high', urgency: 'high' });
            const t = await sla(r.number);
            assert.equal(t.response.target_minutes, 10);
            assert.equal(t.resolution.target_minutes, 120);
            assert.equal(t.response.calendar, '7x24');
            assert.equal(t.response.status, 'running');
            assert.equal(Date.parse(t.response.deadline) - Date.parse(t.response.started_at), 10 * MIN * 1000);
            assert.ok(t.response.remaining_minutes >= 9 && t.response.remaining_minutes <= 10, JSON.stringify(t.response));
            assert.equal(t.response.breached, false);
            const perf = await create({ title: 'Slow search', category: 'performance', impact: 'low', urgency: 'low' });
            const p = await sla(perf.number);
            assert.equal(p.response.target_minutes, 240);
            assert.equal(p.resolution.target_minutes, 24 * 60);
            assert.equal(p.resolution.calendar, '5x8');
            const sec = await create({ title: 'Ransomware', category: 'security', impact: 'high', urgency: 'high' });
            assert.equal((await sla(sec.number)).resolution.target_minutes, 60);
            const req = await create({ title: 'A request', category: 'request' });
            assert.deepEqual((await sla(req.number)), {}, 'no policy: no timers');
            // The due list finds it by deadline.
            const due = await api('GET', '/api/v1/sla/due?within=15m', { token: tok('desk') });
            assert.equal(due.status, 200, due.text);
            const mine = due.json.items.filter((i) => i.number === r.number);
            assert.equal(mine.length, 1);
            assert.equal(mine[0].kind, 'response');
            assert.equal(mine[0].type, 'incidents');
            const sorted = due.json.items.map((i) => Date.parse(i.deadline));
            assert.deepEqual(sorted, [...sorted].sort((a, b) => a - b));
            const bad = await api('GET', '/api/v1/sla/due?within=soon');
            assert.equal(bad.status, 400);
            assert.deepEqual(fieldErrors(bad), ['within:bad_filter']);
        });

        test('sla-2 at 80 % the incident is escalated; at the target the breach is recorded', async () => {
            const r = await create({ title: 'Core switch down', category: 'outage', impact: 'high', urgency: 'high' });
            advance(8 * MIN + 5); // 80 % of the 10-minute response target
            const t = await until(() => sla(r.number), (x) => x.response.escalated, 'the warning');
            assert.ok(t.response.warned_at);
            assert.equal(t.response.breached, false);
            assert.equal(t.resolution.escalated, false, 'the resolution target is not near yet');
            const notes = await api('GET', `/api/v1/incidents/${r.number}/comments`);
            const note = notes.json.items.find((c) => c.kind === 'work_note' && c.author === 'system');
            assert.ok(note, notes.text);
            assert.match(note.body, /second line/);
            assert.match(note.body, /二线/);
            const outbox = await api('GET', '/api/v1/outbox?channel=second-line&limit=200');
            assert.equal(outbox.status, 200, outbox.text);
            assert.ok(outbox.json.items.some((n) => n.event === 'sla.warning' && n.record === r.number), outbox.text);
            const audit = await api('GET', `/api/v1/audit?action=sla.warning&target=${r.number}`);
            assert.equal(audit.json.items.length, 1, audit.text);

            advance(2 * MIN);
            const b = await until(() => sla(r.number), (x) => x.response.breached, 'the breach');
            assert.equal(b.response.breached_at, b.response.deadline);
            assert.ok(b.response.remaining_minutes <= 0);
            const audit2 = await api('GET', `/api/v1/audit?action=sla.breach&target=${r.number}`);
            assert.equal(audit2.json.items.length, 1, audit2.text);
            const outbox2 = await api('GET', '/api/v1/outbox?channel=second-line&limit=200');
            assert.ok(outbox2.json.items.some((n) => n.event === 'sla.breach' && n.record === r.number));
            // Responding late meets the timer; the breach stays on record.
            await move(r.number, 'assign', 'desk', { fields: { owner: 'eng', group: 'network' } });
            await move(r.number, 'start', 'eng');
            const m = await sla(r.number);
            assert.equal(m.response.status, 'met');
            assert.equal(m.response.breached, true);
            assert.equal(m.resolution.status, 'running');
        });

        test('sla-3 time awaiting the user does not count', async () => {
            const r = await create({ title: 'Phishing mail', category: 'security', impact: 'high', urgency: 'high' });
            await move(r.number, 'assign', 'desk', { fields: { owner: 'eng' } });
            await move(r.number, 'start', 'eng');
            advance(20 * MIN);
            await move(r.number, 'await_user', 'eng', { reason: 'Need the mail headers' });
            let t = await sla(r.number);
            assert.equal(t.response.status, 'met');
            assert.equal(t.resolution.status, 'paused');
            assert.equal(t.resolution.paused, true);
            assert.equal(t.resolution.deadline, null);
            const remaining = t.resolution.remaining_minutes;
            assert.ok(remaining >= 39 && remaining <= 40, JSON.stringify(t.resolution));
            advance(3 * 60 * MIN); // three hours waiting: far past the 1-hour target
            await sleep(1500); // a sweep or two run meanwhile
            t = await sla(r.number);
            assert.equal(t.resolution.breached, false, 'paused time does not breach');
            assert.equal(t.resolution.remaining_minutes, remaining);
            assert.ok(t.resolution.paused_minutes >= 180);
            await move(r.number, 'resume', 'eng');
            t = await sla(r.number);
            assert.equal(t.resolution.status, 'running');
            assert.equal(t.resolution.paused_minutes >= 180, true);
            assert.ok(t.resolution.remaining_minutes >= remaining - 1 && t.resolution.remaining_minutes <= remaining, JSON.stringify(t.resolution));
            await move(r.number, 'resolve', 'eng', { fields: { resolution: 'Mail blocked' } });
            t = await sla(r.number);
            assert.equal(t.resolution.status, 'met');
            assert.equal(t.resolution.breached, false);
            assert.ok(t.resolution.met_at);
        });

        test('sla-4 a priority change adjusts the targets; cancelling stops the timers', async () => {
            const r = await create({ title: 'Intranet down', category: 'outage', impact: 'medium', urgency: 'medium' });
            let t = await sla(r.number);
            assert.equal(t.response.target_minutes, 30);
            const res = await api('PATCH', `/api/v1/incidents/${r.number}`, {
                body: { impact: 'high', urgency: 'high' },
                headers: { 'If-Match': `"${r.version}"` },
                token: tok('eng'),
            });
            assert.equal(res.status, 200, res.text);
            t = await sla(r.number);
            assert.equal(t.response.target_minutes, 10);
            assert.equal(t.response.priority, 'high');
            assert.equal(Date.parse(t.response.deadline) - Date.parse(t.response.started_at), 10 * MIN * 1000);
            await move(r.number, 'cancel', 'desk', { reason: 'Duplicate' });
            t = await sla(r.number);
            assert.equal(t.response.status, 'cancelled');
            assert.equal(t.resolution.deadline, null);
        });

        test('sla-5 5x8 targets skip the National Day holiday (Asia/Shanghai)', async () => {
            // Evening of Wednesday Sep 30 (19:00 in Shanghai): outside working hours, so the
            // targets count from the next working day's start, Thursday Oct 8 after 国庆 Oct 1-7.
            setNow('2026-09-30T11:00:00Z');
            const r = await create({ title: 'Printer queue stuck', category: 'outage', impact: 'low', urgency: 'low' });
            const t = await sla(r.number);
            assert.equal(t.response.calendar, '5x8');
            assert.equal(t.response.deadline, '2026-10-08T03:00:00Z'); // 2 h: Oct 8 09:00-11:00
            assert.equal(t.resolution.deadline, '2026-10-08T09:00:00Z'); // 8 h: Oct 8 09:00-17:00
            const due = await api('GET', '/api/v1/sla/due?within=1d');
            assert.ok(!due.json.items.some((i) => i.number === r.number), 'a week of holiday away');
            setNow('2026-10-10T00:00:00Z'); // Saturday Oct 10 08:00: a worked Saturday (调休)
            const r2 = await create({ title: 'Scanner offline', category: 'outage', impact: 'low', urgency: 'low' });
            assert.equal((await sla(r2.number)).response.deadline, '2026-10-10T03:00:00Z');
        });

        test('sla-6 a timer due while the server is down fires after the restart', async () => {
            setNow(new Date(Date.now() + 2 * 86400 * 1000).toISOString());
            const r = await create({ title: 'Database down', category: 'outage', impact: 'high', urgency: 'high' });
            await srv.kill9();
            advance(11 * MIN);
            await srv.restart();
            const t = await until(() => sla(r.number), (x) => x.response.breached, 'the breach after the restart');
            assert.equal(t.response.escalated, true, 'the warning fired too');
            const audit = await api('GET', `/api/v1/audit?action=sla.breach&target=${r.number}`);
            assert.equal(audit.json.items.length, 1, 'fired once');
        });

        test('sla-7 the monthly SLA report: attainment by priority, breaches, CSV and CLI', async () => {
            const month = new Date(Date.now() + offset * 1000 + 8 * 3600 * 1000).toISOString().slice(0, 7);
            const res = await api('GET', `/api/v1/reports/sla?type=incidents`, { token: tok('mgr') });
            assert.equal(res.status, 200, res.text);
            const rep = res.json;
            assert.ok(rep.total.breached >= 1, res.text);
            assert.ok(rep.breaches.some((b) => b.kind === 'response' && b.priority === 'high'), res.text);
            const high = rep.by_priority.find((x) => x.kind === 'response' && x.priority === 'high');
            assert.ok(high && high.breached >= 1, res.text);
            assert.equal(high.total, high.met + high.breached);
            assert.equal(high.attainment_percent, Math.floor((high.met * 1000) / high.total) / 10);
            const byMonth = await api('GET', `/api/v1/reports/sla?month=${month}`, { token: tok('mgr') });
            assert.equal(byMonth.status, 200, byMonth.text);
            assert.deepEqual(byMonth.json.total, rep.total);
            const csv = await api('GET', `/api/v1/reports/sla?month=${month}&format=csv`, { token: tok('mgr') });
            assert.equal(csv.status, 200, csv.text);
            assert.match(csv.headers.get('content-type'), /text\/csv/);
            assert.match(csv.text, /section,type,kind,priority,total,met,breached,attainment_percent/);
            assert.match(csv.text, /\r\nbreach,incidents,response,high,/);
            const audited = await api('GET', '/api/v1/audit?action=sla.report&actor=mgr');
            assert.ok(audited.json.items.length >= 3, audited.text);
            const other = await api('GET', `/api/v1/reports/sla?month=${month}&group=nobody`, { token: tok('mgr') });
            assert.equal(other.json.total.total, 0, 'the group filter');
            assert.equal(other.json.group, 'nobody');
            const none = await api('GET', '/api/v1/reports/sla?month=2020-01', { token: tok('mgr') });
            assert.equal(none.json.total.total, 0);
            assert.equal(none.json.total.attainment_percent, null);
            const bad = await api('GET', '/api/v1/reports/sla?month=2026-13&format=xml', { token: tok('mgr') });
            assert.equal(bad.status, 400);
            assert.deepEqual(fieldErrors(bad).sort(), ['format:enum', 'month:bad_filter']);
            const range = await api('GET', '/api/v1/reports/sla?from=2026-12-01', { token: tok('mgr') });
            assert.deepEqual(fieldErrors(range), ['to:required']);
            const out = cliResult(['sla', 'report', '--month', month, '--format', 'csv', ...srv.dbArgs], { env: { OPSLEDGER_TEST_CLOCK: clockFile } });
            assert.equal(out.status, 0, out.stderr);
            assert.match(out.stdout, /breach,incidents,response,high,/);
            const json = cliResult(['sla', 'report', '--month', month, ...srv.dbArgs]);
            assert.equal(json.status, 0, json.stderr);
            assert.deepEqual(JSON.parse(json.stdout).total, rep.total);
            const badCli = cliResult(['sla', 'report', '--month', 'May', ...srv.dbArgs]);
            assert.notEqual(badCli.status, 0);
            assert.match(badCli.stderr, /month/);
        });

        test('sla-8 who may read timers, the due list and the report', async () => {
            const r = await create({ title: 'Scoped', category: 'outage' });
            assert.equal((await api('GET', `/api/v1/incidents/${r.number}/sla`, { token: tok('user1') })).status, 403);
            assert.equal((await api('GET', '/api/v1/sla/due', { token: tok('user1') })).status, 403);
            assert.equal((await api('GET', '/api/v1/reports/sla', { token: tok('desk') })).status, 403);
            assert.equal((await api('GET', '/api/v1/reports/sla', { token: tok('mgr') })).status, 200);
            assert.equal((await api('GET', '/api/v1/incidents/INC-999999/sla')).status, 404);
            assert.equal((await api('POST', '/api/v1/sla/due', { body: {} })).status, 405);
            const doc = (await api('GET', '/api/v1/openapi.json')).json;
            for (const p of ['/api/v1/incidents/{number}/sla', '/api/v1/sla/due', '/api/v1/reports/sla'])
                assert.ok(doc.paths[p]?.get, `${p} in the OpenAPI document`);
            assert.ok(!doc.paths['/api/v1/articles/{number}/sla'], 'no SLA route for a type without targets');
        });
    });
}
