import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Project rule: no test names an image, registry, host or URL off loopback,
 * even where no traffic happens. This scans every .ts and .json file under
 * tests/ and lists each offending file:line.
 *
 * What counts as off loopback:
 *  - a URL whose host is not 127.0.0.1, localhost or [::1];
 *  - a non-loopback IPv4 address;
 *  - a host name under a public top-level domain (com, io, org, net, dev, ...),
 *    except Kubernetes API groups and label/annotation key prefixes of kpack,
 *    Cloud Native Buildpacks and Kubernetes (such as image.kpack.io/image);
 *  - a quoted image reference with a tag or digest, or with a host[:port],
 *    whose registry is not loopback: a reference without a registry host
 *    (org/app:1) means Docker Hub;
 *  - the value of an image-valued field (image, tag, runImage, ...) whose
 *    registry is not loopback, even without a tag.
 *
 * Two exceptions, each narrow: text the SDK or provider itself prints (a test
 * asserting an error message that illustrates with an example registry), when
 * at least CONTEXT characters around the match are copied verbatim from sdk/
 * or provider/ sources (or schema/); and the entries of ALLOWED below.
 */

const root = path.join(__dirname, "..", "..", "..");
const CONTEXT = 20;

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);
/** Domains whose names are API groups and label/annotation key prefixes (this project's too), not hosts. */
const NAME_DOMAINS = ["kpack.io", "buildpacks.io", "kubernetes.io", "k8s.io", "pulumi-kpack.io"];

/** Known, justified exceptions: a file and a pattern that must match at the offending text. */
const ALLOWED: Array<{ file: string; at: RegExp; why: string }> = [
  {
    file: "devenv/kpack.ts",
    at: new RegExp("^" + ["github", "com"].join("\\.") + "/pivotal/kpack@v"),
    why: "the Go module path of kpack, which `go mod download` resolves from the module cache or GOPROXY; the tests never contact it",
  },
];

/** `<runtime>://<id>` is how a kubelet writes a containerID (recorded pods and Builds carry them): an ID, not a host. */
const CONTAINER_ID_SCHEMES = new Set(["containerd", "docker", "cri-o", "pulumi-kpack"]);
const URL_RE = /\b([a-z][a-z0-9+.-]*):\/\/([^\s"'`<>()[\]{}\\]*(?:\[[0-9a-f:]+\][^\s"'`<>()\\/]*)?[^\s"'`<>()\\]*)/gi;
const TLDS = "com|io|org|net|dev|app|cloud|ai|co|me|gov|edu|info|xyz|tech|site";
const HOST_RE = new RegExp(`(?<![\\w.-])((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)+(?:${TLDS}))(?![\\w-]|\\.[a-z0-9])`, "gi");
const IPV4_RE = /(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w.]*\d)/g;
const STRING_RE = /(["'`])((?:\\.|(?!\1)[^\\])*)\1/g;
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const IMAGE_RE = new RegExp(
  `^(?:((?:[a-z0-9.-]+|\\[[0-9a-f:]+\\])(?::\\d+)?)\\/)?(${COMPONENT}(?:\\/${COMPONENT})*)(?::(\\w[\\w.-]{0,127}))?(?:@(sha256:[0-9a-f]+|\\$\\{[^}]*\\}))?$`,
  "i",
);
const IMAGE_FIELDS = "image|tag|tags|additionalTags|runImage|buildImage|latestImage|resolvedImage|storeImage|stackRunImage|latestCacheImage";
const FIELD_RE = new RegExp(`(?:^|[\\s{,(])(["']?)(?:${IMAGE_FIELDS})\\1\\s*:\\s*(\\[[^\\]]*\\]|"[^"]*"|'[^']*'|\`[^\`]*\`)`, "g");

interface Violation {
  file: string;
  line: number;
  rule: string;
  text: string;
}

