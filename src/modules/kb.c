/* modules/kb.c - the knowledge base (REQUIREMENTS P6): articles with title, body, tags and
 * category, linked to incidents, problems and CIs; draft -> in review -> published -> retired.
 * A declaration plus one guard; everything else comes from the record engine. */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "records/schema.h"

static const char *const categories[] = {"how_to", "troubleshooting", "known_error", "faq",
                                         "reference", "policy", NULL};
static const char *const audiences[] = {"internal", "public", NULL};

static const ol_field_t fields[] = {
    {"title", OL_F_STRING, OL_FIELD_REQUIRED | OL_FIELD_SEARCHABLE, 3, 200, NULL, NULL,
     "Title", "标题"},
    {"body", OL_F_TEXT, OL_FIELD_SEARCHABLE, 0, 100000, NULL, NULL, "Body", "正文"},
    {"summary", OL_F_STRING, OL_FIELD_SEARCHABLE, 0, 500, NULL, NULL, "Summary", "摘要"},
    {"category", OL_F_ENUM, OL_FIELD_REQUIRED | OL_FIELD_FILTERABLE, 0, 0, categories,
     "\"how_to\"", "Category", "分类"},
    {"tags", OL_F_TAGS, OL_FIELD_SEARCHABLE | OL_FIELD_FILTERABLE, 0, 20, NULL, "[]", "Tags",
     "标签"},
    {"audience", OL_F_ENUM, OL_FIELD_FILTERABLE, 0, 0, audiences, "\"internal\"", "Audience",
     "可见范围"},
    {"owner", OL_F_USER, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Owner", "负责人"},
    {"group", OL_F_STRING, OL_FIELD_FILTERABLE, 0, 100, NULL, NULL, "Group", "组"},
    {"review_due", OL_F_DATETIME, OL_FIELD_FILTERABLE, 0, 0, NULL, NULL, "Review due",
     "复审到期"},
};

static const char *const st_draft[] = {"draft", NULL};
static const char *const st_review[] = {"in_review", NULL};
static const char *const st_published[] = {"published", NULL};
static const char *const st_revisable[] = {"published", "retired", NULL};
static const char *const states[] = {"draft", "in_review", "published", "retired", NULL};

static const char *const authors[] = {"kb_author", "kb_editor", NULL};
static const char *const editors[] = {"kb_editor", NULL};
static const char *const everyone[] = {"*", NULL};
static const char *const needs_body[] = {"body", NULL};

/* A published article must say something: a body of a useful length. */
static int publishable(const ol_guard_ctx_t *g, char *msg, size_t msglen)
{
    const char *body = json_string_value(json_object_get(g->record, "body"));
    if (!body || ol_utf8_len(body) < 20) {
        snprintf(msg, msglen, "an article needs a body of at least 20 characters to be published");
        return -OL_ESTATE;
    }
    return 0;
}

static const ol_transition_t transitions[] = {
    {"submit", st_draft, "in_review", authors, needs_body, 0, NULL, "Submit for review",
     "提交审核"},
    {"publish", st_review, "published", editors, needs_body, 0, publishable, "Publish", "发布"},
    {"reject", st_review, "draft", editors, NULL, 1, NULL, "Send back", "退回修改"},
    {"retire", st_published, "retired", editors, NULL, 1, NULL, "Retire", "废止"},
    {"revise", st_revisable, "draft", authors, NULL, 0, NULL, "Revise", "修订"},
};

const ol_record_type_t ol_kb_article_type = {
    .name = "article",
    .path = "articles",
    .prefix = "KB",
    .label_en = "Knowledge article",
    .label_zh = "知识文章",
    .fields = fields,
    .nfields = sizeof fields / sizeof fields[0],
    .states = states,
    .transitions = transitions,
    .ntransitions = sizeof transitions / sizeof transitions[0],
    .perms = {.read = everyone, .create = authors, .update = authors, .comment = everyone,
              .export = editors},
};
