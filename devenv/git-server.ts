import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import * as k8s from "@kubernetes/client-node";

const run = promisify(execFile);

/**
 * A git server on loopback: git's own smart-HTTP CGI (git-http-backend)
 * behind a small Node HTTP bridge, serving bare repositories under one
 * directory, read-only (fetch and clone; tests commit straight into the bare
 * repositories). kpack's build-init clones from it with go-git and kpack's
 * source resolver lists its branches.
 */
export interface GitServer {
  /** http://127.0.0.1:P/<name>.git */
  url(name: string): string;
  /** Commits `files` (path → content; null deletes) on `branch` of repository `name` (created on first use); returns the commit sha. */
  commit(name: string, files: Record<string, string | null>, message: string, branch?: string): Promise<string>;
  close(): Promise<void>;
}

const BACKEND = "/usr/lib/git-core/git-http-backend";
/** Fixed identity and dates are not needed: each commit must differ anyway. */
const GIT_ENV = {
  GIT_AUTHOR_NAME: "pulumi-kpack test",
  GIT_AUTHOR_EMAIL: "test@127.0.0.1",
  GIT_COMMITTER_NAME: "pulumi-kpack test",
  GIT_COMMITTER_EMAIL: "test@127.0.0.1",
};

export async function startGitServer(dir: string): Promise<GitServer> {
  const repos = path.join(dir, "repos");
  const work = path.join(dir, "work");
  fs.mkdirSync(repos, { recursive: true });
  fs.mkdirSync(work, { recursive: true });
  const git = (cwd: string, ...args: string[]) => run("git", args, { cwd, env: { ...process.env, ...GIT_ENV, GIT_CONFIG_NOSYSTEM: "1", HOME: dir } });

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    // CGI (RFC 3875) environment, as a web server hands it to git-http-backend.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: repos,
      GIT_HTTP_EXPORT_ALL: "1",
      GATEWAY_INTERFACE: "CGI/1.1",
      REQUEST_METHOD: req.method,
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ""),
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
      SERVER_PROTOCOL: "HTTP/1.1",
    };
    if (req.headers["content-length"]) env.CONTENT_LENGTH = req.headers["content-length"];
    if (req.headers["content-encoding"]) env.HTTP_CONTENT_ENCODING = req.headers["content-encoding"];
    if (req.headers["git-protocol"]) env.HTTP_GIT_PROTOCOL = String(req.headers["git-protocol"]);
    const cgi = spawn(BACKEND, [], { env, stdio: ["pipe", "pipe", "pipe"] });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
        const i = line.indexOf(":");
        const [k, v] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
        if (k.toLowerCase() === "status") status = Number(v.split(" ")[0]);
        else res.setHeader(k, v);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    let stderr = "";
    cgi.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    cgi.on("close", (code) => {
      if (!headersDone) res.writeHead(500, { "content-type": "text/plain" }).end(`git-http-backend exited ${code}: ${stderr}\n`);
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;

  return {
    url: (name) => `http://127.0.0.1:${port}/${name}.git`,
    async commit(name, files, message, branch = "main") {
      const bare = path.join(repos, `${name}.git`);
      const tree = path.join(work, name);
      if (!fs.existsSync(bare)) {
        await git(repos, "init", "--quiet", "--bare", `--initial-branch=${branch}`, bare);
        // kpack's build-init (go-git) fetches the resolved commit by its sha, as hosted git servers allow.
        await git(bare, "config", "uploadpack.allowReachableSHA1InWant", "true");
        await git(work, "init", "--quiet", `--initial-branch=${branch}`, tree);
        await git(tree, "remote", "add", "origin", bare);
      }
      const branches = (await git(tree, "branch", "--list", branch)).stdout.trim();
      const remote = (await git(tree, "ls-remote", "--heads", "origin", branch)).stdout.trim();
      if (remote) {
        await git(tree, "fetch", "--quiet", "origin", branch);
        await git(tree, "checkout", "--quiet", "-B", branch, `origin/${branch}`);
      } else if (!branches) await git(tree, "checkout", "--quiet", "--orphan", branch);
      for (const [rel, content] of Object.entries(files)) {
        const f = path.join(tree, rel);
        if (content === null) fs.rmSync(f, { force: true });
        else {
          fs.mkdirSync(path.dirname(f), { recursive: true });
          fs.writeFileSync(f, content);
        }
      }
      await git(tree, "add", "--all");
      await git(tree, "commit", "--quiet", "--allow-empty", "-m", message);
      await git(tree, "push", "--quiet", "origin", `HEAD:refs/heads/${branch}`);
      return (await git(tree, "rev-parse", "HEAD")).stdout.trim();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * kpack v0.17.2 polls a git branch once a minute and that is hard-coded
 * (pkg/reconciler/sourceresolver/enqueuer.go ignores SourcePollingFrequency),
 * but its SourceResolver reconciler also runs on any change to the object. So
 * after a push the test environment does what a push webhook would: it
 * touches the SourceResolvers that watch that repository, and kpack resolves
 * the branch itself at once.
 */
export async function nudgeSourceResolvers(kc: k8s.KubeConfig, gitUrl: string): Promise<number> {
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  type SourceResolver = k8s.KubernetesObject & { spec?: { source?: { git?: { url?: string } } } };
  const list = await objects.list<SourceResolver>("kpack.io/v1alpha2", "SourceResolver");
  let n = 0;
  for (const sr of list.items) {
    if (sr.spec?.source?.git?.url !== gitUrl) continue;
    await objects.patch(
      {
        apiVersion: "kpack.io/v1alpha2",
        kind: "SourceResolver",
        metadata: {
          name: sr.metadata?.name,
          namespace: sr.metadata?.namespace,
          annotations: { "pulumi-kpack.test/pushed": new Date().toISOString() },
        },
      },
      undefined,
      undefined,
      "pulumi-kpack-test-git",
      undefined,
      k8s.PatchStrategy.MergePatch,
    );
    n++;
  }
  return n;
}
