// tests/api/calendar.test.mjs - releases and the operations calendar (REQUIREMENTS R1-R3, P5):
// the release workflow with its assessment and the release manager's duty rule, gray stages
// with gates (watch time on a moved clock), the circuit breaker that rolls a release back on a
// failing reading, review and DR due dates flagged overdue by the sweep; ops events; the merged
// calendar, its conflict query; iCalendar feeds parsed by a real parser (Debian's
// python3-icalendar), line folding and escaping, and token revocation.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { backends, cli, cliResult, fieldErrors, request, sleep, startServer } from './harness.mjs';

const has = (res, field) => fieldErrors(res).some((e) => e.startsWith(`${field}:`));
const PY = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Parses iCalendar text with the icalendar package; returns its events as plain JSON. */
function parseIcal(text) {
    const script = `
import json, sys
from icalendar import Calendar
cal = Calendar.from_ical(sys.stdin.buffer.read())
out = {"name": str(cal.get("X-WR-CALNAME")), "version": str(cal.get("VERSION")), "events": []}
for ev in cal.walk("VEVENT"):
    out["events"].append({
        "uid": str(ev.get("UID")),
        "summary": str(ev.get("SUMMARY")),
        "description": str(ev.get("DESCRIPTION")) if ev.get("DESCRIPTION") else None,
        "start": ev.decoded("DTSTART").isoformat(),
        "end": ev.decoded("DTEND").isoformat(),
        "stamp": ev.decoded("DTSTAMP").isoformat(),
        "status": str(ev.get("STATUS")),
        "categories": ev.get("CATEGORIES").to_ical().decode(),
    })
print(json.dumps(out))
`;
    return JSON.parse(execFileSync(PY, ['-c', script], { input: text, timeout: 30_000 }).toString());
}

