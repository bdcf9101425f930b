// `orderflow-migrate <command>` in a service folder, DATABASE_URL from the environment.
import { runMigrateCli } from "./cli.js";
import { binOptions } from "./env.js";

let code: number;
try {
  code = await runMigrateCli(process.argv.slice(2), binOptions());
} catch (e) {
  console.error((e as Error).message);
  code = 1;
}
// the wasm engine leaves a ~10 s timer behind: exit explicitly
process.exit(code);
