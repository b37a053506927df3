// The files `eval-gate init` writes: a config, a system prompt and a small anchor set that pass
// validation as they are, so the first `eval-gate run` works before anything is edited.

export interface StarterOptions {
  model: string;
}

const CONFIG = (model: string) => `# eval-gate: gate pull requests on your own eval set, per slice.
# Every key is described in the README's "Config" section.
version: 1
target: # the system under test: what a pull request changes
  model: ${model}
  system: prompts/system.md
  params: { temperature: 0 }
  # base_url: https://my-gateway.example/v1   # any OpenAI-compatible endpoint (default: OPENAI_BASE_URL)
sets: # JSONL files of cases, each tagged with a slice
  anchor: evals/anchor.jsonl
  # rotation: evals/rotation.jsonl
  # holdout: { path: evals/holdout.jsonl, visibility: aggregate }
repeats: 1 # runs per case; more runs tell smaller changes from noise
concurrency: 8
graders: # for cases that name none: the answer must contain the case's expected value
  - { type: contains, value: "{{expected}}" }
gate:
  mode: statistical # or strict: any drop of a slice's score fails
  alpha: 0.05
  min_slice_n: 12 # slices with fewer cases are marked: add real traffic until each has 12 or more
`;

const SYSTEM = `You are the customer support assistant of an online shop.

- Refunds: when a customer asks for their money back, say that you will start a refund and that
  the money arrives within 5 business days.
- Orders: when a customer asks where an order is, tell them they can track it on the order page,
  and ask for the order number if they did not give it.

Answer in two or three short sentences.
`;

const CASES: [slice: string, input: string, expected: string][] = [
  ["refund", "I want my money back for order 1042.", "refund"],
  ["refund", "The shoes I got are too small, can I return them and get a refund?", "refund"],
  ["refund", "You charged me twice for the same order. Please give me one payment back.", "refund"],
  ["refund", "The blender arrived broken. I don't want a replacement, just my money.", "refund"],
  ["refund", "How long does it take to get my money back after I cancel?", "5 business days"],
  ["refund", "I cancelled order 2210 yesterday. When will I see the refund?", "5 business days"],
  ["order_status", "Where is my order?", "order number"],
  ["order_status", "My package was supposed to arrive on Monday and it's still not here.", "track"],
  ["order_status", "Has order 3318 shipped yet?", "track"],
  ["order_status", "Can you tell me when my parcel will be delivered?", "track"],
  ["order_status", "I ordered a lamp last week and have heard nothing since.", "order number"],
  ["order_status", "How do I see where my delivery is right now?", "track"],
];

function starterCases(): string {
  const count: Record<string, number> = {};
  return CASES.map(([slice, input, expected]) => {
    count[slice] = (count[slice] ?? 0) + 1;
    const id = `${slice.replace("_", "-")}-${String(count[slice]).padStart(3, "0")}`;
    return `${JSON.stringify({ id, slice, input, expected })}\n`;
  }).join("");
}

/** Path (relative to the folder `init` writes in) → contents. */
export function starterFiles(options: StarterOptions): Record<string, string> {
  return {
    "eval-gate.yml": CONFIG(options.model),
    "prompts/system.md": SYSTEM,
    "evals/anchor.jsonl": starterCases(),
  };
}

/** What `init` prints after writing the files; `cli` is the command that runs eval-gate here. */
export function nextSteps(cli: string): string {
  return `Next steps:
  1. Give it a key: export OPENAI_API_KEY=sk-...
     (another OpenAI-compatible endpoint: export OPENAI_BASE_URL=https://.../v1)
  2. Run the starter set on your working tree:   ${cli} run
  3. Replace evals/anchor.jsonl with real traffic, each case tagged with a slice (12+ per slice).
  4. Add .eval-gate/ (the report and the response cache) to .gitignore, and commit.
  5. Add the workflow from the README ("Add it to a repository") and make the check required.
  6. Before opening a pull request:                 ${cli} run --base main
`;
}
