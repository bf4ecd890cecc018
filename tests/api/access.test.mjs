// tests/api/access.test.mjs - access control through the API (REQUIREMENTS S4-S6): roles and
// administrators' grants, role assignment removing old rights before adding new ones,
// incompatible roles refused directly and through groups, groups and org units, data scope.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, cliResult, startServer } from './harness.mjs';
import { storeRows } from '../torture/lib.mjs';

for (const backend of backends()) {
    describe(`access [${backend}]`, () => {
        let srv;
        const api = (...a) => srv.api(...a);
        const as = (name) => ({ token: srv.tokens[name] });

        before(async () => {
            srv = await startServer({
                backend,
                users: [
                    { name: 'bob', roles: ['ops_engineer'] },
                    { name: 'dana', roles: ['developer'] },
                    { name: 'carol', roles: ['kb_author'] },
                    { name: 'erin', roles: ['kb_author'] },
                ],
            });
        });
        after(async () => {
            await srv?.stop();
        });

        const access = async (user) => {
            const res = await api('GET', `/api/v1/users/${user}/access`);
            assert.equal(res.status, 200, res.text);
            return res.json;
        };
        const auditActions = (target) =>
            storeRows(srv, {
                sqlite: `SELECT action, detail FROM audit_log WHERE target = '${target}' ORDER BY id`,
                pg: `SELECT action, detail FROM audit_log WHERE target = '${target}' ORDER BY id`,
            });

        test('access-1 the shipped roles are listed with labels in both languages; others may not list them', async () => {
            const res = await api('GET', '/api/v1/roles');
            assert.equal(res.status, 200, res.text);
            const byName = Object.fromEntries(res.json.items.map((r) => [r.name, r]));
            for (const name of ['ops_manager', 'ops_engineer', 'dev_manager', 'developer', 'test_manager', 'tester',
                'service_desk', 'change_assessor', 'release_manager', 'auditor', 'admin'])
                assert.ok(byName[name], `role ${name} is shipped`);
            assert.equal(byName.ops_engineer.label_zh, '运维岗');
            assert.equal(byName.admin.privileged, true);
            assert.equal(byName.tester.privileged, false);
            assert.equal((await api('GET', '/api/v1/roles', as('bob'))).status, 403);
        });

        test('access-2 S6: incompatible roles are refused with 409 naming them, and nothing changes', async () => {
            const res = await api('PUT', '/api/v1/users/bob/access', { body: { roles: ['ops_engineer', 'developer'] } });
            assert.equal(res.status, 409, res.text);
            assert.match(res.json.detail, /ops_engineer and developer|developer and ops_engineer/);
            assert.deepEqual((await access('bob')).roles, ['ops_engineer']);
            // The default sets can be changed: the same assignment is refused for test_manager too.
            const t = await api('PUT', '/api/v1/users/dana/access', { body: { roles: ['developer', 'tester'] } });
            assert.equal(t.status, 409, t.text);
        });

        test('access-3 S4: a role change takes the old rights away before adding the new ones, each audited', async () => {
            const res = await api('PUT', '/api/v1/users/erin/access', { body: { roles: ['service_desk'] } });
            assert.equal(res.status, 200, res.text);
            assert.deepEqual(res.json.roles, ['service_desk']);
            const rows = (await auditActions('erin')).filter((r) => r.action.startsWith('role.'));
            assert.deepEqual(rows.map((r) => r.action), ['role.revoke', 'role.grant']);
            assert.match(rows[0].detail, /kb_author/);
            assert.match(rows[1].detail, /service_desk/);
            // erin lost kb_author at once: creating an article is refused.
            const art = await api('POST', '/api/v1/articles', { body: { title: 'Not any more' }, ...as('erin') });
            assert.equal(art.status, 403, art.text);
        });

        test('access-4 S6: group roles count — joining a group whose roles conflict is refused', async () => {
            let res = await api('POST', '/api/v1/groups', { body: { name: 'dev-team', label: '开发组' } });
            assert.equal(res.status, 201, res.text);
            res = await api('PUT', '/api/v1/groups/dev-team/roles', { body: { roles: ['developer'] } });
            assert.equal(res.status, 200, res.text);
            res = await api('POST', '/api/v1/groups/dev-team/members', { body: { username: 'bob' } });
            assert.equal(res.status, 409, res.text);
            assert.match(res.json.detail, /bob/);
            assert.deepEqual((await api('GET', '/api/v1/groups/dev-team')).json.members, []);

            res = await api('POST', '/api/v1/groups', { body: { name: 'ops-team' } });
            assert.equal(res.status, 201, res.text);
            res = await api('POST', '/api/v1/groups/ops-team/members', { body: { username: 'bob' } });
            assert.equal(res.status, 200, res.text);
            res = await api('PUT', '/api/v1/groups/ops-team/roles', { body: { roles: ['ops_manager'] } });
            assert.equal(res.status, 200, res.text);
            const a = await access('bob');
            assert.deepEqual(a.groups, ['ops-team']);
            assert.ok(a.effective.includes('ops_manager') && a.effective.includes('ops_engineer'), JSON.stringify(a));
            // Giving the group a role incompatible with a member's own role is refused.
            res = await api('PUT', '/api/v1/groups/ops-team/roles', { body: { roles: ['tester'] } });
            assert.equal(res.status, 409, res.text);
            assert.deepEqual((await api('GET', '/api/v1/groups/ops-team')).json.roles, ['ops_manager']);
            // A direct role that conflicts with a group role is refused too.
            res = await api('PUT', '/api/v1/users/bob/access', { body: { roles: ['dev_manager'] } });
            assert.equal(res.status, 409, res.text);
            // Leaving the group removes the inherited role.
            res = await api('DELETE', '/api/v1/groups/ops-team/members/bob');
            assert.equal(res.status, 200, res.text);
            assert.ok(!(await access('bob')).effective.includes('ops_manager'));
        });

        test('access-5 S5: administrators grant a role more than its defaults, and take it back', async () => {
            assert.equal((await api('GET', '/api/v1/groups', as('carol'))).status, 403);
            let res = await api('POST', '/api/v1/roles/kb_author/grants', { body: { resource: 'group', action: 'read' } });
            assert.equal(res.status, 201, res.text);
            assert.equal((await api('GET', '/api/v1/groups', as('carol'))).status, 200);
            // A transition the declaration reserves for editors, granted to authors.
            const art = await api('POST', '/api/v1/articles', {
                body: { title: 'Granted publishing', body: 'A body long enough to be published by an author.' },
                ...as('carol'),
            });
            assert.equal(art.status, 201, art.text);
            const n = art.json.number;
            assert.equal((await api('POST', `/api/v1/articles/${n}/transitions/submit`, as('carol'))).status, 200);
            assert.equal((await api('POST', `/api/v1/articles/${n}/transitions/publish`, as('carol'))).status, 403);
            res = await api('POST', '/api/v1/roles/kb_author/grants', { body: { resource: 'article', action: 'transition:publish' } });
            assert.equal(res.status, 201, res.text);
            assert.equal((await api('POST', `/api/v1/articles/${n}/transitions/publish`, as('carol'))).status, 200);
            res = await api('DELETE', '/api/v1/roles/kb_author/grants/group/read');
            assert.equal(res.status, 204, res.text);
            assert.equal((await api('GET', '/api/v1/groups', as('carol'))).status, 403);
            const roles = (await api('GET', '/api/v1/roles')).json.items;
            assert.deepEqual(roles.find((r) => r.name === 'kb_author').grants, [{ resource: 'article', action: 'transition:publish' }]);
            // Bad grants are refused with the field named, and change nothing.
            res = await api('POST', '/api/v1/roles/kb_author/grants', { body: { resource: 'nosuch', action: 'fly' } });
            assert.equal(res.status, 400, res.text);
            assert.deepEqual(res.json.errors.map((e) => e.field).sort(), ['action', 'resource']);
            assert.equal((await api('POST', '/api/v1/roles/nosuch/grants', { body: { resource: 'group', action: 'read' } })).status, 404);
            assert.equal((await api('POST', '/api/v1/roles/kb_author/grants', { body: { resource: 'group', action: 'read' }, ...as('carol') })).status, 403);
        });

        test('access-6 S5: a user scoped to its groups sees only their records (and its own)', async () => {
            let res = await api('POST', '/api/v1/org_units', { body: { name: 'hq', label: '总部' } });
            assert.equal(res.status, 201, res.text);
            res = await api('POST', '/api/v1/groups', { body: { name: 'team-a', org_unit: 'hq' } });
            assert.equal(res.status, 201, res.text);
            res = await api('POST', '/api/v1/groups', { body: { name: 'team-b', org_unit: 'nowhere' } });
            assert.equal(res.status, 400, res.text);
            assert.equal((await api('POST', '/api/v1/groups', { body: { name: 'team-b' } })).status, 201);
            assert.equal((await api('POST', '/api/v1/groups/team-a/members', { body: { username: 'carol' } })).status, 200);
            res = await api('PUT', '/api/v1/users/carol/access', { body: { data_scope: 'group' } });
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.data_scope, 'group');
            const mk = async (title, group) => {
                const r = await api('POST', '/api/v1/articles', { body: { title, group } });
                assert.equal(r.status, 201, r.text);
                return r.json.number;
            };
            const a = await mk('Scoped A', 'team-a');
            const b = await mk('Scoped B', 'team-b');
            const list = await api('GET', '/api/v1/articles?q=Scoped', as('carol'));
            assert.equal(list.status, 200, list.text);
            assert.deepEqual(list.json.items.map((i) => i.number), [a]);
            assert.equal((await api('GET', `/api/v1/articles/${b}`, as('carol'))).status, 404);
            assert.equal((await api('GET', `/api/v1/articles/${b}/history`, as('carol'))).status, 404);
            assert.equal((await api('GET', `/api/v1/articles/${a}`, as('carol'))).status, 200);
            // The same user by org unit: every group of hq.
            res = await api('PUT', '/api/v1/users/carol/access', { body: { data_scope: 'org', org_unit: 'hq' } });
            assert.equal(res.status, 200, res.text);
            assert.equal((await api('GET', `/api/v1/articles/${a}`, as('carol'))).status, 200);
            assert.equal((await api('GET', `/api/v1/articles/${b}`, as('carol'))).status, 404);
            res = await api('PUT', '/api/v1/users/carol/access', { body: { data_scope: 'everything' } });
            assert.equal(res.status, 400, res.text);
            assert.equal(res.json.errors[0].field, 'data_scope');
            assert.equal((await api('PUT', '/api/v1/users/carol/access', { body: { data_scope: 'all', org_unit: '' } })).status, 200);
            assert.equal((await api('GET', `/api/v1/articles/${b}`, as('carol'))).status, 200);
        });

        test('access-8 the CLI does the same: groups, roles, grants, with clear errors', async () => {
            const run = (...args) => cliResult([...args, ...srv.dbArgs]);
            let r = run('group', 'add', 'cli-team', '--label', '命令行组');
            assert.equal(r.status, 0, r.stderr);
            assert.equal(JSON.parse(r.stdout).label, '命令行组');
            r = run('group', 'roles', 'cli-team', 'test_manager');
            assert.equal(r.status, 0, r.stderr);
            r = run('group', 'add-member', 'cli-team', 'dana');
            assert.equal(r.status, 1);
            assert.match(r.stderr, /dana would hold .*incompatible/);
            r = run('role', 'set', 'dana', 'dev_manager');
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(JSON.parse(r.stdout).roles, ['dev_manager']);
            r = run('role', 'grant', 'tester', 'article', 'export');
            assert.equal(r.status, 0, r.stderr);
            r = run('role', 'grant', 'tester', 'nosuch', 'export');
            assert.equal(r.status, 1);
            assert.match(r.stderr, /resource/);
            assert.equal(run('role', 'frobnicate').status, 2);
            const rows = await auditActions('dana');
            assert.ok(rows.some((x) => x.action === 'role.grant' && /dev_manager/.test(x.detail)));
        });

        test('access-7 everyone may read their own access; only administrators change it', async () => {
            assert.equal((await api('GET', '/api/v1/users/bob/access', as('bob'))).status, 200);
            assert.equal((await api('GET', '/api/v1/users/dana/access', as('bob'))).status, 403);
            const res = await api('PUT', '/api/v1/users/bob/access', { body: { roles: ['admin'] }, ...as('bob') });
            assert.equal(res.status, 403, res.text);
            assert.ok(!(await access('bob')).effective.includes('admin'));
            assert.equal((await api('PUT', '/api/v1/users/nobody/access', { body: { roles: [] } })).status, 404);
            assert.equal((await api('PUT', '/api/v1/users/bob/access', { body: { roles: ['pilot'] } })).status, 400);
            assert.equal((await api('PUT', '/api/v1/users/bob/access', { body: { rolez: [] } })).status, 400);
        });
    });
}

