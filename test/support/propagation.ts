/** Summaries of measured delays for the scale-out tests: percentiles, printed for the report. */

export interface Distribution {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function distribution(samples: readonly number[]): Distribution {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    n: s.length,
    min: round(s[0]!),
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    max: round(s[s.length - 1]!),
    mean: round(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

export function formatDistribution(label: string, d: Distribution): string {
  return `${label}: n=${d.n} min=${d.min} p50=${d.p50} p90=${d.p90} p99=${d.p99} max=${d.max} mean=${d.mean} (ms)`;
}
