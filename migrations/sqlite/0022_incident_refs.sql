-- 0022: I5, I6, I8: the records that name another record in a data field - a regulatory report
-- or timeline entry its incident, a review or action its source - are looked up by that field
-- on every write of the incident (report timers, 30-minute updates) and on closing a review
-- (its open actions): expression indexes so those look-ups do not scan the type.
CREATE INDEX records_incident_ref ON records(type, json_extract(data, '$.incident'));
CREATE INDEX records_source_ref ON records(type, json_extract(data, '$.source'));
