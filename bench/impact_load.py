#!/usr/bin/env python3
# bench/impact_load.py - fills a migrated opsledger SQLite file with a layered CMDB graph for the
# impact benchmark (bench/impact.sh), written directly in batches (set-up only; the API is what
# is measured):
#
#   business_service  10,000   uses            -> application      130,000
#   application      100,000   depends_on      -> database/mw      300,000
#                              runs_on         -> server           200,000
#                              depends_on      -> application      200,000
#   database/mw      190,000   runs_on         -> server           380,000
#   server           500,000   connects_to     -> network_device 1,000,000
#                              depends_on      -> storage          500,000
#   storage          100,000   backs_up        -> database/mw      190,000
#   network_device   100,000   connects_to     -> network_device   100,000
#   total          1,000,000                                     3,000,000
#
# usage: impact_load.py DB_FILE [SCALE]   (SCALE 1.0 = the sizes above; 0.01 for a quick try)
import json
import random
import sqlite3
import sys
import time

db_path = sys.argv[1]
scale = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
rnd = random.Random(7)
NOW = '2026-12-06T12:00:00.000Z'

layers = [  # class, count, business impact
    ('business_service', 10_000, 'high'),
    ('application', 100_000, 'medium'),
    ('database', 95_000, 'high'),
    ('middleware', 95_000, 'medium'),
    ('server', 500_000, 'medium'),
    ('storage', 100_000, 'low'),
    ('network_device', 100_000, 'high'),
]
category = {'business_service': 'service', 'application': 'software', 'database': 'software',
            'middleware': 'software', 'server': 'hardware', 'storage': 'hardware',
            'network_device': 'hardware'}
prefix = {'business_service': 'SVC', 'application': 'APP', 'database': 'DB', 'middleware': 'MW',
          'server': 'SRV', 'storage': 'STO', 'network_device': 'CSW'}

con = sqlite3.connect(db_path, isolation_level=None)
con.execute('PRAGMA synchronous=OFF')
con.execute('PRAGMA cache_size=-1000000')
(base,) = con.execute('SELECT COALESCE(MAX(id), 0) FROM records').fetchone()
(first,) = con.execute("SELECT COALESCE((SELECT next FROM counters WHERE type = 'ci'), 1)").fetchone()

t0 = time.time()
ranges = {}
next_id, next_no = base + 1, first
BATCH = 20_000
for cls, count, impact in layers:
    n = max(1, int(count * scale))
    ranges[cls] = (next_id, next_id + n - 1)
    rows = []
    con.execute('BEGIN')
    for k in range(n):
        ci_id = f'{prefix[cls]}-{k:07d}'
        data = json.dumps({'ci_id': ci_id, 'class': cls, 'category': category[cls],
                           'business_impact': impact, 'environment': 'production', 'tags': []},
                          separators=(',', ':'))
        rows.append((next_id, 'ci', f'CI-{next_no:06d}', f'{cls} {k}', 'in_use', 1, NOW, NOW, NOW,
                     'bench', 'bench', data))
        next_id += 1
        next_no += 1
        if len(rows) == BATCH:
            con.executemany('INSERT INTO records(id, type, number, title, state, version, created_at, '
                            'updated_at, state_changed_at, created_by, updated_by, data) VALUES '
                            '(?,?,?,?,?,?,?,?,?,?,?,?)', rows)
            rows = []
    if rows:
        con.executemany('INSERT INTO records(id, type, number, title, state, version, created_at, '
                        'updated_at, state_changed_at, created_by, updated_by, data) VALUES '
                        '(?,?,?,?,?,?,?,?,?,?,?,?)', rows)
    con.execute('COMMIT')
con.execute("INSERT INTO counters(type, next) VALUES ('ci', ?) ON CONFLICT(type) DO UPDATE SET next = excluded.next",
            (next_no,))
t1 = time.time()
print(f'cis: {next_id - base - 1} in {t1 - t0:.1f} s', flush=True)


def pick(cls):
    lo, hi = ranges[cls]
    return rnd.randint(lo, hi)


def edges(src_cls, rel, dst_classes, total):
    """total edges src_cls -rel-> one of dst_classes, spread evenly over the sources."""
    lo, hi = ranges[src_cls]
    n = hi - lo + 1
    per, extra = divmod(max(1, int(total * scale)), n)
    for i in range(n):
        s = lo + i
        seen = set()
        for _ in range(per + (1 if i < extra else 0)):
            d = pick(rnd.choice(dst_classes))
            if d != s and d not in seen:
                seen.add(d)
                yield (s, d, rel)


plan = [
    ('business_service', 'uses', ['application'], 130_000),
    ('application', 'depends_on', ['database', 'middleware'], 300_000),
    ('application', 'runs_on', ['server'], 200_000),
    ('application', 'depends_on', ['application'], 200_000),
    ('database', 'runs_on', ['server'], 190_000),
    ('middleware', 'runs_on', ['server'], 190_000),
    ('server', 'connects_to', ['network_device'], 1_000_000),
    ('server', 'depends_on', ['storage'], 500_000),
    ('storage', 'backs_up', ['database', 'middleware'], 190_000),
    ('network_device', 'connects_to', ['network_device'], 100_000),
]
nrel = 0
for src_cls, rel, dst, total in plan:
    rows = []
    con.execute('BEGIN')
    for e in edges(src_cls, rel, dst, total):
        rows.append(e + (NOW, 'bench'))
        if len(rows) == BATCH:
            con.executemany('INSERT OR IGNORE INTO ci_relations(src_id, dst_id, type, created_at, '
                            'created_by) VALUES (?,?,?,?,?)', rows)
            nrel += len(rows)
            rows = []
    con.executemany('INSERT OR IGNORE INTO ci_relations(src_id, dst_id, type, created_at, created_by) '
                    'VALUES (?,?,?,?,?)', rows)
    nrel += len(rows)
    con.execute('COMMIT')
t2 = time.time()
(stored,) = con.execute('SELECT COUNT(*) FROM ci_relations').fetchone()
con.execute('ANALYZE')
con.execute('PRAGMA wal_checkpoint(TRUNCATE)')
con.close()
print(f'relations: {stored} in {t2 - t1:.1f} s', flush=True)
# The samples the driver measures from: numbers of a few CIs per class.
samples = {cls: [f'CI-{first + (pick(cls) - base - 1):06d}' for _ in range(50)] for cls in ranges}
with open(db_path + '.samples.json', 'w') as f:
    json.dump(samples, f)
