/* A small JSON reader (secrets.json for the Linux display, vector files for the tests): a tree of values on the heap. */
#ifndef WGW_TEST_JSON_H
#define WGW_TEST_JSON_H

#include <stddef.h>

typedef enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jval {
  jtype type;
  int boolean;
  double num;
  /* J_STR: NUL-terminated (escapes resolved) */
  char *str;
  /* J_ARR and J_OBJ */
  struct jval *items;
  char **keys;
  size_t count;
} jval;

/* NULL when the text is not one JSON value */
jval *json_parse(const char *text, size_t n);
void json_free(jval *v);
/* a member of an object, NULL if absent */
const jval *json_get(const jval *obj, const char *key);
/* a member that is a string, NULL otherwise */
const char *json_str(const jval *obj, const char *key);
/* a member that is a number; *ok = 0 when absent or not a number */
double json_num(const jval *obj, const char *key, int *ok);
/* whole file, NUL-terminated; NULL on error */
char *read_whole_file(const char *path, size_t *n);

#endif
