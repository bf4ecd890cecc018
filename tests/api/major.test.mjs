// tests/api/major.test.mjs - regulatory reports (I5), major-incident mode (I6), confirmation
// (I7), post-incident reviews and actions (I8) and the incident KPIs (I9), with a moved clock:
// the report timers of an incident that becomes reportable later (level 3 -> 2 after 30 min)
// and start again when it rises to level 1 (where it also becomes major by itself); reminders in
// the outbox when a report or a 30-minute update falls overdue; submitted reports read-only;
// declaring major only by the emergency command; an unconfirmed resolution closed by itself
// after 2 h, which opens the review; actions with the duty rule, overdue by wake-up, and the
// review closing only when they are done; the KPI numbers, their CSV and CLI.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { backends, cliResult, fieldErrors, startServer } from './harness.mjs';

const MIN = 60;
const HOUR = 3600;

for (const backend of backends()) {
    describe(`major incidents [${backend}]`, () => {
        let srv;
        let clockFile;
        let offset = 0;
        const api = (...a) => srv.api(...a);
        const tok = (u) => srv.tokens[u];
        const moveClock = (seconds) => {
            offset += seconds;
            fs.writeFileSync(clockFile, String(offset));
        };
        const minutesBetween = (a, b) => (Date.parse(b) - Date.parse(a)) / 60e3;

        before(async () => {
            clockFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ol-clock-')), 'offset');
            fs.writeFileSync(clockFile, '0');
            srv = await startServer({
                backend,
                users: [
                    { name: 'desk', roles: ['service_desk'] },
                    { name: 'eng', roles: ['ops_engineer'] },
                    { name: 'eng2', roles: ['ops_engineer'] },
                    { name: 'cmd', roles: ['emergency_command'] },
                    { name: 'handler', roles: ['emergency_handling'] },
                    { name: 'mgr', roles: ['ops_manager'] },
                    { name: 'user1', roles: [] },
                ],
                // One rise after 30 min (3 -> 2) and one after 20 h (2 -> 1).
                env: { OPSLEDGER_TEST_CLOCK: clockFile, OPSLEDGER_INCIDENT_LEVEL_RISE_MINUTES: '30,1200' },
            });
        });
        after(async () => {
            await srv?.stop();
        });

        async function incident(fields) {
            const res = await api('POST', '/api/v1/incidents', { body: { reporter: 'user1', ...fields }, token: tok('desk') });
            assert.equal(res.status, 201, res.text);
            return res.json;
        }
        async function get(pathName, number) {
            const res = await api('GET', `/api/v1/${pathName}/${number}`);
            assert.equal(res.status, 200, res.text);
            return res.json;
        }
        async function patch(pathName, number, body, who) {
            const cur = await get(pathName, number);
            return api('PATCH', `/api/v1/${pathName}/${number}`, { body, headers: { 'If-Match': `"${cur.version}"` }, token: tok(who) });
        }
        const move = (pathName, number, name, who, body = {}) =>
            api('POST', `/api/v1/${pathName}/${number}/transitions/${name}`, { body, token: tok(who) });
        async function create(pathName, body, who) {
            const res = await api('POST', `/api/v1/${pathName}`, { body, token: tok(who) });
            assert.equal(res.status, 201, res.text);
            return res.json;
        }
        async function until(pathName, number, ok, what) {
            let seen = await get(pathName, number);
            for (let k = 0; k < 40 && !ok(seen); k++) {
                await new Promise((r) => setTimeout(r, 500));
                seen = await get(pathName, number);
            }
            assert.ok(ok(seen), `${what}: ${JSON.stringify(seen)}`);
            return seen;
        }
        async function outbox(event, record) {
            const res = await api('GET', '/api/v1/outbox?channel=emergency-command&limit=200');
            assert.equal(res.status, 200, res.text);
            return res.json.items.filter((n) => n.event === event && (!record || n.record === record));
        }
        async function report(number, kind, who = 'cmd') {
            const r = await create('incident-reports', { incident: number, kind, recipient: 'PBOC branch', text: `${kind} report of ${number}` }, who);
            assert.equal(r.number.slice(0, 4), 'IRP-');
            assert.equal(r.state, 'draft');
            const s = await move('incident-reports', r.number, 'submit', who);
            assert.equal(s.status, 200, s.text);
            return s.json;
        }

        test('major-1 report timers start when the level rises; reminders; raised again restarts (I5, I6)', async () => {
            const inc = await incident({ title: 'Core payments down', importance: 'core', impact: 'high', urgency: 'high' });
            assert.equal(inc.level, 3);
            assert.equal(inc.report_from, null);
            assert.equal(inc.major, false);

            // 31 minutes later the sweep raises it to level 2: reportable from then on.
            moveClock(31 * MIN);
            let seen = await until('incidents', inc.number, (r) => r.level === 2 && r.report_from, 'level 2');
            assert.equal(seen.report_level, 2);
            assert.ok(minutesBetween(inc.detected_at, seen.report_from) >= 31, 'timers start at the rise, not at detection');
            assert.equal(minutesBetween(seen.report_from, seen.initial_report_due), 60);
            assert.equal(minutesBetween(seen.report_from, seen.written_report_due), 720);
            assert.equal(seen.initial_report_overdue, false);
            assert.equal((await outbox('incident.report_due', inc.number)).length, 1);

            // The initial report in time; then an edit of the submitted report is refused.
            const r1 = await report(inc.number, 'initial');
            assert.equal(r1.submitted_by, 'cmd');
            assert.equal(r1.level, 2);
            const edit = await patch('incident-reports', r1.number, { text: 'changed' }, 'cmd');
            assert.equal(edit.status, 422, edit.text);
            seen = await get('incidents', inc.number);
            assert.ok(seen.initial_report_at);
            assert.equal(seen.initial_report_overdue, false);
            const badRef = await api('POST', '/api/v1/incident-reports', { body: { incident: 'INC-999999', kind: 'initial', recipient: 'x', text: 'y' }, token: tok('cmd') });
            assert.equal(badRef.status, 400);
            assert.deepEqual(fieldErrors(badRef), ['incident:incident_unknown']);
            const desk = await api('POST', '/api/v1/incident-reports', { body: { incident: inc.number, kind: 'initial', recipient: 'x', text: 'y' }, token: tok('desk') });
            assert.equal(desk.status, 403);

            // The written report is missed: at 12 h the sweep marks it overdue and reminds once.
            moveClock(721 * MIN);
            seen = await until('incidents', inc.number, (r) => r.written_report_overdue === true, 'written overdue');
            assert.equal(seen.report_overdue, true);
            assert.equal(seen.updated_by, 'system');
            const late = await outbox('incident.report_overdue', inc.number);
            assert.equal(late.length, 1);
            assert.match(late[0].subject, /written report/);
            const listed = await api('GET', '/api/v1/incidents?report_overdue=true');
            assert.ok(listed.json.items.some((i) => i.number === inc.number));

            // Submitted late: no longer pending, still marked late; a follow-up is due 4 h later.
            await report(inc.number, 'written');
            seen = await get('incidents', inc.number);
            assert.equal(seen.report_overdue, false);
            assert.equal(seen.written_report_overdue, true);
            assert.equal(minutesBetween(seen.written_report_at, seen.next_followup_due), 240);
            moveClock(241 * MIN);
            seen = await until('incidents', inc.number, (r) => r.followup_overdue === true, 'follow-up overdue');
            assert.equal((await outbox('incident.report_overdue', inc.number)).length, 2);
            await report(inc.number, 'follow_up');
            seen = await get('incidents', inc.number);
            assert.equal(seen.followup_overdue, false);
            assert.equal(seen.report_overdue, false);

            // At 20 h the level rises to 1: reported again at the new level, and major by itself.
            moveClock(5 * HOUR);
            seen = await until('incidents', inc.number, (r) => r.level === 1 && r.report_level === 1, 'level 1');
            assert.equal(seen.major, true);
            assert.ok(seen.major_declared_at);
            assert.equal(seen.initial_report_at, null, 'a new initial report for the new level');
            assert.equal(minutesBetween(seen.report_from, seen.initial_report_due), 60);
            assert.equal((await outbox('incident.report_due', inc.number)).length, 2);
            assert.equal((await outbox('incident.major', inc.number)).length, 1);
            // 30-minute progress updates while major and open.
            assert.equal(minutesBetween(seen.major_declared_at, seen.next_update_due), 30);
            const up = await create('timeline', { incident: inc.number, kind: 'update', text: '50% of traffic restored' }, 'handler');
            assert.equal(up.author, 'handler');
            seen = await get('incidents', inc.number);
            assert.ok(seen.last_update_at);
            assert.equal(minutesBetween(seen.last_update_at, seen.next_update_due), 30);
            moveClock(31 * MIN);
            seen = await until('incidents', inc.number, (r) => r.update_overdue === true, 'update overdue');
            const remind = await outbox('incident.update_overdue', inc.number);
            assert.equal(remind.length, 1);
            await create('timeline', { incident: inc.number, kind: 'update', text: 'all traffic on the standby site' }, 'cmd');
            assert.equal((await get('incidents', inc.number)).update_overdue, false);
            // Decisions, degradations and escalations go on the timeline; entries stay as written.
            await create('timeline', { incident: inc.number, kind: 'degradation', text: 'switch off statements to save the core' }, 'cmd');
            const esc = await create('timeline', { incident: inc.number, kind: 'escalation', text: 'vendor L3 engaged' }, 'cmd');
            assert.equal((await outbox('incident.escalation', inc.number)).length, 1);
            const change = await patch('timeline', esc.number, { text: 'rewritten' }, 'cmd');
            assert.ok([403, 422].includes(change.status), change.text);
            const badKind = await api('POST', '/api/v1/timeline', { body: { incident: inc.number, kind: 'gossip', text: 'x' }, token: tok('cmd') });
            assert.deepEqual(fieldErrors(badKind), ['kind:enum']);
            const tl = await api('GET', `/api/v1/timeline?incident=${inc.number}&limit=50`);
            assert.equal(tl.json.items.length, 4);
        });

        test('major-2 declaring major by hand: emergency command only; groups (I6)', async () => {
            const inc = await incident({ title: 'Mail slow', importance: 'general' });
            assert.equal(inc.level, 4);
            let res = await patch('incidents', inc.number, { major: true }, 'desk');
            assert.equal(res.status, 403, res.text);
            assert.deepEqual(fieldErrors(res), ['major:major_role']);
            res = await patch('incidents', inc.number, { major: true }, 'eng');
            assert.equal(res.status, 403, res.text);
            res = await patch('incidents', inc.number, { major: true, command_group: ['cmd', 'mgr'], handling_group: ['handler', 'eng'] }, 'cmd');
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.major, true);
            assert.deepEqual(res.json.command_group, ['cmd', 'mgr']);
            assert.equal(minutesBetween(res.json.major_declared_at, res.json.next_update_due), 30);
            assert.equal((await outbox('incident.major', inc.number)).length, 1);
            // The desk may still work on it without touching the flag.
            res = await patch('incidents', inc.number, { description: 'queue of 20k mails' }, 'desk');
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.major, true);
            res = await patch('incidents', inc.number, { major: false }, 'mgr');
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.next_update_due, null);
            assert.equal(res.json.major_declared_at, null);
        });

        test('major-3 unconfirmed resolution closes by itself; closure opens the review (I7, I8)', async () => {
            const inc = await incident({ title: 'VPN outage', impact: 'high', urgency: 'high' });
            assert.equal(inc.priority, 'high');
            assert.equal((await move('incidents', inc.number, 'assign', 'desk', { fields: { owner: 'eng', group: 'net' } })).status, 200);
            assert.equal((await move('incidents', inc.number, 'start', 'eng')).status, 200);
            moveClock(45 * MIN);
            const res = await move('incidents', inc.number, 'resolve', 'eng', { fields: { resolution: 'restarted the concentrator', root_cause: 'memory leak in firmware 7.1' } });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.recovery_minutes, 45);
            assert.equal(minutesBetween(res.json.resolved_at, res.json.confirm_due), 120);
            const low = await incident({ title: 'Printer jam', impact: 'low', urgency: 'low' });
            await move('incidents', low.number, 'assign', 'desk', { fields: { owner: 'eng' } });
            await move('incidents', low.number, 'start', 'eng');
            await move('incidents', low.number, 'resolve', 'eng', { fields: { resolution: 'cleared' } });

            moveClock(121 * MIN);
            const closed = await until('incidents', inc.number, (r) => r.state === 'closed', 'auto-closed');
            assert.equal(closed.updated_by, 'system');
            await until('incidents', low.number, (r) => r.state === 'closed', 'low auto-closed');
            const reviews = await api('GET', `/api/v1/reviews?source=${inc.number}`);
            assert.equal(reviews.json.items.length, 1);
            const pir = reviews.json.items[0];
            assert.equal(pir.number.slice(0, 4), 'PIR-');
            assert.equal(pir.state, 'open');
            assert.equal(pir.root_cause, 'memory leak in firmware 7.1');
            assert.equal(pir.final_level, closed.level);
            assert.equal(pir.owner, 'eng');
            assert.equal(minutesBetween(pir.opened_at, pir.due_at), 48 * 60);
            assert.equal((await outbox('review.opened', pir.number)).length, 1);
            assert.equal((await api('GET', `/api/v1/reviews?source=${low.number}`)).json.items.length, 0, 'low priority: no review');

            // Actions: owner, due date, source; done by the owner's side, verified by another.
            const due = new Date(Date.now() + offset * 1000 + 2 * HOUR * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
            const a1 = await create('actions', { title: 'Upgrade VPN firmware', source: pir.number, owner: 'eng', due_at: due }, 'mgr');
            const a2 = await create('actions', { title: 'Memory alarm on VPN', source: pir.number, owner: 'eng2', due_at: due }, 'eng');
            assert.equal(a1.number.slice(0, 4), 'ACT-');
            const badSrc = await api('POST', '/api/v1/actions', { body: { title: 'x y z', source: 'PIR-999999', owner: 'eng', due_at: due }, token: tok('mgr') });
            assert.deepEqual(fieldErrors(badSrc), ['source:record_unknown']);
            const contents = { business_impact: 'remote staff offline 45 min', responsible_party: 'network team', timeline_review: 'detected 5 min, fixed 45 min', lessons: 'monitor memory', final_level: 4 };
            const noKb = await patch('reviews', pir.number, { kb_article: 'KB-999999' }, 'mgr');
            assert.deepEqual(fieldErrors(noKb), ['kb_article:record_unknown']);
            assert.equal((await patch('reviews', pir.number, contents, 'mgr')).status, 200);
            let close = await move('reviews', pir.number, 'close', 'mgr');
            assert.equal(close.status, 422, close.text);
            assert.match(close.json.detail, /ACT-/);

            assert.equal((await move('actions', a1.number, 'done', 'eng', { fields: { outcome: 'firmware 7.3 installed' } })).status, 200);
            const self = await move('actions', a1.number, 'verify', 'eng');
            assert.equal(self.status, 403);
            const ok = await move('actions', a1.number, 'verify', 'mgr');
            assert.equal(ok.status, 200, ok.text);
            assert.equal(ok.json.verified_by, 'mgr');

            // a2 is left open: at its due time the sweep marks it overdue and reminds once.
            moveClock(2 * HOUR + MIN);
            await until('actions', a2.number, (r) => r.overdue === true, 'action overdue');
            assert.equal((await outbox('action.overdue', a2.number)).length, 1);
            assert.equal((await get('actions', a1.number)).overdue, false);
            assert.equal((await move('actions', a2.number, 'done', 'eng2', { fields: { outcome: 'alarm at 80%' } })).status, 200);
            close = await move('reviews', pir.number, 'close', 'mgr');
            assert.equal(close.status, 200, close.text);
            assert.ok(close.json.closed_at);
            const late = await api('POST', '/api/v1/actions', { body: { title: 'Too late', source: pir.number, owner: 'eng', due_at: due }, token: tok('mgr') });
            assert.equal(late.status, 422);
        });

        test('major-4 the incident KPIs, CSV and CLI (I9)', async () => {
            const from = new Date(Date.now() + offset * 1000 - 1000).toISOString();
            const art = await api('POST', '/api/v1/articles', { body: { title: 'Restart the mail relay', body: 'systemctl restart relay' } });
            assert.equal(art.status, 201, art.text);
            const kb = art.json;
            const mk = (title) => incident({ title, group: 'kpi-team', impact: 'low', urgency: 'low' });
            const a = await mk('KPI one');
            const b = await mk('KPI two');
            const c = await mk('KPI three');
            const d = await mk('KPI cancelled');
            for (const [inc, minutes] of [[a, 30], [b, 90]]) {
                await move('incidents', inc.number, 'assign', 'desk', { fields: { owner: 'eng' } });
                await move('incidents', inc.number, 'start', 'eng');
                moveClock(minutes * MIN);
                assert.equal((await move('incidents', inc.number, 'resolve', 'eng', { fields: { resolution: 'done' } })).status, 200);
            }
            assert.equal((await move('incidents', d.number, 'cancel', 'desk', { reason: 'duplicate' })).status, 200);
            {
                const l = await api('POST', `/api/v1/incidents/${a.number}/links`, { body: { type: 'relates_to', target: kb.number }, token: tok('eng') });
                assert.ok([200, 201].includes(l.status), l.text);
            }
            await create('timeline', { incident: c.number, kind: 'escalation', text: 'to second line' }, 'eng');
            const to = new Date(Date.now() + offset * 1000 + 1000).toISOString();
            const q = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&group=kpi-team`;
            const res = await api('GET', `/api/v1/reports/incidents?${q}`, { token: tok('mgr') });
            assert.equal(res.status, 200, res.text);
            const rep = res.json;
            assert.equal(rep.total, 3);
            assert.equal(rep.resolved, 2);
            const k = Object.fromEntries(rep.kpis.map((x) => [x.kpi, x]));
            assert.equal(k.resolution_rate.value, 66.7);
            assert.equal(k.resolution_rate.target, 95);
            assert.equal(k.resolution_rate.met, false);
            assert.equal(k.escalation_rate.value, 33.3);
            assert.equal(k.escalation_rate.met, false);
            // a: 30 min, b: 30 + 90 min (both detected at once).
            assert.ok(Math.abs(k.mttr_minutes.value - 75) <= 1, JSON.stringify(k.mttr_minutes));
            assert.equal(k.mttr_minutes.met, true);
            assert.equal(k.knowledge_reuse.value, 50);
            assert.equal(k.knowledge_reuse.met, false);
            assert.ok('sla_attainment' in k);
            assert.equal(rep.items.length, 3);
            const csv = await api('GET', `/api/v1/reports/incidents?${q}&format=csv`, { token: tok('mgr') });
            assert.equal(csv.status, 200);
            assert.match(csv.text, /kpi,resolution_rate,66.7,95,>=,false/);
            assert.equal(csv.text.split('\r\n').filter((l) => l.startsWith('incident,')).length, 3);
            const denied = await api('GET', `/api/v1/reports/incidents?${q}`, { token: tok('desk') });
            assert.equal(denied.status, 403);
            const bad = await api('GET', '/api/v1/reports/incidents?from=yesterday', { token: tok('mgr') });
            assert.equal(bad.status, 400);
            assert.deepEqual(fieldErrors(bad), ['from:report_time']);
            const out = cliResult(['report', 'incidents', ...srv.dbArgs, '--from', from, '--to', to, '--group', 'kpi-team']);
            assert.equal(out.status, 0, out.stderr);
            assert.equal(JSON.parse(out.stdout).total, 3);
        });
    });
}
