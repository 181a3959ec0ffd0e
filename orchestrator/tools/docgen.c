/* zsim-docgen: the man pages' generated parts and the bash completion,
 * made from the command descriptors (main.c's table, each cmd/<verb>.c's
 * descriptor), the global options, the exit statuses, the config key
 * table (core/config.c) and the job-file rules (core/job.h), so none of
 * them can drift from the program. Built with main.c (its main renamed),
 * as tests/unit/test_cmdtable is; never installed.
 *
 *   zsim-docgen man TEMPLATE   TEMPLATE (scdoc) with each line that is
 *                              only @NAME@ replaced by that part
 *   zsim-docgen bash BODY      the bash completion script: the tables,
 *                              then BODY (tools/completion.bash)
 *   zsim-docgen tidy           scdoc's roff (stdin) without the empty
 *                              paragraphs mandoc -T lint reports
 *   zsim-docgen names          every command, nested verb, option and
 *                              config key, and which commands take the
 *                              host lock, one per line (for the tests)
 *
 * Output goes to stdout; CMake (doc/CMakeLists.txt) runs scdoc on it. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdtable.h"
#include "core/config.h"
#include "core/job.h"
#include "core/knobs.h"
#include "util/str.h"

#include "util/banned.h"

/* ---- scdoc ----------------------------------------------------------- */

#define WRAP 72

/* Text with scdoc's markup characters escaped; `...` becomes bold
 * (*code says whether such a span is open, and it is closed at the end
 * and opened again by the next call, as a span cannot cross a line). At
 * the start of a line, a character that would begin a heading, list,
 * table or indent is escaped too. */
/* Whether the backtick at s[i] opens or closes a span: one opens before
 * a word ("$, `, *" is text). */
static bool span(const char *s, size_t i, size_t len, bool code)
{
	return s[i] == '`' &&
	       (code || (i + 1 < len && (isalnum((unsigned char)s[i + 1]) || strchr("-[", s[i + 1]))));
}

static void text(FILE *f, const char *s, size_t len, bool line_start, bool *code)
{
	size_t i;

	if (*code)
		fputc('*', f);
	if (line_start && len && strchr("#-.[]|:+;`\t ", s[0]) && !span(s, 0, len, *code))
		fputc('\\', f);
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (span(s, i, len, *code)) {
			fputc('*', f);
			*code = !*code;
		} else if (c == '*' || c == '_' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
		} else {
			fputc(c, f);
		}
	}
	if (*code)
		fputc('*', f);
}

/* One paragraph of `s` (words separated by blanks), wrapped at WRAP
 * columns; every line begins with `indent` (a tab inside a definition:
 * scdoc's indented block). */
static void para(FILE *f, const char *s, const char *indent)
{
	bool code = false;
	size_t col = 0;

	while (*s) {
		size_t len;

		s += strspn(s, " \n");
		len = strcspn(s, " \n");
		if (!len)
			break;
		/* a roff line must not begin with '.' or '\'' (a request), and
		 * scdoc passes them through: such a word stays on the line */
		if (col && col + 1 + len > WRAP && s[0] != '.' && s[0] != '\'') {
			fputc('\n', f);
			col = 0;
		}
		if (col) {
			fputc(' ', f);
			col++;
		} else {
			fputs(indent, f);
		}
		text(f, s, len, col == 0, &code);
		col += len;
		s += len;
	}
	fputc('\n', f);
}

/* Lines of `usage` from `p`: *ret_len is the line's length without its
 * newline; returns the next line or NULL at the end. */
static const char *next_line(const char *p, size_t *ret_len)
{
	const char *nl = strchr(p, '\n');

	*ret_len = nl ? (size_t)(nl - p) : strlen(p);
	return nl ? nl + 1 : NULL;
}

static size_t indent_of(const char *p, size_t len)
{
	size_t n = 0;

	while (n < len && p[n] == ' ')
		n++;
	return n;
}

