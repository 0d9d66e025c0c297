/** `workbench awake on|off|status`: keep the Mac from sleeping, across app quits and reboots. */
import {
  parseCommandArgs,
  pickSubcommand,
  printJson,
  printLine,
  type CliCommand,
} from '../command.js';

export const awakeCommand: CliCommand = {
  name: 'awake',
  summary: 'keep the Mac awake (on, off, status)',
  help: [
    'Usage: workbench awake on|off|status [--json]',
    '',
    '  on       run /usr/bin/caffeinate -i -s as a login agent: the Mac does not sleep while idle,',
    '           also after the app quits or the Mac restarts',
    '  off      unload the agent; no caffeinate is left behind',
    '  status   whether it is on, and whether the sleep assertion is really held (pmset)',
  ].join('\n'),
  async run(context, args) {
    const { sub, rest } = pickSubcommand('awake', args, ['on', 'off', 'status'] as const);
    const workbench = context.workbench();
    if (sub === 'status') {
      const { values } = parseCommandArgs('awake status', rest, { json: { type: 'boolean' } });
      const state = await workbench.keepAwake().status();
      if (values.json) {
        printJson(context, state);
        return 0;
      }
      const word = !state.enabled
        ? 'off'
        : state.active
          ? `on (caffeinate pid ${state.pid})`
          : 'on, but caffeinate is not running';
      printLine(context, `keep awake  ${word}`);
      if (state.enabled) printLine(context, `assertion  ${state.assertion ? 'held' : 'not held'}`);
      if (state.detail) printLine(context, state.detail);
      return 0;
    }
    parseCommandArgs(`awake ${sub}`, rest, {});
    const outcome = await workbench.setKeepAwake(sub === 'on');
    printLine(context, outcome.message);

    return 0;
  },
};
