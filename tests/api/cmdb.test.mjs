// tests/api/cmdb.test.mjs - the CMDB (REQUIREMENTS K1, K2, K5): CIs with a unique ci_id
// (409 naming the field), lifecycle states, typed relationships read from both ends, impact
// analysis up and down with a depth bound and cycles, the discovery upsert (idempotent, reports
// what changed), and CSV/JSON import all-or-nothing with a per-row report; the CLI verbs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, cliResult, fieldErrors, startServer } from './harness.mjs';

for (const backend of backends()) {
    describe(`cmdb [${backend}]`, () => {
        let srv;
        const api = (...a) => srv.api(...a);
        const tok = (u) => srv.tokens[u];

        before(async () => {
            srv = await startServer({
                backend,
                users: [
                    { name: 'cfg', roles: ['config_admin'] },
                    { name: 'eng', roles: ['ops_engineer'] },
                    { name: 'desk', roles: ['service_desk'] },
                    { name: 'scoped', roles: ['service_desk'] },
                ],
            });
        });
        after(async () => {
            await srv?.stop();
        });
        let REF; // K5: the incident CI changes are made under
        before(async () => {
            const inc = await api('POST', '/api/v1/incidents', { body: { title: 'CMDB work', reporter: 'desk' }, token: tok('desk') });
            assert.equal(inc.status, 201, inc.text);
            REF = inc.json.number;
        });

        async function ci(fields, who = 'cfg') {
            const res = await api('POST', '/api/v1/cis', { body: { business_impact: 'medium', ...fields }, token: tok(who) });
            assert.equal(res.status, 201, res.text);
            return res.json;
        }
        async function relate(src, type, dst) {
            const res = await api('POST', `/api/v1/cis/${src.number}/relations`, { body: { type, target: dst.number }, token: tok('cfg') });
            assert.equal(res.status, 201, res.text);
            return res.json;
        }
        const impact = (c, q) => api('GET', `/api/v1/cis/${c.number}/impact?${q}`, { token: tok('desk') });

        test('cmdb-1 a CI has a class, category, unique ID, impact level and lifecycle', async () => {
            const sw = await ci({ title: 'Core switch A', ci_id: 'CSW-210231A3TQB194000005', class: 'network_device', business_impact: 'high', location: 'DC1 row 3', owner: 'eng' });
            assert.match(sw.number, /^CI-\d{6}$/);
            assert.equal(sw.state, 'planned');
            assert.equal(sw.category, 'hardware');
            assert.equal(sw.business_impact, 'high');
            assert.equal(sw.environment, 'production');
            const db = await ci({ title: 'Oracle for APP01', ci_id: 'Oracle-19c-APP01', class: 'database' });
            assert.equal(db.category, 'software');
            // K1: the ID is unique among CIs, on create and on update; 409 names the field.
            const dup = await api('POST', '/api/v1/cis', { body: { title: 'Copy', ci_id: 'CSW-210231A3TQB194000005', class: 'server', business_impact: 'low' }, token: tok('cfg') });
            assert.equal(dup.status, 409, dup.text);
            assert.deepEqual(fieldErrors(dup), ['ci_id:unique']);
            // K5: an update names the change, incident or request behind it.
            const noRef = await api('PATCH', `/api/v1/cis/${db.number}`, { body: { location: 'DC9' }, headers: { 'If-Match': '"1"' }, token: tok('cfg') });
            assert.equal(noRef.status, 400, noRef.text);
            assert.deepEqual(fieldErrors(noRef), ['change_ref:change_ref_required']);
            const badRef = await api('PATCH', `/api/v1/cis/${db.number}`, { body: { location: 'DC9', change_ref: sw.number }, headers: { 'If-Match': '"1"' }, token: tok('cfg') });
            assert.deepEqual(fieldErrors(badRef), ['change_ref:change_ref_unknown']);
            const upd = await api('PATCH', `/api/v1/cis/${db.number}`, { body: { ci_id: 'CSW-210231A3TQB194000005', change_ref: REF }, headers: { 'If-Match': '"1"' }, token: tok('cfg') });
            assert.equal(upd.status, 409, upd.text);
            assert.deepEqual(fieldErrors(upd), ['ci_id:unique']);
            const bad = await api('POST', '/api/v1/cis', { body: { title: 'No class', ci_id: 'X-1', class: 'toaster' }, token: tok('cfg') });
            assert.equal(bad.status, 400);
            assert.deepEqual(fieldErrors(bad), ['class:enum']);
            assert.equal((await api('GET', `/api/v1/cis?ci_id=Oracle-19c-APP01`, { token: tok('desk') })).json.items.length, 1);
            // Lifecycle: planned -> in_use -> maintenance (reason) -> in_use -> retired (reason).
            const mv = (name, body, who = 'cfg') => api('POST', `/api/v1/cis/${sw.number}/transitions/${name}`, { body: { ...body, fields: { change_ref: REF } }, token: tok(who) });
            const bare = await api('POST', `/api/v1/cis/${sw.number}/transitions/commission`, { body: {}, token: tok('cfg') });
            assert.deepEqual(fieldErrors(bare), ['change_ref:change_ref_required']);
            assert.equal((await mv('commission', {})).status, 200);
            assert.equal((await mv('start_maintenance', {})).status, 400); // a reason is required
            assert.equal((await mv('start_maintenance', { reason: 'firmware upgrade' }, 'eng')).status, 403);
            assert.equal((await mv('start_maintenance', { reason: 'firmware upgrade' })).json.state, 'maintenance');
            assert.equal((await mv('end_maintenance', {})).json.state, 'in_use');
            assert.equal((await mv('retire', { reason: 'replaced' }, 'desk')).status, 403);
            // Service desk reads, but does not write.
            assert.equal((await api('POST', '/api/v1/cis', { body: { title: 'x', ci_id: 'Y-1', class: 'server' }, token: tok('desk') })).status, 403);
        });

        test('cmdb-2 relationships are typed, directed and read from both ends', async () => {
            const srvA = await ci({ title: 'Server A', ci_id: 'SRV-A-0001', class: 'server' });
            const app = await ci({ title: 'Billing app', ci_id: 'Billing-3.1-APP01', class: 'application' });
            const r = await relate(srvA, 'hosts', app);
            assert.deepEqual([r.source, r.type, r.target], [srvA.number, 'hosts', app.number]);
            const again = await api('POST', `/api/v1/cis/${srvA.number}/relations`, { body: { type: 'hosts', target: app.number }, token: tok('cfg') });
            assert.equal(again.status, 409);
            const bad = await api('POST', `/api/v1/cis/${srvA.number}/relations`, { body: { type: 'likes', target: 'CI-999999' }, token: tok('cfg') });
            assert.equal(bad.status, 400);
            assert.deepEqual(fieldErrors(bad), ['type:enum']);
            const missing = await api('POST', `/api/v1/cis/${srvA.number}/relations`, { body: { type: 'hosts', target: 'CI-999999' }, token: tok('cfg') });
            assert.equal(missing.status, 400);
            assert.deepEqual(fieldErrors(missing), ['target:ci_target']);
            const self = await api('POST', `/api/v1/cis/${srvA.number}/relations`, { body: { type: 'hosts', target: srvA.number }, token: tok('cfg') });
            assert.deepEqual(fieldErrors(self), ['target:relation_self']);
            assert.equal((await api('POST', `/api/v1/cis/${srvA.number}/relations`, { body: { type: 'hosts', target: app.number }, token: tok('desk') })).status, 403);

            const out = (await api('GET', `/api/v1/cis/${srvA.number}/relations`, { token: tok('desk') })).json.items;
            assert.equal(out.length, 1);
            assert.equal(out[0].direction, 'outgoing');
            assert.equal(out[0].ci.ci_id, 'Billing-3.1-APP01');
            assert.equal(out[0].other_depends_on_this, true);
            const inc = (await api('GET', `/api/v1/cis/${app.number}/relations`, { token: tok('desk') })).json.items;
            assert.equal(inc.length, 1);
            assert.equal(inc[0].direction, 'incoming');
            assert.equal(inc[0].source, srvA.number);
            assert.equal(inc[0].other_depends_on_this, false);
            // Kept in both CIs' history and audited.
            const hist = (await api('GET', `/api/v1/cis/${app.number}/history`)).json.items;
            assert.ok(hist.some((h) => h.action === 'relate' && h.field === 'relations' && h.new.target === app.number));
            // Removal, then a second removal is 404.
            const del = await api('DELETE', `/api/v1/cis/${srvA.number}/relations?type=hosts&target=${app.number}`, { token: tok('cfg') });
            assert.equal(del.status, 204, del.text);
            assert.equal((await api('DELETE', `/api/v1/cis/${srvA.number}/relations?type=hosts&target=${app.number}`, { token: tok('cfg') })).status, 404);
            assert.equal((await api('GET', `/api/v1/cis/${app.number}/relations`)).json.items.length, 0);
            const audit = (await api('GET', '/api/v1/audit?limit=50')).json.items.map((e) => e.action);
            assert.ok(audit.includes('ci.relate') && audit.includes('ci.unrelate'));
        });

        test('cmdb-3 impact analysis up to the business services and down to what they need', async () => {
            // service -uses-> app -depends_on-> db -runs_on-> server <-connects_to- (switch is a dependency)
            //                 app -runs_on-> server2;  server2 hosted by nothing; backup backs_up db.
            const svc = await ci({ title: 'CRM', ci_id: 'CRM-Prod-Shanghai', class: 'business_service', business_impact: 'high' });
            const app = await ci({ title: 'CRM app', ci_id: 'CRM-App-7.2-01', class: 'application' });
            const db = await ci({ title: 'CRM database', ci_id: 'MySQL-8.0-CRM01', class: 'database', business_impact: 'high' });
            const host = await ci({ title: 'DB host', ci_id: 'SRV-DB-0001', class: 'server' });
            const sw = await ci({ title: 'Access switch', ci_id: 'ASW-0001', class: 'network_device' });
            const backup = await ci({ title: 'Backup appliance', ci_id: 'BKP-0001', class: 'storage', business_impact: 'low' });
            await relate(svc, 'uses', app);
            await relate(app, 'depends_on', db);
            await relate(db, 'runs_on', host);
            await relate(host, 'connects_to', sw);
            await relate(backup, 'backs_up', db);

            // Up from the switch: host (1), db (2), app and backup? backup depends on nothing it backs up.
            const up = await impact(sw, 'direction=up&depth=5');
            assert.equal(up.status, 200, up.text);
            const byNum = Object.fromEntries(up.json.nodes.map((n) => [n.number, n]));
            assert.equal(byNum[host.number].depth, 1);
            assert.equal(byNum[host.number].relation, 'connects_to');
            assert.equal(byNum[db.number].depth, 2);
            assert.equal(byNum[app.number].depth, 3);
            assert.equal(byNum[svc.number].depth, 4);
            assert.equal(byNum[svc.number].from, app.number);
            assert.equal(byNum[svc.number].path, undefined, 'paths only on request');
            assert.equal(up.json.hidden, 0);
            const withPaths = await impact(sw, 'direction=up&depth=5&paths=true');
            const pathOf = Object.fromEntries(withPaths.json.nodes.map((n) => [n.number, n.path]));
            assert.deepEqual(pathOf[svc.number], [sw.number, host.number, db.number, app.number, svc.number]);
            assert.deepEqual(pathOf[host.number], [sw.number, host.number]);
            assert.equal(byNum[backup.number], undefined);
            assert.deepEqual(up.json.business_services, [svc.number]);
            assert.equal(up.json.highest_business_impact, 'high');
            assert.ok(up.json.edges.some((e) => e.source === app.number && e.type === 'depends_on' && e.target === db.number));
            // Depth bounds the walk.
            const shallow = await impact(sw, 'direction=up&depth=2');
            assert.deepEqual(shallow.json.nodes.map((n) => n.number).sort(), [host.number, db.number].sort());
            assert.deepEqual(shallow.json.business_services, []);
            // Down from the service: app, db, host, switch and the backup (db depends on its backup).
            const down = await impact(svc, 'direction=down');
            assert.equal(down.json.depth, 5);
            const d = Object.fromEntries(down.json.nodes.map((n) => [n.number, n.depth]));
            assert.deepEqual(d, { [app.number]: 1, [db.number]: 2, [host.number]: 3, [backup.number]: 3, [sw.number]: 4 });
            // Bad queries name the parameter.
            assert.deepEqual(fieldErrors(await impact(svc, 'direction=sideways')), ['direction:direction']);
            assert.deepEqual(fieldErrors(await impact(svc, 'depth=11')), ['depth:too_large']);
            assert.deepEqual(fieldErrors(await impact(svc, 'depth=0')), ['depth:too_small']);
            assert.deepEqual(fieldErrors(await impact(svc, 'paths=yes')), ['paths:type_bool']);
            assert.equal((await api('GET', '/api/v1/cis/CI-999999/impact')).status, 404);
        });

        test('cmdb-4 cycles end where they close', async () => {
            const a = await ci({ title: 'Cycle A', ci_id: 'CYC-A', class: 'application' });
            const b = await ci({ title: 'Cycle B', ci_id: 'CYC-B', class: 'application' });
            const c = await ci({ title: 'Cycle C', ci_id: 'CYC-C', class: 'middleware' });
            await relate(a, 'depends_on', b);
            await relate(b, 'depends_on', c);
            await relate(c, 'depends_on', a);
            const down = await impact(a, 'direction=down&depth=10');
            assert.equal(down.status, 200);
            assert.deepEqual(down.json.nodes.map((n) => [n.number, n.depth]), [[b.number, 1], [c.number, 2]]);
            assert.ok(down.json.edges.some((e) => e.source === c.number && e.target === a.number));
            const up = await impact(a, 'direction=up&depth=10');
            assert.deepEqual(up.json.nodes.map((n) => [n.number, n.depth]), [[c.number, 1], [b.number, 2]]);
        });

        test('cmdb-4b impact and relations walk through CIs outside the caller\'s data scope without naming them (S5)', async () => {
            for (const g of ['team-in', 'team-out']) assert.equal((await api('POST', '/api/v1/groups', { body: { name: g } })).status, 201);
            assert.equal((await api('POST', '/api/v1/groups/team-in/members', { body: { username: 'scoped' } })).status, 200);
            assert.equal((await api('PUT', '/api/v1/users/scoped/access', { body: { data_scope: 'group' } })).status, 200);
            const as = { token: tok('scoped') };
            // switch (in) <- host (out) <- db (out) <- app (in) <- service (in)
            const sw = await ci({ title: 'Scope switch', ci_id: 'SC-SW', class: 'network_device', group: 'team-in' });
            const host = await ci({ title: 'Secret host', ci_id: 'SC-HOST-SECRET', class: 'server', group: 'team-out' });
            const db = await ci({ title: 'Secret database', ci_id: 'SC-DB-SECRET', class: 'database', business_impact: 'high', group: 'team-out' });
            const app = await ci({ title: 'Scope app', ci_id: 'SC-APP', class: 'application', business_impact: 'low', group: 'team-in' });
            const svc = await ci({ title: 'Scope service', ci_id: 'SC-SVC', class: 'business_service', business_impact: 'low', group: 'team-in' });
            await relate(host, 'connects_to', sw);
            await relate(db, 'runs_on', host);
            await relate(app, 'depends_on', db);
            await relate(svc, 'uses', app);

            const up = await api('GET', `/api/v1/cis/${sw.number}/impact?direction=up&depth=5&paths=true`, as);
            assert.equal(up.status, 200, up.text);
            for (const secret of [host.number, db.number, 'Secret', 'SC-HOST', 'SC-DB', 'database', 'server'])
                assert.ok(!up.text.includes(secret), `the answer tells ${secret}`);
            assert.equal(up.json.count, 4);
            assert.equal(up.json.hidden, 2);
            assert.deepEqual(up.json.nodes.slice(0, 2), [
                { hidden: true, ref: 'hidden-1', depth: 1, relation: 'connects_to', from: sw.number, path: [sw.number, 'hidden-1'] },
                { hidden: true, ref: 'hidden-2', depth: 2, relation: 'runs_on', from: 'hidden-1', path: [sw.number, 'hidden-1', 'hidden-2'] },
            ]);
            const byNum = Object.fromEntries(up.json.nodes.filter((n) => n.number).map((n) => [n.number, n]));
            assert.equal(byNum[app.number].from, 'hidden-2');
            assert.equal(byNum[app.number].depth, 3);
            assert.equal(byNum[svc.number].title, 'Scope service');
            assert.deepEqual(byNum[svc.number].path, [sw.number, 'hidden-1', 'hidden-2', app.number, svc.number]);
            // The visible business service is reached; the hidden database's "high" is not told.
            assert.deepEqual(up.json.business_services, [svc.number]);
            assert.equal(up.json.highest_business_impact, 'low');
            assert.ok(up.json.edges.some((e) => e.source === app.number && e.type === 'depends_on' && e.target === 'hidden-2'));
            // A CI outside the scope cannot be the start; its relations are counted, not shown.
            assert.equal((await api('GET', `/api/v1/cis/${db.number}/impact`, as)).status, 404);
            const rel = await api('GET', `/api/v1/cis/${app.number}/relations`, as);
            assert.equal(rel.status, 200, rel.text);
            assert.deepEqual(rel.json.items.map((i) => i.ci.number), [svc.number]);
            assert.equal(rel.json.hidden, 1);
            assert.ok(!rel.text.includes(db.number));
            // The CLI prints a hidden CI by its ref.
            const cli = cliResult(['records', 'impact', 'cis', sw.number, '--direction', 'up'], { env: { OPSLEDGER_URL: srv.url, OPSLEDGER_TOKEN: tok('scoped') } });
            assert.equal(cli.status, 0, cli.stderr);
            assert.match(cli.stdout, new RegExp(`^1  hidden-1  \\(outside your data scope\\)  \\(connects_to ${sw.number}\\)$`, 'm'));
            assert.match(cli.stdout, new RegExp(`^3  ${app.number}  SC-APP  application  Scope app  \\(depends_on hidden-2\\)$`, 'm'));
            assert.ok(!cli.stdout.includes(host.number) && !cli.stdout.includes('Secret'));
            // Without a data scope every CI is named.
            const all = await api('GET', `/api/v1/cis/${sw.number}/impact?direction=up&depth=5`, { token: tok('desk') });
            assert.equal(all.json.hidden, 0);
            assert.deepEqual(all.json.nodes.map((n) => n.number), [host.number, db.number, app.number, svc.number]);
            assert.equal(all.json.highest_business_impact, 'high');
        });

        test('cmdb-5 discovery upserts by ci_id, idempotently, reporting what changed', async () => {
            const body = { title: 'Web server 7', class: 'server', business_impact: 'low', ip_address: '10.0.0.7', sw_version: 'RHEL 9.2' };
            const first = await api('PUT', '/api/v1/cis/by-id/SRV-WEB-0007', { body, token: tok('cfg') });
            assert.equal(first.status, 201, first.text);
            assert.equal(first.json.status, 'created');
            assert.equal(first.json.record.ci_id, 'SRV-WEB-0007');
            const number = first.json.number;
            const same = await api('PUT', '/api/v1/cis/by-id/SRV-WEB-0007', { body, token: tok('cfg') });
            assert.equal(same.status, 200);
            assert.equal(same.json.status, 'unchanged');
            assert.deepEqual(same.json.fields, []);
            assert.equal(same.json.record.version, 1);
            const changed = await api('PUT', '/api/v1/cis/by-id/SRV-WEB-0007', { body: { ...body, sw_version: 'RHEL 9.4' }, token: tok('cfg') });
            assert.equal(changed.json.status, 'changed');
            assert.deepEqual(changed.json.fields, ['sw_version']);
            assert.equal(changed.json.number, number);
            assert.equal(changed.json.record.version, 2);
            const hist = (await api('GET', `/api/v1/cis/${number}/history`)).json.items;
            assert.ok(hist.some((h) => h.field === 'sw_version' && h.old === 'RHEL 9.2' && h.new === 'RHEL 9.4'));
            // A ci_id in the body must match the URL; ci_ids are plain.
            assert.deepEqual(fieldErrors(await api('PUT', '/api/v1/cis/by-id/SRV-WEB-0007', { body: { ci_id: 'OTHER' }, token: tok('cfg') })), ['ci_id:bad_filter']);
            assert.equal((await api('PUT', '/api/v1/cis/by-id/SRV-WEB-0008', { body, token: tok('desk') })).status, 403);

            // A batch: one new, one changed, one unchanged.
            const batch = await api('POST', '/api/v1/cis/discovery', {
                body: {
                    items: [
                        { ci_id: 'SRV-WEB-0008', title: 'Web server 8', class: 'server', business_impact: 'low' },
                        { ci_id: 'SRV-WEB-0007', ip_address: '10.0.0.70' },
                        { ci_id: 'SRV-WEB-0007x', title: 'Web server 7x', class: 'server', business_impact: 'low' },
                    ],
                },
                token: tok('cfg'),
            });
            assert.equal(batch.status, 200, batch.text);
            assert.deepEqual([batch.json.created, batch.json.changed, batch.json.unchanged, batch.json.invalid], [2, 1, 0, 0]);
            assert.deepEqual(batch.json.report[1].fields, ['ip_address']);
            const rerun = await api('POST', '/api/v1/cis/discovery', {
                body: { items: [{ ci_id: 'SRV-WEB-0008', title: 'Web server 8', class: 'server', business_impact: 'low' }] },
                token: tok('cfg'),
            });
            assert.equal(rerun.json.report[0].status, 'unchanged');
            // An invalid item refuses the batch (all or nothing); partial writes the valid ones.
            const items = [
                { ci_id: 'SRV-WEB-0009', title: 'Web server 9', class: 'server', business_impact: 'low' },
                { ci_id: 'SRV-WEB-0010', title: 'Web server 10', class: 'fridge' },
                { ci_id: 'SRV-WEB-0009', title: 'again', class: 'server' },
            ];
            const refused = await api('POST', '/api/v1/cis/discovery', { body: { items }, token: tok('cfg') });
            assert.equal(refused.status, 400, refused.text);
            assert.deepEqual(refused.json.errors.map((e) => `${e.row}:${e.field}:${e.code}`), ['2:class:enum', '3:ci_id:duplicate_in_batch']);
            assert.equal((await api('GET', '/api/v1/cis?ci_id=SRV-WEB-0009')).json.items.length, 0);
            const partial = await api('POST', '/api/v1/cis/discovery', { body: { items, mode: 'partial' }, token: tok('cfg') });
            assert.equal(partial.status, 200, partial.text);
            assert.deepEqual(partial.json.report.map((r) => r.status), ['created', 'invalid', 'invalid']);
            assert.equal((await api('GET', '/api/v1/cis?ci_id=SRV-WEB-0009')).json.items.length, 1);
            const audit = (await api('GET', '/api/v1/audit?limit=100')).json.items.map((e) => e.action);
            assert.ok(audit.includes('ci.discovery'));
        });

        test('cmdb-6 CSV and JSON import: per-row report, all or nothing by default', async () => {
            const csv = 'ci_id,title,class,business_impact,tags,location\r\n' +
                'FW-Policy-V3-20250615,"Firewall policy, v3",document,medium,security;baseline,HQ\r\n' +
                'NAS-0001,NAS one,storage,high,,DC2\r\n' +
                'NAS-0002,NAS two,storage,urgent,,DC2\r\n';
            const bad = await api('POST', '/api/v1/cis/import', { body: { format: 'csv', data: csv }, token: tok('cfg') });
            assert.equal(bad.status, 400, bad.text);
            assert.deepEqual(bad.json.errors.map((e) => `${e.row}:${e.field}:${e.code}`), ['4:business_impact:enum']);
            assert.equal((await api('GET', '/api/v1/cis?ci_id=NAS-0001')).json.items.length, 0);
            const good = await api('POST', '/api/v1/cis/import', { body: { format: 'csv', data: csv.replace('urgent', 'low') }, token: tok('cfg') });
            assert.equal(good.status, 200, good.text);
            assert.equal(good.json.created, 3);
            assert.deepEqual(good.json.report.map((r) => r.row), [2, 3, 4]);
            const fw = (await api('GET', '/api/v1/cis?ci_id=FW-Policy-V3-20250615')).json.items[0];
            assert.equal(fw.title, 'Firewall policy, v3');
            assert.deepEqual(fw.tags, ['security', 'baseline']);
            assert.equal(fw.category, 'document');
            // The same file again changes nothing.
            const again = await api('POST', '/api/v1/cis/import', { body: { format: 'csv', data: csv.replace('urgent', 'low') }, token: tok('cfg') });
            assert.equal(again.json.unchanged, 3);
            // A header naming no field, broken CSV, JSON items.
            assert.deepEqual(fieldErrors(await api('POST', '/api/v1/cis/import', { body: { format: 'csv', data: 'ci_id,colour\nA,red\n' }, token: tok('cfg') })), ['colour:unknown']);
            assert.deepEqual(fieldErrors(await api('POST', '/api/v1/cis/import', { body: { format: 'csv', data: 'ci_id,title\n"A,b\n' }, token: tok('cfg') })), ['data:csv']);
            assert.deepEqual(fieldErrors(await api('POST', '/api/v1/cis/import', { body: { format: 'xml', data: '' }, token: tok('cfg') })), ['format:import_format']);
            const js = await api('POST', '/api/v1/cis/import', { body: { format: 'json', items: [{ ci_id: 'NAS-0003', title: 'NAS three', class: 'storage', business_impact: 'low' }] }, token: tok('cfg') });
            assert.equal(js.status, 200, js.text);
            assert.equal(js.json.report[0].status, 'created');
            assert.equal((await api('POST', '/api/v1/cis/import', { body: { format: 'json', items: [] }, token: tok('eng') })).status, 403);
        });

        test('cmdb-8 baselines: a compliance scan reports drift and opens one incident per deviation', async () => {
            const mk = (id, fields) => ci({ title: id, ci_id: id, class: 'operating_system', ...fields });
            const good = await mk('OS-BASE-1', { sw_version: 'RHEL 9.4', tags: ['pci', 'hardened'] });
            const drift = await mk('OS-BASE-2', { sw_version: 'RHEL 9.2', tags: ['pci'], business_impact: 'high' });
            const notag = await mk('OS-BASE-3', { sw_version: 'RHEL 9.4', tags: [] });
            await mk('OS-BASE-TEST', { sw_version: 'RHEL 8', environment: 'test' });
            const bad = await api('POST', '/api/v1/ci_baselines', { body: { title: 'Broken', class: 'operating_system', expected: ['nonsense'] }, token: tok('cfg') });
            assert.equal(bad.status, 201);
            const act = await api('POST', `/api/v1/ci_baselines/${bad.json.number}/transitions/activate`, { body: {}, token: tok('cfg') });
            assert.equal(act.status, 403); // config_admin may draft; the configuration manager activates
            const bl = await api('POST', '/api/v1/ci_baselines', {
                body: { title: 'Production OS', class: 'operating_system', environment: 'production', expected: ['sw_version=RHEL 9.4', 'tags=pci'] },
                token: tok('cfg'),
            });
            assert.equal(bl.status, 201, bl.text);
            assert.equal((await api('POST', `/api/v1/ci_baselines/${bl.json.number}/transitions/activate`, { body: {} })).status, 200);
            assert.equal((await api('POST', `/api/v1/ci_baselines/${bad.json.number}/transitions/activate`, { body: {} })).status, 400);

            const scan = await api('POST', '/api/v1/cis/compliance-scan', { body: {}, token: tok('cfg') });
            assert.equal(scan.status, 200, scan.text);
            assert.equal(scan.json.checked, 3); // the test-environment CI is outside the baseline
            assert.equal(scan.json.compliant, 1);
            assert.equal(scan.json.meets_target, false);
            assert.equal(scan.json.target, 95);
            const byCi = Object.fromEntries(scan.json.deviations.map((d) => [d.ci, d]));
            assert.deepEqual(byCi[drift.number].deviations, [{ field: 'sw_version', expected: 'RHEL 9.4', actual: 'RHEL 9.2' }]);
            assert.deepEqual(byCi[notag.number].deviations, [{ field: 'tags', expected: 'pci', actual: [] }]);
            assert.equal(byCi[good.number], undefined);
            const inc = await api('GET', `/api/v1/incidents/${byCi[drift.number].incident}`);
            assert.equal(inc.status, 200, inc.text);
            assert.equal(inc.json.ci, 'OS-BASE-2');
            assert.equal(inc.json.impact, 'high');
            assert.equal(inc.json.classification, 'configuration_change');
            assert.equal(inc.json.reporter, 'cfg');
            // A second scan opens nothing new while the deviation stands.
            const again = await api('POST', '/api/v1/cis/compliance-scan', { body: { baseline: bl.json.number }, token: tok('cfg') });
            assert.ok(again.json.deviations.every((d) => d.incident_opened === false));
            assert.equal(again.json.deviations.find((d) => d.ci === drift.number).incident, byCi[drift.number].incident);
            // Fixed, then drifting again: a new incident.
            const fix = await api('PATCH', `/api/v1/cis/${drift.number}`, { body: { sw_version: 'RHEL 9.4', change_ref: REF }, headers: { 'If-Match': '"1"' }, token: tok('cfg') });
            assert.equal(fix.status, 200, fix.text);
            assert.equal(fix.json.last_change_ref, REF); // K5: kept; the next change names its own
            assert.equal(fix.json.change_ref, null);
            const third = await api('POST', '/api/v1/cis/compliance-scan', { body: {}, token: tok('cfg') });
            assert.equal(third.json.compliant, 2);
            await api('PATCH', `/api/v1/cis/${drift.number}`, { body: { sw_version: 'RHEL 9.0', change_ref: REF }, headers: { 'If-Match': '"2"' }, token: tok('cfg') });
            const fourth = await api('POST', '/api/v1/cis/compliance-scan', { body: {}, token: tok('cfg') });
            const d4 = fourth.json.deviations.find((d) => d.ci === drift.number);
            assert.equal(d4.incident_opened, true);
            assert.notEqual(d4.incident, byCi[drift.number].incident);
            assert.equal((await api('POST', '/api/v1/cis/compliance-scan', { body: {}, token: tok('desk') })).status, 403);
            assert.equal((await api('POST', '/api/v1/cis/compliance-scan', { body: { baseline: 'BL-999999' }, token: tok('cfg') })).status, 404);
            const r = cliResult(['records', 'scan', 'cis', '--fields', JSON.stringify({ open_incidents: false })], { env: { OPSLEDGER_URL: srv.url, OPSLEDGER_TOKEN: tok('cfg') } });
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /checked 3, compliant 1, deviating 2: 33\.33 % \(target 95 %: not met\)/);
        });

        test('cmdb-9 audits by sampling: sample, findings with corrections, accuracy report', async () => {
            for (let k = 0; k < 20; k++)
                await ci({ title: `Audit API ${k}`, ci_id: `API-AUD-${k}`, class: 'api', group: k < 10 ? 'team-a' : 'team-b', location: 'DC1' });
            const a = await api('POST', '/api/v1/ci_audits', { body: { title: 'Monthly check', classes: ['api'], sample_percent: 25 }, token: tok('cfg') });
            assert.equal(a.status, 201, a.text);
            const dflt = await api('POST', '/api/v1/ci_audits', { body: { title: 'Default ratio', classes: ['middleware'] }, token: tok('cfg') });
            assert.equal(dflt.json.sample_percent, 5); // cmdb_audit_sample_percent
            const bad = await api('POST', '/api/v1/ci_audits', { body: { title: 'Bad classes', classes: ['toaster'] }, token: tok('cfg') });
            const badStart = await api('POST', `/api/v1/ci_audits/${bad.json.number}/transitions/start`, { body: {}, token: tok('cfg') });
            assert.equal(badStart.status, 400, badStart.text);
            const n = a.json.number;
            assert.equal((await api('POST', `/api/v1/ci_audits/${n}/transitions/start`, { body: {}, token: tok('cfg') })).status, 200);
            const items = (await api('GET', `/api/v1/ci_audits/${n}/items?status=unaudited`, { token: tok('cfg') })).json.items;
            assert.equal(items.length, 5); // 25 % of 20
            assert.ok(items.every((i) => i.status === 'unaudited' && i.ci.class === 'api'));
            assert.equal((await api('POST', `/api/v1/ci_audits/${n}/transitions/complete`, { body: {}, token: tok('cfg') })).status, 422);
            const check = (item, body, who = 'cfg') => api('POST', `/api/v1/ci_audits/${n}/items/${item.id}`, { body, token: tok(who) });
            assert.equal((await check(items[0], { result: 'matched' })).status, 200);
            assert.deepEqual(fieldErrors(await check(items[1], { result: 'matched', corrections: { location: 'DC2' } })), ['corrections:bad_filter']);
            const fixed = await check(items[1], { result: 'mismatched', note: 'rack moved', corrections: { location: 'DC2 row 9' } });
            assert.equal(fixed.status, 200, fixed.text);
            assert.equal(fixed.json.corrected, true);
            const ciNow = await api('GET', `/api/v1/cis/${items[1].ci.number}`);
            assert.equal(ciNow.json.location, 'DC2 row 9');
            assert.equal(ciNow.json.version, 2); // an audit's correction needs no change_ref (K5)
            assert.equal((await check(items[2], { result: 'missing' })).status, 200);
            assert.equal((await check(items[3], { result: 'matched' }, 'desk')).status, 403);
            for (const it of items.slice(3)) assert.equal((await check(it, { result: 'matched' })).status, 200);
            assert.equal((await api('POST', `/api/v1/ci_audits/${n}/transitions/complete`, { body: {}, token: tok('cfg') })).status, 200);
            assert.equal((await check(items[0], { result: 'missing' })).status, 422); // completed
            const rep = (await api('GET', `/api/v1/ci_audits/${n}/report`, { token: tok('cfg') })).json;
            assert.deepEqual([rep.sampled, rep.checked, rep.matched, rep.mismatched, rep.missing, rep.corrected], [5, 5, 3, 1, 1, 1]);
            assert.equal(rep.accuracy, 60);
            assert.equal(rep.target, 98);
            assert.equal(rep.meets_target, false);
            assert.ok(rep.by_group.length >= 1 && rep.by_group.every((g) => g.checked > 0));
            const audit = (await api('GET', '/api/v1/audit?limit=100')).json.items.map((e) => e.action);
            assert.ok(audit.includes('ci.audit.sample') && audit.includes('ci.audit.check'));
            const env = { OPSLEDGER_URL: srv.url, OPSLEDGER_TOKEN: tok('cfg') };
            const r = cliResult(['records', 'audit-report', 'ci_audits', n], { env });
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /accuracy: 60/);
            const li = cliResult(['records', 'audit-items', 'ci_audits', n, '--filter', 'status=missing'], { env });
            assert.match(li.stdout, new RegExp(`${items[2].id}  missing +${items[2].ci.number}`));
        });

        test('cmdb-7 the CLI relates, reads relations and impact, discovers and imports', async () => {
            const env = { OPSLEDGER_URL: srv.url, OPSLEDGER_TOKEN: tok('cfg') };
            const a = await ci({ title: 'CLI app', ci_id: 'CLI-APP-1', class: 'application' });
            const s = await ci({ title: 'CLI service', ci_id: 'CLI-SVC-1', class: 'business_service' });
            let r = cliResult(['records', 'relate', 'cis', s.number, '--link-type', 'uses', '--target', a.number], { env });
            assert.equal(r.status, 0, r.stderr);
            r = cliResult(['records', 'relations', 'cis', a.number, '--json'], { env });
            assert.equal(r.status, 0, r.stderr);
            assert.equal(JSON.parse(r.stdout).items[0].source, s.number);
            r = cliResult(['records', 'impact', 'cis', a.number, '--direction', 'up', '--depth', '3'], { env });
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, new RegExp(`1  ${s.number}  CLI-SVC-1`));
            r = cliResult(['records', 'discover', 'cis', '--fields', JSON.stringify({ items: [{ ci_id: 'CLI-SRV-1', title: 'CLI server', class: 'server', business_impact: 'low' }] })], { env });
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /created +CLI-SRV-1/);
            r = cliResult(['records', 'import', 'cis', '--format', 'csv', '--file', '-'], { env, input: 'ci_id,title,class\nCLI-SRV-2,CLI server 2,nope\n' });
            assert.equal(r.status, 1);
            assert.match(r.stderr, /row 2: class/);
            r = cliResult(['records', 'unrelate', 'cis', s.number, '--link-type', 'uses', '--target', a.number], { env });
            assert.equal(r.status, 0, r.stderr);
        });

        test('cmdb-10 administrators add attributes to a class without a rebuild', async () => {
            const def = (body, token) => api('POST', '/api/v1/ci_attributes', { body, ...(token ? { token } : {}) });
            assert.equal((await def({ title: 'Capacity', class: 'storage', name: 'capacity_tb', kind: 'int' }, tok('cfg'))).status, 403);
            const cap = await def({ title: 'Capacity (TB)', class: 'storage', name: 'capacity_tb', kind: 'int', required: true });
            assert.equal(cap.status, 201, cap.text);
            assert.equal((await def({ title: 'Tier', class: 'storage', name: 'tier', kind: 'enum', values: ['gold', 'silver'] })).status, 201);
            assert.equal((await def({ title: 'Again', class: 'storage', name: 'capacity_tb', kind: 'string' })).status, 409);
            assert.deepEqual(fieldErrors(await def({ title: 'Bad', class: 'storage', name: 'Bad Name' })), ['name:attribute_name']);
            assert.deepEqual(fieldErrors(await def({ title: 'Enum', class: 'storage', name: 'e1', kind: 'enum' })), ['values:required']);

            const ok = await api('POST', '/api/v1/cis', { body: { title: 'SAN A', ci_id: 'SAN-ATTR-1', class: 'storage', attributes: ['capacity_tb=120', 'tier=gold'] }, token: tok('cfg') });
            assert.equal(ok.status, 201, ok.text);
            assert.deepEqual(ok.json.attributes, ['capacity_tb=120', 'tier=gold']);
            const errs = async (attributes) => fieldErrors(await api('POST', '/api/v1/cis', { body: { title: 'SAN x', ci_id: `SAN-X-${attributes.length}-${Math.random()}`.slice(0, 40), class: 'storage', attributes }, token: tok('cfg') }));
            assert.deepEqual(await errs([]), ['attributes:attribute_required']);
            assert.deepEqual(await errs(['capacity_tb=lots']), ['attributes:attribute_value']);
            assert.deepEqual(await errs(['capacity_tb=1', 'colour=red']), ['attributes:attribute_unknown']);
            assert.deepEqual(await errs(['capacity_tb=1', 'tier=bronze']), ['attributes:attribute_value']);
            // Other classes are not bound; an update that leaves attributes alone is not re-checked.
            assert.equal((await api('POST', '/api/v1/cis', { body: { title: 'Plain server', ci_id: 'SRV-ATTR-1', class: 'server' }, token: tok('cfg') })).status, 201);
            const upd = await api('PATCH', `/api/v1/cis/${ok.json.number}`, { body: { attributes: ['capacity_tb=240'], change_ref: REF }, headers: { 'If-Match': '"1"' }, token: tok('cfg') });
            assert.equal(upd.status, 200, upd.text);
            // Retired, a definition binds no more.
            const rt = await api('POST', `/api/v1/ci_attributes/${cap.json.number}/transitions/retire`, { body: { reason: 'not needed' } });
            assert.equal(rt.status, 200, rt.text);
            assert.equal((await api('POST', '/api/v1/cis', { body: { title: 'SAN B', ci_id: 'SAN-ATTR-2', class: 'storage' }, token: tok('cfg') })).status, 201);
        });
    });
}