/* "show     the effective..." : a term, two or more spaces, its text.
 * Returns the column the text starts at, or 0. */
static size_t term_column(const char *p, size_t len)
{
	const char *gap;

	if (!len || p[0] == ' ')
		return 0;
	gap = strstr(p, "  ");
	if (!gap || (size_t)(gap - p) >= len || gap - p > 16)
		return 0;
	return indent_of(gap, len - (size_t)(gap - p)) + (size_t)(gap - p);
}

/* The synopsis: the lines up to the first blank one, as a literal block
 * (scdoc keeps its spacing), with the usage's 7-space alignment removed. */
static const char *synopsis(FILE *f, const char *p)
{
	size_t len;

	fputs("```\n", f);
	while (p && *p && *p != '\n') {
		const char *line = p;
		size_t cut;

		p = next_line(p, &len);
		cut = indent_of(line, len) >= 7 ? 7 : 0;
		fprintf(f, "%.*s\n", (int)(len - cut), line + cut);
	}
	fputs("```\n", f);
	return p && *p == '\n' ? p + 1 : p;
}

static void flush_para(FILE *f, struct zo_strbuf *sb, const char *indent)
{
	if (sb->buf && *sb->buf)
		para(f, sb->buf, indent);
	zo_strbuf_release(sb);
}

/* A definition block ("show  text" lines with indented continuations) as
 * scdoc terms with indented text. Returns where the block ended. */
static const char *definitions(FILE *f, const char *p)
{
	struct zo_strbuf sb = { 0 };
	bool code = false;
	size_t len;

	while (p && *p && *p != '\n') {
		const char *line = p;
		size_t col;

		p = next_line(p, &len);
		col = term_column(line, len);
		if (col) {
			flush_para(f, &sb, "\t");
			/* "on, off": the term runs up to the two spaces */
			fputs("\n*", f);
			text(f, line, (size_t)(strstr(line, "  ") - line), false, &code);
			fputs("*\n", f);
			zo_strbuf_appendf(&sb, "%.*s", (int)(len - col), line + col);
		} else {
			zo_strbuf_appendf(&sb, " %.*s", (int)len, line);
		}
	}
	flush_para(f, &sb, "\t");
	return p;
}

/* Prose, with lines indented by two or more spaces (an example) kept as a
 * literal block. */
static const char *prose(FILE *f, const char *p)
{
	struct zo_strbuf sb = { 0 };
	bool in_lit = false;
	size_t len;

	while (p && *p && *p != '\n') {
		const char *line = p;
		bool lit;

		p = next_line(p, &len);
		lit = indent_of(line, len) >= 2;
		if (lit && !in_lit) {
			if (sb.buf) {
				flush_para(f, &sb, "");
				fputc('\n', f);
			}
			fputs("```\n", f);
		} else if (!lit && in_lit) {
			fputs("```\n\n", f);
		}
		in_lit = lit;
		if (lit)
			fprintf(f, "%.*s\n", (int)(len - 2), line + 2);
		else
			zo_strbuf_appendf(&sb, "%s%.*s", sb.buf ? " " : "", (int)len, line);
	}
	if (in_lit)
		fputs("```\n", f);
	flush_para(f, &sb, "");
	return p;
}

static void usage_scdoc(FILE *f, const char *usage)
{
	const char *p = synopsis(f, usage);
	size_t len;

	while (p && *p) {
		if (*p == '\n') {
			p++;
			continue;
		}
		next_line(p, &len);
		fputc('\n', f);
		p = term_column(p, len) ? definitions(f, p) : prose(f, p);
	}
}

static void part_commands(FILE *f)
{
	size_t i;

	for (i = 0; i < zo_n_commands; i++) {
		const struct zo_cmd *c = zo_commands[i];

		fprintf(f, "%s## %s\n\n", i ? "\n" : "", c->name);
		para(f, c->summary, "");
		fputc('\n', f);
		usage_scdoc(f, c->usage);
	}
}

