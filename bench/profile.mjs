#!/usr/bin/env node
// Where the ping path's CPU goes: a CPU profile of edgebeat (or the floor,
// bench/floor) under `wrangler dev` while `oha` loads the ping endpoint.
//
// Usage (after `make setup`, `source scripts/env.sh`, and a release build that
// keeps the wasm names: `EDGEBEAT_KEEP_WASM_NAMES=1 scripts/build.sh --force`;
// the floor: `cd bench/floor && worker-build --release`):
//
//   node bench/profile.mjs [TARGETS] [options]
//
// TARGETS: edgebeat (the default), floor, both (= floor,edgebeat), or a
// comma-separated list of floor, edgebeat and edgebeat-noassets (edgebeat
// without wrangler.toml's [assets], see --no-assets; edgebeat-noassets@DIR
// runs the build in DIR, a copy of build/, to compare two builds), run side
// by side, their measured rounds alternating.
//
// For each target it starts `wrangler dev` (own process group, free ports,
// a throw-away migrated --persist-to directory; edgebeat gets a project and
// an up, idle check through the API and one ping, so the isolate caches its
// configuration), warms up, then:
//   1. `--rounds N` measured loads without a profiler (alternating targets
//      when both): req/s and the worker workerd's CPU ms per request (user +
//      system of the workerd process that has `--inspector-addr`, as
//      bench/bench.py measures it);
//   2. unless `--no-v8`: one load under the V8 sampling profiler (Chrome
//      DevTools Protocol on workerd's inspector), written to
//      <out>/<target>.cpuprofile (open it in Chrome DevTools), and a summary:
//      per-request ms by category (our wasm, other Rust crates, wasm-bindgen
//      glue, shim, D1 binding JS, other JS, GC, program, idle), the top
//      functions by self time, and the inclusive time of the main entry points;
//   3. with `--perf`: one load under `perf record` of the worker workerd
//      (native: SQLite, V8, workerd/KJ, malloc, kernel; JIT/wasm code shows as
//      unresolved addresses), summarised the same way, to <out>/<target>.perf.txt.
//
// Options: --duration S (15), --warmup S (3), --concurrency C (32),
// --rounds N (2), --interval US (sampling interval, 250; every profiled isolate
// has its own sampler thread, so a short interval costs a lot of CPU),
// --isolates REGEX (workerd isolates to profile besides the user worker;
// default: miniflare's entry worker, the assets workers and D1's), --top N (30),
// --out DIR (target/profile), --no-v8, --perf, --keep (keep the state dir),
// --no-assets (edgebeat without wrangler.toml's [assets]: under wrangler dev
// every request to a Worker with assets first passes miniflare's assets
// router and asset worker, in the same workerd, so their CPU counts in the
// workerd's CPU; the floor has no assets).
// Traffic goes to 127.0.0.1 only; everything started is stopped on exit.

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FLOOR = path.join(ROOT, "bench", "floor");
const ADMIN_TOKEN = "profile-admin-token";

