import * as fs from "node:fs";
import * as http from "node:http";

/** Serves one file at /<name> on 127.0.0.1 (a release manifest, for installs that must not leave loopback). */
export async function serveFile(file: string, name: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === `/${name}`) {
      res.writeHead(200, { "content-type": "application/yaml" });
      fs.createReadStream(file).pipe(res);
    } else {
      res.writeHead(404).end("not found\n");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${addr.port}/${name}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
