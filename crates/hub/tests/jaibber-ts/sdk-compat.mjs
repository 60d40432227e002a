// The official Jaibber TypeScript SDK (sdk/src of tmugavero/jaibber, unchanged) against
// the hub: its REST client, and a JaibberAgent that logs in, connects Ably through the
// hub's token endpoint, enters presence, streams an answer to a mention and completes an
// assigned task. The only change to its world is where `ably` connects (ably-to-hub.mjs).
//
// Run as `node --experimental-transform-types --import ./register-hooks.mjs sdk-compat.mjs`.
// Prints "ok <step>" per step; exits 1 with the reason on the first failure.
const { HUB_URL, JAIBBER_USERNAME, JAIBBER_PASSWORD, JAIBBER_TOKEN, JAIBBER_PROJECT_ID } = process.env;
const sdkErrors = [];
const consoleError = console.error;
console.error = (...args) => {
  sdkErrors.push(args.map(String).join(" "));
  consoleError(...args);
};

function fail(why) {
  console.log(`FAIL ${why}`);
  process.exit(1);
}
function check(condition, what) {
  if (!condition) fail(what);
}
async function waitFor(what, probe, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
async function asHuman(method, path, body) {
  const res = await fetch(`${HUB_URL}${path}`, {
    method,
    headers: { Authorization: `Bearer ${JAIBBER_TOKEN}`, "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  check(res.ok, `${method} ${path} answered ${res.status}`);
  return res.json();
}

const { JaibberAgent } = await import("./upstream/sdk/src/index.ts");
const { JaibberClient } = await import("./upstream/sdk/src/client.ts");

// REST client.
const client = new JaibberClient(HUB_URL);
await client.login(JAIBBER_USERNAME, JAIBBER_PASSWORD);
check(client.isAuthenticated && client.username === JAIBBER_USERNAME, "login sets the session");
const projects = await client.listProjects();
const project = projects.find((p) => p.id === JAIBBER_PROJECT_ID);
check(project, `listProjects includes the project (got ${projects.map((p) => p.id)})`);
check(project.ablyChannelName === `jaibber:project:${project.id}`, `ablyChannelName ${project.ablyChannelName}`);
const tokenRequest = await client.getAblyToken();
check(tokenRequest.keyName && tokenRequest.mac && tokenRequest.clientId === client.userId, "a TokenRequest for the user");
const history = await client.fetchMessages(project.id, 5);
check(Array.isArray(history), "fetchMessages reads data[]");
console.log("ok rest");

// The agent.
const agent = new JaibberAgent({
  serverUrl: HUB_URL,
  credentials: { username: JAIBBER_USERNAME, password: JAIBBER_PASSWORD },
  agentName: "SdkBot",
  agentInstructions: "compatibility test agent",
  projectIds: [project.id],
  machineName: "ci",
});
agent.onMessage(async (message, ctx) => {
  async function* tokens() {
    for (const piece of ["Hello ", "from ", "the SDK, ", message.fromUsername]) {
      yield piece;
      await new Promise((r) => setTimeout(r, 120));
    }
  }
  await ctx.stream(tokens);
});
agent.onTask(async (task, ctx) => {
  await ctx.complete(`done: ${task.title}`);
});
await agent.connect();
console.log("ok connect");

// A human watches the channel with a plain ably client (token from the hub).
const Ably = (await import("ably")).default;
const watcher = new Ably.Realtime({
  authCallback: async (_params, callback) => {
    try {
      callback(null, await client.getAblyToken());
    } catch (err) {
      callback(err, null);
    }
  },
  clientId: client.userId,
});
const channel = watcher.channels.get(project.ablyChannelName);
const live = [];
await channel.subscribe("message", (m) => live.push(m.data));
const members = await waitFor("SdkBot in presence", async () => {
  const present = await channel.presence.get();
  return present.find((m) => m.data?.agentName === "SdkBot") && present;
});
check(members.some((m) => m.data?.isAgent === true), "the agent's presence data says isAgent");
console.log("ok presence");

const question = await asHuman("POST", `/api/projects/${project.id}/messages`, { text: "@SdkBot are you there?" });
const mine = (p) => p.agentName === "SdkBot" || p.fromUsername === "SdkBot";
const response = await waitFor("the live response", async () => live.find((p) => mine(p) && p.type === "response"));
check(response.text === `Hello from the SDK, ${JAIBBER_USERNAME}`, `answer text ${JSON.stringify(response.text)}`);
const kinds = live.filter(mine).map((p) => p.type);
check(kinds[0] === "typing" && kinds.includes("chunk"), `typing, then chunks: ${kinds}`);
const stored = await waitFor("the answer stored under the streamed id", async () => {
  const page = await asHuman("GET", `/api/projects/${project.id}/messages?limit=50`);
  return page.data.find((m) => m.id === response.messageId);
});
check(stored.text === response.text && stored.senderName === "SdkBot", `stored ${JSON.stringify(stored)}`);
const copies = (await asHuman("GET", `/api/projects/${project.id}/messages?limit=50&after=${encodeURIComponent(question.createdAt)}`)).data;
check(copies.filter((m) => m.text === response.text).length === 1, "the answer is stored once");
check(live.filter((p) => p.type === "response" && p.text === response.text).length === 1, "and published once");
console.log("ok message");

const task = await client.createTask(project.id, { title: "compat task", assignedAgentName: "SdkBot" });
check(task.status === "submitted", `a new task is submitted (${task.status})`);
await waitFor("the task completed", async () => {
  const page = await asHuman("GET", `/api/projects/${project.id}/tasks?limit=50`);
  return page.data.find((t) => t.id === task.id && t.status === "completed");
});
await waitFor("the task result in the channel", async () => {
  const page = await asHuman("GET", `/api/projects/${project.id}/messages?limit=20`);
  return page.data.find((m) => m.text === "done: compat task");
});
console.log("ok task");

await agent.disconnect();
watcher.close();
const failures = sdkErrors.filter((e) => e.includes("[sdk]"));
check(failures.length === 0, `the SDK logged failures: ${failures.join(" | ")}`);
console.log("ok all");
process.exit(0);
