import { readFileSync } from 'node:fs';
import type { Stack } from '@aws-sdk/client-cloudformation';
import { Option, type Command } from 'commander';
import { explainAwsError, OptionError, TargetError } from './errors';
import type { CommandContext } from './io';

/**
 * The "target" every command works against: a running local serve mode, a deployed stack, or a
 * topic named explicitly. Commands ask it for Tocsin's outputs by their serve-mode names
 * (`noticeTopicArn`, `operateUrl`, …) and for SDK client settings, and never care which kind it is.
 */

/** The stack `--stack` reads when no target option is given. */
export const DEFAULT_STACK = 'Tocsin';

/** The variable holding the serve-mode JSON line when `--local` is given without a file. */
export const LOCAL_ENV = 'TOCSIN_LOCAL';

/** The options {@link addTargetOptions} adds, as commander parses them. */
export interface TargetOptions {
  /** `true` for a bare `--local` (read `TOCSIN_LOCAL`), else the file. */
  readonly local?: string | true;
  readonly topicArn?: string;
  readonly region?: string;
  readonly stack?: string;
}

/** Services the target can configure a client for; local serve mode names an endpoint for each. */
export type TargetService = 'sns' | 'sqs' | 'dynamodb';

/** SDK client settings for one service of a target. */
export interface TargetClientConfig {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface Target {
  readonly kind: 'local' | 'stack' | 'topic' | 'url';
  /** For messages: `local serve mode (serve.json)`, `stack Tocsin`, `--topic-arn`. */
  readonly description: string;
  /** True for the local emulators. */
  readonly local: boolean;
  /** Tocsin's outputs by their serve-mode names (stack outputs are renamed: `NoticeTopicArn` → `noticeTopicArn`). */
  readonly outputs: Readonly<Record<string, string>>;
  /** The named output, or a {@link TargetError} saying this target does not have it. */
  output(name: string): string;
  /** Region, endpoint and credentials for an SDK client of `service`. */
  clientConfig(service: TargetService): TargetClientConfig;
  /** Where calls to `service` go, for messages: the local endpoint, or the region when known. */
  where(service: TargetService): string | undefined;
}

/**
 * Adds `--local [file]`, `--topic-arn`, `--region` and `--stack` to a command. `output` is the stack
 * output the command uses, for the help; `--topic-arn` is listed only for the notices topic (other
 * commands still parse it, and say they need --stack or --local).
 */
export function addTargetOptions(command: Command, output = 'NoticeTopicArn'): Command {
  const topicArn = new Option('--topic-arn <arn>', 'the notices topic ARN (region taken from the ARN unless --region)').conflicts('stack');
  return command
    .addOption(
      new Option('--local [file]', `use the local serve mode: its JSON line from FILE, or from $${LOCAL_ENV}`).conflicts(['topicArn', 'stack', 'region']),
    )
    .addOption(output === 'NoticeTopicArn' ? topicArn : topicArn.hideHelp())
    .addOption(new Option('--region <region>', "AWS region (default: the topic ARN's, else the SDK's default chain)"))
    .addOption(new Option('--stack <name>', `the deployed stack whose ${output} output to use`).default(DEFAULT_STACK));
}

/**
 * Resolves the target options into a {@link Target}. A stack target calls CloudFormation
 * DescribeStacks (default credential chain); the others make no call.
 */
export async function resolveTarget(options: TargetOptions, ctx: CommandContext): Promise<Target> {
  if (options.local !== undefined) return localTarget(options.local, ctx.env);
  if (options.topicArn !== undefined) return topicTarget(options.topicArn, options.region);
  return stackTarget(options.stack ?? DEFAULT_STACK, options.region, ctx);
}

/** Credentials the emulators accept; real ones must never be sent to them. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

const LOCAL_ENDPOINT_FIELD: Readonly<Record<TargetService, string>> = {
  sns: 'snsEndpoint',
  sqs: 'sqsEndpoint',
  dynamodb: 'dynamodbEndpoint',
};

function localTarget(file: string | true, env: NodeJS.ProcessEnv): Target {
  const source = file === true ? `$${LOCAL_ENV}` : file;
  let text: string;
  if (file === true) {
    const value = env[LOCAL_ENV];
    if (!value?.trim()) {
      throw new OptionError(
        '--local',
        `needs a FILE or the ${LOCAL_ENV} variable holding the JSON line that \`npm start -- --serve\` prints`,
      );
    }
    text = value;
  } else {
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      throw new OptionError('--local', `cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
    }
  }
  const outputs = parseServeLine(text, source);
  const description = `local serve mode (${source})`;
  const output = (name: string): string => {
    const value = outputs[name];
    if (!value) throw new TargetError(`the serve-mode JSON in ${source} has no "${name}"; is it the line \`npm start -- --serve\` printed?`);
    return value;
  };
  return {
    kind: 'local',
    description,
    local: true,
    outputs,
    output,
    clientConfig: (service) => ({ region: output('region'), endpoint: output(LOCAL_ENDPOINT_FIELD[service]), credentials: LOCAL_CREDENTIALS }),
    where: (service) => outputs[LOCAL_ENDPOINT_FIELD[service]],
  };
}

/**
 * The serve-mode JSON line. A file holding serve mode's whole stdout works too: the last line that
 * is a JSON object is taken.
 */
export function parseServeLine(text: string, source: string): Record<string, string> {
  const candidates = [text, ...text.split('\n').reverse()].map((s) => s.trim()).filter((s) => s.startsWith('{'));
  for (const candidate of candidates) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(candidate);
    } catch {
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) continue;
    const outputs: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) if (typeof value === 'string') outputs[key] = value;
    return outputs;
  }
  throw new OptionError('--local', `${source} holds no JSON object; expected the line \`npm start -- --serve\` prints`);
}

