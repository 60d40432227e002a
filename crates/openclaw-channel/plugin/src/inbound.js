// One turn: the engine's `inbound` event goes to the routed OpenClaw agent session, and
// the reply comes back to the engine as stream.begin / stream.chunk / stream.end, which
// it streams into the channel (typing, chunks, response) and persists exactly once.

import { CHANNEL } from "./config.js";

function errorText(err) {
  return String(err?.message ?? err ?? "unknown error");
}

export async function handleTurn({ engine, rt, cfg, accountId, turn, log }) {
  const end = (params) =>
    engine
      .request("stream.end", { turnId: turn.turnId, ...params })
      .catch((err) => log.warn?.(`jaibber: stream.end for ${turn.sourceId} failed: ${errorText(err)}`));
  try {
    await engine.request("stream.begin", { turnId: turn.turnId });
    const peer = { kind: "group", id: turn.conversationId };
    const route = rt.routing.resolveAgentRoute({ cfg, channel: CHANNEL, accountId, peer });
    const senderId = turn.senderId ?? turn.senderName ?? "unknown";
    const senderName = turn.senderName ?? senderId;
    const timestamp = Date.parse(turn.createdAt ?? "") || Date.now();
    const ctxPayload = rt.inbound.buildContext({
      channel: CHANNEL,
      accountId,
      messageId: turn.sourceId,
      timestamp,
      from: `${CHANNEL}:${senderId}`,
      sender: { id: senderId, name: senderName },
      conversation: { kind: "group", id: turn.conversationId, label: `Jaibber project ${turn.projectId}` },
      route: { agentId: route.agentId, accountId, routeSessionKey: route.sessionKey },
      reply: { to: `${CHANNEL}:${turn.projectId}`, originatingTo: `${CHANNEL}:${turn.projectId}` },
      message: { rawBody: turn.text, bodyForAgent: turn.bodyForAgent, commandBody: turn.text },
      access: { commands: { authorized: false } },
    });
    const finals = [];
    const blocks = [];
    let failure = null;
    await rt.inbound.dispatch({
      cfg,
      channel: CHANNEL,
      accountId,
      route: { agentId: route.agentId, sessionKey: route.sessionKey },
      ctxPayload,
      delivery: {
        deliver: async (payload, info) => {
          const text = payload?.text;
          if (!text) return;
          if (payload.isError) {
            failure = text;
          } else if (info?.kind === "block") {
            blocks.push(text);
            engine.notify("stream.chunk", { turnId: turn.turnId, text });
          } else if (info?.kind !== "tool") {
            finals.push(text);
          }
        },
        onError: (err) => {
          failure = errorText(err);
        },
      },
      record: { onRecordError: (err) => log.warn?.(`jaibber: recording the session failed: ${errorText(err)}`) },
    });
    const text = finals.length > 0 ? finals.join("\n\n") : blocks.join("");
    if (text.trim()) {
      await end({ text });
    } else {
      await end({ error: failure ?? "the agent gave no answer", retryable: false });
    }
  } catch (err) {
    log.error?.(`jaibber: turn for ${turn.kind} ${turn.sourceId} failed: ${errorText(err)}`);
    await end({ error: errorText(err), retryable: false });
  }
}
