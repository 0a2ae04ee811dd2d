// Offline validation of infra/: the Dockerfile (parsed and linted), the compose file (the Compose
// Specification's JSON schema + dclint's rules) and the Kubernetes manifests (the Kubernetes API
// and KEDA CRD schemas compiled into kubernetes-models, plus a schema written here from the KEDA
// docs for what that package's CRD version lacks). No network, no Docker, no cluster: it reads
// files and runs validators. Beyond the schemas it checks what a schema cannot: every HEADWATER_*
// variable is a real setting with a valid value (loadConfig), selectors and ports line up,
// probes, drain timing, security settings, and that the KEDA triggers name BullMQ's real keys.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_DOCS, CONFIG_FILE_ENV, loadConfig } from '@headwater/config';
import { SEGMENT_QUEUE_NAME } from '@headwater/jobs';
// One module per model (not the group indexes): importing only these keeps the run fast.
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import { Ajv } from 'ajv';
import { DCLinter } from 'dclint';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
const infra = path.join(root, 'infra');
const read = (rel: string): string => readFileSync(path.join(root, rel), 'utf8');
const require = createRequire(import.meta.url);

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Every HEADWATER_* variable libs/config reads. */
const KNOWN_ENV = new Set([...CONFIG_DOCS.map((d) => d.env), CONFIG_FILE_ENV]);

const ROLES = ['ingest', 'worker', 'api'] as const;
type Role = (typeof ROLES)[number];

// ---------------------------------------------------------------------------------------------
// Dockerfile
// ---------------------------------------------------------------------------------------------

