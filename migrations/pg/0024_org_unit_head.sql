-- 0024: C6 "emergency -> the head of the requester's unit": an organisation unit names its head
-- (a user), who approves the emergency changes of the unit's members (and of its sub-units
-- without a head of their own). NULL = no head: the parent unit's head, else the policy's roles.
ALTER TABLE org_units ADD COLUMN head TEXT REFERENCES users(username);