/* Help text (its lines joined) as an indented paragraph ending in '.'. */
static void sentence(FILE *f, const char *s)
{
	_cleanup_free_ char *t = zo_asprintf("%s.", s);

	para(f, t ? t : s, "\t");
}

static void part_options(FILE *f)
{
	size_t i;

	for (i = 0; i < zo_n_global_options; i++) {
		const struct zo_global_option *g = &zo_global_options[i];

		fprintf(f, "%s*", i ? "\n" : "");
		if (g->opt.short_name)
			fprintf(f, "-%c, ", g->opt.short_name);
		fprintf(f, "--%s*", g->opt.name);
		if (g->opt.arg)
			fprintf(f, " _%s_", g->opt.arg);
		fputc('\n', f);
		sentence(f, g->help);
	}
}

static void part_exit_status(FILE *f)
{
	size_t i;

	for (i = 0; i < zo_n_exit_statuses; i++) {
		fprintf(f, "%s*%d*\n", i ? "\n" : "", zo_exit_statuses[i].code);
		sentence(f, zo_exit_statuses[i].meaning);
	}
}

static void key_scdoc(FILE *f, const struct zo_key_def *d)
{
	_cleanup_free_ char *t = NULL;
	char form[256];
	bool code = false;

	fprintf(f, "*%s* = ", d->key);
	if (*d->def)
		text(f, d->def, strlen(d->def), false, &code);
	else
		fputs("_(empty)_", f);
	fputc('\n', f);
	t = zo_asprintf("%s Accepted: %s%s.", d->help, zo_type_form(d, form, sizeof(form)),
			d->optional ? ", or empty" : "");
	para(f, t ? t : d->help, "\t");
}

static void part_config_keys(FILE *f)
{
	const char *section = NULL;
	size_t i;

	for (i = 0; i < zo_config_n_keys; i++) {
		const struct zo_key_def *d = &zo_config_keys[i];

		if (!section || strcmp(section, d->section)) {
			section = d->section;
			fprintf(f, "%s## [%s]\n", i ? "\n" : "", section);
		}
		fputc('\n', f);
		key_scdoc(f, d);
	}
}

static void part_job_rules(FILE *f)
{
	_cleanup_free_ char *t = zo_asprintf(
		"Quoting in `args`: %s.\n\nA job file is at most %d KiB and stands for at most "
		"%d runs; a run's name (`name`, then `-KEYvalue` for each `[matrix]` key) is at "
		"most %d characters; `timeout` is at most %llu days.",
		ZO_JOB_QUOTING, ZO_JOB_MAX_BYTES / 1024, ZO_JOB_MAX_RUNS, ZO_JOB_MAX_NAME,
		ZO_JOB_MAX_TIMEOUT_S / 86400);
	char *second = t ? strstr(t, "\n\n") : NULL;

	if (!second)
		return;
	*second = '\0';
	para(f, t, "");
	fputc('\n', f);
	para(f, second + 2, "");
}

static const struct {
	const char *name;
	void (*emit)(FILE *f);
} parts[] = {
	{ "@OPTIONS@", part_options },		{ "@COMMANDS@", part_commands },
	{ "@EXIT_STATUS@", part_exit_status },	{ "@CONFIG_KEYS@", part_config_keys },
	{ "@JOB_RULES@", part_job_rules },
};

