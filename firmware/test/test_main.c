/* The device library's tests, TAP output (test/firmware/c-library.test.ts parses it). Usage: wgw-test VECTOR_DIR */
#include "support.h"
#include "tests.h"

int main(int argc, char **argv) {
  const char *vectors = argc > 1 ? argv[1] : "../docs/vectors";
  unit_tests();
  printf("# vector files checked: %d\n", vector_tests(vectors));
  return tests_done();
}
