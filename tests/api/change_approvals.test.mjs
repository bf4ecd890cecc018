// tests/api/change_approvals.test.mjs - who approves a change (REQUIREMENTS C6; 004 §7.2.5.3,
// 002 §2.5.3): org units name a head (API, CLI, audited); an emergency change is approved by the
// head of the requester's unit (up the parents), a manager who is not the head refused when a head
// exists, the roles (ops_manager, emergency_command) when no unit on the chain has one, never the
// requester even as a head; change_emergency_approver = unit_head leaves no fallback; a major
// change referred to the leadership goes to the leadership's review, approved (or rejected) by
// the leadership role only.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, cliResult, startServer } from './harness.mjs';

const PLANS = {
    implementation_plan: 'Apply the change.',
    coordination_plan: 'Tell the business a day before.',
    backout_plan: 'Restore the snapshot.',
    verification_plan: 'Smoke test.',
};
const USERS = [
    { name: 'eng', roles: ['ops_engineer'] },
    { name: 'eng2', roles: ['ops_engineer'] },
    { name: 'eng3', roles: ['ops_engineer'] },
    { name: 'boss', roles: ['ops_engineer'] }, // heads ops-dept without a manager's role
    { name: 'mgr', roles: ['ops_manager'] },
    { name: 'cmd', roles: ['emergency_command'] },
    { name: 'chief', roles: ['ops_manager'] }, // heads hq and raises a change there himself
    { name: 'assessor', roles: ['change_assessor'] },
    { name: 'expert', roles: ['expert_team'] },
    { name: 'leader', roles: ['leadership'] },
];

/** A day 40 days ahead at 19:00Z (03:00 in Shanghai: the recommended window, past every lead time). */
function slot(k = 0) {
    const day = new Date(Date.now() + (40 + k) * 86400e3).toISOString().slice(0, 10);
    return { planned_start: `${day}T19:00:00Z`, planned_end: `${day}T20:00:00Z` };
}

function helpers(getSrv) {
    const api = (...a) => getSrv().api(...a);
    const tok = (u) => getSrv().tokens[u];
    async function move(number, name, who, body = {}, status = 200) {
        const res = await api('POST', `/api/v1/changes/${number}/transitions/${name}`, { body, token: tok(who) });
        assert.equal(res.status, status, `${name} by ${who}: ${res.text}`);
        return res;
    }
    async function get(number) {
        const res = await api('GET', `/api/v1/changes/${number}`);
        assert.equal(res.status, 200, res.text);
        return res.json;
    }
    async function emergency(who, title = 'Fail over now') {
        const res = await api('POST', '/api/v1/changes', { body: { title, ...PLANS, category: 'database', emergency: true, ...slot() }, token: tok(who) });
        assert.equal(res.status, 201, res.text);
        await move(res.json.number, 'submit_emergency', who);
        return res.json.number;
    }
    async function unit(name, extra = {}) {
        const res = await api('POST', '/api/v1/org_units', { body: { name, ...extra } });
        assert.equal(res.status, 201, res.text);
        return res.json;
    }
    async function member(user, orgUnit) {
        const res = await api('PUT', `/api/v1/users/${user}/access`, { body: { org_unit: orgUnit } });
        assert.equal(res.status, 200, res.text);
    }
    return { api, tok, move, get, emergency, unit, member };
}