static int man(const char *template)
{
	_cleanup_fclose_ FILE *in = fopen(template, "re");
	char line[4096];
	size_t i;

	if (!in) {
		fprintf(stderr, "zsim-docgen: %s: %s\n", template, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = '\0';
		for (i = 0; i < ZO_ARRAY_SIZE(parts); i++)
			if (!strcmp(line, parts[i].name))
				break;
		if (i < ZO_ARRAY_SIZE(parts))
			parts[i].emit(stdout);
		else
			printf("%s\n", line);
	}
	return 0;
}

/* scdoc opens every block with .P, also right after a heading, before
 * another block or before the end of an indent, which mandoc -T lint
 * reports ("skipping paragraph macro"). Drop those, or move them past the
 * .RE; everything else passes through. */
static bool heading(const char *line)
{
	return !strncmp(line, ".SH", 3) || !strncmp(line, ".SS", 3) || !strncmp(line, ".TH", 3);
}

static int tidy(void)
{
	char line[8192];
	bool pending = false, after_heading = false;

	while (fgets(line, sizeof(line), stdin)) {
		bool para = !strcmp(line, ".P\n");

		if (para) {
			pending = !after_heading;
			continue;
		}
		/* ".P .RE": the paragraph break goes after the indent ends */
		if (pending && !strncmp(line, ".RE", 3)) {
			fputs(line, stdout);
			continue;
		}
		if (pending && !heading(line))
			fputs(".P\n", stdout);
		pending = false;
		after_heading = heading(line);
		fputs(line, stdout);
	}
	return ferror(stdin) || ferror(stdout) ? 1 : 0;
}

/* ---- bash completion -------------------------------------------------- */

static void opt_words(FILE *f, const struct zo_opt *o)
{
	for (; o && o->name; o++) {
		fprintf(f, " --%s", o->name);
		if (o->short_name)
			fprintf(f, " -%c", o->short_name);
	}
}

/* "KEY) words ;;" lines of one case statement per kind of data. */
static void case_opts(FILE *f, const char *key, const struct zo_opt *o)
{
	fprintf(f, "\t\"%s\") echo \"--help", key);
	opt_words(f, o);
	fputs("\" ;;\n", f);
}

static void case_optargs(FILE *f, const char *key, const struct zo_opt *o)
{
	for (; o && o->name; o++) {
		if (!o->arg)
			continue;
		fprintf(f, "\t\"%s --%s\"", key, o->name);
		if (o->short_name)
			fprintf(f, " | \"%s -%c\"", key, o->short_name);
		fprintf(f, ") echo '%s' ;;\n", o->arg);
	}
}

static void bash_tables(FILE *f)
{
	size_t i, j;
	char key[64];

	fputs("__zsim_orch_subs()\n{\n\tcase $1 in\n", f);
	for (i = 0; i < zo_n_commands; i++) {
		const struct zo_cmd *c = zo_commands[i];

		if (!c->n_subs)
			continue;
		fprintf(f, "\t%s) echo \"", c->name);
		for (j = 0; j < c->n_subs; j++)
			fprintf(f, "%s%s", j ? " " : "", c->subs[j].name);
		fputs("\" ;;\n", f);
	}
	fputs("\tesac\n}\n\n__zsim_orch_opts()\n{\n\tcase $1 in\n", f);
	for (i = 0; i < zo_n_commands; i++) {
		const struct zo_cmd *c = zo_commands[i];

		if (!c->n_subs)
			case_opts(f, c->name, c->opts);
		for (j = 0; j < c->n_subs; j++) {
			snprintf(key, sizeof(key), "%s %s", c->name, c->subs[j].name);
			case_opts(f, key, c->subs[j].opts);
		}
	}
	fputs("\tesac\n}\n\n__zsim_orch_optarg()\n{\n\tcase \"$1 $2\" in\n", f);
	for (i = 0; i < zo_n_global_options; i++) {
		const struct zo_opt *o = &zo_global_options[i].opt;

		if (!o->arg)
			continue;
		fprintf(f, "\t\" --%s\"", o->name);
		if (o->short_name)
			fprintf(f, " | \" -%c\"", o->short_name);
		fprintf(f, ") echo '%s' ;;\n", o->arg);
	}
	for (i = 0; i < zo_n_commands; i++) {
		const struct zo_cmd *c = zo_commands[i];

		case_optargs(f, c->name, c->opts);
		for (j = 0; j < c->n_subs; j++) {
			snprintf(key, sizeof(key), "%s %s", c->name, c->subs[j].name);
			case_optargs(f, key, c->subs[j].opts);
		}
	}
	fputs("\tesac\n}\n\n__zsim_orch_args()\n{\n\tcase $1 in\n", f);
	for (i = 0; i < zo_n_commands; i++) {
		const struct zo_cmd *c = zo_commands[i];

		if (c->args)
			fprintf(f, "\t\"%s\") echo '%s' ;;\n", c->name, c->args);
		for (j = 0; j < c->n_subs; j++)
			if (c->subs[j].args)
				fprintf(f, "\t\"%s %s\") echo '%s' ;;\n", c->name, c->subs[j].name,
					c->subs[j].args);
	}
	fputs("\tesac\n}\n\n", f);
}

static void bash_words(FILE *f)
{
	size_t i;

	fputs("__zsim_orch_commands=\"", f);
	for (i = 0; i < zo_n_commands; i++)
		fprintf(f, "%s%s", i ? " " : "", zo_commands[i]->name);
	fputs("\"\n__zsim_orch_globals=\"", f);
	for (i = 0; i < zo_n_global_options; i++) {
		fprintf(f, "%s--%s", i ? " " : "", zo_global_options[i].opt.name);
		if (zo_global_options[i].opt.short_name)
			fprintf(f, " -%c", zo_global_options[i].opt.short_name);
	}
	fputs("\"\n__zsim_orch_knobs=\"", f);
	for (i = 0; i < zo_n_knobs; i++)
		fprintf(f, "%s%s=", i ? " " : "", zo_knobs[i].name);
	fputs("\"\n\n", f);
}

/* The tables, then `body` (tools/completion.bash: the functions that use
 * them). */
static int bash(const char *body)
{
	_cleanup_fclose_ FILE *in = fopen(body, "re");
	char buf[4096];
	size_t n;

	if (!in) {
		fprintf(stderr, "zsim-docgen: %s: %s\n", body, strerror(errno));
		return 1;
	}
	printf("# bash completion for zsim-orch(8). Generated by zsim-docgen from the\n"
	       "# command descriptors and orchestrator/tools/completion.bash: do not\n"
	       "# edit; change those. Needs bash-completion 2.1 or later.\n\n");
	bash_words(stdout);
	bash_tables(stdout);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, stdout);
	return ferror(in) ? 1 : 0;
}