// ----- options -----
const argv = process.argv.slice(2);
const opt = { duration: 15, warmup: 3, concurrency: 32, rounds: 2, interval: 250, top: 30, out: path.join(ROOT, "target", "profile"), v8: true, perf: false, keep: false };
let which = "edgebeat";
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const next = () => argv[++i];
  if (a === "--duration") opt.duration = Number(next());
  else if (a === "--warmup") opt.warmup = Number(next());
  else if (a === "--concurrency") opt.concurrency = Number(next());
  else if (a === "--rounds") opt.rounds = Number(next());
  else if (a === "--interval") opt.interval = Number(next());
  else if (a === "--top") opt.top = Number(next());
  else if (a === "--out") opt.out = path.resolve(next());
  else if (a === "--no-v8") opt.v8 = false;
  else if (a === "--perf") opt.perf = true;
  else if (a === "--keep") opt.keep = true;
  else if (a === "--no-assets") opt.noAssets = true;
  else if (a === "--isolates") opt.isolates = new RegExp(next());
  else if (/^(edgebeat|floor|both|edgebeat-noassets(@[^,]+)?)(,(edgebeat|floor|edgebeat-noassets(@[^,]+)?))*$/.test(a)) which = a;
  else {
    console.error(`unknown argument ${a}; see the header of ${path.relative(ROOT, fileURLToPath(import.meta.url))}`);
    process.exit(2);
  }
}
fs.mkdirSync(opt.out, { recursive: true });
const SCRATCH = fs.mkdtempSync(path.join(os.tmpdir(), "edgebeat-profile-"));
// wrangler dev runs scripts/build.sh when the sources changed: keep the names there too.
process.env.EDGEBEAT_KEEP_WASM_NAMES ??= "1";
const say = (m) => console.log(`profile: ${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ----- processes -----
const children = new Set();
function cleanup() {
  for (const child of children) {
    try { process.kill(-child.pid, "SIGKILL"); } catch {}
  }
  children.clear();
  if (!opt.keep) fs.rmSync(SCRATCH, { recursive: true, force: true });
}
process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));

function run(cmd, args, cwd = ROOT) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function runAsync(cmd, args, cwd = ROOT) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let out = "", err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) => {
      children.delete(child);
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")} failed (${code}):\n${out}\n${err}`));
    });
  });
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

/** The processes of a process group: [{pid, name, cmdline, cpu seconds}]. */
function group(pgid) {
  const tick = 100; // sysconf(_SC_CLK_TCK) on Linux
  const out = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat, cmdline;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch { continue; }
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(f[2]) !== pgid) continue;
    out.push({ pid: Number(entry), name, cmdline, cpu: (Number(f[11]) + Number(f[12])) / tick });
  }
  return out;
}

class Worker {
  constructor(target) {
    this.target = target;
    this.kind = target === "floor" ? "floor" : "edgebeat";
    this.noAssets = opt.noAssets || target.startsWith("edgebeat-noassets");
    // edgebeat-noassets@DIR: another build (a copy of build/), to compare two builds side by side.
    this.buildDir = target.includes("@") ? path.resolve(target.split("@")[1]) : null;
  }

