#!/usr/bin/env python3
# bench/impact_measure.py - times GET /api/v1/cis/{number}/impact over HTTP (one keep-alive
# connection, closed loop) for the sample CIs bench/impact_load.py chose; prints one Markdown
# table row per scenario: requests, nodes returned (median), p50 / p95 / p99 / max in ms.
# usage: impact_measure.py URL TOKEN SAMPLES_JSON [REQUESTS_PER_SCENARIO]
import http.client
import json
import statistics
import sys
import time
import urllib.parse

url, token, samples_file = sys.argv[1:4]
per = int(sys.argv[4]) if len(sys.argv) > 4 else 200
samples = json.load(open(samples_file))
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
headers = {'Authorization': f'Bearer {token}'}

scenarios = [  # name, sample class, direction, depth
    ('server up, depth 5 (what an outage affects)', 'server', 'up', 5),
    ('network device up, depth 5', 'network_device', 'up', 5),
    ('database up, depth 5', 'database', 'up', 5),
    ('business service down, depth 5 (what it needs)', 'business_service', 'down', 5),
    ('application down, depth 5', 'application', 'down', 5),
]
print('| scenario | requests | nodes (median) | truncated | p50 ms | p95 ms | p99 ms | max ms |')
print('|---|---|---|---|---|---|---|---|')
for name, cls, direction, depth in scenarios:
    times, nodes, truncated = [], [], 0
    pool = samples[cls]
    for i in range(per):
        number = pool[i % len(pool)]
        t = time.perf_counter()
        conn.request('GET', f'/api/v1/cis/{number}/impact?direction={direction}&depth={depth}',
                     headers=headers)
        res = conn.getresponse()
        body = res.read()
        times.append((time.perf_counter() - t) * 1000)
        if res.status != 200:
            sys.exit(f'{number}: HTTP {res.status}: {body[:300]!r}')
        doc = json.loads(body)
        nodes.append(doc['count'])
        truncated += bool(doc['truncated'])
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
    print(f'| {name} | {per} | {int(statistics.median(nodes))} | {truncated} | {q(0.5):.1f} | '
          f'{q(0.95):.1f} | {q(0.99):.1f} | {times[-1]:.1f} |', flush=True)
