// tests/api/service_request.test.mjs - the service catalog, requests, satisfaction and complaints
// (REQUIREMENTS V1-V3): requests only from active, requestable services (the field named when
// refused), the approval duty rule, fulfilment with reassignment reasons, confirmation with a
// rating (a closure survey), spawned records, periodic surveys, complaint escalation level by
// level with a moved clock until the complainant accepts, and the numbers of both reports
// (JSON, CSV, CLI).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { backends, cli, cliResult, fieldErrors, sleep, startServer } from './harness.mjs';

for (const backend of backends()) {
    describe(`service catalog and requests [${backend}]`, () => {
        let srv;
        let clockFile;
        const api = (...a) => srv.api(...a);
        const tok = (u) => srv.tokens[u];
        const svc = {};

        before(async () => {
            clockFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ol-clock-')), 'offset');
            fs.writeFileSync(clockFile, '0');
            srv = await startServer({
                backend,
                users: [
                    { name: 'desk', roles: ['service_desk'] },
                    { name: 'eng', roles: ['ops_engineer'] },
                    { name: 'eng2', roles: ['ops_engineer'] },
                    { name: 'mgr', roles: ['ops_manager'] },
                    { name: 'mgr2', roles: ['ops_manager'] },
                    { name: 'user1', roles: [] },
                    { name: 'user2', roles: [] },
                ],
                env: { OPSLEDGER_TEST_CLOCK: clockFile },
                args: ['--complaint_notify_channel', 'complaints-desk'],
            });
            const make = async (key, body, publish = true) => {
                const res = await api('POST', '/api/v1/services', { body: { owner: 'mgr', group: 'desktop', ...body }, token: tok('eng') });
                assert.equal(res.status, 201, res.text);
                if (publish) {
                    const p = await api('POST', `/api/v1/services/${res.json.number}/transitions/publish`, { token: tok('mgr') });
                    assert.equal(p.status, 200, p.text);
                }
                svc[key] = res.json.number;
            };
            await make('laptop', { title: 'Laptop provisioning', kind: 'technical', service_level: 'Respond in 30 min, deliver in 3 days', response_minutes: 30, fulfilment_hours: 72 });
            await make('account', { title: 'Mail account', approval_required: false, group: 'accounts' });
            await make('draft', { title: 'New BI dashboard' }, false);
            await make('internal', { title: 'Rack power audit', requestable: false });
        });
        after(async () => {
            await srv?.stop();
        });

        async function raise(body, who = 'user1') {
            const res = await api('POST', '/api/v1/requests', { body, token: tok(who) });
            assert.equal(res.status, 201, res.text);
            return res.json;
        }
        const move = (number, name, who, body = {}) =>
            api('POST', `/api/v1/requests/${number}/transitions/${name}`, { body, token: tok(who) });

        test('catalog-1 services: versions, publish and retire by the manager only', async () => {
            const s = await api('GET', `/api/v1/services/${svc.laptop}`);
            assert.equal(s.json.state, 'active');
            assert.equal(s.json.service_version, '1.0');
            assert.equal(s.json.owner, 'mgr');
            const refused = await api('POST', `/api/v1/services/${svc.draft}/transitions/publish`, { token: tok('eng') });
            assert.equal(refused.status, 403, refused.text);
            const list = await api('GET', '/api/v1/services?state=active&requestable=true', { token: tok('user1') });
            assert.equal(list.status, 200, list.text);
            const names = list.json.items.map((i) => i.number).sort();
            assert.deepEqual(names, [svc.laptop, svc.account].sort());
            const noCreate = await api('POST', '/api/v1/services', { body: { title: 'Mine', owner: 'user1' }, token: tok('user1') });
            assert.equal(noCreate.status, 403);
        });

        test('request-1 raised from an active service; refused for draft, retired, unrequestable and unknown ones with the field named', async () => {
            const r = await raise({ title: 'A laptop for the new analyst', service: svc.laptop, justification: 'New hire on Monday' });
            assert.match(r.number, /^REQ-\d{6}$/);
            assert.equal(r.state, 'submitted');
            assert.equal(r.requester, 'user1');
            assert.equal(r.service_title, 'Laptop provisioning');
            assert.equal(r.approval_required, true);
            assert.equal(r.group, 'desktop');

            const retire = await api('POST', '/api/v1/services', { body: { title: 'Fax line', owner: 'mgr' }, token: tok('eng') });
            await api('POST', `/api/v1/services/${retire.json.number}/transitions/publish`, { token: tok('mgr') });
            const noReason = await api('POST', `/api/v1/services/${retire.json.number}/transitions/retire`, { token: tok('mgr') });
            assert.equal(noReason.status, 400);
            assert.deepEqual(fieldErrors(noReason), ['reason:reason_required']);
            const ret = await api('POST', `/api/v1/services/${retire.json.number}/transitions/retire`, { body: { reason: 'No fax any more' }, token: tok('mgr') });
            assert.equal(ret.status, 200, ret.text);

            const before = (await api('GET', '/api/v1/requests?limit=200')).json.items.length;
            for (const [service, code] of [[retire.json.number, 'service_inactive'], [svc.draft, 'service_inactive'],
                [svc.internal, 'service_not_requestable'], ['SVC-999999', 'service_unknown']]) {
                const res = await api('POST', '/api/v1/requests', { body: { title: 'Should not exist', service }, token: tok('user1') });
                assert.equal(res.status, 400, res.text);
                assert.deepEqual(fieldErrors(res), [`service:${code}`]);
                assert.match(res.json.errors[0].message, new RegExp(service));
            }
            const zh = await api('POST', '/api/v1/requests', { body: { title: 'Should not exist', service: retire.json.number }, headers: { 'Accept-Language': 'zh-CN' }, token: tok('user1') });
            assert.match(zh.json.errors[0].message, /未生效/);
            const missing = await api('POST', '/api/v1/requests', { body: { title: 'No service' }, token: tok('user1') });
            assert.deepEqual(fieldErrors(missing), ['service:required']);
            assert.equal((await api('GET', '/api/v1/requests?limit=200')).json.items.length, before, 'nothing half-written');
        });

        test('request-2 a requester raises only for themselves and touches only their own requests', async () => {
            const other = await api('POST', '/api/v1/requests', { body: { title: 'For my colleague', service: svc.account, requester: 'user2' }, token: tok('user1') });
            assert.equal(other.status, 400, other.text);
            assert.deepEqual(fieldErrors(other), ['requester:party_self']);
            const forUser = await raise({ title: 'Desk raises for user2', service: svc.account, requester: 'user2' }, 'desk');
            assert.equal(forUser.requester, 'user2');
            const mine = await raise({ title: 'Mailbox for me', service: svc.account });
            const patch = await api('PATCH', `/api/v1/requests/${mine.number}`, { body: { description: 'hijack' }, headers: { 'If-Match': `"${mine.version}"` }, token: tok('user2') });
            assert.equal(patch.status, 403, patch.text);
            const cancel = await move(mine.number, 'cancel', 'user2', { reason: 'not mine' });
            assert.equal(cancel.status, 403, cancel.text);
        });

        test('request-3 approval: needed by the service, never by the requester (duty rule)', async () => {
            const own = await raise({ title: 'Laptop for the manager', service: svc.laptop }, 'mgr');
            const self = await move(own.number, 'approve', 'mgr');
            assert.equal(self.status, 403, self.text);
            assert.match(self.json.detail, /approver/);
            const early = await move(own.number, 'start', 'eng', { fields: { owner: 'eng' } });
            assert.equal(early.status, 422, early.text);
            assert.match(early.json.detail, /approval/);
            const ok = await move(own.number, 'approve', 'mgr2', { fields: { approval_comment: 'Budget available' } });
            assert.equal(ok.status, 200, ok.text);
            assert.equal(ok.json.state, 'approved');
            const desk = await move((await raise({ title: 'Another laptop', service: svc.laptop })).number, 'approve', 'desk');
            assert.equal(desk.status, 403);
            // A service without approval goes straight to fulfilment.
            const acc = await raise({ title: 'Mail account for a contractor', service: svc.account });
            assert.equal(acc.approval_required, false);
            const start = await move(acc.number, 'start', 'eng', { fields: { owner: 'eng' } });
            assert.equal(start.status, 200, start.text);
            assert.equal(start.json.state, 'in_fulfilment');
        });

        test('request-4 fulfilment: reassignments keep reasons; the requester confirms and rates; closure survey', async () => {
            const r = await raise({ title: 'Laptop with two screens', service: svc.laptop });
            assert.equal((await move(r.number, 'approve', 'mgr')).status, 200);
            assert.equal((await move(r.number, 'start', 'desk', { fields: { owner: 'eng' } })).status, 200);
            const noReason = await move(r.number, 'reassign', 'eng', { fields: { owner: 'eng2' } });
            assert.deepEqual(fieldErrors(noReason), ['reason:reason_required']);
            const re = await move(r.number, 'reassign', 'eng', { fields: { owner: 'eng2' }, reason: 'Tried the spare pool: none left; eng2 handles purchases' });
            assert.equal(re.status, 200, re.text);
            assert.equal(re.json.owner, 'eng2');
            const h = await api('GET', `/api/v1/requests/${r.number}/history`);
            assert.ok(h.json.items.some((e) => e.reason === 'Tried the spare pool: none left; eng2 handles purchases'), h.text);
            const noRes = await move(r.number, 'fulfil', 'eng2');
            assert.deepEqual(fieldErrors(noRes), ['resolution:required']);
            const done = await move(r.number, 'fulfil', 'eng2', { fields: { resolution: 'Ordered, imaged and delivered to desk 4F-12' } });
            assert.equal(done.status, 200, done.text);
            assert.ok(done.json.fulfilled_at);
            // The rating belongs to the confirmation, by the requester only.
            const sneak = await api('PATCH', `/api/v1/requests/${r.number}`, { body: { rating: 5 }, headers: { 'If-Match': `"${done.json.version}"` }, token: tok('desk') });
            assert.deepEqual(fieldErrors(sneak), ['rating:rating_on_confirm']);
            assert.equal((await move(r.number, 'confirm', 'desk', { fields: { rating: 5 } })).status, 403);
            assert.deepEqual(fieldErrors(await move(r.number, 'confirm', 'user1')), ['rating:required']);
            assert.deepEqual(fieldErrors(await move(r.number, 'confirm', 'user1', { fields: { rating: 6 } })), ['rating:too_large']);
            // Sent back once, then confirmed.
            const back = await move(r.number, 'rework', 'user1', { reason: 'Only one screen arrived' });
            assert.equal(back.status, 200, back.text);
            assert.equal(back.json.fulfilled_at, null);
            await move(r.number, 'fulfil', 'eng2', { fields: { resolution: 'Second screen delivered' } });
            const conf = await move(r.number, 'confirm', 'user1', { fields: { rating: 4, feedback: 'Good, a bit slow' } });
            assert.equal(conf.status, 200, conf.text);
            assert.equal(conf.json.state, 'confirmed');
            assert.equal(conf.json.rating, 4);
            const locked = await api('PATCH', `/api/v1/requests/${r.number}`, { body: { rating: 1 }, headers: { 'If-Match': `"${conf.json.version}"` }, token: tok('user1') });
            assert.deepEqual(fieldErrors(locked), ['rating:rating_on_confirm']);
            const surveys = await api('GET', `/api/v1/surveys?subject=${r.number}`);
            assert.equal(surveys.json.items.length, 1, surveys.text);
            const s = surveys.json.items[0];
            assert.deepEqual([s.kind, s.state, s.rating, s.comment, s.respondent, s.service], ['closure', 'answered', 4, 'Good, a bit slow', 'user1', svc.laptop]);
            const closed = await move(r.number, 'close', 'desk');
            assert.equal(closed.status, 200, closed.text);
            assert.equal(closed.json.state, 'closed');
        });

        test('request-5 a child request or a change is spawned and linked', async () => {
            const parent = await raise({ title: 'Onboard a team of three', service: svc.account });
            const child = await raise({ title: 'Mailbox for the team lead', service: svc.account, parent: parent.number }, 'desk');
            assert.equal(child.parent, parent.number);
            const link = await api('POST', `/api/v1/requests/${parent.number}/links`, { body: { type: 'spawned', target: child.number }, token: tok('eng') });
            assert.equal(link.status, 201, link.text);
            const inc = await api('POST', '/api/v1/incidents', { body: { title: 'Stand-in for a change', reporter: 'user1' }, token: tok('desk') });
            assert.equal(inc.status, 201, inc.text);
            const l2 = await api('POST', `/api/v1/requests/${parent.number}/links`, { body: { type: 'spawned', target: inc.json.number }, token: tok('eng') });
            assert.equal(l2.status, 201, l2.text);
            const back = await api('GET', `/api/v1/requests/${child.number}/links`);
            assert.ok(back.json.items.some((l) => l.label === 'spawned_by' && l.record.number === parent.number), back.text);
            const bad = await api('POST', '/api/v1/requests', { body: { title: 'Orphan', service: svc.account, parent: 'REQ-999999' }, token: tok('desk') });
            assert.deepEqual(fieldErrors(bad), ['parent:request_unknown']);
        });

        test('survey-1 a periodic survey reaches the requesters of the period and is answered by them', async () => {
            let mine = [];
            for (let k = 0; k < 40 && mine.length === 0; k++) {
                await sleep(250);
                mine = (await api('GET', '/api/v1/surveys?kind=periodic&respondent=user1', { token: tok('user1') })).json.items;
            }
            assert.equal(mine.length, 1, 'serve sends the periodic survey within a few seconds');
            const s = mine[0];
            assert.equal(s.state, 'sent');
            assert.ok(s.period_from && s.period_to);
            const other = await api('POST', `/api/v1/surveys/${s.number}/transitions/answer`, { body: { fields: { rating: 1 } }, token: tok('user2') });
            assert.equal(other.status, 403, other.text);
            const ans = await api('POST', `/api/v1/surveys/${s.number}/transitions/answer`, { body: { fields: { rating: 2, comment: 'Answers take too long' } }, token: tok('user1') });
            assert.equal(ans.status, 200, ans.text);
            assert.ok(ans.json.answered_at);
        });

        test('complaint-1 escalates level by level while unaccepted (moved clock) until the complainant accepts', async () => {
            const c = await api('POST', '/api/v1/complaints', { body: { title: 'My request waited a week', description: 'Nobody called back', expected_outcome: 'An apology and a date', service: svc.laptop }, token: tok('user1') });
            assert.equal(c.status, 201, c.text);
            const n = c.json.number;
            assert.match(n, /^CMP-\d{6}$/);
            assert.deepEqual([c.json.level, c.json.level_name, c.json.complainant, c.json.escalations], [1, 'team_lead', 'user1', 0]);
            assert.ok(c.json.next_escalation_at);
            const badSvc = await api('POST', '/api/v1/complaints', { body: { title: 'Bad', description: 'x', service: 'SVC-999999' }, token: tok('user1') });
            assert.deepEqual(fieldErrors(badSvc), ['service:service_unknown']);
            const get = async () => (await api('GET', `/api/v1/complaints/${n}`)).json;
            const waitLevel = async (level) => {
                let seen = await get();
                for (let k = 0; k < 40 && seen.level !== level; k++) {
                    await sleep(250);
                    seen = await get();
                }
                return seen;
            };
            // 24 h at level 1 (the default policy): serve's sweep raises it to level 2.
            fs.writeFileSync(clockFile, String(25 * 3600));
            let seen = await waitLevel(2);
            assert.deepEqual([seen.level, seen.level_name, seen.escalations], [2, 'manager', 1]);
            assert.equal(seen.state, 'open');
            const take = await api('POST', `/api/v1/complaints/${n}/transitions/take`, { body: { fields: { owner: 'mgr' } }, token: tok('mgr') });
            assert.equal(take.status, 200, take.text);
            const ans = await api('POST', `/api/v1/complaints/${n}/transitions/answer`, { body: { fields: { findings: 'The request sat unassigned over a holiday' } }, token: tok('mgr') });
            assert.equal(ans.status, 200, ans.text);
            const hist1 = await api('GET', `/api/v1/complaints/${n}/history`);
            assert.ok(hist1.json.items.some((e) => e.field === 'level'), hist1.text);
            // The complainant does not accept: the next level takes it over at once.
            const noReason = await api('POST', `/api/v1/complaints/${n}/transitions/escalate`, { token: tok('user1') });
            assert.deepEqual(fieldErrors(noReason), ['reason:reason_required']);
            const esc = await api('POST', `/api/v1/complaints/${n}/transitions/escalate`, { body: { reason: 'No date was given' }, token: tok('user1') });
            assert.equal(esc.status, 200, esc.text);
            assert.deepEqual([esc.json.level, esc.json.level_name, esc.json.state, esc.json.escalations], [3, 'head', 'investigating', 2]);
            assert.equal(esc.json.next_escalation_at, null, 'the last level does not rise');
            // Each rise, automatic or not, was told to complaint_notify_channel in its transaction.
            const notices = (await api('GET', '/api/v1/outbox?channel=complaints-desk')).json.items;
            assert.deepEqual(notices.map((x) => [x.event, x.record]).sort(), [['complaint.escalated', n], ['complaint.escalated', n]]);
            assert.ok(notices.some((x) => /level 3 \(head\)/.test(x.subject)), JSON.stringify(notices));
            fs.writeFileSync(clockFile, String(200 * 3600));
            await sleep(1500);
            assert.equal((await get()).level, 3);
            const ans2 = await api('POST', `/api/v1/complaints/${n}/transitions/answer`, { body: { fields: { findings: 'Apology; delivery on Friday; holiday cover added' } }, token: tok('mgr') });
            assert.equal(ans2.status, 200, ans2.text);
            assert.equal((await api('POST', `/api/v1/complaints/${n}/transitions/accept`, { token: tok('user2') })).status, 403);
            const acc = await api('POST', `/api/v1/complaints/${n}/transitions/accept`, { token: tok('user1') });
            assert.equal(acc.status, 200, acc.text);
            assert.ok(acc.json.accepted_at);
            assert.equal(acc.json.next_escalation_at, null);
            const noReport = await api('POST', `/api/v1/complaints/${n}/transitions/close`, { token: tok('mgr') });
            assert.deepEqual(fieldErrors(noReport), ['report:required']);
            const close = await api('POST', `/api/v1/complaints/${n}/transitions/close`, { body: { fields: { report: 'Cause: no holiday cover. Improvement: rota.', improvement_plan: 'Holiday rota for the desk' } }, token: tok('mgr') });
            assert.equal(close.status, 200, close.text);
            // A second complaint, still open, for the report.
            const c2 = await api('POST', '/api/v1/complaints', { body: { title: 'Rude answer', description: 'On the phone' }, token: tok('user2') });
            assert.equal(c2.status, 201, c2.text);
            fs.writeFileSync(clockFile, '0');
        });

        test('report-1 complaint report: counts, by level, time to acceptance, list; CSV and CLI', async () => {
            const res = await api('GET', '/api/v1/reports/complaints?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z', { token: tok('mgr') });
            assert.equal(res.status, 200, res.text);
            const r = res.json;
            assert.equal(r.total, 2);
            assert.deepEqual(r.by_level.map((l) => [l.level, l.name, l.count]), [[1, 'team_lead', 1], [2, 'manager', 0], [3, 'head', 1]]);
            assert.deepEqual(r.by_state, { closed: 1, open: 1 });
            assert.equal(r.accepted, 1);
            assert.equal(r.escalations, 2);
            // Accepted at a clock moved by 200 h: about 200 hours after it was made.
            assert.ok(r.hours_to_acceptance.average >= 199.9 && r.hours_to_acceptance.average <= 200.2, res.text);
            assert.equal(r.items.length, 2);
            const empty = await api('GET', '/api/v1/reports/complaints?from=2100-01-01T00:00:00Z', { token: tok('mgr') });
            assert.equal(empty.json.total, 0);
            const csv = await api('GET', '/api/v1/reports/complaints?format=csv', { token: tok('mgr') });
            assert.equal(csv.status, 200);
            assert.match(csv.headers.get('content-type'), /text\/csv/);
            const lines = csv.text.replace(/^\uFEFF/, '').trim().split('\r\n');
            assert.equal(lines.length, 3);
            assert.match(lines[0], /^number,title,complainant/);
            const bad = await api('GET', '/api/v1/reports/complaints?from=yesterday&to=2000-01-01T00:00:00Z&x=1', { token: tok('mgr') });
            assert.equal(bad.status, 400);
            assert.deepEqual(fieldErrors(bad).sort(), ['from:report_time', 'x:unknown']);
            const range = await api('GET', '/api/v1/reports/complaints?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z', { token: tok('mgr') });
            assert.deepEqual(fieldErrors(range), ['to:report_range']);
            assert.equal((await api('GET', '/api/v1/reports/complaints', { token: tok('user1') })).status, 403);
            assert.equal((await api('POST', '/api/v1/reports/complaints', { body: {}, token: tok('mgr') })).status, 405);
            const out = JSON.parse(cli(['report', 'complaints', ...srv.dbArgs]));
            assert.equal(out.total, 2);
            assert.equal(out.accepted, 1);
            const usage = cliResult(['report', 'nothing', ...srv.dbArgs]);
            assert.equal(usage.status, 2);
        });

        test('report-2 satisfaction report: average, distribution, by service and kind; CSV and CLI', async () => {
            // One more rated request on another service: ratings 4 (laptop, closure), 5 (account,
            // closure) and 2 (periodic, no service).
            const r = await raise({ title: 'Shared mailbox', service: svc.account });
            await move(r.number, 'start', 'eng', { fields: { owner: 'eng' } });
            await move(r.number, 'fulfil', 'eng', { fields: { resolution: 'Created' } });
            assert.equal((await move(r.number, 'confirm', 'user1', { fields: { rating: 5 } })).status, 200);
            const res = await api('GET', '/api/v1/reports/satisfaction', { token: tok('desk') });
            assert.equal(res.status, 200, res.text);
            const s = res.json;
            assert.equal(s.responses, 3);
            assert.equal(s.average, 3.67);
            assert.deepEqual(s.distribution, { 1: 0, 2: 1, 3: 0, 4: 1, 5: 1 });
            assert.deepEqual([s.by_kind.closure.responses, s.by_kind.closure.average, s.by_kind.periodic.average], [2, 4.5, 2]);
            const by = Object.fromEntries(s.by_service.map((x) => [x.service ?? '-', [x.responses, x.average]]));
            assert.deepEqual(by, { [svc.laptop]: [1, 4], [svc.account]: [1, 5], '-': [1, 2] });
            const csv = await api('GET', '/api/v1/reports/satisfaction?format=csv', { token: tok('desk') });
            const lines = csv.text.replace(/^\uFEFF/, '').trim().split('\r\n');
            assert.equal(lines[0], 'service,responses,average,1,2,3,4,5');
            assert.equal(lines.at(-1), '(all),3,3.67,0,1,0,1,1');
            const future = await api('GET', '/api/v1/reports/satisfaction?from=2100-01-01T00:00:00Z', { token: tok('desk') });
            assert.deepEqual([future.json.responses, future.json.average], [0, null]);
            assert.equal((await api('GET', '/api/v1/reports/satisfaction', { token: tok('user1') })).status, 403);
            const out = cli(['report', 'satisfaction', '--format', 'csv', ...srv.dbArgs]);
            assert.match(out, /\(all\),3,3\.67/);
        });
    });
}
