// Runs the official `ably` npm client against a running hub and checks what a Jaibber
// client relies on. Driven by crates/hub/tests/it/ably_js.rs, which starts the hub and
// passes, in the environment:
//   HUB_URL       http://127.0.0.1:<port>
//   HUB_JWT       a user's session token (Bearer for POST /api/ably/token)
//   HUB_USER_ID   that user's id (the Ably clientId)
//   HUB_PROJECT   a project id of that user
//   ABLY_FORMAT   json | msgpack
//   SCENARIOS     comma-separated: basic,presence,rewind,resume,renew
//   JAIBBER_JS_MODULES  node_modules holding `ably`
// Prints "ok <scenario>" per scenario passed; exits 1 with the reason on the first failure.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const Ably = require(path.join(process.env.JAIBBER_JS_MODULES, 'ably'));

const base = process.env.HUB_URL;
const url = new URL(base);
const jwt = process.env.HUB_JWT;
const userId = process.env.HUB_USER_ID;
const project = process.env.HUB_PROJECT;
const channelName = `jaibber:project:${project}`;
const binary = process.env.ABLY_FORMAT === 'msgpack';
const scenarios = (process.env.SCENARIOS || 'basic,presence,rewind,resume').split(',');

const clients = [];
function fail(message) {
  throw new Error(message);
}
function check(condition, message) {
  if (!condition) fail(message);
}
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
async function waitFor(what, predicate, ms = 10000) {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

let tokenCalls = 0;
async function fetchTokenRequest() {
  tokenCalls += 1;
  const response = await fetch(`${base}/api/ably/token`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${jwt}` },
  });
  check(response.ok, `POST /api/ably/token answered ${response.status}`);
  return response.json();
}

// `viaUrl`: authUrl with POST and a Bearer header (the desktop app's way); otherwise an
// authCallback that fetches the TokenRequest (the OpenClaw plugin's way).
function client(viaUrl, extra = {}) {
  const options = {
    realtimeHost: url.hostname,
    restHost: url.hostname,
    port: Number(url.port),
    tls: false,
    useBinaryProtocol: binary,
    logLevel: 1,
    ...extra,
  };
  if (viaUrl) {
    options.authUrl = `${base}/api/ably/token`;
    options.authMethod = 'POST';
    options.authHeaders = { Authorization: `Bearer ${jwt}` };
  } else {
    options.authCallback = (_params, callback) => {
      fetchTokenRequest().then((request) => callback(null, request), (err) => callback(err, null));
    };
  }
  const realtime = new Ably.Realtime(options);
  clients.push(realtime);
  return realtime;
}

async function connect(realtime) {
  if (realtime.connection.state !== 'connected') await realtime.connection.once('connected');
  check(realtime.connection.id, 'connected without a connection id');
  return realtime;
}

async function basic() {
  const a = await connect(client(true));
  const b = await connect(client(false));
  check(a.auth.clientId === userId, `clientId ${a.auth.clientId} is not the user id ${userId}`);
  const received = [];
  const channelA = a.channels.get(channelName);
  await channelA.subscribe((message) => received.push(message));
  check(channelA.state === 'attached', `channel state ${channelA.state}`);

  const chunk = { type: 'chunk', text: 'hello from ably-js', messageId: 'r-1', projectId: project };
  await b.channels.get(channelName).publish('message', chunk);
  await waitFor('the published chunk', () => received.some((m) => m.data && m.data.messageId === 'r-1'));
  const got = received.find((m) => m.data && m.data.messageId === 'r-1');
  check(got.data.text === chunk.text, `data not decoded: ${JSON.stringify(got.data)}`);
  check(got.clientId === userId, `clientId on the message: ${got.clientId}`);
  check(got.connectionId === b.connection.id, 'connectionId on the message');

  const posted = await fetch(`${base}/api/projects/${project}/messages`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ text: `REST message ${binary}` }),
  });
  check(posted.status === 201, `POST messages answered ${posted.status}`);
  const stored = (await posted.json());
  const storedId = (stored.data || stored).id;
  await waitFor('the REST message on the channel', () =>
    received.some((m) => m.name === 'message' && m.data && m.data.messageId === storedId));
  const chat = received.find((m) => m.data && m.data.messageId === storedId).data;
  check(chat.type === 'message' && chat.text === `REST message ${binary}`, `chat payload ${JSON.stringify(chat)}`);

  let refused;
  try {
    await a.channels.get('jaibber:project:not-a-member').attach();
  } catch (err) {
    refused = err;
  }
  check(refused && refused.code === 40160, `attach outside the capability: ${refused && refused.code}`);
  check(a.connection.state === 'connected', 'the connection survives a refused attach');

  let tooBig;
  try {
    await b.channels.get(channelName).publish('message', 'x'.repeat(70 * 1024));
  } catch (err) {
    tooBig = err;
  }
  check(tooBig && tooBig.code === 40009, `oversize publish: ${tooBig && tooBig.code}`);
  check(b.connection.state === 'connected', 'the connection survives an oversize publish');
}

async function presence() {
  const watcher = await connect(client(true));
  const agent = await connect(client(false));
  const watched = watcher.channels.get(channelName);
  await watched.attach();
  const events = [];
  await watched.presence.subscribe((member) => events.push(member));
  const agentChannel = agent.channels.get(channelName);
  await agentChannel.presence.enter({ agentName: 'Coder', agentInstructions: 'writes code' });
  await waitFor('an enter event', () => events.some((e) => e.action === 'enter'));
  const members = await watched.presence.get();
  const coder = members.find((m) => m.connectionId === agent.connection.id);
  check(coder, `presence.get() has no member of the agent: ${JSON.stringify(members)}`);
  check(coder.clientId === userId && coder.data.agentName === 'Coder', `member ${JSON.stringify(coder)}`);

  // A third client attaching later gets the member through SYNC.
  const late = await connect(client(true));
  const lateMembers = await late.channels.get(channelName).presence.get();
  check(lateMembers.some((m) => m.data && m.data.agentName === 'Coder'), 'SYNC to a new attacher');

  await agentChannel.presence.update({ agentName: 'Coder', busy: true });
  await waitFor('an update event', () => events.some((e) => e.action === 'update'));
  await agentChannel.presence.leave();
  await waitFor('a leave event', () => events.some((e) => e.action === 'leave'));
  const after = await watched.presence.get();
  check(!after.some((m) => m.connectionId === agent.connection.id), 'the member is gone after leave');
}

async function rewind() {
  const publisher = await connect(client(false));
  const channel = publisher.channels.get(channelName);
  for (let n = 0; n < 5; n += 1) await channel.publish('rw', { n });
  const reader = await connect(client(true));
  const got = [];
  await reader.channels.get(channelName, { params: { rewind: '3' } }).subscribe('rw', (m) => got.push(m.data.n));
  await waitFor('three rewound messages', () => got.length >= 3);
  await sleep(200);
  check(JSON.stringify(got) === '[2,3,4]', `rewind 3 gave ${JSON.stringify(got)}`);
  const spanReader = await connect(client(true));
  const span = [];
  await spanReader.channels.get(channelName, { params: { rewind: '1m' } }).subscribe('rw', (m) => span.push(m.data.n));
  await waitFor('the last minute of messages', () => span.length >= 5);
  check(JSON.stringify(span.slice(-5)) === '[0,1,2,3,4]', `rewind 1m gave ${JSON.stringify(span)}`);
}

async function resume() {
  const reader = await connect(client(true));
  const writer = await connect(client(false));
  const idBefore = reader.connection.id;
  const got = [];
  await reader.channels.get(channelName).subscribe('seq', (m) => got.push(m.data.n));
  const states = [];
  reader.connection.on((change) => states.push(change.current));
  const channel = writer.channels.get(channelName);
  const sends = [];
  for (let n = 0; n < 200; n += 1) {
    if (n === 50) reader.connection.connectionManager.disconnectAllTransports();
    sends.push(channel.publish('seq', { n }));
    if (n % 20 === 0) await sleep(5);
  }
  await Promise.all(sends);
  await waitFor('all 200 messages after the forced disconnect', () => got.length >= 200, 20000);
  await sleep(300);
  check(states.includes('disconnected'), `the transport was not dropped: ${states}`);
  check(reader.connection.id === idBefore, `not resumed: ${idBefore} became ${reader.connection.id}`);
  const expected = Array.from({ length: 200 }, (_, n) => n);
  check(JSON.stringify(got) === JSON.stringify(expected),
    `lost, duplicated or reordered: ${got.length} messages, first gap near ${got.findIndex((v, i) => v !== i)}`);
}

async function renew() {
  const realtime = await connect(client(false));
  const idBefore = realtime.connection.id;
  const callsBefore = tokenCalls;
  const got = [];
  await realtime.channels.get(channelName).subscribe('after-renewal', (m) => got.push(m.data));
  const errors = [];
  realtime.connection.on('disconnected', (change) => errors.push(change.reason && change.reason.code));
  await waitFor('a token renewal', () => tokenCalls > callsBefore && realtime.connection.state === 'connected', 15000);
  check(errors.some((code) => code >= 40140 && code < 40150), `expected a 4014x disconnect, saw ${errors}`);
  check(realtime.connection.id === idBefore, 'the renewed connection resumed');
  const other = await connect(client(true));
  await other.channels.get(channelName).publish('after-renewal', 'still here');
  await waitFor('a message after the renewal', () => got.includes('still here'));
}

const table = { basic, presence, rewind, resume, renew };
try {
  for (const name of scenarios) {
    const scenario = table[name];
    if (!scenario) fail(`unknown scenario ${name}`);
    await scenario();
    console.log(`ok ${name}`);
  }
} catch (err) {
  console.error(`FAILED (${binary ? 'msgpack' : 'json'}): ${err && err.stack ? err.stack : err}`);
  process.exitCode = 1;
} finally {
  for (const realtime of clients) realtime.close();
  setTimeout(() => process.exit(), 500).unref();
}
