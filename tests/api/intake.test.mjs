// tests/api/intake.test.mjs - monitoring intake (REQUIREMENTS I1): integrations and their
// tokens (API and CLI), Alertmanager's webhook payload, the Zabbix webhook and the generic event
// API; de-duplication of repeated notifications, resolve (annotate by default, resolve by
// policy), firing again, alert-storm convergence into one parent incident, label and severity
// mapping, bad payloads (400 naming the field), bad tokens (401), people's tokens (403).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { backends, cli, cliResult, fieldErrors, startServer } from './harness.mjs';

// An Alertmanager webhook (version 4), as Alertmanager posts it.
function amPayload(alerts, status = 'firing') {
    return {
        receiver: 'opsledger',
        status,
        alerts: alerts.map((a) => ({
            status: a.status || status,
            labels: a.labels,
            annotations: a.annotations || {},
            startsAt: a.startsAt || '2026-12-06T08:00:00.123456789+08:00',
            endsAt: a.endsAt || '0001-01-01T00:00:00Z',
            generatorURL: 'http://prometheus.example:9090/graph?g0.expr=up',
            fingerprint: a.fingerprint,
        })),
        groupLabels: { alertname: alerts[0].labels.alertname },
        commonLabels: {},
        commonAnnotations: {},
        externalURL: 'http://alertmanager.example:9093',
        version: '4',
        groupKey: '{}:{alertname="x"}',
        truncatedAlerts: 0,
    };
}