  async start() {
    const t = this.kind;
    this.cwd = t === "floor" ? FLOOR : ROOT;
    this.state = path.join(SCRATCH, this.target.replace(/\W+/g, "_"));
    run("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", this.state], this.cwd);
    if (t === "edgebeat") {
      // One completed sweep, so /health answers 200 and no rescue sweep runs.
      const now = Date.now();
      run("wrangler", ["d1", "execute", "DB", "--local", "--persist-to", this.state, "--command",
        `INSERT INTO sweeps (scheduled_at, finished_at) VALUES (${now}, ${now})`], this.cwd);
    }
    this.port = await freePort();
    this.inspectorPort = await freePort();
    const args = ["dev", "--ip", "127.0.0.1", "--port", String(this.port), "--inspector-port", String(this.inspectorPort),
      "--persist-to", this.state, "--show-interactive-dev-session=false"];
    if (t === "edgebeat" && this.noAssets) {
      // wrangler.toml without [assets] (and without [build]: the build is yours).
      const toml = fs.readFileSync(path.join(ROOT, "wrangler.toml"), "utf8")
        .replace(/^\[build\][^[]*/m, "").replace(/^\[assets\][^[]*/m, "")
        .replace(/^main = .*$/m, `main = ${JSON.stringify(path.join(this.buildDir || path.join(ROOT, "build"), "worker", "shim.mjs"))}`);
      this.config = path.join(ROOT, `.profile-noassets-${process.pid}-${this.target.replace(/\W+/g, "_")}.wrangler.toml`);
      fs.writeFileSync(this.config, toml);
      args.push("--config", this.config);
    }
    if (t === "edgebeat") {
      const envFile = path.join(SCRATCH, `${this.target.replace(/\W+/g, "_")}.env`);
      fs.writeFileSync(envFile, `ADMIN_TOKEN=${ADMIN_TOKEN}\nPUBLIC_URL=http://127.0.0.1:${this.port}\nALLOW_PRIVATE_DESTINATIONS=1\nD1_USAGE_HEADER=1\n`);
      args.push("--env-file", envFile);
    }
    this.log = path.join(SCRATCH, `${this.target.replace(/\W+/g, "_")}.log`);
    const logFd = fs.openSync(this.log, "w");
    this.proc = spawn("wrangler", args, { cwd: this.cwd, detached: true, stdio: ["ignore", logFd, logFd] });
    children.add(this.proc);
    const probe = t === "floor" ? "/" : "/health";
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (this.proc.exitCode !== null) throw new Error(`${t}: wrangler dev exited:\n${fs.readFileSync(this.log, "utf8")}`);
      try { if ((await fetch(this.url(probe))).status === 200) break; } catch {}
      if (Date.now() > deadline) throw new Error(`${t}: no answer:\n${fs.readFileSync(this.log, "utf8").slice(-3000)}`);
      await sleep(200);
    }
    if (t === "edgebeat") {
      const project = await this.api("POST", "/api/v3/projects/", { name: "profile" }, { Authorization: `Bearer ${ADMIN_TOKEN}` });
      this.key = project.api_key;
      this.check = await this.api("POST", "/api/v3/checks/", { name: "profile", timeout: 86400, grace: 3600 }, { "X-Api-Key": this.key });
      this.path = "/ping/" + this.check.ping_url.split("/").pop();
      const r = await fetch(this.url(this.path)); // new -> up; the isolate now caches the check
      if (r.status !== 200) throw new Error(`first ping: ${r.status}`);
    } else {
      this.path = "/ping";
    }
    say(`${this.target}: wrangler dev on :${this.port}, pinging ${this.path}`);
  }

  url(p) { return `http://127.0.0.1:${this.port}${p}`; }

  async api(method, p, body, headers) {
    const r = await fetch(this.url(p), { method, headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${await r.text()}`);
    return r.json();
  }

  /** The workerd that runs the user worker (it has the inspector). */
  runtime() {
    const w = group(this.proc.pid).find((p) => p.name === "workerd" && p.cmdline.includes("--inspector-addr"));
    if (!w) throw new Error(`${this.target}: no workerd with --inspector-addr in the group`);
    return w;
  }

  async load(seconds) {
    const out = await runAsync("oha", ["-z", `${seconds}s`, "-w", "-c", String(opt.concurrency), "--no-tui", "--output-format", "json", this.url(this.path)]);
    const report = JSON.parse(out);
    const codes = report.statusCodeDistribution || {};
    const total = Object.values(codes).reduce((a, b) => a + b, 0);
    const ok = Object.entries(codes).filter(([k]) => k >= 200 && k < 300).reduce((a, [, v]) => a + v, 0);
    if (ok === 0 || ok !== total) throw new Error(`${this.target}: ${JSON.stringify(codes)} ${JSON.stringify(report.errorDistribution)}`);
    return { requests: total, rps: report.summary.requestsPerSec };
  }

  /** One load, with the workerd's CPU per request. */
  async measured(seconds, during = async () => {}) {
    const pid = this.runtime().pid;
    const cpu = () => group(this.proc.pid).find((p) => p.pid === pid).cpu;
    const before = cpu();
    const [load] = await Promise.all([this.load(seconds), during()]);
    const seconds_cpu = cpu() - before;
    return { ...load, cpuMs: (seconds_cpu * 1000) / load.requests };
  }

  stop() {
    if (this.config) fs.rmSync(this.config, { force: true });
    try { process.kill(-this.proc.pid, "SIGTERM"); } catch {}
    const pg = this.proc.pid;
    return sleep(1500).then(() => { try { process.kill(-pg, "SIGKILL"); } catch {} children.delete(this.proc); });
  }
}

// ----- the V8 profiler over the inspector -----
/** TCP ports a process listens on (from /proc/net/tcp and its socket fds). */
function listeningPorts(pid) {
  const inodes = new Set();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = fs.readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
      if (m) inodes.add(m[1]);
    } catch {}
  }
  const ports = [];
  for (const line of fs.readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 9 && f[3] === "0A" && inodes.has(f[9])) ports.push(parseInt(f[1].split(":")[1], 16));
  }
  return ports;
}

/** Isolates profiled: the user worker and what a request passes through in
 * the same workerd (miniflare's entry worker, the assets router, D1's entry
 * worker and its Durable Object, where SQLite runs). */
const PROFILED = /^core:user:(?!miniflare)|^core:entry$|^assets:|^d1:/;

async function inspectorTargets(worker) {
  // workerd's own inspector (--inspector-addr=127.0.0.1:0): one target per
  // isolate. wrangler's proxy (--inspector-port) shows only the user worker.
  for (const port of listeningPorts(worker.runtime().pid)) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(2000) });
      const list = await r.json();
      if (Array.isArray(list) && list.length) {
        // The user worker's own target is held by wrangler's inspector proxy
        // (one session per isolate): profile it through that proxy.
        const user = await (await fetch(`http://127.0.0.1:${worker.inspectorPort}/json/list`)).json();
        const others = list.filter((t) => (opt.isolates || PROFILED).test(t.id) && !t.id.startsWith("core:user:"));
        return { port, list: [...user.map((t) => ({ ...t, id: `user:${worker.target}` })), ...others] };
      }
    } catch {}
  }
  throw new Error("no inspector targets");
}

