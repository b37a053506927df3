// Writes the example's sets and the recorded responses of a simulated assistant for both prompts.
// Deterministic: running it again gives the same files. `node examples/support/make-example.mjs`
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const sha = (s) => createHash("sha256").update(s).digest("hex");
const unit = (s) => Number.parseInt(sha(s).slice(0, 8), 16) / 2 ** 32;

const slices = {
  refund: {
    expected: "refund",
    asks: [
      "Can I get my money back for order {n}?",
      "Order {n} arrived broken, I want a refund.",
      "Please return my money for {n}, the size is wrong.",
    ],
    right: "I have started a refund for order {n}; it reaches your card in 3-5 days.",
  },
  address_change: {
    expected: "shipping address",
    asks: [
      "I moved, please send order {n} to 12 Elm Street instead.",
      "Can you change where order {n} is delivered?",
      "Wrong address on {n}, it should go to my office.",
    ],
    right: "I have updated the shipping address on order {n}.",
  },
  order_status: {
    expected: "tracking",
    asks: ["Where is order {n}?", "Has order {n} shipped yet?", "When will {n} arrive?"],
    right: "Here is the tracking status of order {n}: in transit, due Thursday.",
  },
  cancel_order: {
    expected: "cancel",
    asks: ["Please cancel order {n}.", "I don't want order {n} anymore.", "Stop order {n} before it ships."],
    right: "I will cancel order {n}; it has not shipped yet.",
  },
};
const wrong = "Thanks for reaching out about order {n}! Here is the tracking status: in transit.";
const vague = "Thanks for your message about order {n}, a colleague will get back to you.";

function makeSet(name, perSlice, start) {
  const cases = [];
  for (const [slice, s] of Object.entries(slices)) {
    for (let i = 0; i < perSlice; i++) {
      const n = `A${start + cases.length}`;
      const ask = s.asks[i % s.asks.length].replace("{n}", n);
      cases.push({
        id: `${name}-${slice}-${String(i + 1).padStart(2, "0")}`,
        slice,
        input: ask,
        expected: s.expected,
        n,
      });
    }
  }
  return cases;
}

// The simulated assistant: the main prompt gets ~92% right everywhere; the PR's prompt drops the
// address rule, so most address changes get a tracking answer, while other slices barely move.
function answer(version, c) {
  const s = slices[c.slice];
  const u = unit(`${c.id}/base`);
  let ok = u > 0.08;
  if (version === "pr") {
    if (c.slice === "address_change") ok = unit(`${c.id}/pr`) > 0.6;
    else if (unit(`${c.id}/flip`) < 0.05) ok = !ok;
  }
  if (ok) return s.right.replace("{n}", c.n);
  return (c.slice === "address_change" ? wrong : vague).replace("{n}", c.n);
}

const sets = {
  anchor: makeSet("anchor", 15, 1000),
  rotation: makeSet("rotation", 10, 2000),
  holdout: makeSet("holdout", 5, 3000),
};
const prompts = {
  main: readFileSync(join(here, "prompts/support.md"), "utf8"),
  pr: readFileSync(join(here, "pr/support.md"), "utf8"),
};
const recordings = [];
for (const [name, cases] of Object.entries(sets)) {
  const lines = cases.map(({ n, ...c }) => JSON.stringify(c));
  writeFileSync(join(here, "evals", `${name}.jsonl`), `${lines.join("\n")}\n`);
  for (const c of cases) {
    for (const [version, text] of Object.entries(prompts)) {
      recordings.push(
        JSON.stringify({ prompt_sha: sha(text).slice(0, 16), input: c.input, output: answer(version, c) }),
      );
    }
  }
}
writeFileSync(join(here, "recordings.jsonl"), `${recordings.join("\n")}\n`);
console.log(`wrote ${Object.values(sets).flat().length} cases and ${recordings.length} recordings`);