for (const backend of backends()) {
    describe(`releases and the operations calendar [${backend}]`, () => {
        let srv;
        let clockFile;
        const api = (...a) => srv.api(...a);
        const tok = (u) => srv.tokens[u];
        const move = (number, name, who, body = {}) =>
            api('POST', `/api/v1/releases/${number}/transitions/${name}`, { body, token: tok(who) });
        const reading = (number, metrics, who = 'eng', source) =>
            api('POST', `/api/v1/releases/${number}/gate_readings`, { body: { metrics, ...(source ? { source } : {}) }, token: tok(who) });
        const clk = () => ({ env: { OPSLEDGER_TEST_CLOCK: clockFile } });
        const shift = (seconds) => fs.writeFileSync(clockFile, String(Number(fs.readFileSync(clockFile, 'utf8')) + seconds));

        before(async () => {
            clockFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ol-clock-')), 'offset');
            fs.writeFileSync(clockFile, '0');
            srv = await startServer({
                backend,
                users: [
                    { name: 'dev', roles: ['developer'] },
                    { name: 'ca', roles: ['change_assessor'] },
                    { name: 'rm', roles: ['release_manager'] },
                    { name: 'eng', roles: ['ops_engineer'] },
                    { name: 'mgr', roles: ['ops_manager'] },
                    { name: 'viewer', roles: [] },
                ],
                env: { OPSLEDGER_TEST_CLOCK: clockFile },
            });
        });
        after(async () => {
            await srv?.stop();
        });

        async function release(fields = {}, who = 'dev') {
            const res = await api('POST', '/api/v1/releases', {
                body: {
                    title: 'Payments 2.4', release_version: '2.4.0', runbook: 'deploy.sh', backout_plan: 'redeploy 2.3.9',
                    planned_start: '2026-12-20T18:00:00Z', planned_end: '2026-12-20T20:00:00Z', cis: ['db-01'], ...fields,
                },
                token: tok(who),
            });
            assert.equal(res.status, 201, res.text);
            return res.json;
        }
        async function approved(fields) {
            const r = await release(fields);
            assert.equal((await move(r.number, 'submit', 'dev')).status, 200);
            const a = await move(r.number, 'assess', 'ca', { fields: { completeness_ok: true, dependencies_deployed: true, time_ok: true, risk: 'low', assessment: 'ok' } });
            assert.equal(a.status, 200, a.text);
            assert.equal((await move(r.number, 'approve', 'rm')).status, 200);
            return r;
        }

        test('release-1 R1: REL numbers, policy defaults for stages and gates, requester, bad plans', async () => {
            const r = await release();
            assert.match(r.number, /^REL-\d{6}$/);
            assert.equal(r.state, 'draft');
            assert.equal(r.stages, '10%/30m,100%');
            assert.equal(r.gates, 'error_rate<=1,latency_ms<=500');
            assert.equal(r.requester, 'dev');
            assert.equal(r.schema_change, false);
            let bad = await api('POST', '/api/v1/releases', { body: { title: 'Bad', release_version: '1', stages: '50%,20%' }, token: tok('dev') });
            assert.equal(bad.status, 400);
            assert.ok(has(bad, 'stages'));
            bad = await api('POST', '/api/v1/releases', { body: { title: 'Bad', release_version: '1', stages: '10%' }, token: tok('dev') });
            assert.ok(has(bad, 'stages'), 'the last stage is 100%');
            bad = await api('POST', '/api/v1/releases', { body: { title: 'Bad', release_version: '1', gates: 'error_rate=1' }, token: tok('dev') });
            assert.ok(has(bad, 'gates'));
            bad = await api('POST', '/api/v1/releases', {
                body: { title: 'Bad', release_version: '1', planned_start: '2026-12-20T18:00:00Z', planned_end: '2026-12-20T17:00:00Z' }, token: tok('dev'),
            });
            assert.ok(has(bad, 'planned_end'));
            bad = await api('POST', '/api/v1/releases', { body: { title: 'No rights', release_version: '1' }, token: tok('viewer') });
            assert.equal(bad.status, 403);
            // submit needs the plan parts
            const bare = (await api('POST', '/api/v1/releases', { body: { title: 'Bare', release_version: '0.1' }, token: tok('dev') })).json;
            const s = await move(bare.number, 'submit', 'dev');
            assert.equal(s.status, 400);
            assert.ok(has(s, 'runbook') && has(s, 'planned_start'));
        });

        test('release-2 R2: assessment checks, and the approver is neither requester nor creator', async () => {
            const r = await release({}, 'rm');
            assert.equal((await move(r.number, 'submit', 'rm')).status, 200);
            let a = await move(r.number, 'assess', 'ca', { fields: { risk: 'high', assessment: 'deps missing', completeness_ok: true } });
            assert.equal(a.status, 422, 'dependency versions not confirmed');
            assert.match(a.json.detail, /dependencies_deployed/);
            a = await move(r.number, 'assess', 'ca', { fields: { completeness_ok: true, dependencies_deployed: true, time_ok: true, risk: 'medium', assessment: 'fine' } });
            assert.equal(a.status, 200, a.text);
            const own = await move(r.number, 'approve', 'rm');
            assert.equal(own.status, 403, 'rm raised it: someone else approves');
            assert.match(own.json.detail, /not the one who raised|not the requester/);
            assert.equal((await move(r.number, 'approve', 'eng')).status, 403, 'only release managers approve');
        });

        test('release-3 R2: gray stages - watch time, gates, advance, complete; R3 due dates', async () => {
            const r = await approved({ title: 'Stages', release_version: '3.0.0' });
            let s = await move(r.number, 'start', 'eng');
            assert.equal(s.status, 200, s.text);
            assert.equal(s.json.state, 'rolling_out');
            assert.equal(s.json.stage, 1);
            assert.equal(s.json.stage_percent, 10);
            assert.equal(s.json.gate_status, 'pending');
            assert.equal(Date.parse(s.json.observe_until) - Date.parse(s.json.stage_started_at), 30 * 60_000);
            // stages and gates are fixed now
            const fix = await api('PATCH', `/api/v1/releases/${r.number}`, { body: { gates: 'error_rate<=5' }, headers: { 'If-Match': String(s.json.version) }, token: tok('eng') });
            assert.equal(fix.status, 400);
            assert.ok(has(fix, 'gates'));
            // a good reading during the watch does not pass the gate yet
            let g = await reading(r.number, { error_rate: 0.2, latency_ms: 120 });
            assert.equal(g.status, 201, g.text);
            assert.equal(g.json.reading.passed, true);
            assert.equal(g.json.release.gate_status, 'pending');
            let adv = await move(r.number, 'advance', 'eng');
            assert.equal(adv.status, 422);
            assert.match(adv.json.detail, /has not passed its gates/);
            // a reading lacking a gate's metric is refused, nothing written
            const lack = await reading(r.number, { error_rate: 0.2 });
            assert.equal(lack.status, 400);
            assert.ok(has(lack, 'metrics.latency_ms'));
            const junk = await reading(r.number, { error_rate: 'low', latency_ms: 1 });
            assert.ok(has(junk, 'metrics.error_rate'));
            const src = await reading(r.number, { error_rate: 0, latency_ms: 1 }, 'eng', 'guess');
            assert.ok(has(src, 'source'));
            assert.equal((await reading(r.number, { error_rate: 0, latency_ms: 1 }, 'viewer')).status, 403);
            // after the 30-minute watch, monitoring posts a good reading: the gate passes
            shift(31 * 60);
            g = await reading(r.number, { error_rate: 0.5, latency_ms: 480, cpu: 40 }, 'eng', 'monitoring');
            assert.equal(g.status, 201, g.text);
            assert.equal(g.json.release.gate_status, 'passed');
            const early = await move(r.number, 'complete', 'eng');
            assert.equal(early.status, 422, 'stage 1 of 2 is not the last');
            adv = await move(r.number, 'advance', 'eng');
            assert.equal(adv.status, 200, adv.text);
            assert.equal(adv.json.stage, 2, 'the transition answers with the stage it widened to');
            let cur = (await api('GET', `/api/v1/releases/${r.number}`)).json;
            assert.equal(cur.stage, 2);
            assert.equal(cur.stage_percent, 100);
            assert.equal(cur.gate_status, 'pending');
            g = await reading(r.number, { error_rate: 0.1, latency_ms: 100 });
            assert.equal(g.json.release.gate_status, 'passed', 'the last stage has no watch time');
            assert.equal((await move(r.number, 'advance', 'eng')).status, 422, 'no stage 3');
            const done = await move(r.number, 'complete', 'eng');
            assert.equal(done.status, 200, done.text);
            cur = done.json;
            assert.equal(cur.state, 'released');
            const released = Date.parse(cur.released_at);
            assert.ok(Math.abs(Date.parse(cur.review_due) - released - 3 * 86400_000) < 1000, 'review within 3 days');
            assert.ok(Date.parse(cur.dr_due) > released, 'DR update within 1 working day');
            assert.ok(Date.parse(cur.dr_due) - released <= 4 * 86400_000 + 9 * 3600_000);
            assert.equal(cur.review_overdue, false);
            assert.equal(cur.dr_overdue, false);
            // the rollout: plan, gates and the log
            const ro = await api('GET', `/api/v1/releases/${r.number}/rollout`, { token: tok('viewer') });
            assert.equal(ro.status, 200, ro.text);
            assert.deepEqual(ro.json.stages.map((x) => [x.percent, x.observe_minutes, x.status]), [[10, 30, 'passed'], [100, 0, 'passed']]);
            assert.deepEqual(ro.json.gates.map((x) => `${x.metric}${x.op}${x.limit}`), ['error_rate<=1', 'latency_ms<=500']);
            assert.deepEqual(ro.json.events.map((e) => `${e.stage}:${e.event}`),
                ['1:start', '1:reading', '1:reading', '2:start', '2:reading', '2:complete']);
            assert.equal(ro.json.events[2].source, 'monitoring');
            assert.equal(ro.json.events[2].metrics.cpu, 40);
            // R3: four days on, nobody touched it: the sweep flags both overdue
            shift(5 * 86400);
            let flagged;
            for (let i = 0; i < 40 && !flagged?.review_overdue; i++) {
                await sleep(500);
                flagged = (await api('GET', `/api/v1/releases/${r.number}`)).json;
            }
            assert.equal(flagged.review_overdue, true);
            assert.equal(flagged.dr_overdue, true);
            const rev = await move(r.number, 'review', 'eng', { fields: { review_notes: 'went fine' } });
            assert.equal(rev.status, 200, rev.text);
            assert.equal(rev.json.review_overdue, true, 'a late review stays flagged');
        });

        test('release-4 R2: the circuit breaker halts and rolls back on a failing gate', async () => {
            const r = await approved({ title: 'Breaker', release_version: '4.0.0', stages: '5%/10m,50%/10m,100%', gates: 'error_rate<=1, success_rate>=99.5' });
            assert.equal((await reading(r.number, { error_rate: 0, success_rate: 100 })).status, 422, 'not rolling out yet');
            await move(r.number, 'start', 'eng');
            const g = await reading(r.number, { error_rate: 3.5, success_rate: 99.9 });
            assert.equal(g.status, 201, g.text);
            assert.equal(g.json.reading.passed, false);
            assert.deepEqual(g.json.reading.gates.map((x) => x.passed), [false, true]);
            assert.equal(g.json.release.state, 'rolled_back');
            assert.equal(g.json.release.gate_status, 'failed');
            const hist = (await api('GET', `/api/v1/releases/${r.number}/history`)).json;
            const items = hist.items || hist;
            const trip = items.find((h) => h.transition === 'trip' || h.action === 'trip' || (h.field === 'state' && h.new === 'rolled_back'));
            assert.ok(trip, JSON.stringify(items));
            assert.match(JSON.stringify(trip), /circuit breaker: stage 1 \(5%\) failed its gates: error_rate 3.5 > 1/);
            const ro = (await api('GET', `/api/v1/releases/${r.number}/rollout`)).json;
            assert.deepEqual(ro.events.map((e) => e.event), ['start', 'reading', 'rollback']);
            assert.equal(ro.stages[0].status, 'rolled_back');
            assert.equal((await reading(r.number, { error_rate: 0, success_rate: 100 })).status, 422);
            const audit = (await api('GET', `/api/v1/audit?action=release.gate_reading&limit=5`)).json;
            assert.ok(JSON.stringify(audit).includes(r.number));
            // re-planned, it goes through assessment again
            const again = await move(r.number, 'replan', 'dev', { reason: 'fix the error rate' });
            assert.equal(again.status, 200, again.text);
            assert.equal(again.json.state, 'draft');
            assert.equal(again.json.stage, null);
        });

        test('calendar-1 P5: ops events, the merged calendar, filters, conflicts', async () => {
            const ev = async (fields, who = 'mgr') => {
                const res = await api('POST', '/api/v1/ops_events', { body: fields, token: tok(who) });
                assert.equal(res.status, 201, res.text);
                return res.json;
            };
            const m = await ev({ title: 'DB patching', kind: 'maintenance', start: '2026-12-20T19:00:00Z', end: '2026-12-20T23:00:00Z', cis: ['db-01', 'db-02'] });
            const d = await ev({ title: 'DR drill', kind: 'drill', start: '2026-12-21T01:00:00Z', end: '2026-12-21T03:00:00Z', cis: ['dc-2'] });
            assert.match(m.number, /^OPS-\d{6}$/);
            let bad = await api('POST', '/api/v1/ops_events', { body: { title: 'Backwards', start: '2026-12-21T03:00:00Z', end: '2026-12-21T01:00:00Z' }, token: tok('mgr') });
            assert.equal(bad.status, 400);
            assert.ok(has(bad, 'end'));
            bad = await api('POST', '/api/v1/ops_events', { body: { title: 'Drill', kind: 'party', start: '2026-12-21T01:00:00Z', end: '2026-12-21T03:00:00Z' }, token: tok('mgr') });
            assert.ok(has(bad, 'kind'));
            assert.equal((await api('POST', '/api/v1/ops_events', { body: { title: 'x', start: '2026-12-21T01:00:00Z', end: '2026-12-21T03:00:00Z' }, token: tok('viewer') })).status, 403);

            const cal = await api('GET', '/api/v1/calendar?from=2026-12-20&to=2026-12-22', { token: tok('viewer') });
            assert.equal(cal.status, 200, cal.text);
            const numbers = cal.json.items.map((e) => e.number);
            assert.ok(numbers.includes(m.number) && numbers.includes(d.number));
            assert.ok(cal.json.items.some((e) => e.type === 'release'), 'releases are on the calendar');
            const starts = cal.json.items.map((e) => e.start);
            assert.deepEqual(starts, [...starts].sort(), 'soonest first');
            const drill = cal.json.items.find((e) => e.number === d.number);
            assert.equal(drill.kind, 'drill');
            assert.equal(drill.freeze, false);
            // outside the period, by type, by CI
            assert.equal((await api('GET', '/api/v1/calendar?from=2027-01-01&to=2027-01-31')).json.items.length, 0);
            const only = (await api('GET', '/api/v1/calendar?from=2026-12-20&to=2026-12-22&types=ops_events')).json.items;
            assert.ok(only.length >= 2 && only.every((e) => e.type === 'ops_event'));
            const byCi = (await api('GET', '/api/v1/calendar?from=2026-12-20&to=2026-12-22&ci=dc-2')).json.items;
            assert.deepEqual(byCi.map((e) => e.number), [d.number]);
            const month = await api('GET', '/api/v1/calendar?month=2026-12');
            assert.ok(month.json.items.length >= 2);
            // bad queries name the field
            bad = await api('GET', '/api/v1/calendar?from=2026-12-22&to=2026-12-20');
            assert.equal(bad.status, 400);
            bad = await api('GET', '/api/v1/calendar?from=2026-12-20&to=2026-12-22&types=parties');
            assert.equal(bad.status, 400);
            assert.ok(has(bad, 'types'));
            bad = await api('GET', '/api/v1/calendar?from=yesterday&to=2026-12-22');
            assert.ok(has(bad, 'from'));
            assert.equal((await api('POST', '/api/v1/calendar', { body: {} })).status, 405);

            // conflicts: the maintenance on db-01 overlaps the releases on db-01 (18:00-20:00)
            const c = await api('GET', '/api/v1/calendar/conflicts?from=2026-12-20&to=2026-12-22', { token: tok('viewer') });
            assert.equal(c.status, 200, c.text);
            const same = c.json.items.filter((x) => x.kind === 'same_ci');
            assert.ok(same.length >= 1, c.text);
            assert.ok(same.every((x) => x.ci === 'db-01'));
            assert.ok(same.some((x) => x.entries.some((e) => e.number === m.number) && x.entries.some((e) => e.type === 'release')));
            assert.ok(!c.json.items.some((x) => x.entries.some((e) => e.number === d.number)), 'the drill touches nothing else');
            // a cancelled event no longer conflicts
            const cancelled = await ev({ title: 'Cancelled work', start: '2026-12-21T01:30:00Z', end: '2026-12-21T02:00:00Z', cis: ['dc-2'] });
            let c2 = (await api('GET', '/api/v1/calendar/conflicts?from=2026-12-20&to=2026-12-22')).json;
            assert.ok(c2.items.some((x) => x.ci === 'dc-2'));
            await api('POST', `/api/v1/ops_events/${cancelled.number}/transitions/cancel`, { body: { reason: 'not needed' }, token: tok('mgr') });
            c2 = (await api('GET', '/api/v1/calendar/conflicts?from=2026-12-20&to=2026-12-22')).json;
            assert.ok(!c2.items.some((x) => x.ci === 'dc-2'));
            // freeze windows, when the change module's freeze type is registered
            const schema = (await api('GET', '/api/v1/schema')).json;
            if (JSON.stringify(schema).includes('"freezes"')) {
                const f = await api('POST', '/api/v1/freezes', { body: { title: 'Year-end freeze', start: '2026-12-20T00:00:00Z', end: '2026-12-21T00:00:00Z', reason: 'year end' } });
                if (f.status === 201) {
                    const c3 = (await api('GET', '/api/v1/calendar/conflicts?from=2026-12-20&to=2026-12-22')).json;
                    assert.ok(c3.items.some((x) => x.kind === 'in_freeze' && x.entries[0].number === m.number));
                }
            }
        });

        test('calendar-2 P5: iCalendar feeds parsed by a real client library; revocation', async () => {
            await api('POST', '/api/v1/ops_events', {
                body: {
                    title: '数据库主备切换演练, 第二阶段; 包含 "核心" 系统 \\ 以及非常长的标题用来测试折行处理是否正确地按照八位字节计数而不是字符计数',
                    kind: 'drill', start: '2026-12-23T02:00:00Z', end: '2026-12-23T04:30:00Z', cis: ['db-01'], description: 'line one\nline two, with; marks',
                },
                token: tok('mgr'),
            });
            const made = await api('POST', '/api/v1/calendar/feeds', { body: { name: 'My ops, calendar' }, token: tok('eng') });
            assert.equal(made.status, 201, made.text);
            assert.match(made.json.token, /^olcal_/);
            assert.equal(made.json.url, `/ical/${made.json.token}.ics`);
            const listed = await api('GET', '/api/v1/calendar/feeds', { token: tok('eng') });
            assert.equal(listed.status, 200);
            assert.equal(listed.json.items.length, 1);
            assert.ok(!JSON.stringify(listed.json).includes(made.json.token), 'the token is shown once');
            assert.equal((await api('GET', '/api/v1/calendar/feeds', { token: tok('dev') })).json.items.length, 0, 'feeds are per user');

            // An entry without a description once put uninitialised bytes (a bare LF among them)
            // into the feed; the assertion shows where, should it come back.
            const bareLf = (text) => text.replace(/\r\n/g, '\0\0').indexOf('\n');
            const feed = await request(srv.url, 'GET', made.json.url);
            assert.equal(feed.status, 200, feed.text);
            assert.match(feed.headers.get('content-type'), /^text\/calendar/);
            const raw = Buffer.from(feed.text, 'utf8');
            // RFC 5545: CRLF line ends, no line longer than 75 octets, folds start with a space
            const lines = feed.text.split('\r\n');
            assert.equal(lines.pop(), '');
            assert.ok(bareLf(feed.text) < 0, `only CRLF line ends: ${JSON.stringify(feed.text.slice(Math.max(0, bareLf(feed.text) - 120), bareLf(feed.text) + 40))}`);
            for (const l of lines) assert.ok(Buffer.byteLength(l, 'utf8') <= 75, `too long: ${l}`);
            assert.ok(lines.some((l) => l.startsWith(' ')), 'the long title is folded');
            assert.ok(raw.length > 0);
            const cal = parseIcal(feed.text);
            assert.equal(cal.version, '2.0');
            assert.equal(cal.name, 'My ops, calendar');
            const drill = cal.events.find((e) => e.summary.includes('数据库主备切换演练'));
            assert.ok(drill, JSON.stringify(cal.events.map((e) => e.summary)));
            assert.equal(drill.summary.split('] ')[1].split(' ').slice(1).join(' '),
                '数据库主备切换演练, 第二阶段; 包含 "核心" 系统 \\ 以及非常长的标题用来测试折行处理是否正确地按照八位字节计数而不是字符计数');
            assert.equal(drill.description, 'line one\nline two, with; marks');
            assert.equal(drill.start, '2026-12-23T02:00:00+00:00', 'UTC times');
            assert.equal(drill.end, '2026-12-23T04:30:00+00:00');
            assert.match(drill.uid, /^OPS-\d{6}@opsledger$/);
            assert.match(drill.stamp, /\+00:00$/);
            assert.equal(drill.status, 'CONFIRMED');
            assert.equal(drill.categories, 'drill');
            const uids = cal.events.map((e) => e.uid);
            assert.equal(new Set(uids).size, uids.length, 'one UID per entry');
            assert.ok(cal.events.some((e) => e.uid.startsWith('REL-')), 'releases are in the feed');

            // a team feed is for a team one belongs to; it shows that team's records only
            let bad = await api('POST', '/api/v1/calendar/feeds', { body: { team: 'dba' }, token: tok('eng') });
            assert.equal(bad.status, 400);
            assert.ok(has(bad, 'team'));
            bad = await api('POST', '/api/v1/calendar/feeds', { body: { name: 'x', colour: 'red' }, token: tok('eng') });
            assert.ok(has(bad, 'colour'));
            assert.equal((await api('POST', '/api/v1/groups', { body: { name: 'dba' } })).status, 201);
            assert.equal((await api('POST', '/api/v1/groups/dba/members', { body: { username: 'eng' } })).status < 300, true);
            await api('POST', '/api/v1/ops_events', { body: { title: 'DBA work', start: '2026-12-24T02:00:00Z', end: '2026-12-24T03:00:00Z', group: 'dba' }, token: tok('mgr') });
            const team = await api('POST', '/api/v1/calendar/feeds', { body: { name: 'DBA', team: 'dba' }, token: tok('eng') });
            assert.equal(team.status, 201, team.text);
            const tcal = parseIcal((await request(srv.url, 'GET', team.json.url)).text);
            assert.deepEqual(tcal.events.map((e) => e.summary.replace(/^\[\w+\] OPS-\d+ /, '')), ['DBA work']);

            // revoked: gone at once; others' feeds cannot be revoked; unknown tokens are 404
            assert.equal((await api('DELETE', `/api/v1/calendar/feeds/${made.json.id}`, { token: tok('dev') })).status, 404);
            const rv = await api('DELETE', `/api/v1/calendar/feeds/${made.json.id}`, { token: tok('eng') });
            assert.equal(rv.status, 204, rv.text);
            assert.equal((await request(srv.url, 'GET', made.json.url)).status, 404);
            assert.equal((await api('DELETE', `/api/v1/calendar/feeds/${made.json.id}`, { token: tok('eng') })).status, 404);
            assert.equal((await request(srv.url, 'GET', '/ical/olcal_nonsense.ics')).status, 404);
            assert.equal((await request(srv.url, 'POST', team.json.url, { body: {} })).status, 405);
            const after = (await api('GET', '/api/v1/calendar/feeds', { token: tok('eng') })).json.items;
            assert.equal(after.find((f) => f.id === made.json.id).revoked, true);
            assert.ok(after.find((f) => f.id === team.json.id).last_used_at);
            const audit = JSON.stringify((await api('GET', '/api/v1/audit?limit=50')).json);
            assert.ok(audit.includes('calendar.feed.create') && audit.includes('calendar.feed.revoke'));
        });

        test('calendar-3 CLI: calendar list, conflicts, ics; release rollout and a gate reading', async () => {
            const list = JSON.parse(cli(['calendar', 'list', '--from', '2026-12-20', '--to', '2026-12-22', '--types', 'ops_events', ...srv.dbArgs], clk()));
            assert.ok(list.items.length >= 2 && list.items.every((e) => e.type === 'ops_event'));
            const conflicts = JSON.parse(cli(['calendar', 'conflicts', '--month', '2026-12', ...srv.dbArgs], clk()));
            assert.ok(conflicts.items.some((x) => x.kind === 'same_ci'));
            const ics = parseIcal(cli(['calendar', 'ics', '--month', '2026-12', ...srv.dbArgs], clk()));
            assert.ok(ics.events.length >= 3);
            const r = await approved({ title: 'CLI release', release_version: '5.0.0', stages: '50%,100%' });
            await move(r.number, 'start', 'eng');
            const out = JSON.parse(cli(['release', 'reading', r.number, '--metric', 'error_rate=0.1', '--metric', 'latency_ms=20', '--source', 'monitoring', ...srv.dbArgs], clk()));
            assert.equal(out.reading.passed, true);
            assert.equal(out.release.gate_status, 'passed');
            const bad = cliResult(['release', 'reading', r.number, '--metric', 'error_rate=x', ...srv.dbArgs], clk());
            assert.notEqual(bad.status, 0);
            assert.match(bad.stderr, /latency_ms|error_rate/);
            const ro = JSON.parse(cli(['release', 'rollout', r.number, ...srv.dbArgs], clk()));
            assert.deepEqual(ro.events.map((e) => e.event), ['start', 'reading']);
            const feed = JSON.parse(cli(['calendar', 'feed', 'create', '--user', 'viewer', '--name', 'CLI feed', ...srv.dbArgs], clk()));
            assert.equal((await request(srv.url, 'GET', feed.url)).status, 200);
            cli(['calendar', 'feed', 'revoke', String(feed.id), '--user', 'viewer', ...srv.dbArgs], clk());
            assert.equal((await request(srv.url, 'GET', feed.url)).status, 404);
        });
    });
}
