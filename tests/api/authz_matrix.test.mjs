// tests/api/authz_matrix.test.mjs - the authorisation matrix (REQUIREMENTS S5): every route is
// called as every shipped role (one account each, holding only that role) and the answer must be
// "allowed" (anything but 401/403) for exactly the roles this table names, and 403 for the rest.
// The table is written from the requirements, not read from the server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startServer } from './harness.mjs';

const ROLES = ['admin', 'auditor', 'ops_manager', 'ops_engineer', 'dev_manager', 'developer', 'test_manager',
    'tester', 'capacity_manager', 'resource_delivery', 'continuity_manager', 'infosec_manager', 'service_desk',
    'config_manager', 'config_admin', 'change_assessor', 'version_quality_manager', 'release_manager',
    'problem_manager', 'emergency_command', 'emergency_handling', 'expert_team', 'leadership', 'kb_author', 'kb_editor'];
const ALL = ROLES;
const READERS = ['admin', 'auditor']; // read-only access to administration: auditors see everything
const ADMIN = ['admin'];
const KB_WRITERS = ['admin', 'kb_author', 'kb_editor'];
const PRB_READERS = [...READERS, 'problem_manager', 'ops_engineer', 'ops_manager', 'service_desk', 'developer', 'dev_manager',
    'tester', 'test_manager', 'expert_team'];
const CMDB = ['admin', 'config_manager', 'config_admin'];

