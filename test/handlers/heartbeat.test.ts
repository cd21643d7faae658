import { DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import { createHeartbeatHandler } from '../../lambda/handlers/heartbeat';
import { createTestResources, testClients, type TestAws } from '../helpers/aws';
import { T0, TestClock } from '../helpers/domain';
import { functionUrlEvent, tableItems } from '../helpers/events';

/** The heartbeat Function URL: the reply a node acts on, and clear 4xx answers that write nothing. */
describe('heartbeat handler', () => {
  let aws: TestAws;
  let tableName: string;
  let handler: ReturnType<typeof createHeartbeatHandler>;
  beforeAll(async () => {
    aws = testClients();
    tableName = (await createTestResources('heartbeat', aws)).tableName;
    const context = new TestClock(T0, 'hb').context({ groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'] }] });
    handler = createHeartbeatHandler({ store: new DynamoDbIncidentStore({ tableName }), context });
  });
  afterAll(() => aws.destroy());

  it('answers primary and standby (fencing: test/adapters/failover.test.ts)', async () => {
    const call = async (body: object) => {
      const response = await handler(functionUrlEvent(body));
      return { status: response.statusCode, body: JSON.parse(response.body) };
    };
    expect(await call({ group: 'shared-disk', nodeId: 'unit-1', ready: true })).toEqual({ status: 200, body: { role: 'primary', epoch: 1, holder: 'unit-1', nextHeartbeatMs: 2000 } });
    expect(await call({ group: 'shared-disk', nodeId: 'unit-2', ready: true })).toEqual({ status: 200, body: { role: 'standby', epoch: 1, holder: 'unit-1', nextHeartbeatMs: 2000 } });
    expect(await call({ group: 'shared-disk', nodeId: 'unit-2', ready: true, epoch: 1 })).toEqual({ status: 200, body: { role: 'standby', epoch: 1, holder: 'unit-1', nextHeartbeatMs: 2000 } });
  });

  it.each([
    ['a missing field', { group: 'shared-disk', nodeId: 'unit-1' }, 400, /heartbeat: ready: /],
    ['an epoch that is not a positive integer', { group: 'shared-disk', nodeId: 'unit-1', ready: true, epoch: 0 }, 400, /epoch/],
    ['an unknown field', { group: 'shared-disk', nodeId: 'unit-1', ready: true, primary: true }, 400, /primary/],
    ['an unknown group', { group: 'nas', nodeId: 'unit-1', ready: true }, 404, /unknown group "nas": configured groups: shared-disk/],
    ['an unknown node', { group: 'shared-disk', nodeId: 'unit-9', ready: true }, 404, /unknown node "unit-9": nodes of group shared-disk: unit-1, unit-2/],
    ['a non-JSON body', '{"group":', 400, /body is not valid JSON/],
  ])('rejects %s and writes nothing', async (_, body, status, message) => {
    const before = await tableItems(aws.dynamodb, tableName);
    const response = await handler(functionUrlEvent(body));
    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body).error).toMatch(message);
    expect(await tableItems(aws.dynamodb, tableName)).toEqual(before);
  });
});
