// tests/api/notify_rules.test.mjs - P7 "who is notified of what is configurable per team": rules
// send the notices of an event, a family of events or all, about one team's records (or every
// team's), to a channel besides the event's own; copies are enqueued in the notice's transaction,
// once each. Administered by API and CLI, audited, bad input refused with the field named.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BIN, backends, fieldErrors, sleep, startServer } from './harness.mjs';

for (const backend of backends()) {
    describe(`notification rules [${backend}]`, () => {
        let srv, clockFile;
        const api = (...a) => srv.api(...a);

        before(async () => {
            clockFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ol-clock-')), 'offset');
            fs.writeFileSync(clockFile, '0');
            srv = await startServer({ backend, users: [{ name: 'mgr', roles: ['ops_manager'] }], env: { OPSLEDGER_TEST_CLOCK: clockFile } });
            for (const name of ['team-a-hook', 'all-hook'])
                assert.equal((await api('POST', '/api/v1/notification_channels', { body: { name, kind: 'webhook', url: 'http://127.0.0.1:9/' } })).status, 201);
            for (const name of ['team-a', 'team-b'])
                assert.equal((await api('POST', '/api/v1/groups', { body: { name } })).status, 201);
        });
        after(async () => {
            await srv?.stop();
        });

        const notices = async (channel) => (await api('GET', `/api/v1/outbox?channel=${channel}&limit=200`)).json.items;

        test('rules-1 a team rule and an every-team rule get copies of the notices they match', async () => {
            let res = await api('POST', '/api/v1/notification_rules', { body: { event: 'sla.*', group: 'team-a', channel: 'team-a-hook' } });
            assert.equal(res.status, 201, res.text);
            assert.deepEqual({ ...res.json, id: 0, created_at: '' }, { id: 0, event: 'sla.*', group: 'team-a', channel: 'team-a-hook', created_at: '', created_by: 'admin' });
            res = await api('POST', '/api/v1/notification_rules', { body: { event: '*', channel: 'all-hook' } });
            assert.equal(res.status, 201, res.text);
            const mk = async (group) => {
                const r = await api('POST', '/api/v1/incidents', { body: { title: `Down for ${group}`, reporter: 'admin', impact: 'high', urgency: 'high', group } });
                assert.equal(r.status, 201, r.text);
                return r.json.number;
            };
            const a = await mk('team-a');
            const b = await mk('team-b');
            fs.writeFileSync(clockFile, String(9 * 60)); // 9 of 10 response minutes: the 80 % warning
            let teamA = [];
            for (let i = 0; i < 100 && teamA.length < 1; i++) {
                await sleep(100);
                teamA = await notices('team-a-hook');
            }
            await sleep(1500); // a second sweep must not add copies
            teamA = await notices('team-a-hook');
            assert.deepEqual(teamA.map((n) => [n.event, n.record]), [['sla.warning', a]], 'only team-a, once');
            const all = await notices('all-hook');
            // "*" gets the records' own events too (rules-4); the SLA warnings once each
            assert.deepEqual(all.filter((n) => n.event.startsWith('sla.')).map((n) => [n.event, n.record]).sort(), [['sla.warning', a], ['sla.warning', b]].sort());
            assert.deepEqual(all.filter((n) => n.event === 'incident.created').map((n) => n.record).sort(), [a, b].sort());
            const own = await notices('second-line'); // sla_channel still gets its own
            assert.equal(own.filter((n) => n.event === 'sla.warning').length, 2);
        });

        test('rules-2 bad rules are refused with the field named, a repeat is a conflict', async () => {
            let res = await api('POST', '/api/v1/notification_rules', { body: { event: 'SLA!', channel: 'nowhere', group: 'team-z', colour: 1 } });
            assert.equal(res.status, 400, res.text);
            assert.deepEqual(fieldErrors(res).sort(), ['colour:unknown', 'event:event_pattern']);
            res = await api('POST', '/api/v1/notification_rules', { body: { event: 'sla.breach', channel: 'nowhere', group: 'team-z' } });
            assert.equal(res.status, 400, res.text);
            assert.deepEqual(fieldErrors(res).sort(), ['channel:no_such_channel', 'group:no_such_group']);
            for (const event of ['sla*', '.x', '*.*', 'a.*b', ''])
                assert.equal((await api('POST', '/api/v1/notification_rules', { body: { event, channel: 'all-hook' } })).status, 400, event);
            res = await api('POST', '/api/v1/notification_rules', { body: { event: '*', channel: 'all-hook' } });
            assert.equal(res.status, 409, res.text);
            res = await api('POST', '/api/v1/notification_rules', { body: { event: 'problem.*', channel: 'all-hook' }, token: srv.tokens.mgr });
            assert.equal(res.status, 403, res.text);
            assert.equal((await api('GET', '/api/v1/notification_rules')).json.items.length, 2, 'nothing was added');
        });

        test('rules-3 the CLI lists, adds and removes rules; every change is audited', async () => {
            const cli = (args) => spawnSync(BIN, ['channel', ...args, ...srv.dbArgs], { encoding: 'utf8' });
            let r = spawnSync(BIN, ['channel'], { encoding: 'utf8' });
            assert.equal(r.status, 2, 'no verb: the usage, not a crash');
            assert.match(r.stderr, /usage: opsledger channel/);
            r = cli(['rule', 'all-hook', '--event', 'problem.major', '--group', 'team-b']);
            assert.equal(r.status, 0, r.stderr);
            const id = Number(/rule (\d+)/.exec(r.stdout)[1]);
            r = cli(['rules']);
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, new RegExp(`${id} +problem\\.major +team-b +all-hook`));
            r = cli(['unrule', String(id)]);
            assert.equal(r.status, 0, r.stderr);
            r = cli(['unrule', String(id)]);
            assert.equal(r.status, 1);
            const rules = (await api('GET', '/api/v1/notification_rules')).json.items;
            let res = await api('DELETE', `/api/v1/notification_rules/${rules[0].id}`);
            assert.equal(res.status, 200, res.text);
            res = await api('GET', '/api/v1/audit?action=notify_rule.create');
            assert.equal(res.json.items.length, 3);
            res = await api('GET', '/api/v1/audit?action=notify_rule.delete');
            assert.equal(res.json.items.length, 2);
        });

        test('rules-4 every record type raises created, state and assigned events a team can follow', async () => {
            assert.equal((await api('POST', '/api/v1/notification_channels', { body: { name: 'desk-hook', kind: 'webhook', url: 'http://127.0.0.1:9/' } })).status, 201);
            let res = await api('POST', '/api/v1/notification_rules', { body: { event: 'incident.*', group: 'team-b', channel: 'desk-hook' } });
            assert.equal(res.status, 201, res.text);
            res = await api('POST', '/api/v1/notification_rules', { body: { event: 'incident.state.resolved', channel: 'desk-hook' } });
            assert.equal(res.status, 201, res.text);
            const mk = async (group) => {
                const r = await api('POST', '/api/v1/incidents', { body: { title: `Printer jam for ${group}`, reporter: 'admin', group } });
                assert.equal(r.status, 201, r.text);
                return r.json.number;
            };
            const b = await mk('team-b');
            const a = await mk('team-a');
            const move = async (number, name, body = {}) => {
                const r = await api('POST', `/api/v1/incidents/${number}/transitions/${name}`, { body });
                assert.equal(r.status, 200, `${name}: ${r.text}`);
            };
            for (const n of [a, b]) {
                await move(n, 'assign', { fields: { owner: 'mgr' } });
                await move(n, 'start');
                await move(n, 'resolve', { fields: { resolution: 'Paper path cleared.' } });
            }
            const got = (await notices('desk-hook')).sort((x, y) => x.id - y.id).map((n) => [n.record, n.event]);
            assert.deepEqual(got.filter(([r]) => r === b), [
                [b, 'incident.created'], [b, 'incident.state.assigned'], [b, 'incident.assigned'],
                [b, 'incident.state.in_progress'], [b, 'incident.state.resolved'],
            ], JSON.stringify(got));
            // team-a's incident: only the every-team rule on resolution; b's resolution, matched by
            // both rules, reaches desk-hook once
            assert.deepEqual(got.filter(([r]) => r === a), [[a, 'incident.state.resolved']]);
            const one = (await notices('desk-hook')).find((n) => n.record === b && n.event === 'incident.state.resolved');
            assert.match(one.subject, new RegExp(`^Incident ${b}: Resolve \\(now resolved\\)$`));
            // no rule, nothing stored: articles raise events no rule matches
            const others = async () => (await api('GET', '/api/v1/outbox?limit=200')).json.items.filter((n) => n.channel !== 'all-hook').length;
            const before = await others();
            const art = await api('POST', '/api/v1/articles', { body: { title: 'Quiet article', body: 'Nobody follows articles here.' } });
            assert.equal(art.status, 201, art.text);
            assert.equal(await others(), before);
            const everyone = await notices('all-hook'); // the "*" rule of rules-1 does follow it
            assert.ok(everyone.some((n) => n.record === art.json.number && n.event === 'article.created'));
        });

        test('rules-4b every state of every type makes a valid event name', async () => {
            const { types } = (await api('GET', '/api/v1/schema')).json;
            for (const ty of types)
                for (const ev of [`${ty.name}.created`, `${ty.name}.assigned`, ...ty.states.map((s) => `${ty.name}.state.${s}`)])
                    assert.match(ev, /^[a-z0-9._-]{1,64}$/, ev);
        });
    });
}
