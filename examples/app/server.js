// The example app every ec2fleet example releases: a dependency-free HTTP server. It answers the
// health check on /health and says which release it is on /. PORT and RELEASE come from the
// environment (scripts/start.sh sets them).
"use strict";
const http = require("http");

const port = Number(process.env.PORT || 3000);
const release = process.env.RELEASE || "unknown";

function handle(req, res) {
  const path = new URL(req.url, "http://localhost").pathname;
  if (path === "/health") {
    res.writeHead(200, { "content-type": "text/plain" });
    return res.end("ok\n");
  }
  if (path === "/") {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify({ app: "ec2fleet-example", release }) + "\n");
  }
  res.writeHead(404, { "content-type": "text/plain" });
  res.end("not found\n");
}

const server = http.createServer(handle);
server.listen(port, () => console.log(`ec2fleet-example release ${release} listening on ${port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