for (const backend of backends()) {
    describe(`elevation [${backend}]`, () => {
        let srv;
        let clockFile;
        const api = (...a) => srv.api(...a);
        const as = (name) => ({ token: srv.tokens[name] });

        before(async () => {
            const os = await import('node:os');
            const fs = await import('node:fs');
            const path = await import('node:path');
            clockFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ol-clock-')), 'offset');
            fs.writeFileSync(clockFile, '0');
            srv = await startServer({
                backend,
                env: { OPSLEDGER_TEST_CLOCK: clockFile },
                users: [
                    { name: 'bob', roles: ['ops_engineer'] },
                    { name: 'ivy', roles: ['infosec_manager'] },
                    { name: 'ian', roles: ['infosec_manager'] },
                ],
            });
        });
        after(async () => {
            await srv?.stop();
        });

        const request = async (body, token) => {
            const res = await api('POST', '/api/v1/elevations', { body: { title: 'Release night', reason: 'Deploying the quarterly release', ...body }, ...(token ? { token } : {}) });
            assert.equal(res.status, 201, res.text);
            return res.json.number;
        };
        const act = (n, name, who, body) => api('POST', `/api/v1/elevations/${n}/transitions/${name}`, { body, ...as(who) });
        const effective = async (user) => (await api('GET', `/api/v1/users/${user}/access`)).json;

        test('elevation-1 S4/S6: requested, approved by someone else, granted until it expires, then taken back', async () => {
            const n = await request({ user: 'bob', role: 'ops_manager', days: 2 }, srv.tokens.bob);
            assert.equal((await act(n, 'approve', 'bob')).status, 403, 'the requester may not approve');
            const ok = await act(n, 'approve', 'ivy');
            assert.equal(ok.status, 200, ok.text);
            assert.equal(ok.json.state, 'active');
            let a = await effective('bob');
            assert.ok(a.effective.includes('ops_manager'));
            assert.equal(a.elevated[0].role, 'ops_manager');
            assert.deepEqual(a.roles, ['ops_engineer'], 'the elevation is not a permanent role');
            // Three days later the sweep expires it and takes the role back.
            const fs = await import('node:fs');
            fs.writeFileSync(clockFile, String(3 * 86400));
            let state;
            for (let i = 0; i < 40 && state !== 'expired'; i++) {
                await new Promise((r) => setTimeout(r, 250));
                state = (await api('GET', `/api/v1/elevations/${n}`)).json.state;
            }
            assert.equal(state, 'expired');
            a = await effective('bob');
            assert.ok(!a.effective.includes('ops_manager'), JSON.stringify(a));
            fs.writeFileSync(clockFile, '0');
        });

        test('elevation-2 S6: the approver is neither the requester nor the person elevated (403 naming the rule)', async () => {
            const own = await request({ user: 'ivy', role: 'ops_manager', days: 1 }, srv.tokens.ian);
            const res = await act(own, 'approve', 'ivy');
            assert.equal(res.status, 403, res.text);
            assert.match(res.json.detail, /not the person elevated/);
            assert.equal(res.json.errors?.[0]?.code, 'separation_of_duties', res.text);
            const zh = await api('POST', `/api/v1/elevations/${own}/transitions/approve`, { ...as('ivy'), headers: { 'Accept-Language': 'zh-CN' } });
            assert.match(zh.json.detail, /审批人不能是被提权人/);
            const mine = await request({ user: 'bob', role: 'ops_manager', days: 1 }, srv.tokens.ivy);
            assert.match((await act(mine, 'approve', 'ivy')).json.detail, /not the requester/);
            // Administrators are not exempt from duty rules.
            const adm = await request({ user: 'admin', role: 'ops_manager', days: 1 });
            assert.equal((await api('POST', `/api/v1/elevations/${adm}/transitions/approve`)).status, 403);
            assert.equal((await api('GET', `/api/v1/elevations/${own}`)).json.state, 'requested');
        });

        test('elevation-2b S4/S6: the approver is an internal employee: a contractor account may not approve', async () => {
            let res = await api('PATCH', '/api/v1/users/ian', { body: { kind: 'contractor' } });
            assert.equal(res.status, 200, res.text);
            const n = await request({ user: 'bob', role: 'ops_manager', days: 1 }, srv.tokens.bob);
            res = await act(n, 'approve', 'ian');
            assert.equal(res.status, 403, res.text);
            assert.match(res.json.detail, /internal employee/);
            assert.equal((await api('GET', `/api/v1/elevations/${n}`)).json.state, 'requested');
            res = await api('PATCH', '/api/v1/users/ian', { body: { kind: 'regular', expires_at: null } });
            assert.equal(res.status, 200, res.text);
            res = await act(n, 'approve', 'ian');
            assert.equal(res.status, 200, res.text);
            assert.equal((await act(n, 'revoke', 'ian', { reason: 'test over' })).status, 200);
        });

        test('elevation-3 policy and incompatibility: too many days, or a role incompatible with the user, is refused', async () => {
            const long = await request({ user: 'bob', role: 'ops_manager', days: 30 }, srv.tokens.bob);
            const res = await act(long, 'approve', 'ivy');
            assert.equal(res.status, 422, res.text);
            assert.match(res.json.detail, /at most 7 days/);
            const dev = await request({ user: 'bob', role: 'developer', days: 1 }, srv.tokens.bob);
            const r2 = await act(dev, 'approve', 'ivy');
            assert.equal(r2.status, 409, r2.text);
            assert.equal((await api('GET', `/api/v1/elevations/${dev}`)).json.state, 'requested', 'nothing changed');
            assert.ok(!(await effective('bob')).effective.includes('developer'));
        });

        test('elevation-4 revocation takes the role back at once; rejection needs a reason', async () => {
            const n = await request({ user: 'bob', role: 'config_admin', days: 3 }, srv.tokens.bob);
            assert.equal((await act(n, 'reject', 'ivy')).status, 400);
            assert.equal((await act(n, 'approve', 'ivy')).status, 200);
            assert.ok((await effective('bob')).effective.includes('config_admin'));
            const res = await act(n, 'revoke', 'ian', { reason: 'Work finished early' });
            assert.equal(res.status, 200, res.text);
            assert.ok(!(await effective('bob')).effective.includes('config_admin'));
        });
    });
}

