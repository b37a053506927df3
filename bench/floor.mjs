// The floor on this machine and server: a bare Node client (keep-alive sockets, no config, no
// grading, no cache) sending N chat completions with C in flight. `node bench/floor.mjs URL N C`;
// prints the process's own wall time in ms. bench/run.mjs runs it beside eval-gate's cold run, so
// the distance to N·L/C that no client could close (server, loopback, timers) is on the same line.
import http from "node:http";
import https from "node:https";

const [url, n, c] = [
  new URL(`${process.argv[2].replace(/\/$/, "")}/chat/completions`),
  Number(process.argv[3]),
  Number(process.argv[4]),
];
const lib = url.protocol === "https:" ? https : http;
const agent = new lib.Agent({ keepAlive: true, maxSockets: c });
const ask = (i) =>
  new Promise((resolve, reject) => {
    const body = JSON.stringify({
      model: "bench-model",
      messages: [{ role: "user", content: `question ${i}` }],
    });
    const req = lib.request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          authorization: "Bearer sk-bench",
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => {
          text += d;
        });
        res.on("end", () =>
          res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
let next = 0;
const worker = async () => {
  while (next < n) await ask(next++);
};
await Promise.all(Array.from({ length: c }, worker));
agent.destroy();
console.log(Math.round(performance.now()));