class Cdp {
  constructor(url) { this.url = url; this.id = 0; this.waiting = new Map(); }
  open() {
    return new Promise((resolve, reject) => {
      // wrangler's inspector proxy wants an Origin it allows (undici takes headers here).
      this.ws = new WebSocket(this.url, { headers: { Origin: "http://127.0.0.1" } });
      this.ws.onopen = () => resolve();
      this.ws.onerror = (e) => reject(new Error(`inspector ${this.url}: ${e.message || e.type}`));
      this.ws.onmessage = (e) => {
        const msg = JSON.parse(e.data);
        const w = msg.id !== undefined && this.waiting.get(msg.id);
        if (w) { this.waiting.delete(msg.id); msg.error ? w.reject(new Error(JSON.stringify(msg.error))) : w.resolve(msg.result); }
      };
    });
  }
  send(method, params = {}, timeoutMs = 30_000) {
    const id = ++this.id;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting.delete(id); reject(new Error(`${this.url} ${method}: no answer`)); }, timeoutMs);
      this.waiting.set(id, { resolve: (v) => { clearTimeout(timer); resolve(v); }, reject: (e) => { clearTimeout(timer); reject(e); } });
    });
  }
  close() { this.ws.close(); }
}

async function v8Profile(worker) {
  const { port, list } = await inspectorTargets(worker);
  say(`${worker.target}: inspector :${port} targets: ${list.map((t) => t.id).join(", ")}`);
  const sessions = [];
  for (const t of list) {
    const cdp = new Cdp(t.webSocketDebuggerUrl || `ws://127.0.0.1:${port}/${t.id}`);
    try {
      await cdp.open();
      await cdp.send("Profiler.enable", {}, 5000);
      await cdp.send("Profiler.setSamplingInterval", { interval: opt.interval }, 5000);
      sessions.push({ target: t, cdp });
    } catch (e) {
      say(`${t.id}: not profiled (${e.message})`);
      try { cdp.close(); } catch {}
    }
  }
  let run;
  const profiles = [];
  run = await worker.measured(opt.duration, async () => {
    await Promise.all(sessions.map((s) => s.cdp.send("Profiler.start")));
    await sleep(opt.duration * 1000);
    for (const s of sessions) {
      const { profile } = await s.cdp.send("Profiler.stop");
      profiles.push({ target: s.target, profile });
      s.cdp.close();
    }
  });
  return { run, profiles };
}