/* ---- names ---------------------------------------------------------- */

static void names_opts(const char *key, const struct zo_opt *o)
{
	for (; o && o->name; o++)
		printf("option %s --%s\n", key, o->name);
}

static int names(void)
{
	size_t i, j;
	char key[64];

	for (i = 0; i < zo_n_global_options; i++)
		printf("global --%s\n", zo_global_options[i].opt.name);
	for (i = 0; i < zo_n_commands; i++) {
		const struct zo_cmd *c = zo_commands[i];

		printf("command %s\n", c->name);
		if (c->flags & ZO_CMD_NEED_LOCK)
			printf("lock %s\n", c->name);
		names_opts(c->name, c->opts);
		for (j = 0; j < c->n_subs; j++) {
			snprintf(key, sizeof(key), "%s %s", c->name, c->subs[j].name);
			printf("sub %s\n", key);
			if (c->subs[j].flags & ZO_CMD_NEED_LOCK)
				printf("lock %s\n", key);
			names_opts(key, c->subs[j].opts);
		}
	}
	for (i = 0; i < zo_config_n_keys; i++)
		printf("key %s %s\n", zo_config_keys[i].section, zo_config_keys[i].key);
	for (i = 0; i < zo_n_exit_statuses; i++)
		printf("exit %d\n", zo_exit_statuses[i].code);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "man"))
		return man(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "bash"))
		return bash(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "names"))
		return names();
	if (argc == 2 && !strcmp(argv[1], "tidy"))
		return tidy();
	fprintf(stderr, "usage: zsim-docgen man TEMPLATE | bash BODY | tidy | names\n");
	return 2;
}
