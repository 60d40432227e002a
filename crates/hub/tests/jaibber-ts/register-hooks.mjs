// `node --import ./register-hooks.mjs …`: installs hooks.mjs before the entry runs.
import { register } from "node:module";

register("./hooks.mjs", import.meta.url);