// ----- summarising a .cpuprofile -----
const ISOLATES = []; // [label, busy µs per request, categories]
ISOLATES.requests = {};
function category(fn, url) {
  if (fn === "(idle)") return "idle";
  if (fn === "(program)") return "program (native, outside JS)";
  if (fn === "(garbage collector)") return "GC";
  if (fn === "(root)") return "root";
  if (url.startsWith("wasm://")) {
    if (/edgebeat/.test(fn)) return "wasm: edgebeat";
    if (/\bworker(_sys)?::|edgebeat_floor/.test(fn)) return "wasm: worker crate";
    if (/wasm_bindgen|js_sys|web_sys|serde_wasm_bindgen|__wbindgen|__wbg|externref/.test(fn)) return "wasm: wasm-bindgen/js-sys/serde-wasm-bindgen";
    if (/dlmalloc|alloc::|__rust_(alloc|dealloc|realloc)|memcpy|memmove|memset|memcmp/.test(fn)) return "wasm: alloc/mem*";
    if (/serde_json|serde::/.test(fn)) return "wasm: serde/serde_json";
    if (/\burl::|idna|form_urlencoded|percent_encoding/.test(fn)) return "wasm: url";
    if (/core::fmt|alloc::fmt|format/.test(fn)) return "wasm: fmt";
    return "wasm: other Rust (core/std/futures/...)";
  }
  if (/d1|D1/.test(url) || /^D1|d1/.test(fn) && url.startsWith("cloudflare")) return "JS: D1 binding";
  if (/shim/.test(url) || /index\.js|index_bg|\.wrangler|\/build\//.test(url)) {
    if (/^(__wbg|__wbindgen|wasm_bindgen|getObject|takeObject|addHeapObject|dropObject|passStringToWasm0|getStringFromWasm0|getUint8ArrayMemory0|getDataViewMemory0|getArrayU8FromWasm0|passArray8ToWasm0|handleError|isLikeNone|debugString|makeMutClosure|real|cachedString|getCachedStringFromWasm0|addToExternrefTable0|takeFromExternrefTable0|_assertClass|__wrap|getUint32ArrayMemory0|__wasm_bindgen_func_elem)/.test(fn) || /\$/.test(fn))
      return "JS: wasm-bindgen glue";
    return "JS: shim/glue (other)";
  }
  if (url.startsWith("node:") || url.startsWith("node-internal:")) return "JS: node compat";
  if (url.startsWith("cloudflare") || url.startsWith("workerd") || url === "") return "JS: runtime/builtins";
  return "JS: other";
}