/** `arn:aws:sns:eu-west-1:123456789012:name`: partition, region, account, topic name. */
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256}(\.fifo)?)$/;

function topicTarget(topicArn: string, region: string | undefined): Target {
  const match = TOPIC_ARN.exec(topicArn);
  if (!match) throw new OptionError('--topic-arn', `${JSON.stringify(topicArn)} is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)`);
  const topicRegion = match[1];
  if (region !== undefined && region !== topicRegion) {
    throw new OptionError('--region', `${region} differs from the topic ARN's region ${topicRegion}; leave --region out`);
  }
  const outputs = { noticeTopicArn: topicArn };
  return {
    kind: 'topic',
    description: '--topic-arn',
    local: false,
    outputs,
    output(name) {
      if (name === 'noticeTopicArn') return topicArn;
      throw new TargetError(`--topic-arn names only the notices topic; this command needs ${name}: use --stack or --local`);
    },
    clientConfig: () => ({ region: topicRegion }),
    where: () => topicRegion,
  };
}

/**
 * One URL given on the command line (`tocsin respond --url`): a participant knows the respond URL
 * from the readiness poll's notice (`detail.respondUrl`), not from the operator's stack, which
 * lives in another account. Requests to it are signed (SigV4) with the caller's own credentials.
 */
export function urlTarget(output: string, url: string, option: string, region: string | undefined): Target {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new OptionError(option, `${JSON.stringify(url)} is not a URL`, { cause });
  }
  // Signed requests go over TLS; plain http only to this machine (a local proxy, a test).
  const loopback = parsed.hostname === '127.0.0.1' || parsed.hostname === 'localhost' || parsed.hostname === '[::1]';
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
    throw new OptionError(option, `must be an https:// URL (a Lambda Function URL), got ${JSON.stringify(url)}`);
  }
  const outputs = { [output]: url };
  return {
    kind: 'url',
    description: option,
    local: false,
    outputs,
    output(name) {
      if (name === output) return url;
      throw new TargetError(`${option} names only ${output}; this command needs ${name}: use --stack or --local`);
    },
    clientConfig: () => (region ? { region } : {}),
    where: () => region,
  };
}

/** Outputs only a Tocsin stack has: one with some of them but not the one asked for predates it. */
const TOCSIN_OUTPUTS = ['NoticeTopicArn', 'OperateUrl', 'StatusUrl', 'IngestUrl', 'HeartbeatUrl'];

async function stackTarget(stackName: string, region: string | undefined, ctx: CommandContext): Promise<Target> {
  if (!stackName.trim()) throw new OptionError('--stack', 'needs a stack name');
  const cloudFormation = ctx.own(ctx.clients.cloudFormation(region ? { region } : {}));
  let stack: Stack | undefined;
  try {
    // Loaded here, not at start-up: only --stack reads CloudFormation. (require, not import():
    // jest runs CommonJS without the VM modules a dynamic import needs.)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { DescribeStacksCommand } = require('@aws-sdk/client-cloudformation') as typeof import('@aws-sdk/client-cloudformation');
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    stack = Stacks?.[0];
  } catch (error) {
    const resolvedRegion = await cloudFormation.config.region().catch(() => region);
    if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message)) {
      throw new TargetError(
        `stack ${stackName} not found in ${resolvedRegion ?? 'the default region'}: deploy it (\`npx cdk deploy\`), or name it with --stack/--region, or use --topic-arn or --local`,
        { cause: error },
      );
    }
    throw explainAwsError(error, { service: 'CloudFormation', where: resolvedRegion, local: false });
  }
  if (!stack) throw new TargetError(`stack ${stackName} not found`);
  const outputs: Record<string, string> = {};
  for (const { OutputKey, OutputValue } of stack.Outputs ?? []) {
    if (OutputKey && OutputValue !== undefined) outputs[OutputKey.charAt(0).toLowerCase() + OutputKey.slice(1)] = OutputValue;
  }
  const stackRegion = outputs.noticeTopicArn ? TOPIC_ARN.exec(outputs.noticeTopicArn)?.[1] : undefined;
  const clientRegion = stackRegion ?? region;
  return {
    kind: 'stack',
    description: `stack ${stackName}`,
    local: false,
    outputs,
    output(name) {
      const value = outputs[name];
      if (value) return value;
      const key = name.charAt(0).toUpperCase() + name.slice(1);
      const present = Object.keys(outputs).map((k) => k.charAt(0).toUpperCase() + k.slice(1));
      const hint = present.some((k) => TOCSIN_OUTPUTS.includes(k))
        ? `deployed from an older version? redeploy it (\`npx cdk deploy\`), or use --local`
        : 'is it a Tocsin stack?';
      throw new TargetError(`stack ${stackName} has no ${key} output (it has ${present.length ? present.join(', ') : 'none'}); ${hint}`);
    },
    clientConfig: () => (clientRegion ? { region: clientRegion } : {}),
    where: () => clientRegion,
  };
}
