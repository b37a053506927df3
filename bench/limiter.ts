// The limiter on a virtual timeline: the real runner, pipeline and limiter against the test suite's
// endpoints (__tests__/support/virtual-time.ts), 1,000 cases each, in milliseconds of virtual time,
// the same on every machine and every run. What no process, socket or timer adds: the limiter's own
// share of the figures `npm run bench:429` measures on a real server.
//   npm run bench:limiter            (about 2 s)

import { echoSet } from "../__tests__/support/echo-set.js";
import { seededRng } from "../__tests__/support/prng.js";
import {
  bucketEndpoint,
  cappedEndpoint,
  noisyEndpoint,
  VirtualClock,
} from "../__tests__/support/virtual-time.js";
import { runAll } from "../src/core/run/runner.js";

type Endpoint = ReturnType<typeof noisyEndpoint>;

async function run(
  make: (clock: VirtualClock) => Endpoint,
  cases: number,
  concurrency: number,
  seed: number,
) {
  const clock = new VirtualClock();
  const endpoint = make(clock);
  const target = { endpoint: "virtual", model: "m", system: null, params: {} };
  const outcome = await clock.drive(
    runAll(
      {
        sets: [echoSet(cases)],
        defaultGraders: [{ type: "exact", value: "{{expected}}" }],
        repeats: 1,
        concurrency,
        sides: [{ side: "head", target, provider: endpoint.provider }],
      },
      { clock, random: seededRng(seed) },
    ),
  );
  const ms = clock.now();
  return {
    ms,
    errors: outcome.runs.filter((r) => r.error !== undefined).length,
    rateLimited: endpoint.counts.rateLimited,
  };
}

const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
const P = 0.3;
const L = 50;
const C = 32;
const ideal = (1000 * L) / (C * (1 - P));
const shares: number[] = [];
for (const seed of seeds) {
  const r = await run(
    (clock) => noisyEndpoint(clock, { p: P, latencyMs: L, retryAfterMs: 50, seed }),
    1000,
    C,
    seed,
  );
  if (r.errors > 0) throw new Error(`noise, seed ${seed}: ${r.errors} errors`);
  shares.push(ideal / r.ms);
}
const sorted = [...shares].sort((a, b) => a - b);
console.log(
  `noise: 30% random 429s (retry-after 50 ms), ${L} ms, ${C} in flight, 1,000 cases; ideal ${Math.round(ideal)} ms`,
);
console.log(
  `  share of the ideal by endpoint seed ${seeds.join(", ")}: ${shares.map((x) => x.toFixed(3)).join(" ")}`,
);
console.log(
  `  min ${sorted[0]?.toFixed(3)}, median ${(((sorted[3] as number) + (sorted[4] as number)) / 2).toFixed(3)}, max ${sorted.at(-1)?.toFixed(3)}`,
);
const caps = [
  [
    "true cap 200/s, 64 in flight",
    (c: VirtualClock) => cappedEndpoint(c, { perSecond: 200, latencyMs: L }),
    1000,
    64,
    200,
  ],
  [
    "true cap 200/s, its 429s after 50 ms, 64 in flight",
    (c: VirtualClock) => cappedEndpoint(c, { perSecond: 200, latencyMs: L, refusalMs: L }),
    1000,
    64,
    200,
  ],
  [
    "token bucket 200/s (burst 20), 16 in flight",
    (c: VirtualClock) => bucketEndpoint(c, { perSecond: 200, burst: 20, latencyMs: L }),
    1600,
    16,
    200,
  ],
  [
    "true cap 50/s, 64 in flight",
    (c: VirtualClock) => cappedEndpoint(c, { perSecond: 50, latencyMs: L }),
    1000,
    64,
    50,
  ],
] as const;
for (const [name, make, cases, concurrency, cap] of caps) {
  const r = await run(make, cases, concurrency, 5);
  const rate = (cases / r.ms) * 1000;
  console.log(
    `${name}: ${rate.toFixed(1)} req/s (${(rate / cap).toFixed(2)} of the cap), ${r.rateLimited} 429s, ${r.errors} errors`,
  );
}