for (const backend of backends()) {
    describe(`monitoring intake [${backend}]`, () => {
        let srv;
        const tokens = {};
        const api = (...a) => srv.api(...a);
        const post = (route, body, token) => api('POST', route, { body, token });
        const am = (body, token = tokens.am) => post('/api/v1/integrations/alertmanager', body, token);

        async function incident(number) {
            const res = await api('GET', `/api/v1/incidents/${number}`);
            assert.equal(res.status, 200, res.text);
            return res.json;
        }
        async function alertsOf(number) {
            const res = await api('GET', `/api/v1/incidents/${number}/alerts`);
            assert.equal(res.status, 200, res.text);
            return res.json;
        }
        async function notes(number) {
            const res = await api('GET', `/api/v1/incidents/${number}/comments`);
            assert.equal(res.status, 200, res.text);
            return (res.json.items || res.json).filter((c) => c.kind === 'work_note');
        }
        async function incidentCount() {
            const res = await api('GET', '/api/v1/incidents?limit=200');
            assert.equal(res.status, 200, res.text);
            return res.json.items.length;
        }

        before(async () => {
            srv = await startServer({
                backend,
                users: [{ name: 'desk', roles: ['service_desk'] }, { name: 'eng', roles: ['ops_engineer'] }],
                args: ['--intake_storm_threshold', '3'],
            });
            for (const [name, kind, extra] of [['am', 'alertmanager', {}], ['zbx', 'zabbix', { group: 'noc' }], ['ev', 'generic', {}],
                ['am-mapped', 'alertmanager', { labels: 'service=app;ci=node', severities: 'p1=high/low' }]]) {
                const res = await api('POST', '/api/v1/integrations', { body: { name, kind, ...extra } });
                assert.equal(res.status, 201, res.text);
                assert.match(res.json.token, /^oli_[A-Za-z0-9_-]{43}$/);
                tokens[name] = res.json.token;
            }
        });
        after(async () => {
            await srv?.stop();
        });

        test('intake-1 integrations: token shown once, listed without it, bad input named, CLI', async () => {
            const list = await api('GET', '/api/v1/integrations');
            assert.equal(list.status, 200, list.text);
            assert.deepEqual(list.json.items.map((i) => i.name), ['am', 'am-mapped', 'ev', 'zbx']);
            assert.ok(list.json.items.every((i) => !('token' in i) && !JSON.stringify(i).includes('oli_')));
            const one = await api('GET', '/api/v1/integrations/zbx');
            assert.equal(one.json.kind, 'zabbix');
            assert.equal(one.json.group, 'noc');
            assert.equal(one.json.actor, 'integration.zbx');
            const bad = await api('POST', '/api/v1/integrations', { body: { name: 'Bad Name', kind: 'nagios', labels: 'host=x', severities: 'p1=urgent/high', extra: 1 } });
            assert.equal(bad.status, 400, bad.text);
            assert.deepEqual(fieldErrors(bad).sort(), ['extra:unknown', 'kind:integration_kind', 'labels:policy_spec', 'name:integration_name', 'severities:policy_spec']);
            const reserved = await api('POST', '/api/v1/integrations', { body: { name: 'zabbix', kind: 'zabbix' } });
            assert.deepEqual(fieldErrors(reserved), ['name:integration_name']);
            const dup = await api('POST', '/api/v1/integrations', { body: { name: 'am', kind: 'generic' } });
            assert.equal(dup.status, 409, dup.text);
            const desk = await api('POST', '/api/v1/integrations', { body: { name: 'x', kind: 'generic' }, token: srv.tokens.desk });
            assert.equal(desk.status, 403);

            const out = cli(['integration', 'create', 'cli-ev', '--kind', 'generic', '--group', 'ops', ...srv.dbArgs]);
            const token = out.split('\n').pop();
            assert.match(token, /^oli_/);
            assert.match(cli(['integration', 'list', ...srv.dbArgs]), /cli-ev\s+generic\s+active/);
            const ok = await post('/api/v1/events', { dedupe_key: 'cli-1', summary: 'From a CLI-made integration' }, token);
            assert.equal(ok.status, 200, ok.text);
            assert.match(cli(['integration', 'revoke', 'cli-ev', ...srv.dbArgs]), /revoked/);
            const gone = await post('/api/v1/events', { dedupe_key: 'cli-2', summary: 'After revocation' }, token);
            assert.equal(gone.status, 401, gone.text);
            assert.equal(cliResult(['integration', 'revoke', 'cli-ev', ...srv.dbArgs]).status, 1);
            assert.equal(cliResult(['integration', 'create', 'x', '--kind', 'snmp', ...srv.dbArgs]).status, 1);

            const audit = await api('GET', '/api/v1/audit?action=integration.create&limit=10');
            assert.ok(audit.json.items.some((e) => e.target === 'am'), audit.text);
            const revoked = await api('GET', '/api/v1/audit?action=integration.revoke&limit=10');
            assert.ok(revoked.json.items.some((e) => e.target === 'cli-ev'), revoked.text);
        });

        test('intake-2 Alertmanager alerts open incidents with mapped fields', async () => {
            const res = await am(amPayload([
                { fingerprint: 'fp-disk', labels: { alertname: 'DiskFull', instance: 'db1:9100', service: 'billing', severity: 'critical' }, annotations: { summary: 'Disk almost full', description: 'Only 2% left on /var' } },
                { fingerprint: 'fp-lat', labels: { alertname: 'HighLatency', instance: 'api1:8080', severity: 'warning' } },
            ]));
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.received, 2);
            assert.equal(res.json.created, 2);
            const [disk, lat] = res.json.alerts;
            assert.equal(disk.action, 'created');
            const a = await incident(disk.incident);
            assert.equal(a.title, 'DiskFull: Disk almost full');
            assert.equal(a.service, 'billing');
            assert.equal(a.ci, 'db1:9100');
            assert.equal(a.impact, 'high');
            assert.equal(a.urgency, 'high');
            assert.equal(a.priority, 'high');
            assert.equal(a.reporter, 'integration.am');
            assert.equal(a.created_by, 'integration.am');
            assert.equal(a.detected_at, '2026-12-06T00:00:00Z');
            assert.match(a.description, /Only 2% left on \/var/);
            assert.match(a.description, /generatorURL|prometheus\.example/);
            const b = await incident(lat.incident);
            assert.equal(b.title, 'HighLatency on api1:8080');
            assert.equal(b.impact, 'medium');
            assert.equal(b.service ?? null, null);
            assert.equal(b.ci, 'api1:8080');
            const hist = await api('GET', `/api/v1/incidents/${a.number}/history`);
            assert.equal(hist.status, 200);
            const rec = await api('GET', `/api/v1/audit?action=record.create&actor=integration.am&limit=10`);
            assert.ok(rec.json.items.some((e) => e.target === a.number), rec.text);
            const recv = await api('GET', `/api/v1/audit?action=intake.receive&limit=10`);
            assert.ok(recv.json.items.some((e) => e.target === 'am'), recv.text);

            // The integration's own rules win over the policy.
            const m = await post('/api/v1/integrations/alertmanager', amPayload([{ fingerprint: 'fp-m', labels: { alertname: 'Down', app: 'shop', node: 'n7', severity: 'p1', service: 'ignored' } }]), tokens['am-mapped']);
            assert.equal(m.status, 200, m.text);
            const mi = await incident(m.json.alerts[0].incident);
            assert.equal(mi.service, 'shop');
            assert.equal(mi.ci, 'n7');
            assert.equal(mi.impact, 'high');
            assert.equal(mi.urgency, 'low');
        });

        test('intake-3 repeated notifications update one incident (dedupe)', async () => {
            const before = await incidentCount();
            const payload = amPayload([{ fingerprint: 'fp-disk', labels: { alertname: 'DiskFull', instance: 'db1:9100', service: 'billing', severity: 'critical' } }]);
            let number;
            for (let i = 0; i < 3; i++) {
                const res = await am(payload);
                assert.equal(res.status, 200, res.text);
                assert.equal(res.json.deduplicated, 1);
                assert.equal(res.json.created, 0);
                number = res.json.alerts[0].incident;
            }
            assert.equal(await incidentCount(), before);
            const al = await alertsOf(number);
            assert.equal(al.total, 1);
            assert.equal(al.items[0].key, 'fp-disk');
            assert.equal(al.items[0].count, 4);
            assert.equal(al.items[0].status, 'firing');
            assert.ok(al.items[0].last_seen >= al.items[0].first_seen);
            assert.equal(al.items[0].integration, 'am');
            assert.equal(al.items[0].labels.service, 'billing');
            // The same key twice in one webhook counts twice, opens nothing new.
            const twice = await am(amPayload([payload.alerts[0], payload.alerts[0]].map((x) => ({ ...x }))));
            assert.equal(twice.json.deduplicated, 2);
            assert.equal((await alertsOf(number)).items[0].count, 6);
        });

        test('intake-4 resolved alerts annotate the incident; firing again is noted too', async () => {
            const res = await am(amPayload([{ fingerprint: 'fp-lat', status: 'resolved', labels: { alertname: 'HighLatency', instance: 'api1:8080', severity: 'warning' }, endsAt: '2026-12-06T01:00:00Z' }], 'resolved'));
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.resolved, 1);
            const number = res.json.alerts[0].incident;
            const inc = await incident(number);
            assert.equal(inc.state, 'new'); // annotate (the default): people resolve it
            const n = await notes(number);
            assert.equal(n.length, 1);
            assert.match(n[0].body, /Alert resolved \(am\): HighLatency/);
            assert.equal(n[0].author, 'integration.am');
            const al = await alertsOf(number);
            assert.equal(al.items[0].status, 'resolved');
            assert.ok(al.items[0].resolved_at);
            // A repeated resolved notification changes nothing more.
            const again = await am(amPayload([{ fingerprint: 'fp-lat', status: 'resolved', labels: { alertname: 'HighLatency' } }], 'resolved'));
            assert.equal(again.json.deduplicated, 1);
            assert.equal((await notes(number)).length, 1);
            // Firing again on the open incident: a note, no new incident.
            const fire = await am(amPayload([{ fingerprint: 'fp-lat', labels: { alertname: 'HighLatency', instance: 'api1:8080' } }]));
            assert.equal(fire.json.alerts[0].action, 'firing_again');
            assert.equal(fire.json.alerts[0].incident, number);
            assert.match((await notes(number))[1].body, /firing again/);
            // A resolved alert never seen firing is ignored.
            const unknown = await am(amPayload([{ fingerprint: 'fp-never', status: 'resolved', labels: { alertname: 'Ghost' } }], 'resolved'));
            assert.equal(unknown.json.ignored, 1);
            assert.equal(unknown.json.alerts[0].incident, '');
        });

        test('intake-5 an alert whose incident was closed opens a new incident', async () => {
            const first = await post('/api/v1/events', { dedupe_key: 'reopen-1', summary: 'Queue backlog growing', ci: 'mq1' }, tokens.ev);
            const number = first.json.alerts[0].incident;
            const cancel = await api('POST', `/api/v1/incidents/${number}/transitions/cancel`, { body: { reason: 'handled elsewhere' } });
            assert.equal(cancel.status, 200, cancel.text);
            const again = await post('/api/v1/events', { dedupe_key: 'reopen-1', summary: 'Queue backlog growing', ci: 'mq1' }, tokens.ev);
            assert.equal(again.json.alerts[0].action, 'created');
            assert.notEqual(again.json.alerts[0].incident, number);
            const al = await alertsOf(again.json.alerts[0].incident);
            assert.equal(al.items[0].count, 1);
        });

        test('intake-6 alert storm: one parent incident, the rest attached and counted', async () => {
            // One webhook with 6 new alerts of one service (threshold 3): one parent at once.
            const before = await incidentCount();
            const alerts = Array.from({ length: 6 }, (_, i) => ({ fingerprint: `storm-a-${i}`, labels: { alertname: 'PodCrash', pod: `p${i}`, service: 'checkout', severity: 'critical' } }));
            const res = await am(amPayload(alerts));
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.joined_storm, 6);
            assert.equal(res.json.created, 0);
            const parents = new Set(res.json.alerts.map((a) => a.incident));
            assert.equal(parents.size, 1);
            assert.equal(await incidentCount(), before + 1);
            const [parent] = parents;
            const p = await incident(parent);
            assert.match(p.title, /Alert storm .*service:checkout/);
            assert.equal(p.service, 'checkout');
            const al = await alertsOf(parent);
            assert.equal(al.total, 6);
            assert.equal(al.storm.scope, 'service:checkout');
            assert.equal(al.storm.alerts, 6);
            assert.ok(al.items.every((a) => a.storm));

            // One alert per webhook (CI scope): 3 own incidents, the 4th opens the parent and
            // links the 3 to it, the 5th joins; repeats of members stay deduplicated.
            const numbers = [];
            for (let i = 0; i < 5; i++) {
                const r = await post('/api/v1/events', { dedupe_key: `storm-b-${i}`, summary: `Port ${i} down`, ci: 'switch-9', severity: 'warning' }, tokens.ev);
                assert.equal(r.status, 200, r.text);
                numbers.push(r.json.alerts[0]);
            }
            assert.deepEqual(numbers.map((x) => x.action), ['created', 'created', 'created', 'joined_storm', 'joined_storm']);
            const storm = numbers[3].incident;
            assert.equal(numbers[4].incident, storm);
            const sa = await alertsOf(storm);
            assert.equal(sa.storm.alerts, 5);
            assert.equal(sa.total, 2);
            const links = await api('GET', `/api/v1/incidents/${storm}/links`);
            assert.equal(links.status, 200, links.text);
            const linked = (links.json.items || links.json).map((l) => l.target || l.source || l.number);
            for (const x of numbers.slice(0, 3))
                assert.ok(JSON.stringify(links.json).includes(x.incident), `${x.incident} linked to ${storm}: ${links.text}`);
            assert.ok(linked.length >= 3);
            const rep = await post('/api/v1/events', { dedupe_key: 'storm-b-4', summary: 'Port 4 down', ci: 'switch-9' }, tokens.ev);
            assert.equal(rep.json.alerts[0].action, 'deduplicated');
            assert.equal((await alertsOf(storm)).storm.alerts, 5);
            // A storm's parent hears once that its alerts resolved: when the last one has.
            const res1 = await post('/api/v1/events', { dedupe_key: 'storm-b-3', status: 'resolved' }, tokens.ev);
            assert.equal(res1.json.resolved, 1);
            assert.equal((await notes(storm)).length, 0);
            await post('/api/v1/events', { dedupe_key: 'storm-b-4', status: 'resolved' }, tokens.ev);
            assert.equal((await notes(storm)).length, 1);
        });

        test('intake-7 Zabbix webhook: problem and recovery by event id', async () => {
            const problem = { event_id: '4711', event_value: '1', status: 'PROBLEM', trigger_name: 'High CPU load', severity: 'High', host: 'web-07', trigger_description: 'CPU > 90% for 5m', event_url: 'http://zabbix.example/tr_events.php?eventid=4711', tags: [{ tag: 'service', value: 'portal' }] };
            const res = await post('/api/v1/integrations/zabbix', problem, tokens.zbx);
            assert.equal(res.status, 200, res.text);
            const number = res.json.alerts[0].incident;
            const inc = await incident(number);
            assert.equal(inc.title, 'High CPU load on web-07');
            assert.equal(inc.ci, 'web-07');
            assert.equal(inc.service, 'portal');
            assert.equal(inc.impact, 'high');
            assert.equal(inc.group, 'noc');
            assert.equal(inc.reporter, 'integration.zbx');
            const dup = await post('/api/v1/integrations/zabbix', { ...problem, event_id: 4711 }, tokens.zbx);
            assert.equal(dup.json.deduplicated, 1);
            const ok = await post('/api/v1/integrations/zabbix', { event_id: '4711', event_value: 0, trigger_name: 'High CPU load', severity: 4, host: 'web-07' }, tokens.zbx);
            assert.equal(ok.status, 200, ok.text);
            assert.equal(ok.json.resolved, 1);
            assert.equal((await notes(number)).length, 1);
            const sev = await post('/api/v1/integrations/zabbix', { event_id: '4712', status: 'PROBLEM', trigger_name: 'Low disk', severity: '1', host: 'web-08' }, tokens.zbx);
            assert.equal((await incident(sev.json.alerts[0].incident)).impact, 'low');
        });

        test('intake-8 the generic event API', async () => {
            const res = await post('/api/v1/events', { dedupe_key: 'job-42', summary: 'Nightly backup failed', severity: 'ERROR', source: 'cron', service: 'backup', labels: { host: 'bk1' }, url: 'http://ci.example/job/42' }, tokens.ev);
            assert.equal(res.status, 200, res.text);
            const inc = await incident(res.json.alerts[0].incident);
            assert.equal(inc.title, 'Nightly backup failed');
            assert.equal(inc.service, 'backup');
            assert.equal(inc.ci, 'bk1');
            assert.equal(inc.impact, 'high');
            assert.equal(inc.urgency, 'medium');
            const unknownSev = await post('/api/v1/events', { dedupe_key: 'job-43', summary: 'Odd', severity: 'whatever' }, tokens.ev);
            assert.equal((await incident(unknownSev.json.alerts[0].incident)).impact, 'medium');
        });

        test('intake-9 bad payloads: 400 naming the field, nothing written', async () => {
            const before = await incidentCount();
            const cases = [
                ['/api/v1/integrations/alertmanager', tokens.am, { version: '4', status: 'firing' }, ['alerts:required']],
                ['/api/v1/integrations/alertmanager', tokens.am, { version: '3', alerts: [] }, ['version:enum']],
                ['/api/v1/integrations/alertmanager', tokens.am, { alerts: {} }, ['alerts:type_array']],
                ['/api/v1/integrations/alertmanager', tokens.am,
                    { alerts: [{ status: 'firing', labels: { alertname: 'Ok' }, fingerprint: 'bad-ok' }, { status: 'burning', labels: { a: 1 }, startsAt: 'yesterday' }, 'x', { labels: {} }] },
                    ['alerts[1].status:enum', 'alerts[1].labels:type_labels', 'alerts[1].startsAt:rfc3339', 'alerts[2]:type_object', 'alerts[3].status:required']],
                ['/api/v1/integrations/zabbix', tokens.zbx, { status: 'PROBLEM' }, ['event_id:required', 'trigger_name:required']],
                ['/api/v1/integrations/zabbix', tokens.zbx, { event_id: '1', status: 'MAYBE', event_value: '7', trigger_name: 'x' }, ['status:enum', 'event_value:enum']],
                ['/api/v1/integrations/zabbix', tokens.zbx, { event_id: '1', trigger_name: 'x' }, ['status:required']],
                ['/api/v1/integrations/zabbix', tokens.zbx, { event_id: '1', status: 'PROBLEM', event_value: '0', trigger_name: 'x' }, ['event_value:bad_filter']],
                ['/api/v1/events', tokens.ev, { summary: 'no key', status: 'open', extra: true }, ['extra:unknown', 'dedupe_key:required', 'status:enum']],
                ['/api/v1/events', tokens.ev, { dedupe_key: 'k', labels: ['a'] }, ['summary:required', 'labels:type_labels']],
            ];
            for (const [route, token, body, want] of cases) {
                const res = await post(route, body, token);
                assert.equal(res.status, 400, `${route} ${JSON.stringify(body)}: ${res.text}`);
                assert.match(res.headers.get('content-type'), /^application\/problem\+json/);
                assert.deepEqual(fieldErrors(res).sort(), [...want].sort(), `${route} ${JSON.stringify(body)}`);
            }
            const notJson = await api('POST', '/api/v1/events', { body: 'not json', headers: { 'Content-Type': 'application/json' }, token: tokens.ev });
            assert.equal(notJson.status, 400);
            assert.equal(await incidentCount(), before);
            const none = await api('GET', '/api/v1/incidents?limit=200');
            assert.ok(!none.json.items.some((i) => i.title.startsWith('Ok')));
        });

        test('intake-10 tokens: missing or unknown 401, a person 403, wrong kind 403, GET 405', async () => {
            const body = { dedupe_key: 'auth-1', summary: 'Auth test' };
            const none = await post('/api/v1/events', body, null);
            assert.equal(none.status, 401);
            assert.equal(none.headers.get('www-authenticate'), 'Bearer');
            assert.equal((await post('/api/v1/events', body, 'oli_not-a-real-token')).status, 401);
            assert.equal((await post('/api/v1/integrations/alertmanager', amPayload([{ labels: { alertname: 'x' } }]), 'garbage')).status, 401);
            const person = await post('/api/v1/events', body, srv.tokens.desk);
            assert.equal(person.status, 403, person.text);
            const denied = await api('GET', '/api/v1/audit?action=access.denied&actor=desk&limit=5');
            assert.ok(denied.json.items.length >= 1, denied.text);
            const kind = await post('/api/v1/events', body, tokens.am);
            assert.equal(kind.status, 403, kind.text);
            assert.match(kind.json.detail, /kind alertmanager/);
            const get = await api('GET', '/api/v1/integrations/alertmanager', { token: tokens.am });
            assert.equal(get.status, 405);
            const alerts = await api('GET', '/api/v1/incidents/INC-999999/alerts');
            assert.equal(alerts.status, 404);
            const engAlerts = await api('GET', '/api/v1/incidents/INC-000001/alerts', { token: srv.tokens.eng });
            assert.equal(engAlerts.status, 200, engAlerts.text);
        });

        test('intake-11 policies are listed and checked at start', async () => {
            const res = await api('GET', '/api/v1/policies');
            assert.equal(res.status, 200, res.text);
            const text = JSON.stringify(res.json);
            for (const key of ['intake_label_map', 'intake_severity_map', 'intake_severity_default', 'intake_resolved_action', 'intake_storm_threshold', 'intake_storm_window_seconds'])
                assert.ok(text.includes(key), key);
            for (const [key, value] of [['intake_severity_map', 'critical=urgent/high'], ['intake_label_map', 'host=instance'], ['intake_resolved_action', 'close'], ['intake_storm_window_seconds', '0'], ['intake_severity_default', 'medium']]) {
                const r = cliResult(['config', 'check', `--${key}`, value, ...srv.dbArgs]);
                assert.notEqual(r.status, 0, `${key}=${value}`);
                assert.match(r.stderr, new RegExp(key));
            }
        });
    });

    describe(`monitoring intake, resolve policy [${backend}]`, () => {
        let srv;
        let token;
        before(async () => {
            srv = await startServer({ backend, args: ['--intake_resolved_action', 'resolve', '--intake_storm_threshold', '0'] });
            const res = await srv.api('POST', '/api/v1/integrations', { body: { name: 'am', kind: 'alertmanager' } });
            token = res.json.token;
        });
        after(async () => {
            await srv?.stop();
        });

        test('intake-12 the incident resolves once all its alerts have', async () => {
            const post = (body) => srv.api('POST', '/api/v1/integrations/alertmanager', { body, token });
            const labels = { alertname: 'Down', instance: 'h1', severity: 'critical' };
            const fire = await post(amPayload([{ fingerprint: 'r1', labels }]));
            assert.equal(fire.status, 200, fire.text);
            const number = fire.json.alerts[0].incident;
            const res = await post(amPayload([{ fingerprint: 'r1', status: 'resolved', labels }], 'resolved'));
            assert.equal(res.status, 200, res.text);
            assert.equal(res.json.alerts[0].action, 'resolved_incident');
            assert.equal(res.json.resolved, 1);
            const inc = (await srv.api('GET', `/api/v1/incidents/${number}`)).json;
            assert.equal(inc.state, 'resolved');
            assert.match(inc.resolution, /Resolved by monitoring/);
            assert.ok(inc.resolved_at);
            const hist = await srv.api('GET', `/api/v1/incidents/${number}/history`);
            const moved = hist.json.items.find((h) => h.field === 'state');
            assert.deepEqual([moved.old, moved.new, moved.actor], ['new', 'resolved', 'integration.am']);
            // People cannot take the monitoring transition (only the integration's actor can).
            const again = await post(amPayload([{ fingerprint: 'r2', labels: { ...labels, instance: 'h2' } }]));
            const other = again.json.alerts[0].incident;
            const u = cliResult(['user', 'add', 'eng2', '--role', 'ops_engineer', ...srv.dbArgs], { env: { OPSLEDGER_USER_PASSWORD: 'Us3r-Passw0rd-long!' } });
            assert.equal(u.status, 0, u.stderr);
            const engToken = cli(['token', 'create', ...srv.dbArgs, '--user', 'eng2']);
            const manual = await srv.api('POST', `/api/v1/incidents/${other}/transitions/auto_resolve`, { body: { reason: 'x', fields: { resolution: 'by hand' } }, token: engToken });
            assert.equal(manual.status, 403, manual.text);
            // Firing after resolution: a new incident.
            const refire = await post(amPayload([{ fingerprint: 'r1', labels }]));
            assert.equal(refire.json.alerts[0].action, 'created');
            assert.notEqual(refire.json.alerts[0].incident, number);
        });
    });
}
