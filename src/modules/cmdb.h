/* modules/cmdb.h - the CMDB (REQUIREMENTS K1, K2, K5): configuration items, their typed and
 * directed relationships, impact analysis, and discovery / import by unique ID.
 *
 * Every function reports through the context like the record engine: 0 with ctx->result, or
 * a negative OL_E* code with ctx->detail and per-field ctx->errors. The *_prepare functions
 * return a write to run (ol_write_run or ol_api_run_write); nothing is written on failure. */
#ifndef OL_CMDB_H
#define OL_CMDB_H
#include "core/config.h"
#include "records/ctx.h"
#include "records/schema.h"

extern const ol_record_type_t ol_ci_type;
extern const char *const ol_ci_classes[]; /* NULL-terminated */

/* A relationship type: src <name> dst (e.g. server hosts application). dependent_is_src says
 * which end depends on the other: an outage of the other end affects it (impact analysis). */
typedef struct {
    const char *name, *label_en, *label_zh;
    int dependent_is_src;
} ol_ci_relation_type_t;
extern const ol_ci_relation_type_t ol_ci_relation_types[]; /* ends with name == NULL */

/* ---- class attributes (cmdb_attributes.c) -------------------------------------------------- */

extern const ol_record_type_t ol_ci_attribute_type;
/* Checks rec's "attributes" ("name=value" entries) against the active definitions of its class:
 * on create (old NULL) and when the attributes or the class differ from old. 0, or -OL_EINVAL
 * with field errors in c. */
int ol_cmdb_check_attributes(struct ol_conn *conn, struct ol_ctx *c, const json_t *rec,
                             const json_t *old);

/* ---- configuration items (cmdb.c) ---------------------------------------------------------- */

/* C8, K5: whether the CI called name (its number or unique ID) has a version made under ref,
 * i.e. a write whose change_ref named ref. *found is 0 when no CI of the CMDB has that name.
 * 0, or a database error in c. */
int ol_cmdb_updated_under(struct ol_conn *conn, struct ol_ctx *c, const char *name,
                          const char *ref, int *found, int *updated);

/* ---- relationships and impact (cmdb_graph.c) ---------------------------------------------- */

/* input {"type": "hosts", "target": "CI-000002"}: number <type> target. Needs update on ci;
 * 409 when it exists. Audited (ci.relate) and kept in both CIs' history. */
int ol_cmdb_relate_prepare(ol_ctx_t *c, const char *number, const json_t *input, ol_write_t *w);
/* Removes number <type> target; 404 when there is no such relationship. */
int ol_cmdb_unrelate_prepare(ol_ctx_t *c, const char *number, const char *type,
                             const char *target, ol_write_t *w);
/* {"items": [{"direction": "outgoing"|"incoming", "type", "ci": {...}, ...}], "hidden": N}: the
 * relationships to CIs outside c's data scope (S5) are left out and counted in "hidden". */
int ol_cmdb_relations(ol_ctx_t *c, const char *number);
/* Breadth-first walk of the dependency graph from number, depth levels at most (0 = the
 * policy's default; above cmdb_impact_max_depth: 400). up: the CIs an outage of number affects
 * (the business services among them listed apart); down: the CIs number depends on. Each
 * node once, at its shortest depth, with the CI ("from") and relationship that reached it; cycles
 * end there. At most cmdb_impact_max_nodes nodes ("truncated": true beyond). */
int ol_cmdb_impact(ol_ctx_t *c, const char *number, const char *direction, const char *depth);
/* The same answer as JSON text in *text (caller frees; NULL on failure), for the API: paths
 * "true" adds each node's "path" (numbers from number to it). CIs outside c's data scope (S5)
 * are walked through and answered as {"hidden": true, "ref": "hidden-N", "depth", "relation",
 * "from"}, named by their ref in "from", "path" and "edges"; "hidden" counts them. */
int ol_cmdb_impact_text(ol_ctx_t *c, const char *number, const char *direction,
                        const char *depth, const char *paths, char **text);

/* ---- baselines and compliance (cmdb_baseline.c) ------------------------------------------- */

extern const ol_record_type_t ol_ci_baseline_type;
/* POST /cis/compliance-scan {"baseline": "BL-…" (default: every active one),
 * "open_incidents": true}: compares each CI of a baseline's class (not retired) with it; opens
 * an incident per deviating CI and baseline unless one is recorded open; closes the record when
 * the CI complies again. ctx->result: {"baselines","checked","compliant","deviating",
 * "compliance_rate","target","meets_target","deviations":[…]}. */
int ol_cmdb_scan_prepare(ol_ctx_t *c, const json_t *input, ol_write_t *w);

/* ---- audits by sampling (cmdb_audit.c) ------------------------------------------------------ */

extern const ol_record_type_t ol_ci_audit_type;
/* GET /ci_audits/{number}/items[?status=]: the sample, each item with its CI in full (what the
 * auditor checks on site). */
int ol_cmdb_audit_items(ol_ctx_t *c, const char *number, const char *status);
/* POST /ci_audits/{number}/items/{id} {"result": "matched"|"mismatched"|"missing", "note",
 * "corrections": {CI fields, with mismatched}}: records the finding; corrections are applied to
 * the CI in the same transaction. The audit must be in progress. */
int ol_cmdb_audit_check_prepare(ol_ctx_t *c, const char *number, long long item,
                                const json_t *input, ol_write_t *w);
/* GET /ci_audits/{number}/report: counts, accuracy against cmdb_accuracy_target, per team. */
int ol_cmdb_audit_report(ol_ctx_t *c, const char *number);

/* ---- discovery and import (cmdb_discovery.c) ---------------------------------------------- */

/* PUT /cis/by-id/{ci_id}: creates the CI with that ci_id or changes the fields that differ.
 * ctx->result: {"status": "created"|"changed"|"unchanged", "fields": [...], "record": {...}}. */
int ol_cmdb_upsert_prepare(ol_ctx_t *c, const char *ci_id, const json_t *input, ol_write_t *w);
/* POST /cis/discovery {"items": [...], "mode": "all_or_nothing"|"partial"} and
 * POST /cis/import {"format": "csv"|"json", "data": "CSV text" | "items": [...], "mode"}:
 * an upsert by ci_id per item, reported per item (row). all_or_nothing (the default): any
 * invalid item refuses the whole batch (400, errors naming row and field) and writes nothing;
 * partial: invalid items are reported and skipped. */
int ol_cmdb_discovery_prepare(ol_ctx_t *c, const json_t *input, int import, ol_write_t *w);

#endif