function summarise(profile, requests, label) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const key = (n) => `${n.callFrame.functionName || "(anonymous)"}  ${n.callFrame.url ? n.callFrame.url.replace(/^.*\//, "") + ":" + (n.callFrame.lineNumber + 1) : ""}`.trim();
  const self = new Map(), incl = new Map(), cats = new Map();
  const urls = new Map();
  let total = 0;
  const { samples } = profile;
  for (let i = 0; i < samples.length; i++) {
    // A sample stands for one interval: V8 samples an isolate only while it
    // is entered, and workerd runs many isolates on one thread, so the
    // profile's own time deltas also span time spent in other isolates.
    const dt = opt.interval / 1000;
    total += dt;
    const n = nodes.get(samples[i]);
    const k = key(n);
    self.set(k, (self.get(k) || 0) + dt);
    const c = category(n.callFrame.functionName, n.callFrame.url);
    cats.set(c, (cats.get(c) || 0) + dt);
    urls.set(n.callFrame.url, (urls.get(n.callFrame.url) || 0) + dt);
    const seen = new Set();
    for (let id = samples[i]; id !== undefined; id = parent.get(id)) {
      const name = nodes.get(id).callFrame.functionName || "(anonymous)";
      if (!seen.has(name)) { seen.add(name); incl.set(name, (incl.get(name) || 0) + dt); }
    }
  }
  const lines = [];
  const per = (ms) => `${((ms / requests) * 1000).toFixed(1).padStart(7)} µs/req`;
  const busy = total - (cats.get("idle") || 0) - (cats.get("root") || 0);
  lines.push(`== ${label}: ${samples.length} samples (${opt.interval} µs each), ${requests} requests; busy (not idle) ${per(busy)} ==`);
  ISOLATES.requests[label] = requests;
  ISOLATES.push([label, (busy / requests) * 1000, [...cats].filter(([c]) => c !== "idle" && c !== "root")]);
  lines.push("-- by category (self time) --");
  for (const [c, ms] of [...cats].sort((a, b) => b[1] - a[1])) lines.push(`${per(ms)}  ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${c}`);
  lines.push("-- by script url (self time) --");
  for (const [u, ms] of [...urls].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`${per(ms)}  ${u || "(none)"}`);
  lines.push(`-- top ${opt.top} functions by self time (excluding idle) --`);
  for (const [k, ms] of [...self].filter(([k]) => !k.startsWith("(idle)")).sort((a, b) => b[1] - a[1]).slice(0, opt.top))
    lines.push(`${per(ms)}  ${k.slice(0, 200)}`);
  lines.push("-- inclusive time of the entry points --");
  const entries = [...incl].filter(([name]) =>
    /^edgebeat::adapter::(router|context|ping|rescue|store)|^edgebeat::domain::(settings|route|ping)|^edgebeat_floor|^worker::(d1|env|request|response|headers)|serde_wasm_bindgen::de|^__wbg_(batch|bind|prepare|run|meta|results|all)/.test(name));
  for (const [name, ms] of entries.sort((a, b) => b[1] - a[1]).slice(0, 60)) lines.push(`${per(ms)}  ${name.slice(0, 200)}`);
  return lines.join("\n");
}

