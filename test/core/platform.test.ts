import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  resolveCommandPaths,
  resolveHome,
  resolveNodePath,
  workbenchPaths,
} from '../../src/core/platform.js';

describe('resolveHome', () => {
  it('uses WORKBENCH_HOME when it is set', () => {
    assert.equal(
      resolveHome({ WORKBENCH_HOME: '/data/wb', HOME: '/Users/jo' }, 'darwin'),
      '/data/wb',
    );
  });

  it('uses Application Support on macOS', () => {
    assert.equal(
      resolveHome({ HOME: '/Users/jo' }, 'darwin'),
      '/Users/jo/Library/Application Support/CodeWhale Workbench',
    );
  });

  it('uses XDG_CONFIG_HOME elsewhere', () => {
    assert.equal(
      resolveHome({ HOME: '/home/jo', XDG_CONFIG_HOME: '/home/jo/.cfg' }, 'linux'),
      '/home/jo/.cfg/codewhale-workbench',
    );
    assert.equal(
      resolveHome({ HOME: '/home/jo' }, 'linux'),
      '/home/jo/.config/codewhale-workbench',
    );
  });

  it('refuses a relative WORKBENCH_HOME and says how to fix it', () => {
    assert.throws(() => resolveHome({ WORKBENCH_HOME: 'wb' }, 'darwin'), {
      message: 'WORKBENCH_HOME must be an absolute path, got "wb"',
    });
  });
});

describe('workbenchPaths', () => {
  it('puts the agents in WORKBENCH_LAUNCH_AGENTS_DIR when it is set', () => {
    const paths = workbenchPaths('/h', {
      HOME: '/Users/jo',
      WORKBENCH_LAUNCH_AGENTS_DIR: '/tmp/agents',
    });
    assert.equal(paths.agentPlist, '/tmp/agents/com.codewhale.workbench.plist');
    assert.equal(paths.awakePlist, '/tmp/agents/com.codewhale.workbench.keep-awake.plist');
    assert.equal(paths.runtimeEnv, '/h/env/runtime.env');
    assert.equal(paths.bridgeEnv, '/h/env/telegram-bridge.env');
    assert.equal(paths.statusFile, '/h/status/status.json');
  });

  it('puts the agents in ~/Library/LaunchAgents by default', () => {
    assert.equal(
      workbenchPaths('/h', { HOME: '/Users/jo' }).agentPlist,
      '/Users/jo/Library/LaunchAgents/com.codewhale.workbench.plist',
    );
  });
});

describe('resolveCommandPaths', () => {
  it('prefers the setting, then WORKBENCH_<NAME>_PATH, then the macOS default', () => {
    const paths = resolveCommandPaths(
      { container: '/opt/c/container' },
      { WORKBENCH_CONTAINER_PATH: '/env/container', WORKBENCH_SW_VERS_PATH: '/env/sw_vers' },
    );
    assert.equal(paths.container, '/opt/c/container');
    assert.equal(paths.sw_vers, '/env/sw_vers');
    assert.equal(paths.launchctl, '/bin/launchctl');
    assert.equal(paths.sysctl, '/usr/sbin/sysctl');
    assert.equal(paths.caffeinate, '/usr/bin/caffeinate');
  });

  it('names /usr/local/bin/container when no container is installed at all', () => {
    assert.equal(resolveCommandPaths({}, {}).container, '/usr/local/bin/container');
  });

  it('refuses a relative command path', () => {
    assert.throws(() => resolveCommandPaths({}, { WORKBENCH_LAUNCHCTL_PATH: 'launchctl' }), {
      message: 'the path for launchctl must be absolute, got "launchctl"',
    });
  });
});

describe('resolveNodePath', () => {
  it('takes WORKBENCH_NODE_PATH, else the first Node that exists', () => {
    assert.equal(resolveNodePath({ WORKBENCH_NODE_PATH: '/custom/node' }), '/custom/node');
    assert.equal(
      resolveNodePath({}, (path) => path === '/usr/local/bin/node'),
      '/usr/local/bin/node',
    );
    assert.equal(
      resolveNodePath({}, () => false),
      '/opt/homebrew/bin/node',
    );
  });
});
