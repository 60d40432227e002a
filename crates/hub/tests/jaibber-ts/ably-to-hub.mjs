// The real `ably` client (from JAIBBER_JS_MODULES), its realtime and REST hosts set to the
// hub at HUB_URL. Everything else the caller passes is kept as it is.
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(join(process.env.JAIBBER_JS_MODULES, "resolve-from-here.js"));
const Ably = require("ably");
const hub = new URL(process.env.HUB_URL);
const endpoint = { realtimeHost: hub.hostname, restHost: hub.hostname, port: Number(hub.port), tls: false };

export class Realtime extends Ably.Realtime {
  constructor(options) {
    super({ ...options, ...endpoint });
  }
}

export class Rest extends Ably.Rest {
  constructor(options) {
    super({ ...options, ...endpoint });
  }
}

export default { ...Ably, Realtime, Rest };