// ----- perf -----
function perfCategory(sym, dso) {
  if (/\[kernel/.test(dso) || /^\[k\]/.test(sym)) return "kernel";
  if (/sqlite3|^sqlite|Vdbe|btree|pager|pcache|yy_|Sqlite/i.test(sym)) return "SQLite";
  if (/v8::internal::wasm|wasm::/i.test(sym)) return "V8 wasm runtime";
  if (/v8::internal::(Heap|Scavenge|MarkCompact|Mark|Sweep|Evacuat|Concurrent|Minor|Gc)|Scavenger|Marking|Sweeper/.test(sym)) return "V8 GC";
  if (/Builtins_|v8::|^Builtin/.test(sym)) return "V8 (runtime/builtins/compiler)";
  if (/^0x[0-9a-f]+$|\[unknown\]|perf-\d+\.map|JIT/i.test(sym) || /perf-\d+\.map|\[unknown\]|\/\/anon/.test(dso)) return "JIT code (JS + wasm)";
  if (/tcmalloc|malloc|free|operator new|operator delete|memcpy|memmove|memset|__memcmp|mmap|madvise/i.test(sym)) return "malloc/mem*";
  if (/capnp|kj::|workerd::|edgeworker|jsg::/i.test(sym)) return "workerd/KJ/capnp";
  if (/libc|libstdc|libpthread|ld-linux/.test(dso)) return "libc";
  return "other native";
}

async function perfProfile(worker) {
  const pid = worker.runtime().pid;
  const data = path.join(SCRATCH, `${worker.target}.perf.data`);
  let run;
  await (async () => {
    const rec = spawn("perf", ["record", "-q", "-F", "2999", "-o", data, "-p", String(pid), "--", "sleep", String(opt.duration)], { detached: true, stdio: "ignore" });
    children.add(rec);
    const done = new Promise((r) => rec.on("close", r));
    run = await worker.measured(opt.duration);
    await done;
    children.delete(rec);
  })();
  const report = run_perf(["report", "-i", data, "--stdio", "--no-children", "--sort", "dso,sym", "--percent-limit", "0"]);
  const lines = report.split("\n").filter((l) => /^\s+[\d.]+%/.test(l));
  const cats = new Map(), syms = [];
  for (const l of lines) {
    const m = l.match(/^\s+([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)$/);
    if (!m) continue;
    const [, pct, dso, kind, sym] = m;
    const c = kind === "k" ? "kernel" : perfCategory(sym.trim(), dso);
    cats.set(c, (cats.get(c) || 0) + Number(pct));
    syms.push([Number(pct), `${dso}  ${sym.trim()}`]);
  }
  const per = (pct) => `${((pct / 100) * run.cpuMs * 1000).toFixed(0).padStart(6)} µs/req`;
  const out = [`== perf ${worker.target}: ${run.requests} requests, ${run.cpuMs.toFixed(2)} ms CPU/req (workerd) ==`, "-- by category --"];
  for (const [c, p] of [...cats].sort((a, b) => b[1] - a[1])) out.push(`${per(p)}  ${p.toFixed(1).padStart(5)}%  ${c}`);
  out.push(`-- top ${opt.top} symbols --`);
  for (const [p, s] of syms.sort((a, b) => b[0] - a[0]).slice(0, opt.top)) out.push(`${per(p)}  ${p.toFixed(2).padStart(5)}%  ${s.slice(0, 180)}`);
  return out.join("\n");
}
function run_perf(args) {
  const r = spawnSync("perf", args, { encoding: "utf8", maxBuffer: 512 << 20 });
  if (r.status !== 0) throw new Error(`perf ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

// ----- main -----
const targets = which === "both" ? ["floor", "edgebeat"] : which.split(",");
const workers = [];
try {
  for (const t of targets) {
    const w = new Worker(t);
    await w.start();
    workers.push(w);
    await w.load(opt.warmup);
  }
  const results = new Map(targets.map((t) => [t, []]));
  for (let round = 0; round < opt.rounds; round++) {
    for (const w of workers) {
      const r = await w.measured(opt.duration);
      results.get(w.target).push(r);
      say(`round ${round + 1} ${w.target.padEnd(8)} ${r.rps.toFixed(0).padStart(6)} req/s   worker CPU ${r.cpuMs.toFixed(3)} ms/req`);
    }
  }
  for (const w of workers) {
    if (opt.v8) {
      const { run, profiles } = await v8Profile(w);
      say(`${w.target} under the V8 profiler: ${run.rps.toFixed(0)} req/s, ${run.cpuMs.toFixed(3)} ms CPU/req`);
      for (const { target, profile } of profiles) {
        const name = `${w.target}-${target.id}`.replace(/[^\w.-]+/g, "_");
        fs.writeFileSync(path.join(opt.out, `${name}.cpuprofile`), JSON.stringify(profile));
        const text = summarise(profile, run.requests, name);
        fs.writeFileSync(path.join(opt.out, `${name}.txt`), text + "\n");
        console.log(text);
      }
    }
    if (opt.perf) {
      const text = await perfProfile(w);
      fs.writeFileSync(path.join(opt.out, `${w.target}.perf.txt`), text + "\n");
      console.log(text);
    }
  }
  if (ISOLATES.length) {
    const lines = ["== sampled busy time per request, by isolate (samples x interval) =="];
    for (const [label, us, cats] of ISOLATES) {
      lines.push(`${us.toFixed(1).padStart(8)} µs/req  ${label}`);
      if (label.includes("user")) for (const [c, ms] of cats.sort((a, b) => b[1] - a[1])) lines.push(`${" ".repeat(12)}${((ms / ISOLATES.requests[label]) * 1000).toFixed(1).padStart(8)} µs/req  ${c}`);
    }
    fs.writeFileSync(path.join(opt.out, "isolates.txt"), lines.join("\n") + "\n");
    console.log(lines.join("\n"));
  }
  say(`profiles and summaries in ${opt.out}`);
} finally {
  await Promise.all(workers.map((w) => w.stop()));
}
