// Jaibber channel plugin for OpenClaw: the entry OpenClaw loads.
import { defineChannelPluginEntry } from "openclaw/plugin-sdk/channel-core";

import { jaibberPlugin, setJaibberRuntime } from "./src/channel.js";

export default defineChannelPluginEntry({
  id: "jaibber",
  name: "Jaibber",
  description: "Jaibber project channels for OpenClaw agents",
  plugin: jaibberPlugin,
  setRuntime: setJaibberRuntime,
});