// [method, path, body, roles allowed]; {ART}, {EL} are replaced by records made for the test.
const MATRIX = [
    ['GET', '/api/v1/articles', null, ALL],
    ['POST', '/api/v1/articles', { title: 'Matrix article' }, KB_WRITERS],
    ['GET', '/api/v1/articles/{ART}', null, ALL],
    ['GET', '/api/v1/articles/{ART}/history', null, ALL],
    ['GET', '/api/v1/articles/{ART}/comments', null, ALL],
    ['POST', '/api/v1/articles/{ART}/comments', { body: 'A comment from the matrix' }, ALL.filter((r) => r !== 'auditor')],
    ['GET', '/api/v1/articles/{ART}/links', null, ALL],
    ['POST', '/api/v1/articles/{ART}/transitions/reject', { reason: 'matrix' }, ['admin', 'kb_editor']],
    ['GET', '/api/v1/search?q=matrix', null, ALL],
    ['GET', '/api/v1/articles/stats?by=state', null, ALL],
    ['GET', '/api/v1/views', null, ALL],
    ['PUT', '/api/v1/views/articles/matrix', { query: { state: 'draft' } }, ALL],
    ['PUT', '/api/v1/views/contacts/matrix', { query: {} }, [...READERS, 'service_desk', 'ops_engineer', 'ops_manager', 'infosec_manager']],
    ['DELETE', '/api/v1/views/articles/matrix', null, ALL],
    ['GET', '/api/v1/incidents/stats?by=priority', null, [...READERS, 'service_desk', 'ops_engineer', 'ops_manager', 'emergency_command', 'emergency_handling']],
    ['GET', '/api/v1/articles/export?format=json', null, [...READERS, 'kb_editor']],
    ['GET', '/api/v1/elevations/export', null, READERS],
    ['GET', '/api/v1/access_reviews/export', null, READERS],
    ['GET', '/api/v1/elevations', null, ALL],
    ['POST', '/api/v1/elevations', { title: 'Matrix elevation', user: 'u-tester', role: 'tester', reason: 'Matrix test of routes', days: 1 }, ALL.filter((r) => r !== 'auditor')],
    ['POST', '/api/v1/elevations/{EL}/transitions/reject', { reason: 'matrix' }, ['admin', 'infosec_manager']],
    ['GET', '/api/v1/access_reviews', null, [...READERS, 'infosec_manager', 'ops_manager']],
    ['POST', '/api/v1/access_reviews', { title: 'Matrix review', scope: 'privileged' }, ['admin', 'infosec_manager']],
    ['GET', '/api/v1/access_reviews/{AR}/items', null, [...READERS, 'infosec_manager', 'ops_manager']],
    ['POST', '/api/v1/access_reviews/{AR}/items/1', { decision: 'attest' }, ['admin', 'infosec_manager']],
    ['GET', '/api/v1/audit?limit=5', null, READERS],
    ['GET', '/api/v1/audit/verify', null, READERS],
    ['GET', '/api/v1/roles', null, READERS],
    ['POST', '/api/v1/roles/tester/grants', { resource: 'article', action: 'read' }, ADMIN],
    ['DELETE', '/api/v1/roles/tester/grants/article/read', null, ADMIN],
    ['GET', '/api/v1/groups', null, READERS],
    ['POST', '/api/v1/groups', { name: 'matrix-group' }, ADMIN],
    ['GET', '/api/v1/groups/matrix-fixed', null, READERS],
    ['PUT', '/api/v1/groups/matrix-fixed/roles', { roles: [] }, ADMIN],
    ['POST', '/api/v1/groups/matrix-fixed/members', { username: 'u-tester' }, ADMIN],
    ['DELETE', '/api/v1/groups/matrix-fixed/members/u-tester', null, ADMIN],
    ['GET', '/api/v1/org_units', null, READERS],
    ['POST', '/api/v1/org_units', { name: 'matrix-unit' }, ADMIN],
    ['GET', '/api/v1/org_units/matrix-ou', null, READERS],
    ['PATCH', '/api/v1/org_units/matrix-ou', { head: 'u-tester' }, ADMIN],
    ['GET', '/api/v1/users/u-tester/access', null, [...READERS, 'tester']],
    ['PUT', '/api/v1/users/u-tester/access', { roles: ['tester'] }, ADMIN],
    ['POST', '/api/v1/users', { username: 'matrix-user', password: 'Matrix-Passw0rd-9!', roles: [] }, ADMIN],
    ['GET', '/api/v1/users', null, READERS],
    ['GET', '/api/v1/policies', null, READERS],
    ['GET', '/api/v1/tokens', null, ALL],
    ['GET', '/api/v1/tokens?user=matrix-victim', null, READERS],
    ['GET', '/api/v1/users/matrix-victim', null, READERS],
    ['PATCH', '/api/v1/users/matrix-victim', { display_name: 'Matrix Victim' }, ADMIN],
    ['POST', '/api/v1/users/matrix-victim/disable', { reason: 'matrix' }, ADMIN],
    ['POST', '/api/v1/users/matrix-victim/enable', {}, ADMIN],
    ['POST', '/api/v1/users/matrix-victim/password', { password: 'Vq8#nRw3-Lx2' }, ADMIN],
    ['GET', '/api/v1/contacts', null, [...READERS, 'service_desk', 'ops_engineer', 'ops_manager', 'infosec_manager']],
    ['POST', '/api/v1/contacts', { title: 'Matrix contact', phone: '13512348888' }, ['admin', 'service_desk', 'ops_engineer', 'ops_manager']],
    ['GET', '/api/v1/contacts/{CT}?reveal=phone', null, ['admin', 'infosec_manager']],
    ['GET', '/api/v1/contacts/export', null, READERS],
    // I2-I4 incidents (a fresh new incident {INC} for each transition call).
    ['GET', '/api/v1/incidents', null, [...READERS, 'service_desk', 'ops_engineer', 'ops_manager', 'emergency_command', 'emergency_handling']],
    ['POST', '/api/v1/incidents', { title: 'Matrix incident', reporter: 'u-tester' }, ['admin', 'service_desk', 'ops_manager']],
    ['GET', '/api/v1/incidents/{INC}', null, [...READERS, 'service_desk', 'ops_engineer', 'ops_manager', 'emergency_command', 'emergency_handling']],
    ['POST', '/api/v1/incidents/{INC}/transitions/assign', { fields: { owner: 'u-tester' } }, ['admin', 'service_desk', 'ops_manager']],
    ['GET', '/api/v1/incidents/export', null, [...READERS, 'ops_manager']],
    // V1-V3 catalog, requests, surveys, complaints and their reports ({SVC} an active service;
    // a fresh draft service {SVCD}, request {REQ} of u-tester and complaint {CMP} for each call).
    ['GET', '/api/v1/services', null, ALL],
    ['POST', '/api/v1/services', { title: 'Matrix service', owner: 'u-tester' }, ['admin', 'ops_engineer', 'ops_manager']],
    ['POST', '/api/v1/services/{SVCD}/transitions/publish', null, ['admin', 'ops_manager']],
    ['GET', '/api/v1/requests', null, ALL],
    ['POST', '/api/v1/requests', { title: 'Matrix request', service: '{SVC}' }, ALL.filter((r) => r !== 'auditor')],
    ['POST', '/api/v1/requests/{REQ}/transitions/approve', null, ['admin', 'ops_manager']],
    ['GET', '/api/v1/requests/export', null, [...READERS, 'service_desk', 'ops_manager']],
    ['GET', '/api/v1/surveys', null, ALL],
    ['GET', '/api/v1/complaints', null, ALL],
    ['POST', '/api/v1/complaints', { title: 'Matrix complaint', description: 'Matrix' }, ALL.filter((r) => r !== 'auditor')],
    ['POST', '/api/v1/complaints/{CMP}/transitions/take', { fields: { owner: 'u-tester' } }, ['admin', 'service_desk', 'ops_engineer', 'ops_manager']],
    ['GET', '/api/v1/reports/complaints', null, [...READERS, 'ops_manager']],
    ['GET', '/api/v1/reports/satisfaction?format=csv', null, [...READERS, 'service_desk', 'ops_manager']],
    // I4 SLA: a record's timers (read on the type), the due list (read on a type with targets),
    // the report (export on such a type).
    ['GET', '/api/v1/incidents/{INC}/sla', null, [...READERS, 'service_desk', 'ops_engineer', 'ops_manager', 'emergency_command', 'emergency_handling']],
    ['GET', '/api/v1/sla/due?within=2h', null, [...READERS, 'service_desk', 'ops_engineer', 'ops_manager', 'emergency_command', 'emergency_handling']],
    ['GET', '/api/v1/reports/sla?month=2026-11', null, [...READERS, 'ops_manager']],
    ['GET', '/api/v1/reports/sla?format=csv', null, [...READERS, 'ops_manager']],
    // I1 monitoring intake: integrations (a fixture 'matrix-int'), an incident's alerts, and the
    // intake routes, which take an integration's token only: a person's token is refused.
    ['GET', '/api/v1/incidents/{INC}/alerts', null, [...READERS, 'service_desk', 'ops_engineer', 'ops_manager', 'emergency_command', 'emergency_handling']],
    ['GET', '/api/v1/integrations', null, READERS],
    ['POST', '/api/v1/integrations', { name: 'matrix-new-int', kind: 'generic' }, ADMIN],
    ['GET', '/api/v1/integrations/matrix-int', null, READERS],
    ['POST', '/api/v1/integrations/alertmanager', { version: '4', alerts: [] }, []],
    ['POST', '/api/v1/integrations/zabbix', { event_id: '1', status: 'PROBLEM', trigger_name: 'Matrix' }, []],
    ['POST', '/api/v1/events', { dedupe_key: 'matrix', summary: 'Matrix event' }, []],
    ['DELETE', '/api/v1/integrations/matrix-int', null, ADMIN],
    // Q1-Q4 problems (a fresh new problem {PRB} for each call) and the KEDB suggestions (Q3).
    ['GET', '/api/v1/problems', null, PRB_READERS],
    ['POST', '/api/v1/problems', { title: 'Matrix problem' }, ['admin', 'problem_manager', 'ops_engineer', 'ops_manager', 'developer', 'tester']],
    ['GET', '/api/v1/problems/{PRB}', null, PRB_READERS],
    ['POST', '/api/v1/problems/{PRB}/transitions/assign', { fields: { owner: 'u-tester' } }, ['admin', 'problem_manager', 'ops_manager']],
    ['GET', '/api/v1/problems/export', null, [...READERS, 'problem_manager', 'ops_manager']],
    ['GET', '/api/v1/known_errors/suggest?q=matrix', null, ALL],
    // I5-I9: regulatory reports, the timeline, reviews and actions ({INC}, {PIR}, {ACT} fresh for
    // each call), the KPI report (export on incidents).
    ['GET', '/api/v1/incident-reports', null, [...READERS, 'service_desk', 'ops_engineer', 'ops_manager', 'emergency_command', 'emergency_handling', 'problem_manager']],
    ['POST', '/api/v1/incident-reports', { incident: '{INC}', kind: 'initial', recipient: 'Matrix regulator', text: 'Matrix' }, ['admin', 'emergency_command', 'ops_manager']],
    ['GET', '/api/v1/timeline', null, [...READERS, 'service_desk', 'ops_engineer', 'ops_manager', 'emergency_command', 'emergency_handling', 'problem_manager']],
    ['POST', '/api/v1/timeline', { incident: '{INC}', kind: 'update', text: 'Matrix update' }, ['admin', 'emergency_command', 'emergency_handling', 'ops_manager', 'ops_engineer', 'service_desk']],
    ['GET', '/api/v1/reviews/{PIR}', null, [...READERS, 'service_desk', 'ops_engineer', 'ops_manager', 'emergency_command', 'emergency_handling', 'problem_manager']],
    ['POST', '/api/v1/reviews', { title: 'Matrix review', source: '{INC}' }, ['admin', 'ops_manager', 'problem_manager', 'emergency_command']],
    ['POST', '/api/v1/actions', { title: 'Matrix action', source: '{INC}', owner: 'u-tester', due_at: '2030-01-01T00:00:00Z' }, ['admin', 'ops_engineer', 'ops_manager', 'problem_manager', 'emergency_command', 'emergency_handling']],
    ['POST', '/api/v1/actions/{ACT}/transitions/done', { fields: { outcome: 'Matrix' } }, ['admin', 'ops_engineer', 'ops_manager', 'problem_manager', 'emergency_command', 'emergency_handling']],
    ['GET', '/api/v1/reports/incidents', null, [...READERS, 'ops_manager']],
    ['GET', '/api/v1/reports/incidents?format=csv&group=matrix', null, [...READERS, 'ops_manager']],
    // C1-C9 changes ({CHG}: a fresh change in assessment for each call), models, freezes, the
    // schedule dry run (create or update on changes) and the KPI report (export on changes).
    ['GET', '/api/v1/changes', null, ALL],
    ['POST', '/api/v1/changes', { title: 'Matrix change' }, ['admin', 'ops_engineer', 'ops_manager', 'release_manager']],
    ['GET', '/api/v1/changes/{CHG}', null, ALL],
    ['POST', '/api/v1/changes/{CHG}/transitions/assess', { fields: { risk_assessment: 'Matrix', dr_sync: 'not_required' } }, ['admin', 'change_assessor', 'ops_manager']],
    ['GET', '/api/v1/changes/check?category=network_device_restart&planned_start=2030-01-01T06:00:00Z&planned_end=2030-01-01T07:00:00Z', null, ['admin', 'ops_engineer', 'ops_manager', 'release_manager', 'change_assessor', 'expert_team', 'leadership', 'emergency_command']],
    // C6: the leadership's approval is the leadership's; an emergency approval is open to whoever
    // may update changes at the route, and narrowed by its guard to the head of the requester's
    // unit (or the fallback roles) - {CHG} is in assessment, so the allowed get 422.
    ['POST', '/api/v1/changes/{CHG}/transitions/approve_leadership', {}, ['admin', 'leadership']],
    ['POST', '/api/v1/changes/{CHG}/transitions/refer_leadership', {}, ['admin', 'expert_team']],
    ['POST', '/api/v1/changes/{CHG}/transitions/approve_emergency', {}, ['admin', 'ops_engineer', 'ops_manager', 'release_manager', 'change_assessor', 'expert_team', 'leadership', 'emergency_command']],
    ['GET', '/api/v1/changes/export', null, [...READERS, 'ops_manager', 'change_assessor']],
    ['GET', '/api/v1/reports/changes', null, [...READERS, 'ops_manager', 'change_assessor']],
    ['GET', '/api/v1/reports/changes?format=csv', null, [...READERS, 'ops_manager', 'change_assessor']],
    ['GET', '/api/v1/change_models', null, ALL],
    ['POST', '/api/v1/change_models', { title: 'Matrix model' }, ['admin', 'ops_engineer', 'ops_manager', 'change_assessor', 'release_manager']],
    ['GET', '/api/v1/freezes', null, ALL],
    ['POST', '/api/v1/freezes', { title: 'Matrix freeze', start: '2030-01-01T00:00:00Z', end: '2030-01-02T00:00:00Z', reason: 'Matrix' }, ['admin', 'ops_manager', 'change_assessor']],
    // P7 notifications: channels and the outbox (a fixture channel 'matrix-ch').
    ['GET', '/api/v1/notification_channels', null, READERS],
    ['POST', '/api/v1/notification_channels', { name: 'matrix-new', kind: 'webhook', url: 'http://127.0.0.1:9/' }, ADMIN],
    ['GET', '/api/v1/notification_channels/matrix-ch', null, READERS],
    ['PATCH', '/api/v1/notification_channels/matrix-ch', { lang: 'zh-CN' }, ADMIN],
    ['POST', '/api/v1/notification_channels/matrix-ch/test', null, ADMIN],
    ['GET', '/api/v1/outbox', null, READERS],
    ['POST', '/api/v1/outbox/1/retry', null, ADMIN],
    ['DELETE', '/api/v1/notification_channels/matrix-ch', null, ADMIN],
    ['GET', '/api/v1/notification_rules', null, READERS],
    ['POST', '/api/v1/notification_rules', { event: 'sla.*', channel: 'matrix-ch' }, ADMIN],
    ['DELETE', '/api/v1/notification_rules/999', null, ADMIN],
    // R1-R3 releases ({RELR}: a release rolling out, made in before) and P5 the calendar.
    ['GET', '/api/v1/releases', null, ALL],
    ['POST', '/api/v1/releases', { title: 'Matrix release', release_version: '1.0' }, ['admin', 'release_manager', 'dev_manager', 'developer', 'version_quality_manager', 'test_manager', 'ops_manager']],
    ['GET', '/api/v1/releases/{RELR}/rollout', null, ALL],
    ['POST', '/api/v1/releases/{RELR}/gate_readings', { metrics: { error_rate: 0, latency_ms: 10 } }, ['admin', 'release_manager', 'dev_manager', 'developer', 'version_quality_manager', 'test_manager', 'ops_manager', 'ops_engineer', 'change_assessor']],
    ['GET', '/api/v1/ops_events', null, ALL],
    ['POST', '/api/v1/ops_events', { title: 'Matrix drill', kind: 'drill', start: '2026-12-20T01:00:00Z', end: '2026-12-20T02:00:00Z' }, ['admin', 'ops_manager', 'ops_engineer', 'continuity_manager', 'release_manager', 'change_assessor']],
    ['GET', '/api/v1/calendar?month=2026-12', null, ALL],
    ['GET', '/api/v1/calendar/conflicts?month=2026-12', null, ALL],
    ['GET', '/api/v1/calendar/feeds', null, ALL],
    ['POST', '/api/v1/calendar/feeds', { name: 'Matrix feed' }, ALL],
    ['DELETE', '/api/v1/calendar/feeds/999999', null, ALL],
    ['GET', '/ical/olcal_matrix.ics', null, ALL], // the token is the credential: 404 for a bad one
    // K1, K2, K5 the CMDB ({CI} is CI-000001; CI-000002 is the other fixture CI).
    ['GET', '/api/v1/cis', null, ALL],
    ['POST', '/api/v1/cis', { title: 'Matrix CI', ci_id: 'MATRIX-NEW', class: 'server' }, CMDB],
    ['GET', '/api/v1/cis/{CI}', null, ALL],
    ['POST', '/api/v1/cis/{CI}/transitions/commission', {}, CMDB],
    ['GET', '/api/v1/cis/export', null, [...READERS, 'config_manager', 'config_admin']],
    ['GET', '/api/v1/cis/{CI}/relations', null, ALL],
    ['POST', '/api/v1/cis/{CI}/relations', { type: 'hosts', target: 'CI-000002' }, CMDB],
    ['DELETE', '/api/v1/cis/{CI}/relations?type=hosts&target=CI-000002', null, CMDB],
    ['GET', '/api/v1/cis/{CI}/impact?direction=up&depth=3', null, ALL],
    ['PUT', '/api/v1/cis/by-id/MATRIX-PUT', { title: 'Matrix PUT', class: 'server' }, CMDB],
    ['POST', '/api/v1/cis/discovery', { items: [{ ci_id: 'MATRIX-D', title: 'Matrix D', class: 'server' }] }, CMDB],
    ['POST', '/api/v1/cis/import', { format: 'csv', data: 'ci_id,title,class\nMATRIX-I,Matrix I,server\n' }, CMDB],
    // K3 baselines and the compliance scan.
    ['GET', '/api/v1/ci_baselines', null, ALL],
    ['POST', '/api/v1/ci_baselines', { title: 'Matrix baseline', class: 'server', expected: ['environment=production'] }, CMDB],
    ['POST', '/api/v1/cis/compliance-scan', { open_incidents: false }, CMDB],
    // K4 audits by sampling ({CA} is an audit in progress whose sample holds item 1).
    ['GET', '/api/v1/ci_audits', null, [...READERS, 'config_manager', 'config_admin', 'ops_manager']],
    ['POST', '/api/v1/ci_audits', { title: 'Matrix audit', classes: ['server'] }, CMDB],
    ['GET', '/api/v1/ci_audits/{CA}/items', null, [...READERS, 'config_manager', 'config_admin', 'ops_manager']],
    ['POST', '/api/v1/ci_audits/{CA}/items/1', { result: 'matched' }, CMDB],
    ['GET', '/api/v1/ci_audits/{CA}/report', null, [...READERS, 'config_manager', 'config_admin', 'ops_manager']],
    // K1 attributes added to a class by the configuration manager.
    ['GET', '/api/v1/ci_attributes', null, ALL],
    ['POST', '/api/v1/ci_attributes', { title: 'Matrix attribute', class: 'document', name: 'matrix_attr' }, ['admin', 'config_manager']],
];