for (const backend of backends()) {
    describe(`access reviews [${backend}]`, () => {
        let srv;
        let clockFile;
        const api = (...a) => srv.api(...a);
        const as = (name) => ({ token: srv.tokens[name] });
        const DAY = 86400;

        before(async () => {
            const os = await import('node:os');
            const fs = await import('node:fs');
            const path = await import('node:path');
            clockFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ol-clock-')), 'offset');
            fs.writeFileSync(clockFile, '0');
            srv = await startServer({
                backend,
                env: { OPSLEDGER_TEST_CLOCK: clockFile },
                users: [
                    { name: 'bob', roles: ['ops_engineer'] },
                    { name: 'ivy', roles: ['infosec_manager'] },
                    { name: 'ian', roles: ['infosec_manager'] },
                ],
            });
        });
        after(async () => {
            await srv?.stop();
        });

        async function reviewsAfter(days, scope) {
            const fs = await import('node:fs');
            fs.writeFileSync(clockFile, String(days * DAY));
            for (let i = 0; i < 60; i++) {
                const res = await api('GET', `/api/v1/access_reviews?scope=${scope}&sort=-created_at`);
                assert.equal(res.status, 200, res.text);
                // Created, then started (the rights listed) in a second transaction.
                if (res.json.items.length && res.json.items[0].state === 'in_progress' &&
                    res.json.items[0].created_at > new Date(Date.now() + (days - 1) * DAY * 1000).toISOString())
                    return res.json.items[0];
                await new Promise((r) => setTimeout(r, 250));
            }
            assert.fail(`no ${scope} review appeared ${days} days on`);
        }
        const items = async (n) => (await api('GET', `/api/v1/access_reviews/${n}/items`)).json.items;
        const decide = (n, id, decision, who, note) =>
            api('POST', `/api/v1/access_reviews/${n}/items/${id}`, { body: { decision, ...(note ? { note } : {}) }, ...(who ? as(who) : {}) });

        test('access-review-1 S4: none at first; a privileged review starts after 30 days, listing privileged rights only', async () => {
            assert.equal((await api('GET', '/api/v1/access_reviews')).json.items.length, 0);
            const review = await reviewsAfter(31, 'privileged');
            assert.equal(review.state, 'in_progress');
            const list = await items(review.number);
            const rights = list.map((i) => `${i.username}:${i.role}`).sort();
            assert.deepEqual(rights, ['admin:admin', 'ian:infosec_manager', 'ivy:infosec_manager']);
            assert.ok(list.every((i) => i.decision === null && i.source === 'direct'));
        });

        test('access-review-2 S4/S6: reviewers attest or revoke each right, never their own; revoking takes it away', async () => {
            const review = (await api('GET', '/api/v1/access_reviews?scope=privileged')).json.items[0];
            const list = await items(review.number);
            const of = (u) => list.find((i) => i.username === u).id;
            let res = await decide(review.number, of('ivy'), 'attest', 'ivy');
            assert.equal(res.status, 403, res.text);
            assert.match(res.json.detail, /their own rights/);
            assert.equal((await decide(review.number, of('admin'), 'attest', 'bob')).status, 403);
            assert.equal((await decide(review.number, of('admin'), 'approve', 'ivy')).status, 400);
            res = await decide(review.number, of('admin'), 'attest', 'ivy', '仍需要');
            assert.equal(res.status, 200, res.text);
            assert.equal((await decide(review.number, of('admin'), 'revoke', 'ivy')).status, 422, 'decided once');
            // Completing with rights undecided is refused, naming how many.
            res = await api('POST', `/api/v1/access_reviews/${review.number}/transitions/complete`, as('ivy'));
            assert.equal(res.status, 422, res.text);
            assert.match(res.json.detail, /2 rights/);
            res = await decide(review.number, of('ian'), 'revoke', 'ivy', 'left the security team');
            assert.equal(res.status, 200, res.text);
            const ian = (await api('GET', '/api/v1/users/ian/access')).json;
            assert.ok(!ian.effective.includes('infosec_manager'), 'the right is gone at once');
            assert.equal((await decide(review.number, of('ivy'), 'attest')).status, 200); // admin
            res = await api('POST', `/api/v1/access_reviews/${review.number}/transitions/complete`, as('ivy'));
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.state, 'completed');
            const after = await items(review.number);
            assert.deepEqual(after.map((i) => i.decision).sort(), ['attest', 'attest', 'revoke']);
            assert.equal(after.find((i) => i.username === 'ian').decided_by, 'ivy');
        });

        test('access-review-3 S4: after 90 days every right is reviewed, group roles included', async () => {
            assert.equal((await api('POST', '/api/v1/groups', { body: { name: 'night-shift' } })).status, 201);
            assert.equal((await api('PUT', '/api/v1/groups/night-shift/roles', { body: { roles: ['service_desk'] } })).status, 200);
            assert.equal((await api('POST', '/api/v1/groups/night-shift/members', { body: { username: 'bob' } })).status, 200);
            const review = await reviewsAfter(91, 'all');
            const rights = (await items(review.number)).map((i) => `${i.username}:${i.role}:${i.source}`);
            assert.ok(rights.includes('bob:ops_engineer:direct'), rights.join());
            assert.ok(rights.includes('bob:service_desk:group:night-shift'), rights.join());
            assert.ok(!rights.some((r) => r.startsWith('ian:infosec_manager')), 'a revoked right is not listed again');
            const fs = await import('node:fs');
            fs.writeFileSync(clockFile, '0');
        });
    });
}
