#!/usr/bin/env node
// The bct command. Runs the compiled CLI (npm run build first; `npm start` and `npm test` build).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
const main = new URL("../dist/lib/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("error: bct is not built yet: run `npm run build` in the bct folder first\n");
  process.exit(2);
}
const { runCli } = await import(main.href);
process.exitCode = await runCli(process.argv.slice(2));
