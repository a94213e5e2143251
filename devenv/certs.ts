import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";

/**
 * Throwaway PKI for the local apiserver, made with the openssl CLI: a serving CA
 * and certificate for 127.0.0.1/localhost, a client CA whose certificates name
 * users (CN) and groups (O), and the service-account signing key.
 */
export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  clientCaCert: string;
  clientCaKey: string;
  saKey: string;
  saPub: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** `openssl req` arguments for a self-signed P-256 certificate `<base>.crt` with key `<base>.key`, valid 2 days. */
function selfSignedArgs(base: string, cn: string): string[] {
  return [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    `${base}.key`,
    "-out",
    `${base}.crt`,
    "-days",
    "2",
    "-subj",
    `/CN=${cn}`,
  ];
}

function selfSignedCa(dir: string, base: string, cn: string): void {
  openssl([...selfSignedArgs(base, cn), "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
}

function signed(dir: string, base: string, ca: string, subj: string, ext: string): void {
  openssl(
    ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", `${base}.key`, "-out", `${base}.csr`, "-subj", subj],
    dir,
  );
  fs.writeFileSync(path.join(dir, `${base}.ext`), ext);
  openssl(
    [
      "x509",
      "-req",
      "-in",
      `${base}.csr`,
      "-CA",
      `${ca}.crt`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-out",
      `${base}.crt`,
      "-days",
      "2",
      "-extfile",
      `${base}.ext`,
    ],
    dir,
  );
}

export function makePki(dir: string): Pki {
  fs.mkdirSync(dir, { recursive: true });
  selfSignedCa(dir, "ca", "pulumi-kpack-test-ca");
  signed(
    dir,
    "apiserver",
    "ca",
    "/CN=kube-apiserver",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n",
  );
  selfSignedCa(dir, "client-ca", "pulumi-kpack-test-client-ca");
  openssl(["genrsa", "-out", "sa.key", "2048"], dir);
  openssl(["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
  const p = (f: string) => path.join(dir, f);
  return {
    dir,
    caCert: p("ca.crt"),
    caKey: p("ca.key"),
    servingCert: p("apiserver.crt"),
    servingKey: p("apiserver.key"),
    clientCaCert: p("client-ca.crt"),
    clientCaKey: p("client-ca.key"),
    saKey: p("sa.key"),
    saPub: p("sa.pub"),
  };
}

/** A client certificate for user `name` in `groups`, signed by the client CA. */
export function clientCert(pki: Pki, name: string, groups: string[]): { cert: string; key: string } {
  const base = `user-${name.replace(/[^a-zA-Z0-9-]/g, "_")}`;
  const subj = `/CN=${name}` + groups.map((g) => `/O=${g}`).join("");
  signed(pki.dir, base, "client-ca", subj, "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n");
  return {
    cert: fs.readFileSync(path.join(pki.dir, `${base}.crt`), "utf8"),
    key: fs.readFileSync(path.join(pki.dir, `${base}.key`), "utf8"),
  };
}

/**
 * A self-signed serving certificate for 127.0.0.1 named `cn` (the build-pod
 * runner's kubelet endpoint: the apiserver does not verify kubelets without
 * --kubelet-certificate-authority).
 */
export function selfSignedServingCert(dir: string, base: string, cn: string): { cert: Buffer; key: Buffer } {
  fs.mkdirSync(dir, { recursive: true });
  openssl([...selfSignedArgs(base, cn), "-addext", "subjectAltName=IP:127.0.0.1"], dir);
  return { cert: fs.readFileSync(path.join(dir, `${base}.crt`)), key: fs.readFileSync(path.join(dir, `${base}.key`)) };
}
