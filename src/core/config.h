/* core/config.h - settings from defaults, a config file, OPSLEDGER_* environment variables and
 * command-line flags, in that order of precedence (lowest first). */
#ifndef OL_CONFIG_H
#define OL_CONFIG_H
#include <stddef.h>

/* XX(key, default, description). Each key is also the flag --key and the variable
 * OPSLEDGER_KEY (upper case, '-' and '.' as '_'). */
#define OL_CONFIG_MAP(XX)                                                                    \
    XX(listen, "127.0.0.1:8080", "address:port the HTTP server listens on")                  \
    XX(db, "sqlite:./data/opsledger.db", "sqlite:PATH or postgresql://user@host/db")          \
    XX(data, "", "data directory; when set, db defaults to sqlite:DATA/opsledger.db")        \
    XX(threads, "4", "HTTP worker threads")                                                  \
    XX(db_readers, "8", "database reader connections (SQLite) or pool size (PostgreSQL)")    \
    XX(sync, "full", "SQLite durability: full (fsync every commit) or normal")               \
    XX(max_body, "1048576", "largest request body in bytes (413 above)")                     \
    XX(max_header, "32768", "connection memory for request headers in bytes (431 above)")    \
    XX(max_json_depth, "32", "deepest JSON nesting accepted (400 above)")                    \
    XX(request_timeout, "30", "seconds an idle or slow connection is kept")                  \
    XX(max_connections, "16384", "concurrent client connections (more wait to be accepted)") \
    XX(startup_check, "quick", "integrity check at start: quick, full or none")              \
    XX(session_hours, "8", "hours a browser session lasts")                                  \
    XX(password_min_length, "8", "S1: minimum password length")                              \
    XX(password_min_length_privileged, "12", "S1: minimum length for administrators")        \
    XX(public_url, "", "URL users reach the server at (printed by init)")                    \
    XX(tls, "off", "on when a TLS-terminating proxy is in front: cookies get Secure, HSTS")  \
    XX(log_level, "info", "debug, info, warn or error")                                     \
    /* ---- P7 notifications ---- */                                                         \
    XX(outbox_max_attempts, "10", "P7: delivery attempts before a notice is dead")           \
    XX(outbox_backoff_seconds, "30", "P7: delay before the first retry (doubles each time)")  \
    XX(outbox_backoff_max_seconds, "3600", "P7: longest delay between retries")              \
    XX(outbox_batch, "50", "P7: notices one worker claims at a time")                        \
    XX(outbox_lease_seconds, "120", "P7: seconds a claimed notice is held before it is due " \
       "again (a node that died mid-send)")                                                  \
    XX(outbox_connect_timeout, "10", "P7: seconds to connect to a webhook or SMTP server")   \
    XX(outbox_timeout, "30", "P7: seconds one delivery may take in all")                     \
    /* ---- S1 passwords, S2 lockout, S4 account lifecycle ---- */                           \
    XX(password_min_classes, "3", "S1: character classes needed of upper/lower/digit/special") \
    XX(password_max_run, "3", "S1: longest run of repeated or sequential characters (aaa, abc)") \
    XX(password_max_age_days, "90", "S1: days a password is valid (0 = never expires)")      \
    XX(password_max_age_days_privileged, "60", "S1: days for privileged accounts")           \
    XX(password_warn_days, "15", "S1: days before expiry that users are warned")             \
    XX(password_history, "10", "S1: earlier passwords that may not be reused")               \
    XX(lockout_threshold, "5", "S2: consecutive failed logins that lock an account")         \
    XX(lockout_minutes, "15", "S2: minutes an account stays locked")                         \
    XX(lockout_alert_failures, "10", "S2: failures of one account in a day that raise an alert") \
    XX(security_alert_channel, "", "S2: notification channel told of security alerts (empty: none)") \
    XX(temp_account_max_days, "7", "S4: longest life of a temporary/contractor account")     \
    XX(account_sweep_seconds, "60", "S4: seconds between sweeps that disable expired accounts") \
    XX(elevation_max_days, "7", "S4: longest temporary privilege elevation")                 \
    XX(review_days, "90", "S4: days between access reviews of all rights")                   \
    XX(review_days_privileged, "30", "S4: days between reviews of privileged rights")        \
    /* ---- S3 MFA ---- */                                                                    \
    XX(mfa_required, "privileged", "S3: who must use TOTP: privileged, all or none")         \
    XX(mfa_issuer, "opsledger", "S3: issuer name shown by authenticator apps")               \
    XX(totp_window, "1", "S3: 30-second steps accepted before and after now")                \
    XX(step_up_minutes, "5", "S3: minutes a TOTP confirmation covers sensitive operations")  \
    XX(mfa_key_file, "", "S3: key of TOTP secrets sealed before S7 (default: mfa.key beside " \
       "the SQLite file)")                                                                    \
    /* ---- S5/S6 access control and separation of duties ---- */                           \
    XX(incompatible_roles, "ops_manager,ops_engineer;dev_manager,developer;test_manager,tester", \
       "S6: sets of roles that may not be held together, separated by ';'")                  \
    /* ---- S7 sensitive data ---- */                                                         \
    XX(key_file, "", "S7: field-encryption key file (default: keys/field.keys beside the "  \
       "SQLite file; required on PostgreSQL)")                                                \
    XX(key_rotate_batch, "200", "S7: rows re-encrypted per transaction by keys rotate")     \
    /* ---- S8 audit ---- */                                                                  \
    XX(audit_retention_days, "180", "S8: days audit entries are kept at least")              \
    XX(export_max_rows, "100000", "most records one bulk export may hold (more: refused)")   \
    /* ---- S9 transport ---- */                                                              \
    XX(tls_cert, "", "S9: PEM certificate file; with tls_key, serve HTTPS natively")         \
    XX(tls_key, "", "S9: PEM private key file")                                              \
    XX(hsts_max_age, "31536000", "S9: Strict-Transport-Security max-age in seconds")         \
    XX(tls_min_version, "1.2", "S9: lowest TLS version of native HTTPS: 1.2 or 1.3")        \
    XX(trusted_proxies, "", "S9: proxy addresses (IP or CIDR, comma-separated) whose "      \
       "X-Forwarded-For names the client; empty = ignore the header")                       \
    /* ---- directory (LDAP) login ---- */                                                    \
    XX(ldap_url, "", "LDAP/AD server, e.g. ldap://ldap.example.com; empty = off")           \
    XX(ldap_starttls, "off", "on: upgrade ldap:// with StartTLS before binding")             \
    XX(ldap_ca_file, "", "PEM CA certificates that sign the directory's certificate")        \
    XX(ldap_bind_dn, "", "service account DN that searches users (empty = anonymous)")       \
    XX(ldap_bind_password_file, "", "file holding the service account's password")           \
    XX(ldap_base_dn, "", "where users and groups are searched, e.g. dc=example,dc=com")      \
    XX(ldap_user_filter, "(uid=%s)", "user search; %s is the escaped login name "            \
       "(AD: (sAMAccountName=%s))")                                                          \
    XX(ldap_group_attr, "memberOf", "user attribute listing the user's group DNs")           \
    XX(ldap_group_filter, "", "group search instead, %s = the user's DN, e.g. (member=%s)")  \
    XX(ldap_role_map, "", "group DN=role pairs separated by ';' (DNs compared ignoring case)") \
    XX(ldap_timeout, "5", "seconds to wait for the directory server")                       \
    /* ---- I2-I4 incidents ---- */                                                           \
    XX(incident_priority_matrix, "high,high,medium;high,medium,low;medium,low,low",          \
       "I4: priority by impact (rows high;medium;low) x urgency (columns high,medium,low)")  \
    XX(incident_level_matrix, "3,4,4;4,4,4;4,4,4;4,4,4",                                     \
       "I3: starting level 1-4 by importance (rows core;important;general;other) x impact " \
       "(columns high,medium,low); 1 = 特别重大, 4 = 一般")                                   \
    XX(incident_level_rise_minutes, "30,180,360",                                            \
       "I3: minutes open after which a high-impact incident on a core or important service " \
       "rises one level each (never above 1)")                                               \
    /* ---- V1-V3 service catalog, requests, satisfaction and complaints ---- */               \
    XX(complaint_levels, "team_lead,manager,head",                                           \
       "V3: the levels a complaint is escalated through (004 §6.1.6.2: 运维经理, then the "   \
       "leaders above), lowest first")                                                       \
    XX(complaint_escalation_hours, "24,48",                                                  \
       "V3: hours an unaccepted complaint stays at each level but the last before it rises " \
       "to the next by itself")                                                              \
    XX(complaint_notify_channel, "",                                                         \
       "V3: notification channel told of each complaint escalation (empty = none)")         \
    XX(survey_period_days, "90",                                                             \
       "V3: days between periodic satisfaction surveys of the period's requesters (0 = off)") \
    /* ---- I4 SLA: targets, business calendars, timers ---- */                             \
    XX(sla_policies, "incident/outage/high=10m,2h,7x24;incident/outage/medium=30m,4h,7x24;"   \
       "incident/outage/low=2h,8h,5x8;incident/performance/high=15m,3h,7x24;"                 \
       "incident/performance/medium=1h,8h,7x24;incident/performance/low=4h,24h,5x8;"          \
       "incident/security/high=5m,1h,7x24;incident/security/medium=30m,4h,7x24;"              \
       "incident/security/low=2h,8h,5x8",                                                     \
       "I4: SLA targets TYPE/CATEGORY/PRIORITY=RESPONSE,RESOLUTION,CALENDAR separated by ';' " \
       "(durations 10m, 2h, 1d; calendar 7x24 or 5x8; category * = any)")                     \
    XX(sla_response_states, "incident=in_progress,awaiting_user,resolved,closed",             \
       "I4: TYPE=STATES;...: reaching one of these states meets the response target")        \
    XX(sla_resolution_states, "incident=resolved,closed",                                     \
       "I4: TYPE=STATES;...: reaching one of these meets the resolution target")             \
    XX(sla_pause_states, "incident=awaiting_user",                                            \
       "I4: TYPE=STATES;...: states awaiting the user, in which SLA timers pause")            \
    XX(sla_cancel_states, "incident=cancelled", "I4: TYPE=STATES;...: states that stop the timers") \
    XX(sla_warn_percent, "80", "I4: share of a target (percent) at which it is escalated to " \
       "the second line")                                                                     \
    XX(sla_channel, "second-line", "I4: notification channel told of SLA warnings and breaches") \
    XX(sla_calendar_file, "", "I4: holidays and adjusted working days per year (default: "   \
       "calendars/CN.json beside the binary)")                                                \
    XX(sla_work_hours, "09:00-18:00", "I4: working hours of the 5x8 calendar")               \
    XX(sla_timezone, "Asia/Shanghai", "I4: time zone of the calendars: Asia/Shanghai, UTC or " \
       "a fixed offset such as +08:00")                                                       \
    XX(sla_sweep_batch, "500", "I4: warnings and breaches one sweep fires at most (each)")    \
    /* ---- I1 monitoring intake ---- */                                                     \
    XX(intake_label_map, "service=service;ci=instance,host",                                 \
       "I1: incident fields from alert labels: field=label[,label...] separated by ';' (the " \
       "first label present wins; fields service, ci)")                                      \
    XX(intake_severity_map, "critical=high/high;disaster=high/high;high=high/high;"          \
       "error=high/medium;warning=medium/medium;average=medium/medium;info=low/low;"         \
       "information=low/low;not_classified=low/low",                                         \
       "I1: alert severity (lower case) = impact/urgency, separated by ';'")                 \
    XX(intake_severity_default, "medium/medium",                                             \
       "I1: impact/urgency of an alert whose severity is absent or not in the map")          \
    XX(intake_resolved_action, "annotate",                                                   \
       "I1: when an alert resolves: annotate (a work note; people resolve the incident) or " \
       "resolve (the incident is resolved once all its alerts are)")                        \
    XX(intake_storm_threshold, "10",                                                         \
       "I1: more new alerts than this for one service/CI within the window open one parent " \
       "incident that the rest join (0 = off)")                                              \
    XX(intake_storm_window_seconds, "300", "I1: the alert-storm window in seconds")           \
    /* ---- Q1-Q4 problems ---- */                                                            \
    XX(problem_auto_threshold, "3",                                                          \
       "Q1: incidents of one kind (category + CI, or alert name, or category + service) within " \
       "problem_auto_window_hours that open a problem automatically (002 §2.4.3)")             \
    XX(problem_auto_window_hours, "168", "Q1: the window, in hours, those incidents fall in")  \
    XX(problem_major_high_incidents, "3",                                                    \
       "Q1: high-priority incidents behind a problem that make it a major problem")            \
    XX(problem_plan_hours, "72", "Q2: hours to a solution plan for a low/medium known error")  \
    XX(problem_fix_hours, "24", "Q2: hours to a fix in place for a high-priority known error") \
    XX(problem_potential_analysis_working_days, "5",                                         \
       "Q2: working days (the 5x8 business calendar, holidays and 调休 included) to the analysis " \
       "of a low/medium potential problem")                                                   \
    XX(problem_potential_response_working_days, "2",                                         \
       "Q2: working days to the response (assignment) to a high potential problem")          \
    XX(problem_major_close_hours, "72", "Q2: hours in which a major problem is closed")        \
    XX(problem_verify_hours, "48",                                                           \
       "Q4: hours after the fix without a recurrence before a problem may be closed")          \
    XX(problem_channel, "",                                                                  \
       "Q1: notification channel told when a problem opens by itself or becomes major "        \
       "(empty: none)")                                                                        \
    /* ---- K1-K5 CMDB ---- */                                                                \
    XX(cmdb_impact_default_depth, "5",                                                       \
       "K2: levels an impact analysis walks when the request names no depth")              \
    XX(cmdb_impact_max_depth, "10", "K2: deepest impact analysis a request may ask for")    \
    XX(cmdb_impact_max_nodes, "10000",                                                       \
       "K2: most CIs one impact analysis returns (the answer says truncated beyond)")       \
    XX(cmdb_batch_max_items, "5000",                                                         \
       "K5: most items of one discovery batch or import (larger ones are refused whole)")  \
    XX(cmdb_change_ref_required, "on",                                                       \
       "K5: on = a CI update or transition names the change, incident or request behind it " \
       "(change_ref); discovery, import and audit corrections are exempt")                  \
    XX(cmdb_change_ref_types, "change,incident,request",                                     \
       "K5: record types (comma-separated) a CI's change_ref may name")                     \
    XX(cmdb_baseline_compliance_target, "95",                                                \
       "K3: baseline compliance target in percent that a scan reports against (002 2.2.5)") \
    XX(cmdb_scan_max_cis, "100000", "K3: most CIs one baseline may apply to in one scan")   \
    XX(cmdb_audit_sample_percent, "5", "K4: default sample of a CMDB audit, % of the CIs")   \
    XX(cmdb_accuracy_target, "98", "K4: CMDB accuracy target in percent (002 2.2.5)")       \
    XX(cmdb_accuracy_governance_below, "95",                                                 \
       "K4: teams below this accuracy in percent are flagged for data governance")          \
    /* ---- I5-I9 regulatory reports, major incidents, confirmation, reviews, KPIs ---- */      \
    XX(incident_report_level, "2",                                                           \
       "I5: incidents at this level or above (1 特别重大, 2 重大) are reported to the "        \
       "regulator (0 = none; 004 §9.1.6.3)")                                                   \
    XX(incident_report_initial_minutes, "60",                                                \
       "I5: minutes from detection (or from the rise to a reportable level) to the initial "   \
       "report")                                                                               \
    XX(incident_report_written_minutes, "720",                                               \
       "I5: minutes from detection (or the rise) to the written report")                       \
    XX(incident_report_followup_minutes, "240",                                              \
       "I5: after the written report, a follow-up report is due this many minutes after the "  \
       "last one until the incident is closed (0 = none)")                                     \
    XX(incident_major_auto_level, "1",                                                       \
       "I6: incidents at this level or above are declared major by themselves (0 = only by "   \
       "hand)")                                                                                \
    XX(incident_major_update_minutes, "30",                                                  \
       "I6: a major incident's progress update is due this many minutes after the last one "   \
       "while it is open (000 §4.2)")                                                          \
    XX(incident_channel, "emergency-command",                                                \
       "I5-I8: notification channel told of major incidents, report and update reminders, "    \
       "escalations, reviews and overdue actions")                                             \
    XX(incident_confirm_minutes, "120",                                                      \
       "I7: minutes the reporter has to confirm a resolution; then the incident closes by "    \
       "itself (0 = never; 002 §2.3.2)")                                                       \
    XX(incident_review_priorities, "high,medium",                                            \
       "I8: priorities of incidents whose closure opens a post-incident review (empty: none)") \
    XX(incident_review_hours, "48", "I8: hours from closure in which the review is due")       \
    XX(incident_kpi_resolution_percent, "95", "I9: target share of incidents resolved")        \
    XX(incident_kpi_sla_percent, "98", "I9: target SLA attainment in percent")                 \
    XX(incident_kpi_mttr_minutes, "120", "I9: target mean time to recover (000 §6.4)")         \
    XX(incident_kpi_escalation_percent, "20",                                                \
       "I9: most incidents escalated to the second or third line, in percent")                \
    XX(incident_kpi_knowledge_percent, "60",                                                 \
       "I9: target share of resolved incidents linked to a knowledge article")                 \
    /* ---- R1-R3 releases and P5 operations calendar ---- */                                \
    XX(release_stages, "10%/30m,100%",                                                        \
       "R2: gray-release stages: PERCENT[/OBSERVE],... ending at 100% (002 §11.5: 10%, "       \
       "observe 30 min, 100%)")                                                               \
    XX(release_gates, "error_rate<=1,latency_ms<=500",                                        \
       "R2: default gates of every stage: METRIC<=N or METRIC>=N,... (a release may set its own)") \
    XX(release_review_days, "3", "R3: the post-release review is due this many days after release") \
    XX(release_dr_working_days, "1",                                                          \
       "R3: the DR environment is updated within this many working days (5x8 calendar)")     \
    XX(release_channel, "release-managers",                                                   \
       "R2, R3: notification channel told of tripped circuit breakers and overdue reviews")   \
    XX(calendar_feed_past_days, "30", "P5: days before today an iCalendar feed includes")      \
    XX(calendar_feed_future_days, "365", "P5: days after today an iCalendar feed includes")    \
    XX(calendar_max_entries, "2000", "P5: entries one calendar or conflict query reads at most") \
    /* ---- C1-C9 changes ---- */                                                             \
    XX(change_level_matrix, "major,major,normal;major,normal,normal;normal,normal,standard",  \
       "C1: level by failure impact (rows high;medium;low) x failure likelihood (columns "   \
       "high,medium,low), 004 §7.2.4.2.1")                                                   \
    XX(change_lead_time_days, "*/major=10;infrastructure/normal=3;*/normal=2;*/standard=1",  \
       "C3: working days (business calendar) from submission to the planned start, "         \
       "TYPE/LEVEL=DAYS separated by ';' (type * = any; the first match applies); "           \
       "emergency changes are exempt")                                                        \
    XX(change_timezone, "Asia/Shanghai", "C4: time zone of the change windows")             \
    XX(change_business_hours, "09:00-22:00",                                                  \
       "C4: business hours, every day, in which the categories below may not be changed "    \
       "(002 §12.1.2)")                                                                       \
    XX(change_business_hours_forbidden,                                                       \
       "network_device_restart,db_schema_change,payment_interface_config",                    \
       "C4: change categories forbidden in business hours unless emergency")                 \
    XX(change_recommended_window, "02:00-06:00",                                              \
       "C4: recommended change window (000 §3.4): outside it a change is warned, not refused") \
    XX(change_emergency_written_hours, "24",                                                  \
       "C6: hours after an emergency change's implementation within which its written "      \
       "approval is due (002 §2.5.3)")                                                        \
    XX(change_dr_update_working_days, "1",                                                    \
       "C8: working days after the implementation within which the DR environment is "       \
       "updated (004 §7.2.5.4 g)")                                                            \
    XX(change_regulator_notice_working_days, "10",                                            \
       "C8: working days before a major change by which the regulator is notified "          \
       "(004 §7.2.6)")                                                                        \
    XX(change_verify_ci_updates, "referenced",                                                \
       "C8: before a change is verified, 'referenced': each of its CIs found in the CMDB has "  \
       "a version made under it (change_ref), the others are confirmed with ci_updated; "    \
       "'flag': the ci_updated confirmation alone")                                           \
    XX(change_conflict_depth, "3",                                                            \
       "C5: relationship levels of the CMDB impact graph searched for conflicting changes "   \
       "(0 = the same CIs only)")                                                             \
    XX(change_success_target, "95", "C9: change success rate target in percent")             \
    XX(change_notify_channel, "",                                                             \
       "C6, C8: notification channel told when a written approval, DR update or regulator "  \
       "notice becomes late (empty = none)")                                                  \
    /* ---- C6 change approvers ---- */                                                        \
    XX(change_emergency_approver, "unit_head_or_role",                                         \
       "C6: who approves an emergency change: unit_head (the head of the requester's org "      \
       "unit, walking up parent units), unit_head_or_role (the head, else ops_manager or "      \
       "emergency_command when no unit on the chain has one) or role (those roles only)")      \
    /* ---- K2 impact analysis: SQLite reads ---- */                                          \
    XX(db_sqlite_mmap_mb, "1024",                                                            \
       "K2: MiB of the SQLite file each reader connection maps into memory instead of "       \
       "copying pages with read() (0 = off; large graph walks read fewer pages twice)")      \
    /* ---- web UI ---- */                                                                    \
    XX(web_root, "", "directory of the built web UI (empty = web/dist beside the binary)")

