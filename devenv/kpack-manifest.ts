import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import type { KubeObject } from "../provider/kube/objects";
import { parseManifest } from "../provider/install/manifest";
import { kpackConfigDir } from "./kpack";
import { versions } from "./versions";

/**
 * Renders kpack's config/*.yaml (the sources of its release manifest) into a
 * release-like list of objects for the local test environment, without ytt.
 * kpack's templates use only three ytt features, all handled here:
 * `#@ load(...)` lines, the `#@data/values-schema` file (schema.yaml, holding the
 * defaults) and `key: #@ data.values.a.b` substitutions. Anything else fails,
 * so a future kpack that needs real ytt is noticed rather than mis-rendered.
 *
 * For the local environment every image points at the local registry, and the
 * webhook, kept whole, is reached on loopback (see forLoopbackWebhook).
 */
export interface KpackImageValues {
  controller: string;
  webhook: string;
  buildInit: string;
  buildWaiter: string;
  rebase: string;
  completion: string;
  lifecycle: string;
}

export interface RenderOptions {
  /** kpack's config/ directory (default: the pinned version's, see kpackConfigDir). */
  configDir?: string;
  /** kpack version recorded in labels (default: the pinned one). */
  version?: string;
  /** Image references; see loopbackImages(). */
  images: KpackImageValues;
  /**
   * Host port on 127.0.0.1 where the webhook process is reached: the
   * webhook's Service and every clientConfig that names it are rewritten for
   * loopback (forLoopbackWebhook). Required, so that no rendered manifest
   * makes the apiserver dial a Service's cluster IP, an address off loopback.
   */
  webhookPort: number;
}

/** Where kpack's own image `name` (build-init, completion, …) lives on a local registry. */
export function kpackImageTag(registryHost: string, name: string, version: string = versions.kpack): string {
  return `${registryHost}/kpack/${name}:${version}`;
}

/**
 * Images for a local registry at `registryHost` (127.0.0.1:P). The build-pod
 * images (build-init, completion, rebase, build-waiter) and the lifecycle are
 * real images pushCnbImages() pushes there; the controller and webhook are
 * inert names (both run as local processes, from the binaries built from the
 * same kpack version).
 */
export function loopbackImages(registryHost: string, lifecycleImage: string, version: string = versions.kpack): KpackImageValues {
  const img = (n: string) => kpackImageTag(registryHost, n, version);
  return {
    controller: img("controller"),
    webhook: img("webhook"),
    buildInit: img("build-init"),
    buildWaiter: img("build-waiter"),
    rebase: img("rebase"),
    completion: img("completion"),
    lifecycle: lifecycleImage,
  };
}

type Values = { [k: string]: string | Values };

function lookup(values: Values, dotted: string, file: string): string {
  let cur: string | Values | undefined = values;
  for (const part of dotted.split(".")) {
    cur = typeof cur === "object" ? cur[part] : undefined;
  }
  if (typeof cur !== "string") throw new Error(`${file}: data.values.${dotted} is not a string value in kpack's schema.yaml.`);
  return cur;
}

/** Expands the supported ytt constructs in one file's text. */
export function expandTemplate(text: string, values: Values, file: string): string {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (/^\s*#@\s*load\(/.test(line)) continue;
    const sub = /^(\s*(?:-\s+)?[\w.-]+:\s*)#@\s*data\.values\.([\w.]+)\s*$/.exec(line);
    if (sub) {
      out.push(sub[1] + JSON.stringify(lookup(values, sub[2], file)));
      continue;
    }
    if (line.includes("#@"))
      throw new Error(
        `${file}: unsupported ytt construct "${line.trim()}"; the renderer handles only load(), data.values substitutions and the values schema.`,
      );
    out.push(line);
  }
  return out.join("\n");
}

/** The defaults of schema.yaml (a plain YAML document once its #@ lines are gone). */
export function schemaDefaults(text: string): Values {
  const plain = text
    .split("\n")
    .filter((l) => !l.trimStart().startsWith("#@"))
    .join("\n");
  return (k8s.loadAllYaml(plain).find((d) => d) ?? {}) as Values;
}

