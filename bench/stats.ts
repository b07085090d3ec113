// Small timing helpers for bench scenarios: warm up, run a bounded number of iterations, report percentiles.

export interface Timing {
  n: number;
  median: number;
  p95: number;
  mean: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export async function time(iterations: number, warmup: number, fn: (i: number) => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn(warmup + i);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return {
    n: iterations,
    median: percentile(samples, 50),
    p95: percentile(samples, 95),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
  };
}

export const ms = (x: number) => `${x.toFixed(1)} ms`;