typedef struct {
#define XX(key, def, desc) const char *key;
    OL_CONFIG_MAP(XX)
#undef XX
} ol_config_t;

/* Fills cfg from defaults, then the file named by --config / OPSLEDGER_CONFIG (if any), the
 * environment and argv (flags are removed from argv; *argc is updated). Returns 0 or -1 with a
 * message in err. Strings are owned by the process (never freed). */
int ol_config_load(ol_config_t *cfg, int *argc, char **argv, char *err, size_t errlen);
/* Validates values and their ranges; returns 0 or -1 with a message. */
int ol_config_check(const ol_config_t *cfg, char *err, size_t errlen);
/* The checks of ol_config_check for directory login, TLS and proxies (core/config_s9.c). */
int ol_config_check_s9(const ol_config_t *cfg, char *err, size_t errlen);
/* The number of settings, and setting k as it may be shown: its key in *key and its value, with
 * a password in a database URL masked (then written into buf). */
size_t ol_config_count(void);
/* Setting k's documented default and description. */
const char *ol_config_default(size_t k);
const char *ol_config_description(size_t k);
const char *ol_config_shown(const ol_config_t *cfg, size_t k, const char **key, char *buf,
                            size_t len);
/* The check of web_root: empty (the default) or an existing directory (core/config_web.c). */
int ol_config_check_web(const ol_config_t *cfg, char *err, size_t errlen);
/* The checks of the incident policies I3, I4 (modules/incident_policy.c). */
int ol_config_check_incident(const ol_config_t *cfg, char *err, size_t errlen);
/* The checks of the complaint and survey policies V3 (modules/complaint.c). */
int ol_config_check_complaint(const ol_config_t *cfg, char *err, size_t errlen);
/* The checks of the SLA policies and calendars I4 (records/sla_policy.c). */
int ol_config_check_sla(const ol_config_t *cfg, char *err, size_t errlen);
/* The checks of the release and calendar policies R2, R3, P5 (modules/release_rollout.c). */
int ol_config_check_release(const ol_config_t *cfg, char *err, size_t errlen);
/* The checks of the change policies C1-C9 (modules/change_rules.c). */
int ol_config_check_change(const ol_config_t *cfg, char *err, size_t errlen);
/* The checks of the monitoring intake policies I1 (modules/intake_read.c). */
int ol_config_check_intake(const ol_config_t *cfg, char *err, size_t errlen);
/* The checks of the problem policies Q1-Q4 (modules/problem_policy.c). */
int ol_config_check_problem(const ol_config_t *cfg, char *err, size_t errlen);
/* The checks of the CMDB policies K2, K5 (modules/cmdb_graph.c). */
int ol_config_check_cmdb(const ol_config_t *cfg, char *err, size_t errlen);
/* Prints "key = value" lines, for `opsledger config check`. */
void ol_config_print(const ol_config_t *cfg);
/* The effective database URL (db, or sqlite:DATA/opsledger.db when only data was set). */
const char *ol_config_db_url(const ol_config_t *cfg);
long ol_config_int(const char *value);
/* The configuration in effect (the last one loaded; defaults before any load). */
const ol_config_t *ol_config(void);

#endif
