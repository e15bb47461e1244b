import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  type CliProcess,
  describeFailure,
  quietSdkNodeVersionNotice,
  runCli,
  UserError,
  usageError,
} from '#lib/cli';
import { InvalidBridgeConfigError, parseBridgeConfig } from '#lib/config';

function fakeProcess() {
  const state: { stderr: string; exit?: number; exitCode?: number } = { stderr: '' };
  const cliProcess: CliProcess = {
    stderr: (text) => {
      state.stderr += text;
    },
    exit: (code) => {
      state.exit = code;
    },
    setExitCode: (code) => {
      state.exitCode = code;
    },
  };
  return { state, cliProcess };
}

describe('describeFailure', () => {
  it('prints a user error as its message alone, with its exit status', () => {
    expect(describeFailure(new UserError('port 3000 is in use'))).toEqual({
      text: 'port 3000 is in use',
      exitCode: 1,
    });
    expect(describeFailure(usageError('--count must be a number'))).toEqual({
      text: '--count must be a number',
      exitCode: 2,
    });
  });

  it('treats a bad stack setting as a user error', () => {
    let error: unknown;
    try {
      parseBridgeConfig({ silenceHours: 0 });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(InvalidBridgeConfigError);
    expect(describeFailure(error).text).toMatch(/^Invalid currents-bridge settings:\n {2}silenceHours: /);
    expect(describeFailure(error).text).not.toMatch(/^ {4}at /m);
  });

  it('prints a parseArgs rejection as a usage error', () => {
    let error: unknown;
    try {
      parseArgs({ args: ['--nope'], options: {} });
    } catch (caught) {
      error = caught;
    }

    expect(describeFailure(error)).toEqual({
      text: "Unknown option '--nope'\nRun with --help for the options.",
      exitCode: 2,
    });
  });

  it('prints anything else with its stack, as a bug', () => {
    const bug = new TypeError('cannot read properties of undefined');

    const { text, exitCode } = describeFailure(bug);

    expect(text).toContain('TypeError: cannot read properties of undefined');
    expect(text).toMatch(/^ {4}at /m);
    expect(exitCode).toBe(1);
    expect(describeFailure('a string')).toEqual({ text: 'unexpected failure: a string', exitCode: 1 });
  });
});

describe('runCli', () => {
  it('sets the returned exit status and prints nothing', async () => {
    const { state, cliProcess } = fakeProcess();

    await runCli(async () => 3, cliProcess);

    expect(state).toEqual({ stderr: '', exitCode: 3 });
  });

  it('leaves the exit status alone when main returns nothing (a server keeps running)', async () => {
    const { state, cliProcess } = fakeProcess();

    await runCli(() => undefined, cliProcess);

    expect(state).toEqual({ stderr: '' });
  });

  it('ends the process with the message of a user error, or the stack of a bug', async () => {
    const user = fakeProcess();
    const bug = fakeProcess();

    await runCli(() => {
      throw usageError('--port must be a port number');
    }, user.cliProcess);
    await runCli(async () => {
      throw new RangeError('index out of range');
    }, bug.cliProcess);

    expect(user.state).toEqual({ stderr: '--port must be a port number\n', exit: 2 });
    expect(bug.state.exit).toBe(1);
    expect(bug.state.stderr).toMatch(/^RangeError: index out of range\n {4}at /);
  });
});

describe('quietSdkNodeVersionNotice', () => {
  it('turns the SDK notice off unless the user set the variable', () => {
    const unset: NodeJS.ProcessEnv = {};
    quietSdkNodeVersionNotice(unset);
    expect(unset.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true');

    const userSet: NodeJS.ProcessEnv = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' };
    quietSdkNodeVersionNotice(userSet);
    expect(userSet.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('false');
  });
});
