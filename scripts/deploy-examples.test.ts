import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, tempStorageLocation } from '@hoist/config';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

// The deployment examples (docker-compose.yml with deploy/compose/, deploy/kubernetes/) cannot run
// here: there is no Docker engine or cluster. What can drift silently is checked instead: every
// process they start gets an environment Hoist accepts at start-up, every secret it reads exists,
// nothing pins a host port on a replica that is meant to scale, and the autoscaler's numbers match
// the workers'.

const repo = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(repo, path), 'utf8');

type Env = Record<string, string>;
interface ComposeService {
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, unknown>;
}
interface Compose {
  services: Record<string, ComposeService>;
}

/** `${VAR:-default}` and `${VAR-default}` as Compose reads them with VAR unset. */
const withDefaults = (value: string | number): string => String(value).replace(/\$\{\w+:?-([^}]*)\}/g, '$1');

/** One service's environment after Compose merges the files (later files' keys win). */
function composeEnv(files: Compose[], service: string): Env {
  const env: Env = {};
  for (const file of files) for (const [key, value] of Object.entries(file.services[service]?.environment ?? {})) env[key] = withDefaults(value);
  return env;
}

// Compose reads `<<` merge keys; `!reset` (Compose 2.24.4+) is a tag this parser does not know: it
// keeps the tagged value ([]).
const compose = parse(read('docker-compose.yml'), { logLevel: 'silent', merge: true }) as Compose;
const s3Override = parse(read('deploy/compose/s3.yml'), { logLevel: 'silent', merge: true }) as Compose;

describe('docker compose example', () => {
  it('publishes the API only through the load balancer, so api and worker scale', () => {
    expect(compose.services.api?.ports).toBeUndefined();
    expect(compose.services.worker?.ports).toBeUndefined();
    expect(compose.services.lb?.ports).toEqual(['127.0.0.1:3000:80']);
    // nginx re-resolves the service name and port the API listens on.
    expect(read('deploy/compose/nginx.conf')).toMatch(new RegExp(`server api:${composeEnv([compose], 'api').PORT} resolve`));
  });

  it('starts the API and workers with the shared volume by default', () => {
    for (const service of ['api', 'worker']) {
      const config = loadConfig(composeEnv([compose], service));
      expect(tempStorageLocation(config)).toEqual({ kind: 'file', directory: '/data/uploads' });
    }
  });

  it('with the s3 override, puts temp storage in MinIO and gives workers no volume', () => {
    for (const service of ['api', 'worker']) {
      const config = loadConfig(composeEnv([compose, s3Override], service));
      expect(tempStorageLocation(config)).toMatchObject({ kind: 's3', bucket: 'hoist-temp', prefix: 'tmp/', endpoint: 'http://minio:9000' });
      expect(s3Override.services[service]?.depends_on).toHaveProperty('minio-bucket');
    }
    expect(s3Override.services.worker?.volumes).toEqual([]);
    // The MinIO root user and the processes' keys default to the same pair.
    const minio = compose.services.minio?.environment ?? {};
    const api = composeEnv([compose, s3Override], 'api');
    expect([withDefaults(minio.MINIO_ROOT_USER ?? ''), withDefaults(minio.MINIO_ROOT_PASSWORD ?? '')]).toEqual([api.AWS_ACCESS_KEY_ID, api.AWS_SECRET_ACCESS_KEY]);
  });
});

interface K8sEnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}
interface K8sContainer {
  command: string[];
  env?: K8sEnvVar[];
  envFrom?: { configMapRef: { name: string } }[];
}
interface K8sObject {
  kind: string;
  metadata: { name: string };
  data?: Env;
  stringData?: Env;
  spec?: {
    replicas?: number;
    scaleTargetRef?: { name: string };
    minReplicaCount?: number;
    triggers?: { type: string; metadata: { query: string; threshold: string } }[];
    template?: { spec: { containers: K8sContainer[]; terminationGracePeriodSeconds?: number } };
  };
}

const k8sDir = 'deploy/kubernetes';
const objects = readdirSync(join(repo, k8sDir))
  .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
  .flatMap((file) => parseAllDocuments(read(join(k8sDir, file))).map((doc) => doc.toJS() as K8sObject));
const find = (kind: string, name: string): K8sObject => {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${k8sDir}`);
  return found;
};
const container = (kind: string, name: string): K8sContainer => {
  const first = find(kind, name).spec?.template?.spec.containers[0];
  if (!first) throw new Error(`${kind} ${name} has no container`);
  return first;
};

/** A container's environment as the pod gets it, with the example Secret's placeholders. */
function podEnv(of: K8sContainer): Env {
  const env: Env = {};
  for (const from of of.envFrom ?? []) Object.assign(env, find('ConfigMap', from.configMapRef.name).data);
  for (const variable of of.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    if (!ref) env[variable.name] = variable.value ?? '';
    else {
      const value = find('Secret', ref.name).stringData?.[ref.key];
      if (value === undefined) throw new Error(`${variable.name}: the Secret ${ref.name} has no key ${ref.key}`);
      env[variable.name] = value;
    }
  }
  return env;
}

describe('kubernetes example', () => {
  it('gives the API, the workers and the migration an environment Hoist starts with', () => {
    for (const [kind, name] of [['Deployment', 'hoist-api'], ['Deployment', 'hoist-worker'], ['Job', 'hoist-migrate']] as const) {
      const env = podEnv(container(kind, name));
      expect(() => loadConfig(env), `${kind} ${name}`).not.toThrow();
    }
    expect(tempStorageLocation(loadConfig(podEnv(container('Deployment', 'hoist-worker'))))).toMatchObject({ kind: 's3' });
    expect(container('Job', 'hoist-migrate').command).toEqual(['node', 'packages/db/dist/cli.js', 'migrate']);
  });

  it('gives SIGTERM more time than SHUTDOWN_TIMEOUT_MS before the kill', () => {
    for (const name of ['hoist-api', 'hoist-worker']) {
      const config = loadConfig(podEnv(container('Deployment', name)));
      const graceSeconds = find('Deployment', name).spec?.template?.spec.terminationGracePeriodSeconds ?? 30;
      expect(graceSeconds * 1000, name).toBeGreaterThan(config.SHUTDOWN_TIMEOUT_MS + 5_000);
    }
  });

  it('scales the workers, never to zero, one per WORKER_CONCURRENCY runnable uploads counted once', () => {
    const scaled = find('ScaledObject', 'hoist-worker').spec;
    expect(scaled?.scaleTargetRef?.name).toBe('hoist-worker');
    expect(scaled?.minReplicaCount).toBeGreaterThanOrEqual(1);
    const uploads = scaled?.triggers?.find((trigger) => trigger.metadata.query.includes('queue="uploads"'));
    expect(uploads?.type).toBe('prometheus');
    expect(uploads?.metadata.query).toContain('max by (state) (hoist_queue_jobs{');
    expect(uploads?.metadata.query).toContain('state=~"waiting|prioritized|active"');
    const worker = loadConfig(podEnv(container('Deployment', 'hoist-worker')));
    expect(Number(uploads?.metadata.threshold)).toBe(worker.WORKER_CONCURRENCY);
  });
});
