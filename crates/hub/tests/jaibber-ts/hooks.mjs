// Module hooks that let Node run the official TypeScript sources unchanged:
// - `./x.js` imported from a `.ts` file resolves to the `x.ts` beside it (tsc's convention);
// - bare npm imports from the `.ts` files resolve in the test command's node_modules
//   (JAIBBER_JS_MODULES), since upstream/ has none of its own;
// - `ably` resolves to ably-to-hub.mjs, the real client pointed at the hub.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const shim = new URL("./ably-to-hub.mjs", import.meta.url).href;

export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? "";
  if (specifier === "ably" && !parent.endsWith("ably-to-hub.mjs")) {
    return { url: shim, shortCircuit: true };
  }
  if (!parent.endsWith(".ts")) return next(specifier, context);
  if (specifier.startsWith(".") && specifier.endsWith(".js")) {
    const ts = new URL(specifier.replace(/\.js$/, ".ts"), parent);
    if (existsSync(fileURLToPath(ts))) return { url: ts.href, shortCircuit: true };
  }
  if (!specifier.startsWith(".") && !specifier.startsWith("node:") && !specifier.startsWith("/")) {
    const modules = pathToFileURL(`${process.env.JAIBBER_JS_MODULES}/`).href;
    return next(specifier, { ...context, parentURL: new URL("resolve-from-here.js", modules).href });
  }
  return next(specifier, context);
}
