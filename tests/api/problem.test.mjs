// tests/api/problem.test.mjs - problems and the known-error database (REQUIREMENTS Q1-Q4): PRB
// numbers, the deadline of each type and priority and "overdue" set by serve's sweep (moved
// clock), a problem opened automatically by the 3rd incident of one kind within the window and
// later ones linked to it, a major problem behind 3 high-priority incidents, known errors
// suggested for Chinese text and for an incident, and closure refused until the fix was verified
// (no recurrence for 48 h, baselines updated) and allowed afterwards.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { backends, cliResult, fieldErrors, startServer } from './harness.mjs';

const HOUR = 3600;

for (const backend of backends()) {
    describe(`problems [${backend}]`, () => {
        let srv;
        let clockFile;
        let offset = 0;
        const api = (...a) => srv.api(...a);
        const tok = (u) => srv.tokens[u];
        const moveClock = (seconds) => {
            offset += seconds;
            fs.writeFileSync(clockFile, String(offset));
        };

        before(async () => {
            clockFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ol-clock-')), 'offset');
            // The server's day starts on Monday 2026-12-07, 10:00 in Shanghai (02:00 UTC), so that
            // the working-day deadlines of Q2 fall on known days (no holiday that week).
            offset = Math.round((Date.parse('2026-12-07T02:00:00Z') - Date.now()) / 1000);
            fs.writeFileSync(clockFile, String(offset));
            srv = await startServer({
                backend,
                users: [
                    { name: 'desk', roles: ['service_desk'] },
                    { name: 'eng', roles: ['ops_engineer'] },
                    { name: 'pm', roles: ['problem_manager'] },
                    { name: 'dev', roles: ['developer'] },
                    { name: 'user1', roles: [] },
                ],
                env: { OPSLEDGER_TEST_CLOCK: clockFile, OPSLEDGER_PROBLEM_CHANNEL: 'problems' },
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
        async function problem(fields, who = 'eng') {
            const res = await api('POST', '/api/v1/problems', { body: fields, token: tok(who) });
            assert.equal(res.status, 201, res.text);
            return res.json;
        }
        async function get(number) {
            const res = await api('GET', `/api/v1/problems/${number}`);
            assert.equal(res.status, 200, res.text);
            return res.json;
        }
        async function ofKind(kind) {
            const res = await api('GET', `/api/v1/problems?kind=${encodeURIComponent(kind)}`);
            assert.equal(res.status, 200, res.text);
            return res.json.items;
        }
        async function linkedIncidents(number) {
            const res = await api('GET', `/api/v1/problems/${number}/links`);
            assert.equal(res.status, 200, res.text);
            return res.json.items.filter((l) => l.label === 'causes').map((l) => l.record.number).sort();
        }
        const move = (number, name, who, body = {}) =>
            api('POST', `/api/v1/problems/${number}/transitions/${name}`, { body, token: tok(who) });
        async function patch(number, body, who = 'eng') {
            const cur = await get(number);
            const res = await api('PATCH', `/api/v1/problems/${number}`, { body, headers: { 'If-Match': `"${cur.version}"` }, token: tok(who) });
            assert.equal(res.status, 200, res.text);
            return res.json;
        }
        async function outbox(event) {
            const res = await api('GET', '/api/v1/outbox?channel=problems&limit=200');
            assert.equal(res.status, 200, res.text);
            return res.json.items.filter((n) => n.event === event);
        }
        const hoursBetween = (a, b) => (Date.parse(b) - Date.parse(a)) / 3600e3;

        test('problem-1 PRB numbers, types and the deadline of each (Q2)', async () => {
            const a = await problem({ title: 'JVM heap leak in Tomcat', problem_type: 'known_error', priority: 'low' });
            assert.equal(a.number, 'PRB-000001');
            assert.equal(a.state, 'new');
            assert.equal(a.source, 'user_report');
            assert.equal(a.due_kind, 'plan');
            assert.equal(hoursBetween(a.opened_at, a.due_at), 72);
            assert.equal(a.overdue, false);
            const cases = [
                [{ problem_type: 'known_error', priority: 'high' }, 'fix', 24],
                [{ problem_type: 'known_error', priority: 'medium' }, 'plan', 72],
                // 5 and 2 working days of 9 business hours (09:00-18:00 Shanghai) from Monday
                // 10:00: next Monday 10:00 and Wednesday 10:00.
                [{ problem_type: 'potential', priority: 'medium' }, 'analysis', 168],
                [{ problem_type: 'potential', priority: 'high' }, 'response', 48],
                [{ problem_type: 'major', priority: 'low' }, 'close', 72],
            ];
            for (const [f, kind, hours] of cases) {
                const p = await problem({ title: `Deadline ${kind} ${f.priority}`, ...f }, 'dev');
                assert.equal(p.due_kind, kind, JSON.stringify(f));
                assert.equal(hoursBetween(p.opened_at, p.due_at), hours, JSON.stringify(f));
            }
            // Readonly fields are refused, like bad values, naming the field.
            const bad = await api('POST', '/api/v1/problems', { body: { title: 'Bad', problem_type: 'huge', overdue: true }, token: tok('eng') });
            assert.equal(bad.status, 400);
            assert.deepEqual(fieldErrors(bad).sort(), ['overdue:readonly', 'problem_type:enum']);
            const desk = await api('POST', '/api/v1/problems', { body: { title: 'Desk may not' }, token: tok('desk') });
            assert.equal(desk.status, 403);

            // The response to a high potential problem is due in 2 working days: assigned in time, it is
            // not overdue; left waiting, serve's sweep marks it overdue without a write by anyone.
            const fast = await problem({ title: 'Answered in time', problem_type: 'potential', priority: 'high' });
            const slow = await problem({ title: 'Left waiting', problem_type: 'potential', priority: 'high' });
            assert.equal((await move(fast.number, 'assign', 'pm', { fields: { owner: 'eng' } })).status, 200);
            moveClock(49 * HOUR);
            let seen = await get(slow.number);
            for (let k = 0; k < 30 && !seen.overdue; k++) {
                await new Promise((r) => setTimeout(r, 500));
                seen = await get(slow.number);
            }
            assert.equal(seen.overdue, true, 'the sweep marked the waiting problem overdue');
            assert.equal(seen.updated_by, 'system');
            assert.equal((await get(fast.number)).overdue, false);
            const overdue = await api('GET', '/api/v1/problems?overdue=true&limit=200');
            assert.ok(overdue.json.items.some((p) => p.number === slow.number));
            assert.ok(!overdue.json.items.some((p) => p.number === fast.number));
        });

        test('problem-2 the 3rd incident of one kind opens a problem; later ones join it (Q1)', async () => {
            const kind = 'ci:performance/db-orders-01';
            const i1 = await incident({ title: 'Orders DB slow', category: 'performance', ci: 'db-orders-01' });
            const i2 = await incident({ title: 'Orders DB slow again', category: 'performance', ci: 'db-orders-01' });
            await incident({ title: 'Other CI', category: 'performance', ci: 'db-billing-01' });
            await incident({ title: 'Other category', category: 'outage', ci: 'db-orders-01' });
            assert.deepEqual(await ofKind(kind), [], 'two incidents of the kind open nothing');
            const i3 = await incident({ title: 'Orders DB slow, third time', category: 'performance', ci: 'db-orders-01' });
            const found = await ofKind(kind);
            assert.equal(found.length, 1);
            const p = found[0];
            assert.equal(p.source, 'incident_trend');
            assert.equal(p.problem_type, 'potential');
            assert.equal(p.created_by, 'system');
            assert.equal(p.ci, 'db-orders-01');
            assert.match(p.phenomenon, new RegExp(i3.number));
            assert.deepEqual(await linkedIncidents(p.number), [i1.number, i2.number, i3.number]);

            // The problem manager's channel hears of it (P7 outbox, same transaction).
            const notices = await outbox('problem.opened');
            assert.deepEqual(notices.map((n) => n.record), [p.number]);

            const i4 = await incident({ title: 'Orders DB slow, fourth', category: 'performance', ci: 'db-orders-01' });
            assert.equal((await ofKind(kind)).length, 1, 'no second problem');
            assert.deepEqual(await linkedIncidents(p.number), [i1.number, i2.number, i3.number, i4.number]);
            // The incident shows the problem it is caused by, and the link is audited.
            const links = await api('GET', `/api/v1/incidents/${i4.number}/links`);
            assert.deepEqual(links.json.items.map((l) => [l.label, l.record.number]), [['caused_by', p.number]]);
            const audit = await api('GET', `/api/v1/audit?target=${i4.number}&limit=20`);
            assert.ok(audit.json.items.some((e) => e.action === 'record.link' && e.actor === 'system'), audit.text);

            // An incident that gets its CI later joins too.
            const late = await incident({ title: 'Orders DB slow, CI unknown', category: 'performance' });
            const cur = await api('GET', `/api/v1/incidents/${late.number}`);
            const upd = await api('PATCH', `/api/v1/incidents/${late.number}`, { body: { ci: 'db-orders-01' }, headers: { 'If-Match': `"${cur.json.version}"` }, token: tok('eng') });
            assert.equal(upd.status, 200, upd.text);
            assert.ok((await linkedIncidents(p.number)).includes(late.number));
        });

        test('problem-3 only incidents within the window count (Q1)', async () => {
            const kind = 'service:outage/reports';
            await incident({ title: 'Reports down', service: 'reports' });
            await incident({ title: 'Reports down again', service: 'reports' });
            moveClock(8 * 24 * HOUR); // past the 7-day window
            await incident({ title: 'Reports down a week later', service: 'reports' });
            assert.deepEqual(await ofKind(kind), []);
            await incident({ title: 'Reports down, 4th', service: 'reports' });
            await incident({ title: 'Reports down, 5th', service: 'reports' });
            assert.equal((await ofKind(kind)).length, 1, 'three within the window');
            assert.equal((await linkedIncidents((await ofKind(kind))[0].number)).length, 3);
        });

        test('problem-3b a cancelled incident is no occurrence (Q1)', async () => {
            const kind = 'service:outage/archive';
            const mistaken = await incident({ title: 'Archive down (wrong service)', service: 'archive' });
            const cancel = await api('POST', `/api/v1/incidents/${mistaken.number}/transitions/cancel`, { body: { reason: 'duplicate' }, token: tok('desk') });
            assert.equal(cancel.status, 200, cancel.text);
            await incident({ title: 'Archive down', service: 'archive' });
            await incident({ title: 'Archive down again', service: 'archive' });
            assert.deepEqual(await ofKind(kind), [], 'two real occurrences only');
            await incident({ title: 'Archive down, third', service: 'archive' });
            const [p] = await ofKind(kind);
            assert.ok(!(await linkedIncidents(p.number)).includes(mistaken.number));
            assert.equal((await linkedIncidents(p.number)).length, 3);
        });

        test('problem-3c incidents of one kind arriving at once open one problem (Q1)', async () => {
            const kind = 'ci:outage/lb-07';
            const made = await Promise.all([1, 2, 3, 4, 5].map((k) => incident({ title: `LB down ${k}`, ci: 'lb-07' })));
            const found = await ofKind(kind);
            assert.equal(found.length, 1, JSON.stringify(found.map((p) => p.number)));
            assert.deepEqual(await linkedIncidents(found[0].number), made.map((i) => i.number).sort());
        });

        test('problem-4 a problem behind 3 high-priority incidents becomes major (Q1)', async () => {
            const kind = 'service:outage/payments';
            const high = { category: 'outage', service: 'payments', impact: 'high', urgency: 'high' };
            await incident({ title: 'Payments down', ...high });
            await incident({ title: 'Payments slow', service: 'payments', impact: 'low', urgency: 'low' });
            await incident({ title: 'Payments down again', ...high });
            let [p] = await ofKind(kind);
            assert.equal(p.problem_type, 'potential', 'opened by the 3rd incident, 2 of them high');
            assert.equal(p.priority, 'high');
            await incident({ title: 'Payments down, third high', ...high });
            p = await get(p.number);
            assert.equal(p.problem_type, 'major');
            assert.equal(p.due_kind, 'close');
            assert.equal(hoursBetween(p.opened_at, p.due_at), 72);
            assert.equal(p.updated_by, 'system');
            assert.ok((await outbox('problem.major')).some((n) => n.record === p.number));
            const hist = await api('GET', `/api/v1/problems/${p.number}/history`);
            assert.ok(JSON.stringify(hist.json).includes('major'), hist.text);
        });

        test('problem-5 known errors suggested for Chinese text and for an incident (Q3)', async () => {
            const ke = await problem({
                title: '数据库连接池耗尽导致交易超时',
                problem_type: 'known_error',
                priority: 'high',
                category: 'performance',
                ci: 'db-trade-01',
                phenomenon: '交易接口大量超时,应用日志报连接池获取连接失败',
                root_cause: '连接池上限过低且存在连接泄漏',
                scope: '核心交易系统',
                workaround: '重启应用释放连接,临时调大连接池上限',
                permanent_fix: '修复连接泄漏并按压测结果配置连接池',
            });
            assert.equal(ke.known_error, true);
            assert.equal(ke.kind, 'ci:performance/db-trade-01');
            const notKnown = await problem({ title: '数据库连接池偶发告警待分析', problem_type: 'potential' });
            assert.equal(notKnown.known_error, false);
            // A published article joins the suggestions.
            const art = await api('POST', '/api/v1/articles', { body: { title: '连接池参数调优指南', body: '如何根据并发量设置数据库连接池的最大连接数与超时时间。', category: 'how_to' } });
            assert.equal(art.status, 201, art.text);
            for (const t of ['submit', 'publish'])
                assert.equal((await api('POST', `/api/v1/articles/${art.json.number}/transitions/${t}`)).status, 200);

            const q = encodeURIComponent('交易系统数据库连接池报错');
            const res = await api('GET', `/api/v1/known_errors/suggest?q=${q}`, { token: tok('desk') });
            assert.equal(res.status, 200, res.text);
            const numbers = res.json.items.map((i) => i.number);
            assert.equal(numbers[0], ke.number, res.text);
            assert.ok(numbers.includes(art.json.number), 'the article is suggested too');
            assert.ok(!numbers.includes(notKnown.number), 'not a known error: not suggested');
            assert.equal(res.json.items[0].workaround, ke.workaround);
            assert.ok(res.json.items[0].score > res.json.items.at(-1).score || res.json.items.length === 1);

            // For an incident: its text and its kind.
            const inc = await incident({ title: '交易超时', description: '下单接口超时', category: 'performance', ci: 'db-trade-01' });
            const byInc = await api('GET', `/api/v1/known_errors/suggest?incident=${inc.number}`, { token: tok('desk') });
            assert.equal(byInc.status, 200, byInc.text);
            assert.equal(byInc.json.items[0].number, ke.number);

            // The KEDB is also the problems list, searchable in Chinese.
            const kedb = await api('GET', `/api/v1/problems?known_error=true&q=${encodeURIComponent('连接泄漏')}`);
            assert.deepEqual(kedb.json.items.map((p) => p.number), [ke.number]);

            // English words find known errors case-insensitively.
            const en = await api('GET', '/api/v1/known_errors/suggest?q=TOMCAT%20heap');
            assert.equal(en.status, 200);
            assert.deepEqual(en.json.items.map((i) => i.number), ['PRB-000001'], 'the known error of problem-1');

            // The CLI asks the same route.
            const env = { OPSLEDGER_URL: srv.url, OPSLEDGER_TOKEN: srv.tokens.desk };
            const out = cliResult(['records', 'suggest', '--q', '交易系统数据库连接池报错', '--limit', '1'], { env });
            assert.equal(out.status, 0, out.stderr);
            assert.equal(out.stdout.trim(), `${ke.number}  new  ${ke.title}`);
            const byCli = cliResult(['records', 'suggest', '--target', inc.number, '--json'], { env });
            assert.equal(JSON.parse(byCli.stdout).items[0].number, ke.number);
            assert.equal(cliResult(['records', 'suggest'], { env }).status, 2);

            // Bad queries name the field.
            const none = await api('GET', '/api/v1/known_errors/suggest');
            assert.equal(none.status, 400);
            assert.deepEqual(fieldErrors(none), ['q:required']);
            const lim = await api('GET', '/api/v1/known_errors/suggest?q=abc&limit=0');
            assert.deepEqual(fieldErrors(lim), ['limit:too_small']);
            const missing = await api('GET', '/api/v1/known_errors/suggest?incident=INC-999999');
            assert.equal(missing.status, 404);
            const post = await api('POST', '/api/v1/known_errors/suggest', { body: {} });
            assert.equal(post.status, 405);
        });

        test('problem-6 closure only after the fix is verified and baselines updated (Q4)', async () => {
            const ci = { category: 'outage', ci: 'mq-01' };
            const p = await problem({ title: 'Message queue disk fills up', problem_type: 'known_error', ...ci });
            assert.equal((await move(p.number, 'assign', 'eng', { fields: { owner: 'eng' } })).status, 403);
            assert.equal((await move(p.number, 'assign', 'pm', { fields: { owner: 'eng' } })).status, 200);
            const early = await move(p.number, 'plan', 'eng');
            assert.equal(early.status, 400);
            assert.deepEqual(fieldErrors(early).sort(), ['permanent_fix:required', 'phenomenon:required', 'root_cause:required', 'scope:required']);
            const rca = { phenomenon: 'Queue stops accepting', root_cause: 'No log rotation', scope: 'All consumers', workaround: 'Delete old segments', permanent_fix: 'Rotate logs daily' };
            assert.equal((await move(p.number, 'plan', 'eng', { fields: rca })).status, 200);
            const v = await move(p.number, 'verify', 'eng');
            assert.equal(v.status, 200, v.text);
            assert.ok(v.json.fixed_at);
            assert.equal(hoursBetween(v.json.fixed_at, v.json.verify_until), 48);

            let close = await move(p.number, 'close', 'pm');
            assert.equal(close.status, 422, close.text);
            assert.match(close.json.detail, /Q4.*baseline/);
            await patch(p.number, { baseline_updated: true });
            close = await move(p.number, 'close', 'pm');
            assert.equal(close.status, 422, close.text);
            assert.match(close.json.detail, /Q4.*48 h without recurrence/);

            // It recurred within the verification period: closing is refused, naming the incident.
            moveClock(10 * HOUR);
            const again = await incident({ title: 'MQ full again', ...ci });
            moveClock(40 * HOUR);
            close = await move(p.number, 'close', 'pm');
            assert.equal(close.status, 422, close.text);
            assert.match(close.json.detail, new RegExp(`Q4.*${again.number}.*recurred`));
            assert.equal((await get(p.number)).state, 'verifying', 'nothing was written');

            // The fix is redone and verified afresh; 48 h without recurrence: closed.
            assert.equal((await move(p.number, 'reopen', 'eng')).status, 400, 'a reason is required');
            assert.equal((await move(p.number, 'reopen', 'eng', { reason: 'recurred: rotation not enabled on node 2' })).status, 200);
            const v2 = await move(p.number, 'verify', 'eng');
            assert.equal(v2.status, 200, v2.text);
            assert.ok(Date.parse(v2.json.fixed_at) > Date.parse(v.json.fixed_at));
            moveClock(47 * HOUR);
            assert.equal((await move(p.number, 'close', 'pm')).status, 422);
            moveClock(2 * HOUR);
            assert.equal((await move(p.number, 'close', 'eng')).status, 403, 'the problem manager closes');
            close = await move(p.number, 'close', 'pm');
            assert.equal(close.status, 200, close.text);
            assert.equal(close.json.state, 'closed');
            assert.ok(close.json.closed_at);
            const audit = await api('GET', `/api/v1/audit?target=${p.number}&limit=50`);
            assert.ok(audit.json.items.some((e) => e.action === 'record.transition.close'));

            // A new incident of the kind no longer joins the closed problem.
            const after = await incident({ title: 'MQ full after closure', ...ci });
            const links = await api('GET', `/api/v1/incidents/${after.number}/links`);
            assert.ok(!links.json.items.some((l) => l.record.number === p.number));
        });

        test('problem-7 policies are listed with their defaults', async () => {
            const res = await api('GET', '/api/v1/policies');
            assert.equal(res.status, 200);
            const keys = Object.fromEntries((res.json.items || res.json.policies || []).map((p) => [p.key, p]));
            for (const [k, v] of [['problem_auto_threshold', '3'], ['problem_auto_window_hours', '168'], ['problem_verify_hours', '48'], ['problem_major_close_hours', '72']])
                assert.equal(keys[k]?.value ?? keys[k]?.default, v, `${k}: ${res.text.slice(0, 200)}`);
        });
    });
}
