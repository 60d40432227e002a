// The Rust engine as a child process, spoken to in line-delimited JSON-RPC 2.0 on stdio.
// Glue only: spawning, framing, request/response matching, restart backoff. Routing,
// dedup and the Jaibber protocol live in the engine.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { fileURLToPath } from "node:url";

const PLUGIN_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
const REQUEST_TIMEOUT_MS = 30_000;

/** Where the engine binary is: config, env, the package's bin/, then PATH. */
export function resolveEnginePath(configured) {
  if (configured) return configured;
  if (process.env.JAIBBER_OPENCLAW_ENGINE) return process.env.JAIBBER_OPENCLAW_ENGINE;
  const bundled = join(PLUGIN_DIR, "bin", "jaibber-openclaw");
  return existsSync(bundled) ? bundled : "jaibber-openclaw";
}

/** One engine process. */
export class EngineClient {
  constructor({ command, stateDir, log }) {
    this.command = command;
    this.stateDir = stateDir;
    this.log = log ?? console;
    this.nextId = 1;
    this.pending = new Map();
    this.handlers = new Map();
    this.exited = false;
    this.child = spawn(command, ["rpc", "--state-dir", stateDir], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, RUST_LOG: process.env.JAIBBER_OPENCLAW_LOG ?? process.env.RUST_LOG ?? "info" },
    });
    this.closed = new Promise((resolve) => {
      const done = (code, signal) => {
        if (this.exited) return;
        this.exited = true;
        const why = new Error(`jaibber-openclaw exited (${signal ? `signal ${signal}` : `code ${code}`})`);
        for (const { reject, timer } of this.pending.values()) {
          clearTimeout(timer);
          reject(why);
        }
        this.pending.clear();
        resolve(why);
      };
      this.child.on("exit", done);
      this.child.on("error", (err) => {
        this.log.error?.(`jaibber: cannot run the engine ${command}: ${err.message}`);
        done(null, null);
      });
    });
    // Writing to an engine that just died fails with EPIPE on stdin; that is the exit
    // handler's business, never an unhandled error that would take the gateway down.
    this.child.stdin.on("error", (err) => this.log.warn?.(`jaibber: engine stdin: ${err.message}`));
    this.#readLines(this.child.stdout, (line) => this.#onLine(line));
    this.#readLines(this.child.stderr, (line) => this.log.info?.(`jaibber-engine: ${line}`));
  }

  #readLines(stream, onLine) {
    const decoder = new StringDecoder("utf8");
    let buffer = "";
    stream.on("data", (data) => {
      buffer += decoder.write(data);
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line) onLine(line);
      }
    });
  }

  #onLine(line) {
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      this.log.warn?.(`jaibber: engine wrote a line that is not JSON: ${line.slice(0, 200)}`);
      return;
    }
    if (message.id !== undefined && message.id !== null && !message.method) {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      clearTimeout(waiter.timer);
      if (message.error) {
        const err = new Error(message.error.message);
        err.code = message.error.code;
        waiter.reject(err);
      } else {
        waiter.resolve(message.result);
      }
      return;
    }
    if (message.method) {
      for (const handler of this.handlers.get(message.method) ?? []) {
        try {
          handler(message.params ?? {});
        } catch (err) {
          this.log.error?.(`jaibber: ${message.method} handler failed: ${err?.message ?? err}`);
        }
      }
    } else if (message.error) {
      this.log.warn?.(`jaibber: engine error: ${message.error.message}`);
    }
  }

  /** Subscribes to a notification; returns the unsubscribe function. */
  on(method, handler) {
    const list = this.handlers.get(method) ?? new Set();
    list.add(handler);
    this.handlers.set(method, list);
    return () => list.delete(handler);
  }

  /** Sends a request and waits for its answer. */
  request(method, params = {}, timeoutMs = REQUEST_TIMEOUT_MS) {
    if (this.exited) return Promise.reject(new Error("jaibber-openclaw is not running"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`jaibber-openclaw: ${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    });
  }

  /** Sends a notification (no answer). */
  notify(method, params = {}) {
    if (this.exited) return;
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method, params })}\n`);
  }

  /** Stops the engine: stdin closed, then SIGTERM, then SIGKILL. */
  async stop() {
    if (this.exited) return;
    const wait = (ms) => Promise.race([this.closed, new Promise((r) => setTimeout(r, ms).unref())]);
    this.child.stdin.end();
    await wait(12_000);
    if (!this.exited) {
      this.child.kill("SIGTERM");
      await wait(1_000);
    }
    if (!this.exited) this.child.kill("SIGKILL");
    await wait(1_000);
  }
}

/**
 * One engine per process, started on demand and started again with backoff when it dies
 * (1 s doubling to 30 s; an engine that ran a minute resets the delay).
 */
export class EngineManager {
  constructor() {
    this.engine = null;
    this.starting = null;
    this.delayMs = 0;
    this.startedAt = 0;
    this.accounts = new Set();
  }

  async get({ enginePath, stateDir, log }) {
    if (this.engine && !this.engine.exited) return this.engine;
    if (this.starting) return this.starting;
    this.starting = (async () => {
      if (this.engine?.exited) {
        this.delayMs = Date.now() - this.startedAt > 60_000 ? 1_000 : Math.min(Math.max(this.delayMs * 2, 1_000), 30_000);
        log?.warn?.(`jaibber: engine stopped; starting it again in ${this.delayMs} ms`);
        await new Promise((r) => setTimeout(r, this.delayMs));
      }
      const engine = new EngineClient({ command: resolveEnginePath(enginePath), stateDir, log });
      this.startedAt = Date.now();
      await engine.request("initialize", {}, 10_000);
      this.engine = engine;
      return engine;
    })();
    try {
      return await this.starting;
    } finally {
      this.starting = null;
    }
  }

  /** The running engine, if any. */
  current() {
    return this.engine && !this.engine.exited ? this.engine : null;
  }

  /** Stops the engine when no account uses it (after a one-off CLI send). */
  async releaseIfIdle() {
    if (this.accounts.size === 0 && this.engine) {
      const engine = this.engine;
      this.engine = null;
      await engine.stop();
    }
  }
}

export const engines = new EngineManager();
