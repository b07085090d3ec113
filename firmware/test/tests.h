#ifndef WGW_TESTS_H
#define WGW_TESTS_H
void unit_tests(void);
/* every JSON file of docs/vectors in dir; returns the number of files checked */
int vector_tests(const char *dir);
#endif
