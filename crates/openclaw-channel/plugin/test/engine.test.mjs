// The plugin's engine client against the real engine binary (JAIBBER_OPENCLAW_ENGINE):
// requests and errors, a missing binary, a killed engine, restart with backoff, stop.
// Run by crates/openclaw-channel/tests/it/plugin_js.rs with `node --test`.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { EngineClient, EngineManager } from "../src/engine.js";
import { listAccountIds, normalizeTarget, resolveAccount } from "../src/config.js";

const command = process.env.JAIBBER_OPENCLAW_ENGINE;
const stateDir = mkdtempSync(join(tmpdir(), "jaibber-plugin-test-"));
const quiet = { info() {}, warn() {}, error() {} };

test("requests get results and JSON-RPC errors", async () => {
  const engine = new EngineClient({ command, stateDir, log: quiet });
  const init = await engine.request("initialize");
  assert.equal(init.protocolVersion, 1);
  await assert.rejects(engine.request("account.status", { accountId: "nobody" }), (err) => err.code === -32001);
  await assert.rejects(engine.request("no.such.method"), (err) => err.code === -32601);
  await engine.stop();
  assert.equal(engine.exited, true);
});

test("a missing binary fails its requests without throwing elsewhere", async () => {
  const engine = new EngineClient({ command: join(stateDir, "no-such-engine"), stateDir, log: quiet });
  await assert.rejects(engine.request("initialize"), /exited/);
  engine.notify("stream.chunk", { turnId: "t", text: "x" });
});

test("a killed engine fails what waits and is started again with backoff", async () => {
  const manager = new EngineManager();
  const first = await manager.get({ enginePath: command, stateDir, log: quiet });
  first.child.kill("SIGKILL");
  await first.closed;
  await assert.rejects(first.request("initialize"), /not running/);
  first.notify("stream.chunk", { turnId: "t", text: "written after death" });
  const started = Date.now();
  const second = await manager.get({ enginePath: command, stateDir, log: quiet });
  assert.notEqual(second, first);
  assert.ok(Date.now() - started >= 900, "waited before starting again");
  assert.equal((await second.request("initialize")).engine, "jaibber-openclaw");
  await manager.releaseIfIdle();
  assert.equal(second.exited, true, "no account left: the engine is stopped");
});

test("config: one account at the top level or several that inherit it", () => {
  const single = { channels: { jaibber: { hubUrl: "http://h", apiKey: "jb_1", agentName: "Claw", enginePath: "/x" } } };
  assert.deepEqual(listAccountIds(single), ["default"]);
  const account = resolveAccount(single, "default");
  assert.equal(account.configured, true);
  assert.deepEqual(Object.keys(account.settings).sort(), ["agentName", "apiKey", "hubUrl"]);
  const multi = {
    channels: { jaibber: { hubUrl: "http://h", accounts: { a: { apiKey: "jb_a" }, b: { token: "t", agentName: "B" } } } },
  };
  assert.deepEqual(listAccountIds(multi), ["default", "a", "b"]);
  assert.equal(resolveAccount(multi, "b").settings.hubUrl, "http://h");
  assert.equal(resolveAccount(multi, "b").agentName, "B");
  assert.equal(resolveAccount(multi, "default").configured, false, "no credential at the top level");
  assert.equal(normalizeTarget(" jaibber:Demo Project "), "Demo Project");
});
