import { HoistMetrics } from '@hoist/metrics';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { testAppDeps } from './test-support/app-deps.js';
import { useTestApp } from './test-support/use-test-app.js';

const token = 'metrics-token-for-tests';
const { db } = useTestDatabase();
const app = useTestApp(() => testAppDeps(db, { metrics: new HoistMetrics({ service: 'api', defaultMetrics: false }), metricsToken: token }));

describe('GET /metrics', () => {
  it('wants the metrics token when one is configured', async () => {
    const refused = await app.inject({ method: 'GET', url: '/metrics' });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    const wrong = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.statusCode).toBe(401);
  });

  it('labels requests by route template, never by the raw URL', async () => {
    await app.inject({ method: 'GET', url: '/v1/uploads/01a20950-28a9-7446-ba07-93eb86af538c' });
    await app.inject({ method: 'GET', url: '/no/such/route' });
    const scraped = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
    expect(scraped.statusCode).toBe(200);
    expect(scraped.body).toContain('hoist_http_requests_total{method="GET",route="/v1/uploads/:id",status="404",service="api"} 1');
    expect(scraped.body).toContain('route="unmatched"');
    expect(scraped.body).not.toContain('01a20950');
  });
});
