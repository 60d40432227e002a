// Reading `channels.jaibber` (single account at the top level, or several under
// `accounts.<id>`, each inheriting the top-level keys).

import { homedir } from "node:os";
import { join } from "node:path";

export const CHANNEL = "jaibber";
export const DEFAULT_ACCOUNT = "default";

/** The settings the engine accepts (account.start), nothing else. */
const ENGINE_KEYS = [
  "hubUrl",
  "apiKey",
  "token",
  "projects",
  "agentName",
  "agentInstructions",
  "mentionPolicy",
  "maxResponseDepth",
  "sessionScope",
  "realtime",
  "orgId",
  "turnTimeoutSeconds",
  "concurrency",
  "contextMessages",
  "pollIntervalMs",
];

function section(cfg) {
  return cfg?.channels?.[CHANNEL] ?? {};
}

export function listAccountIds(cfg) {
  const top = section(cfg);
  const ids = Object.keys(top.accounts ?? {});
  if (top.hubUrl || ids.length === 0) ids.unshift(DEFAULT_ACCOUNT);
  return [...new Set(ids)];
}

export function defaultAccountId(cfg) {
  return section(cfg).defaultAccount ?? listAccountIds(cfg)[0] ?? DEFAULT_ACCOUNT;
}

function stateRoot() {
  return process.env.OPENCLAW_STATE_DIR ?? join(homedir(), ".openclaw");
}

export function resolveAccount(cfg, accountId) {
  const top = section(cfg);
  const id = accountId ?? defaultAccountId(cfg);
  const { accounts: _accounts, defaultAccount: _default, ...inherited } = top;
  const merged = { ...inherited, ...(top.accounts?.[id] ?? {}) };
  const settings = {};
  for (const key of ENGINE_KEYS) {
    if (merged[key] !== undefined && merged[key] !== null && merged[key] !== "") settings[key] = merged[key];
  }
  return {
    accountId: id,
    name: merged.name ?? id,
    enabled: merged.enabled !== false,
    configured: Boolean(merged.hubUrl && (merged.apiKey || merged.token)),
    agentName: merged.agentName ?? "OpenClaw",
    settings,
    enginePath: merged.enginePath,
    stateDir: merged.stateDir ?? join(stateRoot(), CHANNEL),
  };
}

export function inspectAccount(cfg, accountId) {
  const account = resolveAccount(cfg, accountId);
  return {
    accountId: account.accountId,
    name: account.name,
    enabled: account.enabled,
    configured: account.configured,
    tokenStatus: account.settings.apiKey || account.settings.token ? "available" : "missing",
  };
}

/** Strips `jaibber:` from a target; the engine resolves project ids and names. */
export function normalizeTarget(raw) {
  return String(raw ?? "")
    .trim()
    .replace(/^jaibber:/i, "")
    .trim();
}
