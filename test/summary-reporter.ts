// Prints the plain closing line CI reads: "N passed, N failed" (", N skipped" when any were skipped).
// A file that failed outside its tests (an import error, a failing beforeAll that skipped its tests) counts as a
// failure, so the line can never say "0 failed" for a red run.
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of testModules) {
      let moduleFailed = 0;
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') moduleFailed++;
        else skipped++;
      }
      let suiteErrors = m.errors().length;
      for (const s of m.children.allSuites()) if (s.state() === 'failed' || s.errors().length) suiteErrors++;
      if (moduleFailed === 0 && (suiteErrors > 0 || m.state() === 'failed')) moduleFailed = 1;
      failed += moduleFailed;
    }
    failed += unhandledErrors.length;
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}
