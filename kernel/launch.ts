/**
 * The bct Jupyter kernel process: `node dist/kernel/launch.js --config-path <connection file>`
 * (what the kernelspec runs). It starts the project's own tslab (from this package's node_modules)
 * with three changes, none of which patch node_modules:
 *
 * 1. `bct` and `bct/...` imports type-check and run from any notebook folder ({@link ./resolve-hooks.ts});
 * 2. a failed cell reports a readable error and does not take the following cells with it
 *    ({@link ./execution.ts});
 * 3. display helpers can show MIME bundles and update them in place ({@link ./bridge.ts}).
 * @module
 */
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type * as TslabConverter from "tslab/dist/converter.js";
import type * as TslabExecutor from "tslab/dist/executor.js";
import type * as TslabJupyter from "tslab/dist/jupyter.js";
import { setKernelBridge } from "./bridge.js";
import type { CellError } from "./cell-error.js";
import { KernelError } from "./errors.js";
import { CellReporter, CellRunner, type CellIO, type ExecuteRequestContent } from "./execution.js";
import { bctPackage } from "../lib/package-root.js";
import { hookPackageResolution, hookTslabCompiler, packagePaths } from "./resolve-hooks.js";
import { expandShorthandProperties, type ShorthandCompiler } from "./shorthand.js";

type ZmqServerClass = typeof TslabJupyter.ZmqServer;
type ShellMessage = Parameters<TslabJupyter.ZmqServer["handleExecute"]>[1];

/** A tslab ZmqServer whose execute requests go to a {@link CellRunner}. */
function bctServerClass(Base: ZmqServerClass, about: { version: string; tslab: string; typescript: string }) {
  return class BctZmqServer extends Base {
    runner: CellRunner | null = null;

    /** tslab's kernel_info, naming bct and the real TypeScript version. */
    override handleKernelInfo(sock: unknown, msg: ShellMessage): void {
      const info = this.handler.handleKernel();
      const reply = msg.createReply();
      reply.header.msg_type = "kernel_info_reply";
      reply.content = {
        ...info,
        implementation: "bct",
        implementation_version: about.version,
        language_info: { ...info.language_info, version: about.typescript },
        banner: `bct ${about.version} (TypeScript ${about.typescript} via tslab ${about.tslab}, Node ${process.version})`,
      };
      reply.signAndSend(this.connInfo.key, sock);
    }

    override async handleExecute(sock: unknown, msg: ShellMessage): Promise<void> {
      const send = (type: string, content: object): void => {
        const m = msg.createReply();
        m.header.msg_type = type;
        m.content = content;
        m.signAndSend(this.connInfo.key, this.iopub);
      };
      const io: CellIO = {
        stream: (name, text) => send("stream", { name, text }),
        display: (data, update) => send(update ? "update_display_data" : "display_data", { transient: {}, ...data }),
        error: (err: CellError) => send("error", err),
      };
      if (!this.runner) throw new KernelError("the kernel is not initialised");
      const content = await this.runner.execute(msg.content as ExecuteRequestContent, io);
      const reply = msg.createReply();
      reply.header.msg_type = "execute_reply";
      reply.content = content;
      reply.signAndSend(this.connInfo.key, sock);
    }
  };
}

/** Parse `--config-path <file>` / `--config-path=<file>`. */
export function parseLaunchArgs(argv: string[]): { configPath: string } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--config-path" && argv[i + 1]) return { configPath: argv[i + 1] };
    if (a.startsWith("--config-path=")) return { configPath: a.slice("--config-path=".length) };
  }
  throw new KernelError("usage: node dist/kernel/launch.js --config-path <connection file> (Jupyter passes it)");
}

/** Start the kernel; resolves once its sockets are bound. */
export async function startKernel(configPath: string): Promise<void> {
  const pkg = bctPackage();
  const require = createRequire(join(pkg.root, "package.json"));
  const tslabDist = join(dirname(require.resolve("tslab/package.json")), "dist");

  hookPackageResolution(pkg);
  const unhook = hookTslabCompiler(join(tslabDist, "converter.js"), packagePaths(pkg));
  const converter = require(join(tslabDist, "converter.js")) as typeof TslabConverter;
  unhook();
  const executorModule = require(join(tslabDist, "executor.js")) as typeof TslabExecutor;
  const jupyter = require(join(tslabDist, "jupyter.js")) as typeof TslabJupyter;
  const tslabTs = createRequire(join(tslabDist, "converter.js"))("@tslab/typescript-for-tslab") as ShorthandCompiler;

  let node: ReturnType<typeof converter.createConverter> | undefined;
  let browser: ReturnType<typeof converter.createConverter> | undefined;
  const convs = {
    get node() {
      return (node ??= converter.createConverter({ isJS: false, isBrowser: false }));
    },
    get browser() {
      return (browser ??= converter.createConverter({ isJS: false, isBrowser: true }));
    },
    close() {
      node?.close();
      browser?.close();
    },
  };
  convs.node; // compile the empty program now, not in the first cell (a few hundred ms)

  const reporter = new CellReporter();
  const executor = executorModule.createExecutor(process.cwd(), convs, { log: reporter.log, error: reporter.error });
  const runner = new CellRunner(
    executor,
    reporter,
    pkg,
    (io) => {
      // tslab's own `display` API (import { display } from "tslab") writes through this.
      (jupyter as { lastWriteDisplayData: unknown }).lastWriteDisplayData = (d: Parameters<CellIO["display"]>[0], u: boolean) => io.display(d, u);
    },
    (src) => expandShorthandProperties(src, tslabTs),
  );
  setKernelBridge({
    display: (msg, update) => runner.current?.display(msg, update),
    state: {},
    version: pkg.version,
  });

  const tslabVersion = (require("tslab/package.json") as { version: string }).version;
  const typescriptVersion = (createRequire(join(tslabDist, "converter.js"))("@tslab/typescript-for-tslab/package.json") as { version: string }).version;
  const Server = bctServerClass(jupyter.ZmqServer, { version: pkg.version, tslab: tslabVersion, typescript: typescriptVersion });
  const server = new Server(new jupyter.JupyterHandlerImpl(executor, false), configPath);
  server.runner = runner;

  process.on("SIGINT", () => executor.interrupt());
  // Errors in callbacks that outlive their cell (timers, promises nobody awaited) must not end the
  // kernel: report them in the output of the last cell.
  process.on("uncaughtException", (err) => console.error("Uncaught exception (after its cell ended):", err));
  process.on("unhandledRejection", (reason) => console.error("Unhandled promise rejection:", reason));
  await server.init();
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  return !!entry && resolve(entry) === fileURLToPath(import.meta.url);
}

if (isEntryPoint()) {
  let configPath: string;
  try {
    configPath = parseLaunchArgs(process.argv.slice(2)).configPath;
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exit(2);
  }
  startKernel(configPath).catch((e: unknown) => {
    console.error("bct kernel failed to start:", e);
    process.exit(1);
  });
}
