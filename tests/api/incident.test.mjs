// tests/api/incident.test.mjs - incidents (REQUIREMENTS I2-I4): INC numbers, priority from the
// impact x urgency matrix (default and configured), the level derived from importance and impact
// and rising while a high-impact incident on a core service stays open (moved clock), the
// workflow with its required fields and reasons, role refusals, and per-field errors.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { backends, fieldErrors, startServer } from './harness.mjs';

for (const backend of backends()) {
    describe(`incidents [${backend}]`, () => {
        let srv;
        let clockFile;
        const api = (...a) => srv.api(...a);
        const tok = (u) => srv.tokens[u];

        before(async () => {
            clockFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ol-clock-')), 'offset');
            fs.writeFileSync(clockFile, '0');
            srv = await startServer({
                backend,
                users: [
                    { name: 'desk', roles: ['service_desk'] },
                    { name: 'eng', roles: ['ops_engineer'] },
                    { name: 'mgr', roles: ['ops_manager'] },
                    { name: 'cmd', roles: ['emergency_command'] },
                    { name: 'user1', roles: [] },
                    { name: 'rep', roles: ['ops_engineer'] },
                ],
                env: { OPSLEDGER_TEST_CLOCK: clockFile },
            });
        });
        after(async () => {
            await srv?.stop();
        });

        async function create(fields, who = 'desk') {
            const res = await api('POST', '/api/v1/incidents', { body: { reporter: 'user1', ...fields }, token: tok(who) });
            assert.equal(res.status, 201, res.text);
            return res.json;
        }
        async function get(number) {
            const res = await api('GET', `/api/v1/incidents/${number}`);
            assert.equal(res.status, 200, res.text);
            return res.json;
        }
        const move = (to, who, body = {}) =>
            api('POST', `/api/v1/incidents/${to.number}/transitions/${to.name}`, { body, token: tok(who) });

        test('incident-1 numbers INC-000001 and priority from the default matrix', async () => {
            const a = await create({ title: 'Payment gateway down', category: 'outage', impact: 'high', urgency: 'high' });
            assert.equal(a.number, 'INC-000001');
            assert.equal(a.state, 'new');
            assert.equal(a.priority, 'high');
            const cases = [
                ['high', 'low', 'medium'],
                ['medium', 'medium', 'medium'],
                ['medium', 'high', 'high'],
                ['low', 'high', 'medium'],
                ['low', 'low', 'low'],
            ];
            for (const [impact, urgency, priority] of cases) {
                const r = await create({ title: `Case ${impact} ${urgency}`, impact, urgency });
                assert.equal(r.priority, priority, `${impact} x ${urgency}`);
            }
            const d = await create({ title: 'Defaults apply' });
            assert.equal(d.impact, 'medium');
            assert.equal(d.priority, 'medium');
            assert.equal(d.classification, 'other');
            assert.ok(d.detected_at);
        });

        test('incident-2 priority follows impact and urgency on update', async () => {
            const r = await create({ title: 'Slow search', category: 'performance', impact: 'low', urgency: 'low' });
            assert.equal(r.priority, 'low');
            const res = await api('PATCH', `/api/v1/incidents/${r.number}`, {
                body: { impact: 'high', urgency: 'medium' },
                headers: { 'If-Match': `"${r.version}"` },
                token: tok('eng'),
            });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.priority, 'high');
            const h = await api('GET', `/api/v1/incidents/${r.number}/history`);
            assert.equal(h.status, 200, h.text);
            assert.match(h.text, /priority/);
        });

        test('incident-3 priority and level cannot be set by hand; bad fields are named', async () => {
            const res = await api('POST', '/api/v1/incidents', {
                body: { title: 'x', reporter: 'user1', priority: 'high', level: 1, impact: 'huge', classification: 'weather', category: 'misc' },
                token: tok('desk'),
            });
            assert.equal(res.status, 400, res.text);
            const errs = fieldErrors(res);
            for (const e of ['title:', 'priority:readonly', 'level:readonly', 'impact:', 'classification:', 'category:'])
                assert.ok(errs.some((x) => x.startsWith(e)), `${e} in ${errs}`);
            const missing = await api('POST', '/api/v1/incidents', { body: { title: 'No reporter' }, token: tok('desk') });
            assert.equal(missing.status, 400);
            assert.deepEqual(fieldErrors(missing), ['reporter:required']);
            const list = await api('GET', '/api/v1/incidents?limit=200');
            assert.ok(!list.json.items.some((i) => i.title === 'No reporter' || i.title === 'x'));
        });

        test('incident-4 level from importance and impact, rising while open', async () => {
            const core = await create({ title: 'Core outage', importance: 'core', impact: 'high', urgency: 'high' });
            assert.equal(core.level, 3);
            const general = await create({ title: 'General outage', importance: 'general', impact: 'high' });
            assert.equal(general.level, 4);
            fs.writeFileSync(clockFile, String(31 * 60));
            const bump = async (r) => {
                const cur = await get(r.number);
                const res = await api('PATCH', `/api/v1/incidents/${r.number}`, {
                    body: { description: `checked at ${Date.now()}` },
                    headers: { 'If-Match': `"${cur.version}"` },
                    token: tok('eng'),
                });
                assert.equal(res.status, 200, res.text);
                return res.json;
            };
            assert.equal((await bump(core)).level, 2, 'after 30 minutes: 重大');
            assert.equal((await bump(general)).level, 4, 'a general service does not rise');
            fs.writeFileSync(clockFile, String(181 * 60));
            assert.equal((await bump(core)).level, 1, 'after 3 hours: 特别重大');

            // Untouched, an open incident still rises: serve's sweep recomputes it.
            const idle = await create({ title: 'Idle core outage', importance: 'important', impact: 'high' });
            assert.equal(idle.level, 4);
            fs.writeFileSync(clockFile, String(181 * 60 + 31 * 60));
            let seen = idle;
            for (let k = 0; k < 30 && seen.level !== 3; k++) {
                await new Promise((r) => setTimeout(r, 500));
                seen = await get(idle.number);
            }
            assert.equal(seen.level, 3, 'the sweep raised the level without a write by anyone');
            assert.equal(seen.updated_by, 'system');
            fs.writeFileSync(clockFile, '0');
        });

        test('incident-5 workflow: assign, work, await user, resolve, confirm; reopen; cancel', async () => {
            const r = await create({ title: 'Mail delayed', category: 'outage' });
            let res = await move({ number: r.number, name: 'assign' }, 'desk');
            assert.equal(res.status, 400, res.text);
            assert.ok(fieldErrors(res).includes('owner:required'), res.text);
            res = await move({ number: r.number, name: 'assign' }, 'eng', { fields: { owner: 'eng' } });
            assert.equal(res.status, 403, res.text);
            res = await move({ number: r.number, name: 'assign' }, 'desk', { fields: { owner: 'eng', group: 'mail' } });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.state, 'assigned');
            res = await move({ number: r.number, name: 'start' }, 'desk');
            assert.equal(res.status, 403, res.text);
            res = await move({ number: r.number, name: 'start' }, 'eng');
            assert.equal(res.json.state, 'in_progress');
            assert.ok(res.json.responded_at);
            res = await move({ number: r.number, name: 'await_user' }, 'eng');
            assert.equal(res.status, 400);
            assert.ok(fieldErrors(res).includes('reason:reason_required'));
            res = await move({ number: r.number, name: 'await_user' }, 'eng', { reason: 'asked for a screenshot' });
            assert.equal(res.json.state, 'awaiting_user');
            res = await move({ number: r.number, name: 'resume' }, 'eng');
            assert.equal(res.json.state, 'in_progress');
            res = await move({ number: r.number, name: 'resolve' }, 'eng');
            assert.equal(res.status, 400);
            assert.ok(fieldErrors(res).includes('resolution:required'), res.text);
            res = await move({ number: r.number, name: 'resolve' }, 'eng', { fields: { resolution: 'queue drained', root_cause: 'full disk' } });
            assert.equal(res.json.state, 'resolved');
            assert.ok(res.json.resolved_at);
            res = await move({ number: r.number, name: 'reopen' }, 'desk', { reason: 'still delayed' });
            assert.equal(res.json.state, 'in_progress');
            assert.equal(res.json.resolved_at ?? null, null);
            res = await move({ number: r.number, name: 'resolve' }, 'eng', {});
            assert.equal(res.json.state, 'resolved');
            res = await move({ number: r.number, name: 'close' }, 'eng');
            assert.equal(res.status, 403, res.text);
            res = await move({ number: r.number, name: 'confirm' }, 'desk');
            assert.equal(res.status, 403, res.text);
            assert.equal((await get(r.number)).state, 'resolved');
            res = await move({ number: r.number, name: 'close' }, 'desk');
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.state, 'closed');

            const c = await create({ title: 'Duplicate ticket' });
            res = await move({ number: c.number, name: 'cancel' }, 'desk');
            assert.equal(res.status, 400);
            res = await move({ number: c.number, name: 'cancel' }, 'desk', { reason: 'duplicate of another' });
            assert.equal(res.json.state, 'cancelled');
            res = await move({ number: c.number, name: 'start' }, 'eng');
            assert.equal(res.status, 422, res.text);

            const u = await create({ title: 'VPN drops', reporter: 'rep' });
            await move({ number: u.number, name: 'assign' }, 'mgr', { fields: { owner: 'eng' } });
            await move({ number: u.number, name: 'start' }, 'eng');
            res = await move({ number: u.number, name: 'resolve' }, 'eng', { fields: { resolution: 'new profile' } });
            assert.equal(res.json.state, 'resolved');
            res = await move({ number: u.number, name: 'confirm' }, 'eng');
            assert.equal(res.status, 403, res.text);
            res = await move({ number: u.number, name: 'confirm' }, 'rep');
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.state, 'closed');
        });

        test('incident-6 roles: engineers and emergency groups cannot create; emergency groups read', async () => {
            for (const who of ['eng', 'cmd', 'user1']) {
                const res = await api('POST', '/api/v1/incidents', { body: { title: 'Not mine', reporter: 'user1' }, token: tok(who) });
                assert.equal(res.status, 403, `${who}: ${res.text}`);
            }
            const res = await api('GET', '/api/v1/incidents/INC-000001', { token: tok('cmd') });
            assert.equal(res.status, 200, res.text);
            const m = await create({ title: 'Manager made' }, 'mgr');
            assert.equal(m.state, 'new');
        });
    });
}

describe('incident policies', () => {
    test('incident-7 a configured matrix is used and a bad one stops the server', async () => {
        const srv = await startServer({
            users: [{ name: 'desk', roles: ['service_desk'] }],
            args: ['--incident_priority_matrix', 'low,low,low;low,low,low;low,low,high'],
        });
        try {
            const res = await srv.api('POST', '/api/v1/incidents', {
                body: { title: 'Configured', reporter: 'desk', impact: 'low', urgency: 'low' },
                token: srv.tokens.desk,
            });
            assert.equal(res.status, 201, res.text);
            assert.equal(res.json.priority, 'high');
        } finally {
            await srv.stop();
        }
        await assert.rejects(startServer({ args: ['--incident_level_matrix', '1,2;3'] }));
    });
});