function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h.startsWith("[")) return LOOPBACK_HOSTS.has(h.slice(0, h.indexOf("]") + 1));
  // The port may be computed (127.0.0.1:${port}); the host may not.
  return LOOPBACK_HOSTS.has(h.replace(/:[^:]*$/, ""));
}

function isNameDomain(host: string): boolean {
  const h = host.toLowerCase();
  return NAME_DOMAINS.some((d) => h === d || h.endsWith(`.${d}`));
}

/** The registry of a reference as go-containerregistry reads it: a first part with '.' or ':' or localhost, else Docker Hub (undefined). */
function registryHost(ref: string): string | undefined {
  const slash = ref.indexOf("/");
  if (slash < 0) return undefined;
  const first = ref.slice(0, slash);
  return /[.:[]/.test(first) || first === "localhost" ? first : undefined;
}

/** Whether a string computed at run time (a template placeholder) decides the host. */
const dynamic = (s: string) => s.startsWith("${") || s.startsWith("{");

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name === "dist") continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else if (/\.(ts|json)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** schema/, sdk/ and provider/ sources: the texts their messages may quote. */
function sourceText(): string {
  return ["schema", "sdk", "provider"]
    .flatMap((d) => files(path.join(root, d)))
    .map((f) => fs.readFileSync(f, "utf8"))
    .join("\n");
}

/** Backslash escapes of punctuation undone, so a host in a regular expression (/host\.tld/) reads as the host it matches. */
const unescape = (s: string) => s.replace(/\\([^\w\s])/g, "$1");

export function scan(rel: string, text: string, sdk: string): Violation[] {
  const found: Violation[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = unescape(raw);
    const seen: Array<[number, number]> = [];
    const report = (rule: string, start: number, match: string) => {
      const end = start + match.length;
      if (seen.some(([s, e]) => start < e && end > s)) return;
      seen.push([start, end]);
      if (ALLOWED.some((a) => a.file === rel && a.at.test(line.slice(start)))) return;
      const before = line.slice(Math.max(0, start - CONTEXT), end);
      const after = line.slice(start, end + CONTEXT);
      if ((before.length >= match.length + CONTEXT && sdk.includes(before)) || (after.length >= match.length + CONTEXT && sdk.includes(after)))
        return;
      found.push({ file: rel, line: i + 1, rule, text: match });
    };

    for (const m of line.matchAll(URL_RE)) {
      const authority = m[2].split(/[/?#]/)[0].replace(/^[^@]*@/, "");
      if (
        authority === "" ||
        dynamic(authority) ||
        isLoopbackHost(authority) ||
        (CONTAINER_ID_SCHEMES.has(m[1].toLowerCase()) && !authority.includes("."))
      ) {
        seen.push([m.index, m.index + m[0].length]);
        continue;
      }
      report("URL off loopback", m.index, m[0]);
    }
    for (const m of line.matchAll(STRING_RE)) {
      const s = unescape(m[2]);
      const im = IMAGE_RE.exec(s);
      if (!im) continue;
      const host = registryHost(s);
      const [, , , tag, digest] = im;
      if (host !== undefined && isLoopbackHost(host)) continue;
      const hostForm = host !== undefined && (/:\d+$/.test(host) || /^\d+(\.\d+){3}/.test(host) || host.startsWith("["));
      // Without a host, only org/name[:tag] reads as an image: a single word with a colon is too often something else.
      const hubForm = host === undefined && s.replace(/[:@].*$/, "").includes("/");
      if ((tag || digest) && (host !== undefined || hubForm))
        report(host ? "image off loopback" : "image on Docker Hub (no registry host)", m.index + 1, s);
      else if (hostForm) report("image off loopback", m.index + 1, s);
    }
    for (const m of line.matchAll(FIELD_RE)) {
      const values = m[2].startsWith("[") ? [...m[2].matchAll(STRING_RE)].map((x) => x[2]) : [m[2].slice(1, -1)];
      for (const v of values) {
        if (v === "" || /\s/.test(v) || dynamic(v)) continue;
        const host = registryHost(v);
        if (host !== undefined && isLoopbackHost(host)) continue;
        report(host ? "image field off loopback" : "image field on Docker Hub (no registry host)", line.indexOf(v, m.index), v);
      }
    }
    for (const m of line.matchAll(HOST_RE)) {
      if (isNameDomain(m[1])) continue;
      report("host off loopback", m.index, m[1]);
    }
    for (const m of line.matchAll(IPV4_RE)) {
      // A CIDR range (such as the API server's service IP range) names no host.
      if (m[1] === "127.0.0.1" || /^\/\d{1,2}\b/.test(line.slice(m.index + m[1].length))) continue;
      report("IP address off loopback", m.index, m[1]);
    }
  });
  return found;
}

describe("tests name nothing off loopback", () => {
  // The tests and the environment they start. (The example programs name nothing themselves: the tests configure them.)
  const testFiles = ["tests", "devenv"].flatMap((d) => files(path.join(root, d)));
  const sdk = sourceText();

  it("scans the unit tests, their fixtures and recordings, and the environment", () => {
    const rel = testFiles.map((f) => path.relative(root, f).split(path.sep).join("/"));
    for (const want of ["tests/unit/image.test.ts", "tests/unit/fixtures/kpack.ts", "tests/unit/loopback-only.test.ts", "devenv/registry.ts"]) {
      assert.ok(rel.includes(want), `${want} not scanned`);
    }
    assert.ok(
      rel.some((f) => /^tests\/unit\/recordings\/.+\.json$/.test(f)),
      "no recording scanned",
    );
  });

  it("accepts loopback references and Kubernetes names", () => {
    const ok = [
      'image: "127.0.0.1:5000/stacks/run:1"',
      'tag: "localhost:5001/team/app"',
      'additionalTags: ["[::1]:5000/team/app:stable"]',
      'url: "http://127.0.0.1:3000/example/app.git"',
      'url: "http://[::1]:8080/app.tgz"',
      '"image.kpack.io/image": "app", apiVersion: "kpack.io/v1alpha2"',
      '"app.kubernetes.io/managed-by", "rbac.authorization.k8s.io/v1", "io.buildpacks.stacks.jammy"',
      '{ id: "paketo-buildpacks/java", version: "18.5.0" }',
      "`${registry}/pulumi-kpack/lifecycle:0.20.0`, `http://${host}/v2/`",
      'import * as assert from "node:assert/strict";',
      '"containerID": "pulumi-kpack://0b5e6f6a-3c1d-4e5f-9a8b-7c6d5e4f3a2b/build", "containerID": "containerd://4f3a"',
    ];
    assert.deepEqual(scan("t.ts", ok.join("\n"), ""), []);
  });

  it("flags references off loopback, a runtime's scheme on a host name included", () => {
    const off = [
      ["url", 'url: "http://' + ["registry", "example", "com"].join(".") + '/app.tgz"'],
      ["image", 'image: "' + ["paketobuildpacks", "run"].join("/") + ':base"'],
      ["ip", 'const host = "' + [10, 1, 2, 3].join(".") + '";'],
      ["runtime scheme on a host", '"containerID": "containerd://' + ["registry", "example", "com"].join(".") + '/x"'],
    ];
    for (const [what, text] of off) assert.ok(scan("t.ts", text, "").length > 0, `${what}: ${text}`);
  });

  it("finds no image, registry, host or URL off loopback", () => {
    const found = testFiles.flatMap((f) => scan(path.relative(root, f).split(path.sep).join("/"), fs.readFileSync(f, "utf8"), sdk));
    assert.ok(
      found.length === 0,
      `${found.length} reference(s) off loopback; use 127.0.0.1:5000/<path>:<tag>, http://127.0.0.1:<port>/... or localhost:\n` +
        found.map((v) => `  ${v.file}:${v.line}: ${v.rule}: ${v.text}`).join("\n"),
    );
  });
});