describe('authorisation matrix [sqlite]', () => {
    let srv;
    const fixtures = {};

    before(async () => {
        srv = await startServer({ users: ROLES.filter((r) => r !== 'admin').map((r) => ({ name: `u-${r}`, roles: [r] })) });
        srv.tokens['u-admin'] = srv.token;
        const art = await srv.api('POST', '/api/v1/articles', { body: { title: 'Matrix fixture', body: 'A body long enough to be submitted for review.' } });
        assert.equal(art.status, 201, art.text);
        fixtures.ART = art.json.number;
        const ct = await srv.api('POST', '/api/v1/contacts', { body: { title: 'Matrix fixture contact', phone: '13912345678' } });
        assert.equal(ct.status, 201, ct.text);
        fixtures.CT = ct.json.number;
        const victim = await srv.api('POST', '/api/v1/users', { body: { username: 'matrix-victim', password: 'Matrix-Passw0rd-9!', roles: [] } });
        assert.equal(victim.status, 201, victim.text);
        assert.equal((await srv.api('POST', '/api/v1/groups', { body: { name: 'matrix-fixed' } })).status, 201);
        assert.equal((await srv.api('POST', '/api/v1/org_units', { body: { name: 'matrix-ou' } })).status, 201);
        const svc = await srv.api('POST', '/api/v1/services', { body: { title: 'Matrix fixture service', owner: 'admin' } });
        assert.equal(svc.status, 201, svc.text);
        assert.equal((await srv.api('POST', `/api/v1/services/${svc.json.number}/transitions/publish`)).status, 200);
        fixtures.SVC = svc.json.number;
        for (const id of ['MATRIX-CI-1', 'MATRIX-CI-2']) {
            const c = await srv.api('POST', '/api/v1/cis', { body: { title: id, ci_id: id, class: 'server' } });
            assert.equal(c.status, 201, c.text);
            fixtures.CI ??= c.json.number;
        }
        const ca = await srv.api('POST', '/api/v1/ci_audits', { body: { title: 'Matrix fixture audit', classes: ['server'], sample_percent: 100 } });
        assert.equal(ca.status, 201, ca.text);
        assert.equal((await srv.api('POST', `/api/v1/ci_audits/${ca.json.number}/transitions/start`, { body: {} })).status, 200);
        fixtures.CA = ca.json.number;
        const ch = { name: 'matrix-ch', kind: 'webhook', url: 'http://127.0.0.1:9/' };
        assert.equal((await srv.api('POST', '/api/v1/notification_channels', { body: ch })).status, 201);
        const rel = await srv.api('POST', '/api/v1/releases', {
            body: { title: 'Matrix fixture release', release_version: '1.0', runbook: 'r', backout_plan: 'b', planned_start: '2026-12-20T01:00:00Z', planned_end: '2026-12-20T02:00:00Z' },
            token: srv.tokens['u-developer'],
        });
        assert.equal(rel.status, 201, rel.text);
        fixtures.RELR = rel.json.number;
        const steps = [['submit', 'u-developer', {}], ['assess', 'u-change_assessor', { fields: { completeness_ok: true, dependencies_deployed: true, time_ok: true, risk: 'low', assessment: 'ok' } }],
            ['approve', 'u-release_manager', {}], ['start', 'u-ops_engineer', {}]];
        for (const [name, who, b] of steps) {
            const res = await srv.api('POST', `/api/v1/releases/${fixtures.RELR}/transitions/${name}`, { body: b, token: srv.tokens[who] });
            assert.equal(res.status, 200, res.text);
        }
        assert.equal((await srv.api('POST', '/api/v1/integrations', { body: { name: 'matrix-int', kind: 'generic' } })).status, 201);
    });
    after(async () => {
        await srv?.stop();
    });

    for (const [method, rawPath, body, allowed] of MATRIX) {
        test(`${method} ${rawPath}`, async () => {
            const wrong = [];
            for (const role of ROLES) {
                // Each call gets its own state: a fresh article in review, a fresh elevation request.
                if (rawPath.includes('{ART}') && rawPath.includes('transitions')) {
                    const a = await srv.api('POST', '/api/v1/articles', { body: { title: `Matrix ${role}`, body: 'A body long enough to be submitted for review.' } });
                    await srv.api('POST', `/api/v1/articles/${a.json.number}/transitions/submit`);
                    fixtures.ART = a.json.number;
                }
                if (rawPath.includes('{INC}')) {
                    const i = await srv.api('POST', '/api/v1/incidents', { body: { title: `Matrix ${role}`, reporter: 'u-tester' } });
                    assert.equal(i.status, 201, i.text);
                    fixtures.INC = i.json.number;
                }
                if (rawPath.includes('{SVCD}')) {
                    const d = await srv.api('POST', '/api/v1/services', { body: { title: `Matrix ${role}`, owner: 'admin' } });
                    assert.equal(d.status, 201, d.text);
                    fixtures.SVCD = d.json.number;
                }
                if (rawPath.includes('{REQ}')) {
                    const q = await srv.api('POST', '/api/v1/requests', { body: { title: `Matrix ${role}`, service: fixtures.SVC }, token: srv.tokens['u-tester'] });
                    assert.equal(q.status, 201, q.text);
                    fixtures.REQ = q.json.number;
                }
                if (rawPath.includes('{CMP}')) {
                    const m = await srv.api('POST', '/api/v1/complaints', { body: { title: `Matrix ${role}`, description: 'Matrix' }, token: srv.tokens['u-tester'] });
                    assert.equal(m.status, 201, m.text);
                    fixtures.CMP = m.json.number;
                }
                if (rawPath.includes('{CHG}')) {
                    // A fresh change raised by an engineer and submitted: in assessment.
                    const day = new Date(Date.now() + 40 * 86400e3).toISOString().slice(0, 10);
                    const c = await srv.api('POST', '/api/v1/changes', { body: { title: `Matrix ${role}`, implementation_plan: 'a', coordination_plan: 'b', backout_plan: 'c', verification_plan: 'd', planned_start: `${day}T19:00:00Z`, planned_end: `${day}T20:00:00Z` }, token: srv.tokens['u-ops_engineer'] });
                    assert.equal(c.status, 201, c.text);
                    const sub = await srv.api('POST', `/api/v1/changes/${c.json.number}/transitions/submit`, { token: srv.tokens['u-ops_engineer'] });
                    assert.equal(sub.status, 200, sub.text);
                    fixtures.CHG = c.json.number;
                }
                if (rawPath.includes('{PRB}')) {
                    const pr = await srv.api('POST', '/api/v1/problems', { body: { title: `Matrix ${role}` } });
                    assert.equal(pr.status, 201, pr.text);
                    fixtures.PRB = pr.json.number;
                }
                if (rawPath.includes('{EL}')) {
                    const e = await srv.api('POST', '/api/v1/elevations', { body: { title: 'Matrix', user: 'u-tester', role: 'tester', reason: 'Fixture for the matrix', days: 1 }, token: srv.tokens['u-tester'] });
                    fixtures.EL = e.json.number;
                }
                if (method === 'DELETE' && rawPath.includes('/members/'))
                    await srv.api('POST', '/api/v1/groups/matrix-fixed/members', { body: { username: 'u-tester' } });
                if (method === 'DELETE' && rawPath.includes('/grants/'))
                    await srv.api('POST', '/api/v1/roles/tester/grants', { body: { resource: 'article', action: 'read' } });
                if (rawPath.includes('{AR}') && method === 'POST') {
                    // A fresh review in progress, and a right that is not the caller's own.
                    const a = await srv.api('POST', '/api/v1/access_reviews', { body: { title: 'Matrix', scope: 'all' } });
                    await srv.api('POST', `/api/v1/access_reviews/${a.json.number}/transitions/start`);
                    const me = role === 'admin' ? 'admin' : `u-${role}`;
                    const list = (await srv.api('GET', `/api/v1/access_reviews/${a.json.number}/items`)).json.items;
                    fixtures.AR = a.json.number;
                    fixtures.ITEM = list.find((i) => i.username !== me).id; // not the caller's own right
                }
                if (rawPath.includes('{AR}') && method === 'GET') fixtures.AR = fixtures.AR || 'AR-000001';
                if (rawPath.includes('{PIR}') || rawPath.includes('{ACT}')) {
                    // I8: a fresh open review of a closed incident, and an open action of it.
                    const i = await srv.api('POST', '/api/v1/incidents', { body: { title: `Matrix ${role}`, reporter: 'u-tester' } });
                    const r = await srv.api('POST', '/api/v1/reviews', { body: { title: `Matrix ${role}`, source: i.json.number } });
                    assert.equal(r.status, 201, r.text);
                    fixtures.PIR = r.json.number;
                    const a = await srv.api('POST', '/api/v1/actions', { body: { title: `Matrix ${role}`, source: r.json.number, owner: 'u-tester', due_at: '2030-01-01T00:00:00Z' } });
                    assert.equal(a.status, 201, a.text);
                    fixtures.ACT = a.json.number;
                }
                const p = rawPath.replace('{AR}/items/1', `{AR}/items/${fixtures.ITEM ?? 1}`).replace('{ART}', fixtures.ART).replace('{EL}', fixtures.EL).replace('{AR}', fixtures.AR).replace('{CT}', fixtures.CT).replace('{INC}', fixtures.INC)
                    .replace('{SVCD}', fixtures.SVCD).replace('{REQ}', fixtures.REQ).replace('{CMP}', fixtures.CMP).replace('{PRB}', fixtures.PRB)
                    .replace('{PIR}', fixtures.PIR).replace('{ACT}', fixtures.ACT)
                    .replace('{CI}', fixtures.CI).replace('{CA}', fixtures.CA).replace('{RELR}', fixtures.RELR)
                    .replace('{CHG}', fixtures.CHG);
                const b = body && JSON.parse(JSON.stringify(body).replace('{SVC}', fixtures.SVC).replace('{INC}', fixtures.INC));
                const res = await srv.api(method, p, { ...(b ? { body: b } : {}), token: srv.tokens[`u-${role}`] });
                const ok = res.status !== 401 && res.status !== 403;
                if (ok !== allowed.includes(role)) wrong.push(`${role}: ${res.status} ${res.text.slice(0, 160)}`);
                if (!ok) assert.equal(res.status, 403, `${role}: denial is 403, not ${res.status}`);
            }
            assert.deepEqual(wrong, [], `roles answered contrary to the matrix:\n${wrong.join('\n')}`);
        });
    }

    test('every shipped role is covered by the matrix', async () => {
        const res = await srv.api('GET', '/api/v1/roles');
        assert.deepEqual(res.json.items.map((r) => r.name).sort(), [...ROLES].sort());
    });
});
