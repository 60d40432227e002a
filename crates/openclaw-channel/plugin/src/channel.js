// The Jaibber ChannelPlugin: config, gateway lifecycle, outbound sends, target
// resolution and status, each a thin call into the engine.

import { createChannelPluginBase, createChatChannelPlugin } from "openclaw/plugin-sdk/channel-core";

import {
  CHANNEL,
  defaultAccountId,
  inspectAccount,
  listAccountIds,
  normalizeTarget,
  resolveAccount,
} from "./config.js";
import { engines } from "./engine.js";
import { handleTurn } from "./inbound.js";

/** Engine error code for a configuration the user must fix (no point restarting). */
const BAD_CONFIG = -32002;

let pluginRuntime = null;
export function setJaibberRuntime(runtime) {
  pluginRuntime = runtime;
}

function waitForAbort(signal) {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

async function startAccount(ctx) {
  const account = ctx.account ?? resolveAccount(ctx.cfg, ctx.accountId);
  const log = ctx.log ?? console;
  const accountId = ctx.accountId ?? account.accountId;
  const setStatus = (patch) => ctx.setStatus({ ...(ctx.getStatus?.() ?? {}), accountId, ...patch });
  if (!account.configured) {
    const lastError = "set channels.jaibber.hubUrl and apiKey (or token)";
    setStatus({ running: false, connected: false, lifecycle: "blocked", lastError, terminalDisconnect: true });
    throw new Error(`jaibber: ${lastError}`);
  }
  const rt = ctx.channelRuntime ?? pluginRuntime?.channel;
  if (!rt) throw new Error("jaibber: the OpenClaw channel runtime is not available");
  let engine;
  try {
    engine = await engines.get({ enginePath: account.enginePath, stateDir: account.stateDir, log });
  } catch (err) {
    // A missing or broken engine binary: say so in the status; the gateway retries.
    setStatus({ running: false, connected: false, lifecycle: "recovering", lastError: `engine: ${err.message}` });
    throw err;
  }
  engines.accounts.add(accountId);
  const offInbound = engine.on("inbound", (turn) => {
    if (turn.accountId === accountId) void handleTurn({ engine, rt, cfg: ctx.cfg, accountId, turn, log });
  });
  const offState = engine.on("account.state", (state) => {
    if (state.accountId !== accountId) return;
    setStatus({
      running: state.running,
      connected: state.connected,
      lifecycle: state.connected ? "ready" : state.running ? "recovering" : "stopped",
      lastError: state.lastError ?? null,
      lastInboundAt: state.lastInboundAt ?? undefined,
      lastOutboundAt: state.lastOutboundAt ?? undefined,
    });
  });
  try {
    let started;
    try {
      started = await engine.request("account.start", { accountId, account: account.settings }, 60_000);
    } catch (err) {
      const terminal = err.code === BAD_CONFIG;
      setStatus({ running: false, connected: false, lifecycle: terminal ? "blocked" : "recovering", lastError: err.message, terminalDisconnect: terminal });
      throw err;
    }
    setStatus({ running: true, lifecycle: "ready", lastError: null, terminalDisconnect: false });
    log.info?.(`jaibber: ${started.agentName} joined Jaibber as ${started.username} (engine health ${started.healthUrl})`);
    const outcome = await Promise.race([waitForAbort(ctx.abortSignal).then(() => null), engine.closed]);
    if (outcome) throw outcome; // the engine died: the gateway starts the account again with backoff
  } finally {
    offInbound();
    offState();
    engines.accounts.delete(accountId);
    if (!engine.exited) await engine.request("account.stop", { accountId }, 20_000).catch(() => {});
    await engines.releaseIfIdle();
    // A configuration error stays "blocked" (with terminalDisconnect) rather than "stopped".
    const blocked = ctx.getStatus?.()?.lifecycle === "blocked";
    setStatus({ running: false, connected: false, lifecycle: blocked ? "blocked" : "stopped" });
  }
}

async function withEngine(cfg, accountId, work) {
  const account = resolveAccount(cfg, accountId);
  const engine = await engines.get({ enginePath: account.enginePath, stateDir: account.stateDir });
  try {
    return await work(engine, account);
  } finally {
    await engines.releaseIfIdle();
  }
}

async function sendText(ctx) {
  return withEngine(ctx.cfg, ctx.accountId, async (engine, account) => {
    const sent = await engine.request("message.send", {
      accountId: account.accountId,
      account: account.settings,
      to: normalizeTarget(ctx.to),
      text: ctx.text,
    });
    return { messageId: sent.messageId, target: { kind: "group", id: sent.projectId } };
  });
}

/**
 * The running account's status (connection, last error, presence), or, for an account not
 * running in this process, a check of its settings: credential accepted, projects found.
 */
async function probeAccount({ account, cfg }) {
  const running = engines.current();
  if (running && engines.accounts.has(account.accountId)) {
    try {
      return { ok: true, ...(await running.request("account.status", { accountId: account.accountId }, 10_000)) };
    } catch (err) {
      return { ok: false, error: err.message };
    }
  }
  try {
    return await withEngine(cfg, account.accountId, async (engine, resolved) => ({
      ok: true,
      running: false,
      ...(await engine.request("account.check", { account: resolved.settings }, 15_000)),
    }));
  } catch (err) {
    return { ok: false, running: false, error: err.message };
  }
}

// createChannelPluginBase keeps only its own surfaces (id, meta, config, …); messaging,
// status and gateway are added next to it.
export const jaibberPlugin = createChatChannelPlugin({
  base: {
    ...createChannelPluginBase({
      id: CHANNEL,
      meta: {
        id: CHANNEL,
        label: "Jaibber",
        selectionLabel: "Jaibber (multi-agent project channels)",
        docsPath: "/channels/jaibber",
        docsLabel: "jaibber",
        blurb: "Your OpenClaw agent in Jaibber project channels: it answers @mentions and runs its tasks.",
        aliases: ["jaibber"],
        markdownCapable: true,
      },
      capabilities: { chatTypes: ["group"], media: false, blockStreaming: true },
      reload: { configPrefixes: [`channels.${CHANNEL}`] },
      config: {
        listAccountIds,
        resolveAccount,
        inspectAccount,
        defaultAccountId,
        isEnabled: (account) => account.enabled,
        isConfigured: (account) => account.configured,
        describeAccount: (account) => ({
          accountId: account.accountId,
          name: account.name,
          enabled: account.enabled,
          configured: account.configured,
        }),
      },
    }),
    messaging: {
      targetPrefixes: [`${CHANNEL}:`],
      normalizeTarget,
      inferTargetChatType: () => "group",
      targetResolver: { looksLikeId: (raw) => normalizeTarget(raw).length > 0, hint: "<project id or name>" },
    },
    status: { probeAccount },
    gateway: { startAccount },
  },
  outbound: {
    base: { deliveryMode: "direct", textChunkLimit: 100_000 },
    attachedResults: { channel: CHANNEL, sendText },
  },
});