describe('infra/docker/Dockerfile', () => {
  const text = read('infra/docker/Dockerfile');
  const dockerfile = DockerfileParser.parse(text);
  const instructions = dockerfile.getInstructions();
  const froms = dockerfile.getFROMs();
  const lastFrom = froms.at(-1);
  const finalStage = instructions.filter((i) => lastFrom !== undefined && i.getRange().start.line >= lastFrom.getRange().start.line);
  const keyword = (i: Instruction) => i.getKeyword().toUpperCase();
  const execForm = (i: Instruction): string[] => JSON.parse(i.getArgumentsContent() ?? '[]') as string[];
  const runs = instructions.filter((i) => keyword(i) === 'RUN').map((i) => i.getArgumentsContent() ?? '');

  it('parses and lints clean (dockerfile-utils: no error or warning)', () => {
    expect(instructions.length).toBeGreaterThan(10);
    const problems = lintDockerfile(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
  });

  it('pins every base image to a full version (no latest, no bare major)', () => {
    const args = new Map(dockerfile.getInitialARGs().map((a) => [a.getProperty()?.getName() ?? '', a.getProperty()?.getValue() ?? '']));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) {
      const raw = from.getImageName() === null ? '' : (from.getArgumentsContent() ?? '').split(/\s+/)[0] ?? '';
      const image = raw.replace(/^\$\{(\w+)\}$/, (_m, name: string) => args.get(name) ?? '');
      expect(image, `FROM ${raw}`).toMatch(/^node:\d+\.\d+\.\d+-bookworm-slim(@sha256:[0-9a-f]{64})?$/);
    }
  });

  it('runs as a non-root user in the final stage, set before the entrypoint', () => {
    const users = finalStage.filter((i) => keyword(i) === 'USER');
    expect(users.length).toBe(1);
    const user = (users[0]?.getArgumentsContent() ?? '').split(':')[0];
    expect(user).not.toMatch(/^(root|0)?$/);
    const entrypoint = finalStage.find((i) => keyword(i) === 'ENTRYPOINT');
    expect(entrypoint).toBeDefined();
    expect(users[0]!.getRange().start.line).toBeLessThan(entrypoint!.getRange().start.line);
  });

  it('has a HEALTHCHECK in exec form on the shipped probe script', () => {
    const checks = finalStage.filter((i) => keyword(i) === 'HEALTHCHECK');
    expect(checks).toHaveLength(1);
    const args = checks[0]!.getArgumentsContent() ?? '';
    expect(args).toMatch(/CMD \["node", "\/app\/healthcheck\.mjs"\]/);
  });

  it('installs ffmpeg (no recommends, apt lists removed), builds with npm ci + tsc and drops dev deps', () => {
    const apt = runs.find((r) => r.includes('apt-get install')) ?? '';
    expect(apt).toMatch(/apt-get install -y --no-install-recommends [^&]*\bffmpeg\b/);
    expect(apt).toMatch(/\btini\b/);
    expect(apt).toContain('rm -rf /var/lib/apt/lists/*');
    const build = runs.join('\n');
    expect(build).toMatch(/\bnpm ci\b/);
    expect(build).toMatch(/\btsc -b\b/);
    expect(build).toMatch(/npm prune --omit=dev/);
  });

  it('starts the CLI through tini; the command picks the role; ports of every role exposed', () => {
    const entrypoint = execForm(finalStage.find((i) => keyword(i) === 'ENTRYPOINT')!);
    expect(entrypoint.slice(0, 3)).toEqual(['/usr/bin/tini', '--', 'node']);
    expect(entrypoint.at(-1)).toBe('services/cli/dist/main.js');
    // The compiled entry exists as TypeScript in the repo.
    expect(() => read('services/cli/src/main.ts')).not.toThrow();
    expect(execForm(finalStage.find((i) => keyword(i) === 'CMD')!)).toEqual(['start']);
    const exposed = finalStage.filter((i) => keyword(i) === 'EXPOSE').flatMap((i) => (i.getArgumentsContent() ?? '').split(/\s+/));
    expect(new Set(exposed)).toEqual(new Set(['1935', '1936', '8080', '9464']));
    expect(finalStage.find((i) => keyword(i) === 'STOPSIGNAL')?.getArgumentsContent()).toBe('SIGTERM');
  });

  it('copies only files that exist from the build context', () => {
    const copies = dockerfile.getCOPYs().filter((c) => !c.getFlags().some((f) => f.getName() === 'from') && c.getRange().start.line >= lastFrom!.getRange().start.line);
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const parts = (copy.getArgumentsContent() ?? '').split(/\s+/);
      for (const src of parts.slice(0, -1)) expect(() => read(src), src).not.toThrow();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Compose
// ---------------------------------------------------------------------------------------------

/** `${VAR:-default}` / `${VAR-default}` / `${VAR}` as Compose interpolates them with an empty environment. */
function interpolate(value: string, env: Readonly<Record<string, string>> = {}): string {
  return value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_m, name: string, fallback: string | undefined) => env[name] ?? fallback ?? '');
}

function composeSchema(): Json {
  const dclintDir = path.dirname(require.resolve('dclint/package.json'));
  const schema = JSON.parse(readFileSync(path.join(dclintDir, 'schemas', 'compose.schema.json'), 'utf8')) as Json;
  // It names draft-07 as "https://json-schema.org/draft-07/schema", which Ajv knows under its
  // canonical http id only; draft-07 is Ajv's default dialect anyway.
  expect(schema.$schema).toMatch(/draft-07/);
  delete schema.$schema;
  return schema;
}

describe('infra/compose.yaml', () => {
  const file = path.join(infra, 'compose.yaml');
  const text = readFileSync(file, 'utf8');
  // merge: resolve the `<<: *anchor` keys as Compose does.
  const compose = obj(parseYaml(text, { merge: true }));
  const services = obj(compose.services);
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validateCompose = ajv.compile(composeSchema());

  it('conforms to the Compose Specification schema', () => {
    const ok = validateCompose(compose);
    expect(validateCompose.errors ?? [], ajv.errorsText(validateCompose.errors)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check is real: a broken copy fails', () => {
    const broken = structuredClone(compose);
    obj(obj(broken.services).api).ports = 8080;
    obj(obj(broken.services).worker).depends_on = { redis: { condition: 'when_ready' } };
    expect(validateCompose(broken)).toBe(false);
  });

  it('passes dclint (schema + best-practice rules; only its key-ordering style rules off)', () => {
    const linter = new DCLinter({
      rules: {
        // Ordering rules are style: this file groups keys by meaning and lists YAML anchors first.
        'service-keys-order': 0,
        'top-level-properties-order': 0,
        'require-quotes-in-ports': [2, { quoteType: 'double' }],
        // One image built once and tagged, shared by the api/bucket/ingest/worker services.
        'no-build-and-image': 0,
      },
      quiet: false,
      debug: false,
      exclude: [],
    });
    const results: { messages: { line: number; column: number; rule: string; message: string }[] }[] = linter.lintFiles([file], false);
    expect(results).toHaveLength(1);
    const messages = results.flatMap((r) => r.messages.map((m) => `${m.line}:${m.column} ${m.rule} ${m.message}`));
    expect(messages).toEqual([]);
  });

  it('runs Redis, MinIO, bucket creation, one ingest, two workers and the API', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'bucket', 'ingest', 'minio', 'redis', 'worker']);
    for (const role of ROLES) expect(obj(services[role]).command, role).toEqual(['start', role]);
    expect(obj(obj(services.worker).deploy).replicas).toBe(2);
    expect(str(obj(services.minio).image)).toMatch(/^minio\/minio:RELEASE\.\d{4}-/);
    expect(str(obj(services.redis).image)).toMatch(/^redis:\d+\.\d+/);
    // BullMQ needs Redis to never evict keys.
    expect(arr(obj(services.redis).command).join(' ')).toContain('--maxmemory-policy noeviction');
  });

  it('every long-running service has a healthcheck; dependencies exist and wait on health or completion', () => {
    for (const [name, svc] of Object.entries(services)) {
      const s = obj(svc);
      if (name !== 'bucket') expect(arr(obj(s.healthcheck).test).length, name).toBeGreaterThan(0);
      for (const [dep, cond] of Object.entries(obj(s.depends_on))) {
        expect(Object.keys(services), `${name} depends on ${dep}`).toContain(dep);
        expect(['service_healthy', 'service_completed_successfully']).toContain(obj(cond).condition);
        if (obj(cond).condition === 'service_healthy') expect(obj(obj(services[dep]).healthcheck).test, dep).toBeDefined();
      }
    }
    for (const role of ROLES) expect(Object.keys(obj(obj(services[role]).depends_on)).sort(), role).toEqual(['bucket', 'redis']);
  });

  it('every HEADWATER_* variable is a real setting, and each role loads a valid config from them', () => {
    for (const name of ['bucket', ...ROLES]) {
      const raw = obj(obj(services[name]).environment);
      const env = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, interpolate(String(v))]));
      for (const key of Object.keys(env)) expect(KNOWN_ENV.has(key), `${name}: unknown setting ${key}`).toBe(true);
      const config = loadConfig(env, { cwd: '/app' });
      expect(new URL(config.redis.url ?? '').hostname, name).toBe('redis');
      expect(new URL(config.s3.endpoint ?? '').hostname, name).toBe('minio');
      expect(config.s3.forcePathStyle).toBe(true);
    }
    // Ingest drains on SIGTERM (reconnect requests, spool close): compose must wait for it.
    expect(str(obj(services.ingest).stop_grace_period)).toMatch(/^(\d+)s$/);
    expect(Number.parseInt(str(obj(services.ingest).stop_grace_period), 10)).toBeGreaterThanOrEqual(15);
    expect(arr(obj(services.ingest).volumes)).toContain('ingest-data:/var/lib/headwater');
  });

  it('publishes ports on loopback only', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const port of arr(obj(svc).ports)) expect(String(port), name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Kubernetes
// ---------------------------------------------------------------------------------------------

interface Manifest {
  file: string;
  doc: Json;
  kind: string;
  name: string;
}

const k8sDir = path.join(infra, 'k8s');
const k8sFiles = readdirSync(k8sDir).filter((f) => f.endsWith('.yaml')).sort();

function loadManifests(): Manifest[] {
  const out: Manifest[] = [];
  for (const file of k8sFiles) {
    if (file === 'kustomization.yaml') continue;
    for (const d of parseAllDocuments(readFileSync(path.join(k8sDir, file), 'utf8'))) {
      expect(d.errors.map((e) => e.message), file).toEqual([]);
      const doc = obj(d.toJS());
      if (Object.keys(doc).length === 0) continue;
      out.push({ file, doc, kind: str(doc.kind), name: str(obj(doc.metadata).name) });
    }
  }
  return out;
}

/** apiVersion/kind → the model whose validate() checks the object against its OpenAPI schema. */
const MODELS: Record<string, (doc: Json) => { validate(): void }> = {
  'v1/Namespace': (d) => new Namespace(d as never),
  'v1/ConfigMap': (d) => new ConfigMap(d as never),
  'v1/Secret': (d) => new Secret(d as never),
  'v1/Service': (d) => new Service(d as never),
  'apps/v1/Deployment': (d) => new Deployment(d as never),
  'apps/v1/StatefulSet': (d) => new StatefulSet(d as never),
  'policy/v1/PodDisruptionBudget': (d) => new PodDisruptionBudget(d as never),
  'networking.k8s.io/v1/Ingress': (d) => new Ingress(d as never),
  'keda.sh/v1alpha1/ScaledObject': (d) => new ScaledObject(d as never),
  'keda.sh/v1alpha1/TriggerAuthentication': (d) => new TriggerAuthentication(d as never),
};

/**
 * What @kubernetes-models/keda 0.4 (KEDA 2.10's CRD) does not know, written from the KEDA docs
 * (ScaledObject spec: advanced.scalingModifiers, KEDA >= 2.13; the `redis` scaler's parameters):
 * closed objects, so a misspelt key fails here although the CRD (string map) would accept it.
 */
const KEDA_EXTRAS_SCHEMA = {
  type: 'object',
  required: ['spec'],
  properties: {
    spec: {
      type: 'object',
      properties: {
        advanced: {
          type: 'object',
          properties: {
            scalingModifiers: {
              type: 'object',
              additionalProperties: false,
              required: ['formula', 'target'],
              properties: {
                formula: { type: 'string', minLength: 1 },
                target: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' },
                activationTarget: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' },
                metricType: { enum: ['AverageValue', 'Value'] },
              },
            },
          },
        },
        triggers: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['type', 'name', 'metadata'],
            properties: {
              type: { const: 'redis' },
              name: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' },
              metadata: {
                type: 'object',
                additionalProperties: false,
                required: ['listName', 'listLength'],
                properties: {
                  address: { type: 'string' },
                  addressFromEnv: { type: 'string' },
                  host: { type: 'string' },
                  port: { type: 'string' },
                  usernameFromEnv: { type: 'string' },
                  passwordFromEnv: { type: 'string' },
                  listName: { type: 'string', minLength: 1 },
                  listLength: { type: 'string', pattern: '^[0-9]+$' },
                  activationListLength: { type: 'string', pattern: '^[0-9]+$' },
                  enableTLS: { enum: ['true', 'false'] },
                  unsafeSsl: { enum: ['true', 'false'] },
                  databaseIndex: { type: 'string', pattern: '^[0-9]+$' },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

interface Container {
  name: string;
  image: string;
  args: string[];
  env: Json[];
  envFrom: Json[];
  ports: Json[];
  resources: Json;
  securityContext: Json;
  volumeMounts: Json[];
  raw: Json;
}

function podSpec(m: Manifest): Json {
  return obj(obj(obj(m.doc.spec).template).spec);
}

function containers(m: Manifest): Container[] {
  return arr(podSpec(m).containers).map((c) => {
    const raw = obj(c);
    return {
      name: str(raw.name),
      image: str(raw.image),
      args: arr(raw.args).map(String),
      env: arr(raw.env).map(obj),
      envFrom: arr(raw.envFrom).map(obj),
      ports: arr(raw.ports).map(obj),
      resources: obj(raw.resources),
      securityContext: obj(raw.securityContext),
      volumeMounts: arr(raw.volumeMounts).map(obj),
      raw,
    };
  });
}

/** Kubernetes quantities to a number (cores or bytes). */
function quantity(q: unknown): number {
  const s = String(q);
  const m = /^([0-9.]+)(m|Ki|Mi|Gi|Ti|k|M|G)?$/.exec(s);
  if (!m) throw new Error(`bad quantity ${s}`);
  const scale: Record<string, number> = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9 };
  return Number(m[1]) * (m[2] ? (scale[m[2]] ?? Number.NaN) : 1);
}

function matches(selector: Json, labels: Json): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

describe('infra/k8s', () => {
  const manifests = loadManifests();
  const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);
  const one = (kind: string, name: string): Manifest => {
    const found = manifests.find((m) => m.kind === kind && m.name === name);
    if (!found) throw new Error(`no ${kind} ${name}`);
    return found;
  };
  const workloads = manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet');
  const roleOf = (m: Manifest): Role => str(obj(obj(obj(obj(m.doc.spec).template).metadata).labels)['app.kubernetes.io/component']) as Role;

  it('every object validates against its Kubernetes / KEDA schema', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(15);
    for (const m of manifests) {
      const model = MODELS[`${str(m.doc.apiVersion)}/${m.kind}`];
      expect(model, `${m.file}: no schema for ${str(m.doc.apiVersion)}/${m.kind}`).toBeDefined();
      expect(() => model!(m.doc).validate(), `${m.file}: ${m.kind} ${m.name}`).not.toThrow();
    }
  });

  it('the schema check is real: broken objects fail', () => {
    const ingest = structuredClone(one('StatefulSet', 'ingest').doc);
    obj(ingest.spec).replicas = 'two';
    expect(() => new StatefulSet(ingest as never).validate()).toThrow(/replicas/);
    const so = structuredClone(one('ScaledObject', 'worker').doc);
    obj(so.spec).scaleTargetRef = {};
    expect(() => new ScaledObject(so as never).validate()).toThrow(/name/);
  });

  it('KEDA parts beyond the packaged CRD match the schema written from the docs', () => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    const validate = ajv.compile(KEDA_EXTRAS_SCHEMA);
    const so = one('ScaledObject', 'worker').doc;
    expect(validate(so), ajv.errorsText(validate.errors)).toBe(true);
    const typo = structuredClone(so);
    obj(obj(arr(obj(typo.spec).triggers)[0]).metadata).listname = 'x';
    expect(validate(typo)).toBe(false);
  });

  it('kustomization lists every manifest except the secret template', () => {
    const kustomization = obj(parseYaml(readFileSync(path.join(k8sDir, 'kustomization.yaml'), 'utf8')));
    expect(kustomization.kind).toBe('Kustomization');
    const expected = k8sFiles.filter((f) => f !== 'kustomization.yaml' && f !== 'secret.example.yaml');
    expect(arr(kustomization.resources).map(String).sort()).toEqual(expected);
    expect(arr(kustomization.images).map((i) => obj(i).name)).toEqual(['headwater']);
  });

  it('everything is in the headwater namespace', () => {
    for (const m of manifests) {
      if (m.kind === 'Namespace') expect(m.name).toBe('headwater');
      else expect(obj(m.doc.metadata).namespace, `${m.kind} ${m.name}`).toBe('headwater');
    }
  });

  it('the secret template holds placeholders only, and only real settings', () => {
    const secrets = byKind('Secret');
    expect(secrets.map((s) => s.file)).toEqual(secrets.map(() => 'secret.example.yaml'));
    for (const s of secrets) {
      expect(s.doc.data, 'no base64 data in the template').toBeUndefined();
      for (const [key, value] of Object.entries(obj(s.doc.stringData))) expect(value, `${s.name}.${key}`).toBe('CHANGE_ME');
    }
    for (const key of Object.keys(obj(one('Secret', 'headwater-secrets').doc.stringData))) expect(KNOWN_ENV.has(key), key).toBe(true);
    for (const key of Object.keys(obj(one('ConfigMap', 'headwater-config').doc.data))) expect(KNOWN_ENV.has(key), key).toBe(true);
  });

  it('each role gets a valid config from the config map, the secret and its own env', () => {
    const configMap = obj(one('ConfigMap', 'headwater-config').doc.data) as Record<string, string>;
    // Plausible stand-ins for the placeholders, to check the rest parses.
    const secret: Record<string, string> = {
      HEADWATER_REDIS_URL: 'rediss://default:pw@redis.example.com:6380/0',
      HEADWATER_S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      HEADWATER_S3_SECRET_ACCESS_KEY: 'example-secret-access-key',
      HEADWATER_API_ADMIN_TOKEN: 'example-admin-token-0123456789',
      HEADWATER_WEBHOOKS_SECRET: 'example-webhook-secret',
    };
    expect(Object.keys(secret).sort()).toEqual(Object.keys(obj(one('Secret', 'headwater-secrets').doc.stringData)).sort());
    for (const w of workloads) {
      for (const c of containers(w)) {
        const refs = c.envFrom.map((e) => str(obj(e.configMapRef).name) || str(obj(e.secretRef).name));
        expect(refs.sort()).toEqual(['headwater-config', 'headwater-secrets']);
        const own: Record<string, string> = {};
        for (const e of c.env) {
          const name = str(e.name);
          expect(KNOWN_ENV.has(name), `${w.name}: unknown setting ${name}`).toBe(true);
          own[name] = e.value !== undefined ? str(e.value) : `${w.name}-0`; // fieldRef metadata.name
        }
        expect(() => loadConfig({ ...configMap, ...secret, ...own }, { cwd: '/app' }), w.name).not.toThrow();
      }
    }
  });

  it('workloads run the image with their role, as non-root with a read-only root, requests ≤ limits', () => {
    expect(workloads.map(roleOf).sort()).toEqual(['api', 'ingest', 'worker']);
    for (const w of workloads) {
      const pod = podSpec(w);
      expect(obj(pod.securityContext).runAsNonRoot, w.name).toBe(true);
      expect(obj(obj(pod.securityContext).seccompProfile).type).toBe('RuntimeDefault');
      for (const c of containers(w)) {
        expect(c.image).toMatch(/^headwater:\d+\.\d+\.\d+$/);
        expect(c.args).toEqual(['start', roleOf(w)]);
        expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
        expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
        expect(obj(c.securityContext.capabilities).drop).toEqual(['ALL']);
        // A read-only root needs a writable /tmp (FFmpeg work files, Node) and data directory.
        expect(c.volumeMounts.map((v) => v.mountPath)).toEqual(expect.arrayContaining(['/tmp', '/var/lib/headwater']));
        for (const res of ['cpu', 'memory']) {
          const request = quantity(obj(c.resources.requests)[res]);
          const limit = quantity(obj(c.resources.limits)[res]);
          expect(request, `${w.name} ${res}`).toBeGreaterThan(0);
          expect(request, `${w.name} ${res}`).toBeLessThanOrEqual(limit);
        }
      }
    }
  });

  it('probes hit /healthz and /readyz on a declared port: metrics (9464) for ingest/worker, http (8080) for api', () => {
    for (const w of workloads) {
      for (const c of containers(w)) {
        const portNames = new Map(c.ports.map((p) => [str(p.name), p.containerPort]));
        const expected = roleOf(w) === 'api' ? ['http', 8080] : ['metrics', 9464];
        for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
          const get = obj(obj(c.raw[probe]).httpGet);
          expect(get.port, `${w.name} ${probe}`).toBe(expected[0]);
          expect(get.path).toBe(probe === 'readinessProbe' ? '/readyz' : '/healthz');
        }
        expect(portNames.get(expected[0] as string)).toBe(expected[1]);
      }
    }
  });

  it('selectors match the pod labels; services, PDBs and ingress point at real pods and ports', () => {
    for (const w of workloads) {
      const labels = obj(obj(obj(obj(w.doc.spec).template).metadata).labels);
      expect(matches(obj(obj(obj(w.doc.spec).selector).matchLabels), labels), w.name).toBe(true);
    }
    const podsOf = (selector: Json) => workloads.filter((w) => matches(selector, obj(obj(obj(obj(w.doc.spec).template).metadata).labels)));
    for (const svc of byKind('Service')) {
      const targets = podsOf(obj(obj(svc.doc.spec).selector));
      expect(targets.length, `Service ${svc.name}`).toBe(1);
      const declared = containers(targets[0]!).flatMap((c) => c.ports.map((p) => str(p.name)));
      for (const port of arr(obj(svc.doc.spec).ports)) expect(declared, `Service ${svc.name}`).toContain(obj(port).targetPort);
    }
    for (const pdb of byKind('PodDisruptionBudget')) expect(podsOf(obj(obj(obj(pdb.doc.spec).selector).matchLabels)).length, pdb.name).toBe(1);
    const ingressBackends = arr(obj(one('Ingress', 'api').doc.spec).rules).flatMap((r) => arr(obj(obj(r).http).paths).map((p) => obj(obj(obj(p).backend).service)));
    for (const b of ingressBackends) {
      const svc = one('Service', str(b.name));
      expect(arr(obj(svc.doc.spec).ports).map((p) => obj(p).name)).toContain(obj(b.port).name);
    }
    expect(obj(one('StatefulSet', 'ingest').doc.spec).serviceName).toBe('ingest-headless');
    expect(obj(one('Service', 'ingest-headless').doc.spec).clusterIP).toBe('None');
  });

  it('ingest: TCP load balancer on 1935/1936 keeping client IPs, graceful drain, spool on a per-pod volume', () => {
    const lb = obj(one('Service', 'ingest').doc.spec);
    expect(lb.type).toBe('LoadBalancer');
    expect(lb.externalTrafficPolicy).toBe('Local');
    expect(arr(lb.ports).map((p) => [obj(p).port, obj(p).protocol])).toEqual([
      [1935, 'TCP'],
      [1936, 'TCP'],
    ]);
    const ingest = one('StatefulSet', 'ingest');
    const pod = podSpec(ingest);
    const [c] = containers(ingest);
    const preStop = arr(obj(obj(obj(c!.raw.lifecycle).preStop).exec).command).map(String);
    expect(preStop[0]).toBe('sleep');
    const preStopS = Number(preStop[1]);
    // preStop + the ingest's ~5 s drain + spool close, with margin.
    const DRAIN_S = 5;
    expect(Number(pod.terminationGracePeriodSeconds)).toBeGreaterThanOrEqual(preStopS + DRAIN_S + 10);
    const claims = arr(obj(ingest.doc.spec).volumeClaimTemplates).map((v) => str(obj(obj(v).metadata).name));
    expect(claims).toEqual(['data']);
    const dataDir = c!.env.find((e) => e.name === 'HEADWATER_DATA_DIR')?.value;
    expect(c!.volumeMounts.find((v) => v.name === 'data')?.mountPath).toBe(dataDir);
    expect(c!.env.find((e) => e.name === 'HEADWATER_NODE_ID')).toMatchObject({ valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    expect(obj(one('PodDisruptionBudget', 'ingest').doc.spec).maxUnavailable).toBe(1);
  });

  it('workers: KEDA scales the Deployment on the BullMQ keys that hold outstanding segment jobs', () => {
    const so = obj(one('ScaledObject', 'worker').doc.spec);
    const target = obj(so.scaleTargetRef);
    const worker = one('Deployment', str(target.name));
    expect(target.kind).toBe('Deployment');
    expect(obj(worker.doc.spec).replicas, 'the HPA owns the replica count').toBeUndefined();
    expect(Number(so.minReplicaCount)).toBeGreaterThanOrEqual(1);
    expect(Number(so.maxReplicaCount)).toBeGreaterThan(Number(so.minReplicaCount));
    const triggers = arr(so.triggers).map(obj);
    const keys = Object.fromEntries(triggers.map((t) => [str(t.name), str(obj(t.metadata).listName)]));
    expect(keys).toEqual({
      live: `bull:${SEGMENT_QUEUE_NAME}:wait`,
      vod: `bull:${SEGMENT_QUEUE_NAME}:prioritized`,
      active: `bull:${SEGMENT_QUEUE_NAME}:active`,
    });
    const modifiers = obj(obj(so.advanced).scalingModifiers);
    const formulaNames = str(modifiers.formula).match(/[a-z_]+/g) ?? [];
    expect(new Set(formulaNames)).toEqual(new Set(Object.keys(keys)));
    // Target = jobs in flight per replica + one queued.
    const concurrency = Number(containers(worker)[0]!.env.find((e) => e.name === 'HEADWATER_TRANSCODE_WORKER_CONCURRENCY')?.value);
    expect(Number(modifiers.target)).toBe(concurrency + 1);
    // Authentication: a TriggerAuthentication reading the KEDA Redis secret of the template.
    const secretKeys = Object.keys(obj(one('Secret', 'headwater-keda-redis').doc.stringData));
    for (const t of triggers) {
      const auth = one('TriggerAuthentication', str(obj(t.authenticationRef).name));
      for (const ref of arr(obj(auth.doc.spec).secretTargetRef).map(obj)) {
        expect(ref.name).toBe('headwater-keda-redis');
        expect(secretKeys).toContain(ref.key);
      }
    }
  });

  it("BullMQ still keeps waiting jobs in `wait` (LIST) and prioritized ones in `prioritized` (ZSET)", () => {
    // Guards the trigger keys above against a BullMQ upgrade changing its layout.
    const commands = path.join(path.dirname(require.resolve('bullmq/package.json')), 'dist', 'esm', 'commands');
    const script = (prefix: string) => {
      const name = readdirSync(commands).find((f) => f.startsWith(`${prefix}-`) && f.endsWith('.lua'));
      expect(name, prefix).toBeDefined();
      return readFileSync(path.join(commands, name!), 'utf8');
    };
    expect(script('addStandardJob')).toMatch(/KEYS\[1\] 'wait'/);
    const prioritized = script('addPrioritizedJob');
    expect(prioritized).toMatch(/KEYS\[\d\] 'prioritized'/);
    expect(prioritized).toMatch(/@include "includes\/addJobWithPriority"/);
    expect(readFileSync(path.join(commands, 'includes', 'addJobWithPriority.lua'), 'utf8')).toMatch(/rcall\("ZADD", prioritizedKey/);
    expect(script('moveToActive')).toMatch(/KEYS\[2\] active key/);
  });
});