function isSchema(text: string): boolean {
  return text.split("\n").some((l) => /^\s*#@data\/values-schema/.test(l));
}

/** The webhook's Service, as the release names it in every clientConfig. */
export const WEBHOOK_SERVICE = { namespace: "kpack", name: "kpack-webhook" } as const;

interface ServiceRef {
  namespace?: string;
  name?: string;
  port?: number;
  path?: string;
}

function namesWebhook(ref: ServiceRef | undefined): ref is ServiceRef {
  return ref?.namespace === WEBHOOK_SERVICE.namespace && ref?.name === WEBHOOK_SERVICE.name;
}

/**
 * The webhook reached on loopback, with everything else as released. The
 * apiserver resolves a Service of type ExternalName to
 * `<externalName>:<clientConfig port>` and checks TLS against
 * `kpack-webhook.kpack.svc`, which knative's self-made certificate names; a
 * ClusterIP would be an address off loopback, and Endpoints refuse 127.0.0.0/8.
 * So the Service becomes ExternalName 127.0.0.1, and the two webhook
 * configurations and the converted CRDs keep their Service reference (knative's
 * reconcilers insist on one) with `port` set to the host port.
 */
export function forLoopbackWebhook(o: KubeObject, port: number): KubeObject {
  if (o.kind === "Service" && o.metadata?.namespace === WEBHOOK_SERVICE.namespace && o.metadata?.name === WEBHOOK_SERVICE.name) {
    return { ...o, spec: { type: "ExternalName", externalName: "127.0.0.1", ports: [{ name: "https-webhook", port, protocol: "TCP" }] } };
  }
  if (o.kind === "MutatingWebhookConfiguration" || o.kind === "ValidatingWebhookConfiguration") {
    const webhooks = (o as { webhooks?: Array<{ clientConfig?: { service?: ServiceRef } }> }).webhooks ?? [];
    return {
      ...o,
      webhooks: webhooks.map((w) =>
        namesWebhook(w.clientConfig?.service) ? { ...w, clientConfig: { ...w.clientConfig, service: { ...w.clientConfig?.service, port } } } : w,
      ),
    };
  }
  if (o.kind === "CustomResourceDefinition") {
    const spec = o.spec as { conversion?: { strategy?: string; webhook?: { clientConfig?: { service?: ServiceRef } } } } | undefined;
    const svc = spec?.conversion?.webhook?.clientConfig?.service;
    if (spec?.conversion?.strategy !== "Webhook" || !namesWebhook(svc)) return o;
    const webhook = spec.conversion.webhook!;
    return {
      ...o,
      spec: {
        ...spec,
        conversion: { ...spec.conversion, webhook: { ...webhook, clientConfig: { ...webhook.clientConfig, service: { ...svc, port } } } },
      },
    };
  }
  return o;
}

export function renderKpackManifest(opts: RenderOptions): KubeObject[] {
  const dir = opts.configDir ?? kpackConfigDir();
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .sort();
  const texts = files.map((f) => ({ file: f, text: fs.readFileSync(path.join(dir, f), "utf8") }));
  const schema = texts.find((t) => isSchema(t.text));
  const defaults = schema ? schemaDefaults(schema.text) : {};
  const i = opts.images;
  const values: Values = {
    ...defaults,
    kpack_version: opts.version ?? versions.kpack,
    controller: { image: i.controller },
    webhook: { image: i.webhook },
    build_init: { image: i.buildInit },
    build_waiter: { image: i.buildWaiter },
    rebase: { image: i.rebase },
    completion: { image: i.completion },
    lifecycle: { image: i.lifecycle },
  };
  const objects: KubeObject[] = [];
  for (const { file, text } of texts) {
    if (isSchema(text)) continue;
    objects.push(...parseManifest(expandTemplate(text, values, file), file));
  }
  return objects.map((o) => forLoopbackWebhook(o, opts.webhookPort));
}

/** The objects as one multi-document YAML file, like a release asset. */
export function toYaml(objects: KubeObject[]): string {
  return objects.map((o) => k8s.dumpYaml(o)).join("---\n");
}

/**
 * Every image reference in a manifest: values of `image` keys anywhere (pod
 * containers, kpack's image ConfigMaps, ClusterLifecycle spec) — with where
 * each was found, for test messages.
 */
export function imageReferences(objects: KubeObject[]): Array<{ where: string; image: string }> {
  const found: Array<{ where: string; image: string }> = [];
  const walk = (v: unknown, where: string) => {
    if (Array.isArray(v)) v.forEach((x, n) => walk(x, `${where}[${n}]`));
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "image" && typeof x === "string") found.push({ where: `${where}.${k}`, image: x });
        else walk(x, `${where}.${k}`);
      }
    }
  };
  for (const o of objects) walk(o, `${o.kind}/${o.metadata?.name}`);
  return found;
}

/** True for an image reference on a loopback registry (127.0.0.1 or localhost, with a port). */
export function isLoopbackImage(ref: string): boolean {
  return /^(127\.0\.0\.1|localhost):\d+\//.test(ref);
}
