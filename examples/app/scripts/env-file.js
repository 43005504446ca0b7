// GetParametersByPath's answer (stdin) as a systemd EnvironmentFile (stdout): NAME="value" per
// parameter directly under the path given, with \, ", $ and ` escaped as systemd reads them.
"use strict";
const path = process.argv[2];
let input = "";
process.stdin.on("data", (c) => (input += c));
process.stdin.on("end", () => {
  const params = input.trim() ? JSON.parse(input).Parameters || [] : [];
  const lines = params
    .filter((p) => p.Name.startsWith(path + "/"))
    .map((p) => [p.Name.slice(path.length + 1), p.Value])
    .filter(([name]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}="${value.replace(/[\\"$`]/g, "\\$&")}"`);
  process.stdout.write(lines.length ? lines.join("\n") + "\n" : "");
});