for (const backend of backends()) {
    describe(`change approvals [${backend}]`, () => {
        let srv;
        const { api, tok, move, get, emergency, unit, member } = helpers(() => srv);

        before(async () => {
            srv = await startServer({ backend, users: USERS });
            await unit('ops-dept', { label: '运维部', head: 'boss' });
            await unit('ops-team', { label: '运维一组', parent: 'ops-dept' });
            await unit('dev-dept', { label: '开发部' });
            await unit('hq', { label: '总部', head: 'chief' });
            await member('eng', 'ops-team');
            await member('eng3', 'dev-dept');
            await member('chief', 'hq');
        });
        after(async () => {
            await srv?.stop();
        });

        test('approvals-1 org units name a head: API (create, PATCH, GET), refusals, audit', async () => {
            const list = await api('GET', '/api/v1/org_units');
            assert.equal(list.status, 200, list.text);
            assert.equal(list.json.items.find((u) => u.name === 'ops-dept').head, 'boss');
            assert.equal(list.json.items.find((u) => u.name === 'ops-team').head, null);
            let res = await api('POST', '/api/v1/org_units', { body: { name: 'ghost-unit', head: 'nobody' } });
            assert.equal(res.status, 400, res.text);
            assert.equal(res.json.errors[0].field, 'head');
            assert.equal((await api('GET', '/api/v1/org_units/ghost-unit')).status, 404);
            res = await api('POST', '/api/v1/org_units', { body: { name: 'lab', label: 'Lab', head: 'eng2' } });
            assert.equal(res.status, 201, res.text);
            assert.equal(res.json.head, 'eng2');
            res = await api('PATCH', '/api/v1/org_units/lab', { body: { head: 'nobody' } });
            assert.equal(res.status, 400, res.text);
            assert.equal(res.json.errors[0].field, 'head');
            res = await api('PATCH', '/api/v1/org_units/lab', { body: { head: 'eng3', label: '实验室' } });
            assert.equal(res.status, 200, res.text);
            assert.deepEqual([res.json.head, res.json.label], ['eng3', '实验室']);
            res = await api('PATCH', '/api/v1/org_units/lab', { body: { head: null } });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.head, null);
            assert.equal((await api('GET', '/api/v1/org_units/lab')).json.head, null);
            res = await api('PATCH', '/api/v1/org_units/lab', { body: { parent: 'hq' } });
            assert.equal(res.status, 400, res.text); // the parent is not changed here
            assert.equal((await api('PATCH', '/api/v1/org_units/nosuch', { body: { head: 'eng' } })).status, 404);
            assert.equal((await api('PATCH', '/api/v1/org_units/lab', { body: { head: 'eng' }, token: tok('mgr') })).status, 403);
            assert.equal((await api('PUT', '/api/v1/org_units/lab', { body: { head: 'eng' } })).status, 405);
            const audit = await api('GET', '/api/v1/audit?action=org_unit.update&target=lab&limit=10');
            assert.equal(audit.status, 200, audit.text);
            assert.equal(audit.json.items.length, 2, audit.text);
            assert.ok(audit.json.items.some((a) => JSON.stringify(a).includes('eng3')), audit.text);
        });

        test('approvals-2 the head of the requester\'s unit (up the parents) approves; a manager who is not the head is refused', async () => {
            const n = await emergency('eng');
            // eng belongs to ops-team, which has no head: its parent ops-dept's head, boss, approves.
            const refused = await move(n, 'approve_emergency', 'mgr', {}, 403);
            assert.match(refused.json.detail, /only the head of unit ops-dept \(boss\) approves this emergency change/);
            await move(n, 'approve_emergency', 'cmd', {}, 403);
            await move(n, 'approve_emergency', 'eng2', {}, 403);
            await move(n, 'approve_emergency', 'boss');
            const got = await get(n);
            assert.equal(got.state, 'scheduled');
            assert.equal(got.approver, 'boss');
            assert.ok(got.approved_at);
            // The written approval is filed by the same approver.
            await move(n, 'start', 'eng', { fields: { implementer: 'eng', reviewer: 'eng2' } });
            await move(n, 'complete', 'eng2');
            let cur = await get(n);
            const byMgr = await api('PATCH', `/api/v1/changes/${n}`, { body: { written_approval: 'Form 1' }, token: tok('mgr'), headers: { 'If-Match': String(cur.version) } });
            assert.equal(byMgr.status, 400, byMgr.text);
            assert.match(byMgr.json.errors[0].message, /boss/);
            const filed = await api('PATCH', `/api/v1/changes/${n}`, { body: { written_approval: 'Signed form EC-1' }, token: tok('boss'), headers: { 'If-Match': String(cur.version) } });
            assert.equal(filed.status, 200, filed.text);
            assert.equal(filed.json.written_approval_by, 'boss');
            // A head set on the requester's own unit takes precedence over the parent's.
            const setHead = await api('PATCH', '/api/v1/org_units/ops-team', { body: { head: 'cmd' } });
            assert.equal(setHead.status, 200, setHead.text);
            const n2 = await emergency('eng', 'Second one');
            assert.match((await move(n2, 'approve_emergency', 'boss', {}, 403)).json.detail, /ops-team \(cmd\)/);
            await move(n2, 'approve_emergency', 'cmd');
            assert.equal((await api('PATCH', '/api/v1/org_units/ops-team', { body: { head: null } })).status, 200);
        });

        test('approvals-3 no head on the chain: the roles approve (ops_manager, emergency_command), no one else', async () => {
            const n = await emergency('eng3');
            const refused = await move(n, 'approve_emergency', 'eng2', {}, 403);
            assert.match(refused.json.detail, /operations manager or the emergency command group/);
            await move(n, 'approve_emergency', 'boss', {}, 403); // a head, but of another unit
            await move(n, 'approve_emergency', 'mgr');
            assert.equal((await get(n)).approver, 'mgr');
            // A change raised without a unit (eng2 belongs to none) falls back the same way.
            const m = await emergency('eng2', 'No unit');
            await move(m, 'approve_emergency', 'eng', {}, 403);
            await move(m, 'approve_emergency', 'cmd');
        });

        test('approvals-4 the requester cannot approve, even as the head of his unit', async () => {
            const n = await emergency('chief');
            // chief heads hq: the walk skips him; hq has no parent, so the roles approve - but
            // not the requester himself, although he holds ops_manager.
            const self = await move(n, 'approve_emergency', 'chief', {}, 403);
            assert.match(self.json.detail, /requester/);
            await move(n, 'approve_emergency', 'mgr');
            // boss heads ops-dept, his own unit: no head above it, so the roles approve his change.
            await member('boss', 'ops-dept');
            const b = await api('POST', '/api/v1/changes', { body: { title: 'Boss own change', ...PLANS, category: 'database', emergency: true, ...slot() }, token: tok('boss') });
            assert.equal(b.status, 201, b.text);
            await move(b.json.number, 'submit_emergency', 'boss');
            await move(b.json.number, 'approve_emergency', 'boss', {}, 403); // the head, but the requester
            await move(b.json.number, 'approve_emergency', 'mgr'); // no other head above ops-dept
        });

        test('approvals-5 a change referred to the leadership needs the leadership role', async () => {
            const c = await api('POST', '/api/v1/changes', { body: { title: 'Core switch swap', ...PLANS, failure_impact: 'high', failure_likelihood: 'high', ...slot(1) }, token: tok('eng') });
            assert.equal(c.status, 201, c.text);
            const n = c.json.number;
            assert.equal(c.json.level, 'major');
            await move(n, 'submit', 'eng');
            await move(n, 'assess', 'assessor', { fields: { risk_assessment: 'Risky', dr_sync: 'not_required', leadership_required: true } });
            await move(n, 'endorse', 'mgr');
            // The referral holds once with the experts.
            let cur = await get(n);
            const undo = await api('PATCH', `/api/v1/changes/${n}`, { body: { leadership_required: false }, token: tok('expert'), headers: { 'If-Match': String(cur.version) } });
            assert.equal(undo.status, 400, undo.text);
            assert.equal(undo.json.errors[0].field, 'leadership_required');
            await move(n, 'approve_expert', 'expert', {}, 422);
            await move(n, 'refer_leadership', 'expert');
            cur = await get(n);
            assert.equal(cur.state, 'leadership_review');
            assert.equal(cur.approver, 'expert');
            assert.equal(cur.approved_at, null);
            for (const who of ['expert', 'mgr', 'cmd', 'eng'])
                await move(n, 'approve_leadership', who, {}, 403);
            await move(n, 'reject', 'mgr', { reason: 'not mine' }, 403); // only the leadership rejects now
            await move(n, 'approve_leadership', 'leader', { fields: { leadership_approval: 'Agreed at the weekly meeting' } });
            cur = await get(n);
            assert.equal(cur.state, 'scheduled');
            assert.equal(cur.leadership_approver, 'leader');
            assert.ok(cur.leadership_approved_at);
            assert.ok(cur.approved_at);
            assert.equal(cur.leadership_approval, 'Agreed at the weekly meeting');
            const hist = await api('GET', `/api/v1/changes/${n}/history`);
            assert.ok(hist.json.items.some((h) => h.field === 'state' && h.new === 'scheduled' && h.actor === 'leader'), hist.text);

            // The experts may refer a major change themselves; the leadership may reject it.
            const d = await api('POST', '/api/v1/changes', { body: { title: 'Storage migration', ...PLANS, failure_impact: 'high', failure_likelihood: 'high', ...slot(2) }, token: tok('eng') });
            const m = d.json.number;
            await move(m, 'submit', 'eng');
            await move(m, 'assess', 'assessor', { fields: { risk_assessment: 'Risky', dr_sync: 'not_required' } });
            await move(m, 'reject', 'leader', { reason: 'not yet with us' }, 403); // not in the leadership's review
            await move(m, 'endorse', 'mgr');
            await move(m, 'refer_leadership', 'expert');
            assert.equal((await get(m)).leadership_required, true);
            await move(m, 'reject', 'leader', {}, 400); // a reason is required
            await move(m, 'reject', 'leader', { reason: 'Wait for the budget' });
            assert.equal((await get(m)).state, 'rejected');

            // The active-states list, the KPI report and the calendar take the new state.
            const e = await api('POST', '/api/v1/changes', { body: { title: 'Leadership pending', ...PLANS, failure_impact: 'high', failure_likelihood: 'high', ...slot(3) }, token: tok('eng') });
            const p = e.json.number;
            await move(p, 'submit', 'eng');
            await move(p, 'assess', 'assessor', { fields: { risk_assessment: 'Risky', dr_sync: 'not_required', leadership_required: true } });
            await move(p, 'endorse', 'mgr');
            await move(p, 'refer_leadership', 'expert');
            const rep = await api('GET', '/api/v1/reports/changes');
            assert.equal(rep.status, 200, rep.text);
            assert.equal(rep.json.by_state.leadership_review, 1, rep.text);
            const list = await api('GET', '/api/v1/changes?state=leadership_review');
            assert.deepEqual(list.json.items.map((x) => x.number), [p]);
        });

        test('approvals-6 CLI: org-unit set, show, add with a head', async () => {
            const run = (...args) => cliResult([...args, ...srv.dbArgs]);
            let out = run('org-unit', 'add', 'cli-unit', '--label', 'CLI', '--head', 'eng2');
            assert.equal(out.status, 0, out.stderr);
            assert.equal(JSON.parse(out.stdout).head, 'eng2');
            out = run('org-unit', 'set', 'cli-unit', '--head', 'nobody');
            assert.equal(out.status, 1, out.stdout);
            assert.match(out.stderr, /head/);
            out = run('org-unit', 'set', 'cli-unit', '--head', 'mgr');
            assert.equal(out.status, 0, out.stderr);
            assert.equal(JSON.parse(out.stdout).head, 'mgr');
            out = run('org-unit', 'set', 'cli-unit', '--no-head');
            assert.equal(out.status, 0, out.stderr);
            assert.equal(JSON.parse(out.stdout).head, null);
            out = run('org-unit', 'show', 'cli-unit');
            assert.equal(out.status, 0, out.stderr);
            assert.equal(JSON.parse(out.stdout).label, 'CLI');
            const audit = await api('GET', '/api/v1/audit?action=org_unit.update&target=cli-unit&limit=10');
            assert.equal(audit.json.items.length, 2, audit.text);
        });
    });

    describe(`change approvals: change_emergency_approver = unit_head [${backend}]`, () => {
        let srv;
        const { api, move, get, emergency, unit, member } = helpers(() => srv);
        before(async () => {
            srv = await startServer({ backend, users: USERS, args: ['--change_emergency_approver', 'unit_head'] });
            await unit('ops-dept', { head: 'boss' });
            await unit('dev-dept');
            await member('eng', 'ops-dept');
            await member('eng3', 'dev-dept');
        });
        after(async () => {
            await srv?.stop();
        });

        test('approvals-7 without a head on the chain nobody approves; with one, only the head', async () => {
            const pol = await api('GET', '/api/v1/policies');
            assert.equal(pol.status, 200, pol.text);
            assert.match(pol.text, /change_emergency_approver/);
            const n = await emergency('eng3');
            const refused = await move(n, 'approve_emergency', 'mgr', {}, 422);
            assert.match(refused.json.detail, /dev-dept has no head/);
            assert.equal((await api('PATCH', '/api/v1/org_units/dev-dept', { body: { head: 'cmd' } })).status, 200);
            await move(n, 'approve_emergency', 'mgr', {}, 403);
            await move(n, 'approve_emergency', 'cmd');
            const m = await emergency('eng');
            await move(m, 'approve_emergency', 'boss');
            assert.equal((await get(m)).approver, 'boss');
        });
    });
}

describe('change approvals: the policy is checked at start', () => {
    test('approvals-8 a bad change_emergency_approver stops the start', async () => {
        await assert.rejects(startServer({ args: ['--change_emergency_approver', 'anyone'] }), /change_emergency_approver/);
    });
});
