#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
  const char *p;
  const char *end;
  int depth;
} parser;

static void skip_ws(parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t')) ps->p++;
}

static int parse_value(parser *ps, jval *out);

static void put_utf8(char *s, size_t *o, unsigned cp) {
  if (cp < 0x80) {
    s[(*o)++] = (char)cp;
  } else if (cp < 0x800) {
    s[(*o)++] = (char)(0xc0 | (cp >> 6));
    s[(*o)++] = (char)(0x80 | (cp & 0x3f));
  } else {
    s[(*o)++] = (char)(0xe0 | (cp >> 12));
    s[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
    s[(*o)++] = (char)(0x80 | (cp & 0x3f));
  }
}

static char *parse_string(parser *ps) {
  const char *start;
  char *s;
  size_t o = 0;
  if (ps->p >= ps->end || *ps->p != '"') return NULL;
  start = ++ps->p;
  while (ps->p < ps->end && *ps->p != '"') {
    if (*ps->p == '\\') ps->p++;
    ps->p++;
  }
  if (ps->p >= ps->end) return NULL;
  s = malloc((size_t)(ps->p - start) * 2 + 1);
  {
    const char *q = start;
    while (q < ps->p) {
      if (*q != '\\') {
        s[o++] = *q++;
        continue;
      }
      q++;
      switch (*q) {
        case 'n': s[o++] = '\n'; q++; break;
        case 't': s[o++] = '\t'; q++; break;
        case 'r': s[o++] = '\r'; q++; break;
        case 'b': s[o++] = '\b'; q++; break;
        case 'f': s[o++] = '\f'; q++; break;
        case 'u': {
          unsigned cp = 0;
          if (ps->p - q < 5 || sscanf(q + 1, "%4x", &cp) != 1) {
            free(s);
            return NULL;
          }
          put_utf8(s, &o, cp);
          q += 5;
          break;
        }
        default: s[o++] = *q++; break;
      }
    }
  }
  s[o] = '\0';
  ps->p++;
  return s;
}

static int parse_container(parser *ps, jval *out, char close) {
  size_t cap = 4;
  int object = close == '}';
  out->type = object ? J_OBJ : J_ARR;
  out->items = calloc(cap, sizeof(jval));
  out->keys = object ? calloc(cap, sizeof(char *)) : NULL;
  out->count = 0;
  ps->p++;
  if (++ps->depth > 64) return 0;
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == close) {
    ps->p++;
    ps->depth--;
    return 1;
  }
  for (;;) {
    char *key = NULL;
    skip_ws(ps);
    if (object) {
      key = parse_string(ps);
      if (!key) return 0;
      skip_ws(ps);
      if (ps->p >= ps->end || *ps->p != ':') {
        free(key);
        return 0;
      }
      ps->p++;
    }
    if (out->count == cap) {
      cap *= 2;
      out->items = realloc(out->items, cap * sizeof(jval));
      if (object) out->keys = realloc(out->keys, cap * sizeof(char *));
    }
    memset(&out->items[out->count], 0, sizeof(jval));
    if (object) out->keys[out->count] = key;
    out->count++;
    if (!parse_value(ps, &out->items[out->count - 1])) return 0;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
      ps->p++;
      continue;
    }
    if (ps->p < ps->end && *ps->p == close) {
      ps->p++;
      ps->depth--;
      return 1;
    }
    return 0;
  }
}

static int parse_value(parser *ps, jval *out) {
  skip_ws(ps);
  if (ps->p >= ps->end) return 0;
  switch (*ps->p) {
    case '{': return parse_container(ps, out, '}');
    case '[': return parse_container(ps, out, ']');
    case '"':
      out->type = J_STR;
      out->str = parse_string(ps);
      return out->str != NULL;
    case 't':
    case 'f':
    case 'n': {
      const char *word = *ps->p == 't' ? "true" : *ps->p == 'f' ? "false" : "null";
      size_t n = strlen(word);
      if ((size_t)(ps->end - ps->p) < n || strncmp(ps->p, word, n) != 0) return 0;
      out->type = *word == 'n' ? J_NULL : J_BOOL;
      out->boolean = *word == 't';
      ps->p += n;
      return 1;
    }
    default: {
      char *stop;
      char tmp[64];
      size_t n = 0;
      while (ps->p + n < ps->end && n < sizeof tmp - 1 && strchr("+-0123456789.eE", ps->p[n]) != NULL) n++;
      if (n == 0) return 0;
      memcpy(tmp, ps->p, n);
      tmp[n] = '\0';
      out->type = J_NUM;
      out->num = strtod(tmp, &stop);
      if (stop != tmp + n) return 0;
      ps->p += n;
      return 1;
    }
  }
}

static void free_inner(jval *v) {
  size_t i;
  free(v->str);
  for (i = 0; i < v->count; i++) {
    free_inner(&v->items[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
}

jval *json_parse(const char *text, size_t n) {
  parser ps;
  jval *v = calloc(1, sizeof(jval));
  ps.p = text;
  ps.end = text + n;
  ps.depth = 0;
  if (!parse_value(&ps, v)) {
    json_free(v);
    return NULL;
  }
  skip_ws(&ps);
  if (ps.p != ps.end) {
    json_free(v);
    return NULL;
  }
  return v;
}

void json_free(jval *v) {
  if (!v) return;
  free_inner(v);
  free(v);
}

const jval *json_get(const jval *obj, const char *key) {
  size_t i;
  if (!obj || obj->type != J_OBJ) return NULL;
  for (i = 0; i < obj->count; i++)
    if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
  return NULL;
}

const char *json_str(const jval *obj, const char *key) {
  const jval *v = json_get(obj, key);
  return v && v->type == J_STR ? v->str : NULL;
}

double json_num(const jval *obj, const char *key, int *ok) {
  const jval *v = json_get(obj, key);
  *ok = v && v->type == J_NUM;
  return *ok ? v->num : 0;
}

char *read_whole_file(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  char *buf;
  long size;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  buf = malloc((size_t)size + 1);
  *n = fread(buf, 1, (size_t)size, f);
  buf[*n] = '\0';
  fclose(f);
  return buf;
}
